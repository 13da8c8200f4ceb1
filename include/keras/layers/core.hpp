#pragma once
/// The core layers: InputLayer (and layers::Input), Dense, Activation,
/// Dropout, Flatten, Reshape, Lambda, Identity.
///
/// Example:
///   auto model = keras::Sequential({
///       keras::layers::Input({784}),
///       keras::layers::Dense(256, "relu"),
///       keras::layers::Dropout(0.2),
///       keras::layers::Dense(10),
///   });
///   keras::layers::Dense d({.units = 4, .use_bias = false, .kernel_regularizer = "l2"});
///
/// Each layer is a handle (keras::Handle): copies share the layer and its
/// weights; `->` reaches the layer itself (`d->kernel()`).
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "keras/activations.hpp"
#include "keras/layers/layer.hpp"
#include "keras/random.hpp"

namespace keras::layers {

// ---- InputLayer ---------------------------------------------------------------------------------------

struct InputLayerOptions {
  /// The shape of one sample (no batch axis); -1 for an unknown size.
  Shape shape{};
  std::optional<int64_t> batch_size{};
  std::optional<DType> dtype{};
  std::string name{};
};

/// The entry of a Sequential model: fixes the input shape so the model builds at once.
class InputLayerImpl : public Layer {
 public:
  using Options = InputLayerOptions;
  explicit InputLayerImpl(Options options);
  InputLayerImpl(const Shape& shape, std::optional<int64_t> batch_size = std::nullopt);
  std::string class_name() const override { return "InputLayer"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;
  /// (batch_size or -1, shape...).
  const Shape& batch_shape() const { return batch_shape_; }
  DType input_dtype() const { return input_dtype_; }
  /// The symbolic tensor this layer feeds to a Functional model (Keras' InputLayer.output): the
  /// same tensor on every call while it is in use.
  Tensor output();

 private:
  Shape batch_shape_;
  DType input_dtype_;
  std::weak_ptr<detail::TensorImpl> output_;
};
/// An InputLayer handle; converts to the layer's symbolic output, so it serves both as the first
/// layer of a Sequential model and as a Functional model's input.
struct InputLayer : Handle<InputLayerImpl> {
  using Handle::Handle;
  operator Tensor() const { return (*this)->output(); }  // NOLINT: implicit, as keras.Input is a tensor
};

struct InputOptions {
  std::optional<int64_t> batch_size{};
  std::optional<DType> dtype{};
  std::string name{};
};
/// keras.layers.Input: an InputLayer for samples of `shape` (the first layer of a Sequential
/// model, or, converted to a Tensor, a Functional model's input).
InputLayer Input(const Shape& shape, InputOptions options = {});

// ---- Dense --------------------------------------------------------------------------------------------

struct DenseOptions {
  int64_t units = 0;
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

/// A densely connected layer: activation(inputs @ kernel + bias), over the last axis.
class DenseImpl : public Layer {
 public:
  using Options = DenseOptions;
  explicit DenseImpl(Options options);
  explicit DenseImpl(int64_t units, activations::ActivationArg activation = {});
  std::string class_name() const override { return "Dense"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;
  const Variable& kernel() const { return kernel_; }
  /// Undefined when use_bias is false.
  const Variable& bias() const { return bias_; }
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable kernel_;
  Variable bias_;
};
struct Dense : Handle<DenseImpl> {
  using Handle::Handle;
};

// ---- Activation ---------------------------------------------------------------------------------------

struct ActivationOptions {
  activations::ActivationArg activation{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class ActivationImpl : public Layer {
 public:
  using Options = ActivationOptions;
  explicit ActivationImpl(Options options);
  explicit ActivationImpl(activations::ActivationArg activation);
  std::string class_name() const override { return "Activation"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct Activation : Handle<ActivationImpl> {
  using Handle::Handle;
};

// ---- Dropout ------------------------------------------------------------------------------------------

struct DropoutOptions {
  double rate = 0.0;
  /// The shape of the keep mask (broadcast over the input); -1 entries take the input's size.
  std::optional<Shape> noise_shape{};
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
/// Sets a fraction `rate` of inputs to 0 in training and scales the rest by 1 / (1 - rate);
/// the identity in inference.
class DropoutImpl : public Layer {
 public:
  using Options = DropoutOptions;
  explicit DropoutImpl(Options options);
  explicit DropoutImpl(double rate);
  std::string class_name() const override { return "Dropout"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;
  /// The generator the masks come from (its state is part of a checkpoint).
  random::SeedGenerator& seed_generator() { return seed_generator_; }
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct Dropout : Handle<DropoutImpl> {
  using Handle::Handle;
};

// ---- Flatten ------------------------------------------------------------------------------------------

struct FlattenOptions {
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
/// Flattens every axis after the batch axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).
class FlattenImpl : public Layer {
 public:
  using Options = FlattenOptions;
  explicit FlattenImpl(Options options = {});
  std::string class_name() const override { return "Flatten"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct Flatten : Handle<FlattenImpl> {
  using Handle::Handle;
};

// ---- Reshape ------------------------------------------------------------------------------------------

struct ReshapeOptions {
  /// The shape of one sample; at most one -1 (inferred).
  Shape target_shape{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class ReshapeImpl : public Layer {
 public:
  using Options = ReshapeOptions;
  explicit ReshapeImpl(Options options);
  explicit ReshapeImpl(const Shape& target_shape);
  std::string class_name() const override { return "Reshape"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct Reshape : Handle<ReshapeImpl> {
  using Handle::Handle;
  /// `Reshape({28, 28})`.
  Reshape(std::initializer_list<int64_t> target_shape) : Handle(Shape(target_shape)) {}
};

// ---- Lambda -------------------------------------------------------------------------------------------

using LambdaFn = std::function<Tensor(const Tensor&)>;
struct LambdaOptions {
  LambdaFn function{};
  /// The output shape of one sample, when it cannot be inferred by tracing the function.
  std::optional<Shape> output_shape{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
/// Wraps a C++ callable as a layer (no weights). Not serializable to a config that loads
/// elsewhere, as in Keras' safe mode.
class LambdaImpl : public Layer {
 public:
  using Options = LambdaOptions;
  explicit LambdaImpl(Options options);
  explicit LambdaImpl(LambdaFn function);
  std::string class_name() const override { return "Lambda"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;

 private:
  Options options_;
};
struct Lambda : Handle<LambdaImpl> {
  using Handle::Handle;
};

// ---- Identity -----------------------------------------------------------------------------------------

struct IdentityOptions {
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class IdentityImpl : public Layer {
 public:
  using Options = IdentityOptions;
  explicit IdentityImpl(Options options = {});
  std::string class_name() const override { return "Identity"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
};
struct Identity : Handle<IdentityImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers

namespace keras {
/// keras.Input: a symbolic tensor for samples of `shape` (batch axis left out), the start of a
/// Functional model.
///   auto inputs = keras::Input({784});
///   auto outputs = keras::layers::Dense(10)(keras::layers::Dense(64, "relu")(inputs));
///   keras::Model model(inputs, outputs);
Tensor Input(const Shape& shape, layers::InputOptions options = {});
}  // namespace keras

