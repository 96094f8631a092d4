#include "sparsenas/rundir/predictor_tables.h"

#include "sparsenas/core/csv.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::rundir {
namespace {

constexpr int kDigits = 10;

std::string number(double value) { return csv::significant(value, kDigits); }

}  // namespace

std::vector<PredictorScore> read_predictor_scores(const std::filesystem::path& path) {
  const csv::Table t = csv::read(path);
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
    s.n_train = csv::parse_count(row[c_train], t.where(r, c_train));
    s.n_heldout = csv::parse_count(row[c_held], t.where(r, c_held));
    s.fit_seconds = csv::parse_number(row[c_fit], t.where(r, c_fit), true);
    s.rmse = csv::parse_number(row[c_rmse], t.where(r, c_rmse), true);
    s.rmse_shifted = csv::parse_number(row[c_shift], t.where(r, c_shift), true);
    s.kendall_tau = csv::parse_number(row[c_tau], t.where(r, c_tau), true);
    s.spearman_rho = csv::parse_number(row[c_rho], t.where(r, c_rho), true);
    out.push_back(std::move(s));
  }
  return out;
}

void write_predictor_scores(const std::filesystem::path& path, const std::vector<PredictorScore>& scores) {
  std::string text = csv::record(
      {"predictor", "n_train", "n_heldout", "fit_seconds", "rmse", "rmse_shifted", "kendall_tau", "spearman_rho"});
  for (const auto& s : scores) {
    text += csv::record({s.predictor, std::to_string(s.n_train), std::to_string(s.n_heldout), number(s.fit_seconds),
                         number(s.rmse), number(s.rmse_shifted), number(s.kendall_tau), number(s.spearman_rho)});
  }
  write_file_atomic(path, text);
}

HeldoutPredictions read_heldout(const std::filesystem::path& path) {
  const csv::Table t = csv::read(path);
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
    out.val_top1.push_back(csv::parse_number(t.rows[r][c_val], t.where(r, c_val)));
    for (size_t p = 0; p < columns.size(); ++p) {
      out.predicted[p].push_back(csv::parse_number(t.rows[r][columns[p]], t.where(r, columns[p])));
    }
  }
  return out;
}

void write_heldout(const std::filesystem::path& path, const HeldoutPredictions& h) {
  SNAS_INTERNAL_ASSERT(h.archs.size() == h.size() && h.predicted.size() == h.predictors.size(),
                       "held-out table shape");
  std::vector<std::string> header = {"arch", "val_top1"};
  header.insert(header.end(), h.predictors.begin(), h.predictors.end());
  std::string text = csv::record(header);
  for (size_t i = 0; i < h.size(); ++i) {
    std::vector<std::string> row = {csv::quote(h.archs[i]), number(h.val_top1[i])};
    for (const auto& column : h.predicted) {
      SNAS_INTERNAL_ASSERT(column.size() == h.size(), "held-out predictions per row");
      row.push_back(number(column[i]));
    }
    text += csv::record(row);
  }
  write_file_atomic(path, text);
}

}  // namespace sparsenas::rundir
