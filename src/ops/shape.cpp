// Mirrors keras/src/ops/numpy.py (reshape, expand_dims, squeeze, concatenate,
// stack, split, take, take_along_axis, pad, tile, repeat, broadcast_to, flip),
// keras/src/ops/core.py (slice), keras/src/ops/nn.py (one_hot) and
// keras/src/ops/math.py (top_k); strided_slice is TensorFlow's.
//
// Views (DESIGN.md): reshape of a contiguous tensor, expand_dims, squeeze,
// strided_slice / slice / split (any step, negative ones included),
// broadcast_to (stride 0) and flip (negative strides) make no copy: their
// OpDefs create a TensorImpl that shares the input's storage with a new
// shape, strides and offset. A reshape of a non-contiguous input copies.
//
// Primitives that move data: concatenate, take, take_along_axis, one_hot,
// pad, top_k's index selection, and the scatter ops of shape_grad.hpp that
// the gradient rules emit. stack, split, slice, tile and repeat are
// composites.
//
// Indices (take, take_along_axis): int32, int64 or uint8. Negative indices
// count from the end, as in NumPy and every Keras backend. An index outside
// [-n, n) raises keras::IndexError, as Keras' numpy, torch and TensorFlow (CPU)
// backends do; JAX instead returns NaN for such positions ("fill" mode),
// which keras.cpp does not copy because it hides bugs.
//
// Other choices where Keras' backends differ:
//   slice: a block that does not fit raises ValueError (TensorFlow and torch
//          refuse or truncate; JAX's dynamic_slice silently moves the start).
//   top_k: always sorted, largest first; ties keep the lower index first and
//          NaN counts as the largest value (JAX and torch).
//   one_hot: values that are not whole numbers in [0, num_classes) give
//          all-zero rows (jax.nn.one_hot).
//   pad: modes "constant", "reflect", "symmetric", "edge" and "wrap", with
//          NumPy's results when a pad is wider than the axis.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "backend/cpu/copy.hpp"
#include "ops/op_def.hpp"
#include "ops/shape_grad.hpp"

