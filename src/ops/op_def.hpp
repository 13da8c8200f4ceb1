#pragma once
// The definition of an op, and the one dispatcher that runs it.
//
// An op is a set of rules (shape/dtype inference, a kernel, a gradient rule
// written with other ops). ops::add(a, b) is just `apply1(kAdd, {a, b})`;
// apply() decides the mode:
//   1. infer the output specs (throws ValueError/TypeError naming the op);
//   2. if an input is symbolic, add a graph node and return symbolic outputs;
//   3. otherwise allocate the outputs and run the kernel;
//   4. if a GradientTape is recording and an input is watched, record the op.
// Because gradient rules call ops, a backward pass run under an outer tape or
// on symbolic tensors is itself recorded or traced.
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <typeinfo>
#include <vector>

#include "keras/ops.hpp"
#include "keras/tensor.hpp"

namespace keras::detail {

struct TensorSpec {
  Shape shape;
  DType dtype = DType::float32;
};

/// Attributes of an op call (axis, keepdims, ...). Each op uses a plain
/// struct with a defaulted operator==, wrapped by make_attrs:
///   struct ReduceAttrs { std::vector<int> axes; bool keepdims = false;
///                        bool operator==(const ReduceAttrs&) const = default; };
///   apply1(kSum, {x}, make_attrs(ReduceAttrs{axes, keepdims}));
///   ... call.attr<ReduceAttrs>().keepdims
struct Attrs {
  virtual ~Attrs() = default;
  virtual bool equals(const Attrs& other) const = 0;
};
template <class A>
struct AttrsHolder final : Attrs {
  explicit AttrsHolder(A v) : value(std::move(v)) {}
  bool equals(const Attrs& other) const override {
    auto* o = dynamic_cast<const AttrsHolder*>(&other);
    return o && o->value == value;
  }
  A value;
};
using AttrsPtr = std::shared_ptr<const Attrs>;

template <class A>
AttrsPtr make_attrs(A value) {
  return std::make_shared<const AttrsHolder<A>>(std::move(value));
}
template <class A>
const A& attrs_as(const Attrs* a) {
  return static_cast<const AttrsHolder<A>*>(a)->value;
}

struct OpDef;

/// What a kernel and an infer rule see.
struct OpCall {
  const OpDef& op;
  std::span<const Tensor> inputs;
  const Attrs* attrs;
  template <class A>
  const A& attr() const {
    return attrs_as<A>(attrs);
  }
};

class GradCtx;

using InferFn = void (*)(const OpCall& call, std::vector<TensorSpec>& out);
/// Writes into `outputs`, which the dispatcher has allocated from the specs
/// (contiguous) unless the op sets `makes_outputs` (views: it creates them).
using RunFn = void (*)(const OpCall& call, std::vector<Tensor>& outputs);
using GradFn = void (*)(GradCtx& ctx);

struct OpDef {
  const char* name = "";
  InferFn infer = nullptr;
  RunFn run = nullptr;
  /// Null for ops with no gradient (floor, argmax, comparisons).
  GradFn grad = nullptr;
  /// Inputs are made contiguous before `run` unless this is false.
  bool contiguous_inputs = true;
  /// `run` creates the output tensors itself (view ops).
  bool makes_outputs = false;
};

/// The registry of every OpDef (for the gradient-checker coverage test and,
/// later, graph deserialization). Populated by KERAS_REGISTER_OP.
std::vector<const OpDef*>& op_registry();
struct OpRegistrar {
  explicit OpRegistrar(const OpDef& op) { op_registry().push_back(&op); }
};
#define KERAS_REGISTER_OP(def) static const ::keras::detail::OpRegistrar def##_registrar_{def};

/// The dispatcher.
std::vector<Tensor> apply(const OpDef& op, std::span<const Tensor> inputs, AttrsPtr attrs = nullptr);
Tensor apply1(const OpDef& op, std::initializer_list<Tensor> inputs, AttrsPtr attrs = nullptr);

/// Context of a gradient rule: the forward inputs and outputs, the incoming
/// output gradients, and where to put input gradients.
class GradCtx {
 public:
  GradCtx(const OpDef& op, const Attrs* attrs, std::span<const Tensor> inputs, std::span<const Tensor> outputs,
          std::span<const Tensor> dys, std::span<const bool> needs, std::vector<Tensor>& grads)
      : op_(op), attrs_(attrs), inputs_(inputs), outputs_(outputs), dys_(dys), needs_(needs), grads_(grads) {}
  const Tensor& x(size_t i = 0) const { return inputs_[i]; }
  const Tensor& y(size_t i = 0) const { return outputs_[i]; }
  /// Gradient flowing into output i (zeros if that output got none).
  Tensor dy(size_t i = 0) const;
  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  bool needs(size_t i) const { return needs_[i]; }
  template <class A>
  const A& attr() const {
    return attrs_as<A>(attrs_);
  }
  const Attrs* attrs() const { return attrs_; }
  /// Sets input i's gradient. For broadcasting ops pass `reduce_to_input =
  /// true` to sum g down to the input's shape.
  void set(size_t i, const Tensor& g, bool reduce_to_input = false);

 private:
  const OpDef& op_;
  const Attrs* attrs_;
  std::span<const Tensor> inputs_, outputs_, dys_;
  std::span<const bool> needs_;
  std::vector<Tensor>& grads_;
};

/// Sums g over the axes that broadcasting added or expanded, to `shape`.
Tensor sum_to_shape(const Tensor& g, const Shape& shape);

// ---- helpers for infer rules --------------------------------------------------
/// NumPy broadcasting of two shapes; -1 (unknown) dims are allowed. Throws
/// ValueError "<op>: cannot broadcast shapes (2, 3) and (4,)".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Throws TypeError unless dtype is floating ("<op> expects a floating dtype, got int32").
void require_floating(const char* op, DType d);
/// Normalizes an Axes argument (sorted, unique, checked) for a tensor of `rank`.
std::vector<int> resolve_axes(const Axes& axes, int rank, const char* op);

// ---- mode state ----------------------------------------------------------------
/// True while any GradientTape on this thread is recording.
bool any_tape_recording();
/// Called by the dispatcher after a concrete or symbolic op ran.
void record_on_tapes(const OpDef& op, const AttrsPtr& attrs, std::span<const Tensor> inputs,
                     std::span<const Tensor> outputs);
/// Makes a symbolic output for a graph node (see graph.cpp).
std::vector<Tensor> add_graph_node(const OpDef& op, std::span<const Tensor> inputs, AttrsPtr attrs,
                                   std::vector<TensorSpec> specs);

}  // namespace keras::detail
