// ONNX export (declared in onnx.h): the graph is written node by node with libonnx's protobuf
// classes, checked with libonnx's checker and shape inference, and run with OpenCV's DNN module.
// Only this file includes protobuf, onnx and OpenCV headers.
#include "sparsenas/export/onnx.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include "sparsenas/core/error.h"
#include "sparsenas/export/input_normalization.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::exporter {

namespace {

using space::Activation;

constexpr const char* kInput = "input";
constexpr const char* kOutput = "logits";
/// IR version 7 is the one ONNX 1.9 introduced with opset 14: the oldest that can hold this opset,
/// so older runtimes read the file too.
constexpr int64_t kIrVersion = 7;

std::string json_list(const std::vector<double>& values) {
  std::ostringstream out;
  out << std::setprecision(std::numeric_limits<float>::max_digits10) << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

/// Height (= width) of `layer`'s output for an input of `size` x `size` (explicit padding only:
/// GraphWriter::conv has rejected the others before this is asked).
int64_t output_size(int64_t size, const torch::nn::Conv2d& layer) {
  const auto& o = layer->options;
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  SNAS_INTERNAL_ASSERT(padding != nullptr, "output_size: padding is not explicit");
  return (size + 2 * (**padding)[0] - (*o.dilation())[0] * ((*o.kernel_size())[0] - 1) - 1) / (*o.stride())[0] + 1;
}

/// Builds the graph: every method appends nodes (and their initializers) and returns the name of
/// the value it produced. Each mirrors the layer of the same name in static_net.cpp in eval mode.
class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto& graph) : graph_(graph) {}

