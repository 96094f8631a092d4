#include "sparsenas/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>  // for at::detail::getDefaultCPUGenerator
#include <ATen/Context.h>           // for the CUDA default generator
#include <torch/serialize/archive.h>

#include <cmath>
#include <mutex>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kFormat = "sparsenas-checkpoint";
constexpr int kVersion = 1;

template <typename T>
void read_key(const json& j, const char* key, T& value) {
  const auto it = j.find(key);
  SNAS_CHECK(it != j.end(), "missing key '", key, "'");
  value = it->get<T>();
}

torch::Device device_of(const torch::nn::Module& module) {
  for (const auto& p : module.parameters()) return p.device();
  for (const auto& b : module.buffers()) return b.device();
  return torch::kCPU;
}

torch::Tensor generator_state(at::Generator generator) {  // a handle: copies share the state
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(at::Generator generator, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state.to(torch::kCPU));
}

torch::serialize::InputArchive open_archive(const fs::path& path, torch::Device device) {
  SNAS_CHECK(fs::is_regular_file(path), "checkpoint ", path, " does not exist or is not a file");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string(), device);
  } catch (const std::exception& e) {
    SNAS_FAIL("checkpoint ", path,
              " cannot be read (truncated, corrupt or not a checkpoint): ", e.what());
  }
  return archive;
}

CheckpointMeta parse_meta(torch::serialize::InputArchive& archive, const fs::path& path) {
  c10::IValue value;
  SNAS_CHECK(archive.try_read("meta", value) && value.isString(), "checkpoint ", path,
             " is not a sparsenas checkpoint (no 'meta' entry)");
  CheckpointMeta meta;
  try {
    const json j = json::parse(value.toStringRef());
    SNAS_CHECK(j.value("format", "") == kFormat, "format must be \"", kFormat, "\", got ",
               j.value("format", json()).dump());
    SNAS_CHECK(j.value("version", 0) == kVersion, "version must be ", kVersion, ", got ",
               j.value("version", json()).dump());
    read_key(j, "state", meta.state);
    read_key(j, "config", meta.config);
    read_key(j, "space", meta.space);
    read_key(j, "sampler", meta.sampler);
  } catch (const std::exception& e) {
    SNAS_FAIL("checkpoint ", path, ": invalid metadata: ", e.what());
  }
  return meta;
}

