// Mirrors keras/src/losses/loss.py
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/ops.hpp"

namespace keras::losses {

namespace {

Tensor cast_to(const Tensor& t, DType dtype) { return t.dtype() == dtype ? t : ops::cast(t, dtype); }

// keras.ops.divide_no_nan: 0 where the divisor is 0. The divisor is replaced
// by 1 there before dividing, so no inf or NaN reaches the gradient either.
Tensor divide_no_nan(const Tensor& x, const Tensor& y) {
  Tensor zero = ops::zeros_like(y);
  Tensor is_zero = ops::equal(y, zero);
  Tensor safe = ops::where(is_zero, ops::ones_like(y), y);
  return ops::where(is_zero, ops::zeros_like(x), ops::divide(x, safe));
}

// The number of elements of `x` as a 0-d tensor of `dtype`. Keras computes
// prod(shape(x)) at run time; a symbolic tensor with an unknown dimension has
// no static count, so it is counted by summing ones, which traces.
Tensor num_elements(const Tensor& x, DType dtype) {
  const int64_t n = x.shape().numel();
  if (n >= 0) return ops::convert_to_tensor(static_cast<double>(n), dtype);
  return ops::sum(ops::ones_like(x, dtype));
}

bool averages_over_count(const std::string& reduction) {
  return reduction == "sum_over_batch_size" || reduction == "mean";
}

// Merges a mask into the sample weights (loss.py apply_mask). For the
// averaging reductions the valid entries get weight total / valid, so that
// dividing by the element count later divides by the valid count instead.
Tensor apply_mask(Tensor sample_weight, const Tensor& mask, DType dtype, const std::string& reduction) {
  if (!mask.defined()) return sample_weight;
  Tensor float_mask;
  if (averages_over_count(reduction)) {
    Tensor total = num_elements(mask, dtype);
    Tensor valid = ops::sum(cast_to(mask, dtype));  // may be 0: divide_no_nan
    Tensor mask_weight = divide_no_nan(total, valid);
    float_mask = ops::where(cast_to(mask, DType::bool_), mask_weight, ops::zeros_like(mask_weight));
  } else {
    float_mask = cast_to(mask, dtype);
  }
  if (!sample_weight.defined()) return float_mask;
  sample_weight = cast_to(sample_weight, dtype);
  auto [m, w] = squeeze_or_expand_to_same_rank(float_mask, sample_weight);
  return ops::multiply(w, m);
}

}  // namespace

std::string standardize_reduction(const std::string& reduction) {
  if (reduction == "sum_over_batch_size" || reduction == "sum" || reduction == "mean" ||
      reduction == "mean_with_sample_weight" || reduction == "none")
    return reduction;
  throw ValueError(
      "Invalid value for argument `reduction`. Expected one of \"sum_over_batch_size\", \"sum\", \"mean\", "
      "\"mean_with_sample_weight\", \"none\". Received: reduction=\"" +
      reduction + "\"");
}

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1) {
  Tensor a = x1, b = x2;
  const int r1 = a.ndim(), r2 = b.ndim();
  if (r1 == r2) return {a, b};
  if (r1 == r2 + 1 && a.shape().back() == 1) {
    if (r2 == 1 && expand_rank_1)
      b = ops::expand_dims(b, -1);
    else
      a = ops::squeeze(a, Axes(-1));
  }
  // Keras tests the second case with the original ranks too, after the first
  // may have changed a tensor; both cannot hold at once, so the order is moot.
  if (r2 == r1 + 1 && b.shape().back() == 1) {
    if (r1 == 1 && expand_rank_1)
      a = ops::expand_dims(a, -1);
    else
      b = ops::squeeze(b, Axes(-1));
  }
  return {a, b};
}

Tensor reduce_values(const Tensor& values, const Tensor& sample_weight, const std::string& reduction) {
  standardize_reduction(reduction);
  // Keras leaves a 0-d or an empty 1-D loss unreduced, whatever the reduction.
  if (reduction == "none" || values.ndim() == 0 || (values.ndim() == 1 && values.shape()[0] == 0)) return values;
  Tensor loss = ops::sum(values);
  if (reduction == "sum") return loss;
  Tensor divisor;
  if (reduction == "mean_with_sample_weight" && sample_weight.defined()) {
    divisor = cast_to(ops::sum(sample_weight), loss.dtype());
  } else {
    const int64_t n = values.shape().numel();
    if (n > 0) return ops::divide(loss, ops::convert_to_tensor(static_cast<double>(n), loss.dtype()));
    divisor = num_elements(values, loss.dtype());
  }
  return divide_no_nan(loss, divisor);
}

Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight, const Tensor& mask,
                              const std::string& reduction, std::optional<DType> dtype) {
  standardize_reduction(reduction);
  Tensor v = dtype ? cast_to(values, *dtype) : values;
  Tensor w = sample_weight.defined() && dtype ? cast_to(sample_weight, *dtype) : sample_weight;
  w = apply_mask(w, mask, v.dtype(), reduction);
  if (w.defined()) {
    w = cast_to(w, v.dtype());
    auto [v2, w2] = squeeze_or_expand_to_same_rank(v, w);
    v = ops::multiply(v2, w2);
    w = w2;
  }
  return reduce_values(v, w, reduction);
}

// ---- Loss ----------------------------------------------------------------------------------------------

Loss::Loss(LossOptions options)
    : name_(options.name.empty() ? "loss" : std::move(options.name)),
      reduction_(standardize_reduction(options.reduction)),
      dtype_(options.dtype.value_or(DType::float32)) {
  if (!is_floating(dtype_))
    throw ValueError("Loss '" + name_ +
                     "': dtype must be a floating dtype; received dtype=" + std::string(dtype_name(dtype_)));
}

LossOutput Loss::call_with_mask(const Tensor& y_true, const Tensor& y_pred) const {
  return {call(y_true, y_pred), Tensor()};
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                        const Tensor& mask) const {
  if (!y_true.defined() || !y_pred.defined())
    throw ValueError("Loss '" + name_ + "': " + (y_true.defined() ? "y_pred" : "y_true") + " is an undefined tensor");
  LossOutput out = call_with_mask(cast_to(y_true, dtype_), cast_to(y_pred, dtype_));
  Tensor combined = out.mask;
  if (mask.defined())
    combined =
        out.mask.defined() ? ops::logical_and(cast_to(mask, DType::bool_), cast_to(out.mask, DType::bool_)) : mask;
  return reduce_weighted_values(out.values, sample_weight, combined, reduction_, dtype_);
}

// ---- LossFunctionWrapper -------------------------------------------------------------------------------

LossFunctionWrapper::LossFunctionWrapper(LossFn fn, LossFunctionWrapperOptions options)
    : Loss({.name = options.name.empty() ? "loss_function_wrapper" : options.name,
            .reduction = options.reduction,
            .dtype = options.dtype}),
      fn_(std::move(fn)) {
  if (!fn_) throw ValueError("LossFunctionWrapper '" + name() + "': the loss function is empty");
}

LossFunctionWrapper::LossFunctionWrapper(LossFn fn, const std::string& name)
    : LossFunctionWrapper(std::move(fn), LossFunctionWrapperOptions{.name = name}) {}

Tensor LossFunctionWrapper::call(const Tensor& y_true, const Tensor& y_pred) const {
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  return fn_(t, p);
}

}  // namespace keras::losses
