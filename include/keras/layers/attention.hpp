#pragma once
/// The attention layers: Attention (dot-product / Luong-style attention) and
/// MultiHeadAttention, with Keras 3's names, defaults, weights and masking.
///
/// Example (Functional API, a self-attention block):
///   auto x = keras::Input({16, 32});                                  // (None, 16, 32)
///   keras::Tensor y = keras::layers::MultiHeadAttention({.num_heads = 4, .key_dim = 8})({x, x});
///   auto both = keras::layers::MultiHeadAttention(
///       {.num_heads = 4, .key_dim = 8, .return_attention_scores = true})({x, x});
///   // both[0]: (None, 16, 32); both[1], the scores: (None, 4, 16, 16)
///   keras::Tensor c = keras::layers::Attention()({query, value});    // (batch, Tq, dim)
///
/// Inputs are a list: {query, value} or {query, value, key} (key defaults to
/// value). MultiHeadAttention takes a 4th input, the attention_mask (Keras'
/// `attention_mask=` call argument): a boolean (or 0/1) tensor of shape
/// (batch, Tq, Tv) (or broadcastable to it), true where a query position may
/// attend; to give one without a separate key pass {query, value, value, mask}.
///
/// Keras' call arguments `use_causal_mask` and `return_attention_scores` are
/// options here (fixed per layer, not saved in get_config() as in Keras);
/// with return_attention_scores the layer returns two outputs, the scores
/// second. The keras masks of the inputs (get_keras_mask) act as Keras' masks:
/// a query mask zeroes (Attention) or masks (MultiHeadAttention) the masked
/// query positions and is passed on to the output; a value (and, for
/// MultiHeadAttention, an explicitly given key) mask hides those positions.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/constraints.hpp"
#include "keras/initializers.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/layer.hpp"
#include "keras/random.hpp"
#include "keras/regularizers.hpp"

namespace keras::layers {

// ---- Attention -------------------------------------------------------------------------------------

struct AttentionOptions {
  /// Learn a scalar `scale` (initial 1) that multiplies the scores.
  bool use_scale = false;
  /// "dot": query . key; "concat": concat_score_weight * sum(tanh(query + key)).
  std::string score_mode = "dot";
  /// Fraction of the attention weights dropped in training.
  double dropout = 0.0;
  std::optional<uint64_t> seed{};
  /// Keras' call argument: position i attends only to positions j <= i.
  bool use_causal_mask = false;
  /// Keras' call argument: also return the attention weights (batch, Tq, Tv) as a second output.
  bool return_attention_scores = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Dot-product attention over (batch, Tq, dim) queries and (batch, Tv, dim) values (and keys):
/// softmax(query . key^T) . value, shape (batch, Tq, dim). Weights (Keras' order): `scale` with
/// use_scale, then `concat_score_weight` with score_mode "concat", both scalars.
class AttentionImpl : public Layer {
 public:
  using Options = AttentionOptions;
  explicit AttentionImpl(Options options = {});
  std::string class_name() const override { return "Attention"; }
  void build(const Shape& input_shape) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) override;
  /// use_scale, score_mode, dropout, seed (and the base keys), as Keras reports.
  nlohmann::json get_config() const override;
  std::vector<random::SeedGenerator*> own_seed_generators() override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable scale_, concat_score_weight_;
  bool has_scale_ = false, has_concat_ = false;
  random::SeedGenerator seed_generator_;
};
struct Attention : Handle<AttentionImpl> {
  using Handle::Handle;
  Attention() : Handle(AttentionOptions{}) {}
};

// ---- MultiHeadAttention ----------------------------------------------------------------------------

struct MultiHeadAttentionOptions {
  /// Number of attention heads (> 0).
  int num_heads = 0;
  /// Size of each head for query and key (> 0).
  int key_dim = 0;
  /// Size of each head for value; default key_dim.
  std::optional<int> value_dim{};
  /// Dropout on the attention weights, in training.
  double dropout = 0.0;
  bool use_bias = true;
  /// The sample shape of the output's last axes; empty (Keras' None): the query's last dimension.
  std::vector<int64_t> output_shape{};
  /// Axes attention runs over; empty (None): the default, the sequence axis. Only that axis
  /// (1 or -2 for rank-3 inputs) is implemented; others raise keras::NotImplementedError.
  std::vector<int> attention_axes{};
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg bias_constraint{};
  std::optional<uint64_t> seed{};
  /// Keras' call argument: position i attends only to positions j <= i.
  bool use_causal_mask = false;
  /// Keras' call argument: also return the attention scores (batch, num_heads, Tq, Tv).
  bool return_attention_scores = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// A projection of MultiHeadAttention (Keras' EinsumDense sublayers "query", "key", "value",
/// "attention_output"): weights `kernel` and, with use_bias, `bias`. Built and applied by its
/// MultiHeadAttention; not called on its own.
class AttentionProjectionImpl : public Layer {
 public:
  AttentionProjectionImpl(std::string name, std::optional<DType> dtype, std::string equation, std::string bias_axes);
  std::string class_name() const override { return "EinsumDense"; }
  /// Creates `kernel` (and `bias` when bias_shape is given).
  void create(const Shape& kernel_shape, std::optional<Shape> bias_shape, const MultiHeadAttentionOptions& o);
  /// einsum(equation, x, kernel) + bias.
  Tensor apply(const Tensor& x) const;
  /// equation and bias_axes (and the base keys).
  nlohmann::json get_config() const override;
  const Variable& kernel() const { return kernel_; }

