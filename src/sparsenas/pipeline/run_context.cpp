#include "sparsenas/pipeline/run_context.h"

#include <algorithm>

#include "sparsenas/core/error.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/data_space.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;

int RunContext::threads() const { return static_cast<int>(train::resolved_threads(config_.threads)); }

const data::Splits& RunContext::splits() {
  if (!splits_) splits_ = data::load_splits(config_.data);
  return *splits_;
}

space::SpaceOptions RunContext::space_options() {
  return train::space_options_for(splits().train, config_.width_mult, "set data.image_size");
}

const space::SearchSpace& RunContext::space() {
  if (!space_) space_ = space::SearchSpace::from_name(config_.space, space_options());
  return *space_;
}

nn::Supernet RunContext::make_supernet() {
  return nn::Supernet(space(), nn::SupernetOptions{kernel_transform(config_)});
}

nn::Supernet RunContext::load_supernet(const fs::path& checkpoint) {
  nn::Supernet net = make_supernet();
  train::load_checkpoint(checkpoint, *net, nullptr, /*restore_rng=*/false);
  net->to(device());
  if (config_.supernet.channels_last) nn::to_channels_last(*net);
  net->eval();
  return net;
}

std::optional<train::Teacher> RunContext::load_teacher(const train::TrainConfig& section) {
  if (section.kd_ratio <= 0) return std::nullopt;
  nn::Supernet teacher_net = make_supernet();
  train::load_checkpoint(path(rundir::kTeacher), *teacher_net, nullptr, /*restore_rng=*/false);
  return train::make_teacher(teacher_net, space().max_arch());
}

search::SparseSpaceConfig RunContext::grid_config() {
  search::SparseSpaceConfig cfg = config_.sparse_space;
  if (config_.sparse_space_stage.num_intervals > 0) {
    cfg = search::resolved_config(cfg, space(), latency());
    const int64_t n = config_.sparse_space_stage.num_intervals;
    cfg.interval = std::max<int64_t>(1, (cfg.max_macs - cfg.min_macs + n - 1) / n);
  }
  return cfg;
}

const search::LatencyPredictor* RunContext::latency() {
  const search::SparseSpaceConfig& c = config_.sparse_space;
  if (!c.latency()) return nullptr;
  if (!latency_) {
    search::LatencyTable table;
    try {
      table = search::read_latency_table(c.latency_table);
    } catch (const Error& e) {
      SNAS_FAIL("sparse_space.latency_table: ", e.what());
    }
    latency_.emplace(std::move(table), space(), "sparse_space.latency_table " + c.latency_table);
  }
  return &*latency_;
}

void RunContext::check_stop(const std::string& where) const {
  if (train::stop_requested()) {
    throw Interrupted("interrupted during " + where + "; rerun the same command to continue");
  }
}

}  // namespace sparsenas::pipeline
