#pragma once
// The XGBoost C API boundary, wrapped once: error checking and RAII handles. Internal to the
// predictor library (it includes <xgboost/c_api.h>, which is a PRIVATE dependency).

#include <xgboost/c_api.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "sparsenas/core/error.h"

/// Calls an XGBoost C API function; a non-zero return (XGBoost returns -1 on failure) becomes
/// sparsenas::Error carrying the call and XGBGetLastError().
#define SNAS_XGB_CHECK(call)                                               \
  do {                                                                     \
    if ((call) != 0) {                                                     \
      SNAS_FAIL("XGBoost call ", #call, " failed: ", ::XGBGetLastError()); \
    }                                                                      \
  } while (0)

namespace sparsenas::predictor::detail {

struct DMatrixDeleter {
  void operator()(void* handle) const noexcept { XGDMatrixFree(handle); }
};
struct BoosterDeleter {
  void operator()(void* handle) const noexcept { XGBoosterFree(handle); }
};

/// Owns a DMatrixHandle.
using DMatrixPtr = std::unique_ptr<void, DMatrixDeleter>;
/// Owns a BoosterHandle.
using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;

/// A dense DMatrix over `num_rows` x `num_cols` row-major floats (copied by XGBoost). NaN marks a
/// missing value; our encodings have none. `nthread` threads copy the data.
inline DMatrixPtr make_dmatrix(const float* data, uint64_t num_rows, uint64_t num_cols,
                               int nthread) {
  DMatrixHandle raw = nullptr;
  SNAS_XGB_CHECK(XGDMatrixCreateFromMat_omp(
      data, num_rows, num_cols, std::numeric_limits<float>::quiet_NaN(), &raw, nthread));
  return DMatrixPtr(raw);
}

/// A booster with no cached training matrices (parameters are set afterwards).
inline BoosterPtr make_booster(const std::vector<DMatrixHandle>& cache = {}) {
  BoosterHandle raw = nullptr;
  SNAS_XGB_CHECK(XGBoosterCreate(cache.empty() ? nullptr : cache.data(), cache.size(), &raw));
  return BoosterPtr(raw);
}

}  // namespace sparsenas::predictor::detail
