#include "sparsenas/glyphs/class_sets.h"

#include <cstdio>

#include "sparsenas/core/error.h"

namespace sparsenas::glyphs {

// The 500 characters of cjk500 in the order of GB2312 (pinyin), one per line, UTF-8 (generated
// by CMake from classes_cjk500.txt).
extern const char* const kCjk500Text;

namespace {

std::vector<char32_t> decode_utf8_lines(const std::string& text) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    SNAS_INTERNAL_ASSERT(length > 0 && i + length <= text.size(), "bad UTF-8 in a class list at byte ", i);
    char32_t cp = length == 1 ? c : c & (0x7F >> length);
    for (int k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    out.push_back(cp);
    i += length;
  }
  return out;
}

std::vector<char32_t> range(char32_t first, char32_t last) {
  std::vector<char32_t> out;
  for (char32_t c = first; c <= last; ++c) out.push_back(c);
  return out;
}

}  // namespace

const std::vector<std::string>& class_set_names() {
  static const std::vector<std::string> names = {"latin62", "latin26", "digits10", "cjk500", "cjk100"};
  return names;
}

ClassSet class_set(const std::string& name) {
  ClassSet set{name, Script::kLatin, {}};
  if (name == "latin62" || name == "digits10") set.code_points = range(U'0', U'9');
  if (name == "latin62" || name == "latin26") {
    const auto upper = range(U'A', U'Z');
    set.code_points.insert(set.code_points.end(), upper.begin(), upper.end());
  }
  if (name == "latin62") {
    const auto lower = range(U'a', U'z');
    set.code_points.insert(set.code_points.end(), lower.begin(), lower.end());
  }
  if (name == "cjk500" || name == "cjk100") {
    set.script = Script::kCjk;
    const std::vector<char32_t> all = decode_utf8_lines(kCjk500Text);
    SNAS_INTERNAL_ASSERT(all.size() == 500, "classes_cjk500.txt holds ", all.size(), " characters, expected 500");
    for (size_t i = 0; i < all.size(); i += (name == "cjk100" ? 5 : 1)) set.code_points.push_back(all[i]);
  }
  if (set.code_points.empty()) {
    std::string valid;
    for (const auto& n : class_set_names()) valid += (valid.empty() ? "" : ", ") + n;
    SNAS_FAIL("--classes: unknown class set \"", name, "\" (valid: ", valid, ")");
  }
  return set;
}

std::string utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string code_point_name(char32_t cp) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(cp));
  return buffer;
}

}  // namespace sparsenas::glyphs
