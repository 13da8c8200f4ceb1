// Convolution and pooling layers (keras/src/layers/convolutional/, keras/src/layers/pooling/):
// weights, shape rules and configs here; the arithmetic is keras::ops::conv and friends.
#include <nlohmann/json.hpp>

#include "core/identifiers.hpp"
#include "keras/error.hpp"
#include "keras/layers/convolutional.hpp"
#include "keras/layers/pooling.hpp"
#include "keras/saving.hpp"

namespace keras::layers {
namespace {

std::vector<int64_t> expand(const ops::IntTuple& t, int rank, const char* arg, const std::string& layer) {
  const auto& v = t.values();
  std::vector<int64_t> out;
  if (t.scalar() || v.size() == 1) {
    out.assign(static_cast<size_t>(rank), v.empty() ? 0 : v[0]);
  } else if (static_cast<int>(v.size()) == rank) {
    out = v;
  } else {
    throw ValueError("The `" + std::string(arg) + "` argument of " + layer + " must be a tuple of " +
                     std::to_string(rank) + " integers. Received " + std::string(arg) + " with " +
                     std::to_string(v.size()) + " values");
  }
  for (int64_t x : out)
    if (x <= 0)
      throw ValueError("The `" + std::string(arg) + "` argument of " + layer +
                       " must be strictly positive integers. Received: " + std::to_string(x));
  return out;
}

void check_padding(const std::string& padding, const std::string& layer, bool causal_ok) {
  const std::string p = keras::detail::ascii_lower(padding);
  if (p != "valid" && p != "same" && !(causal_ok && p == "causal"))
    throw ValueError("Invalid value for argument `padding` of " + layer + ": expected \"valid\" or \"same\"" +
                     std::string(causal_ok ? " or \"causal\"" : "") + ". Received: padding=" + padding);
}

void check_data_format(const std::string& f, const std::string& layer) {
  if (f != "channels_last" && f != "channels_first")
    throw ValueError("The `data_format` argument of " + layer +
                     " must be one of \"channels_first\", \"channels_last\". Received: " + f);
}

// Output length of one spatial dim of a convolution or pooling window.
int64_t conv_length(int64_t in, int64_t k, int64_t s, int64_t d, const std::string& padding) {
  if (in < 0) return -1;
  const int64_t k_eff = (k - 1) * d + 1;
  if (keras::detail::ascii_lower(padding) == "valid") return in < k_eff ? 0 : (in - k_eff) / s + 1;
  return (in + s - 1) / s;  // "same" and "causal"
}

int64_t transpose_length(int64_t in, int64_t k, int64_t s, int64_t d, const std::string& padding) {
  if (in < 0) return -1;
  const int64_t k_eff = (k - 1) * d + 1;
  if (keras::detail::ascii_lower(padding) == "valid") return (in - 1) * s + std::max(k_eff, s);
  return in * s;
}

nlohmann::json tuple_json(const std::vector<int64_t>& v) { return nlohmann::json(v); }

// The spatial dims of a (batch, spatial..., channels) or (batch, channels, spatial...) shape.
std::vector<int> spatial_axes(int rank, bool channels_last) {
  std::vector<int> axes;
  for (int i = 0; i < rank; ++i) axes.push_back(channels_last ? 1 + i : 2 + i);
  return axes;
}

}  // namespace

// ---- BaseConv ---------------------------------------------------------------------------------------

BaseConvImpl::BaseConvImpl(int rank, bool transpose, Options o, std::string class_name)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}),
      rank_(rank),
      transpose_(transpose),
      options_(std::move(o)),
      class_name_(std::move(class_name)) {
  if (options_.filters <= 0)
    throw ValueError("Invalid value for argument `filters`. Expected a strictly positive value. Received filters=" +
                     std::to_string(options_.filters) + ".");
  kernel_size_ = expand(options_.kernel_size, rank_, "kernel_size", class_name_);
  strides_ = expand(options_.strides, rank_, "strides", class_name_);
  dilation_ = expand(options_.dilation_rate, rank_, "dilation_rate", class_name_);
  check_padding(options_.padding, class_name_, rank_ == 1 && !transpose_);
  check_data_format(options_.data_format, class_name_);
  if (options_.groups <= 0)
    throw ValueError(
        "The number of groups must be a positive integer. Received: groups=" + std::to_string(options_.groups) + ".");
  if (options_.filters % options_.groups != 0)
    throw ValueError("The number of filters must be evenly divisible by the number of groups. Received: groups=" +
                     std::to_string(options_.groups) + ", filters=" + std::to_string(options_.filters) + ".");
  set_activity_regularizer(options_.activity_regularizer);
  set_input_spec(InputSpec{.ndim = rank_ + 2});
}

