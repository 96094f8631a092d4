// Unit tests for src/sparsenas/search/lookup.h
#include "sparsenas/search/lookup.h"

#include <gtest/gtest.h>

#include <cmath>

#include "search/search_test_util.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::search {
namespace {

using space::Arch;

// Random rows with many ties in every column and some unmeasured latencies.
std::vector<FamilyRow> random_rows(int n, Rng& rng) {
  const space::SearchSpace space = test::fashion_space();
  std::vector<FamilyRow> rows;
  for (int i = 0; i < n; ++i) {
    FamilyRow r;
    r.arch = space.sample(rng);
    r.macs = static_cast<int64_t>(uniform_index(rng, 50)) * 1000;
    r.params = static_cast<int64_t>(uniform_index(rng, 40)) * 7;
    r.latency_ms = uniform_index(rng, 5) == 0 ? std::nan("") : uniform_index(rng, 30) * 0.25;
    r.val_top1 = uniform_index(rng, 20) / 20.0;
    r.test_top1 = uniform_index(rng, 4) == 0 ? std::nan("") : uniform_index(rng, 100) / 100.0;
    rows.push_back(r);
  }
  return rows;
}

double value_of(const FamilyRow& r, Bound bound) {
  switch (bound) {
    case Bound::kMacs:
      return static_cast<double>(r.macs);
    case Bound::kLatencyMs:
      return r.latency_ms;
    case Bound::kParams:
      return static_cast<double>(r.params);
  }
  return 0;
}

// The documented answer by brute force: best val_top1, then smaller bound value, then earlier row.
std::optional<int64_t> brute_force(const std::vector<FamilyRow>& rows, Bound bound, double limit) {
  std::optional<int64_t> best;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double v = value_of(rows[i], bound);
    if (std::isnan(v) || v > limit) continue;
    if (!best) {
      best = i;
      continue;
    }
    const FamilyRow& b = rows[*best];
    if (rows[i].val_top1 > b.val_top1 ||
        (rows[i].val_top1 == b.val_top1 && v < value_of(b, bound))) {
      best = i;
    }
  }
  return best;
}

TEST(LookupTest, BestWithinMatchesBruteForce) {
  Rng rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    const std::vector<FamilyRow> rows =
        random_rows(1 + static_cast<int>(uniform_index(rng, 300)), rng);
    const FamilyTable table(rows);
    for (Bound bound : {Bound::kMacs, Bound::kLatencyMs, Bound::kParams}) {
      for (int q = 0; q < 200; ++q) {
        double limit = 0;
        switch (bound) {
          case Bound::kMacs:
            limit = (static_cast<double>(uniform_index(rng, 55)) - 2) * 1000;
            break;
          case Bound::kLatencyMs:
            limit = (static_cast<double>(uniform_index(rng, 33)) - 1) * 0.25;
            break;
          case Bound::kParams:
            limit = static_cast<double>(uniform_index(rng, 300)) - 3;
            break;
        }
        if (q % 7 == 0) limit += 0.5;  // between values too
        const auto expected = brute_force(rows, bound, limit);
        const auto got = table.best_index_within(bound, limit);
        ASSERT_EQ(got.has_value(), expected.has_value()) << to_string(bound) << " " << limit;
        if (!got) continue;
        EXPECT_EQ(*got, *expected) << to_string(bound) << " <= " << limit;
        const auto row = table.best_within(bound, limit);
        ASSERT_TRUE(row.has_value());
        EXPECT_EQ(row->arch, rows[*expected].arch);
      }
    }
  }
}

