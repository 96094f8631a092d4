// `sparsenas space info|macs|sample`: search-space facts, costs of one network, random networks.
#include <cmath>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsenas/cli/commands.h"
#include "sparsenas/core/error.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::cli {

namespace {

space::SearchSpace make_space(const SpaceFlags& flags) {
  space::SpaceOptions options;
  options.resolution = flags.resolution;
  options.in_channels = flags.in_channels;
  options.num_classes = flags.num_classes;
  options.width_mult = flags.width_mult;
  return space::SearchSpace::from_name(flags.space, options);
}

nlohmann::json cost_json(const space::SearchSpace& space, const space::Arch& arch) {
  return {{"arch", space::to_json(arch)}, {"macs", space.macs(arch)}, {"params", space.params(arch)}};
}

std::string millions(int64_t v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2fM", v / 1e6);
  return buffer;
}

}  // namespace

void add_space_flags(CLI::App& cmd, SpaceFlags& flags) {
  std::string spaces;
  for (const auto& name : space::SearchSpace::builtin_names()) spaces += name + ", ";
  cmd.add_option("--space", flags.space, "search space: " + spaces + "or a space JSON file")->capture_default_str();
  cmd.add_option("--resolution", flags.resolution, "input resolution (default: the space's, 224)");
  cmd.add_option("--in-channels", flags.in_channels, "input channels (default 3)");
  cmd.add_option("--classes", flags.num_classes, "number of classes (default 1000)");
  cmd.add_option("--width-mult", flags.width_mult, "width multiplier (default 1.0)");
}

void add_space_command(CLI::App& app) {
  CLI::App* space_cmd = app.add_subcommand("space", "Inspect search spaces: size, MACs, params, samples");
  space_cmd->require_subcommand(1);

  {
    auto flags = std::make_shared<SpaceFlags>();
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = space_cmd->add_subcommand("info", "Size, choices, smallest and largest network of a space");
    add_space_flags(*cmd, *flags);
    cmd->add_flag("--json", *json, "print the result as JSON");
    cmd->callback([flags, json] {
      const space::SearchSpace space = make_space(*flags);
      const auto& spec = space.spec();
      const space::Arch min = space.min_arch(), max = space.max_arch();
      nlohmann::json stages = nlohmann::json::array();
      for (const auto& st : spec.stages) {
        nlohmann::json j = {{"width", space::make_divisible(st.width * spec.width_mult, spec.divisor)},
                            {"stride", st.stride}, {"act", space::to_string(st.act)}, {"se", st.se},
                            {"depths", st.depths}, {"kernels", st.kernels}, {"expands", st.expands}};
        if (!st.coupled_expands.empty()) {
          j["coupled_expands"] = st.coupled_expands;
          j.erase("expands");
        }
        stages.push_back(j);
      }
      const unsigned __int128 n = space.size();
      nlohmann::json result = {
          {"space", space.name()},
          {"num_architectures", to_string_u128(n)},
          {"num_architectures_log10", std::log10(static_cast<long double>(n))},
          {"resolution", spec.resolution},
          {"in_channels", spec.in_channels},
          {"num_classes", spec.num_classes},
          {"width_mult", spec.width_mult},
          {"num_stages", space.num_stages()},
          {"num_block_slots", space.num_slots()},
          {"stages", stages},
          {"smallest", cost_json(space, min)},
          {"largest", cost_json(space, max)},
      };
      if (*json) {
        std::cout << result.dump(2) << std::endl;
        return;
      }
      std::cout << "space " << space.name() << " (" << spec.in_channels << "x" << spec.resolution << "x"
                << spec.resolution << ", " << spec.num_classes << " classes, width x" << spec.width_mult << ")\n"
                << "  architectures: " << to_string_u128(n) << "\n"
                << "  smallest: " << millions(space.macs(min)) << " MACs, " << millions(space.params(min))
                << " params\n"
                << "  largest:  " << millions(space.macs(max)) << " MACs, " << millions(space.params(max))
                << " params\n";
      for (size_t i = 0; i < stages.size(); ++i) std::cout << "  stage " << i + 1 << ": " << stages[i].dump() << "\n";
    });
  }

  {
    auto flags = std::make_shared<SpaceFlags>();
    auto arch = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = space_cmd->add_subcommand("macs", "MACs and parameters of one network");
    add_space_flags(*cmd, *flags);
    cmd->add_option("--arch", *arch, "architecture: JSON {\"ks\":[..],\"e\":[..],\"d\":[..]}, max or min")
        ->required();
    cmd->add_flag("--json", *json, "print the result as JSON");
    cmd->callback([flags, arch, json] {
      const space::SearchSpace space = make_space(*flags);
      const nlohmann::json result = cost_json(space, space.resolve(*arch));
      if (*json) {
        std::cout << result.dump() << std::endl;
      } else {
        std::cout << "macs " << result["macs"] << " (" << millions(result["macs"]) << ")\nparams "
                  << result["params"] << " (" << millions(result["params"]) << ")\n";
      }
    });
  }

  {
    auto flags = std::make_shared<SpaceFlags>();
    auto count = std::make_shared<int64_t>(1);
    auto seed = std::make_shared<uint64_t>(0);
    auto with_costs = std::make_shared<bool>(false);
    CLI::App* cmd = space_cmd->add_subcommand("sample", "N distinct random architectures, one JSON per line");
    add_space_flags(*cmd, *flags);
    cmd->add_option("-n,--num", *count, "number of distinct architectures")->capture_default_str();
    cmd->add_option("--seed", *seed, "random seed")->capture_default_str();
    cmd->add_flag("--json,--with-costs", *with_costs, "print {\"arch\", \"macs\", \"params\"} objects instead of bare archs");
    cmd->callback([flags, count, seed, with_costs] {
      SNAS_CHECK(*count >= 1, "-n must be >= 1, got ", *count);
      const space::SearchSpace space = make_space(*flags);
      Rng rng(*seed);
      for (const space::Arch& arch : space.sample_distinct(*count, rng)) {
        std::cout << (*with_costs ? cost_json(space, arch).dump() : arch.to_string()) << '\n';
      }
      std::cout.flush();
    });
  }
}

void add_all_commands(CLI::App& app) {
  add_space_command(app);
  add_train_command(app);
  add_eval_command(app);
  add_run_command(app);
  add_search_command(app);
  add_export_command(app);
  add_space_stats_command(app);
  add_compare_command(app);
  add_check_selection_command(app);
  add_latency_commands(app);
  add_ofa_commands(app);
  add_dataset_command(app);
}

}  // namespace sparsenas::cli
