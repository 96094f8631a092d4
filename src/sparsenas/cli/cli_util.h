#pragma once
// Small helpers shared by the subcommands: registering a subcommand with its flags, the flags
// several subcommands share (data, bounds, --run, --json), and Ctrl-C handling.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/core/log.h"
#include "sparsenas/pipeline/pipeline.h"  // for pipeline::Interrupted
#include "sparsenas/search/lookup.h"

namespace sparsenas::data {
struct DataConfig;
}
namespace sparsenas::train {
struct EvalResult;
}

namespace sparsenas::cli {

/// Exit code of a command stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
constexpr int kExitInterrupted = 130;

/// Adds the subcommand `name` with a `Flags` struct that lives as long as the app; after parsing,
/// the subcommand's callback calls `run(flags)`. Returns the subcommand and the flags to bind
/// options to.
///
/// Example:
/// ```
/// auto [cmd, f] = add_command<SearchFlags>(app, "search", "The most accurate network ...", run_search);
/// cmd->add_option("--run", f->run, "run directory")->required();
/// ```
template <typename Flags>
std::pair<CLI::App*, Flags*> add_command(CLI::App& app, const std::string& name,
                                         const std::string& description, void (*run)(const Flags&)) {
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->callback([flags, run] { run(*flags); });
  return {cmd, flags.get()};
}

/// `field = *flag` when the flag was given; otherwise `field` keeps the config's value.
template <typename T>
void apply(const std::optional<T>& flag, T& field) {
  if (flag) field = *flag;
}

/// `--run DIR` (required): the run directory of `sparsenas run` a command reads.
void add_run_dir_option(CLI::App& cmd, std::string& run);

/// `--preset NAME` bound to `preset` (its default printed): "<what>: tiny, quick, ..." from
/// pipeline::preset_names().
void add_preset_option(CLI::App& cmd, std::string& preset, const std::string& what);
/// `--json`: "print the result as JSON", or with `pretty` "pretty-print the JSON result" (for
/// commands that print JSON on one line without it).
void add_json_flag(CLI::App& cmd, bool& json, bool pretty = false);

/// The dataset flags of `run`, `train` and `eval`; unset ones keep the config's value.
/// `--data` takes a source name or a dataset's path: a value that is not a source name is a path,
/// meaning source "auto" (inferred: data::resolve_data_config) with that path.
/// `--val-size` / `--test-size` take a count ("5000") or a fraction ("0.1").
struct DataFlags {
  std::optional<std::string> source, path, val_size, test_size;
  std::optional<int64_t> image_size, train_limit, test_limit;

  /// Overrides the fields of `config` given as flags (errors name the flag).
  void apply_to(data::DataConfig& config) const;
  /// The flags given, as a JSON object with the keys of data::DataConfig's JSON (empty when none).
  nlohmann::json to_json() const;
};

/// A flag's help text from its config field's declaration (config_fields.h): the one-line doc,
/// the choices and the default, printed from the struct (`help_text`). With `preset_default`
/// the default is said to come from the preset (`run`, where a preset changes it).
template <class Config>
std::string field_help(const std::string& key, bool preset_default = false) {
  if (!preset_default) return config_fields::help_text<Config>(key);
  const config_fields::FieldInfo info = config_fields::field_info<Config>(key);
  std::string out = info.doc;
  for (size_t i = 0; i < info.choices.size(); ++i) {
    out += (i == 0 ? ": " : i + 1 == info.choices.size() ? " or " : ", ") + info.choices[i];
  }
  return out + " (default: the preset's)";
}

/// Adds --data, --data-path, --image-size, --val-size, --test-size, --train-limit and --test-limit.
/// Help texts from data::DataConfig's declarations; `preset_default` as for field_help.
void add_data_flags(CLI::App& cmd, DataFlags& flags, bool preset_default = false);

/// The bound flags of `search` and `export`: at most one of them may be given.
/// With --max-latency-ms, the latency is family.csv's (measured in the run) unless one of these
/// says otherwise (they exclude each other):
/// `--device-name NAME`: measured on that device by `sparsenas latency` (latency/NAME.csv);
/// `--latency-table FILE`: predicted by that table (`sparsenas latency-table`) for the run's space;
/// `--predicted-latency`: predicted by the table the family was built with (a sparse space on a
/// latency grid, sparse_space.constraint latency: family.csv's predicted_ms).
struct BoundFlags {
  std::optional<double> max_macs, max_latency_ms, max_params;
  std::optional<std::string> device_name;
  std::optional<std::string> latency_table;
  bool predicted_latency = false;
};

/// Adds --max-macs, --max-latency-ms and --max-params, which exclude each other, and
/// --device-name, --latency-table and --predicted-latency, which exclude each other.
void add_bound_flags(CLI::App& cmd, BoundFlags& flags);

/// The bound given and its limit; nullopt when none was given.
std::optional<std::pair<search::Bound, double>> bound_of(const BoundFlags& flags);

/// The family a bound is looked up in: the run's family.csv, with --device-name the latency
/// measured on that device (rundir::family_on_device; an unknown device is an error listing the
/// devices measured), with --latency-table the table's prediction (rundir::family_on_table), with
/// --predicted-latency the recorded prediction (FamilyTable::with_predicted_latency). Any of the
/// three without --max-latency-ms is an error.
search::FamilyTable family_for_bound(const BoundFlags& flags, const std::filesystem::path& run_dir);
/// What the latency of family_for_bound's table comes from, for messages and --json:
/// "family.csv", "latency/NAME.csv", the table's path, or "family.csv (predicted_ms)".
std::string latency_source(const BoundFlags& flags, const std::filesystem::path& run_dir);

/// An evaluation as printed by `train` and `eval`: {"top1", "loss", "images", "seconds"}.
nlohmann::json eval_json(const train::EvalResult& result);

/// Local time as "YYYYmmdd-HHMMSS" (default run-directory names).
std::string timestamp();

/// While alive, the first Ctrl-C (SIGINT) asks every running training loop and pipeline stage to
/// checkpoint and stop (train::request_stop); a second one kills the process at once. The
/// previous handler is restored on destruction. Clears an earlier stop request on construction.
class StopOnInterrupt {
 public:
  StopOnInterrupt();
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

 private:
  void (*previous_)(int);
};

/// Returns `work()` run under StopOnInterrupt. When it stops on Ctrl-C (pipeline::Interrupted),
/// logs the reason as a warning and exits with kExitInterrupted (throws CLI::RuntimeError).
template <typename Work>
auto run_interruptible(Work&& work) -> decltype(work()) {
  try {
    const StopOnInterrupt stop_on_ctrl_c;
    return work();
  } catch (const pipeline::Interrupted& e) {
    SNAS_LOG(WARN) << e.what();
    throw CLI::RuntimeError(kExitInterrupted);
  }
}

}  // namespace sparsenas::cli
