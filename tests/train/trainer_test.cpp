// Unit tests for trainer.h and checkpoint.h: learning, summed sub-network gradients, KD,
// validation, checkpoints and bit-exact resume on a tiny space and a tiny synthetic dataset.
#include "sparsenas/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/train/losses.h"
#include "sparsenas/train/optimizer.h"
#include "support/error_of.h"
#include "support/seeded_test.h"
#include "support/temp_dir.h"
#include "train/train_test_util.h"

namespace sparsenas::train {
namespace {

namespace fs = std::filesystem;

class TrainerTest : public sparsenas::test::SeededTest {
 protected:
  void SetUp() override {
    SeededTest::SetUp();
    clear_stop_request();
    level_ = log_level();
    set_log_level(LogLevel::kWarn);  // no epoch lines in test output
  }
  void TearDown() override {
    clear_stop_request();
    set_log_level(level_);
  }
  LogLevel level_ = LogLevel::kInfo;
};

using sparsenas::test::error_of;

/// Every parameter and buffer of `a` equals `b`'s bit for bit.
void expect_same_state(torch::nn::Module& a, torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()]))
        << item.key() << " max diff " << (item.value() - pb[item.key()]).abs().max().item<double>();
  }
  const auto ba = a.named_buffers(), bb = b.named_buffers();
  ASSERT_EQ(ba.size(), bb.size());
  for (const auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
}

TEST_F(TrainerTest, LossDecreasesOnASeparableProblem) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  const data::Splits splits = test::separable_splits(96, 32);
  TrainConfig config = test::tiny_config();
  config.epochs = 4;
  config.n_sub = 2;
  config.checkpoint_every = 0;
  const UniformSampler sampler(space);
  TrainSetup setup;
  setup.val_archs = {space.max_arch(), space.min_arch()};
  std::vector<EpochSummary> seen;
  setup.callbacks.on_epoch_end = [&](const EpochSummary& s) { seen.push_back(s); };
  int64_t steps = 0;
  setup.callbacks.on_step = [&](const StepInfo& info) {
    ++steps;
    EXPECT_EQ(info.archs.size(), 2u);
  };

  const TrainResult result = train(config, *net, sampler, splits, setup);
  EXPECT_FALSE(result.interrupted);
  ASSERT_EQ(result.state.history.size(), 4u);
  EXPECT_EQ(seen.size(), 4u);
  const auto& first = result.state.history.front();
  const auto& last = result.state.history.back();
  EXPECT_LT(last.train_loss, 0.7 * first.train_loss)
      << first.train_loss << " -> " << last.train_loss;
  ASSERT_TRUE(last.val_top1.has_value());
  EXPECT_GE(*last.val_top1, 0.9);
  EXPECT_EQ(last.val.size(), 2u);
  EXPECT_TRUE(last.val[0].recalibrated);
  EXPECT_EQ(result.state.epoch, 4);
  EXPECT_EQ(result.state.global_step, 4 * 6);
  EXPECT_EQ(steps, 24);
  const TrainCounters& c = result.state.counters;
  EXPECT_EQ(c.optimizer_steps, 24);
  EXPECT_EQ(c.subnet_passes, 48);
  EXPECT_EQ(c.images_seen, 24 * 16);
  EXPECT_EQ(c.teacher_passes, 0);
  EXPECT_GT(c.wall_seconds, 0.0);
  EXPECT_GE(c.wall_seconds, c.train_seconds + c.eval_seconds - 1e-6);
  EXPECT_GE(result.state.best_epoch, 0);
  EXPECT_TRUE(net->is_training());
}

