// Analytic MACs and params against numbers measured by running OFA's own Python code
// (tests/testdata/ofa_reference.json, made by tests/testdata/make_ofa_reference.py).
#include <gtest/gtest.h>

#include "sparsenas/core/fs.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::space {
namespace {

TEST(OfaReferenceTest, MacsAndParamsEqualOfaForEveryCase) {
  const nlohmann::json ref = read_json_file(std::string(SNAS_TEST_DATA_DIR) + "/ofa_reference.json");
  int checked = 0;
  for (const auto& c : ref.at("cases")) {
    SpaceOptions options;
    options.in_channels = c.at("in_channels").get<int>();
    options.resolution = c.at("resolution").get<int>();
    options.num_classes = c.at("num_classes").get<int>();
    const SearchSpace space = SearchSpace::from_name(c.at("space").get<std::string>(), options);
    const Arch arch = arch_from_json(c.at("arch"));
    const std::string label = c.at("space").get<std::string>() + " " + c.at("name").get<std::string>() +
                              " in=" + std::to_string(*options.in_channels) +
                              " r=" + std::to_string(*options.resolution);
    // The profiler count is exact for any input width; OFA's analytic counter assumes 3 channels.
    EXPECT_EQ(space.macs(arch), c.at("macs_profiler").get<int64_t>()) << label;
    if (*options.in_channels == 3 && !c.at("macs_analytic").is_null()) {
      EXPECT_EQ(space.macs(arch), c.at("macs_analytic").get<int64_t>()) << label;
    }
    EXPECT_EQ(space.params(arch), c.at("params").get<int64_t>()) << label;
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

}  // namespace
}  // namespace sparsenas::space
