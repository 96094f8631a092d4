#include "sparsenas/export/input_normalization.h"

#include <cmath>

#include "sparsenas/core/error.h"

namespace sparsenas::exporter {

std::vector<double> per_channel(const std::vector<float>& values, const char* field, int64_t channels) {
  SNAS_CHECK(static_cast<int64_t>(values.size()) == channels || values.size() == 1, "export: ", field,
             ": expected one value per input channel (", channels, ") or a single value, got ", values.size(),
             " values");
  std::vector<double> out(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double v = values[values.size() == 1 ? 0 : static_cast<size_t>(c)];
    SNAS_CHECK(std::isfinite(v), "export: ", field, "[", c, "]: expected a finite value, got ", v);
    out[static_cast<size_t>(c)] = v;
  }
  return out;
}

}  // namespace sparsenas::exporter
