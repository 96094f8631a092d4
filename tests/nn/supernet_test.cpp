// Unit tests for src/sparsenas/nn: every dynamic layer against a static LibTorch layer, the
// extracted network against the supernet, and analytic MACs against a count over the real module.
#include "sparsenas/nn/supernet.h"

#include <gtest/gtest.h>

#include "sparsenas/nn/static_net.h"
#include "sparsenas/core/error.h"
#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/small_space.h"

namespace sparsenas::nn {
namespace {

using space::Arch;
using space::SearchSpace;
using sparsenas::Rng;

using test::randomize_state;
using test::small_space;

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

class SupernetTest : public test::SeededTest {};

TEST_F(SupernetTest, TransformMatricesStartAtIdentity) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  int matrices = 0;
  for (auto& item : net->named_parameters()) {
    if (item.key().find("transform") == std::string::npos) continue;
    ++matrices;
    const auto& m = item.value();
    EXPECT_TRUE(torch::equal(m, torch::eye(m.size(0)))) << item.key();
  }
  EXPECT_EQ(matrices, 2 * space.num_slots());  // 7to5 and 5to3 per block, as OFA
  EXPECT_NE(net->named_parameters().find("blocks.0.dw_transform_7to5"), nullptr);
  EXPECT_NE(net->named_parameters().find("blocks.0.dw_transform_5to3"), nullptr);
  Supernet plain(small_space("compofa"), SupernetOptions{/*kernel_transform=*/false});
  for (auto& item : plain->named_parameters()) EXPECT_EQ(item.key().find("transform"), std::string::npos);
}

TEST_F(SupernetTest, ElasticKernelMatchesOfaTransformChain) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  randomize_state(*net);
  const ElasticBlockImpl& block = *net->blocks[3];
  const int64_t mid = 40;
  const auto w7 = block.dw_weight.narrow(0, 0, mid);
  EXPECT_TRUE(torch::equal(block.depthwise_weight(mid, 7), w7));
  // k=5: centre 5x5 of the 7x7, flattened, times M(7to5)^T.
  const auto m75 = block.transforms[0], m53 = block.transforms[1];
  const auto w5 = torch::matmul(w7.narrow(2, 1, 5).narrow(3, 1, 5).reshape({mid, 25}), m75.t()).view({mid, 1, 5, 5});
  EXPECT_LT(max_diff(block.depthwise_weight(mid, 5), w5), 1e-7);
  // k=3: centre 3x3 of the transformed 5x5, times M(5to3)^T.
  const auto w3 = torch::matmul(w5.narrow(2, 1, 3).narrow(3, 1, 3).reshape({mid, 9}), m53.t()).view({mid, 1, 3, 3});
  EXPECT_LT(max_diff(block.depthwise_weight(mid, 3), w3), 1e-7);
  // With identity matrices the smaller kernels are plain centre crops.
  Supernet fresh(space);
  const auto& b = *fresh->blocks[0];
  EXPECT_TRUE(torch::equal(b.depthwise_weight(48, 3), b.dw_weight.narrow(0, 0, 48).narrow(2, 2, 3).narrow(3, 2, 3)));
}

