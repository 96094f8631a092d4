#include "sparsenas/glyphs/font_catalog.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "sparsenas/core/error.h"
#include "sparsenas/glyphs/freetype_handle.h"

namespace sparsenas::glyphs {
namespace fs = std::filesystem;

namespace {

// Text faces of distinct designs, serif, sans, monospaced, handwriting and script, under free
// licences (OFL, GPL with font exception, AGPL with font exception, LPPL, Apache, Bitstream
// Vera's). Clones of another package's outlines (fonts-freefont, fonts-texgyre, fonts-croscore,
// fonts-liberation2, fonts-hack) are not taken. About 115 MB installed.
const std::vector<FontPackage> kLatin = {
    {"fonts-adf-accanthis", "", {}, {{"", "adf-accanthis"}}},
    {"fonts-adf-baskervald", "", {}, {{"", "adf-baskervald"}}},
    {"fonts-adf-berenis", "", {"Berenis ADF Pro Math"}, {{"", "adf-berenis"}}},
    {"fonts-adf-gillius", "", {}, {{"", "adf-gillius"}}},
    {"fonts-adf-ikarius", "", {}, {{"", "adf-ikarius"}}},
    {"fonts-adf-irianis", "", {}, {{"", "adf-irianis"}}},
    {"fonts-adf-libris", "", {}, {{"", "adf-libris"}}},
    {"fonts-adf-romande", "", {}, {{"", "adf-romande"}}},
    {"fonts-adf-switzera", "", {}, {{"", "adf-switzera"}}},
    {"fonts-adf-tribun", "", {}, {{"", "adf-tribun"}}},
    {"fonts-adf-universalis", "", {}, {{"", "adf-universalis"}}},
    {"fonts-adf-verana", "dejavu", {}, {}},  // Bitstream Vera's outlines, as DejaVu
    {"fonts-anonymous-pro", "", {}, {{"", "anonymous-pro"}}},
    {"fonts-arapey", "", {}, {{"", "arapey"}}},
    {"fonts-averia-gwf", "", {}, {{"", "averia"}}},
    {"fonts-b612", "", {}, {{"", "b612"}}},
    {"fonts-cabin", "", {}, {{"", "cabin"}}},
    {"fonts-cantarell", "", {}, {{"", "cantarell"}}},
    {"fonts-cardo", "", {}, {{"", "cardo"}}},
    {"fonts-cmu", "", {}, {{"", "computer-modern"}}},
    {"fonts-comfortaa", "", {}, {{"", "comfortaa"}}},
    {"fonts-comic-neue", "", {}, {{"", "comic-neue"}}},
    {"fonts-courier-prime", "courier", {}, {}},  // a redrawing of Courier
    {"fonts-crosextra-caladea", "", {}, {{"", "caladea"}}},
    {"fonts-crosextra-carlito", "lato", {}, {}},  // derived from Lato
    {"fonts-dancingscript", "", {}, {{"", "dancing-script"}}},
    {"fonts-dejavu-core", "dejavu", {}, {}},
    {"fonts-dkg-handwriting", "", {}, {{"", "dkg-handwriting"}}},
    {"fonts-dosis", "", {}, {{"", "dosis"}}},
    {"fonts-ebgaramond", "", {}, {{"", "eb-garamond"}}},
    {"fonts-fanwood", "", {}, {{"", "fanwood"}}},
    {"fonts-firacode", "", {}, {{"", "fira-code"}}},
    {"fonts-go", "", {}, {{"", "go"}}},
    {"fonts-goudybookletter", "", {}, {{"", "goudy-bookletter"}}},
    {"fonts-humor-sans", "", {}, {{"", "humor-sans"}}},
    {"fonts-inconsolata", "", {}, {{"", "inconsolata"}}},
    {"fonts-isabella", "", {}, {{"", "isabella"}}},
    {"fonts-jetbrains-mono", "", {}, {{"", "jetbrains-mono"}}},
    {"fonts-junction", "", {}, {{"", "junction"}}},
    {"fonts-jura", "", {}, {{"", "jura"}}},
    {"fonts-karla", "", {"Karla Tamil"}, {{"", "karla"}}},
    {"fonts-kaushanscript", "", {}, {{"", "kaushan-script"}}},
    {"fonts-kristi", "", {}, {{"", "kristi"}}},
    {"fonts-lato", "lato", {}, {}},
    {"fonts-league-spartan", "", {}, {{"", "league-spartan"}}},
    {"fonts-liberation", "", {}, {{"", "liberation"}}},
    {"fonts-linuxlibertine",
     "",
     {"Linux Biolinum Keyboard", "Linux Libertine Initials"},
     {{"", "linux-libertine"}}},
    {"fonts-lobster", "", {}, {{"", "lobster"}}},
    {"fonts-manrope", "", {}, {{"", "manrope"}}},
    {"fonts-mononoki", "", {}, {{"", "mononoki"}}},
    {"fonts-ocr-a", "", {}, {{"", "ocr-a"}}},
    {"fonts-ocr-b", "", {}, {{"", "ocr-b"}}},
    {"fonts-oldstandard", "", {}, {{"", "old-standard"}}},
    {"fonts-open-sans", "", {}, {{"", "open-sans"}}},
    {"fonts-opendyslexic", "", {}, {{"", "opendyslexic"}}},
    {"fonts-play", "", {}, {{"", "play"}}},
    {"fonts-prociono", "", {}, {{"", "prociono"}}},
    {"fonts-quattrocento", "", {}, {{"", "quattrocento"}}},
    {"fonts-quicksand", "", {}, {{"", "quicksand"}}},
    {"fonts-roboto-slab", "", {}, {{"", "roboto-slab"}}},
    {"fonts-sil-andika", "", {}, {{"", "andika"}}},
    {"fonts-sil-charis", "", {}, {{"", "charis"}}},
    {"fonts-sil-gentium", "", {}, {{"", "gentium"}}},
    {"fonts-sora", "", {}, {{"", "sora"}}},
    {"fonts-stix",
     "",
     {"STIX Math", "STIXIntegrals", "STIXNonUnicode", "STIXSize", "STIXVariants"},
     {{"", "stix"}}},
    {"fonts-tuffy", "", {}, {{"", "tuffy"}}},
    {"fonts-urw-base35",
     "",
     {"D050000L", "Standard Symbols PS"},
     {{"C059", "urw-c059"},
      {"Nimbus Mono PS", "courier"},
      {"Nimbus Roman", "urw-nimbus-roman"},
      {"Nimbus Sans", "urw-nimbus-sans"},  // also Nimbus Sans Narrow
      {"P052", "urw-p052"},
      {"URW Bookman", "urw-bookman"},
      {"URW Gothic", "urw-gothic"},
      {"Z003", "urw-z003"}}},
    {"fonts-vollkorn", "", {}, {{"", "vollkorn"}}},
    {"fonts-yanone-kaffeesatz", "", {}, {{"", "yanone-kaffeesatz"}}},
    {"fonts-yrsa-rasa", "", {}, {{"", "yrsa-rasa"}}},
};

// Gothic (hei), Mincho/Song (ming), Kai, round, brush and handwritten faces of Chinese and
// Japanese; about 190 MB installed. The classes (classes_cjk500.txt) are characters that all of
// them cover.
const std::vector<FontPackage> kCjk = {
    {"fonts-aoyagi-soseki", "aoyagi-soseki", {}, {}},
    {"fonts-arphic-ukai", "arphic-ukai", {}, {}},
    {"fonts-arphic-uming", "arphic-uming", {}, {}},
    {"fonts-cwtex-fs", "cwtex-fangsong", {}, {}},
    {"fonts-cwtex-heib", "cwtex-heibold", {}, {}},
    {"fonts-cwtex-kai", "cwtex-kai", {}, {}},
    {"fonts-cwtex-ming", "cwtex-ming", {}, {}},
    {"fonts-cwtex-yen", "cwtex-yen", {}, {}},
    {"fonts-dejima-mincho", "dejima-mincho", {}, {}},
    {"fonts-ipafont-gothic", "ipa-gothic", {"IPAPGothic"}, {}},
    {"fonts-ipafont-mincho", "ipa-mincho", {"IPAPMincho"}, {}},
    {"fonts-komatuna", "konatu", {"Komatuna P"}, {}},  // derived from Konatu
    {"fonts-konatu", "konatu", {"Konatu Tohaba"}, {}},
    {"fonts-motoya-l-cedar", "motoya-cedar", {}, {}},
    {"fonts-motoya-l-maruberi", "motoya-maruberi", {}, {}},
    {"fonts-seto", "seto", {"SetoFont-ex"}, {}},
    {"fonts-smiley-sans", "smiley-sans", {}, {}},
    {"fonts-vlgothic", "vl-gothic", {"VL PGothic"}, {}},
    {"fonts-wqy-microhei", "wqy-microhei", {"WenQuanYi Micro Hei Mono"}, {}},
    {"fonts-wqy-zenhei", "wqy-zenhei", {"WenQuanYi Zen Hei Mono"}, {}},
    {"fonts-yusei-magic", "yusei-magic", {}, {}},
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool is_font_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".ttf" || ext == ".otf" || ext == ".ttc" || ext == ".otc";
}

/// Package -> version of the installed packages in dpkg's status file.
std::map<std::string, std::string> installed_versions(const fs::path& status_path) {
  std::ifstream in(status_path);
  SNAS_CHECK(in, "cannot read dpkg's status file ", status_path, " (is this a Debian system?)");
  std::map<std::string, std::string> out;
  std::string line, package, version, status;
  const auto flush = [&] {
    if (!package.empty() && status.find("installed") != std::string::npos &&
        status.find("not-installed") == std::string::npos && status.find("config-files") == std::string::npos) {
      out[package] = version;
    }
    package.clear();
    version.clear();
    status.clear();
  };
  while (std::getline(in, line)) {
    if (line.empty()) {
      flush();
    } else if (starts_with(line, "Package: ")) {
      package = line.substr(9);
    } else if (starts_with(line, "Version: ")) {
      version = line.substr(9);
    } else if (starts_with(line, "Status: ")) {
      status = line.substr(8);
    }
  }
  flush();
  return out;
}

/// The distinct License: short names of a machine-readable copyright file, joined by ", ".
std::string licence_of(const std::string& package) {
  const fs::path path = fs::path("/usr/share/doc") / package / "copyright";
  std::ifstream in(path);
  if (!in) return "unknown (no " + path.string() + ")";
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (!starts_with(line, "License:")) continue;
    std::string name = line.substr(8);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t\r") + 1);
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  if (names.empty()) return "see " + path.string();
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string group_of(const FontPackage& package, const std::string& family) {
  if (!package.group.empty()) return package.group;
  for (const auto& [prefix, group] : package.family_groups) {
    if (starts_with(family, prefix)) return group;
  }
  return "";
}

bool excluded(const FontPackage& package, const std::string& family) {
  for (const auto& prefix : package.excluded_families) {
    if (starts_with(family, prefix)) return true;
  }
  return false;
}

}  // namespace

const std::vector<FontPackage>& font_packages(Script script) { return script == Script::kLatin ? kLatin : kCjk; }

std::vector<std::string> all_font_package_names() {
  std::vector<std::string> out;
  for (const auto* list : {&kLatin, &kCjk}) {
    for (const auto& p : *list) out.push_back(p.package);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<FontFace> installed_faces(Script script, const fs::path& dpkg_root) {
  const auto versions = installed_versions(dpkg_root / "status");
  std::vector<std::string> missing;
  for (const auto& p : font_packages(script)) {
    if (versions.count(p.package) == 0) missing.push_back(p.package);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += " " + m;
    SNAS_FAIL("the glyphs data set needs ", missing.size(), " font package", missing.size() == 1 ? "" : "s",
              " that are not installed:", list, "; install them with `apt-get install --no-install-recommends", list,
              "` (scripts/setup.sh installs every font package of the data set)");
  }
  detail::LibraryPtr library = detail::make_library();
  std::vector<FontFace> faces;
  for (const auto& p : font_packages(script)) {
    const fs::path list_path = dpkg_root / "info" / (p.package + ".list");
    std::ifstream in(list_path);
    SNAS_CHECK(in, "package ", p.package, " is installed but dpkg has no file list ", list_path);
    std::vector<fs::path> files;
    std::string line;
    while (std::getline(in, line)) {
      if (is_font_file(line) && fs::is_regular_file(line)) files.emplace_back(line);
    }
    std::sort(files.begin(), files.end());
    SNAS_CHECK(!files.empty(), "package ", p.package, " is installed but holds no font file (.ttf, .otf, .ttc, .otc)");
    const std::string licence = licence_of(p.package);
    for (const fs::path& file : files) {
      long count = 1;
      for (long index = 0; index < count; ++index) {
        detail::FacePtr face = detail::open_face(library.get(), file, index);
        count = face->num_faces;
        const std::string family = face->family_name ? face->family_name : "";
        const std::string style = face->style_name ? face->style_name : "";
        // Inverted styles (OCR-B's) draw a dark letter in a light box: another task.
        const bool inverted = style.find("Inverted") != std::string::npos;
        if (family.empty() || inverted || excluded(p, family) || !FT_IS_SCALABLE(face.get())) continue;
        const std::string group = group_of(p, family);
        SNAS_INTERNAL_ASSERT(!group.empty(), "font catalog: no group for family '", family, "' of ", p.package);
        faces.push_back({p.package, versions.at(p.package), licence, file, index, family, style, group});
      }
    }
  }
  std::sort(faces.begin(), faces.end(), [](const FontFace& a, const FontFace& b) {
    return std::tie(a.group, a.family, a.style, a.file, a.face_index) <
           std::tie(b.group, b.family, b.style, b.file, b.face_index);
  });
  // One face per (group, family, style): the first in file order.
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  std::vector<FontFace> unique;
  for (auto& f : faces) {
    if (seen.insert({f.group, f.family, f.style}).second) unique.push_back(std::move(f));
  }
  return unique;
}

}  // namespace sparsenas::glyphs
