#pragma once
// The resume engine of `sparsenas run` (DESIGN "The pipeline"): runs a list of stages over a run
// directory and its manifest, skipping a stage that finished with the same config, the same
// inputs and intact artifacts, resuming one that was interrupted, and rerunning everything after
// a stage that ran. It knows nothing of training: a stage is a name, a config (JSON, hashed), the
// stages it reads, the files it writes and a body. Tested with fake stages
// (tests/rundir/stage_engine_test.cpp).
//
// Per stage, in order:
// 1. config_hash = hash(shared settings | stage config); input_hashes = the output_hash of every
//    input stage (which must be done).
// 2. Skip when nothing upstream ran in this call, the record is "done" with the same hashes, and
//    every output exists with the recorded output_hash.
// 3. Otherwise: resume (keep scratch files and the time spent) when the record is "running" with
//    the same hashes and nothing upstream ran; else delete its scratch files and start afresh.
// 4. Record "running", write the manifest, run the body, then record the output hash, "done",
//    the times, and write the manifest again. A body that throws leaves the record "running"
//    with its time so far.

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sparsenas/rundir/manifest.h"

namespace sparsenas::rundir {

/// One stage of a run.
struct Stage {
  std::string name;
  nlohmann::json config;             ///< hashed with the shared settings
  std::vector<std::string> inputs;   ///< upstream stages (done before this one)
  std::vector<std::string> outputs;  ///< files relative to the run directory
  std::vector<std::string> scratch;  ///< in-progress state, removed when the stage starts afresh
  /// The body: fills the record's counters and metrics. `resuming` is true when it continues an
  /// interrupted attempt (its scratch files were kept).
  std::function<void(StageRecord& record, bool resuming)> run;
};

/// How the processes of a data-parallel run (several ranks, `sparsenas run` under torchrun) share
/// one run directory. Every process runs `run_stages` with the same stages and the same manifest
/// (read before any process wrote), so all take the same decisions; only the writer (rank 0) writes
/// the manifest and removes scratch files. `barrier` (empty: one process) is called after the
/// writer removed a stage's scratch files (so no process sees stale state) and after every body (so
/// every process sees the stage's outputs, whose hash it then computes itself). A body runs on
/// every process; one that only the writer needs returns at once elsewhere (the caller's choice).
/// `writers_choice` (empty: one process) returns on every process the value the writer passed; the
/// one decision read from the disk (a done stage's artifacts intact?) goes through it, so that a
/// process that looks late, after the writer already rewrote a deleted artifact, cannot skip a
/// stage the writer reruns.
struct Processes {
  bool writer = true;
  std::function<void()> barrier;
  std::function<bool(bool)> writers_choice;
};

/// What `run_stages` did.
struct StagesSummary {
  std::vector<std::string> ran;      ///< stages run (or resumed) by this call
  std::vector<std::string> skipped;  ///< stages found done and unchanged
};

/// Runs `stages` in order over `dir` with `manifest` (read by the caller, written by this call
/// after every change). `shared` is hashed into every stage's config hash (settings every stage
/// depends on). `before_stage(name)` is called before each stage (a stop check). `processes`: see
/// Processes (default: one process, which writes).
StagesSummary run_stages(const std::filesystem::path& dir, Manifest& manifest, const std::string& shared,
                         const std::vector<Stage>& stages,
                         const std::function<void(const std::string& name)>& before_stage = {},
                         const Processes& processes = {});

/// The hash of a stage's outputs: their names and contents.
std::string output_hash(const std::filesystem::path& dir, const std::vector<std::string>& outputs);

}  // namespace sparsenas::rundir
