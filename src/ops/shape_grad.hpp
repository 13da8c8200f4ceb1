#pragma once
// The scatter primitives that the shape ops' gradient rules emit
// (src/ops/shape.cpp). Each is the adjoint (transpose) of a shape op, so its
// own gradient is that op again, which makes second-order gradients work:
//   strided_slice_grad  <->  strided_slice   (slice, split, concatenate)
//   take_grad           <->  take            (take, tile, repeat)
//   take_along_axis_grad <-> take_along_axis  (take_along_axis, top_k)
//   pad_grad            <->  pad             (pad, every mode)
// They are declared here for tests and for other op families that want a
// deterministic scatter-add; users reach them only through tape.gradient.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::detail {

/// Zeros shaped like `like` (dtype of dy), with dy written at the positions
/// that strided_slice(like, begin, end, strides) selects.
Tensor strided_slice_grad(const Tensor& dy, const Tensor& like, const std::vector<int64_t>& begin,
                          const std::vector<int64_t>& end, const std::vector<int64_t>& strides);

/// Zeros shaped like `like`, then dy's slices added at `indices` along axis:
/// the gradient of take(like, indices, axis). Repeated indices accumulate,
/// in index order (deterministic).
Tensor take_grad(const Tensor& dy, const Tensor& indices, const Tensor& like, int64_t axis);

/// The gradient of take_along_axis(like, indices, axis); indices has dy's
/// shape and like's shape except along axis.
Tensor take_along_axis_grad(const Tensor& dy, const Tensor& indices, const Tensor& like, int64_t axis);

/// The gradient of pad(x, pad_width, mode): each element of dy is added to
/// the element of x it was copied from. pad_width has one pair per axis.
Tensor pad_grad(const Tensor& dy, const std::vector<std::pair<int64_t, int64_t>>& pad_width,
                const std::string& mode = "constant");

}  // namespace keras::detail
