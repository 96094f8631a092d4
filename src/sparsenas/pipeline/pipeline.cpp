#include "sparsenas/pipeline/pipeline.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <sstream>

#include "sparsenas/core/clock.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/data/data_config.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/predictor_stage.h"
#include "sparsenas/predictor/pairs_dataset.h"
#include "sparsenas/predictor/predictor.h"
#include "sparsenas/report/report.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/train/arch_sampler.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;
using rundir::Manifest;
using rundir::StageRecord;

std::vector<std::string> stage_names(const std::string& method) {
  if (method == "sparsenas") {
    return {"teacher", "proxy", "pairs", "predictor", "sparse_space", "supernet", "family", "report"};
  }
  if (method == "ofa") {
    return {"teacher",   "kernel",    "depth_warmup",  "depth",  "expand_warmup", "expand",
            "pairs",     "predictor", "family_search", "family", "report"};
  }
  if (method == "compofa") return {"teacher", "compound_warmup", "compound", "family_list", "family", "report"};
  if (method == "spos") return {"teacher", "supernet", "pairs", "predictor", "family_search", "family", "report"};
  if (method == "random-subspace") return {"teacher", "subspace", "supernet", "family", "report"};
  SNAS_FAIL("unknown method \"", method, "\"");
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The settings every stage depends on (a change reruns everything).
json shared_settings(const RunConfig& c) {
  return {{"method", c.method}, {"space", c.space}, {"width_mult", c.width_mult}, {"data", c.data}};
}

// A TrainConfig without the fields that do not change what is trained (the trainer resumes across
// them too), so that e.g. another --threads does not rerun a finished stage.
json hashable(const train::TrainConfig& t) {
  json j = t;
  for (const char* key : {"threads", "device", "checkpoint_every", "eval_batch"}) j.erase(key);
  return j;
}

// Copies `from` to `to` atomically (temp file, rename).
void copy_atomic(const fs::path& from, const fs::path& to) {
  const fs::path tmp = to.string() + ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}

data::Dataset first_images(const data::Dataset& d, int64_t n) {
  if (n <= 0 || n >= d.size()) return d;
  return d.subset(torch::arange(n));
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// What one stage needs and produces.
struct Stage {
  std::string name;
  json config;                       // hashed with the shared settings
  std::vector<std::string> inputs;   // upstream stages
  std::vector<std::string> outputs;  // files relative to the run directory
  std::vector<std::string> scratch;  // in-progress state removed when the config changed
  std::function<void(StageRecord&)> run;
};

class Pipeline {
 public:
  Pipeline(const RunConfig& config, fs::path dir) : config_(config), dir_(std::move(dir)) {}

  RunSummary run();

 private:
  const data::Splits& splits();
  const space::SearchSpace& space();
  space::SpaceOptions space_options();
  nn::Supernet make_supernet() { return nn::Supernet(space(), nn::SupernetOptions{kernel_transform(config_)}); }
  torch::Device device() const { return torch::Device(config_.device); }
  fs::path path(const std::string& relative) const { return dir_ / relative; }
  std::vector<Stage> stages();
  std::string output_hash(const Stage& stage) const;
  void check_stop(const std::string& where) const;
  nn::Supernet load_supernet(const fs::path& checkpoint);

  // Stages.
  void train_stage(StageRecord& rec, const std::string& name, const train::TrainConfig& config,
                   const train::ArchSampler& sampler, const std::vector<space::Arch>& val_archs,
                   const std::function<void(nn::SupernetImpl&)>& init, std::optional<train::Teacher> teacher,
                   const std::string& final_file);
  void run_teacher(StageRecord& rec);
  void run_proxy(StageRecord& rec);
  void run_pairs(StageRecord& rec, const std::string& checkpoint, const train::TrainConfig& eval);
  void run_predictor(StageRecord& rec);
  void run_sparse_space(StageRecord& rec, int64_t top_k, const search::EvolutionConfig& evolution);
  void run_supernet(StageRecord& rec, bool whole_space);
  // Baselines.
  std::optional<train::Teacher> load_teacher(const train::TrainConfig& config);
  void run_phase(StageRecord& rec, const std::string& name, const train::TrainConfig& config,
                 const space::SearchSpace& sampled, const std::string& init_file, int resort_stage,
                 const std::string& output);
  void run_family_list(StageRecord& rec);
  search::SparseSpaceConfig grid_config();
  void run_subspace(StageRecord& rec);
  void run_family(StageRecord& rec);
  void run_report(StageRecord& rec);

  const RunConfig& config_;
  fs::path dir_;
  Manifest manifest_;
  std::optional<data::Splits> splits_;
  std::optional<space::SearchSpace> space_;
  bool resuming_ = false;  // the current stage continues an interrupted attempt
};

const data::Splits& Pipeline::splits() {
  if (!splits_) splits_ = data::load_splits(config_.data);
  return *splits_;
}

space::SpaceOptions Pipeline::space_options() {
  const data::Dataset& d = splits().train;
  SNAS_CHECK(d.height() == d.width(), "images must be square, got ", d.height(), "x", d.width(),
             " (set data.image_size)");
  space::SpaceOptions options;
  options.in_channels = static_cast<int>(d.channels());
  options.num_classes = static_cast<int>(d.num_classes());
  options.resolution = static_cast<int>(d.height());
  options.width_mult = config_.width_mult;
  return options;
}

const space::SearchSpace& Pipeline::space() {
  if (!space_) space_ = space::SearchSpace::from_name(config_.space, space_options());
  return *space_;
}

void Pipeline::check_stop(const std::string& where) const {
  if (train::stop_requested()) {
    throw Interrupted("interrupted during " + where + "; rerun the same command to continue");
  }
}

nn::Supernet Pipeline::load_supernet(const fs::path& checkpoint) {
  nn::Supernet net = make_supernet();
  train::load_checkpoint(checkpoint, *net, nullptr, /*restore_rng=*/false);
  net->to(device());
  if (config_.supernet.channels_last) nn::to_channels_last(*net);
  net->eval();
  return net;
}

std::string Pipeline::output_hash(const Stage& stage) const {
  std::string all;
  for (const auto& out : stage.outputs) all += out + ":" + hash_file(path(out)) + ";";
  return hash_string(all);
}

std::vector<Stage> Pipeline::stages() {
  const RunConfig& c = config_;
  const json all = to_json(c);
  json predictor_json = all["predictor"];
  predictor_json["early"].erase("nthread");
  json sparse_json = all["sparse_space"];
  sparse_json["num_intervals"] = c.sparse_space_stage.num_intervals;
  json search_json = sparse_json;
  search_json["top_k"] = c.family_search.top_k;
  search_json["evolution"] = all["family_search"]["evolution"];
  const json family_json = all["family"];
  json supernet_stage_json = all["supernet_stage"];
  // Added after runs existed: hashed only when on, so that finished runs stay finished.
  if (!c.supernet_stage.resort_channels) supernet_stage_json.erase("resort_channels");
  const json supernet_json = {{"train", hashable(c.supernet)}, {"stage", supernet_stage_json}};

  std::vector<Stage> out;
  out.push_back({"teacher", hashable(c.teacher), {}, {"teacher.pt"}, {"teacher"},
                 [this](StageRecord& r) { run_teacher(r); }});
  // A training phase of a baseline: `name`/ holds its checkpoint and history.
  auto phase = [&](const std::string& name, const train::TrainConfig& t, const std::string& input,
                   const std::string& output, std::function<void(StageRecord&)> run) {
    out.push_back({name, hashable(t), {input, "teacher"}, {output}, {name}, std::move(run)});
  };
  auto pairs_on = [&](const std::string& trained, const std::string& checkpoint, const train::TrainConfig* eval) {
    out.push_back({"pairs", all["pairs"], {trained}, {"pairs.csv"}, {"pairs.partial.csv"},
                   [this, checkpoint, eval](StageRecord& r) { run_pairs(r, checkpoint, *eval); }});
    out.push_back({"predictor", predictor_json, {"pairs"},
                   {"predictor/gbdt.json", "predictors.csv", "predictor/heldout.csv"}, {},
                   [this](StageRecord& r) { run_predictor(r); }});
  };
  auto family_of = [&](std::vector<std::string> inputs) {
    inputs.push_back("teacher");
    out.push_back({"family", family_json, inputs, {"family.csv"}, {"family.partial.csv"},
                   [this](StageRecord& r) { run_family(r); }});
  };

  if (c.method == "sparsenas") {
    out.push_back({"proxy", hashable(c.proxy), {}, {"proxy_supernet.pt"}, {"proxy"},
                   [this](StageRecord& r) { run_proxy(r); }});
    pairs_on("proxy", "proxy_supernet.pt", &c.proxy);
    out.push_back({"sparse_space", sparse_json, {"predictor"}, {"sparse_space.json"}, {},
                   [this](StageRecord& r) { run_sparse_space(r, config_.sparse_space.top_k, config_.sparse_space.evolution); }});
    out.push_back({"supernet", supernet_json, {"teacher", "proxy", "sparse_space"}, {"supernet.pt"}, {"supernet"},
                   [this](StageRecord& r) { run_supernet(r, false); }});
    family_of({"supernet"});
  } else if (c.method == "ofa") {
    // Progressive shrinking (reference §3.1): each phase starts from the previous one.
    auto config_of = [&c](const std::string& name) -> const train::TrainConfig& {
      if (name == "kernel") return c.ofa.kernel;
      if (name == "depth_warmup") return c.ofa.depth_warmup;
      if (name == "depth") return c.ofa.depth;
      if (name == "expand_warmup") return c.ofa.expand_warmup;
      return c.ofa.expand;
    };
    const std::vector<OfaPhase>& phases = ofa_phases();
    std::string previous = "teacher";
    for (size_t i = 0; i < phases.size(); ++i) {
      const OfaPhase ph = phases[i];
      const train::TrainConfig& config = config_of(ph.name);
      const std::string output = i + 1 == phases.size() ? "supernet.pt" : ph.name + ".pt";
      const std::string init = previous + ".pt";
      phase(ph.name, config, previous, output, [this, ph, &config, init, output](StageRecord& r) {
        run_phase(r, ph.name, config, ofa_phase_space(space(), ph.depths, ph.expands), init, ph.resort_stage,
                  output);
      });
      previous = ph.name;
    }
    pairs_on("expand", "supernet.pt", &c.supernet);
    out.push_back({"family_search", search_json, {"predictor"}, {"sparse_space.json"}, {},
                   [this](StageRecord& r) { run_sparse_space(r, config_.family_search.top_k, config_.family_search.evolution); }});
    family_of({"expand", "family_search"});
  } else if (c.method == "compofa") {
    // CompOFA (reference §7.2): the coupled space, from the teacher, two phases with a full
    // channel re-sort before each, no kernel transform (make_supernet).
    auto compofa_space = [this] { return space::SearchSpace::from_name("compofa", space_options()); };
    phase("compound_warmup", c.compofa.warmup, "teacher", "compound_warmup.pt",
          [this, compofa_space](StageRecord& r) {
            run_phase(r, "compound_warmup", config_.compofa.warmup, compofa_space(), "teacher.pt", 0,
                      "compound_warmup.pt");
          });
    phase("compound", c.compofa.train, "compound_warmup", "supernet.pt", [this, compofa_space](StageRecord& r) {
      run_phase(r, "compound", config_.compofa.train, compofa_space(), "compound_warmup.pt", 0, "supernet.pt");
    });
    out.push_back({"family_list", sparse_json, {}, {"sparse_space.json"}, {},
                   [this](StageRecord& r) { run_family_list(r); }});
    family_of({"compound", "family_list"});
  } else if (c.method == "spos") {
    // Uniform single-path sampling over the whole space, trained as the sparse supernet (same
    // `supernet` settings, init and distillation), so that only the sampled space differs.
    out.push_back({"supernet", supernet_json, {"teacher"}, {"supernet.pt"}, {"supernet"},
                   [this](StageRecord& r) { run_supernet(r, true); }});
    pairs_on("supernet", "supernet.pt", &c.supernet);
    out.push_back({"family_search", search_json, {"predictor"}, {"sparse_space.json"}, {},
                   [this](StageRecord& r) { run_sparse_space(r, config_.family_search.top_k, config_.family_search.evolution); }});
    family_of({"supernet", "family_search"});
  } else if (c.method == "random-subspace") {
    // Paper §3.3 / Fig. 3: N random networks instead of the predicted-good ones, trained as the
    // sparse supernet.
    out.push_back({"subspace", {{"random_subspace", all["random_subspace"]}, {"grid", sparse_json}}, {},
                   {"sparse_space.json"}, {}, [this](StageRecord& r) { run_subspace(r); }});
    out.push_back({"supernet", supernet_json, {"teacher", "subspace"}, {"supernet.pt"}, {"supernet"},
                   [this](StageRecord& r) { run_supernet(r, false); }});
    family_of({"supernet"});
  } else {
    SNAS_FAIL("unknown method \"", c.method, "\"");
  }
  std::vector<std::string> before;
  for (const Stage& st : out) before.push_back(st.name);
  out.push_back({"report", json::object(), before, {"report.md"}, {}, [this](StageRecord& r) { run_report(r); }});
  SNAS_INTERNAL_ASSERT(before.size() + 1 == stage_names(c.method).size(), "stage list of ", c.method);
  return out;
}

RunSummary Pipeline::run() {
  // Refuse what is not a run directory before writing anything.
  const fs::path manifest_path = path("manifest.json");
  if (fs::exists(dir_)) {
    SNAS_CHECK(fs::is_directory(dir_), "--out ", dir_, " exists and is not a directory");
    const bool empty = fs::directory_iterator(dir_) == fs::directory_iterator();
    SNAS_CHECK(empty || fs::exists(manifest_path), "--out ", dir_,
               " exists, is not empty and has no manifest.json: it is not a sparsenas run directory "
               "(choose another --out)");
  }
  manifest_ = Manifest::read(manifest_path);
  if (!manifest_.stages.empty() && manifest_.method != config_.method) {
    SNAS_FAIL("--out ", dir_, " holds a run of method \"", manifest_.method, "\", not \"", config_.method,
              "\" (choose another --out)");
  }
  manifest_.method = config_.method;
  // Load the data and build the space before writing anything: a dataset with one class, no
  // images or a corrupt file fails here and leaves the directory as it was.
  space();
  fs::create_directories(dir_);
  write_json_file(path("config.json"), to_json(config_));
  nn::configure_cpu_threads(static_cast<int>(train::resolved_threads(config_.teacher)));

  RunSummary summary;
  summary.dir = dir_;
  const std::string shared = shared_settings(config_).dump();
  bool rerun_rest = false;
  const auto all = stages();
  for (size_t index = 0; index < all.size(); ++index) {
    const Stage& stage = all[index];
    check_stop("stage " + stage.name);
    const std::string config_hash = hash_string(shared + "|" + stage.config.dump());
    std::map<std::string, std::string> input_hashes;
    for (const auto& in : stage.inputs) {
      const StageRecord* up = manifest_.find(in);
      SNAS_INTERNAL_ASSERT(up && up->status == "done", "stage ", in, " must be done before ", stage.name);
      input_hashes[in] = up->output_hash;
    }
    StageRecord* previous = manifest_.find(stage.name);
    const bool same_inputs = previous && previous->config_hash == config_hash && previous->input_hashes == input_hashes;
    const std::string tag = "stage " + std::to_string(index + 1) + "/" + std::to_string(all.size()) + " " + stage.name;
    if (!rerun_rest && same_inputs && previous->status == "done") {
      bool intact = true;
      for (const auto& out : stage.outputs) intact = intact && fs::exists(path(out));
      if (intact && output_hash(stage) == previous->output_hash) {
        SNAS_LOG(INFO) << tag << ": done, unchanged (skipped)";
        summary.skipped.push_back(stage.name);
        continue;
      }
      SNAS_LOG(WARN) << tag << ": its artifacts are missing or changed since it finished; running it again "
                     << "and every stage after it";
    } else if (previous && !same_inputs) {
      SNAS_LOG(WARN) << tag << ": "
                     << (previous->config_hash != config_hash ? "its config changed" : "an input changed")
                     << " since the last run; running it again and every stage after it";
    } else if (rerun_rest && previous) {
      SNAS_LOG(INFO) << tag << ": an earlier stage ran again; running it again";
    }
    resuming_ = previous && same_inputs && previous->status == "running" && !rerun_rest;
    if (!resuming_) {
      for (const auto& s : stage.scratch) fs::remove_all(path(s));
    }
    rerun_rest = true;

    StageRecord& rec = manifest_.get(stage.name);
    const StageRecord kept = rec;
    rec = StageRecord{};
    rec.name = stage.name;
    rec.status = "running";
    rec.config_hash = config_hash;
    rec.input_hashes = input_hashes;
    rec.started = resuming_ && !kept.started.empty() ? kept.started : utc_now();
    if (resuming_) {  // an interrupted attempt's time counts
      rec.wall_seconds = kept.wall_seconds;
      rec.core_seconds = kept.core_seconds;
    }
    const double wall_before = rec.wall_seconds, core_before = rec.core_seconds;
    manifest_.write(manifest_path);
    SNAS_LOG(INFO) << tag << (resuming_ ? ": resuming" : ": running");

    const auto start = Clock::now();
    const double cpu_start = process_cpu_seconds();
    auto account = [&] {
      rec.wall_seconds = std::max(rec.wall_seconds, wall_before + seconds_since(start));
      rec.core_seconds = core_before + (process_cpu_seconds() - cpu_start);
    };
    try {
      stage.run(rec);
    } catch (...) {
      account();
      manifest_.write(manifest_path);
      throw;
    }
    account();
    rec.output_hash = output_hash(stage);
    rec.status = "done";
    rec.finished = utc_now();
    manifest_.write(manifest_path);
    summary.ran.push_back(stage.name);
    SNAS_LOG(INFO) << tag << ": done in " << rec.wall_seconds << " s";
  }
  summary.report = path("report.md");
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Training stages (1, 2, 6).

void Pipeline::train_stage(StageRecord& rec, const std::string& name, const train::TrainConfig& config,
                           const train::ArchSampler& sampler, const std::vector<space::Arch>& val_archs,
                           const std::function<void(nn::SupernetImpl&)>& init,
                           std::optional<train::Teacher> teacher, const std::string& final_file) {
  const fs::path stage_dir = path(name);
  const fs::path checkpoint = stage_dir / "checkpoint.pt";
  fs::create_directories(stage_dir);
  const bool resume = fs::exists(checkpoint);
  // The initial weights (and the dropout masks that follow) come from LibTorch's default
  // generator: seed it per stage so that a run is reproducible.
  torch::manual_seed(mix_seed(config.seed, std::stoull(hash_string(name), nullptr, 16)));
  nn::Supernet net = make_supernet();
  if (resume) {
    SNAS_LOG(INFO) << name << ": continuing from " << checkpoint.string();
  } else if (init) {
    init(*net);
  }
  train::TrainSetup setup;
  setup.teacher = std::move(teacher);
  setup.val_archs = val_archs;
  setup.checkpoint = checkpoint;
  setup.resume = resume;
  setup.augment = config_.data.augment;
  const train::TrainResult result = train::train(config, *net, sampler, splits(), setup);
  json history = json::array();
  for (const auto& e : result.state.history) history.push_back(e);
  write_json_file(stage_dir / "history.json", history);
  const auto& counters = result.state.counters;
  rec.subnet_passes = counters.subnet_passes;
  rec.teacher_passes = counters.teacher_passes;
  rec.images_seen = counters.images_seen;
  rec.epochs = config.epochs;
  rec.n_sub = config.n_sub;
  rec.wall_seconds = std::max(rec.wall_seconds, counters.wall_seconds);
  if (result.interrupted) check_stop(name + " training (checkpoint saved)");
  copy_atomic(checkpoint, path(final_file));
  double ips = 0;
  for (const auto& e : result.state.history) ips += e.images_per_second;
  rec.metrics = {{"images_per_second", result.state.history.empty() ? 0.0 : ips / result.state.history.size()}};
  if (!result.state.history.empty() && result.state.history.back().val_top1) {
    rec.metrics["val_top1"] = *result.state.history.back().val_top1;
  }
}

void Pipeline::run_teacher(StageRecord& rec) {
  const space::Arch max = space().max_arch();
  train::FixedSampler sampler(max);
  train_stage(rec, "teacher", config_.teacher, sampler, {max}, {}, std::nullopt, "teacher.pt");
}

void Pipeline::run_proxy(StageRecord& rec) {
  train::UniformSampler sampler(space());
  train_stage(rec, "proxy", config_.proxy, sampler, {space().max_arch(), space().min_arch()}, {}, std::nullopt,
              "proxy_supernet.pt");
}

std::optional<train::Teacher> Pipeline::load_teacher(const train::TrainConfig& config) {
  if (config.kd_ratio <= 0) return std::nullopt;
  nn::Supernet teacher_net = make_supernet();
  train::load_checkpoint(path("teacher.pt"), *teacher_net, nullptr, /*restore_rng=*/false);
  return train::make_teacher(teacher_net, space().max_arch());
}

void Pipeline::run_supernet(StageRecord& rec, bool whole_space) {
  std::unique_ptr<train::ArchSampler> sampler;
  std::vector<space::Arch> val;
  std::optional<int64_t> networks;
  const int64_t k = config_.supernet_stage.val_networks;
  if (whole_space) {  // spos
    sampler = std::make_unique<train::UniformSampler>(space());
    for (const space::Arch& a : {space().max_arch(), space().min_arch()}) {
      if (static_cast<int64_t>(val.size()) < k) val.push_back(a);
    }
  } else {
    const search::SparseSpace sparse = search::read_sparse_space(path("sparse_space.json"));
    const std::vector<space::Arch> archs = sparse.archs();
    SNAS_CHECK(!archs.empty(), "the sparse space in ", path("sparse_space.json"), " has no networks");
    sampler = std::make_unique<train::ListSampler>(archs);
    // Validate a few networks spread over the MACs range (first, last, evenly in between).
    const int64_t n = std::min<int64_t>(k, static_cast<int64_t>(sparse.intervals.size()));
    for (int64_t i = 0; i < n; ++i) {
      const size_t at = n == 1 ? 0 : static_cast<size_t>(i * (sparse.intervals.size() - 1) / (n - 1));
      val.push_back(sparse.intervals[at].archs.front().arch);
    }
    networks = static_cast<int64_t>(archs.size());
  }
  const fs::path init_from = path(config_.supernet_stage.init == "teacher" ? "teacher.pt" : "proxy_supernet.pt");
  SNAS_CHECK(config_.supernet_stage.init == "teacher" || config_.method == "sparsenas",
             "supernet_stage.init \"proxy\" needs method sparsenas (only it trains a proxy), got method ",
             config_.method);
  auto init = [&](nn::SupernetImpl& net) {
    train::load_checkpoint(init_from, net, nullptr, /*restore_rng=*/false);
    if (config_.supernet_stage.resort_channels) net.reorganize_channels(0);
    SNAS_LOG(INFO) << "supernet: initialised from " << init_from.string()
                   << (config_.supernet_stage.resort_channels ? ", channels re-sorted" : "");
  };
  train_stage(rec, "supernet", config_.supernet, *sampler, val, init, load_teacher(config_.supernet), "supernet.pt");
  if (networks) rec.metrics["networks"] = *networks;
}

// A supernet training phase of a baseline: starts from `init_file` (channels re-sorted when
// `resort_stage` >= 0), samples uniformly from `sampled`, distils from the teacher when the
// config's kd_ratio > 0, validates the phase's largest and smallest network.
void Pipeline::run_phase(StageRecord& rec, const std::string& name, const train::TrainConfig& config,
                         const space::SearchSpace& sampled, const std::string& init_file, int resort_stage,
                         const std::string& output) {
  train::UniformSampler sampler(sampled);
  auto init = [&](nn::SupernetImpl& net) {
    train::load_checkpoint(path(init_file), net, nullptr, /*restore_rng=*/false);
    if (resort_stage >= 0) net.reorganize_channels(resort_stage);
    SNAS_LOG(INFO) << name << ": initialised from " << init_file
                   << (resort_stage >= 0 ? ", channels re-sorted (stage " + std::to_string(resort_stage) + ")" : "");
  };
  const std::vector<space::Arch> val = {space().canonical(sampled.max_arch()), space().canonical(sampled.min_arch())};
  train_stage(rec, name, config, sampler, val, init, load_teacher(config), output);
}

// compofa: the whole coupled space is the family (243 networks), on the sparse space's grid.
void Pipeline::run_family_list(StageRecord& rec) {
  const space::SearchSpace compofa = space::SearchSpace::from_name("compofa", space_options());
  search::SparseSpaceConfig cfg = grid_config();
  const search::SparseSpace list = search::sparse_space_from_list(space(), compofa.enumerate(), cfg);
  search::write_sparse_space(path("sparse_space.json"), list);
  rec.metrics = {{"networks", list.size()},
                 {"intervals", static_cast<int64_t>(list.intervals.size())},
                 {"unreachable", static_cast<int64_t>(list.unreachable.size())}};
}

// random-subspace: N distinct random networks of the space, on the sparse space's grid.
void Pipeline::run_subspace(StageRecord& rec) {
  Rng rng(mix_seed(config_.random_subspace.seed, 0x5355'4253'5041'4345ULL));
  const std::vector<space::Arch> archs = space().sample_distinct(config_.random_subspace.networks, rng);
  const search::SparseSpace list = search::sparse_space_from_list(space(), archs, grid_config());
  search::write_sparse_space(path("sparse_space.json"), list);
  rec.metrics = {{"networks", list.size()},
                 {"intervals", static_cast<int64_t>(list.intervals.size())},
                 {"unreachable", static_cast<int64_t>(list.unreachable.size())}};
}

// ---------------------------------------------------------------------------------------------
// Stage 3: architecture-accuracy pairs.

void Pipeline::run_pairs(StageRecord& rec, const std::string& checkpoint, const train::TrainConfig& eval) {
  const auto& d = splits();
  SNAS_CHECK(d.val.size() > 0, "the pairs stage needs a validation split: set data.val_size > 0");
  const space::SearchSpace& sp = space();
  Rng rng(mix_seed(config_.pairs.seed, 0x5041'4952'5300ULL));
  const std::vector<space::Arch> archs = sp.sample_distinct(config_.pairs.count, rng);
  nn::Supernet net = load_supernet(path(checkpoint));
  const data::Dataset recal = train::bn_recalibration_subset(d.train, config_.pairs.bn_recal_images);
  const data::Dataset val = first_images(d.val, config_.pairs.val_images);

  const fs::path partial_path = path("pairs.partial.csv");
  predictor::PairsDataset pairs;
  if (fs::exists(partial_path)) {
    pairs = predictor::PairsDataset::read_csv(partial_path, &sp);
    bool prefix = pairs.size() <= archs.size();
    for (size_t i = 0; prefix && i < pairs.size(); ++i) prefix = pairs.pairs[i].arch == archs[i];
    if (!prefix) {
      SNAS_LOG(WARN) << partial_path.string() << " does not match this config's networks; starting over";
      pairs = {};
    } else if (!pairs.empty()) {
      SNAS_LOG(INFO) << "pairs: continuing after " << pairs.size() << " evaluated networks";
    }
  }
  Progress progress("pairs", static_cast<int64_t>(archs.size()), "net");
  progress.step(static_cast<int64_t>(pairs.size()));
  const int64_t batch = eval.eval_batch;
  auto save_partial = [&] { pairs.write_csv(partial_path); };
  for (size_t i = pairs.size(); i < archs.size(); ++i) {
    if (train::stop_requested()) {
      save_partial();
      check_stop("pairs (" + std::to_string(pairs.size()) + " networks saved)");
    }
    const space::Arch& arch = archs[i];
    train::recalibrate_bn(*net, arch, recal, eval.bn_recal_batch, d.mean, d.std, device());
    const train::EvalResult r = train::evaluate(*net, arch, val, batch, d.mean, d.std, device());
    pairs.pairs.push_back({arch, sp.macs(arch), sp.params(arch), r.top1});
    progress.step(1, "top-1 " + std::to_string(r.top1 * 100).substr(0, 5) + "%");
    if ((i + 1) % 10 == 0) save_partial();
  }
  progress.finish();
  pairs.write_csv(path("pairs.csv"));
  fs::remove(partial_path);
  const std::vector<double> acc = pairs.accuracies();
  const double mean = std::accumulate(acc.begin(), acc.end(), 0.0) / acc.size();
  double var = 0;
  for (double a : acc) var += (a - mean) * (a - mean);
  rec.eval_images = static_cast<int64_t>(archs.size()) * (recal.size() + val.size());
  rec.metrics = {{"count", static_cast<int64_t>(pairs.size())},
                 {"mean_val_top1", mean},
                 {"std_val_top1", std::sqrt(var / acc.size())},
                 {"val_images", val.size()},
                 {"bn_recal_images", recal.size()}};
  SNAS_LOG(INFO) << "pairs: " << pairs.size() << " networks, mean top-1 " << mean * 100 << "%";
}

// ---------------------------------------------------------------------------------------------
// Stage 4: predictors.

void Pipeline::run_predictor(StageRecord& rec) {
  const auto pairs = predictor::PairsDataset::read_csv(path("pairs.csv"), &space());
  PredictorStageResult result = run_predictor_comparison(
      space(), pairs, config_.predictor, static_cast<int>(train::resolved_threads(config_.teacher)));
  fs::create_directories(path("predictor"));
  result.early.save(path("predictor/gbdt.json"));
  write_predictor_tables(result, path("predictors.csv"), path("predictor/heldout.csv"));
  const PredictorScore& early = result.scores.front();
  rec.metrics = {{"kind", early.predictor},
                 {"fit_seconds", early.fit_seconds},
                 {"rmse", early.rmse},
                 {"rmse_shifted", early.rmse_shifted},
                 {"kendall_tau", early.kendall_tau},
                 {"spearman_rho", early.spearman_rho}};
  for (const auto& s : result.scores) {
    SNAS_LOG(INFO) << "predictor " << s.predictor << ": fit " << s.fit_seconds << " s, RMSE (shifted) "
                   << s.rmse_shifted * 100 << "%, Kendall tau " << s.kendall_tau;
  }
}

// ---------------------------------------------------------------------------------------------
// Stage 5: sparse space.

// The sparse space's MACs grid: sparse_space's range, split into num_intervals when set.
search::SparseSpaceConfig Pipeline::grid_config() {
  search::SparseSpaceConfig cfg = config_.sparse_space;
  if (config_.sparse_space_stage.num_intervals > 0) {
    cfg = search::resolved_config(cfg, space());
    const int64_t n = config_.sparse_space_stage.num_intervals;
    cfg.interval = std::max<int64_t>(1, (cfg.max_macs - cfg.min_macs + n - 1) / n);
  }
  return cfg;
}

// sparsenas: the sparse space (top_k per interval by the early predictor, before training).
// ofa, spos: the family search (top_k by the predictor fitted on the trained supernet).
void Pipeline::run_sparse_space(StageRecord& rec, int64_t top_k, const search::EvolutionConfig& evolution) {
  auto early = predictor::XgbAccuracyPredictor::load(path("predictor/gbdt.json"), space());
  early.model().set_nthread(train::resolved_threads(config_.teacher));
  search::SparseSpaceConfig cfg = grid_config();
  cfg.top_k = top_k;
  cfg.evolution = evolution;
  const search::FitnessFn fitness = [&early](const std::vector<space::Arch>& archs) {
    return early.predict(archs);
  };
  const auto resolved = search::resolved_config(cfg, space());
  const int64_t num_intervals = search::MacsRange{resolved.min_macs, resolved.max_macs, resolved.interval}.num_intervals();
  Progress progress("sparse space", num_intervals, "interval");
  const auto start = Clock::now();
  const search::SparseSpace sparse = search::build_sparse_space(
      space(), fitness, cfg, [&](const search::IntervalProgress& p) {
        progress.step(1, std::to_string(p.num_archs) + " nets");
        if (train::stop_requested()) throw Interrupted("interrupted during the sparse-space search; rerun to continue");
      });
  const double seconds = seconds_since(start);
  progress.finish();
  search::write_sparse_space(path("sparse_space.json"), sparse);
  rec.metrics = {{"networks", sparse.size()},
                 {"intervals", static_cast<int64_t>(sparse.intervals.size())},
                 {"unreachable", static_cast<int64_t>(sparse.unreachable.size())},
                 {"evaluations", sparse.num_evaluations},
                 {"seconds", seconds},
                 {"seconds_per_interval", seconds / std::max<int64_t>(1, num_intervals)}};
  SNAS_LOG(INFO) << "sparse space: " << sparse.size() << " networks in " << sparse.intervals.size()
                 << " intervals (" << sparse.unreachable.size() << " unreachable), " << seconds << " s";
  if (!sparse.unreachable.empty()) {
    SNAS_LOG(WARN) << sparse.unreachable.size() << " MACs intervals hold no network of the space (listed in "
                   << "sparse_space.json and report.md)";
  }
}

// ---------------------------------------------------------------------------------------------
// Stage 7: family.

// Median wall time of a batch-1 forward of `net`, in milliseconds.
double measure_latency_ms(nn::StaticNetImpl& net, const torch::Tensor& image, int64_t warmup, int64_t repeats) {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < warmup; ++i) net.forward(image);
  std::vector<double> times;
  times.reserve(repeats);
  for (int64_t i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    net.forward(image);
    times.push_back(seconds_since(start) * 1e3);
  }
  return median(times);
}

void Pipeline::run_family(StageRecord& rec) {
  const auto& d = splits();
  const space::SearchSpace& sp = space();
  const search::SparseSpace sparse = search::read_sparse_space(path("sparse_space.json"));
  const std::vector<space::Arch> archs = sparse.archs();
  nn::Supernet net = load_supernet(path("supernet.pt"));
  const data::Dataset recal = train::bn_recalibration_subset(d.train, config_.family.bn_recal_images);
  const data::Dataset val = first_images(d.val, config_.family.val_images);
  const data::Dataset test = first_images(d.test, config_.family.test_images);
  SNAS_CHECK(val.size() > 0, "the family stage needs a validation split: set data.val_size > 0");
  const int64_t batch = config_.supernet.eval_batch;
  // One normalised image for the latency measurement, in the layout the network was trained in.
  torch::Tensor image = data::to_float_normalized(val.images.slice(0, 0, 1), d.mean, d.std).to(device());
  if (config_.supernet.channels_last) image = image.contiguous(torch::MemoryFormat::ChannelsLast);

  const fs::path partial_path = path("family.partial.csv");
  std::vector<search::FamilyRow> rows;
  if (fs::exists(partial_path)) {
    rows = search::FamilyTable::read_csv(partial_path).rows();
    bool prefix = rows.size() <= archs.size();
    for (size_t i = 0; prefix && i < rows.size(); ++i) prefix = sp.canonical(rows[i].arch) == archs[i];
    if (!prefix) {
      SNAS_LOG(WARN) << partial_path.string() << " does not match the sparse space; starting over";
      rows.clear();
    } else if (!rows.empty()) {
      SNAS_LOG(INFO) << "family: continuing after " << rows.size() << " evaluated networks";
    }
  }
  auto save_partial = [&] { search::FamilyTable(rows).write_csv(partial_path); };
  Progress progress("family", static_cast<int64_t>(archs.size()), "net");
  progress.step(static_cast<int64_t>(rows.size()));
  for (size_t i = rows.size(); i < archs.size(); ++i) {
    if (train::stop_requested()) {
      if (!rows.empty()) save_partial();
      check_stop("family (" + std::to_string(rows.size()) + " networks saved)");
    }
    const space::Arch& arch = archs[i];
    train::recalibrate_bn(*net, arch, recal, config_.supernet.bn_recal_batch, d.mean, d.std, device());
    search::FamilyRow row;
    row.arch = arch;
    row.macs = sp.macs(arch);
    row.params = sp.params(arch);
    row.val_top1 = train::evaluate(*net, arch, val, batch, d.mean, d.std, device()).top1;
    row.test_top1 = test.size() > 0 ? train::evaluate(*net, arch, test, batch, d.mean, d.std, device()).top1
                                    : std::nan("");
    if (config_.family.latency_repeats > 0) {
      auto static_net = net->extract(arch);
      static_net->eval();
      row.latency_ms =
          measure_latency_ms(*static_net, image, config_.family.latency_warmup, config_.family.latency_repeats);
    }
    rows.push_back(row);
    progress.step(1, "val " + std::to_string(row.val_top1 * 100).substr(0, 5) + "%");
    if ((i + 1) % 10 == 0) save_partial();
  }
  progress.finish();
  const search::FamilyTable family(rows);
  family.write_csv(path("family.csv"));
  fs::remove(partial_path);

  // The teacher on the same images, for the report (Table 7).
  nn::Supernet teacher = load_supernet(path("teacher.pt"));  // same options as the run
  const space::Arch max = sp.max_arch();
  const double teacher_val = train::evaluate(*teacher, max, val, batch, d.mean, d.std, device()).top1;
  const double teacher_test = test.size() > 0 ? train::evaluate(*teacher, max, test, batch, d.mean, d.std, device()).top1
                                              : std::nan("");
  double best_val = -1, best_test = std::nan("");
  for (const auto& r : rows) {
    if (r.val_top1 > best_val) {
      best_val = r.val_top1;
      best_test = r.test_top1;
    }
  }
  rec.eval_images = static_cast<int64_t>(archs.size()) * (recal.size() + val.size() + test.size());
  rec.metrics = {{"networks", static_cast<int64_t>(rows.size())},
                 {"best_val_top1", best_val},
                 {"best_test_top1", best_test},
                 {"teacher_val_top1", teacher_val},
                 {"teacher_test_top1", teacher_test},
                 {"val_images", val.size()},
                 {"test_images", test.size()},
                 {"latency_repeats", config_.family.latency_repeats},
                 {"latency_threads", train::resolved_threads(config_.supernet)}};
  SNAS_LOG(INFO) << "family: " << rows.size() << " networks; best by validation: val " << best_val * 100
                 << "%, test " << best_test * 100 << "% (teacher: test " << teacher_test * 100 << "%)";
}

// ---------------------------------------------------------------------------------------------
// Stage 8: report.

void Pipeline::run_report(StageRecord& rec) {
  // The manifest on disk must already hold this stage's predecessors (it does: written after each).
  const report::ReportResult result = report::write_report(dir_);
  for (const auto& w : result.warnings) SNAS_LOG(WARN) << "report: " << w;
  rec.metrics = {{"plots", static_cast<int64_t>(result.plots.size())},
                 {"warnings", static_cast<int64_t>(result.warnings.size())}};
}

}  // namespace

// The space of one OFA phase: `space` with only the `depths` largest depth choices and the
// `expands` largest expand choices of every stage (0 = all); kernels stay elastic.
const std::vector<OfaPhase>& ofa_phases() {
  // Re-sort stages as OFA's train_elastic_expand: expand_ratio_stage = len(phase expand list) - 2,
  // so phase 1 (e {4,6}) is a full sort and phase 2 (e {3,4,6}) stage 1, which keeps the e=4
  // prefix of phase 1 (reference §2.2).
  static const std::vector<OfaPhase> phases = {{"kernel", 1, 1, -1},
                                               {"depth_warmup", 2, 1, -1},
                                               {"depth", 0, 1, -1},
                                               {"expand_warmup", 0, 2, 0},
                                               {"expand", 0, 0, 1}};
  return phases;
}

space::SearchSpace ofa_phase_space(const space::SearchSpace& space, size_t depths, size_t expands) {
  space::SpaceSpec spec = space.spec();
  auto keep_largest = [](std::vector<int>& choices, size_t n) {
    std::sort(choices.rbegin(), choices.rend());
    if (n > 0 && choices.size() > n) choices.resize(n);
    std::sort(choices.begin(), choices.end());
  };
  for (space::StageSpec& stage : spec.stages) {
    SNAS_CHECK(stage.coupled_expands.empty(), "method ofa needs a space without coupled expands, got ", space.name());
    if (stage.stored_expand == 0) stage.stored_expand = *std::max_element(stage.expands.begin(), stage.expands.end());
    if (stage.stored_kernel == 0) stage.stored_kernel = *std::max_element(stage.kernels.begin(), stage.kernels.end());
    keep_largest(stage.depths, depths);
    keep_largest(stage.expands, expands);
  }
  return space::SearchSpace(spec);
}

RunSummary run_pipeline(const RunConfig& config, const fs::path& dir) {
  config.validate();
  return Pipeline(config, dir).run();
}

RunConfig run_config_of(const rundir::RunDir& run) {
  try {
    return run_config_from_json(run.config());
  } catch (const Error& e) {
    SNAS_FAIL("--run ", run.path(), ": corrupt config.json: ", e.what());
  }
}

RunInfo read_run(const fs::path& dir) {
  const rundir::RunDir run = rundir::open_run(dir);
  const RunConfig config = run_config_of(run);
  run.require({rundir::kSupernet, rundir::kFamily});
  const train::CheckpointMeta meta = train::read_checkpoint_meta(run.file(rundir::kSupernet));
  return RunInfo{dir, config, space::SearchSpace(space::space_spec_from_json(meta.space))};
}

DeployableNetwork load_network(const RunInfo& run, const space::Arch& arch_in) {
  const space::SearchSpace& sp = run.space;
  sp.validate(arch_in);
  const space::Arch arch = sp.canonical(arch_in);
  train::TrainConfig tc = run.config.supernet;
  nn::configure_cpu_threads(static_cast<int>(train::resolved_threads(tc)));
  const data::Splits d = data::load_splits(run.config.data);
  nn::Supernet net(sp, nn::SupernetOptions{kernel_transform(run.config)});
  train::load_checkpoint(run.dir / "supernet.pt", *net, nullptr, /*restore_rng=*/false);
  net->eval();
  const data::Dataset recal = train::bn_recalibration_subset(d.train, run.config.family.bn_recal_images);
  train::recalibrate_bn(*net, arch, recal, tc.bn_recal_batch, d.mean, d.std, torch::kCPU);
  DeployableNetwork out;
  out.net = net->extract(arch);
  out.net->eval();
  for (auto& p : out.net->parameters()) p.set_data(p.contiguous());
  for (auto& b : out.net->buffers()) b.set_data(b.contiguous());
  out.arch = arch;
  out.macs = sp.macs(arch);
  out.params = sp.params(arch);
  out.mean = d.mean;
  out.std = d.std;
  out.class_names = d.train.class_names;
  out.channels = sp.spec().in_channels;
  out.resolution = sp.spec().resolution;
  return out;
}

}  // namespace sparsenas::pipeline
