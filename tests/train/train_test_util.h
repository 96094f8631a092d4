#pragma once
// Helpers for the train tests: a tiny search space and a tiny synthetic, separable dataset.

#include <torch/torch.h>

#include <string>
#include <vector>

#include "sparsenas/data/data_config.h"
#include "sparsenas/data/dataset.h"
#include "sparsenas/space/search_space.h"
#include "sparsenas/train/train_config.h"

namespace sparsenas::train::test {

/// 16x16 grey images, 2 classes; one elastic stage: depth {1, 2}, kernel {3, 5}, expand {2, 3}.
/// 8 networks in all, a forward/backward of a batch of 16 takes about a millisecond.
inline space::SpaceSpec tiny_spec(double dropout = 0.1) {
  space::SpaceSpec spec;
  spec.name = "tiny";
  spec.head = "mbv3";
  spec.in_channels = 1;
  spec.num_classes = 2;
  spec.resolution = 16;
  spec.stem_width = 8;
  spec.first_block_width = 8;
  space::StageSpec stage;
  stage.width = 16;
  stage.stride = 2;
  stage.act = space::Activation::kHSwish;
  stage.se = true;
  stage.depths = {1, 2};
  stage.kernels = {3, 5};
  stage.expands = {2, 3};
  spec.stages = {stage};
  spec.final_expand_width = 32;
  spec.feature_mix_width = 32;
  spec.dropout = dropout;
  return spec;
}

inline space::SearchSpace tiny_space(double dropout = 0.1) {
  return space::SearchSpace(tiny_spec(dropout));
}

/// `n` images of class i % 2: class 0 is bright in the top half, class 1 in the bottom half, with
/// uniform noise; a deterministic function of (n, seed). (Top/bottom, not left/right: the
/// training augmentation flips horizontally.)
inline data::Dataset separable_dataset(int64_t n, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  torch::Tensor noise = torch::rand({n, 1, 16, 16}, gen) * 80.0;
  torch::Tensor labels = torch::arange(n, torch::kLong).remainder(2);
  torch::Tensor images = noise.clone();
  auto top = images.narrow(2, 0, 8), bottom = images.narrow(2, 8, 8);
  const torch::Tensor is0 = (labels == 0).view({n, 1, 1, 1}).to(torch::kFloat);
  top.add_(is0 * 150.0);
  bottom.add_((1 - is0) * 150.0);
  data::Dataset dataset;
  dataset.images = images.clamp(0, 255).to(torch::kUInt8).contiguous();
  dataset.labels = labels;
  dataset.class_names = {"top", "bottom"};
  return dataset;
}

inline data::Splits separable_splits(int64_t train = 64, int64_t val = 32) {
  data::Splits splits;
  splits.train = separable_dataset(train, 1);
  splits.val = separable_dataset(val, 2);
  splits.test = separable_dataset(val, 3);
  splits.mean = {0.3f};
  splits.std = {0.3f};
  return splits;
}

/// A fast, single-threaded configuration for the tiny problem.
inline TrainConfig tiny_config() {
  TrainConfig config;
  config.epochs = 2;
  config.batch_size = 16;
  config.lr = 0.05;
  config.threads = 1;
  config.checkpoint_every = 3;
  config.bn_recal_images = 32;
  config.bn_recal_batch = 16;
  config.eval_batch = 32;
  return config;
}

}  // namespace sparsenas::train::test
