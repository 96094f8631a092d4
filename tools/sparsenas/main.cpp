// The `sparsenas` program: builds the command line, runs one subcommand, maps errors to exit codes.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/dist/world.h"

int main(int argc, char** argv) {
  CLI::App app{"sparsenas: one-shot neural architecture search in a sparse space (SparseNAS)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sparsenas 0.1.0");
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "debug messages on stderr");
  app.add_flag("-q,--quiet", quiet, "only warnings and errors on stderr");
  double dist_timeout = sparsenas::dist::kDefaultTimeoutSeconds;
  app.add_option("--dist-timeout", dist_timeout,
                 "several ranks (torchrun): seconds a collective or the start-up may wait for the other ranks "
                 "before this rank exits with an error")
      ->capture_default_str();
  double heartbeat_timeout = sparsenas::dist::kDefaultHeartbeatTimeoutSeconds;
  app.add_option("--dist-heartbeat-timeout", heartbeat_timeout,
                 "several ranks: seconds without a heartbeat after which a rank counts as hung (stopped, or its "
                 "host gone) and the others exit with an error naming it")
      ->capture_default_str();
  app.parse_complete_callback([&] {
    if (quiet) sparsenas::set_log_level(sparsenas::LogLevel::kWarn);
    if (verbose) sparsenas::set_log_level(sparsenas::LogLevel::kDebug);
    sparsenas::dist::set_timeout_seconds(dist_timeout);
    sparsenas::dist::set_heartbeat_timeout_seconds(heartbeat_timeout);
  });
  sparsenas::cli::add_all_commands(app);
  try {
    app.parse(argc, argv);  // subcommand callbacks run inside parse()
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // usage errors and --help
  } catch (const std::exception& e) {
    SNAS_LOG(ERROR) << e.what();
    return 1;
  }
  return 0;
}
