// Mirrors keras/src/metrics/regression_metrics.py
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

using detail::cast_to;

Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int64_t axis) {
  // The loss is the same sum with the sign flipped; negation is exact.
  return -losses::cosine_similarity(y_true, y_pred, axis);
}

MeanSquaredError::MeanSquaredError(Options o)
    : MeanMetricWrapper(losses::mean_squared_error, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

MeanAbsoluteError::MeanAbsoluteError(Options o)
    : MeanMetricWrapper(losses::mean_absolute_error, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

MeanAbsolutePercentageError::MeanAbsolutePercentageError(Options o)
    : MeanMetricWrapper(losses::mean_absolute_percentage_error, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

MeanSquaredLogarithmicError::MeanSquaredLogarithmicError(Options o)
    : MeanMetricWrapper(losses::mean_squared_logarithmic_error, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

CosineSimilarity::CosineSimilarity(Options o)
    : MeanMetricWrapper([axis = o.axis](const Tensor& t, const Tensor& p) { return cosine_similarity(t, p, axis); },
                        {.name = o.name, .dtype = o.dtype}),
      options_(std::move(o)) {
  set_direction("up");
}

LogCoshError::LogCoshError(Options o) : MeanMetricWrapper(losses::log_cosh, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

// ---- RootMeanSquaredError --------------------------------------------------------------------------------

RootMeanSquaredError::RootMeanSquaredError(Options o) : Mean(o.name, o.dtype, "down") {}

void RootMeanSquaredError::update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  auto [t, p] = losses::squeeze_or_expand_to_same_rank(cast_to(y_true, dtype()), cast_to(y_pred, dtype()));
  accumulate(ops::square(p - t), sample_weight);
}

Tensor RootMeanSquaredError::result() const { return ops::sqrt(Mean::result()); }

// ---- R2Score ---------------------------------------------------------------------------------------------
// Adapted by Keras from TF-Addons' RSquare.

namespace {
enum R2Var : size_t { kNumSamples = 0, kSquaredSum, kSum, kResidual, kCount };
}

R2Score::R2Score(Options o) : Metric(o.name, o.dtype, "up"), options_(std::move(o)) {
  const auto& agg = options_.class_aggregation;
  if (agg && *agg != "uniform_average" && *agg != "variance_weighted_average")
    throw ValueError(
        "Invalid value for argument `class_aggregation`. Expected one of (None, 'uniform_average', "
        "'variance_weighted_average'). Received: class_aggregation=" +
        *agg);
  if (options_.num_regressors < 0)
    throw ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors=" +
                     std::to_string(options_.num_regressors));
  add_variable({}, "num_samples");
}

void R2Score::update(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight_in) {
  auto [y_true, y_pred] =
      losses::squeeze_or_expand_to_same_rank(cast_to(y_true_in, dtype()), cast_to(y_pred_in, dtype()));
  if (num_variables() == 1) {
    if (y_pred.ndim() != 2 || y_true.ndim() != 2)
      throw ValueError(
          "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: y_pred.shape=" +
          y_pred.shape().str() + " and y_true.shape=" + y_true.shape().str() + ".");
    const int64_t num_classes = y_pred.shape().back();
    if (num_classes < 0 || y_true.shape().back() < 0)
      throw ValueError(
          "R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim fully defined (not "
          "None). Received input shapes: y_pred.shape=" +
          y_pred.shape().str() + " and y_true.shape=" + y_true.shape().str() + ".");
    add_variable({num_classes}, "squared_sum");
    add_variable({num_classes}, "sum");
    add_variable({num_classes}, "residual");
    add_variable({num_classes}, "count");
  }
  Tensor sample_weight =
      sample_weight_in.defined() ? cast_to(sample_weight_in, dtype()) : ops::convert_to_tensor(1.0, dtype());
  // A features axis, so that (N,) weights weight whole rows.
  if (sample_weight.ndim() == 1) sample_weight = ops::expand_dims(sample_weight, 1);
  sample_weight = ops::broadcast_to(sample_weight, y_true.shape());

  Tensor weighted_y_true = y_true * sample_weight;
  auto add = [this](size_t i, const Tensor& delta) {
    Variable v = variable(i);
    v.assign_add(cast_to(delta, v.dtype()));
  };
  add(kSum, ops::sum(weighted_y_true, 0));
  add(kSquaredSum, ops::sum(y_true * weighted_y_true, 0));
  add(kResidual, ops::sum(ops::square(y_true - y_pred) * sample_weight, 0));
  add(kCount, ops::sum(sample_weight, 0));
  add(kNumSamples, ops::convert_to_tensor(static_cast<double>(y_true.size()), DType::float32));
}

Tensor R2Score::result() const {
  if (num_variables() == 1)
    throw ValueError("R2Score '" + name() + "': result() before any update_state (its state is built from the data)");
  Tensor sum = variable(kSum).value();
  Tensor count = variable(kCount).value();
  Tensor mean = sum / count;
  Tensor total = variable(kSquaredSum).value() - sum * mean;
  Tensor raw_scores = 1.0 - variable(kResidual).value() / total;
  // A constant target (total 0) gives +-inf: Keras scores it 0.
  Tensor is_inf = ops::equal(ops::abs(raw_scores), ops::full_like(raw_scores, std::numeric_limits<double>::infinity()));
  raw_scores = ops::where(is_inf, ops::zeros_like(raw_scores), raw_scores);

  Tensor r2;
  if (options_.class_aggregation == "uniform_average")
    r2 = ops::mean(raw_scores);
  else if (options_.class_aggregation == "variance_weighted_average")
    r2 = ops::sum(total * raw_scores) / ops::sum(total);
  else
    r2 = raw_scores;

  if (options_.num_regressors != 0) {
    // Keras reads the sample count eagerly here and, when the adjustment is
    // undefined (p >= n - 1), warns and keeps the plain score.
    const double n = variable(kNumSamples).value().item<double>();
    const double p = static_cast<double>(options_.num_regressors);
    if (p < n - 1) {
      Tensor nt = ops::convert_to_tensor(n, DType::float32);
      Tensor pt = ops::convert_to_tensor(p, DType::float32);
      Tensor num = (1.0 - r2) * (nt - 1.0);
      Tensor den = (nt - pt) - 1.0;
      r2 = 1.0 - num / den;
    }
  }
  return r2;
}

}  // namespace keras::metrics
