// Mirrors keras/src/metrics/f_score_metrics.py
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

namespace {

using detail::cast_to;

enum FVar : size_t { kTP = 0, kFP, kFN, kWeights };

std::string repr(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

FBetaScore::FBetaScore(Options o) : Metric(o.name, o.dtype, "up"), options_(std::move(o)) {
  const auto& avg = options_.average;
  if (avg && *avg != "micro" && *avg != "macro" && *avg != "weighted")
    throw ValueError(
        "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', 'weighted'}. Received: "
        "average=" +
        *avg);
  if (!(options_.beta > 0.0))
    throw ValueError("Invalid `beta` argument value. It should be > 0. Received: beta=" + repr(options_.beta));
  if (options_.threshold && (*options_.threshold > 1.0 || !(*options_.threshold > 0.0)))
    throw ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: threshold=" +
                     repr(*options_.threshold));
}

void FBetaScore::update(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight_in) {
  Tensor y_true = cast_to(y_true_in, dtype());
  Tensor y_pred = cast_to(y_pred_in, dtype());
  const bool micro = options_.average == "micro";
  if (num_variables() == 0) {
    if (y_pred.ndim() != 2 || y_true.ndim() != 2)
      throw ValueError(
          "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input shapes: y_pred.shape=" +
          y_pred.shape().str() + " and y_true.shape=" + y_true.shape().str() + ".");
    if (y_pred.shape().back() < 0 || y_true.shape().back() < 0)
      throw ValueError(
          "FBetaScore expects 2D inputs with shape (batch_size, output_dim), with output_dim fully defined (not "
          "None). Received input shapes: y_pred.shape=" +
          y_pred.shape().str() + " and y_true.shape=" + y_true.shape().str() + ".");
    // "micro" pools every class into one count; the others keep one per class.
    const Shape shape = micro ? Shape{} : Shape{y_pred.shape().back()};
    for (const char* n : {"true_positives", "false_positives", "false_negatives", "intermediate_weights"})
      add_variable(shape, n, dtype());
  }

  if (options_.threshold) {
    y_pred = ops::greater(y_pred, ops::convert_to_tensor(*options_.threshold, dtype()));
  } else {
    // Each sample's largest prediction is its positive class. The |x| > 1e-9
    // test keeps an all-zero row from making every class positive.
    Tensor threshold = ops::max(y_pred, -1, /*keepdims=*/true);
    y_pred = ops::logical_and(ops::greater_equal(y_pred, threshold),
                              ops::greater(ops::abs(y_pred), detail::scalar_like(1e-9, y_pred)));
  }
  y_pred = cast_to(y_pred, dtype());
  Tensor sample_weight = sample_weight_in.defined() ? cast_to(sample_weight_in, dtype()) : Tensor();

  auto weighted_sum = [&](Tensor val) {
    if (sample_weight.defined()) val = val * ops::expand_dims(sample_weight, 1);
    return micro ? ops::sum(val) : ops::sum(val, 0);
  };
  auto add = [this](size_t i, const Tensor& delta) {
    Variable v = variable(i);
    v.assign_add(cast_to(delta, v.dtype()));
  };
  add(kTP, weighted_sum(y_pred * y_true));
  add(kFP, weighted_sum(y_pred * (1.0 - y_true)));
  add(kFN, weighted_sum((1.0 - y_pred) * y_true));
  add(kWeights, weighted_sum(y_true));
}

Tensor FBetaScore::result() const {
  if (num_variables() == 0)
    throw ValueError(class_name() + " '" + name() +
                     "': result() before any update_state (its state is built from "
                     "the data)");
  const double eps = detail::kEpsilon;
  Tensor tp = variable(kTP).value(), fp = variable(kFP).value(), fn = variable(kFN).value();
  Tensor precision = cast_to(ops::divide(tp, tp + fp + eps), dtype());
  Tensor recall = cast_to(ops::divide(tp, tp + fn + eps), dtype());
  const double beta2 = options_.beta * options_.beta;
  Tensor mean = ops::divide(precision * recall, precision * beta2 + recall + eps);
  Tensor f_score = mean * (1.0 + beta2);
  if (options_.average == "weighted") {
    Tensor w = variable(kWeights).value();
    f_score = ops::sum(f_score * ops::divide(w, ops::sum(w) + eps));
  } else if (options_.average) {  // "micro" (already 0-d) and "macro"
    f_score = ops::mean(f_score);
  }
  return f_score;
}

F1Score::F1Score(Options o)
    : FBetaScore({.average = o.average, .beta = 1.0, .threshold = o.threshold, .name = o.name, .dtype = o.dtype}) {}

}  // namespace keras::metrics
