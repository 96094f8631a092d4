#pragma once
// The fonts of the glyphs data set: which Debian font packages it draws from, how their faces are
// grouped into families, and what is installed of them. No LibTorch.
//
// A *group* is the unit of the train / validation / test split: all the faces of one design
// lineage, so that no design is seen in training and tested. By default a package is one group
// (a Debian font package holds one superfamily: DejaVu Sans, Serif and Mono; Linux Libertine and
// Biolinum; every weight, width and regional variant). Exceptions are declared in the catalog:
// fonts-urw-base35 holds eight unrelated designs, one group each; a package whose outlines derive
// from another's joins that group (Carlito from Lato, ADF Verana from Bitstream Vera as DejaVu,
// Courier Prime with URW's Courier clone, Komatuna from Konatu). Families that carry no letters
// of the script (symbol, dingbat, math-only fonts, keyboard-cap ornaments) and duplicates that
// differ only in spacing (IPAPGothic beside IPAGothic) are excluded by name, and so is every
// "Inverted" style (a dark letter in a light box).

#include <filesystem>
#include <string>
#include <vector>

namespace sparsenas::glyphs {

/// The writing system of a class set: it picks the font packages and the layout.
enum class Script { kLatin, kCjk };

/// One Debian font package of the catalog.
struct FontPackage {
  std::string package;  ///< Debian package name, e.g. "fonts-lato"
  /// The group of every face; empty = one group per family name, looked up in `family_groups`.
  std::string group;
  /// Family names (FreeType's family_name) left out, matched as prefixes.
  std::vector<std::string> excluded_families;
  /// With an empty `group`: family-name prefix -> group, first match wins.
  std::vector<std::pair<std::string, std::string>> family_groups;
};

/// The catalog of `script`: the packages that scripts/setup.sh installs for it.
const std::vector<FontPackage>& font_packages(Script script);

/// Every package of both scripts (what setup must install), sorted.
std::vector<std::string> all_font_package_names();

/// One installed face (a font file holds one face, a collection .ttc several).
struct FontFace {
  std::string package, version, licence;
  std::filesystem::path file;
  long face_index = 0;
  std::string family, style;  ///< FreeType's family_name and style_name
  std::string group;
};

/// The installed faces of `script`'s catalog, sorted by (group, family, style, file, index): font
/// files (.ttf, .otf, .ttc, .otc) listed by dpkg for each package (`<dpkg_root>/info/<pkg>.list`),
/// versions from `<dpkg_root>/status`, licences from the package's machine-readable copyright
/// file (`/usr/share/doc/<pkg>/copyright`, its License: short names). One face per (group,
/// family, style): a design shipped twice (OTF and TTF) counts once. Throws `sparsenas::Error`
/// listing every missing package and the apt-get command that installs them.
std::vector<FontFace> installed_faces(Script script,
                                      const std::filesystem::path& dpkg_root = "/var/lib/dpkg");

}  // namespace sparsenas::glyphs
