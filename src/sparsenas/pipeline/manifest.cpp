#include "sparsenas/pipeline/manifest.h"

#include <sys/resource.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::pipeline {

using nlohmann::json;

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

void from_json(const json& j, StageRecord& r) {
  r = StageRecord{};
  r.name = j.at("name").get<std::string>();
  r.status = j.at("status").get<std::string>();
  r.config_hash = j.value("config_hash", "");
  if (j.contains("input_hashes")) r.input_hashes = j["input_hashes"].get<std::map<std::string, std::string>>();
  r.output_hash = j.value("output_hash", "");
  r.started = j.value("started", "");
  r.finished = j.value("finished", "");
  r.wall_seconds = j.value("wall_seconds", 0.0);
  r.core_seconds = j.value("core_seconds", 0.0);
  r.subnet_passes = j.value("subnet_passes", int64_t{0});
  r.teacher_passes = j.value("teacher_passes", int64_t{0});
  r.eval_images = j.value("eval_images", int64_t{0});
  r.images_seen = j.value("images_seen", int64_t{0});
  r.epochs = j.value("epochs", int64_t{0});
  r.n_sub = j.value("n_sub", int64_t{0});
  r.metrics = j.value("metrics", json::object());
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
  Manifest m;
  if (!std::filesystem::exists(path)) return m;
  const json j = read_json_file(path);
  try {
    SNAS_CHECK(j.is_object(), "not a JSON object");
    m.version = j.at("version").get<int>();
    SNAS_CHECK(m.version == 1, "version must be 1, got ", m.version);
    m.method = j.at("method").get<std::string>();
    for (const auto& s : j.at("stages")) m.stages.push_back(s.get<StageRecord>());
  } catch (const std::exception& e) {
    SNAS_FAIL("corrupt manifest ", path, ": ", e.what(),
              " (move it away to start the run afresh; the stages' artifacts stay usable only with it)");
  }
  return m;
}

void Manifest::write(const std::filesystem::path& path) const {
  json stage_list = json::array();
  for (const auto& s : stages) stage_list.push_back(s);
  write_json_file(path, json{{"version", version}, {"method", method}, {"stages", stage_list}});
}

namespace {
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

std::string hex64(uint64_t h) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}
}  // namespace

std::string hash_string(const std::string& bytes) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return hex64(h);
}

std::string hash_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  SNAS_CHECK(in, "cannot read ", path);
  uint64_t h = kFnvOffset;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buffer[i])) * kFnvPrime;
  }
  return hex64(h);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace sparsenas::pipeline
