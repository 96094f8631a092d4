// Unit tests for src/sparsenas/rundir/device_latency.h.
#include "sparsenas/rundir/device_latency.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/fs.h"
#include "sparsenas/rundir/run_dir.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;
using test::contains;
using test::error_of;

space::Arch arch_of(int k) {
  space::Arch a;
  a.kernel_sizes = {k};
  a.expand_ratios = {4};
  a.depths = {1};
  return a;
}

LatencyRow row_of(int64_t network, int k, double median, double p90) {
  LatencyRow r;
  r.network = network;
  r.arch = arch_of(k);
  r.macs = 100 + k;
  r.runtime = "libtorch";
  r.threads = 2;
  r.batch = 1;
  r.warmup = 3;
  r.repeats = 10;
  r.median_ms = median;
  r.p90_ms = p90;
  return r;
}

TEST(LatencyStatsTest, MedianAndNearestRankP90ByHand) {
  // Odd count: the middle value; p90 of 5 values is the ceil(4.5) = 5th smallest.
  LatencyStats s = latency_stats({5.0, 1.0, 4.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(s.median_ms, 3.0);
  EXPECT_DOUBLE_EQ(s.p90_ms, 5.0);
  // Even count: the mean of the middle two; p90 of 10 values is the 9th smallest.
  s = latency_stats({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(s.median_ms, 5.5);
  EXPECT_DOUBLE_EQ(s.p90_ms, 9.0);
  s = latency_stats({0.25});
  EXPECT_DOUBLE_EQ(s.median_ms, 0.25);
  EXPECT_DOUBLE_EQ(s.p90_ms, 0.25);
  EXPECT_TRUE(contains(error_of([] { latency_stats({}); }), "at least one time"));
  EXPECT_TRUE(contains(error_of([] { latency_stats({1.0, std::nan("")}); }), "must be >= 0"));
}

TEST(DeviceLatencyCsvTest, RoundTripsAndRejectsBadFiles) {
  test::TempDir dir;
  const std::vector<LatencyRow> rows = {row_of(0, 3, 1.25, 1.5), row_of(1, 5, 0.1 + 0.2, 0.5)};
  const auto path = dir.path() / "latency" / "dev.csv";
  write_latency_csv(path, rows);
  const std::vector<LatencyRow> back = read_latency_csv(path);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].arch.to_string(), rows[1].arch.to_string());
  EXPECT_EQ(back[1].median_ms, 0.1 + 0.2);  // shortest round-trip form, bit for bit
  EXPECT_EQ(back[0].threads, 2);
  EXPECT_EQ(back[0].runtime, "libtorch");
  EXPECT_EQ(latency_csv(back), latency_csv(rows));

  const std::string header = "network,arch,macs,runtime,threads,batch,warmup,repeats,median_ms,p90_ms\n";
  const std::string arch = "\"{\"\"ks\"\":[3],\"\"e\"\":[4],\"\"d\"\":[1]}\"";
  std::string e = error_of([&] { parse_latency_csv("network,arch\n", "x.csv"); });
  EXPECT_TRUE(contains(e, "x.csv:1: the header lacks the column 'macs'")) << e;
  e = error_of([&] { parse_latency_csv(header + "0," + arch + ",10,tflite,1,1,0,3,1.0,2.0\n", "x.csv"); });
  EXPECT_TRUE(contains(e, "expected libtorch or opencv, got \"tflite\"")) << e;
  e = error_of([&] { parse_latency_csv(header + "0," + arch + ",10,opencv,1,1,0,3,2.0,1.0\n", "x.csv"); });
  EXPECT_TRUE(contains(e, "p90_ms")) << e;
  EXPECT_TRUE(contains(e, "must be >= median_ms")) << e;
  e = error_of([&] { parse_latency_csv(header + "0," + arch + ",10,opencv,0,1,0,3,1.0,1.0\n", "x.csv"); });
  EXPECT_TRUE(contains(e, "threads")) << e;
  e = error_of([&] { parse_latency_csv(header + "0," + arch + ",10,opencv,1,1,0,3,abc,1.0\n", "x.csv"); });
  EXPECT_TRUE(contains(e, "x.csv:2")) << e;
}

TEST(DeviceNameTest, CheckedSanitisedAndDefaulted) {
  check_device_name("pixel-7_cpu.big");
  for (const std::string& bad : std::vector<std::string>{"", "a/b", "../x", ".hidden", "a b", std::string(101, 'a')}) {
    const std::string e = error_of([&] { check_device_name(bad); });
    EXPECT_TRUE(contains(e, "--device-name must be 1-100 characters")) << bad << ": " << e;
  }
  EXPECT_EQ(sanitize_device_name("  AMD EPYC 9R14 96-Core Processor "), "amd-epyc-9r14-96-core-processor");
  EXPECT_EQ(sanitize_device_name("Intel(R) Xeon(R) @ 2.20GHz"), "intel-r-xeon-r-2.20ghz");
  EXPECT_EQ(sanitize_device_name("()"), "cpu");
  const std::string name = default_device_name("opencv", 2);
  check_device_name(name);  // always a valid file name
  EXPECT_EQ(name, host_cpu_name() + "-opencv-2t");
}

TEST(DeviceLatencyRunTest, FamilyOnDeviceReplacesLatencyAndNamesUnknownDevices) {
  test::TempDir dir;
  write_json_file(dir.path() / kConfig, json{{"method", "sparsenas"}});
  const std::string a3 = "\"{\"\"ks\"\":[3],\"\"e\"\":[4],\"\"d\"\":[1]}\"";
  const std::string a5 = "\"{\"\"ks\"\":[5],\"\"e\"\":[4],\"\"d\"\":[1]}\"";
  const std::string a7 = "\"{\"\"ks\"\":[7],\"\"e\"\":[4],\"\"d\"\":[1]}\"";
  write_file_atomic(dir.path() / kFamily, "arch,macs,params,latency_ms,val_top1,test_top1\n" + a3 +
                                              ",103,2,9.0,0.5,\n" + a5 + ",105,2,9.0,0.7,\n" + a7 + ",107,2,9.0,0.9,\n");
  const RunDir run = open_run(dir.path());
  std::string e = error_of([&] { family_on_device(run, "phone"); });
  EXPECT_TRUE(contains(e, "--device-name phone: no device measured")) << e;
  EXPECT_TRUE(contains(e, "sparsenas latency")) << e;

  // Two devices; the 7x7 network was not measured on "phone".
  write_latency_csv(device_latency_path(dir.path(), "phone"), {row_of(0, 3, 1.0, 1.0), row_of(1, 5, 2.0, 2.5)});
  write_latency_csv(device_latency_path(dir.path(), "watch"), {row_of(0, 3, 4.0, 5.0)});
  write_file_atomic(dir.path() / kLatencyDir / "phone.partial.csv", "not a device");
  EXPECT_EQ(measured_devices(dir.path()), (std::vector<std::string>{"phone", "watch"}));
  e = error_of([&] { family_on_device(run, "tablet"); });
  EXPECT_TRUE(contains(e, "--device-name tablet: unknown device")) << e;
  EXPECT_TRUE(contains(e, "the devices measured are phone, watch")) << e;
  e = error_of([&] { family_on_device(run, "../phone"); });
  EXPECT_TRUE(contains(e, "--device-name must be")) << e;

  const search::FamilyTable phone = family_on_device(run, "phone");
  ASSERT_EQ(phone.size(), 3);
  EXPECT_EQ(phone.rows()[0].latency_ms, 1.0);
  EXPECT_EQ(phone.rows()[1].latency_ms, 2.0);
  EXPECT_TRUE(std::isnan(phone.rows()[2].latency_ms));  // not measured there: never selected by latency
  // The most accurate within 1.5 ms on the phone is the 3x3 one; within 2 ms, the 5x5 one.
  EXPECT_EQ(search::lookup(phone, search::Bound::kLatencyMs, 1.5, "phone.csv").arch.to_string(),
            arch_of(3).to_string());
  EXPECT_EQ(search::lookup(phone, search::Bound::kLatencyMs, 2.0, "phone.csv").arch.to_string(),
            arch_of(5).to_string());
  e = error_of([&] { search::lookup(phone, search::Bound::kLatencyMs, 0.5, "phone.csv"); });
  EXPECT_TRUE(contains(e, "the smallest has 1")) << e;

  // A file measured on another family.
  write_latency_csv(device_latency_path(dir.path(), "stale"), {row_of(0, 9, 1.0, 1.0)});
  e = error_of([&] { family_on_device(run, "stale"); });
  EXPECT_TRUE(contains(e, "stale.csv: network 0")) << e;
  EXPECT_TRUE(contains(e, "measured on another family")) << e;
}

}  // namespace
}  // namespace sparsenas::rundir
