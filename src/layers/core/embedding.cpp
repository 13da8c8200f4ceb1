// Mirrors keras/src/layers/core/embedding.py (without LoRA and quantization).
#include "keras/layers/embedding.hpp"

#include <nlohmann/json.hpp>

#include "keras/ops.hpp"
#include "keras/saving.hpp"

namespace keras::layers {

EmbeddingImpl::EmbeddingImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "embedding"), options_(std::move(o)) {
  if (options_.input_dim <= 0)
    throw ValueError("`input_dim` must be a positive integer. Received: input_dim=" +
                     std::to_string(options_.input_dim) + " (of type int).");
  if (options_.output_dim <= 0)
    throw ValueError("`output_dim` must be a positive integer. Received: output_dim=" +
                     std::to_string(options_.output_dim) + " (of type int).");
  set_supports_masking(options_.mask_zero);
  set_activity_regularizer(options_.activity_regularizer);
}

EmbeddingImpl::EmbeddingImpl(int64_t input_dim, int64_t output_dim)
    : EmbeddingImpl(Options{.input_dim = input_dim, .output_dim = output_dim}) {}

void EmbeddingImpl::build(const Shape&) {
  embeddings_ = add_weight({.name = "embeddings",
                            .shape = {options_.input_dim, options_.output_dim},
                            .initializer = options_.embeddings_initializer,
                            .regularizer = options_.embeddings_regularizer,
                            .constraint = options_.embeddings_constraint});
}

Tensor EmbeddingImpl::call(const Tensor& inputs, bool) {
  Tensor ids = inputs;
  if (ids.dtype() != DType::int32 && ids.dtype() != DType::int64) ids = ops::cast(ids, DType::int32);
  Tensor y = ops::take(embeddings_.value(), ids, 0);
  return y.dtype() == dtype() ? y : ops::cast(y, dtype());
}

Shape EmbeddingImpl::compute_output_shape(const Shape& input_shape) {
  std::vector<int64_t> dims;
  for (int i = 0; i < input_shape.rank(); ++i) dims.push_back(input_shape[i]);
  dims.push_back(options_.output_dim);
  return Shape(dims);
}

Tensor EmbeddingImpl::compute_mask(const Tensor& inputs, const Tensor&) {
  if (!options_.mask_zero) return Tensor();
  return ops::not_equal(inputs, ops::zeros({}, inputs.dtype()));
}

nlohmann::json EmbeddingImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["input_dim"] = options_.input_dim;
  c["output_dim"] = options_.output_dim;
  c["embeddings_initializer"] = saving::serialize(options_.embeddings_initializer);
  c["embeddings_regularizer"] = saving::serialize(options_.embeddings_regularizer);
  c["activity_regularizer"] = saving::serialize(options_.activity_regularizer);
  c["embeddings_constraint"] = saving::serialize(options_.embeddings_constraint);
  c["mask_zero"] = options_.mask_zero;
  c["quantization_config"] = nullptr;
  return c;
}

}  // namespace keras::layers
