#pragma once
/// Convolution layers (keras.layers.Conv1D, Conv2D, Conv3D, Conv2DTranspose, DepthwiseConv2D,
/// SeparableConv2D), channels_last by default, on keras::ops::conv and friends.
///
/// Example:
///   auto conv = keras::layers::Conv2D(32, 3, "relu");                          // filters, kernel_size, activation
///   auto down = keras::layers::Conv2D({.filters = 64, .kernel_size = 3, .strides = 2, .padding = "same"});
#include <optional>
#include <string>
#include <vector>

#include "keras/activations.hpp"
#include "keras/layers/layer.hpp"
#include "keras/ops.hpp"

namespace keras::layers {

struct ConvOptions {
  /// Output channels. Required (> 0).
  int64_t filters = 0;
  /// One int for every spatial dim, or one per dim. Required.
  ops::IntTuple kernel_size = 0;
  ops::IntTuple strides = 1;
  /// "valid" or "same" (Conv1D also "causal").
  std::string padding = "valid";
  /// "channels_last" (default) or "channels_first".
  std::string data_format = "channels_last";
  ops::IntTuple dilation_rate = 1;
  /// Grouped convolution: input channels and filters must both divide by it.
  int64_t groups = 1;
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  regularizers::RegularizerArg activity_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg bias_constraint{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// The shared body of Conv1D/2D/3D and their transposes (Keras' BaseConv / BaseConvTranspose).
class BaseConvImpl : public Layer {
 public:
  using Options = ConvOptions;
  BaseConvImpl(int rank, bool transpose, Options options, std::string class_name);
  std::string class_name() const override { return class_name_; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }
  const Options& options() const { return options_; }

 private:
  int channel_axis(int rank) const;
  int rank_;
  bool transpose_;
  Options options_;
  std::string class_name_;
  std::vector<int64_t> kernel_size_, strides_, dilation_;
  Variable kernel_, bias_;
};

#define KERAS_CONV_LAYER(Name, rank, transpose)                                                                   \
  class Name##Impl : public BaseConvImpl {                                                                        \
   public:                                                                                                        \
    explicit Name##Impl(Options o) : BaseConvImpl(rank, transpose, std::move(o), #Name) {}                        \
    Name##Impl(int64_t filters, ops::IntTuple kernel_size, activations::ActivationArg activation = {})            \
        : Name##Impl(Options{                                                                                     \
              .filters = filters, .kernel_size = std::move(kernel_size), .activation = std::move(activation)}) {} \
  };                                                                                                              \
  struct Name : Handle<Name##Impl> {                                                                              \
    using Handle::Handle;                                                                                         \
  };
KERAS_CONV_LAYER(Conv1D, 1, false)
KERAS_CONV_LAYER(Conv2D, 2, false)
KERAS_CONV_LAYER(Conv3D, 3, false)
KERAS_CONV_LAYER(Conv1DTranspose, 1, true)
KERAS_CONV_LAYER(Conv2DTranspose, 2, true)
#undef KERAS_CONV_LAYER

struct DepthwiseConv2DOptions {
  ops::IntTuple kernel_size = 0;
  ops::IntTuple strides = 1;
  std::string padding = "valid";
  int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  ops::IntTuple dilation_rate = 1;
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg depthwise_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg depthwise_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  regularizers::RegularizerArg activity_regularizer{};
  constraints::ConstraintArg depthwise_constraint{};
  constraints::ConstraintArg bias_constraint{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Each input channel convolved with its own depth_multiplier filters.
class DepthwiseConv2DImpl : public Layer {
 public:
  using Options = DepthwiseConv2DOptions;
  explicit DepthwiseConv2DImpl(Options options);
  std::string class_name() const override { return "DepthwiseConv2D"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  Variable kernel_, bias_;
};
struct DepthwiseConv2D : Handle<DepthwiseConv2DImpl> {
  using Handle::Handle;
};

struct SeparableConv2DOptions {
  int64_t filters = 0;
  ops::IntTuple kernel_size = 0;
  ops::IntTuple strides = 1;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  ops::IntTuple dilation_rate = 1;
  int64_t depth_multiplier = 1;
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg depthwise_initializer = "glorot_uniform";
  initializers::InitializerArg pointwise_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// A depthwise convolution followed by a 1x1 convolution mixing the channels.
class SeparableConv2DImpl : public Layer {
 public:
  using Options = SeparableConv2DOptions;
  explicit SeparableConv2DImpl(Options options);
  std::string class_name() const override { return "SeparableConv2D"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  Variable depthwise_, pointwise_, bias_;
};
struct SeparableConv2D : Handle<SeparableConv2DImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
