// Attention and MultiHeadAttention, after keras/src/layers/attention/{attention,multi_head_attention}.py
// (Keras 3.15): the same weights, masks and errors; the computation with keras::ops so it differentiates.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/layers/attention.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"

namespace keras::layers {

namespace {

std::string format_shape(const Shape& s) {
  std::string out = "(";
  for (int i = 0; i < s.rank(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("None") : std::to_string(s[i]));
  return out + (s.rank() == 1 ? ",)" : ")");
}

std::string format_tensors(const std::vector<Tensor>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    out += (i ? ", " : "") + std::string("<Tensor shape=") + format_shape(xs[i].shape()) + ">";
  return out + "]";
}

// What a masked-out score becomes, by dtype (Keras: 65504 / 1e9 in Attention, 3e4 / 1e9 in Softmax).
double large_value(DType dt, double f16) { return dt == DType::float16 ? f16 : 1.0e9; }

// (1, T, S) boolean: row >= column; an undefined tensor on a symbolic trace of unknown lengths
// (the trace only needs shapes).
Tensor causal_mask(int64_t t, int64_t s) {
  if (t < 0 || s < 0) return Tensor();
  Tensor rows = ops::reshape(ops::arange(0, static_cast<double>(t), 1.0, DType::int32), {1, t, 1});
  Tensor cols = ops::reshape(ops::arange(0, static_cast<double>(s), 1.0, DType::int32), {1, 1, s});
  return ops::greater_equal(rows, cols);
}

Tensor as_bool(const Tensor& m) { return m.dtype() == DType::bool_ ? m : ops::cast(m, DType::bool_); }

Tensor and_masks(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return ops::logical_and(a, b);
}

Tensor to_dtype(const Tensor& x, DType dt) { return x.dtype() == dt ? x : ops::cast(x, dt); }

}  // namespace

// ---- Attention -------------------------------------------------------------------------------------

AttentionImpl::AttentionImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "attention"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  if (options_.score_mode != "dot" && options_.score_mode != "concat")
    throw ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. Received: score_mode=" +
                     options_.score_mode);
  set_supports_masking(true);
}

void AttentionImpl::build(const Shape& input_shape) {
  throw ValueError(
      "Attention layer must be called on a list of inputs, namely [query, value] or [query, value, key]. Received: "
      "inputs=<Tensor shape=" +
      format_shape(input_shape) + ">.");
}

void AttentionImpl::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() < 2 || shapes.size() > 3)
    throw ValueError(
        "Attention layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
        "Received length: " +
        std::to_string(shapes.size()) + ".");
  if (options_.use_scale) {
    scale_ = add_weight({.name = "scale", .shape = Shape{}, .initializer = "ones", .trainable = true});
    has_scale_ = true;
  }
  if (options_.score_mode == "concat") {
    concat_score_weight_ =
        add_weight({.name = "concat_score_weight", .shape = Shape{}, .initializer = "ones", .trainable = true});
    has_concat_ = true;
  }
}