TEST_F(TrainerTest, SubNetworkGradientsAreSummed) {
  // One step, plain SGD (no momentum, no decay): the update is -lr * (g1 + g2).
  const space::SearchSpace space = test::tiny_space(/*dropout=*/0.0);
  torch::manual_seed(3);
  nn::Supernet net(space);
  torch::manual_seed(3);
  nn::Supernet reference(space);
  const data::Splits splits = test::separable_splits(16, 0);
  TrainConfig config = test::tiny_config();
  config.epochs = 1;
  config.n_sub = 2;
  config.momentum = 0;
  config.nesterov = false;
  config.weight_decay = 0;
  config.lr = 0.5;
  config.channels_last = false;
  const UniformSampler sampler(space);
  TrainSetup setup;
  std::vector<space::Arch> archs;
  setup.callbacks.on_step = [&](const StepInfo& info) { archs = info.archs; };
  train(config, *net, sampler, splits, setup);
  ASSERT_EQ(archs.size(), 2u);

  // The same batch the trainer saw: epoch 0, batch 0 of the same loader.
  data::BatchLoader loader(splits.train, 16, true, true, true, splits.mean, splits.std,
                           config.seed);
  loader.start_epoch(0);
  const data::Batch batch = loader.get(0);
  std::vector<std::vector<torch::Tensor>> grads;
  for (const space::Arch& arch : archs) {
    reference->zero_grad();
    reference->train();
    reference->set_active(arch);
    training_loss(reference->forward(batch.images), batch.labels, {}, config.label_smoothing, 0)
        .backward();
    std::vector<torch::Tensor> g;
    for (const auto& p : reference->parameters()) {
      g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    }
    grads.push_back(std::move(g));
  }
  const auto trained = net->parameters();
  const auto initial = reference->parameters();
  ASSERT_EQ(trained.size(), initial.size());
  bool any_moved = false;
  for (size_t i = 0; i < trained.size(); ++i) {
    const torch::Tensor expected = initial[i] - config.lr * (grads[0][i] + grads[1][i]);
    EXPECT_TRUE(torch::allclose(trained[i], expected, 1e-4, 1e-6)) << "parameter " << i;
    any_moved = any_moved || !torch::equal(trained[i], initial[i]);
  }
  EXPECT_TRUE(any_moved);
}

// Trains the deep network at the first step only, then always the shallow one: the second block
// has a (zeroed) gradient after step 1 and is never used again.
class DeepThenShallowSampler : public ArchSampler {
 public:
  explicit DeepThenShallowSampler(const space::SearchSpace& space) : deep_(space.max_arch()), shallow_(space.min_arch()) {}
  space::Arch sample(uint64_t, int64_t epoch, int64_t step, int) const override {
    return epoch == 0 && step == 0 ? deep_ : shallow_;
  }
  std::string describe() const override { return "deep, then shallow"; }

 private:
  space::Arch deep_, shallow_;
};

// LibTorch 1.13's zero_grad() keeps gradients defined (as zeros), so SGD keeps applying momentum
// and weight decay to a parameter that a step does not use. A resumed run in a fresh network must
// do the same (train/optimizer.h: restore_zeroed_gradients), or the unused block drifts apart.
TEST_F(TrainerTest, ResumeKeepsUpdatingParametersThatLaterStepsDoNotUse) {
  const space::SearchSpace space = test::tiny_space(/*dropout=*/0.0);
  const data::Splits splits = test::separable_splits(64, 16);
  TrainConfig config = test::tiny_config();
  config.checkpoint_every = 0;
  const DeepThenShallowSampler sampler(space);
  sparsenas::test::TempDir dir;

  torch::manual_seed(5);
  nn::Supernet straight(space);
  TrainSetup setup;
  setup.checkpoint = dir.path() / "straight.pt";
  train(config, *straight, sampler, splits, setup);

  torch::manual_seed(5);
  nn::Supernet first(space);
  setup.checkpoint = dir.path() / "stopped.pt";
  setup.callbacks.should_stop = [](const TrainState& s) { return s.global_step == 1; };
  ASSERT_TRUE(train(config, *first, sampler, splits, setup).interrupted);
  nn::Supernet second(space);
  setup.callbacks.should_stop = nullptr;
  setup.resume = true;
  train(config, *second, sampler, splits, setup);
  expect_same_state(*straight, *second);
}

