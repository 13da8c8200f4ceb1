// Mirrors keras/src/metrics/accuracy_metrics.py (in_top_k: keras/src/backend/jax/math.py).
#include <limits>
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

namespace {

using detail::cast_to;

void require_defined(const char* fn, const Tensor& y_true, const Tensor& y_pred) {
  if (!y_true.defined()) throw ValueError(std::string(fn) + ": y_true is an undefined tensor");
  if (!y_pred.defined()) throw ValueError(std::string(fn) + ": y_pred is an undefined tensor");
}

void require_rank(const char* fn, const Tensor& y_pred, int rank) {
  if (y_pred.ndim() < rank)
    throw ValueError(std::string(fn) + ": y_pred must have rank >= " + std::to_string(rank) +
                     " (a class axis); received y_pred.shape=" + y_pred.shape().str());
}

Tensor matches_f32(const Tensor& a, const Tensor& b) { return ops::cast(ops::equal(a, b), DType::float32); }

// Whether predictions[i, targets[i]] is among the k largest of row i: its rank
// is 1 + the number of strictly larger values, so ties with the k-th count
// as in. A NaN score never counts as large.
Tensor in_top_k(const Tensor& targets, const Tensor& predictions, int64_t k) {
  Tensor at_label = ops::take_along_axis(predictions, ops::expand_dims(targets, -1), -1);
  Tensor is_nan = ops::not_equal(at_label, at_label);
  at_label = ops::where(is_nan, ops::full_like(at_label, -std::numeric_limits<double>::infinity()), at_label);
  Tensor larger = ops::cast(ops::greater(predictions, at_label), DType::int32);
  Tensor rank = ops::sum(larger, -1) + 1.0;
  return ops::less_equal(rank, ops::convert_to_tensor(static_cast<double>(k), rank.dtype()));
}

}  // namespace

// ---- functions -------------------------------------------------------------------------------------------

