#include "sparsenas/pipeline/run_config.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "sparsenas/core/error.h"
#include "sparsenas/core/json_fields.h"

namespace sparsenas::pipeline {

using nlohmann::json;
using json_fields::check_keys;
using json_fields::read_field;

namespace {

// Runs `fn`; a sparsenas::Error it throws is re-thrown with `section` in front, so that a message
// such as "TrainConfig.epochs must be >= 1" says which stage's config it is about.
void in_section(const std::string& section, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    throw Error(section + ": " + e.what());
  }
}

// The paper's settings (§5.1.4, Table 4, §5.2, §5.3), which are also the defaults.
RunConfig paper_defaults() {
  RunConfig c;
  c.preset = "paper";
  // Teacher: CompOFA `--task teacher`: 180 epochs, lr 2.6 at batch 2048 = 0.1625 at batch 128.
  c.teacher.epochs = 180;
  c.teacher.lr = 0.1625;
  // Proxy supernet: 30 epochs, lr 0.1, batch 128, two uniformly sampled networks per batch.
  c.proxy.epochs = 30;
  c.proxy.lr = 0.1;
  c.proxy.n_sub = 2;
  // Sparse supernet: 150 epochs, 0.008 for 5 epochs then 0.08, n_sub 3, KD from the teacher,
  // no warm-up (Table 4).
  c.supernet.epochs = 150;
  // "step2_cosine": 0.008, then cosine from 0.08 (the paper's "initial learning rate ... 0.08",
  // with CompOFA's cosine schedule, which it says it follows); "step2" is the literal constant.
  // The paper trains on 5 GPUs with "a batch size 128"; we read 128 as the batch per step.
  c.supernet.lr_schedule = "step2_cosine";
  c.supernet.step_epochs = 5;
  c.supernet.step_lr = 0.008;
  c.supernet.lr = 0.08;
  c.supernet.n_sub = 3;
  c.supernet.kd_ratio = 1.0;
  c.supernet.warmup_epochs = 0;

  // OFA progressive shrinking (reference §3.1): OFA's learning rates at batch 2048 (kernel 0.96,
  // warm-up phases 0.08, long phases 0.24) scaled to our batch 128 as the teacher's 2.6 -> 0.1625;
  // warm-up from OFA's default warmup_lr, the per-GPU base rate (lr / 32 GPUs). KD from the teacher.
  auto phase = [](int64_t epochs, int64_t warmup, double lr, int64_t n_sub, double gpus) {
    train::TrainConfig t;
    t.epochs = epochs;
    t.warmup_epochs = warmup;
    t.lr = lr;
    t.warmup_lr = warmup > 0 ? lr / gpus : 0.0;
    t.n_sub = n_sub;
    t.kd_ratio = 1.0;
    return t;
  };
  c.ofa.kernel = phase(125, 5, 0.96 * 128 / 2048, 1, 32);
  c.ofa.depth_warmup = phase(25, 0, 0.08 * 128 / 2048, 2, 32);
  c.ofa.depth = phase(125, 5, 0.24 * 128 / 2048, 2, 32);
  c.ofa.expand_warmup = phase(25, 0, 0.08 * 128 / 2048, 4, 32);
  c.ofa.expand = phase(125, 5, 0.24 * 128 / 2048, 4, 32);
  // CompOFA (reference §7.2): 0.08 and 0.24 at batch 2048 on 8 GPUs, n_sub 4.
  c.compofa.warmup = phase(25, 0, 0.08 * 128 / 2048, 4, 8);
  c.compofa.train = phase(125, 5, 0.24 * 128 / 2048, 4, 8);
  return c;
}

// The paper's epochs (Table 4) of every supernet phase times `factor` (at least 1; the 5 warm-up
// epochs of the baselines and the sparse supernet's 5 epochs at the low step rate are rounded alike,
// so they vanish below factor 0.1), so that the methods' costs keep the paper's ratios as far as
// whole epochs allow. The teacher and the proxy are set by each preset.
json scaled_phases(double factor, const json& extra) {
  auto epochs = [&](int64_t paper) { return std::max<int64_t>(1, std::llround(paper * factor)); };
  const int64_t warmup = std::llround(5 * factor);
  json p = {
      {"supernet", {{"epochs", epochs(150)}, {"step_epochs", warmup}}},
      {"ofa",
       {{"kernel", {{"epochs", epochs(125)}, {"warmup_epochs", warmup}}},
        {"depth_warmup", {{"epochs", epochs(25)}}},
        {"depth", {{"epochs", epochs(125)}, {"warmup_epochs", warmup}}},
        {"expand_warmup", {{"epochs", epochs(25)}}},
        {"expand", {{"epochs", epochs(125)}, {"warmup_epochs", warmup}}}}},
      {"compofa",
       {{"warmup", {{"epochs", epochs(25)}}}, {"train", {{"epochs", epochs(125)}, {"warmup_epochs", warmup}}}}},
  };
  if (!extra.is_null()) {
    for (auto& [key, value] : p.items()) {
      if (key == "supernet") {
        value.merge_patch(extra);
        continue;
      }
      for (auto& [name, section] : value.items()) section.merge_patch(extra);
    }
  }
  return p;
}

const char* const kPresets[] = {"tiny", "quick", "standard", "paper"};

}  // namespace

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {"sparsenas", "ofa", "compofa", "spos", "random-subspace"};
  return names;
}

