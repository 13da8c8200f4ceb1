// Mirrors keras/src/trainers/compile_utils.py (is_binary_or_sparse_categorical,
// get_metric) for keras::metrics::resolve_for_compile and MetricArg.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>

#include "core/identifiers.hpp"
#include "keras/error.hpp"
#include "keras/metrics.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

namespace {

// compile() resolves "accuracy" and "acc" (compared lower-cased, so also "ACC"
// and the class name "Accuracy") from the shapes instead of looking them up.
bool is_accuracy_alias(const std::string& identifier) {
  const std::string l = keras::detail::ascii_lower(identifier);
  return l == "accuracy" || l == "acc";
}

}  // namespace

TargetKind is_binary_or_sparse_categorical(const Shape& y_true_shape, const Shape& y_pred_shape) {
  if (y_true_shape.rank() == 0 || y_pred_shape.rank() == 0)
    throw ValueError("Cannot infer the kind of target from scalar shapes: y_true.shape=" + y_true_shape.str() +
                     ", y_pred.shape=" + y_pred_shape.str() + " (compile() needs a last axis on both)");
  const int64_t t_last = y_true_shape.back(), p_last = y_pred_shape.back();
  TargetKind kind;
  kind.is_binary = p_last == 1;
  kind.is_sparse_categorical = y_true_shape.rank() < y_pred_shape.rank() || (t_last == 1 && p_last > 1);
  return kind;
}

std::shared_ptr<Metric> resolve_for_compile(const std::string& identifier, const Shape& y_true_shape,
                                            const Shape& y_pred_shape) {
  if (!is_accuracy_alias(identifier)) return get(identifier);
  const TargetKind kind = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape);
  if (kind.is_binary) return std::make_shared<BinaryAccuracy>(BinaryAccuracy::Options{.name = identifier});
  if (kind.is_sparse_categorical)
    return std::make_shared<SparseCategoricalAccuracy>(SparseCategoricalAccuracy::Options{.name = identifier});
  return std::make_shared<CategoricalAccuracy>(CategoricalAccuracy::Options{.name = identifier});
}

// ---- MetricArg -------------------------------------------------------------------------------------------

MetricArg::MetricArg(const char* identifier) : MetricArg(std::string(identifier ? identifier : "")) {}

MetricArg::MetricArg(const std::string& identifier) : identifier_(identifier) {
  if (identifier.empty()) throw ValueError("Expected metric, received an empty string");
  // Checked now rather than at the first step, so a typo fails at compile().
  if (!is_accuracy_alias(identifier)) get(identifier);
}

MetricArg::MetricArg(std::shared_ptr<Metric> metric) : metric_(std::move(metric)) {
  if (!metric_) throw ValueError("Expected metric, received a null std::shared_ptr<Metric>");
}

MetricArg::MetricArg(const std::string& name, MetricFn fn) : metric_(wrap(std::move(fn), name)) {}

std::shared_ptr<Metric> MetricArg::wrap(MetricFn fn, const std::string& name) {
  if (!fn) throw ValueError("Expected metric, received an empty function");
  // Keras names a wrapped function after the function (get_object_name); of
  // C++ functions only keras::losses' are known by name.
  std::string n = name.empty() ? detail::loss_function_name(fn) : name;
  return std::make_shared<MeanMetricWrapper>(std::move(fn), MeanMetricWrapper::Options{.name = n});
}

std::shared_ptr<Metric> MetricArg::resolve(const Shape& y_true_shape, const Shape& y_pred_shape) const {
  if (!identifier_.empty()) return resolve_for_compile(identifier_, y_true_shape, y_pred_shape);
  if (!metric_) throw ValueError("Expected metric, received an empty MetricArg");
  return metric_;
}

}  // namespace keras::metrics
