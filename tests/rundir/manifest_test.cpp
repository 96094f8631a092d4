// Unit tests for src/sparsenas/rundir/manifest.h.
#include "sparsenas/rundir/manifest.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;
using test::error_of;

using test::contains;

TEST(ManifestTest, ParsesManifest) {
  const json j = {{"version", 1},
                  {"method", "sparsenas"},
                  {"stages",
                   {{{"name", "teacher"},
                     {"status", "done"},
                     {"wall_seconds", 249.1},
                     {"core_seconds", 480.3},
                     {"epochs", 3},
                     {"n_sub", 1},
                     {"metrics", {{"val_top1", 0.91}}}},
                    {{"name", "pairs"}, {"status", "running"}}}}};
  const Manifest m = parse_manifest(j, "manifest.json");
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.method, "sparsenas");
  ASSERT_EQ(m.stages.size(), 2u);
  ASSERT_NE(m.find("teacher"), nullptr);
  EXPECT_DOUBLE_EQ(m.find("teacher")->core_seconds, 480.3);
  EXPECT_EQ(m.find("teacher")->epochs, 3);
  EXPECT_DOUBLE_EQ(*m.find("teacher")->metric("val_top1"), 0.91);
  EXPECT_FALSE(m.find("teacher")->metric("test_top1").has_value());
  EXPECT_EQ(m.find("pairs")->status, "running");
  EXPECT_EQ(m.find("family"), nullptr);

  json bad = j;
  bad["stages"][0]["epochs"] = -2;
  EXPECT_TRUE(contains(error_of([&] { parse_manifest(bad, "m.json"); }),
                       "m.json: stage 'teacher'.epochs: expected a non-negative integer"));
  EXPECT_TRUE(contains(error_of([&] { parse_manifest(json::array(), "m.json"); }),
                       "m.json: expected a JSON object"));
  EXPECT_TRUE(contains(error_of([&] {
                         parse_manifest(json{{"version", 1}}, "m.json");
                       }),
                       "no key \"stages\""));
}

TEST(ManifestTest, WritesWhatItReadsAndRefusesACorruptOne) {
  test::TempDir dir;
  Manifest m;
  m.method = "ofa";
  StageRecord& r = m.get("teacher");
  r.status = "done";
  r.config_hash = "abc";
  r.input_hashes = {{"data", "01"}};
  r.subnet_passes = 12;
  r.metrics = {{"val_top1", 0.5}};
  EXPECT_EQ(&m.get("teacher"), &r);
  m.write(dir.path() / "manifest.json");
  const Manifest back = Manifest::read(dir.path() / "manifest.json");
  EXPECT_EQ(back.method, "ofa");
  ASSERT_NE(back.find("teacher"), nullptr);
  EXPECT_EQ(back.find("teacher")->input_hashes, r.input_hashes);
  EXPECT_EQ(back.find("teacher")->config_hash, "abc");
  EXPECT_EQ(back.find("teacher")->subnet_passes, 12);
  EXPECT_EQ(back.find("teacher")->metrics, r.metrics);
  EXPECT_TRUE(Manifest::read(dir.path() / "none.json").stages.empty());
  write_file_atomic(dir.path() / "bad.json", "{\"version\": 1}");
  EXPECT_TRUE(contains(error_of([&] { Manifest::read(dir.path() / "bad.json"); }), "corrupt manifest"));
  write_file_atomic(dir.path() / "bad.json", "{\"version\": 2, \"method\": \"x\", \"stages\": []}");
  const std::string e = error_of([&] { Manifest::read(dir.path() / "bad.json"); });
  EXPECT_TRUE(contains(e, "corrupt manifest")) << e;
  EXPECT_TRUE(contains(e, "version must be 1, got 2")) << e;
}

}  // namespace
}  // namespace sparsenas::rundir
