#include "sparsenas/predictor/pairs_dataset.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"

namespace sparsenas::predictor {
namespace {

constexpr std::array<const char*, 4> kColumns = {"arch", "macs", "params", "val_top1"};

// Splits one CSV line into fields (RFC 4180 quoting, no embedded newlines).
std::vector<std::string> split_csv_line(const std::string& line, const std::string& where) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      const size_t column = fields.size() + 1;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            closed = true;
            ++i;
            break;
          }
        } else {
          field += line[i++];
        }
      }
      SNAS_CHECK(closed, where, ", column ", column,
                 ": quoted field has no closing quote (a field cannot span lines)");
      SNAS_CHECK(i == line.size() || line[i] == ',', where, ", column ", column,
                 ": unexpected character '", line[i], "' after a closing quote (expected ',')");
    } else {
      const size_t end = line.find(',', i);
      field = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      SNAS_CHECK(field.find('"') == std::string::npos, where, ", column ", fields.size() + 1,
                 ": a quote inside an unquoted field; quote the field and double inner quotes");
      i = end == std::string::npos ? line.size() : end;
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // skip ','
  }
  return fields;
}

std::string quote_csv(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    out += ch;
    if (ch == '"') out += '"';
  }
  return out + "\"";
}

int64_t parse_int(const std::string& text, const std::string& where) {
  int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  SNAS_CHECK(result.ec == std::errc() && result.ptr == text.data() + text.size() && value >= 0,
             where, ": expected a non-negative integer, got '", text, "'");
  return value;
}

double parse_double(const std::string& text, const std::string& where) {
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  SNAS_CHECK(
      result.ec == std::errc() && result.ptr == text.data() + text.size() && std::isfinite(value),
      where, ": expected a number, got '", text, "'");
  return value;
}

std::string shortest(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// Unbiased draw in [0, n) from the raw engine output (Lemire's method with rejection), so the
// split is identical on every standard library.
uint64_t bounded(Rng& rng, uint64_t n) {
  while (true) {
    const unsigned __int128 product = static_cast<unsigned __int128>(rng()) * n;
    const uint64_t low = static_cast<uint64_t>(product);
    if (low >= (0 - n) % n) return static_cast<uint64_t>(product >> 64);
  }
}

}  // namespace

std::vector<space::Arch> PairsDataset::archs() const {
  std::vector<space::Arch> out;
  out.reserve(pairs.size());
  for (const auto& p : pairs) out.push_back(p.arch);
  return out;
}

std::vector<double> PairsDataset::accuracies() const {
  std::vector<double> out;
  out.reserve(pairs.size());
  for (const auto& p : pairs) out.push_back(p.val_top1);
  return out;
}

PairsDataset PairsDataset::read_csv(const std::filesystem::path& path,
                                    const space::SearchSpace* space) {
  std::ifstream in(path, std::ios::binary);
  SNAS_CHECK(
      in.good(), "cannot read pairs file ", path, ": ",
      std::filesystem::exists(path) ? "permission denied or not a regular file" : "no such file");
  const std::string file = path.string();
  std::string line;
  int64_t line_number = 0;
  auto next_line = [&]() -> bool {
    while (std::getline(in, line)) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) return true;
    }
    return false;
  };

  SNAS_CHECK(next_line(), file, ": empty file; expected the header line arch,macs,params,val_top1");
  const std::string header_where = file + ":" + std::to_string(line_number);
  const std::vector<std::string> header = split_csv_line(line, header_where);
  std::array<size_t, 4> index{};
  for (size_t c = 0; c < kColumns.size(); ++c) {
    const auto it = std::find(header.begin(), header.end(), kColumns[c]);
    SNAS_CHECK(it != header.end(), header_where, ": the header has no column '", kColumns[c],
               "' (required columns: arch, macs, params, val_top1; got '", line, "')");
    index[c] = static_cast<size_t>(it - header.begin());
  }

  PairsDataset dataset;
  while (next_line()) {
    const std::string where = file + ":" + std::to_string(line_number);
    const std::vector<std::string> fields = split_csv_line(line, where);
    SNAS_CHECK(fields.size() == header.size(), where, ": expected ", header.size(),
               " fields as in the header, got ", fields.size());
    auto at = [&](size_t c) {
      return where + ", column " + std::to_string(index[c] + 1) + " (" + kColumns[c] + ")";
    };
    ArchAccuracyPair pair;
    try {
      pair.arch = space::arch_from_string(fields[index[0]]);
      if (space != nullptr) pair.arch = space->canonical(pair.arch);
    } catch (const Error& e) {
      SNAS_FAIL(at(0), ": ", e.what());
    }
    pair.macs = parse_int(fields[index[1]], at(1));
    pair.params = parse_int(fields[index[2]], at(2));
    pair.val_top1 = parse_double(fields[index[3]], at(3));
    SNAS_CHECK(pair.val_top1 >= 0.0 && pair.val_top1 <= 1.0, at(3),
               ": val_top1 must be a fraction in [0, 1] (not a percentage), got ", pair.val_top1);
    dataset.pairs.push_back(std::move(pair));
  }
  SNAS_CHECK(!in.bad(), file, ": read error after line ", line_number);
  return dataset;
}

void PairsDataset::write_csv(const std::filesystem::path& path) const {
  std::ostringstream out;
  out << "arch,macs,params,val_top1\n";
  for (const auto& p : pairs) {
    out << quote_csv(p.arch.to_string()) << ',' << p.macs << ',' << p.params << ','
        << shortest(p.val_top1) << '\n';
  }
  write_file_atomic(path, out.str());
}

std::pair<PairsDataset, PairsDataset> PairsDataset::split(double held_out_fraction,
                                                          uint64_t seed) const {
  SNAS_CHECK(held_out_fraction > 0.0 && held_out_fraction < 1.0,
             "held_out_fraction must be in (0, 1), got ", held_out_fraction);
  const size_t n = pairs.size();
  const auto num_held_out =
      static_cast<size_t>(std::llround(held_out_fraction * static_cast<double>(n)));
  SNAS_CHECK(num_held_out >= 1 && num_held_out < n, "cannot split ", n,
             " pairs with held_out_fraction ", held_out_fraction,
             ": both parts must be non-empty (held-out part would hold ", num_held_out, ")");
  // Partial Fisher-Yates: the first num_held_out positions become a uniform random subset.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(mix_seed(seed, 0x70616972ULL /* "pair" */));
  for (size_t i = 0; i < num_held_out; ++i) {
    std::swap(order[i], order[i + bounded(rng, n - i)]);
  }
  std::vector<bool> held_out(n, false);
  for (size_t i = 0; i < num_held_out; ++i) held_out[order[i]] = true;
  std::pair<PairsDataset, PairsDataset> parts;
  for (size_t i = 0; i < n; ++i)
    (held_out[i] ? parts.second : parts.first).pairs.push_back(pairs[i]);
  return parts;
}

}  // namespace sparsenas::predictor
