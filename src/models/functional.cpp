// Mirrors keras/src/ops/function.py (map_graph and its depth-first walk) and the
// graph replay of keras/src/models/functional.py.
#include "models/functional.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "keras/layers/core.hpp"
#include "keras/ops.hpp"

namespace keras::detail {

namespace {

bool is_input_node(const LayerNode& node) { return dynamic_cast<const layers::InputLayerImpl*>(node.layer.get()); }

std::string describe(const Tensor& t) {
  std::string s = "<KerasTensor shape=" + t.shape().str() + ", dtype=" + std::string(dtype_name(t.dtype()));
  if (const auto& h = t.impl()->keras_history)
    s += ", produced by layer '" + h->layer->name() + "' (" + h->layer->class_name() + ")";
  return s + ">";
}

}  // namespace

FunctionalGraph build_functional_graph(std::vector<Tensor> inputs, std::vector<Tensor> outputs, bool single_input,
                                       bool single_output) {
  FunctionalGraph g;
  if (inputs.empty()) throw ValueError("A Functional model needs at least one input (a keras::Input tensor)");
  if (outputs.empty()) throw ValueError("A Functional model needs at least one output");
  std::set<const LayerNode*> input_nodes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.impl()->keras_history || !is_input_node(*x.impl()->keras_history))
      throw ValueError("Every value of `inputs` must be a keras::Input tensor (the output of an InputLayer); input " +
                       std::to_string(i) + " is " +
                       (x.defined() ? (x.impl()->keras_history ? describe(x) : std::string("a concrete tensor"))
                                    : std::string("undefined")));
    if (!input_nodes.insert(x.impl()->keras_history.get()).second)
      throw ValueError("The same keras::Input is given twice in `inputs` (input " + std::to_string(i) + ")");
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!outputs[i].defined() || !outputs[i].impl()->keras_history)
      throw ValueError(
          "Every value of `outputs` must be a tensor computed by layers from keras::Input tensors; output " +
          std::to_string(i) + " is " +
          (!outputs[i].defined()      ? std::string("undefined")
           : outputs[i].is_symbolic() ? std::string("a symbolic tensor no layer call produced from them (an op "
                                                    "applied to a Functional tensor is not recorded: wrap it "
                                                    "in a layer)")
                                      : std::string("a concrete tensor, not the output of a layer call")));

  // Depth-first walk from each output (build_map): nodes in post order, layers numbered on first visit.
  std::vector<std::shared_ptr<LayerNode>> post_order;
  std::set<const LayerNode*> finished, in_progress;
  std::map<const Layer*, int> layer_index;
  std::function<void(const Tensor&, size_t)> visit = [&](const Tensor& t, size_t output_path) {
    const auto& node = t.impl()->keras_history;
    if (!node)
      throw ValueError("Output with path `" + std::to_string(output_path) +
                       "` is not connected to `inputs`: it depends on a tensor that no layer produced (" + describe(t) +
                       "); an op applied to a Functional tensor is not recorded: wrap it in a layer");
    if (finished.count(node.get())) return;
    if (in_progress.count(node.get()))
      throw ValueError("The graph of layer calls has a cycle at layer '" + node->layer->name() + "'");
    layer_index.emplace(node->layer.get(), static_cast<int>(layer_index.size()));
    in_progress.insert(node.get());
    if (is_input_node(*node)) {
      if (!input_nodes.count(node.get()))
        throw ValueError("Output with path `" + std::to_string(output_path) +
                         "` is not connected to `inputs`: it depends on the Input '" + node->layer->name() +
                         "', which is not one of the model's inputs. Add it to `inputs`.");
    } else {
      for (const auto& x : node->inputs) visit(x, output_path);
    }
    in_progress.erase(node.get());
    finished.insert(node.get());
    post_order.push_back(node);
  };
  for (size_t i = 0; i < outputs.size(); ++i) visit(outputs[i], i);

  // Depths (map_graph): outputs at 0, each producer at least one deeper than its consumers; a
  // layer's depth is the deepest of its nodes.
  std::map<const LayerNode*, int> node_depth;
  std::map<const Layer*, int> layer_depth;
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    const LayerNode* node = it->get();
    int depth = node_depth.emplace(node, 0).first->second;
    auto ld = layer_depth.find(node->layer.get());
    depth = std::max(depth, ld == layer_depth.end() ? 0 : ld->second);
    layer_depth[node->layer.get()] = depth;
    node_depth[node] = depth;
    for (const auto& x : node->inputs) {
      const LayerNode* parent = x.impl()->keras_history.get();
      auto& d = node_depth.emplace(parent, 0).first->second;
      d = std::max(d, depth + 1);
    }
  }
  // Inputs no output depends on.
  for (const auto& x : inputs) {
    const auto& node = x.impl()->keras_history;
    if (!layer_depth.count(node->layer.get())) {
      layer_depth[node->layer.get()] = 0;
      layer_index[node->layer.get()] = -1;
      node_depth[node.get()] = 0;
      post_order.push_back(node);
    }
  }

  // Nodes and layers by decreasing depth (layers of one depth in first-visit order).
  std::vector<std::shared_ptr<LayerNode>> nodes = post_order;
  std::stable_sort(nodes.begin(), nodes.end(),
                   [&](const auto& a, const auto& b) { return node_depth.at(a.get()) > node_depth.at(b.get()); });
  std::vector<std::shared_ptr<Layer>> layers;
  std::set<const Layer*> seen;
  for (const auto& n : post_order)
    if (seen.insert(n->layer.get()).second) layers.push_back(n->layer);
  std::stable_sort(layers.begin(), layers.end(), [&](const auto& a, const auto& b) {
    const int da = layer_depth.at(a.get()), db = layer_depth.at(b.get());
    if (da != db) return da > db;
    return layer_index.at(a.get()) < layer_index.at(b.get());
  });

  // Every tensor a node needs is computed by a deeper node (or is an input).
  std::set<std::pair<const LayerNode*, int>> computable;
  for (const auto& x : inputs) computable.insert({x.impl()->keras_history.get(), 0});
  std::vector<std::string> done;
  for (const auto& node : nodes) {
    for (const auto& x : node->inputs)
      if (!computable.count({x.impl()->keras_history.get(), x.impl()->keras_history_index})) {
        std::string list;
        for (const auto& n : done) list += (list.empty() ? "'" : ", '") + n + "'";
        throw ValueError("Graph disconnected: cannot find parent for tensor " + describe(x) + " at operation '" +
                         node->layer->name() + "'. The following previous operations were accessed without issue: [" +
                         list + "]");
      }
    if (!node->inputs.empty()) done.push_back(node->layer->name());
    for (size_t i = 0; i < node->output_shapes.size(); ++i) computable.insert({node.get(), static_cast<int>(i)});
  }

  // Layer names are the keys of weights files and summaries: they must be unique.
  std::map<std::string, int> name_count;
  for (const auto& l : layers) ++name_count[l->name()];
  for (const auto& [name, count] : name_count)
    if (count > 1)
      throw ValueError("The name \"" + name + "\" is used " + std::to_string(count) +
                       " times in the model. All operation names should be unique.");

  // The summary layout (print_summary's sequential_like test).
  std::map<int, std::vector<const LayerNode*>> by_depth;
  for (const auto& n : nodes) by_depth[node_depth.at(n.get())].push_back(n.get());
  bool sequential_like = true;
  for (const auto& [depth, ns] : by_depth)
    if (ns.size() > 1 || (ns.size() == 1 && ns[0]->inputs.size() > 1)) sequential_like = false;
  if (sequential_like) {
    std::set<const Layer*> layer_seen;
    for (const auto& n : nodes)
      if (!layer_seen.insert(n->layer.get()).second) sequential_like = false;
  }

  g.inputs = std::move(inputs);
  g.outputs = std::move(outputs);
  g.single_input = single_input && g.inputs.size() == 1;
  g.single_output = single_output && g.outputs.size() == 1;
  g.nodes = std::move(nodes);
  g.node_depth = std::move(node_depth);
  g.layers = std::move(layers);
  g.sequential_like = sequential_like;
  for (const auto& x : g.inputs) g.input_names.push_back(x.impl()->keras_history->layer->name());
  for (const auto& x : g.outputs) g.output_names.push_back(x.impl()->keras_history->layer->name());
  return g;
}

