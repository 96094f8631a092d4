#pragma once
// A trained teacher reused by `sparsenas run --teacher PATH` (config `teacher_stage.from`) instead
// of training one, so that every method of a comparison distils from, and starts from, the same
// weights (issue 12 item 2). Internal to the pipeline library.
//
// PATH may be
// - a finished `sparsenas run` directory: its `teacher.pt` (the manifest's teacher stage must be
//   done);
// - a `sparsenas train` directory (config.json with "command": "train"): its `checkpoint.pt`;
// - a checkpoint file: `teacher.pt`, `checkpoint.pt` or any file `save_checkpoint` wrote.
// The checkpoint must have trained the largest network of the space alone to its last epoch, over
// the same search space as the run: same space, resolution, image channels, classes and width
// multiplier. Each mismatch is an error naming the field, this run's value and the teacher's.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace sparsenas::pipeline {

class RunContext;  // run_context.h

/// Where a reused teacher comes from.
struct TeacherSource {
  std::filesystem::path file;  ///< the checkpoint
  std::string kind;            ///< "run", "train" (the two kinds of directory) or "file"
  std::string hash;            ///< hash_file(file): what the teacher stage's config hash holds
};

/// Resolves `from` (teacher_stage.from) to its checkpoint and hashes it. Throws sparsenas::Error
/// naming teacher_stage.from and the path when it does not exist, when a directory holds neither
/// `teacher.pt` nor a `sparsenas train` checkpoint, or when a run's teacher stage has not finished.
TeacherSource resolve_teacher_source(const std::string& from);

/// Checks that `source` can be this run's teacher: a sparsenas checkpoint whose space equals the
/// run's (`space`, `resolution`, `in_channels`, `num_classes`, `width_mult` named first, then any
/// other field of the space), that trained the space's largest network alone, to its last epoch,
/// and whose weights load into the method's supernet (a compofa run's teacher has no kernel
/// transform matrices, so only compofa can reuse it). Reads the data and builds the space through
/// `ctx`; writes nothing.
void check_teacher_source(const TeacherSource& source, RunContext& ctx);

/// The teacher stage's manifest metrics for a reused teacher: `from` (the absolute path),
/// `from_kind`, `teacher_hash`, and what training it cost where it was trained, from the
/// checkpoint's counters (`source_epochs`, `source_wall_seconds`, `source_subnet_passes`,
/// `source_images_seen`), so that `compare` can count a shared teacher once.
nlohmann::json teacher_source_metrics(const TeacherSource& source);

}  // namespace sparsenas::pipeline
