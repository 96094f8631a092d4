// Unit tests for src/sparsenas/pipeline/latency.h (timing of whole networks in both runtimes, the
// per-block latency table). No timing is asserted: only counts, shapes, keys and errors.
#include "sparsenas/pipeline/latency.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "sparsenas/export/onnx.h"
#include "sparsenas/nn/static_net.h"
#include "support/error_of.h"
#include "support/fashion_space.h"

namespace sparsenas::pipeline {
namespace {

using test::contains;
using test::error_of;

LatencyOptions quick_options() {
  LatencyOptions o;
  o.warmup = 0;
  o.repeats = 3;
  return o;
}

TEST(LatencyTest, TimesEveryRepeatInBothRuntimes) {
  const space::SearchSpace sp = test::fashion_space();
  nn::StaticNet net(sp, sp.min_arch());
  net->eval();
  LatencyOptions o = quick_options();
  o.batch = 2;
  std::vector<double> times = time_network(*net, o);
  ASSERT_EQ(times.size(), 3u);
  for (double t : times) EXPECT_TRUE(std::isfinite(t) && t > 0) << t;
  o.runtime = "opencv";
  if (exporter::onnx_available()) {
    times = time_network(*net, o);
    ASSERT_EQ(times.size(), 3u);
    for (double t : times) EXPECT_TRUE(std::isfinite(t) && t > 0) << t;
  } else {
    EXPECT_TRUE(contains(error_of([&] { time_network(*net, o); }), "no ONNX support"));
  }
  o.runtime = "tflite";
  std::string e = error_of([&] { time_network(*net, o); });
  EXPECT_TRUE(contains(e, "runtime")) << e;
  EXPECT_TRUE(contains(e, "tflite")) << e;
  o = quick_options();
  o.repeats = 0;
  e = error_of([&] { time_network(*net, o); });
  EXPECT_TRUE(contains(e, "repeats")) << e;
}

TEST(LatencyTest, TableHasEveryPartAndPredictsPositiveSums) {
  const space::SearchSpace sp = test::fashion_space();
  const LatencyOptions o = quick_options();
  const search::LatencyTable table = build_latency_table(sp, o, "test-machine");
  std::set<std::string> keys;
  for (const auto& c : search::block_configs(sp)) keys.insert(c.key);
  ASSERT_EQ(table.entries.size(), keys.size());
  for (const auto& [key, ms] : table.entries) {
    EXPECT_TRUE(keys.count(key)) << key;
    EXPECT_TRUE(std::isfinite(ms) && ms > 0) << key;
  }
  table.check_space(sp, "t.json");
  EXPECT_EQ(table.machine, "test-machine");
  EXPECT_EQ(table.repeats, 3);
  EXPECT_GT(table.predict_ms(sp, sp.max_arch(), "t.json"), 0.0);

  const LatencyTableCheck check = check_latency_table(table, "t.json", sp, o, 3, 1);
  EXPECT_EQ(check.networks, 3);
  EXPECT_EQ(check.predicted_ms.size(), 3u);
  EXPECT_TRUE(std::isfinite(check.rmse_percent));
  EXPECT_LE(std::fabs(check.kendall_tau), 1.0 + 1e-12);

  // A table of another shape is refused before anything is measured.
  space::SpaceOptions other;
  other.resolution = 32;
  other.in_channels = 1;
  other.num_classes = 10;
  const std::string e = error_of([&] {
    check_latency_table(table, "t.json", space::SearchSpace::from_name("ofa-mbv3", other), o, 3, 1);
  });
  EXPECT_TRUE(contains(e, "t.json: the latency table was measured for resolution 28")) << e;

  LatencyOptions opencv = o;
  opencv.runtime = "opencv";
  EXPECT_TRUE(contains(error_of([&] { build_latency_table(sp, opencv, "m"); }), "libtorch only"));
}

}  // namespace
}  // namespace sparsenas::pipeline
