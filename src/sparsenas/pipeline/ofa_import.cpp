#include "sparsenas/pipeline/ofa_import.h"

#include "sparsenas/core/clock.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/nn/ofa_state_dict.h"
#include "sparsenas/pipeline/stages.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/train/checkpoint.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

nn::Supernet load_ofa_import(RunContext& ctx, nn::StateDictFile* read) {
  const ImportOfaConfig& imp = ctx.config().import_ofa;
  const fs::path file = imp.checkpoint;
  SNAS_CHECK(fs::is_regular_file(file), "import_ofa.checkpoint ", file,
             ": no such file (the import stage reads it until it has finished; rerun sparsenas import-ofa)");
  const std::string hash = hash_file(file);
  SNAS_CHECK(hash == imp.checkpoint_hash, "import_ofa.checkpoint ", file, " has changed since it was imported (hash ",
             hash, ", expected ", imp.checkpoint_hash, "); rerun sparsenas import-ofa");
  nn::StateDictFile state = nn::read_state_dict_file(file);
  nn::Supernet net = ctx.make_supernet();
  nn::load_ofa_state_dict(*net, state.tensors, file.string());
  if (read) *read = std::move(state);
  return net;
}

void run_import(RunContext& ctx, StageRecord& rec) {
  const ImportOfaConfig& imp = ctx.config().import_ofa;
  SNAS_LOG(INFO) << "import: reading " << imp.checkpoint;
  nn::StateDictFile state;
  nn::Supernet net = load_ofa_import(ctx, &state);
  const json network = nn::ofa_network(ctx.space());
  train::CheckpointMeta meta;
  // Not a training run of ours: no epochs, no sampler; check_teacher_source accepts it by this key.
  meta.config = {{"import", {{"kind", "ofa"}, {"checkpoint", imp.checkpoint}, {"checkpoint_hash", imp.checkpoint_hash},
                             {"network", network}}}};
  meta.sampler = "imported from a Once-for-All checkpoint";
  train::save_checkpoint(ctx.path(rundir::kSupernet), *net, nullptr, meta);
  fs::copy_file(ctx.path(rundir::kSupernet), ctx.path(rundir::kTeacher), fs::copy_options::overwrite_existing);
  rec.metrics = {{"from", imp.checkpoint},
                 {"checkpoint_hash", imp.checkpoint_hash},
                 {"state_dict_location", state.location.empty() ? "top level" : state.location},
                 {"tensors", state.tensors.size()},
                 {"ofa_network", network}};
  SNAS_LOG(INFO) << "import: " << state.tensors.size() << " tensors of OFA's " << network["class"].get<std::string>()
                 << " loaded into " << ctx.space().name() << " x" << ctx.space().spec().width_mult;
}

OfaExport export_ofa(const fs::path& run_dir, const fs::path& out, bool teacher) {
  const rundir::RunDir run = rundir::open_run(run_dir);
  const RunConfig config = run_config_of(run);
  const char* artifact = teacher ? rundir::kTeacher : rundir::kSupernet;
  run.require({artifact});
  SNAS_CHECK(out.extension() != ".json", "--out ", out, " must not end in .json (the sidecar is written there)");
  SNAS_CHECK(out.parent_path().empty() || fs::is_directory(out.parent_path()), "--out ", out, ": the folder ",
             out.parent_path(), " does not exist");
  const train::CheckpointMeta meta = train::read_checkpoint_meta(run.file(artifact));
  const space::SearchSpace space(space::space_spec_from_json(meta.space));
  const json network = nn::ofa_network(space);  // refuses a space OFA has no network of, before writing
  nn::Supernet net(space, nn::SupernetOptions{kernel_transform(config)});
  train::load_checkpoint(run.file(artifact), *net, nullptr, /*restore_rng=*/false);
  const nn::StateDict state = nn::to_ofa_state_dict(*net);
  nn::write_state_dict_file(out, state);

  const std::string cls = network["class"];
  std::string load = "import torch\nfrom ofa.imagenet_classification.elastic_nn.networks import " + cls + "\n" +
                     "net = " + cls + "(n_classes=" + std::to_string(space.spec().num_classes) +
                     ", bn_param=(" + json(space.spec().bn_momentum).dump() + ", " + json(space.spec().bn_eps).dump() +
                     "), width_mult=" + json(space.spec().width_mult).dump() + ", ks_list=" + network["ks_list"].dump() +
                     ", expand_ratio_list=" + network["expand_ratio_list"].dump() +
                     ", depth_list=" + network["depth_list"].dump() + ")\n";
  if (network.contains("first_conv")) {
    const int in = network["first_conv"]["in_channels"], stride = network["first_conv"]["stride"];
    load += "c = net.first_conv.conv  # OFA builds 3 input channels and stride 2\n"
            "net.first_conv.conv = torch.nn.Conv2d(" + std::to_string(in) + ", c.out_channels, c.kernel_size, stride=" +
            std::to_string(stride) + ", padding=c.padding, bias=False)\n";
  }
  load += "net.load_state_dict(torch.load(\"" + out.filename().string() + "\", map_location=\"cpu\")[\"state_dict\"])\n";
  fs::path sidecar = out;
  sidecar.replace_extension(".json");
  write_json_file(sidecar, {{"format", "Once-for-All state_dict ({\"state_dict\": ...}, torch.save zip format)"},
                            {"file", out.filename().string()},
                            {"run", fs::absolute(run_dir).lexically_normal().string()},
                            {"checkpoint", artifact},
                            {"method", config.method},
                            {"space", space.name()},
                            {"exported_at", utc_now()},
                            {"network", network},
                            {"tensors", state.size()},
                            {"load", load},
                            {"note", "set_active_subnet(ks=..., e=..., d=...) takes an architecture as sparsenas "
                                     "writes it ({\"ks\", \"e\", \"d\"}); recalibrate BN statistics on training "
                                     "images before evaluating a sub-network, as sparsenas does"}});
  SNAS_LOG(INFO) << "export-ofa: " << state.size() << " tensors of " << space.name() << " to " << out.string()
                 << " (OFA's " << cls << "); sidecar " << sidecar.string();
  return {out, sidecar, network, static_cast<int64_t>(state.size())};
}

}  // namespace sparsenas::pipeline
