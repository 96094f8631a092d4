#pragma once
// `sparsenas dataset glyphs`: printed characters recognised across font families never seen in
// training, rendered on the machine from Debian's font packages. No LibTorch.
//
// The families (font_catalog.h groups) are dealt to the splits by a seeded permutation: the test
// split and the validation split each get families of their own, so that selecting networks by
// validation accuracy measures what the test measures (generalisation to a new design), which a
// validation split drawn from the training fonts would not. Every family draws
// `images_per_class` images of every class, spread round-robin over its faces (weights, italics,
// widths) in a seeded order; a face that lacks a character passes its turn to the next face, and a
// family none of whose faces has it draws none (both counted in the manifest).
//
// Output (a directory, written to a temporary sibling and renamed into place):
//   train-images-idx3-ubyte, train-labels-idx1-ubyte      IDX, as data/idx_reader.h reads
//   val-images-idx3-ubyte, val-labels-idx1-ubyte          (labels 16-bit above 255 classes)
//   t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
//   manifest.json  the request, FreeType's version, the distortion bounds, every class (label,
//                  character, code point), every face (file, package, version, family, style,
//                  licence, group, split), the counts of missing glyphs, and `hash`: a hash over
//                  the six files' contents (same packages, same seed: same hash).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace sparsenas::glyphs {

/// What to generate.
struct GlyphsRequest {
  std::string classes = "latin62";  ///< a class_sets.h name
  int size = 28;                    ///< square image side in pixels
  uint64_t seed = 0;
  /// Images of each class per family; 0 = the class set's default (latin: 10, cjk: 5).
  int images_per_class = 0;
  /// Families held out for validation / test; 0 = the default: a sixth / a fifth of the families.
  int val_families = 0, test_families = 0;
  /// Where dpkg keeps its database (tests point it elsewhere).
  std::filesystem::path dpkg_root = "/var/lib/dpkg";

  nlohmann::json to_json() const;
};

/// The names of the IDX files of `split` ("train", "val", "test").
std::string images_file(const std::string& split);
std::string labels_file(const std::string& split);

/// Generates the data set into `out` (which must not exist, or must be empty) and returns the
/// manifest. Progress lines go to stderr. Throws `sparsenas::Error` on a bad request (naming the
/// field), a missing font package, too few families for the splits, or a class with no image in a
/// split.
nlohmann::json generate_glyphs(const GlyphsRequest& request, const std::filesystem::path& out);

/// The hash of a data set's six IDX files as the manifest records it, computed from the files.
std::string glyphs_content_hash(const std::filesystem::path& dir);

/// True when `dir` holds a data set generated for `request` from the fonts installed now (the same
/// files and package versions) whose files match their manifest's hash: nothing to regenerate.
bool glyphs_up_to_date(const GlyphsRequest& request, const std::filesystem::path& dir);

/// The manifest of a generated data set (`dir/manifest.json`); throws naming the path when absent.
nlohmann::json read_glyphs_manifest(const std::filesystem::path& dir);

}  // namespace sparsenas::glyphs
