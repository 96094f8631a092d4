#include "sparsenas/train/train_config.h"

#include <torch/cuda.h>  // for is_available, device_count (a light header, no ATen)

#include <algorithm>
#include <cmath>
#include <thread>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/core/error.h"

namespace sparsenas::train {
namespace {

using json = nlohmann::json;

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
  config_fields::validate_fields(*this, kName);
  SNAS_CHECK(!nesterov || momentum > 0,
             "TrainConfig.momentum must be > 0 when nesterov is true, got ", momentum);
  SNAS_CHECK(warmup_epochs >= 0 && warmup_epochs < epochs,
             "TrainConfig.warmup_epochs must be in [0, epochs - 1] = [0, ", epochs - 1, "], got ",
             warmup_epochs);
  SNAS_CHECK(warmup_lr >= 0 && warmup_lr <= lr, "TrainConfig.warmup_lr must be in [0, lr] = [0, ",
             lr, "], got ", warmup_lr);
  if (lr_schedule == "step2" || lr_schedule == "step2_cosine") {
    SNAS_CHECK(step_epochs >= 0 && step_epochs <= epochs - warmup_epochs,
               "TrainConfig.step_epochs must be in [0, epochs - warmup_epochs] = [0, ",
               epochs - warmup_epochs, "], got ", step_epochs);
    SNAS_CHECK(step_lr > 0 && std::isfinite(step_lr), "TrainConfig.step_lr must be > 0, got ",
               step_lr);
  }
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
}

void to_json(json& j, const TrainConfig& c) { j = config_fields::to_json(c); }

void from_json(const json& j, TrainConfig& c) { config_fields::read(j, c, TrainConfig::kName); }

int64_t resolved_threads(int64_t threads) {
  if (threads > 0) return threads;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int64_t>(cores);
}

int64_t resolved_threads(const TrainConfig& config) { return resolved_threads(config.threads); }

}  // namespace sparsenas::train
