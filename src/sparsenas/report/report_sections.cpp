#include "sparsenas/report/report_sections.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "sparsenas/predictor/features.h"
#include "sparsenas/predictor/metrics.h"
#include "sparsenas/report/format.h"
#include "sparsenas/search/lookup.h"
#include "sparsenas/search/sparse_space.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::report::detail {
namespace fs = std::filesystem;
using nlohmann::json;
using rundir::HistoryEpoch;
using rundir::Manifest;
using rundir::PredictorScore;
using rundir::StageRecord;

namespace {

constexpr size_t kMaxListedRanges = 10;

// Number of distinct `predicted` values among the sparse space's networks; 0 for a listed space
// (every value 0: no predictor chose them).
int64_t distinct_predicted(const search::SparseSpace& s) {
  std::set<double> values;
  for (const search::SparseInterval& interval : s.intervals) {
    for (const search::SparseArch& a : interval.archs) values.insert(a.predicted);
  }
  return values.size() == 1 && *values.begin() == 0.0 ? 0 : static_cast<int64_t>(values.size());
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

bool is_training_stage(const StageRecord& s) {
  for (const char* name : kTrainingStages) {
    if (s.name == name) return true;
  }
  return s.epochs > 0;
}

std::string stage_label(const StageRecord& s) {
  std::string label = cell(s.name);
  if (!s.status.empty() && s.status != "done") label += " (" + cell(s.status) + ")";
  return label;
}

std::string core_hours(double core_seconds) { return fixed(core_seconds / 3600.0, 3); }

std::string metrics_text(const json& metrics) {
  std::vector<std::string> parts;
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    std::string value;
    if (it->is_number_integer()) {
      value = format_count(it->get<int64_t>());
    } else if (it->is_number()) {
      value = fmt("%.4g", it->get<double>());
    } else if (it->is_string()) {
      value = it->get<std::string>();
    } else {
      value = it->dump();
    }
    parts.push_back(it.key() + " " + value);
  }
  return parts.empty() ? "" : cell(join(parts, ", "));
}

// Median seconds of one MACs query at `limit`.
double time_lookup(const search::FamilyTable& family, double limit, const ReportOptions& options) {
  return search::median_query_seconds(
      family, search::Bound::kMacs, {limit},
      {options.lookup_rounds, options.lookup_queries_per_round, /*warm_up=*/true});
}

std::pair<int64_t, int64_t> macs_range(const search::FamilyTable& family) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (const search::FamilyRow& r : family.rows()) {
    lo = std::min(lo, r.macs);
    hi = std::max(hi, r.macs);
  }
  return {lo, hi};
}

}  // namespace

