#include "sparsenas/search/lookup.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>
#include <utility>

#include "sparsenas/core/csv.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::search {

namespace {

constexpr std::array<const char*, 7> kColumns = {"arch",     "macs",      "params",      "latency_ms",
                                                 "val_top1", "test_top1", "predicted_ms"};
enum Column { kArch, kMacs, kParams, kLatency, kVal, kTest, kPredicted };
constexpr size_t kRequiredColumns = 6;  // all but predicted_ms

std::string header_line(bool predicted = false) {
  std::string out;
  for (size_t k = 0; k < (predicted ? kColumns.size() : kRequiredColumns); ++k) {
    out += (out.empty() ? "" : ",") + std::string(kColumns[k]);
  }
  return out;
}

double bound_value(const FamilyRow& row, Bound bound) {
  switch (bound) {
    case Bound::kMacs:
      return static_cast<double>(row.macs);
    case Bound::kLatencyMs:
      return row.latency_ms;
    case Bound::kParams:
      return static_cast<double>(row.params);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::string to_string(Bound bound) {
  switch (bound) {
    case Bound::kMacs:
      return "macs";
    case Bound::kLatencyMs:
      return "latency_ms";
    case Bound::kParams:
      return "params";
  }
  return "?";
}

Bound bound_from_string(const std::string& name) {
  if (name == "macs") return Bound::kMacs;
  if (name == "latency_ms") return Bound::kLatencyMs;
  if (name == "params") return Bound::kParams;
  SNAS_FAIL("bound must be one of macs, latency_ms, params, got \"", name, "\"");
}

FamilyTable::FamilyTable(std::vector<FamilyRow> rows) : rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i) {
    const FamilyRow& r = rows_[i];
    SNAS_CHECK(std::isfinite(r.val_top1), "family row ", i, ": val_top1 must be finite, got ",
               r.val_top1);
    SNAS_CHECK(r.macs >= 0, "family row ", i, ": macs must be >= 0, got ", r.macs);
    SNAS_CHECK(r.params >= 0, "family row ", i, ": params must be >= 0, got ", r.params);
    SNAS_CHECK(std::isnan(r.latency_ms) || (r.latency_ms >= 0 && std::isfinite(r.latency_ms)),
               "family row ", i, ": latency_ms must be >= 0 or empty (not measured), got ",
               r.latency_ms);
    SNAS_CHECK(std::isnan(r.predicted_ms) || (r.predicted_ms >= 0 && std::isfinite(r.predicted_ms)), "family row ",
               i, ": predicted_ms must be >= 0 or empty (not predicted), got ", r.predicted_ms);
  }
  for (Bound bound : {Bound::kMacs, Bound::kLatencyMs, Bound::kParams}) {
    std::vector<std::pair<double, int64_t>> order;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const double v = bound_value(rows_[i], bound);
      if (!std::isnan(v)) order.emplace_back(v, static_cast<int64_t>(i));
    }
    std::sort(order.begin(), order.end());
    SortedIndex& index = index_[static_cast<size_t>(bound)];
    for (const auto& [value, row] : order) {
      index.values.push_back(value);
      // Strictly better only: on ties the cheaper (then earlier) row stays the answer.
      const bool take =
          index.best.empty() || rows_[row].val_top1 > rows_[index.best.back()].val_top1;
      index.best.push_back(take ? row : index.best.back());
    }
  }
}

bool FamilyTable::has_predicted_latency() const {
  return std::any_of(rows_.begin(), rows_.end(), [](const FamilyRow& r) { return !std::isnan(r.predicted_ms); });
}

FamilyTable FamilyTable::with_predicted_latency(const std::string& source) const {
  SNAS_CHECK(has_predicted_latency(), source,
             " has no predicted latency (its family was built on a MACs grid, sparse_space.constraint macs): "
             "give a latency table (--latency-table) or a measured device (--device-name)");
  std::vector<FamilyRow> rows = rows_;
  for (FamilyRow& r : rows) r.latency_ms = r.predicted_ms;
  return FamilyTable(std::move(rows));
}

std::optional<int64_t> FamilyTable::best_index_within(Bound bound, double limit) const {
  SNAS_CHECK(!std::isnan(limit), "the ", to_string(bound), " limit must be a number, got NaN");
  const SortedIndex& index = index_[static_cast<size_t>(bound)];
  const auto end = std::upper_bound(index.values.begin(), index.values.end(), limit);
  if (end == index.values.begin()) return std::nullopt;
  return index.best[static_cast<size_t>(end - index.values.begin()) - 1];
}

std::optional<FamilyRow> FamilyTable::best_within(Bound bound, double limit) const {
  const std::optional<int64_t> i = best_index_within(bound, limit);
  if (!i) return std::nullopt;
  return rows_[static_cast<size_t>(*i)];
}

