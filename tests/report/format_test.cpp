// Unit tests for src/sparsenas/report/format.h: numbers and text of report.md and compare.md.
#include "sparsenas/report/format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sparsenas::report {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(FormatTest, PrintfOfAnyLength) {
  EXPECT_EQ(fmt("%.3g", 0.5), "0.5");
  EXPECT_EQ(fmt("%s", std::string(1000, 'x').c_str()), std::string(1000, 'x'));
}

TEST(FormatTest, FixedDecimals) {
  EXPECT_EQ(fixed(3.14159, 2), "3.14");
  EXPECT_EQ(fixed(2.0, 0), "2");
  EXPECT_EQ(fixed(std::nan(""), 2), "n/a");
  EXPECT_EQ(fixed(kInf, 2), "inf");
  EXPECT_EQ(finite_fixed(3.14159, 3), "3.142");
  EXPECT_EQ(finite_fixed(std::nan(""), 2), "n/a");
  EXPECT_EQ(finite_fixed(kInf, 2), "n/a");
  EXPECT_EQ(finite_fixed(-kInf, 2), "n/a");
  EXPECT_EQ(millions(3'250'000), "3.25");
  EXPECT_EQ(millions(3'250'000, 1), "3.2");
  EXPECT_EQ(millions(std::nan("")), "n/a");
}

TEST(FormatTest, Percentages) {
  EXPECT_EQ(format_percent(0.8975), "89.75");
  EXPECT_EQ(format_percent(1.0), "100.00");
  EXPECT_EQ(format_percent(std::nan("")), "n/a");
  EXPECT_EQ(signed_points(0.0125), "+1.25");
  EXPECT_EQ(signed_points(-0.005), "-0.50");
  EXPECT_EQ(signed_points(0.0), "+0.00");
  EXPECT_EQ(signed_points(std::nan("")), "n/a");
  EXPECT_EQ(signed_points(kInf), "n/a");
}

TEST(FormatTest, DurationsInAUnitFittingTheirSize) {
  EXPECT_EQ(format_duration(8.5e-7), "850 ns");
  EXPECT_EQ(format_duration(1.234e-5), "12.3 µs");
  EXPECT_EQ(format_duration(0.25), "250 ms");
  EXPECT_EQ(format_duration(12.345), "12.35 s");
  EXPECT_EQ(format_duration(852.0), "14.2 min");
  EXPECT_EQ(format_duration(12636.0), "3.51 h");
  EXPECT_EQ(format_duration(0.0), "0 ns");
  EXPECT_EQ(format_duration(-1.0), "n/a");
  EXPECT_EQ(format_duration(std::nan("")), "n/a");
}

TEST(FormatTest, CountsWithThousandsSeparators) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(179200), "179,200");
  EXPECT_EQ(format_count(-1234567), "-1,234,567");
  EXPECT_EQ(format_count(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
}

TEST(FormatTest, Ratios) {
  EXPECT_EQ(format_ratio(12.5), "12.5x");
  EXPECT_EQ(format_ratio(999.4), "999x");
  EXPECT_EQ(format_ratio(1234567.4), "1,234,567x");
  EXPECT_EQ(format_times(2.534), "2.53×");
  EXPECT_EQ(format_times(std::nan("")), "n/a");
  EXPECT_EQ(format_times(kInf), "n/a");
}

TEST(FormatTest, MarkdownCellsEscapeBarsAndDropLineBreaks) {
  EXPECT_EQ(cell("plain"), "plain");
  EXPECT_EQ(cell("a|b"), "a\\|b");
  EXPECT_EQ(cell("line\nbreak\r\n"), "line break  ");
}

TEST(FormatTest, GnuplotDataNumbers) {
  EXPECT_EQ(data_number(0.25), "0.25");
  EXPECT_EQ(data_number(3'250'000), "3250000");
  EXPECT_EQ(data_number(1.0 / 3.0), "0.3333333333");
  EXPECT_EQ(data_number(std::nan("")), "?");
  EXPECT_EQ(data_number(kInf), "?");
}

TEST(FormatTest, Joins) {
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(join({"a"}, ", "), "a");
  EXPECT_EQ(join({"a", "b", "c"}, "; "), "a; b; c");
  EXPECT_EQ(join_ints({3, 5, 7}), "3, 5, 7");
}

TEST(FormatTest, MeanAndStandardDeviation) {
  EXPECT_TRUE(std::isnan(mean_of({})));
  EXPECT_TRUE(std::isnan(std_of({})));
  EXPECT_DOUBLE_EQ(mean_of({1.0, 2.0, 3.0, 6.0}), 3.0);
  EXPECT_DOUBLE_EQ(std_of({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}), 2.0);  // population std
  EXPECT_DOUBLE_EQ(std_of({5.0}), 0.0);
}

}  // namespace
}  // namespace sparsenas::report