void write_header(std::ostream& md, const fs::path& run_dir, const Inputs& in) {
  std::string method = in.manifest && !in.manifest->method.empty() ? in.manifest->method : "";
  if (method.empty()) method = config_text(in.config, {{"method"}}).value_or("not recorded");
  const std::string preset = config_text(in.config, {{"preset"}}).value_or("not recorded");
  std::string space_text = config_text(in.config, {{"space"}, {"space", "name"}}).value_or("");
  if (in.space) {
    const space::SpaceSpec& s = in.space->spec();
    if (space_text.empty()) space_text = s.name;
    space_text += " (" + std::to_string(s.resolution) + "x" + std::to_string(s.resolution) + "x" +
                  std::to_string(s.in_channels) + " input, " + std::to_string(s.num_classes) +
                  " classes)";
  }
  if (space_text.empty()) space_text = "not recorded";
  const std::string dataset =
      config_text(in.config, {{"data", "source"}, {"dataset"}, {"data"}, {"data", "name"}})
          .value_or("not recorded");
  std::string started, finished;
  if (in.manifest) {
    for (const StageRecord& s : in.manifest->stages) {
      if (!s.started.empty() && (started.empty() || s.started < started)) started = s.started;
      if (!s.finished.empty() && s.finished > finished) finished = s.finished;
    }
  }

  md << "# SparseNAS run report\n\n"
     << "| | |\n|---|---|\n"
     << "| method | " << cell(method) << " |\n"
     << "| preset | " << cell(preset) << " |\n"
     << "| space | " << cell(space_text) << " |\n"
     << "| dataset | " << cell(dataset) << " |\n"
     << "| run directory | `" << cell(run_dir.string()) << "` |\n"
     << "| run started | " << (started.empty() ? "not recorded" : started) << " |\n"
     << "| run finished | " << (finished.empty() ? "not recorded" : finished) << " |\n"
     << "| report written | " << utc_now() << " |\n\n";

  // The encoding every predictor reads (predictor/features.h).
  md << "**Architecture encoding (predictors).** One-hot per block slot as OFA: kernel one-hot "
        "and expand one-hot per slot, inactive slots all zero; 120 features for ofa-mbv3. "
        "All kernel one-hots come first (slot by slot, stage by stage), then all expand "
        "one-hots; a slot is inactive when its position in the stage is at or beyond the "
        "stage's depth, so depth is implicit (no depth one-hot, as in OFA), and there is no "
        "resolution one-hot (one input resolution per run).";
  if (in.space) {
    const space::SearchSpace& sp = *in.space;
    std::set<std::vector<int>> kernels, expands;
    for (const space::StageSpec& st : sp.spec().stages) {
      std::vector<int> k = st.kernels, e = st.expands;
      e.insert(e.end(), st.coupled_expands.begin(), st.coupled_expands.end());
      std::sort(k.begin(), k.end());
      std::sort(e.begin(), e.end());
      k.erase(std::unique(k.begin(), k.end()), k.end());
      e.erase(std::unique(e.begin(), e.end()), e.end());
      kernels.insert(k);
      expands.insert(e);
    }
    md << " This run's space `" << sp.name() << "`: " << sp.num_slots() << " block slots in "
       << sp.num_stages() << " stages";
    if (kernels.size() == 1 && expands.size() == 1) {
      md << ", k in {" << join_ints(*kernels.begin()) << "}, e in {" << join_ints(*expands.begin())
         << "}";
    } else {
      md << " (choices differ by stage)";
    }
    md << ": " << predictor::feature_dim(sp) << " features.";
  }
  md << "\n\n";
}

