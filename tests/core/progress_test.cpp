// Unit tests for src/sparsenas/core/progress.h: the mode, when a plain line is due, its text.
#include "sparsenas/core/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace sparsenas {
namespace {

TEST(ProgressTest, ModeFollowsTheTerminalUnlessSnasProgressSaysOtherwise) {
  EXPECT_EQ(progress_mode(nullptr, true), ProgressMode::kBar);
  EXPECT_EQ(progress_mode(nullptr, false), ProgressMode::kLines);  // a log file gets lines
  EXPECT_EQ(progress_mode("0", true), ProgressMode::kOff);
  EXPECT_EQ(progress_mode("1", false), ProgressMode::kBar);
  EXPECT_EQ(progress_mode("bar", false), ProgressMode::kBar);
  EXPECT_EQ(progress_mode("lines", true), ProgressMode::kLines);
  EXPECT_EQ(progress_mode("yes", false), ProgressMode::kLines);
}

TEST(ProgressTest, ALineIsDueAtEveryTenthAfterThirtySecondsAndAtTheEnd) {
  // 1,000 steps, one second each: lines at 100, 200, ... and after 30 s without one.
  int lines = 0;
  int64_t last = 0;
  double since = 0;
  std::vector<int64_t> at;
  for (int64_t done = 1; done <= 1000; ++done) {
    since += 1.0;
    if (progress_line_due(done, 1000, last, since)) {
      ++lines;
      at.push_back(done);
      last = done;
      since = 0;
    }
  }
  EXPECT_EQ(at.front(), 30);  // 30 s before the first tenth
  EXPECT_EQ(at.back(), 1000);
  for (size_t i = 1; i < at.size(); ++i) EXPECT_LE(at[i] - at[i - 1], 30) << "a silent gap over 30 s";
  for (int64_t tenth = 100; tenth <= 1000; tenth += 100) {
    EXPECT_NE(std::find(at.begin(), at.end(), tenth), at.end()) << tenth;
  }
  EXPECT_LE(lines, 1000 / 30 + 10 + 1);  // the 30 s lines, the tenths, the end
  // A fast loop: only the tenths and the end.
  at.clear();
  last = 0;
  for (int64_t done = 1; done <= 1000; ++done) {
    if (progress_line_due(done, 1000, last, 0.001)) {
      at.push_back(done);
      last = done;
    }
  }
  EXPECT_EQ(at, (std::vector<int64_t>{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}));
  EXPECT_FALSE(progress_line_due(500, 1000, 500, 100.0));  // nothing new since the last line
  EXPECT_TRUE(progress_line_due(3, 3, 2, 0.0));             // the end of a short loop
}

TEST(ProgressTest, LineTextHasCountPercentRateAndEta) {
  EXPECT_EQ(progress_text("pairs", 37, 100, 12.34, "net", 65.0, "top-1 88.1%"),
            "pairs 37/100 (37%) 12.3 net/s ETA 1:05 top-1 88.1%");
  EXPECT_EQ(progress_text("family", 0, 10, 0.0, "net", std::nan(""), ""), "family 0/10 (0%) 0.0 net/s ETA ?");
}

}  // namespace
}  // namespace sparsenas
