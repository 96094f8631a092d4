// Unit tests for train_config.h, lr_schedule.h and arch_sampler.h (no LibTorch tensors needed).
#include "sparsenas/train/train_config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <torch/cuda.h>

#include <map>
#include <set>
#include <string>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/core/error.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/lr_schedule.h"

namespace sparsenas::train {
namespace {

std::string error_of(const TrainConfig& config) {
  try {
    config.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TrainConfigTest, DefaultsAreValidAndFollowOfa) {
  const TrainConfig config;
  EXPECT_NO_THROW(config.validate());
  EXPECT_EQ(config.momentum, 0.9);
  EXPECT_TRUE(config.nesterov);
  EXPECT_EQ(config.weight_decay, 3e-5);
  EXPECT_TRUE(config.no_decay_bn_bias);
  EXPECT_EQ(config.label_smoothing, 0.1);
  EXPECT_EQ(config.lr_schedule, "cosine");
  EXPECT_EQ(config.bn_recal_images, 2000);
  EXPECT_EQ(config.bn_recal_batch, 200);
}

TEST(TrainConfigTest, ErrorsNameFieldRangeAndValue) {
  TrainConfig config;
  config.epochs = 0;
  EXPECT_NE(error_of(config).find("epochs must be >= 1, got 0"), std::string::npos);

  config = TrainConfig();
  config.warmup_epochs = 10;
  EXPECT_NE(error_of(config).find("warmup_epochs must be in [0, epochs - 1] = [0, 9], got 10"),
            std::string::npos)
      << error_of(config);

  config = TrainConfig();
  config.lr_schedule = "linear";
  EXPECT_NE(error_of(config).find("lr_schedule must be \"cosine\", \"step2\" or \"step2_cosine\", got \"linear\""),
            std::string::npos);

  config = TrainConfig();
  config.label_smoothing = 1.0;
  EXPECT_NE(error_of(config).find("label_smoothing"), std::string::npos);

  config = TrainConfig();
  config.n_sub = 0;
  EXPECT_NE(error_of(config).find("n_sub must be in [1, 1000], got 0"), std::string::npos);

  config = TrainConfig();
  config.device = "gpu";
  EXPECT_NE(error_of(config).find("device must be \"cpu\", \"cuda\" or \"cuda:N\", got \"gpu\""),
            std::string::npos);

  config = TrainConfig();
  config.momentum = 0;  // Nesterov needs momentum
  EXPECT_NE(error_of(config).find("momentum must be > 0 when nesterov is true"), std::string::npos);
  config.nesterov = false;
  EXPECT_NO_THROW(config.validate());
}

TEST(TrainConfigTest, CudaDeviceNeedsCuda) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is available here";
  TrainConfig config;
  config.device = "cuda:0";
  EXPECT_NE(error_of(config).find("CUDA is not available"), std::string::npos) << error_of(config);
}

// step2_cosine: step_lr for step_epochs, then cosine from lr over the rest, computed by hand.
TEST(TrainConfigTest, Step2CosineSchedule) {
  TrainConfig config;
  config.epochs = 5;
  config.lr_schedule = "step2_cosine";
  config.step_epochs = 1;
  config.step_lr = 0.008;
  config.lr = 0.08;
  config.validate();
  const int64_t steps = 10;
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 0, steps), 0.008);
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 9, steps), 0.008);
  EXPECT_DOUBLE_EQ(learning_rate(config, 1, 0, steps), 0.08);  // cosine starts at lr
  // Half-way through the 4 cosine epochs (t = 20 of 40): 0.5 * lr * (1 + cos(pi / 2)) = lr / 2.
  EXPECT_NEAR(learning_rate(config, 3, 0, steps), 0.04, 1e-15);
  EXPECT_NEAR(learning_rate(config, 4, 9, steps), 0.5 * 0.08 * (1 + std::cos(M_PI * 39.0 / 40.0)), 1e-15);
}

