#pragma once
// A generic CSV reader for the small tables of a run directory that have no typed reader of their
// own (`predictors.csv`, `predictor/heldout.csv`): RFC 4180 records as strings, by column name.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::report {

/// A parsed CSV file: the header and the records, every field as text.
///
/// Format (RFC 4180): one header line naming the columns, then one record per line; fields are
/// separated by ','; a field may be quoted with '"', a quote inside a quoted field is doubled and a
/// quoted field may hold ',' and line breaks. CRLF is accepted; blank lines are skipped. Every
/// record must have as many fields as the header.
struct CsvTable {
  std::string source;                          ///< file name, for error messages
  std::vector<std::string> header;             ///< column names, in file order
  std::vector<std::vector<std::string>> rows;  ///< records, each header.size() fields
  std::vector<int64_t> lines;                  ///< 1-based line of each record (header = 1)

  /// Position of column `name` in the header, or -1 when there is none.
  int column(const std::string& name) const;
  /// Position of column `name`; throws sparsenas::Error naming the file, the column and the
  /// header's columns when there is none.
  int require_column(const std::string& name) const;
  /// "file:line, column c (name)" of record `row`'s field `col`, for error messages.
  std::string where(size_t row, int col) const;
};

/// Parses CSV text; errors name `source`, the line and the column.
CsvTable parse_csv_table(const std::string& text, const std::string& source);
/// Reads and parses a file; errors name the file.
CsvTable read_csv_table(const std::filesystem::path& path);

/// Parses a field as a finite number; `allow_nan` also accepts "", "nan", "NaN", "-nan" (as NaN).
/// Errors name `where`.
double parse_number(const std::string& text, const std::string& where, bool allow_nan = false);
/// Parses a field as a non-negative integer; errors name `where`.
int64_t parse_count(const std::string& text, const std::string& where);

}  // namespace sparsenas::report
