// Mirrors the elementwise ops of keras/src/ops/numpy.py (add ... logical_not,
// where, clip), keras.ops.cast and keras.ops.stop_gradient, and the C++
// operators of keras::Tensor.
//
// Dtypes follow Keras 3 (keras/src/backend/common/dtypes.py result_type and
// each op's compute_output_spec), with keras::result_type for two tensors:
//   add, subtract, multiply, power, maximum, minimum: result_type(a, b)
//              (bool + bool is logical or, bool * bool logical and; bool
//              subtract, negative and power raise TypeError, as in NumPy).
//   divide:    result_type(a, b, float): floating kept, integers and bool ->
//              float32. Keras resolves the weak float by floatx, so int64 /
//              int64 is float32 too (NumPy and TF give float64).
//   sqrt, rsqrt, exp, log, log1p, expm1, floor: integers and bool -> float32.
//   square:    bool -> int32. abs, negative, sign, round: the input dtype.
//   clip:      bool -> int32, else the input dtype.
//   comparisons and logical ops: bool (logical ops read any dtype as != 0).
//   float16 / bfloat16 are storage-only: arithmetic on them raises TypeError.
// A C++ number next to a tensor is weakly typed, as a Python scalar in Keras:
// it takes the tensor's dtype, except that a non-integral number makes an
// integer or bool tensor float32, and an integral one makes bool int32.
//
// Gradients are written with ops, so they differentiate again (second order)
// and trace. Ties of maximum / minimum send the whole gradient to the first
// operand (TensorFlow's rule: x >= y for maximum, x <= y for minimum; JAX
// splits it in halves). The gradient of abs and sign at 0 is 0; clip passes
// the gradient where lo <= x <= hi (the bounds included, as TensorFlow's
// clip_by_value). floor, round, comparisons and logical ops have no gradient.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/convert.hpp"
#include "ops/elementwise_op.hpp"