std::vector<Tensor> AttentionImpl::call_multi(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() < 2 || inputs.size() > 3)
    throw ValueError(
        "Attention layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
        "Received length: " +
        std::to_string(inputs.size()) + ".");
  const DType dt = dtype();
  const Tensor q = to_dtype(inputs[0], dt), v = to_dtype(inputs[1], dt);
  const Tensor k = inputs.size() > 2 ? to_dtype(inputs[2], dt) : v;
  if (q.ndim() < 2 || k.ndim() != q.ndim() || v.ndim() != q.ndim())
    throw ValueError("Attention layer expects query, value and key of the same rank (at least 2). Received: inputs=" +
                     format_tensors(inputs));
  const Tensor q_mask = input_mask(0), v_mask = input_mask(1);

  // Scores, (..., Tq, Tv).
  Tensor scores;
  if (options_.score_mode == "dot") {
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < k.ndim(); ++i) perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    scores = ops::matmul(q, ops::transpose(k, perm));
    if (has_scale_) scores = ops::multiply(scores, scale_.value());
  } else {
    Tensor sum = ops::add(ops::expand_dims(q, -2), ops::expand_dims(k, -3));  // (..., Tq, Tv, dim)
    if (has_scale_) sum = ops::multiply(scale_.value(), sum);
    scores = ops::multiply(concat_score_weight_.value(), ops::sum(ops::tanh(sum), {-1}));
  }

  // The score mask: the value mask (..., 1, Tv), and with the causal mask (1, Tq, Tv).
  Tensor scores_mask = v_mask.defined() ? as_bool(v_mask) : Tensor();
  if (options_.use_causal_mask) {
    const Shape& s = scores.shape();
    Tensor causal = causal_mask(s[s.rank() - 2], s[s.rank() - 1]);
    if (causal.defined()) {
      scores_mask = scores_mask.defined() ? ops::logical_and(ops::expand_dims(scores_mask, -2), causal) : causal;
    }
  }
  if (scores_mask.defined()) {
    Tensor padding = ops::logical_not(scores_mask);
    if (padding.ndim() == 2) padding = ops::expand_dims(padding, -2);
    scores = ops::where(padding, scores - large_value(dt, 65504.0), scores);
  }
  Tensor weights = ops::softmax(scores, -1);
  Tensor used = weights;
  if (training && options_.dropout > 0)
    used = random::dropout(weights, options_.dropout, std::nullopt, random::Seed(seed_generator_));
  Tensor out = ops::matmul(used, v);
  if (q_mask.defined()) out = ops::where(ops::expand_dims(as_bool(q_mask), -1), out, ops::zeros_like(out));
  if (options_.return_attention_scores) return {out, weights};
  return {out};
}

std::vector<Tensor> AttentionImpl::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) {
  Tensor q_mask = masks.empty() ? Tensor() : masks[0];
  if (options_.return_attention_scores) return {q_mask, Tensor()};
  return {q_mask};
}

nlohmann::json AttentionImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["use_scale"] = options_.use_scale;
  c["score_mode"] = options_.score_mode;
  c["dropout"] = options_.dropout;
  c["seed"] = options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr);
  return c;
}

std::vector<random::SeedGenerator*> AttentionImpl::own_seed_generators() {
  if (options_.dropout > 0) return {&seed_generator_};
  return {};
}

// ---- the projections and the softmax stand-in -------------------------------------------------------

AttentionProjectionImpl::AttentionProjectionImpl(std::string name, std::optional<DType> dtype, std::string equation,
                                                 std::string bias_axes)
    : Layer({.name = std::move(name), .dtype = dtype, .trainable = true}, "einsum_dense"),
      equation_(std::move(equation)),
      bias_axes_(std::move(bias_axes)) {}

void AttentionProjectionImpl::create(const Shape& kernel_shape, std::optional<Shape> bias_shape,
                                     const MultiHeadAttentionOptions& o) {
  kernel_ = add_weight({.name = "kernel",
                        .shape = kernel_shape,
                        .initializer = o.kernel_initializer,
                        .regularizer = o.kernel_regularizer,
                        .constraint = o.kernel_constraint});
  if (bias_shape) {
    bias_ = add_weight({.name = "bias",
                        .shape = *bias_shape,
                        .initializer = o.bias_initializer,
                        .regularizer = o.bias_regularizer,
                        .constraint = o.bias_constraint});
    has_bias_ = true;
  } else {
    bias_axes_.clear();
  }
  set_built(true);
}

Tensor AttentionProjectionImpl::apply(const Tensor& x) const {
  Tensor y = ops::einsum(equation_, to_dtype(x, dtype()), kernel_.value());
  if (has_bias_) y = ops::add(y, bias_.value());
  return y;
}

nlohmann::json AttentionProjectionImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["equation"] = equation_;
  c["bias_axes"] = bias_axes_.empty() ? nlohmann::json(nullptr) : nlohmann::json(bias_axes_);
  return c;
}