void write_predictors(std::ostream& md, const Inputs& in, const SparseVsFamily& matched,
                      const PlotNotes& notes) {
  md << "## Predictors (paper Table 3)\n\n";
  std::string early;
  if (in.manifest) {
    if (const StageRecord* s = in.manifest->find("predictor")) {
      early = s->metric_text("kind").value_or("");
    }
  }
  if (!in.predictors) {
    md << "Not available (`predictors.csv` not found).\n\n";
  } else if (in.predictors->empty()) {
    md << "Not available (`predictors.csv` has no rows).\n\n";
  } else {
    md << "| predictor | fit time (s) | RMSE (%), mean-shifted | RMSE (%), raw | Kendall τ | "
          "Spearman ρ |\n|---|---:|---:|---:|---:|---:|\n";
    std::set<std::pair<int64_t, int64_t>> sizes;
    for (const PredictorScore& s : *in.predictors) {
      md << "| " << cell(s.predictor) << (s.predictor == early ? " (early predictor)" : "") << " | "
         << fixed(s.fit_seconds, 3) << " | " << fixed(s.rmse_shifted * 100, 2) << " | "
         << fixed(s.rmse * 100, 2) << " | " << fixed(s.kendall_tau, 3) << " | "
         << fixed(s.spearman_rho, 3) << " |\n";
      sizes.emplace(s.n_train, s.n_heldout);
    }
    md << "\n";
    if (sizes.size() == 1) {
      md << "Every predictor was fit on the same " << format_count(sizes.begin()->first)
         << " training pairs (n_train) and scored on the same "
         << format_count(sizes.begin()->second) << " held-out pairs (n_heldout) of `pairs.csv`. ";
    } else {
      std::vector<std::string> parts;
      for (const PredictorScore& s : *in.predictors) {
        parts.push_back(s.predictor + ": n_train " + format_count(s.n_train) + ", n_heldout " +
                        format_count(s.n_heldout));
      }
      md << "Training / held-out sizes differ: " << join(parts, "; ") << ". ";
    }
    md << "Mean-shifted RMSE (the paper's): the predictions are shifted by mean(predicted) - "
          "mean(measured) over the held-out pairs before the RMSE, so a constant offset is not "
          "counted; raw RMSE: no shift.\n\n";
  }
  if (in.pairs) {
    const std::vector<double> acc = in.pairs->accuracies();
    if (acc.empty()) {
      md << "`pairs.csv`: no pairs.\n\n";
    } else {
      int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
      for (const auto& p : in.pairs->pairs) {
        lo = std::min(lo, p.macs);
        hi = std::max(hi, p.macs);
      }
      md << "`pairs.csv`: " << format_count(static_cast<int64_t>(acc.size()))
         << " architecture-accuracy pairs (validation top-1 on the proxy supernet): mean "
         << format_percent(mean_of(acc)) << "%, std " << format_percent(std_of(acc)) << "%, min "
         << format_percent(*std::min_element(acc.begin(), acc.end())) << "%, max "
         << format_percent(*std::max_element(acc.begin(), acc.end())) << "%; MACs "
         << millions(static_cast<double>(lo)) << "M to " << millions(static_cast<double>(hi))
         << "M.\n\n";
    }
  } else {
    md << "`pairs.csv`: not available.\n\n";
  }
  if (in.pairs_noise) write_pairs_noise(md, *in.pairs_noise);
  if (in.heldout) {
    md << "`predictor/heldout.csv`: " << in.heldout->size()
       << " held-out pairs with predictions of "
       << (in.heldout->predictors.empty() ? "no predictor" : join(in.heldout->predictors, ", "))
       << ".\n\n";
  } else {
    md << "`predictor/heldout.csv`: not available.\n\n";
  }
  if (matched.measured.size() >= 2) {
    md << "Early predictor on the sparse space: its scores (`sparse_space.json`) against the "
          "family's measured validation top-1 (`family.csv`) over "
       << matched.measured.size() << " networks: Kendall τ "
       << fixed(predictor::kendall_tau(matched.predicted, matched.measured), 3) << ", Spearman ρ "
       << fixed(predictor::spearman_rho(matched.predicted, matched.measured), 3)
       << "; within MACs intervals (pairs of networks of one interval only, pooled) Kendall τ "
       << fixed(predictor::kendall_tau_within_groups(matched.predicted, matched.measured, matched.interval), 3)
       << " (the scores are on the proxy supernet's scale, the family on the sparse "
          "supernet's; the global τ mostly rewards knowing that larger networks are more accurate, "
          "the within-interval τ is what the choice of the sparse space's networks needs; "
          "\"nan\": no interval has two networks with different scores).\n\n";
  }
  const std::string note = plot_note(notes, "predicted_vs_measured");
  md << (note.empty() ? "Predicted-vs-measured plot: not available (no held-out predictions "
                        "and no sparse-space networks in the family)."
                      : note)
     << "\n\n";
}

