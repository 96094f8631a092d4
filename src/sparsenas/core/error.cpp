#include "sparsenas/core/error.h"

namespace sparsenas::detail {

void throw_error(const std::string& message) { throw Error(message); }

}  // namespace sparsenas::detail
