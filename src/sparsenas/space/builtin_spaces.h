#pragma once
// The built-in search spaces: "ofa-mbv3" (paper Table 2), "proxyless" (OFA's ProxylessNAS space)
// and "compofa" (the 243 coupled networks of CompOFA), as SpaceSpecs.

#include <string>
#include <vector>

#include "sparsenas/space/space_spec.h"

namespace sparsenas::space {

/// Names of the built-in spaces, in this order: "ofa-mbv3", "proxyless", "compofa".
std::vector<std::string> builtin_space_names();
/// Whether `name` is one of builtin_space_names().
bool is_builtin_space(const std::string& name);
/// The built-in spec of a name (before options), or an error listing the names.
SpaceSpec builtin_spec(const std::string& name);

}  // namespace sparsenas::space