namespace keras {
namespace detail {

using backend::cpu::BinaryKind;
using backend::cpu::UnaryKind;

void require_defined(const Tensor& x, const char* op, int index) {
  if (!x.defined()) throw ValueError(std::string(op) + ": input " + std::to_string(index) + " is an undefined tensor");
}

Tensor promote_to(const Tensor& x, DType d) { return x.dtype() == d ? x : ops::cast(x, d); }

Tensor to_float(const Tensor& x, const char* op) {
  require_defined(x, op);
  return is_floating(x.dtype()) ? x : ops::cast(x, DType::float32);
}

namespace {

Tensor zero_scalar(const Tensor& like) { return Tensor::scalar(0.0, like.dtype()); }

// where(mask, g, 0) and where(mask, 0, g): the masked gradient of a selecting op.
Tensor keep_where(const Tensor& mask, const Tensor& g) { return ops::where(mask, g, zero_scalar(g)); }
Tensor drop_where(const Tensor& mask, const Tensor& g) { return ops::where(mask, zero_scalar(g), g); }

// ---- binary -------------------------------------------------------------------------------------------
template <BinaryKind K>
constexpr OpDef binary_def(const char* name, GradFn grad) {
  return OpDef{.name = name,
               .infer = infer_binary<K>,
               .run = run_binary<K>,
               .grad = grad,
               .contiguous_inputs = false};  // the kernel reads strided views
}

void add_grad(GradCtx& g) {
  g.set(0, g.dy(), true);
  g.set(1, g.dy(), true);
}
void subtract_grad(GradCtx& g) {
  g.set(0, g.dy(), true);
  if (g.needs(1)) g.set(1, ops::negative(g.dy()), true);
}
void multiply_grad(GradCtx& g) {
  if (g.needs(0)) g.set(0, ops::multiply(g.dy(), g.x(1)), true);
  if (g.needs(1)) g.set(1, ops::multiply(g.dy(), g.x(0)), true);
}
// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -y/b.
void divide_grad(GradCtx& g) {
  if (g.needs(0)) g.set(0, ops::divide(g.dy(), g.x(1)), true);
  if (g.needs(1)) g.set(1, ops::negative(ops::divide(ops::multiply(g.dy(), g.y()), g.x(1))), true);
}
// d(a^b)/da = b a^(b-1); d(a^b)/db = log(a) a^b, taken as 0 where a <= 0
// (there the real power is not differentiable in b), as JAX does.
void power_grad(GradCtx& g) {
  const Tensor& a = g.x(0);
  const Tensor& b = g.x(1);
  if (g.needs(0)) g.set(0, ops::multiply(g.dy(), ops::multiply(b, ops::power(a, b - 1.0))), true);
  if (g.needs(1)) {
    Tensor positive = ops::greater(a, zero_scalar(a));
    Tensor log_a = ops::log(ops::where(positive, a, Tensor::scalar(1.0, a.dtype())));
    g.set(1, keep_where(positive, ops::multiply(g.dy(), ops::multiply(log_a, g.y()))), true);
  }
}
void maximum_grad(GradCtx& g) {
  Tensor first = ops::greater_equal(g.x(0), g.x(1));
  if (g.needs(0)) g.set(0, keep_where(first, g.dy()), true);
  if (g.needs(1)) g.set(1, drop_where(first, g.dy()), true);
}
void minimum_grad(GradCtx& g) {
  Tensor first = ops::less_equal(g.x(0), g.x(1));
  if (g.needs(0)) g.set(0, keep_where(first, g.dy()), true);
  if (g.needs(1)) g.set(1, drop_where(first, g.dy()), true);
}

constexpr OpDef kAdd = binary_def<BinaryKind::Add>("add", add_grad);
constexpr OpDef kSubtract = binary_def<BinaryKind::Subtract>("subtract", subtract_grad);
constexpr OpDef kMultiply = binary_def<BinaryKind::Multiply>("multiply", multiply_grad);
constexpr OpDef kDivide = binary_def<BinaryKind::Divide>("divide", divide_grad);
constexpr OpDef kPower = binary_def<BinaryKind::Power>("power", power_grad);
constexpr OpDef kMaximum = binary_def<BinaryKind::Maximum>("maximum", maximum_grad);
constexpr OpDef kMinimum = binary_def<BinaryKind::Minimum>("minimum", minimum_grad);
constexpr OpDef kEqual = binary_def<BinaryKind::Equal>("equal", nullptr);
constexpr OpDef kNotEqual = binary_def<BinaryKind::NotEqual>("not_equal", nullptr);
constexpr OpDef kGreater = binary_def<BinaryKind::Greater>("greater", nullptr);
constexpr OpDef kGreaterEqual = binary_def<BinaryKind::GreaterEqual>("greater_equal", nullptr);
constexpr OpDef kLess = binary_def<BinaryKind::Less>("less", nullptr);
constexpr OpDef kLessEqual = binary_def<BinaryKind::LessEqual>("less_equal", nullptr);
constexpr OpDef kLogicalAnd = binary_def<BinaryKind::LogicalAnd>("logical_and", nullptr);
constexpr OpDef kLogicalOr = binary_def<BinaryKind::LogicalOr>("logical_or", nullptr);
KERAS_REGISTER_OP(kAdd)
KERAS_REGISTER_OP(kSubtract)
KERAS_REGISTER_OP(kMultiply)
KERAS_REGISTER_OP(kDivide)
KERAS_REGISTER_OP(kPower)
KERAS_REGISTER_OP(kMaximum)
KERAS_REGISTER_OP(kMinimum)
KERAS_REGISTER_OP(kEqual)
KERAS_REGISTER_OP(kNotEqual)
KERAS_REGISTER_OP(kGreater)
KERAS_REGISTER_OP(kGreaterEqual)
KERAS_REGISTER_OP(kLess)
KERAS_REGISTER_OP(kLessEqual)
KERAS_REGISTER_OP(kLogicalAnd)
KERAS_REGISTER_OP(kLogicalOr)

// Promotes both operands to `dtype` and applies op.
Tensor binary_call(const OpDef& op, const Tensor& a, const Tensor& b, DType dtype) {
  return apply1(op, {promote_to(a, dtype), promote_to(b, dtype)});
}

// Keras' result_type(a, b): the common dtype of two tensors.
Tensor promoted(const OpDef& op, const Tensor& a, const Tensor& b) {
  require_defined(a, op.name, 0);
  require_defined(b, op.name, 1);
  return binary_call(op, a, b, result_type(a.dtype(), b.dtype()));
}

// ---- unary --------------------------------------------------------------------------------------------
template <UnaryKind K>
constexpr OpDef unary_def(const char* name, GradFn grad) {
  return OpDef{.name = name, .infer = infer_unary<K>, .run = run_unary<K>, .grad = grad, .contiguous_inputs = false};
}

void negative_grad(GradCtx& g) { g.set(0, ops::negative(g.dy())); }
void abs_grad(GradCtx& g) { g.set(0, ops::multiply(g.dy(), ops::sign(g.x()))); }
void square_grad(GradCtx& g) { g.set(0, ops::multiply(g.dy(), g.x() * 2.0)); }
void sqrt_grad(GradCtx& g) { g.set(0, ops::divide(g.dy(), g.y() * 2.0)); }
// y = x^(-1/2): dy/dx = -y / (2x).
void rsqrt_grad(GradCtx& g) { g.set(0, ops::multiply(g.dy(), ops::divide(g.y(), g.x()) * -0.5)); }
void exp_grad(GradCtx& g) { g.set(0, ops::multiply(g.dy(), g.y())); }
void log_grad(GradCtx& g) { g.set(0, ops::divide(g.dy(), g.x())); }
void log1p_grad(GradCtx& g) { g.set(0, ops::divide(g.dy(), g.x() + 1.0)); }
void expm1_grad(GradCtx& g) { g.set(0, ops::multiply(g.dy(), g.y() + 1.0)); }
// sign is flat: its gradient is 0 (TensorFlow and JAX return zeros, not None).
void sign_grad(GradCtx& g) { g.set(0, ops::zeros_like(g.x())); }
// d erf(x) / dx = 2 / sqrt(pi) exp(-x^2).
void erf_grad(GradCtx& g) {
  const Tensor& x = g.x();
  g.set(0, ops::multiply(g.dy(), ops::exp(ops::negative(ops::square(x))) * 1.1283791670955126));
}

constexpr OpDef kNegative = unary_def<UnaryKind::Negative>("negative", negative_grad);
constexpr OpDef kAbs = unary_def<UnaryKind::Abs>("abs", abs_grad);
constexpr OpDef kSquare = unary_def<UnaryKind::Square>("square", square_grad);
constexpr OpDef kSqrt = unary_def<UnaryKind::Sqrt>("sqrt", sqrt_grad);
constexpr OpDef kRsqrt = unary_def<UnaryKind::Rsqrt>("rsqrt", rsqrt_grad);
constexpr OpDef kExp = unary_def<UnaryKind::Exp>("exp", exp_grad);
constexpr OpDef kLog = unary_def<UnaryKind::Log>("log", log_grad);
constexpr OpDef kLog1p = unary_def<UnaryKind::Log1p>("log1p", log1p_grad);
constexpr OpDef kExpm1 = unary_def<UnaryKind::Expm1>("expm1", expm1_grad);
constexpr OpDef kSign = unary_def<UnaryKind::Sign>("sign", sign_grad);
constexpr OpDef kFloor = unary_def<UnaryKind::Floor>("floor", nullptr);
constexpr OpDef kRound = unary_def<UnaryKind::Round>("round", nullptr);
constexpr OpDef kErf = unary_def<UnaryKind::Erf>("erf", erf_grad);
constexpr OpDef kLogicalNot = unary_def<UnaryKind::LogicalNot>("logical_not", nullptr);
KERAS_REGISTER_OP(kNegative)
KERAS_REGISTER_OP(kAbs)
KERAS_REGISTER_OP(kSquare)
KERAS_REGISTER_OP(kSqrt)
KERAS_REGISTER_OP(kRsqrt)
KERAS_REGISTER_OP(kExp)
KERAS_REGISTER_OP(kLog)
KERAS_REGISTER_OP(kLog1p)
KERAS_REGISTER_OP(kExpm1)
KERAS_REGISTER_OP(kSign)
KERAS_REGISTER_OP(kFloor)
KERAS_REGISTER_OP(kRound)
KERAS_REGISTER_OP(kErf)
KERAS_REGISTER_OP(kLogicalNot)

Tensor unary_call(const OpDef& op, const Tensor& x) {
  require_defined(x, op.name);
  return apply1(op, {x});
}

// ---- clip ---------------------------------------------------------------------------------------------
struct ClipAttrs {
  double lo = 0;
  double hi = 0;
  bool operator==(const ClipAttrs&) const = default;
};

void run_clip(const OpCall& call, std::vector<Tensor>& out) {
  const auto& a = call.attr<ClipAttrs>();
  backend::cpu::unary(UnaryKind::Clip, call.inputs[0], out[0], a.lo, a.hi);
}

void clip_grad(GradCtx& g) {
  const auto& a = g.attr<ClipAttrs>();
  const Tensor& x = g.x();
  Tensor inside = ops::logical_and(ops::greater_equal(x, Tensor::scalar(a.lo, x.dtype())),
                                   ops::less_equal(x, Tensor::scalar(a.hi, x.dtype())));
  g.set(0, keep_where(inside, g.dy()));
}

constexpr OpDef kClip{.name = "clip",
                      .infer = infer_unary<UnaryKind::Clip>,
                      .run = run_clip,
                      .grad = clip_grad,
                      .contiguous_inputs = false};
KERAS_REGISTER_OP(kClip)

// ---- where --------------------------------------------------------------------------------------------
void infer_where(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& c = call.inputs[0];
  const Tensor& x = call.inputs[1];
  const Tensor& y = call.inputs[2];
  Shape shape = broadcast_shapes(broadcast_shapes(c.shape(), x.shape(), "where"), y.shape(), "where");
  if (c.dtype() != DType::bool_ || x.dtype() != y.dtype())
    throw TypeError("where: needs a bool condition and x, y of one dtype, got " + std::string(dtype_name(c.dtype())) +
                    ", " + std::string(dtype_name(x.dtype())) + ", " + std::string(dtype_name(y.dtype())));
  out.push_back({shape, x.dtype()});
}

void run_where(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::where(call.inputs[0], call.inputs[1], call.inputs[2], out[0]);
}

void where_grad(GradCtx& g) {
  const Tensor& c = g.x(0);
  if (g.needs(1)) g.set(1, keep_where(c, g.dy()), true);
  if (g.needs(2)) g.set(2, drop_where(c, g.dy()), true);
}

constexpr OpDef kWhere{
    .name = "where", .infer = infer_where, .run = run_where, .grad = where_grad, .contiguous_inputs = false};
KERAS_REGISTER_OP(kWhere)

// ---- cast ---------------------------------------------------------------------------------------------
struct CastAttrs {
  DType dtype = DType::float32;
  bool operator==(const CastAttrs&) const = default;
};

void infer_cast(const OpCall& call, std::vector<TensorSpec>& out) {
  out.push_back({call.inputs[0].shape(), call.attr<CastAttrs>().dtype});
}

void run_cast(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];  // contiguous (the dispatcher gathers views)
  convert_elements(x.raw_data(), x.dtype(), out[0].raw_mutable_data(), out[0].dtype(), x.size());
}

// The gradient of a cast between floating dtypes is the gradient cast back
// (GradCtx::set casts it to the input's dtype); to or from an integer there
// is none, as in TensorFlow.
void cast_grad(GradCtx& g) {
  if (is_floating(g.y().dtype())) g.set(0, g.dy());
}

const OpDef kCast{.name = "cast", .infer = infer_cast, .run = run_cast, .grad = cast_grad};
KERAS_REGISTER_OP(kCast)

// ---- stop_gradient --------------------------------------------------------------------------------------
// An identity with no gradient rule: the dispatcher records only ops with a
// rule, so the tape never links the output to the input. The output is a new
// view of the same data (a distinct tensor, so it has its own tape key).
void infer_identity(const OpCall& call, std::vector<TensorSpec>& out) {
  out.push_back({call.inputs[0].shape(), call.inputs[0].dtype()});
}

void run_stop_gradient(const OpCall& call, std::vector<Tensor>& out) {
  const TensorImpl& x = *call.inputs[0].impl();
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = x.shape;
  std::copy(std::begin(x.strides), std::end(x.strides), std::begin(impl->strides));
  impl->offset = x.offset;
  impl->dtype = x.dtype;
  impl->device = x.device;
  impl->storage = x.storage;
  out.push_back(Tensor(std::move(impl)));
}

const OpDef kStopGradient{.name = "stop_gradient",
                          .infer = infer_identity,
                          .run = run_stop_gradient,
                          .contiguous_inputs = false,
                          .makes_outputs = true};
KERAS_REGISTER_OP(kStopGradient)

// ---- weak C++ numbers -------------------------------------------------------------------------------------
// The dtype a tensor and a C++ number meet in (Keras' weak types: a Python int
// or float next to a tensor).
DType weak_result(DType t, double v) {
  if (is_floating(t)) return t;
  const bool integral = std::isfinite(v) && v == std::trunc(v);
  if (!integral) return DType::float32;
  return t == DType::bool_ ? DType::int32 : t;
}

template <class Fn>
Tensor with_number(const Tensor& a, double v, const char* op, bool number_first, Fn&& fn) {
  require_defined(a, op, number_first ? 1 : 0);
  const DType d = weak_result(a.dtype(), v);
  Tensor t = promote_to(a, d);
  Tensor s = Tensor::scalar(v, d);
  return number_first ? fn(s, t) : fn(t, s);
}

}  // namespace

Tensor erf(const Tensor& x) { return apply1(kErf, {to_float(x, "erf")}); }

}  // namespace detail

