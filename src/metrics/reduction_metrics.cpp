// Mirrors keras/src/metrics/reduction_metrics.py
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autodiff/tape_impl.hpp"
#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

namespace {

// Axes first .. last-1 as an Axes list.
Axes axis_range(int first, int last) {
  std::vector<int64_t> axes(static_cast<size_t>(last - first));
  std::iota(axes.begin(), axes.end(), first);
  return Axes(std::move(axes));
}

// reduce_to_samplewise_values: one value per sample (reduce_fn over every
// axis but the first), with the weights brought to the values' rank and
// applied. Returns the values and the weights actually used, which the count
// of Mean sums.
std::pair<Tensor, Tensor> reduce_to_samplewise_values(Tensor values, Tensor sample_weight, const Tensor& mask,
                                                      bool use_sum, DType dtype) {
  auto reduce = [use_sum](const Tensor& x, Axes axes) { return use_sum ? ops::sum(x, axes) : ops::mean(x, axes); };
  values = detail::cast_to(values, dtype);
  if (sample_weight.defined()) {
    sample_weight = detail::cast_to(sample_weight, dtype);
    // The values' mask only counts when there are weights to merge it into
    // (Keras: apply_mask inside `if sample_weight is not None`).
    if (mask.defined()) {
      Tensor float_mask = detail::cast_to(mask, dtype);
      auto [m, w] = losses::squeeze_or_expand_to_same_rank(float_mask, sample_weight);
      sample_weight = w * m;
    }
    std::tie(values, sample_weight) = losses::squeeze_or_expand_to_same_rank(values, sample_weight);
    const int weight_ndim = sample_weight.ndim();
    if (values.ndim() > weight_ndim) values = reduce(values, axis_range(weight_ndim, values.ndim()));
    // Broadcasting changes nothing in the product below, but the count sums
    // the broadcast weights.
    sample_weight = ops::broadcast_to(sample_weight, values.shape());
    values = values * sample_weight;
    if (weight_ndim > 1) sample_weight = reduce(sample_weight, axis_range(1, weight_ndim));
  }
  if (values.ndim() > 1) values = reduce(values, axis_range(1, values.ndim()));
  return {values, sample_weight};
}

void add_to(Variable v, const Tensor& delta) { v.assign_add(detail::cast_to(delta, v.dtype())); }

// A loss function of keras::losses given by pointer: Keras gives a wrapper of a
// loss (`fn in losses.ALL_OBJECTS`) direction "down", and compile() names it
// after the function.
using PlainFn = Tensor (*)(const Tensor&, const Tensor&);

}  // namespace

namespace detail {
// The name of `fn` when it is one of keras::losses' two-argument functions.
std::string loss_function_name(const MetricFn& fn) {
  const PlainFn* target = fn.target<PlainFn>();
  if (!target) return "";
  static const std::pair<PlainFn, const char*> kKnown[] = {
      {losses::mean_squared_error, "mean_squared_error"},
      {losses::mean_absolute_error, "mean_absolute_error"},
      {losses::mean_absolute_percentage_error, "mean_absolute_percentage_error"},
      {losses::mean_squared_logarithmic_error, "mean_squared_logarithmic_error"},
      {losses::log_cosh, "log_cosh"},
      {losses::kl_divergence, "kl_divergence"},
      {losses::poisson, "poisson"},
      {losses::hinge, "hinge"},
      {losses::squared_hinge, "squared_hinge"},
      {losses::categorical_hinge, "categorical_hinge"},
  };
  for (const auto& [f, n] : kKnown)
    if (*target == f) return n;
  return "";
}
}  // namespace detail

// ---- Mean ------------------------------------------------------------------------------------------------

Mean::Mean(Options options) : Mean(options.name, options.dtype, "") {}

Mean::Mean(const std::string& name, std::optional<DType> dtype, std::string direction)
    : Metric(name, dtype, std::move(direction)) {
  add_variable({}, "total", this->dtype());
  add_variable({}, "count", this->dtype());
}

void Mean::update_state(const Tensor& values, const Tensor& sample_weight) {
  if (!values.defined()) throw ValueError(class_name() + " '" + name() + "': values is an undefined tensor");
  keras::detail::PauseTapes pause;
  accumulate(values, sample_weight);
}

void Mean::update(const Tensor&, const Tensor&, const Tensor&) {
  throw TypeError(class_name() + " '" + name() +
                  "': update_state takes (values, sample_weight), not (y_true, y_pred, sample_weight); wrap a "
                  "function of (y_true, y_pred) in a MeanMetricWrapper instead");
}