TEST(LookupTest, EdgeCases) {
  const FamilyTable empty;
  EXPECT_FALSE(empty.best_within(Bound::kMacs, 1e18).has_value());
  Rng rng(2);
  const FamilyTable table(random_rows(10, rng));
  EXPECT_FALSE(table.best_within(Bound::kMacs, -1).has_value());
  EXPECT_TRUE(table.best_within(Bound::kMacs, INFINITY).has_value());
  EXPECT_THROW(table.best_within(Bound::kMacs, std::nan("")), Error);
  EXPECT_EQ(bound_from_string("latency_ms"), Bound::kLatencyMs);
  EXPECT_EQ(to_string(bound_from_string("params")), "params");
  EXPECT_THROW(bound_from_string("flops"), Error);
  std::vector<FamilyRow> bad(1);
  bad[0].val_top1 = std::nan("");
  EXPECT_THROW(FamilyTable{bad}, Error);
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(LookupTest, CsvRoundTrip) {
  Rng rng(3);
  std::vector<FamilyRow> rows = random_rows(50, rng);
  rows[0].val_top1 = 0.1 + 0.2;  // needs all 17 digits
  rows[1].latency_ms = 1e-7;
  const FamilyTable table(rows);
  sparsenas::test::TempDir dir;
  const auto path = dir.path() / "family.csv";
  table.write_csv(path);
  const FamilyTable back = FamilyTable::read_csv(path);
  ASSERT_EQ(back.size(), table.size());
  for (int64_t i = 0; i < table.size(); ++i) {
    const FamilyRow& a = table.rows()[i];
    const FamilyRow& b = back.rows()[i];
    EXPECT_EQ(a.arch, b.arch);
    EXPECT_EQ(a.macs, b.macs);
    EXPECT_EQ(a.params, b.params);
    EXPECT_TRUE(same(a.latency_ms, b.latency_ms)) << a.latency_ms << " " << b.latency_ms;
    EXPECT_TRUE(same(a.val_top1, b.val_top1));
    EXPECT_TRUE(same(a.test_top1, b.test_top1));
  }
  EXPECT_EQ(back.to_csv(), table.to_csv());
  // The arch column is a quoted JSON object with doubled quotes, readable by any CSV reader.
  EXPECT_EQ(
      table.to_csv().rfind("arch,macs,params,latency_ms,val_top1,test_top1\n\"{\"\"ks\"\":[", 0),
      0u);
}

TEST(LookupTest, CsvColumnsInAnyOrderAndCrlf) {
  const std::string arch = R"("{""ks"":[3],""e"":[4],""d"":[1]}")";
  const FamilyTable t = FamilyTable::parse_csv(
      "val_top1,arch,test_top1,macs,latency_ms,params\r\n0.5," + arch + ",,100,,7\r\n\r\n");
  ASSERT_EQ(t.size(), 1);
  EXPECT_EQ(t.rows()[0].arch.kernel_sizes, std::vector<int>{3});
  EXPECT_EQ(t.rows()[0].macs, 100);
  EXPECT_EQ(t.rows()[0].params, 7);
  EXPECT_TRUE(std::isnan(t.rows()[0].latency_ms));
  EXPECT_FALSE(t.best_within(Bound::kLatencyMs, 1e9).has_value());
}

void expect_parse_error(const std::string& text, const std::vector<std::string>& parts) {
  try {
    FamilyTable::parse_csv(text, "family.csv");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const Error& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "'" << part << "' not in: " << e.what();
    }
  }
}