void write_costs(std::ostream& md, const Inputs& in) {
  md << "## Training stages and cost (paper Table 4)\n\n";
  if (!in.manifest) {
    md << "Not available (`manifest.json` not found).\n\n";
    return;
  }
  const Manifest& m = *in.manifest;
  std::vector<const StageRecord*> training, other;
  // The report stage is left out: its cost is not known while the report is being written.
  std::vector<const StageRecord*> counted;
  for (const StageRecord& s : m.stages) {
    if (s.name != "report") counted.push_back(&s);
  }
  for (const StageRecord* s : counted) (is_training_stage(*s) ? training : other).push_back(s);
  if (training.empty()) {
    md << "No training stage in `manifest.json` yet.\n\n";
  } else {
    md << "| stage | n_sub | epochs | sub-network passes | teacher passes | images seen | "
          "wall (s) | core-hours |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    double wall = 0, core = 0;
    int64_t passes = 0, teacher = 0, images = 0, epochs = 0;
    for (const StageRecord* s : training) {
      md << "| " << stage_label(*s) << " | " << s->n_sub << " | " << s->epochs << " | "
         << format_count(s->subnet_passes) << " | " << format_count(s->teacher_passes) << " | "
         << format_count(s->images_seen) << " | " << fixed(s->wall_seconds, 1) << " | "
         << core_hours(s->core_seconds) << " |\n";
      wall += s->wall_seconds;
      core += s->core_seconds;
      passes += s->subnet_passes;
      teacher += s->teacher_passes;
      images += s->images_seen;
      epochs += s->epochs;
    }
    md << "| **total** | | " << epochs << " | " << format_count(passes) << " | "
       << format_count(teacher) << " | " << format_count(images) << " | " << fixed(wall, 1) << " | "
       << core_hours(core) << " |\n\n";
    md << "Core-hours are the stage's process CPU time (user + system) / 3600, summed over "
          "resumes; the paper reports GPU hours on an RTX 3090. Wall time of the training "
          "stages: "
       << format_duration(wall) << ".\n\n";
  }
  if (!other.empty()) {
    md << "Other stages:\n\n| stage | images evaluated | wall (s) | core-hours | metrics |\n"
          "|---|---:|---:|---:|---|\n";
    for (const StageRecord* s : other) {
      md << "| " << stage_label(*s) << " | " << format_count(s->eval_images) << " | "
         << fixed(s->wall_seconds, 1) << " | " << core_hours(s->core_seconds) << " | "
         << metrics_text(s->metrics) << " |\n";
    }
    md << "\n";
  }
  double wall = 0, core = 0;
  for (const StageRecord* s : counted) {
    wall += s->wall_seconds;
    core += s->core_seconds;
  }
  md << "All " << counted.size() << " stages (without the report): " << fixed(wall, 1)
     << " s wall (" << format_duration(wall) << "), " << core_hours(core) << " core-hours.\n\n";
}

void write_search_cost(std::ostream& md, const Inputs& in, const ReportOptions& options) {
  md << "## Search cost per query (paper Table 6)\n\n";
  std::optional<double> evo_seconds, evaluations, intervals;
  if (in.manifest) {
    // sparsenas: the sparse-space build; ofa, spos: the family search after training.
    const StageRecord* s = in.manifest->find("sparse_space");
    if (s == nullptr) s = in.manifest->find("family_search");
    if (s != nullptr) {
      evo_seconds = s->metric("seconds_per_interval");
      evaluations = s->metric("evaluations");
      intervals = s->metric("intervals");
    }
  }
  if (!in.family || in.family->size() == 0) {
    md << "Lookup cost: not available (`family.csv` "
       << (in.family ? "has no networks" : "not found") << ").\n\n";
  } else {
    const auto [lo, hi] = macs_range(*in.family);
    const std::string evo = evo_seconds ? format_duration(*evo_seconds) : "n/a";
    md << "| MACs bound (M) | network found: MACs (M), val top-1 (%) | lookup per query (µs) | "
          "evolutionary search, one interval | ratio |\n|---:|---|---:|---:|---:|\n";
    for (int k = 1; k <= 3; ++k) {
      const double limit = lo + (static_cast<double>(hi) - lo) * k / 3.0;
      const auto row = in.family->best_within(search::Bound::kMacs, limit);
      const double seconds = time_lookup(*in.family, limit, options);
      md << "| " << millions(limit) << " | "
         << (row ? millions(static_cast<double>(row->macs)) + ", " + format_percent(row->val_top1)
                 : std::string("none"))
         << " | " << fmt("%.3g", seconds * 1e6) << " | " << evo << " | "
         << (evo_seconds && seconds > 0 ? format_ratio(*evo_seconds / seconds) : "n/a") << " |\n";
    }
    md << "\nLookup: `FamilyTable::best_within` (MACs bound) on the " << in.family->size()
       << " evaluated networks of `family.csv`, timed while writing this report: median over "
       << options.lookup_rounds << " rounds of " << options.lookup_queries_per_round
       << " queries, per query. Bounds at 1/3, 2/3 and all of the family's MACs range ("
       << millions(static_cast<double>(lo)) << "M to " << millions(static_cast<double>(hi))
       << "M). ";
  }
  if (evo_seconds) {
    md << "Evolutionary search: `seconds_per_interval` of the `sparse_space` (or `family_search`) "
          "stage, the mean wall time of one MACs interval's evolutionary search with the "
          "predictor as fitness";
    if (evaluations && intervals && *intervals > 0) {
      md << " (" << fmt("%.0f", *evaluations / *intervals) << " predictor evaluations per "
         << "interval)";
    }
    md << "; it is what one query would cost without the sparse space. Ratio = evolutionary "
          "search / lookup.\n\n";
  } else {
    md << "Evolutionary search cost per interval: not available (no `sparse_space` stage "
          "metrics.seconds_per_interval in `manifest.json`).\n\n";
  }
}