TEST_F(TrainerTest, ResumeContinuesExactly) {
  const space::SearchSpace space = test::tiny_space(/*dropout=*/0.2);  // dropout draws the RNG
  const data::Splits splits = test::separable_splits(64, 16);
  TrainConfig config = test::tiny_config();  // 2 epochs x 4 steps, checkpoint every 3 steps
  config.n_sub = 2;
  config.warmup_epochs = 1;
  const UniformSampler sampler(space);
  sparsenas::test::TempDir dir;

  torch::manual_seed(11);
  nn::Supernet straight(space);
  TrainSetup setup;
  setup.val_archs = {space.max_arch()};
  setup.checkpoint = dir.path() / "straight.pt";
  const TrainResult a = train(config, *straight, sampler, splits, setup);
  const torch::Tensor next_a = torch::rand({4});

  // Stop in the first epoch, right after an epoch end, and in the middle of the second epoch
  // (just after a periodic checkpoint at step 3, and not on one).
  for (const int64_t stop_at : {1, 4, 5}) {
    SCOPED_TRACE("stopped after step " + std::to_string(stop_at));
    torch::manual_seed(11);
    nn::Supernet first(space);
    setup.checkpoint = dir.path() / ("resumed" + std::to_string(stop_at) + ".pt");
    setup.resume = false;
    setup.callbacks.should_stop = [stop_at](const TrainState& s) {
      return s.global_step == stop_at;
    };
    const TrainResult stopped = train(config, *first, sampler, splits, setup);
    EXPECT_TRUE(stopped.interrupted);
    EXPECT_EQ(stopped.state.global_step, stop_at);
    EXPECT_EQ(stopped.state.epoch, stop_at / 4);
    EXPECT_EQ(stopped.state.step_in_epoch, stop_at % 4);
    ASSERT_TRUE(fs::exists(setup.checkpoint));

    torch::manual_seed(99);  // another initialisation and RNG: everything must come from the file
    nn::Supernet second(space);
    torch::randn({1000});
    setup.callbacks.should_stop = nullptr;
    setup.resume = true;
    const TrainResult b = train(config, *second, sampler, splits, setup);
    EXPECT_FALSE(b.interrupted);
    // The next torch random numbers agree too (generator state restored and advanced alike).
    EXPECT_TRUE(torch::equal(torch::rand({4}), next_a));

    expect_same_state(*straight, *second);
    ASSERT_EQ(a.state.history.size(), b.state.history.size());
    for (size_t e = 0; e < a.state.history.size(); ++e) {
      EXPECT_EQ(a.state.history[e].train_loss, b.state.history[e].train_loss) << "epoch " << e;
      EXPECT_EQ(a.state.history[e].train_top1, b.state.history[e].train_top1) << "epoch " << e;
      EXPECT_EQ(a.state.history[e].lr, b.state.history[e].lr);
      EXPECT_EQ(a.state.history[e].val_top1, b.state.history[e].val_top1);
    }
    EXPECT_EQ(a.state.global_step, b.state.global_step);
    EXPECT_EQ(a.state.counters.subnet_passes, b.state.counters.subnet_passes);
    EXPECT_EQ(a.state.counters.images_seen, b.state.counters.images_seen);
  }
}