json optional_to_json(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

void to_json(json& j, const TrainCounters& c) {
  j = json{{"optimizer_steps", c.optimizer_steps}, {"subnet_passes", c.subnet_passes},
           {"teacher_passes", c.teacher_passes},   {"images_seen", c.images_seen},
           {"train_seconds", c.train_seconds},     {"eval_seconds", c.eval_seconds},
           {"wall_seconds", c.wall_seconds}};
}

void from_json(const json& j, TrainCounters& c) {
  read_key(j, "optimizer_steps", c.optimizer_steps);
  read_key(j, "subnet_passes", c.subnet_passes);
  read_key(j, "teacher_passes", c.teacher_passes);
  read_key(j, "images_seen", c.images_seen);
  read_key(j, "train_seconds", c.train_seconds);
  read_key(j, "eval_seconds", c.eval_seconds);
  read_key(j, "wall_seconds", c.wall_seconds);
}

void to_json(json& j, const EpochSummary& s) {
  json val = json::array();
  for (const ArchEval& e : s.val) {
    val.push_back({{"arch", space::to_json(e.arch)},
                   {"top1", e.top1},
                   {"loss", e.loss},
                   {"recalibrated", e.recalibrated}});
  }
  j = json{{"epoch", s.epoch},
           {"train_loss", s.train_loss},
           {"train_top1", s.train_top1},
           {"lr", s.lr},
           {"val", val},
           {"val_top1", optional_to_json(s.val_top1)},
           {"seconds", s.seconds},
           {"images_per_second", s.images_per_second}};
}

void from_json(const json& j, EpochSummary& s) {
  read_key(j, "epoch", s.epoch);
  read_key(j, "train_loss", s.train_loss);
  read_key(j, "train_top1", s.train_top1);
  read_key(j, "lr", s.lr);
  s.val.clear();
  for (const json& e : j.at("val")) {
    ArchEval eval;
    eval.arch = space::arch_from_json(e.at("arch"));
    read_key(e, "top1", eval.top1);
    read_key(e, "loss", eval.loss);
    read_key(e, "recalibrated", eval.recalibrated);
    s.val.push_back(std::move(eval));
  }
  const json& v = j.at("val_top1");
  s.val_top1 = v.is_null() ? std::nullopt : std::optional<double>(v.get<double>());
  read_key(j, "seconds", s.seconds);
  read_key(j, "images_per_second", s.images_per_second);
}

void to_json(json& j, const TrainState& s) {
  j = json{{"epoch", s.epoch},
           {"step_in_epoch", s.step_in_epoch},
           {"global_step", s.global_step},
           {"best_val_top1", s.best_val_top1},
           {"best_epoch", s.best_epoch},
           {"counters", s.counters},
           {"epoch_loss_sum", s.epoch_loss_sum},
           {"epoch_images", s.epoch_images},
           {"epoch_correct", s.epoch_correct},
           {"epoch_predictions", s.epoch_predictions},
           {"epoch_seconds", s.epoch_seconds},
           {"last_lr", s.last_lr},
           {"history", s.history}};
}

void from_json(const json& j, TrainState& s) {
  read_key(j, "epoch", s.epoch);
  read_key(j, "step_in_epoch", s.step_in_epoch);
  read_key(j, "global_step", s.global_step);
  read_key(j, "best_val_top1", s.best_val_top1);
  read_key(j, "best_epoch", s.best_epoch);
  read_key(j, "counters", s.counters);
  read_key(j, "epoch_loss_sum", s.epoch_loss_sum);
  read_key(j, "epoch_images", s.epoch_images);
  read_key(j, "epoch_correct", s.epoch_correct);
  read_key(j, "epoch_predictions", s.epoch_predictions);
  read_key(j, "epoch_seconds", s.epoch_seconds);
  read_key(j, "last_lr", s.last_lr);
  read_key(j, "history", s.history);
}

void save_checkpoint(const fs::path& path, const nn::SupernetImpl& net,
                     const torch::optim::Optimizer* optimizer, const CheckpointMeta& meta) {
  json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["state"] = meta.state;
  j["config"] = meta.config;
  j["space"] = space::to_json(net.space().spec());
  j["sampler"] = meta.sampler;

  torch::serialize::OutputArchive archive;
  archive.write("meta", c10::IValue(j.dump()));
  torch::serialize::OutputArchive model(archive.compilation_unit());
  net.save(model);
  archive.write("model", model);
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive optim(archive.compilation_unit());
    optimizer->save(optim);
    archive.write("optimizer", optim);
  }
  // Dropout draws from LibTorch's default generator; its state makes the resumed run identical.
  archive.write("rng/cpu", generator_state(at::detail::getDefaultCPUGenerator()),
                /*is_buffer=*/true);
  const torch::Device device = device_of(net);
  if (device.is_cuda()) {
    archive.write("rng/cuda", generator_state(at::globalContext().defaultGenerator(device)),
                  /*is_buffer=*/true);
  }
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  write_atomic_with(path, [&](const fs::path& tmp) { archive.save_to(tmp.string()); });
}

CheckpointMeta load_checkpoint(const fs::path& path, nn::SupernetImpl& net,
                               torch::optim::Optimizer* optimizer, bool restore_rng) {
  const torch::Device device = device_of(net);
  torch::serialize::InputArchive archive = open_archive(path, device);
  CheckpointMeta meta = parse_meta(archive, path);
  const json space_here = space::to_json(net.space().spec());
  SNAS_CHECK(meta.space == space_here, "checkpoint ", path,
             " was written for another search space: checkpoint space ", meta.space.dump(),
             ", this supernet's space ", space_here.dump());
  try {
    torch::serialize::InputArchive model;
    archive.read("model", model);
    net.load(model);
  } catch (const std::exception& e) {
    SNAS_FAIL("checkpoint ", path, ": weights do not match the supernet: ", e.what());
  }
  if (optimizer != nullptr) {
    torch::serialize::InputArchive optim;
    SNAS_CHECK(archive.try_read("optimizer", optim), "checkpoint ", path,
               " holds no optimizer state (it was saved without one)");
    try {
      optimizer->load(optim);
    } catch (const std::exception& e) {
      SNAS_FAIL("checkpoint ", path, ": optimizer state does not match the optimizer: ", e.what());
    }
  }
  if (restore_rng) {
    torch::Tensor cpu_state;
    SNAS_CHECK(archive.try_read("rng/cpu", cpu_state, /*is_buffer=*/true), "checkpoint ", path,
               " holds no generator state ('rng/cpu')");
    set_generator_state(at::detail::getDefaultCPUGenerator(), cpu_state);
    torch::Tensor cuda_state;
    if (device.is_cuda() && archive.try_read("rng/cuda", cuda_state, /*is_buffer=*/true)) {
      set_generator_state(at::globalContext().defaultGenerator(device), cuda_state);
    }
  }
  return meta;
}

CheckpointMeta read_checkpoint_meta(const fs::path& path) {
  torch::serialize::InputArchive archive = open_archive(path, torch::kCPU);
  return parse_meta(archive, path);
}

}  // namespace sparsenas::train
