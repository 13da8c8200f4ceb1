// Mirrors keras/src/layers/normalization/{batch_normalization,
// layer_normalization,group_normalization,unit_normalization}.py, written as
// compositions of keras::ops so that the tape differentiates them.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "autodiff/tape_impl.hpp"
#include "keras/layers/normalization.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"

namespace keras::layers {

namespace {

// Python's repr of a list of ints: "[1, 2]".
std::string list_str(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// `axis` as Keras prints the argument: an int, or a list.
std::string axis_arg_str(const std::vector<int>& axis, bool as_list) {
  return as_list || axis.size() != 1 ? list_str(axis) : std::to_string(axis[0]);
}

// The non-negative axis, or Keras' out-of-bounds ValueError.
int checked_axis(int axis, const Shape& s, const std::string& received) {
  if (axis >= s.rank() || axis < -s.rank())
    throw ValueError("Axis " + std::to_string(axis) + " is out of bounds for input shape " + s.str() +
                     ". Received: axis=" + received);
  return axis < 0 ? axis + s.rank() : axis;
}

Tensor as_dtype(const Tensor& x, DType dt) { return x.dtype() == dt ? x : ops::cast(x, dt); }

// A (features,) vector reshaped to broadcast along `axis` of a rank-`rank` tensor.
Tensor along_axis(const Tensor& v, int axis, int rank) {
  Shape s;
  for (int i = 0; i < rank; ++i) s.push_back(i == axis ? v.shape()[0] : 1);
  return ops::reshape(v, s);
}

}  // namespace

// ---- BatchNormalization -------------------------------------------------------------------------------

BatchNormalizationImpl::BatchNormalizationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "batch_normalization"),
      options_(std::move(o)),
      axis_(options_.axis) {
  if (options_.synchronized)
    throw ValueError("Argument synchronized=True is only supported with the TensorFlow backend.");
}

void BatchNormalizationImpl::build(const Shape& input_shape) {
  axis_ = checked_axis(options_.axis, input_shape, std::to_string(options_.axis));
  const int64_t dim = input_shape[axis_];
  if (dim < 0)
    throw ValueError("Axis " + std::to_string(options_.axis) +
                     " of input tensor should have a defined dimension but the layer received an input with shape " +
                     input_shape.str() + ".");
  const Shape shape{dim};
  if (options_.scale)
    gamma_ = add_weight({.name = "gamma",
                         .shape = shape,
                         .initializer = options_.gamma_initializer,
                         .trainable = true,
                         .regularizer = options_.gamma_regularizer,
                         .constraint = options_.gamma_constraint});
  if (options_.center)
    beta_ = add_weight({.name = "beta",
                        .shape = shape,
                        .initializer = options_.beta_initializer,
                        .trainable = true,
                        .regularizer = options_.beta_regularizer,
                        .constraint = options_.beta_constraint});
  moving_mean_ = add_weight(
      {.name = "moving_mean", .shape = shape, .initializer = options_.moving_mean_initializer, .trainable = false});
  moving_variance_ = add_weight({.name = "moving_variance",
                                 .shape = shape,
                                 .initializer = options_.moving_variance_initializer,
                                 .trainable = false});
  set_input_spec(InputSpec{.ndim = input_shape.rank(), .axes = {{options_.axis, dim}}});
}

Shape BatchNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  checked_axis(options_.axis, input_shape, std::to_string(options_.axis));
  return input_shape;
}