namespace keras {
namespace detail {
namespace {

using backend::cpu::PadMode;

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

struct ShapeAttrs {  // reshape, broadcast_to
  Shape shape;
  bool operator==(const ShapeAttrs&) const = default;
};
struct AxisAttrs {  // expand_dims, concatenate, take, take_along_axis and their scatters
  int axis = 0;     // normalized
  bool operator==(const AxisAttrs&) const = default;
};
struct AxesAttrs {        // squeeze, flip
  std::vector<int> axes;  // normalized, sorted, unique
  bool operator==(const AxesAttrs&) const = default;
};
struct SliceAttrs {  // strided_slice and strided_slice_grad: Python slices of the leading axes
  std::vector<int64_t> begin, end, strides;
  bool operator==(const SliceAttrs&) const = default;
};
struct OneHotAttrs {
  int64_t num_classes = 0;
  int axis = 0;  // of the output, normalized
  DType dtype = DType::float32;
  bool operator==(const OneHotAttrs&) const = default;
};
struct PadAttrs {
  std::vector<std::pair<int64_t, int64_t>> pads;  // one per axis
  PadMode mode = PadMode::Constant;
  double value = 0.0;
  bool operator==(const PadAttrs&) const = default;
};
struct TopKAttrs {
  int64_t k = 0;
  bool operator==(const TopKAttrs&) const = default;
};

// "(2, -1)": a list of ints as Python prints a tuple, -1 kept as -1 (Shape::str
// would print None, which misreads a reshape target).
std::string ints_str(const int64_t* v, size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (n == 1 ? ",)" : ")");
}
std::string ints_str(const std::vector<int64_t>& v) { return ints_str(v.data(), v.size()); }
std::string ints_str(const Shape& s) { return ints_str(s.begin(), static_cast<size_t>(s.rank())); }

std::string op_prefix(const OpCall& call) { return std::string(call.op.name) + ": "; }

void require_integer_indices(const char* op, const Tensor& indices) {
  if (!is_integer(indices.dtype()))
    throw TypeError(std::string(op) + ": indices must be an integer tensor (int32, int64 or uint8), got dtype " +
                    std::string(dtype_name(indices.dtype())));
}

// Known dims must agree; an unknown (-1) dim agrees with anything.
bool dims_match(int64_t a, int64_t b) { return a == b || a < 0 || b < 0; }

// A tensor sharing base's storage with its own layout.
Tensor make_view(const Tensor& base, const Shape& shape, const int64_t* strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  std::copy(strides, strides + shape.rank(), impl->strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  impl->device = base.device();
  impl->storage = base.impl()->storage;
  return Tensor(std::move(impl));
}

Tensor contiguous_view(const Tensor& base, const Shape& shape) {
  int64_t strides[Shape::kMaxRank];
  int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return make_view(base, shape, strides, base.offset());
}

// ---- reshape ---------------------------------------------------------------------------------------------
// The target with its -1 filled in. With unknown input dims (symbolic) the
// -1 stays: the output dim is unknown too.
Shape resolve_reshape(const Shape& in, const Shape& target) {
  int infer_at = -1;
  int64_t known = 1;
  for (int i = 0; i < target.rank(); ++i) {
    if (target[i] == -1) {
      if (infer_at >= 0)
        throw ValueError("reshape: can only infer one dimension (-1); got new shape " + ints_str(target));
      infer_at = i;
    } else if (target[i] < -1) {
      throw ValueError("reshape: dimensions must be >= 0 or -1; got new shape " + ints_str(target));
    } else {
      known *= target[i];
    }
  }
  Shape out = target;
  const int64_t n = in.numel();
  if (n < 0) return out;
  const bool ok = infer_at >= 0 ? known != 0 && n % known == 0 : known == n;
  if (!ok)
    throw ValueError("reshape: cannot reshape a tensor of shape " + in.str() + " (" + std::to_string(n) +
                     " elements) into shape " + ints_str(target));
  if (infer_at >= 0) out[infer_at] = n / known;
  return out;
}

void infer_reshape(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  out.push_back({resolve_reshape(x.shape(), call.attr<ShapeAttrs>().shape), x.dtype()});
}

void run_reshape(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  // A view needs the elements in C order; otherwise copy them into that order.
  out.push_back(contiguous_view(x.contiguous(), resolve_reshape(x.shape(), call.attr<ShapeAttrs>().shape)));
}

void reshape_grad(GradCtx& g) { g.set(0, ops::reshape(g.dy(), g.x().shape())); }

const OpDef kReshape{.name = "reshape",
                     .infer = infer_reshape,
                     .run = run_reshape,
                     .grad = reshape_grad,
                     .contiguous_inputs = false,
                     .makes_outputs = true};
KERAS_REGISTER_OP(kReshape)

// ---- expand_dims / squeeze -------------------------------------------------------------------------------
void infer_expand_dims(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const int axis = call.attr<AxisAttrs>().axis;
  if (axis < 0 || axis > x.ndim())
    throw ValueError(op_prefix(call) + "axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(x.ndim()));
  Shape s = x.shape();
  s.insert(axis, 1);
  out.push_back({s, x.dtype()});
}

void run_expand_dims(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  const int axis = call.attr<AxisAttrs>().axis;
  Shape s = x.shape();
  s.insert(axis, 1);
  int64_t strides[Shape::kMaxRank];
  for (int i = 0, j = 0; i < s.rank(); ++i) {
    // Any stride is right for a size-1 dim; this one keeps a contiguous
    // input contiguous by the strictest reading.
    if (i == axis)
      strides[i] = axis < x.ndim() ? x.strides()[axis] * x.shape()[axis] : 1;
    else
      strides[i] = x.strides()[j++];
  }
  out.push_back(make_view(x, s, strides, x.offset()));
}

void expand_dims_grad(GradCtx& g) { g.set(0, ops::squeeze(g.dy(), Axes(g.attr<AxisAttrs>().axis))); }

void infer_squeeze(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  Shape s;
  const auto& axes = call.attr<AxesAttrs>().axes;
  size_t k = 0;
  for (int i = 0; i < x.ndim(); ++i) {
    if (k < axes.size() && axes[k] == i) {
      ++k;
      if (x.shape()[i] > 1 || x.shape()[i] == 0)
        throw ValueError(op_prefix(call) + "cannot squeeze axis " + std::to_string(i) + " of a tensor of shape " +
                         x.shape().str() + ": its size is " + std::to_string(x.shape()[i]) + ", not 1");
    } else {
      s.push_back(x.shape()[i]);
    }
  }
  if (k != axes.size())
    throw ValueError(op_prefix(call) + "axis " + std::to_string(axes[k]) + " is out of bounds for a tensor of rank " +
                     std::to_string(x.ndim()));
  out.push_back({s, x.dtype()});
}

void run_squeeze(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  const auto& axes = call.attr<AxesAttrs>().axes;
  Shape s;
  int64_t strides[Shape::kMaxRank];
  size_t k = 0;
  for (int i = 0; i < x.ndim(); ++i) {
    if (k < axes.size() && axes[k] == i) {
      ++k;
      continue;
    }
    strides[s.rank()] = x.strides()[i];
    s.push_back(x.shape()[i]);
  }
  out.push_back(make_view(x, s, strides, x.offset()));
}

void squeeze_grad(GradCtx& g) {
  const Shape& xs = g.x().shape();
  if (xs.is_fully_defined()) {
    g.set(0, ops::reshape(g.dy(), xs));
    return;
  }
  Tensor r = g.dy();  // unknown dims: put the axes back one at a time, in increasing order
  for (int a : g.attr<AxesAttrs>().axes) r = ops::expand_dims(r, a);
  g.set(0, r);
}

const OpDef kExpandDims{.name = "expand_dims",
                        .infer = infer_expand_dims,
                        .run = run_expand_dims,
                        .grad = expand_dims_grad,
                        .contiguous_inputs = false,
                        .makes_outputs = true};
const OpDef kSqueeze{.name = "squeeze",
                     .infer = infer_squeeze,
                     .run = run_squeeze,
                     .grad = squeeze_grad,
                     .contiguous_inputs = false,
                     .makes_outputs = true};
KERAS_REGISTER_OP(kExpandDims)
KERAS_REGISTER_OP(kSqueeze)

// ---- broadcast_to ----------------------------------------------------------------------------------------
void infer_broadcast_to(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const Shape& t = call.attr<ShapeAttrs>().shape;
  const int lead = t.rank() - x.ndim();
  bool ok = lead >= 0 && t.is_fully_defined();
  for (int i = 0; ok && i < x.ndim(); ++i) {
    const int64_t d = x.shape()[i];
    ok = d == t[i + lead] || d == 1 || d < 0;
  }
  if (!ok)
    throw ValueError(op_prefix(call) + "cannot broadcast a tensor of shape " + x.shape().str() + " to shape " +
                     ints_str(t));
  out.push_back({t, x.dtype()});
}

void run_broadcast_to(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  const Shape& t = call.attr<ShapeAttrs>().shape;
  const int lead = t.rank() - x.ndim();
  int64_t strides[Shape::kMaxRank];
  for (int i = 0; i < t.rank(); ++i) {
    // Stride 0 repeats the one element along a broadcast dim.
    strides[i] = i < lead || x.shape()[i - lead] != t[i] ? 0 : x.strides()[i - lead];
  }
  out.push_back(make_view(x, t, strides, x.offset()));
}

void broadcast_to_grad(GradCtx& g) { g.set(0, g.dy(), /*reduce_to_input=*/true); }

const OpDef kBroadcastTo{.name = "broadcast_to",
                         .infer = infer_broadcast_to,
                         .run = run_broadcast_to,
                         .grad = broadcast_to_grad,
                         .contiguous_inputs = false,
                         .makes_outputs = true};
KERAS_REGISTER_OP(kBroadcastTo)

// ---- flip ------------------------------------------------------------------------------------------------
void infer_flip(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  for (int a : call.attr<AxesAttrs>().axes)
    if (a < 0 || a >= x.ndim())
      throw ValueError(op_prefix(call) + "axis " + std::to_string(a) + " is out of bounds for a tensor of rank " +
                       std::to_string(x.ndim()));
  out.push_back({x.shape(), x.dtype()});
}

void run_flip(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  int64_t strides[Shape::kMaxRank];
  std::copy(x.strides().begin(), x.strides().end(), strides);
  int64_t offset = x.offset();
  for (int a : call.attr<AxesAttrs>().axes) {
    // Start at the last element and walk backwards.
    if (x.shape()[a] > 0) offset += (x.shape()[a] - 1) * strides[a];
    strides[a] = -strides[a];
  }
  out.push_back(make_view(x, x.shape(), strides, offset));
}

void flip_grad(GradCtx& g);

const OpDef kFlip{.name = "flip",
                  .infer = infer_flip,
                  .run = run_flip,
                  .grad = flip_grad,
                  .contiguous_inputs = false,
                  .makes_outputs = true};
KERAS_REGISTER_OP(kFlip)

void flip_grad(GradCtx& g) { g.set(0, apply1(kFlip, {g.dy()}, make_attrs(g.attr<AxesAttrs>()))); }

// ---- strided_slice and its scatter -----------------------------------------------------------------------
struct AxisRange {
  int64_t start = 0, step = 1, length = 0;
};

// Python's slice(begin, end, step).indices(n): negative bounds count from the
// end, out-of-range bounds clamp, and a negative step runs backwards.
AxisRange python_range(int64_t begin, int64_t end, int64_t step, int64_t n) {
  const int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
  auto clamp = [&](int64_t i) {
    if (i < 0) i += n;  // cannot overflow: n >= 0
    return std::clamp(i, lower, upper);
  };
  AxisRange r;
  r.start = clamp(begin);
  const int64_t stop = clamp(end);
  r.step = step;
  if (step > 0)
    r.length = r.start < stop ? (stop - r.start - 1) / step + 1 : 0;
  else
    r.length = stop < r.start ? (r.start - stop - 1) / -step + 1 : 0;
  return r;
}

void check_slice_attrs(const char* op, const SliceAttrs& a, const Shape& s) {
  if (a.begin.size() != a.end.size() || a.strides.size() != a.begin.size())
    throw ValueError(std::string(op) + ": begin, end and strides must have the same length; got " +
                     std::to_string(a.begin.size()) + ", " + std::to_string(a.end.size()) + " and " +
                     std::to_string(a.strides.size()));
  if (a.begin.size() > static_cast<size_t>(s.rank()))
    throw ValueError(std::string(op) + ": got " + std::to_string(a.begin.size()) +
                     " begin/end entries for a tensor of shape " + s.str() + " (rank " + std::to_string(s.rank()) +
                     ")");
  for (size_t i = 0; i < a.strides.size(); ++i)
    if (a.strides[i] == 0)
      throw ValueError(std::string(op) + ": strides must be non-zero; got strides " + ints_str(a.strides));
}

// The shape strided_slice gives for an input of shape s (unknown dims stay unknown).
Shape sliced_shape(const SliceAttrs& a, const Shape& s) {
  Shape out = s;
  for (size_t i = 0; i < a.begin.size(); ++i) {
    const int d = static_cast<int>(i);
    if (s[d] >= 0) out[d] = python_range(a.begin[i], a.end[i], a.strides[i], s[d]).length;
  }
  return out;
}

// A view of t (concrete) selecting the slice.
Tensor slice_view(const Tensor& t, const SliceAttrs& a) {
  Shape shape = t.shape();
  int64_t strides[Shape::kMaxRank];
  std::copy(t.strides().begin(), t.strides().end(), strides);
  int64_t offset = t.offset();
  for (size_t i = 0; i < a.begin.size(); ++i) {
    const int d = static_cast<int>(i);
    const AxisRange r = python_range(a.begin[i], a.end[i], a.strides[i], shape[d]);
    if (r.length > 0) offset += r.start * strides[d];
    strides[d] *= r.step;
    shape[d] = r.length;
  }
  return make_view(t, shape, strides, offset);
}

void infer_strided_slice(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<SliceAttrs>();
  check_slice_attrs(call.op.name, a, x.shape());
  out.push_back({sliced_shape(a, x.shape()), x.dtype()});
}

void run_strided_slice(const OpCall& call, std::vector<Tensor>& out) {
  out.push_back(slice_view(call.inputs[0], call.attr<SliceAttrs>()));
}

// Inputs: dy and `like`, which only lends its shape (the sliced tensor's
// shape cannot be recovered from dy).
void infer_strided_slice_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& dy = call.inputs[0];
  const Shape& like = call.inputs[1].shape();
  const auto& a = call.attr<SliceAttrs>();
  check_slice_attrs(call.op.name, a, like);
  const Shape want = sliced_shape(a, like);
  bool ok = want.rank() == dy.ndim();
  for (int i = 0; ok && i < want.rank(); ++i) ok = dims_match(want[i], dy.shape()[i]);
  if (!ok)
    throw ValueError(op_prefix(call) + "the gradient has shape " + dy.shape().str() + " but slicing " + like.str() +
                     " gives " + want.str());
  out.push_back({like, dy.dtype()});
}

void run_strided_slice_grad(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::fill(out[0], 0.0);
  backend::cpu::copy(call.inputs[0], slice_view(out[0], call.attr<SliceAttrs>()));
}

void strided_slice_grad_rule(GradCtx& g);
void strided_slice_grad_grad(GradCtx& g);

const OpDef kStridedSlice{.name = "strided_slice",
                          .infer = infer_strided_slice,
                          .run = run_strided_slice,
                          .grad = strided_slice_grad_rule,
                          .contiguous_inputs = false,
                          .makes_outputs = true};
const OpDef kStridedSliceGrad{.name = "strided_slice_grad",
                              .infer = infer_strided_slice_grad,
                              .run = run_strided_slice_grad,
                              .grad = strided_slice_grad_grad,
                              .contiguous_inputs = false};  // copy() reads any strides
KERAS_REGISTER_OP(kStridedSlice)
KERAS_REGISTER_OP(kStridedSliceGrad)

void strided_slice_grad_rule(GradCtx& g) {
  g.set(0, apply1(kStridedSliceGrad, {g.dy(), g.x()}, make_attrs(g.attr<SliceAttrs>())));
}
void strided_slice_grad_grad(GradCtx& g) {
  g.set(0, apply1(kStridedSlice, {g.dy()}, make_attrs(g.attr<SliceAttrs>())));
}

// x[start:stop] along one axis (the other axes whole).
Tensor slice_axis(const Tensor& x, int axis, int64_t start, int64_t stop) {
  const auto n = static_cast<size_t>(axis) + 1;
  SliceAttrs a{std::vector<int64_t>(n, 0), std::vector<int64_t>(n, kToEnd), std::vector<int64_t>(n, 1)};
  a.begin[n - 1] = start;
  a.end[n - 1] = stop;
  return apply1(kStridedSlice, {x}, make_attrs(std::move(a)));
}

// ---- concatenate -----------------------------------------------------------------------------------------
void infer_concatenate(const OpCall& call, std::vector<TensorSpec>& out) {
  const int axis = call.attr<AxisAttrs>().axis;
  const Tensor& first = call.inputs[0];
  const int rank = first.ndim();
  if (axis < 0 || axis >= rank)
    throw ValueError(op_prefix(call) + "axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(rank));
  Shape s = first.shape();
  for (size_t i = 1; i < call.inputs.size(); ++i) {
    const Tensor& t = call.inputs[i];
    bool ok = t.ndim() == rank;
    for (int d = 0; ok && d < rank; ++d) ok = d == axis || dims_match(s[d], t.shape()[d]);
    if (!ok)
      throw ValueError(op_prefix(call) + "all inputs must have the same rank and the same dims except on axis " +
                       std::to_string(axis) + "; got " + first.shape().str() + " and " + t.shape().str());
    if (t.dtype() != first.dtype())
      throw TypeError(op_prefix(call) + "all inputs must have the same dtype; got " +
                      std::string(dtype_name(first.dtype())) + " and " + std::string(dtype_name(t.dtype())));
    for (int d = 0; d < rank; ++d) {
      if (d == axis)
        s[d] = s[d] < 0 || t.shape()[d] < 0 ? -1 : s[d] + t.shape()[d];
      else if (s[d] < 0)
        s[d] = t.shape()[d];
    }
  }
  out.push_back({s, first.dtype()});
}

void run_concatenate(const OpCall& call, std::vector<Tensor>& out) {
  const int axis = call.attr<AxisAttrs>().axis;
  int64_t offset = 0;
  for (const Tensor& x : call.inputs) {
    const int64_t n = x.shape()[axis];
    // Each input goes into its block of the output: a view of rows [offset, offset + n).
    SliceAttrs a{std::vector<int64_t>(static_cast<size_t>(axis) + 1, 0),
                 std::vector<int64_t>(static_cast<size_t>(axis) + 1, kToEnd),
                 std::vector<int64_t>(static_cast<size_t>(axis) + 1, 1)};
    a.begin.back() = offset;
    a.end.back() = offset + n;
    backend::cpu::copy(x, slice_view(out[0], a));
    offset += n;
  }
}

void concatenate_grad(GradCtx& g) {
  const int axis = g.attr<AxisAttrs>().axis;
  const Tensor dy = g.dy();
  int64_t offset = 0;
  for (size_t i = 0; i < g.num_inputs(); ++i) {
    const int64_t n = g.x(i).shape()[axis];
    if (g.needs(i)) g.set(i, slice_axis(dy, axis, offset, offset + n));
    offset += n;
  }
}

const OpDef kConcatenate{.name = "concatenate",
                         .infer = infer_concatenate,
                         .run = run_concatenate,
                         .grad = concatenate_grad,
                         .contiguous_inputs = false};  // copy() reads any strides
KERAS_REGISTER_OP(kConcatenate)

// ---- take and its scatter-add ----------------------------------------------------------------------------
void infer_take(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const Tensor& indices = call.inputs[1];
  const int axis = call.attr<AxisAttrs>().axis;
  require_integer_indices(call.op.name, indices);
  if (axis < 0 || axis >= x.ndim())
    throw ValueError(op_prefix(call) + "axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(x.ndim()));
  Shape s;
  for (int i = 0; i < axis; ++i) s.push_back(x.shape()[i]);
  for (int64_t d : indices.shape()) s.push_back(d);
  for (int i = axis + 1; i < x.ndim(); ++i) s.push_back(x.shape()[i]);
  out.push_back({s, x.dtype()});
}

void run_take(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  const int axis = call.attr<AxisAttrs>().axis;
  const auto index = backend::cpu::normalized_indices(call.inputs[1], x.shape()[axis], axis, call.op.name);
  backend::cpu::gather_axis(x, index, axis, out[0]);
}

// Inputs: dy, indices, like (lends its shape: the size of the gathered axis).
void infer_take_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& dy = call.inputs[0];
  const Shape& like = call.inputs[2].shape();
  std::vector<TensorSpec> want;
  const std::vector<Tensor> probe{call.inputs[2], call.inputs[1]};
  infer_take(OpCall{call.op, probe, call.attrs}, want);
  bool ok = want[0].shape.rank() == dy.ndim();
  for (int i = 0; ok && i < dy.ndim(); ++i) ok = dims_match(want[0].shape[i], dy.shape()[i]);
  if (!ok)
    throw ValueError(op_prefix(call) + "the gradient has shape " + dy.shape().str() + " but take from " + like.str() +
                     " gives " + want[0].shape.str());
  out.push_back({like, dy.dtype()});
}

void run_take_grad(const OpCall& call, std::vector<Tensor>& out) {
  const int axis = call.attr<AxisAttrs>().axis;
  const auto index =
      backend::cpu::normalized_indices(call.inputs[1].contiguous(), out[0].shape()[axis], axis, call.op.name);
  backend::cpu::scatter_add_axis(call.inputs[0].contiguous(), index, axis, out[0]);
}

void take_grad_rule(GradCtx& g);
void take_grad_grad(GradCtx& g);

const OpDef kTake{.name = "take", .infer = infer_take, .run = run_take, .grad = take_grad_rule};
// Not contiguous_inputs: `like` is never read, so copying it would be waste.
const OpDef kTakeGrad{.name = "take_grad",
                      .infer = infer_take_grad,
                      .run = run_take_grad,
                      .grad = take_grad_grad,
                      .contiguous_inputs = false};
KERAS_REGISTER_OP(kTake)
KERAS_REGISTER_OP(kTakeGrad)

void take_grad_rule(GradCtx& g) {
  g.set(0, apply1(kTakeGrad, {g.dy(), g.x(1), g.x(0)}, make_attrs(g.attr<AxisAttrs>())));
}
void take_grad_grad(GradCtx& g) { g.set(0, apply1(kTake, {g.dy(), g.x(1)}, make_attrs(g.attr<AxisAttrs>()))); }

// ---- take_along_axis and its scatter-add -----------------------------------------------------------------
// The public function has broadcast x and indices already, so here their
// shapes agree except along axis.
void check_along_axis(const OpCall& call, const Tensor& x, const Tensor& indices) {
  const int axis = call.attr<AxisAttrs>().axis;
  require_integer_indices(call.op.name, indices);
  if (axis < 0 || axis >= x.ndim())
    throw ValueError(op_prefix(call) + "axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(x.ndim()));
  bool ok = x.ndim() == indices.ndim();
  for (int i = 0; ok && i < x.ndim(); ++i) ok = i == axis || dims_match(x.shape()[i], indices.shape()[i]);
  if (!ok)
    throw ValueError(op_prefix(call) + "x and indices must have the same shape except on axis " + std::to_string(axis) +
                     "; got " + x.shape().str() + " and " + indices.shape().str());
}

void infer_take_along_axis(const OpCall& call, std::vector<TensorSpec>& out) {
  check_along_axis(call, call.inputs[0], call.inputs[1]);
  out.push_back({call.inputs[1].shape(), call.inputs[0].dtype()});
}

void run_take_along_axis(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  const int axis = call.attr<AxisAttrs>().axis;
  const auto index = backend::cpu::normalized_indices(call.inputs[1], x.shape()[axis], axis, call.op.name);
  backend::cpu::gather_along_axis(x, index, axis, out[0]);
}

// Inputs: dy, indices, like.
void infer_take_along_axis_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& dy = call.inputs[0];
  check_along_axis(call, call.inputs[2], call.inputs[1]);
  bool ok = dy.ndim() == call.inputs[1].ndim();
  for (int i = 0; ok && i < dy.ndim(); ++i) ok = dims_match(dy.shape()[i], call.inputs[1].shape()[i]);
  if (!ok)
    throw ValueError(op_prefix(call) + "the gradient has shape " + dy.shape().str() + " but the indices have shape " +
                     call.inputs[1].shape().str());
  out.push_back({call.inputs[2].shape(), dy.dtype()});
}

void run_take_along_axis_grad(const OpCall& call, std::vector<Tensor>& out) {
  const int axis = call.attr<AxisAttrs>().axis;
  const auto index =
      backend::cpu::normalized_indices(call.inputs[1].contiguous(), out[0].shape()[axis], axis, call.op.name);
  backend::cpu::scatter_add_along_axis(call.inputs[0].contiguous(), index, axis, out[0]);
}

void take_along_axis_grad_rule(GradCtx& g);
void take_along_axis_grad_grad(GradCtx& g);

const OpDef kTakeAlongAxis{.name = "take_along_axis",
                           .infer = infer_take_along_axis,
                           .run = run_take_along_axis,
                           .grad = take_along_axis_grad_rule};
const OpDef kTakeAlongAxisGrad{.name = "take_along_axis_grad",
                               .infer = infer_take_along_axis_grad,
                               .run = run_take_along_axis_grad,
                               .grad = take_along_axis_grad_grad,
                               .contiguous_inputs = false};
KERAS_REGISTER_OP(kTakeAlongAxis)
KERAS_REGISTER_OP(kTakeAlongAxisGrad)

void take_along_axis_grad_rule(GradCtx& g) {
  g.set(0, apply1(kTakeAlongAxisGrad, {g.dy(), g.x(1), g.x(0)}, make_attrs(g.attr<AxisAttrs>())));
}
void take_along_axis_grad_grad(GradCtx& g) {
  g.set(0, apply1(kTakeAlongAxis, {g.dy(), g.x(1)}, make_attrs(g.attr<AxisAttrs>())));
}

// ---- one_hot ---------------------------------------------------------------------------------------------
void infer_one_hot(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<OneHotAttrs>();
  if (a.num_classes < 0)
    throw ValueError(op_prefix(call) + "num_classes must be >= 0; got " + std::to_string(a.num_classes));
  if (a.axis < 0 || a.axis > x.ndim())
    throw ValueError(op_prefix(call) + "axis " + std::to_string(a.axis) + " is out of bounds for an output of rank " +
                     std::to_string(x.ndim() + 1));
  Shape s = x.shape();
  s.insert(a.axis, a.num_classes);
  out.push_back({s, a.dtype});
}

void run_one_hot(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::one_hot(call.inputs[0], call.attr<OneHotAttrs>().axis, out[0]);
}

const OpDef kOneHot{.name = "one_hot", .infer = infer_one_hot, .run = run_one_hot};  // no gradient, as in Keras
KERAS_REGISTER_OP(kOneHot)

// ---- pad and its adjoint ---------------------------------------------------------------------------------
const char* pad_mode_name(PadMode m) {
  switch (m) {
    case PadMode::Constant:
      return "constant";
    case PadMode::Reflect:
      return "reflect";
    case PadMode::Symmetric:
      return "symmetric";
    case PadMode::Edge:
      return "edge";
    case PadMode::Wrap:
      return "wrap";
  }
  return "?";
}

PadMode parse_pad_mode(const std::string& mode) {
  for (PadMode m : {PadMode::Constant, PadMode::Reflect, PadMode::Symmetric, PadMode::Edge, PadMode::Wrap})
    if (mode == pad_mode_name(m)) return m;
  throw ValueError("pad: mode must be one of \"constant\", \"reflect\", \"symmetric\", \"edge\", \"wrap\"; got \"" +
                   mode + "\"");
}

void check_pads(const OpCall& call, const PadAttrs& a, const Shape& s) {
  if (a.pads.size() != static_cast<size_t>(s.rank()))
    throw ValueError(op_prefix(call) + "pad_width must have one (before, after) pair per axis (" +
                     std::to_string(s.rank()) + " for shape " + s.str() + "); got " + std::to_string(a.pads.size()));
  for (size_t i = 0; i < a.pads.size(); ++i)
    if (a.pads[i].first < 0 || a.pads[i].second < 0)
      throw ValueError(op_prefix(call) + "pad widths must be >= 0; got (" + std::to_string(a.pads[i].first) + ", " +
                       std::to_string(a.pads[i].second) + ") for axis " + std::to_string(i));
}

void infer_pad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<PadAttrs>();
  check_pads(call, a, x.shape());
  Shape s = x.shape();
  for (int i = 0; i < s.rank(); ++i) {
    const auto [before, after] = a.pads[static_cast<size_t>(i)];
    if (s[i] == 0 && a.mode != PadMode::Constant && before + after > 0)
      throw ValueError(op_prefix(call) + "cannot extend axis " + std::to_string(i) + " of size 0 (shape " + s.str() +
                       ") with mode \"" + pad_mode_name(a.mode) + "\"; only \"constant\" can");
    if (s[i] >= 0) s[i] += before + after;
  }
  out.push_back({s, x.dtype()});
}

void run_pad(const OpCall& call, std::vector<Tensor>& out) {
  const auto& a = call.attr<PadAttrs>();
  backend::cpu::pad(call.inputs[0], a.pads, a.mode, a.value, out[0]);
}

void infer_pad_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& dy = call.inputs[0];
  const auto& a = call.attr<PadAttrs>();
  check_pads(call, a, dy.shape());
  Shape s = dy.shape();
  for (int i = 0; i < s.rank(); ++i) {
    if (s[i] < 0) continue;
    s[i] -= a.pads[static_cast<size_t>(i)].first + a.pads[static_cast<size_t>(i)].second;
    if (s[i] < 0 || (s[i] == 0 && a.mode != PadMode::Constant && dy.shape()[i] > 0))
      throw ValueError(op_prefix(call) + "the gradient of shape " + dy.shape().str() +
                       " is too small for its pad widths on axis " + std::to_string(i));
  }
  out.push_back({s, dy.dtype()});
}

void run_pad_grad(const OpCall& call, std::vector<Tensor>& out) {
  const auto& a = call.attr<PadAttrs>();
  backend::cpu::pad_backward(call.inputs[0], a.pads, a.mode, out[0]);
}

void pad_grad_rule(GradCtx& g);
void pad_grad_grad(GradCtx& g);

const OpDef kPad{.name = "pad", .infer = infer_pad, .run = run_pad, .grad = pad_grad_rule};
const OpDef kPadGrad{.name = "pad_grad",
                     .infer = infer_pad_grad,
                     .run = run_pad_grad,
                     .grad = pad_grad_grad,
                     .contiguous_inputs = false};  // pad_backward reads any strides
KERAS_REGISTER_OP(kPad)
KERAS_REGISTER_OP(kPadGrad)

// pad is linear in x (the constant adds no gradient), and pad_grad is its
// transpose, so each one's gradient is the other with a zero constant.
void pad_grad_rule(GradCtx& g) {
  const auto& a = g.attr<PadAttrs>();
  g.set(0, apply1(kPadGrad, {g.dy()}, make_attrs(PadAttrs{a.pads, a.mode, 0.0})));
}
void pad_grad_grad(GradCtx& g) {
  const auto& a = g.attr<PadAttrs>();
  g.set(0, apply1(kPad, {g.dy()}, make_attrs(PadAttrs{a.pads, a.mode, 0.0})));
}

// ---- top_k -----------------------------------------------------------------------------------------------
void infer_top_k(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const int64_t k = call.attr<TopKAttrs>().k;
  if (x.ndim() == 0)
    throw ValueError(op_prefix(call) + "x must have at least one dimension; got shape " + x.shape().str());
  const int64_t n = x.shape().back();
  if (k < 0 || (n >= 0 && k > n))
    throw ValueError(op_prefix(call) + "k = " + std::to_string(k) + " must be in [0, " + std::to_string(n) +
                     "], the size of the last axis of a tensor of shape " + x.shape().str());
  out.push_back({x.shape().with_back(k), DType::int32});
}

void run_top_k(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::top_k_indices(call.inputs[0], call.attr<TopKAttrs>().k, out[0]);
}

// Indices only: the values are take_along_axis of them, which carries the
// gradient.
const OpDef kTopK{.name = "top_k", .infer = infer_top_k, .run = run_top_k};
KERAS_REGISTER_OP(kTopK)

}  // namespace

// ---- shape_grad.hpp --------------------------------------------------------------------------------------
Tensor strided_slice_grad(const Tensor& dy, const Tensor& like, const std::vector<int64_t>& begin,
                          const std::vector<int64_t>& end, const std::vector<int64_t>& strides) {
  return apply1(kStridedSliceGrad, {dy, like}, make_attrs(SliceAttrs{begin, end, strides}));
}

Tensor take_grad(const Tensor& dy, const Tensor& indices, const Tensor& like, int64_t axis) {
  const int a = normalize_axis(axis, like.ndim(), "take_grad");
  return apply1(kTakeGrad, {dy, indices, like}, make_attrs(AxisAttrs{a}));
}

Tensor take_along_axis_grad(const Tensor& dy, const Tensor& indices, const Tensor& like, int64_t axis) {
  const int a = normalize_axis(axis, like.ndim(), "take_along_axis_grad");
  return apply1(kTakeAlongAxisGrad, {dy, indices, like}, make_attrs(AxisAttrs{a}));
}

Tensor pad_grad(const Tensor& dy, const std::vector<std::pair<int64_t, int64_t>>& pad_width, const std::string& mode) {
  return apply1(kPadGrad, {dy}, make_attrs(PadAttrs{pad_width, parse_pad_mode(mode), 0.0}));
}

}  // namespace detail

namespace ops {

using detail::apply1;
using detail::make_attrs;

Tensor reshape(const Tensor& x, const Shape& new_shape) {
  return apply1(detail::kReshape, {x}, make_attrs(detail::ShapeAttrs{new_shape}));
}

Tensor expand_dims(const Tensor& x, int64_t axis) {
  if (!x.defined()) throw ValueError("expand_dims: input 0 is an undefined tensor");
  const int64_t r = x.ndim() + 1;
  if (axis < -r || axis >= r)
    throw ValueError("expand_dims: axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(x.ndim()) + " (valid: " + std::to_string(-r) + " to " + std::to_string(r - 1) +
                     ")");
  const int a = static_cast<int>(axis < 0 ? axis + r : axis);
  return apply1(detail::kExpandDims, {x}, make_attrs(detail::AxisAttrs{a}));
}

Tensor squeeze(const Tensor& x, std::optional<Axes> axis) {
  if (!x.defined()) throw ValueError("squeeze: input 0 is an undefined tensor");
  std::vector<int> axes;
  if (!axis || axis->all()) {
    // Unknown (symbolic) dims are kept: only a known 1 is squeezed.
    for (int i = 0; i < x.ndim(); ++i)
      if (x.shape()[i] == 1) axes.push_back(i);
  } else {
    axes = detail::resolve_axes(*axis, x.ndim(), "squeeze");
  }
  return apply1(detail::kSqueeze, {x}, make_attrs(detail::AxesAttrs{std::move(axes)}));
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  return apply1(detail::kBroadcastTo, {x}, make_attrs(detail::ShapeAttrs{shape}));
}

Tensor flip(const Tensor& x, Axes axis) {
  if (!x.defined()) throw ValueError("flip: input 0 is an undefined tensor");
  return apply1(detail::kFlip, {x}, make_attrs(detail::AxesAttrs{detail::resolve_axes(axis, x.ndim(), "flip")}));
}

Tensor strided_slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                     const std::vector<int64_t>& strides) {
  detail::SliceAttrs a{begin, end, strides.empty() ? std::vector<int64_t>(begin.size(), 1) : strides};
  return apply1(detail::kStridedSlice, {x}, make_attrs(std::move(a)));
}

Tensor slice(const Tensor& x, const std::vector<int64_t>& start_indices, const Shape& shape) {
  if (!x.defined()) throw ValueError("slice: input 0 is an undefined tensor");
  const int r = x.ndim();
  if (start_indices.size() != static_cast<size_t>(r) || shape.rank() != r)
    throw ValueError("slice: start_indices and shape must have one entry per axis of the input (shape " +
                     x.shape().str() + "); got " + std::to_string(start_indices.size()) + " and " +
                     std::to_string(shape.rank()));
  std::vector<int64_t> end(static_cast<size_t>(r));
  for (int d = 0; d < r; ++d) {
    const int64_t n = x.shape()[d], s = start_indices[static_cast<size_t>(d)], size = shape[d];
    // size -1 takes the rest of the axis, as tf.slice does.
    const bool fits = s >= 0 && size >= -1 && (n < 0 || (s <= n && (size == -1 || s + size <= n)));
    if (!fits)
      throw ValueError("slice: the block starting at " + detail::ints_str(start_indices) + " of shape " +
                       detail::ints_str(shape) + " does not fit in a tensor of shape " + x.shape().str());
    end[static_cast<size_t>(d)] = size == -1 ? detail::kToEnd : s + size;
  }
  detail::SliceAttrs a{start_indices, std::move(end), std::vector<int64_t>(static_cast<size_t>(r), 1)};
  return apply1(detail::kStridedSlice, {x}, make_attrs(std::move(a)));
}

Tensor concatenate(const std::vector<Tensor>& xs, int64_t axis) {
  if (xs.empty()) throw ValueError("concatenate: needs at least one tensor; got an empty list");
  for (size_t i = 0; i < xs.size(); ++i)
    if (!xs[i].defined()) throw ValueError("concatenate: input " + std::to_string(i) + " is an undefined tensor");
  if (xs[0].ndim() == 0) throw ValueError("concatenate: zero-dimensional tensors cannot be concatenated; got shape ()");
  const int a = normalize_axis(axis, xs[0].ndim(), "concatenate");
  DType dtype = xs[0].dtype();
  for (const auto& x : xs) dtype = result_type(dtype, x.dtype());
  std::vector<Tensor> in;
  in.reserve(xs.size());
  for (const auto& x : xs) in.push_back(x.dtype() == dtype ? x : cast(x, dtype));
  return detail::apply(detail::kConcatenate, in, make_attrs(detail::AxisAttrs{a}))[0];
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  if (xs.empty()) throw ValueError("stack: needs at least one tensor; got an empty list");
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) throw ValueError("stack: input " + std::to_string(i) + " is an undefined tensor");
    bool same = xs[i].ndim() == xs[0].ndim();
    for (int d = 0; same && d < xs[0].ndim(); ++d) same = detail::dims_match(xs[i].shape()[d], xs[0].shape()[d]);
    if (!same)
      throw ValueError("stack: all inputs must have the same shape; got " + xs[0].shape().str() + " and " +
                       xs[i].shape().str());
  }
  std::vector<Tensor> expanded;
  expanded.reserve(xs.size());
  for (const auto& x : xs) expanded.push_back(expand_dims(x, axis));
  return concatenate(expanded, axis);  // expanded tensors have rank + 1, as axis expects
}

