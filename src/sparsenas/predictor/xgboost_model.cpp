#include "sparsenas/predictor/xgboost_model.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>

#include "sparsenas/core/config_fields.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/predictor/xgb_handle.h"

namespace sparsenas::predictor {
namespace {

using json = nlohmann::json;

constexpr const char* kConfigAttr = "sparsenas_config";

// Shortest text that reads back as the same double (XGBoost parses parameters from strings).
std::string number_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void set_param(void* booster, const char* name, const std::string& value) {
  SNAS_XGB_CHECK(XGBoosterSetParam(booster, name, value.c_str()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// GbdtConfig

GbdtConfig GbdtConfig::preset(const std::string& kind) {
  GbdtConfig c;  // the struct's defaults are the "gbdt" preset
  c.kind = kind;
  if (kind == "gbdt") return c;
  if (kind == "random_forest") {
    c.learning_rate = 1.0;
    c.max_depth = 0;
    c.subsample = 0.632;
    return c;
  }
  if (kind == "xgboost_default") {
    c.max_depth = 6;
    c.reg_lambda = 1.0;
    c.tree_method = "exact";
    return c;
  }
  SNAS_FAIL(
      "GbdtConfig.kind must be one of \"gbdt\", \"random_forest\", \"xgboost_default\", got \"",
      kind, "\"");
}

void GbdtConfig::validate() const {
  config_fields::validate_fields(*this, kName);
  SNAS_CHECK(max_depth > 0 || tree_method == "hist",
             "GbdtConfig.max_depth 0 (unlimited) needs tree_method \"hist\", got tree_method \"",
             tree_method, "\"");
  SNAS_CHECK(!base_score || std::isfinite(*base_score),
             "GbdtConfig.base_score must be finite or null (mean of the targets), got ",
             base_score.value_or(0.0));
  SNAS_CHECK(seed <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
             "GbdtConfig.seed must be at most 2^63 - 1, got ", seed);
}

void to_json(json& j, const GbdtConfig& c) { j = config_fields::to_json(c); }

void from_json(const json& j, GbdtConfig& c) {
  GbdtConfig read = c;
  config_fields::read(j, read, GbdtConfig::kName);  // keys and types
  if (j.contains("kind")) {
    read = GbdtConfig::preset(read.kind);  // then the other keys override single fields
    config_fields::read(j, read, GbdtConfig::kName);
  }
  c = read;
}

// ---------------------------------------------------------------------------------------------
// XgbRegressor

struct XgbRegressor::State {
  GbdtConfig config;
  detail::BoosterPtr booster;  // null until fit or load
  int64_t num_features = 0;
};

XgbRegressor::XgbRegressor(GbdtConfig config) : state_(std::make_unique<State>()) {
  config.validate();
  state_->config = std::move(config);
}

XgbRegressor::~XgbRegressor() = default;
XgbRegressor::XgbRegressor(XgbRegressor&&) noexcept = default;
XgbRegressor& XgbRegressor::operator=(XgbRegressor&&) noexcept = default;

bool XgbRegressor::fitted() const { return state_ && state_->booster != nullptr; }
int64_t XgbRegressor::num_features() const { return state_ ? state_->num_features : 0; }
const GbdtConfig& XgbRegressor::config() const { return state_->config; }

void XgbRegressor::set_nthread(int64_t nthread) {
  SNAS_CHECK(nthread >= 1 && nthread <= 4096, "nthread must be in [1, 4096], got ", nthread);
  state_->config.nthread = nthread;
  if (state_->booster) set_param(state_->booster.get(), "nthread", std::to_string(nthread));
}

void XgbRegressor::fit(const std::vector<float>& x, const std::vector<float>& y, int64_t num_rows,
                       int64_t num_cols, const std::vector<unsigned>& groups) {
  const GbdtConfig& c = state_->config;
  SNAS_CHECK(num_rows >= 1, "XgbRegressor::fit: needs at least 1 training row, got ", num_rows);
  SNAS_CHECK(num_cols >= 1, "XgbRegressor::fit: needs at least 1 feature column, got ", num_cols);
  SNAS_CHECK(x.size() == static_cast<size_t>(num_rows * num_cols),
             "XgbRegressor::fit: the feature matrix must hold num_rows * num_cols = ", num_rows,
             " * ", num_cols, " = ", num_rows * num_cols, " values, got ", x.size());
  SNAS_CHECK(y.size() == static_cast<size_t>(num_rows),
             "XgbRegressor::fit: needs one target per row (", num_rows, "), got ", y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    SNAS_CHECK(std::isfinite(x[i]), "XgbRegressor::fit: feature values must be finite, got ", x[i],
               " at row ", i / num_cols, ", column ", i % num_cols);
  }
  for (size_t i = 0; i < y.size(); ++i) {
    SNAS_CHECK(std::isfinite(y[i]), "XgbRegressor::fit: targets must be finite, got ", y[i],
               " at row ", i);
  }

  const bool ranking = c.objective == "rank:pairwise";
  if (ranking) {
    SNAS_CHECK(!groups.empty(), "XgbRegressor::fit: objective \"rank:pairwise\" needs the row groups, got none");
    const uint64_t total = std::accumulate(groups.begin(), groups.end(), uint64_t{0});
    SNAS_CHECK(total == static_cast<uint64_t>(num_rows), "XgbRegressor::fit: the group sizes must sum to num_rows (",
               num_rows, "), got ", total);
  } else {
    SNAS_CHECK(groups.empty(), "XgbRegressor::fit: row groups are for objective \"rank:pairwise\"; objective is \"",
               c.objective, "\"");
  }

  const int nthread = static_cast<int>(c.nthread);
  detail::DMatrixPtr train = detail::make_dmatrix(x.data(), num_rows, num_cols, nthread);
  SNAS_XGB_CHECK(XGDMatrixSetFloatInfo(train.get(), "label", y.data(), y.size()));
  if (ranking) SNAS_XGB_CHECK(XGDMatrixSetUIntInfo(train.get(), "group", groups.data(), groups.size()));
  detail::BoosterPtr booster = detail::make_booster({train.get()});
  void* b = booster.get();

  // Mean in double: sklearn's GBDT and RF start from it (see the header), XGBoost >= 2.0 too.
  const double base_score =
      c.base_score ? *c.base_score
                   : std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
  set_param(b, "validate_parameters", "1");  // an unknown or misspelt parameter is an error
  set_param(b, "verbosity", "1");            // warnings only; libraries stay quiet
  set_param(b, "nthread", std::to_string(nthread));
  set_param(b, "booster", "gbtree");
  set_param(b, "objective", c.objective);
  set_param(b, "base_score", number_text(base_score));
  set_param(b, "tree_method", c.tree_method);
  set_param(b, "grow_policy", "depthwise");
  set_param(b, "eta", number_text(c.learning_rate));
  set_param(b, "max_depth", std::to_string(c.max_depth));
  set_param(b, "min_child_weight", number_text(c.min_child_weight));
  set_param(b, "lambda", number_text(c.reg_lambda));
  set_param(b, "alpha", "0");
  set_param(b, "gamma", "0");
  set_param(b, "max_delta_step", "0");
  set_param(b, "subsample", number_text(c.subsample));
  set_param(b, "colsample_bytree", "1");
  set_param(b, "colsample_bylevel", "1");
  set_param(b, "colsample_bynode", number_text(c.colsample_bynode));
  set_param(b, "max_bin", "256");
  set_param(b, "num_parallel_tree", c.is_forest() ? std::to_string(c.num_estimators) : "1");
  set_param(b, "seed", std::to_string(c.seed));
  // Reseed XGBoost's (thread-local, process-wide) sampler from (seed, round) every round, so a fit
  // does not depend on what other boosters did before it in the same thread.
  set_param(b, "seed_per_iteration", "1");

  const int64_t rounds = c.is_forest() ? 1 : c.num_estimators;
  for (int64_t round = 0; round < rounds; ++round) {
    SNAS_XGB_CHECK(XGBoosterUpdateOneIter(b, static_cast<int>(round), train.get()));
  }
  state_->booster = std::move(booster);
  state_->num_features = num_cols;
}

std::vector<float> XgbRegressor::predict(const std::vector<float>& x) const {
  SNAS_CHECK(fitted(), "XgbRegressor::predict: the model is not fitted (call fit or load first)");
  SNAS_CHECK(x.size() % static_cast<size_t>(state_->num_features) == 0,
             "XgbRegressor::predict: the feature matrix must have ", state_->num_features,
             " columns per row, but ", x.size(), " values are not a multiple of ",
             state_->num_features);
  return predict(x.data(), static_cast<int64_t>(x.size()) / state_->num_features);
}

std::vector<float> XgbRegressor::predict(const float* x, int64_t num_rows) const {
  SNAS_CHECK(fitted(), "XgbRegressor::predict: the model is not fitted (call fit or load first)");
  SNAS_CHECK(num_rows >= 0, "XgbRegressor::predict: num_rows must be >= 0, got ", num_rows);
  if (num_rows == 0) return {};
  // In-place prediction straight from the caller's buffer (an __array_interface__ naming its
  // address): no DMatrix copy, 20-25% faster than XGBoosterPredictFromDMatrix for 100 rows.
  // Plain prediction of every tree ("training": false).
  const std::string values = "{\"data\": [" + std::to_string(reinterpret_cast<uintptr_t>(x)) +
                             ", true], \"shape\": [" + std::to_string(num_rows) + ", " +
                             std::to_string(state_->num_features) +
                             "], \"typestr\": \"<f4\", \"version\": 3}";
  const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
                       R"( "strict_shape": false, "cache_id": 0, "missing": NaN})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  SNAS_XGB_CHECK(XGBoosterPredictFromDense(state_->booster.get(), values.c_str(), config, nullptr,
                                           &shape, &dim, &result));
  SNAS_INTERNAL_ASSERT(dim == 1 && shape[0] == static_cast<bst_ulong>(num_rows),
                       "XGBoost returned ", dim, " dimensions, first ", shape[0], ", for ",
                       num_rows, " rows");
  return std::vector<float>(result, result + num_rows);
}

void XgbRegressor::save(const std::filesystem::path& path) const {
  SNAS_CHECK(fitted(), "XgbRegressor::save: the model is not fitted, nothing to write to ", path);
  json config;
  to_json(config, state_->config);
  void* b = state_->booster.get();
  SNAS_XGB_CHECK(XGBoosterSetAttr(b, kConfigAttr, config.dump().c_str()));
  bst_ulong length = 0;
  const char* bytes = nullptr;
  SNAS_XGB_CHECK(XGBoosterSaveModelToBuffer(b, R"({"format": "json"})", &length, &bytes));
  write_file_atomic(path, std::string(bytes, length));
}

XgbRegressor XgbRegressor::load(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  detail::BoosterPtr booster = detail::make_booster();
  if (XGBoosterLoadModelFromBuffer(booster.get(), bytes.data(), bytes.size()) != 0) {
    SNAS_FAIL("cannot load the XGBoost model ", path, ": ", XGBGetLastError());
  }
  const char* text = nullptr;
  int found = 0;
  SNAS_XGB_CHECK(XGBoosterGetAttr(booster.get(), kConfigAttr, &text, &found));
  SNAS_CHECK(found == 1, "XGBoost model ", path, " has no \"", kConfigAttr,
             "\" attribute: it was not written by sparsenas (XgbRegressor::save)");
  GbdtConfig config;
  try {
    from_json(json::parse(text), config);
    config.validate();
  } catch (const std::exception& e) {
    SNAS_FAIL("XGBoost model ", path, ": invalid \"", kConfigAttr, "\" attribute: ", e.what());
  }
  bst_ulong num_features = 0;
  SNAS_XGB_CHECK(XGBoosterGetNumFeature(booster.get(), &num_features));
  SNAS_CHECK(num_features >= 1, "XGBoost model ", path, " has no features (an empty model?)");
  // Parameters such as nthread are not part of the saved model; set the ones prediction uses.
  set_param(booster.get(), "nthread", std::to_string(config.nthread));

  XgbRegressor model(config);
  model.state_->booster = std::move(booster);
  model.state_->num_features = static_cast<int64_t>(num_features);
  return model;
}

}  // namespace sparsenas::predictor
