#include "sparsenas/train/trainer.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <utility>

#include "sparsenas/core/error.h"
#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/core/random.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/dist/tensors.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/train/losses.h"
#include "sparsenas/train/lr_schedule.h"
#include "sparsenas/train/optimizer.h"

namespace sparsenas::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Lock-free, so storing to it from a signal handler is safe.
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, value);
  return buffer;
}

bool is_batch_norm(const torch::nn::Module& module) {
  return dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&module) != nullptr ||
         dynamic_cast<const nn::DynamicBatchNormImpl*>(&module) != nullptr;
}

/// Eval mode everywhere (dropout off) except BN layers when the teacher uses batch statistics.
void set_teacher_mode(const Teacher& teacher) {
  teacher.module->eval();
  if (!teacher.batch_statistics) return;
  for (const auto& module : teacher.module->modules(/*include_self=*/true)) {
    if (is_batch_norm(*module)) module->train(true);
  }
}

/// softmax(teacher(images)) with the teacher's buffers (BN running statistics) left unchanged.
torch::Tensor soft_labels(const Teacher& teacher, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> buffers = teacher.module->buffers();
  std::vector<torch::Tensor> saved;
  if (teacher.batch_statistics) {
    saved.reserve(buffers.size());
    for (const auto& b : buffers) saved.push_back(b.clone());
  }
  const torch::Tensor logits = teacher.forward(images);
  for (size_t i = 0; i < saved.size(); ++i) buffers[i].copy_(saved[i]);
  return torch::softmax(logits.to(torch::kFloat), 1);
}

/// The settings that may change between a run and its resumption (they do not affect training).
const std::set<std::string>& resume_free_keys() {
  static const std::set<std::string> keys = {"threads",        "device",         "checkpoint_every",
                                             "eval_batch",     "bn_recal_images", "bn_recal_batch",
                                             "sync_bn"};
  return keys;
}

void check_resumable(const json& saved, const json& now, const fs::path& path) {
  std::string diffs;
  for (const auto& item : now.items()) {
    if (resume_free_keys().count(item.key()) > 0) continue;
    const json old = saved.contains(item.key()) ? saved.at(item.key()) : json();
    if (old == item.value()) continue;
    if (!diffs.empty()) diffs += "; ";
    diffs += item.key() + ": checkpoint " + old.dump() + ", now " + item.value().dump();
  }
  SNAS_CHECK(diffs.empty(), "cannot resume from ", path, ": training settings differ (", diffs,
             "); restore them or start a new run");
}

std::vector<torch::Tensor> clone_buffers(const torch::nn::Module& module) {
  std::vector<torch::Tensor> saved;
  for (const auto& b : module.buffers()) saved.push_back(b.clone());
  return saved;
}

