// Mirrors keras/src/metrics/confusion_metrics.py
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

namespace {

using detail::cast_to;
using detail::divide_no_nan;
using detail::rows;

// parse_init_thresholds: the user's thresholds (checked to lie in [0, 1]) or the default.
std::vector<double> parse_thresholds(const std::vector<double>& thresholds, double default_threshold) {
  if (thresholds.empty()) return {default_threshold};
  detail::check_thresholds_range(thresholds);
  return thresholds;
}

// A single threshold gives a 0-d result, several a vector.
Tensor per_threshold(const Tensor& values, size_t num_thresholds) {
  return num_thresholds == 1 ? ops::reshape(values, Shape{}) : values;
}

std::string name_or_auto(const std::string& name, const char* snake) {
  return name.empty() ? detail::auto_name(snake) : name;
}

}  // namespace

// ---- TruePositives, FalsePositives, TrueNegatives, FalseNegatives -----------------------------------------

ConfusionMatrixConditionCount::ConfusionMatrixConditionCount(Cell cell, const std::vector<double>& thresholds,
                                                             const std::string& name, const char* default_name,
                                                             std::optional<DType> dtype)
    : Metric(name_or_auto(name, default_name), dtype),
      cell_(cell),
      thresholds_(parse_thresholds(thresholds, 0.5)),
      evenly_(detail::is_evenly_distributed_thresholds(thresholds_)) {
  add_variable({static_cast<int64_t>(thresholds_.size())}, "accumulator");
}

void ConfusionMatrixConditionCount::update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  detail::ConfusionVariables vars;
  Variable acc = variable(0);
  switch (cell_) {
    case Cell::kTruePositives:
      vars.true_positives = acc;
      break;
    case Cell::kFalsePositives:
      vars.false_positives = acc;
      break;
    case Cell::kTrueNegatives:
      vars.true_negatives = acc;
      break;
    case Cell::kFalseNegatives:
      vars.false_negatives = acc;
      break;
  }
  detail::update_confusion_matrix_variables(vars, y_true, y_pred, thresholds_,
                                            {.sample_weight = sample_weight, .thresholds_distributed_evenly = evenly_},
                                            class_name());
}

Tensor ConfusionMatrixConditionCount::result() const { return per_threshold(variable(0).value(), thresholds_.size()); }

TruePositives::TruePositives(Options o)
    : ConfusionMatrixConditionCount(Cell::kTruePositives, o.thresholds, o.name, "true_positives", o.dtype) {}
FalsePositives::FalsePositives(Options o)
    : ConfusionMatrixConditionCount(Cell::kFalsePositives, o.thresholds, o.name, "false_positives", o.dtype) {}
TrueNegatives::TrueNegatives(Options o)
    : ConfusionMatrixConditionCount(Cell::kTrueNegatives, o.thresholds, o.name, "true_negatives", o.dtype) {}
FalseNegatives::FalseNegatives(Options o)
    : ConfusionMatrixConditionCount(Cell::kFalseNegatives, o.thresholds, o.name, "false_negatives", o.dtype) {}

// ---- Precision and Recall --------------------------------------------------------------------------------
// With top_k the default threshold is NEG_INF: every value kept by the top-k
// filter counts as positive.

Precision::Precision(Options o)
    : Metric(name_or_auto(o.name, "precision"), o.dtype, "up"),
      options_(std::move(o)),
      thresholds_(parse_thresholds(options_.thresholds, options_.top_k ? detail::kNegInf : 0.5)),
      evenly_(detail::is_evenly_distributed_thresholds(thresholds_)) {
  const int64_t n = static_cast<int64_t>(thresholds_.size());
  add_variable({n}, "true_positives");
  add_variable({n}, "false_positives");
}

void Precision::update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  detail::update_confusion_matrix_variables({.true_positives = variable(0), .false_positives = variable(1)}, y_true,
                                            y_pred, thresholds_,
                                            {.top_k = options_.top_k,
                                             .class_id = options_.class_id,
                                             .sample_weight = sample_weight,
                                             .thresholds_distributed_evenly = evenly_},
                                            class_name());
}

Tensor Precision::result() const {
  Tensor tp = variable(0).value();
  return per_threshold(divide_no_nan(tp, tp + variable(1).value()), thresholds_.size());
}

Recall::Recall(Options o)
    : Metric(name_or_auto(o.name, "recall"), o.dtype, "up"),
      options_(std::move(o)),
      thresholds_(parse_thresholds(options_.thresholds, options_.top_k ? detail::kNegInf : 0.5)),
      evenly_(detail::is_evenly_distributed_thresholds(thresholds_)) {
  const int64_t n = static_cast<int64_t>(thresholds_.size());
  add_variable({n}, "true_positives");
  add_variable({n}, "false_negatives");
}