std::vector<Tensor> run_functional_graph(const FunctionalGraph& g, const std::string& model_name,
                                         const std::vector<Tensor>& values) {
  if (values.size() != g.inputs.size())
    throw ValueError("Model \"" + model_name + "\" expects " + std::to_string(g.inputs.size()) + " input(s), but it " +
                     "received " + std::to_string(values.size()) + " input tensors");
  std::map<const LayerNode*, std::vector<Tensor>> computed;
  for (size_t i = 0; i < values.size(); ++i) {
    const Tensor& ref = g.inputs[i];
    Tensor v = values[i];
    if (!v.defined())
      throw ValueError("Input " + std::to_string(i) + " of model \"" + model_name + "\" is an undefined tensor");
    bool ok = v.ndim() == ref.ndim();
    for (int a = 0; ok && a < ref.ndim(); ++a)
      ok = ref.shape()[a] < 0 || v.shape()[a] < 0 || ref.shape()[a] == v.shape()[a];
    if (!ok)
      throw ValueError("Input " + std::to_string(i) + " of layer \"" + model_name +
                       "\" is incompatible with the layer: expected shape=" + format_summary_shape(ref.shape()) +
                       ", found shape=" + format_summary_shape(v.shape()));
    if (v.dtype() != ref.dtype()) v = ops::cast(v, ref.dtype());
    computed[ref.impl()->keras_history.get()] = {v};
  }
  for (const auto& node : g.nodes) {
    if (computed.count(node.get())) continue;  // a fed input
    std::vector<Tensor> ins;
    ins.reserve(node->inputs.size());
    for (const auto& x : node->inputs)
      ins.push_back(computed.at(x.impl()->keras_history.get())[static_cast<size_t>(x.impl()->keras_history_index)]);
    std::vector<Tensor> outs = (*node->layer)(ins, node->training);
    if (outs.size() != node->output_shapes.size())
      throw ValueError("Layer '" + node->layer->name() + "' returned " + std::to_string(outs.size()) +
                       " outputs, but " + std::to_string(node->output_shapes.size()) + " when the model was built");
    computed[node.get()] = std::move(outs);
  }
  std::vector<Tensor> out;
  for (const auto& y : g.outputs)
    out.push_back(computed.at(y.impl()->keras_history.get())[static_cast<size_t>(y.impl()->keras_history_index)]);
  return out;
}

std::string format_summary_shape(const Shape& s) {
  std::string out = "(";
  for (int i = 0; i < s.rank(); ++i) {
    if (i) out += ", ";
    out += s[i] < 0 ? "None" : std::to_string(s[i]);
  }
  if (s.rank() == 1) out += ",";
  return out + ")";
}

}  // namespace keras::detail
