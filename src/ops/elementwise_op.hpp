#pragma once
// Shared pieces of the elementwise OpDefs (ops/elementwise.cpp and ops/nn.cpp):
// infer / run rules for a unary or binary kind of kinds.def, and the dtype
// helpers the public functions use before dispatch.
//
//   const OpDef kExp{.name = "exp", .infer = infer_unary<UnaryKind::Exp>,
//                    .run = run_unary<UnaryKind::Exp>, .grad = exp_grad,
//                    .contiguous_inputs = false};
//   Tensor exp(const Tensor& x) { return apply1(kExp, {to_float(x, "exp")}); }
//
// The public function promotes (Keras' rules), so a kernel always sees one
// dtype; the infer rule re-checks it, because graphs can be rebuilt from
// their nodes without the public function.
#include <string>
#include <vector>

#include "backend/cpu/elementwise.hpp"
#include "ops/op_def.hpp"

namespace keras::detail {

/// Throws ValueError "<op>: input <i> is an undefined tensor" for an undefined x.
void require_defined(const Tensor& x, const char* op, int index = 0);

/// x itself when it already has dtype d, else ops::cast(x, d).
Tensor promote_to(const Tensor& x, DType d);

/// Keras' rule for float-valued functions (sqrt, exp, tanh, ...): integer and
/// bool tensors become float32 (floatx), floating tensors are kept.
Tensor to_float(const Tensor& x, const char* op);

/// The Gauss error function, an internal primitive (gelu's erf form and its
/// gradient). Not in keras.ops' elementwise block; see the report.
Tensor erf(const Tensor& x);

template <backend::cpu::UnaryKind K>
void infer_unary(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  if (!backend::cpu::supports(K, x.dtype())) backend::cpu::throw_unsupported(call.op.name, x.dtype());
  out.push_back({x.shape(), backend::cpu::writes_bool(K) ? DType::bool_ : x.dtype()});
}

template <backend::cpu::UnaryKind K>
void run_unary(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::unary(K, call.inputs[0], out[0]);
}

template <backend::cpu::BinaryKind K>
void infer_binary(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  Shape shape = broadcast_shapes(a.shape(), b.shape(), call.op.name);
  if (a.dtype() != b.dtype())
    throw TypeError(std::string(call.op.name) + ": operands must have one dtype, got " +
                    std::string(dtype_name(a.dtype())) + " and " + std::string(dtype_name(b.dtype())) +
                    " (keras::ops promotes them; a graph node must receive them promoted)");
  if (!backend::cpu::supports(K, a.dtype())) backend::cpu::throw_unsupported(call.op.name, a.dtype());
  out.push_back({shape, backend::cpu::writes_bool(K) ? DType::bool_ : a.dtype()});
}

template <backend::cpu::BinaryKind K>
void run_binary(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::binary(K, call.inputs[0], call.inputs[1], out[0]);
}

}  // namespace keras::detail