void write_best_networks(std::ostream& md, const Inputs& in, const PlotNotes& notes) {
  md << "## Best networks at MACs budgets (paper Table 7)\n\n";
  std::optional<double> teacher_val, teacher_test;
  if (in.manifest) {
    if (const StageRecord* s = in.manifest->find("teacher")) {
      teacher_val = s->metric("val_top1");
      teacher_test = s->metric("test_top1");
    }
    // The family stage evaluates the teacher on the family's own validation and test images
    // (the test split is touched only there); prefer those, which compare with the table's rows.
    if (const StageRecord* s = in.manifest->find("family")) {
      if (auto v = s->metric("teacher_val_top1")) teacher_val = v;
      if (auto t = s->metric("teacher_test_top1")) teacher_test = t;
    }
  }
  const std::string teacher_line =
      teacher_val || teacher_test
          ? "Teacher (the largest network, trained alone): val top-1 " +
                format_percent(teacher_val.value_or(kNaN)) + "%, test top-1 " +
                format_percent(teacher_test.value_or(kNaN)) + "%."
          : "Teacher accuracy: not available (no `teacher` stage metrics in `manifest.json`).";
  if (!in.family || in.family->size() == 0) {
    md << "Not available (`family.csv` " << (in.family ? "has no networks" : "not found")
       << ").\n\n"
       << teacher_line << "\n\n";
    return;
  }
  const search::FamilyTable& family = *in.family;
  const auto [lo, hi] = macs_range(family);
  // A family built on a latency grid (sparse_space.constraint latency): its predicted latency too.
  const bool predicted = family.has_predicted_latency();
  md << "| MACs bound (M) | MACs (M) | params (M) | latency (ms) | "
     << (predicted ? "predicted latency (ms) | " : "") << "val top-1 (%) | test top-1 (%) |\n|---:|---:|---:|---:|"
     << (predicted ? "---:|" : "") << "---:|---:|\n";
  std::vector<std::string> archs;
  for (int k = 1; k <= 5; ++k) {
    const double limit = lo + (static_cast<double>(hi) - lo) * k / 5.0;
    const auto row = family.best_within(search::Bound::kMacs, limit);
    if (!row) {
      md << "| " << millions(limit) << " | none | | | | |" << (predicted ? " |" : "") << "\n";
      continue;
    }
    md << "| " << millions(limit) << " | " << millions(static_cast<double>(row->macs)) << " | "
       << millions(static_cast<double>(row->params)) << " | " << fixed(row->latency_ms, 2) << " | "
       << (predicted ? fixed(row->predicted_ms, 3) + " | " : "") << format_percent(row->val_top1) << " | " << format_percent(row->test_top1) << " |\n";
    archs.push_back("- <= " + millions(limit) + "M: `" + row->arch.to_string() + "`");
  }
  if (teacher_val || teacher_test) {
    std::string macs = "", params = "";
    if (in.space) {
      macs = millions(static_cast<double>(in.space->macs(in.space->max_arch())));
      params = millions(static_cast<double>(in.space->params(in.space->max_arch())));
    }
    md << "| teacher (largest) | " << macs << " | " << params << " | | " << (predicted ? "| " : "")
       << format_percent(teacher_val.value_or(kNaN)) << " | "
       << format_percent(teacher_test.value_or(kNaN)) << " |\n";
  }
  md << "\nThe most accurate network by validation top-1 (the test set is never used to "
        "select) among the "
     << family.size() << " networks of `family.csv` within each bound, at 5 evenly spaced points "
     << "of the family's MACs range. "
     << (predicted ? "Predicted latency: by the latency table the sparse space was built with "
                     "(`family.csv` predicted_ms). "
                   : "")
     << teacher_line << "\n\nArchitectures (OFA keys):\n\n"
     << join(archs, "\n") << "\n\n";
  const search::FamilyRow& best =
      family.rows()[*family.best_index_within(search::Bound::kMacs, static_cast<double>(hi))];
  md << "Family: " << family.size() << " networks, " << millions(static_cast<double>(lo)) << "M to "
     << millions(static_cast<double>(hi)) << "M MACs; best val top-1 "
     << format_percent(best.val_top1) << "% (test " << format_percent(best.test_top1) << "%, "
     << millions(static_cast<double>(best.macs)) << "M MACs).\n\n";
  md << plot_note(notes, "accuracy_vs_macs") << "\n\n";
}

