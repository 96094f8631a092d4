#pragma once
// Wall-clock and CPU-time readings for stage records and file stamps.

#include <string>

namespace sparsenas {

/// Current time as ISO 8601 UTC, e.g. "2026-11-27T23:40:01Z".
std::string utc_now();
/// Process CPU time (user + system) in seconds, all threads.
double process_cpu_seconds();

}  // namespace sparsenas
