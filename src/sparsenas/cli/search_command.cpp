// `sparsenas search`: the most accurate network of a finished run within a bound, by lookup in
// its family (search::lookup).
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/rundir/device_latency.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/lookup.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct SearchFlags {
  std::string run;
  BoundFlags bound;
  bool json = false;
};

json row_json(const search::FamilyRow& row) {
  auto number_or_null = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  return {{"arch", space::to_json(row.arch)},
          {"macs", row.macs},
          {"params", row.params},
          {"latency_ms", number_or_null(row.latency_ms)},
          {"val_top1", row.val_top1},
          {"test_top1", number_or_null(row.test_top1)}};
}

void run_search(const SearchFlags& f) {
  const auto bound = bound_of(f.bound);
  SNAS_CHECK(bound, "give one bound: --max-macs, --max-latency-ms or --max-params");
  const rundir::RunDir run = rundir::open_run(f.run);
  const search::FamilyTable family = family_for_bound(f.bound, f.run);
  const std::filesystem::path source = latency_source(f.bound, run.path());
  const search::FamilyRow row = search::lookup(family, bound->first, bound->second, source);
  const double query_us = search::median_query_seconds(family, bound->first, {bound->second}) * 1e6;
  json result = row_json(row);
  if (!std::isnan(row.predicted_ms)) result["predicted_ms"] = row.predicted_ms;
  result["bound"] = search::to_string(bound->first);
  result["limit"] = bound->second;
  result["query_us"] = query_us;
  result["family_size"] = family.size();
  if (f.bound.device_name) result["device"] = *f.bound.device_name;
  if (f.bound.latency_table) result["latency_table"] = *f.bound.latency_table;
  if (f.bound.predicted_latency) result["latency"] = "predicted";
  if (f.json) {
    std::cout << result.dump(2) << std::endl;
  } else {
    std::cout << row.arch.to_string() << "\nmacs " << row.macs << " params " << row.params << " latency_ms "
              << row.latency_ms << " val_top1 " << row.val_top1 << " test_top1 " << row.test_top1 << "\nquery "
              << query_us << " us over " << family.size() << " networks\n";
  }
}

}  // namespace

void add_search_command(CLI::App& app) {
  auto [cmd, f] = add_command<SearchFlags>(app, "search",
                                           "The most accurate network of a finished run within a bound, by "
                                           "lookup in its family (validation accuracy)",
                                           run_search);
  add_run_dir_option(*cmd, f->run);
  add_bound_flags(*cmd, f->bound);
  add_json_flag(*cmd, f->json);
}

}  // namespace sparsenas::cli
