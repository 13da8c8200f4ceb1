// Mirrors keras/src/layers/core/{input_layer,dense,identity,lambda_layer}.py,
// keras/src/layers/activations/activation.py,
// keras/src/layers/regularization/dropout.py and
// keras/src/layers/reshaping/{flatten,reshape}.py.
#include <nlohmann/json.hpp>

#include "keras/graph.hpp"
#include "keras/layers/core.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"
#include "layers/layer_node.hpp"

namespace keras::layers {

namespace {
nlohmann::json dims_json(const Shape& s, bool with_batch_null) {
  nlohmann::json a = nlohmann::json::array();
  if (with_batch_null) a.push_back(nullptr);
  for (auto d : s) {
    if (d < 0)
      a.push_back(nullptr);
    else
      a.push_back(d);
  }
  return a;
}
}  // namespace

// ---- InputLayer -------------------------------------------------------------------------------------

InputLayerImpl::InputLayerImpl(Options o)
    : Layer({.name = o.name, .dtype = std::nullopt, .trainable = true}, "input_layer"),
      input_dtype_(o.dtype.value_or(DType::float32)) {
  for (auto d : o.shape)
    if (d < -1 || d == 0)
      throw ValueError("InputLayer: every dimension of `shape` must be positive or -1 (None); received " +
                       o.shape.str());
  if (o.batch_size && *o.batch_size <= 0)
    throw ValueError("InputLayer: batch_size must be positive; received " + std::to_string(*o.batch_size));
  batch_shape_ = Shape{o.batch_size.value_or(-1)};
  for (auto d : o.shape) batch_shape_.push_back(d);
  set_built(true);
}

InputLayerImpl::InputLayerImpl(const Shape& shape, std::optional<int64_t> batch_size)
    : InputLayerImpl(Options{.shape = shape, .batch_size = batch_size}) {}

Tensor InputLayerImpl::call(const Tensor& inputs, bool) { return inputs; }

Tensor InputLayerImpl::output() {
  if (auto impl = output_.lock()) return Tensor(impl);
  Tensor t = graph::placeholder(batch_shape_, input_dtype_, name());
  auto node = std::make_shared<detail::LayerNode>();
  node->layer = weak_from_this().lock();
  if (!node->layer)
    throw ValueError("InputLayer '" + name() + "' must be held by a handle (keras::layers::Input) to give its output");
  node->output_shapes = {batch_shape_};
  node->output_dtypes = {input_dtype_};
  t.impl()->keras_history = node;
  t.impl()->keras_history_index = 0;
  output_ = t.impl_ptr();
  return t;
}

nlohmann::json InputLayerImpl::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  nlohmann::json bs = nlohmann::json::array();
  for (auto d : batch_shape_) {
    if (d < 0)
      bs.push_back(nullptr);
    else
      bs.push_back(d);
  }
  c["batch_shape"] = bs;
  c["dtype"] = std::string(dtype_name(input_dtype_));
  c["sparse"] = false;
  c["ragged"] = false;
  c["name"] = name();
  c["optional"] = false;
  return c;
}

InputLayer Input(const Shape& shape, InputOptions options) {
  return InputLayer(InputLayerOptions{
      .shape = shape, .batch_size = options.batch_size, .dtype = options.dtype, .name = options.name});
}

// ---- Dense ------------------------------------------------------------------------------------------

DenseImpl::DenseImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "dense"), options_(std::move(o)) {
  if (options_.units <= 0)
    throw ValueError("Received an invalid value for `units`, expected a positive integer. Received: units=" +
                     std::to_string(options_.units));
  set_activity_regularizer(options_.activity_regularizer);
  set_input_spec(InputSpec{.min_ndim = 2});
}

DenseImpl::DenseImpl(int64_t units, activations::ActivationArg activation)
    : DenseImpl(Options{.units = units, .activation = std::move(activation)}) {}

