#include "sparsenas/rundir/manifest.h"

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/rundir/json_read.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;

std::string type_name(const json& value) { return value.type_name(); }

using detail::read_count;
using detail::read_number;
using detail::read_string;

StageRecord parse_stage(const json& s, const std::string& where, const std::string& source) {
  SNAS_CHECK(s.is_object(), where, ": expected an object, got ", type_name(s));
  StageRecord r;
  read_string(s, "name", r.name, where);
  SNAS_CHECK(!r.name.empty(), where, ".name: expected a non-empty stage name");
  const std::string at = source + ": stage '" + r.name + "'";
  read_string(s, "status", r.status, at);
  read_string(s, "config_hash", r.config_hash, at);
  read_string(s, "output_hash", r.output_hash, at);
  const auto inputs = s.find("input_hashes");
  if (inputs != s.end() && !inputs->is_null()) {
    SNAS_CHECK(inputs->is_object(), at, ".input_hashes: expected an object, got ", type_name(*inputs));
    for (const auto& item : inputs->items()) {
      SNAS_CHECK(item.value().is_string(), at, ".input_hashes.", item.key(), ": expected a string, got ",
                 item.value().dump());
      r.input_hashes[item.key()] = item.value().get<std::string>();
    }
  }
  read_string(s, "started", r.started, at);
  read_string(s, "finished", r.finished, at);
  read_number(s, "wall_seconds", r.wall_seconds, at);
  read_number(s, "core_seconds", r.core_seconds, at);
  read_count(s, "subnet_passes", r.subnet_passes, at);
  read_count(s, "teacher_passes", r.teacher_passes, at);
  read_count(s, "eval_images", r.eval_images, at);
  read_count(s, "images_seen", r.images_seen, at);
  read_count(s, "epochs", r.epochs, at);
  read_count(s, "n_sub", r.n_sub, at);
  const auto metrics = s.find("metrics");
  if (metrics != s.end() && !metrics->is_null()) {
    SNAS_CHECK(metrics->is_object(), at, ".metrics: expected an object, got ", type_name(*metrics));
    r.metrics = *metrics;
  }
  return r;
}

}  // namespace

std::optional<double> StageRecord::metric(const std::string& key) const {
  const auto it = metrics.find(key);
  if (it == metrics.end() || it->is_null()) return std::nullopt;
  SNAS_CHECK(it->is_number(), "manifest stage '", name, "' metrics.", key, ": expected a number, got ", it->dump());
  return it->get<double>();
}

std::optional<std::string> StageRecord::metric_text(const std::string& key) const {
  const auto it = metrics.find(key);
  if (it == metrics.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

void to_json(json& j, const StageRecord& r) {
  j = json{{"name", r.name},
           {"status", r.status},
           {"config_hash", r.config_hash},
           {"input_hashes", r.input_hashes},
           {"output_hash", r.output_hash},
           {"started", r.started},
           {"finished", r.finished},
           {"wall_seconds", r.wall_seconds},
           {"core_seconds", r.core_seconds},
           {"subnet_passes", r.subnet_passes},
           {"teacher_passes", r.teacher_passes},
           {"eval_images", r.eval_images},
           {"images_seen", r.images_seen},
           {"epochs", r.epochs},
           {"n_sub", r.n_sub},
           {"metrics", r.metrics}};
}

StageRecord* Manifest::find(const std::string& name) {
  for (auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const StageRecord* Manifest::find(const std::string& name) const {
  for (const auto& s : stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

StageRecord& Manifest::get(const std::string& name) {
  if (StageRecord* r = find(name)) return *r;
  stages.push_back(StageRecord{});
  stages.back().name = name;
  return stages.back();
}

Manifest Manifest::read(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return Manifest{};
  try {
    Manifest m = read_manifest(path);
    SNAS_CHECK(m.version == 1, "version must be 1, got ", m.version);
    return m;
  } catch (const Error& e) {
    SNAS_FAIL("corrupt manifest ", path, ": ", e.what(),
              " (move it away to start the run afresh; the stages' artifacts stay usable only with it)");
  }
}

void Manifest::write(const std::filesystem::path& path) const {
  json stage_list = json::array();
  for (const auto& s : stages) stage_list.push_back(s);
  write_json_file(path, json{{"version", version}, {"method", method}, {"stages", stage_list}});
}

Manifest parse_manifest(const json& j, const std::string& source) {
  SNAS_CHECK(j.is_object(), source, ": expected a JSON object, got ", type_name(j));
  Manifest manifest;
  manifest.version = 0;
  manifest.method.clear();
  read_count(j, "version", manifest.version, source);
  read_string(j, "method", manifest.method, source);
  const auto stages = j.find("stages");
  SNAS_CHECK(stages != j.end(), source, ": no key \"stages\" (expected an array of stages)");
  SNAS_CHECK(stages->is_array(), source, ".stages: expected an array, got ", type_name(*stages));
  for (size_t i = 0; i < stages->size(); ++i) {
    manifest.stages.push_back(parse_stage((*stages)[i], source + ": stages[" + std::to_string(i) + "]", source));
  }
  return manifest;
}

Manifest read_manifest(const std::filesystem::path& path) {
  return parse_manifest(read_json_file(path), path.string());
}

}  // namespace sparsenas::rundir
