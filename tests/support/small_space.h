#pragma once
// A search space at a small resolution with 10 classes, for tests that build real networks.

#include <string>

#include "sparsenas/space/search_space.h"

namespace sparsenas::test {

/// The space `name` (ofa-mbv3, proxyless, compofa) at `resolution` x `resolution` x `in_channels`
/// with 10 classes.
inline space::SearchSpace small_space(const std::string& name, int resolution = 32, int in_channels = 1) {
  space::SpaceOptions options;
  options.resolution = resolution;
  options.in_channels = in_channels;
  options.num_classes = 10;
  return space::SearchSpace::from_name(name, options);
}

}  // namespace sparsenas::test
