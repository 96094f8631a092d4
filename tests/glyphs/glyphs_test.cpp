// Unit tests for src/sparsenas/glyphs: class sets, the font catalog against what dpkg installed,
// the renderer, the IDX writer and the data set (determinism, held-out families, every class in
// every split, glyphs a font lacks). They use the font packages that scripts/setup.sh installs:
// a missing one fails the test (with the apt-get line), it is never skipped.
#include "sparsenas/glyphs/glyph_dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sparsenas/core/error.h"
#include "sparsenas/glyphs/class_sets.h"
#include "sparsenas/glyphs/font_catalog.h"
#include "sparsenas/glyphs/glyph_renderer.h"
#include "sparsenas/glyphs/idx_writer.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas::glyphs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using sparsenas::test::error_of;
using sparsenas::test::TempDir;
using json = nlohmann::json;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

uint32_t u32_at(const std::string& bytes, size_t offset) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes.at(offset + i));
  return v;
}

/// The labels of an IDX labels file (8- or 16-bit), read independently of data/idx_reader.
std::vector<int> read_labels(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  const uint32_t magic = u32_at(bytes, 0), n = u32_at(bytes, 4);
  const size_t width = magic == 0x00000B01 ? 2 : 1;
  EXPECT_TRUE(magic == 0x00000801 || magic == 0x00000B01) << path;
  EXPECT_EQ(bytes.size(), 8 + width * n) << path;
  std::vector<int> labels;
  for (size_t i = 0; i < n; ++i) {
    int v = 0;
    for (size_t b = 0; b < width; ++b) v = (v << 8) | static_cast<uint8_t>(bytes.at(8 + width * i + b));
    labels.push_back(v);
  }
  return labels;
}

const FontFace& face_of(const std::vector<FontFace>& faces, const std::string& family, const std::string& style) {
  const auto it = std::find_if(faces.begin(), faces.end(),
                               [&](const FontFace& f) { return f.family == family && f.style == style; });
  if (it == faces.end()) throw std::runtime_error("no installed face " + family + " " + style);
  return *it;
}

TEST(ClassSetTest, NamedSetsHoldDistinctCharacters) {
  EXPECT_EQ(class_set_names(), (std::vector<std::string>{"latin62", "latin26", "digits10", "cjk500", "cjk100"}));
  const auto distinct = [](const ClassSet& s) {
    return std::set<char32_t>(s.code_points.begin(), s.code_points.end()).size();
  };
  const ClassSet latin = class_set("latin62");
  ASSERT_EQ(latin.code_points.size(), 62u);
  EXPECT_EQ(distinct(latin), 62u);
  EXPECT_EQ(latin.code_points.front(), U'0');
  EXPECT_EQ(latin.code_points[10], U'A');
  EXPECT_EQ(latin.code_points.back(), U'z');
  EXPECT_EQ(latin.script, Script::kLatin);
  EXPECT_EQ(class_set("digits10").code_points.size(), 10u);
  EXPECT_EQ(class_set("latin26").code_points.size(), 26u);

  const ClassSet cjk = class_set("cjk500");
  ASSERT_EQ(cjk.code_points.size(), 500u);
  EXPECT_EQ(distinct(cjk), 500u);
  EXPECT_EQ(cjk.script, Script::kCjk);
  for (char32_t c : cjk.code_points) EXPECT_TRUE(c >= 0x4E00 && c <= 0x9FFF) << code_point_name(c);
  const ClassSet cjk100 = class_set("cjk100");
  ASSERT_EQ(cjk100.code_points.size(), 100u);
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(cjk100.code_points[i], cjk.code_points[5 * i]);

  EXPECT_EQ(utf8(U'A'), "A");
  EXPECT_EQ(utf8(0x4E00), "\xE4\xB8\x80");
  EXPECT_EQ(code_point_name(U'A'), "U+0041");
}

TEST(ClassSetTest, AnUnknownNameIsAnErrorListingTheValidOnes) {
  const std::string message = error_of([] { class_set("latin63"); });
  EXPECT_THAT(message, HasSubstr("latin63"));
  for (const auto& name : class_set_names()) EXPECT_THAT(message, HasSubstr(name));
}