int BaseConvImpl::channel_axis(int rank) const { return options_.data_format == "channels_last" ? rank + 1 : 1; }

void BaseConvImpl::build(const Shape& input_shape) {
  const int64_t in = input_shape[channel_axis(rank_)];
  if (in < 0)
    throw ValueError("Layer '" + name() + "' (" + class_name_ +
                     "): the channel dimension of the inputs must be known; received " + input_shape.str());
  if (in % options_.groups != 0)
    throw ValueError("The number of input channels must be evenly divisible by the number of groups. Received groups=" +
                     std::to_string(options_.groups) + ", but the input has " + std::to_string(in) +
                     " channels (full input shape is " + input_shape.str() + ").");
  std::vector<int64_t> kshape = kernel_size_;
  if (transpose_) {
    kshape.push_back(options_.filters);
    kshape.push_back(in);
  } else {
    kshape.push_back(in / options_.groups);
    kshape.push_back(options_.filters);
  }
  kernel_ = add_weight({.name = "kernel",
                        .shape = Shape(kshape),
                        .initializer = options_.kernel_initializer,
                        .regularizer = options_.kernel_regularizer,
                        .constraint = options_.kernel_constraint});
  if (options_.use_bias)
    bias_ = add_weight({.name = "bias",
                        .shape = {options_.filters},
                        .initializer = options_.bias_initializer,
                        .regularizer = options_.bias_regularizer,
                        .constraint = options_.bias_constraint});
  set_input_spec(InputSpec{.ndim = rank_ + 2, .axes = {{channel_axis(rank_), in}}});
}

Tensor BaseConvImpl::call(const Tensor& inputs, bool) {
  Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  std::string padding = keras::detail::ascii_lower(options_.padding);
  if (padding == "causal") {
    // Left-pad the time axis by the dilated kernel's reach, then a "valid" convolution.
    const int64_t left = (kernel_size_[0] - 1) * dilation_[0];
    std::vector<std::pair<int64_t, int64_t>> pads(3, {0, 0});
    pads[options_.data_format == "channels_last" ? 1 : 2] = {left, 0};
    x = ops::pad(x, pads);
    padding = "valid";
  }
  Tensor y = transpose_ ? ops::conv_transpose(x, kernel_.value(), strides_, padding, std::nullopt, options_.data_format,
                                              dilation_)
                        : ops::conv(x, kernel_.value(), strides_, padding, options_.data_format, dilation_);
  if (options_.use_bias) {
    if (options_.data_format == "channels_last") {
      y = ops::add(y, bias_.value());
    } else {
      std::vector<int64_t> bshape(static_cast<size_t>(rank_ + 1), 1);
      bshape[0] = options_.filters;
      y = ops::add(y, ops::reshape(bias_.value(), Shape(bshape)));
    }
  }
  return options_.activation(y);
}

Shape BaseConvImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != rank_ + 2)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=" + std::to_string(rank_ + 2) +
                     ", found ndim=" + std::to_string(s.rank()) + ". Full shape received: " + s.str());
  const bool last = options_.data_format == "channels_last";
  Shape out = s;
  const auto axes = spatial_axes(rank_, last);
  for (int i = 0; i < rank_; ++i) {
    const auto k = static_cast<size_t>(i);
    out[axes[k]] = transpose_
                       ? transpose_length(s[axes[k]], kernel_size_[k], strides_[k], dilation_[k], options_.padding)
                       : conv_length(s[axes[k]], kernel_size_[k], strides_[k], dilation_[k], options_.padding);
  }
  out[last ? rank_ + 1 : 1] = options_.filters;
  return out;
}

