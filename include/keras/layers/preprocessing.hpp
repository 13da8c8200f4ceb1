#pragma once
/// The preprocessing layers: Normalization, RandomFlip, RandomCrop, CategoryEncoding.
///
/// Example:
///   keras::layers::Normalization norm;
///   norm->adapt(train_x);                                  // per-feature mean and variance
///   auto model = keras::Sequential({
///       keras::layers::Input({32, 32, 3}),
///       keras::layers::RandomFlip({.mode = "horizontal", .seed = 1}),
///       keras::layers::RandomCrop(28, 28),
///       keras::layers::Flatten(),
///       keras::layers::Dense(10),
///   });
///   keras::layers::CategoryEncoding enc({.num_tokens = 6, .output_mode = "one_hot"});
///
/// RandomFlip and RandomCrop augment only in training (model.fit, or layer(x, true)); each owns a
/// random::SeedGenerator, saved with checkpoints. Unlike Keras, whose image preprocessing layers
/// augment when called directly without a `training` argument, a keras.cpp layer called with no
/// flag outside any other call runs in inference mode (Layer::operator()'s rule): pass `true`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"
#include "keras/random.hpp"

namespace keras::data {
class Dataset;
}  // namespace keras::data

namespace keras::layers {

// ---- Normalization ------------------------------------------------------------------------------------

struct NormalizationOptions {
  /// The axes that get their own mean and variance (negative counts from the end); every other
  /// axis is reduced by adapt(). Empty: Keras' axis=None, one scalar mean and variance.
  std::vector<int> axis = {-1};
  /// Fixed statistics instead of adapt(): both or neither, of the same shape, of rank at most
  /// axis.size(); they broadcast to the kept axes aligned from the right. The layer then has no
  /// weights.
  std::optional<Tensor> mean{};
  std::optional<Tensor> variance{};
  /// Computes mean + x * sqrt(variance) (undoes the normalization) instead.
  bool invert = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// (x - mean) / max(sqrt(variance), 1e-7), with the statistics learnt by adapt() or given as
/// options. Without fixed statistics its weights, all non-trainable, are Keras': mean and variance
/// (the kept axes' shape, the layer's dtype) and count (int32 scalar, kept at 0 as Keras keeps it,
/// for older saved models); before adapt() they are 0 and 1 (the identity). Differentiable with
/// respect to its input.
class NormalizationImpl : public Layer {
 public:
  using Options = NormalizationOptions;
  explicit NormalizationImpl(Options options = {});
  std::string class_name() const override { return "Normalization"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  /// name, trainable, dtype, axis (a list), invert, mean and variance (as given: null, a number or
  /// nested lists).
  nlohmann::json get_config() const override;

  /// Sets mean and variance to the statistics of `data` over every axis but the kept ones (and
  /// builds the layer for data.shape() if it is not built). Replaces any earlier adapt().
  void adapt(const Tensor& data);
  /// The same over a finite dataset of batches (the first component of each element), streamed
  /// batch by batch with Keras' update. As Keras does for a tf.data.Dataset, a dataset whose
  /// elements have rank 1 is taken as unbatched and batched by 128, and an unbuilt layer is built
  /// for the first batch's shape with an unknown batch size.
  void adapt(const data::Dataset& data);

  /// The adapted statistics (kept axes' shape); undefined with fixed statistics or before build.
  const Variable& adapt_mean() const { return adapt_mean_; }
  const Variable& adapt_variance() const { return adapt_variance_; }
  const Variable& count() const { return count_; }
  /// The statistics in use, in the input's rank with size 1 on the reduced axes (built only).
  Tensor mean() const;
  Tensor variance() const;
  const Options& options() const { return options_; }

 private:
  void check_kept_dims(const Shape& shape, bool from_dataset) const;
  Options options_;
  Variable adapt_mean_, adapt_variance_, count_;
  Tensor fixed_mean_, fixed_variance_;  // with fixed statistics, broadcast once built
  std::vector<int64_t> keep_axes_, reduce_axes_;
  Shape broadcast_shape_, stats_shape_;
};
struct Normalization : Handle<NormalizationImpl> {
  using Handle::Handle;
};

// ---- RandomFlip ---------------------------------------------------------------------------------------

struct RandomFlipOptions {
  /// "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical" (both flips
  /// together or neither, as Keras draws one decision per image).
  std::string mode = "horizontal_and_vertical";
  std::optional<uint64_t> seed{};
  /// "channels_last": (batch, height, width, channels); "channels_first": (batch, channels,
  /// height, width). Rank-3 inputs are single images.
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// In training flips each image with probability 1/2 (one draw per image); in inference the
/// identity. The output is cast to the layer's dtype (float32) in both modes, as in Keras.
class RandomFlipImpl : public Layer {
 public:
  using Options = RandomFlipOptions;
  explicit RandomFlipImpl(Options options);
  explicit RandomFlipImpl(std::string mode = "horizontal_and_vertical");
  std::string class_name() const override { return "RandomFlip"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  /// name, trainable, dtype, data_format, seed, mode.
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct RandomFlip : Handle<RandomFlipImpl> {
  using Handle::Handle;
};

// ---- RandomCrop ---------------------------------------------------------------------------------------

struct RandomCropOptions {
  /// The output's height and width (> 0).
  int64_t height = 0;
  int64_t width = 0;
  std::optional<uint64_t> seed{};
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Training, with an input taller and wider than (height, width): a window of that size at a
/// random position, the same for every image of the batch. Training otherwise (an input not larger
/// in both dimensions), as Keras computes it: the window of (height, width) starting where the
/// largest centred box of the target aspect ratio starts, cut off by the image's edges and resized
/// (bilinear) to (height, width) where it is smaller. Inference: the largest centred box of the
/// target aspect ratio, resized (bilinear, half-pixel centres, no antialiasing) to (height, width)
/// — keras.ops.image.resize(x, size, crop_to_aspect_ratio=True), what Keras' documentation and
/// compute_output_shape describe (Keras 3.15.1 itself returns its input unchanged at inference,
/// keras-team/keras#21868). The output is in the layer's dtype (float32).
class RandomCropImpl : public Layer {
 public:
  using Options = RandomCropOptions;
  explicit RandomCropImpl(Options options);
  RandomCropImpl(int64_t height, int64_t width);
  std::string class_name() const override { return "RandomCrop"; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  /// name, trainable, dtype, data_format, height, width, seed (the generator's seed when none was
  /// given: Keras reports the default seed it drew).
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override { return {&seed_generator_}; }

 private:
  Options options_;
  random::SeedGenerator seed_generator_;
};
struct RandomCrop : Handle<RandomCropImpl> {
  using Handle::Handle;
};

// ---- CategoryEncoding ---------------------------------------------------------------------------------

struct CategoryEncodingOptions {
  /// The number of tokens (>= 1): inputs are integers in [0, num_tokens). Required.
  std::optional<int64_t> num_tokens{};
  /// "multi_hot" (1 for each token present in a sample; "binary" is its old name), "count"
  /// (how often each token occurs) or "one_hot" (each element encoded on a new last axis; an
  /// input whose last axis has size 1 is encoded on that axis).
  std::string output_mode = "multi_hot";
  /// Sparse outputs: keras.cpp has no sparse tensors, so `true` is refused (NotImplementedError).
  bool sparse = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Encodes integer token indices of rank 0 to 2 ("one_hot": any rank) as in Keras: the last axis
/// of a rank-2 input is the sample's tokens ("multi_hot", "count"). Values outside [0, num_tokens)
/// raise keras::ValueError when the input holds concrete values (Keras' JAX backend silently
/// encodes them as nothing).
class CategoryEncodingImpl : public Layer {
 public:
  using Options = CategoryEncodingOptions;
  explicit CategoryEncodingImpl(Options options);
  explicit CategoryEncodingImpl(int64_t num_tokens, std::string output_mode = "multi_hot");
  std::string class_name() const override { return "CategoryEncoding"; }
  Tensor call(const Tensor& inputs, bool training) override;
  /// Keras' call(inputs, count_weights=...): "count" mode only; each occurrence adds its weight
  /// (count_weights has the inputs' shape) instead of 1.
  Tensor call(const Tensor& inputs, const Tensor& count_weights);
  Shape compute_output_shape(const Shape& input_shape) override;
  /// name, trainable, dtype, num_tokens, output_mode (Keras reports no `sparse`).
  nlohmann::json get_config() const override;

 private:
  Tensor encode(const Tensor& inputs, const Tensor* count_weights);
  Options options_;
};
struct CategoryEncoding : Handle<CategoryEncodingImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