std::vector<Tensor> split(const Tensor& x, int64_t sections, int64_t axis) {
  if (!x.defined()) throw ValueError("split: input 0 is an undefined tensor");
  const int a = normalize_axis(axis, x.ndim(), "split");
  const int64_t n = x.shape()[a];
  if (sections <= 0) throw ValueError("split: the number of sections must be > 0; got " + std::to_string(sections));
  if (n < 0)
    throw ValueError("split: axis " + std::to_string(a) + " of shape " + x.shape().str() +
                     " has an unknown size; split it at indices instead");
  if (n % sections != 0)
    throw ValueError("split: a tensor of shape " + x.shape().str() + " does not split into " +
                     std::to_string(sections) + " equal sections along axis " + std::to_string(a));
  std::vector<Tensor> out;
  const int64_t step = n / sections;
  for (int64_t i = 0; i < sections; ++i) out.push_back(detail::slice_axis(x, a, i * step, (i + 1) * step));
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& indices, int64_t axis) {
  if (!x.defined()) throw ValueError("split: input 0 is an undefined tensor");
  const int a = normalize_axis(axis, x.ndim(), "split");
  // NumPy's pieces x[:i0], x[i0:i1], ..., x[ik:]: Python slices, so negative
  // indices count from the end and out-of-order ones give empty pieces.
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t stop : indices) {
    out.push_back(detail::slice_axis(x, a, start, stop));
    start = stop;
  }
  out.push_back(detail::slice_axis(x, a, start, detail::kToEnd));
  return out;
}

