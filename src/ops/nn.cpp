// Mirrors the activation functions of keras/src/ops/nn.py (relu ... silu; the
// softmax family lives in ops/reduce.cpp). Keras' JAX backend calls jax.nn,
// whose formulas these follow:
//   relu(x)          = max(x, 0); gradient 0 at x == 0
//   relu6(x)         = min(max(x, 0), 6), as clip(x, 0, 6): its gradient is 1
//                      at exactly 0 and 6 (clip's rule; jax.nn.relu6 gives 0)
//   leaky_relu(x, s) = x if x >= 0 else s x                      (s = 0.2)
//   elu(x, a)        = x if x > 0 else a (exp(x) - 1)
//   selu(x)          = scale elu(x, alpha), alpha = 1.6732632423543772848170429916717,
//                      scale = 1.0507009873554804934193349852946
//   gelu(x)          = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))   (approximate)
//                    = x (1 + erf(x / sqrt(2))) / 2                         (exact)
//   sigmoid(x)       = 1 / (1 + exp(-x))
//   hard_sigmoid(x)  = relu6(x + 3) / 6
//   softplus(x)      = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))  (never overflows)
//   softsign(x)      = x / (1 + |x|)
//   silu(x)          = x sigmoid(x)
//
// relu, sigmoid, tanh and gelu are primitives with fused kernels, being the
// activations of nearly every layer. The backward passes of relu, sigmoid and
// tanh are fused kernels too (relu_grad, sigmoid_grad, tanh_grad), ops with
// gradient rules of their own so that second derivatives work. The other
// activations are composites of ops and differentiate through them.
// Integer and bool inputs are computed in float32 (Keras' floatx), except
// relu, which keeps integers as jax.nn.relu does.
#include <cmath>
#include <vector>

#include "ops/elementwise_op.hpp"

