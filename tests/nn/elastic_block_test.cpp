// Unit tests for src/sparsenas/nn/elastic_block.h: transform matrices, the elastic kernel against
// OFA's transform chain, a block against a static block built from its slices, and the segment re-sort.
#include "sparsenas/nn/elastic_block.h"

#include <gtest/gtest.h>

#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"  // blocks are built and randomised inside a supernet
#include "support/randomize_state.h"
#include "support/seeded_test.h"
#include "support/small_space.h"
#include "support/tensor_compare.h"

namespace sparsenas::nn {
namespace {

using space::SearchSpace;

using test::randomize_state;
using test::small_space;

using test::max_diff;

class ElasticBlockTest : public test::SeededTest {};

TEST_F(ElasticBlockTest, TransformMatricesStartAtIdentity) {
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

TEST_F(ElasticBlockTest, ElasticKernelMatchesOfaTransformChain) {
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

TEST_F(ElasticBlockTest, ElasticBlockMatchesStaticBlockFromSlices) {
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

TEST_F(ElasticBlockTest, SegmentResortKeepsNesting) {
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

}  // namespace
}  // namespace sparsenas::nn
