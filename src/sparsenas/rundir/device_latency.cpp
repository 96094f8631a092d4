#include "sparsenas/rundir/device_latency.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>

#include "sparsenas/core/csv.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/latency_table.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::rundir {

namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, 10> kColumns = {"network", "arch",    "macs",    "runtime",   "threads",
                                                  "batch",   "warmup",  "repeats", "median_ms", "p90_ms"};
enum Column { kNetwork, kArch, kMacs, kRuntime, kThreads, kBatch, kWarmup, kRepeats, kMedian, kP90 };

std::string header_line() {
  std::string out;
  for (const char* name : kColumns) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

}  // namespace

LatencyStats latency_stats(std::vector<double> times) {
  SNAS_CHECK(!times.empty(), "latency_stats needs at least one time");
  for (double t : times) SNAS_CHECK(std::isfinite(t) && t >= 0, "a measured time must be >= 0, got ", t);
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  LatencyStats s;
  s.median_ms = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  const size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));  // 1-based
  s.p90_ms = times[std::max<size_t>(rank, 1) - 1];
  return s;
}

std::vector<LatencyRow> parse_latency_csv(const std::string& text, const std::string& source) {
  const csv::Table t = csv::parse(text, source);
  // Exactly the columns of kColumns, in any order.
  const std::vector<int> position =
      t.column_positions(std::vector<std::string>(kColumns.begin(), kColumns.end()), kColumns.size());
  std::vector<LatencyRow> rows;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    auto cell = [&](Column k) -> const std::string& { return t.rows[r][position[k]]; };
    auto at = [&](Column k) { return t.where(r, position[k]); };
    LatencyRow row;
    row.network = csv::parse_count(cell(kNetwork), at(kNetwork));
    try {
      row.arch = space::arch_from_string(cell(kArch));
    } catch (const Error& e) {
      SNAS_FAIL(at(kArch), ": ", e.what());
    }
    row.macs = csv::parse_count(cell(kMacs), at(kMacs));
    row.runtime = cell(kRuntime);
    SNAS_CHECK(row.runtime == "libtorch" || row.runtime == "opencv", at(kRuntime),
               ": expected libtorch or opencv, got \"", row.runtime, "\"");
    row.threads = csv::parse_count(cell(kThreads), at(kThreads));
    row.batch = csv::parse_count(cell(kBatch), at(kBatch));
    row.warmup = csv::parse_count(cell(kWarmup), at(kWarmup));
    row.repeats = csv::parse_count(cell(kRepeats), at(kRepeats));
    SNAS_CHECK(row.threads >= 1, at(kThreads), ": must be >= 1, got ", row.threads);
    SNAS_CHECK(row.batch >= 1, at(kBatch), ": must be >= 1, got ", row.batch);
    SNAS_CHECK(row.repeats >= 1, at(kRepeats), ": must be >= 1, got ", row.repeats);
    row.median_ms = csv::parse_number(cell(kMedian), at(kMedian));
    row.p90_ms = csv::parse_number(cell(kP90), at(kP90));
    SNAS_CHECK(row.median_ms >= 0, at(kMedian), ": must be >= 0, got ", cell(kMedian));
    SNAS_CHECK(row.p90_ms >= row.median_ms, at(kP90), ": must be >= median_ms (", row.median_ms, "), got ",
               cell(kP90));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<LatencyRow> read_latency_csv(const fs::path& path) {
  return parse_latency_csv(read_file(path), path.string());
}

std::string latency_csv(const std::vector<LatencyRow>& rows) {
  std::string out = header_line() + "\n";
  for (const LatencyRow& r : rows) {
    out += csv::record({std::to_string(r.network), csv::quote(r.arch.to_string()), std::to_string(r.macs), r.runtime,
                        std::to_string(r.threads), std::to_string(r.batch), std::to_string(r.warmup),
                        std::to_string(r.repeats), csv::shortest(r.median_ms), csv::shortest(r.p90_ms)});
  }
  return out;
}

void write_latency_csv(const fs::path& path, const std::vector<LatencyRow>& rows) {
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  write_file_atomic(path, latency_csv(rows));
}

void check_device_name(const std::string& name, const std::string& flag) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  SNAS_CHECK(!name.empty() && name.size() <= 100 && chars_ok && name[0] != '.', flag,
             " must be 1-100 characters of letters, digits, '.', '_' and '-' (not starting with '.'), got \"", name,
             "\"");
}