Tensor accuracy(const Tensor& y_true, const Tensor& y_pred) {
  require_defined("accuracy", y_true, y_pred);
  auto [t, p] = losses::squeeze_or_expand_to_same_rank(cast_to(y_true, y_pred.dtype()), y_pred);
  return matches_f32(t, p);
}

Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  require_defined("binary_accuracy", y_true, y_pred);
  auto [t, p] = losses::squeeze_or_expand_to_same_rank(y_true, y_pred);
  // Keras' threshold is a float32 tensor; here it takes a floating y_pred's
  // dtype, so a float64 y_pred is compared at full precision.
  Tensor thr = ops::convert_to_tensor(threshold, is_floating(p.dtype()) ? p.dtype() : DType::float32);
  Tensor positive = cast_to(ops::greater(p, thr), t.dtype());
  return matches_f32(t, positive);
}

Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  require_defined("categorical_accuracy", y_true, y_pred);
  require_rank("categorical_accuracy", y_pred, 1);
  Tensor t = cast_to(ops::argmax(y_true, -1), y_pred.dtype());
  const Shape true_shape = t.shape();
  // Keras squeezes y_true when, after its argmax, it still has y_pred's rank
  // (labels with an extra axis), and restores that shape on the matches.
  const bool reshape_matches = t.ndim() == y_pred.ndim();
  if (reshape_matches) t = ops::squeeze(t, Axes(-1));
  Tensor p = cast_to(ops::argmax(y_pred, -1), t.dtype());
  Tensor matches = matches_f32(t, p);
  return reshape_matches ? ops::reshape(matches, true_shape) : matches;
}

Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  require_defined("sparse_categorical_accuracy", y_true, y_pred);
  require_rank("sparse_categorical_accuracy", y_pred, 1);
  Tensor t = cast_to(y_true, y_pred.dtype());
  const Shape true_shape = t.shape();
  // (N, 1) labels against (N, C) predictions: compare as (N,).
  const bool reshape_matches = t.ndim() == y_pred.ndim() && t.ndim() > 0 && t.shape().back() == 1;
  if (reshape_matches) t = ops::squeeze(t, Axes(-1));
  Tensor p = cast_to(ops::argmax(y_pred, -1), t.dtype());
  Tensor matches = matches_f32(t, p);
  if (reshape_matches) matches = ops::reshape(matches, true_shape);
  if (matches.ndim() > 1 && matches.shape().back() == 1) matches = ops::squeeze(matches, Axes(-1));
  return matches;
}

Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int64_t k) {
  require_defined("top_k_categorical_accuracy", y_true, y_pred);
  require_rank("top_k_categorical_accuracy", y_pred, 2);
  Tensor t = ops::argmax(cast_to(y_true, y_pred.dtype()), -1);
  const Shape true_shape = t.shape();
  Tensor p = y_pred;
  // in_top_k takes (batch, classes): flatten the leading axes of both.
  if (p.ndim() > 2) p = ops::reshape(p, {-1, p.shape().back()});
  const bool reshape_matches = t.ndim() > 1;
  if (reshape_matches) t = ops::reshape(t, {-1});
  Tensor matches = ops::cast(in_top_k(cast_to(t, DType::int32), p, k), DType::float32);
  return reshape_matches ? ops::reshape(matches, true_shape) : matches;
}

Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int64_t k, bool from_sorted_ids) {
  require_defined("sparse_top_k_categorical_accuracy", y_true, y_pred);
  require_rank("sparse_top_k_categorical_accuracy", y_pred, 2);
  // Labels are int32 (float labels truncate), or y_pred's dtype to compare with sorted ids.
  Tensor t = cast_to(y_true, from_sorted_ids ? y_pred.dtype() : DType::int32);
  const Shape true_shape = t.shape();
  Tensor p = y_pred;
  if (p.ndim() > 2) p = ops::reshape(p, {-1, p.shape().back()});
  const bool reshape_matches = t.ndim() > 1;
  if (reshape_matches) t = ops::reshape(t, {-1});
  Tensor matches;
  if (from_sorted_ids) {
    // The first k ids are the top k; any() counts a repeated id once.
    Tensor top = ops::strided_slice(p, {0, 0}, {p.shape()[0], k});
    matches = ops::any(ops::equal(ops::expand_dims(t, 1), top), 1);
  } else {
    matches = in_top_k(t, p, k);
  }
  matches = ops::cast(matches, DType::float32);
  return reshape_matches ? ops::reshape(matches, true_shape) : matches;
}

// ---- classes ---------------------------------------------------------------------------------------------

Accuracy::Accuracy(Options o) : MeanMetricWrapper(accuracy, {.name = o.name, .dtype = o.dtype}) { set_direction("up"); }

BinaryAccuracy::BinaryAccuracy(Options o)
    : MeanMetricWrapper([t = o.threshold](const Tensor& yt, const Tensor& yp) { return binary_accuracy(yt, yp, t); },
                        {.name = o.name, .dtype = o.dtype}),
      options_(std::move(o)) {
  set_direction("up");
}

CategoricalAccuracy::CategoricalAccuracy(Options o)
    : MeanMetricWrapper(categorical_accuracy, {.name = o.name, .dtype = o.dtype}) {
  set_direction("up");
}

SparseCategoricalAccuracy::SparseCategoricalAccuracy(Options o)
    : MeanMetricWrapper(sparse_categorical_accuracy, {.name = o.name, .dtype = o.dtype}) {
  set_direction("up");
}

TopKCategoricalAccuracy::TopKCategoricalAccuracy(Options o)
    : MeanMetricWrapper([k = o.k](const Tensor& yt, const Tensor& yp) { return top_k_categorical_accuracy(yt, yp, k); },
                        {.name = o.name, .dtype = o.dtype}),
      options_(std::move(o)) {
  set_direction("up");
}

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(Options o)
    : MeanMetricWrapper(
          [k = o.k, sorted = o.from_sorted_ids](const Tensor& yt, const Tensor& yp) {
            return sparse_top_k_categorical_accuracy(yt, yp, k, sorted);
          },
          {.name = o.name, .dtype = o.dtype}),
      options_(std::move(o)) {
  set_direction("up");
}

}  // namespace keras::metrics
