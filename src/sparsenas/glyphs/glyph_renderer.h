#pragma once
// Draws one character of one face as a small grey image with random distortions (FreeType's
// outline rasteriser, our own blur and noise). No LibTorch.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "sparsenas/core/random.h"
#include "sparsenas/glyphs/font_catalog.h"

namespace sparsenas::glyphs {

/// The bounds of every random distortion, each drawn uniformly per image. Sizes are fractions of
/// the image side, strokes fractions of the em.
struct Distortions {
  double em_min = 0.60, em_max = 0.80;     ///< Latin: em height / side (baseline layout)
  double cjk_em_min = 0.78, cjk_em_max = 0.95;  ///< CJK: em height / side (centred layout)
  double baseline = 0.28;                  ///< Latin: baseline height above the bottom / side
  double offset_px = 1.5;                  ///< position jitter, +- pixels on each axis
  double rotation_deg = 8.0;               ///< +- degrees
  double shear = 0.20;                     ///< +- horizontal shear (x += shear * y)
  double stroke_min = -0.015, stroke_max = 0.03;  ///< outline emboldening / em (negative thins)
  double blur_max_px = 0.9;                ///< Gaussian blur sigma in [0, this] pixels
  double noise_max = 10.0;                 ///< Gaussian pixel noise sigma in [0, this] grey levels
  int background_max = 40;                 ///< background grey level in [0, this]
  int foreground_min = 190;                ///< glyph grey level in [this, 255]

  nlohmann::json to_json() const;
};

/// Renders characters of faces. Not thread-safe (one FreeType library per renderer).
class GlyphRenderer {
 public:
  GlyphRenderer(int size, Script script, Distortions distortions = {});
  ~GlyphRenderer();
  GlyphRenderer(const GlyphRenderer&) = delete;
  GlyphRenderer& operator=(const GlyphRenderer&) = delete;

  /// Opens `face` (closing the face opened before).
  void open(const FontFace& face);
  /// True when the open face draws `code_point`: it maps it to a glyph that has an outline with
  /// at least one contour (a missing or blank glyph is never drawn).
  bool has_glyph(char32_t code_point);
  /// `size` x `size` grey pixels, row-major, white glyph on a dark ground, distortions drawn from
  /// `rng`. Precondition: has_glyph(code_point). Glyphs too large for the image after the
  /// transform are scaled down to fit, so nothing is cut off.
  std::vector<uint8_t> render(char32_t code_point, Rng& rng);

  int size() const { return size_; }

 private:
  struct State;
  int size_;
  Script script_;
  Distortions distortions_;
  std::unique_ptr<State> state_;
};

/// FreeType's version, "2.12.1" (recorded in the manifest: the pixels depend on it).
std::string freetype_version();

}  // namespace sparsenas::glyphs