std::vector<std::pair<std::string, train::TrainConfig*>> RunConfig::train_sections() {
  return {{"teacher", &teacher},
          {"proxy", &proxy},
          {"supernet", &supernet},
          {"ofa.kernel", &ofa.kernel},
          {"ofa.depth_warmup", &ofa.depth_warmup},
          {"ofa.depth", &ofa.depth},
          {"ofa.expand_warmup", &ofa.expand_warmup},
          {"ofa.expand", &ofa.expand},
          {"compofa.warmup", &compofa.warmup},
          {"compofa.train", &compofa.train}};
}

void RunConfig::validate() const {
  const auto& methods = method_names();
  if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
    std::string list;
    for (const auto& m : methods) list += (list.empty() ? "" : ", ") + m;
    SNAS_FAIL("method must be one of ", list, ", got \"", method, "\"");
  }
  SNAS_CHECK(!space.empty(), "space must name a search space or a JSON file, got \"\"");
  SNAS_CHECK(method != "compofa" || space == "ofa-mbv3",
             "method compofa trains CompOFA's coupled networks inside the ofa-mbv3 supernet: space must be ",
             "\"ofa-mbv3\", got \"", space, "\"");
  SNAS_CHECK(width_mult > 0 && width_mult <= 4, "width_mult must be in (0, 4], got ", width_mult);
  SNAS_CHECK(threads >= 0 && threads <= 1024, "threads must be in [0, 1024] (0 = all cores), got ", threads);
  in_section("data", [&] { data.validate(); });
  in_section("teacher", [&] { teacher.validate(); });
  in_section("proxy", [&] { proxy.validate(); });
  for (auto& [name, section] : const_cast<RunConfig*>(this)->train_sections()) {
    in_section(name, [&] { section->validate(); });
  }
  SNAS_CHECK(random_subspace.networks >= 1 && random_subspace.networks <= 1000000,
             "random_subspace.networks must be in [1, 1000000], got ", random_subspace.networks);
  SNAS_CHECK(family_search.top_k >= 1 && family_search.top_k <= 1000,
             "family_search.top_k must be in [1, 1000], got ", family_search.top_k);
  in_section("family_search.evolution", [&] { family_search.evolution.validate(); });
  SNAS_CHECK(pairs.count >= 2 && pairs.count <= 1000000, "pairs.count must be in [2, 1000000], got ",
             pairs.count);
  SNAS_CHECK(pairs.val_images >= 0, "pairs.val_images must be >= 0 (0 = all), got ", pairs.val_images);
  SNAS_CHECK(pairs.bn_recal_images >= 1, "pairs.bn_recal_images must be >= 1, got ", pairs.bn_recal_images);
  in_section("predictor.early", [&] { predictor.early.validate(); });
  for (const auto& kind : predictor.compare) {
    SNAS_CHECK(kind == "random_forest" || kind == "xgboost_default" || kind == "mlp" || kind == "lstm" ||
                   kind == "gbdt",
               "predictor.compare: unknown predictor \"", kind,
               "\" (valid: gbdt, random_forest, xgboost_default, mlp, lstm)");
  }
  SNAS_CHECK(predictor.heldout_fraction > 0 && predictor.heldout_fraction < 1,
             "predictor.heldout_fraction must be in (0, 1), got ", predictor.heldout_fraction);
  SNAS_CHECK(predictor.mlp.is_object(), "predictor.mlp must be a JSON object, got ", predictor.mlp.dump());
  SNAS_CHECK(predictor.lstm.is_object(), "predictor.lstm must be a JSON object, got ", predictor.lstm.dump());
  in_section("sparse_space", [&] { sparse_space.validate(); });
  SNAS_CHECK(sparse_space_stage.num_intervals >= 0 && sparse_space_stage.num_intervals <= 1000000,
             "sparse_space_stage.num_intervals must be in [0, 1000000] (0 = from sparse_space.interval), got ",
             sparse_space_stage.num_intervals);
  SNAS_CHECK(sparse_space_stage.num_intervals == 0 || sparse_space.interval == 0,
             "set either sparse_space.interval or sparse_space_stage.num_intervals, not both (got ",
             sparse_space.interval, " and ", sparse_space_stage.num_intervals, ")");
  SNAS_CHECK(supernet_stage.init == "teacher" || supernet_stage.init == "proxy",
             "supernet_stage.init must be \"teacher\" or \"proxy\", got \"", supernet_stage.init, "\"");
  SNAS_CHECK(supernet_stage.val_networks >= 0, "supernet_stage.val_networks must be >= 0, got ",
             supernet_stage.val_networks);
  SNAS_CHECK(family.val_images >= 0, "family.val_images must be >= 0 (0 = all), got ", family.val_images);
  SNAS_CHECK(family.test_images >= 0, "family.test_images must be >= 0 (0 = all), got ", family.test_images);
  SNAS_CHECK(family.bn_recal_images >= 1, "family.bn_recal_images must be >= 1, got ", family.bn_recal_images);
  SNAS_CHECK(family.latency_warmup >= 0, "family.latency_warmup must be >= 0, got ", family.latency_warmup);
  SNAS_CHECK(family.latency_repeats >= 0 && family.latency_repeats <= 100000,
             "family.latency_repeats must be in [0, 100000] (0 = no latency), got ", family.latency_repeats);
}