AttentionSoftmaxImpl::AttentionSoftmaxImpl(std::optional<DType> dtype)
    : Layer({.name = "", .dtype = dtype, .trainable = true}, "softmax") {}

Tensor AttentionSoftmaxImpl::call(const Tensor& inputs, bool) { return ops::softmax(inputs, -1); }

// ---- MultiHeadAttention ----------------------------------------------------------------------------

MultiHeadAttentionImpl::MultiHeadAttentionImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "multi_head_attention"),
      options_(std::move(o)) {
  if (options_.num_heads <= 0)
    throw ValueError(
        "Received an invalid value for argument `num_heads`, expected a positive integer. Received: num_heads=" +
        std::to_string(options_.num_heads));
  if (options_.key_dim <= 0)
    throw ValueError(
        "Received an invalid value for argument `key_dim`, expected a positive integer. Received: key_dim=" +
        std::to_string(options_.key_dim));
  if (options_.value_dim && *options_.value_dim <= 0)
    throw ValueError(
        "Received an invalid value for argument `value_dim`, expected a positive integer or `None`. Received: "
        "value_dim=" +
        std::to_string(*options_.value_dim));
  for (int64_t d : options_.output_shape)
    if (d <= 0) {
      std::string s = "(";
      for (size_t i = 0; i < options_.output_shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(options_.output_shape[i]);
      throw ValueError("Invalid `output_shape`: " + s + (options_.output_shape.size() == 1 ? ",)" : ")") +
                       ". When specified, the `output_shape` should be of type tuple, list, or int.");
    }
  value_dim_ = options_.value_dim.value_or(options_.key_dim);
  set_supports_masking(true);
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int num_heads, int key_dim)
    : MultiHeadAttentionImpl(Options{.num_heads = num_heads, .key_dim = key_dim}) {}

void MultiHeadAttentionImpl::build(const Shape& input_shape) {
  throw ValueError(
      "MultiHeadAttention layer must be called on a list of inputs, namely [query, value], [query, value, key] or "
      "[query, value, key, attention_mask]. Received: inputs=<Tensor shape=" +
      format_shape(input_shape) + ">.");
}

void MultiHeadAttentionImpl::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() < 2 || shapes.size() > 4)
    throw ValueError(
        "MultiHeadAttention layer accepts inputs list of length 2, 3 or 4, namely [query, value], [query, value, "
        "key] or [query, value, key, attention_mask]. Received length: " +
        std::to_string(shapes.size()) + ".");
  const Shape& query_shape = shapes[0];
  const Shape& value_shape = shapes[1];
  const Shape& key_shape = shapes.size() > 2 ? shapes[2] : shapes[1];
  bool same = value_shape.rank() == key_shape.rank();
  for (int i = 1; same && i + 1 < value_shape.rank(); ++i) same = value_shape[i] == key_shape[i];
  if (!same)
    throw ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: value_shape=" +
                     format_shape(value_shape) + " and key_shape=" + format_shape(key_shape));
  if (query_shape.rank() != 3 || value_shape.rank() != 3)
    throw NotImplementedError(
        "MultiHeadAttention: only inputs of rank 3, (batch, sequence, features), are implemented. Received: "
        "query_shape=" +
        format_shape(query_shape) + ", value_shape=" + format_shape(value_shape));
  for (int axis : options_.attention_axes) {
    const int resolved = axis >= 0 ? axis : 3 + axis;  // Keras: (rank - 1) + axis, projected rank 4
    if (resolved != 1 || options_.attention_axes.size() != 1)
      throw NotImplementedError(
          "MultiHeadAttention: only the default attention_axes (the sequence axis, 1 or -2 for rank-3 inputs) are "
          "implemented. Received: attention_axes=" +
          std::to_string(axis));
  }
  for (const Shape* s : {&query_shape, &value_shape, &key_shape})
    if (s->back() < 0)
      throw ValueError("MultiHeadAttention: the last dimension of query, value and key must be known. Received: " +
                       format_shape(*s));
  const int64_t n = options_.num_heads, kd = options_.key_dim, vd = value_dim_;
  const std::optional<DType> dt = dtype();
  auto bias = [&](Shape s) -> std::optional<Shape> {
    if (options_.use_bias) return s;
    return std::nullopt;
  };
  query_ = track("query_dense", Handle<AttentionProjectionImpl>(
                                    std::make_shared<AttentionProjectionImpl>("query", dt, "abc,cde->abde", "de")));
  query_->create({query_shape.back(), n, kd}, bias({n, kd}), options_);
  key_ = track("key_dense", Handle<AttentionProjectionImpl>(
                                std::make_shared<AttentionProjectionImpl>("key", dt, "abc,cde->abde", "de")));
  key_->create({key_shape.back(), n, kd}, bias({n, kd}), options_);
  value_ = track("value_dense", Handle<AttentionProjectionImpl>(
                                    std::make_shared<AttentionProjectionImpl>("value", dt, "abc,cde->abde", "de")));
  value_->create({value_shape.back(), n, vd}, bias({n, vd}), options_);
  track("_softmax", Handle<AttentionSoftmaxImpl>(std::make_shared<AttentionSoftmaxImpl>(dt)));
  dropout_layer_ = track("_dropout_layer", Handle<DropoutImpl>(std::make_shared<DropoutImpl>(DropoutOptions{
                                               .rate = options_.dropout, .seed = options_.seed, .dtype = dt})));
  std::vector<int64_t> out_dims = options_.output_shape;
  if (out_dims.empty()) out_dims = {query_shape.back()};
  std::string out_letters;
  for (size_t i = 0; i < out_dims.size(); ++i) out_letters += static_cast<char>('e' + i);
  Shape kernel{n, vd}, bias_shape;
  for (int64_t d : out_dims) {
    kernel.push_back(d);
    bias_shape.push_back(d);
  }
  output_ =
      track("output_dense", Handle<AttentionProjectionImpl>(std::make_shared<AttentionProjectionImpl>(
                                "attention_output", dt, "abcd,cd" + out_letters + "->ab" + out_letters, out_letters)));
  output_->create(kernel, bias(bias_shape), options_);
}

