#include "sparsenas/glyphs/glyph_dataset.h"

#include <algorithm>
#include <map>
#include <set>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/glyphs/class_sets.h"
#include "sparsenas/glyphs/glyph_renderer.h"
#include "sparsenas/glyphs/idx_writer.h"

namespace sparsenas::glyphs {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "sparsenas-glyphs/1";
const char* const kSplits[] = {"train", "val", "test"};
constexpr uint64_t kSplitStream = 0x6c1, kFaceStream = 0xfa5, kImageStream = 0x1a6;

/// A portable Fisher-Yates permutation of 0..n-1.
std::vector<size_t> permutation(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(seed);
  for (size_t i = n; i > 1; --i) {
    // Unbiased index in [0, i) by rejection.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % i;
    uint64_t r;
    do r = rng(); while (r >= limit);
    std::swap(order[i - 1], order[r % i]);
  }
  return order;
}

struct Family {
  std::string group;
  std::vector<const FontFace*> faces;
  std::string split;
};

}  // namespace

json GlyphsRequest::to_json() const {
  return {{"classes", classes}, {"size", size}, {"seed", seed}, {"images_per_class", images_per_class},
          {"val_families", val_families}, {"test_families", test_families}};
}

std::string images_file(const std::string& split) { return (split == "test" ? "t10k" : split) + "-images-idx3-ubyte"; }
std::string labels_file(const std::string& split) { return (split == "test" ? "t10k" : split) + "-labels-idx1-ubyte"; }

std::string glyphs_content_hash(const fs::path& dir) {
  std::string parts;
  for (const char* split : kSplits) {
    for (const std::string& name : {images_file(split), labels_file(split)}) {
      SNAS_CHECK(fs::is_regular_file(dir / name), "glyphs data set ", dir, ": file ", name, " is missing");
      parts += name + " " + hash_file(dir / name) + "\n";
    }
  }
  return hash_string(parts);
}

bool glyphs_up_to_date(const GlyphsRequest& request, const fs::path& dir) {
  if (!fs::is_regular_file(dir / "manifest.json")) return false;
  const json manifest = read_glyphs_manifest(dir);
  if (manifest.at("asked") != request.to_json()) return false;
  json installed = json::array(), recorded = json::array();
  for (const FontFace& f : installed_faces(class_set(request.classes).script, request.dpkg_root)) {
    installed.push_back({f.file.string(), f.face_index, f.version});
  }
  for (const auto& f : manifest.at("fonts")) recorded.push_back({f.at("file"), f.at("face_index"), f.at("version")});
  return installed == recorded && glyphs_content_hash(dir) == manifest.at("hash").get<std::string>();
}

json read_glyphs_manifest(const fs::path& dir) {
  const fs::path path = dir / "manifest.json";
  SNAS_CHECK(fs::is_regular_file(path), "glyphs data set ", dir, " has no manifest.json (make one with `sparsenas dataset glyphs --out ",
             dir.string(), "`)");
  json manifest = read_json_file(path);
  SNAS_CHECK(manifest.value("format", "") == kFormat, path, ": format must be \"", kFormat, "\", got ",
             manifest.value("format", json("none")).dump());
  return manifest;
}