 private:
  std::string equation_, bias_axes_;
  Variable kernel_, bias_;
  bool has_bias_ = false;
};

/// A weightless stand-in for Keras' `_softmax` sublayer (kept so weights files hold the same groups).
class AttentionSoftmaxImpl : public Layer {
 public:
  explicit AttentionSoftmaxImpl(std::optional<DType> dtype);
  std::string class_name() const override { return "Softmax"; }
  Tensor call(const Tensor& inputs, bool) override;
};

/// Multi-head attention (Vaswani et al.): query (batch, Tq, dq), value (batch, Tv, dv), key
/// (batch, Tv, dk) are projected to num_heads heads, attended with scaled dot products, and
/// projected back to (batch, Tq, dq) (or output_shape). Weights, in Keras' order:
/// query/kernel (dq, heads, key_dim), query/bias (heads, key_dim), key/kernel (dk, heads,
/// key_dim), key/bias, value/kernel (dv, heads, value_dim), value/bias (heads, value_dim),
/// attention_output/kernel (heads, value_dim, *output_shape), attention_output/bias
/// (*output_shape). Weights files: the sublayers' groups are query_dense, key_dense, value_dense,
/// output_dense (and the weightless _softmax, _dropout_layer), as Keras writes them.
class MultiHeadAttentionImpl : public Layer {
 public:
  using Options = MultiHeadAttentionOptions;
  explicit MultiHeadAttentionImpl(Options options);
  MultiHeadAttentionImpl(int num_heads, int key_dim);
  std::string class_name() const override { return "MultiHeadAttention"; }
  void build(const Shape& input_shape) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) override;
  /// num_heads, key_dim, value_dim, dropout, use_bias, use_gate, output_shape, attention_axes,
  /// sliding_window, seed (and the base keys).
  nlohmann::json get_config() const override;

  int num_heads() const { return options_.num_heads; }
  int key_dim() const { return options_.key_dim; }
  int value_dim() const { return value_dim_; }
  Handle<AttentionProjectionImpl> query_dense() const { return query_; }
  Handle<AttentionProjectionImpl> key_dense() const { return key_; }
  Handle<AttentionProjectionImpl> value_dense() const { return value_; }
  Handle<AttentionProjectionImpl> output_dense() const { return output_; }

 private:
  Options options_;
  int value_dim_ = 0;
  Handle<AttentionProjectionImpl> query_{nullptr}, key_{nullptr}, value_{nullptr}, output_{nullptr};
  Handle<DropoutImpl> dropout_layer_{nullptr};
};
struct MultiHeadAttention : Handle<MultiHeadAttentionImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
