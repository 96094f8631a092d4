#include "sparsenas/report/run_artifacts.h"

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/report/csv_table.h"

namespace sparsenas::report {
namespace {

using nlohmann::json;

std::string type_name(const json& value) { return value.type_name(); }

// Reads an optional number field; an absent or null key leaves `out` unchanged.
void read_number(const json& object, const char* key, double& out, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  SNAS_CHECK(it->is_number(), where, ".", key, ": expected a number, got ", type_name(*it), " ",
             it->dump());
  out = it->get<double>();
  SNAS_CHECK(std::isfinite(out), where, ".", key, ": expected a finite number, got ", out);
}

void read_count(const json& object, const char* key, int64_t& out, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  SNAS_CHECK(it->is_number_integer() && it->get<int64_t>() >= 0, where, ".", key,
             ": expected a non-negative integer, got ", it->dump());
  out = it->get<int64_t>();
}

void read_string(const json& object, const char* key, std::string& out, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return;
  SNAS_CHECK(it->is_string(), where, ".", key, ": expected a string, got ", type_name(*it), " ",
             it->dump());
  out = it->get<std::string>();
}

}  // namespace

std::optional<double> StageRecord::metric(const std::string& key) const {
  const auto it = metrics.find(key);
  if (it == metrics.end() || it->is_null()) return std::nullopt;
  SNAS_CHECK(it->is_number(), "manifest stage '", name, "' metrics.", key,
             ": expected a number, got ", it->dump());
  return it->get<double>();
}

std::optional<std::string> StageRecord::metric_text(const std::string& key) const {
  const auto it = metrics.find(key);
  if (it == metrics.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

const StageRecord* Manifest::find(const std::string& name) const {
  for (const StageRecord& stage : stages) {
    if (stage.name == name) return &stage;
  }
  return nullptr;
}

Manifest parse_manifest(const json& j, const std::string& source) {
  SNAS_CHECK(j.is_object(), source, ": expected a JSON object, got ", type_name(j));
  Manifest manifest;
  read_count(j, "version", manifest.version, source);
  read_string(j, "method", manifest.method, source);
  const auto stages = j.find("stages");
  SNAS_CHECK(stages != j.end(), source, ": no key \"stages\" (expected an array of stages)");
  SNAS_CHECK(stages->is_array(), source, ".stages: expected an array, got ", type_name(*stages));
  for (size_t i = 0; i < stages->size(); ++i) {
    const json& s = (*stages)[i];
    const std::string where = source + ": stages[" + std::to_string(i) + "]";
    SNAS_CHECK(s.is_object(), where, ": expected an object, got ", type_name(s));
    StageRecord r;
    read_string(s, "name", r.name, where);
    SNAS_CHECK(!r.name.empty(), where, ".name: expected a non-empty stage name");
    const std::string at = source + ": stage '" + r.name + "'";
    read_string(s, "status", r.status, at);
    read_string(s, "started", r.started, at);
    read_string(s, "finished", r.finished, at);
    read_number(s, "wall_seconds", r.wall_seconds, at);
    read_number(s, "core_seconds", r.core_seconds, at);
    read_count(s, "subnet_passes", r.subnet_passes, at);
    read_count(s, "teacher_passes", r.teacher_passes, at);
    read_count(s, "eval_images", r.eval_images, at);
    read_count(s, "images_seen", r.images_seen, at);
    read_count(s, "epochs", r.epochs, at);
    read_count(s, "n_sub", r.n_sub, at);
    const auto metrics = s.find("metrics");
    if (metrics != s.end() && !metrics->is_null()) {
      SNAS_CHECK(metrics->is_object(), at, ".metrics: expected an object, got ",
                 type_name(*metrics));
      r.metrics = *metrics;
    }
    manifest.stages.push_back(std::move(r));
  }
  return manifest;
}

Manifest read_manifest(const std::filesystem::path& path) {
  return parse_manifest(read_json_file(path), path.string());
}

std::vector<PredictorScore> read_predictor_scores(const std::filesystem::path& path) {
  const CsvTable t = read_csv_table(path);
  const int c_name = t.require_column("predictor"), c_train = t.require_column("n_train"),
            c_held = t.require_column("n_heldout"), c_fit = t.require_column("fit_seconds"),
            c_rmse = t.require_column("rmse"), c_shift = t.require_column("rmse_shifted"),
            c_tau = t.require_column("kendall_tau"), c_rho = t.require_column("spearman_rho");
  std::vector<PredictorScore> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    PredictorScore s;
    s.predictor = row[c_name];
    SNAS_CHECK(!s.predictor.empty(), t.where(r, c_name), ": empty predictor name");
    s.n_train = parse_count(row[c_train], t.where(r, c_train));
    s.n_heldout = parse_count(row[c_held], t.where(r, c_held));
    s.fit_seconds = parse_number(row[c_fit], t.where(r, c_fit), true);
    s.rmse = parse_number(row[c_rmse], t.where(r, c_rmse), true);
    s.rmse_shifted = parse_number(row[c_shift], t.where(r, c_shift), true);
    s.kendall_tau = parse_number(row[c_tau], t.where(r, c_tau), true);
    s.spearman_rho = parse_number(row[c_rho], t.where(r, c_rho), true);
    out.push_back(std::move(s));
  }
  return out;
}

HeldoutPredictions read_heldout(const std::filesystem::path& path) {
  const CsvTable t = read_csv_table(path);
  const int c_arch = t.require_column("arch"), c_val = t.require_column("val_top1");
  HeldoutPredictions out;
  std::vector<int> columns;
  for (size_t c = 0; c < t.header.size(); ++c) {
    if (static_cast<int>(c) == c_arch || static_cast<int>(c) == c_val) continue;
    out.predictors.push_back(t.header[c]);
    columns.push_back(static_cast<int>(c));
  }
  out.predicted.resize(columns.size());
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out.archs.push_back(t.rows[r][c_arch]);
    out.val_top1.push_back(parse_number(t.rows[r][c_val], t.where(r, c_val)));
    for (size_t p = 0; p < columns.size(); ++p) {
      out.predicted[p].push_back(parse_number(t.rows[r][columns[p]], t.where(r, columns[p])));
    }
  }
  return out;
}

std::vector<HistoryEpoch> read_history(const std::filesystem::path& path) {
  const json j = read_json_file(path);
  const std::string source = path.string();
  SNAS_CHECK(j.is_array(), source, ": expected a JSON array of epochs, got ", type_name(j));
  std::vector<HistoryEpoch> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    const std::string where = source + ": [" + std::to_string(i) + "]";
    SNAS_CHECK(e.is_object(), where, ": expected an object, got ", type_name(e));
    HistoryEpoch h;
    h.epoch = static_cast<int64_t>(i);
    read_count(e, "epoch", h.epoch, where);
    SNAS_CHECK(e.contains("train_loss"), where, ": no key \"train_loss\"");
    read_number(e, "train_loss", h.train_loss, where);
    read_number(e, "train_top1", h.train_top1, where);
    read_number(e, "lr", h.lr, where);
    read_number(e, "seconds", h.seconds, where);
    const auto val = e.find("val_top1");
    if (val != e.end() && !val->is_null()) {
      double v = 0.0;
      read_number(e, "val_top1", v, where);
      h.val_top1 = v;
    }
    out.push_back(h);
  }
  return out;
}

}  // namespace sparsenas::report
