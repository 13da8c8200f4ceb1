#pragma once
/// The normalization layers: BatchNormalization, LayerNormalization,
/// GroupNormalization, UnitNormalization.
///
/// Example:
///   auto model = keras::Sequential({
///       keras::layers::Input({16}),
///       keras::layers::Dense(32),
///       keras::layers::BatchNormalization({.momentum = 0.9}),
///       keras::layers::LayerNormalization(),
///   });
///   keras::layers::GroupNormalization gn({.groups = 4});
///
/// Each layer is a handle (keras::Handle): copies share the layer and its
/// weights. Statistics are computed in the layer's dtype (float32 by default).
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

// ---- BatchNormalization -------------------------------------------------------------------------------

struct BatchNormalizationOptions {
  /// The features axis (the one that is not reduced); negative counts from the end.
  int axis = -1;
  /// moving = moving * momentum + batch statistic * (1 - momentum), on every training call.
  double momentum = 0.99;
  double epsilon = 1e-3;
  /// Adds the offset `beta`.
  bool center = true;
  /// Multiplies by `gamma`.
  bool scale = true;
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  initializers::InitializerArg moving_mean_initializer = "zeros";
  initializers::InitializerArg moving_variance_initializer = "ones";
  regularizers::RegularizerArg beta_regularizer{};
  regularizers::RegularizerArg gamma_regularizer{};
  constraints::ConstraintArg beta_constraint{};
  constraints::ConstraintArg gamma_constraint{};
  /// Cross-replica statistics: TensorFlow only in Keras, so `true` is refused (ValueError).
  bool synchronized = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Normalizes each feature with the batch's mean and variance in training (and updates the
/// moving statistics), with the moving statistics in inference. A layer that is not trainable
/// always runs in inference mode. Weights, in order: gamma (scale), beta (center), moving_mean,
/// moving_variance (the last two non-trainable), each of shape (features,).
class BatchNormalizationImpl : public Layer {
 public:
  using Options = BatchNormalizationOptions;
  explicit BatchNormalizationImpl(Options options = {});
  std::string class_name() const override { return "BatchNormalization"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;
  /// Undefined when scale is false.
  const Variable& gamma() const { return gamma_; }
  /// Undefined when center is false.
  const Variable& beta() const { return beta_; }
  const Variable& moving_mean() const { return moving_mean_; }
  const Variable& moving_variance() const { return moving_variance_; }
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable gamma_, beta_, moving_mean_, moving_variance_;
  int axis_ = -1;  // non-negative once built
};
struct BatchNormalization : Handle<BatchNormalizationImpl> {
  using Handle::Handle;
};

// ---- LayerNormalization -------------------------------------------------------------------------------

struct LayerNormalizationOptions {
  /// The axes normalized over (one or more; negative counts from the end). gamma and beta have
  /// the shape of the input along them.
  std::vector<int> axis = {-1};
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  /// Keras' deprecated `rms_scaling`: x * rsqrt(var(x) + epsilon) * gamma, with no mean
  /// subtraction in the output and no beta (as Keras computes it).
  bool rms_scaling = false;
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  regularizers::RegularizerArg beta_regularizer{};
  regularizers::RegularizerArg gamma_regularizer{};
  constraints::ConstraintArg beta_constraint{};
  constraints::ConstraintArg gamma_constraint{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Normalizes each sample over `axis`: (x - mean) * rsqrt(var + epsilon) * gamma + beta.
class LayerNormalizationImpl : public Layer {
 public:
  using Options = LayerNormalizationOptions;
  explicit LayerNormalizationImpl(Options options = {});
  std::string class_name() const override { return "LayerNormalization"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  /// `axis` is an int while a single axis was given and the layer is unbuilt, a list otherwise
  /// (Keras turns it into a sorted list in build()).
  nlohmann::json get_config() const override;
  /// Undefined when neither scale nor rms_scaling.
  const Variable& gamma() const { return gamma_; }
  /// Undefined when center is false or rms_scaling.
  const Variable& beta() const { return beta_; }

 private:
  Options options_;
  Variable gamma_, beta_;
  std::vector<int64_t> axes_;  // sorted, non-negative once built
};
struct LayerNormalization : Handle<LayerNormalizationImpl> {
  using Handle::Handle;
};

// ---- GroupNormalization -------------------------------------------------------------------------------

struct GroupNormalizationOptions {
  /// The channels are split into this many groups; -1: one group per channel (instance
  /// normalization). Must divide the channel count.
  int groups = 32;
  /// The channels axis.
  int axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  regularizers::RegularizerArg beta_regularizer{};
  regularizers::RegularizerArg gamma_regularizer{};
  constraints::ConstraintArg beta_constraint{};
  constraints::ConstraintArg gamma_constraint{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Normalizes each sample over every non-batch axis within each group of channels, then scales
/// and shifts per channel (gamma and beta of shape (channels,)).
class GroupNormalizationImpl : public Layer {
 public:
  using Options = GroupNormalizationOptions;
  explicit GroupNormalizationImpl(Options options = {});
  std::string class_name() const override { return "GroupNormalization"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  /// `groups` is the channel count once a groups=-1 layer is built, as in Keras.
  nlohmann::json get_config() const override;
  const Variable& gamma() const { return gamma_; }
  const Variable& beta() const { return beta_; }

 private:
  Options options_;
  Variable gamma_, beta_;
  int axis_ = -1;  // non-negative once built
};
struct GroupNormalization : Handle<GroupNormalizationImpl> {
  using Handle::Handle;
};

// ---- UnitNormalization --------------------------------------------------------------------------------

struct UnitNormalizationOptions {
  /// The axes whose L2 norm becomes 1.
  std::vector<int> axis = {-1};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// x * min(rsqrt(sum(x^2 over axis)), 1e12): unit L2 norm over `axis`. No weights.
class UnitNormalizationImpl : public Layer {
 public:
  using Options = UnitNormalizationOptions;
  explicit UnitNormalizationImpl(Options options = {});
  std::string class_name() const override { return "UnitNormalization"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct UnitNormalization : Handle<UnitNormalizationImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
