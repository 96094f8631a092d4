// Unit tests for src/sparsenas/space/builtin_spaces.h
#include "sparsenas/space/builtin_spaces.h"

#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sparsenas/core/error.h"

namespace sparsenas::space {
namespace {

TEST(BuiltinSpacesTest, NamesInOrder) {
  EXPECT_EQ(builtin_space_names(),
            (std::vector<std::string>{"ofa-mbv3", "proxyless", "compofa", "ofa-mbv3-s1", "compofa-s1"}));
  for (const std::string& name : builtin_space_names()) {
    EXPECT_TRUE(is_builtin_space(name)) << name;
    EXPECT_EQ(builtin_spec(name).name, name);
  }
  EXPECT_FALSE(is_builtin_space("resnet"));
  EXPECT_FALSE(is_builtin_space("spaces/ofa-mbv3.json"));
}

TEST(BuiltinSpacesTest, UnknownNameListsTheBuiltins) {
  try {
    builtin_spec("resnet");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "space must be one of ofa-mbv3, proxyless, compofa, ofa-mbv3-s1, compofa-s1 or a path to a space "
                 "JSON file, "
                 "got \"resnet\"");
  }
}

// The stem, first block and head of each built-in (reference/ofa_compofa.md 1.1, 1.2, 7.1).
TEST(BuiltinSpacesTest, StemAndHeadOfEachSpace) {
  const SpaceSpec mbv3 = builtin_spec("ofa-mbv3");
  EXPECT_EQ(mbv3.head, "mbv3");
  EXPECT_EQ(mbv3.stem_width, 16);
  EXPECT_EQ(mbv3.stem_act, Activation::kHSwish);
  EXPECT_EQ(mbv3.first_block_width, 16);
  EXPECT_EQ(mbv3.first_block_act, Activation::kRelu);
  EXPECT_EQ(mbv3.final_expand_width, 960);
  EXPECT_EQ(mbv3.feature_mix_width, 1280);
  EXPECT_TRUE(mbv3.feature_mix_scales_down);
  EXPECT_EQ(mbv3.head_act, Activation::kHSwish);
  EXPECT_EQ(mbv3.bn_eps, 1e-5);
  ASSERT_EQ(mbv3.stages.size(), 5u);
  EXPECT_EQ(mbv3.stages[3].width, 112);
  EXPECT_EQ(mbv3.stages[3].stride, 1);
  EXPECT_TRUE(mbv3.stages[3].se);

  const SpaceSpec proxyless = builtin_spec("proxyless");
  EXPECT_EQ(proxyless.head, "proxyless");
  EXPECT_EQ(proxyless.stem_width, 32);
  EXPECT_EQ(proxyless.stem_act, Activation::kRelu6);
  EXPECT_EQ(proxyless.first_block_width, 16);
  EXPECT_EQ(proxyless.first_block_act, Activation::kRelu6);
  EXPECT_EQ(proxyless.final_expand_width, 0);
  EXPECT_EQ(proxyless.feature_mix_width, 1280);
  EXPECT_FALSE(proxyless.feature_mix_scales_down);
  EXPECT_EQ(proxyless.head_act, Activation::kRelu6);
  EXPECT_EQ(proxyless.bn_eps, 1e-3);
  ASSERT_EQ(proxyless.stages.size(), 6u);
  EXPECT_EQ(proxyless.stages.back().width, 320);
  EXPECT_EQ(proxyless.stages.back().depths, std::vector<int>{1});
  for (const StageSpec& s : proxyless.stages) {
    EXPECT_EQ(s.act, Activation::kRelu6);
    EXPECT_FALSE(s.se);
  }

  const SpaceSpec compofa = builtin_spec("compofa");
  EXPECT_EQ(to_json(compofa)["stem_width"], to_json(mbv3)["stem_width"]);
  ASSERT_EQ(compofa.stages.size(), 5u);
  EXPECT_EQ(compofa.stages[1].kernels, std::vector<int>{5});
  EXPECT_EQ(compofa.stages[1].coupled_expands, (std::vector<int>{3, 4, 6}));
  EXPECT_EQ(compofa.stages[1].stored_kernel, 7);
  EXPECT_EQ(compofa.stages[1].stored_expand, 6);
}

// The stride-1 variants differ from their parents in the stem stride only.
TEST(BuiltinSpacesTest, StrideOneVariantsDifferOnlyInTheStem) {
  for (const auto& [parent, child] : {std::pair<std::string, std::string>{"ofa-mbv3", "ofa-mbv3-s1"},
                                      std::pair<std::string, std::string>{"compofa", "compofa-s1"}}) {
    nlohmann::json p = to_json(builtin_spec(parent));
    nlohmann::json c = to_json(builtin_spec(child));
    EXPECT_EQ(p["stem_stride"], 2) << parent;
    EXPECT_EQ(c["stem_stride"], 1) << child;
    p.erase("name");
    c.erase("name");
    p.erase("stem_stride");
    c.erase("stem_stride");
    EXPECT_EQ(p, c) << child;
  }
}

TEST(BuiltinSpacesTest, EachOfaSpaceHasItsCompofaCoupling) {
  EXPECT_EQ(compofa_space_of("ofa-mbv3"), "compofa");
  EXPECT_EQ(compofa_space_of("ofa-mbv3-s1"), "compofa-s1");
  EXPECT_EQ(compofa_space_of("proxyless"), "");
  EXPECT_EQ(compofa_space_of("compofa"), "");
  EXPECT_EQ(compofa_space_of("spaces/my.json"), "");
  EXPECT_EQ(coupled_space_names(), "\"ofa-mbv3\" or \"ofa-mbv3-s1\"");
}

}  // namespace
}  // namespace sparsenas::space
