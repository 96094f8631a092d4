#pragma once
// Once-for-All checkpoints in and out of run directories.
//
// In: method "ofa-import" (`sparsenas import-ofa`) starts from a supernet trained by OFA's own code
// (a `torch.save` file, {"state_dict": ...} or a bare state dict; nn/ofa_state_dict.h maps the
// names). Its first stage, `import`, writes the weights as `supernet.pt` and `teacher.pt` (OFA's
// largest network is its teacher, as in OFA's own distillation); then pairs, predictor,
// family_search, family and report run as for method ofa, so `search`, `export`, `latency`,
// `space-stats` and `check-selection --on` read the run as any other. A later run distils from and
// starts from OFA's weights with `--teacher DIR` (supernet_stage.init "teacher" loads every tensor
// of teacher.pt, transform matrices included).
//
// Out: `sparsenas export-ofa` writes a run's supernet.pt as the state dict OFA's network classes
// load, with a JSON sidecar saying how to build that network.

#include <filesystem>
#include <nlohmann/json.hpp>

namespace sparsenas::pipeline {

/// What `export_ofa` wrote.
struct OfaExport {
  std::filesystem::path file, sidecar;
  nlohmann::json network;  ///< nn::ofa_network of the run's space
  int64_t tensors = 0;
};

/// Writes the supernet of the run in `run_dir` (its supernet.pt; the teacher.pt with `teacher`) to
/// `out` as {"state_dict": ...} with OFA's names, and `out` with extension .json beside it: the
/// OFA constructor's arguments, the adaptations a space needs that OFA's constructor does not
/// make (input channels, stem stride), and a Python snippet that loads it. Throws
/// sparsenas::Error when the run has no such checkpoint or its space has no OFA network.
OfaExport export_ofa(const std::filesystem::path& run_dir, const std::filesystem::path& out, bool teacher = false);

}  // namespace sparsenas::pipeline
