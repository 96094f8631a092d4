#include "sparsenas/train/train_config.h"

#include <torch/cuda.h>  // for is_available, device_count (a light header, no ATen)

#include <algorithm>
#include <array>
#include <cmath>
#include <thread>

#include "sparsenas/core/error.h"

namespace sparsenas::train {
namespace {

using json = nlohmann::json;

// clang-format off
constexpr std::array<const char*, 24> kKeys = {
    "epochs",         "batch_size",       "lr",              "momentum",         "nesterov",
    "weight_decay",   "no_decay_bn_bias", "warmup_epochs",   "warmup_lr",        "lr_schedule",
    "step_epochs",    "step_lr",          "label_smoothing", "n_sub",            "kd_ratio",
    "seed",           "threads",          "device",          "checkpoint_every", "bn_recal_images",
    "bn_recal_batch", "eval_batch",       "grad_clip",       "channels_last"};
// clang-format on

std::string valid_keys() {
  std::string out;
  for (size_t i = 0; i < kKeys.size(); ++i) {
    if (i > 0) out += ", ";
    out += kKeys[i];
  }
  return out;
}

template <typename T>
void read_field(const json& j, const char* key, T& value) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  try {
    value = it->get<T>();
  } catch (const json::exception& e) {
    SNAS_FAIL("TrainConfig.", key, ": wrong type (", it->type_name(), "): ", e.what());
  }
}

// Integers must stay integers: nlohmann would silently truncate 2.5 to 2.
template <>
void read_field<int64_t>(const json& j, const char* key, int64_t& value) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  SNAS_CHECK(it->is_number_integer(), "TrainConfig.", key, " must be an integer, got ", it->dump());
  value = it->get<int64_t>();
}

template <>
void read_field<uint64_t>(const json& j, const char* key, uint64_t& value) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  SNAS_CHECK(it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0),
             "TrainConfig.", key, " must be a non-negative integer, got ", it->dump());
  value = it->get<uint64_t>();
}

/// Parses "cuda" / "cuda:N"; returns -1 for "cuda" (the current device), the index otherwise.
bool parse_cuda_index(const std::string& device, int64_t& index) {
  if (device == "cuda") {
    index = -1;
    return true;
  }
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5) return false;
  const std::string digits = device.substr(5);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      digits.size() > 4) {
    return false;
  }
  index = std::stoll(digits);
  return true;
}

}  // namespace

void TrainConfig::validate() const {
  SNAS_CHECK(epochs >= 1, "TrainConfig.epochs must be >= 1, got ", epochs);
  SNAS_CHECK(batch_size >= 1, "TrainConfig.batch_size must be >= 1, got ", batch_size);
  SNAS_CHECK(std::isfinite(lr) && lr > 0, "TrainConfig.lr must be > 0, got ", lr);
  SNAS_CHECK(momentum >= 0 && momentum < 1, "TrainConfig.momentum must be in [0, 1), got ",
             momentum);
  SNAS_CHECK(!nesterov || momentum > 0,
             "TrainConfig.momentum must be > 0 when nesterov is true, got ", momentum);
  SNAS_CHECK(weight_decay >= 0 && std::isfinite(weight_decay),
             "TrainConfig.weight_decay must be >= 0, got ", weight_decay);
  SNAS_CHECK(warmup_epochs >= 0 && warmup_epochs < epochs,
             "TrainConfig.warmup_epochs must be in [0, epochs - 1] = [0, ", epochs - 1, "], got ",
             warmup_epochs);
  SNAS_CHECK(warmup_lr >= 0 && warmup_lr <= lr, "TrainConfig.warmup_lr must be in [0, lr] = [0, ",
             lr, "], got ", warmup_lr);
  SNAS_CHECK(lr_schedule == "cosine" || lr_schedule == "step2" || lr_schedule == "step2_cosine",
             "TrainConfig.lr_schedule must be \"cosine\", \"step2\" or \"step2_cosine\", got \"", lr_schedule,
             "\"");
  if (lr_schedule == "step2" || lr_schedule == "step2_cosine") {
    SNAS_CHECK(step_epochs >= 0 && step_epochs <= epochs - warmup_epochs,
               "TrainConfig.step_epochs must be in [0, epochs - warmup_epochs] = [0, ",
               epochs - warmup_epochs, "], got ", step_epochs);
    SNAS_CHECK(step_lr > 0 && std::isfinite(step_lr), "TrainConfig.step_lr must be > 0, got ",
               step_lr);
  }
  SNAS_CHECK(label_smoothing >= 0 && label_smoothing < 1,
             "TrainConfig.label_smoothing must be in [0, 1), got ", label_smoothing);
  SNAS_CHECK(n_sub >= 1 && n_sub <= 1000, "TrainConfig.n_sub must be in [1, 1000], got ", n_sub);
  SNAS_CHECK(kd_ratio >= 0 && std::isfinite(kd_ratio), "TrainConfig.kd_ratio must be >= 0, got ",
             kd_ratio);
  SNAS_CHECK(threads >= 0 && threads <= 4096, "TrainConfig.threads must be in [0, 4096], got ",
             threads);
  if (device != "cpu") {
    int64_t index = 0;
    SNAS_CHECK(parse_cuda_index(device, index),
               "TrainConfig.device must be \"cpu\", \"cuda\" or \"cuda:N\", got \"", device, "\"");
    SNAS_CHECK(torch::cuda::is_available(), "TrainConfig.device is \"", device,
               "\" but CUDA is not available (this LibTorch has no CUDA or no GPU is visible); "
               "use \"cpu\"");
    SNAS_CHECK(index < static_cast<int64_t>(torch::cuda::device_count()), "TrainConfig.device \"",
               device, "\": index must be < ", torch::cuda::device_count(),
               " (visible CUDA devices), got ", index);
  }
  SNAS_CHECK(checkpoint_every >= 0, "TrainConfig.checkpoint_every must be >= 0, got ",
             checkpoint_every);
  SNAS_CHECK(bn_recal_images >= 1, "TrainConfig.bn_recal_images must be >= 1, got ",
             bn_recal_images);
  SNAS_CHECK(bn_recal_batch >= 1, "TrainConfig.bn_recal_batch must be >= 1, got ", bn_recal_batch);
  SNAS_CHECK(eval_batch >= 1, "TrainConfig.eval_batch must be >= 1, got ", eval_batch);
  SNAS_CHECK(grad_clip >= 0 && std::isfinite(grad_clip), "TrainConfig.grad_clip must be >= 0, got ",
             grad_clip);
}

