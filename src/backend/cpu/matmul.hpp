#pragma once
// CPU batched matrix multiplication: C[b] = op(A[b]) · op(B[b]), where op(X)
// is X or its transpose, over broadcast batch dims.
//
//   Tensor a = ..., b = ...;                 // (2, 1, 3, 4) and (1, 5, 4, 6)
//   Tensor c = Tensor::empty({2, 5, 3, 6});
//   backend::cpu::matmul(a, b, /*transpose_a=*/false, /*transpose_b=*/false, c);
//
// float32 runs on oneDNN's matmul primitive. Operands are handed to oneDNN
// as they lie in memory: a transpose or a batch broadcast is a stride (or a
// batch dim of 1) in the memory descriptor, never a copy, so the gradient
// dA = dY · B^T reads B where it is. Primitives are created once per
// (dtype, dims, strides) and cached process-wide.
//
// float64, integer and bool operands (oneDNN 2.6 has no f64 matmul on CPU),
// and float32 products too small to repay oneDNN's per-call overhead, run on
// a cache-blocked C++ loop. Each output element is summed over k in
// increasing order, whatever the blocking or thread count, so those results
// are deterministic bit for bit. oneDNN's GEMM may split k differently for
// different thread counts; its float32 results are reproducible run to run
// at a fixed thread count.
//
// Integer products wrap around in the element type (NumPy's behaviour);
// bool computes "any(a & b)", NumPy's bool matmul.
#include <cstdint>

#include "keras/tensor.hpp"

namespace keras::backend::cpu {

/// One batched matrix operand as the GEMM reads it: `dims` are the logical
/// dims (batch..., rows, cols) after any transpose, `strides` the element
/// strides of those dims. A batch dim of 1 (or a stride of 0) broadcasts.
struct MatmulOperand {
  const void* data = nullptr;
  int64_t dims[Shape::kMaxRank] = {};
  int64_t strides[Shape::kMaxRank] = {};
};

/// The raw entry point. `rank` >= 2 counts the batch dims plus the two matrix
/// dims of every operand; a is (batch_a..., m, k), b is (batch_b..., k, n),
/// and c is a contiguous row-major (batch..., m, n) buffer whose batch dims
/// are the broadcast of a's and b's (each of theirs equal to c's or 1).
/// dtype: float32, float64, int32, int64, uint8 or bool.
void matmul(DType dtype, int rank, const MatmulOperand& a, const MatmulOperand& b, const int64_t* c_dims, void* c);

/// The tensor-level entry point used by the matmul op. a and b have equal
/// rank >= 2 and out's dtype; their batch dims broadcast to out's. When
/// transpose_a is set, a holds (..., k, m) and is read as its transpose;
/// likewise b (..., n, k) with transpose_b. a and b may be strided views
/// (a transposed view costs nothing); one whose matrix dims have no unit
/// stride is copied first. `out` is contiguous, shape (batch..., m, n).
void matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, Tensor& out);

/// The number of float32 primitives in the cache (for tests).
size_t matmul_cache_size();

}  // namespace keras::backend::cpu