nlohmann::json BaseConvImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["filters"] = options_.filters;
  c["kernel_size"] = tuple_json(kernel_size_);
  c["strides"] = tuple_json(strides_);
  c["padding"] = keras::detail::ascii_lower(options_.padding);
  if (transpose_) c["output_padding"] = nullptr;
  c["data_format"] = options_.data_format;
  c["dilation_rate"] = tuple_json(dilation_);
  if (!transpose_) c["groups"] = options_.groups;
  c["activation"] = saving::serialize(options_.activation);
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = saving::serialize(options_.kernel_initializer);
  c["bias_initializer"] = saving::serialize(options_.bias_initializer);
  c["kernel_regularizer"] = saving::serialize(options_.kernel_regularizer);
  c["bias_regularizer"] = saving::serialize(options_.bias_regularizer);
  c["activity_regularizer"] = saving::serialize(options_.activity_regularizer);
  c["kernel_constraint"] = saving::serialize(options_.kernel_constraint);
  c["bias_constraint"] = saving::serialize(options_.bias_constraint);
  return c;
}

// ---- DepthwiseConv2D, SeparableConv2D --------------------------------------------------------------------

DepthwiseConv2DImpl::DepthwiseConv2DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}), options_(std::move(o)) {
  expand(options_.kernel_size, 2, "kernel_size", "DepthwiseConv2D");
  expand(options_.strides, 2, "strides", "DepthwiseConv2D");
  expand(options_.dilation_rate, 2, "dilation_rate", "DepthwiseConv2D");
  check_padding(options_.padding, "DepthwiseConv2D", false);
  check_data_format(options_.data_format, "DepthwiseConv2D");
  if (options_.depth_multiplier <= 0)
    throw ValueError(
        "Invalid value for argument `depth_multiplier`. Expected a strictly positive value. Received "
        "depth_multiplier=" +
        std::to_string(options_.depth_multiplier) + ".");
  set_activity_regularizer(options_.activity_regularizer);
  set_input_spec(InputSpec{.ndim = 4});
}

void DepthwiseConv2DImpl::build(const Shape& s) {
  const int64_t in = s[options_.data_format == "channels_last" ? 3 : 1];
  auto k = expand(options_.kernel_size, 2, "kernel_size", "DepthwiseConv2D");
  kernel_ = add_weight({.name = "kernel",
                        .shape = {k[0], k[1], in, options_.depth_multiplier},
                        .initializer = options_.depthwise_initializer,
                        .regularizer = options_.depthwise_regularizer,
                        .constraint = options_.depthwise_constraint});
  if (options_.use_bias)
    bias_ = add_weight({.name = "bias",
                        .shape = {in * options_.depth_multiplier},
                        .initializer = options_.bias_initializer,
                        .regularizer = options_.bias_regularizer,
                        .constraint = options_.bias_constraint});
}

Tensor DepthwiseConv2DImpl::call(const Tensor& inputs, bool) {
  Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  Tensor y = ops::depthwise_conv(x, kernel_.value(), options_.strides, options_.padding, options_.data_format,
                                 options_.dilation_rate);
  if (options_.use_bias)
    y = options_.data_format == "channels_last" ? ops::add(y, bias_.value())
                                                : ops::add(y, ops::reshape(bias_.value(), {bias_.shape()[0], 1, 1}));
  return options_.activation(y);
}

Shape DepthwiseConv2DImpl::compute_output_shape(const Shape& s) {
  auto k = expand(options_.kernel_size, 2, "kernel_size", "DepthwiseConv2D");
  auto st = expand(options_.strides, 2, "strides", "DepthwiseConv2D");
  auto d = expand(options_.dilation_rate, 2, "dilation_rate", "DepthwiseConv2D");
  const bool last = options_.data_format == "channels_last";
  Shape out = s;
  const auto axes = spatial_axes(2, last);
  for (size_t i = 0; i < 2; ++i) out[axes[i]] = conv_length(s[axes[i]], k[i], st[i], d[i], options_.padding);
  const int c = last ? 3 : 1;
  out[c] = s[c] < 0 ? -1 : s[c] * options_.depth_multiplier;
  return out;
}

