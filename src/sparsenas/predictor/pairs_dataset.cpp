#include "sparsenas/predictor/pairs_dataset.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "sparsenas/core/csv.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"

namespace sparsenas::predictor {
namespace {

// Unbiased draw in [0, n) from the raw engine output (Lemire's method with rejection), so the
// split is identical on every standard library.
uint64_t bounded(Rng& rng, uint64_t n) {
  while (true) {
    const unsigned __int128 product = static_cast<unsigned __int128>(rng()) * n;
    const uint64_t low = static_cast<uint64_t>(product);
    if (low >= (0 - n) % n) return static_cast<uint64_t>(product >> 64);
  }
}

}  // namespace

std::vector<space::Arch> PairsDataset::archs() const {
  std::vector<space::Arch> out;
  out.reserve(pairs.size());
  for (const auto& p : pairs) out.push_back(p.arch);
  return out;
}

std::vector<double> PairsDataset::accuracies() const {
  std::vector<double> out;
  out.reserve(pairs.size());
  for (const auto& p : pairs) out.push_back(p.val_top1);
  return out;
}

bool PairsDataset::has_halves() const {
  if (pairs.empty()) return false;
  for (const auto& p : pairs) {
    if (!std::isfinite(p.val_top1_even) || !std::isfinite(p.val_top1_odd)) return false;
  }
  return true;
}

bool PairsDataset::has_loss() const {
  if (pairs.empty()) return false;
  return std::all_of(pairs.begin(), pairs.end(), [](const auto& p) { return std::isfinite(p.val_loss); });
}

std::vector<double> PairsDataset::losses() const {
  SNAS_CHECK(has_loss(), "these pairs have no val_loss for every network (pairs.csv written before the loss was "
             "recorded): rerun the pairs stage (delete pairs.csv) to fit predictor.target \"val_loss\"");
  std::vector<double> out;
  out.reserve(pairs.size());
  for (const auto& p : pairs) out.push_back(p.val_loss);
  return out;
}

PairsDataset PairsDataset::read_csv(const std::filesystem::path& path,
                                    const space::SearchSpace* space) {
  const csv::Table t = csv::read(path);
  const int c_arch = t.require_column("arch"), c_macs = t.require_column("macs"),
            c_params = t.require_column("params"), c_val = t.require_column("val_top1");
  const int c_even = t.column("val_top1_even"), c_odd = t.column("val_top1_odd"), c_loss = t.column("val_loss");
  PairsDataset dataset;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    ArchAccuracyPair pair;
    try {
      pair.arch = space::arch_from_string(row[c_arch]);
      if (space != nullptr) pair.arch = space->canonical(pair.arch);
    } catch (const Error& e) {
      SNAS_FAIL(t.where(r, c_arch), ": ", e.what());
    }
    pair.macs = csv::parse_count(row[c_macs], t.where(r, c_macs));
    pair.params = csv::parse_count(row[c_params], t.where(r, c_params));
    pair.val_top1 = csv::parse_number(row[c_val], t.where(r, c_val));
    SNAS_CHECK(pair.val_top1 >= 0.0 && pair.val_top1 <= 1.0, t.where(r, c_val),
               ": val_top1 must be a fraction in [0, 1] (not a percentage), got ", pair.val_top1);
    for (const auto& [c, value] : {std::pair{c_even, &pair.val_top1_even}, std::pair{c_odd, &pair.val_top1_odd}}) {
      if (c < 0) continue;
      *value = csv::parse_number(row[c], t.where(r, c), /*allow_nan=*/true);
      SNAS_CHECK(std::isnan(*value) || (*value >= 0.0 && *value <= 1.0), t.where(r, c),
                 ": a half accuracy must be a fraction in [0, 1] or nan, got ", *value);
    }
    if (c_loss >= 0) {
      pair.val_loss = csv::parse_number(row[c_loss], t.where(r, c_loss), /*allow_nan=*/true);
      SNAS_CHECK(std::isnan(pair.val_loss) || pair.val_loss >= 0.0, t.where(r, c_loss),
                 ": val_loss must be a non-negative cross-entropy or nan, got ", pair.val_loss);
    }
    dataset.pairs.push_back(std::move(pair));
  }
  return dataset;
}

void PairsDataset::write_csv(const std::filesystem::path& path) const {
  const bool halves = has_halves(), loss = has_loss();
  std::vector<std::string> header = {"arch", "macs", "params", "val_top1"};
  if (halves) header.insert(header.end(), {"val_top1_even", "val_top1_odd"});
  if (loss) header.push_back("val_loss");
  std::string text = csv::record(header);
  for (const auto& p : pairs) {
    std::vector<std::string> fields = {csv::quote(p.arch.to_string()), std::to_string(p.macs),
                                       std::to_string(p.params), csv::shortest(p.val_top1)};
    if (halves) fields.insert(fields.end(), {csv::shortest(p.val_top1_even), csv::shortest(p.val_top1_odd)});
    if (loss) fields.push_back(csv::shortest(p.val_loss));
    text += csv::record(fields);
  }
  write_file_atomic(path, text);
}

std::pair<PairsDataset, PairsDataset> PairsDataset::split(double held_out_fraction,
                                                          uint64_t seed) const {
  SNAS_CHECK(held_out_fraction > 0.0 && held_out_fraction < 1.0,
             "held_out_fraction must be in (0, 1), got ", held_out_fraction);
  const size_t n = pairs.size();
  const auto num_held_out =
      static_cast<size_t>(std::llround(held_out_fraction * static_cast<double>(n)));
  SNAS_CHECK(num_held_out >= 1 && num_held_out < n, "cannot split ", n,
             " pairs with held_out_fraction ", held_out_fraction,
             ": both parts must be non-empty (held-out part would hold ", num_held_out, ")");
  // Partial Fisher-Yates: the first num_held_out positions become a uniform random subset.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(mix_seed(seed, 0x70616972ULL /* "pair" */));
  for (size_t i = 0; i < num_held_out; ++i) {
    std::swap(order[i], order[i + bounded(rng, n - i)]);
  }
  std::vector<bool> held_out(n, false);
  for (size_t i = 0; i < num_held_out; ++i) held_out[order[i]] = true;
  std::pair<PairsDataset, PairsDataset> parts;
  for (size_t i = 0; i < n; ++i)
    (held_out[i] ? parts.second : parts.first).pairs.push_back(pairs[i]);
  return parts;
}

}  // namespace sparsenas::predictor
