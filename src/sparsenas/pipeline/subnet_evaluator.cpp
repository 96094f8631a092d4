#include "sparsenas/pipeline/subnet_evaluator.h"

#include <cstring>

#include "sparsenas/core/hash.h"
#include "sparsenas/core/log.h"
#include "sparsenas/core/progress.h"
#include "sparsenas/dist/world.h"
#include "sparsenas/pipeline/pipeline.h"
#include "sparsenas/train/evaluate.h"
#include "sparsenas/train/trainer.h"

namespace sparsenas::pipeline {

SubnetEvaluator::SubnetEvaluator(nn::SupernetImpl& net, data::Dataset recal, std::vector<float> mean,
                                 std::vector<float> std, int64_t recal_batch, int64_t eval_batch, torch::Device device)
    : net_(net),
      recal_(std::move(recal)),
      mean_(std::move(mean)),
      std_(std::move(std)),
      recal_batch_(recal_batch),
      eval_batch_(eval_batch),
      device_(device) {}

void SubnetEvaluator::recalibrate(const space::Arch& arch) {
  train::recalibrate_bn(net_, arch, recal_, recal_batch_, mean_, std_, device_);
}

double SubnetEvaluator::top1(const space::Arch& arch, const data::Dataset& split) {
  return train::evaluate(net_, arch, split, eval_batch_, mean_, std_, device_).top1;
}

train::EvalResult SubnetEvaluator::evaluate(const space::Arch& arch, const data::Dataset& split) {
  return train::evaluate(net_, arch, split, eval_batch_, mean_, std_, device_);
}

rundir::SplitIdentity split_identity(const data::Dataset& d) {
  if (d.size() == 0) return {0, ""};
  const torch::Tensor images = d.images.contiguous();
  const torch::Tensor labels = d.labels.to(torch::kLong).contiguous();
  std::string bytes(static_cast<const char*>(images.data_ptr()), images.nbytes());
  bytes.append(static_cast<const char*>(labels.data_ptr()), labels.nbytes());
  return {d.size(), hash_string(bytes)};
}

data::Dataset first_images(const data::Dataset& d, int64_t n) {
  if (n <= 0 || n >= d.size()) return d;
  return d.subset(torch::arange(n));
}

namespace {

std::string to_bytes(const std::vector<double>& numbers) {
  return std::string(reinterpret_cast<const char*>(numbers.data()), numbers.size() * sizeof(double));
}

std::vector<double> from_bytes(const std::string& bytes) {
  std::vector<double> numbers(bytes.size() / sizeof(double));
  std::memcpy(numbers.data(), bytes.data(), numbers.size() * sizeof(double));
  return numbers;
}

}  // namespace

void run_loop(const ResumableLoop& loop) {
  const size_t ranks = static_cast<size_t>(dist::size()), me = static_cast<size_t>(dist::rank());
  const bool writer = dist::is_main();
  dist::check_same(loop.label + ": networks to evaluate and networks already evaluated (read back)",
                   std::to_string(loop.total) + "/" + std::to_string(loop.done));
  Progress progress(loop.label, static_cast<int64_t>(loop.total), "net");
  progress.skip(static_cast<int64_t>(loop.done));
  for (size_t first = loop.done; first < loop.total; first += ranks) {
    if (dist::any_rank(train::stop_requested())) {
      if (!loop.save) throw Interrupted(loop.label + " interrupted; nothing written");
      if (first > 0 && writer) loop.save();
      throw Interrupted("interrupted during " + loop.label + " (" + std::to_string(first) +
                        " networks saved); rerun the same command to continue");
    }
    const size_t mine = first + me;
    std::string bytes;
    if (mine < loop.total) bytes = to_bytes(loop.measure(mine));
    const std::vector<std::string> round = dist::all_gather_bytes(bytes);
    bool save_now = false;
    for (size_t r = 0; r < ranks && first + r < loop.total; ++r) {
      const size_t i = first + r;
      loop.record(i, from_bytes(round[r]));
      progress.step(1, loop.note ? loop.note() : "");
      save_now = save_now || (i + 1) % 10 == 0;
    }
    if (loop.save && save_now && writer) loop.save();
  }
  progress.finish();
}

size_t resume_rows(const std::filesystem::path& partial, const std::string& label,
                   const std::function<size_t()>& read, const std::function<bool(size_t)>& matches,
                   const std::function<void()>& clear) {
  if (!std::filesystem::exists(partial)) return 0;
  const size_t rows = read();
  bool prefix = true;
  for (size_t i = 0; prefix && i < rows; ++i) prefix = matches(i);
  if (!prefix) {
    SNAS_LOG(WARN) << partial.string() << " does not match the networks to evaluate; starting over";
    clear();
    return 0;
  }
  if (rows > 0) {
    SNAS_LOG(INFO) << label << ": continuing after " << rows << " evaluated networks";
  }
  return rows;
}

}  // namespace sparsenas::pipeline
