#pragma once
// CPU elementwise kernels: unary, binary (NumPy broadcasting) and where.
//
//   Tensor out = Tensor::empty(broadcast_shape, DType::float32);
//   backend::cpu::binary(BinaryKind::Add, a, b, out);   // a (32, 10), b (10,)
//
// Inputs may be strided views (transposes, broadcast_to, slices): every
// operand gets a stride per output dimension (0 where it broadcasts), then
// neighbouring dimensions that are contiguous in every operand are merged, so
// same-shape, scalar-operand, bias-add (row) and per-row (column) broadcasts
// all end in one plain inner loop the compiler vectorizes. OpenMP splits rows
// only above a size threshold, so small ops cost no thread wake-up. Every
// output element is computed independently: results never depend on the
// thread count.
//
// Dtypes: operands of one call share one dtype (the ops layer promotes
// first). float32, float64, int32, int64, uint8 and bool are computed, each
// kind on the dtypes where it means something; float16 / bfloat16 are storage
// types and raise keras::TypeError (cast to float32 first). Integer
// arithmetic wraps on overflow, as NumPy's does.
#include "keras/tensor.hpp"

namespace keras::backend::cpu {

enum class UnaryKind {
#define KERAS_UNARY(Name, str) Name,
#include "ops/kinds.def"
#undef KERAS_UNARY
};

enum class BinaryKind {
#define KERAS_BINARY(Name, str) Name,
#include "ops/kinds.def"
#undef KERAS_BINARY
};

/// The op name of a kind, for messages ("sqrt", "add").
const char* kind_name(UnaryKind kind);
const char* kind_name(BinaryKind kind);

/// Whether a kind writes bool (comparisons, logical ops).
bool writes_bool(UnaryKind kind);
bool writes_bool(BinaryKind kind);

/// Whether `kind` is computed for dtype `d`; the kernels throw keras::TypeError
/// for the others, and infer rules call this to fail early.
bool supports(UnaryKind kind, DType d);
bool supports(BinaryKind kind, DType d);

/// Throws keras::TypeError for a dtype that `op` does not compute: float16 and
/// bfloat16 are "storage-only ... cast it to float32 first", any other dtype
/// "<op> does not support dtype <d>".
[[noreturn]] void throw_unsupported(const char* op, DType d);

/// out = f(x) elementwise; out is contiguous, of x's shape, and of x's dtype
/// (bool for LogicalNot). Clip clamps to [alpha, beta] (for integer dtypes,
/// to the integers in that range).
void unary(UnaryKind kind, const Tensor& x, Tensor& out, double alpha = 0, double beta = 0);

/// out = f(a, b) with NumPy broadcasting; a and b have one dtype, out is
/// contiguous with the broadcast shape and a's dtype (bool for comparisons
/// and logical kinds).
void binary(BinaryKind kind, const Tensor& a, const Tensor& b, Tensor& out);

/// out = condition ? x : y, all three broadcast to out's shape; condition is
/// bool, x, y and out share a dtype (any, float16 included: it only copies).
void where(const Tensor& condition, const Tensor& x, const Tensor& y, Tensor& out);

}  // namespace keras::backend::cpu
