// Symbolic tensors: a node per op call, evaluated on demand.
#include "keras/graph.hpp"

#include <unordered_map>

#include "graph/node.hpp"

namespace keras {
namespace detail {

namespace {
void infer_placeholder(const OpCall&, std::vector<TensorSpec>&) {}
void run_placeholder(const OpCall& call, std::vector<Tensor>&) {
  throw ValueError(std::string("placeholder: ") + call.op.name + " has no value; feed it to graph::evaluate");
}
const OpDef kPlaceholder{.name = "placeholder", .infer = infer_placeholder, .run = run_placeholder};

Tensor symbolic_output(const std::shared_ptr<graph::Node>& node, int index) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = node->outputs[static_cast<size_t>(index)].shape;
  impl->dtype = node->outputs[static_cast<size_t>(index)].dtype;
  impl->node = node;
  impl->node_output = index;
  return Tensor(std::move(impl));
}
}  // namespace

std::vector<Tensor> add_graph_node(const OpDef& op, std::span<const Tensor> inputs, AttrsPtr attrs,
                                   std::vector<TensorSpec> specs) {
  auto node = std::make_shared<graph::Node>();
  node->op = &op;
  node->attrs = std::move(attrs);
  node->inputs.assign(inputs.begin(), inputs.end());
  node->outputs = std::move(specs);
  std::vector<Tensor> out;
  out.reserve(node->outputs.size());
  for (size_t i = 0; i < node->outputs.size(); ++i) out.push_back(symbolic_output(node, static_cast<int>(i)));
  return out;
}

}  // namespace detail

namespace graph {

Tensor placeholder(const Shape& shape, DType dtype, const std::string& name) {
  for (int64_t d : shape)
    if (d < -1) throw ValueError("placeholder: dimensions must be >= 0 or -1 (unknown), got shape " + shape.str());
  auto node = std::make_shared<Node>();
  node->op = &detail::kPlaceholder;
  node->outputs = {{shape, dtype}};
  node->name = name;
  return detail::symbolic_output(node, 0);
}

std::string producer_name(const Tensor& symbolic) {
  if (!symbolic.defined() || !symbolic.impl()->node) throw ValueError("producer_name: the tensor is not symbolic");
  return symbolic.impl()->node->op->name;
}

std::vector<Tensor> evaluate(const std::vector<Tensor>& outputs, const std::vector<std::pair<Tensor, Tensor>>& feeds) {
  std::unordered_map<const Node*, std::vector<Tensor>> values;
  for (const auto& [ph, value] : feeds) {
    if (!ph.defined() || !ph.impl()->node || ph.impl()->node->op != &detail::kPlaceholder)
      throw ValueError("evaluate: a feed key is not a placeholder");
    const auto& spec = ph.impl()->node->outputs[0];
    bool ok = value.defined() && !value.is_symbolic() && value.ndim() == spec.shape.rank();
    for (int i = 0; ok && i < spec.shape.rank(); ++i) ok = spec.shape[i] < 0 || spec.shape[i] == value.shape()[i];
    if (!ok)
      throw ValueError("evaluate: placeholder '" + ph.impl()->node->name + "' expects shape " + spec.shape.str() +
                       ", got " + (value.defined() ? value.shape().str() : std::string("an undefined tensor")));
    if (value.dtype() != spec.dtype)
      throw ValueError("evaluate: placeholder '" + ph.impl()->node->name + "' expects dtype " +
                       std::string(dtype_name(spec.dtype)) + ", got " + std::string(dtype_name(value.dtype())));
    values[ph.impl()->node.get()] = {value};
  }
  // Iterative post-order walk (graphs can be deep).
  std::vector<std::pair<const Node*, bool>> stack;
  for (const auto& out : outputs)
    if (out.defined() && out.impl()->node) stack.push_back({out.impl()->node.get(), false});
  while (!stack.empty()) {
    auto [node, expanded] = stack.back();
    stack.pop_back();
    if (values.count(node)) continue;
    if (node->op == &detail::kPlaceholder)
      throw ValueError("evaluate: placeholder '" + node->name + "' " + node->outputs[0].shape.str() +
                       " is needed but was not fed");
    if (!expanded) {
      stack.push_back({node, true});
      for (const auto& in : node->inputs)
        if (in.impl()->node && !values.count(in.impl()->node.get())) stack.push_back({in.impl()->node.get(), false});
      continue;
    }
    std::vector<Tensor> ins;
    ins.reserve(node->inputs.size());
    for (const auto& in : node->inputs)
      ins.push_back(in.impl()->node ? values.at(in.impl()->node.get())[static_cast<size_t>(in.impl()->node_output)]
                                    : in);
    values[node] = detail::apply(*node->op, ins, node->attrs);
  }
  std::vector<Tensor> result;
  for (const auto& out : outputs)
    result.push_back(out.defined() && out.impl()->node
                         ? values.at(out.impl()->node.get())[static_cast<size_t>(out.impl()->node_output)]
                         : out);
  return result;
}

}  // namespace graph
}  // namespace keras
