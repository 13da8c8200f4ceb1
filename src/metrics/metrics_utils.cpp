// Mirrors keras/src/metrics/metrics_utils.py (and keras/src/utils/naming.py's auto_name).
#include "metrics/metrics_utils.hpp"

#include <cmath>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/naming.hpp"
#include "keras/error.hpp"
#include "keras/losses.hpp"

namespace keras::metrics::detail {

namespace {

std::string format_thresholds(const std::vector<double>& values) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  os << "]";
  return os.str();
}

// x[..., index, None]: one class of the last axis, kept as a size-1 axis so that
// it still lines up with the sample weights.
Tensor class_slice(const Tensor& x, int64_t class_id) {
  const int64_t n = x.shape().back();
  const int64_t i = class_id < 0 ? class_id + n : class_id;
  if (i < 0 || i >= n)
    throw IndexError("class_id " + std::to_string(class_id) + " is out of range for " + std::to_string(n) +
                     " classes (shape " + x.shape().str() + ")");
  return ops::take(x, Tensor(std::vector<int32_t>{static_cast<int32_t>(i)}), x.ndim() - 1);
}

// _filter_top_k: keeps the k largest values of the last axis and sets the
// others to NEG_INF, so that no threshold counts them as positive.
Tensor filter_top_k(const Tensor& x, int64_t k) {
  Tensor idx = ops::top_k(x, k).second;
  Tensor mask = ops::sum(ops::one_hot(idx, x.shape().back(), -1, x.dtype()), -2);
  return x * mask + (1.0 - mask) * kNegInf;
}

// A (T,) tensor of the thresholds in `dtype`, reshaped to `shape`. Keras
// converts the Python doubles straight to the variables' dtype.
Tensor thresholds_tensor(const std::vector<double>& thresholds, DType dtype, const Shape& shape) {
  return ops::reshape(cast_to(Tensor(thresholds), dtype), shape);
}

// The weight of `labels` in buckets >= i, for each threshold i: Keras'
// segment_sum over the buckets followed by a reversed cumsum, O(M + T) where
// comparing every prediction with every threshold would be O(M T) (200 x the
// batch for a default AUC). keras::ops has neither segment_sum nor cumsum yet,
// so this one step reads the concrete values on the host. Multi-label inputs
// (N, L) give (T, L): one histogram per label.
Tensor bucket_counts(const Tensor& bucket, const Tensor& labels, int64_t num_thresholds, bool multi_label) {
  if (bucket.is_symbolic() || labels.is_symbolic())
    throw NotImplementedError("AUC / confusion metrics with evenly spaced thresholds need concrete tensors");
  const std::vector<int32_t> b = bucket.to_vector<int32_t>();
  const std::vector<double> w = ops::broadcast_to(labels, bucket.shape()).to_vector<double>();
  const int64_t num_labels = multi_label ? bucket.shape().back() : 1;
  const int64_t T = num_thresholds;
  std::vector<double> hist(static_cast<size_t>(T * num_labels), 0.0);  // [threshold][label]
  for (size_t k = 0; k < b.size(); ++k) {
    // Bucket -1 (a prediction of 0 without the -epsilon end point) is above no
    // threshold: JAX's segment_sum drops out-of-range ids.
    if (b[k] < 0 || b[k] >= T) continue;
    const int64_t label = static_cast<int64_t>(k) % num_labels;
    hist[static_cast<size_t>(b[k] * num_labels + label)] += w[k];
  }
  for (int64_t t = T - 2; t >= 0; --t)
    for (int64_t l = 0; l < num_labels; ++l)
      hist[static_cast<size_t>(t * num_labels + l)] += hist[static_cast<size_t>((t + 1) * num_labels + l)];
  Shape shape = multi_label ? Shape{T, num_labels} : Shape{T};
  return cast_to(Tensor(hist, shape), labels.dtype());
}

// _update_confusion_matrix_variables_optimized: for evenly spaced thresholds
// i / (T - 1) a prediction p is above thresholds 0 .. ceil(p (T - 1)) - 1, so
// each prediction falls in one bucket and a cell's count at threshold i is the
// weight in buckets >= i.
void update_evenly(const ConfusionVariables& vars, Tensor y_true, Tensor y_pred, int64_t num_thresholds,
                   const ConfusionOptions& o, const Tensor& sample_weight, bool thresholds_with_epsilon) {
  const Shape pred_shape = y_pred.shape();
  Tensor weights;  // undefined: every weight is 1
  if (sample_weight.defined()) {
    weights = ops::broadcast_to(cast_to(sample_weight, y_pred.dtype()), pred_shape);
    if (!o.multi_label) weights = ops::reshape(weights, {-1});
  }
  if (o.label_weights.defined()) {
    Tensor lw = ops::broadcast_to(ops::expand_dims(o.label_weights, 0), pred_shape);
    if (!o.multi_label) lw = ops::reshape(lw, {-1});
    weights = weights.defined() ? weights * lw : lw;
  }
  if (weights.defined()) weights = cast_to(weights, y_true.dtype());

  // Predictions outside [0, 1] would fall outside the buckets.
  y_pred = ops::clip(y_pred, 0.0, 1.0);
  y_true = cast_to(cast_to(y_true, DType::bool_), y_true.dtype());
  if (!o.multi_label) {
    y_true = ops::reshape(y_true, {-1});
    y_pred = ops::reshape(y_pred, {-1});
  }
  Tensor true_labels = weights.defined() ? y_true * weights : y_true;
  Tensor false_labels = weights.defined() ? (1.0 - y_true) * weights : 1.0 - y_true;

  // ceil(p (T - 1)) - 1, computed in y_pred's dtype as Keras does (ceil(x) = -floor(-x)).
  Tensor scaled = y_pred * static_cast<double>(num_thresholds - 1);
  Tensor bucket = -ops::floor(-scaled) - 1.0;
  // With an end point below 0 every prediction is above the first threshold:
  // bucket -1 (p = 0) moves to 0.
  if (thresholds_with_epsilon) bucket = ops::relu(bucket);
  bucket = ops::cast(bucket, DType::int32);

  auto count = [&](const Tensor& labels) { return bucket_counts(bucket, labels, num_thresholds, o.multi_label); };

  Tensor tp, fp;
  if (vars.true_positives.defined() || vars.false_negatives.defined()) tp = count(true_labels);
  if (vars.false_positives.defined() || vars.true_negatives.defined()) fp = count(false_labels);
  auto add = [](Variable v, const Tensor& delta) {
    if (v.defined()) v.assign_add(cast_to(delta, v.dtype()));
  };
  add(vars.true_positives, tp);
  add(vars.false_positives, fp);
  // fn = sum(true_labels) - tp and tn = sum(false_labels) - fp, as Keras computes them.
  Axes total_axes = o.multi_label ? Axes(0) : Axes();
  if (vars.true_negatives.defined()) add(vars.true_negatives, ops::sum(false_labels, total_axes) - fp);
  if (vars.false_negatives.defined()) add(vars.false_negatives, ops::sum(true_labels, total_axes) - tp);
}

}  // namespace