void write_pairs_noise(std::ostream& md, const predictor::MeasurementNoise& n) {
  md << "Noise of the pairs' measurement (`pairs_noise.json`): each network was evaluated on "
     << format_count(n.images) << " images, split into halves of " << format_count(n.even_images) << " and "
     << format_count(n.odd_images) << " (even and odd positions), over " << format_count(n.networks)
     << " networks.\n\n"
     << "| | points of top-1 |\n|---|---:|\n"
     << "| spread of the pairs (std over networks) | " << fixed(n.spread * 100, 2) << " |\n"
     << "| noise of one accuracy, from the halves | " << fixed(n.noise_se * 100, 2) << " |\n"
     << "| noise of one accuracy, binomial (independent images) | " << fixed(n.binomial_se * 100, 2) << " |\n"
     << "| standard error of a difference of two networks, from the halves | " << fixed(n.diff_se * 100, 2)
     << " |\n"
     << "| standard error of a difference, binomial | " << fixed(n.binomial_diff_se * 100, 2) << " |\n\n"
     << "Split-half correlation " << fixed(n.split_half_r, 3) << ", Spearman-Brown reliability "
     << fixed(n.reliability, 3)
     << " (the share of the spread's variance that is difference between networks rather than noise; "
        "noise below half the spread means a reliability above about 0.75).\n\n";
  if (n.noisy()) {
    md << "**Warning:** the noise of one measurement (" << fixed(n.noise_se * 100, 2)
       << " points) exceeds half the pairs' spread (" << fixed(n.spread * 100, 2)
       << " points): the early predictor learns mostly noise. Evaluate more images per network "
          "(`pairs.val_images`, `data.val_size`).\n\n";
  }
}

