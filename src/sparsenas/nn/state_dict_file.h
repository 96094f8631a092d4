#pragma once
// A state dict in a file written by Python's `torch.save` (the zip format of PyTorch >= 1.6), read
// and written without Python.
//
// Why a reader of our own: LibTorch's `torch::pickle_load` turns every `collections.OrderedDict`
// into None (its unpickler meets OrderedDict only as a tensor's empty backward hooks), and a
// `state_dict()` is an OrderedDict, so it cannot read what `torch.save(model.state_dict())` or
// OFA's checkpoints hold. This reader runs the subset of the pickle protocol that `torch.save`
// writes for dicts, lists, tuples, numbers, strings and tensors (protocols 2 to 4), and rebuilds
// tensors from the archive's storages; any other object (an optimizer's state, say) is read as
// an opaque value and left alone.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace sparsenas::nn {

/// The tensors of a state dict, in the file's order, keyed by their names.
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

/// What `read_state_dict_file` found.
struct StateDictFile {
  StateDict tensors;
  /// Where in the file the state dict was: "state_dict" (a checkpoint `{"state_dict": ...}`) or
  /// "" (the file is the state dict itself).
  std::string location;
  /// The other top-level keys of a checkpoint (e.g. "epoch", "optimizer"), which are not read.
  std::vector<std::string> other_keys;
};

/// Reads `path`: either a bare state dict (a dict of tensors) or a checkpoint dict with a
/// "state_dict" entry holding one. Tensors come back contiguous, on the CPU, with the file's
/// dtype. Throws sparsenas::Error naming `path` when the file is missing, is in the pre-1.6
/// format (with a one-line `python3-torch` converter in the message), is not a complete zip
/// archive (e.g. truncated), holds pickle data this reader does not run, or holds no state dict.
StateDictFile read_state_dict_file(const std::filesystem::path& path);

/// Writes `{"state_dict": tensors}` (tensors in the given order) as `torch.save` would, so that
/// `torch.load(path)["state_dict"]` gives a dict of them; atomically (temp file, rename).
void write_state_dict_file(const std::filesystem::path& path, const StateDict& tensors);

/// The one-line command that rewrites a pre-1.6 `torch.save` file in the zip format, with
/// Debian's python3-torch.
std::string legacy_converter_command(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace sparsenas::nn
