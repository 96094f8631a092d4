#include "sparsenas/report/format.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace sparsenas::report {

std::string fmt(const char* format, ...) {
  char buffer[256];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (n < 0) return "";
  if (static_cast<size_t>(n) < sizeof(buffer)) return std::string(buffer, n);
  std::string out(static_cast<size_t>(n) + 1, '\0');
  va_start(args, format);
  std::vsnprintf(out.data(), out.size(), format, args);
  va_end(args);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "n/a";
  return fmt("%.*f", decimals, value);
}

std::string finite_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  return fixed(value, decimals);
}

std::string millions(double value, int decimals) { return fixed(value / 1e6, decimals); }

std::string format_percent(double fraction) {
  if (std::isnan(fraction)) return "n/a";
  return fmt("%.2f", fraction * 100.0);
}

std::string signed_points(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  return fmt("%+.2f", fraction * 100);
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0.0)) return "n/a";
  if (seconds < 1e-6) return fmt("%.0f ns", seconds * 1e9);
  if (seconds < 1e-3) return fmt("%.3g µs", seconds * 1e6);
  if (seconds < 1.0) return fmt("%.3g ms", seconds * 1e3);
  if (seconds < 120.0) return fmt("%.2f s", seconds);
  if (seconds < 7200.0) return fmt("%.1f min", seconds / 60.0);
  return fmt("%.2f h", seconds / 3600.0);
}

std::string format_count(int64_t value) {
  const bool negative = value < 0;
  std::string digits = std::to_string(negative ? -static_cast<unsigned long long>(value)
                                               : static_cast<unsigned long long>(value));
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string format_ratio(double ratio) {
  if (ratio < 1000.0) return fmt("%.3gx", ratio);
  return format_count(std::llround(ratio)) + "x";
}

std::string format_times(double ratio) { return std::isfinite(ratio) ? fixed(ratio, 2) + "×" : "n/a"; }

std::string cell(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string data_number(double value) {
  if (!std::isfinite(value)) return "?";
  return fmt("%.10g", value);
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

std::string join_ints(const std::vector<int>& values) {
  std::vector<std::string> parts;
  for (int v : values) parts.push_back(std::to_string(v));
  return join(parts, ", ");
}

double mean_of(const std::vector<double>& values) {
  double sum = 0.0;
  for (double v : values) sum += v;
  return values.empty() ? kNaN : sum / static_cast<double>(values.size());
}

double std_of(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  const double m = mean_of(values);
  double sum = 0.0;
  for (double v : values) sum += (v - m) * (v - m);
  return std::sqrt(sum / static_cast<double>(values.size()));
}

}  // namespace sparsenas::report