void write_sparse_space(std::ostream& md, const Inputs& in) {
  md << "## Sparse search space\n\n";
  if (!in.sparse) {
    md << "Not available (`sparse_space.json` not found).\n\n";
    return;
  }
  const search::SparseSpace& s = *in.sparse;
  const int64_t total =
      search::MacsRange{s.config.min_macs, s.config.max_macs, s.config.interval}.num_intervals();
  // The intervals' unit: MACs, or microseconds of the latency a table predicts.
  const std::string unit = s.config.latency() ? " us" : " MACs";
  md << "| | |\n|---|---|\n"
     << "| networks | " << format_count(s.size()) << " |\n";
  if (s.config.latency()) {
    md << "| constraint | predicted latency (table `" << s.config.latency_table << "`) |\n";
  }
  md << "| intervals | " << format_count(total) << " of " << format_count(s.config.interval)
     << unit << ", from " << format_count(s.config.min_macs) << " to "
     << format_count(s.config.max_macs) << unit << " |\n"
     << "| intervals with networks | " << format_count(static_cast<int64_t>(s.intervals.size()))
     << " |\n"
     << "| unreachable intervals | " << format_count(static_cast<int64_t>(s.unreachable.size()))
     << " |\n"
     << "| networks per interval (top_k, one evolutionary search each) | " << s.config.top_k << " |\n"
     << "| distinct predicted values | "
     << (distinct_predicted(s) > 0 ? format_count(distinct_predicted(s)) : "none (a listed space)") << " |\n"
     << "| predictor evaluations | " << format_count(s.num_evaluations) << " |\n\n";
  if (s.size() > 1 && distinct_predicted(s) > 0 && distinct_predicted(s) * 2 <= s.size()) {
    md << "**Warning:** the early predictor gives " << distinct_predicted(s) << " distinct values to "
       << format_count(s.size())
       << " networks: most of the choice was made by the searches' random tie-break, not by the "
          "predictor.\n\n";
  }
  if (s.unreachable.empty()) {
    md << "Every interval holds at least one network.\n\n";
    return;
  }
  // Consecutive unreachable intervals merged into ranges.
  std::vector<search::SparseInterval> sorted = s.unreachable;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  struct Range {
    int64_t min_macs, max_macs, count, last_index;
  };
  std::vector<Range> ranges;
  for (const auto& u : sorted) {
    if (!ranges.empty() && ranges.back().last_index + 1 == u.index) {
      ranges.back().max_macs = u.max_macs;
      ranges.back().last_index = u.index;
      ++ranges.back().count;
    } else {
      ranges.push_back({u.min_macs, u.max_macs, 1, u.index});
    }
  }
  md << "Unreachable intervals (no network of the space found there), as "
     << (s.config.latency() ? "predicted-latency (us)" : "MACs") << " ranges [from, to):\n\n";
  for (size_t i = 0; i < ranges.size() && i < kMaxListedRanges; ++i) {
    md << "- " << format_count(ranges[i].min_macs) << " to " << format_count(ranges[i].max_macs)
       << " (" << ranges[i].count << (ranges[i].count == 1 ? " interval" : " intervals") << ")\n";
  }
  if (ranges.size() > kMaxListedRanges) {
    md << "- and " << (ranges.size() - kMaxListedRanges) << " more\n";
  }
  md << "\n";
}

void write_training(std::ostream& md, const Inputs& in, const PlotNotes& notes) {
  md << "## Training curves\n\n";
  if (in.histories.empty()) {
    md << "Not available (no `teacher/`, `proxy/` or `supernet/history.json`).\n\n";
    return;
  }
  md << "| stage | epochs | final train loss | final train top-1 (%) | final val top-1 (%) | "
        "best val top-1 (%) | time |\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& [stage, epochs] : in.histories) {
    if (epochs.empty()) {
      md << "| " << stage << " | 0 | | | | | |\n";
      continue;
    }
    double seconds = 0, best = kNaN;
    for (const HistoryEpoch& e : epochs) {
      seconds += e.seconds;
      if (e.val_top1 && !(*e.val_top1 <= best)) best = *e.val_top1;
    }
    const HistoryEpoch& last = epochs.back();
    md << "| " << stage << " | " << epochs.size() << " | " << fixed(last.train_loss, 4) << " | "
       << format_percent(last.train_top1) << " | " << format_percent(last.val_top1.value_or(kNaN))
       << " | " << format_percent(best) << " | " << format_duration(seconds) << " |\n";
  }
  md << "\nValidation top-1 is the mean over the networks validated after each epoch.\n\n"
     << plot_note(notes, "training_curves") << "\n\n";
}

void write_warnings(std::ostream& md, const std::vector<std::string>& warnings) {
  md << "## Warnings\n\n";
  if (warnings.empty()) {
    md << "None: every input was found and every plot rendered.\n";
  } else {
    for (const std::string& w : warnings) md << "- " << w << "\n";
  }
}

}  // namespace sparsenas::report::detail
