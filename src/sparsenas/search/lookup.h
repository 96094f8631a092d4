#pragma once
// After the run: "the most accurate network with MACs <= X / latency <= Y ms / params <= Z" by
// lookup in the evaluated family (`family.csv`, DESIGN stage 7), with no evolutionary search
// (paper §5.6).

#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sparsenas/space/arch.h"

namespace sparsenas::search {

/// The efficiency a query bounds.
enum class Bound { kMacs, kLatencyMs, kParams };

/// "macs", "latency_ms", "params".
std::string to_string(Bound bound);
/// Parses the names of to_string; errors list them.
Bound bound_from_string(const std::string& name);

/// One evaluated network of the family.
struct FamilyRow {
  space::Arch arch;
  int64_t macs = 0;
  int64_t params = 0;
  /// Measured latency in milliseconds; NaN when not measured (such rows never match a latency
  /// query).
  double latency_ms = std::numeric_limits<double>::quiet_NaN();
  double val_top1 = 0.0;  ///< validation top-1 (selection), as `train::evaluate` reports: in [0, 1]
  /// Test top-1 (reported, never used to select); NaN when not evaluated.
  double test_top1 = std::numeric_limits<double>::quiet_NaN();
  /// Latency in milliseconds predicted by the latency table of a sparse space built on a latency
  /// grid (sparse_space.constraint "latency"); NaN otherwise.
  double predicted_ms = std::numeric_limits<double>::quiet_NaN();
};

/// The evaluated family with an index per bound kind, so that a query is one binary search.
///
/// `family.csv` (RFC 4180 CSV, one header line, one row per network):
/// ```
/// arch,macs,params,latency_ms,val_top1,test_top1
/// "{""ks"":[3,5,...],""e"":[4,6,...],""d"":[2,3,...]}",4523456,1523344,1.84,0.9012,0.8975
/// ```
/// `arch` is the compact JSON of the architecture (OFA keys) quoted with doubled quotes; the
/// columns may come in any order but all six must be present and no other; `latency_ms` and
/// `test_top1` may be empty (not measured). Numbers are written in their shortest round-trip form.
/// A seventh column, `predicted_ms`, is written only when some row has a predicted latency (a
/// family built on a latency grid) and may then be empty for a row; a file without it reads as
/// NaN predictions.
class FamilyTable {
 public:
  FamilyTable() = default;
  /// Checks every row (val_top1 finite, macs and params >= 0, latency_ms and predicted_ms >= 0 or
  /// NaN) and builds
  /// the indexes: O(n log n).
  explicit FamilyTable(std::vector<FamilyRow> rows);

  /// Parses CSV text; errors name `source` (a file name), the line, and the column.
  static FamilyTable parse_csv(const std::string& text, const std::string& source = "family.csv");
  /// Reads a file written by write_csv (or by hand in the same format).
  static FamilyTable read_csv(const std::filesystem::path& path);
  std::string to_csv() const;
  /// Writes the CSV atomically.
  void write_csv(const std::filesystem::path& path) const;

  const std::vector<FamilyRow>& rows() const { return rows_; }
  /// Whether some row has a predicted latency (the family was built on a latency grid).
  bool has_predicted_latency() const;
  /// This family with each row's latency_ms replaced by its predicted_ms, so that a latency bound
  /// selects by the prediction. Throws naming `source` when no row has a prediction (the family
  /// was built on a MACs grid: give a latency table).
  FamilyTable with_predicted_latency(const std::string& source) const;
  int64_t size() const { return static_cast<int64_t>(rows_.size()); }

  /// Index in rows() of the row with the highest val_top1 among those whose `bound` value is <=
  /// `limit` (ties: the smaller bound value, then the earlier row); nullopt when no row is within
  /// the bound. O(log n). Throws sparsenas::Error for a NaN limit.
  std::optional<int64_t> best_index_within(Bound bound, double limit) const;
  /// The row of best_index_within (a copy).
  std::optional<FamilyRow> best_within(Bound bound, double limit) const;

 private:
  // Per bound: the rows' bound values sorted ascending (NaN rows left out) and, for each prefix,
  // the row index with the best val_top1 in it.
  struct SortedIndex {
    std::vector<double> values;
    std::vector<int64_t> best;
  };
  std::vector<FamilyRow> rows_;
  std::array<SortedIndex, 3> index_;
};

/// The answer of `sparsenas search` and `sparsenas export --max-...`: the row of
/// `family.best_index_within(bound, limit)` (a copy).
///
/// Throws sparsenas::Error when `limit` is not a finite number >= 0, and when no row is within the
/// bound; that message names `source` (the family file, as a quoted path), the bound and either the
/// smallest value in the family or, when no row has a value for the bound (latency not measured),
/// says so.
///
/// Example:
/// ```
/// const FamilyTable family = FamilyTable::read_csv(run / "family.csv");
/// const FamilyRow row = lookup(family, Bound::kMacs, 8e6, run / "family.csv");
/// ```
FamilyRow lookup(const FamilyTable& family, Bound bound, double limit,
                 const std::filesystem::path& source);

/// How `median_query_seconds` times queries.
struct QueryTiming {
  int rounds = 101;              ///< timed rounds; the median round is reported (>= 1)
  int queries_per_round = 100;   ///< queries per round: one query alone is too short to time (>= 1)
  bool warm_up = false;          ///< run one untimed round first
};

/// Median seconds of one `family.best_index_within(bound, limit)` query: `timing.rounds` rounds
/// of `timing.queries_per_round` queries, each round's time divided by its query count, the
/// median (element rounds / 2 of the sorted list) returned. Query q of a round uses
/// `limits[q % limits.size()]`. A query is tens of nanoseconds on a family of thousands, which is
/// why it is timed in repeated rounds and not alone.
///
/// Throws sparsenas::Error when `limits` is empty or holds a NaN, or when rounds or
/// queries_per_round is < 1. Used by `sparsenas search` (query_us), report.md and compare.md.
double median_query_seconds(const FamilyTable& family, Bound bound, const std::vector<double>& limits,
                            const QueryTiming& timing = {});

}  // namespace sparsenas::search