TEST_F(TrainerTest, ResumeContinuesExactlyCuda) {
  SNAS_SKIP_WITHOUT_CUDA();
  const space::SearchSpace space = test::tiny_space(/*dropout=*/0.2);
  const data::Splits splits = test::separable_splits(64, 16);
  TrainConfig config = test::tiny_config();
  config.device = "cuda";
  const UniformSampler sampler(space);
  sparsenas::test::TempDir dir;
  torch::manual_seed(11);
  nn::Supernet straight(space);
  TrainSetup setup;
  setup.val_archs = {space.max_arch()};
  setup.checkpoint = dir.path() / "straight.pt";
  train(config, *straight, sampler, splits, setup);
  EXPECT_TRUE(straight->stem_weight.is_cuda());

  torch::manual_seed(11);
  nn::Supernet first(space);
  setup.checkpoint = dir.path() / "resumed.pt";
  setup.callbacks.should_stop = [](const TrainState& s) { return s.global_step == 5; };
  EXPECT_TRUE(train(config, *first, sampler, splits, setup).interrupted);
  torch::manual_seed(99);
  nn::Supernet second(space);
  setup.callbacks.should_stop = nullptr;
  setup.resume = true;
  train(config, *second, sampler, splits, setup);
  // GPU kernels may be non-deterministic (atomics in backward): compare with a tolerance.
  const auto pa = straight->named_parameters(), pb = second->named_parameters();
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::allclose(item.value(), pb[item.key()], 1e-4, 1e-5)) << item.key();
  }
}

TEST_F(TrainerTest, StraightRunIsReproducible) {
  const space::SearchSpace space = test::tiny_space(/*dropout=*/0.2);
  const data::Splits splits = test::separable_splits(32, 0);
  TrainConfig config = test::tiny_config();
  config.epochs = 1;
  const UniformSampler sampler(space);
  torch::manual_seed(11);
  nn::Supernet a(space);
  train(config, *a, sampler, splits);
  const torch::Tensor next_a = torch::rand({4});
  torch::manual_seed(11);
  nn::Supernet b(space);
  train(config, *b, sampler, splits);
  expect_same_state(*a, *b);
  EXPECT_TRUE(torch::equal(torch::rand({4}), next_a));
}

TEST_F(TrainerTest, StopRequestCheckpointsAndReturns) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  const data::Splits splits = test::separable_splits(32, 0);
  sparsenas::test::TempDir dir;
  TrainSetup setup;
  setup.checkpoint = dir.path() / "run" / "ckpt.pt";
  int64_t steps = 0;
  setup.callbacks.on_step = [&](const StepInfo&) {
    if (++steps == 1) request_stop();  // as the SIGINT handler would
  };
  const TrainResult result =
      train(test::tiny_config(), *net, FixedSampler(space.max_arch()), splits, setup);
  EXPECT_TRUE(result.interrupted);
  EXPECT_EQ(result.state.global_step, 1);
  const CheckpointMeta meta = read_checkpoint_meta(setup.checkpoint);
  EXPECT_EQ(meta.state.global_step, 1);
  EXPECT_EQ(meta.state.step_in_epoch, 1);
  EXPECT_EQ(meta.config, nlohmann::json(test::tiny_config()));
  EXPECT_EQ(meta.sampler, "fixed " + space.max_arch().to_string());
}

TEST_F(TrainerTest, FixedArchitectureIsValidatedWithoutRecalibration) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  const data::Splits splits = test::separable_splits(32, 16);
  TrainConfig config = test::tiny_config();
  config.epochs = 1;
  TrainSetup setup;
  setup.val_archs = {space.max_arch(), space.min_arch()};
  const FixedSampler sampler(space.max_arch());
  // Validation must leave the BN buffers as training left them.
  std::vector<torch::Tensor> before_validation;
  setup.callbacks.on_step = [&](const StepInfo& info) {
    if (info.step_in_epoch + 1 == 2) {
      before_validation.clear();
      for (const auto& b : net->buffers()) before_validation.push_back(b.clone());
    }
  };
  const TrainResult result = train(config, *net, sampler, splits, setup);
  ASSERT_EQ(result.state.history.size(), 1u);
  const auto& val = result.state.history[0].val;
  ASSERT_EQ(val.size(), 2u);
  EXPECT_FALSE(val[0].recalibrated);
  EXPECT_TRUE(val[1].recalibrated);
  const auto after = net->buffers();
  ASSERT_EQ(after.size(), before_validation.size());
  for (size_t i = 0; i < after.size(); ++i)
    EXPECT_TRUE(torch::equal(after[i], before_validation[i]));
}

