#include "sparsenas/nnpredictor/neural_predictor.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"
#include "sparsenas/predictor/features.h"

namespace sparsenas::nnpredictor {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Per-slot token layout (the same one-hot order as predictor/features.cpp)

std::vector<int> sorted_unique(std::vector<int> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

struct TokenLayout {
  std::vector<int> kernel_count, expand_count;    // per slot
  std::vector<int> kernel_offset, expand_offset;  // per slot, into the encode() row
  int max_kernels = 0, max_expands = 0;
  int dim = 0;  // feature_dim
  int width() const { return max_kernels + max_expands; }
};

TokenLayout make_token_layout(const space::SearchSpace& space) {
  TokenLayout t;
  const int slots = space.num_slots();
  for (int slot = 0; slot < slots; ++slot) {
    const space::StageSpec& stage = space.spec().stages[space.blocks()[slot].stage];
    std::vector<int> expands = stage.expands;
    expands.insert(expands.end(), stage.coupled_expands.begin(), stage.coupled_expands.end());
    t.kernel_count.push_back(static_cast<int>(sorted_unique(stage.kernels).size()));
    t.expand_count.push_back(static_cast<int>(sorted_unique(std::move(expands)).size()));
    t.max_kernels = std::max(t.max_kernels, t.kernel_count.back());
    t.max_expands = std::max(t.max_expands, t.expand_count.back());
  }
  for (int slot = 0; slot < slots; ++slot) {
    t.kernel_offset.push_back(t.dim);
    t.dim += t.kernel_count[slot];
  }
  for (int slot = 0; slot < slots; ++slot) {
    t.expand_offset.push_back(t.dim);
    t.dim += t.expand_count[slot];
  }
  SNAS_INTERNAL_ASSERT(t.dim == predictor::feature_dim(space), "token layout covers ", t.dim,
                       " features, the encoding has ", predictor::feature_dim(space));
  return t;
}

// ---------------------------------------------------------------------------------------------
// Networks

struct Net : torch::nn::Module {
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

// OFA's AccuracyPredictor: n_layers x (Linear + ReLU), then Linear(hidden, 1).
struct MlpNet : Net {
  MlpNet(int64_t in, int64_t hidden) {
    for (int i = 0; i < 3; ++i) {
      layers.push_back(register_module("fc" + std::to_string(i),
                                       torch::nn::Linear(i == 0 ? in : hidden, hidden)));
    }
    out = register_module("out", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor h = x;
    for (auto& layer : layers) h = torch::relu(layer->forward(h));
    return out->forward(h);
  }
  std::vector<torch::nn::Linear> layers;
  torch::nn::Linear out{nullptr};
};

// One-layer LSTM over the slot tokens; the final hidden state goes through Linear(hidden, 1).
struct LstmNet : Net {
  LstmNet(int64_t token_width, int64_t hidden) {
    lstm = register_module(
        "lstm", torch::nn::LSTM(
                    torch::nn::LSTMOptions(token_width, hidden).num_layers(1).batch_first(true)));
    out = register_module("out", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) override {  // x: [batch, slots, token_width]
    const auto result = lstm->forward(x);
    const torch::Tensor h_n = std::get<0>(std::get<1>(result));  // [1, batch, hidden]
    return out->forward(h_n[0]);
  }
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Linear out{nullptr};
};

// Sets LibTorch's intra-op thread count for a scope and restores the previous one.
class ThreadScope {
 public:
  explicit ThreadScope(int64_t threads) {
    if (threads > 0) {
      previous_ = torch::get_num_threads();
      if (previous_ != threads) torch::set_num_threads(static_cast<int>(threads));
    }
  }
  ~ThreadScope() {
    if (previous_ > 0 && torch::get_num_threads() != previous_) torch::set_num_threads(previous_);
  }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_ = 0;
};

torch::Tensor to_tensor(const std::vector<float>& values, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat32).clone();
}

int64_t count_parameters(const Net& net) {
  int64_t count = 0;
  for (const auto& p : net.parameters()) count += p.numel();
  return count;
}

constexpr const char* kFormat = "sparsenas-neural-predictor";
constexpr int kFormatVersion = 1;

fs::path sidecar_of(const fs::path& path) { return fs::path(path.string() + ".json"); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// NeuralPredictorConfig

NeuralPredictorConfig NeuralPredictorConfig::for_mlp() { return NeuralPredictorConfig{}; }

NeuralPredictorConfig NeuralPredictorConfig::for_lstm() {
  NeuralPredictorConfig c;
  c.hidden = 100;
  c.lr = 3e-3;
  c.batch_size = 32;
  c.epochs = 30;
  return c;
}

void NeuralPredictorConfig::validate() const { config_fields::validate_fields(*this, kName); }

void to_json(json& j, const NeuralPredictorConfig& c) { j = config_fields::to_json(c); }

void from_json(const json& j, NeuralPredictorConfig& c) {
  config_fields::read(j, c, NeuralPredictorConfig::kName);
}

// ---------------------------------------------------------------------------------------------
// NeuralAccuracyPredictor

struct NeuralAccuracyPredictor::Impl {
  Kind kind;
  space::SearchSpace space;
  NeuralPredictorConfig config;
  std::shared_ptr<Net> net;  // null until fit or load
  double target_mean = 0.0;
  double target_std = 1.0;
  double final_loss = std::numeric_limits<double>::quiet_NaN();

  Impl(Kind k, space::SearchSpace s, NeuralPredictorConfig c)
      : kind(k), space(std::move(s)), config(std::move(c)) {}

  const char* name() const { return kind == Kind::kMlp ? "mlp" : "lstm"; }

  std::shared_ptr<Net> make_net() const {
    if (kind == Kind::kMlp) {
      return std::make_shared<MlpNet>(predictor::feature_dim(space), config.hidden);
    }
    return std::make_shared<LstmNet>(LstmAccuracyPredictor::token_width(space), config.hidden);
  }

  // The network input of `archs`: [n, feature_dim] (MLP) or [n, slots, token_width] (LSTM).
  // Validates every architecture.
  torch::Tensor inputs(const std::vector<space::Arch>& archs) const {
    const auto n = static_cast<int64_t>(archs.size());
    if (kind == Kind::kMlp) {
      return to_tensor(predictor::encode_batch(space, archs), {n, predictor::feature_dim(space)});
    }
    return to_tensor(LstmAccuracyPredictor::encode_tokens(space, archs),
                     {n, space.num_slots(), LstmAccuracyPredictor::token_width(space)});
  }
};

NeuralAccuracyPredictor::NeuralAccuracyPredictor(Kind kind, space::SearchSpace space,
                                                 NeuralPredictorConfig config) {
  config.validate();
  impl_ = std::make_unique<Impl>(kind, std::move(space), std::move(config));
}

NeuralAccuracyPredictor::~NeuralAccuracyPredictor() = default;
NeuralAccuracyPredictor::NeuralAccuracyPredictor(NeuralAccuracyPredictor&&) noexcept = default;
NeuralAccuracyPredictor& NeuralAccuracyPredictor::operator=(NeuralAccuracyPredictor&&) noexcept =
    default;

std::string NeuralAccuracyPredictor::name() const { return impl_->name(); }
const space::SearchSpace& NeuralAccuracyPredictor::search_space() const { return impl_->space; }
const NeuralPredictorConfig& NeuralAccuracyPredictor::config() const { return impl_->config; }
bool NeuralAccuracyPredictor::fitted() const { return impl_->net != nullptr; }
int64_t NeuralAccuracyPredictor::num_parameters() const {
  return impl_->net ? count_parameters(*impl_->net) : 0;
}
double NeuralAccuracyPredictor::final_train_loss() const { return impl_->final_loss; }

void NeuralAccuracyPredictor::fit(const std::vector<space::Arch>& archs,
                                  const std::vector<double>& accuracies) {
  Impl& m = *impl_;
  const std::string who = std::string("predictor ") + m.name();
  SNAS_CHECK(!archs.empty(), who, ": fit needs at least one architecture");
  SNAS_CHECK(archs.size() == accuracies.size(), who,
             ": fit needs one accuracy per architecture, got ", archs.size(), " architectures and ",
             accuracies.size(), " accuracies");
  for (size_t i = 0; i < accuracies.size(); ++i) {
    SNAS_CHECK(std::isfinite(accuracies[i]), who, ": accuracy ", i, " must be finite, got ",
               accuracies[i]);
  }
  m.net.reset();  // a failed fit leaves the predictor unfitted
  m.final_loss = std::numeric_limits<double>::quiet_NaN();

  const NeuralPredictorConfig& c = m.config;
  const ThreadScope threads(c.threads);
  torch::manual_seed(c.seed);

  const torch::Tensor x = m.inputs(archs);  // validates the architectures
  const auto n = static_cast<int64_t>(archs.size());

  // Standardised targets, in double until the final float conversion.
  const double mean = std::accumulate(accuracies.begin(), accuracies.end(), 0.0) / n;
  double var = 0.0;
  for (double a : accuracies) var += (a - mean) * (a - mean);
  double sd = std::sqrt(var / n);
  if (!(sd > 0.0) || !std::isfinite(sd)) sd = 1.0;
  std::vector<float> y_values(n);
  for (int64_t i = 0; i < n; ++i) y_values[i] = static_cast<float>((accuracies[i] - mean) / sd);
  const torch::Tensor y = to_tensor(y_values, {n, 1});

  std::shared_ptr<Net> net = m.make_net();
  net->train();
  torch::optim::Adam optimizer(net->parameters(),
                               torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));

  Rng rng(c.seed);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  double epoch_loss = 0.0;
  for (int64_t epoch = 0; epoch < c.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64);
    epoch_loss = 0.0;
    for (int64_t start = 0; start < n; start += c.batch_size) {
      const int64_t size = std::min(c.batch_size, n - start);
      const torch::Tensor index = perm.narrow(0, start, size);
      const torch::Tensor xb = x.index_select(0, index);
      const torch::Tensor yb = y.index_select(0, index);
      optimizer.zero_grad();
      const torch::Tensor loss = torch::mse_loss(net->forward(xb), yb);
      loss.backward();
      optimizer.step();
      epoch_loss += loss.item<double>() * static_cast<double>(size);
    }
  }
  net->eval();
  m.net = std::move(net);
  m.target_mean = mean;
  m.target_std = sd;
  m.final_loss = epoch_loss / static_cast<double>(n);
}

std::vector<double> NeuralAccuracyPredictor::predict(const std::vector<space::Arch>& archs) const {
  const Impl& m = *impl_;
  SNAS_CHECK(m.net != nullptr, "predictor ", m.name(), ": predict before fit (or load)");
  if (archs.empty()) return {};
  const ThreadScope threads(m.config.threads);
  torch::NoGradGuard no_grad;
  const torch::Tensor out =
      m.net->forward(m.inputs(archs)).reshape({-1}).to(torch::kFloat64).contiguous();
  std::vector<double> result(out.data_ptr<double>(), out.data_ptr<double>() + out.numel());
  for (double& v : result) v = v * m.target_std + m.target_mean;
  return result;
}

void NeuralAccuracyPredictor::save(const fs::path& path) const {
  const Impl& m = *impl_;
  SNAS_CHECK(m.net != nullptr, "predictor ", m.name(), ": save before fit (or load)");
  torch::serialize::OutputArchive archive;
  m.net->save(archive);
  write_atomic_with(path, [&](const fs::path& tmp) { archive.save_to(tmp.string()); });
  json meta;
  meta["format"] = kFormat;
  meta["version"] = kFormatVersion;
  meta["kind"] = m.name();
  meta["space"] = m.space.name();
  meta["feature_dim"] = predictor::feature_dim(m.space);
  meta["num_slots"] = m.space.num_slots();
  meta["token_width"] = LstmAccuracyPredictor::token_width(m.space);
  meta["config"] = m.config;
  meta["target_mean"] = m.target_mean;
  meta["target_std"] = m.target_std;
  meta["final_train_loss"] = m.final_loss;
  write_json_file(sidecar_of(path), meta);
}

NeuralAccuracyPredictor NeuralAccuracyPredictor::load_as(Kind kind, const fs::path& path,
                                                         space::SearchSpace space) {
  const char* kind_name = kind == Kind::kMlp ? "mlp" : "lstm";
  const fs::path sidecar = sidecar_of(path);
  const json meta = read_json_file(sidecar);
  SNAS_CHECK(meta.is_object() && meta.value("format", std::string()) == kFormat, sidecar,
             ": not a neural predictor sidecar (expected \"format\": \"", kFormat, "\")");
  SNAS_CHECK(meta.value("version", -1) == kFormatVersion, sidecar, ": version must be ",
             kFormatVersion, ", got ", meta.value("version", json(nullptr)).dump());
  const std::string saved_kind = meta.value("kind", std::string());
  SNAS_CHECK(saved_kind == kind_name, sidecar, ": kind must be \"", kind_name, "\", got \"",
             saved_kind, "\"");
  const int dim = predictor::feature_dim(space);
  const int width = LstmAccuracyPredictor::token_width(space);
  SNAS_CHECK(meta.value("feature_dim", -1) == dim &&
                 meta.value("num_slots", -1) == space.num_slots() &&
                 meta.value("token_width", -1) == width,
             "predictor model ", path, " reads ", meta.value("feature_dim", -1), " features (",
             meta.value("num_slots", -1), " slots of ", meta.value("token_width", -1),
             " values), but space ", space.name(), " encodes to ", dim, " (", space.num_slots(),
             " slots of ", width, ") (a model of another search space?)");
  SNAS_CHECK(meta.contains("config"), sidecar, ": missing key \"config\"");
  NeuralPredictorConfig config;
  from_json(meta.at("config"), config);
  const auto number = [&](const char* key) {
    const auto it = meta.find(key);
    SNAS_CHECK(it != meta.end() && it->is_number(), sidecar, ": \"", key,
               "\" must be a number, got ", it == meta.end() ? "nothing" : it->dump());
    return it->get<double>();
  };
  const double mean = number("target_mean");
  const double sd = number("target_std");
  SNAS_CHECK(std::isfinite(mean) && std::isfinite(sd) && sd > 0, sidecar,
             ": target_mean must be finite and target_std finite and > 0, got ", mean, " and ", sd);

  NeuralAccuracyPredictor loaded(kind, std::move(space), config);
  Impl& m = *loaded.impl_;
  std::shared_ptr<Net> net = m.make_net();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    net->load(archive);
  } catch (const c10::Error& e) {
    SNAS_FAIL("predictor model ", path, ": cannot read the ", kind_name,
              " parameters: ", e.what_without_backtrace());
  }
  net->eval();
  m.net = std::move(net);
  m.target_mean = mean;
  m.target_std = sd;
  const auto loss = meta.find("final_train_loss");
  m.final_loss = loss != meta.end() && loss->is_number() ? loss->get<double>()
                                                         : std::numeric_limits<double>::quiet_NaN();
  return loaded;
}

// ---------------------------------------------------------------------------------------------
// MlpAccuracyPredictor, LstmAccuracyPredictor

MlpAccuracyPredictor::MlpAccuracyPredictor(space::SearchSpace space, NeuralPredictorConfig config)
    : NeuralAccuracyPredictor(Kind::kMlp, std::move(space), std::move(config)) {}

MlpAccuracyPredictor::MlpAccuracyPredictor(NeuralAccuracyPredictor&& loaded)
    : NeuralAccuracyPredictor(std::move(loaded)) {}

MlpAccuracyPredictor MlpAccuracyPredictor::load(const fs::path& path, space::SearchSpace space) {
  return MlpAccuracyPredictor(load_as(Kind::kMlp, path, std::move(space)));
}

LstmAccuracyPredictor::LstmAccuracyPredictor(space::SearchSpace space, NeuralPredictorConfig config)
    : NeuralAccuracyPredictor(Kind::kLstm, std::move(space), std::move(config)) {}

LstmAccuracyPredictor::LstmAccuracyPredictor(NeuralAccuracyPredictor&& loaded)
    : NeuralAccuracyPredictor(std::move(loaded)) {}

LstmAccuracyPredictor LstmAccuracyPredictor::load(const fs::path& path, space::SearchSpace space) {
  return LstmAccuracyPredictor(load_as(Kind::kLstm, path, std::move(space)));
}

int LstmAccuracyPredictor::token_width(const space::SearchSpace& space) {
  return make_token_layout(space).width();
}

std::vector<float> LstmAccuracyPredictor::encode_tokens(const space::SearchSpace& space,
                                                        const std::vector<space::Arch>& archs) {
  const TokenLayout t = make_token_layout(space);
  const std::vector<float> rows = predictor::encode_batch(space, archs);  // validates
  const int slots = space.num_slots();
  const int width = t.width();
  std::vector<float> tokens(archs.size() * static_cast<size_t>(slots) * width, 0.0f);
  for (size_t i = 0; i < archs.size(); ++i) {
    const float* row = rows.data() + i * t.dim;
    for (int slot = 0; slot < slots; ++slot) {
      float* token = tokens.data() + (i * slots + slot) * width;
      std::copy_n(row + t.kernel_offset[slot], t.kernel_count[slot], token);
      std::copy_n(row + t.expand_offset[slot], t.expand_count[slot], token + t.max_kernels);
    }
  }
  return tokens;
}

}  // namespace sparsenas::nnpredictor
