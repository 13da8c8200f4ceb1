#pragma once
/// The regularization layers (besides Dropout, in core.hpp): SpatialDropout1D,
/// SpatialDropout2D, GaussianNoise, GaussianDropout, ActivityRegularization.
///
/// Example:
///   auto model = keras::Sequential({
///       keras::layers::Input({32, 8}),
///       keras::layers::SpatialDropout1D(0.2),
///       keras::layers::Flatten(),
///       keras::layers::GaussianNoise(0.1),
///       keras::layers::ActivityRegularization({.l2 = 1e-3}),
///   });
///
/// The random layers act only in training (the identity in inference); each
/// owns a random::SeedGenerator, saved with checkpoints.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"
#include "keras/random.hpp"

namespace keras::layers {

// ---- SpatialDropout1D / SpatialDropout2D --------------------------------------------------------------

struct SpatialDropout1DOptions {
  /// Fraction of the feature maps (channels) to drop, in [0, 1].
  double rate = 0.0;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
};

/// Dropout of whole channels of (batch, steps, channels) inputs: one keep mask per (sample,
/// channel), shared by every step. The identity in inference.
class SpatialDropout1DImpl : public Layer {
 public:
  using Options = SpatialDropout1DOptions;
  explicit SpatialDropout1DImpl(Options options);
  explicit SpatialDropout1DImpl(double rate);
  std::string class_name() const override { return "SpatialDropout1D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  /// rate, seed, name and dtype (a plain string) only, as Keras' spatial dropouts report.
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct SpatialDropout1D : Handle<SpatialDropout1DImpl> {
  using Handle::Handle;
};

struct SpatialDropout2DOptions {
  double rate = 0.0;
  /// "channels_last": (batch, rows, cols, channels); "channels_first": (batch, channels, rows, cols).
  std::string data_format = "channels_last";
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
};

/// Dropout of whole 2D feature maps: one keep mask per (sample, channel).
class SpatialDropout2DImpl : public Layer {
 public:
  using Options = SpatialDropout2DOptions;
  explicit SpatialDropout2DImpl(Options options);
  explicit SpatialDropout2DImpl(double rate);
  std::string class_name() const override { return "SpatialDropout2D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct SpatialDropout2D : Handle<SpatialDropout2DImpl> {
  using Handle::Handle;
};

// ---- GaussianNoise ------------------------------------------------------------------------------------

struct GaussianNoiseOptions {
  /// Standard deviation of the additive noise, in [0, 1].
  double stddev = 0.0;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Adds zero-centred normal noise in training; the identity in inference.
class GaussianNoiseImpl : public Layer {
 public:
  using Options = GaussianNoiseOptions;
  explicit GaussianNoiseImpl(Options options);
  explicit GaussianNoiseImpl(double stddev);
  std::string class_name() const override { return "GaussianNoise"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct GaussianNoise : Handle<GaussianNoiseImpl> {
  using Handle::Handle;
};

// ---- GaussianDropout ----------------------------------------------------------------------------------

struct GaussianDropoutOptions {
  /// Drop probability, in [0, 1]: the multiplicative noise has mean 1 and standard deviation
  /// sqrt(rate / (1 - rate)).
  double rate = 0.0;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Multiplies by 1-centred normal noise in training; the identity in inference.
class GaussianDropoutImpl : public Layer {
 public:
  using Options = GaussianDropoutOptions;
  explicit GaussianDropoutImpl(Options options);
  explicit GaussianDropoutImpl(double rate);
  std::string class_name() const override { return "GaussianDropout"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct GaussianDropout : Handle<GaussianDropoutImpl> {
  using Handle::Handle;
};

// ---- ActivityRegularization ---------------------------------------------------------------------------

struct ActivityRegularizationOptions {
  double l1 = 0.0;
  double l2 = 0.0;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// The identity, which adds (l1 * sum|x| + l2 * sum x^2) / batch_size to losses() on every call
/// (Keras 3 divides activity penalties by the batch size).
class ActivityRegularizationImpl : public Layer {
 public:
  using Options = ActivityRegularizationOptions;
  explicit ActivityRegularizationImpl(Options options = {});
  std::string class_name() const override { return "ActivityRegularization"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct ActivityRegularization : Handle<ActivityRegularizationImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
