// Mirrors keras/src/layers/merging/ (base_merge.py, add.py ... dot.py).
#include <nlohmann/json.hpp>

#include "keras/layers/merging.hpp"
#include "keras/ops.hpp"

namespace keras::layers {

namespace {

std::string format_shape(const Shape& s) {
  std::string out = "(";
  for (int i = 0; i < s.rank(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("None") : std::to_string(s[i]));
  return out + (s.rank() == 1 ? ",)" : ")");
}

std::string format_shapes(const std::vector<Shape>& shapes) {
  std::string out = "[";
  for (size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + format_shape(shapes[i]);
  return out + "]";
}

// Keras' _compute_elemwise_op_output_shape on the sample axes (batch axis left out).
Shape elementwise_shape(const Shape& a, const Shape& b) {
  if (a.rank() < b.rank()) return elementwise_shape(b, a);
  Shape out;
  const int lead = a.rank() - b.rank();
  for (int i = 0; i < lead; ++i) out.push_back(a[i]);
  for (int i = 0; i < b.rank(); ++i) {
    const int64_t x = a[lead + i], y = b[i];
    if (x < 0 || y < 0)
      out.push_back(-1);
    else if (x == 1)
      out.push_back(y);
    else if (y == 1 || x == y)
      out.push_back(x);
    else
      throw ValueError("Inputs have incompatible shapes. Received shapes " + format_shape(a) + " and " +
                       format_shape(b));
  }
  return out;
}

Shape without_batch(const Shape& s) {
  Shape out;
  for (int i = 1; i < s.rank(); ++i) out.push_back(s[i]);
  return out;
}

Tensor l2_normalize(const Tensor& x, int axis) {
  Tensor sq = ops::sum(ops::square(x), {axis}, true);
  return ops::multiply(x, ops::rsqrt(ops::maximum(sq, ops::full_like(sq, 1e-12))));
}

}  // namespace

// ---- Merge --------------------------------------------------------------------------------------------

MergeImpl::MergeImpl(Options o, std::string default_name)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = true}, std::move(default_name)) {
  set_supports_masking(true);
}

void MergeImpl::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() < min_inputs() || shapes.size() > max_inputs()) {
    if (min_inputs() == max_inputs())
      throw ValueError("A `" + class_name() + "` layer should be called on exactly " + std::to_string(min_inputs()) +
                       " inputs. Received: input_shape=" + format_shapes(shapes));
    throw ValueError("A merge layer should be called on a list of at least " + std::to_string(min_inputs()) +
                     " input. Got " + std::to_string(shapes.size()) +
                     " inputs. Full input_shape received: " + format_shapes(shapes));
  }
  int64_t batch = -1;
  for (const auto& s : shapes) {
    if (s.rank() == 0) throw ValueError("A merge layer takes tensors with a batch axis; received a scalar");
    if (s[0] >= 0 && batch >= 0 && s[0] != batch)
      throw ValueError("Cannot merge tensors with different batch sizes. Got tensors with shapes " +
                       format_shapes(shapes));
    if (s[0] >= 0) batch = s[0];
  }
  Shape out = without_batch(shapes[0]);
  for (size_t i = 1; i < shapes.size(); ++i) out = elementwise_shape(out, without_batch(shapes[i]));
}

std::vector<Tensor> MergeImpl::call_multi(const std::vector<Tensor>& inputs, bool) {
  std::vector<Shape> shapes;
  for (const auto& x : inputs) shapes.push_back(x.shape());
  build_multi(shapes);  // the count and shape checks, on every call
  return {merge(inputs)};
}

std::vector<Tensor> MergeImpl::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) {
  Tensor out;
  for (const auto& m : masks) {
    if (!m.defined()) continue;
    out = out.defined() ? ops::logical_and(out, m) : m;
  }
  return {out};
}

