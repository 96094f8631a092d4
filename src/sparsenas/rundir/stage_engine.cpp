#include "sparsenas/rundir/stage_engine.h"

#include <algorithm>
#include <chrono>

#include "sparsenas/core/clock.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/rundir/artifacts.h"

namespace sparsenas::rundir {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string output_hash(const fs::path& dir, const std::vector<std::string>& outputs) {
  std::string all;
  for (const auto& out : outputs) all += out + ":" + hash_file(dir / out) + ";";
  return hash_string(all);
}

StagesSummary run_stages(const fs::path& dir, Manifest& manifest, const std::string& shared,
                         const std::vector<Stage>& stages, const std::function<void(const std::string&)>& before_stage,
                         const Processes& processes) {
  const fs::path manifest_path = dir / kManifest;
  const auto write_manifest = [&] {
    if (processes.writer) manifest.write(manifest_path);
  };
  const auto barrier = [&] {
    if (processes.barrier) processes.barrier();
  };
  StagesSummary summary;
  bool rerun_rest = false;
  for (size_t index = 0; index < stages.size(); ++index) {
    const Stage& stage = stages[index];
    if (before_stage) before_stage(stage.name);
    const std::string config_hash = hash_string(shared + "|" + stage.config.dump());
    std::map<std::string, std::string> input_hashes;
    for (const auto& in : stage.inputs) {
      const StageRecord* up = manifest.find(in);
      SNAS_INTERNAL_ASSERT(up && up->status == "done", "stage ", in, " must be done before ", stage.name);
      input_hashes[in] = up->output_hash;
    }
    const StageRecord* previous = manifest.find(stage.name);
    const bool same_inputs = previous && previous->config_hash == config_hash && previous->input_hashes == input_hashes;
    const std::string tag =
        "stage " + std::to_string(index + 1) + "/" + std::to_string(stages.size()) + " " + stage.name;
    if (!rerun_rest && same_inputs && previous->status == "done") {
      const bool intact = std::all_of(stage.outputs.begin(), stage.outputs.end(),
                                      [&](const std::string& out) { return fs::exists(dir / out); });
      // Where the writer decides, the others do not hash what they would not use (checkpoints are large).
      const bool own_reading = processes.writer || !processes.writers_choice;
      bool unchanged = own_reading && intact && output_hash(dir, stage.outputs) == previous->output_hash;
      if (processes.writers_choice) unchanged = processes.writers_choice(unchanged);
      if (unchanged) {
        SNAS_LOG(INFO) << tag << ": done, unchanged (skipped)";
        summary.skipped.push_back(stage.name);
        continue;
      }
      SNAS_LOG(WARN) << tag << ": its artifacts are missing or changed since it finished; running it again "
                     << "and every stage after it";
    } else if (previous && !same_inputs) {
      SNAS_LOG(WARN) << tag << ": "
                     << (previous->config_hash != config_hash ? "its config changed" : "an input changed")
                     << " since the last run; running it again and every stage after it";
    } else if (rerun_rest && previous) {
      SNAS_LOG(INFO) << tag << ": an earlier stage ran again; running it again";
    }
    const bool resuming = previous && same_inputs && previous->status == "running" && !rerun_rest;
    if (!resuming && !stage.scratch.empty()) {
      if (processes.writer) {
        for (const auto& s : stage.scratch) fs::remove_all(dir / s);
      }
      barrier();
    }
    rerun_rest = true;

    StageRecord& rec = manifest.get(stage.name);
    const StageRecord kept = rec;
    rec = StageRecord{};
    rec.name = stage.name;
    rec.status = "running";
    rec.config_hash = config_hash;
    rec.input_hashes = input_hashes;
    rec.started = resuming && !kept.started.empty() ? kept.started : utc_now();
    if (resuming) {  // an interrupted attempt's time counts
      rec.wall_seconds = kept.wall_seconds;
      rec.core_seconds = kept.core_seconds;
    }
    const double wall_before = rec.wall_seconds, core_before = rec.core_seconds;
    write_manifest();
    SNAS_LOG(INFO) << tag << (resuming ? ": resuming" : ": running");

    const auto start = Clock::now();
    const double cpu_start = process_cpu_seconds();
    auto account = [&] {
      const double wall = std::chrono::duration<double>(Clock::now() - start).count();
      rec.wall_seconds = std::max(rec.wall_seconds, wall_before + wall);
      rec.core_seconds = core_before + (process_cpu_seconds() - cpu_start);
    };
    try {
      stage.run(rec, resuming);
    } catch (...) {
      account();
      write_manifest();
      throw;
    }
    const auto finish = [&] {
      account();
      rec.output_hash = output_hash(dir, stage.outputs);
      rec.status = "done";
      rec.finished = utc_now();
      write_manifest();
    };
    // The writer records the stage as done before it meets the others, and they hash its outputs
    // after: a barrier that fails (a rank gone, or one that gave up waiting for a long stage that
    // ran on the writer alone) then leaves a finished stage that a rerun skips, not one it redoes.
    if (processes.writer) {
      finish();
      barrier();
    } else {
      barrier();
      finish();
    }
    summary.ran.push_back(stage.name);
    SNAS_LOG(INFO) << tag << ": done in " << rec.wall_seconds << " s";
  }
  return summary;
}

}  // namespace sparsenas::rundir
