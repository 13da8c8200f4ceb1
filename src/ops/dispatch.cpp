// The one dispatcher (see op_def.hpp): every op call passes through apply().
#include <algorithm>
#include <string>

#include "ops/op_def.hpp"

namespace keras::detail {

std::vector<const OpDef*>& op_registry() {
  static std::vector<const OpDef*> ops;
  return ops;
}

namespace {

// Recycled vectors for the per-call specs and outputs: a heap allocation
// each is a measurable part of an eager op's cost. A pool (not one
// thread_local vector) keeps apply() reentrant.
template <class T>
class VecPool {
 public:
  std::vector<T> take() {
    if (free_.empty()) return {};
    std::vector<T> v = std::move(free_.back());
    free_.pop_back();
    return v;
  }
  void give(std::vector<T>&& v) {
    if (free_.size() < 16 && v.capacity() <= 16) {
      v.clear();
      free_.push_back(std::move(v));
    }
  }

 private:
  std::vector<std::vector<T>> free_;
};

__attribute__((tls_model("initial-exec"))) thread_local VecPool<TensorSpec> t_spec_pool;
__attribute__((tls_model("initial-exec"))) thread_local VecPool<Tensor> t_output_pool;

void apply_into(const OpDef& op, std::span<const Tensor> inputs, const AttrsPtr& attrs, std::vector<Tensor>& outputs) {
  bool symbolic = false;
  bool all_contiguous = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto* impl = inputs[i].impl();
    if (!impl) throw ValueError(std::string(op.name) + ": input " + std::to_string(i) + " is an undefined tensor");
    if (!impl->storage) symbolic = true;
    else if (!impl->is_contiguous()) all_contiguous = false;
  }
  OpCall call{op, inputs, attrs.get()};
  std::vector<TensorSpec> specs = t_spec_pool.take();
  op.infer(call, specs);

  if (symbolic) {
    outputs = add_graph_node(op, inputs, attrs, std::move(specs));
  } else {
    std::vector<Tensor> dense;
    std::span<const Tensor> run_inputs = inputs;
    if (op.contiguous_inputs && !all_contiguous) {
      dense.reserve(inputs.size());
      for (const auto& t : inputs) dense.push_back(t.contiguous());
      run_inputs = dense;
    }
    if (!op.makes_outputs) {
      const Device dev = inputs.empty() ? Device{} : inputs[0].device();
      outputs.reserve(specs.size());
      for (const auto& s : specs) outputs.push_back(Tensor::empty(s.shape, s.dtype, dev));
    }
    t_spec_pool.give(std::move(specs));
    op.run(OpCall{op, run_inputs, attrs.get()}, outputs);
  }
  if (op.grad && any_tape_recording()) record_on_tapes(op, attrs, inputs, outputs);
}

}  // namespace

std::vector<Tensor> apply(const OpDef& op, std::span<const Tensor> inputs, AttrsPtr attrs) {
  std::vector<Tensor> outputs;
  apply_into(op, inputs, attrs, outputs);
  return outputs;
}

Tensor apply1(const OpDef& op, std::initializer_list<Tensor> inputs, AttrsPtr attrs) {
  std::vector<Tensor> outputs = t_output_pool.take();
  apply_into(op, std::span<const Tensor>(inputs.begin(), inputs.size()), attrs, outputs);
  Tensor out = std::move(outputs[0]);
  t_output_pool.give(std::move(outputs));
  return out;
}

Tensor GradCtx::dy(size_t i) const {
  if (dys_[i].defined()) return dys_[i];
  return ops::zeros_like(outputs_[i]);
}

void GradCtx::set(size_t i, const Tensor& g, bool reduce_to_input) {
  if (!needs_[i] || !g.defined()) return;
  Tensor r = reduce_to_input ? sum_to_shape(g, inputs_[i].shape()) : g;
  if (r.dtype() != inputs_[i].dtype()) r = ops::cast(r, inputs_[i].dtype());
  if (r.shape() != inputs_[i].shape() && r.shape().is_fully_defined() && inputs_[i].shape().is_fully_defined())
    throw RuntimeError(std::string("gradient of ") + op_.name + ": input " + std::to_string(i) + " has shape " +
                       inputs_[i].shape().str() + " but its gradient has shape " + r.shape().str());
  grads_[i] = std::move(r);
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int lead = g.ndim() - shape.rank();
  std::vector<int64_t> axes;
  for (int i = 0; i < g.ndim(); ++i) {
    if (i < lead)
      axes.push_back(i);
    else if (shape[i - lead] == 1 && g.shape()[i] != 1)
      axes.push_back(i);
  }
  Tensor s = axes.empty() ? g : ops::sum(g, Axes(axes), /*keepdims=*/true);
  return s.shape() == shape ? s : ops::reshape(s, shape);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int r = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < r; ++i) {
    const int ia = a.rank() - r + i, ib = b.rank() - r + i;
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    int64_t d;
    if (da == db)
      d = da;
    else if (da == 1)
      d = db;
    else if (db == 1)
      d = da;
    else if (da < 0)
      d = db;  // unknown (None) against a known size: the known one
    else if (db < 0)
      d = da;
    else
      throw ValueError(std::string(op) + ": cannot broadcast shapes " + a.str() + " and " + b.str());
    out.push_back(d);
  }
  return out;
}

void require_floating(const char* op, DType d) {
  if (!is_floating(d))
    throw TypeError(std::string(op) + " expects a floating-point tensor, got dtype " + std::string(dtype_name(d)) +
                    "; cast it first with keras::ops::cast");
}

std::vector<int> resolve_axes(const Axes& axes, int rank, const char* op) {
  std::vector<int> out;
  if (axes.all()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int64_t a : axes.list()) {
    int n = normalize_axis(a, rank, op);
    for (int seen : out)
      if (seen == n) throw ValueError(std::string(op) + ": axis " + std::to_string(a) + " is repeated");
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace keras::detail
