#include "sparsenas/export/torchscript.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

#include <torch/script.h>  // for torch::jit::load

#include "sparsenas/core/error.h"
#include "sparsenas/export/input_normalization.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/nn/supernet.h"

namespace sparsenas::exporter {

namespace {

using space::Activation;

/// A Python float literal that reads back as exactly `value`.
std::string float_literal(double value) {
  std::ostringstream out;
  out << std::setprecision(std::numeric_limits<double>::max_digits10) << value;
  std::string text = out.str();
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string int_list(const torch::ExpandingArray<2>& values) {
  return "[" + std::to_string((*values)[0]) + ", " + std::to_string((*values)[1]) + "]";
}

/// Writes the body of `forward` line by line and registers the tensors it reads. Every method
/// mirrors the layer of the same name in static_net.cpp in eval mode.
class SourceWriter {
 public:
  explicit SourceWriter(torch::jit::Module& module) : module_(module) {}

  void line(const std::string& text) { body_ << "    " << text << "\n"; }
  std::string body() const { return body_.str(); }

  /// Registers a copy of `tensor` (contiguous NCHW float32 CPU) as `name`; returns "self.name".
  std::string tensor(const std::string& name, const torch::Tensor& tensor, bool buffer) {
    torch::Tensor copy = tensor.detach().to(torch::kCPU, torch::kFloat, /*non_blocking=*/false, /*copy=*/true,
                                            torch::MemoryFormat::Contiguous);
    copy.set_requires_grad(false);
    module_.register_parameter(name, copy, buffer);
    return "self." + name;
  }

  /// `x = conv(x)` with the layer's stride, padding, dilation and groups.
  void conv(const std::string& out, const std::string& in, const std::string& name,
            const torch::nn::Conv2d& layer) {
    const auto& options = layer->options;
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&options.padding());
    SNAS_CHECK(padding != nullptr, "export: layer ", name, ".padding: expected explicit padding, got 'same'/'valid'");
    SNAS_CHECK(c10::get_if<torch::enumtype::kZeros>(&options.padding_mode()) != nullptr, "export: layer ", name,
               ".padding_mode: expected zeros, got ", torch::enumtype::get_enum_name(options.padding_mode()));
    const std::string weight = tensor(name + "_weight", layer->weight, /*buffer=*/false);
    const std::string bias =
        layer->bias.defined() ? tensor(name + "_bias", layer->bias, /*buffer=*/false) : std::string("None");
    line(out + " = torch.conv2d(" + in + ", " + weight + ", " + bias + ", " + int_list(options.stride()) + ", " +
         int_list(*padding) + ", " + int_list(options.dilation()) + ", " + std::to_string(options.groups()) + ")");
  }

  /// `x = batch_norm(x)` with the running statistics (eval mode).
  void batch_norm(const std::string& out, const std::string& in, const std::string& name,
                  const torch::nn::BatchNorm2d& layer) {
    SNAS_CHECK(layer->running_mean.defined() && layer->running_var.defined(), "export: layer ", name,
               ".track_running_stats: expected true (eval mode needs running statistics), got false");
    const std::string weight =
        layer->weight.defined() ? tensor(name + "_weight", layer->weight, /*buffer=*/false) : std::string("None");
    const std::string bias =
        layer->bias.defined() ? tensor(name + "_bias", layer->bias, /*buffer=*/false) : std::string("None");
    const std::string mean = tensor(name + "_running_mean", layer->running_mean, /*buffer=*/true);
    const std::string var = tensor(name + "_running_var", layer->running_var, /*buffer=*/true);
    // cudnn_enabled only matters after the user moves the module to a GPU.
    line(out + " = torch.batch_norm(" + in + ", " + weight + ", " + bias + ", " + mean + ", " + var +
         ", False, 0.0, " + float_literal(layer->options.eps()) + ", True)");
  }

  void activate(const std::string& x, Activation act) {
    switch (act) {
      case Activation::kIdentity: return;
      case Activation::kRelu: line(x + " = torch.relu(" + x + ")"); return;
      case Activation::kRelu6: line(x + " = torch.hardtanh(" + x + ", 0.0, 6.0)"); return;
      case Activation::kHSwish: line(x + " = torch.hardswish(" + x + ")"); return;
    }
    SNAS_INTERNAL_ASSERT(false, "unhandled activation ", static_cast<int>(act));
  }

  void block(int index, const nn::StaticBlockImpl& block) {
    const std::string p = "blocks_" + std::to_string(index) + "_";
    line("# block " + std::to_string(index) + ": stage " + std::to_string(block.layout.stage) + ", " +
         std::to_string(block.layout.in_channels) + " -> " + std::to_string(block.mid) + " -> " +
         std::to_string(block.layout.out_channels) + ", stride " + std::to_string(block.layout.stride));
    SNAS_INTERNAL_ASSERT(!block.expand.is_empty(), "block ", index, " has no expand conv");
    conv("h", "x", p + "expand", block.expand);
    batch_norm("h", "h", p + "expand_bn", block.expand_bn);
    activate("h", block.layout.act);
    conv("h", "h", p + "dw", block.dw);
    batch_norm("h", "h", p + "dw_bn", block.dw_bn);
    activate("h", block.layout.act);
    if (block.layout.se) {
      line("s = torch.adaptive_avg_pool2d(h, [1, 1])");
      conv("s", "s", p + "se_reduce", block.se_reduce);
      line("s = torch.relu(s)");
      conv("s", "s", p + "se_expand", block.se_expand);
      line("s = torch.hardsigmoid(s)");
      line("h = h * s");
    }
    conv("h", "h", p + "project", block.project);
    batch_norm("h", "h", p + "project_bn", block.project_bn);
    line(block.layout.residual ? "x = h + x" : "x = h");
  }

 private:
  torch::jit::Module& module_;
  std::ostringstream body_;
};

torch::Tensor channel_tensor(const std::vector<double>& values) {
  return torch::tensor(values, torch::kDouble).to(torch::kFloat).reshape({1, -1, 1, 1});
}

}  // namespace

torch::jit::Module to_torchscript(const nn::StaticNetImpl& net, const std::vector<float>& mean,
                                  const std::vector<float>& std) {
  const space::SpaceSpec& spec = net.spec;
  const int64_t channels = spec.in_channels;
  const std::vector<double> mean_values = per_channel(mean, "mean", channels);
  const std::vector<double> std_values = per_channel(std, "std", channels);
  for (size_t c = 0; c < std_values.size(); ++c) {
    SNAS_CHECK(std_values[c] > 0, "export: std[", c, "]: expected > 0, got ", std_values[c]);
  }
  SNAS_CHECK(spec.head == "mbv3" || spec.head == "proxyless", "export: spec.head: expected mbv3 or proxyless, got ",
             spec.head);

  torch::jit::Module module("SparsenasNet");
  // Python's ScriptModule expects `training`; Module::train() only sets an existing attribute.
  module.register_attribute("training", c10::BoolType::get(), false);
  module.register_attribute("input_channels", c10::IntType::get(), channels);
  module.register_attribute("input_size", c10::IntType::get(), static_cast<int64_t>(spec.resolution));
  module.register_attribute("num_classes", c10::IntType::get(), static_cast<int64_t>(spec.num_classes));
  module.register_attribute("mean", c10::ListType::ofFloats(), c10::List<double>(mean_values));
  module.register_attribute("std", c10::ListType::ofFloats(), c10::List<double>(std_values));
  module.register_attribute("space", c10::StringType::get(), spec.name);
  module.register_attribute("arch", c10::StringType::get(), net.arch.to_string());

  SourceWriter w(module);
  const std::string input_mean = w.tensor("input_mean", channel_tensor(mean_values), /*buffer=*/true);
  const std::string input_std = w.tensor("input_std", channel_tensor(std_values), /*buffer=*/true);
  w.line("assert x.dim() == 4 and x.size(1) == self.input_channels, \"expected a float tensor N x " +
         std::to_string(channels) + " x H x W with pixel values in [0, 1]\"");
  w.line("x = (x - " + input_mean + ") / " + input_std);
  w.line("# stem");
  w.conv("x", "x", "stem", net.stem);
  w.batch_norm("x", "x", "stem_bn", net.stem_bn);
  w.activate("x", spec.stem_act);
  w.line("# first block");
  w.conv("h", "x", "first_dw", net.first_dw);
  w.batch_norm("h", "h", "first_dw_bn", net.first_dw_bn);
  w.activate("h", spec.first_block_act);
  w.conv("h", "h", "first_pw", net.first_pw);
  w.batch_norm("h", "h", "first_pw_bn", net.first_pw_bn);
  w.line(net.first_residual ? "x = h + x" : "x = h");
  for (size_t i = 0; i < net.blocks.size(); ++i) w.block(static_cast<int>(i), *net.blocks[i]);
  w.line("# head (" + spec.head + ")");
  if (spec.head == "mbv3") {
    w.conv("x", "x", "final_expand", net.final_expand);
    w.batch_norm("x", "x", "final_expand_bn", net.final_expand_bn);
    w.activate("x", spec.head_act);
    w.line("x = torch.adaptive_avg_pool2d(x, [1, 1])");
    w.conv("x", "x", "feature_mix", net.feature_mix);
    w.activate("x", spec.head_act);
  } else {
    w.conv("x", "x", "feature_mix", net.feature_mix);
    w.batch_norm("x", "x", "feature_mix_bn", net.feature_mix_bn);
    w.activate("x", spec.head_act);
    w.line("x = torch.adaptive_avg_pool2d(x, [1, 1])");
  }
  const std::string weight = w.tensor("classifier_weight", net.classifier->weight, /*buffer=*/false);
  const std::string bias = net.classifier->bias.defined()
                               ? w.tensor("classifier_bias", net.classifier->bias, /*buffer=*/false)
                               : std::string("None");
  w.line("return torch.linear(x.flatten(1), " + weight + ", " + bias + ")");

  const std::string source = "def forward(self, x):\n" + w.body();
  try {
    module.define(source);
  } catch (const std::exception& e) {
    SNAS_FAIL("internal error (please report): the generated TorchScript does not compile: ", e.what(),
              "\n--- source ---\n", source);
  }
  module.eval();
  return module;
}

void save_torchscript(const nn::StaticNetImpl& net, const std::vector<float>& mean, const std::vector<float>& std,
                      const std::filesystem::path& path) {
  const torch::jit::Module module = to_torchscript(net, mean, std);
  try {
    write_atomic_with(path, [&](const std::filesystem::path& tmp) { module.save(tmp.string()); });
  } catch (const Error& e) {
    SNAS_FAIL("export: cannot write TorchScript file ", path, ": ", e.what());
  } catch (const std::exception& e) {
    // c10::Error from the zip writer, std::filesystem::filesystem_error from the directories.
    const std::string what = e.what();
    SNAS_FAIL("export: cannot write TorchScript file ", path, ": ", what.substr(0, what.find('\n')));
  }
}

TorchScriptCheck check_torchscript(const std::filesystem::path& path, nn::StaticNetImpl& net,
                                   const torch::Tensor& pixels, const torch::Tensor& normalized) {
  torch::jit::Module loaded = torch::jit::load(path.string());
  torch::Tensor exported, reference;
  {
    torch::NoGradGuard no_grad;
    exported = loaded.forward({pixels}).toTensor();
    reference = net.forward(normalized);
  }
  TorchScriptCheck check;
  check.images = pixels.size(0);
  check.max_abs_diff = (exported - reference).abs().max().item<double>();
  check.max_abs_logit = reference.abs().max().item<double>();
  // float32 sums in another order: allow 1e-5 relative to the size of the logits.
  SNAS_CHECK(check.max_abs_diff <= 1e-5 * std::max(1.0, check.max_abs_logit),
             "internal check failed: the exported file's outputs differ ", "from the network's by ",
             check.max_abs_diff, " (largest logit ", check.max_abs_logit, "; please report this)");
  return check;
}

}  // namespace sparsenas::exporter
