// Unit tests for src/sparsenas/space/space_spec.h
#include "sparsenas/space/space_spec.h"

#include <gtest/gtest.h>

#include <string>

#include "sparsenas/space/builtin_spaces.h"
#include "support/error_of.h"

namespace sparsenas::space {
namespace {

using test::error_of;

TEST(SpaceSpecTest, SpecJsonRoundTripAndUnknownKeys) {
  for (const std::string& name : builtin_space_names()) {
    const SpaceSpec spec = builtin_spec(name);
    const SpaceSpec back = space_spec_from_json(to_json(spec));
    EXPECT_EQ(to_json(back), to_json(spec)) << name;
  }
  nlohmann::json j = to_json(builtin_spec("ofa-mbv3"));
  j["stages"][0]["kernel"] = 3;
  EXPECT_NE(error_of([&] { space_spec_from_json(j); }).find("unknown key \"kernel\" in space.stages[0]"),
            std::string::npos);
  j = to_json(builtin_spec("ofa-mbv3"));
  j["stages"][2]["kernels"] = {3, 4};
  EXPECT_NE(error_of([&] { space_spec_from_json(j); }).find("space.stages[2].kernels must hold odd sizes"),
            std::string::npos);
}

}  // namespace
}  // namespace sparsenas::space