namespace ops {

using detail::apply1;

Tensor add(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kAdd, a, b); }
Tensor subtract(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kSubtract, a, b); }
Tensor multiply(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kMultiply, a, b); }

Tensor divide(const Tensor& a, const Tensor& b) {
  detail::require_defined(a, "divide", 0);
  detail::require_defined(b, "divide", 1);
  DType d = result_type(a.dtype(), b.dtype());
  if (!is_floating(d)) d = DType::float32;
  return detail::binary_call(detail::kDivide, a, b, d);
}

Tensor power(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kPower, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kMaximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kMinimum, a, b); }

Tensor negative(const Tensor& x) { return detail::unary_call(detail::kNegative, x); }
Tensor abs(const Tensor& x) { return detail::unary_call(detail::kAbs, x); }

Tensor square(const Tensor& x) {
  detail::require_defined(x, "square");
  return detail::unary_call(detail::kSquare, x.dtype() == DType::bool_ ? cast(x, DType::int32) : x);
}

Tensor sqrt(const Tensor& x) { return apply1(detail::kSqrt, {detail::to_float(x, "sqrt")}); }
Tensor rsqrt(const Tensor& x) { return apply1(detail::kRsqrt, {detail::to_float(x, "rsqrt")}); }
Tensor exp(const Tensor& x) { return apply1(detail::kExp, {detail::to_float(x, "exp")}); }
Tensor log(const Tensor& x) { return apply1(detail::kLog, {detail::to_float(x, "log")}); }
Tensor log1p(const Tensor& x) { return apply1(detail::kLog1p, {detail::to_float(x, "log1p")}); }
Tensor expm1(const Tensor& x) { return apply1(detail::kExpm1, {detail::to_float(x, "expm1")}); }
Tensor sign(const Tensor& x) { return detail::unary_call(detail::kSign, x); }
Tensor floor(const Tensor& x) { return apply1(detail::kFloor, {detail::to_float(x, "floor")}); }
Tensor round(const Tensor& x) { return detail::unary_call(detail::kRound, x); }

