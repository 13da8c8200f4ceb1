#pragma once
/// keras::ops: the Keras 3 `keras.ops` functions, grouped as Keras groups them.
///
/// Example:
///   using namespace keras;
///   Tensor z = ops::relu(ops::matmul(a, b) + bias);
///   Tensor p = ops::softmax(z, /*axis=*/-1);
///
/// Every op checks shapes and dtypes (keras::ValueError / keras::TypeError
/// naming the op and the shapes), runs on the tensor's device, is recorded by
/// an active GradientTape when differentiable, and builds a graph node when
/// given symbolic tensors. Binary ops broadcast as NumPy does; operands of
/// different dtypes are promoted (keras::result_type); C++ numbers are weakly
/// typed scalars that take the tensor's dtype.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras {

/// An axis argument: one axis, a list of axes, or none (= every axis).
class Axes {
 public:
  Axes() = default;
  Axes(std::nullopt_t) {}                           // NOLINT
  Axes(int axis) : all_(false), axes_{axis} {}      // NOLINT
  Axes(int64_t axis) : all_(false), axes_{axis} {}  // NOLINT
  Axes(std::initializer_list<int64_t> axes) : all_(false), axes_(axes) {}
  Axes(std::vector<int64_t> axes) : all_(false), axes_(std::move(axes)) {}  // NOLINT
  bool all() const { return all_; }
  const std::vector<int64_t>& list() const { return axes_; }

 private:
  bool all_ = true;
  std::vector<int64_t> axes_;
};

namespace ops {

// ---- creation -------------------------------------------------------------
Tensor zeros(const Shape& shape, DType dtype = DType::float32);
Tensor ones(const Shape& shape, DType dtype = DType::float32);
Tensor full(const Shape& shape, double fill_value, DType dtype = DType::float32);
Tensor zeros_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor ones_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor full_like(const Tensor& x, double fill_value, std::optional<DType> dtype = std::nullopt);
/// Values in [start, stop) by step; `arange(5)` is 0..4. The dtype defaults to
/// int32 when start, stop and step are whole numbers, else float32.
Tensor arange(double start, std::optional<double> stop = std::nullopt, double step = 1.0,
              std::optional<DType> dtype = std::nullopt);
/// Ones on the k-th diagonal of an N x M matrix (M = N by default).
Tensor eye(int64_t N, std::optional<int64_t> M = std::nullopt, int64_t k = 0, DType dtype = DType::float32);
Tensor linspace(double start, double stop, int64_t num = 50, bool endpoint = true, DType dtype = DType::float32);
/// Wraps a number as a 0-d tensor of `dtype`.
Tensor convert_to_tensor(double value, DType dtype = DType::float32);
Tensor cast(const Tensor& x, DType dtype);

// ---- elementwise ------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
/// True division; integer and bool operands give float32, as in Keras.
Tensor divide(const Tensor& a, const Tensor& b);
Tensor power(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sign(const Tensor& x);
/// Not differentiable (gradient is none, as in Keras).
Tensor floor(const Tensor& x);
/// Round half to even (NumPy's rule); not differentiable.
Tensor round(const Tensor& x);
Tensor clip(const Tensor& x, double x_min, double x_max);
/// Elements of x where condition is true, else of y (broadcasting all three).
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y);
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);

// ---- activations (keras.ops.nn) --------------------------------------------
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
/// approximate=true is the tanh form (Keras' default), false the erf form.
Tensor gelu(const Tensor& x, bool approximate = true);
Tensor sigmoid(const Tensor& x);
/// max(0, min(1, x / 6 + 0.5)), Keras 3's definition.
Tensor hard_sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

