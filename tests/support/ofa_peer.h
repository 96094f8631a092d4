#pragma once
// Once-for-All's own code for tests that run it beside ours: the unmodified `ofa` package that the
// workspace keeps at ../shared/peers/once-for-all (never copied into the project), run by Debian's
// python3-torch, python3-torchvision and python3-tqdm.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace sparsenas::test {

/// The folder holding OFA's `ofa/` package: $SNAS_OFA_DIR, else shared/peers/once-for-all beside
/// the repository or beside any folder above it, else /work/shared/peers/once-for-all. Empty when
/// none holds ofa/__init__.py.
inline std::optional<std::filesystem::path> ofa_peer_dir() {
  namespace fs = std::filesystem;
  auto holds = [](const fs::path& p) { return fs::is_regular_file(p / "ofa" / "__init__.py"); };
  if (const char* env = std::getenv("SNAS_OFA_DIR")) {
    if (holds(env)) return fs::path(env);
  }
  for (fs::path p = fs::absolute(SNAS_TEST_DATA_DIR).lexically_normal(); !p.empty() && p != p.root_path();
       p = p.parent_path()) {
    if (holds(p / "shared" / "peers" / "once-for-all")) return p / "shared" / "peers" / "once-for-all";
  }
  if (holds("/work/shared/peers/once-for-all")) return fs::path("/work/shared/peers/once-for-all");
  return std::nullopt;
}

/// Whether /usr/bin/python3 imports OFA's networks from `dir` (torch, torchvision and tqdm present).
inline bool ofa_runs(const std::filesystem::path& dir) {
  const std::string cmd = "PYTHONPATH='" + dir.string() +
                          "' /usr/bin/python3 -c 'from ofa.imagenet_classification.elastic_nn.networks import "
                          "OFAMobileNetV3' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace sparsenas::test
