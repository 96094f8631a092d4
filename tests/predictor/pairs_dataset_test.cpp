// Unit tests for src/sparsenas/predictor/pairs_dataset.h
#include "sparsenas/predictor/pairs_dataset.h"
#include "support/error_of.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "sparsenas/core/csv.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/temp_dir.h"

namespace sparsenas::predictor {
namespace {

using space::Arch;
using space::SearchSpace;

using test::error_of;

PairsDataset sample_pairs(const SearchSpace& space, int count, uint64_t seed) {
  Rng rng(seed);
  PairsDataset d;
  for (const Arch& arch : space.sample_distinct(count, rng)) {
    d.pairs.push_back({arch, space.macs(arch), space.params(arch),
                       0.7 + 0.001 * static_cast<double>(d.pairs.size()) / 3.0});
  }
  return d;
}

TEST(PairsDatasetTest, WriteReadRoundTripIsExact) {
  test::TempDir dir;
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  const PairsDataset d = sample_pairs(space, 20, 1);
  const auto path = dir.path() / "pairs.csv";
  d.write_csv(path);
  const std::string text = read_file(path);
  EXPECT_EQ(text.substr(0, 28), "arch,macs,params,val_top1\n\"{");
  EXPECT_NE(text.find("\"\"ks\"\":["), std::string::npos);  // inner quotes doubled
  const PairsDataset back = PairsDataset::read_csv(path, &space);
  ASSERT_EQ(back.size(), d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(back.pairs[i].arch, d.pairs[i].arch);
    EXPECT_EQ(back.pairs[i].macs, d.pairs[i].macs);
    EXPECT_EQ(back.pairs[i].params, d.pairs[i].params);
    EXPECT_EQ(back.pairs[i].val_top1, d.pairs[i].val_top1);  // bit-exact
  }
  EXPECT_EQ(back.accuracies(), d.accuracies());
  EXPECT_EQ(back.archs(), d.archs());
}

TEST(PairsDatasetTest, HalfAccuraciesRoundTripAndAreOptional) {
  test::TempDir dir;
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  PairsDataset d = sample_pairs(space, 5, 2);
  EXPECT_FALSE(d.has_halves());
  const auto without = dir.path() / "without.csv";
  d.write_csv(without);
  EXPECT_EQ(read_file(without).substr(0, 26), "arch,macs,params,val_top1\n");
  const PairsDataset old = PairsDataset::read_csv(without);
  EXPECT_TRUE(std::isnan(old.pairs[0].val_top1_even));
  EXPECT_FALSE(old.has_halves());
  for (size_t i = 0; i < d.size(); ++i) {
    d.pairs[i].val_top1_even = 0.5 + 0.01 * static_cast<double>(i) / 3;
    d.pairs[i].val_top1_odd = 0.6 - 0.01 * static_cast<double>(i) / 7;
  }
  EXPECT_TRUE(d.has_halves());
  const auto with = dir.path() / "with.csv";
  d.write_csv(with);
  EXPECT_EQ(read_file(with).substr(0, 53), "arch,macs,params,val_top1,val_top1_even,val_top1_odd\n");
  const PairsDataset back = PairsDataset::read_csv(with);
  ASSERT_EQ(back.size(), d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(back.pairs[i].val_top1_even, d.pairs[i].val_top1_even);  // bit-exact
    EXPECT_EQ(back.pairs[i].val_top1_odd, d.pairs[i].val_top1_odd);
  }
  write_file_atomic(with, "arch,macs,params,val_top1,val_top1_even,val_top1_odd\n\"" +
                              [&] {
                                std::string q;
                                for (char c : d.pairs[0].arch.to_string()) q += c == '"' ? std::string("\"\"") : std::string(1, c);
                                return q;
                              }() + "\",1,2,0.5,0.4,75\n");
  EXPECT_NE(error_of([&] { PairsDataset::read_csv(with); }).find("a half accuracy must be a fraction"), std::string::npos);
}

TEST(PairsDatasetTest, ValidationLossRoundTripsAndIsOptional) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  PairsDataset d = sample_pairs(space, 4, 3);
  EXPECT_FALSE(d.has_loss());
  EXPECT_NE(error_of([&] { d.losses(); }).find("rerun the pairs stage"), std::string::npos);
  test::TempDir dir;
  d.write_csv(dir.path() / "a.csv");
  EXPECT_EQ(read_file(dir.path() / "a.csv").find("val_loss"), std::string::npos);  // not written when absent
  for (int i = 0; i < 4; ++i) d.pairs[i].val_loss = 0.5 + 0.1 / (i + 3);
  d.write_csv(dir.path() / "b.csv");
  const PairsDataset back = PairsDataset::read_csv(dir.path() / "b.csv", &space);
  ASSERT_TRUE(back.has_loss());
  EXPECT_EQ(back.losses(), d.losses());  // exact
  write_file_atomic(dir.path() / "c.csv", "arch,macs,params,val_top1,val_loss\n" +
                                              csv::quote(d.pairs[0].arch.to_string()) + ",1,2,0.5,-1\n");
  EXPECT_NE(error_of([&] { PairsDataset::read_csv(dir.path() / "c.csv"); }).find("val_loss must be"),
            std::string::npos);
}

TEST(PairsDatasetTest, ReadsReorderedAndExtraColumnsCrlfAndBlankLines) {
  test::TempDir dir;
  const auto path = dir.path() / "pairs.csv";
  write_file_atomic(path,
                    "val_top1,note,arch,macs,params\r\n"
                    "0.5,\"a, b\",\"{\"\"ks\"\":[3,5],\"\"e\"\":[4,6],\"\"d\"\":[2]}\",10,20\r\n"
                    "\r\n"
                    "0.25,,\"{\"\"ks\"\":[7,7],\"\"e\"\":[3,3],\"\"d\"\":[1]}\",11,21\r\n");
  const PairsDataset d = PairsDataset::read_csv(path);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.pairs[0].arch.kernel_sizes, (std::vector<int>{3, 5}));
  EXPECT_EQ(d.pairs[0].macs, 10);
  EXPECT_EQ(d.pairs[0].params, 20);
  EXPECT_EQ(d.pairs[0].val_top1, 0.5);
  EXPECT_EQ(d.pairs[1].arch.depths, (std::vector<int>{1}));
  EXPECT_EQ(d.pairs[1].val_top1, 0.25);
}