nlohmann::json DepthwiseConv2DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["depth_multiplier"] = options_.depth_multiplier;
  c["kernel_size"] = tuple_json(expand(options_.kernel_size, 2, "kernel_size", "DepthwiseConv2D"));
  c["strides"] = tuple_json(expand(options_.strides, 2, "strides", "DepthwiseConv2D"));
  c["padding"] = keras::detail::ascii_lower(options_.padding);
  c["data_format"] = options_.data_format;
  c["dilation_rate"] = tuple_json(expand(options_.dilation_rate, 2, "dilation_rate", "DepthwiseConv2D"));
  c["activation"] = saving::serialize(options_.activation);
  c["use_bias"] = options_.use_bias;
  c["depthwise_initializer"] = saving::serialize(options_.depthwise_initializer);
  c["bias_initializer"] = saving::serialize(options_.bias_initializer);
  c["depthwise_regularizer"] = saving::serialize(options_.depthwise_regularizer);
  c["bias_regularizer"] = saving::serialize(options_.bias_regularizer);
  c["activity_regularizer"] = saving::serialize(options_.activity_regularizer);
  c["depthwise_constraint"] = saving::serialize(options_.depthwise_constraint);
  c["bias_constraint"] = saving::serialize(options_.bias_constraint);
  return c;
}

SeparableConv2DImpl::SeparableConv2DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}), options_(std::move(o)) {
  if (options_.filters <= 0)
    throw ValueError("Invalid value for argument `filters`. Expected a strictly positive value. Received filters=" +
                     std::to_string(options_.filters) + ".");
  expand(options_.kernel_size, 2, "kernel_size", "SeparableConv2D");
  expand(options_.strides, 2, "strides", "SeparableConv2D");
  expand(options_.dilation_rate, 2, "dilation_rate", "SeparableConv2D");
  check_padding(options_.padding, "SeparableConv2D", false);
  check_data_format(options_.data_format, "SeparableConv2D");
  if (options_.depth_multiplier <= 0)
    throw ValueError(
        "Invalid value for argument `depth_multiplier`. Expected a strictly positive value. Received "
        "depth_multiplier=" +
        std::to_string(options_.depth_multiplier) + ".");
  set_input_spec(InputSpec{.ndim = 4});
}

void SeparableConv2DImpl::build(const Shape& s) {
  const int64_t in = s[options_.data_format == "channels_last" ? 3 : 1];
  auto k = expand(options_.kernel_size, 2, "kernel_size", "SeparableConv2D");
  depthwise_ = add_weight({.name = "depthwise_kernel",
                           .shape = {k[0], k[1], in, options_.depth_multiplier},
                           .initializer = options_.depthwise_initializer});
  pointwise_ = add_weight({.name = "pointwise_kernel",
                           .shape = {1, 1, in * options_.depth_multiplier, options_.filters},
                           .initializer = options_.pointwise_initializer});
  if (options_.use_bias)
    bias_ = add_weight({.name = "bias", .shape = {options_.filters}, .initializer = options_.bias_initializer});
}

Tensor SeparableConv2DImpl::call(const Tensor& inputs, bool) {
  Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  Tensor y = ops::separable_conv(x, depthwise_.value(), pointwise_.value(), options_.strides, options_.padding,
                                 options_.data_format, options_.dilation_rate);
  if (options_.use_bias)
    y = options_.data_format == "channels_last" ? ops::add(y, bias_.value())
                                                : ops::add(y, ops::reshape(bias_.value(), {options_.filters, 1, 1}));
  return options_.activation(y);
}

Shape SeparableConv2DImpl::compute_output_shape(const Shape& s) {
  auto k = expand(options_.kernel_size, 2, "kernel_size", "SeparableConv2D");
  auto st = expand(options_.strides, 2, "strides", "SeparableConv2D");
  auto d = expand(options_.dilation_rate, 2, "dilation_rate", "SeparableConv2D");
  const bool last = options_.data_format == "channels_last";
  Shape out = s;
  const auto axes = spatial_axes(2, last);
  for (size_t i = 0; i < 2; ++i) out[axes[i]] = conv_length(s[axes[i]], k[i], st[i], d[i], options_.padding);
  out[last ? 3 : 1] = options_.filters;
  return out;
}