/// FNV-1a over the bytes of every parameter and buffer (a cross-rank equality check).
std::string state_hash(const torch::nn::Module& module) {
  uint64_t h = 1469598103934665603ULL;
  auto add = [&](const torch::Tensor& t) {
    const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    const auto* p = static_cast<const unsigned char*>(c.data_ptr());
    for (size_t i = 0; i < c.nbytes(); ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  for (const auto& t : module.parameters()) add(t);
  for (const auto& t : module.buffers()) add(t);
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(h));
  return text;
}

/// Synchronised batch statistics (see DynamicBatchNormImpl::set_sync_statistics) on or off.
void set_sync_batch_norm(torch::nn::Module& module, bool on) {
  for (const auto& m : module.modules(/*include_self=*/true)) {
    if (auto* bn = dynamic_cast<nn::DynamicBatchNormImpl*>(m.get())) bn->set_sync_statistics(on);
  }
}

void restore_buffers(torch::nn::Module& module, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> buffers = module.buffers();
  SNAS_INTERNAL_ASSERT(buffers.size() == saved.size(), "buffer count changed during validation");
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
}

/// The training loop's working set; one per train() call.
class Run {
 public:
  Run(const TrainConfig& config, nn::SupernetImpl& net, const ArchSampler& sampler,
      const data::Splits& splits, const TrainSetup& setup)
      : config_(config),
        net_(net),
        sampler_(sampler),
        splits_(splits),
        setup_(setup),
        device_(training_device(config)),
        loader_(splits.train, config.batch_size, /*shuffle=*/true, /*drop_last=*/true,
                setup.augment, splits.mean, splits.std, config.seed),
        steps_(loader_.num_batches()),
        sampler_seed_(mix_seed(config.seed, kSamplerStream)),
        config_json_(config) {}

  ~Run() {
    // Give the teacher back in the mode it came in (we switched its BN layers only).
    if (teacher_) teacher_->module->train(teacher_was_training_);
    if (distributed_) {
      net_.set_batch_shard(0, 0);
      set_sync_batch_norm(net_, false);
      if (teacher_) set_sync_batch_norm(*teacher_->module, false);
    }
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  TrainResult run();

 private:
  void prepare();
  void step();
  void end_epoch();
  std::vector<ArchEval> validate();
  void checkpoint();
  void update_wall() { state_.counters.wall_seconds = wall_base_ + seconds_since(start_); }
  void prepare_distributed();
  bool stop_now();

  const TrainConfig& config_;
  nn::SupernetImpl& net_;
  const ArchSampler& sampler_;
  const data::Splits& splits_;
  const TrainSetup& setup_;
  torch::Device device_;
  data::BatchLoader loader_;
  int64_t steps_;
  uint64_t sampler_seed_;
  json config_json_;
  std::optional<Teacher> teacher_;
  bool teacher_was_training_ = false;
  std::unique_ptr<torch::optim::SGD> optimizer_;
  std::optional<space::Arch> fixed_arch_;  ///< canonical
  std::optional<data::Dataset> recal_subset_;
  TrainState state_;
  Clock::time_point start_ = Clock::now();
  double wall_base_ = 0.0;
  bool warned_no_val_ = false;
  bool distributed_ = false;
  bool agreed_stop_ = false;  ///< some rank asked to stop (learnt at the last step's all-reduce)
};

void Run::prepare() {
  SNAS_CHECK(steps_ >= 1, "the training split has ", splits_.train.size(),
             " images, fewer than TrainConfig.batch_size = ", config_.batch_size);
  SNAS_CHECK(!setup_.resume || !setup_.checkpoint.empty(),
             "train: resume requested but no checkpoint path was given");
  SNAS_CHECK(config_.kd_ratio == 0 || setup_.teacher.has_value(), "TrainConfig.kd_ratio is ",
             config_.kd_ratio, " but no teacher was given; set kd_ratio to 0 or pass a teacher");
  if (setup_.teacher && config_.kd_ratio == 0) {
    SNAS_LOG(WARN) << "a teacher was given but TrainConfig.kd_ratio is 0: training without KD";
  }

  net_.to(device_);
  if (config_.channels_last) nn::to_channels_last(net_);
  if (setup_.teacher && config_.kd_ratio > 0) {
    SNAS_CHECK(setup_.teacher->module != nullptr && setup_.teacher->forward != nullptr,
               "train: the teacher has no module or no forward function");
    teacher_ = *setup_.teacher;
    teacher_was_training_ = teacher_->module->is_training();
    teacher_->module->to(device_);
    if (config_.channels_last) nn::to_channels_last(*teacher_->module);
    set_teacher_mode(*teacher_);
  }
  if (const auto fixed = sampler_.fixed_arch()) fixed_arch_ = net_.space().canonical(*fixed);

  optimizer_ = build_optimizer(net_, config_);
  if (setup_.resume) {
    CheckpointMeta meta = load_checkpoint(setup_.checkpoint, net_, optimizer_.get());
    check_resumable(meta.config, config_json_, setup_.checkpoint);
    if (meta.sampler != sampler_.describe()) {
      SNAS_LOG(WARN) << "resuming with another sampler: checkpoint \"" << meta.sampler
                     << "\", now \"" << sampler_.describe() << "\"";
    }
    state_ = std::move(meta.state);
    // Loaded tensors may come back with other strides; restore the layouts of a fresh run.
    if (config_.channels_last) nn::to_channels_last(net_);
    match_momentum_layout(*optimizer_);
    restore_zeroed_gradients(*optimizer_);
    SNAS_LOG(INFO) << "resuming " << setup_.checkpoint.string() << " at epoch " << state_.epoch + 1
                   << "/" << config_.epochs << ", step " << state_.step_in_epoch << "/" << steps_
                   << " (global step " << state_.global_step << ")";
  }
  wall_base_ = state_.counters.wall_seconds;
  prepare_distributed();
}

void Run::prepare_distributed() {
  dist::init();
  distributed_ = dist::is_distributed();
  if (!distributed_) return;
  SNAS_CHECK(device_.is_cpu(), "TrainConfig.device is \"", config_.device, "\" but ", dist::size(),
             " ranks were started: this LibTorch has no NCCL (built without CUDA), so data-parallel training "
             "runs on the CPU only (Gloo); use device \"cpu\" or start one process");
  SNAS_CHECK(config_.batch_size >= dist::size(), "TrainConfig.batch_size is ", config_.batch_size,
             " (the global batch, split over the ranks) but ", dist::size(),
             " ranks were started: give each rank at least one image per step");
  if (config_.sync_bn) {
    set_sync_batch_norm(net_, true);
    if (teacher_) set_sync_batch_norm(*teacher_->module, true);
  }
  // Every rank must start from the same point and draw the same networks.
  dist::check_same("the resume point (epoch, step)",
                   std::to_string(state_.epoch) + "/" + std::to_string(state_.step_in_epoch));
  std::string draws = sampler_.describe();
  for (int j = 0; j < config_.n_sub; ++j) {
    draws += "|" + sampler_.sample(sampler_seed_, state_.epoch, state_.step_in_epoch, j).to_string();
  }
  dist::check_same("the architecture sampler and its first draws (hash)", hash_string(draws));
  dist::check_same("the training settings (hash)", hash_string(config_json_.dump()));
  dist::check_same("the parameters and buffers at the start (hash; same seed or same checkpoint)",
                   state_hash(net_));
  SNAS_LOG(INFO) << "data-parallel: " << dist::size() << " ranks, global batch " << config_.batch_size
                 << " (about " << config_.batch_size / dist::size() << " images per rank), "
                 << (config_.sync_bn ? "synchronised BN statistics" : "per-rank BN statistics");
}

bool Run::stop_now() {
  const bool local =
      stop_requested() || (setup_.callbacks.should_stop && setup_.callbacks.should_stop(state_));
  // With several ranks, a request reaches the others through the next step's all-reduce, and all
  // stop at the same step boundary.
  return distributed_ ? agreed_stop_ : local;
}

TrainResult Run::run() {
  prepare();
  TrainResult result;
  net_.train();
  while (state_.epoch < config_.epochs) {
    loader_.start_epoch(state_.epoch);
    Progress progress(
        "epoch " + std::to_string(state_.epoch + 1) + "/" + std::to_string(config_.epochs),
        steps_ - state_.step_in_epoch, "step");
    while (state_.step_in_epoch < steps_) {
      if (stop_now()) {
        progress.finish();
        checkpoint();
        update_wall();
        SNAS_LOG(INFO) << "training stopped at epoch " << state_.epoch + 1 << ", step "
                       << state_.step_in_epoch << "/" << steps_
                       << (setup_.checkpoint.empty()
                               ? std::string(" (no checkpoint path)")
                               : "; checkpoint " + setup_.checkpoint.string());
        result.state = state_;
        result.interrupted = true;
        return result;
      }
      const int64_t images_before = state_.epoch_images;
      const double seconds_before = state_.epoch_seconds;
      step();
      const double dt = state_.epoch_seconds - seconds_before;
      progress.step(1, "loss " + fixed(state_.epoch_loss_sum / state_.epoch_images, 4) + " " +
                           fixed((state_.epoch_images - images_before) / std::max(dt, 1e-9), 0) +
                           " img/s");
    }
    progress.finish();
    end_epoch();
  }
  update_wall();
  result.state = state_;
  return result;
}

void Run::step() {
  const auto start = Clock::now();
  const int64_t epoch = state_.epoch;
  const int64_t step = state_.step_in_epoch;
  const double lr = learning_rate(config_, epoch, step, steps_);
  set_learning_rate(*optimizer_, lr);

  // Data-parallel: this rank builds (decodes, augments, normalises) only its shard of the global
  // batch, rows [B r / W, B (r + 1) / W), the same rows as one process would.
  const int64_t global_n = loader_.batch_length(step);
  int64_t first = 0, count = global_n;
  if (distributed_) {
    first = global_n * dist::rank() / dist::size();
    count = global_n * (dist::rank() + 1) / dist::size() - first;
  }
  if (distributed_) net_.set_batch_shard(first, global_n);
  const data::Batch batch = loader_.get(step, first, count);
  const torch::Tensor images = batch.images.to(device_);
  const torch::Tensor labels = batch.labels.to(device_);
  // The mean loss of the global batch is the sum over the ranks of (shard / batch) x shard mean.
  const double shard_weight = static_cast<double>(count) / static_cast<double>(global_n);
  torch::Tensor soft;
  if (teacher_) {
    soft = soft_labels(*teacher_, images);
    ++state_.counters.teacher_passes;
  }

  optimizer_->zero_grad();
  StepInfo info;
  torch::Tensor loss_sum, correct;
  for (int j = 0; j < config_.n_sub; ++j) {
    space::Arch arch = sampler_.sample(sampler_seed_, epoch, step, j);
    net_.set_active(arch);
    const torch::Tensor logits = net_.forward(images);
    const torch::Tensor loss =
        training_loss(logits, labels, soft, config_.label_smoothing, config_.kd_ratio);
    if (distributed_) {
      (loss * shard_weight).backward();
    } else {
      loss.backward();  // gradients of the n_sub networks are summed (OFA), not averaged
    }
    const torch::Tensor hits = logits.detach().argmax(1).eq(labels).sum();
    loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach();
    correct = correct.defined() ? correct + hits : hits;
    info.archs.push_back(std::move(arch));
  }
  net_.set_batch_shard(0, 0);
  double loss_total = loss_sum.item<double>();
  int64_t correct_total = correct.item<int64_t>();
  if (distributed_) {
    // One all-reduce per step: every gradient (summed over the n_sub networks, weighted by the
    // shard) and the step's loss, hits and stop request travel in one buffer.
    const bool local_stop =
        stop_requested() || (setup_.callbacks.should_stop && setup_.callbacks.should_stop(state_));
    torch::Tensor stats = torch::tensor({loss_total * shard_weight, static_cast<double>(correct_total),
                                         local_stop ? 1.0 : 0.0},
                                        torch::kFloat);
    std::vector<torch::Tensor> tensors;
    for (const auto& p : net_.parameters()) {
      if (p.grad().defined()) tensors.push_back(p.mutable_grad());
    }
    tensors.push_back(stats);
    dist::all_reduce_sum_(tensors);
    loss_total = stats[0].item<double>();
    correct_total = static_cast<int64_t>(std::llround(stats[1].item<double>()));
    agreed_stop_ = stats[2].item<double>() > 0;
  }
  if (config_.grad_clip > 0)
    torch::nn::utils::clip_grad_norm_(net_.parameters(), config_.grad_clip);
  optimizer_->step();

  const double loss = loss_total / static_cast<double>(config_.n_sub);
  SNAS_CHECK(std::isfinite(loss), "training diverged: the loss is ", loss, " at epoch ", epoch + 1,
             ", step ", step, " (lr ", lr, "); lower TrainConfig.lr or set grad_clip");
  const int64_t n = global_n;
  state_.epoch_loss_sum += loss * static_cast<double>(n);
  state_.epoch_images += n;
  state_.epoch_correct += correct_total;
  state_.epoch_predictions += n * config_.n_sub;
  state_.last_lr = lr;
  state_.step_in_epoch += 1;
  state_.global_step += 1;
  state_.counters.optimizer_steps += 1;
  state_.counters.subnet_passes += config_.n_sub;
  state_.counters.images_seen += n;
  const double seconds = seconds_since(start);
  state_.epoch_seconds += seconds;
  state_.counters.train_seconds += seconds;

  if (setup_.callbacks.on_step) {
    info.epoch = epoch;
    info.step_in_epoch = step;
    info.global_step = state_.global_step;
    info.lr = lr;
    info.loss = loss;
    setup_.callbacks.on_step(info);
  }
  // The epoch-end checkpoint covers the last step of an epoch.
  if (config_.checkpoint_every > 0 && state_.global_step % config_.checkpoint_every == 0 &&
      state_.step_in_epoch < steps_) {
    checkpoint();
  }
}

std::vector<ArchEval> Run::validate() {
  std::vector<ArchEval> results;
  if (setup_.val_archs.empty()) return results;
  if (splits_.val.size() == 0) {
    if (!warned_no_val_) {
      SNAS_LOG(WARN) << "the validation split is empty: no validation";
    }
    warned_no_val_ = true;
    return results;
  }
  const auto start = Clock::now();
  // Recalibration overwrites shared running statistics; validation must not change the run.
  const std::vector<torch::Tensor> saved = clone_buffers(net_);
  // Data-parallel: network i is validated by rank i mod W; the results are summed over the ranks.
  const int ranks = distributed_ ? dist::size() : 1, me = distributed_ ? dist::rank() : 0;
  std::vector<double> shared(2 * setup_.val_archs.size(), 0.0);
  for (size_t i = 0; i < setup_.val_archs.size(); ++i) {
    const space::Arch& requested = setup_.val_archs[i];
    ArchEval eval;
    eval.arch = net_.space().canonical(requested);
    // A fixed architecture trained alone owns the running statistics already (no recalibration).
    eval.recalibrated = !(fixed_arch_ && *fixed_arch_ == eval.arch);
    if (static_cast<int>(i % static_cast<size_t>(ranks)) != me) {
      results.push_back(std::move(eval));
      continue;
    }
    if (eval.recalibrated) {
      if (!recal_subset_) {
        recal_subset_ = bn_recalibration_subset(splits_.train, config_.bn_recal_images);
      }
      recalibrate_bn(net_, eval.arch, *recal_subset_, config_.bn_recal_batch, splits_.mean,
                     splits_.std, device_);
    }
    const EvalResult r = evaluate(net_, eval.arch, splits_.val, config_.eval_batch, splits_.mean,
                                  splits_.std, device_);
    eval.top1 = r.top1;
    eval.loss = r.loss;
    shared[2 * i] = r.top1;
    shared[2 * i + 1] = r.loss;
    results.push_back(std::move(eval));
  }
  if (distributed_) {
    dist::all_reduce_sum(shared.data(), shared.size());
    for (size_t i = 0; i < results.size(); ++i) {
      results[i].top1 = shared[2 * i];
      results[i].loss = shared[2 * i + 1];
    }
  }
  restore_buffers(net_, saved);
  net_.train();
  state_.counters.eval_seconds += seconds_since(start);
  return results;
}

void Run::end_epoch() {
  EpochSummary summary;
  summary.epoch = state_.epoch;
  summary.train_loss =
      state_.epoch_loss_sum / static_cast<double>(std::max<int64_t>(state_.epoch_images, 1));
  summary.train_top1 = static_cast<double>(state_.epoch_correct) /
                       static_cast<double>(std::max<int64_t>(state_.epoch_predictions, 1));
  summary.lr = state_.last_lr;
  summary.seconds = state_.epoch_seconds;
  summary.images_per_second = state_.epoch_seconds > 0
                                  ? static_cast<double>(state_.epoch_images) / state_.epoch_seconds
                                  : 0;
  summary.val = validate();
  if (!summary.val.empty()) {
    double sum = 0;
    for (const ArchEval& e : summary.val) sum += e.top1;
    summary.val_top1 = sum / static_cast<double>(summary.val.size());
    if (*summary.val_top1 > state_.best_val_top1) {
      state_.best_val_top1 = *summary.val_top1;
      state_.best_epoch = state_.epoch;
    }
  }
  state_.history.push_back(summary);
  state_.epoch += 1;
  state_.step_in_epoch = 0;
  state_.epoch_loss_sum = 0;
  state_.epoch_images = 0;
  state_.epoch_correct = 0;
  state_.epoch_predictions = 0;
  state_.epoch_seconds = 0;
  checkpoint();

  std::ostringstream line;
  line << "epoch " << summary.epoch + 1 << "/" << config_.epochs << ": train loss "
       << fixed(summary.train_loss, 4) << " top1 " << fixed(summary.train_top1, 4) << " lr "
       << summary.lr;
  if (summary.val_top1) {
    line << " | val top1 " << fixed(*summary.val_top1, 4) << " (" << summary.val.size()
         << (summary.val.size() == 1 ? " net)" : " nets)");
  }
  line << " | " << fixed(summary.seconds, 1) << " s, " << fixed(summary.images_per_second, 0)
       << " img/s";
  SNAS_LOG(INFO) << line.str();
  if (setup_.callbacks.on_epoch_end) setup_.callbacks.on_epoch_end(summary);
}

void Run::checkpoint() {
  // Rank 0 alone writes; the others hold the same state (identical parameters and optimizer).
  if (setup_.checkpoint.empty() || !dist::is_main()) return;
  update_wall();
  CheckpointMeta meta;
  meta.state = state_;
  meta.config = config_json_;
  meta.sampler = sampler_.describe();
  save_checkpoint(setup_.checkpoint, net_, optimizer_.get(), meta);
}

}  // namespace

void request_stop() noexcept { g_stop_requested.store(true, std::memory_order_relaxed); }
void clear_stop_request() noexcept { g_stop_requested.store(false, std::memory_order_relaxed); }
bool stop_requested() noexcept { return g_stop_requested.load(std::memory_order_relaxed); }

Teacher make_teacher(nn::StaticNet net) {
  Teacher teacher;
  teacher.module = net.ptr();
  teacher.forward = [net](const torch::Tensor& x) mutable { return net->forward(x); };
  return teacher;
}

Teacher make_teacher(nn::Supernet net, const space::Arch& arch) {
  net->set_active(arch);
  Teacher teacher;
  teacher.module = net.ptr();
  teacher.forward = [net](const torch::Tensor& x) mutable { return net->forward(x); };
  return teacher;
}

torch::Device training_device(const TrainConfig& config) {
  config.validate();
  return torch::Device(config.device);
}

TrainResult train(const TrainConfig& config, nn::SupernetImpl& net, const ArchSampler& sampler,
                  const data::Splits& splits, const TrainSetup& setup) {
  config.validate();
  nn::configure_cpu_threads(static_cast<int>(resolved_threads(config)));
  Run run(config, net, sampler, splits, setup);
  return run.run();
}

}  // namespace sparsenas::train
