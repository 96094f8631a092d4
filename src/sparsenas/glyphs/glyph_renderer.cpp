#include "sparsenas/glyphs/glyph_renderer.h"

#include <algorithm>
#include <cmath>

#include "sparsenas/core/error.h"
#include "sparsenas/glyphs/freetype_handle.h"

namespace sparsenas::glyphs {

namespace {

constexpr double kPi = 3.14159265358979323846;

/// Uniform in [lo, hi] from 53 random bits: the same on every platform (std's distributions are not
/// specified bit for bit).
double uniform(Rng& rng, double lo, double hi) {
  const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * u;
}

/// A standard normal draw (Box-Muller over `uniform`).
double normal(Rng& rng) {
  const double u1 = std::max(uniform(rng, 0.0, 1.0), 1e-300);
  const double u2 = uniform(rng, 0.0, 1.0);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

FT_Fixed to_16_16(double v) { return static_cast<FT_Fixed>(std::lround(v * 65536.0)); }

/// Separable Gaussian blur of a size x size image in place (zero outside the image).
void blur(std::vector<float>& image, int size, double sigma) {
  if (sigma < 0.05) return;
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<float> kernel(2 * radius + 1);
  float total = 0;
  for (int i = -radius; i <= radius; ++i) total += kernel[i + radius] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (auto& k : kernel) k /= total;
  std::vector<float> tmp(image.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        float acc = 0;
        for (int i = -radius; i <= radius; ++i) {
          const int xx = pass == 0 ? x + i : x, yy = pass == 0 ? y : y + i;
          if (xx >= 0 && xx < size && yy >= 0 && yy < size) acc += kernel[i + radius] * image[yy * size + xx];
        }
        tmp[y * size + x] = acc;
      }
    }
    image.swap(tmp);
  }
}

}  // namespace

nlohmann::json Distortions::to_json() const {
  return {{"latin_em_fraction", {em_min, em_max}},
          {"cjk_em_fraction", {cjk_em_min, cjk_em_max}},
          {"latin_baseline_fraction", baseline},
          {"offset_px", offset_px},
          {"rotation_deg", rotation_deg},
          {"shear", shear},
          {"stroke_em", {stroke_min, stroke_max}},
          {"blur_sigma_px", {0.0, blur_max_px}},
          {"noise_sigma_grey", {0.0, noise_max}},
          {"background_grey", {0, background_max}},
          {"foreground_grey", {foreground_min, 255}}};
}

struct GlyphRenderer::State {
  detail::LibraryPtr library = detail::make_library();
  detail::FacePtr face;
  std::string face_name;
};

GlyphRenderer::GlyphRenderer(int size, Script script, Distortions distortions)
    : size_(size), script_(script), distortions_(distortions), state_(std::make_unique<State>()) {
  SNAS_CHECK(size >= 8 && size <= 512, "--size must be in 8..512 pixels, got ", size);
}

GlyphRenderer::~GlyphRenderer() = default;

void GlyphRenderer::open(const FontFace& face) {
  state_->face.reset();
  state_->face = detail::open_face(state_->library.get(), face.file, face.face_index);
  state_->face_name = face.file.string() + " face " + std::to_string(face.face_index);
}

bool GlyphRenderer::has_glyph(char32_t code_point) {
  FT_Face face = state_->face.get();
  SNAS_INTERNAL_ASSERT(face != nullptr, "GlyphRenderer::has_glyph before open");
  const FT_UInt index = FT_Get_Char_Index(face, code_point);
  if (index == 0) return false;
  SNAS_FT_CHECK(FT_Set_Char_Size(face, 0, 64 * 64, 72, 72), state_->face_name);
  if (FT_Load_Glyph(face, index, FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING) != 0) return false;
  return face->glyph->format == FT_GLYPH_FORMAT_OUTLINE && face->glyph->outline.n_contours > 0 &&
         face->glyph->outline.n_points > 2;
}

