#pragma once
// Numbers and text as report.md and compare.md write them: percentages, durations, counts,
// ratios, fixed decimals, markdown table cells and gnuplot data numbers. One copy for both
// documents, so that a number reads the same in each.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sparsenas::report {

/// "No value": a missing accuracy, an empty mean. The functions below print it as "n/a".
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// printf into a std::string, of any length: `fmt("%.3g", 0.5)` is "0.5".
std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));

/// `value` with `decimals` decimals ("3.14"); "n/a" for NaN. An infinity is printed as printf
/// prints it ("inf").
std::string fixed(double value, int decimals);

/// As `fixed`, but "n/a" for every value that is not finite (NaN and the infinities).
std::string finite_fixed(double value, int decimals);

/// `value` in millions (MACs, parameters) with `decimals` decimals: "3.25" for 3,250,000;
/// "n/a" for NaN.
std::string millions(double value, int decimals = 2);

/// An accuracy fraction as a percentage with 2 decimals ("89.75" for 0.8975); "n/a" for NaN.
std::string format_percent(double fraction);

/// A difference of accuracy fractions in percentage points, signed, with 2 decimals: "+1.25"
/// for 0.0125, "-0.50" for -0.005; "n/a" when not finite.
std::string signed_points(double fraction);

/// A duration with a unit fitting its size: "850 ns", "12.3 µs", "4.56 ms", "12.35 s",
/// "14.2 min", "3.51 h"; "n/a" for NaN or a negative value.
std::string format_duration(double seconds);

/// An integer with thousands separators: "179,200", "-1,234,567".
std::string format_count(int64_t value);

/// How many times faster (report.md's search cost): 3 significant digits below 1000 ("12.5x"),
/// else a count ("1,234,567x"). `ratio` must not be NaN.
std::string format_ratio(double ratio);

/// A multiple of a reference (compare.md's costs) with 2 decimals: "2.53×"; "n/a" when not
/// finite.
std::string format_times(double ratio);

/// `text` as a markdown table cell: '|' escaped as "\|", each line break replaced by a space.
std::string cell(const std::string& text);

/// A number for a gnuplot data file (`%.10g`); "?" (gnuplot's `set datafile missing`) for a
/// value that is not finite.
std::string data_number(double value);

/// `parts` with `separator` between them: join({"a", "b"}, ", ") is "a, b".
std::string join(const std::vector<std::string>& parts, const std::string& separator);

/// `values` joined with ", ": "3, 5, 7".
std::string join_ints(const std::vector<int>& values);

/// The mean of `values`; NaN when empty.
double mean_of(const std::vector<double>& values);

/// The population standard deviation of `values` (divided by n); NaN when empty.
double std_of(const std::vector<double>& values);

}  // namespace sparsenas::report