TEST(TrainConfigTest, JsonRoundTrip) {
  TrainConfig config;
  config.epochs = 7;
  config.lr = 0.08;
  config.nesterov = false;
  config.lr_schedule = "step2";
  config.seed = 12345678901234ULL;
  config.device = "cuda:1";
  config.channels_last = false;
  config.sync_bn = true;
  config.kd_ratio = 1.0;
  const nlohmann::json json = config;
  TrainConfig back;
  from_json(json, back);
  EXPECT_EQ(nlohmann::json(back), json);
  EXPECT_EQ(back.seed, 12345678901234ULL);
  EXPECT_EQ(back.device, "cuda:1");
  EXPECT_EQ(json.size(), 25u);
}

// The CLI help is made from the declaration, so it lists every schedule and the struct's default.
TEST(TrainConfigTest, HelpTextComesFromTheDeclaration) {
  EXPECT_EQ(config_fields::help_text<TrainConfig>("lr_schedule"),
            "learning-rate schedule after warm-up: cosine, step2 or step2_cosine (default cosine)");
  EXPECT_EQ(config_fields::default_text<TrainConfig>("epochs"), "10");
  EXPECT_EQ(config_fields::default_text<TrainConfig>("weight_decay"), "3e-05");
  EXPECT_EQ(config_fields::field_infos<TrainConfig>().size(), 25u);
}

TEST(TrainConfigTest, FromJsonKeepsAbsentKeys) {
  TrainConfig config;
  from_json(nlohmann::json{{"n_sub", 4}}, config);
  EXPECT_EQ(config.n_sub, 4);
  EXPECT_EQ(config.batch_size, 128);
}

TEST(TrainConfigTest, UnknownKeyListsValidKeys) {
  TrainConfig config;
  try {
    from_json(nlohmann::json{{"learning_rate", 0.1}}, config);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("unknown key 'learning_rate'"), std::string::npos) << message;
    EXPECT_NE(message.find("valid keys: epochs, batch_size, lr,"), std::string::npos) << message;
    EXPECT_NE(message.find("channels_last"), std::string::npos) << message;
  }
}

TEST(TrainConfigTest, WrongTypesAreErrors) {
  TrainConfig config;
  EXPECT_THROW(from_json(nlohmann::json{{"epochs", 2.5}}, config), Error);
  EXPECT_THROW(from_json(nlohmann::json{{"nesterov", "yes"}}, config), Error);
  EXPECT_THROW(from_json(nlohmann::json{{"seed", -1}}, config), Error);
  EXPECT_THROW(from_json(nlohmann::json::array(), config), Error);
}

TEST(TrainConfigTest, ResolvedThreads) {
  TrainConfig config;
  config.threads = 3;
  EXPECT_EQ(resolved_threads(config), 3);
  config.threads = 0;
  EXPECT_GE(resolved_threads(config), 1);
}

// --- learning rate ----------------------------------------------------------------------------

TEST(LrScheduleTest, WarmupIsLinearPerIterationAndEndsAtLr) {
  TrainConfig config;
  config.epochs = 10;
  config.lr = 0.1;
  config.warmup_epochs = 2;
  config.warmup_lr = 0.0;
  const int64_t steps = 5;                                     // W = 10 warm-up iterations
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 0, steps), 0.01);  // (0 + 1) / 10 * 0.1
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 4, steps), 0.05);  // 5 / 10
  EXPECT_DOUBLE_EQ(learning_rate(config, 1, 4, steps), 0.1);   // last warm-up step: lr
  config.warmup_lr = 0.02;
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 0, steps), 0.028);  // 0.02 + 0.08 / 10
}

TEST(LrScheduleTest, CosineStartMidEnd) {
  TrainConfig config;
  config.epochs = 10;
  config.lr = 0.1;
  config.warmup_epochs = 2;
  const int64_t steps = 5;                                    // T = 8 * 5 = 40 cosine iterations
  EXPECT_DOUBLE_EQ(learning_rate(config, 2, 0, steps), 0.1);  // u = 0
  EXPECT_DOUBLE_EQ(learning_rate(config, 4, 0, steps), 0.08535533905932738);    // u = 10
  EXPECT_NEAR(learning_rate(config, 6, 0, steps), 0.05, 1e-15);                 // u = 20
  EXPECT_DOUBLE_EQ(learning_rate(config, 9, 4, steps), 0.0001541333133436018);  // u = 39
  config.warmup_epochs = 0;
  EXPECT_DOUBLE_EQ(learning_rate(config, 0, 0, steps), 0.1);
}