json to_json(const RunConfig& c) {
  json predictor_json = {{"early", c.predictor.early},
                         {"compare", c.predictor.compare},
                         {"heldout_fraction", c.predictor.heldout_fraction},
                         {"seed", c.predictor.seed},
                         {"mlp", c.predictor.mlp},
                         {"lstm", c.predictor.lstm}};
  return json{
      {"method", c.method},
      {"preset", c.preset},
      {"space", c.space},
      {"width_mult", c.width_mult},
      {"seed", c.seed},
      {"threads", c.threads},
      {"device", c.device},
      {"data", c.data},
      {"teacher", c.teacher},
      {"proxy", c.proxy},
      {"pairs",
       {{"count", c.pairs.count},
        {"seed", c.pairs.seed},
        {"val_images", c.pairs.val_images},
        {"bn_recal_images", c.pairs.bn_recal_images}}},
      {"predictor", predictor_json},
      {"sparse_space", c.sparse_space},
      {"sparse_space_stage", {{"num_intervals", c.sparse_space_stage.num_intervals}}},
      {"supernet", c.supernet},
      {"supernet_stage",
       {{"init", c.supernet_stage.init},
        {"val_networks", c.supernet_stage.val_networks},
        {"resort_channels", c.supernet_stage.resort_channels}}},
      {"family",
       {{"val_images", c.family.val_images},
        {"test_images", c.family.test_images},
        {"bn_recal_images", c.family.bn_recal_images},
        {"latency_warmup", c.family.latency_warmup},
        {"latency_repeats", c.family.latency_repeats}}},
      {"ofa",
       {{"kernel", c.ofa.kernel},
        {"depth_warmup", c.ofa.depth_warmup},
        {"depth", c.ofa.depth},
        {"expand_warmup", c.ofa.expand_warmup},
        {"expand", c.ofa.expand}}},
      {"compofa", {{"warmup", c.compofa.warmup}, {"train", c.compofa.train}}},
      {"random_subspace", {{"networks", c.random_subspace.networks}, {"seed", c.random_subspace.seed}}},
      {"family_search", {{"top_k", c.family_search.top_k}, {"evolution", c.family_search.evolution}}},
  };
}