void DenseImpl::build(const Shape& input_shape) {
  if (input_shape.rank() < 1 || input_shape.back() < 0)
    throw ValueError("Layer '" + name() + "' (Dense): the last dimension of the inputs must be known; received " +
                     input_shape.str());
  const int64_t in = input_shape.back();
  kernel_ = add_weight({.name = "kernel",
                        .shape = {in, options_.units},
                        .initializer = options_.kernel_initializer,
                        .regularizer = options_.kernel_regularizer,
                        .constraint = options_.kernel_constraint});
  if (options_.use_bias)
    bias_ = add_weight({.name = "bias",
                        .shape = {options_.units},
                        .initializer = options_.bias_initializer,
                        .regularizer = options_.bias_regularizer,
                        .constraint = options_.bias_constraint});
  set_input_spec(InputSpec{.min_ndim = 2, .axes = {{-1, in}}});
}

Tensor DenseImpl::call(const Tensor& inputs, bool) {
  Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  Tensor y = ops::matmul(x, kernel_.value());
  if (options_.use_bias) y = ops::add(y, bias_.value());
  return options_.activation(y);
}

Shape DenseImpl::compute_output_shape(const Shape& input_shape) { return input_shape.with_back(options_.units); }

nlohmann::json DenseImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["units"] = options_.units;
  c["activation"] = saving::serialize(options_.activation);
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = saving::serialize(options_.kernel_initializer);
  c["bias_initializer"] = saving::serialize(options_.bias_initializer);
  c["kernel_regularizer"] = saving::serialize(options_.kernel_regularizer);
  c["bias_regularizer"] = saving::serialize(options_.bias_regularizer);
  c["kernel_constraint"] = saving::serialize(options_.kernel_constraint);
  c["bias_constraint"] = saving::serialize(options_.bias_constraint);
  c["quantization_config"] = nullptr;
  return c;
}

// ---- Activation -------------------------------------------------------------------------------------

ActivationImpl::ActivationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "activation"), options_(std::move(o)) {}

ActivationImpl::ActivationImpl(activations::ActivationArg activation)
    : ActivationImpl(Options{.activation = std::move(activation)}) {}

Tensor ActivationImpl::call(const Tensor& inputs, bool) { return options_.activation(inputs); }

nlohmann::json ActivationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["activation"] = saving::serialize(options_.activation);
  return c;
}

// ---- Dropout ----------------------------------------------------------------------------------------

DropoutImpl::DropoutImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "dropout"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  if (!(options_.rate >= 0.0 && options_.rate <= 1.0))
    throw ValueError(
        "Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=" +
        std::to_string(options_.rate));
}

DropoutImpl::DropoutImpl(double rate) : DropoutImpl(Options{.rate = rate}) {}

Tensor DropoutImpl::call(const Tensor& inputs, bool training) {
  if (!training || options_.rate <= 0.0) return inputs;
  if (options_.rate >= 1.0) return ops::zeros_like(inputs);
  return random::dropout(inputs, options_.rate, options_.noise_shape, random::Seed(seed_generator_));
}

nlohmann::json DropoutImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["rate"] = options_.rate;
  c["seed"] = options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr);
  c["noise_shape"] = options_.noise_shape ? dims_json(*options_.noise_shape, false) : nlohmann::json(nullptr);
  return c;
}

// ---- Flatten ----------------------------------------------------------------------------------------

FlattenImpl::FlattenImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "flatten"), options_(std::move(o)) {
  if (options_.data_format != "channels_last" && options_.data_format != "channels_first")
    throw ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: " +
                     options_.data_format);
  set_input_spec(InputSpec{.min_ndim = 1});
}

Shape FlattenImpl::compute_output_shape(const Shape& s) {
  if (s.rank() <= 1) return Shape{s.rank() == 1 ? s[0] : 1, 1};
  int64_t n = 1;
  for (int i = 1; i < s.rank(); ++i) {
    if (s[i] < 0) return Shape{s[0], -1};
    n *= s[i];
  }
  return Shape{s[0], n};
}

Tensor FlattenImpl::call(const Tensor& inputs, bool) {
  Tensor x = inputs;
  if (options_.data_format == "channels_first" && x.ndim() > 2) {
    std::vector<int64_t> perm{0};
    for (int i = 2; i < x.ndim(); ++i) perm.push_back(i);
    perm.push_back(1);
    x = ops::transpose(x, perm);
  }
  Shape out = compute_output_shape(x.shape());
  if (out[0] >= 0 && out[1] >= 0) return ops::reshape(x, out);
  return ops::reshape(x, Shape{x.shape()[0] >= 0 ? x.shape()[0] : -1, out[1] >= 0 ? out[1] : -1});
}

