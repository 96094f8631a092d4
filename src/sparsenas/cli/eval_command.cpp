// `sparsenas eval`: evaluates a checkpoint, recalibrating BN for networks other than the one
// trained. Thin: flags -> configs -> train::evaluate.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/subnet_evaluator.h"
#include "sparsenas/rundir/image_correctness.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;

namespace {

struct EvalFlags {
  std::string checkpoint;
  std::optional<std::string> arch;
  std::string split = "test";
  std::optional<std::string> device;
  std::optional<int64_t> threads;
  bool json = false;
  std::string correct;
  DataFlags data;
};

void run_eval(const EvalFlags& f) {
  const fs::path checkpoint(f.checkpoint);
  SNAS_CHECK(f.split == "test" || f.split == "val" || f.split == "both",
             "--split must be test, val or both, got \"", f.split, "\"");
  const train::CheckpointMeta meta = train::read_checkpoint_meta(checkpoint);
  // The data settings of the run sit beside its checkpoint; flags override them.
  data::DataConfig data_config;
  const fs::path run_config = checkpoint.parent_path() / "config.json";
  std::optional<space::Arch> trained_arch;
  if (fs::exists(run_config)) {
    const nlohmann::json j = read_json_file(run_config);
    if (j.contains("data")) data::from_json(j["data"], data_config);
    if (j.contains("arch")) trained_arch = space::arch_from_json(j["arch"]);
  }
  const std::string fixed_prefix = "fixed ";
  if (!trained_arch && meta.sampler.rfind(fixed_prefix, 0) == 0) {
    trained_arch = space::arch_from_string(meta.sampler.substr(fixed_prefix.size()));
  }
  f.data.apply_to(data_config);
  // The run's config.json is resolved already; the flags may name other data.
  data::resolve_data_config(data_config, /*val_size_given=*/true);

  train::TrainConfig config;
  train::from_json(meta.config, config);
  apply(f.device, config.device);
  apply(f.threads, config.threads);
  config.validate();
  nn::configure_cpu_threads(static_cast<int>(train::resolved_threads(config)));
  const torch::Device device = train::training_device(config);

  const space::SearchSpace space(space::space_spec_from_json(meta.space));
  SNAS_CHECK(f.arch || trained_arch, "--arch is required: checkpoint ", checkpoint,
             " was trained over many architectures");
  const space::Arch arch = f.arch ? space.resolve(*f.arch) : space.canonical(*trained_arch);
  const data::Splits splits = data::load_splits(data_config);
  SNAS_CHECK(splits.test.channels() == space.spec().in_channels &&
                 splits.test.num_classes() == space.spec().num_classes &&
                 splits.test.height() == space.spec().resolution,
             "the data (", splits.test.channels(), "x", splits.test.height(), "x", splits.test.width(), ", ",
             splits.test.num_classes(), " classes) does not match the checkpoint's network (",
             space.spec().in_channels, "x", space.spec().resolution, "x", space.spec().resolution, ", ",
             space.spec().num_classes, " classes)");

  nn::Supernet net(space);
  train::load_checkpoint(checkpoint, *net, nullptr, /*restore_rng=*/false);
  net->to(device);
  if (config.channels_last) nn::to_channels_last(*net);
  // A network other than the one trained alone shares BN statistics with others: recalibrate.
  const bool recalibrate = !trained_arch || space.canonical(*trained_arch) != arch;
  if (recalibrate) {
    const auto subset = train::bn_recalibration_subset(splits.train, config.bn_recal_images);
    train::recalibrate_bn(*net, arch, subset, config.bn_recal_batch, splits.mean, splits.std, device);
  }
  nlohmann::json result = {{"checkpoint", checkpoint.string()},
                           {"arch", space::to_json(arch)},
                           {"macs", space.macs(arch)},
                           {"params", space.params(arch)},
                           {"bn_recalibrated", recalibrate}};
  rundir::ImageCorrectness correctness;
  correctness.networks.push_back({arch, {}});
  for (const std::string split : {"val", "test"}) {
    if (f.split != "both" && f.split != split) continue;
    const data::Dataset& d = split == "val" ? splits.val : splits.test;
    const auto r = train::evaluate(*net, arch, d, config.eval_batch, splits.mean, splits.std, device);
    result[split] = eval_json(r);
    if (!f.correct.empty()) {
      correctness.splits[split] = pipeline::split_identity(d);
      correctness.networks.back().correct[split] = r.correct;
    }
    SNAS_LOG(INFO) << split << " top-1 " << r.top1 * 100 << "% (" << r.images << " images, "
                   << r.images / std::max(r.seconds, 1e-9) << " img/s)";
  }
  if (!f.correct.empty()) {
    rundir::write_image_correctness(f.correct, correctness);
    result["correct_file"] = f.correct;
  }
  std::cout << (f.json ? result.dump(2) : result.dump()) << std::endl;
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto [cmd, f] = add_command<EvalFlags>(app, "eval", "Evaluate a checkpoint (recalibrating BN for other networks)",
                                         run_eval);
  cmd->add_option("--checkpoint", f->checkpoint, "checkpoint file (checkpoint.pt of a run)")->required();
  cmd->add_option("--arch", f->arch, "architecture: JSON, max or min (default: the one trained)");
  cmd->add_option("--split", f->split, "test, val or both")->capture_default_str();
  cmd->add_option("--device", f->device, "cpu, cuda or cuda:N");
  cmd->add_option("--threads", f->threads, "intra-op threads");
  cmd->add_option("--correct", f->correct,
                  "also write which images it classified correctly to this file (the format of a run's "
                  "family_correct.json: paired comparisons of networks over the same images)");
  add_json_flag(*cmd, f->json, /*pretty=*/true);
  add_data_flags(*cmd, f->data);
}

}  // namespace sparsenas::cli