Tensor BatchNormalizationImpl::call(const Tensor& inputs, bool training) {
  const Tensor x = as_dtype(inputs, dtype());
  const int rank = x.ndim();
  Tensor mean, variance;
  if (training && trainable()) {
    std::vector<int64_t> reduce;
    for (int i = 0; i < rank; ++i)
      if (i != axis_) reduce.push_back(i);
    mean = ops::mean(x, reduce);
    variance = ops::var(x, reduce);
    if (!x.is_symbolic()) {
      detail::PauseTapes pause;  // the moving statistics are state, not part of the gradient
      const double m = options_.momentum;
      moving_mean_.assign(moving_mean_.value() * m + mean * (1.0 - m));
      moving_variance_.assign(moving_variance_.value() * m + variance * (1.0 - m));
    }
  } else {
    mean = moving_mean_.value();
    variance = moving_variance_.value();
  }
  Tensor inv = ops::rsqrt(along_axis(variance, axis_, rank) + options_.epsilon);
  if (options_.scale) inv = ops::multiply(inv, along_axis(gamma_.value(), axis_, rank));
  Tensor res = ops::multiply(ops::negative(along_axis(mean, axis_, rank)), inv);
  if (options_.center) res = ops::add(res, along_axis(beta_.value(), axis_, rank));
  return ops::add(ops::multiply(x, inv), res);
}

nlohmann::json BatchNormalizationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = options_.axis;
  c["momentum"] = options_.momentum;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["beta_initializer"] = saving::serialize(options_.beta_initializer);
  c["gamma_initializer"] = saving::serialize(options_.gamma_initializer);
  c["moving_mean_initializer"] = saving::serialize(options_.moving_mean_initializer);
  c["moving_variance_initializer"] = saving::serialize(options_.moving_variance_initializer);
  c["beta_regularizer"] = saving::serialize(options_.beta_regularizer);
  c["gamma_regularizer"] = saving::serialize(options_.gamma_regularizer);
  c["beta_constraint"] = saving::serialize(options_.beta_constraint);
  c["gamma_constraint"] = saving::serialize(options_.gamma_constraint);
  c["synchronized"] = options_.synchronized;
  c["renorm"] = false;
  c["renorm_clipping"] = nullptr;
  c["renorm_momentum"] = 0.99;
  return c;
}

// ---- LayerNormalization -------------------------------------------------------------------------------

LayerNormalizationImpl::LayerNormalizationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "layer_normalization"),
      options_(std::move(o)) {
  if (options_.axis.empty())
    throw TypeError("Expected an int or a list/tuple of ints for the argument 'axis', but received: " +
                    list_str(options_.axis));
}

void LayerNormalizationImpl::build(const Shape& input_shape) {
  const std::string received = axis_arg_str(options_.axis, false);
  axes_.clear();
  for (int a : options_.axis) axes_.push_back(checked_axis(a, input_shape, received));
  std::sort(axes_.begin(), axes_.end());
  if (std::adjacent_find(axes_.begin(), axes_.end()) != axes_.end())
    throw ValueError("LayerNormalization: `axis` names the same axis twice. Received: axis=" + received);
  Shape shape;
  // In the order of the sorted axes as given (a negative axis sorts first), as Keras shapes the
  // weights; call() reshapes them onto the input's axes.
  std::vector<int> given = options_.axis;
  std::sort(given.begin(), given.end());
  for (int a : given) shape.push_back(input_shape[checked_axis(a, input_shape, received)]);
  if (options_.scale || options_.rms_scaling)
    gamma_ = add_weight({.name = "gamma",
                         .shape = shape,
                         .initializer = options_.gamma_initializer,
                         .trainable = true,
                         .regularizer = options_.gamma_regularizer,
                         .constraint = options_.gamma_constraint});
  if (options_.center && !options_.rms_scaling)
    beta_ = add_weight({.name = "beta",
                        .shape = shape,
                        .initializer = options_.beta_initializer,
                        .trainable = true,
                        .regularizer = options_.beta_regularizer,
                        .constraint = options_.beta_constraint});
}

Shape LayerNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  const std::string received = axis_arg_str(options_.axis, built());
  for (int a : options_.axis) checked_axis(a, input_shape, received);
  return input_shape;
}

