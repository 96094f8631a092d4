#include "sparsenas/report/report_plots.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sparsenas/report/format.h"

namespace sparsenas::report::detail {
namespace fs = std::filesystem;
using rundir::HeldoutPredictions;
using rundir::HistoryEpoch;

PlotNotes render_plots(const fs::path& run_dir, const std::vector<Plot>& plots,
                       const ReportOptions& options, ReportResult& result) {
  RenderedPlots rendered = report::render_plots(run_dir, plots, options.plots, options.gnuplot);
  result.plots.insert(result.plots.end(), rendered.plots.begin(), rendered.plots.end());
  result.warnings.insert(result.warnings.end(), rendered.warnings.begin(), rendered.warnings.end());
  return rendered.notes;
}

std::string plot_note(const PlotNotes& notes, const std::string& name) {
  const auto it = notes.find(name);
  return it == notes.end() ? "" : it->second;
}

std::optional<Plot> accuracy_plot(const Inputs& in) {
  if (!in.family || in.family->size() == 0) return std::nullopt;
  Plot p;
  p.name = "accuracy_vs_macs";
  p.alt = "family top-1 accuracy vs MACs";
  std::ostringstream data;
  data << "# macs_M val_top1_percent test_top1_percent\n";
  bool any_test = false;
  for (const search::FamilyRow& r : in.family->rows()) {
    data << data_number(r.macs / 1e6) << ' ' << data_number(r.val_top1 * 100) << ' '
         << data_number(r.test_top1 * 100) << '\n';
    any_test = any_test || std::isfinite(r.test_top1);
  }
  p.data.emplace_back("accuracy_vs_macs.dat", data.str());
  std::ostringstream body;
  body << "set title 'Sparse-space family: top-1 accuracy vs MACs (" << in.family->size()
       << " networks)'\n"
       << "set xlabel 'MACs (M)'\nset ylabel 'top-1 (%)'\nset grid\nset key bottom right\n"
       << "plot 'accuracy_vs_macs.dat' using 1:2 with points pt 7 ps 0.7 title 'validation top-1'";
  if (any_test) body << ", \\\n     '' using 1:3 with points pt 6 ps 0.9 title 'test top-1'";
  body << "\n";
  p.body = body.str();
  return p;
}

std::optional<Plot> latency_plot(const Inputs& in) {
  if (in.devices.empty()) return std::nullopt;
  Plot p;
  p.name = "accuracy_vs_latency";
  p.alt = "family top-1 accuracy vs latency per device";
  // One block per device, separated by two blank lines (gnuplot's `index`).
  std::ostringstream data;
  std::ostringstream plot;
  int index = 0;
  for (const auto& [device, family] : in.devices) {
    data << (index ? "\n\n" : "") << "# device " << device << "\n# latency_ms val_top1_percent\n";
    for (const search::FamilyRow& r : family.rows()) {
      if (std::isnan(r.latency_ms)) continue;
      data << data_number(r.latency_ms) << ' ' << data_number(r.val_top1 * 100) << '\n';
    }
    plot << (index ? ", \\\n     " : "plot ") << "'accuracy_vs_latency.dat' index " << index
         << " using 1:2 with points pt 7 ps 0.7 title '" << device << "'";
    ++index;
  }
  p.data.emplace_back("accuracy_vs_latency.dat", data.str());
  std::ostringstream body;
  body << "set title 'Family: validation top-1 vs latency per device (" << in.devices.size() << " devices)'\n"
       << "set xlabel 'median latency (ms)'\nset ylabel 'top-1 (%)'\nset grid\nset key bottom right\n"
       << "set logscale x\n"
       << plot.str() << "\n";
  p.body = body.str();
  return p;
}

std::optional<Plot> prediction_plot(const Inputs& in, const SparseVsFamily& matched) {
  const bool heldout = in.heldout && in.heldout->size() > 0 && !in.heldout->predictors.empty();
  const bool sparse = !matched.measured.empty();
  if (!heldout && !sparse) return std::nullopt;
  Plot p;
  p.name = "predicted_vs_measured";
  p.alt = "predicted vs measured validation top-1";
  std::ostringstream body;
  if (heldout && sparse) {
    p.width = 1400;
    body << "set multiplot layout 1,2\n";
  }
  body << "set grid\nset key top left\n";
  if (heldout) {
    const HeldoutPredictions& h = *in.heldout;
    std::ostringstream data;
    data << "# measured_val_top1_percent";
    for (const std::string& name : h.predictors) data << ' ' << name;
    data << '\n';
    for (size_t r = 0; r < h.size(); ++r) {
      data << data_number(h.val_top1[r] * 100);
      for (const auto& column : h.predicted) data << ' ' << data_number(column[r] * 100);
      data << '\n';
    }
    p.data.emplace_back("heldout.dat", data.str());
    body << "set title 'Held-out pairs (" << h.size() << "): predicted vs measured'\n"
         << "set xlabel 'measured val top-1 (%)'\nset ylabel 'predicted val top-1 (%)'\n"
         << "plot x with lines dt 2 lc rgb 'gray' title 'y = x'";
    for (size_t k = 0; k < h.predictors.size(); ++k) {
      body << ", \\\n     'heldout.dat' using 1:" << (k + 2) << " with points pt " << (k % 12 + 1)
           << " ps 1.3"
           << " title " << gnuplot_quote(h.predictors[k]);
    }
    body << "\n";
  }
  if (sparse) {
    std::ostringstream data;
    data << "# family_val_top1_percent early_predictor_percent\n";
    for (size_t i = 0; i < matched.measured.size(); ++i) {
      data << data_number(matched.measured[i] * 100) << ' '
           << data_number(matched.predicted[i] * 100) << '\n';
    }
    p.data.emplace_back("sparse_vs_family.dat", data.str());
    body << "set title 'Sparse space (" << matched.measured.size()
         << " networks): early predictor vs family'\n"
         << "set xlabel 'family val top-1 (%), sparse supernet'\n"
         << "set ylabel 'early predictor (%), proxy scale'\n"
         << "plot 'sparse_vs_family.dat' using 1:2 with points pt 7 ps 0.7 title 'networks'\n";
  }
  if (heldout && sparse) body << "unset multiplot\n";
  p.body = body.str();
  return p;
}

std::optional<Plot> training_plot(const Inputs& in) {
  std::vector<const std::pair<std::string, std::vector<HistoryEpoch>>*> stages;
  bool any_val = false;
  for (const auto& h : in.histories) {
    if (h.second.empty()) continue;
    stages.push_back(&h);
    for (const HistoryEpoch& e : h.second) any_val = any_val || e.val_top1.has_value();
  }
  if (stages.empty()) return std::nullopt;
  Plot p;
  p.name = "training_curves";
  p.alt = "training loss and validation top-1 per epoch";
  std::ostringstream body;
  if (any_val) {
    p.width = 1400;
    body << "set multiplot layout 1,2\n";
  }
  int64_t max_epoch = 0;
  for (const auto* stage : stages) max_epoch = std::max(max_epoch, stage->second.back().epoch + 1);
  body << "set grid\nset xlabel 'epoch'\nset key top right\n"
       << (max_epoch <= 12 ? "set xtics 1\n" : "");
  for (const auto* stage : stages) {
    std::ostringstream data;
    data << "# epoch(1-based) train_loss val_top1_percent\n";
    for (const HistoryEpoch& e : stage->second) {
      data << (e.epoch + 1) << ' ' << data_number(e.train_loss) << ' '
           << data_number(e.val_top1 ? *e.val_top1 * 100 : kNaN) << '\n';
    }
    p.data.emplace_back("history_" + stage->first + ".dat", data.str());
  }
  body << "set title 'Training loss'\nset ylabel 'train loss'\nplot ";
  for (size_t i = 0; i < stages.size(); ++i) {
    body << (i ? ", \\\n     " : "") << gnuplot_quote("history_" + stages[i]->first + ".dat")
         << " using 1:2 with linespoints title " << gnuplot_quote(stages[i]->first);
  }
  body << "\n";
  if (any_val) {
    body << "set title 'Validation top-1'\nset ylabel 'val top-1 (%)'\nset key bottom right\n"
         << "plot ";
    bool first = true;
    for (const auto* stage : stages) {
      const bool has_val =
          std::any_of(stage->second.begin(), stage->second.end(),
                      [](const HistoryEpoch& e) { return e.val_top1.has_value(); });
      if (!has_val) continue;
      body << (first ? "" : ", \\\n     ") << gnuplot_quote("history_" + stage->first + ".dat")
           << " using 1:3 with linespoints title " << gnuplot_quote(stage->first);
      first = false;
    }
    body << "\nunset multiplot\n";
  }
  p.body = body.str();
  return p;
}

}  // namespace sparsenas::report::detail
