// Unit tests for src/sparsenas/search/latency_table.h (the table's keys, prediction and reader;
// the measuring is tested in tests/pipeline/latency_test.cpp).
#include "sparsenas/search/latency_table.h"

#include <gtest/gtest.h>

#include <set>

#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"
#include "support/error_of.h"
#include "support/fashion_space.h"
#include "support/latency_tables.h"
#include "support/small_space.h"
#include "support/temp_dir.h"

namespace sparsenas::search {
namespace {

using test::contains;
using test::error_of;

// A table whose entries are the parts' MACs (SearchSpace's analytic model, an independent count):
// then its prediction must be the network's MACs.
LatencyTable macs_table(const space::SearchSpace& sp) {
  LatencyTable t = test::empty_latency_table(sp);
  for (const BlockConfig& c : block_configs(sp)) {
    if (c.kind == "block") t.entries[c.key] = static_cast<double>(sp.block_macs(c.slot, c.kernel, c.expand));
  }
  const space::Arch min = sp.min_arch();
  double blocks = 0;
  for (int slot = 0; slot < sp.num_slots(); ++slot) {
    if (sp.is_active(min, slot)) blocks += static_cast<double>(sp.block_macs(slot, min.kernel_sizes[slot], min.expand_ratios[slot]));
  }
  t.entries["stem"] = static_cast<double>(sp.macs(min)) - blocks;  // stem and head together
  t.entries["head"] = 0.0;
  return t;
}

TEST(LatencyTableTest, PartsAreDistinctAndSumToTheNetworkAsTheMacsModelDoes) {
  for (const std::string name : {"ofa-mbv3", "proxyless", "compofa"}) {
    const space::SearchSpace sp = test::small_space(name, 32, 1);
    const std::vector<BlockConfig> configs = block_configs(sp);
    std::set<std::string> keys;
    for (const auto& c : configs) EXPECT_TRUE(keys.insert(c.key).second) << name << ": duplicate " << c.key;
    EXPECT_EQ(configs.front().kind, "stem");
    EXPECT_EQ(configs.back().kind, "head");
    // Blocks after the first of a stage share their shapes, so far fewer parts than slots x choices.
    EXPECT_LT(configs.size(), static_cast<size_t>(sp.num_slots()) * 9 + 2) << name;
    const LatencyTable table = macs_table(sp);
    Rng rng(7);
    for (int i = 0; i < 200; ++i) {
      const space::Arch arch = sp.sample(rng);
      for (const std::string& key : network_keys(sp, arch)) EXPECT_TRUE(keys.count(key)) << key;
      EXPECT_DOUBLE_EQ(table.predict_ms(sp, arch, "t.json"), static_cast<double>(sp.macs(arch))) << arch.to_string();
    }
    EXPECT_DOUBLE_EQ(table.predict_ms(sp, sp.max_arch(), "t.json"), static_cast<double>(sp.macs(sp.max_arch())));
  }
}

TEST(LatencyTableTest, OfaMbv3At28HasTheExpectedParts) {
  const space::SearchSpace sp = test::fashion_space();
  // 5 stages x (first block, later blocks) x 3 kernels x 3 expands, plus stem and head.
  EXPECT_EQ(block_configs(sp).size(), 5u * 2 * 9 + 2);
  const std::vector<std::string> keys = network_keys(sp, sp.max_arch());
  EXPECT_EQ(keys.size(), 20u + 2);
  // First block of stage 0 at 28x28: the stem strides 2 -> 14x14 input, 16 -> 24 channels, stride 2.
  EXPECT_EQ(keys[1], "block:in16:out24:s2:k7:mid96:se0:relu:res0:hw14");
  EXPECT_EQ(keys[2], "block:in24:out24:s1:k7:mid144:se0:relu:res1:hw7");
}

TEST(LatencyTableTest, RoundTripsAndRejectsAnotherSpaceOrShape) {
  test::TempDir dir;
  const space::SearchSpace sp = test::fashion_space();
  const LatencyTable table = macs_table(sp);
  const auto path = dir.path() / "lut.json";
  write_latency_table(path, table);
  const LatencyTable back = read_latency_table(path);
  EXPECT_EQ(back.entries, table.entries);
  EXPECT_EQ(back.space_hash, table.space_hash);
  back.check_space(sp, path.string());

  std::string e = error_of([&] { back.check_space(test::small_space("proxyless", 28, 1), "lut.json"); });
  EXPECT_TRUE(contains(e, "lut.json: the latency table was measured for space ofa-mbv3, but the space has space "
                          "proxyless")) << e;
  e = error_of([&] { back.check_space(test::small_space("ofa-mbv3", 32, 1), "lut.json"); });
  EXPECT_TRUE(contains(e, "measured for resolution 28, but the space has resolution 32")) << e;
  e = error_of([&] { back.check_space(test::small_space("ofa-mbv3", 28, 3), "lut.json"); });
  EXPECT_TRUE(contains(e, "in_channels 1, but the space has in_channels 3")) << e;
  space::SpaceOptions wider;
  wider.resolution = 28;
  wider.in_channels = 1;
  wider.num_classes = 10;
  wider.width_mult = 1.2;
  e = error_of([&] { back.check_space(space::SearchSpace::from_name("ofa-mbv3", wider), "lut.json"); });
  EXPECT_TRUE(contains(e, "width_mult 1, but the space has width_mult 1.2")) << e;
  // Same name and shape, another topology: the hash tells.
  space::SpaceSpec spec = sp.spec();
  spec.stages[0].kernels = {3, 5};
  e = error_of([&] { back.check_space(space::SearchSpace(spec), "lut.json"); });
  EXPECT_TRUE(contains(e, "measured for space_hash")) << e;

  // A missing entry names the key.
  LatencyTable partial = table;
  partial.entries.erase("head");
  e = error_of([&] { partial.predict_ms(sp, sp.min_arch(), "lut.json"); });
  EXPECT_TRUE(contains(e, "lut.json: the latency table has no entry 'head'")) << e;
}

TEST(LatencyTableTest, CorruptOrIncompleteFilesAreClearErrors) {
  test::TempDir dir;
  const space::SearchSpace sp = test::fashion_space();
  const nlohmann::json good = to_json(macs_table(sp));
  const auto path = dir.path() / "lut.json";
  auto error_with = [&](const nlohmann::json& j) {
    write_json_file(path, j);
    return error_of([&] { read_latency_table(path); });
  };
  // Truncated file.
  const std::string text = good.dump();
  write_file_atomic(path, text.substr(0, text.size() / 2));
  std::string e = error_of([&] { read_latency_table(path); });
  EXPECT_TRUE(contains(e, path.string())) << e;
  e = error_of([&] { read_latency_table(dir.path() / "none.json"); });
  EXPECT_TRUE(contains(e, "none.json")) << e;

  nlohmann::json j = good;
  j.erase("space_hash");
  e = error_with(j);
  EXPECT_TRUE(contains(e, "lacks the field 'space_hash'")) << e;
  EXPECT_TRUE(contains(e, path.string())) << e;
  j = good;
  j["format"] = "onnx";
  EXPECT_TRUE(contains(error_with(j), "field 'format' must be \"sparsenas-latency-table\", got \"onnx\""));
  j = good;
  j["version"] = 2;
  EXPECT_TRUE(contains(error_with(j), "field 'version' must be 1, got 2"));
  j = good;
  j["threads"] = "two";
  EXPECT_TRUE(contains(error_with(j), "field 'threads' must be an integer >= 1, got \"two\""));
  j = good;
  j["entries"]["head"] = -1;
  EXPECT_TRUE(contains(error_with(j), "entries['head'] must be a number of milliseconds >= 0, got -1"));
  j = good;
  j["entries"] = nlohmann::json::object();
  EXPECT_TRUE(contains(error_with(j), "field 'entries' must be a non-empty object"));
  j = good;
  j["extra"] = 1;
  EXPECT_TRUE(contains(error_with(j), "unknown field 'extra'"));
  j = good;
  j["runtime"] = "opencv";
  EXPECT_TRUE(contains(error_with(j), "field 'runtime' must be \"libtorch\""));
}

}  // namespace
}  // namespace sparsenas::search