  /// A float32 initializer of `shape` holding `values` (little-endian raw data).
  std::string initializer(const std::string& name, const std::vector<int64_t>& shape,
                          const std::vector<float>& values) {
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_FLOAT);
    int64_t count = 1;
    for (int64_t d : shape) {
      t->add_dims(d);
      count *= d;
    }
    SNAS_INTERNAL_ASSERT(count == static_cast<int64_t>(values.size()), "initializer ", name, ": shape holds ",
                         count, " values, got ", values.size());
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ONNX raw_data is little-endian");
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    return name;
  }

  std::string scalar(const std::string& name, float value) { return initializer(name, {}, {value}); }

  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs, const std::string& name) {
    onnx::NodeProto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(name);
    return n;
  }

  static void ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& values) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  static void integer(onnx::NodeProto* n, const std::string& name, int64_t value) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(value);
  }
  static void text(onnx::NodeProto* n, const std::string& name, const std::string& value) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s(value);
  }
  static void real(onnx::NodeProto* n, const std::string& name, float value) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(value);
  }

  /// Conv with the following BatchNorm (if any) folded into its weight and bias:
  /// W' = W * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta, in double.
  std::string conv(const std::string& in, const std::string& name, const torch::nn::Conv2d& layer,
                   const torch::nn::BatchNorm2d* bn = nullptr, const std::string& bn_name = "") {
    const auto& options = layer->options;
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&options.padding());
    SNAS_CHECK(padding != nullptr, "export to ONNX: layer ", name,
               ".padding: expected explicit padding (ONNX Conv has no 'same'/'valid' of LibTorch's kind), got ",
               c10::get_if<torch::enumtype::kSame>(&options.padding()) ? "'same'" : "'valid'");
    SNAS_CHECK(c10::get_if<torch::enumtype::kZeros>(&options.padding_mode()) != nullptr, "export to ONNX: layer ",
               name, ".padding_mode: expected zeros (ONNX Conv pads with zeros only), got ",
               torch::enumtype::get_enum_name(options.padding_mode()));
    torch::Tensor weight = layer->weight.detach().to(torch::kCPU, torch::kDouble).contiguous();
    const int64_t out = weight.size(0);
    torch::Tensor bias = layer->bias.defined() ? layer->bias.detach().to(torch::kCPU, torch::kDouble)
                                               : torch::zeros({out}, torch::kDouble);
    if (bn != nullptr) {
      const auto& norm = *bn;
      SNAS_CHECK(norm->running_mean.defined() && norm->running_var.defined(), "export to ONNX: layer ", bn_name,
                 ".track_running_stats: expected true (BN is folded with its running statistics), got false");
      const auto d = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble); };
      const torch::Tensor gamma = norm->weight.defined() ? d(norm->weight) : torch::ones({out}, torch::kDouble);
      const torch::Tensor beta = norm->bias.defined() ? d(norm->bias) : torch::zeros({out}, torch::kDouble);
      const torch::Tensor scale = gamma / torch::sqrt(d(norm->running_var) + norm->options.eps());
      weight = weight * scale.reshape({-1, 1, 1, 1});
      bias = (bias - d(norm->running_mean)) * scale + beta;
    }
    const std::string w = tensor(name + "_weight", weight);
    const std::string b = tensor(name + "_bias", bias);
    onnx::NodeProto* n = node("Conv", {in, w, b}, name);
    ints(n, "kernel_shape", {weight.size(2), weight.size(3)});
    ints(n, "strides", {(*options.stride())[0], (*options.stride())[1]});
    ints(n, "pads", {(**padding)[0], (**padding)[1], (**padding)[0], (**padding)[1]});
    ints(n, "dilations", {(*options.dilation())[0], (*options.dilation())[1]});
    integer(n, "group", options.groups());
    return name;
  }

  std::string activate(const std::string& x, Activation act, const std::string& name) {
    switch (act) {
      case Activation::kIdentity: return x;
      case Activation::kRelu: return node("Relu", {x}, name + "_relu")->output(0);
      case Activation::kRelu6: {
        // relu(x) - relu(x - 6), not Clip(x, 0, 6): OpenCV 4.6 reads only the Clip of opsets < 11
        // (min and max as attributes), and HardSwish needs opset 14.
        if (six_.empty()) six_ = scalar("six", 6.0f);
        const std::string low = node("Relu", {x}, name + "_relu6_low")->output(0);
        const std::string shifted = node("Sub", {x, six_}, name + "_relu6_shift")->output(0);
        const std::string high = node("Relu", {shifted}, name + "_relu6_high")->output(0);
        return node("Sub", {low, high}, name + "_relu6")->output(0);
      }
      case Activation::kHSwish: return node("HardSwish", {x}, name + "_hswish")->output(0);
    }
    SNAS_INTERNAL_ASSERT(false, "unhandled activation ", static_cast<int>(act));
    return x;
  }

  /// Squeeze-and-excitation: x * h_sigmoid(conv(relu(conv(avgpool(x))))); `x` is [N, C, size, size].
  std::string se(const std::string& x, const std::string& p, const nn::StaticBlockImpl& block, int64_t size) {
    std::string s = node("GlobalAveragePool", {x}, p + "se_pool")->output(0);
    s = conv(s, p + "se_reduce", block.se_reduce);
    s = node("Relu", {s}, p + "se_reduce_relu")->output(0);
    s = conv(s, p + "se_expand", block.se_expand);
    // torch's hardsigmoid: relu6(x + 3) / 6 = clamp(x / 6 + 0.5, 0, 1).
    onnx::NodeProto* h = node("HardSigmoid", {s}, p + "se_hsigmoid");
    real(h, "alpha", 1.0f / 6.0f);
    real(h, "beta", 0.5f);
    // The [N, C, 1, 1] gate is first repeated to [N, C, size, size] (Resize, nearest): OpenCV 4.6
    // cannot broadcast a computed [N, C, 1, 1] tensor in Mul when N > 1.
    const std::string scales = "se_scales_" + std::to_string(size);
    if (std::find(scales_.begin(), scales_.end(), scales) == scales_.end()) {
      const float s = static_cast<float>(size);
      initializer(scales, {4}, {1.0f, 1.0f, s, s});
      scales_.push_back(scales);
    }
    onnx::NodeProto* gate = node("Resize", {h->output(0), "", scales}, p + "se_gate");
    text(gate, "mode", "nearest");
    return node("Mul", {x, gate->output(0)}, p + "se_scale")->output(0);
  }

  /// `x` is [N, in, size, size]; `size` becomes the block's output size.
  std::string block(const std::string& x, int index, const nn::StaticBlockImpl& block, int64_t& size) {
    const std::string p = "blocks_" + std::to_string(index) + "_";
    SNAS_INTERNAL_ASSERT(!block.expand.is_empty(), "block ", index, " has no expand conv");
    std::string h = conv(x, p + "expand", block.expand, &block.expand_bn, p + "expand_bn");
    h = activate(h, block.layout.act, p + "expand");
    h = conv(h, p + "dw", block.dw, &block.dw_bn, p + "dw_bn");
    size = output_size(size, block.dw);
    h = activate(h, block.layout.act, p + "dw");
    if (block.layout.se) h = se(h, p, block, size);
    h = conv(h, p + "project", block.project, &block.project_bn, p + "project_bn");
    return block.layout.residual ? node("Add", {h, x}, p + "residual")->output(0) : h;
  }

 private:
  std::string tensor(const std::string& name, const torch::Tensor& t) {
    const torch::Tensor f = t.to(torch::kFloat).contiguous();
    std::vector<float> values(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    return initializer(name, f.sizes().vec(), values);
  }

  onnx::GraphProto& graph_;
  std::string six_;
  std::vector<std::string> scales_;
};

