#include "sparsenas/train/data_space.h"

#include "sparsenas/core/error.h"

namespace sparsenas::train {

space::SpaceOptions space_options_for(const data::Dataset& d, std::optional<double> width_mult,
                                      const std::string& resize_hint) {
  SNAS_CHECK(d.height() == d.width(), "images must be square, got ", d.height(), "x", d.width(), " (", resize_hint,
             ")");
  space::SpaceOptions options;
  options.in_channels = static_cast<int>(d.channels());
  options.num_classes = static_cast<int>(d.num_classes());
  options.resolution = static_cast<int>(d.height());
  options.width_mult = width_mult;
  return options;
}

}  // namespace sparsenas::train