std::vector<Tensor> MultiHeadAttentionImpl::call_multi(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() < 2 || inputs.size() > 4)
    throw ValueError(
        "MultiHeadAttention layer accepts inputs list of length 2, 3 or 4, namely [query, value], [query, value, "
        "key] or [query, value, key, attention_mask]. Received length: " +
        std::to_string(inputs.size()) + ".");
  const Tensor& query = inputs[0];
  const Tensor& value = inputs[1];
  const Tensor& key = inputs.size() > 2 ? inputs[2] : inputs[1];
  if (query.ndim() != 3 || value.ndim() != 3 || key.ndim() != 3)
    throw NotImplementedError("MultiHeadAttention: only inputs of rank 3 are implemented. Received: inputs=" +
                              format_tensors(inputs));
  if (value.shape()[1] >= 0 && key.shape()[1] >= 0 && value.shape()[1] != key.shape()[1])
    throw ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: value_shape=" +
                     format_shape(value.shape()) + " and key_shape=" + format_shape(key.shape()));

  // The attention mask, (B, T, S) or broadcastable: the keras masks of query (B, T, 1), value and
  // an explicitly given key (B, 1, S), the causal mask (1, T, S) and the explicit attention_mask.
  const Tensor query_mask = input_mask(0), value_mask = input_mask(1);
  const Tensor key_mask = inputs.size() > 2 ? input_mask(2) : Tensor();
  Tensor auto_mask;
  if (query_mask.defined()) auto_mask = ops::expand_dims(as_bool(query_mask), -1);
  if (value_mask.defined()) auto_mask = and_masks(auto_mask, ops::expand_dims(as_bool(value_mask), -2));
  if (key_mask.defined()) auto_mask = and_masks(auto_mask, ops::expand_dims(as_bool(key_mask), -2));
  if (options_.use_causal_mask) auto_mask = and_masks(auto_mask, causal_mask(query.shape()[1], value.shape()[1]));
  Tensor mask = inputs.size() > 3 ? as_bool(inputs[3]) : Tensor();
  mask = and_masks(mask, auto_mask);

  const Tensor q = query_->apply(query);  // (B, T, N, key_dim)
  const Tensor k = key_->apply(key);      // (B, S, N, key_dim)
  const Tensor v = value_->apply(value);  // (B, S, N, value_dim)

  const double inv_sqrt = 1.0 / std::sqrt(static_cast<double>(options_.key_dim));
  Tensor scores = ops::einsum("aecd,abcd->acbe", k, q * inv_sqrt);  // (B, N, T, S)
  // Keras takes two routes: with attention scores returned or dropout, its masked Softmax (masked
  // scores -1e9, then the masked weights zeroed, so a fully masked row is all zeros); otherwise the
  // backend's dot_product_attention (masked scores set very negative, not zeroed afterwards).
  const bool explicit_scores = options_.return_attention_scores || options_.dropout > 0;
  if (mask.defined()) {
    while (mask.ndim() < 4) mask = ops::expand_dims(mask, -3);
    scores = ops::where(mask, scores, ops::full_like(scores, -large_value(scores.dtype(), 3e4)));
  }
  Tensor weights = ops::softmax(scores, -1);
  if (mask.defined() && explicit_scores) weights = ops::where(mask, weights, ops::zeros_like(weights));
  Tensor used = options_.dropout > 0 ? dropout_layer_(weights, training) : weights;
  Tensor context = ops::einsum("acbe,aecd->abcd", used, v);  // (B, T, N, value_dim)
  Tensor out = output_->apply(context);
  if (options_.return_attention_scores) return {out, weights};
  return {out};
}

