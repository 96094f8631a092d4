#pragma once
// Architecture-accuracy pairs (pipeline stage 3's `pairs.csv`, paper section 5.2.1): reading,
// writing and a seeded train / held-out split.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <utility>
#include <vector>

#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::predictor {

/// One evaluated sub-network.
struct ArchAccuracyPair {
  space::Arch arch;
  int64_t macs = 0;       ///< multiply-accumulates of one image (SearchSpace::macs)
  int64_t params = 0;     ///< parameters of the static network (SearchSpace::params)
  double val_top1 = 0.0;  ///< top-1 on the held-out validation split, a fraction in [0, 1]
  /// Top-1 on the images at even / odd positions of the same evaluation images (split-half
  /// reliability, predictor/measurement_noise.h); NaN when not measured.
  double val_top1_even = std::numeric_limits<double>::quiet_NaN();
  double val_top1_odd = std::numeric_limits<double>::quiet_NaN();
  /// Mean cross-entropy (no label smoothing) on the same evaluation images; NaN when not measured
  /// (pairs written before it was recorded). The target of `predictor.target: "val_loss"`.
  double val_loss = std::numeric_limits<double>::quiet_NaN();
};

/// The pairs of one run, in file order.
///
/// File format (`pairs.csv`, RFC 4180 CSV, UTF-8, one record per line):
/// ```
/// arch,macs,params,val_top1
/// "{""ks"":[3,5,...],""e"":[4,6,...],""d"":[2,3,4,2,3]}",5210432,1803210,0.8734
/// ```
/// - The header names the columns; these four are required, in any order. Two are optional:
///   `val_top1_even` and `val_top1_odd` (the accuracies on the two halves of the evaluation
///   images; written when every pair has both, read when present, "nan" allowed). Other columns
///   are allowed and ignored (later stages may add some), and not written back.
/// - `arch` is the architecture's compact JSON (Arch::to_string) in double quotes, inner quotes
///   doubled. A third optional column, `val_loss` (mean cross-entropy on the evaluation images,
///   non-negative), is written when every pair has it. `macs` and `params` are non-negative integers; `val_top1` a number in [0, 1].
/// - Fields may be quoted; a quoted field cannot span lines. Blank lines are skipped; CRLF is
///   accepted.
/// Errors name the file, the line (1-based, the header is line 1) and the column.
struct PairsDataset {
  std::vector<ArchAccuracyPair> pairs;

  size_t size() const { return pairs.size(); }
  bool empty() const { return pairs.empty(); }
  std::vector<space::Arch> archs() const;
  /// The `val_top1` column.
  std::vector<double> accuracies() const;
  /// Whether every pair has both half accuracies (false when empty).
  bool has_halves() const;
  /// Whether every pair has a validation loss (false when empty).
  bool has_loss() const;
  /// The `val_loss` column; throws, naming the pairs stage, unless has_loss().
  std::vector<double> losses() const;

  /// Reads `path`. When `space` is given, every arch is also checked against it
  /// (SearchSpace::validate) and stored canonical; `macs` and `params` are read as written, not
  /// recomputed. Throws sparsenas::Error naming the file, line
  /// and column of the first problem.
  static PairsDataset read_csv(const std::filesystem::path& path,
                               const space::SearchSpace* space = nullptr);
  /// Writes the four columns (plus the halves when has_halves(), and val_loss when has_loss()) atomically; numbers are written so that they read back exactly.
  void write_csv(const std::filesystem::path& path) const;

  /// Splits into (train, held_out): round(size * held_out_fraction) pairs, drawn uniformly at
  /// random with `seed`, go to held_out; both parts keep the file order. The draw uses only
  /// mt19937_64's output (no std:: distribution), so it is the same on every platform.
  /// Throws unless 0 < held_out_fraction < 1 and both parts are non-empty.
  std::pair<PairsDataset, PairsDataset> split(double held_out_fraction, uint64_t seed) const;
};

}  // namespace sparsenas::predictor
