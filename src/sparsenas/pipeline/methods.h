#pragma once
// The methods of `sparsenas run` as tables: for each, its stages in order, each with its name,
// the config section hashed into its manifest record, the stages it reads, the files it writes,
// its scratch state and its body (stages.h). The stage list of a method is derived from its table,
// so a new method is one table here and one config section in run_config.h.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/rundir/manifest.h"

namespace sparsenas::pipeline {

class RunContext;  // run_context.h

/// One row of a method's table.
struct MethodStage {
  std::string name;
  std::function<nlohmann::json(const RunConfig&)> config;  ///< the section whose change reruns it
  std::vector<std::string> inputs;                        ///< upstream stages
  std::vector<std::string> outputs;                       ///< files relative to the run directory
  std::vector<std::string> scratch;                       ///< in-progress state (removed on a fresh start)
  std::function<void(RunContext&, rundir::StageRecord&)> body;
  /// Data-parallel runs (several ranks): every rank runs the body (training, and the evaluation
  /// stages that divide their networks among the ranks); otherwise rank 0 alone runs it and the
  /// others wait for its outputs.
  bool every_rank = false;
};

/// The table of `method` (one of method_names()), the report stage last. Throws for an unknown
/// method, listing the valid ones.
std::vector<MethodStage> method_stages(const std::string& method);

/// Whether `method`'s table has a stage named `stage` (e.g. "proxy": only sparsenas trains one).
bool method_has_stage(const std::string& method, const std::string& stage);

/// The settings every stage depends on (a change reruns everything): method, space, width, data.
nlohmann::json shared_settings(const RunConfig& config);

}  // namespace sparsenas::pipeline