void Recall::update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  detail::update_confusion_matrix_variables({.true_positives = variable(0), .false_negatives = variable(1)}, y_true,
                                            y_pred, thresholds_,
                                            {.top_k = options_.top_k,
                                             .class_id = options_.class_id,
                                             .sample_weight = sample_weight,
                                             .thresholds_distributed_evenly = evenly_},
                                            class_name());
}

Tensor Recall::result() const {
  Tensor tp = variable(0).value();
  return per_threshold(divide_no_nan(tp, tp + variable(1).value()), thresholds_.size());
}

// ---- AUC -------------------------------------------------------------------------------------------------

namespace {

enum AucVar : size_t { kTP = 0, kFP, kTN, kFN };

std::string standardize_curve(const std::string& curve) {
  if (curve == "ROC" || curve == "roc") return "ROC";
  if (curve == "PR" || curve == "pr") return "PR";
  if (curve == "PRGAIN" || curve == "prgain") return "PRGAIN";
  throw ValueError("Invalid AUC curve value: \"" + curve + "\". Expected values are [\"PR\", \"ROC\", \"PRGAIN\"]");
}

std::string standardize_summation(const std::string& method) {
  if (method == "interpolation" || method == "Interpolation") return "interpolation";
  if (method == "majoring" || method == "Majoring") return "majoring";
  if (method == "minoring" || method == "Minoring") return "minoring";
  throw ValueError("Invalid AUC summation method value: \"" + method +
                   "\". Expected values are [\"interpolation\", \"majoring\", \"minoring\"]");
}

}  // namespace

AUC::AUC(Options o) : Metric(name_or_auto(o.name, "auc"), o.dtype, "up"), options_(std::move(o)) {
  options_.curve = standardize_curve(options_.curve);
  options_.summation_method = standardize_summation(options_.summation_method);
  std::vector<double> inner;
  if (!options_.thresholds.empty()) {
    // Explicit thresholds, sorted; the two end points are added below.
    inner = options_.thresholds;
    std::sort(inner.begin(), inner.end());
    num_thresholds_ = static_cast<int64_t>(inner.size()) + 2;
    std::vector<double> with_ends{0.0};
    with_ends.insert(with_ends.end(), inner.begin(), inner.end());
    with_ends.push_back(1.0);
    evenly_ = detail::is_evenly_distributed_thresholds(with_ends);
  } else {
    if (options_.num_thresholds <= 1)
      throw ValueError("Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=" +
                       std::to_string(options_.num_thresholds));
    num_thresholds_ = options_.num_thresholds;
    // num_thresholds - 2 thresholds evenly spaced in (0, 1).
    for (int64_t i = 0; i < num_thresholds_ - 2; ++i)
      inner.push_back(static_cast<double>(i + 1) * 1.0 / static_cast<double>(num_thresholds_ - 1));
    evenly_ = true;
  }
  // End points just below 0 and just above 1, so predictions of exactly 0 or
  // 1 still fall on the curve despite rounding.
  thresholds_.push_back(0.0 - detail::kEpsilon);
  thresholds_.insert(thresholds_.end(), inner.begin(), inner.end());
  thresholds_.push_back(1.0 + detail::kEpsilon);

  if (!options_.label_weights.empty()) label_weights_ = cast_to(Tensor(options_.label_weights), dtype());
  if (options_.multi_label) {
    if (options_.num_labels && *options_.num_labels > 0) build({-1, *options_.num_labels});
  } else {
    if (options_.num_labels && *options_.num_labels > 0)
      throw ValueError("`num_labels` is needed only when `multi_label` is True.");
    build({});
  }
}

void AUC::build(const Shape& y_pred_shape) {
  Shape variable_shape{num_thresholds_};
  if (options_.multi_label) {
    if (y_pred_shape.rank() != 2)
      throw ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank " +
                       std::to_string(y_pred_shape.rank()) +
                       ". Full shape received for `y_pred`: " + y_pred_shape.str());
    variable_shape.push_back(y_pred_shape[1]);
  }
  add_variable(variable_shape, "true_positives");
  add_variable(variable_shape, "false_positives");
  add_variable(variable_shape, "true_negatives");
  add_variable(variable_shape, "false_negatives");
}

