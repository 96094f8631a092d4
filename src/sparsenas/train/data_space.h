#pragma once
// The search-space options a dataset implies: input channels, classes and resolution, for `run`
// and `train` alike.

#include <optional>
#include <string>

#include "sparsenas/data/dataset.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::train {

/// Channels, classes and resolution of `d`'s images, with `width_mult` (unset: the space's).
/// Images must be square; otherwise the error ends with `resize_hint` (how to resize, e.g.
/// "set data.image_size").
space::SpaceOptions space_options_for(const data::Dataset& d, std::optional<double> width_mult,
                                      const std::string& resize_hint);

}  // namespace sparsenas::train
