#pragma once
// The built-in search spaces, as SpaceSpecs: "ofa-mbv3" (paper Table 2), "proxyless" (OFA's
// ProxylessNAS space), "compofa" (the 243 coupled networks of CompOFA), and "ofa-mbv3-s1" /
// "compofa-s1": the same two with stride 1 in the stem, for 28x28 and 32x32 inputs (the comparison
// protocol, BENCHMARKS.md "Issue 12, item 1").

#include <string>
#include <vector>

#include "sparsenas/space/space_spec.h"

namespace sparsenas::space {

/// Names of the built-in spaces, in this order: "ofa-mbv3", "proxyless", "compofa", "ofa-mbv3-s1",
/// "compofa-s1".
std::vector<std::string> builtin_space_names();
/// Whether `name` is one of builtin_space_names().
bool is_builtin_space(const std::string& name);
/// The CompOFA coupling of an OFA-MobileNetV3 space ("compofa" for "ofa-mbv3", "compofa-s1" for
/// "ofa-mbv3-s1"), or "" for any other space.
std::string compofa_space_of(const std::string& space);
/// The spaces compofa_space_of() knows, quoted, for errors: "\"ofa-mbv3\" or \"ofa-mbv3-s1\"".
std::string coupled_space_names();
/// The built-in spec of a name (before options), or an error listing the names.
SpaceSpec builtin_spec(const std::string& name);

}  // namespace sparsenas::space