void to_json(json& j, const TrainConfig& c) {
  j = json::object();
  j["epochs"] = c.epochs;
  j["batch_size"] = c.batch_size;
  j["lr"] = c.lr;
  j["momentum"] = c.momentum;
  j["nesterov"] = c.nesterov;
  j["weight_decay"] = c.weight_decay;
  j["no_decay_bn_bias"] = c.no_decay_bn_bias;
  j["warmup_epochs"] = c.warmup_epochs;
  j["warmup_lr"] = c.warmup_lr;
  j["lr_schedule"] = c.lr_schedule;
  j["step_epochs"] = c.step_epochs;
  j["step_lr"] = c.step_lr;
  j["label_smoothing"] = c.label_smoothing;
  j["n_sub"] = c.n_sub;
  j["kd_ratio"] = c.kd_ratio;
  j["seed"] = c.seed;
  j["threads"] = c.threads;
  j["device"] = c.device;
  j["checkpoint_every"] = c.checkpoint_every;
  j["bn_recal_images"] = c.bn_recal_images;
  j["bn_recal_batch"] = c.bn_recal_batch;
  j["eval_batch"] = c.eval_batch;
  j["grad_clip"] = c.grad_clip;
  j["channels_last"] = c.channels_last;
}

void from_json(const json& j, TrainConfig& c) {
  SNAS_CHECK(j.is_object(), "TrainConfig must be a JSON object, got ", j.type_name());
  for (const auto& item : j.items()) {
    SNAS_CHECK(std::find_if(kKeys.begin(), kKeys.end(),
                            [&](const char* key) { return item.key() == key; }) != kKeys.end(),
               "TrainConfig: unknown key '", item.key(), "'; valid keys: ", valid_keys());
  }
  read_field(j, "epochs", c.epochs);
  read_field(j, "batch_size", c.batch_size);
  read_field(j, "lr", c.lr);
  read_field(j, "momentum", c.momentum);
  read_field(j, "nesterov", c.nesterov);
  read_field(j, "weight_decay", c.weight_decay);
  read_field(j, "no_decay_bn_bias", c.no_decay_bn_bias);
  read_field(j, "warmup_epochs", c.warmup_epochs);
  read_field(j, "warmup_lr", c.warmup_lr);
  read_field(j, "lr_schedule", c.lr_schedule);
  read_field(j, "step_epochs", c.step_epochs);
  read_field(j, "step_lr", c.step_lr);
  read_field(j, "label_smoothing", c.label_smoothing);
  read_field(j, "n_sub", c.n_sub);
  read_field(j, "kd_ratio", c.kd_ratio);
  read_field(j, "seed", c.seed);
  read_field(j, "threads", c.threads);
  read_field(j, "device", c.device);
  read_field(j, "checkpoint_every", c.checkpoint_every);
  read_field(j, "bn_recal_images", c.bn_recal_images);
  read_field(j, "bn_recal_batch", c.bn_recal_batch);
  read_field(j, "eval_batch", c.eval_batch);
  read_field(j, "grad_clip", c.grad_clip);
  read_field(j, "channels_last", c.channels_last);
}

int64_t resolved_threads(const TrainConfig& config) {
  if (config.threads > 0) return config.threads;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int64_t>(cores);
}

}  // namespace sparsenas::train