TEST_F(SupernetTest, ElasticBlockMatchesStaticBlockFromSlices) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  randomize_state(*net);
  net->eval();
  for (int slot : {0, 1, 4, 5, 12, 16}) {  // strided, residual, SE, stride-1 width change
    for (int k : {3, 5, 7}) {
      for (int e : {3, 4, 6}) {
        ElasticBlockImpl& block = *net->blocks[slot];
        block.set_active(k, e);
        StaticBlock ref(space, slot, k, e);
        ref->eval();
        const int64_t mid = ref->mid;
        {
          torch::NoGradGuard no_grad;
          ref->expand->weight.copy_(block.expand_weight.narrow(0, 0, mid));
          ref->dw->weight.copy_(block.depthwise_weight(mid, k));
          for (auto [to, from] : {std::pair{ref->expand_bn, block.expand_bn}, std::pair{ref->dw_bn, block.dw_bn}}) {
            to->weight.copy_(from->bn->weight.narrow(0, 0, mid));
            to->bias.copy_(from->bn->bias.narrow(0, 0, mid));
            to->running_mean.copy_(from->bn->running_mean.narrow(0, 0, mid));
            to->running_var.copy_(from->bn->running_var.narrow(0, 0, mid));
          }
          if (block.layout.se) {
            const int64_t se = ref->se_mid;
            ref->se_reduce->weight.copy_(block.se_reduce_weight.narrow(0, 0, se).narrow(1, 0, mid));
            ref->se_reduce->bias.copy_(block.se_reduce_bias.narrow(0, 0, se));
            ref->se_expand->weight.copy_(block.se_expand_weight.narrow(0, 0, mid).narrow(1, 0, se));
            ref->se_expand->bias.copy_(block.se_expand_bias.narrow(0, 0, mid));
          }
          ref->project->weight.copy_(block.project_weight.narrow(1, 0, mid));
          ref->project_bn->weight.copy_(block.project_bn->bn->weight);
          ref->project_bn->bias.copy_(block.project_bn->bn->bias);
          ref->project_bn->running_mean.copy_(block.project_bn->bn->running_mean);
          ref->project_bn->running_var.copy_(block.project_bn->bn->running_var);
        }
        const auto x = torch::randn({2, block.layout.in_channels, 8, 8});
        torch::NoGradGuard no_grad;
        EXPECT_LT(max_diff(block.forward(x), ref->forward(x)), 1e-5) << "slot " << slot << " k" << k << " e" << e;
      }
    }
  }
}

// The central guarantee: for random architectures of every space, the extracted static network
// computes what the supernet computes (eval mode).
TEST_F(SupernetTest, ExtractedNetworkEqualsSupernet) {
  for (const std::string& name : SearchSpace::builtin_names()) {
    const SearchSpace space = small_space(name, 32, 3);
    Supernet net(space, SupernetOptions{name != "compofa"});
    randomize_state(*net);
    net->eval();
    Rng rng(5);
    std::vector<Arch> archs = {space.max_arch(), space.min_arch()};
    for (int i = 0; i < 6; ++i) archs.push_back(space.sample(rng));
    const auto x = torch::randn({3, 3, 32, 32});
    for (const Arch& arch : archs) {
      net->set_active(arch);
      auto sub = net->extract(arch);
      torch::NoGradGuard no_grad;
      const auto expected = net->forward(x);
      const auto actual = sub->forward(x);
      EXPECT_LE(max_diff(expected, actual), 1e-5) << name << " " << arch.to_string();
      EXPECT_EQ(actual.sizes(), (std::vector<int64_t>{3, 10}));
    }
  }
}

TEST_F(SupernetTest, AnalyticMacsAndParamsEqualCountsOverRealModule) {
  for (const std::string& name : SearchSpace::builtin_names()) {
    for (auto [resolution, channels] : {std::pair{28, 1}, std::pair{32, 3}, std::pair{64, 3}}) {
      const SearchSpace space = small_space(name, resolution, channels);
      Rng rng(9);
      std::vector<Arch> archs = {space.max_arch(), space.min_arch()};
      for (int i = 0; i < 5; ++i) archs.push_back(space.sample(rng));
      for (const Arch& arch : archs) {
        StaticNet net(space, arch);
        EXPECT_EQ(net->count_macs(resolution, resolution), space.macs(arch)) << name << " " << arch.to_string();
        int64_t params = 0;
        for (const auto& p : net->parameters()) params += p.numel();
        EXPECT_EQ(params, space.params(arch)) << name << " " << arch.to_string();
      }
    }
  }
}

