#include "sparsenas/pipeline/latency.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "sparsenas/core/clock.h"
#include "sparsenas/core/config_fields.h"
#include "sparsenas/core/error.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/export/onnx.h"
#include "sparsenas/nn/cpu_threads.h"
#include "sparsenas/nn/depthwise_conv.h"
#include "sparsenas/nn/functional.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/predictor/metrics.h"
#include "sparsenas/rundir/artifacts.h"
#include "sparsenas/rundir/run_dir.h"
#include "sparsenas/train/checkpoint.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Times `forward` (warm-up, then repeats), in ms.
template <typename Forward>
std::vector<double> time_forward(Forward&& forward, const LatencyOptions& options) {
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < options.warmup; ++i) forward();
  std::vector<double> times;
  times.reserve(static_cast<size_t>(options.repeats));
  for (int64_t i = 0; i < options.repeats; ++i) {
    const auto start = Clock::now();
    forward();
    times.push_back(elapsed_ms(start));
  }
  return times;
}

// The parts of StaticNetImpl::forward (static_net.cpp), timed one by one for the latency table:
// everything before the elastic blocks, and everything after them. check_parts asserts that
// stem, blocks and head together give net.forward's logits.
torch::Tensor stem_forward(nn::StaticNetImpl& net, const torch::Tensor& input) {
  torch::Tensor x = nn::activate(net.stem_bn(net.stem(input)), net.spec.stem_act);
  torch::Tensor h = nn::activate(net.first_dw_bn(nn::depthwise_conv2d(x, net.first_dw->weight, 1)),
                                 net.spec.first_block_act);
  h = net.first_pw_bn(net.first_pw(h));
  return net.first_residual ? h + x : h;
}

torch::Tensor head_forward(nn::StaticNetImpl& net, torch::Tensor x) {
  if (net.spec.head == "mbv3") {
    x = nn::activate(net.final_expand_bn(net.final_expand(x)), net.spec.head_act);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
    x = nn::activate(net.feature_mix(x), net.spec.head_act);
  } else {
    x = nn::activate(net.feature_mix_bn(net.feature_mix(x)), net.spec.head_act);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
  }
  return net.classifier(net.dropout(x.flatten(1)));
}

void check_parts(nn::StaticNetImpl& net, const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = stem_forward(net, input);
  for (auto& block : net.blocks) x = block->forward(x);
  const torch::Tensor parts = head_forward(net, x);
  const torch::Tensor whole = net.forward(input);
  SNAS_INTERNAL_ASSERT(parts.sizes() == whole.sizes() && torch::allclose(parts, whole, 1e-4, 1e-5),
                       "latency table: stem + blocks + head differ from the network's forward");
}

torch::Tensor network_input(const space::SpaceSpec& spec, int64_t batch) {
  return torch::rand({batch, spec.in_channels, spec.resolution, spec.resolution});
}

bool same_options(const rundir::LatencyRow& row, const LatencyOptions& o) {
  return row.runtime == o.runtime && row.threads == o.threads && row.batch == o.batch && row.warmup == o.warmup &&
         row.repeats == o.repeats;
}

}  // namespace

void validate(const LatencyOptions& options) { config_fields::validate_fields(options, ""); }

std::vector<double> time_network(nn::StaticNetImpl& net, const LatencyOptions& options) {
  validate(options);
  const space::SpaceSpec& spec = net.spec;
  if (options.runtime == "opencv") {
    const std::vector<float> mean(static_cast<size_t>(spec.in_channels), 0.0f);
    const std::vector<float> std(static_cast<size_t>(spec.in_channels), 1.0f);
    const std::string model = exporter::to_onnx(net, mean, std);
    return exporter::time_onnx_opencv(model, options.batch, spec.in_channels, spec.resolution,
                                      static_cast<int>(options.threads), options.warmup, options.repeats);
  }
  nn::configure_cpu_threads(static_cast<int>(options.threads));
  const torch::Tensor input = network_input(spec, options.batch);
  return time_forward([&] { return net.forward(input); }, options);
}

