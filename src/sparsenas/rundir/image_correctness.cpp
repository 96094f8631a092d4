#include "sparsenas/rundir/image_correctness.h"

#include <nlohmann/json.hpp>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::rundir {

using nlohmann::json;

const std::vector<uint8_t>& ImageCorrectness::bits(size_t i, const std::string& split) const {
  SNAS_CHECK(i < networks.size(), "per-image correctness: network ", i, " of ", networks.size());
  const auto it = networks[i].correct.find(split);
  SNAS_CHECK(it != networks[i].correct.end(), "per-image correctness: no split \"", split, "\"");
  return it->second;
}

void ImageCorrectness::validate() const {
  for (size_t i = 0; i < networks.size(); ++i) {
    for (const auto& [name, id] : splits) {
      const auto it = networks[i].correct.find(name);
      SNAS_CHECK(it != networks[i].correct.end(), "per-image correctness: network ", i, " has no split \"", name,
                 "\"");
      SNAS_CHECK(static_cast<int64_t>(it->second.size()) == id.images, "per-image correctness: network ", i,
                 " has ", it->second.size(), " ", name, " entries, expected ", id.images);
    }
    SNAS_CHECK(networks[i].correct.size() == splits.size(), "per-image correctness: network ", i,
               " has a split that is not declared in \"splits\"");
  }
}

std::string pack_bits(const std::vector<uint8_t>& bits) {
  static const char* digits = "0123456789abcdef";
  std::string out((bits.size() + 3) / 4, '0');
  for (size_t d = 0; d < out.size(); ++d) {
    int v = 0;
    for (size_t b = 0; b < 4; ++b) {
      const size_t i = d * 4 + b;
      if (i < bits.size() && bits[i]) v |= 8 >> b;
    }
    out[d] = digits[v];
  }
  return out;
}

std::vector<uint8_t> unpack_bits(const std::string& hex, int64_t count) {
  SNAS_CHECK(count >= 0 && static_cast<int64_t>(hex.size()) == (count + 3) / 4, "expected ", (count + 3) / 4,
             " hex digits for ", count, " images, got ", hex.size());
  std::vector<uint8_t> bits(static_cast<size_t>(count));
  for (size_t d = 0; d < hex.size(); ++d) {
    const char c = hex[d];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      SNAS_FAIL("expected a hex digit (0-9, a-f), got '", std::string(1, c), "' at position ", d);
    }
    for (size_t b = 0; b < 4; ++b) {
      const size_t i = d * 4 + b;
      if (i < bits.size()) bits[i] = (v & (8 >> b)) ? 1 : 0;
    }
  }
  return bits;
}

void write_image_correctness(const std::filesystem::path& path, const ImageCorrectness& c) {
  c.validate();
  json splits = json::object();
  for (const auto& [name, id] : c.splits) splits[name] = {{"images", id.images}, {"fingerprint", id.fingerprint}};
  json networks = json::array();
  for (const auto& n : c.networks) {
    json row = {{"arch", space::to_json(n.arch)}};
    for (const auto& [name, bits] : n.correct) row[name] = pack_bits(bits);
    networks.push_back(std::move(row));
  }
  write_file_atomic(path, json{{"version", 1}, {"splits", splits}, {"networks", networks}}.dump() + "\n");
}

ImageCorrectness read_image_correctness(const std::filesystem::path& path) {
  try {
    const json j = read_json_file(path);
    SNAS_CHECK(j.is_object() && j.value("version", 0) == 1, "expected an object with \"version\": 1");
    ImageCorrectness c;
    for (const auto& [name, id] : j.at("splits").items()) {
      c.splits[name] = {id.at("images").get<int64_t>(), id.at("fingerprint").get<std::string>()};
      SNAS_CHECK(c.splits[name].images >= 0, "split \"", name, "\": images must be >= 0");
    }
    const json& networks = j.at("networks");
    SNAS_CHECK(networks.is_array(), "\"networks\" must be an array");
    for (size_t i = 0; i < networks.size(); ++i) {
      NetworkCorrectness n;
      n.arch = space::arch_from_json(networks[i].at("arch"));
      for (const auto& [name, id] : c.splits) {
        SNAS_CHECK(networks[i].contains(name), "network ", i, " has no \"", name, "\" bits");
        try {
          n.correct[name] = unpack_bits(networks[i].at(name).get<std::string>(), id.images);
        } catch (const Error& e) {
          SNAS_FAIL("network ", i, ", split \"", name, "\": ", e.what());
        }
      }
      c.networks.push_back(std::move(n));
    }
    c.validate();
    return c;
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find(path.string()) != std::string::npos) throw;
    SNAS_FAIL(path.string(), ": ", message);
  } catch (const json::exception& e) {
    SNAS_FAIL(path.string(), ": ", e.what());
  }
}

}  // namespace sparsenas::rundir