namespace {
// A 0-d float32 tensor's value, or nullopt.
std::optional<float> scalar_f32(const Tensor& t) {
  if (!t.defined() || t.ndim() != 0 || t.dtype() != DType::float32 || t.is_symbolic()) return std::nullopt;
  return *static_cast<const float*>(t.raw_data());
}
bool is_scalar_f32(const Variable& v) { return v.shape().rank() == 0 && v.dtype() == DType::float32; }
}  // namespace

void Mean::accumulate(const Tensor& values, const Tensor& sample_weight, const Tensor& mask) {
  // The loss tracker's case, once per step: a 0-d value with a 0-d weight. Done on the scalars
  // directly, with the float32 roundings the ops below would make (v * w, then each sum).
  if (!mask.defined() && dtype() == DType::float32 && is_scalar_f32(variable(0)) && is_scalar_f32(variable(1))) {
    const auto v = scalar_f32(values);
    const auto w = sample_weight.defined() ? scalar_f32(sample_weight) : std::optional<float>(1.0f);
    if (v && w) {
      float* total = keras::detail::writable_value(variable(0)).mutable_data<float>();
      float* count = keras::detail::writable_value(variable(1)).mutable_data<float>();
      const float weighted = *v * *w;
      *total = *total + weighted;
      *count = *count + *w;
      return;
    }
  }
  auto [v, w] = reduce_to_samplewise_values(values, sample_weight, mask, /*use_sum=*/false, dtype());
  add_to(variable(0), ops::sum(v));
  Tensor num_samples;
  if (w.defined())
    num_samples = ops::sum(w);
  else
    num_samples = ops::convert_to_tensor(v.ndim() >= 1 ? static_cast<double>(v.shape()[0]) : 1.0, dtype());
  add_to(variable(1), num_samples);
}

Tensor Mean::result() const {
  if (dtype() == DType::float32 && is_scalar_f32(variable(0)) && is_scalar_f32(variable(1))) {
    const float total = *static_cast<const float*>(variable(0).value().raw_data());
    const float count = *static_cast<const float*>(variable(1).value().raw_data());
    return Tensor::scalar(count == 0.0f ? 0.0f : total / count);  // divide_no_nan
  }
  return detail::divide_no_nan(variable(0).value(), detail::cast_to(variable(1).value(), dtype()));
}

// ---- Sum -------------------------------------------------------------------------------------------------

Sum::Sum(Options options) : Metric(options.name, options.dtype) { add_variable({}, "total", dtype()); }

void Sum::update_state(const Tensor& values, const Tensor& sample_weight) {
  if (!values.defined()) throw ValueError(class_name() + " '" + name() + "': values is an undefined tensor");
  keras::detail::PauseTapes pause;
  Tensor v = reduce_to_samplewise_values(values, sample_weight, Tensor(), /*use_sum=*/true, dtype()).first;
  add_to(variable(0), ops::sum(v));
}

void Sum::update(const Tensor&, const Tensor&, const Tensor&) {
  throw TypeError(class_name() + " '" + name() +
                  "': update_state takes (values, sample_weight), not (y_true, y_pred, sample_weight)");
}

Tensor Sum::result() const { return detail::cast_to(variable(0).value(), dtype()); }

// ---- MeanMetricWrapper -----------------------------------------------------------------------------------

namespace {
MeanMetricWrapper::Options named(const std::string& name) { return {.name = name}; }
}  // namespace

MeanMetricWrapper::MeanMetricWrapper(MetricFn fn, Options options)
    : Mean(options.name.empty() ? detail::auto_name("mean_metric_wrapper") : options.name, options.dtype,
           fn && !detail::loss_function_name(fn).empty() ? "down" : "") {
  if (!fn) throw ValueError("MeanMetricWrapper '" + name() + "': the metric function is empty");
  fn_ = [fn = std::move(fn)](const Tensor& t, const Tensor& p) {
    return std::pair<Tensor, Tensor>(fn(t, p), Tensor());
  };
}

MeanMetricWrapper::MeanMetricWrapper(MetricFn fn, const std::string& name)
    : MeanMetricWrapper(std::move(fn), named(name)) {}

MeanMetricWrapper::MeanMetricWrapper(MaskedFn fn, const std::string& name, std::optional<DType> dtype,
                                     std::string direction)
    : Mean(name, dtype, std::move(direction)), fn_(std::move(fn)) {}

void MeanMetricWrapper::update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  // Keras also merges y_pred's _keras_mask into the weights here; keras.cpp
  // tensors carry no mask, so there is none to merge.
  auto [values, mask] = fn_(y_true, y_pred);
  accumulate(values, sample_weight, mask);
}

}  // namespace keras::metrics
