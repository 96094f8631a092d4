// `sparsenas train`: trains one network (the teacher of the pipeline). Thin: flags -> configs ->
// train::train.
#include <filesystem>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/log.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/train/data_space.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;

namespace {

// Flags that override the config file; unset optionals keep the file's (or the default) value.
struct TrainFlags {
  SpaceFlags space;
  std::string arch = "max";
  std::string config_file;
  std::string out;
  std::string init_from;
  bool resume = false;
  bool json = false;
  std::optional<int64_t> epochs, batch_size, threads, n_sub, warmup_epochs, checkpoint_every;
  std::optional<double> lr, weight_decay, label_smoothing;
  std::optional<uint64_t> seed;
  std::optional<std::string> device, lr_schedule;
  DataFlags data;
  std::optional<bool> augment, sync_bn;
};

space::SearchSpace space_for_data(const SpaceFlags& flags, const data::Splits& splits) {
  const data::Dataset& d = splits.train;
  auto check = [](const std::optional<int>& flag, int64_t actual, const char* name) {
    SNAS_CHECK(!flag || *flag == actual, "--", name, " is ", *flag, " but the dataset has ", actual,
               " (leave it out to take it from the data)");
  };
  check(flags.in_channels, d.channels(), "in-channels");
  check(flags.num_classes, d.num_classes(), "classes");
  check(flags.resolution, d.height(), "resolution");
  return space::SearchSpace::from_name(flags.space, train::space_options_for(d, flags.width_mult, "use --image-size"));
}

void run_train(const TrainFlags& f) {
  // Config file first, then flags (flags win).
  train::TrainConfig config;
  data::DataConfig data_config;
  nlohmann::json file;
  if (!f.config_file.empty()) {
    file = read_json_file(f.config_file);
    SNAS_CHECK(file.is_object(), "config file ", f.config_file, " must hold a JSON object");
    for (const auto& item : file.items()) {
      SNAS_CHECK(item.key() == "train" || item.key() == "data", "unknown key \"", item.key(), "\" in ",
                 f.config_file, " (valid keys: train, data)");
    }
    if (file.contains("train")) train::from_json(file["train"], config);
    if (file.contains("data")) data::from_json(file["data"], data_config);
  }
  apply(f.epochs, config.epochs);
  apply(f.batch_size, config.batch_size);
  apply(f.threads, config.threads);
  apply(f.n_sub, config.n_sub);
  apply(f.warmup_epochs, config.warmup_epochs);
  apply(f.checkpoint_every, config.checkpoint_every);
  apply(f.lr, config.lr);
  apply(f.weight_decay, config.weight_decay);
  apply(f.label_smoothing, config.label_smoothing);
  apply(f.seed, config.seed);
  apply(f.device, config.device);
  apply(f.lr_schedule, config.lr_schedule);
  f.data.apply_to(data_config);
  apply(f.augment, data_config.augment);
  apply(f.sync_bn, config.sync_bn);
  const bool val_size_given = f.data.val_size || (file.contains("data") && file["data"].contains("val_size"));
  data::resolve_data_config(data_config, val_size_given);
  config.validate();
  data_config.validate();
  dist::init();  // several ranks (torchrun): rank 0 alone writes --out and prints
  const bool writer = dist::is_main();

  const fs::path out = f.out.empty() ? fs::path("runs") / ("train-" + timestamp()) : fs::path(f.out);
  const fs::path checkpoint = out / "checkpoint.pt";
  if (fs::exists(checkpoint) && !f.resume) {
    SNAS_FAIL("--out ", out, " already holds a checkpoint: pass --resume to continue it, or choose another --out");
  }
  SNAS_CHECK(!f.resume || fs::exists(checkpoint), "--resume: no checkpoint at ", checkpoint);
  SNAS_CHECK(f.init_from.empty() || fs::is_regular_file(f.init_from), "--init-from: no checkpoint file at \"",
             f.init_from, "\"");

  const data::Splits splits = data::load_splits(data_config);
  const space::SearchSpace space = space_for_data(f.space, splits);
  const space::Arch arch = space.resolve(f.arch);
  SNAS_LOG(INFO) << "network " << arch.to_string() << ": " << space.macs(arch) / 1e6 << "M MACs, "
                 << space.params(arch) / 1e6 << "M params";

  nlohmann::json run_config = {{"command", "train"},
                               {"space", space::to_json(space.spec())},
                               {"arch", space::to_json(arch)},
                               {"train", config},
                               {"data", data_config}};
  if (!f.init_from.empty()) run_config["init_from"] = f.init_from;
  if (writer) {
    fs::create_directories(out);
    write_json_file(out / "config.json", run_config);
  }

  torch::manual_seed(config.seed);  // reproducible initial weights and dropout masks
  nn::Supernet net(space);
  if (!f.init_from.empty() && !f.resume) {
    // Weights and BN statistics only: the optimizer, schedule and progress start afresh.
    train::load_checkpoint(f.init_from, *net, nullptr, /*restore_rng=*/false);
    SNAS_LOG(INFO) << "initialised from " << f.init_from;
  }
  train::FixedSampler sampler(arch);
  train::TrainSetup setup;
  setup.val_archs = {arch};
  setup.checkpoint = checkpoint;
  setup.resume = f.resume;
  setup.augment = data_config.augment;
  train::TrainResult result;
  {
    const StopOnInterrupt stop_on_ctrl_c;
    result = train::train(config, *net, sampler, splits, setup);
  }
  if (!writer) {
    if (result.interrupted) throw Error("training interrupted");
    return;  // the test evaluation and the result files are rank 0's
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& e : result.state.history) history.push_back(e);
  write_json_file(out / "history.json", history);
  if (result.interrupted) {
    SNAS_LOG(WARN) << "interrupted: the checkpoint in " << out.string()
                   << " is up to date; rerun the same command with --resume to continue";
    throw Error("training interrupted");
  }

  const torch::Device device = train::training_device(config);
  const auto test = train::evaluate(*net, arch, splits.test, config.eval_batch, splits.mean, splits.std, device);
  nlohmann::json summary = {{"arch", space::to_json(arch)},
                            {"macs", space.macs(arch)},
                            {"params", space.params(arch)},
                            {"epochs", config.epochs},
                            {"test", eval_json(test)},
                            {"train_seconds", result.state.counters.train_seconds},
                            {"wall_seconds", result.state.counters.wall_seconds},
                            {"images_seen", result.state.counters.images_seen},
                            {"checkpoint", checkpoint.string()}};
  if (!splits.val.images.defined() || splits.val.size() == 0) {
    summary["val"] = nullptr;
  } else {
    summary["val"] = eval_json(train::evaluate(*net, arch, splits.val, config.eval_batch, splits.mean,
                                               splits.std, device));
  }
  write_json_file(out / "result.json", summary);
  SNAS_LOG(INFO) << "test top-1 " << test.top1 * 100 << "% on " << test.images << " images; results in "
                 << (out / "result.json").string();
  if (f.json) {
    std::cout << summary.dump(2) << std::endl;
  } else {
    std::cout << "test_top1 " << test.top1 << "\nrun " << out.string() << "\n";
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto [cmd, f] = add_command<TrainFlags>(app, "train", "Train one network (e.g. the largest: the teacher)", run_train);
  add_space_flags(*cmd, f->space);
  cmd->add_option("--arch", f->arch, "architecture: JSON, max or min")->capture_default_str();
  auto train_help = [](const char* key) { return field_help<train::TrainConfig>(key); };
  cmd->add_option("--epochs", f->epochs, train_help("epochs"));
  cmd->add_option("--config", f->config_file, "JSON file {\"train\": {...}, \"data\": {...}}; flags override it");
  cmd->add_option("--out", f->out, "run directory (default runs/train-<timestamp>)");
  cmd->add_flag("--resume", f->resume, "continue the checkpoint in --out exactly where it stopped");
  cmd->add_option("--init-from", f->init_from,
                  "start from the weights of this checkpoint (same space), with a fresh optimizer and schedule");
  cmd->add_option("--batch-size", f->batch_size, train_help("batch_size"));
  cmd->add_option("--lr", f->lr, train_help("lr"));
  cmd->add_option("--lr-schedule", f->lr_schedule, train_help("lr_schedule"));
  cmd->add_option("--warmup-epochs", f->warmup_epochs, train_help("warmup_epochs"));
  cmd->add_option("--weight-decay", f->weight_decay, train_help("weight_decay"));
  cmd->add_option("--label-smoothing", f->label_smoothing, train_help("label_smoothing"));
  cmd->add_option("--n-sub", f->n_sub, train_help("n_sub"));
  cmd->add_option("--seed", f->seed, train_help("seed"));
  cmd->add_option("--threads", f->threads, train_help("threads"));
  cmd->add_option("--device", f->device, train_help("device"));
  cmd->add_option("--checkpoint-every", f->checkpoint_every, train_help("checkpoint_every"));
  cmd->add_option("--augment", f->augment, field_help<data::DataConfig>("augment"));
  cmd->add_option("--sync-bn", f->sync_bn, train_help("sync_bn"));
  add_json_flag(*cmd, f->json);
  add_data_flags(*cmd, f->data);
}

}  // namespace sparsenas::cli