nlohmann::json FlattenImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = options_.data_format;
  return c;
}

// ---- Reshape ----------------------------------------------------------------------------------------

ReshapeImpl::ReshapeImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "reshape"), options_(std::move(o)) {
  int unknown = 0;
  for (auto d : options_.target_shape) {
    if (d == -1)
      ++unknown;
    else if (d <= 0)
      throw ValueError("Reshape: every dimension of target_shape must be positive or -1; received " +
                       options_.target_shape.str());
  }
  if (unknown > 1)
    throw ValueError("Reshape: there must be at most one unknown dimension (-1) in target_shape; received " +
                     options_.target_shape.str());
}

ReshapeImpl::ReshapeImpl(const Shape& target_shape) : ReshapeImpl(Options{.target_shape = target_shape}) {}

Shape ReshapeImpl::compute_output_shape(const Shape& s) {
  Shape out{s.rank() > 0 ? s[0] : -1};
  int64_t known_in = 1;
  bool in_known = true;
  for (int i = 1; i < s.rank(); ++i) {
    if (s[i] < 0) in_known = false;
    known_in *= s[i] < 0 ? 1 : s[i];
  }
  int64_t known_out = 1;
  int unknown_at = -1;
  for (int i = 0; i < options_.target_shape.rank(); ++i) {
    const int64_t d = options_.target_shape[i];
    if (d == -1)
      unknown_at = i;
    else
      known_out *= d;
  }
  for (auto d : options_.target_shape) out.push_back(d);
  if (in_known) {
    if (unknown_at >= 0) {
      if (known_out == 0 || known_in % known_out != 0)
        throw ValueError("Layer '" + name() + "' (Reshape): the total size of the input " + s.str() +
                         " cannot be reshaped to " + options_.target_shape.str());
      out[unknown_at + 1] = known_in / known_out;
    } else if (known_in != known_out) {
      throw ValueError("Layer '" + name() + "' (Reshape): total size of the input shape " + s.str() +
                       " does not match the target_shape " + options_.target_shape.str() + " (" +
                       std::to_string(known_in) + " vs " + std::to_string(known_out) + " elements per sample)");
    }
  }
  return out;
}

Tensor ReshapeImpl::call(const Tensor& inputs, bool) {
  Shape out = compute_output_shape(inputs.shape());
  if (out[0] < 0) {
    bool rest_known = true;
    for (int i = 1; i < out.rank(); ++i) rest_known = rest_known && out[i] >= 0;
    if (!rest_known)
      throw ValueError("Layer '" + name() + "' (Reshape): cannot infer both the batch size and a dimension of " +
                       options_.target_shape.str());
  }
  return ops::reshape(inputs, out);
}

nlohmann::json ReshapeImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  // As given: -1 (the inferred dimension) stays -1.
  c["target_shape"] = std::vector<int64_t>(options_.target_shape.begin(), options_.target_shape.end());
  return c;
}

// ---- Lambda -----------------------------------------------------------------------------------------

LambdaImpl::LambdaImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "lambda"), options_(std::move(o)) {
  if (!options_.function) throw ValueError("Lambda: `function` must be a callable; received an empty function");
}

LambdaImpl::LambdaImpl(LambdaFn function) : LambdaImpl(Options{.function = std::move(function)}) {}

Tensor LambdaImpl::call(const Tensor& inputs, bool) { return options_.function(inputs); }

Shape LambdaImpl::compute_output_shape(const Shape& input_shape) {
  if (options_.output_shape) {
    Shape out{input_shape.rank() > 0 ? input_shape[0] : -1};
    for (auto d : *options_.output_shape) out.push_back(d);
    return out;
  }
  return Layer::compute_output_shape(input_shape);
}

// ---- Identity ---------------------------------------------------------------------------------------

IdentityImpl::IdentityImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "identity") {}

Tensor IdentityImpl::call(const Tensor& inputs, bool) { return inputs; }

}  // namespace keras::layers

namespace keras {
Tensor Input(const Shape& shape, layers::InputOptions options) { return layers::Input(shape, std::move(options)); }
}  // namespace keras