json generate_glyphs(const GlyphsRequest& request_in, const fs::path& out) {
  GlyphsRequest request = request_in;
  const ClassSet classes = class_set(request.classes);
  const bool latin = classes.script == Script::kLatin;
  SNAS_CHECK(request.size >= 8 && request.size <= 512, "--size must be in 8..512 pixels, got ", request.size);
  SNAS_CHECK(request.images_per_class >= 0 && request.images_per_class <= 10000,
             "--images-per-class must be in 0..10000 (0 = the class set's default), got ", request.images_per_class);
  if (request.images_per_class == 0) request.images_per_class = latin ? 10 : 5;
  SNAS_CHECK(!fs::exists(out) || (fs::is_directory(out) && fs::is_empty(out)), "--out ", out,
             " exists and is not an empty directory (the data set is written only into a new one)");

  const std::vector<FontFace> faces = installed_faces(classes.script, request.dpkg_root);
  std::vector<Family> families;
  for (const FontFace& face : faces) {
    if (families.empty() || families.back().group != face.group) families.push_back({face.group, {}, ""});
    families.back().faces.push_back(&face);
  }
  const int n = static_cast<int>(families.size());
  if (request.val_families == 0) request.val_families = std::max(1, n / 6);
  if (request.test_families == 0) request.test_families = std::max(1, n / 5);
  SNAS_CHECK(request.val_families >= 1 && request.test_families >= 1 &&
                 request.val_families + request.test_families <= n - 1,
             "--val-families and --test-families must each be >= 1 and leave at least one of the ", n,
             " font families of ", classes.name, " for training, got ", request.val_families, " and ",
             request.test_families);
  const std::vector<size_t> order = permutation(families.size(), mix_seed(request.seed, kSplitStream));
  for (int i = 0; i < n; ++i) {
    families[order[i]].split = i < request.test_families ? "test" : i < request.test_families + request.val_families ? "val" : "train";
  }

  const fs::path tmp = out.parent_path() / (out.filename().string() + ".tmp-glyphs");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  // A failure part-way (a class with no image in a split, a full disk) leaves nothing behind;
  // after the rename below there is nothing left to remove.
  struct RemoveTmp {
    fs::path path;
    ~RemoveTmp() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_tmp{tmp};
  GlyphRenderer renderer(request.size, classes.script);
  const int64_t pixels_per_image = int64_t{request.size} * request.size;
  const int num_classes = static_cast<int>(classes.code_points.size());
  json split_info = json::object();
  json missing_by_family = json::object();
  int64_t total_missing_pairs = 0, total_skipped_images = 0;
  for (const char* split : kSplits) {
    std::vector<const Family*> members;
    for (const Family& f : families) {
      if (f.split == split) members.push_back(&f);
    }
    std::vector<uint8_t> pixels;
    std::vector<int> labels;
    std::vector<int64_t> per_class(num_classes, 0);
    Progress progress(std::string("glyphs ") + split, static_cast<int64_t>(members.size()) * num_classes, "class");
    for (const Family* family : members) {
      const uint64_t group_key = std::stoull(hash_string(family->group).substr(0, 15), nullptr, 16);
      // Which faces have which characters: one pass per face.
      const size_t nf = family->faces.size();
      std::vector<std::vector<bool>> has(nf, std::vector<bool>(num_classes));
      int64_t missing_pairs = 0, skipped_images = 0;
      for (size_t f = 0; f < nf; ++f) {
        renderer.open(*family->faces[f]);
        for (int c = 0; c < num_classes; ++c) {
          has[f][c] = renderer.has_glyph(classes.code_points[c]);
          missing_pairs += has[f][c] ? 0 : 1;
        }
      }
      // The images, face by face (one open per face): image k of class c goes to face
      // (start_c + k) mod nf, or the next face that has the character.
      std::vector<std::vector<std::pair<int, int>>> jobs(nf);  // per face: (class, k)
      for (int c = 0; c < num_classes; ++c) {
        const uint64_t start = mix_seed(request.seed, kFaceStream, group_key, c) % nf;
        for (int k = 0; k < request.images_per_class; ++k) {
          size_t f = (start + k) % nf, tries = 0;
          while (!has[f][c] && tries < nf) f = (f + 1) % nf, ++tries;
          if (tries == nf) {
            ++skipped_images;
            continue;
          }
          jobs[f].push_back({c, k});
        }
      }
      std::vector<std::vector<uint8_t>> images(static_cast<size_t>(num_classes) * request.images_per_class);
      for (size_t f = 0; f < nf; ++f) {
        if (jobs[f].empty()) continue;
        renderer.open(*family->faces[f]);
        for (const auto& [c, k] : jobs[f]) {
          Rng rng(mix_seed(request.seed, kImageStream, mix_seed(group_key, c), k));
          images[static_cast<size_t>(c) * request.images_per_class + k] = renderer.render(classes.code_points[c], rng);
        }
      }
      for (int c = 0; c < num_classes; ++c) {
        for (int k = 0; k < request.images_per_class; ++k) {
          auto& image = images[static_cast<size_t>(c) * request.images_per_class + k];
          if (image.empty()) continue;
          pixels.insert(pixels.end(), image.begin(), image.end());
          labels.push_back(c);
          ++per_class[c];
        }
        progress.step();
      }
      if (missing_pairs > 0 || skipped_images > 0) {
        missing_by_family[family->group] = {{"face_character_pairs_missing", missing_pairs},
                                            {"images_not_drawn", skipped_images}};
      }
      total_missing_pairs += missing_pairs;
      total_skipped_images += skipped_images;
    }
    progress.finish();
    for (int c = 0; c < num_classes; ++c) {
      SNAS_CHECK(per_class[c] > 0, "glyphs ", classes.name, ": class ", c, " (", utf8(classes.code_points[c]), ", ",
                 code_point_name(classes.code_points[c]), ") has no image in the ", split,
                 " split: none of its families' faces draws it");
    }
    const auto count = static_cast<int64_t>(labels.size());
    SNAS_INTERNAL_ASSERT(static_cast<int64_t>(pixels.size()) == count * pixels_per_image, "glyphs: pixel count");
    write_idx_images(tmp / images_file(split), pixels, count, request.size, request.size);
    write_idx_labels(tmp / labels_file(split), labels);
    json names = json::array();
    for (const Family* f : members) names.push_back(f->group);
    split_info[split] = {{"images", count}, {"families", names}, {"images_file", images_file(split)},
                         {"labels_file", labels_file(split)}};
    SNAS_LOG(INFO) << "glyphs: " << split << " " << count << " images of " << members.size() << " families";
  }

  json class_list = json::array();
  for (int c = 0; c < num_classes; ++c) {
    class_list.push_back({{"label", c}, {"character", utf8(classes.code_points[c])},
                          {"code_point", code_point_name(classes.code_points[c])}});
  }
  json font_list = json::array();
  for (const Family& family : families) {
    for (const FontFace* f : family.faces) {
      font_list.push_back({{"file", f->file.string()}, {"face_index", f->face_index}, {"package", f->package},
                           {"version", f->version}, {"family", f->family}, {"style", f->style},
                           {"licence", f->licence}, {"group", f->group}, {"split", family.split}});
    }
  }
  json manifest = {{"format", kFormat},
                   {"asked", request_in.to_json()},
                   {"request", request.to_json()},
                   {"script", latin ? "latin" : "cjk"},
                   {"freetype", freetype_version()},
                   {"distortions", Distortions{}.to_json()},
                   {"num_classes", num_classes},
                   {"classes", class_list},
                   {"splits", split_info},
                   {"families", static_cast<int>(families.size())},
                   {"missing_glyphs",
                    {{"face_character_pairs", total_missing_pairs},
                     {"images_not_drawn", total_skipped_images},
                     {"by_family", missing_by_family}}},
                   {"fonts", font_list},
                   {"hash", glyphs_content_hash(tmp)}};
  write_json_file(tmp / "manifest.json", manifest);
  if (fs::exists(out)) fs::remove(out);  // empty, checked above
  fs::rename(tmp, out);
  return manifest;
}

}  // namespace sparsenas::glyphs