FamilyRow lookup(const FamilyTable& family, Bound bound, double limit,
                 const std::filesystem::path& source) {
  SNAS_CHECK(std::isfinite(limit) && limit >= 0, "the bound must be a finite number >= 0, got ", limit);
  const std::optional<int64_t> index = family.best_index_within(bound, limit);
  if (!index) {
    double smallest = std::numeric_limits<double>::infinity();
    for (const auto& row : family.rows()) {
      const double v = bound_value(row, bound);
      if (!std::isnan(v)) smallest = std::min(smallest, v);
    }
    if (std::isinf(smallest)) {
      SNAS_FAIL("no network in ", source, " has a measured ", to_string(bound),
                " (the run was made with family.latency_repeats 0)");
    }
    SNAS_FAIL("no network in ", source, " has ", to_string(bound), " <= ", limit, "; the smallest has ",
              smallest, " (", family.size(), " networks)");
  }
  return family.rows()[static_cast<size_t>(*index)];
}

double median_query_seconds(const FamilyTable& family, Bound bound, const std::vector<double>& limits,
                            const QueryTiming& timing) {
  SNAS_CHECK(!limits.empty(), "median_query_seconds needs at least one limit");
  for (double limit : limits) {
    SNAS_CHECK(!std::isnan(limit), "the ", to_string(bound), " limit must be a number, got NaN");
  }
  SNAS_CHECK(timing.rounds >= 1, "QueryTiming.rounds must be >= 1, got ", timing.rounds);
  SNAS_CHECK(timing.queries_per_round >= 1, "QueryTiming.queries_per_round must be >= 1, got ",
             timing.queries_per_round);
  using Clock = std::chrono::steady_clock;
  volatile int64_t sink = 0;  // keeps the queries from being optimised away
  std::vector<double> per_query;
  per_query.reserve(static_cast<size_t>(timing.rounds));
  for (int round = timing.warm_up ? -1 : 0; round < timing.rounds; ++round) {
    const auto start = Clock::now();
    for (int q = 0; q < timing.queries_per_round; ++q) {
      const std::optional<int64_t> index = family.best_index_within(bound, limits[q % limits.size()]);
      sink = sink + index.value_or(-1);
    }
    const std::chrono::duration<double> elapsed = Clock::now() - start;
    if (round >= 0) per_query.push_back(elapsed.count() / timing.queries_per_round);
  }
  (void)sink;
  std::nth_element(per_query.begin(), per_query.begin() + per_query.size() / 2, per_query.end());
  return per_query[per_query.size() / 2];
}

FamilyTable FamilyTable::parse_csv(const std::string& text, const std::string& source) {
  const csv::Table t = csv::parse(text, source);
  // The columns of kColumns in any order, predicted_ms optional.
  const std::vector<int> position =
      t.column_positions(std::vector<std::string>(kColumns.begin(), kColumns.end()), kRequiredColumns);
  std::vector<FamilyRow> rows;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    auto cell = [&](Column k) -> const std::string& { return t.rows[r][position[k]]; };
    auto at = [&](Column k) { return t.where(r, position[k]); };
    FamilyRow row;
    try {
      row.arch = space::arch_from_string(cell(kArch));
    } catch (const Error& e) {
      SNAS_FAIL(at(kArch), ": ", e.what());
    }
    row.macs = csv::parse_integer(cell(kMacs), at(kMacs));
    row.params = csv::parse_integer(cell(kParams), at(kParams));
    SNAS_CHECK(!cell(kVal).empty(), at(kVal), ": expected a number, got an empty field");
    row.latency_ms = csv::parse_number(cell(kLatency), at(kLatency), /*allow_nan=*/true);
    row.val_top1 = csv::parse_number(cell(kVal), at(kVal));
    row.test_top1 = csv::parse_number(cell(kTest), at(kTest), /*allow_nan=*/true);
    if (position[kPredicted] >= 0) {
      row.predicted_ms = csv::parse_number(cell(kPredicted), at(kPredicted), /*allow_nan=*/true);
      SNAS_CHECK(std::isnan(row.predicted_ms) || row.predicted_ms >= 0, at(kPredicted),
                 ": must be >= 0 or empty, got ", cell(kPredicted));
    }
    SNAS_CHECK(row.macs >= 0, at(kMacs), ": must be >= 0, got ", row.macs);
    SNAS_CHECK(row.params >= 0, at(kParams), ": must be >= 0, got ", row.params);
    SNAS_CHECK(std::isnan(row.latency_ms) || row.latency_ms >= 0, at(kLatency), ": must be >= 0 or empty, got ",
               cell(kLatency));
    rows.push_back(std::move(row));
  }
  return FamilyTable(std::move(rows));
}

FamilyTable FamilyTable::read_csv(const std::filesystem::path& path) {
  return parse_csv(read_file(path), path.string());
}

std::string FamilyTable::to_csv() const {
  const bool predicted = has_predicted_latency();
  std::string out = header_line(predicted) + "\n";
  for (const FamilyRow& r : rows_) {
    std::vector<std::string> fields = {csv::quote(r.arch.to_string()), std::to_string(r.macs),
                                       std::to_string(r.params),       csv::shortest(r.latency_ms),
                                       csv::shortest(r.val_top1),      csv::shortest(r.test_top1)};
    if (predicted) fields.push_back(csv::shortest(r.predicted_ms));
    out += csv::record(fields);
  }
  return out;
}

void FamilyTable::write_csv(const std::filesystem::path& path) const {
  write_file_atomic(path, to_csv());
}

}  // namespace sparsenas::search