Tensor divide_no_nan(const Tensor& x, const Tensor& y) {
  Tensor is_zero = ops::equal(y, ops::zeros_like(y));
  Tensor safe = ops::where(is_zero, ops::ones_like(y), y);
  Tensor q = ops::divide(x, safe);
  return ops::where(is_zero, ops::zeros_like(q), q);
}

std::string auto_name(const std::string& snake_name) { return keras::detail::auto_name(snake_name); }

void reset_name_uids() { keras::detail::reset_name_uids(); }

void check_thresholds_range(const std::vector<double>& thresholds) {
  std::vector<double> invalid;
  for (double t : thresholds)
    if (!(t >= 0.0 && t <= 1.0)) invalid.push_back(t);
  if (!invalid.empty()) throw ValueError("Threshold values must be in [0, 1]. Received: " + format_thresholds(invalid));
}

bool is_evenly_distributed_thresholds(const std::vector<double>& thresholds) {
  const size_t n = thresholds.size();
  if (n < 3) return false;
  for (size_t i = 0; i < n; ++i) {
    // Keras builds the even grid in float32 and compares with np.allclose
    // (atol = epsilon, NumPy's default rtol = 1e-5).
    const double even = static_cast<double>(static_cast<float>(i) / static_cast<float>(n - 1));
    if (!(std::abs(thresholds[i] - even) <= kEpsilon + 1e-5 * std::abs(even))) return false;
  }
  return true;
}

Tensor rows(const Tensor& x, int64_t begin, int64_t count) {
  std::vector<int64_t> start(static_cast<size_t>(x.ndim()), 0);
  start[0] = begin;
  Shape shape = x.shape();
  shape[0] = count;
  return ops::slice(x, start, shape);
}

