// Unit tests for src/sparsenas/rundir/history.h.
#include "sparsenas/rundir/history.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;
using test::error_of;

using test::contains;

TEST(HistoryTest, ReadsHistoryWithAbsentOrNullValidation) {
  test::TempDir dir;
  const auto path = dir.path() / "history.json";
  write_json_file(path, json::array({{{"epoch", 0}, {"train_loss", 2.0}, {"val_top1", nullptr}},
                                     {{"epoch", 1}, {"train_loss", 1.0}, {"val_top1", 0.5}},
                                     {{"epoch", 2}, {"train_loss", 0.5}}}));
  const auto history = read_history(path);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_FALSE(history[0].val_top1.has_value());
  EXPECT_DOUBLE_EQ(*history[1].val_top1, 0.5);
  EXPECT_FALSE(history[2].val_top1.has_value());
  EXPECT_EQ(history[2].epoch, 2);

  write_json_file(path, json::array({{{"epoch", 0}, {"train_loss", "x"}}}));
  EXPECT_TRUE(contains(error_of([&] { read_history(path); }),
                       "history.json: [0].train_loss: expected a number"));
}

}  // namespace
}  // namespace sparsenas::rundir
