#pragma once
// What every stage body of `sparsenas run` shares (internal to the pipeline library): the
// resolved config, the run directory, the data and the space (loaded once, on first use), the
// device, and the supernet helpers. The stage bodies are free functions over it, grouped by kind
// in training_stages.cpp, evaluation_stages.cpp and search_stages.cpp (declared in stages.h).

#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <string>

#include "sparsenas/data/data_config.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

class RunContext {
 public:
  RunContext(const RunConfig& config, std::filesystem::path dir) : config_(config), dir_(std::move(dir)) {}

  const RunConfig& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& relative) const { return dir_ / relative; }
  torch::Device device() const { return torch::Device(config_.device); }
  /// Intra-op threads of the stages that do not train (the run's `threads`, 0 = all cores).
  int threads() const;

  const data::Splits& splits();
  /// The space options the data imply: channels, classes, resolution (square images only).
  space::SpaceOptions space_options();
  const space::SearchSpace& space();

  /// A supernet of the run's space with the method's kernel transform.
  nn::Supernet make_supernet();
  /// A supernet loaded from `checkpoint`, on the device, in the training memory format, in eval mode.
  nn::Supernet load_supernet(const std::filesystem::path& checkpoint);
  /// The teacher for a training section: none when its kd_ratio is 0.
  std::optional<train::Teacher> load_teacher(const train::TrainConfig& section);
  /// The sparse space's grid: sparse_space's range, split into num_intervals when set (MACs, or
  /// microseconds of predicted latency with sparse_space.constraint "latency").
  search::SparseSpaceConfig grid_config();
  /// sparse_space.constraint "latency": the table sparse_space.latency_table compiled for the
  /// space (read and checked on first use); nullptr with "macs".
  const search::LatencyPredictor* latency();

  /// Throws Interrupted when a stop was requested ("interrupted during <where>; rerun ...").
  void check_stop(const std::string& where) const;

 private:
  const RunConfig& config_;
  std::filesystem::path dir_;
  std::optional<data::Splits> splits_;
  std::optional<space::SearchSpace> space_;
  std::optional<search::LatencyPredictor> latency_;
};

}  // namespace sparsenas::pipeline