std::vector<Tensor> MultiHeadAttentionImpl::compute_mask_multi(const std::vector<Tensor>&,
                                                               const std::vector<Tensor>& masks) {
  // The query's mask rides on the output (Keras sets it in call); none on the scores.
  Tensor q_mask = masks.empty() ? Tensor() : masks[0];
  if (options_.return_attention_scores) return {q_mask, Tensor()};
  return {q_mask};
}

nlohmann::json MultiHeadAttentionImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["num_heads"] = options_.num_heads;
  c["key_dim"] = options_.key_dim;
  c["value_dim"] = value_dim_;
  c["dropout"] = options_.dropout;
  c["use_bias"] = options_.use_bias;
  c["use_gate"] = false;
  c["output_shape"] = options_.output_shape.empty() ? nlohmann::json(nullptr) : nlohmann::json(options_.output_shape);
  // Keras resolves the default (the sequence axis) when it builds.
  if (!options_.attention_axes.empty())
    c["attention_axes"] = options_.attention_axes;
  else if (built())
    c["attention_axes"] = std::vector<int>{1};
  else
    c["attention_axes"] = nullptr;
  c["sliding_window"] = nullptr;
  c["kernel_initializer"] = saving::serialize(options_.kernel_initializer);
  c["bias_initializer"] = saving::serialize(options_.bias_initializer);
  c["kernel_regularizer"] = saving::serialize(options_.kernel_regularizer);
  c["bias_regularizer"] = saving::serialize(options_.bias_regularizer);
  // Always written (null when unset); Layer::get_config has written it when set.
  if (!c.contains("activity_regularizer")) c["activity_regularizer"] = nullptr;
  c["kernel_constraint"] = saving::serialize(options_.kernel_constraint);
  c["bias_constraint"] = saving::serialize(options_.bias_constraint);
  c["seed"] = options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr);
  return c;
}

}  // namespace keras::layers
