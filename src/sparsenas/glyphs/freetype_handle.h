#pragma once
// The FreeType C API boundary, wrapped once: error checking and owning handles. Internal to the
// glyphs library (FreeType is a PRIVATE dependency).

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H
#include FT_BITMAP_H

#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

#include "sparsenas/core/error.h"

/// Calls a FreeType function; a non-zero FT_Error becomes sparsenas::Error naming the call, `what`
/// (e.g. the font file) and FreeType's own description of the error.
#define SNAS_FT_CHECK(call, what)                                                               \
  do {                                                                                          \
    const FT_Error snas_ft_error = (call);                                                      \
    if (snas_ft_error != 0) {                                                                   \
      SNAS_FAIL("FreeType call ", #call, " failed for ", (what), ": ",                         \
                ::sparsenas::glyphs::detail::freetype_error_text(snas_ft_error), " (error ",   \
                snas_ft_error, ")");                                                            \
    }                                                                                           \
  } while (0)

namespace sparsenas::glyphs::detail {

inline std::string freetype_error_text(FT_Error error) {
  const char* text = FT_Error_String(error);  // null unless FreeType was built with error strings
  return text != nullptr ? text : "no description";
}

struct LibraryDeleter {
  void operator()(FT_Library library) const noexcept { FT_Done_FreeType(library); }
};
struct FaceDeleter {
  void operator()(FT_Face face) const noexcept { FT_Done_Face(face); }
};

/// Owns an FT_Library.
using LibraryPtr = std::unique_ptr<std::remove_pointer_t<FT_Library>, LibraryDeleter>;
/// Owns an FT_Face; it must be destroyed before the library it came from.
using FacePtr = std::unique_ptr<std::remove_pointer_t<FT_Face>, FaceDeleter>;

inline LibraryPtr make_library() {
  FT_Library library = nullptr;
  SNAS_FT_CHECK(FT_Init_FreeType(&library), "the library");
  return LibraryPtr(library);
}

/// Opens face `index` of the font file `path`.
inline FacePtr open_face(FT_Library library, const std::filesystem::path& path, long index) {
  FT_Face face = nullptr;
  SNAS_FT_CHECK(FT_New_Face(library, path.c_str(), index, &face), path.string());
  return FacePtr(face);
}

}  // namespace sparsenas::glyphs::detail