void set_float_tensor_type(onnx::ValueInfoProto* value, const std::vector<int64_t>& dims) {
  auto* type = value->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  auto* shape = type->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0) {
      shape->add_dim()->set_dim_param("N");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  auto* prop = model.add_metadata_props();
  prop->set_key(key);
  prop->set_value(value);
}

/// libonnx's checker and strict shape inference on `model`; throws with `what` and their message.
void run_onnx_checker(const onnx::ModelProto& model, const std::string& what) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
  } catch (const std::exception& e) {
    SNAS_FAIL(what, ": ", e.what());
  }
}

onnx::ModelProto build_model(const nn::StaticNetImpl& net, const std::vector<float>& mean,
                             const std::vector<float>& std) {
  const space::SpaceSpec& spec = net.spec;
  const int64_t channels = spec.in_channels;
  const std::vector<double> mean_values = per_channel(mean, "mean", channels);
  const std::vector<double> std_values = per_channel(std, "std", channels);
  for (size_t c = 0; c < std_values.size(); ++c) {
    SNAS_CHECK(std_values[c] > 0, "export: std[", c, "]: expected > 0, got ", std_values[c]);
  }
  SNAS_CHECK(spec.head == "mbv3" || spec.head == "proxyless",
             "export to ONNX: spec.head: expected mbv3 or proxyless (the heads with an ONNX mapping), got ",
             spec.head);

  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("sparsenas");
  model.set_producer_version("0.1.0");
  model.set_model_version(1);
  model.set_doc_string("sparsenas " + spec.name + " network " + net.arch.to_string() +
                       "; input float32 N x C x H x W in [0, 1], normalised inside; output logits");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  add_metadata(model, "space", spec.name);
  add_metadata(model, "arch", net.arch.to_string());
  add_metadata(model, "mean", json_list(mean_values));
  add_metadata(model, "std", json_list(std_values));
  add_metadata(model, "input_size", std::to_string(spec.resolution));
  add_metadata(model, "num_classes", std::to_string(spec.num_classes));

  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("sparsenas_" + spec.name);
  set_float_tensor_type(graph.add_input(), {-1, channels, spec.resolution, spec.resolution});
  graph.mutable_input(0)->set_name(kInput);

  GraphWriter w(graph);
  std::vector<float> m(mean_values.begin(), mean_values.end()), s(std_values.begin(), std_values.end());
  // (x - mean) / std as BatchNormalization(mean, var = std^2, epsilon 0): OpenCV 4.6 mis-broadcasts
  // Sub/Div by a [1, C, 1, 1] constant when C > 1.
  std::vector<float> variance(s.size()), ones(s.size(), 1.0f), zeros(s.size(), 0.0f);
  for (size_t c = 0; c < s.size(); ++c) variance[c] = static_cast<float>(std_values[c] * std_values[c]);
  const std::string input_mean = w.initializer("input_mean", {channels}, m);
  const std::string input_var = w.initializer("input_var", {channels}, variance);
  const std::string input_scale = w.initializer("input_scale", {channels}, ones);
  const std::string input_shift = w.initializer("input_shift", {channels}, zeros);
  onnx::NodeProto* normalize =
      w.node("BatchNormalization", {kInput, input_scale, input_shift, input_mean, input_var}, "normalize");
  GraphWriter::real(normalize, "epsilon", 0.0f);
  std::string x = normalize->output(0);

  x = w.conv(x, "stem", net.stem, &net.stem_bn, "stem_bn");
  int64_t size = output_size(spec.resolution, net.stem);
  x = w.activate(x, spec.stem_act, "stem");
  std::string h = w.conv(x, "first_dw", net.first_dw, &net.first_dw_bn, "first_dw_bn");
  h = w.activate(h, spec.first_block_act, "first_dw");
  h = w.conv(h, "first_pw", net.first_pw, &net.first_pw_bn, "first_pw_bn");
  x = net.first_residual ? w.node("Add", {h, x}, "first_residual")->output(0) : h;
  size = output_size(size, net.first_dw);
  for (size_t i = 0; i < net.blocks.size(); ++i) x = w.block(x, static_cast<int>(i), *net.blocks[i], size);
  if (spec.head == "mbv3") {
    x = w.conv(x, "final_expand", net.final_expand, &net.final_expand_bn, "final_expand_bn");
    x = w.activate(x, spec.head_act, "final_expand");
    x = w.node("GlobalAveragePool", {x}, "pool")->output(0);
    x = w.conv(x, "feature_mix", net.feature_mix);
    x = w.activate(x, spec.head_act, "feature_mix");
  } else {
    x = w.conv(x, "feature_mix", net.feature_mix, &net.feature_mix_bn, "feature_mix_bn");
    x = w.activate(x, spec.head_act, "feature_mix");
    x = w.node("GlobalAveragePool", {x}, "pool")->output(0);
  }
  onnx::NodeProto* flatten = w.node("Flatten", {x}, "flatten");
  GraphWriter::integer(flatten, "axis", 1);
  const torch::Tensor cw = net.classifier->weight.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const int64_t classes = cw.size(0);
  const std::string weight = w.initializer("classifier_weight", cw.sizes().vec(),
                                           std::vector<float>(cw.data_ptr<float>(), cw.data_ptr<float>() + cw.numel()));
  std::vector<std::string> gemm_inputs = {flatten->output(0), weight};
  if (net.classifier->bias.defined()) {
    const torch::Tensor cb = net.classifier->bias.detach().to(torch::kCPU, torch::kFloat).contiguous();
    gemm_inputs.push_back(w.initializer("classifier_bias", {classes},
                                        std::vector<float>(cb.data_ptr<float>(), cb.data_ptr<float>() + cb.numel())));
  }
  onnx::NodeProto* gemm = w.node("Gemm", gemm_inputs, "classifier");
  GraphWriter::integer(gemm, "transB", 1);
  gemm->set_output(0, kOutput);
  set_float_tensor_type(graph.add_output(), {-1, classes});
  graph.mutable_output(0)->set_name(kOutput);
  return model;
}

}  // namespace