AddImpl::AddImpl(Options o) : MergeImpl(std::move(o), "add") {}
SubtractImpl::SubtractImpl(Options o) : MergeImpl(std::move(o), "subtract") {}
MultiplyImpl::MultiplyImpl(Options o) : MergeImpl(std::move(o), "multiply") {}
AverageImpl::AverageImpl(Options o) : MergeImpl(std::move(o), "average") {}
MaximumImpl::MaximumImpl(Options o) : MergeImpl(std::move(o), "maximum") {}
MinimumImpl::MinimumImpl(Options o) : MergeImpl(std::move(o), "minimum") {}

Tensor AddImpl::merge(const std::vector<Tensor>& xs) {
  Tensor out = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) out = ops::add(out, xs[i]);
  return out;
}

Tensor SubtractImpl::merge(const std::vector<Tensor>& xs) { return ops::subtract(xs[0], xs[1]); }

Tensor MultiplyImpl::merge(const std::vector<Tensor>& xs) {
  Tensor out = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) out = ops::multiply(out, xs[i]);
  return out;
}

Tensor AverageImpl::merge(const std::vector<Tensor>& xs) {
  Tensor out = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) out = ops::add(out, xs[i]);
  return ops::divide(out, ops::full_like(out, static_cast<double>(xs.size())));
}

Tensor MaximumImpl::merge(const std::vector<Tensor>& xs) {
  Tensor out = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) out = ops::maximum(out, xs[i]);
  return out;
}

Tensor MinimumImpl::merge(const std::vector<Tensor>& xs) {
  Tensor out = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) out = ops::minimum(out, xs[i]);
  return out;
}

// ---- Concatenate --------------------------------------------------------------------------------------

ConcatenateImpl::ConcatenateImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = true}, "concatenate"), options_(std::move(o)) {
  set_supports_masking(true);
}

void ConcatenateImpl::build_multi(const std::vector<Shape>& shapes) {
  const std::string err =
      "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: "
      "input_shape=" +
      format_shapes(shapes);
  if (shapes.empty())
    throw ValueError("A `Concatenate` layer should be called on a list of at least 1 input. Received: input_shape=[]");
  const int rank = shapes[0].rank();
  for (const auto& s : shapes)
    if (s.rank() != rank) throw ValueError(err);
  if (rank == 0) throw ValueError("A `Concatenate` layer cannot join scalars");
  const int axis = options_.axis < 0 ? options_.axis + rank : options_.axis;
  if (axis <= 0 || axis >= rank)
    throw ValueError("Concatenate: axis " + std::to_string(options_.axis) + " is out of range for inputs of rank " +
                     std::to_string(rank) + " (the batch axis cannot be joined)");
  for (int a = 1; a < rank; ++a) {
    if (a == axis) continue;
    int64_t size = -1;
    for (const auto& s : shapes) {
      if (s[a] < 0) continue;
      if (size >= 0 && s[a] != size) throw ValueError(err);
      size = s[a];
    }
  }
}

std::vector<Tensor> ConcatenateImpl::call_multi(const std::vector<Tensor>& inputs, bool) {
  std::vector<Shape> shapes;
  for (const auto& x : inputs) shapes.push_back(x.shape());
  build_multi(shapes);
  return {ops::concatenate(inputs, options_.axis)};
}

std::vector<Tensor> ConcatenateImpl::compute_mask_multi(const std::vector<Tensor>& inputs,
                                                        const std::vector<Tensor>& masks) {
  bool any = false;
  for (const auto& m : masks) any = any || m.defined();
  if (!any) return {Tensor()};
  std::vector<Tensor> full;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& m = i < masks.size() ? masks[i] : Tensor();
    if (!m.defined())
      full.push_back(ops::ones_like(inputs[i], DType::bool_));
    else if (m.ndim() < inputs[i].ndim())
      full.push_back(ops::broadcast_to(ops::expand_dims(m, -1), inputs[i].shape()));
    else
      full.push_back(m);
  }
  return {ops::any(ops::concatenate(full, options_.axis), {-1}, false)};
}

nlohmann::json ConcatenateImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = options_.axis;
  return c;
}

// ---- Dot ----------------------------------------------------------------------------------------------

