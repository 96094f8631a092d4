#include "sparsenas/core/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::csv {

int Table::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int Table::require_column(const std::string& name) const {
  const int c = column(name);
  if (c < 0) {
    std::string columns;
    for (const std::string& h : header) columns += (columns.empty() ? "" : ",") + h;
    SNAS_FAIL(source, ":1: the header has no column '", name, "' (got '", columns, "')");
  }
  return c;
}

std::vector<int> Table::column_positions(const std::vector<std::string>& columns, size_t required) const {
  std::string listed;
  for (size_t k = 0; k < columns.size(); ++k) {
    listed += (k == 0 ? "" : k == required ? " and optionally " : ",") + columns[k];
  }
  std::vector<int> position(columns.size(), -1);
  for (size_t c = 0; c < header.size(); ++c) {
    const auto it = std::find(columns.begin(), columns.end(), header[c]);
    SNAS_CHECK(it != columns.end(), source, ":1: column ", c + 1, ": unknown header '", header[c],
               "'; the columns are ", listed);
    const size_t k = static_cast<size_t>(it - columns.begin());
    SNAS_CHECK(position[k] < 0, source, ":1: column ", c + 1, ": header '", header[c], "' appears twice");
    position[k] = static_cast<int>(c);
  }
  for (size_t k = 0; k < required && k < columns.size(); ++k) {
    SNAS_CHECK(position[k] >= 0, source, ":1: the header lacks the column '", columns[k], "'; the columns are ",
               listed);
  }
  return position;
}

std::string Table::where(size_t row, int col) const {
  std::string out =
      source + ":" + std::to_string(lines.at(row)) + ", column " + std::to_string(col + 1);
  if (col >= 0 && static_cast<size_t>(col) < header.size()) out += " (" + header[col] + ")";
  return out;
}

Table parse(const std::string& text, const std::string& source) {
  Table table;
  table.source = source;
  int64_t line = 1;
  size_t i = 0;
  const size_t n = text.size();
  bool have_header = false;
  while (i < n) {
    // Skip blank lines (only whitespace before the line break).
    size_t j = i;
    while (j < n && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) ++j;
    if (j == n) break;
    if (text[j] == '\n') {
      i = j + 1;
      ++line;
      continue;
    }
    // One record.
    const int64_t record_line = line;
    std::vector<std::string> fields;
    std::string field;
    while (true) {
      field.clear();
      if (i < n && text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < n) {
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        SNAS_CHECK(closed, source, ":", record_line, ", column ", fields.size() + 1,
                   ": quoted field has no closing quote");
        if (i < n && text[i] == '\r' && (i + 1 == n || text[i + 1] == '\n')) ++i;
        SNAS_CHECK(i == n || text[i] == ',' || text[i] == '\n', source, ":", line, ", column ",
                   fields.size() + 1, ": unexpected character '", text[i],
                   "' after a closing quote (expected ',' or the end of the line)");
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n') field += text[i++];
        if (!field.empty() && field.back() == '\r') field.pop_back();
        SNAS_CHECK(field.find('"') == std::string::npos, source, ":", line, ", column ",
                   fields.size() + 1,
                   ": a quote inside an unquoted field; quote the field and double inner quotes");
      }
      fields.push_back(field);
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      break;  // end of line or of text
    }
    if (i < n && text[i] == '\n') {
      ++i;
      ++line;
    }
    if (!have_header) {
      table.header = std::move(fields);
      have_header = true;
    } else {
      SNAS_CHECK(fields.size() == table.header.size(), source, ":", record_line, ": expected ",
                 table.header.size(), " fields as in the header, got ", fields.size());
      table.rows.push_back(std::move(fields));
      table.lines.push_back(record_line);
    }
  }
  SNAS_CHECK(have_header, source, ": empty file; expected a header line");
  return table;
}

Table read(const std::filesystem::path& path) {
  SNAS_CHECK(std::filesystem::exists(path), "cannot read ", path.string(), ": no such file");
  return parse(read_file(path), path.string());
}

double parse_number(const std::string& text, const std::string& where, bool allow_nan) {
  if (allow_nan &&
      (text.empty() || text == "nan" || text == "NaN" || text == "-nan" || text == "NAN")) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  SNAS_CHECK(
      result.ec == std::errc() && result.ptr == text.data() + text.size() && std::isfinite(value),
      where, ": expected a number, got '", text, "'");
  return value;
}

int64_t parse_count(const std::string& text, const std::string& where) {
  int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  SNAS_CHECK(result.ec == std::errc() && result.ptr == text.data() + text.size() && value >= 0,
             where, ": expected a non-negative integer, got '", text, "'");
  return value;
}

int64_t parse_integer(const std::string& text, const std::string& where) {
  int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  SNAS_CHECK(!text.empty() && result.ec == std::errc() && result.ptr == text.data() + text.size(),
             where, ": expected an integer, got '", text, "'");
  return value;
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string shortest(double value) {
  if (std::isnan(value)) return "";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string significant(double value, int digits) {
  std::ostringstream s;
  s.precision(digits);
  s << value;
  return s.str();
}

std::string record(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += fields[i];
  }
  return out + '\n';
}

}  // namespace sparsenas::csv
