#include "sparsenas/nn/weight_decay.h"

namespace sparsenas::nn {

bool is_no_decay_parameter(const std::string& name) {
  return name.find("bn") != std::string::npos || name.find("bias") != std::string::npos;
}

}  // namespace sparsenas::nn