RunLatency measure_run_latency(const fs::path& run_dir, const LatencyOptions& options, const std::string& device) {
  validate(options);
  rundir::check_device_name(device);
  SNAS_CHECK(options.runtime != "opencv" || exporter::onnx_available(),
             "--runtime opencv: this build of sparsenas has no ONNX support (install libonnx-dev libprotobuf-dev "
             "libopencv-dnn-dev, as scripts/setup.sh does, and rebuild)");
  const RunInfo run = read_run(run_dir);
  const search::FamilyTable family = rundir::open_run(run.dir).family();
  SNAS_CHECK(family.size() > 0, "--run ", run.dir, ": ", rundir::kFamily, " holds no network");
  for (const auto& row : family.rows()) run.space.validate(row.arch);

  RunLatency result;
  result.device = device;
  result.file = rundir::device_latency_path(run.dir, device);
  const fs::path partial = run.dir / rundir::kLatencyDir / (device + ".partial.csv");
  // Continue an interrupted measurement with the same options on the same family.
  if (fs::exists(partial)) {
    try {
      std::vector<rundir::LatencyRow> saved = rundir::read_latency_csv(partial);
      size_t keep = 0;
      while (keep < saved.size() && keep < static_cast<size_t>(family.size()) &&
             saved[keep].network == static_cast<int64_t>(keep) &&
             saved[keep].arch.to_string() == family.rows()[keep].arch.to_string() &&
             same_options(saved[keep], options)) {
        ++keep;
      }
      saved.resize(keep);
      result.rows = std::move(saved);
      result.resumed = static_cast<int64_t>(keep);
    } catch (const Error& e) {
      SNAS_LOG(WARN) << "ignoring " << partial.string() << " (" << e.what() << "); measuring from the start";
    }
  }

  nn::configure_cpu_threads(static_cast<int>(options.threads));
  nn::Supernet supernet(run.space, nn::SupernetOptions{kernel_transform(run.config)});
  train::load_checkpoint(run.dir / rundir::kSupernet, *supernet, nullptr, /*restore_rng=*/false);
  supernet->eval();

  SNAS_LOG(INFO) << "latency of " << family.size() << " networks on device " << device << " (" << options.runtime
                 << ", " << options.threads << " threads, batch " << options.batch << ", " << options.warmup
                 << " warm-up + " << options.repeats << " timed runs each)";
  Progress progress("latency", family.size(), "net");
  progress.skip(result.resumed);
  for (size_t i = static_cast<size_t>(result.resumed); i < static_cast<size_t>(family.size()); ++i) {
    if (train::stop_requested()) {
      throw Interrupted("latency: stopped after " + std::to_string(i) + " of " + std::to_string(family.size()) +
                        " networks (saved in " + partial.string() + "); rerun the same command to continue");
    }
    const search::FamilyRow& member = family.rows()[i];
    std::shared_ptr<nn::StaticNetImpl> net = supernet->extract(member.arch);
    net->eval();
    for (auto& p : net->parameters()) p.set_data(p.contiguous());
    for (auto& b : net->buffers()) b.set_data(b.contiguous());
    const rundir::LatencyStats stats = rundir::latency_stats(time_network(*net, options));
    rundir::LatencyRow row;
    row.network = static_cast<int64_t>(i);
    row.arch = member.arch;
    row.macs = member.macs;
    row.runtime = options.runtime;
    row.threads = options.threads;
    row.batch = options.batch;
    row.warmup = options.warmup;
    row.repeats = options.repeats;
    row.median_ms = stats.median_ms;
    row.p90_ms = stats.p90_ms;
    result.rows.push_back(row);
    rundir::write_latency_csv(partial, result.rows);
    char note[64];
    std::snprintf(note, sizeof note, "median %.3f ms", stats.median_ms);
    progress.step(1, note);
  }
  progress.finish();
  rundir::write_latency_csv(result.file, result.rows);
  std::error_code ignored;
  fs::remove(partial, ignored);
  return result;
}

