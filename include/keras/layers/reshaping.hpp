#pragma once
/// Reshaping and rescaling layers (besides Flatten and Reshape, in core.hpp):
/// Permute, RepeatVector, ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D,
/// Rescaling.
///
/// Example:
///   auto model = keras::Sequential({
///       keras::layers::Input({28, 28, 1}),
///       keras::layers::Rescaling(1.0 / 255),
///       keras::layers::ZeroPadding2D({.padding = {{1, 0}, {2, 1}}}),
///       keras::layers::Cropping2D({.cropping = 1}),
///       keras::layers::UpSampling2D({.size = {2, 3}, .interpolation = "bilinear"}),
///       keras::layers::Permute({3, 1, 2}),
///   });
///
/// The 2D layers take data_format "channels_last" (batch, rows, cols,
/// channels) or "channels_first" (batch, channels, rows, cols). None of these
/// layers has weights.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

/// Keras' "int or tuple of 2 ints" arguments: `1` (both) or `{1, 2}`. Checked by the layer.
class IntPair {
 public:
  IntPair(int64_t v) : values_{v}, scalar_(true) {}  // NOLINT: implicit, as Keras takes an int
  IntPair(std::initializer_list<int64_t> v) : values_(v) {}
  IntPair(std::vector<int64_t> v) : values_(std::move(v)) {}  // NOLINT
  /// As given (one value for an int).
  const std::vector<int64_t>& values() const { return values_; }
  bool scalar() const { return scalar_; }

 private:
  std::vector<int64_t> values_;
  bool scalar_ = false;
};

/// Keras' padding / cropping arguments of the 2D layers: an int (all four sides), `{h, w}`
/// (symmetric per axis) or `{{top, bottom}, {left, right}}`. Checked by the layer.
class IntPairs2D {
 public:
  IntPairs2D(int64_t v) : scalar_(true), flat_{v} {}  // NOLINT
  IntPairs2D(std::initializer_list<int64_t> hw) : flat_(hw) {}
  IntPairs2D(std::initializer_list<std::initializer_list<int64_t>> pairs) : nested_(true) {
    for (auto p : pairs) pairs_.emplace_back(p);
  }
  bool scalar() const { return scalar_; }
  bool nested() const { return nested_; }
  /// The int, or the flat `{h, w}` form.
  const std::vector<int64_t>& flat() const { return flat_; }
  /// The `{{top, bottom}, {left, right}}` form.
  const std::vector<std::vector<int64_t>>& pairs() const { return pairs_; }

 private:
  bool scalar_ = false;
  bool nested_ = false;
  std::vector<int64_t> flat_;
  std::vector<std::vector<int64_t>> pairs_;
};

// ---- Permute ------------------------------------------------------------------------------------------