Tensor take(const Tensor& x, const Tensor& indices, std::optional<int64_t> axis) {
  if (!x.defined() || !indices.defined()) throw ValueError("take: an input is an undefined tensor");
  detail::require_integer_indices("take", indices);
  if (!axis) return take(reshape(x, Shape{-1}), indices, 0);
  const int a = normalize_axis(*axis, x.ndim(), "take");
  return apply1(detail::kTake, {x, indices}, make_attrs(detail::AxisAttrs{a}));
}

Tensor take_along_axis(const Tensor& x, const Tensor& indices, int64_t axis) {
  if (!x.defined() || !indices.defined()) throw ValueError("take_along_axis: an input is an undefined tensor");
  detail::require_integer_indices("take_along_axis", indices);
  if (x.ndim() != indices.ndim())
    throw ValueError("take_along_axis: x and indices must have the same rank; got shapes " + x.shape().str() + " and " +
                     indices.shape().str());
  const int a = normalize_axis(axis, x.ndim(), "take_along_axis");
  // Keras broadcasts x and indices against each other on every other axis.
  Shape xs = x.shape(), is = indices.shape();
  for (int d = 0; d < x.ndim(); ++d) {
    if (d == a || xs[d] == is[d]) continue;
    if (xs[d] == 1 && is[d] >= 0)
      xs[d] = is[d];
    else if (is[d] == 1 && xs[d] >= 0)
      is[d] = xs[d];
    else if (xs[d] >= 0 && is[d] >= 0)
      throw ValueError("take_along_axis: cannot broadcast x of shape " + x.shape().str() + " and indices of shape " +
                       indices.shape().str() + " (outside axis " + std::to_string(a) + ")");
  }
  const Tensor xb = xs == x.shape() ? x : broadcast_to(x, xs);
  const Tensor ib = is == indices.shape() ? indices : broadcast_to(indices, is);
  return apply1(detail::kTakeAlongAxis, {xb, ib}, make_attrs(detail::AxisAttrs{a}));
}