search::LatencyTable build_latency_table(const space::SearchSpace& sp, const LatencyOptions& options,
                                         const std::string& machine) {
  validate(options);
  SNAS_CHECK(options.runtime == "libtorch", "--runtime: latency-table measures in libtorch only, got \"",
             options.runtime, "\"");
  nn::configure_cpu_threads(static_cast<int>(options.threads));
  torch::manual_seed(0);
  const space::SpaceSpec& spec = sp.spec();
  search::LatencyTable table;
  table.space = sp.name();
  table.space_hash = search::space_hash(sp);
  table.resolution = spec.resolution;
  table.in_channels = spec.in_channels;
  table.num_classes = spec.num_classes;
  table.width_mult = spec.width_mult;
  table.runtime = options.runtime;
  table.threads = options.threads;
  table.batch = options.batch;
  table.warmup = options.warmup;
  table.repeats = options.repeats;
  table.machine = machine;
  table.created_at = utc_now();

  // The stem and head come from the largest network (they are the same in every network).
  nn::StaticNet fixed(sp, sp.max_arch());
  fixed->eval();
  const torch::Tensor input = network_input(spec, options.batch);
  check_parts(*fixed, input);
  torch::Tensor head_input;
  {
    torch::NoGradGuard no_grad;
    head_input = stem_forward(*fixed, input);
    for (auto& block : fixed->blocks) head_input = block->forward(head_input);
  }
  const std::vector<search::BlockConfig> configs = search::block_configs(sp);
  Progress progress("latency-table", static_cast<int64_t>(configs.size()), "part");
  for (const search::BlockConfig& c : configs) {
    std::vector<double> times;
    if (c.kind == "stem") {
      times = time_forward([&] { return stem_forward(*fixed, input); }, options);
    } else if (c.kind == "head") {
      times = time_forward([&] { return head_forward(*fixed, head_input); }, options);
    } else {
      nn::StaticBlock block(sp, c.slot, c.kernel, c.expand);
      block->eval();
      const space::BlockLayout& layout = sp.blocks()[c.slot];
      const torch::Tensor x = torch::rand({options.batch, layout.in_channels, c.input_size, c.input_size});
      times = time_forward([&] { return block->forward(x); }, options);
    }
    table.entries[c.key] = rundir::latency_stats(times).median_ms;
    progress.step();
  }
  progress.finish();
  return table;
}

double measure_whole_network_ms(const space::SearchSpace& sp, const space::Arch& arch, const LatencyOptions& options) {
  nn::StaticNet net(sp, arch);
  net->eval();
  LatencyOptions o = options;
  o.runtime = "libtorch";
  return rundir::latency_stats(time_network(*net, o)).median_ms;
}

LatencyTableCheck check_latency_table(const search::LatencyTable& table, const std::string& source,
                                      const space::SearchSpace& sp, const LatencyOptions& options, int64_t count,
                                      uint64_t seed) {
  table.check_space(sp, source);
  SNAS_CHECK(count >= 2, "--check-networks must be >= 2, got ", count);
  Rng rng(mix_seed(seed, 0x4C41'5445'4E43ULL));
  const std::vector<space::Arch> archs = sp.sample_distinct(count, rng);
  LatencyTableCheck check;
  check.networks = count;
  Progress progress("latency-check", count, "net");
  double sq = 0.0, abs = 0.0, signed_sum = 0.0;
  for (const space::Arch& arch : archs) {
    const double predicted = table.predict_ms(sp, arch, source);
    const double measured = measure_whole_network_ms(sp, arch, options);
    check.predicted_ms.push_back(predicted);
    check.measured_ms.push_back(measured);
    const double rel = (predicted - measured) / measured;
    sq += rel * rel;
    abs += std::fabs(rel);
    signed_sum += rel;
    progress.step();
  }
  progress.finish();
  check.rmse_percent = std::sqrt(sq / static_cast<double>(count)) * 100.0;
  check.mean_abs_percent = abs / static_cast<double>(count) * 100.0;
  check.bias_percent = signed_sum / static_cast<double>(count) * 100.0;
  check.kendall_tau = predictor::kendall_tau(check.predicted_ms, check.measured_ms);
  return check;
}

}  // namespace sparsenas::pipeline
