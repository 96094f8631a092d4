#pragma once
// The one CSV reader and writer of sparsenas: RFC 4180 records as strings, by column name, with
// errors that name the file, the line and the column. Every table of a run directory
// (`pairs.csv`, `family.csv`, `predictors.csv`, `predictor/heldout.csv`) is read and written
// through it; the typed readers (rundir/, predictor/pairs_dataset.h, search/lookup.h) only
// convert fields.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::csv {

/// A parsed CSV file: the header and the records, every field as text.
///
/// Format (RFC 4180): one header line naming the columns, then one record per line; fields are
/// separated by ','; a field may be quoted with '"', a quote inside a quoted field is doubled and a
/// quoted field may hold ',' and line breaks. CRLF is accepted; blank lines are skipped. Every
/// record must have as many fields as the header.
struct Table {
  std::string source;                          ///< file name, for error messages
  std::vector<std::string> header;             ///< column names, in file order
  std::vector<std::vector<std::string>> rows;  ///< records, each header.size() fields
  std::vector<int64_t> lines;                  ///< 1-based line of each record (header = 1)

  /// Position of column `name` in the header, or -1 when there is none.
  int column(const std::string& name) const;
  /// Position of column `name`; throws sparsenas::Error naming the file, the column and the
  /// header's columns when there is none.
  int require_column(const std::string& name) const;
  /// The header of a table with a fixed set of columns in any order: the position of each of
  /// `columns` (in that order) in the header, -1 for an optional column that is absent. Every
  /// header must be one of `columns`, none twice, and the first `required` of `columns` must all be
  /// present (the rest are optional). Errors name the file, line 1, the column and list the
  /// columns ("x.csv:1: the header lacks the column 'macs'; the columns are a,b,c").
  std::vector<int> column_positions(const std::vector<std::string>& columns, size_t required) const;
  /// "file:line, column c (name)" of record `row`'s field `col`, for error messages.
  std::string where(size_t row, int col) const;
};

/// Parses CSV text; errors name `source`, the line and the column.
Table parse(const std::string& text, const std::string& source);
/// Reads and parses a file; errors name the file ("no such file" when it does not exist).
Table read(const std::filesystem::path& path);

/// Parses a field as a finite number; `allow_nan` also accepts "", "nan", "NaN", "-nan" (as NaN).
/// Errors name `where`.
double parse_number(const std::string& text, const std::string& where, bool allow_nan = false);
/// Parses a field as a non-negative integer; errors name `where`.
int64_t parse_count(const std::string& text, const std::string& where);
/// Parses a field as an integer (any sign); errors name `where`.
int64_t parse_integer(const std::string& text, const std::string& where);

// Writing. Records end with '\n'; nothing is quoted unless asked (`quote`).

/// `text` in double quotes, inner quotes doubled (always quoted: architecture JSON holds ',').
std::string quote(const std::string& text);
/// The shortest text that reads back as the same double; NaN as "" (an empty field).
std::string shortest(double value);
/// `value` with `digits` significant digits as `std::ostream` prints it ("nan" for NaN).
std::string significant(double value, int digits);
/// `fields` joined by ',' and ended by '\n' (fields are written as given: quote them first).
std::string record(const std::vector<std::string>& fields);

}  // namespace sparsenas::csv
