// Unit tests for src/sparsenas/nn/weight_decay.h.
#include "sparsenas/nn/weight_decay.h"

#include <gtest/gtest.h>

#include "sparsenas/nn/supernet.h"
#include "support/seeded_test.h"
#include "support/small_space.h"

namespace sparsenas::nn {
namespace {

using test::small_space;

class WeightDecayTest : public test::SeededTest {};

TEST_F(WeightDecayTest, NoDecayNamesCoverBnAndBias) {
  Supernet net(small_space("ofa-mbv3"));
  int no_decay = 0, decay = 0;
  for (const auto& item : net->named_parameters()) {
    const bool nd = is_no_decay_parameter(item.key());
    (nd ? no_decay : decay)++;
    if (item.value().dim() == 1) {
      EXPECT_TRUE(nd) << item.key();
    }
  }
  EXPECT_GT(no_decay, 0);
  EXPECT_GT(decay, 0);
}

}  // namespace
}  // namespace sparsenas::nn