TEST(IdxWriterTest, LabelsAreEightBitUpTo255AndSixteenBitAbove) {
  TempDir dir;
  write_idx_labels(dir.path() / "narrow", {0, 255, 7});
  std::string bytes = read_bytes(dir.path() / "narrow");
  EXPECT_EQ(u32_at(bytes, 0), 0x00000801u);
  EXPECT_EQ(read_labels(dir.path() / "narrow"), (std::vector<int>{0, 255, 7}));
  write_idx_labels(dir.path() / "wide", {0, 256, 499, 3});
  bytes = read_bytes(dir.path() / "wide");
  EXPECT_EQ(u32_at(bytes, 0), 0x00000B01u);
  ASSERT_EQ(bytes.size(), 8u + 8u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[10]), 0x01);  // 256 big-endian
  EXPECT_EQ(static_cast<uint8_t>(bytes[11]), 0x00);
  EXPECT_EQ(read_labels(dir.path() / "wide"), (std::vector<int>{0, 256, 499, 3}));

  write_idx_images(dir.path() / "images", {1, 2, 3, 4, 5, 6}, 1, 2, 3);
  bytes = read_bytes(dir.path() / "images");
  EXPECT_EQ(u32_at(bytes, 0), 0x00000803u);
  EXPECT_EQ(u32_at(bytes, 4), 1u);
  EXPECT_EQ(u32_at(bytes, 8), 2u);
  EXPECT_EQ(u32_at(bytes, 12), 3u);
  EXPECT_EQ(bytes.substr(16), std::string("\x01\x02\x03\x04\x05\x06"));
}

TEST(FontCatalogTest, EveryPackageOfBothScriptsIsInstalledAndGrouped) {
  for (const Script script : {Script::kLatin, Script::kCjk}) {
    const std::vector<FontFace> faces = installed_faces(script);
    std::set<std::string> packages;
    for (const FontFace& f : faces) {
      packages.insert(f.package);
      EXPECT_FALSE(f.group.empty()) << f.file;
      EXPECT_FALSE(f.version.empty()) << f.file;
      EXPECT_FALSE(f.licence.empty()) << f.package;
      EXPECT_EQ(f.style.find("Inverted"), std::string::npos) << f.file;
      EXPECT_TRUE(fs::is_regular_file(f.file)) << f.file;
    }
    for (const FontPackage& p : font_packages(script)) EXPECT_EQ(packages.count(p.package), 1u) << p.package;
  }
  // Declared groups: URW's eight designs apart, derived outlines with their origin.
  const std::vector<FontFace> latin = installed_faces(Script::kLatin);
  EXPECT_EQ(face_of(latin, "Carlito", "Regular").group, face_of(latin, "Lato", "Regular").group);
  EXPECT_NE(face_of(latin, "Nimbus Sans", "Regular").group, face_of(latin, "Nimbus Roman", "Regular").group);
  // One face per (group, family, style).
  std::set<std::tuple<std::string, std::string, std::string>> keys;
  for (const FontFace& f : latin) EXPECT_TRUE(keys.insert({f.group, f.family, f.style}).second) << f.file;
}

TEST(FontCatalogTest, AMissingPackageIsAnErrorWithTheInstallCommand) {
  TempDir root;
  std::ofstream(root.path() / "status") << "Package: fonts-dejavu-core\nStatus: install ok installed\n"
                                           "Version: 2.37-6\n\n";
  const std::string message = error_of([&] { installed_faces(Script::kCjk, root.path()); });
  EXPECT_THAT(message, HasSubstr("not installed"));
  EXPECT_THAT(message, HasSubstr("fonts-arphic-ukai"));
  EXPECT_THAT(message, HasSubstr("apt-get install --no-install-recommends"));
  EXPECT_THAT(message, HasSubstr("scripts/setup.sh"));
}