std::string sanitize_device_name(const std::string& text) {
  std::string out;
  bool dash = false;
  for (char raw : text) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.') {
      if (dash && !out.empty()) out += '-';
      out += c;
      dash = false;
    } else {
      dash = true;
    }
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  return out.empty() ? "cpu" : out.substr(0, 80);
}

std::string host_cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return sanitize_device_name(line.substr(colon + 1));
    }
  }
  return "cpu";
}

std::string default_device_name(const std::string& runtime, int64_t threads) {
  return host_cpu_name() + "-" + runtime + "-" + std::to_string(threads) + "t";
}

fs::path device_latency_path(const fs::path& run_dir, const std::string& device) {
  return run_dir / kLatencyDir / (device + ".csv");
}

std::vector<std::string> measured_devices(const fs::path& run_dir) {
  std::vector<std::string> names;
  const fs::path dir = run_dir / kLatencyDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const fs::path p = entry.path();
    const std::string stem = p.stem().string();
    // Temporary files of an atomic write and partial files are not devices.
    if (entry.is_regular_file() && p.extension() == ".csv" && stem.find('.') == std::string::npos) {
      names.push_back(stem);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

search::FamilyTable family_with_latency(const search::FamilyTable& family, const std::vector<LatencyRow>& rows,
                                        const std::string& source) {
  std::map<std::string, double> median;
  for (const LatencyRow& r : rows) median[r.arch.to_string()] = r.median_ms;
  std::map<std::string, bool> in_family;
  std::vector<search::FamilyRow> out = family.rows();
  for (search::FamilyRow& row : out) {
    const std::string key = row.arch.to_string();
    in_family[key] = true;
    const auto it = median.find(key);
    row.latency_ms = it == median.end() ? std::nan("") : it->second;
  }
  for (const LatencyRow& r : rows) {
    SNAS_CHECK(in_family.count(r.arch.to_string()), source, ": network ", r.network, " (", r.arch.to_string(),
               ") is not in ", kFamily, ": it was measured on another family; measure again with sparsenas latency");
  }
  return search::FamilyTable(std::move(out));
}

search::FamilyTable family_on_device(const RunDir& run, const std::string& device) {
  check_device_name(device);
  const fs::path path = device_latency_path(run.path(), device);
  if (!fs::exists(path)) {
    const std::vector<std::string> devices = measured_devices(run.path());
    if (devices.empty()) {
      SNAS_FAIL("--device-name ", device, ": no device measured in ", run.path(),
                " (no ", kLatencyDir, "/*.csv); measure one with `sparsenas latency --run ", run.path().string(),
                " --device-name ", device, "`");
    }
    std::string list;
    for (const auto& d : devices) list += (list.empty() ? "" : ", ") + d;
    SNAS_FAIL("--device-name ", device, ": unknown device in ", run.path(), "; the devices measured are ", list);
  }
  return family_with_latency(run.family(), read_latency_csv(path), path.string());
}

search::FamilyTable family_on_table(const RunDir& run, const fs::path& table_path) {
  SNAS_CHECK(fs::is_regular_file(table_path), "--latency-table ", table_path, ": no such file");
  const search::LatencyTable table = search::read_latency_table(table_path);
  const space::SearchSpace sp(run.sparse_space().space);
  const std::string source = "--latency-table " + table_path.string();
  // Every part of every network of the space present, not only the family's (one check).
  (void)search::LatencyPredictor(table, sp, source);
  std::vector<search::FamilyRow> rows = run.family().rows();
  for (search::FamilyRow& row : rows) row.latency_ms = table.predict_ms(sp, row.arch, source);
  return search::FamilyTable(std::move(rows));
}

}  // namespace sparsenas::rundir