TEST(LrScheduleTest, Step2UsesStepLrFirst) {
  TrainConfig config;
  config.epochs = 150;
  config.lr = 0.08;
  config.lr_schedule = "step2";
  config.step_epochs = 5;
  config.step_lr = 0.008;
  ASSERT_NO_THROW(config.validate());
  EXPECT_EQ(learning_rate(config, 0, 0, 10), 0.008);
  EXPECT_EQ(learning_rate(config, 4, 9, 10), 0.008);
  EXPECT_EQ(learning_rate(config, 5, 0, 10), 0.08);
  EXPECT_EQ(learning_rate(config, 149, 9, 10), 0.08);
}

TEST(LrScheduleTest, RejectsPositionsOutsideTheRun) {
  TrainConfig config;
  config.epochs = 2;
  EXPECT_THROW(learning_rate(config, 2, 0, 5), Error);
  EXPECT_THROW(learning_rate(config, 0, 5, 5), Error);
  EXPECT_THROW(learning_rate(config, 0, 0, 0), Error);
}

// --- samplers -------------------------------------------------------------------------------

TEST(ArchSamplerTest, UniformIsAFunctionOfItsArguments) {
  const space::SearchSpace space = space::SearchSpace::from_name("ofa-mbv3");
  const UniformSampler sampler(space);
  const UniformSampler other(space);
  EXPECT_EQ(sampler.sample(7, 3, 11, 1), other.sample(7, 3, 11, 1));
  std::set<space::Arch> distinct;
  for (int j = 0; j < 4; ++j) distinct.insert(sampler.sample(7, 3, 11, j));
  distinct.insert(sampler.sample(8, 3, 11, 0));
  distinct.insert(sampler.sample(7, 4, 11, 0));
  distinct.insert(sampler.sample(7, 3, 12, 0));
  EXPECT_EQ(distinct.size(), 7u);  // 2^19 networks: collisions are practically impossible
  for (const space::Arch& arch : distinct) {
    EXPECT_NO_THROW(space.validate(arch));
    EXPECT_EQ(arch, space.canonical(arch));
  }
  EXPECT_EQ(sampler.describe(), "uniform over ofa-mbv3");
  EXPECT_FALSE(sampler.fixed_arch().has_value());
}

TEST(ArchSamplerTest, UniformCoversEveryDepthChoice) {
  const space::SearchSpace space = space::SearchSpace::from_name("ofa-mbv3");
  const UniformSampler sampler(space);
  std::map<int, int> counts;
  for (int step = 0; step < 300; ++step) counts[sampler.sample(0, 0, step, 0).depths[0]]++;
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [depth, count] : counts) EXPECT_GT(count, 60) << "depth " << depth;
}

TEST(ArchSamplerTest, ListIsUniformOverItsMembers) {
  const space::SearchSpace space = space::SearchSpace::from_name("ofa-mbv3");
  Rng rng(3);
  const std::vector<space::Arch> archs = {space.max_arch(), space.min_arch(), space.sample(rng)};
  const ListSampler sampler(archs);
  std::map<space::Arch, int> counts;
  for (int step = 0; step < 600; ++step) counts[sampler.sample(1, 2, step, step % 3)]++;
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [arch, count] : counts) EXPECT_GT(count, 140);
  EXPECT_EQ(sampler.sample(1, 2, 3, 0), sampler.sample(1, 2, 3, 0));
  EXPECT_FALSE(sampler.fixed_arch().has_value());
  EXPECT_EQ(ListSampler({space.max_arch()}).fixed_arch(), space.max_arch());
  EXPECT_THROW(ListSampler({}), Error);
}

TEST(ArchSamplerTest, FixedAlwaysReturnsItsArch) {
  const space::SearchSpace space = space::SearchSpace::from_name("ofa-mbv3");
  const FixedSampler sampler(space.min_arch());
  EXPECT_EQ(sampler.sample(1, 2, 3, 4), space.min_arch());
  EXPECT_EQ(sampler.fixed_arch(), space.min_arch());
}

}  // namespace
}  // namespace sparsenas::train
