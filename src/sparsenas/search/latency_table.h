#pragma once
// A latency lookup table (OFA's LatencyTable, nn-Meter's kernel-level idea): the measured time of
// every distinct block configuration of a search space, at the input shape it sees there, on one
// machine; a network's latency is predicted as the sum of its parts (stem, active blocks, head).
// Written by `sparsenas latency-table` (the measuring is in pipeline/latency.h); read here, in one
// place, with strict validation. No LibTorch.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::search {

/// One distinct part of the networks of a space, measured once.
struct BlockConfig {
  std::string key;   ///< the table's key (see block_configs)
  std::string kind;  ///< "stem", "block" or "head"
  int slot = -1;     ///< blocks: the first slot where it occurs (any slot with the same key is the same part)
  int kernel = 0, expand = 0;  ///< blocks: the choices
  int input_size = 0;          ///< height = width of its input feature map
};

/// Every distinct part of `space`'s networks, in network order (stem, blocks by slot, head):
/// - `stem`: the stem conv and the fixed first block (depthwise + pointwise), one entry;
/// - each elastic block slot with each kernel and expand choice of its stage (expands and
///   coupled_expands), keyed by what its computation depends on:
///   `block:in<C>:out<C>:s<stride>:k<k>:mid<C>:se<0|1>:<act>:res<0|1>:hw<size>`, so that two slots
///   with the same shapes share one entry;
/// - `head`: final layers, pooling and classifier, one entry.
std::vector<BlockConfig> block_configs(const space::SearchSpace& space);

/// The keys of `arch`'s parts (stem, its active blocks, head), in order; arch must be valid.
std::vector<std::string> network_keys(const space::SearchSpace& space, const space::Arch& arch);

/// 16 hex digits identifying the space with its shape options (a hash of to_json(spec)).
std::string space_hash(const space::SearchSpace& space);

/// The table: what it was measured on and the median milliseconds of each part.
///
/// File (JSON, written atomically by write_latency_table):
/// ```
/// {"format": "sparsenas-latency-table", "version": 1,
///  "space": "ofa-mbv3", "space_hash": "9c1f...", "resolution": 28, "in_channels": 1,
///  "num_classes": 10, "width_mult": 1.0,
///  "runtime": "libtorch", "threads": 1, "batch": 1, "warmup": 5, "repeats": 30,
///  "machine": "amd-epyc", "created_at": "2026-12-05T03:10:00Z",
///  "entries": {"stem": 0.031, "block:in16:out24:...": 0.012, ..., "head": 0.05}}
/// ```
struct LatencyTable {
  std::string space;
  std::string space_hash;
  int64_t resolution = 0, in_channels = 0, num_classes = 0;
  double width_mult = 1.0;
  std::string runtime = "libtorch";
  int64_t threads = 1, batch = 1, warmup = 0, repeats = 0;
  std::string machine;     ///< the host's CPU model, sanitised
  std::string created_at;  ///< UTC, ISO 8601
  std::map<std::string, double> entries;  ///< key -> median ms

  /// Throws sparsenas::Error unless the table was made for `space` with its shape: the error
  /// names `source`, the field (space, resolution, in_channels, num_classes, width_mult, then
  /// space_hash for another topology under the same name), the table's value and the space's.
  void check_space(const space::SearchSpace& space, const std::string& source) const;

  /// Predicted latency of `arch` in ms: the sum of its parts' entries. A part not in the table
  /// is an error naming `source` and the key (the table is incomplete: build it again).
  double predict_ms(const space::SearchSpace& space, const space::Arch& arch, const std::string& source) const;
};

/// A table compiled for one space: a network's predicted latency in integer microseconds without
/// building keys, for searches that ask it for every candidate (the efficiency of a sparse space
/// built on a latency grid, `sparse_space.constraint` "latency").
///
/// Example:
/// ```
/// const LatencyPredictor latency(read_latency_table("lut.json"), space, "lut.json");
/// const int64_t us = latency.micros(space.max_arch());   // == llround(1000 * predict_ms(...))
/// run_evolution(space, fitness, Constraint{800, 900}, config, latency.efficiency());
/// ```
class LatencyPredictor {
 public:
  /// Checks `table` against `space` (LatencyTable::check_space) and that it has an entry for every
  /// part of every network of the space (block_configs); errors name `source` and what differs or
  /// is missing.
  LatencyPredictor(const LatencyTable& table, const space::SearchSpace& space, std::string source);

  /// llround(1000 * table.predict_ms(space, arch, source)): the parts' milliseconds are summed in
  /// the same order (stem, active blocks by slot, head), so the value is the same to the bit.
  /// `arch` must be a member (only its vector sizes are checked).
  int64_t micros(const space::Arch& arch) const;
  /// micros as a search::EfficiencyFn (holds a copy of this predictor).
  std::function<int64_t(const space::Arch&)> efficiency() const;

  /// The canonical networks of the space with the smallest and the largest predicted latency
  /// (exact: the prediction is a sum over stages, each minimised or maximised over its depth and
  /// its active slots' choices; ties go to the first choice in the stage's lists).
  const space::Arch& fastest() const { return fastest_; }
  const space::Arch& slowest() const { return slowest_; }
  const std::string& source() const { return source_; }

 private:
  struct Slot {
    std::vector<int> kernels, expands;  // the stage's choices (expands with coupled_expands)
    std::vector<double> ms;             // [kernel index * expands.size() + expand index]
  };
  double slot_ms(int slot, int kernel, int expand) const;
  space::Arch extreme(bool slowest) const;

  std::shared_ptr<const space::SearchSpace> space_;
  std::string source_;
  double stem_ms_ = 0.0, head_ms_ = 0.0;
  std::vector<Slot> slots_;
  space::Arch fastest_, slowest_;
};

nlohmann::json to_json(const LatencyTable& table);
/// Strict: the format tag and version, every field with its JSON type, no unknown field, entries
/// finite and >= 0; errors name `source` and the field, the expected and the actual value.
LatencyTable latency_table_from_json(const nlohmann::json& value, const std::string& source);
/// Reads and validates a table file (a corrupt or truncated file is an error naming it).
LatencyTable read_latency_table(const std::filesystem::path& path);
/// Writes the table atomically (temp file + rename): an interrupted write leaves no table.
void write_latency_table(const std::filesystem::path& path, const LatencyTable& table);

}  // namespace sparsenas::search