TEST_F(TrainerTest, DistillsFromATeacherWhoseStatisticsDoNotDrift) {
  const space::SearchSpace space = test::tiny_space();
  torch::manual_seed(5);
  nn::Supernet teacher_net(space);
  nn::Supernet net(space);
  const data::Splits splits = test::separable_splits(32, 0);
  TrainConfig config = test::tiny_config();
  config.epochs = 1;
  config.kd_ratio = 1.0;
  TrainSetup setup;
  const auto extracted = teacher_net->extract(space.max_arch());
  setup.teacher = make_teacher(nn::StaticNet(extracted));
  std::vector<torch::Tensor> before;
  for (const auto& b : extracted->buffers()) before.push_back(b.clone());
  const TrainResult result = train(config, *net, UniformSampler(space), splits, setup);
  EXPECT_EQ(result.state.counters.teacher_passes, 2);
  EXPECT_TRUE(std::isfinite(result.state.history[0].train_loss));
  const auto after = extracted->buffers();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(after[i], before[i])) << i;

  // KD without a teacher is a configuration error.
  setup.teacher.reset();
  EXPECT_NE(error_of([&] {
              train(config, *net, UniformSampler(space), splits, setup);
            }).find("kd_ratio is 1 but no teacher"),
            std::string::npos);
}

TEST_F(TrainerTest, ResumeChecksPathAndSettings) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  const data::Splits splits = test::separable_splits(32, 0);
  sparsenas::test::TempDir dir;
  TrainSetup setup;
  setup.checkpoint = dir.path() / "missing.pt";
  setup.resume = true;
  const TrainConfig config = test::tiny_config();
  EXPECT_NE(error_of([&] {
              train(config, *net, UniformSampler(space), splits, setup);
            }).find("missing.pt"),
            std::string::npos);

  setup.resume = false;
  setup.callbacks.should_stop = [](const TrainState& s) { return s.global_step == 1; };
  train(config, *net, UniformSampler(space), splits, setup);
  setup.resume = true;
  setup.callbacks.should_stop = nullptr;
  TrainConfig changed = config;
  changed.lr = 0.2;
  changed.threads = 1;  // free to change
  const std::string message =
      error_of([&] { train(changed, *net, UniformSampler(space), splits, setup); });
  EXPECT_NE(message.find("training settings differ (lr: checkpoint 0.05, now 0.2)"),
            std::string::npos)
      << message;
}

// --- checkpoint ---------------------------------------------------------------------------------

