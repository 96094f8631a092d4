#pragma once
// `sparsenas run`: the SparseNAS pipeline (DESIGN "The pipeline", paper Fig. 1 and Algorithm 1),
// stages 1-8 over one run directory (docs/run-directory.md), resumable, and the helpers that later
// commands (`search`, `export`) use to read a finished run.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/core/error.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::rundir {
class RunDir;  // sparsenas/rundir/run_dir.h
}  // namespace sparsenas::rundir

namespace sparsenas::nn {
class StaticNetImpl;  // sparsenas/nn/static_net.h
}  // namespace sparsenas::nn

namespace sparsenas::pipeline {

/// Thrown when a run stops because of train::request_stop() (Ctrl-C): every finished artifact and
/// the last checkpoint are on disk, and rerunning the same command continues.
class Interrupted : public Error {
 public:
  using Error::Error;
};

/// The stage names of a method, in order (derived from its table in methods.cpp). sparsenas: teacher, proxy, pairs, predictor,
/// sparse_space, supernet, family, report. ofa: teacher, kernel, depth_warmup, depth,
/// expand_warmup, expand, pairs, predictor, family_search, family, report. compofa: teacher,
/// compound_warmup, compound, family_list, family, report. spos: teacher, supernet, pairs,
/// predictor, family_search, family, report. random-subspace: teacher, subspace, supernet, family,
/// report. ofa-import: import, pairs, predictor, family_search, family, report. Throws for an
/// unknown method.
std::vector<std::string> stage_names(const std::string& method = "sparsenas");

/// The space one OFA progressive-shrinking phase samples from: `space` with only the `depths`
/// largest depth choices and the `expands` largest expand choices of every stage (0 = all);
/// kernels stay elastic; stored kernel and expand sizes unchanged, so the weights are the same.
/// Kernel phase (1, 1), depth phases (2, 1) and (0, 1), expand phases (0, 2) and (0, 0).
space::SearchSpace ofa_phase_space(const space::SearchSpace& space, size_t depths, size_t expands);

/// One OFA progressive-shrinking phase: the choices it samples (`ofa_phase_space(space, depths,
/// expands)`) and the expand stage of the channel re-sort before it (-1 = none; see
/// SupernetImpl::reorganize_channels).
struct OfaPhase {
  std::string name;
  size_t depths, expands;
  int resort_stage;
};

/// The five phases in training order: kernel, depth_warmup, depth, expand_warmup, expand.
const std::vector<OfaPhase>& ofa_phases();
/// The training section of the OFA phase `name` (one of ofa_phases()).
const train::TrainConfig& ofa_phase_config(const OfaConfig& ofa, const std::string& name);

/// What `run_pipeline` did.
struct RunSummary {
  std::filesystem::path dir;
  std::vector<std::string> ran;      ///< stages run (or resumed) by this call
  std::vector<std::string> skipped;  ///< stages found done and unchanged
  std::filesystem::path report;      ///< report.md
  std::string stopped_after;         ///< the `stop_after` stage when the run stopped there, else ""
};

/// Runs every stage of `config` in `dir` (created when absent). A stage whose manifest record is
/// done, whose config and input hashes are unchanged and whose artifacts are intact is skipped; a
/// training stage killed earlier continues from its checkpoint; pairs and family continue after
/// their last saved row. When a stage has to run again, every later stage runs again too (said on
/// stderr). `config.json` in `dir` is replaced by `config` (to_json) once the run starts.
///
/// Refuses a `dir` that exists, is not empty and has no manifest.json (not a run directory), and
/// a `dir` whose manifest.json is corrupt, and a reused teacher (`teacher_stage.from`) that is
/// missing, unfinished or of another space, resolution, channel count, class count or width
/// (teacher_source.h), before writing anything. Throws Interrupted when a stop
/// was requested; other errors leave finished artifacts intact.
///
/// Data-parallel (dist::size() W > 1, e.g. started by torchrun; every rank calls this with the same
/// config and `dir` on a filesystem they share): the ranks check that they agree on the config and
/// the manifest, then run the same stages. Training stages (teacher, proxy, supernets, every
/// baseline phase) train data-parallel through train::train; pairs and family divide their
/// networks among the ranks (run_loop) and gather the results; the other stages run on rank 0
/// while the others wait. Rank 0 alone writes (config.json, manifest, checkpoints, tables); the
/// others read what it wrote only after a barrier. A stop request on any rank stops all.
///
/// `stop_after` (non-empty): run the stages up to and including this one (one of
/// stage_names(config.method), else an error listing them, before writing anything); a later call
/// without it continues from there.
RunSummary run_pipeline(const RunConfig& config, const std::filesystem::path& dir,
                        const std::string& stop_after = "");

/// A finished run, as read back by `search` and `export`.
struct RunInfo {
  std::filesystem::path dir;
  RunConfig config;           ///< config.json
  space::SearchSpace space;   ///< the space of supernet.pt
};

/// The RunConfig of an opened run directory; a config.json that does not read as one is an error
/// naming the run ("corrupt config.json").
RunConfig run_config_of(const rundir::RunDir& run);

/// Reads `dir`/config.json and checks that the run finished its family stage (supernet.pt and
/// family.csv present; only supernet.pt without `require_family`). Errors say what is missing and
/// how to finish the run.
RunInfo read_run(const std::filesystem::path& dir, bool require_family = true);

/// One network of a finished run, ready to deploy: extracted from supernet.pt with its BN
/// statistics recalibrated as in the family stage, in eval mode, NCHW contiguous, on the CPU.
struct DeployableNetwork {
  std::shared_ptr<nn::StaticNetImpl> net;
  space::Arch arch;
  int64_t macs = 0, params = 0;
  std::vector<float> mean, std;          ///< the training normalisation, per channel
  std::vector<std::string> class_names;  ///< one per class
  int64_t channels = 0, resolution = 0;
};

/// Extracts `arch` (a member of the run's space) from the run's sparse supernet.
DeployableNetwork load_network(const RunInfo& run, const space::Arch& arch);

}  // namespace sparsenas::pipeline