RunConfig run_config_from_json(const json& j) {
  RunConfig c = paper_defaults();
  check_keys(j, "run config",
             {"method", "preset", "space", "width_mult", "seed", "threads", "device", "data", "teacher", "proxy",
              "pairs", "predictor", "sparse_space", "sparse_space_stage", "supernet", "supernet_stage", "family",
              "ofa", "compofa", "random_subspace", "family_search"});
  read_field(j, "run config", "method", c.method);
  read_field(j, "run config", "preset", c.preset);
  read_field(j, "run config", "space", c.space);
  read_field(j, "run config", "width_mult", c.width_mult);
  read_field(j, "run config", "seed", c.seed);
  read_field(j, "run config", "threads", c.threads);
  read_field(j, "run config", "device", c.device);
  if (j.contains("data")) in_section("data", [&] { data::from_json(j["data"], c.data); });
  if (j.contains("teacher")) in_section("teacher", [&] { train::from_json(j["teacher"], c.teacher); });
  if (j.contains("proxy")) in_section("proxy", [&] { train::from_json(j["proxy"], c.proxy); });
  if (j.contains("supernet")) in_section("supernet", [&] { train::from_json(j["supernet"], c.supernet); });
  if (j.contains("ofa")) {
    const json& o = j["ofa"];
    check_keys(o, "ofa", {"kernel", "depth_warmup", "depth", "expand_warmup", "expand"});
    for (auto& [key, section] : std::vector<std::pair<const char*, train::TrainConfig*>>{
             {"kernel", &c.ofa.kernel},
             {"depth_warmup", &c.ofa.depth_warmup},
             {"depth", &c.ofa.depth},
             {"expand_warmup", &c.ofa.expand_warmup},
             {"expand", &c.ofa.expand}}) {
      if (o.contains(key)) in_section(std::string("ofa.") + key, [&] { train::from_json(o[key], *section); });
    }
  }
  if (j.contains("compofa")) {
    const json& o = j["compofa"];
    check_keys(o, "compofa", {"warmup", "train"});
    if (o.contains("warmup")) in_section("compofa.warmup", [&] { train::from_json(o["warmup"], c.compofa.warmup); });
    if (o.contains("train")) in_section("compofa.train", [&] { train::from_json(o["train"], c.compofa.train); });
  }
  if (j.contains("random_subspace")) {
    const json& r = j["random_subspace"];
    check_keys(r, "random_subspace", {"networks", "seed"});
    read_field(r, "random_subspace", "networks", c.random_subspace.networks);
    read_field(r, "random_subspace", "seed", c.random_subspace.seed);
  }
  if (j.contains("family_search")) {
    const json& f = j["family_search"];
    check_keys(f, "family_search", {"top_k", "evolution"});
    read_field(f, "family_search", "top_k", c.family_search.top_k);
    if (f.contains("evolution")) in_section("family_search.evolution", [&] { from_json(f["evolution"], c.family_search.evolution); });
  }
  if (j.contains("pairs")) {
    const json& p = j["pairs"];
    check_keys(p, "pairs", {"count", "seed", "val_images", "bn_recal_images"});
    read_field(p, "pairs", "count", c.pairs.count);
    read_field(p, "pairs", "seed", c.pairs.seed);
    read_field(p, "pairs", "val_images", c.pairs.val_images);
    read_field(p, "pairs", "bn_recal_images", c.pairs.bn_recal_images);
  }
  if (j.contains("predictor")) {
    const json& p = j["predictor"];
    check_keys(p, "predictor", {"early", "compare", "heldout_fraction", "seed", "mlp", "lstm"});
    if (p.contains("early")) in_section("predictor.early", [&] { predictor::from_json(p["early"], c.predictor.early); });
    read_field(p, "predictor", "compare", c.predictor.compare);
    read_field(p, "predictor", "heldout_fraction", c.predictor.heldout_fraction);
    read_field(p, "predictor", "seed", c.predictor.seed);
    if (p.contains("mlp")) c.predictor.mlp = p["mlp"];
    if (p.contains("lstm")) c.predictor.lstm = p["lstm"];
  }
  if (j.contains("sparse_space")) {
    in_section("sparse_space", [&] { search::from_json(j["sparse_space"], c.sparse_space); });
  }
  if (j.contains("sparse_space_stage")) {
    const json& s = j["sparse_space_stage"];
    check_keys(s, "sparse_space_stage", {"num_intervals"});
    read_field(s, "sparse_space_stage", "num_intervals", c.sparse_space_stage.num_intervals);
  }
  if (j.contains("supernet_stage")) {
    const json& s = j["supernet_stage"];
    check_keys(s, "supernet_stage", {"init", "val_networks", "resort_channels"});
    read_field(s, "supernet_stage", "resort_channels", c.supernet_stage.resort_channels);
    read_field(s, "supernet_stage", "init", c.supernet_stage.init);
    read_field(s, "supernet_stage", "val_networks", c.supernet_stage.val_networks);
  }
  if (j.contains("family")) {
    const json& f = j["family"];
    check_keys(f, "family", {"val_images", "test_images", "bn_recal_images", "latency_warmup", "latency_repeats"});
    read_field(f, "family", "val_images", c.family.val_images);
    read_field(f, "family", "test_images", c.family.test_images);
    read_field(f, "family", "bn_recal_images", c.family.bn_recal_images);
    read_field(f, "family", "latency_warmup", c.family.latency_warmup);
    read_field(f, "family", "latency_repeats", c.family.latency_repeats);
  }
  return c;
}