nlohmann::json SeparableConv2DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["depth_multiplier"] = options_.depth_multiplier;
  c["filters"] = options_.filters;
  c["kernel_size"] = tuple_json(expand(options_.kernel_size, 2, "kernel_size", "SeparableConv2D"));
  c["strides"] = tuple_json(expand(options_.strides, 2, "strides", "SeparableConv2D"));
  c["padding"] = keras::detail::ascii_lower(options_.padding);
  c["data_format"] = options_.data_format;
  c["dilation_rate"] = tuple_json(expand(options_.dilation_rate, 2, "dilation_rate", "SeparableConv2D"));
  c["activation"] = saving::serialize(options_.activation);
  c["use_bias"] = options_.use_bias;
  c["depthwise_initializer"] = saving::serialize(options_.depthwise_initializer);
  c["pointwise_initializer"] = saving::serialize(options_.pointwise_initializer);
  c["bias_initializer"] = saving::serialize(options_.bias_initializer);
  // keras.cpp's SeparableConv2D takes no weight regularizers or constraints.
  c["depthwise_regularizer"] = nullptr;
  c["pointwise_regularizer"] = nullptr;
  c["bias_regularizer"] = nullptr;
  if (!c.contains("activity_regularizer")) c["activity_regularizer"] = nullptr;  // set only from a file
  c["depthwise_constraint"] = nullptr;
  c["pointwise_constraint"] = nullptr;
  c["bias_constraint"] = nullptr;
  return c;
}

// ---- Pooling ------------------------------------------------------------------------------------------

BasePoolingImpl::BasePoolingImpl(int rank, bool max, Options o, std::string class_name)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}),
      rank_(rank),
      max_(max),
      options_(std::move(o)),
      class_name_(std::move(class_name)) {
  pool_ = expand(options_.pool_size, rank_, "pool_size", class_name_);
  strides_ = options_.strides ? expand(*options_.strides, rank_, "strides", class_name_) : pool_;
  check_padding(options_.padding, class_name_, false);
  check_data_format(options_.data_format, class_name_);
  set_input_spec(InputSpec{.ndim = rank_ + 2});
}

Tensor BasePoolingImpl::call(const Tensor& inputs, bool) {
  return max_ ? ops::max_pool(inputs, pool_, strides_, options_.padding, options_.data_format)
              : ops::average_pool(inputs, pool_, strides_, options_.padding, options_.data_format);
}

Shape BasePoolingImpl::compute_output_shape(const Shape& s) {
  const bool last = options_.data_format == "channels_last";
  Shape out = s;
  const auto axes = spatial_axes(rank_, last);
  for (size_t i = 0; i < static_cast<size_t>(rank_); ++i)
    out[axes[i]] = conv_length(s[axes[i]], pool_[i], strides_[i], 1, options_.padding);
  return out;
}

nlohmann::json BasePoolingImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["pool_size"] = tuple_json(pool_);
  c["padding"] = keras::detail::ascii_lower(options_.padding);
  c["strides"] = tuple_json(strides_);
  c["data_format"] = options_.data_format;
  return c;
}

BaseGlobalPoolingImpl::BaseGlobalPoolingImpl(int rank, bool max, Options o, std::string class_name)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}),
      rank_(rank),
      max_(max),
      options_(std::move(o)),
      class_name_(std::move(class_name)) {
  check_data_format(options_.data_format, class_name_);
  set_input_spec(InputSpec{.ndim = rank_ + 2});
}

std::vector<int64_t> BaseGlobalPoolingImpl::spatial_axes() const {
  std::vector<int64_t> axes;
  for (int a : layers::spatial_axes(rank_, options_.data_format == "channels_last")) axes.push_back(a);
  return axes;
}

Tensor BaseGlobalPoolingImpl::call(const Tensor& inputs, bool) {
  const auto axes = spatial_axes();
  return max_ ? ops::max(inputs, axes, options_.keepdims) : ops::mean(inputs, axes, options_.keepdims);
}

Shape BaseGlobalPoolingImpl::compute_output_shape(const Shape& s) {
  const auto axes = spatial_axes();
  std::vector<int64_t> out;
  for (int i = 0; i < s.rank(); ++i) {
    const bool spatial = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!spatial)
      out.push_back(s[i]);
    else if (options_.keepdims)
      out.push_back(1);
  }
  return Shape(out);
}

nlohmann::json BaseGlobalPoolingImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = options_.data_format;
  c["keepdims"] = options_.keepdims;
  return c;
}

}  // namespace keras::layers
