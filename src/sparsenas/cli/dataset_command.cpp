// `sparsenas dataset glyphs`: renders the glyphs data set (glyphs::generate_glyphs).
#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "sparsenas/cli/cli_util.h"
#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/glyphs/class_sets.h"
#include "sparsenas/glyphs/glyph_dataset.h"

namespace sparsenas::cli {

namespace fs = std::filesystem;

namespace {

struct GlyphsFlags {
  glyphs::GlyphsRequest request;
  std::string out;
  bool force = false;
  bool json = false;
};

void print_summary(const nlohmann::json& manifest, const std::string& out, bool json, bool fresh) {
  if (json) {
    nlohmann::json summary = {{"out", out}, {"generated", fresh}, {"hash", manifest.at("hash")},
                              {"num_classes", manifest.at("num_classes")}, {"families", manifest.at("families")},
                              {"missing_glyphs", manifest.at("missing_glyphs")}};
    for (const auto& [split, info] : manifest.at("splits").items()) {
      summary["splits"][split] = {{"images", info.at("images")}, {"families", info.at("families").size()}};
    }
    std::cout << summary.dump(2) << std::endl;
    return;
  }
  std::cout << out << ": " << manifest.at("num_classes") << " classes (" << manifest.at("request").at("classes").get<std::string>()
            << "), " << manifest.at("families") << " font families;";
  for (const auto& [split, info] : manifest.at("splits").items()) {
    std::cout << " " << split << " " << info.at("images") << " images of " << info.at("families").size() << " families;";
  }
  std::cout << " hash " << manifest.at("hash").get<std::string>() << (fresh ? "" : " (up to date)") << "\n";
}

void run_glyphs(const GlyphsFlags& f) {
  const fs::path out(f.out);
  if (!f.force && fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out))) {
    SNAS_CHECK(glyphs::glyphs_up_to_date(f.request, out), "--out ", out,
               " exists and is not this request's data set (other settings, other font versions, or modified "
               "files): choose another directory, or give --force to replace it");
    print_summary(glyphs::read_glyphs_manifest(out), f.out, f.json, false);
    return;
  }
  const fs::path target = f.force && fs::exists(out) ? out.parent_path() / (out.filename().string() + ".new-glyphs") : out;
  if (f.force) fs::remove_all(target);  // a replacement left by an interrupted --force
  const nlohmann::json manifest = glyphs::generate_glyphs(f.request, target);
  if (target != out) {
    fs::remove_all(out);
    fs::rename(target, out);
  }
  print_summary(manifest, f.out, f.json, true);
}

}  // namespace

void add_dataset_command(CLI::App& app) {
  CLI::App* dataset = app.add_subcommand("dataset", "Make a data set on this machine");
  dataset->require_subcommand(1);
  auto [cmd, f] = add_command<GlyphsFlags>(*dataset, "glyphs",
                                           "Printed characters rendered with FreeType from Debian's font packages; "
                                           "train, validation and test fonts from disjoint font families",
                                           run_glyphs);
  std::string names;
  for (const auto& n : glyphs::class_set_names()) names += (names.empty() ? "" : "|") + n;
  cmd->add_option("--out", f->out, "directory to write (IDX files and manifest.json)")->required();
  cmd->add_option("--classes", f->request.classes, "class set: " + names)->capture_default_str();
  cmd->add_option("--size", f->request.size, "image side in pixels")->capture_default_str();
  cmd->add_option("--seed", f->request.seed, "seed of the family split, the faces and the distortions")
      ->capture_default_str();
  cmd->add_option("--images-per-class", f->request.images_per_class,
                  "images of each class per font family (0 = latin 10, cjk 5)")
      ->capture_default_str();
  cmd->add_option("--val-families", f->request.val_families, "families held out for validation (0 = a sixth)")
      ->capture_default_str();
  cmd->add_option("--test-families", f->request.test_families, "families held out for the test (0 = a fifth)")
      ->capture_default_str();
  cmd->add_flag("--force", f->force, "replace --out if it holds something else");
  add_json_flag(*cmd, f->json);
}

}  // namespace sparsenas::cli