Tensor clip(const Tensor& x, double x_min, double x_max) {
  detail::require_defined(x, "clip");
  Tensor in = x.dtype() == DType::bool_ ? cast(x, DType::int32) : x;
  return apply1(detail::kClip, {in}, detail::make_attrs(detail::ClipAttrs{x_min, x_max}));
}

Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y) {
  detail::require_defined(condition, "where", 0);
  detail::require_defined(x, "where", 1);
  detail::require_defined(y, "where", 2);
  const DType d = result_type(x.dtype(), y.dtype());
  return apply1(detail::kWhere,
                {detail::promote_to(condition, DType::bool_), detail::promote_to(x, d), detail::promote_to(y, d)});
}

Tensor equal(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kEqual, a, b); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kNotEqual, a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kGreater, a, b); }
Tensor greater_equal(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kGreaterEqual, a, b); }
Tensor less(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kLess, a, b); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return detail::promoted(detail::kLessEqual, a, b); }

Tensor logical_and(const Tensor& a, const Tensor& b) {
  detail::require_defined(a, "logical_and", 0);
  detail::require_defined(b, "logical_and", 1);
  return detail::binary_call(detail::kLogicalAnd, a, b, DType::bool_);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  detail::require_defined(a, "logical_or", 0);
  detail::require_defined(b, "logical_or", 1);
  return detail::binary_call(detail::kLogicalOr, a, b, DType::bool_);
}
Tensor logical_not(const Tensor& x) {
  detail::require_defined(x, "logical_not");
  return apply1(detail::kLogicalNot, {detail::promote_to(x, DType::bool_)});
}