namespace keras {
namespace detail {
namespace {

using backend::cpu::BinaryKind;
using backend::cpu::UnaryKind;

// ---- fused backward ops ----------------------------------------------------------------------------------
// relu_grad(dy, x) = dy * (x > 0): linear in dy, flat in x.
void relu_grad_grad(GradCtx& g);
// sigmoid_grad(dy, y) = dy y (1 - y): d/d(dy) = y (1 - y), d/dy = dy (1 - 2y).
void sigmoid_grad_grad(GradCtx& g);
// tanh_grad(dy, y) = dy (1 - y^2): d/d(dy) = 1 - y^2, d/dy = -2 dy y.
void tanh_grad_grad(GradCtx& g);

const OpDef kReluGrad{.name = "relu_grad",
                      .infer = infer_binary<BinaryKind::ReluGrad>,
                      .run = run_binary<BinaryKind::ReluGrad>,
                      .grad = relu_grad_grad,
                      .contiguous_inputs = false};
const OpDef kSigmoidGrad{.name = "sigmoid_grad",
                         .infer = infer_binary<BinaryKind::SigmoidGrad>,
                         .run = run_binary<BinaryKind::SigmoidGrad>,
                         .grad = sigmoid_grad_grad,
                         .contiguous_inputs = false};
const OpDef kTanhGrad{.name = "tanh_grad",
                      .infer = infer_binary<BinaryKind::TanhGrad>,
                      .run = run_binary<BinaryKind::TanhGrad>,
                      .grad = tanh_grad_grad,
                      .contiguous_inputs = false};
KERAS_REGISTER_OP(kReluGrad)
KERAS_REGISTER_OP(kSigmoidGrad)
KERAS_REGISTER_OP(kTanhGrad)

// The backward ops take dy and the forward value in one dtype: dy can differ
// only if a caller seeds the tape with another dtype, so cast it to match.
Tensor fused(const OpDef& op, const Tensor& dy, const Tensor& v) { return apply1(op, {promote_to(dy, v.dtype()), v}); }

void relu_grad_grad(GradCtx& g) {
  if (g.needs(0)) g.set(0, fused(kReluGrad, g.dy(), g.x(1)));
}
void sigmoid_grad_grad(GradCtx& g) {
  const Tensor& y = g.x(1);
  if (g.needs(0)) g.set(0, fused(kSigmoidGrad, g.dy(), y));
  if (g.needs(1)) g.set(1, ops::multiply(ops::multiply(g.dy(), g.x(0)), 1.0 - y * 2.0));
}
void tanh_grad_grad(GradCtx& g) {
  const Tensor& y = g.x(1);
  if (g.needs(0)) g.set(0, fused(kTanhGrad, g.dy(), y));
  if (g.needs(1)) g.set(1, ops::multiply(ops::multiply(g.dy(), g.x(0)), y * -2.0));
}

// ---- primitive activations -------------------------------------------------------------------------------
void relu_grad(GradCtx& g) { g.set(0, fused(kReluGrad, g.dy(), g.x())); }
void sigmoid_grad(GradCtx& g) { g.set(0, fused(kSigmoidGrad, g.dy(), g.y())); }
void tanh_grad(GradCtx& g) { g.set(0, fused(kTanhGrad, g.dy(), g.y())); }

// gelu'(x) for the tanh form: with u = c (x + a x^3), t = tanh(u),
//   d/dx [0.5 x (1 + t)] = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2).
// Written with ops, so it differentiates again.
void gelu_tanh_grad(GradCtx& g) {
  constexpr double c = 0.7978845608028654, a = 0.044715;
  const Tensor& x = g.x();
  Tensor x2 = ops::square(x);
  Tensor t = ops::tanh(ops::multiply(x, x2 * a + 1.0) * c);
  Tensor dt = ops::multiply(1.0 - ops::square(t), x2 * (3.0 * a * c) + c);
  Tensor d = ops::add((t + 1.0) * 0.5, ops::multiply(x * 0.5, dt));
  g.set(0, ops::multiply(g.dy(), d));
}

// gelu'(x) for the erf form: Phi(x) + x phi(x), with Phi the normal CDF
// 0.5 (1 + erf(x / sqrt 2)) and phi the density exp(-x^2 / 2) / sqrt(2 pi).
void gelu_erf_grad(GradCtx& g) {
  const Tensor& x = g.x();
  Tensor cdf = (erf(x * 0.7071067811865476) + 1.0) * 0.5;
  Tensor pdf = ops::exp(ops::square(x) * -0.5) * 0.3989422804014327;
  g.set(0, ops::multiply(g.dy(), ops::add(cdf, ops::multiply(x, pdf))));
}

template <UnaryKind K>
constexpr OpDef activation_def(const char* name, GradFn grad) {
  return OpDef{.name = name, .infer = infer_unary<K>, .run = run_unary<K>, .grad = grad, .contiguous_inputs = false};
}

constexpr OpDef kRelu = activation_def<UnaryKind::Relu>("relu", relu_grad);
constexpr OpDef kSigmoid = activation_def<UnaryKind::Sigmoid>("sigmoid", sigmoid_grad);
constexpr OpDef kTanh = activation_def<UnaryKind::Tanh>("tanh", tanh_grad);
// Two OpDefs for gelu's two formulas: a kind per formula keeps the kernel a
// plain loop, and the graph shows which one runs.
constexpr OpDef kGeluTanh = activation_def<UnaryKind::GeluTanh>("gelu", gelu_tanh_grad);
constexpr OpDef kGeluErf = activation_def<UnaryKind::GeluErf>("gelu_erf", gelu_erf_grad);
KERAS_REGISTER_OP(kRelu)
KERAS_REGISTER_OP(kSigmoid)
KERAS_REGISTER_OP(kTanh)
KERAS_REGISTER_OP(kGeluTanh)
KERAS_REGISTER_OP(kGeluErf)

}  // namespace
}  // namespace detail

namespace ops {

using detail::apply1;
using detail::to_float;

Tensor relu(const Tensor& x) {
  detail::require_defined(x, "relu");
  return apply1(detail::kRelu, {x.dtype() == DType::bool_ ? cast(x, DType::float32) : x});
}

Tensor relu6(const Tensor& x) { return clip(to_float(x, "relu6"), 0.0, 6.0); }

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor f = to_float(x, "leaky_relu");
  return where(greater_equal(f, Tensor::scalar(0.0, f.dtype())), f, f * negative_slope);
}

Tensor elu(const Tensor& x, double alpha) {
  Tensor f = to_float(x, "elu");
  Tensor zero = Tensor::scalar(0.0, f.dtype());
  Tensor positive = greater(f, zero);
  // expm1 of the non-positive part only: exp of a large positive x would
  // overflow and poison the unused branch's gradient with inf * 0.
  Tensor negative_part = where(positive, zero, f);
  return where(positive, f, expm1(negative_part) * alpha);
}

Tensor selu(const Tensor& x) {
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  return elu(x, kAlpha) * kScale;
}

Tensor gelu(const Tensor& x, bool approximate) {
  return apply1(approximate ? detail::kGeluTanh : detail::kGeluErf, {to_float(x, "gelu")});
}

Tensor sigmoid(const Tensor& x) { return apply1(detail::kSigmoid, {to_float(x, "sigmoid")}); }

Tensor hard_sigmoid(const Tensor& x) { return relu6(to_float(x, "hard_sigmoid") + 3.0) / 6.0; }

Tensor tanh(const Tensor& x) { return apply1(detail::kTanh, {to_float(x, "tanh")}); }

Tensor softplus(const Tensor& x) {
  Tensor f = to_float(x, "softplus");
  return add(relu(f), log1p(exp(negative(abs(f)))));
}

Tensor softsign(const Tensor& x) {
  Tensor f = to_float(x, "softsign");
  return divide(f, abs(f) + 1.0);
}

Tensor silu(const Tensor& x) {
  Tensor f = to_float(x, "silu");
  return multiply(f, sigmoid(f));
}

}  // namespace ops
}  // namespace keras