TEST(GlyphRendererTest, DrawsOnlyGlyphsWithAnOutlineAndIsSeeded) {
  const std::vector<FontFace> faces = installed_faces(Script::kLatin);
  const FontFace& dejavu = face_of(faces, "DejaVu Sans", "Book");
  GlyphRenderer renderer(28, Script::kLatin);
  renderer.open(dejavu);
  EXPECT_TRUE(renderer.has_glyph(U'A'));
  EXPECT_TRUE(renderer.has_glyph(U'g'));
  EXPECT_FALSE(renderer.has_glyph(0x4E00));  // DejaVu has no hanzi: never drawn as a box
  EXPECT_FALSE(renderer.has_glyph(U' '));    // mapped, but no contour: never drawn as a blank

  Rng a(7), b(7), c(8);
  const std::vector<uint8_t> first = renderer.render(U'A', a);
  ASSERT_EQ(first.size(), 28u * 28u);
  EXPECT_EQ(renderer.render(U'A', b), first);
  EXPECT_NE(renderer.render(U'A', c), first);
  // A light glyph on a dark ground, inside the image: bright pixels exist, the border is dark.
  const Distortions bounds;
  int bright = 0;
  for (uint8_t p : first) bright += p >= bounds.foreground_min - 3 * bounds.noise_max ? 1 : 0;
  EXPECT_GE(bright, 20);
  double border = 0;
  for (int i = 0; i < 28; ++i) border += first[i] + first[27 * 28 + i] + first[i * 28] + first[i * 28 + 27];
  EXPECT_LT(border / (4 * 28), bounds.background_max + 3 * bounds.noise_max + 20);
}

/// A small data set: 10 digits, one image per class and family.
GlyphsRequest digits(uint64_t seed = 0) {
  GlyphsRequest r;
  r.classes = "digits10";
  r.seed = seed;
  r.images_per_class = 1;
  return r;
}