Tensor cast(const Tensor& x, DType dtype) {
  detail::require_defined(x, "cast");
  if (x.dtype() == dtype) return x;
  return apply1(detail::kCast, {x}, detail::make_attrs(detail::CastAttrs{dtype}));
}

Tensor stop_gradient(const Tensor& x) { return detail::unary_call(detail::kStopGradient, x); }

}  // namespace ops

// ---- operators -------------------------------------------------------------------------------------------
Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::subtract(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::multiply(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::divide(a, b); }
Tensor operator-(const Tensor& a) { return ops::negative(a); }

Tensor operator+(const Tensor& a, double b) { return detail::with_number(a, b, "add", false, ops::add); }
Tensor operator-(const Tensor& a, double b) { return detail::with_number(a, b, "subtract", false, ops::subtract); }
Tensor operator*(const Tensor& a, double b) { return detail::with_number(a, b, "multiply", false, ops::multiply); }
Tensor operator/(const Tensor& a, double b) { return detail::with_number(a, b, "divide", false, ops::divide); }
Tensor operator+(double a, const Tensor& b) { return detail::with_number(b, a, "add", true, ops::add); }
Tensor operator-(double a, const Tensor& b) { return detail::with_number(b, a, "subtract", true, ops::subtract); }
Tensor operator*(double a, const Tensor& b) { return detail::with_number(b, a, "multiply", true, ops::multiply); }
Tensor operator/(double a, const Tensor& b) { return detail::with_number(b, a, "divide", true, ops::divide); }

Tensor operator==(const Tensor& a, const Tensor& b) { return ops::equal(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ops::not_equal(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return ops::less(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return ops::less_equal(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return ops::greater(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ops::greater_equal(a, b); }

}  // namespace keras