void AUC::update(const Tensor& y_true, const Tensor& y_pred_in, const Tensor& sample_weight) {
  if (num_variables() == 0) build(y_pred_in.shape());
  Tensor y_pred = options_.from_logits ? ops::sigmoid(y_pred_in) : y_pred_in;
  // With multi_label the label weights average the per-label AUCs in result() instead.
  detail::update_confusion_matrix_variables({.true_positives = variable(kTP),
                                             .false_positives = variable(kFP),
                                             .true_negatives = variable(kTN),
                                             .false_negatives = variable(kFN)},
                                            y_true, y_pred, thresholds_,
                                            {.sample_weight = sample_weight,
                                             .multi_label = options_.multi_label,
                                             .label_weights = options_.multi_label ? Tensor() : label_weights_,
                                             .thresholds_distributed_evenly = evenly_},
                                            class_name());
}

Tensor AUC::average_over_labels(const Tensor& by_label) const {
  if (!label_weights_.defined()) return ops::mean(by_label);
  return divide_no_nan(ops::sum(by_label * label_weights_), ops::sum(label_weights_));
}

// The PR curve interpolated as Davis & Goadrich (2006) do: precision is
// integrated along recall assuming true and false positives change linearly
// between thresholds.
Tensor AUC::interpolate_pr_auc() const {
  const int64_t n = num_thresholds_;
  Tensor tp = variable(kTP).value(), fp = variable(kFP).value(), fn = variable(kFN).value();
  auto zero = [](const Tensor& x) { return ops::zeros_like(x); };
  Tensor tp_head = rows(tp, 0, n - 1), tp_tail = rows(tp, 1, n - 1);
  Tensor dtp = tp_head - tp_tail;
  Tensor p = tp + fp;
  Tensor p_head = rows(p, 0, n - 1), p_tail = rows(p, 1, n - 1);
  Tensor dp = p_head - p_tail;
  Tensor prec_slope = divide_no_nan(dtp, ops::maximum(dp, zero(dp)));
  Tensor intercept = tp_tail - prec_slope * p_tail;
  Tensor safe_p_ratio =
      ops::where(ops::logical_and(ops::greater(p_head, zero(p_head)), ops::greater(p_tail, zero(p_tail))),
                 divide_no_nan(p_head, ops::maximum(p_tail, zero(p_tail))), ops::ones_like(p_tail));
  Tensor recall_denominator = tp_tail + rows(fn, 1, n - 1);
  Tensor pr_auc_increment = divide_no_nan(prec_slope * (dtp + intercept * ops::log(safe_p_ratio)),
                                          ops::maximum(recall_denominator, zero(recall_denominator)));
  if (options_.multi_label) return average_over_labels(ops::sum(pr_auc_increment, 0));
  return ops::sum(pr_auc_increment);
}

Tensor AUC::result() const {
  if (num_variables() == 0)
    throw ValueError("AUC '" + name() + "': result() before any update_state (multi_label builds from the data)");
  const std::string& curve = options_.curve;
  const std::string& method = options_.summation_method;
  if (curve == "PR" && method == "interpolation") return interpolate_pr_auc();

  Tensor tp = variable(kTP).value(), fp = variable(kFP).value();
  Tensor tn = variable(kTN).value(), fn = variable(kFN).value();
  Tensor recall = divide_no_nan(tp, tp + fn);
  Tensor x, y;
  if (curve == "ROC") {
    x = divide_no_nan(fp, fp + tn);  // false positive rate
    y = recall;
  } else if (curve == "PR") {
    x = recall;
    y = divide_no_nan(tp, tp + fp);  // precision
  } else {
    // PRGAIN (Flach & Kull, 2015). The gains diverge when there are no true
    // positives: Keras then sets recall gain 0 and precision gain 1, and
    // clips a negative recall gain to 0.
    Tensor scaling = divide_no_nan(tp + fn, tn + fp);
    Tensor recall_gain = 1.0 - scaling * divide_no_nan(fn, tp);
    Tensor precision_gain = 1.0 - scaling * divide_no_nan(fp, tp);
    Tensor no_tp = ops::equal(tp, ops::zeros_like(tp));
    recall_gain = ops::where(no_tp, ops::zeros_like(recall_gain), recall_gain);
    precision_gain = ops::where(no_tp, ops::ones_like(precision_gain), precision_gain);
    x = ops::maximum(recall_gain, ops::zeros_like(recall_gain));
    y = precision_gain;
  }
  const int64_t n = num_thresholds_;
  Tensor y_head = rows(y, 0, n - 1), y_tail = rows(y, 1, n - 1);
  Tensor heights;
  if (method == "interpolation")
    heights = (y_head + y_tail) / 2.0;
  else if (method == "minoring")
    heights = ops::minimum(y_head, y_tail);
  else
    heights = ops::maximum(y_head, y_tail);
  Tensor riemann_terms = (rows(x, 0, n - 1) - rows(x, 1, n - 1)) * heights;
  if (options_.multi_label) return average_over_labels(ops::sum(riemann_terms, 0));
  return ops::sum(riemann_terms);
}

}  // namespace keras::metrics
