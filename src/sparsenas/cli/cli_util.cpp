#include "sparsenas/cli/cli_util.h"

#include <csignal>
#include <ctime>

#include "sparsenas/core/error.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/pipeline/run_config.h"
#include "sparsenas/rundir/device_latency.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::cli {

namespace {
volatile std::sig_atomic_t g_interrupts = 0;

extern "C" void on_sigint(int) {
  if (++g_interrupts >= 2) {  // a second Ctrl-C kills at once
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  train::request_stop();
}
}  // namespace

void add_run_dir_option(CLI::App& cmd, std::string& run) {
  cmd.add_option("--run", run, "run directory of `sparsenas run`")->required();
}

void add_preset_option(CLI::App& cmd, std::string& preset, const std::string& what) {
  std::string presets;
  for (const auto& p : pipeline::preset_names()) presets += (presets.empty() ? "" : ", ") + p;
  cmd.add_option("--preset", preset, what + ": " + presets)->capture_default_str();
}

void add_json_flag(CLI::App& cmd, bool& json, bool pretty) {
  cmd.add_flag("--json", json, pretty ? "pretty-print the JSON result" : "print the result as JSON");
}

namespace {

/// "5000" -> 5000, "0.1" -> 0.1; anything else is an error naming the flag.
nlohmann::json split_size_flag(const std::string& flag, const std::string& text) {
  nlohmann::json size;
  size_t used = 0;
  try {
    if (text.find_first_not_of("0123456789") == std::string::npos) {
      size = std::stoll(text, &used);
    } else {
      size = std::stod(text, &used);
    }
  } catch (const std::exception&) {
    used = 0;
  }
  SNAS_CHECK(!text.empty() && used == text.size() && data::is_split_size(size), flag,
             " must be a count (an integer >= 0, e.g. 5000) or a fraction in (0, 1) (e.g. 0.1), got \"", text,
             "\"");
  return size;
}

bool is_source_name(const std::string& value) {
  for (const auto& name : config_fields::field_info<data::DataConfig>("source").choices) {
    if (name == value) return true;
  }
  return false;
}

}  // namespace

void DataFlags::apply_to(data::DataConfig& config) const {
  const nlohmann::json j = to_json();
  data::DataConfig updated = config;
  data::from_json(j, updated);
  config = updated;
}

nlohmann::json DataFlags::to_json() const {
  nlohmann::json data = nlohmann::json::object();
  if (source && !is_source_name(*source)) {
    // A path: its kind is inferred when the config is resolved.
    SNAS_CHECK(!path, "--data ", *source, " is a path (not a source name), so --data-path ", *path,
               " is one too many: give --data PATH, or --data KIND --data-path PATH");
    data["source"] = "auto";
    data["path"] = *source;
  } else {
    if (source) data["source"] = *source;
    if (path) data["path"] = *path;
  }
  if (image_size) data["image_size"] = *image_size;
  if (val_size) data["val_size"] = split_size_flag("--val-size", *val_size);
  if (test_size) data["test_size"] = split_size_flag("--test-size", *test_size);
  if (train_limit) data["train_limit"] = *train_limit;
  if (test_limit) data["test_limit"] = *test_limit;
  return data;
}

void add_data_flags(CLI::App& cmd, DataFlags& flags, bool preset_default) {
  auto help = [preset_default](const char* key) { return field_help<data::DataConfig>(key, preset_default); };
  cmd.add_option("--data", flags.source,
                 help("source") + "; or a dataset folder's path, its kind inferred (class sub-folders, train/ "
                                  "and test/, IDX files, CIFAR binaries)");
  cmd.add_option("--data-path", flags.path, help("path"));
  cmd.add_option("--image-size", flags.image_size, help("image_size"));
  cmd.add_option("--val-size", flags.val_size, help("val_size"));
  cmd.add_option("--test-size", flags.test_size, help("test_size"));
  cmd.add_option("--train-limit", flags.train_limit, help("train_limit"));
  cmd.add_option("--test-limit", flags.test_limit, help("test_limit"));
}

void add_bound_flags(CLI::App& cmd, BoundFlags& flags) {
  auto* macs = cmd.add_option("--max-macs", flags.max_macs, "largest MACs per image (e.g. 8e6)");
  auto* latency = cmd.add_option("--max-latency-ms", flags.max_latency_ms,
                                 "largest batch-1 latency in ms (measured in the run)");
  auto* params = cmd.add_option("--max-params", flags.max_params, "largest parameter count");
  macs->excludes(latency)->excludes(params);
  latency->excludes(params);
  auto* device = cmd.add_option("--device-name", flags.device_name,
                                "with --max-latency-ms: the latency measured on this device by `sparsenas latency` "
                                "(latency/NAME.csv) instead of the run's");
  auto* table = cmd.add_option("--latency-table", flags.latency_table,
                               "with --max-latency-ms: the latency predicted by this table (sparsenas "
                               "latency-table, made for the run's space and shape) instead of the run's");
  auto* predicted = cmd.add_flag("--predicted-latency", flags.predicted_latency,
                                 "with --max-latency-ms: the latency predicted by the table the family was built "
                                 "with (sparse_space.constraint latency) instead of the run's");
  device->excludes(table)->excludes(predicted);
  table->excludes(predicted);
}

search::FamilyTable family_for_bound(const BoundFlags& flags, const std::filesystem::path& run_dir) {
  const rundir::RunDir run = rundir::open_run(run_dir);
  if (!flags.device_name && !flags.latency_table && !flags.predicted_latency) return run.family();
  const std::string flag = flags.device_name     ? "--device-name " + *flags.device_name
                           : flags.latency_table ? "--latency-table " + *flags.latency_table
                                                 : std::string("--predicted-latency");
  SNAS_CHECK(flags.max_latency_ms.has_value(), flag, " selects by latency: give --max-latency-ms with it");
  if (flags.device_name) return rundir::family_on_device(run, *flags.device_name);
  if (flags.latency_table) return rundir::family_on_table(run, *flags.latency_table);
  return run.family().with_predicted_latency("--predicted-latency: " + run.file(rundir::kFamily).string());
}

std::string latency_source(const BoundFlags& flags, const std::filesystem::path& run_dir) {
  if (flags.device_name) return rundir::device_latency_path(run_dir, *flags.device_name).string();
  if (flags.latency_table) return *flags.latency_table;
  const std::string family = (run_dir / rundir::kFamily).string();
  return flags.predicted_latency ? family + " (predicted_ms)" : family;
}

std::optional<std::pair<search::Bound, double>> bound_of(const BoundFlags& flags) {
  if (flags.max_macs) return std::make_pair(search::Bound::kMacs, *flags.max_macs);
  if (flags.max_latency_ms) return std::make_pair(search::Bound::kLatencyMs, *flags.max_latency_ms);
  if (flags.max_params) return std::make_pair(search::Bound::kParams, *flags.max_params);
  return std::nullopt;
}

nlohmann::json eval_json(const train::EvalResult& r) {
  return {{"top1", r.top1}, {"loss", r.loss}, {"images", r.images}, {"seconds", r.seconds}};
}

std::string timestamp() {
  std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%d-%H%M%S", std::localtime(&now));
  return buffer;
}

StopOnInterrupt::StopOnInterrupt() {
  train::clear_stop_request();
  g_interrupts = 0;
  previous_ = std::signal(SIGINT, on_sigint);
}

StopOnInterrupt::~StopOnInterrupt() { std::signal(SIGINT, previous_); }

}  // namespace sparsenas::cli
