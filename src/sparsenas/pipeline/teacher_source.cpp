#include "sparsenas/pipeline/teacher_source.h"

#include <algorithm>

#include <torch/torch.h>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/pipeline/methods.h"
#include "sparsenas/pipeline/run_context.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/manifest.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/checkpoint.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kField = "teacher_stage.from (--teacher) ";

// The space fields a user knows by name, checked first so that the error names the one that
// differs rather than the whole space.
constexpr const char* kNamedFields[] = {"name", "resolution", "in_channels", "num_classes", "width_mult"};

std::string field_label(const std::string& key) {
  if (key == "name") return "space";
  if (key == "in_channels") return "in_channels (image channels)";
  if (key == "num_classes") return "num_classes (classes)";
  return key;
}

// A "sparsenas train" directory: config.json with "command": "train".
bool is_train_dir(const fs::path& dir) {
  const fs::path config = dir / rundir::kConfig;
  if (!fs::is_regular_file(config)) return false;
  try {
    const json j = read_json_file(config);
    return j.is_object() && j.value("command", "") == "train";
  } catch (const std::exception&) {
    return false;
  }
}

// The method of a `sparsenas run` directory ("" when unknown).
std::string run_method(const fs::path& dir) {
  try {
    const json j = read_json_file(dir / rundir::kConfig);
    return j.is_object() ? j.value("method", "") : "";
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

TeacherSource resolve_teacher_source(const std::string& from) {
  SNAS_INTERNAL_ASSERT(!from.empty(), "resolve_teacher_source needs a path");
  const fs::path p(from);
  SNAS_CHECK(fs::exists(p), kField, p, ": no such file or directory (expected a finished `sparsenas run` "
             "directory, a `sparsenas train` directory or a teacher checkpoint)");
  TeacherSource s;
  if (fs::is_directory(p)) {
    if (fs::is_regular_file(p / rundir::kTeacher)) {
      s.kind = "run";
      s.file = p / rundir::kTeacher;
      const fs::path manifest_path = p / rundir::kManifest;
      if (fs::exists(manifest_path)) {
        const rundir::Manifest m = rundir::Manifest::read(manifest_path);
        // The stage that writes teacher.pt: "teacher", or "import" of an ofa-import run.
        std::string stage = "teacher";
        for (const MethodStage& st : method_stages(m.method)) {
          if (std::find(st.outputs.begin(), st.outputs.end(), rundir::kTeacher) != st.outputs.end()) stage = st.name;
        }
        const rundir::StageRecord* t = m.find(stage);
        SNAS_CHECK(t && t->status == "done", kField, p, ": the run's ", stage, " stage has not finished (status \"",
                   t ? t->status : std::string("absent"), "\"); rerun that run first");
      }
    } else if (is_train_dir(p)) {
      s.kind = "train";
      s.file = p / rundir::kCheckpointFile;
      SNAS_CHECK(fs::is_regular_file(s.file), kField, p, ": this `sparsenas train` directory has no ",
                 rundir::kCheckpointFile, " yet");
    } else {
      SNAS_FAIL(kField, p, ": a directory with neither ", rundir::kTeacher, " (a finished `sparsenas run` directory) nor ",
                rundir::kConfig, " and ", rundir::kCheckpointFile, " of a `sparsenas train` run");
    }
  } else {
    s.kind = "file";
    s.file = p;
  }
  s.hash = hash_file(s.file);
  return s;
}

void check_teacher_source(const TeacherSource& source, RunContext& ctx) {
  const fs::path& file = source.file;
  train::CheckpointMeta meta;
  try {
    meta = train::read_checkpoint_meta(file);
  } catch (const Error& e) {
    SNAS_FAIL(kField, file, " is not a teacher checkpoint: ", e.what());
  }
  const space::SearchSpace& space = ctx.space();
  const json expected = space::to_json(space.spec());
  const json& actual = meta.space;
  SNAS_CHECK(actual.is_object(), kField, file, ": the checkpoint records no space");
  auto differs = [&](const std::string& key) {
    const auto a = actual.find(key);
    return a == actual.end() || *a != expected.at(key);
  };
  auto value_of = [&](const std::string& key) {
    const auto a = actual.find(key);
    return a == actual.end() ? std::string("(absent)") : a->dump();
  };
  for (const char* key : kNamedFields) {
    SNAS_CHECK(!differs(key), kField, file, ": ", field_label(key), " must be ", expected.at(key).dump(),
               " (this run's), got ", value_of(key), " (the teacher's)");
  }
  for (const auto& item : expected.items()) {
    SNAS_CHECK(!differs(item.key()), kField, file, ": the space's ", item.key(), " must be ", item.value().dump(),
               " (this run's space ", space.name(), "), got ", value_of(item.key()), " (the teacher's)");
  }
  for (const auto& item : actual.items()) {
    SNAS_CHECK(expected.contains(item.key()), kField, file, ": the teacher's space has a field ", item.key(),
               " that this run's space has not");
  }
  // A supernet imported from Once-for-All (sparsenas import-ofa) was trained by OFA's code: its
  // largest network is OFA's teacher, and it has no training state of ours to check.
  const bool imported = meta.config.is_object() && meta.config.contains("import");
  const std::string largest = train::FixedSampler(space.max_arch()).describe();
  SNAS_CHECK(imported || meta.sampler == largest, kField, file, ": a teacher is the largest network trained alone (sampler \"",
             largest, "\"), got a checkpoint trained with \"", meta.sampler, "\"");
  const int64_t epochs = meta.config.is_object() ? meta.config.value("epochs", int64_t{0}) : 0;
  SNAS_CHECK(imported || (epochs > 0 && meta.state.epoch >= epochs), kField, file, ": its training has not finished (epoch ",
             meta.state.epoch, " of ", epochs, "); finish it first (rerun its command)");
  const std::string& method = ctx.config().method;
  if (source.kind == "run") {
    const std::string from_method = run_method(file.parent_path());
    SNAS_CHECK(from_method != "compofa" || method == "compofa", kField, file.parent_path(),
               ": a compofa run's teacher has no kernel transform matrices (CompOFA trains without them), which ",
               "method ", method, " needs; give the teacher of another method or a `sparsenas train` checkpoint");
  }
  nn::Supernet net = ctx.make_supernet();
  try {
    train::load_checkpoint(file, *net, nullptr, /*restore_rng=*/false);
  } catch (const Error& e) {
    SNAS_FAIL(kField, file, ": its weights do not load into method ", method, "'s supernet: ", e.what());
  }
}

json teacher_source_metrics(const TeacherSource& source) {
  const train::CheckpointMeta meta = train::read_checkpoint_meta(source.file);
  const train::TrainCounters& c = meta.state.counters;
  return {{"from", fs::absolute(source.file).lexically_normal().string()},
          {"from_kind", source.kind},
          {"teacher_hash", source.hash},
          {"source_epochs", meta.state.epoch},
          {"source_wall_seconds", c.wall_seconds},
          {"source_subnet_passes", c.subnet_passes},
          {"source_images_seen", c.images_seen}};
}

}  // namespace sparsenas::pipeline
