// Reductions (keras.ops sum, mean, max, min, prod, var, std, logsumexp, any,
// all, argmax, argmin) and the softmax family (keras.ops.nn softmax,
// log_softmax).
//
// Primitives (an OpDef with a kernel in backend/cpu/reduce.cpp): sum, prod,
// max, min, any, all, argmax, argmin, softmax, log_softmax. The rest are
// composites of ops, so they differentiate and trace without rules of their
// own. Dtypes follow Keras 3 (keras/src/ops/numpy.py and the JAX backend):
//   sum, prod: bool, uint8, int32 -> int32 (Keras gives uint32 for uint8;
//              keras.cpp has no uint32 and, like Keras' torch backend, uses
//              int32); int64 -> int64; floating dtypes are kept.
//   mean, var, std, logsumexp: integers and bool -> float32; floating dtypes
//              are kept (float16 / bfloat16 are computed in float32).
//   max, min: the input dtype. any, all: bool, from any dtype.
//   argmax, argmin: int32.
#include "backend/cpu/reduce.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/op_def.hpp"

namespace keras {
namespace detail {
namespace {

using backend::cpu::ReduceKind;

struct ReduceAttrs {
  std::vector<int> axes;  // normalized: sorted, unique, in [0, rank)
  bool keepdims = false;
  bool operator==(const ReduceAttrs&) const = default;
};

struct ArgAttrs {
  int axis = -1;  // -1: over the flattened tensor
  bool keepdims = false;
  bool operator==(const ArgAttrs&) const = default;
};

struct SoftmaxAttrs {
  int axis = 0;  // normalized
  bool operator==(const SoftmaxAttrs&) const = default;
};

bool contains(const std::vector<int>& axes, int a) {
  for (int b : axes)
    if (a == b) return true;
  return false;
}

// The shape after reducing `axes`; unknown (-1) dims pass through.
Shape reduced_shape(const Shape& s, const std::vector<int>& axes, bool keepdims) {
  Shape out;
  for (int i = 0; i < s.rank(); ++i) {
    if (!contains(axes, i))
      out.push_back(s[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

std::string axes_str(const std::vector<int>& axes) {
  std::string s = "(";
  for (size_t i = 0; i < axes.size(); ++i) s += (i ? ", " : "") + std::to_string(axes[i]);
  return s + (axes.size() == 1 ? ",)" : ")");
}

Axes to_axes(const std::vector<int>& axes) { return Axes(std::vector<int64_t>(axes.begin(), axes.end())); }

// Attributes can also arrive from a deserialized graph, so infer re-checks
// what the public functions already normalized.
void check_axes(const char* op, const std::vector<int>& axes, int rank) {
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank || (i > 0 && axes[i] <= axes[i - 1]))
      throw ValueError(std::string(op) + ": invalid reduction axes " + axes_str(axes) + " for a tensor of rank " +
                       std::to_string(rank));
  }
}

void require_defined(const Tensor& x, const char* op) {
  if (!x.defined()) throw ValueError(std::string(op) + ": input 0 is an undefined tensor");
}

// JAX's accumulation dtype for sum and prod (see the file comment).
DType sum_dtype(DType d) {
  switch (d) {
    case DType::bool_:
    case DType::uint8:
    case DType::int32:
      return DType::int32;
    default:
      return d;
  }
}

// ---- sum / prod / max / min / any / all -----------------------------------------------
template <ReduceKind K>
void infer_reduce(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<ReduceAttrs>();
  check_axes(call.op.name, a.axes, x.ndim());
  if constexpr (K == ReduceKind::Max || K == ReduceKind::Min) {
    for (int ax : a.axes) {
      if (x.shape()[ax] == 0)
        throw ValueError(std::string(call.op.name) + ": zero-size array to reduction operation " +
                         (K == ReduceKind::Max ? "maximum" : "minimum") + " which has no identity (input shape " +
                         x.shape().str() + ", axis " + axes_str(a.axes) + ")");
    }
  }
  DType dtype = x.dtype();
  if constexpr (K == ReduceKind::Sum || K == ReduceKind::Prod) dtype = sum_dtype(dtype);
  if constexpr (K == ReduceKind::Any || K == ReduceKind::All) dtype = DType::bool_;
  out.push_back({reduced_shape(x.shape(), a.axes, a.keepdims), dtype});
}

template <ReduceKind K>
void run_reduce(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::reduce(K, call.inputs[0], call.attr<ReduceAttrs>().axes, out[0]);
}

// A reduction's output (or its gradient) with the reduced dims put back as
// 1s, so that it broadcasts against the input.
Tensor unreduce(const Tensor& t, const ReduceAttrs& a, const Tensor& x) {
  if (a.keepdims) return t;
  if (x.shape().is_fully_defined()) return ops::reshape(t, reduced_shape(x.shape(), a.axes, true));
  Tensor r = t;  // unknown dims: one expand_dims per axis, in increasing order
  for (int ax : a.axes) r = ops::expand_dims(r, ax);
  return r;
}

// g (with 1s where x has reduced dims) repeated to x's shape.
Tensor broadcast_like(const Tensor& g, const Tensor& x) {
  if (g.shape() == x.shape()) return g;
  if (x.shape().is_fully_defined()) return ops::broadcast_to(g, x.shape());
  return ops::multiply(g, ops::ones_like(x, g.dtype()));
}

// d sum / dx = 1 everywhere: dy repeated over the reduced axes.
void sum_grad(GradCtx& g) {
  const auto& a = g.attr<ReduceAttrs>();
  g.set(0, broadcast_like(unreduce(g.dy(), a, g.x()), g.x()));
}

// The gradient goes to the positions equal to the result; tied positions
// share it equally, as JAX's rule for reduce_max (_reduce_chooser_jvp_rule)
// and TensorFlow's do, so Keras' JAX backend gives the same numbers.
void max_min_grad(GradCtx& g) {
  const auto& a = g.attr<ReduceAttrs>();
  const Tensor& x = g.x();
  Tensor mask = ops::cast(ops::equal(x, unreduce(g.y(), a, x)), x.dtype());
  Tensor count = ops::sum(mask, to_axes(a.axes), /*keepdims=*/true);
  g.set(0, ops::multiply(mask, ops::divide(unreduce(g.dy(), a, x), count)));
}

// d prod / dx_i is the product of the other elements. Dividing the product by
// x_i fails at zeros, so count the zeros per output instead: with none it is
// prod / x_i; with one, only the zero element gets the product of the rest;
// with two or more every element's gradient is 0.
void prod_grad(GradCtx& g) {
  const auto& a = g.attr<ReduceAttrs>();
  const Tensor& x = g.x();
  const Axes axes = to_axes(a.axes);
  Tensor zero = ops::zeros_like(x);
  Tensor is_zero = ops::equal(x, zero);
  Tensor safe = ops::where(is_zero, ops::ones_like(x), x);
  Tensor rest = ops::prod(safe, axes, /*keepdims=*/true);  // product of the non-zero elements
  Tensor zeros = ops::sum(ops::cast(is_zero, DType::int32), axes, /*keepdims=*/true);
  Tensor none = ops::equal(zeros, ops::zeros_like(zeros));
  Tensor lone = ops::logical_and(ops::equal(zeros, ops::ones_like(zeros)), is_zero);
  Tensor d = ops::where(none, ops::divide(rest, safe), ops::where(lone, rest, zero));
  g.set(0, ops::multiply(d, unreduce(g.dy(), a, x)));
}

const OpDef kSum{.name = "sum",
                 .infer = infer_reduce<ReduceKind::Sum>,
                 .run = run_reduce<ReduceKind::Sum>,
                 .grad = sum_grad,
                 .contiguous_inputs = false};  // the kernel reads strided views
const OpDef kProd{.name = "prod",
                  .infer = infer_reduce<ReduceKind::Prod>,
                  .run = run_reduce<ReduceKind::Prod>,
                  .grad = prod_grad,
                  .contiguous_inputs = false};
const OpDef kMax{.name = "max",
                 .infer = infer_reduce<ReduceKind::Max>,
                 .run = run_reduce<ReduceKind::Max>,
                 .grad = max_min_grad,
                 .contiguous_inputs = false};
const OpDef kMin{.name = "min",
                 .infer = infer_reduce<ReduceKind::Min>,
                 .run = run_reduce<ReduceKind::Min>,
                 .grad = max_min_grad,
                 .contiguous_inputs = false};
const OpDef kAny{.name = "any",
                 .infer = infer_reduce<ReduceKind::Any>,
                 .run = run_reduce<ReduceKind::Any>,
                 .contiguous_inputs = false};
const OpDef kAll{.name = "all",
                 .infer = infer_reduce<ReduceKind::All>,
                 .run = run_reduce<ReduceKind::All>,
                 .contiguous_inputs = false};
KERAS_REGISTER_OP(kSum)
KERAS_REGISTER_OP(kProd)
KERAS_REGISTER_OP(kMax)
KERAS_REGISTER_OP(kMin)
KERAS_REGISTER_OP(kAny)
KERAS_REGISTER_OP(kAll)

// ---- argmax / argmin ----------------------------------------------------------------------
void infer_arg(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<ArgAttrs>();
  const Shape& s = x.shape();
  Shape shape;
  int64_t extent;
  if (a.axis < 0) {
    extent = s.numel();
    if (a.keepdims)
      for (int i = 0; i < s.rank(); ++i) shape.push_back(1);
  } else {
    if (a.axis >= s.rank())
      throw ValueError(std::string(call.op.name) + ": axis " + std::to_string(a.axis) +
                       " is out of bounds for a tensor of rank " + std::to_string(s.rank()));
    extent = s[a.axis];
    shape = reduced_shape(s, {a.axis}, a.keepdims);
  }
  if (extent == 0)
    throw ValueError(std::string(call.op.name) + ": attempt to get " + call.op.name +
                     " of an empty sequence (input shape " + s.str() + ")");
  out.push_back({shape, DType::int32});
}

template <bool IsMax>
void run_arg(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::arg_reduce(IsMax, call.inputs[0], call.attr<ArgAttrs>().axis, out[0]);
}

const OpDef kArgmax{.name = "argmax", .infer = infer_arg, .run = run_arg<true>};
const OpDef kArgmin{.name = "argmin", .infer = infer_arg, .run = run_arg<false>};
KERAS_REGISTER_OP(kArgmax)
KERAS_REGISTER_OP(kArgmin)

// ---- softmax / log_softmax ------------------------------------------------------------------
// Primitives rather than composites: the fused kernel reads x twice and
// writes once, where exp / sum / divide would make three temporaries.
void infer_softmax(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  require_floating(call.op.name, x.dtype());
  const int axis = call.attr<SoftmaxAttrs>().axis;
  if (axis < 0 || axis >= x.ndim())
    throw ValueError(std::string(call.op.name) + ": axis " + std::to_string(axis) +
                     " is out of bounds for a tensor of rank " + std::to_string(x.ndim()));
  out.push_back({x.shape(), x.dtype()});
}

template <bool Log>
void run_softmax(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::softmax(call.inputs[0], call.attr<SoftmaxAttrs>().axis, Log, out[0]);
}

// y = softmax(x): dx = y * (dy - sum(dy * y)) along the axis.
void softmax_grad(GradCtx& g) {
  const int axis = g.attr<SoftmaxAttrs>().axis;
  const Tensor& y = g.y();
  Tensor dy = g.dy();
  g.set(0, ops::multiply(y, ops::subtract(dy, ops::sum(ops::multiply(dy, y), axis, /*keepdims=*/true))));
}

// y = log_softmax(x): dx = dy - softmax(x) * sum(dy), with softmax(x) = exp(y).
void log_softmax_grad(GradCtx& g) {
  const int axis = g.attr<SoftmaxAttrs>().axis;
  Tensor dy = g.dy();
  g.set(0, ops::subtract(dy, ops::multiply(ops::exp(g.y()), ops::sum(dy, axis, /*keepdims=*/true))));
}

const OpDef kSoftmax{.name = "softmax", .infer = infer_softmax, .run = run_softmax<false>, .grad = softmax_grad};
const OpDef kLogSoftmax{
    .name = "log_softmax", .infer = infer_softmax, .run = run_softmax<true>, .grad = log_softmax_grad};
KERAS_REGISTER_OP(kSoftmax)
KERAS_REGISTER_OP(kLogSoftmax)

Tensor reduce_op(const OpDef& op, const Tensor& x, const Axes& axis, bool keepdims) {
  require_defined(x, op.name);
  return apply1(op, {x}, make_attrs(ReduceAttrs{resolve_axes(axis, x.ndim(), op.name), keepdims}));
}

// The dtype mean / var compute in: float32 for integers, bool and the 16-bit
// floats (whose sums would lose precision or overflow), else the input's.
DType moment_compute_dtype(DType d) { return (d == DType::float32 || d == DType::float64) ? d : DType::float32; }

// sum(x) / (number of reduced elements); axes already normalized.
Tensor mean_impl(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  const DType dtype = x.dtype();
  const DType compute = moment_compute_dtype(dtype);
  Tensor xc = dtype == compute ? x : ops::cast(x, compute);
  Tensor s = ops::sum(xc, to_axes(axes), keepdims);
  int64_t count = 1;
  bool known = true;
  for (int ax : axes) {
    known = known && x.shape()[ax] >= 0;
    count *= x.shape()[ax];
  }
  // Unknown reduced dims (symbolic): count the elements with ops instead.
  Tensor m =
      known ? s / static_cast<double>(count) : ops::divide(s, ops::sum(ops::ones_like(xc), to_axes(axes), keepdims));
  return is_floating(dtype) && dtype != compute ? ops::cast(m, dtype) : m;
}

// Two passes (mean, then the mean squared deviation): no cancellation. The
// result stays in the compute dtype (float32 for 16-bit floats and
// integers), so std can take its square root before casting back.
Tensor var_compute(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  const DType compute = moment_compute_dtype(x.dtype());
  Tensor xc = x.dtype() == compute ? x : ops::cast(x, compute);
  Tensor d = ops::subtract(xc, mean_impl(xc, axes, /*keepdims=*/true));
  return mean_impl(ops::square(d), axes, keepdims);
}

// Keras' result dtype for var and std: float32 for integers and bool, else the input's.
Tensor to_moment_result(const Tensor& v, DType input) {
  return is_floating(input) && v.dtype() != input ? ops::cast(v, input) : v;
}

}  // namespace
}  // namespace detail

namespace ops {

using detail::apply1;
using detail::make_attrs;

Tensor sum(const Tensor& x, Axes axis, bool keepdims) { return detail::reduce_op(detail::kSum, x, axis, keepdims); }
Tensor prod(const Tensor& x, Axes axis, bool keepdims) { return detail::reduce_op(detail::kProd, x, axis, keepdims); }
Tensor max(const Tensor& x, Axes axis, bool keepdims) { return detail::reduce_op(detail::kMax, x, axis, keepdims); }
Tensor min(const Tensor& x, Axes axis, bool keepdims) { return detail::reduce_op(detail::kMin, x, axis, keepdims); }
Tensor any(const Tensor& x, Axes axis, bool keepdims) { return detail::reduce_op(detail::kAny, x, axis, keepdims); }
Tensor all(const Tensor& x, Axes axis, bool keepdims) { return detail::reduce_op(detail::kAll, x, axis, keepdims); }

Tensor mean(const Tensor& x, Axes axis, bool keepdims) {
  detail::require_defined(x, "mean");
  return detail::mean_impl(x, detail::resolve_axes(axis, x.ndim(), "mean"), keepdims);
}

Tensor var(const Tensor& x, Axes axis, bool keepdims) {
  detail::require_defined(x, "var");
  const auto axes = detail::resolve_axes(axis, x.ndim(), "var");
  return detail::to_moment_result(detail::var_compute(x, axes, keepdims), x.dtype());
}

Tensor std(const Tensor& x, Axes axis, bool keepdims) {
  detail::require_defined(x, "std");
  const auto axes = detail::resolve_axes(axis, x.ndim(), "std");
  return detail::to_moment_result(ops::sqrt(detail::var_compute(x, axes, keepdims)), x.dtype());
}

// max + log(sum(exp(x - max))): exp never sees a positive argument, so large
// inputs do not overflow. As jax.nn.logsumexp does, an infinite max is
// replaced by 0 (so inf - inf never occurs; the result is then +-inf from the
// sum) and the shift carries no gradient (it cancels exactly). An empty
// reduction gives -inf, the log of an empty sum.
Tensor logsumexp(const Tensor& x, Axes axis, bool keepdims) {
  detail::require_defined(x, "logsumexp");
  const std::vector<int> axes = detail::resolve_axes(axis, x.ndim(), "logsumexp");
  // Integers give float32; float16 / bfloat16 (storage-only in keras.cpp)
  // are computed in float32 and cast back.
  const DType compute = detail::moment_compute_dtype(x.dtype());
  const DType result = is_floating(x.dtype()) ? x.dtype() : DType::float32;
  Tensor xc = x.dtype() == compute ? x : ops::cast(x, compute);
  const Axes ax = detail::to_axes(axes);
  for (int a : axes) {
    if (x.shape()[a] == 0 && !x.is_symbolic())
      return ops::full(detail::reduced_shape(x.shape(), axes, keepdims), -std::numeric_limits<double>::infinity(),
                       result);
  }
  Tensor m = ops::max(xc, ax, /*keepdims=*/true);
  Tensor finite = ops::less(ops::abs(m), ops::full_like(m, std::numeric_limits<double>::infinity()));
  Tensor shift = ops::stop_gradient(ops::where(finite, m, ops::zeros_like(m)));
  Tensor lse = ops::log(ops::sum(ops::exp(ops::subtract(xc, shift)), ax, keepdims));
  if (!keepdims && !axes.empty()) shift = ops::squeeze(shift, ax);
  Tensor out = ops::add(lse, shift);
  return out.dtype() == result ? out : ops::cast(out, result);
}

Tensor argmax(const Tensor& x, std::optional<int64_t> axis, bool keepdims) {
  detail::require_defined(x, "argmax");
  const int a = axis ? normalize_axis(*axis, x.ndim(), "argmax") : -1;
  return apply1(detail::kArgmax, {x}, make_attrs(detail::ArgAttrs{a, keepdims}));
}

Tensor argmin(const Tensor& x, std::optional<int64_t> axis, bool keepdims) {
  detail::require_defined(x, "argmin");
  const int a = axis ? normalize_axis(*axis, x.ndim(), "argmin") : -1;
  return apply1(detail::kArgmin, {x}, make_attrs(detail::ArgAttrs{a, keepdims}));
}

Tensor softmax(const Tensor& x, int64_t axis) {
  detail::require_defined(x, "softmax");
  return apply1(detail::kSoftmax, {x}, make_attrs(detail::SoftmaxAttrs{normalize_axis(axis, x.ndim(), "softmax")}));
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  detail::require_defined(x, "log_softmax");
  return apply1(detail::kLogSoftmax, {x},
                make_attrs(detail::SoftmaxAttrs{normalize_axis(axis, x.ndim(), "log_softmax")}));
}

}  // namespace ops
}  // namespace keras
