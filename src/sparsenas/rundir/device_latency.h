#pragma once
// Measured latency of a run's family on one device: `latency/<device>.csv` in the run directory,
// written by `sparsenas latency` and read by `search`/`export --device-name` and the report.
// The device is a name (a file name), not a probe: the default names the host's CPU model, the
// runtime and the thread count (default_device_name).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sparsenas/search/lookup.h"
#include "sparsenas/space/arch.h"

namespace sparsenas::rundir {

class RunDir;

/// One measured network.
struct LatencyRow {
  int64_t network = 0;  ///< its row in family.csv (0-based)
  space::Arch arch;
  int64_t macs = 0;
  std::string runtime;  ///< "libtorch" or "opencv"
  int64_t threads = 1;
  int64_t batch = 1;
  int64_t warmup = 0;   ///< untimed runs before timing
  int64_t repeats = 0;  ///< timed runs
  double median_ms = 0.0;  ///< median of the repeats' wall times, one forward of `batch` images
  double p90_ms = 0.0;     ///< 90th percentile (nearest rank) of the same times
};

/// Median and 90th percentile of a list of times.
struct LatencyStats {
  double median_ms = 0.0;
  double p90_ms = 0.0;
};

/// Median (the mean of the two middle values for an even count) and the nearest-rank 90th
/// percentile (element ceil(0.9 n) of the sorted list, 1-based) of `times_ms`. Throws for an empty
/// list or a value that is not finite and >= 0.
LatencyStats latency_stats(std::vector<double> times_ms);

/// `latency/<device>.csv` (RFC 4180 through core/csv.h, one header line, one row per network):
/// ```
/// network,arch,macs,runtime,threads,batch,warmup,repeats,median_ms,p90_ms
/// 0,"{""ks"":[3,5,...],...}",4523456,libtorch,1,1,5,30,1.84,1.97
/// ```
/// Exactly these columns, in any order. Errors name `source`, the line and the column.
std::vector<LatencyRow> parse_latency_csv(const std::string& text, const std::string& source);
/// Reads a file written by write_latency_csv.
std::vector<LatencyRow> read_latency_csv(const std::filesystem::path& path);
std::string latency_csv(const std::vector<LatencyRow>& rows);
/// Writes the CSV atomically (temp file + rename; the folder is created).
void write_latency_csv(const std::filesystem::path& path, const std::vector<LatencyRow>& rows);

/// Throws unless `name` can name a device file: 1-100 characters of [A-Za-z0-9._-], not starting
/// with '.'. The error names `flag` ("--device-name").
void check_device_name(const std::string& name, const std::string& flag = "--device-name");
/// `text` lower-cased with every run of characters outside [a-z0-9.] replaced by one '-', and
/// leading/trailing '-' removed ("AMD EPYC 9R14 96-Core" -> "amd-epyc-9r14-96-core"); "cpu" when
/// nothing is left.
std::string sanitize_device_name(const std::string& text);
/// The host CPU's model name ("model name" of /proc/cpuinfo, else "cpu"), sanitised.
std::string host_cpu_name();
/// The default device name of `sparsenas latency` (the one place it is made):
/// `<host_cpu_name()>-<runtime>-<threads>t`, e.g. "amd-epyc-libtorch-1t".
std::string default_device_name(const std::string& runtime, int64_t threads);

/// `<run>/latency/<device>.csv` (artifacts.h kLatencyDir).
std::filesystem::path device_latency_path(const std::filesystem::path& run_dir, const std::string& device);
/// The devices measured in a run: the stems of `latency/*.csv`, sorted; empty when none.
std::vector<std::string> measured_devices(const std::filesystem::path& run_dir);

/// `family` with each row's latency_ms replaced by `rows`' median_ms of the same architecture
/// (NaN for a network not measured). Throws when a row's architecture is not in the family (the
/// file was measured on another family: measure again), naming `source`.
search::FamilyTable family_with_latency(const search::FamilyTable& family, const std::vector<LatencyRow>& rows,
                                        const std::string& source);

/// The run's family with the latency measured on `device` (`latency/<device>.csv`). An unknown
/// device is an error that lists the devices measured (or says none was, and how to measure).
search::FamilyTable family_on_device(const RunDir& run, const std::string& device);

/// The run's family with each row's latency_ms replaced by the latency the table at `table`
/// predicts (LatencyTable::predict_ms; `sparsenas latency-table`). A missing or corrupt table, or
/// one made for another space or shape than the run's (sparse_space.json's space), is an error
/// naming the table and what differs.
search::FamilyTable family_on_table(const RunDir& run, const std::filesystem::path& table);

}  // namespace sparsenas::rundir
