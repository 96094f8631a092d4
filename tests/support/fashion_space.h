#pragma once
// The search space every pipeline test uses: ofa-mbv3 at 28x28x1 with 10 classes, as
// `sparsenas run` builds it for Fashion-MNIST.

#include "sparsenas/space/search_space.h"

namespace sparsenas::test {

inline space::SearchSpace fashion_space() {
  space::SpaceOptions options;
  options.resolution = 28;
  options.in_channels = 1;
  options.num_classes = 10;
  return space::SearchSpace::from_name("ofa-mbv3", options);
}

}  // namespace sparsenas::test
