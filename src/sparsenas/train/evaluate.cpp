#include "sparsenas/train/evaluate.h"

#include <algorithm>
#include <chrono>

#include "sparsenas/core/error.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/nn/static_net.h"
#include "sparsenas/nn/supernet.h"

namespace sparsenas::train {
namespace {

/// Puts a module in eval mode for its lifetime, then restores its previous mode.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& module)
      : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

data::BatchLoader make_loader(const data::Dataset& dataset, int64_t batch,
                              const std::vector<float>& mean, const std::vector<float>& std) {
  SNAS_CHECK(batch >= 1, "evaluation batch size must be >= 1, got ", batch);
  return data::BatchLoader(dataset, batch, /*shuffle=*/false, /*drop_last=*/false,
                           /*augment=*/false, mean, std, /*seed=*/0);
}

}  // namespace

data::Dataset bn_recalibration_subset(const data::Dataset& train, int64_t count, uint64_t seed) {
  SNAS_CHECK(count >= 1, "bn_recalibration_subset: count must be >= 1, got ", count);
  SNAS_CHECK(train.size() >= 1, "bn_recalibration_subset: the training split is empty");
  const std::vector<int64_t> order = data::random_permutation(train.size(), seed);
  const int64_t n = std::min<int64_t>(count, train.size());
  auto indices =
      torch::tensor(std::vector<int64_t>(order.begin(), order.begin() + n), torch::kLong);
  return train.subset(indices);
}

void recalibrate_bn(nn::SupernetImpl& net, const space::Arch& arch, const data::Dataset& subset,
                    int64_t batch, const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device) {
  SNAS_CHECK(subset.size() >= 1, "recalibrate_bn: the recalibration subset is empty");
  const data::BatchLoader loader = make_loader(subset, batch, mean, std);
  EvalModeGuard eval_mode(net);
  torch::NoGradGuard no_grad;
  net.set_active(arch);
  net.begin_bn_recalibration();
  for (int64_t i = 0; i < loader.num_batches(); ++i) {
    net.forward(loader.get(i).images.to(device));
  }
  net.end_bn_recalibration();
}

EvalResult evaluate(const ForwardFn& forward, const data::Dataset& dataset, int64_t batch,
                    const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device) {
  SNAS_CHECK(dataset.size() >= 1, "evaluate: the dataset is empty");
  const auto start = std::chrono::steady_clock::now();
  const data::BatchLoader loader = make_loader(dataset, batch, mean, std);
  torch::NoGradGuard no_grad;
  // Sums stay on the device; one transfer at the end.
  torch::Tensor loss_sum =
      torch::scalar_tensor(0.0, torch::TensorOptions().dtype(torch::kDouble).device(device));
  torch::Tensor correct =
      torch::scalar_tensor(0, torch::TensorOptions().dtype(torch::kLong).device(device));
  std::vector<torch::Tensor> hits;  // per batch, on the device
  for (int64_t i = 0; i < loader.num_batches(); ++i) {
    const data::Batch b = loader.get(i);
    const torch::Tensor labels = b.labels.to(device);
    const torch::Tensor logits = forward(b.images.to(device)).to(torch::kFloat);
    SNAS_CHECK(logits.dim() == 2 && logits.size(0) == labels.size(0),
               "evaluate: the network returned logits of shape ", logits.sizes(), " for ",
               labels.size(0), " images");
    loss_sum += torch::nll_loss(torch::log_softmax(logits, 1), labels, {}, at::Reduction::Sum)
                    .to(torch::kDouble);
    hits.push_back(logits.argmax(1).eq(labels));
    correct += hits.back().sum();
  }
  EvalResult result;
  result.images = dataset.size();
  result.loss = loss_sum.item<double>() / static_cast<double>(result.images);
  result.top1 = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(result.images);
  const torch::Tensor all = torch::cat(hits).to(torch::kCPU, torch::kUInt8).contiguous();
  result.correct.assign(all.data_ptr<uint8_t>(), all.data_ptr<uint8_t>() + all.numel());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

EvalResult evaluate(nn::SupernetImpl& net, const space::Arch& arch, const data::Dataset& dataset,
                    int64_t batch, const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device) {
  EvalModeGuard eval_mode(net);
  net.set_active(arch);
  return evaluate([&net](const torch::Tensor& x) { return net.forward(x); }, dataset, batch, mean,
                  std, device);
}

EvalResult evaluate(nn::StaticNetImpl& net, const data::Dataset& dataset, int64_t batch,
                    const std::vector<float>& mean, const std::vector<float>& std,
                    torch::Device device) {
  EvalModeGuard eval_mode(net);
  return evaluate([&net](const torch::Tensor& x) { return net.forward(x); }, dataset, batch, mean,
                  std, device);
}

}  // namespace sparsenas::train
