#pragma once
// CPU data-movement kernels for the shape ops (src/ops/shape.cpp): strided
// copies, fills, gathers and scatter-adds along an axis, one_hot, padding
// and top_k's index selection.
//
// Views need no kernel (reshape, slice, broadcast_to, flip only change
// shape / strides / offset); these kernels serve the ops that must move data.
//
// Determinism (DESIGN.md "Kernels"): a scatter-add adds the contributions to
// one output element in the order of the index positions, always on one
// thread; OpenMP only splits the work over disjoint output elements. So
// gradients of take / take_along_axis / pad are bit-identical for any
// OMP_NUM_THREADS.
//
// Index checking: gathers and scatters read each index once up front, wrap
// negative ones as NumPy does (-1 is the last) and throw keras::IndexError for
// anything outside [-n, n), before touching memory.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::backend::cpu {

/// Copies src into dst element by element; both may be strided views
/// (negative and zero strides included in src), with equal shapes and dtypes.
/// dst's elements must not overlap each other or src.
void copy(const Tensor& src, Tensor dst);

/// Sets every element of the contiguous tensor `out` to `value` converted to
/// its dtype.
void fill(Tensor& out, double value);

/// Reads integer `indices` (int32, int64 or uint8, contiguous) as int64 with
/// negative values wrapped; throws keras::IndexError naming `op` when an index
/// is outside [-n, n).
std::vector<int64_t> normalized_indices(const Tensor& indices, int64_t n, int axis, const char* op);

/// out = x taken at `index` along `axis` (keras.ops.take): x contiguous with
/// shape (outer, n, inner) around axis, out (outer, index.size(), inner).
void gather_axis(const Tensor& x, std::span<const int64_t> index, int axis, Tensor& out);

/// The adjoint of gather_axis: out (shape (outer, n, inner)) = 0, then
/// out[o, index[i], :] += dy[o, i, :] for i in increasing order.
void scatter_add_axis(const Tensor& dy, std::span<const int64_t> index, int axis, Tensor& out);

/// out[o, j, k] = x[o, index[o, j, k], k] (keras.ops.take_along_axis): x
/// contiguous (outer, n, inner), index and out (outer, m, inner).
void gather_along_axis(const Tensor& x, std::span<const int64_t> index, int axis, Tensor& out);

/// The adjoint of gather_along_axis: out (outer, n, inner) = 0, then
/// out[o, index[o, j, k], k] += dy[o, j, k] for j in increasing order.
void scatter_add_along_axis(const Tensor& dy, std::span<const int64_t> index, int axis, Tensor& out);

/// out (x's shape with num_classes inserted at `axis`) is 1 where the class
/// equals x's value and 0 elsewhere; values that are not a whole number in
/// [0, num_classes) give all-zero rows, as jax.nn.one_hot does. x contiguous,
/// any dtype.
void one_hot(const Tensor& x, int axis, Tensor& out);

enum class PadMode { Constant, Reflect, Symmetric, Edge, Wrap };

/// The source index along an axis of size n (> 0 unless mode is Constant) for
/// padded position i in [-before, n + after); -1 means "the constant".
int64_t pad_source_index(int64_t i, int64_t n, PadMode mode);

/// NumPy's np.pad for a contiguous x: one (before, after) pair per axis.
void pad(const Tensor& x, std::span<const std::pair<int64_t, int64_t>> pads, PadMode mode, double value, Tensor& out);

/// The adjoint of pad (its gradient): every element of dy is added to the
/// input element it was copied from (the constant's positions are dropped).
/// dy may be strided; out is contiguous with dy's shape less the pads.
void pad_backward(const Tensor& dy, std::span<const std::pair<int64_t, int64_t>> pads, PadMode mode, Tensor& out);

/// The int32 indices of the k largest values along the last axis of a
/// contiguous x, largest first; equal values keep increasing index order and
/// NaN counts as larger than any number (as jax.lax.top_k and torch.topk).
void top_k_indices(const Tensor& x, int64_t k, Tensor& out);

}  // namespace keras::backend::cpu
