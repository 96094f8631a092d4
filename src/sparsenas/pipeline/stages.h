#pragma once
// The stage bodies of `sparsenas run` (internal to the pipeline library). Each fills its stage's
// manifest record (counters and metrics) and writes its artifacts atomically; which method runs
// which body, with which config section, inputs and outputs, is in methods.cpp.

#include <functional>
#include <string>

#include "sparsenas/nn/state_dict_file.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/run_context.h"
#include "sparsenas/rundir/manifest.h"

namespace sparsenas::pipeline {

using rundir::StageRecord;

// Training (training_stages.cpp).
void run_teacher(RunContext& ctx, StageRecord& rec);
void run_proxy(RunContext& ctx, StageRecord& rec);
/// The sparse supernet (sparsenas, random-subspace: from sparse_space.json) or SPOS over the whole
/// space (`whole_space`).
void run_supernet(RunContext& ctx, StageRecord& rec, bool whole_space);
/// One training phase of a baseline: starts from `init_file` (channels re-sorted when
/// `resort_stage` >= 0), samples uniformly from `sampled`, distils from the teacher when the
/// section's kd_ratio > 0, validates the phase's largest and smallest network, writes `output`.
void run_phase(RunContext& ctx, StageRecord& rec, const std::string& name, const train::TrainConfig& section,
               const space::SearchSpace& sampled, const std::string& init_file, int resort_stage,
               const std::string& output);

// Evaluation (evaluation_stages.cpp).
/// Architecture-accuracy pairs on the supernet in `checkpoint`, evaluated with `section`'s batch sizes.
void run_pairs(RunContext& ctx, StageRecord& rec, const std::string& checkpoint, const train::TrainConfig& section);
void run_family(RunContext& ctx, StageRecord& rec);
/// The measurement of the sparse space's re-ranking (sparse_space.rerank_pool): each network's
/// top-1 on the supernet in `checkpoint`, measured as the pairs stage measures (its validation
/// images, BN recalibration set and `section`'s batch sizes). `after_each` is called after every
/// network (progress, stop checks). The returned function owns the loaded supernet.
search::FitnessFn measure_on(RunContext& ctx, const std::string& checkpoint, const train::TrainConfig& section,
                             std::function<void()> after_each);

// Search (search_stages.cpp).
void run_predictor(RunContext& ctx, StageRecord& rec);
/// sparsenas: the sparse space (top_k per interval by the early predictor, before training;
/// re-ranked by top-1 on the supernet in `rerank_on` when sparse_space.rerank_pool > 0);
/// ofa, spos: the family search (top_k by the predictor fitted on the trained supernet;
/// `rerank_on` empty: never re-ranked).
void run_sparse_space(RunContext& ctx, StageRecord& rec, int64_t top_k, const search::EvolutionConfig& evolution,
                      const std::string& rerank_on);
/// compofa: the whole coupled space is the family (243 networks), on the sparse space's grid.
void run_family_list(RunContext& ctx, StageRecord& rec);
/// random-subspace: N distinct random networks of the space, on the sparse space's grid.
void run_subspace(RunContext& ctx, StageRecord& rec);
void run_report(RunContext& ctx, StageRecord& rec);

// Once-for-All checkpoints (ofa_import.cpp).
/// ofa-import: the supernet of the run's space holding the checkpoint import_ofa names, checked
/// against its recorded hash (errors name the file and what is wrong). `read` (optional) receives
/// the file's contents.
nn::Supernet load_ofa_import(RunContext& ctx, nn::StateDictFile* read = nullptr);
/// ofa-import's first stage: supernet.pt and teacher.pt from the checkpoint.
void run_import(RunContext& ctx, StageRecord& rec);

}  // namespace sparsenas::pipeline