DotImpl::DotImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = true}, "dot"), options_(std::move(o)) {
  if (options_.axes.empty() || options_.axes.size() > 2)
    throw ValueError("Dot: `axes` must be one integer or a list of two; received " +
                     std::to_string(options_.axes.size()) + " values");
}

DotImpl::DotImpl(int axes, bool normalize) : DotImpl(Options{.axes = {axes}, .normalize = normalize}) {}

std::pair<int, int> DotImpl::resolved_axes(int rank0, int rank1) const {
  int a0 = options_.axes[0], a1 = options_.axes.size() == 2 ? options_.axes[1] : options_.axes[0];
  if (a0 < 0) a0 = ((a0 % rank0) + rank0) % rank0;
  if (a1 < 0) a1 = ((a1 % rank1) + rank1) % rank1;
  return {a0, a1};
}

void DotImpl::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() != 2)
    throw ValueError("A `Dot` layer should be called on a list of 2 inputs. Received: input_shape=" +
                     format_shapes(shapes));
  const Shape &s0 = shapes[0], &s1 = shapes[1];
  if (s0.rank() < 2 || s1.rank() < 2 || s0.rank() > 3 || s1.rank() > 3)
    throw NotImplementedError("Dot supports inputs of rank 2 or 3 (batch axis included); received " +
                              format_shapes(shapes));
  auto [a0, a1] = resolved_axes(s0.rank(), s1.rank());
  if (a0 == 0 || a1 == 0 || a0 >= s0.rank() || a1 >= s1.rank())
    throw ValueError("Dot: `axes` must name sample axes (1 .. rank-1); received axes (" + std::to_string(a0) + ", " +
                     std::to_string(a1) + ") for shapes " + format_shapes(shapes));
  if (s0[a0] >= 0 && s1[a1] >= 0 && s0[a0] != s1[a1])
    throw ValueError("Incompatible input shapes: axis values " + std::to_string(s0[a0]) + " (at axis " +
                     std::to_string(a0) + ") != " + std::to_string(s1[a1]) + " (at axis " + std::to_string(a1) +
                     "). Full input shapes: " + format_shape(s0) + ", " + format_shape(s1));
}

std::vector<Tensor> DotImpl::call_multi(const std::vector<Tensor>& inputs, bool) {
  std::vector<Shape> shapes;
  for (const auto& x : inputs) shapes.push_back(x.shape());
  build_multi(shapes);
  Tensor x0 = inputs[0], x1 = inputs[1];
  auto [a0, a1] = resolved_axes(x0.ndim(), x1.ndim());
  if (options_.normalize) {
    x0 = l2_normalize(x0, a0);
    x1 = l2_normalize(x1, a1);
  }
  // Batch dot: x0 as (batch, n, k) with the contracted axis last, x1 as (batch, k, m).
  if (x0.ndim() == 2)
    x0 = ops::expand_dims(x0, 1);  // (batch, 1, k)
  else if (a0 == 1)
    x0 = ops::transpose(x0, std::vector<int64_t>{0, 2, 1});
  if (x1.ndim() == 2)
    x1 = ops::expand_dims(x1, 2);  // (batch, k, 1)
  else if (a1 == 2)
    x1 = ops::transpose(x1, std::vector<int64_t>{0, 2, 1});
  Tensor out = ops::matmul(x0, x1);  // (batch, n, m)
  std::vector<int64_t> squeeze;
  if (inputs[0].ndim() == 2) squeeze.push_back(1);
  if (inputs[1].ndim() == 2) squeeze.push_back(2);
  if (squeeze.size() == 2) return {ops::reshape(out, {out.shape()[0], 1})};  // (batch, 1), as Keras
  if (!squeeze.empty()) out = ops::squeeze(out, Axes(squeeze));
  return {out};
}

nlohmann::json DotImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  if (options_.axes.size() == 1)
    c["axes"] = options_.axes[0];
  else
    c["axes"] = options_.axes;
  c["normalize"] = options_.normalize;
  return c;
}

}  // namespace keras::layers
