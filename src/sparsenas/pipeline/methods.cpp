#include "sparsenas/pipeline/methods.h"

#include <algorithm>
#include <map>

#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/pipeline/stages.h"
#include "sparsenas/pipeline/teacher_source.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/space/builtin_spaces.h"

namespace sparsenas::pipeline {

namespace rd = rundir;
using nlohmann::json;

namespace {

using Config = std::function<json(const RunConfig&)>;

// A TrainConfig without the fields that do not change what is trained (the trainer resumes across
// them too), so that e.g. another --threads does not rerun a finished stage.
json hashable(const train::TrainConfig& t) {
  json j = t;
  for (const char* key : {"threads", "device", "checkpoint_every", "eval_batch"}) j.erase(key);
  // Added after runs existed (issue 15): hashed only when on, so that finished runs stay finished.
  if (!t.sync_bn) j.erase("sync_bn");
  return j;
}

// The config sections the stages hash. They are what earlier versions hashed, so that a finished
// run stays finished.
json section(const RunConfig& c, const char* key) { return to_json(c)[key]; }

json grid_section(const RunConfig& c) {
  json j = section(c, "sparse_space");
  j["num_intervals"] = c.sparse_space_stage.num_intervals;
  // Added after runs existed (issue 12 item 6): hashed only when on.
  if (c.sparse_space.rerank_pool == 0) j.erase("rerank_pool");
  // Added after runs existed (issue 14): hashed only with constraint "latency", and then the
  // table's content (not its path), so that another table reruns the stage and a moved one not.
  if (c.sparse_space.latency()) {
    j["latency_table"] = hash_file(c.sparse_space.latency_table);
  } else {
    j.erase("constraint");
    j.erase("latency_table");
  }
  return j;
}

json predictor_section(const RunConfig& c) {
  json j = section(c, "predictor");
  j["early"].erase("nthread");
  // Added after runs existed (issue 12 item 6): hashed only when not the paper's, so that
  // finished runs stay finished.
  if (c.predictor.target == "val_top1") j.erase("target");
  if (c.predictor.early.objective == "reg:squarederror") {
    j["early"].erase("objective");
  } else {
    // A ranking objective groups the pairs by the sparse space's MACs intervals (run_predictor;
    // on a latency grid, by the default MACs intervals): the grid is then an input of the fit.
    if (c.sparse_space.latency()) {
      j["groups"] = "the default MACs grid";
    } else {
      const json g = grid_section(c);
      j["groups"] = {{"min_macs", g["min_macs"]}, {"max_macs", g["max_macs"]},
                     {"interval", g["interval"]}, {"num_intervals", g["num_intervals"]}};
    }
  }
  return j;
}

json family_search_section(const RunConfig& c) {
  json j = grid_section(c);
  j.erase("rerank_pool");  // the family search never re-ranks
  j["top_k"] = c.family_search.top_k;
  j["evolution"] = section(c, "family_search")["evolution"];
  return j;
}

json supernet_section(const RunConfig& c) {
  json stage = section(c, "supernet_stage");
  // Added after runs existed: hashed only when on, so that finished runs stay finished.
  if (!c.supernet_stage.resort_channels) stage.erase("resort_channels");
  return {{"train", hashable(c.supernet)}, {"stage", stage}};
}

// Trained here: its training section. Reused (teacher_stage.from): the teacher's content hash, so
// that another teacher reruns everything downstream and the same one (wherever it lies) does not.
json teacher_section(const RunConfig& c) {
  if (c.teacher_stage.from.empty()) return hashable(c.teacher);
  return {{"from_hash", resolve_teacher_source(c.teacher_stage.from).hash}};
}

// A stage that every rank of a data-parallel run runs (MethodStage::every_rank).
MethodStage on_every_rank(MethodStage stage) {
  stage.every_rank = true;
  return stage;
}

MethodStage teacher() {
  return on_every_rank({"teacher", teacher_section, {}, {rd::kTeacher}, {"teacher"}, run_teacher});
}

// Pairs on a trained supernet and the predictors fitted on them.
std::vector<MethodStage> pairs_on(const std::string& trained, const std::string& checkpoint,
                                  train::TrainConfig RunConfig::*eval_section) {
  return {on_every_rank({"pairs", [](const RunConfig& c) { return section(c, "pairs"); }, {trained},
                         {rd::kPairs, rd::kPairsNoise}, {rd::kPairsPartial},
                         [checkpoint, eval_section](RunContext& ctx, StageRecord& r) {
                           run_pairs(ctx, r, checkpoint, ctx.config().*eval_section);
                         }}),
          {"predictor", predictor_section, {"pairs"}, {rd::kPredictorModel, rd::kPredictorScores, rd::kHeldout}, {},
           run_predictor}};
}

MethodStage family_search() {
  return {"family_search", family_search_section, {"predictor"}, {rd::kSparseSpace}, {},
          [](RunContext& ctx, StageRecord& r) {
            run_sparse_space(ctx, r, ctx.config().family_search.top_k, ctx.config().family_search.evolution,
                             /*rerank_on=*/"");
          }};
}

// `teacher`: the stage that writes teacher.pt, whose largest network the family stage also scores.
MethodStage family(std::vector<std::string> inputs, const std::string& teacher = "teacher") {
  if (std::find(inputs.begin(), inputs.end(), teacher) == inputs.end()) inputs.push_back(teacher);
  return on_every_rank({"family", [](const RunConfig& c) { return section(c, "family"); }, inputs,
                        {rd::kFamily, rd::kFamilyCorrect}, {rd::kFamilyPartial, rd::kFamilyCorrectPartial},
                        run_family});
}

// A supernet training phase of a baseline (run_phase): `name`/ holds its checkpoint and history.
using SectionOf = std::function<const train::TrainConfig&(const RunConfig&)>;
using SampledSpace = std::function<space::SearchSpace(RunContext&)>;
MethodStage phase(const std::string& name, SectionOf section_of, const std::string& input, const std::string& output,
                  SampledSpace sampled, int resort_stage) {
  const std::string init = input + ".pt";
  return on_every_rank({name, [section_of](const RunConfig& c) { return hashable(section_of(c)); },
                        {input, "teacher"}, {output}, {name}, [=](RunContext& ctx, StageRecord& r) {
                          run_phase(ctx, r, name, section_of(ctx.config()), sampled(ctx), init, resort_stage, output);
                        }});
}

// sparsenas (paper Fig. 1, Algorithm 1).
std::vector<MethodStage> sparsenas_table() {
  std::vector<MethodStage> t = {
      teacher(),
      on_every_rank({"proxy", [](const RunConfig& c) { return hashable(c.proxy); }, {}, {rd::kProxy}, {"proxy"},
                     run_proxy})};
  for (auto& s : pairs_on("proxy", rd::kProxy, &RunConfig::proxy)) t.push_back(std::move(s));
  t.push_back({"sparse_space", grid_section, {"predictor"}, {rd::kSparseSpace}, {},
               [](RunContext& ctx, StageRecord& r) {
                 run_sparse_space(ctx, r, ctx.config().sparse_space.top_k, ctx.config().sparse_space.evolution,
                                  /*rerank_on=*/rd::kProxy);
               }});
  t.push_back(on_every_rank({"supernet", supernet_section, {"teacher", "proxy", "sparse_space"}, {rd::kSupernet},
                             {"supernet"}, [](RunContext& ctx, StageRecord& r) { run_supernet(ctx, r, false); }}));
  t.push_back(family({"supernet"}));
  return t;
}

// OFA progressive shrinking (reference §3.1): each phase starts from the previous one.
std::vector<MethodStage> ofa_table() {
  std::vector<MethodStage> t = {teacher()};
  const std::vector<OfaPhase>& phases = ofa_phases();
  std::string previous = "teacher";
  for (size_t i = 0; i < phases.size(); ++i) {
    const OfaPhase ph = phases[i];
    const std::string output = i + 1 == phases.size() ? std::string(rd::kSupernet) : ph.name + ".pt";
    t.push_back(phase(
        ph.name, [ph](const RunConfig& c) -> const train::TrainConfig& { return ofa_phase_config(c.ofa, ph.name); },
        previous, output, [ph](RunContext& ctx) { return ofa_phase_space(ctx.space(), ph.depths, ph.expands); },
        ph.resort_stage));
    previous = ph.name;
  }
  for (auto& s : pairs_on("expand", rd::kSupernet, &RunConfig::supernet)) t.push_back(std::move(s));
  t.push_back(family_search());
  t.push_back(family({"expand", "family_search"}));
  return t;
}

// CompOFA (reference §7.2): the coupled space, from the teacher, two phases with a full channel
// re-sort before each, no kernel transform (RunContext::make_supernet).
std::vector<MethodStage> compofa_table() {
  const SampledSpace coupled = [](RunContext& ctx) {
    return space::SearchSpace::from_name(space::compofa_space_of(ctx.config().space), ctx.space_options());
  };
  return {teacher(),
          phase("compound_warmup", [](const RunConfig& c) -> const train::TrainConfig& { return c.compofa.warmup; },
                "teacher", "compound_warmup.pt", coupled, 0),
          phase("compound", [](const RunConfig& c) -> const train::TrainConfig& { return c.compofa.train; },
                "compound_warmup", rd::kSupernet, coupled, 0),
          {"family_list", grid_section, {}, {rd::kSparseSpace}, {}, run_family_list},
          family({"compound", "family_list"})};
}

// Uniform single-path sampling over the whole space, trained as the sparse supernet (same
// `supernet` settings, init and distillation), so that only the sampled space differs.
std::vector<MethodStage> spos_table() {
  std::vector<MethodStage> t = {teacher(),
                                on_every_rank({"supernet", supernet_section, {"teacher"}, {rd::kSupernet}, {"supernet"},
                                               [](RunContext& ctx, StageRecord& r) { run_supernet(ctx, r, true); }})};
  for (auto& s : pairs_on("supernet", rd::kSupernet, &RunConfig::supernet)) t.push_back(std::move(s));
  t.push_back(family_search());
  t.push_back(family({"supernet", "family_search"}));
  return t;
}

// Paper §3.3 / Fig. 3: N random networks instead of the predicted-good ones, trained as the
// sparse supernet.
std::vector<MethodStage> random_subspace_table() {
  return {teacher(),
          {"subspace",
           [](const RunConfig& c) { return json{{"random_subspace", section(c, "random_subspace")}, {"grid", grid_section(c)}}; },
           {}, {rd::kSparseSpace}, {}, run_subspace},
          on_every_rank({"supernet", supernet_section, {"teacher", "subspace"}, {rd::kSupernet}, {"supernet"},
                         [](RunContext& ctx, StageRecord& r) { run_supernet(ctx, r, false); }}),
          family({"supernet"})};
}

// A supernet trained by Once-for-All's own code (sparsenas import-ofa), then the OFA way of
// finding a family on it.
std::vector<MethodStage> ofa_import_table() {
  std::vector<MethodStage> t = {
      {"import",
       [](const RunConfig& c) { return json{{"checkpoint_hash", c.import_ofa.checkpoint_hash}}; },
       {},
       {rd::kSupernet, rd::kTeacher},
       {},
       run_import}};
  for (auto& s : pairs_on("import", rd::kSupernet, &RunConfig::supernet)) t.push_back(std::move(s));
  t.push_back(family_search());
  t.push_back(family({"import", "family_search"}, "import"));
  return t;
}

}  // namespace

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

const train::TrainConfig& ofa_phase_config(const OfaConfig& ofa, const std::string& name) {
  if (name == "kernel") return ofa.kernel;
  if (name == "depth_warmup") return ofa.depth_warmup;
  if (name == "depth") return ofa.depth;
  if (name == "expand_warmup") return ofa.expand_warmup;
  SNAS_INTERNAL_ASSERT(name == "expand", "unknown OFA phase ", name);
  return ofa.expand;
}

json shared_settings(const RunConfig& c) {
  return {{"method", c.method}, {"space", c.space}, {"width_mult", c.width_mult}, {"data", c.data}};
}

std::vector<MethodStage> method_stages(const std::string& method) {
  using Table = std::vector<MethodStage> (*)();
  static const std::map<std::string, Table> tables = {{"sparsenas", sparsenas_table},
                                                      {"ofa", ofa_table},
                                                      {"compofa", compofa_table},
                                                      {"spos", spos_table},
                                                      {"random-subspace", random_subspace_table},
                                                      {"ofa-import", ofa_import_table}};
  const auto it = tables.find(method);
  if (it == tables.end()) {
    std::string list;
    for (const auto& m : method_names()) list += (list.empty() ? "" : ", ") + m;
    SNAS_FAIL("unknown method \"", method, "\" (valid: ", list, ")");
  }
  std::vector<MethodStage> t = it->second();
  std::vector<std::string> before;
  for (const MethodStage& s : t) before.push_back(s.name);
  t.push_back({"report", [](const RunConfig&) { return json::object(); }, before, {rd::kReport}, {}, run_report});
  return t;
}

bool method_has_stage(const std::string& method, const std::string& stage) {
  for (const MethodStage& s : method_stages(method)) {
    if (s.name == stage) return true;
  }
  return false;
}

std::vector<std::string> stage_names(const std::string& method) {
  std::vector<std::string> names;
  for (const MethodStage& s : method_stages(method)) names.push_back(s.name);
  return names;
}

}  // namespace sparsenas::pipeline