TEST(GlyphDatasetTest, SameSeedSameBytesHeldOutFamiliesEveryClassInEverySplit) {
  TempDir dir;
  const json m = generate_glyphs(digits(), dir.path() / "a");
  const json again = generate_glyphs(digits(), dir.path() / "b");
  EXPECT_EQ(again.at("hash"), m.at("hash"));
  for (const char* split : {"train", "val", "test"}) {
    EXPECT_EQ(read_bytes(dir.path() / "a" / images_file(split)), read_bytes(dir.path() / "b" / images_file(split)))
        << split;
  }
  EXPECT_EQ(glyphs_content_hash(dir.path() / "a"), m.at("hash").get<std::string>());
  EXPECT_TRUE(glyphs_up_to_date(digits(), dir.path() / "a"));
  EXPECT_FALSE(glyphs_up_to_date(digits(1), dir.path() / "a"));
  EXPECT_FALSE(fs::exists(dir.path() / "a.tmp-glyphs"));

  const json other = generate_glyphs(digits(1), dir.path() / "c");
  EXPECT_NE(other.at("hash"), m.at("hash"));

  // Families: each in exactly one split, as the manifest's fonts say, with the default shares.
  const int families = m.at("families").get<int>();
  std::map<std::string, std::string> split_of;
  for (const char* split : {"train", "val", "test"}) {
    for (const auto& g : m.at("splits").at(split).at("families")) {
      EXPECT_TRUE(split_of.emplace(g.get<std::string>(), split).second) << g << " is in two splits";
    }
  }
  EXPECT_EQ(static_cast<int>(split_of.size()), families);
  EXPECT_EQ(static_cast<int>(m.at("splits").at("val").at("families").size()), families / 6);
  EXPECT_EQ(static_cast<int>(m.at("splits").at("test").at("families").size()), families / 5);
  for (const auto& f : m.at("fonts")) EXPECT_EQ(f.at("split"), split_of.at(f.at("group").get<std::string>())) << f;
  EXPECT_NE(other.at("splits").at("test").at("families"), m.at("splits").at("test").at("families"));

  // Every class in every split, one image per class and family (no digit is missing anywhere).
  EXPECT_EQ(m.at("missing_glyphs").at("images_not_drawn"), 0);
  for (const char* split : {"train", "val", "test"}) {
    const std::vector<int> labels = read_labels(dir.path() / "a" / labels_file(split));
    const auto n_families = static_cast<int64_t>(m.at("splits").at(split).at("families").size());
    EXPECT_EQ(static_cast<int64_t>(labels.size()), 10 * n_families) << split;
    EXPECT_EQ(m.at("splits").at(split).at("images"), labels.size()) << split;
    for (int c = 0; c < 10; ++c) EXPECT_EQ(std::count(labels.begin(), labels.end(), c), n_families) << split << c;
    const std::string images = read_bytes(dir.path() / "a" / images_file(split));
    EXPECT_EQ(images.size(), 16 + labels.size() * 28 * 28) << split;
  }
  ASSERT_EQ(m.at("classes").size(), 10u);
  EXPECT_EQ(m.at("classes")[3], (json{{"label", 3}, {"character", "3"}, {"code_point", "U+0033"}}));

  // A changed byte: no longer up to date, and the hash says so.
  {
    char byte = 0;
    std::ifstream((dir.path() / "a" / images_file("val")), std::ios::binary).seekg(100).read(&byte, 1);
    std::fstream f(dir.path() / "a" / images_file("val"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put(static_cast<char>(byte ^ 0x5A));
  }
  EXPECT_NE(glyphs_content_hash(dir.path() / "a"), m.at("hash").get<std::string>());
  EXPECT_FALSE(glyphs_up_to_date(digits(), dir.path() / "a"));
}

TEST(GlyphDatasetTest, BadRequestsAreClearErrorsAndWriteNothing) {
  TempDir dir;
  const fs::path out = dir.path() / "out";
  GlyphsRequest r = digits();
  r.classes = "runes";
  EXPECT_THAT(error_of([&] { generate_glyphs(r, out); }), HasSubstr("runes"));
  r = digits();
  r.size = 4;
  EXPECT_THAT(error_of([&] { generate_glyphs(r, out); }), HasSubstr("--size must be in 8..512 pixels, got 4"));
  r = digits();
  r.val_families = 40;
  r.test_families = 40;
  EXPECT_THAT(error_of([&] { generate_glyphs(r, out); }), HasSubstr("leave at least one of the"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir.path() / "out.tmp-glyphs"));
  fs::create_directories(out);
  std::ofstream(out / "notes.txt") << "mine";
  EXPECT_THAT(error_of([&] { generate_glyphs(digits(), out); }), HasSubstr("is not an empty directory"));
  EXPECT_EQ(read_bytes(out / "notes.txt"), "mine");
}

// A package whose files lack the classes' characters: a dpkg database in which fonts-smiley-sans
// lists DejaVu Sans (no hanzi). Its family draws nothing, and the manifest counts it.
TEST(GlyphDatasetTest, GlyphsAFontLacksAreSkippedAndCounted) {
  TempDir dir;
  const fs::path root = dir.path() / "dpkg";
  fs::create_directories(root / "info");
  fs::copy_file("/var/lib/dpkg/status", root / "status");
  std::string dejavu;
  for (const FontFace& f : installed_faces(Script::kLatin)) {
    if (f.family == "DejaVu Sans" && f.style == "Book") dejavu = f.file.string();
  }
  ASSERT_FALSE(dejavu.empty());
  for (const FontPackage& p : font_packages(Script::kCjk)) {
    const fs::path list = root / "info" / (p.package + ".list");
    if (p.package == "fonts-smiley-sans") {
      std::ofstream(list) << dejavu << "\n";
    } else {
      fs::copy_file(fs::path("/var/lib/dpkg/info") / (p.package + ".list"), list);
    }
  }
  GlyphsRequest r;
  r.classes = "cjk100";
  r.images_per_class = 1;
  r.dpkg_root = root;
  const json m = generate_glyphs(r, dir.path() / "out");
  const json& missing = m.at("missing_glyphs");
  EXPECT_EQ(missing.at("by_family").size(), 1u) << missing;
  EXPECT_EQ(missing.at("by_family").at("smiley-sans").at("face_character_pairs_missing"), 100);
  EXPECT_EQ(missing.at("by_family").at("smiley-sans").at("images_not_drawn"), 100);
  EXPECT_EQ(missing.at("images_not_drawn"), 100);
  int64_t total = 0;
  for (const char* split : {"train", "val", "test"}) {
    const std::vector<int> labels = read_labels(dir.path() / "out" / labels_file(split));
    total += static_cast<int64_t>(labels.size());
    for (int c = 0; c < 100; ++c) EXPECT_GE(std::count(labels.begin(), labels.end(), c), 1) << split << c;
  }
  EXPECT_EQ(total, 100 * (m.at("families").get<int64_t>() - 1));
}

}  // namespace
}  // namespace sparsenas::glyphs