Tensor LayerNormalizationImpl::call(const Tensor& inputs, bool) {
  const Tensor x = as_dtype(inputs, dtype());
  const int rank = x.ndim();
  for (int a : options_.axis) checked_axis(a, x.shape(), axis_arg_str(options_.axis, true));
  // gamma / beta broadcast against x: their axes keep their sizes, the others become 1.
  Shape bshape;
  for (int i = 0; i < rank; ++i)
    bshape.push_back(std::find(axes_.begin(), axes_.end(), i) != axes_.end() ? x.shape()[i] : 1);
  auto bcast = [&](const Variable& v) { return ops::reshape(v.value(), bshape); };
  const Axes axes(axes_);
  if (options_.rms_scaling) {
    Tensor inv = ops::rsqrt(ops::var(x, axes, true) + options_.epsilon);
    Tensor out = ops::multiply(x, inv);
    if (gamma_.defined()) out = ops::multiply(out, bcast(gamma_));
    return out;
  }
  Tensor mean = ops::mean(x, axes, true);
  Tensor inv = ops::rsqrt(ops::var(x, axes, true) + options_.epsilon);
  if (gamma_.defined()) inv = ops::multiply(inv, bcast(gamma_));
  Tensor res = ops::multiply(ops::negative(mean), inv);
  if (beta_.defined()) res = ops::add(res, bcast(beta_));
  return ops::add(ops::multiply(x, inv), res);
}

nlohmann::json LayerNormalizationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  if (options_.axis.size() == 1 && !built()) {
    c["axis"] = options_.axis[0];
  } else {
    // Keras sorts a list argument in build() (numerically, negative axes as they are).
    std::vector<int> sorted = options_.axis;
    if (built()) std::sort(sorted.begin(), sorted.end());
    c["axis"] = sorted;
  }
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["rms_scaling"] = options_.rms_scaling;
  c["beta_initializer"] = saving::serialize(options_.beta_initializer);
  c["gamma_initializer"] = saving::serialize(options_.gamma_initializer);
  c["beta_regularizer"] = saving::serialize(options_.beta_regularizer);
  c["gamma_regularizer"] = saving::serialize(options_.gamma_regularizer);
  c["beta_constraint"] = saving::serialize(options_.beta_constraint);
  c["gamma_constraint"] = saving::serialize(options_.gamma_constraint);
  return c;
}

// ---- GroupNormalization -------------------------------------------------------------------------------

GroupNormalizationImpl::GroupNormalizationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "group_normalization"),
      options_(std::move(o)) {
  if (options_.groups <= 0 && options_.groups != -1)
    throw ValueError(
        "Received an invalid value for argument `groups`, expected a positive integer (or `-1` for instance "
        "normalization). Received: groups=" +
        std::to_string(options_.groups));
}

void GroupNormalizationImpl::build(const Shape& input_shape) {
  axis_ = checked_axis(options_.axis, input_shape, std::to_string(options_.axis));
  const int64_t dim = input_shape[axis_];
  if (dim < 0)
    throw ValueError("Axis " + std::to_string(options_.axis) +
                     " of input tensor should have a defined dimension but the layer received an input with shape " +
                     input_shape.str() + ".");
  if (axis_ == 0) throw ValueError("GroupNormalization: `axis` cannot be the batch axis (0)");
  if (options_.groups == -1) options_.groups = static_cast<int>(dim);
  if (dim < options_.groups)
    throw ValueError("Number of groups (" + std::to_string(options_.groups) +
                     ") cannot be more than the number of channels (" + std::to_string(dim) + ").");
  if (dim % options_.groups != 0)
    throw ValueError("Number of groups (" + std::to_string(options_.groups) +
                     ") must be a multiple of the number of channels (" + std::to_string(dim) + ").");
  set_input_spec(InputSpec{.ndim = input_shape.rank(), .axes = {{options_.axis, dim}}});
  if (options_.scale)
    gamma_ = add_weight({.name = "gamma",
                         .shape = {dim},
                         .initializer = options_.gamma_initializer,
                         .regularizer = options_.gamma_regularizer,
                         .constraint = options_.gamma_constraint});
  if (options_.center)
    beta_ = add_weight({.name = "beta",
                        .shape = {dim},
                        .initializer = options_.beta_initializer,
                        .regularizer = options_.beta_regularizer,
                        .constraint = options_.beta_constraint});
}