TEST(PairsDatasetTest, ErrorsNameFileLineAndColumn) {
  test::TempDir dir;
  const auto path = dir.path() / "pairs.csv";
  const std::string arch = "\"{\"\"ks\"\":[3],\"\"e\"\":[4],\"\"d\"\":[1]}\"";
  auto read_error = [&](const std::string& content) {
    write_file_atomic(path, content);
    return error_of([&] { PairsDataset::read_csv(path); });
  };
  const std::string file = path.string();
  EXPECT_NE(error_of([&] { PairsDataset::read_csv(dir.path() / "none.csv"); }).find("no such file"),
            std::string::npos);
  EXPECT_NE(read_error("").find(file + ": empty file"), std::string::npos);
  EXPECT_NE(read_error("arch,macs,val_top1\n").find(file + ":1: the header has no column 'params'"),
            std::string::npos);
  std::string e = read_error("arch,macs,params,val_top1\n" + arch + ",12,x3,0.5\n");
  EXPECT_NE(e.find(file + ":2, column 3 (params): expected a non-negative integer, got 'x3'"),
            std::string::npos)
      << e;
  e = read_error("arch,macs,params,val_top1\n" + arch + ",1,2,0.5\n" + arch + ",1,2,87.5\n");
  EXPECT_NE(e.find(file + ":3, column 4 (val_top1): val_top1 must be a fraction in [0, 1] (not a "
                          "percentage), got 87.5"),
            std::string::npos)
      << e;
  e = read_error("arch,macs,params,val_top1\n" + arch + ",1,2\n");
  EXPECT_NE(e.find(file + ":2: expected 4 fields as in the header, got 3"), std::string::npos) << e;
  e = read_error("arch,macs,params,val_top1\n\"{\"\"ks\"\":[3]},1,2,0.5\n");
  EXPECT_NE(e.find(file + ":2, column 1: quoted field has no closing quote"), std::string::npos)
      << e;
  e = read_error("arch,macs,params,val_top1\n\"{\"\"ks\"\":[3],\"\"e\"\":[4]}\",1,2,0.5\n");
  EXPECT_NE(e.find(file + ":2, column 1 (arch): architecture JSON must have the key \"d\""),
            std::string::npos)
      << e;
  // With a space, membership is checked too.
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  write_file_atomic(path, "arch,macs,params,val_top1\n" + arch + ",1,2,0.5\n");
  e = error_of([&] { PairsDataset::read_csv(path, &space); });
  EXPECT_NE(e.find(file + ":2, column 1 (arch): arch.d must have 5 entries"), std::string::npos)
      << e;
}

TEST(PairsDatasetTest, SplitIsSeededDisjointAndKeepsOrder) {
  const SearchSpace space = SearchSpace::from_name("ofa-mbv3");
  const PairsDataset d = sample_pairs(space, 100, 2);
  const auto [train, held_out] = d.split(0.2, 7);
  EXPECT_EQ(train.size(), 80u);
  EXPECT_EQ(held_out.size(), 20u);
  // Same seed, same split; another seed, another split.
  EXPECT_EQ(d.split(0.2, 7).second.archs(), held_out.archs());
  EXPECT_NE(d.split(0.2, 8).second.archs(), held_out.archs());
  // Disjoint, complete, and each part in file order (val_top1 increases with the file index).
  std::vector<Arch> all = train.archs();
  const std::vector<Arch> rest = held_out.archs();
  all.insert(all.end(), rest.begin(), rest.end());
  std::sort(all.begin(), all.end());
  std::vector<Arch> expected = d.archs();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
  const std::vector<double> train_acc = train.accuracies(), held_out_acc = held_out.accuracies();
  EXPECT_TRUE(std::is_sorted(train_acc.begin(), train_acc.end()));
  EXPECT_TRUE(std::is_sorted(held_out_acc.begin(), held_out_acc.end()));

  EXPECT_NE(error_of([&] { d.split(1.0, 0); }).find("held_out_fraction must be in (0, 1), got 1"),
            std::string::npos);
  PairsDataset one;
  one.pairs.push_back(d.pairs[0]);
  EXPECT_NE(error_of([&] { one.split(0.2, 0); }).find("both parts must be non-empty"),
            std::string::npos);
}

}  // namespace
}  // namespace sparsenas::predictor