TEST_F(TrainerTest, CheckpointRoundTrip) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  TrainConfig config = test::tiny_config();
  auto optimizer = build_optimizer(*net, config);
  // One step so the optimizer has momentum buffers.
  const data::Splits splits = test::separable_splits(16, 0);
  data::BatchLoader loader(splits.train, 16, false, false, false, splits.mean, splits.std, 0);
  label_smoothing_cross_entropy(net->forward(loader.get(0).images), loader.get(0).labels, 0.1)
      .backward();
  optimizer->step();

  CheckpointMeta meta;
  meta.state.epoch = 3;
  meta.state.step_in_epoch = 2;
  meta.state.global_step = 17;
  meta.state.counters.subnet_passes = 34;
  meta.state.epoch_loss_sum = 1.0 / 3.0;
  EpochSummary summary;
  summary.epoch = 2;
  summary.train_loss = 0.123456789012345678;
  summary.val = {ArchEval{space.min_arch(), 0.5, 0.7, true}};
  summary.val_top1 = 0.5;
  meta.state.history = {summary, EpochSummary{}};
  meta.config = config;
  meta.sampler = "uniform over tiny";
  sparsenas::test::TempDir dir;
  const fs::path path = dir.path() / "ckpt.pt";
  save_checkpoint(path, *net, optimizer.get(), meta);
  const torch::Tensor expected_next = torch::rand({3});

  torch::manual_seed(42);
  nn::Supernet other(space);
  auto other_optimizer = build_optimizer(*other, config);
  const CheckpointMeta loaded = load_checkpoint(path, *other, other_optimizer.get());
  expect_same_state(*net, *other);
  EXPECT_TRUE(torch::equal(torch::rand({3}), expected_next));  // generator restored
  EXPECT_EQ(nlohmann::json(loaded.state), nlohmann::json(meta.state));
  EXPECT_EQ(loaded.state.history[0].train_loss, summary.train_loss);
  EXPECT_EQ(loaded.state.history[0].val[0].arch, space.min_arch());
  EXPECT_FALSE(loaded.state.history[1].val_top1.has_value());
  EXPECT_EQ(loaded.config, meta.config);
  EXPECT_EQ(loaded.space, space::to_json(space.spec()));
  EXPECT_EQ(loaded.sampler, meta.sampler);
  // Momentum buffers restored onto the matching parameters.
  size_t buffers = 0;
  for (size_t g = 0; g < 2; ++g) {
    const auto& params = optimizer->param_groups()[g].params();
    const auto& other_params = other_optimizer->param_groups()[g].params();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto key = c10::guts::to_string(params[i].unsafeGetTensorImpl());
      const auto other_key = c10::guts::to_string(other_params[i].unsafeGetTensorImpl());
      // Parameters without a gradient (e.g. unused kernel transforms) have no state.
      if (optimizer->state().count(key) == 0) {
        EXPECT_EQ(other_optimizer->state().count(other_key), 0u);
        continue;
      }
      const auto& a = static_cast<torch::optim::SGDParamState&>(*optimizer->state().at(key));
      const auto& b =
          static_cast<torch::optim::SGDParamState&>(*other_optimizer->state().at(other_key));
      EXPECT_TRUE(torch::equal(a.momentum_buffer(), b.momentum_buffer()));
      ++buffers;
    }
  }
  EXPECT_EQ(buffers, optimizer->state().size());
  EXPECT_GT(buffers, net->parameters().size() / 2);
}

TEST_F(TrainerTest, CheckpointErrorsNameThePath) {
  const space::SearchSpace space = test::tiny_space();
  nn::Supernet net(space);
  sparsenas::test::TempDir dir;
  const fs::path missing = dir.path() / "nope.pt";
  EXPECT_NE(error_of([&] { load_checkpoint(missing, *net, nullptr); }).find("nope.pt"),
            std::string::npos);
  const fs::path corrupt = dir.path() / "corrupt.pt";
  std::ofstream(corrupt) << "not a checkpoint";
  const std::string message = error_of([&] { read_checkpoint_meta(corrupt); });
  EXPECT_NE(message.find("corrupt.pt"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot be read"), std::string::npos) << message;

  // A checkpoint of another space is refused before any tensor is touched.
  const fs::path path = dir.path() / "tiny.pt";
  save_checkpoint(path, *net, nullptr, CheckpointMeta{});
  space::SpaceSpec wider = test::tiny_spec();
  wider.stem_width = 16;
  nn::Supernet other{space::SearchSpace(wider)};
  const std::string mismatch = error_of([&] { load_checkpoint(path, *other, nullptr); });
  EXPECT_NE(mismatch.find("another search space"), std::string::npos) << mismatch;
  // No optimizer state saved but one requested.
  auto optimizer = build_optimizer(*net, TrainConfig());
  EXPECT_NE(
      error_of([&] { load_checkpoint(path, *net, optimizer.get()); }).find("no optimizer state"),
      std::string::npos);
}

}  // namespace
}  // namespace sparsenas::train