void update_confusion_matrix_variables(const ConfusionVariables& vars, const Tensor& y_true_in, const Tensor& y_pred_in,
                                       const std::vector<double>& thresholds, const ConfusionOptions& o,
                                       const std::string& what) {
  if (o.multi_label && o.label_weights.defined())
    throw ValueError(
        "`label_weights` for multilabel data should be handled outside of `update_confusion_matrix_variables` "
        "when `multi_label` is True.");
  const Variable* first = nullptr;
  for (const Variable* v : {&vars.true_positives, &vars.false_positives, &vars.true_negatives, &vars.false_negatives})
    if (v->defined() && !first) first = v;
  if (!first) throw ValueError(what + ": no confusion matrix variable to update");
  const DType dtype = first->dtype();

  Tensor y_true = cast_to(y_true_in, dtype);
  Tensor y_pred = cast_to(y_pred_in, dtype);
  const int64_t num_thresholds = static_cast<int64_t>(thresholds.size());

  std::tie(y_pred, y_true) = losses::squeeze_or_expand_to_same_rank(y_pred, y_true);
  Tensor sample_weight;
  if (o.sample_weight.defined()) {
    // A trailing axis first, so that (N,) weights line up with (N, C) values;
    // dropped again where y_true has no such axis.
    sample_weight = ops::expand_dims(cast_to(o.sample_weight, dtype), -1);
    sample_weight = losses::squeeze_or_expand_to_same_rank(y_true, sample_weight, /*expand_rank_1=*/false).second;
  }
  if (o.top_k) y_pred = filter_top_k(y_pred, *o.top_k);
  if (o.class_id) {
    if (y_pred.ndim() == 1)
      throw ValueError(
          "When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), found "
          "shape: " +
          y_pred.shape().str());
    y_true = class_slice(y_true, *o.class_id);
    y_pred = class_slice(y_pred, *o.class_id);
  }

  if (o.thresholds_distributed_evenly) {
    const bool with_epsilon = thresholds.front() < 0.0 || thresholds.back() > 1.0;
    update_evenly(vars, y_true, y_pred, num_thresholds, o, sample_weight, with_epsilon);
    return;
  }

  // The general path: compare every prediction with every threshold. Keras
  // tiles both to (T, M) (or (T, N, L) for multi-label); broadcasting gives
  // the same elements.
  Tensor preds, labels, thresh;
  if (o.multi_label) {
    preds = ops::expand_dims(y_pred, 0);
    labels = ops::expand_dims(cast_to(y_true, DType::bool_), 0);
    Shape ts{num_thresholds};
    for (int i = 0; i < y_pred.ndim(); ++i) ts.push_back(1);
    thresh = thresholds_tensor(thresholds, dtype, ts);
  } else {
    preds = ops::reshape(y_pred, {1, -1});
    labels = ops::reshape(cast_to(y_true, DType::bool_), {1, -1});
    thresh = thresholds_tensor(thresholds, dtype, {num_thresholds, 1});
  }
  Tensor pred_is_pos = ops::greater(preds, thresh);

  Tensor weights;  // undefined: every weight is 1
  const Shape flat_shape = preds.shape();
  if (sample_weight.defined())
    weights = ops::reshape(ops::broadcast_to(cast_to(sample_weight, y_pred.dtype()), y_pred.shape()), flat_shape);
  if (o.label_weights.defined() && !o.multi_label) {
    Tensor lw = ops::broadcast_to(ops::expand_dims(o.label_weights, 0), y_pred.shape());
    lw = ops::reshape(lw, flat_shape);
    weights = weights.defined() ? weights * lw : lw;
  }

  auto weighted_assign_add = [&](const Tensor& label, const Tensor& pred, Variable var) {
    Tensor both = ops::logical_and(label, pred);
    Tensor result;
    if (weights.defined()) {
      Tensor w = cast_to(weights, var.dtype());
      result = ops::where(both, w, ops::zeros_like(w));
    } else {
      result = cast_to(both, var.dtype());
    }
    var.assign_add(ops::sum(result, 1));
  };
  if (vars.true_positives.defined()) weighted_assign_add(labels, pred_is_pos, vars.true_positives);
  Tensor pred_is_neg, label_is_neg;
  if (vars.false_negatives.defined() || vars.true_negatives.defined()) pred_is_neg = ops::logical_not(pred_is_pos);
  if (vars.false_positives.defined() || vars.true_negatives.defined()) label_is_neg = ops::logical_not(labels);
  if (vars.false_negatives.defined()) weighted_assign_add(labels, pred_is_neg, vars.false_negatives);
  if (vars.false_positives.defined()) weighted_assign_add(label_is_neg, pred_is_pos, vars.false_positives);
  if (vars.true_negatives.defined()) weighted_assign_add(label_is_neg, pred_is_neg, vars.true_negatives);
}

}  // namespace keras::metrics::detail