Tensor one_hot(const Tensor& x, int64_t num_classes, int64_t axis, DType dtype) {
  if (!x.defined()) throw ValueError("one_hot: input 0 is an undefined tensor");
  const int64_t r = x.ndim() + 1;
  if (axis < -r || axis >= r)
    throw ValueError("one_hot: axis " + std::to_string(axis) + " is out of bounds for an output of rank " +
                     std::to_string(r));
  const int a = static_cast<int>(axis < 0 ? axis + r : axis);
  return apply1(detail::kOneHot, {x}, make_attrs(detail::OneHotAttrs{num_classes, a, dtype}));
}

Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& pad_width, const std::string& mode,
           double constant_values) {
  if (!x.defined()) throw ValueError("pad: input 0 is an undefined tensor");
  const detail::PadMode m = detail::parse_pad_mode(mode);
  const auto r = static_cast<size_t>(x.ndim());
  std::vector<std::pair<int64_t, int64_t>> pads = pad_width;
  // One pair for every axis, as NumPy accepts ((before, after),).
  if (pad_width.size() == 1 && r != 1) pads.assign(r, pad_width[0]);
  if (pads.size() != r)
    throw ValueError("pad: pad_width must have one (before, after) pair per axis (" + std::to_string(r) +
                     " for shape " + x.shape().str() + ") or a single pair; got " + std::to_string(pad_width.size()));
  return apply1(
      detail::kPad, {x},
      make_attrs(detail::PadAttrs{std::move(pads), m, m == detail::PadMode::Constant ? constant_values : 0.0}));
}

