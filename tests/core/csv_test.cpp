// Unit tests for src/sparsenas/core/csv.h.
#include "sparsenas/core/csv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::csv {
namespace {

using test::error_of;

using test::contains;

TEST(CsvTest, ParsesQuotedFieldsDoubledQuotesAndLineBreaks) {
  const Table t = parse(
      "name,value,note\r\n"
      "\"a,b\",1,\"say \"\"hi\"\"\"\r\n"
      "\n"
      "plain,2,\"two\nlines\"\n"
      "last,3,\n",
      "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"name", "value", "note"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"a,b", "1", "say \"hi\""}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"plain", "2", "two\nlines"}));
  EXPECT_EQ(t.rows[2], (std::vector<std::string>{"last", "3", ""}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ(t.column("value"), 1);
  EXPECT_EQ(t.column("missing"), -1);
  EXPECT_EQ(t.where(2, 1), "t.csv:6, column 2 (value)");
}

TEST(CsvTest, ErrorsNameTheFileLineAndColumn) {
  EXPECT_TRUE(contains(error_of([] { parse("a,b\n1,2,3\n", "x.csv"); }),
                       "x.csv:2: expected 2 fields as in the header, got 3"));
  EXPECT_TRUE(contains(error_of([] { parse("a,b\n1,\"2\n", "x.csv"); }),
                       "x.csv:2, column 2: quoted field has no closing quote"));
  EXPECT_TRUE(contains(error_of([] { parse("a,b\n1,\"2\"x\n", "x.csv"); }),
                       "unexpected character 'x' after a closing quote"));
  EXPECT_TRUE(contains(error_of([] { parse("a,b\n1,2\"\n", "x.csv"); }),
                       "a quote inside an unquoted field"));
  EXPECT_TRUE(contains(error_of([] { parse("\n\n", "x.csv"); }), "x.csv: empty file"));
  const Table t = parse("a\n1\n", "x.csv");
  EXPECT_TRUE(contains(error_of([&] { t.require_column("b"); }),
                       "x.csv:1: the header has no column 'b' (got 'a')"));
}

TEST(CsvTest, ColumnPositionsOfAFixedSetInAnyOrder) {
  const std::vector<std::string> columns = {"a", "b", "c", "opt"};
  EXPECT_EQ(parse("c,a,b\n", "x.csv").column_positions(columns, 3), (std::vector<int>{1, 2, 0, -1}));
  EXPECT_EQ(parse("opt,c,a,b\n", "x.csv").column_positions(columns, 3), (std::vector<int>{2, 3, 1, 0}));
  std::string e = error_of([&] { parse("a,c\n", "x.csv").column_positions(columns, 3); });
  EXPECT_TRUE(contains(e, "x.csv:1: the header lacks the column 'b'; the columns are a,b,c and optionally opt")) << e;
  e = error_of([&] { parse("a,b,c,d\n", "x.csv").column_positions(columns, 3); });
  EXPECT_TRUE(contains(e, "x.csv:1: column 4: unknown header 'd'")) << e;
  e = error_of([&] { parse("a,b,a,c\n", "x.csv").column_positions(columns, 4 - 1); });
  EXPECT_TRUE(contains(e, "x.csv:1: column 3: header 'a' appears twice")) << e;
  e = error_of([&] { parse("a,b,c\n", "x.csv").column_positions(columns, 4); });
  EXPECT_TRUE(contains(e, "the header lacks the column 'opt'; the columns are a,b,c,opt")) << e;
}

TEST(CsvTest, Numbers) {
  EXPECT_DOUBLE_EQ(parse_number("0.712", "w"), 0.712);
  EXPECT_TRUE(std::isnan(parse_number("nan", "w", true)));
  EXPECT_TRUE(std::isnan(parse_number("", "w", true)));
  EXPECT_TRUE(contains(error_of([] { parse_number("nan", "w"); }), "w: expected a number"));
  EXPECT_TRUE(contains(error_of([] { parse_number("1x", "w"); }), "got '1x'"));
  EXPECT_EQ(parse_count("800", "w"), 800);
  EXPECT_TRUE(contains(error_of([] { parse_count("-1", "w"); }), "non-negative integer"));
}

TEST(CsvTest, WritesWhatItReads) {
  const std::string text = record({quote("{\"ks\":[3,5]}"), "7", shortest(0.1), shortest(std::nan(""))}) +
                           record({quote("a \"b\""), "-2", significant(1.0 / 3.0, 10), ""});
  const Table t = parse(record({"arch", "n", "x", "y"}) + text, "w.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "{\"ks\":[3,5]}");
  EXPECT_EQ(parse_number(t.rows[0][2], "w"), 0.1);  // shortest round trip is exact
  EXPECT_TRUE(std::isnan(parse_number(t.rows[0][3], "w", true)));
  EXPECT_EQ(t.rows[1][0], "a \"b\"");
  EXPECT_EQ(parse_integer(t.rows[1][1], "w"), -2);
  EXPECT_EQ(t.rows[1][2], "0.3333333333");
  EXPECT_TRUE(contains(error_of([] { parse_integer("", "w"); }), "w: expected an integer"));
  EXPECT_TRUE(contains(error_of([] { read("/nonexistent/x.csv"); }), "no such file"));
}

}  // namespace
}  // namespace sparsenas::csv