std::vector<uint8_t> GlyphRenderer::render(char32_t code_point, Rng& rng) {
  FT_Face face = state_->face.get();
  const Distortions& d = distortions_;
  const double side = size_;
  const bool latin = script_ == Script::kLatin;
  // Every draw is taken in this order, whatever the glyph, so that one image's draws never depend
  // on another's.
  double em = side * (latin ? uniform(rng, d.em_min, d.em_max) : uniform(rng, d.cjk_em_min, d.cjk_em_max));
  const double angle = uniform(rng, -d.rotation_deg, d.rotation_deg) * kPi / 180;
  const double shear = uniform(rng, -d.shear, d.shear);
  const double stroke = uniform(rng, d.stroke_min, d.stroke_max);
  const double jitter_x = uniform(rng, -d.offset_px, d.offset_px);
  const double jitter_y = uniform(rng, -d.offset_px, d.offset_px);
  const double sigma = uniform(rng, 0.0, d.blur_max_px);
  const double noise = uniform(rng, 0.0, d.noise_max);
  const double background = uniform(rng, 0.0, d.background_max);
  const double foreground = uniform(rng, d.foreground_min, 255.0);

  // Shear then rotate: M = R * S with S = [[1, shear], [0, 1]].
  const double c = std::cos(angle), s = std::sin(angle);
  FT_Matrix matrix;
  matrix.xx = to_16_16(c);
  matrix.xy = to_16_16(c * shear - s);
  matrix.yx = to_16_16(s);
  matrix.yy = to_16_16(s * shear + c);
  const FT_UInt index = FT_Get_Char_Index(face, code_point);
  FT_BBox box{};
  FT_Outline* outline = nullptr;
  for (int attempt = 0; attempt < 3; ++attempt) {
    SNAS_FT_CHECK(FT_Set_Char_Size(face, 0, static_cast<FT_F26Dot6>(std::lround(em * 64)), 72, 72), state_->face_name);
    SNAS_FT_CHECK(FT_Load_Glyph(face, index, FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING), state_->face_name);
    outline = &face->glyph->outline;
    const auto strength = static_cast<FT_Pos>(std::lround(stroke * em * 64));
    if (strength != 0) SNAS_FT_CHECK(FT_Outline_EmboldenXY(outline, strength, strength), state_->face_name);
    FT_Outline_Transform(outline, &matrix);
    FT_Outline_Get_CBox(outline, &box);
    const double w = (box.xMax - box.xMin) / 64.0, h = (box.yMax - box.yMin) / 64.0;
    const double fit = std::min({1.0, (side - 2) / std::max(w, 1e-6), (side - 2) / std::max(h, 1e-6)});
    if (fit >= 0.999) break;
    em *= fit * 0.98;
  }
  // Placement (outline coordinates: y up, the image's bottom-left corner at 0): horizontally the
  // box centre at the image centre; vertically the baseline at a fixed height (Latin, so that
  // x-height letters sit low as in a line of text: o and O differ by size and place) or the box
  // centre at the image centre (CJK); then the jitter, then a shift that keeps the box inside.
  double dx = side / 2 - (box.xMin + box.xMax) / 128.0 + jitter_x;
  double dy = (latin ? d.baseline * side : side / 2 - (box.yMin + box.yMax) / 128.0) + jitter_y;
  const double lo_x = box.xMin / 64.0 + dx, hi_x = box.xMax / 64.0 + dx;
  const double lo_y = box.yMin / 64.0 + dy, hi_y = box.yMax / 64.0 + dy;
  if (lo_x < 1) dx += 1 - lo_x;
  if (hi_x > side - 1) dx -= hi_x - (side - 1);
  if (lo_y < 1) dy += 1 - lo_y;
  if (hi_y > side - 1) dy -= hi_y - (side - 1);
  FT_Outline_Translate(outline, static_cast<FT_Pos>(std::lround(dx * 64)), static_cast<FT_Pos>(std::lround(dy * 64)));

  std::vector<uint8_t> coverage(static_cast<size_t>(size_) * size_, 0);
  FT_Bitmap bitmap;
  FT_Bitmap_Init(&bitmap);
  bitmap.rows = static_cast<unsigned>(size_);
  bitmap.width = static_cast<unsigned>(size_);
  bitmap.pitch = size_;  // positive: the first row is the top one
  bitmap.buffer = coverage.data();
  bitmap.num_grays = 256;
  bitmap.pixel_mode = FT_PIXEL_MODE_GRAY;
  SNAS_FT_CHECK(FT_Outline_Get_Bitmap(state_->library.get(), outline, &bitmap), state_->face_name);

  std::vector<float> image(coverage.size());
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(background + (foreground - background) * coverage[i] / 255.0);
  blur(image, size_, sigma);
  std::vector<uint8_t> out(image.size());
  for (size_t i = 0; i < image.size(); ++i) {
    const double v = image[i] + noise * normal(rng);
    out[i] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
  }
  return out;
}

std::string freetype_version() {
  detail::LibraryPtr library = detail::make_library();
  FT_Int major = 0, minor = 0, patch = 0;
  FT_Library_Version(library.get(), &major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace sparsenas::glyphs
