#pragma once
// CPU reduction kernels: sum / prod / max / min / any / all over a set of
// axes, argmax / argmin over one axis, and a fused softmax / log_softmax.
//
// Determinism (DESIGN.md "Kernels"): every output element is combined in an
// order fixed by the shape alone, never by the thread count. Rows are cut
// into fixed blocks; inside a block 16 lane accumulators take elements
// round-robin, and the lanes, then the block partials, are combined by a
// fixed pairwise tree. OpenMP only splits the work over output elements and
// blocks, so a result is bit-identical for any OMP_NUM_THREADS.
//
// Accuracy: float32 (and float16 / bfloat16) sums and products accumulate in
// double and round once at the end; integer sums and products accumulate in
// 64 bits (wrapping) and are cast to the output dtype.
#include <span>

#include "keras/tensor.hpp"

namespace keras::backend::cpu {

enum class ReduceKind { Sum, Prod, Max, Min, Any, All };

/// Reduces x over `axes` (sorted, unique, each in [0, rank)) into `out`, a
/// contiguous tensor whose elements are the kept positions in C order (its
/// shape may keep the reduced dims as 1s). x may be a strided view. The
/// accumulated value is converted to out's dtype, so the caller picks the
/// result dtype (Sum of int32 into int32, Any into bool, ...). An empty
/// reduction gives the identity (0, 1, false, true); Max and Min of an empty
/// axis throw keras::ValueError, as NumPy does.
void reduce(ReduceKind kind, const Tensor& x, std::span<const int> axes, Tensor& out);

/// The int32 index of the first maximum (is_max) or minimum along `axis` of a
/// contiguous x; axis < 0 means over the flattened tensor. A NaN counts as
/// the extreme value (the first NaN wins), as in NumPy and JAX. Throws
/// keras::ValueError for an empty axis.
void arg_reduce(bool is_max, const Tensor& x, int axis, Tensor& out);

/// out = softmax(x) (log = false) or log_softmax(x) along `axis` of a
/// contiguous floating x, with the maximum subtracted first so large inputs
/// do not overflow. out has x's shape and dtype.
void softmax(const Tensor& x, int axis, bool log, Tensor& out);

}  // namespace keras::backend::cpu