std::vector<std::string> preset_names() { return {std::begin(kPresets), std::end(kPresets)}; }

json preset_patch(const std::string& name) {
  if (name == "paper") return json::object();  // the defaults are the paper's settings
  if (name == "tiny") {
    // Seconds: a few hundred images, one epoch per stage, a handful of networks (tests).
    json p = scaled_phases(0.0, json::parse(R"({"batch_size": 64, "checkpoint_every": 2, "bn_recal_images": 128})"));
    p.merge_patch(json::parse(R"({
      "preset": "tiny",
      "data": {"train_limit": 384, "val_size": 256, "test_limit": 256},
      "teacher": {"epochs": 1, "batch_size": 64, "lr": 0.05, "checkpoint_every": 2, "bn_recal_images": 128},
      "proxy": {"epochs": 1, "batch_size": 64, "checkpoint_every": 2, "bn_recal_images": 128},
      "pairs": {"count": 16, "val_images": 128, "bn_recal_images": 128},
      "predictor": {"mlp": {"epochs": 20}, "lstm": {"epochs": 10}},
      "sparse_space": {"top_k": 2, "evolution": {"population_size": 8, "num_generations": 4}},
      "family_search": {"evolution": {"population_size": 8, "num_generations": 4}},
      "sparse_space_stage": {"num_intervals": 3},
      "supernet": {"epochs": 1, "batch_size": 64, "n_sub": 2, "step_epochs": 0, "checkpoint_every": 2,
                   "bn_recal_images": 128},
      "supernet_stage": {"val_networks": 1},
      "family": {"val_images": 128, "test_images": 128, "bn_recal_images": 128, "latency_warmup": 1,
                 "latency_repeats": 3},
      "random_subspace": {"networks": 6}
    })"));
    return p;
  }
  if (name == "quick") {
    // The README's main job: <= 20 minutes on 2 cores for Fashion-MNIST (BENCHMARKS.md).
    // Sparse supernet learning rates: the paper's 0.008 / 0.08 scaled by 128 / 640 (linear scaling
    // from its 5 GPUs x 128 images per step). With 0.08 at 128 images and n_sub 3 (summed
    // gradients) a quick run diverged in its third epoch (val top-1 77% -> 22%).
    // Pairs are evaluated on the whole validation split: on 1,000 images the sampling noise of one
    // accuracy (about 1.4 points) exceeded the spread between networks (0.8 points) and the early
    // predictor's Kendall tau was 0.02.
    // Baselines: every supernet phase at 4/150 of the paper's epochs (Table 4), the factor of the
    // sparse supernet's 4 epochs; the random sub-space has as many networks as the sparse space.
    // Two exceptions to the factor, kept so the measured quick figures stay valid: the proxy's 2
    // epochs (the factor gives 1) and the sparse supernet's first epoch at the step rate (the
    // factor rounds the paper's 5 such epochs to 0, as it does the baselines' warm-ups).
    json p = scaled_phases(4.0 / 150, nullptr);
    p.merge_patch(json::parse(R"({
      "preset": "quick",
      "data": {"train_limit": 12000, "val_size": 2000},
      "teacher": {"epochs": 4, "lr": 0.1},
      "proxy": {"epochs": 2},
      "pairs": {"count": 120, "val_images": 0, "bn_recal_images": 500},
      "sparse_space_stage": {"num_intervals": 16},
      "supernet": {"epochs": 4, "step_epochs": 1, "lr": 0.016, "step_lr": 0.0016},
      "supernet_stage": {"val_networks": 2},
      "family": {"test_images": 3000, "bn_recal_images": 500, "latency_warmup": 3, "latency_repeats": 10},
      "random_subspace": {"networks": 80}
    })"));
    return p;
  }
  if (name == "standard") {
    // A larger comparison on all of Fashion-MNIST: every supernet phase at 5/150 of the paper's epochs,
    // warm-ups and the sparse supernet's low-rate start rounded to 0 alike. Measured end to end on 2 cores:
    // sparsenas 96, compofa 73, ofa 116 minutes (BENCHMARKS.md).
    json p = scaled_phases(5.0 / 150, nullptr);
    p.merge_patch(json::parse(R"({
      "preset": "standard",
      "teacher": {"epochs": 6, "lr": 0.1},
      "proxy": {"epochs": 1},
      "pairs": {"count": 500, "val_images": 2000},
      "sparse_space_stage": {"num_intervals": 50},
      "supernet": {"epochs": 5, "lr": 0.016, "step_lr": 0.0016},
      "family": {"latency_repeats": 20},
      "random_subspace": {"networks": 250}
    })"));
    return p;
  }
  std::string list;
  for (const char* p : kPresets) list += (list.empty() ? "" : ", ") + std::string(p);
  SNAS_FAIL("unknown preset \"", name, "\" (valid: ", list, ")");
}

RunConfig resolve_run_config(const std::string& preset, const json& file, const json& flags) {
  json merged = to_json(paper_defaults());
  merged.merge_patch(preset_patch(preset));
  merged["preset"] = preset;
  if (!file.is_null()) {
    SNAS_CHECK(file.is_object(), "the config file must hold a JSON object, got ", file.type_name());
    // Validate the file's keys before merging: a merge patch would silently accept unknown keys.
    run_config_from_json(file);
    merged.merge_patch(file);
  }
  if (!flags.is_null()) merged.merge_patch(flags);
  RunConfig c = run_config_from_json(merged);
  for (auto& [name, t] : c.train_sections()) {
    t->threads = c.threads;
    t->device = c.device;
    t->seed = c.seed;
  }
  c.validate();
  return c;
}

}  // namespace sparsenas::pipeline