Shape GroupNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  checked_axis(options_.axis, input_shape, std::to_string(options_.axis));
  return input_shape;
}

Tensor GroupNormalizationImpl::call(const Tensor& inputs, bool) {
  const Tensor x = as_dtype(inputs, dtype());
  const Shape in = x.shape();
  const int64_t g = options_.groups;
  // (batch, ..., channels, ...) -> (batch, ..., groups, channels / groups, ...).
  Shape grouped{-1};
  for (int i = 1; i < in.rank(); ++i) {
    if (i == axis_) {
      grouped.push_back(g);
      grouped.push_back(in[i] / g);
    } else {
      grouped.push_back(in[i]);
    }
  }
  const Tensor xg = ops::reshape(x, grouped);
  std::vector<int64_t> reduce;
  for (int i = 1; i < grouped.rank(); ++i)
    if (i != axis_) reduce.push_back(i);
  Shape bshape;
  for (int i = 0; i < grouped.rank(); ++i) bshape.push_back(i == axis_ ? g : i == axis_ + 1 ? in[axis_] / g : 1);
  Tensor mean = ops::mean(xg, reduce, true);
  Tensor inv = ops::rsqrt(ops::var(xg, reduce, true) + options_.epsilon);
  if (options_.scale) inv = ops::multiply(inv, ops::reshape(gamma_.value(), bshape));
  Tensor res = ops::multiply(ops::negative(mean), inv);
  if (options_.center) res = ops::add(res, ops::reshape(beta_.value(), bshape));
  Shape out = in;
  out[0] = -1;
  return ops::reshape(ops::add(ops::multiply(xg, inv), res), out);
}

nlohmann::json GroupNormalizationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["groups"] = options_.groups;
  c["axis"] = options_.axis;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["beta_initializer"] = saving::serialize(options_.beta_initializer);
  c["gamma_initializer"] = saving::serialize(options_.gamma_initializer);
  c["beta_regularizer"] = saving::serialize(options_.beta_regularizer);
  c["gamma_regularizer"] = saving::serialize(options_.gamma_regularizer);
  c["beta_constraint"] = saving::serialize(options_.beta_constraint);
  c["gamma_constraint"] = saving::serialize(options_.gamma_constraint);
  return c;
}

// ---- UnitNormalization --------------------------------------------------------------------------------

UnitNormalizationImpl::UnitNormalizationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "unit_normalization"),
      options_(std::move(o)) {
  if (options_.axis.empty())
    throw TypeError("Invalid value for `axis` argument: expected an int or a list/tuple of ints. Received: axis=" +
                    list_str(options_.axis));
  set_built(true);  // no weights: built at construction, as Keras' _build_at_init
}

Shape UnitNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  for (int a : options_.axis)
    if (a >= input_shape.rank() || a < -input_shape.rank())
      throw ValueError("Axis " + axis_arg_str(options_.axis, false) + " is out of bounds for input shape " +
                       input_shape.str() + ".");
  return input_shape;
}

Tensor UnitNormalizationImpl::call(const Tensor& inputs, bool) {
  compute_output_shape(inputs.shape());
  const Tensor x = as_dtype(inputs, dtype());
  std::vector<int64_t> axes(options_.axis.begin(), options_.axis.end());
  Tensor inv = ops::rsqrt(ops::sum(ops::square(x), axes, true));
  inv = ops::minimum(inv, ops::full_like(inv, 1e12));
  return ops::multiply(x, inv);
}

nlohmann::json UnitNormalizationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  if (options_.axis.size() == 1)
    c["axis"] = options_.axis[0];
  else
    c["axis"] = options_.axis;
  return c;
}

}  // namespace keras::layers