bool onnx_available() { return true; }

std::string to_onnx(const nn::StaticNetImpl& net, const std::vector<float>& mean, const std::vector<float>& std) {
  const onnx::ModelProto model = build_model(net, mean, std);
  run_onnx_checker(model, "internal error (please report): the generated ONNX model fails ONNX's checker");
  std::string bytes;
  SNAS_INTERNAL_ASSERT(model.SerializeToString(&bytes), "cannot serialize the ONNX model (",
                       model.ByteSizeLong(), " bytes; protobuf's limit is 2 GiB)");
  return bytes;
}

void save_onnx(const nn::StaticNetImpl& net, const std::vector<float>& mean, const std::vector<float>& std,
               const std::filesystem::path& path) {
  const std::string bytes = to_onnx(net, mean, std);
  try {
    write_file_atomic(path, bytes);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    SNAS_FAIL("export: cannot write ONNX file ", path, ": ", what.substr(0, what.find('\n')));
  }
}

void check_onnx_model(const std::filesystem::path& path) {
  onnx::ModelProto model;
  {
    const std::string bytes = read_file(path);
    SNAS_CHECK(model.ParseFromString(bytes), "ONNX file ", path, ": not a valid ONNX model (protobuf parse failed)");
  }
  run_onnx_checker(model, "ONNX file " + path.string() + " fails ONNX's checker");
}