TEST(LookupTest, CsvErrorsNameFileLineAndColumn) {
  const std::string header = "arch,macs,params,latency_ms,val_top1,test_top1\n";
  const std::string arch = R"("{""ks"":[3],""e"":[4],""d"":[1]}")";
  expect_parse_error("", {"family.csv", "empty file"});
  expect_parse_error("arch,macs,params,latency_ms,val_top1\n", {"family.csv:1", "test_top1"});
  expect_parse_error("arch,macs,flops,latency_ms,val_top1,test_top1\n",
                     {"family.csv:1", "column 3", "flops"});
  expect_parse_error("arch,macs,macs,params,latency_ms,val_top1,test_top1\n", {"twice"});
  expect_parse_error(header + arch + ",100,7,1.5,0.9,0.8\n" + arch + ",1e5,7,1.5,0.9,0.8\n",
                     {"family.csv:3", "column 2 (macs)", "integer", "1e5"});
  expect_parse_error(header + arch + ",100,7,fast,0.9,0.8\n",
                     {"family.csv:2", "column 4 (latency_ms)", "fast"});
  expect_parse_error(header + arch + ",100,7,1.5,,0.8\n",
                     {"family.csv:2", "column 5 (val_top1)", "empty"});
  expect_parse_error(header + arch + ",100,7,1.5,0.9\n",
                     {"family.csv:2", "expected 6 fields as in the header, got 5"});
  expect_parse_error(header + "\"{\"\"ks\"\":[3],100,7,1.5,0.9,0.8\n",
                     {"family.csv:2", "column 1", "quoted field has no closing quote"});
  expect_parse_error(header + "\"{\"\"ks\"\":[3]}\",100,7,1.5,0.9,0.8\n",
                     {"family.csv:2", "column 1 (arch)", "\"e\""});
  expect_parse_error(header + arch + ",-5,7,1.5,0.9,0.8\n",
                     {"family.csv:2", "column 2 (macs)", ">= 0"});
  expect_parse_error(header + arch + "x,100,7,1.5,0.9,0.8\n",
                     {"family.csv:2", "column 1", "after a closing quote"});
  EXPECT_THROW(FamilyTable::read_csv("/nonexistent/family.csv"), Error);
}

TEST(LookupTest, LookupReturnsTheBestRowWithinTheBound) {
  Rng rng(3);
  const FamilyTable table(random_rows(200, rng));
  for (Bound bound : {Bound::kMacs, Bound::kLatencyMs, Bound::kParams}) {
    for (double limit : {0.0, 3.0, 100.0, 5000.0, 1e9}) {
      const std::optional<int64_t> index = table.best_index_within(bound, limit);
      if (!index) continue;
      const FamilyRow row = lookup(table, bound, limit, "family.csv");
      EXPECT_EQ(row.arch, table.rows()[static_cast<size_t>(*index)].arch);
      EXPECT_EQ(row.macs, table.rows()[static_cast<size_t>(*index)].macs);
    }
  }
}

TEST(LookupTest, LookupErrorsNameTheFileTheBoundAndTheSmallestValue) {
  std::vector<FamilyRow> rows(2);
  rows[0].macs = 500;
  rows[1].macs = 700;
  const FamilyTable table(rows);
  EXPECT_EQ(sparsenas::test::error_of([&] { lookup(table, Bound::kMacs, 100, "runs/x/family.csv"); }),
            std::string("no network in \"runs/x/family.csv\" has macs <= 100; the smallest has 500 (2 networks)"));
  EXPECT_EQ(sparsenas::test::error_of([&] { lookup(table, Bound::kLatencyMs, 100, "f.csv"); }),
            "no network in \"f.csv\" has a measured latency_ms (the run was made with family.latency_repeats 0)");
  for (double bad : {-1.0, double(INFINITY), std::nan("")}) {
    EXPECT_NE(sparsenas::test::error_of([&] { lookup(table, Bound::kMacs, bad, "f.csv"); })
                  .find("the bound must be a finite number >= 0"),
              std::string::npos);
  }
}

TEST(LookupTest, MedianQuerySecondsIsSmallAndPositive) {
  Rng rng(4);
  const FamilyTable table(random_rows(100, rng));
  const double seconds = median_query_seconds(table, Bound::kMacs, {1000.0, 20000.0}, {5, 10, true});
  EXPECT_GT(seconds, 0.0);
  EXPECT_LT(seconds, 1e-3);  // a binary search: far below a millisecond even on a loaded machine
  EXPECT_THROW(median_query_seconds(table, Bound::kMacs, {}), Error);
  EXPECT_THROW(median_query_seconds(table, Bound::kMacs, {std::nan("")}), Error);
  EXPECT_THROW(median_query_seconds(table, Bound::kMacs, {1.0}, {0, 10, false}), Error);
  EXPECT_THROW(median_query_seconds(table, Bound::kMacs, {1.0}, {5, 0, false}), Error);
}

}  // namespace
}  // namespace sparsenas::search
