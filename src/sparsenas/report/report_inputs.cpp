#include "sparsenas/report/report_inputs.h"

#include "sparsenas/rundir/device_latency.h"

#include <iterator>
#include <unordered_map>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::report::detail {
namespace fs = std::filesystem;
using nlohmann::json;
using rundir::StageRecord;

namespace {

// Reads `artifact` with `reader` when it exists. Missing: a warning saying what is not
// available. Present but unreadable: sparsenas::Error naming the file.
template <typename Reader>
auto load_optional(const rundir::RunDir& run, const std::string& artifact,
                   const std::string& affects, std::vector<std::string>& warnings, Reader reader)
    -> std::optional<decltype(reader(run))> {
  if (!run.has(artifact)) {
    warnings.push_back(artifact + " not found: " + affects + " not available");
    return std::nullopt;
  }
  return reader(run);
}

// The string at a chain of object keys, or nullptr.
const json* at_keys(const json& root, const std::vector<std::string>& keys) {
  const json* node = &root;
  for (const std::string& key : keys) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

}  // namespace

std::optional<std::string> config_text(const std::optional<json>& config,
                                       const std::vector<std::vector<std::string>>& candidates) {
  if (!config) return std::nullopt;
  for (const auto& keys : candidates) {
    const json* node = at_keys(*config, keys);
    if (node == nullptr) continue;
    if (node->is_string()) return node->get<std::string>();
    if (node->is_object()) {
      for (const char* key : {"name", "source"}) {
        const auto it = node->find(key);
        if (it != node->end() && it->is_string()) return it->get<std::string>();
      }
    }
  }
  return std::nullopt;
}

std::optional<space::SearchSpace> find_space(const Inputs& in) {
  if (in.sparse) return space::SearchSpace(in.sparse->space);
  if (!in.config) return std::nullopt;
  try {
    const json* node = at_keys(*in.config, {"space"});
    if (node != nullptr && node->is_object() && node->contains("stages")) {
      return space::SearchSpace(space::space_spec_from_json(*node));
    }
    const auto name = config_text(in.config, {{"space"}, {"space", "name"}});
    if (!name) return std::nullopt;
    space::SpaceOptions options;
    const json& c = *in.config;
    for (const char* key : {"resolution", "in_channels", "num_classes"}) {
      for (const json* scope : {at_keys(c, {"space"}), &c}) {
        if (scope == nullptr || !scope->is_object()) continue;
        const auto it = scope->find(key);
        if (it == scope->end() || !it->is_number_integer()) continue;
        const int v = it->get<int>();
        if (std::string(key) == "resolution") options.resolution = v;
        if (std::string(key) == "in_channels") options.in_channels = v;
        if (std::string(key) == "num_classes") options.num_classes = v;
        break;
      }
    }
    return space::SearchSpace::from_name(*name, options);
  } catch (const Error&) {
    return std::nullopt;  // a space file not found here, say: the report goes on without it
  }
}

Inputs load_inputs(const fs::path& run_dir, std::vector<std::string>& warnings) {
  Inputs in;
  // The report also serves a run directory without config.json (it says what it lacks), so the
  // folder is opened as it is rather than through rundir::open_run.
  const rundir::RunDir bare(run_dir, json::object(), "run");
  in.config = load_optional(bare, rundir::kConfig, "preset, space and dataset names", warnings,
                            [](const rundir::RunDir& r) {
                              return r.read(rundir::kConfig, [](const fs::path& p) {
                                json j = read_json_file(p);
                                SNAS_CHECK(j.is_object(), p.string(),
                                           ": expected a JSON object, got ", j.type_name());
                                return j;
                              });
                            });
  const rundir::RunDir run(run_dir, in.config.value_or(json::object()), "run");
  in.manifest = load_optional(run, rundir::kManifest,
                              "stage costs (Table 4), teacher accuracy, evolutionary search cost",
                              warnings, [](const rundir::RunDir& r) { return r.manifest(); });
  in.predictors =
      load_optional(run, rundir::kPredictorScores, "the predictor comparison (Table 3)", warnings,
                    [](const rundir::RunDir& r) { return r.predictor_scores(); });
  in.heldout =
      load_optional(run, rundir::kHeldout, "held-out predictions (predicted-vs-measured plot)",
                    warnings, [](const rundir::RunDir& r) { return r.heldout(); });
  in.pairs = load_optional(run, rundir::kPairs, "the pairs summary", warnings,
                           [](const rundir::RunDir& r) { return r.pairs(); });
  in.pairs_noise =
      load_optional(run, rundir::kPairsNoise, "the noise of the pairs' measurement", warnings,
                    [](const rundir::RunDir& r) { return r.pairs_noise(); });
  in.sparse = load_optional(run, rundir::kSparseSpace, "the sparse space summary", warnings,
                            [](const rundir::RunDir& r) { return r.sparse_space(); });
  in.family = load_optional(run, rundir::kFamily,
                            "the lookup cost (Table 6), best networks (Table 7) and accuracy plot",
                            warnings, [](const rundir::RunDir& r) { return r.family(); });
  if (in.family) {
    for (const std::string& device : rundir::measured_devices(run_dir)) {
      // A corrupt file is an error naming it; a device measured on an earlier family (the family
      // stage ran again since, e.g. on a latency grid) is left out with a warning.
      const fs::path path = rundir::device_latency_path(run_dir, device);
      const std::vector<rundir::LatencyRow> rows = rundir::read_latency_csv(path);
      try {
        in.devices.emplace_back(device, rundir::family_with_latency(*in.family, rows, path.string()));
      } catch (const Error& e) {
        warnings.push_back("the accuracy against latency on device " + device + " is left out: " + e.what());
      }
    }
  }
  // Every training stage of the manifest (the baselines have other phases; an imported supernet
  // none), else the sparsenas ones.
  std::vector<std::string> training_stages;
  if (in.manifest) {
    for (const StageRecord& s : in.manifest->stages) {
      if (s.epochs > 0) training_stages.push_back(s.name);
    }
  }
  if (!in.manifest)
    training_stages.assign(std::begin(kTrainingStages), std::end(kTrainingStages));
  for (const std::string& stage : training_stages) {
    const std::string name = stage + "/" + rundir::kHistoryFile;
    auto history =
        load_optional(run, name, std::string("the ") + stage + " training curve", warnings,
                      [&stage](const rundir::RunDir& r) { return r.history(stage); });
    if (history) in.histories.emplace_back(stage, std::move(*history));
  }
  in.space = find_space(in);
  return in;
}

SparseVsFamily match_sparse_family(const Inputs& in) {
  SparseVsFamily out;
  if (!in.sparse || !in.family) return out;
  std::unordered_map<std::string, std::pair<double, int64_t>> predicted;  // arch -> (score, interval)
  for (const search::SparseInterval& interval : in.sparse->intervals) {
    // A listed space (compofa, random-subspace) was chosen by no predictor: predicted 0.
    for (const search::SparseArch& a : interval.archs) {
      if (a.predicted != 0.0) predicted[a.arch.to_string()] = {a.predicted, interval.index};
    }
  }
  for (const search::FamilyRow& r : in.family->rows()) {
    const auto it = predicted.find(r.arch.to_string());
    if (it == predicted.end()) continue;
    out.predicted.push_back(it->second.first);
    out.measured.push_back(r.val_top1);
    out.interval.push_back(it->second.second);
  }
  return out;
}

}  // namespace sparsenas::report::detail