torch::Tensor run_onnx_opencv(const std::filesystem::path& path, const torch::Tensor& pixels, int threads) {
  SNAS_CHECK(pixels.dim() == 4, "ONNX input: expected a float tensor N x C x H x W, got ", pixels.dim(),
             " dimensions");
  if (threads > 0) cv::setNumThreads(threads);
  const torch::Tensor x = pixels.detach().to(torch::kCPU, torch::kFloat).contiguous();
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path.string());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    const int sizes[4] = {static_cast<int>(x.size(0)), static_cast<int>(x.size(1)), static_cast<int>(x.size(2)),
                          static_cast<int>(x.size(3))};
    const cv::Mat blob(4, sizes, CV_32F, const_cast<float*>(x.data_ptr<float>()));
    net.setInput(blob, kInput);
    const cv::Mat out = net.forward(kOutput);
    SNAS_CHECK(out.type() == CV_32F && out.dims == 2 && out.size[0] == sizes[0], "ONNX file ", path,
               ": OpenCV returned logits of an unexpected shape (", out.dims, " dimensions, first ", out.size[0],
               "; expected ", sizes[0], " x classes)");
    const cv::Mat dense = out.isContinuous() ? out : out.clone();
    const std::vector<int64_t> shape = {out.size[0], out.size[1]};
    return torch::from_blob(const_cast<float*>(dense.ptr<float>()), shape, torch::kFloat).clone();
  } catch (const cv::Exception& e) {
    SNAS_FAIL("ONNX file ", path, ": OpenCV DNN cannot run it: ", e.what());
  }
}

std::vector<double> time_onnx_opencv(const std::string& model, int64_t batch, int64_t channels, int64_t size,
                                     int threads, int64_t warmup, int64_t repeats) {
  SNAS_CHECK(batch >= 1 && channels >= 1 && size >= 1, "ONNX timing: batch, channels and size must be >= 1, got ",
             batch, ", ", channels, ", ", size);
  SNAS_CHECK(warmup >= 0 && repeats >= 1, "ONNX timing: warmup must be >= 0 and repeats >= 1, got ", warmup, " and ",
             repeats);
  if (threads > 0) cv::setNumThreads(threads);
  using Clock = std::chrono::steady_clock;
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(model.data(), model.size());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    const int sizes[4] = {static_cast<int>(batch), static_cast<int>(channels), static_cast<int>(size),
                          static_cast<int>(size)};
    cv::Mat blob(4, sizes, CV_32F);
    cv::randu(blob, 0.0f, 1.0f);
    std::vector<double> times;
    times.reserve(static_cast<size_t>(repeats));
    for (int64_t i = -warmup; i < repeats; ++i) {
      const auto start = Clock::now();
      net.setInput(blob, kInput);
      const cv::Mat out = net.forward(kOutput);
      const std::chrono::duration<double, std::milli> elapsed = Clock::now() - start;
      SNAS_CHECK(out.dims == 2 && out.size[0] == sizes[0], "ONNX timing: OpenCV returned logits of an unexpected "
                 "shape (first dimension ", out.size[0], ", expected ", sizes[0], ")");
      if (i >= 0) times.push_back(elapsed.count());
    }
    return times;
  } catch (const cv::Exception& e) {
    SNAS_FAIL("ONNX model (", model.size(), " bytes): OpenCV DNN cannot run it: ", e.what());
  }
}

OnnxCheck check_onnx(const std::filesystem::path& path, nn::StaticNetImpl& net, const torch::Tensor& pixels,
                     const torch::Tensor& normalized) {
  check_onnx_model(path);
  const torch::Tensor exported = run_onnx_opencv(path, pixels);
  torch::Tensor reference;
  {
    torch::NoGradGuard no_grad;
    reference = net.forward(normalized).to(torch::kCPU, torch::kFloat);
  }
  SNAS_CHECK(exported.sizes() == reference.sizes(), "internal check failed: the ONNX file's logits have shape ",
             exported.sizes(), ", the network's ", reference.sizes(), " (please report this)");
  OnnxCheck check;
  check.images = pixels.size(0);
  check.max_abs_diff = (exported - reference).abs().max().item<double>();
  check.max_abs_logit = reference.abs().max().item<double>();
  check.runtime = std::string("opencv-dnn ") + CV_VERSION;
  SNAS_CHECK(check.max_abs_diff <= 1e-4 * check.max_abs_logit,
             "internal check failed: the ONNX file's logits (OpenCV DNN) differ from the network's by ",
             check.max_abs_diff, " (largest logit ", check.max_abs_logit, "; allowed 1e-4 of it; please report this)");
  return check;
}

}  // namespace sparsenas::exporter