TEST_F(SupernetTest, ChannelResortKeepsTheFunctionAndOrdersImportance) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  randomize_state(*net);
  net->eval();
  const auto x = torch::randn({2, 1, 32, 32});
  torch::NoGradGuard no_grad;
  const auto before = net->forward(x);
  net->reorganize_channels(0);
  EXPECT_LT(max_diff(net->forward(x), before), 1e-5);  // max network: a pure permutation
  for (const auto& block : net->blocks) {
    const auto importance = block->project_weight.abs().sum({0, 2, 3});
    EXPECT_TRUE(torch::all(importance.slice(0, 0, -1) >= importance.slice(0, 1)).item<bool>());
  }
}

TEST_F(SupernetTest, SegmentResortKeepsNesting) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  randomize_state(*net);
  ElasticBlockImpl& block = *net->blocks[1];  // in 24: mids 72 / 96 / 144
  torch::NoGradGuard no_grad;
  block.project_weight.narrow(1, 100, 1).fill_(50.0);  // very important channel in the outer segment
  const auto tagged = block.expand_weight.narrow(0, 100, 1).clone();
  block.reorganize_channels({3, 4, 6}, /*expand_stage=*/1);
  // It may move to the front of its segment [96, 144) but not into the first 96 channels.
  EXPECT_TRUE(torch::equal(block.expand_weight.narrow(0, 96, 1), tagged));

  // Stage 1 keeps only the e=4 boundary (OFA range(expand_ratio_stage + 1)): a channel from
  // [72, 96) may move to the front; stage 2 also keeps the e=3 boundary, so it stays in [72, 96).
  for (int stage : {1, 2}) {
    Supernet other(space);
    randomize_state(*other);
    ElasticBlockImpl& b = *other->blocks[1];
    b.project_weight.narrow(1, 80, 1).fill_(50.0);
    const auto inner = b.expand_weight.narrow(0, 80, 1).clone();
    b.reorganize_channels({3, 4, 6}, stage);
    EXPECT_TRUE(torch::equal(b.expand_weight.narrow(0, stage == 1 ? 0 : 72, 1), inner)) << "stage " << stage;
  }
}

TEST_F(SupernetTest, RecalibrationWritesPlainAveragesOfBatchStatistics) {
  const SearchSpace space = small_space("ofa-mbv3", 16);
  Supernet net(space);
  net->eval();
  const std::vector<torch::Tensor> batches = {torch::randn({4, 1, 16, 16}), torch::randn({2, 1, 16, 16}) + 1.0};
  net->set_active(space.min_arch());
  net->begin_bn_recalibration();
  {
    torch::NoGradGuard no_grad;
    for (const auto& b : batches) net->forward(b);
  }
  net->end_bn_recalibration();
  // The stem BN sees conv(x) directly: recompute its statistics by hand.
  torch::Tensor mean = torch::zeros({16}), var = torch::zeros({16});
  for (const auto& b : batches) {
    const auto y = torch::conv2d(b, net->stem_weight, {}, 2, 1);
    const auto m = y.mean({0, 2, 3});
    mean += m * b.size(0);
    var += (y - m.view({1, -1, 1, 1})).pow(2).mean({0, 2, 3}) * b.size(0);
  }
  EXPECT_LT(max_diff(net->stem_bn->bn->running_mean, mean / 6), 1e-5);
  EXPECT_LT(max_diff(net->stem_bn->bn->running_var, var / 6), 1e-5);
  // Channels a smaller network did not use keep their old statistics.
  const auto& expand_bn = net->blocks[0]->expand_bn->bn;
  EXPECT_TRUE(torch::all(expand_bn->running_mean.narrow(0, 48, 48) == 0).item<bool>());
}

TEST_F(SupernetTest, RejectsArchitectureOutsideTheSpace) {
  const SearchSpace space = small_space("ofa-mbv3");
  Supernet net(space);
  Arch arch = space.max_arch();
  arch.expand_ratios[2] = 5;
  EXPECT_THROW(net->set_active(arch), Error);
}

}  // namespace
}  // namespace sparsenas::nn
