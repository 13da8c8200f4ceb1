#pragma once
// Element conversion between dtypes and strided gathers (used by cast,
// Tensor::contiguous, item/to_vector and the .npy writer).
#include <cstdint>

#include "keras/tensor.hpp"

namespace keras::detail {

/// Converts n contiguous elements. Float to integer truncates toward zero
/// (C++ and NumPy's astype); to bool is "!= 0".
void convert_elements(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n);

/// Copies a (possibly strided) tensor's elements in C order into dst (same dtype).
void gather_contiguous(const TensorImpl& src, void* dst);

/// Calls f(linear_index_in_C_order, element_offset) for every element of a
/// strided tensor; used by kernels that take views.
template <class F>
void for_each_offset(const Shape& shape, const int64_t* strides, int64_t base, F&& f) {
  const int r = shape.rank();
  const int64_t n = shape.numel();
  if (n <= 0) return;
  if (r == 0) {
    f(int64_t{0}, base);
    return;
  }
  int64_t idx[Shape::kMaxRank] = {};
  int64_t off = base;
  const int64_t inner = shape[r - 1], inner_stride = strides[r - 1];
  for (int64_t i = 0; i < n; i += inner) {
    for (int64_t j = 0; j < inner; ++j) f(i + j, off + j * inner_stride);
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

}  // namespace keras::detail
