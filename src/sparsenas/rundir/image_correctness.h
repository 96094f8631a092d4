#pragma once
// Per-image correctness of evaluated networks: for each network, which evaluation images it
// classified correctly. The family stage writes it as `family_correct.json` beside `family.csv`
// (so `compare` can bootstrap over test images, paired across runs), and `check-selection` keeps
// its partial results in the same format. One reader and one writer, here.
//
// Format (JSON, docs/run-directory.md):
// ```
// {"version": 1,
//  "splits": {"test": {"images": 3000, "fingerprint": "9f2c..."},
//             "val":  {"images": 2000, "fingerprint": "..."}},
//  "networks": [{"arch": {"ks": [...], "e": [...], "d": [...]},
//                "test": "<hex>", "val": "<hex>"}, ...]}
// ```
// A split's bits are packed four images to a hex digit, image 0 in the most significant bit of
// the first digit (images() bits, zero-padded to a whole digit). The fingerprint identifies the
// images (a hash of their pixels and labels, pipeline::split_fingerprint): two files with equal
// fingerprints were evaluated on the same images in the same order. A split with 0 images has an
// empty fingerprint and empty bit strings.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sparsenas/space/arch.h"

namespace sparsenas::rundir {

/// The images a split's bits refer to.
struct SplitIdentity {
  int64_t images = 0;
  std::string fingerprint;
  bool operator==(const SplitIdentity& o) const { return images == o.images && fingerprint == o.fingerprint; }
  bool operator!=(const SplitIdentity& o) const { return !(*this == o); }
};

/// One network's correctness per split: one 0/1 entry per image, in the split's order.
struct NetworkCorrectness {
  space::Arch arch;
  std::map<std::string, std::vector<uint8_t>> correct;  ///< split name -> bits
};

/// The whole file.
struct ImageCorrectness {
  std::map<std::string, SplitIdentity> splits;  ///< "test", "val"
  std::vector<NetworkCorrectness> networks;     ///< in evaluation order (family.csv's order)

  /// The bits of `split` for network `i`; throws naming the split when it is absent.
  const std::vector<uint8_t>& bits(size_t i, const std::string& split) const;
  /// Throws sparsenas::Error when a network lacks a declared split or its bit count differs from
  /// the split's images.
  void validate() const;
};

/// Hex packing of 0/1 entries (exposed for tests): "1011 0100" -> "b4".
std::string pack_bits(const std::vector<uint8_t>& bits);
/// Inverse of pack_bits for `count` entries; throws on a non-hex digit or a wrong length.
std::vector<uint8_t> unpack_bits(const std::string& hex, int64_t count);

/// Writes atomically (validates first).
void write_image_correctness(const std::filesystem::path& path, const ImageCorrectness& c);
/// Reads and validates a file written by write_image_correctness; errors name the file.
ImageCorrectness read_image_correctness(const std::filesystem::path& path);

}  // namespace sparsenas::rundir
