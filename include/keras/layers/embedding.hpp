#pragma once
/// keras.layers.Embedding: turns integer ids into dense vectors.
///
/// Example:
///   keras::layers::Embedding emb({.input_dim = 1000, .output_dim = 64, .mask_zero = true});
///   keras::Tensor y = emb(ids);              // (batch, steps) int -> (batch, steps, 64)
///   keras::Tensor m = keras::get_keras_mask(y);  // ids != 0, read by an LSTM after it
#include <cstdint>
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct EmbeddingOptions {
  /// Vocabulary size: ids lie in [0, input_dim).
  int64_t input_dim = 0;
  int64_t output_dim = 0;
  initializers::InitializerArg embeddings_initializer = "uniform";
  regularizers::RegularizerArg embeddings_regularizer{};
  regularizers::RegularizerArg activity_regularizer{};
  constraints::ConstraintArg embeddings_constraint{};
  /// Id 0 is padding: the output carries the mask ids != 0 (input_dim must then count it).
  bool mask_zero = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// A lookup table `embeddings` of shape (input_dim, output_dim): output[..., :] =
/// embeddings[ids[...]]. Floating inputs are cast to int32 (as Keras does).
class EmbeddingImpl : public Layer {
 public:
  using Options = EmbeddingOptions;
  explicit EmbeddingImpl(Options options);
  EmbeddingImpl(int64_t input_dim, int64_t output_dim);
  std::string class_name() const override { return "Embedding"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  /// inputs != 0 when mask_zero, else none.
  Tensor compute_mask(const Tensor& inputs, const Tensor& mask) override;
  nlohmann::json get_config() const override;
  const Variable& embeddings() const { return embeddings_; }
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable embeddings_;
};
struct Embedding : Handle<EmbeddingImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