// Copies along each tiled axis with a gather (indices 0..n-1 repeated), so the
// rank never grows past x's and the gradient is take's scatter-add.
Tensor tile(const Tensor& x, const std::vector<int64_t>& repeats) {
  if (!x.defined()) throw ValueError("tile: input 0 is an undefined tensor");
  for (int64_t r : repeats)
    if (r < 0) throw ValueError("tile: repeats must be >= 0; got " + detail::ints_str(repeats));
  Tensor y = x;
  const auto rank = static_cast<int>(std::max(static_cast<size_t>(x.ndim()), repeats.size()));
  while (y.ndim() < rank) y = expand_dims(y, 0);
  const int lead = rank - static_cast<int>(repeats.size());
  for (int d = lead; d < rank; ++d) {
    const int64_t r = repeats[static_cast<size_t>(d - lead)], n = y.shape()[d];
    if (r == 1) continue;
    if (n < 0)
      throw ValueError("tile: axis " + std::to_string(d) + " of shape " + y.shape().str() + " must have a known size");
    std::vector<int64_t> idx(static_cast<size_t>(n * r));
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i) % n;
    y = take(y, Tensor(idx), d);
  }
  return y;
}

Tensor repeat(const Tensor& x, int64_t repeats, std::optional<int64_t> axis) {
  if (!x.defined()) throw ValueError("repeat: input 0 is an undefined tensor");
  if (repeats < 0) throw ValueError("repeat: repeats must be >= 0; got " + std::to_string(repeats));
  if (!axis) return repeat(reshape(x, Shape{-1}), repeats, 0);
  const int a = normalize_axis(*axis, x.ndim(), "repeat");
  const int64_t n = x.shape()[a];
  if (n < 0)
    throw ValueError("repeat: axis " + std::to_string(a) + " of shape " + x.shape().str() + " must have a known size");
  std::vector<int64_t> idx(static_cast<size_t>(n * repeats));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i) / repeats;
  return take(x, Tensor(idx), a);
}

std::pair<Tensor, Tensor> top_k(const Tensor& x, int64_t k, bool sorted) {
  (void)sorted;  // results are always sorted (see the file comment)
  if (!x.defined()) throw ValueError("top_k: input 0 is an undefined tensor");
  Tensor indices = apply1(detail::kTopK, {x}, make_attrs(detail::TopKAttrs{k}));
  return {take_along_axis(x, indices, -1), indices};
}

}  // namespace ops
}  // namespace keras