struct PermuteOptions {
  /// A permutation of 1..rank-1 (the batch axis stays first): {2, 1} swaps the two axes.
  std::vector<int64_t> dims{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class PermuteImpl : public Layer {
 public:
  using Options = PermuteOptions;
  explicit PermuteImpl(Options options);
  explicit PermuteImpl(std::vector<int64_t> dims);
  std::string class_name() const override { return "Permute"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct Permute : Handle<PermuteImpl> {
  using Handle::Handle;
  /// `Permute({2, 1})`.
  Permute(std::initializer_list<int64_t> dims) : Handle(std::vector<int64_t>(dims)) {}
};

// ---- RepeatVector -------------------------------------------------------------------------------------

struct RepeatVectorOptions {
  /// Repetitions: (batch, features) -> (batch, n, features).
  int64_t n = 0;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class RepeatVectorImpl : public Layer {
 public:
  using Options = RepeatVectorOptions;
  explicit RepeatVectorImpl(Options options);
  explicit RepeatVectorImpl(int64_t n);
  std::string class_name() const override { return "RepeatVector"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct RepeatVector : Handle<RepeatVectorImpl> {
  using Handle::Handle;
};

// ---- ZeroPadding1D / ZeroPadding2D --------------------------------------------------------------------

struct ZeroPadding1DOptions {
  /// Zeros added at the start and end of the steps axis: an int (both) or {start, end}.
  IntPair padding = 1;
  /// "channels_last": (batch, steps, features); "channels_first": (batch, features, steps).
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class ZeroPadding1DImpl : public Layer {
 public:
  using Options = ZeroPadding1DOptions;
  explicit ZeroPadding1DImpl(Options options = {});
  explicit ZeroPadding1DImpl(IntPair padding);
  std::string class_name() const override { return "ZeroPadding1D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  int64_t before_ = 1, after_ = 1;
};
struct ZeroPadding1D : Handle<ZeroPadding1DImpl> {
  using Handle::Handle;
};

struct ZeroPadding2DOptions {
  IntPairs2D padding = {1, 1};
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class ZeroPadding2DImpl : public Layer {
 public:
  using Options = ZeroPadding2DOptions;
  explicit ZeroPadding2DImpl(Options options = {});
  explicit ZeroPadding2DImpl(IntPairs2D padding);
  std::string class_name() const override { return "ZeroPadding2D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  int64_t pad_[2][2] = {{1, 1}, {1, 1}};  // {{top, bottom}, {left, right}}
};
struct ZeroPadding2D : Handle<ZeroPadding2DImpl> {
  using Handle::Handle;
};

// ---- Cropping1D / Cropping2D --------------------------------------------------------------------------

struct Cropping1DOptions {
  /// Steps removed at the start and end: an int (both) or {start, end}.
  IntPair cropping = {1, 1};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class Cropping1DImpl : public Layer {
 public:
  using Options = Cropping1DOptions;
  explicit Cropping1DImpl(Options options = {});
  explicit Cropping1DImpl(IntPair cropping);
  std::string class_name() const override { return "Cropping1D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  int64_t start_ = 1, end_ = 1;
};
struct Cropping1D : Handle<Cropping1DImpl> {
  using Handle::Handle;
};

struct Cropping2DOptions {
  IntPairs2D cropping = {{0, 0}, {0, 0}};
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class Cropping2DImpl : public Layer {
 public:
  using Options = Cropping2DOptions;
  explicit Cropping2DImpl(Options options = {});
  explicit Cropping2DImpl(IntPairs2D cropping);
  std::string class_name() const override { return "Cropping2D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  int64_t crop_[2][2] = {{0, 0}, {0, 0}};
};
struct Cropping2D : Handle<Cropping2DImpl> {
  using Handle::Handle;
};

// ---- UpSampling1D / UpSampling2D ----------------------------------------------------------------------

struct UpSampling1DOptions {
  /// Each step is repeated `size` times.
  int64_t size = 2;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class UpSampling1DImpl : public Layer {
 public:
  using Options = UpSampling1DOptions;
  explicit UpSampling1DImpl(Options options = {});
  explicit UpSampling1DImpl(int64_t size);
  std::string class_name() const override { return "UpSampling1D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct UpSampling1D : Handle<UpSampling1DImpl> {
  using Handle::Handle;
};

struct UpSampling2DOptions {
  /// Row and column factors: an int (both) or {rows, cols}.
  IntPair size = {2, 2};
  std::string data_format = "channels_last";
  /// "nearest" (rows and columns repeated) or "bilinear" (half-pixel centres, edges clamped, as
  /// jax.image.resize). Case is ignored.
  std::string interpolation = "nearest";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
class UpSampling2DImpl : public Layer {
 public:
  using Options = UpSampling2DOptions;
  explicit UpSampling2DImpl(Options options = {});
  explicit UpSampling2DImpl(IntPair size);
  std::string class_name() const override { return "UpSampling2D"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
  int64_t size_[2] = {2, 2};
};
struct UpSampling2D : Handle<UpSampling2DImpl> {
  using Handle::Handle;
};

// ---- Rescaling ----------------------------------------------------------------------------------------

struct RescalingOptions {
  double scale = 1.0;
  double offset = 0.0;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};
/// inputs * scale + offset, in the layer's dtype (integer inputs are cast first).
class RescalingImpl : public Layer {
 public:
  using Options = RescalingOptions;
  explicit RescalingImpl(Options options);
  explicit RescalingImpl(double scale, double offset = 0.0);
  std::string class_name() const override { return "Rescaling"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct Rescaling : Handle<RescalingImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