// ---- reductions -------------------------------------------------------------
Tensor sum(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor mean(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor max(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor min(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor prod(const Tensor& x, Axes axis = {}, bool keepdims = false);
/// Population variance (ddof 0), as keras.ops.var.
Tensor var(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor std(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor logsumexp(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor any(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor all(const Tensor& x, Axes axis = {}, bool keepdims = false);
/// Index of the first maximum (int32); over the flattened tensor without axis.
Tensor argmax(const Tensor& x, std::optional<int64_t> axis = std::nullopt, bool keepdims = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> axis = std::nullopt, bool keepdims = false);

// ---- linear algebra -----------------------------------------------------------
/// NumPy matmul: 1-D operands are promoted and the added dim removed; leading
/// (batch) dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
/// NumPy dot: scalars multiply, 1-D·1-D is the inner product, N-D·1-D sums
/// over the last axis, N-D·M-D sums a's last with b's second-to-last.
Tensor dot(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
/// Reverses the axes, or permutes them by `axes`.
Tensor transpose(const Tensor& x, std::optional<std::vector<int64_t>> axes = std::nullopt);
/// Two-operand einsum, for example "ij,jk->ik", "bij,bjk->bik", "i,i->".
Tensor einsum(const std::string& subscripts, const Tensor& a, const Tensor& b);

// ---- shape ---------------------------------------------------------------------
/// One dimension may be -1 (inferred). A view when the input is contiguous.
Tensor reshape(const Tensor& x, const Shape& new_shape);
Tensor expand_dims(const Tensor& x, int64_t axis);
/// Removes the size-1 axes (all of them without `axis`).
Tensor squeeze(const Tensor& x, std::optional<Axes> axis = std::nullopt);
Tensor concatenate(const std::vector<Tensor>& xs, int64_t axis = 0);
Tensor stack(const std::vector<Tensor>& xs, int64_t axis = 0);
/// Into `sections` equal parts along axis.
std::vector<Tensor> split(const Tensor& x, int64_t sections, int64_t axis = 0);
/// At the given indices along axis (NumPy's array_split indices form).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& indices, int64_t axis = 0);
/// keras.ops.slice: the block starting at start_indices with the given shape.
Tensor slice(const Tensor& x, const std::vector<int64_t>& start_indices, const Shape& shape);
/// x[begin:end:strides] per axis (Python slice rules: negative indices count
/// from the end, out-of-range bounds clamp; negative strides run backwards).
Tensor strided_slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                     const std::vector<int64_t>& strides = {});
/// Gathers along axis (the flattened tensor without axis) at integer indices.
Tensor take(const Tensor& x, const Tensor& indices, std::optional<int64_t> axis = std::nullopt);
Tensor take_along_axis(const Tensor& x, const Tensor& indices, int64_t axis);
Tensor one_hot(const Tensor& x, int64_t num_classes, int64_t axis = -1, DType dtype = DType::float32);
/// pad_width: one (before, after) pair per axis. Modes: "constant", "reflect",
/// "symmetric", "edge", "wrap" (NumPy's meanings).
Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& pad_width,
           const std::string& mode = "constant", double constant_values = 0.0);
Tensor tile(const Tensor& x, const std::vector<int64_t>& repeats);
/// Repeats each element; without axis over the flattened tensor.
Tensor repeat(const Tensor& x, int64_t repeats, std::optional<int64_t> axis = std::nullopt);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor flip(const Tensor& x, Axes axis = {});
/// The k largest values along the last axis and their int32 indices, always
/// sorted largest first (equal values: lower index first).
std::pair<Tensor, Tensor> top_k(const Tensor& x, int64_t k, bool sorted = true);

// ---- autodiff --------------------------------------------------------------------
/// The same values, with no gradient flowing through.
Tensor stop_gradient(const Tensor& x);

// ---- convolution and pooling (keras.ops.nn) ------------------------------------
// Inputs are (batch, spatial..., channels) with data_format "channels_last"
// (the default) or (batch, channels, spatial...) with "channels_first", for
// 1 to 3 spatial dims. float32 runs on oneDNN and float64 on plain loops;
// float16 / bfloat16 are computed in float32 and cast back; integer and bool
// tensors are refused (TypeError). padding is "valid" (none) or "same"
// (output size ceil(input / stride), padded as TensorFlow does, the extra
// element at the end); case is ignored.

/// An int, or one int per spatial dim: Keras' "int or tuple" arguments
/// (`2`, `{2, 1}`).
class IntTuple {
 public:
  IntTuple(int v) : scalar_(true), values_{v} {}      // NOLINT
  IntTuple(int64_t v) : scalar_(true), values_{v} {}  // NOLINT
  IntTuple(std::initializer_list<int64_t> v) : values_(v) {}
  IntTuple(std::vector<int64_t> v) : values_(std::move(v)) {}  // NOLINT
  bool scalar() const { return scalar_; }
  const std::vector<int64_t>& values() const { return values_; }

 private:
  bool scalar_ = false;
  std::vector<int64_t> values_;
};

/// N-D convolution. kernel is (kernel_spatial..., in_channels / groups,
/// filters); groups = in_channels / kernel.shape[-2] (a grouped convolution
/// when > 1; filters must divide by it).
Tensor conv(const Tensor& inputs, const Tensor& kernel, IntTuple strides = 1, const std::string& padding = "valid",
            const std::string& data_format = "channels_last", IntTuple dilation_rate = 1);
/// Depthwise convolution: kernel (kernel_spatial..., in_channels,
/// depth_multiplier); output channel c * depth_multiplier + m is input
/// channel c convolved with kernel[..., c, m].
Tensor depthwise_conv(const Tensor& inputs, const Tensor& kernel, IntTuple strides = 1,
                      const std::string& padding = "valid", const std::string& data_format = "channels_last",
                      IntTuple dilation_rate = 1);
/// depthwise_conv with depthwise_kernel, then a 1x1 conv with
/// pointwise_kernel (1..., in_channels * depth_multiplier, filters).
Tensor separable_conv(const Tensor& inputs, const Tensor& depthwise_kernel, const Tensor& pointwise_kernel,
                      IntTuple strides = 1, const std::string& padding = "valid",
                      const std::string& data_format = "channels_last", IntTuple dilation_rate = 1);
/// Transposed convolution (the gradient of conv with respect to its input).
/// kernel is (kernel_spatial..., filters, in_channels), as Conv*DTranspose
/// stores it. Output size per spatial dim, with k the dilated kernel size:
/// "valid": (in - 1) * stride + k + output_padding, where output_padding
/// defaults to max(k, stride) - k; "same": in * stride, or with
/// output_padding (in - 1) * stride + k % 2 + output_padding.
/// output_padding must be in [0, stride).
Tensor conv_transpose(const Tensor& inputs, const Tensor& kernel, IntTuple strides = 1,
                      const std::string& padding = "valid", std::optional<IntTuple> output_padding = std::nullopt,
                      const std::string& data_format = "channels_last", IntTuple dilation_rate = 1);
/// Max over each window; strides default to pool_size. Padded positions
/// ("same") never win. The gradient goes to each window's first maximum.
Tensor max_pool(const Tensor& inputs, IntTuple pool_size, std::optional<IntTuple> strides = std::nullopt,
                const std::string& padding = "valid", const std::string& data_format = "channels_last");
/// Mean over each window; with "same" padding, over the window's unpadded
/// elements only (TensorFlow's rule).
Tensor average_pool(const Tensor& inputs, IntTuple pool_size, std::optional<IntTuple> strides = std::nullopt,
                    const std::string& padding = "valid", const std::string& data_format = "channels_last");

}  // namespace ops
}  // namespace keras
