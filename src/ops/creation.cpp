// Mirrors the creation ops of keras/src/ops/numpy.py and core.py: zeros,
// ones, full, zeros_like, ones_like, full_like, arange, eye, linspace and
// convert_to_tensor (for numbers).
//
// These make new tensors that depend on no input value, so they are not
// differentiable and most need no OpDef. The *_like ops are the exception:
// given a symbolic tensor (a graph being built, possibly with unknown dims)
// they must add a graph node, so they go through the dispatcher like any
// op, with the "full_like" OpDef (no gradient rule: the tape never records it).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "backend/cpu/copy.hpp"
#include "core/convert.hpp"
#include "ops/op_def.hpp"

namespace keras {
namespace detail {
namespace {

// Shape::str() prints negative dims as None (unknown); a requested shape
// shows them as given.
std::string dims_str(const Shape& shape) {
  std::string s = "(";
  for (int i = 0; i < shape.rank(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.rank() == 1 ? ",)" : ")");
}

void check_shape(const Shape& shape, const char* op) {
  for (int64_t d : shape)
    if (d < 0) throw ValueError(std::string(op) + ": every dimension must be >= 0, got shape " + dims_str(shape));
}

Tensor filled(const Shape& shape, double value, DType dtype, const char* op) {
  check_shape(shape, op);
  Tensor out = Tensor::empty(shape, dtype);
  backend::cpu::fill(out, value);
  return out;
}

struct FullLikeAttrs {
  double value = 0;
  DType dtype = DType::float32;
  bool operator==(const FullLikeAttrs&) const = default;
};

void infer_full_like(const OpCall& call, std::vector<TensorSpec>& out) {
  out.push_back({call.inputs[0].shape(), call.attr<FullLikeAttrs>().dtype});
}

void run_full_like(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::fill(out[0], call.attr<FullLikeAttrs>().value);
}

const OpDef kFullLike{.name = "full_like", .infer = infer_full_like, .run = run_full_like, .contiguous_inputs = false};
KERAS_REGISTER_OP(kFullLike)

Tensor full_like_impl(const Tensor& x, double value, std::optional<DType> dtype) {
  if (!x.defined()) throw ValueError("full_like: input 0 is an undefined tensor");
  return apply1(kFullLike, {x}, make_attrs(FullLikeAttrs{value, dtype.value_or(x.dtype())}));
}

bool is_whole(double v) { return std::isfinite(v) && v == std::trunc(v); }

// Writes n float64 values into a new tensor of `dtype`.
Tensor from_doubles(const std::vector<double>& v, DType dtype) {
  Tensor out = Tensor::empty(Shape{static_cast<int64_t>(v.size())}, dtype);
  if (!v.empty()) convert_elements(v.data(), DType::float64, out.raw_mutable_data(), dtype, out.size());
  return out;
}

}  // namespace
}  // namespace detail

namespace ops {

Tensor zeros(const Shape& shape, DType dtype) { return detail::filled(shape, 0.0, dtype, "zeros"); }
Tensor ones(const Shape& shape, DType dtype) { return detail::filled(shape, 1.0, dtype, "ones"); }
Tensor full(const Shape& shape, double fill_value, DType dtype) {
  return detail::filled(shape, fill_value, dtype, "full");
}

Tensor zeros_like(const Tensor& x, std::optional<DType> dtype) { return detail::full_like_impl(x, 0.0, dtype); }
Tensor ones_like(const Tensor& x, std::optional<DType> dtype) { return detail::full_like_impl(x, 1.0, dtype); }
Tensor full_like(const Tensor& x, double fill_value, std::optional<DType> dtype) {
  return detail::full_like_impl(x, fill_value, dtype);
}

Tensor arange(double start, std::optional<double> stop, double step, std::optional<DType> dtype) {
  if (!stop) {  // arange(n) counts from 0 to n
    stop = start;
    start = 0.0;
  }
  if (step == 0.0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(*stop))
    throw ValueError("arange: start, stop and step must be finite and step non-zero, got start=" +
                     std::to_string(start) + ", stop=" + std::to_string(*stop) + ", step=" + std::to_string(step));
  // Keras resolves the dtype from the Python types of the arguments; a C++
  // double stands for an int when it holds a whole number.
  const DType d = dtype.value_or(
      detail::is_whole(start) && detail::is_whole(*stop) && detail::is_whole(step) ? DType::int32 : DType::float32);
  const double count = std::ceil((*stop - start) / step);
  if (count > 9.0e15)  // beyond exact integers in a double, and far beyond any memory
    throw ValueError("arange: the result would have " + std::to_string(count) + " elements");
  const auto n = static_cast<int64_t>(std::max(count, 0.0));
  std::vector<double> v(static_cast<size_t>(n));
  // start + i * step, each value computed directly (no running sum), as NumPy.
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + static_cast<double>(i) * step;
  return detail::from_doubles(v, d);
}

Tensor eye(int64_t N, std::optional<int64_t> M, int64_t k, DType dtype) {
  const int64_t cols = M.value_or(N);
  if (N < 0 || cols < 0)
    throw ValueError("eye: N and M must be >= 0, got N=" + std::to_string(N) + ", M=" + std::to_string(cols));
  Tensor out = zeros(Shape{N, cols}, dtype);
  if (out.size() == 0) return out;
  // Ones at (i, i + k): one element written per row, whatever the dtype.
  const Tensor one = Tensor::scalar(1.0, dtype);
  const size_t es = dtype_size(dtype);
  auto* base = static_cast<char*>(out.raw_mutable_data());
  for (int64_t i = std::max<int64_t>(0, -k); i < N && i + k < cols; ++i)
    std::memcpy(base + static_cast<size_t>(i * cols + i + k) * es, one.raw_data(), es);
  return out;
}

Tensor linspace(double start, double stop, int64_t num, bool endpoint, DType dtype) {
  if (num < 0) throw ValueError("linspace: num must be >= 0, got " + std::to_string(num));
  const int64_t div = endpoint ? num - 1 : num;
  const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
  std::vector<double> v(static_cast<size_t>(num));
  for (int64_t i = 0; i < num; ++i) v[static_cast<size_t>(i)] = start + static_cast<double>(i) * step;
  if (endpoint && num > 1) v.back() = stop;  // exactly stop, whatever the rounding
  // NumPy 2 floors for integer dtypes (where a cast would truncate toward 0).
  if (is_integer(dtype))
    for (auto& e : v) e = std::floor(e);
  return detail::from_doubles(v, dtype);
}

Tensor convert_to_tensor(double value, DType dtype) { return Tensor::scalar(value, dtype); }

}  // namespace ops
}  // namespace keras
