#pragma once
// Subcommands of the `sparsenas` program, one file each (`add_<name>_command` in
// <name>_command.cpp). Each binds flags to a config, validates it, calls one library entry point
// and prints the result (JSON on stdout with --json; progress on stderr).

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace sparsenas::cli {

void add_space_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_search_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_space_stats_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_check_selection_command(CLI::App& app);
/// `latency` and `latency-table` (latency_command.cpp).
void add_latency_commands(CLI::App& app);
/// `import-ofa` and `export-ofa` (ofa_command.cpp).
void add_ofa_commands(CLI::App& app);
/// `dataset glyphs` (dataset_command.cpp).
void add_dataset_command(CLI::App& app);

/// Registers every subcommand.
void add_all_commands(CLI::App& app);

/// Options shared by every command that builds a search space.
struct SpaceFlags {
  std::string space = "ofa-mbv3";
  std::optional<int> resolution, in_channels, num_classes;
  std::optional<double> width_mult;
};
void add_space_flags(CLI::App& cmd, SpaceFlags& flags);

}  // namespace sparsenas::cli
