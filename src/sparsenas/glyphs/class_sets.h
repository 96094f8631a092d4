#pragma once
// The class sets of the glyphs data set: which characters it draws, one class each. No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

#include "sparsenas/glyphs/font_catalog.h"

namespace sparsenas::glyphs {

/// A named list of characters and the script whose fonts draw them.
struct ClassSet {
  std::string name;
  Script script = Script::kLatin;
  std::vector<char32_t> code_points;  ///< class k is code_points[k]
};

/// The names `class_set` accepts, in the order `--help` lists them.
const std::vector<std::string>& class_set_names();

/// The class set `name`:
/// - `latin62`: the digits 0-9, A-Z and a-z;
/// - `latin26`: A-Z; `digits10`: 0-9;
/// - `cjk500`: 500 hanzi / kanji that simplified and traditional Chinese and Japanese write with
///   one code point, among the most frequent of each (classes_cjk500.txt says how they were
///   chosen; docs/glyphs/make_cjk_classes.py made the list);
/// - `cjk100`: every fifth character of cjk500.
/// Throws `sparsenas::Error` naming the valid names for any other.
ClassSet class_set(const std::string& name);

/// The UTF-8 text of one code point.
std::string utf8(char32_t code_point);

/// "U+0041" style name of a code point.
std::string code_point_name(char32_t code_point);

}  // namespace sparsenas::glyphs
