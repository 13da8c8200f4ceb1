// Model configs: Functional models' graphs (FORMATS.md section 1.7), Sequential from its config,
// compile configs (section 1.6), to_json / model_from_json.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/warnings.hpp"
#include "keras/error.hpp"
#include "keras/layers/core.hpp"
#include "keras/models/model.hpp"
#include "keras/models/sequential.hpp"
#include "keras/saving.hpp"
#include "layers/layer_node.hpp"
#include "models/compiled_state.hpp"
#include "models/functional.hpp"
#include "saving/registry.hpp"

namespace keras {

using nlohmann::json;

namespace {

json shape_json(const Shape& s) {
  json a = json::array();
  for (int64_t d : s) a.push_back(d < 0 ? json(nullptr) : json(d));
  return a;
}

std::string excerpt(const json& j) {
  std::string s = j.dump();
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

// Layers whose extra inputs Keras passes as the `initial_state` keyword.
bool is_recurrent(const std::string& cn) {
  return cn == "LSTM" || cn == "GRU" || cn == "SimpleRNN" || cn == "RNN" || cn == "Bidirectional";
}

// A model's own numbering of a layer's calls: node -> index among the layer's nodes that belong
// to this model, in call order.
struct NodeNumbering {
  std::map<const detail::LayerNode*, int> index;

  explicit NodeNumbering(const detail::FunctionalGraph& g) {
    std::map<const Layer*, std::vector<const detail::LayerNode*>> by_layer;
    for (const auto& n : g.nodes) by_layer[n->layer.get()].push_back(n.get());
    for (auto& [layer, nodes] : by_layer) {
      std::sort(nodes.begin(), nodes.end(),
                [](const detail::LayerNode* a, const detail::LayerNode* b) { return a->node_index < b->node_index; });
      for (size_t i = 0; i < nodes.size(); ++i) index[nodes[i]] = static_cast<int>(i);
    }
  }

  json history(const Tensor& t) const {
    const auto& impl = t.impl();
    const detail::LayerNode* node = impl->keras_history.get();
    if (!node) throw ValueError("to_json: a tensor of the model's graph has no producing layer");
    auto it = index.find(node);
    if (it == index.end()) throw ValueError("to_json: a tensor of the model's graph comes from outside the model");
    return json::array({node->layer->name(), it->second, impl->keras_history_index});
  }

  json keras_tensor(const Tensor& t) const {
    return {{"class_name", "__keras_tensor__"},
            {"config",
             {{"shape", shape_json(t.shape())},
              {"dtype", std::string(dtype_name(t.dtype()))},
              {"keras_history", history(t)}}}};
  }
};

}  // namespace

// ---- Functional: get_config --------------------------------------------------------------------------

json Model::get_config() const {
  if (!functional_) {
    json c = Layer::get_config();
    return c;
  }
  const detail::FunctionalGraph& g = *functional_;
  const NodeNumbering numbering(g);
  json c = json::object();
  c["name"] = name();
  c["trainable"] = trainable();
  json layers = json::array();
  for (const auto& layer : g.layers) {
    json entry = saving::serialize_keras_object(*layer);
    entry["name"] = layer->name();
    std::vector<const detail::LayerNode*> nodes;
    for (const auto& n : g.nodes)
      if (n->layer == layer) nodes.push_back(n.get());
    std::sort(nodes.begin(), nodes.end(),
              [&](const detail::LayerNode* a, const detail::LayerNode* b) { return a->node_index < b->node_index; });
    json inbound = json::array();
    const std::string cn = layer->class_name();
    for (const detail::LayerNode* n : nodes) {
      if (cn == "InputLayer") continue;
      json args = json::array();
      json kwargs = json::object();
      if (n->inputs.size() == 1) {
        args.push_back(numbering.keras_tensor(n->inputs[0]));
      } else if (cn == "MultiHeadAttention") {
        // Keras' call(query, value, key=None, ...): positional query and value, then keywords.
        args.push_back(numbering.keras_tensor(n->inputs[0]));
        args.push_back(numbering.keras_tensor(n->inputs[1]));
        if (n->inputs.size() > 2) kwargs["key"] = numbering.keras_tensor(n->inputs[2]);
        if (n->inputs.size() > 3) kwargs["attention_mask"] = numbering.keras_tensor(n->inputs[3]);
      } else if (is_recurrent(cn)) {
        args.push_back(numbering.keras_tensor(n->inputs[0]));
        json states = json::array();
        for (size_t i = 1; i < n->inputs.size(); ++i) states.push_back(numbering.keras_tensor(n->inputs[i]));
        kwargs["initial_state"] = states;
      } else {
        json list = json::array();
        for (const Tensor& t : n->inputs) list.push_back(numbering.keras_tensor(t));
        args.push_back(list);
      }
      if (n->training) kwargs["training"] = *n->training;
      inbound.push_back({{"args", args}, {"kwargs", kwargs}});
    }
    entry["inbound_nodes"] = inbound;
    layers.push_back(entry);
  }
  c["layers"] = layers;
  auto endpoints = [&](const std::vector<Tensor>& ts, bool single) {
    if (single && ts.size() == 1) return numbering.history(ts[0]);
    json a = json::array();
    for (const Tensor& t : ts) a.push_back(numbering.history(t));
    return a;
  };
  c["input_layers"] = endpoints(g.inputs, g.single_input);
  c["output_layers"] = endpoints(g.outputs, g.single_output);
  return c;
}

std::string Model::to_json() const { return saving::serialize_keras_object(*this).dump(); }

// ---- Functional: from config -----------------------------------------------------------------------

namespace {

using Endpoint = std::tuple<std::string, int, int>;  // layer name, node index, tensor index

bool is_endpoint(const json& j) {
  return j.is_array() && j.size() >= 3 && j[0].is_string() && j[1].is_number_integer() && j[2].is_number_integer();
}

Endpoint read_endpoint(const json& j, const std::string& where) {
  if (!is_endpoint(j))
    throw ValueError("Functional model config: " + where + " must be [layer name, node index, tensor index], got " +
                     excerpt(j));
  return {j[0].get<std::string>(), j[1].get<int>(), j[2].get<int>()};
}

struct GraphBuilder {
  std::map<std::string, std::shared_ptr<Layer>> layers;
  // (layer name, node index) -> the outputs of that call.
  std::map<std::pair<std::string, int>, std::vector<Tensor>> outputs;

  // The tensor named by a history triple, or nullopt while its node has not run yet.
  std::optional<Tensor> lookup(const Endpoint& e, const std::string& where) const {
    const auto& [name, node, index] = e;
    if (!layers.count(name))
      throw ValueError("Functional model config: " + where + " refers to the layer '" + name +
                       "', which is not in the model's `layers`");
    auto it = outputs.find({name, node});
    if (it == outputs.end()) return std::nullopt;
    if (index < 0 || static_cast<size_t>(index) >= it->second.size())
      throw ValueError("Functional model config: " + where + " asks for output " + std::to_string(index) +
                       " of layer '" + name + "', which has " + std::to_string(it->second.size()));
    return it->second[static_cast<size_t>(index)];
  }
};

// Collects the tensors of one node's arguments in order (nested lists flattened, keyword tensors
// after positional ones, masks left out: masks ride on the tensors). Returns false when a tensor
// is not available yet.
bool collect(const GraphBuilder& b, const json& value, std::vector<Tensor>& out, const std::string& where,
             int depth = 0) {
  if (depth > 16) throw ValueError("Functional model config: " + where + " nests its arguments too deeply");
  if (value.is_array()) {
    for (const json& v : value)
      if (!collect(b, v, out, where, depth + 1)) return false;
    return true;
  }
  if (value.is_object() && value.contains("class_name") && value["class_name"] == "__keras_tensor__") {
    const json& c = value.contains("config") ? value["config"] : json();
    if (!c.is_object() || !c.contains("keras_history"))
      throw ValueError("Functional model config: " + where + ": a __keras_tensor__ without keras_history");
    auto t = b.lookup(read_endpoint(c["keras_history"], where), where);
    if (!t) return false;
    out.push_back(*t);
    return true;
  }
  return true;  // a constant argument: keras.cpp layers take no positional constants
}

const json& empty_array() {
  static const json a = json::array();
  return a;
}

const json& empty_object() {
  static const json o = json::object();
  return o;
}

// The (layer, node) pairs a node's arguments read from (masks left out). Checks the node's form.
void tensor_dependencies(const json& value, std::set<std::pair<std::string, int>>& deps, const std::string& where,
                         int depth = 0) {
  if (depth > 16) throw ValueError("Functional model config: " + where + " nests its arguments too deeply");
  if (value.is_array()) {
    for (const json& v : value) tensor_dependencies(v, deps, where, depth + 1);
  } else if (value.is_object() && value.contains("class_name") && value["class_name"] == "__keras_tensor__") {
    const json& c = value.contains("config") ? value["config"] : empty_object();
    if (!c.is_object() || !c.contains("keras_history"))
      throw ValueError("Functional model config: " + where + ": a __keras_tensor__ without keras_history");
    const Endpoint e = read_endpoint(c["keras_history"], where);
    deps.insert({std::get<0>(e), std::get<1>(e)});
  }
}

void node_dependencies(const json& node, std::set<std::pair<std::string, int>>& deps, const std::string& where) {
  if (node.is_object()) {
    const json& args = node.contains("args") ? node["args"] : empty_array();
    const json& kwargs = node.contains("kwargs") ? node["kwargs"] : empty_object();
    if (!args.is_array() || !kwargs.is_object())
      throw ValueError("Functional model config: " + where + " needs `args` (a list) and `kwargs` (an object)");
    tensor_dependencies(args, deps, where);
    for (auto kv = kwargs.begin(); kv != kwargs.end(); ++kv)
      if (kv.key() != "mask" && kv.key() != "training") tensor_dependencies(kv.value(), deps, where);
  } else if (node.is_array()) {
    for (const json& edge : node) {
      const Endpoint e = read_endpoint(edge, where);
      deps.insert({std::get<0>(e), std::get<1>(e)});
    }
  } else {
    throw ValueError("Functional model config: " + where + " is neither {args, kwargs} nor a Keras 2 node list");
  }
}

}  // namespace

std::shared_ptr<Model> saving::detail::functional_from_config(const json& config) {
  if (!config.is_object()) throw ValueError("Functional model config must be an object, got " + excerpt(config));
  ConfigReader r(config, "Functional model");
  const std::string name = r.get_string("name", "");
  const bool trainable = r.get_bool("trainable", true);
  const json& layer_list = r.raw("layers");
  if (!layer_list.is_array() || layer_list.empty()) r.fail("layers", "must be a non-empty list of layer configs");
  const json& input_layers = r.raw("input_layers");
  const json& output_layers = r.raw("output_layers");
  r.ignore("dtype");
  r.warn_unused();

  GraphBuilder b;
  struct Pending {
    std::string layer;
    json node;
    int index;
  };
  std::vector<Pending> pending;
  std::vector<std::string> order;
  std::set<std::string> skipped;  // op layers whose outputs only feed masks
  for (const json& entry : layer_list) {
    if (!entry.is_object()) throw ValueError("Functional model config: a `layers` entry is not an object");
    const Envelope e = parse_envelope(entry, "layer");
    std::string lname = entry.contains("name") && entry["name"].is_string() ? entry["name"].get<std::string>()
                                                                            : e.config.value("name", std::string());
    if (lname.empty()) throw ValueError("Functional model config: a layer entry has no name: " + excerpt(entry));
    if (b.layers.count(lname)) throw ValueError("Functional model config: the layer name '" + lname + "' repeats");
    if (e.module.starts_with("keras.src.ops")) {
      // An op applied to Functional tensors (NotEqual for Embedding's mask): keras.cpp computes
      // masks itself; any other use of such an op is refused when a node needs it.
      skipped.insert(lname);
      b.layers[lname] = nullptr;
      continue;
    }
    json env = entry;
    env.erase("name");
    env.erase("inbound_nodes");
    LayerHandle layer = deserialize_layer(env);
    if (layer->name() != lname)
      throw ValueError("Functional model config: the entry '" + lname + "' holds a layer named '" + layer->name() +
                       "'");
    b.layers[lname] = layer.ptr();
    order.push_back(lname);
    const json nodes = entry.contains("inbound_nodes") ? entry["inbound_nodes"] : json::array();
    if (!nodes.is_array())
      throw ValueError("Functional model config: `inbound_nodes` of '" + lname + "' is not a list");
    if (auto input = std::dynamic_pointer_cast<layers::InputLayerImpl>(layer.ptr())) {
      b.outputs[{lname, 0}] = {input->output()};
      continue;
    }
    for (size_t i = 0; i < nodes.size(); ++i) pending.push_back({lname, nodes[i], static_cast<int>(i)});
  }

  // Runs each node once the nodes it reads from have run (and, for a layer called several times,
  // after its previous call, so that calls keep their numbers): Kahn's algorithm over the
  // dependencies, lowest position first, linear in the number of nodes whatever their order.
  using Key = std::pair<std::string, int>;
  std::map<Key, size_t> position;
  for (size_t i = 0; i < pending.size(); ++i) position[{pending[i].layer, pending[i].index}] = i;
  std::vector<size_t> missing_count(pending.size(), 0);
  std::map<Key, std::vector<size_t>> waiting;
  for (size_t i = 0; i < pending.size(); ++i) {
    const Pending& p = pending[i];
    const std::string where = "node " + std::to_string(p.index) + " of layer '" + p.layer + "'";
    std::set<Key> deps;
    node_dependencies(p.node, deps, where);
    if (p.index > 0) deps.insert({p.layer, p.index - 1});
    for (const Key& d : deps) {
      if (b.outputs.count(d)) continue;  // an Input
      if (!b.layers.count(d.first))
        throw ValueError("Functional model config: " + where + " refers to the layer '" + d.first +
                         "', which is not in the model's `layers`");
      ++missing_count[i];
      waiting[d].push_back(i);
    }
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < pending.size(); ++i)
    if (missing_count[i] == 0) ready.insert(i);
  size_t done = 0;
  while (!ready.empty()) {
    const size_t i = *ready.begin();
    ready.erase(ready.begin());
    const Pending& p = pending[i];
    const std::string where = "node " + std::to_string(p.index) + " of layer '" + p.layer + "'";
    std::vector<Tensor> inputs;
    std::optional<bool> training;
    const json& node = p.node;
    if (node.is_object()) {
      const json& args = node.contains("args") ? node["args"] : empty_array();
      const json& kwargs = node.contains("kwargs") ? node["kwargs"] : empty_object();
      bool complete = collect(b, args, inputs, where);
      for (auto kv = kwargs.begin(); kv != kwargs.end(); ++kv) {
        if (kv.key() == "mask") continue;
        if (kv.key() == "training") {
          if (kv.value().is_boolean()) training = kv.value().get<bool>();
          continue;
        }
        complete = collect(b, kv.value(), inputs, where) && complete;
      }
      if (!complete) throw ValueError("Functional model config: " + where + " reads a tensor that was not made");
    } else {
      // Keras 2: [[name, node, tensor, kwargs], ...].
      for (const json& edge : node) {
        auto t = b.lookup(read_endpoint(edge, where), where);
        if (!t) throw ValueError("Functional model config: " + where + " reads a tensor that was not made");
        inputs.push_back(*t);
        if (edge.size() > 3 && edge[3].is_object() && edge[3].contains("training") && edge[3]["training"].is_boolean())
          training = edge[3]["training"].get<bool>();
      }
    }
    if (inputs.empty()) throw ValueError("Functional model config: " + where + " has no input tensors");
    const std::shared_ptr<Layer>& layer = b.layers.at(p.layer);
    std::vector<Tensor> outs;
    if (inputs.size() == 1 && !is_recurrent(layer->class_name())) {
      outs = {(*layer)(inputs[0], training)};
    } else {
      outs = (*layer)(inputs, training);
    }
    const Key key{p.layer, p.index};
    b.outputs[key] = outs;
    ++done;
    auto w = waiting.find(key);
    if (w != waiting.end()) {
      for (size_t k : w->second)
        if (--missing_count[k] == 0) ready.insert(k);
      waiting.erase(w);
    }
  }
  if (done != pending.size()) {
    size_t stuck = 0;
    while (missing_count[stuck] == 0) ++stuck;
    std::string hint;
    for (const auto& name : skipped)
      hint = " (it may depend on the op layer '" + name + "', which keras.cpp does not run)";
    throw ValueError("Functional model config: node " + std::to_string(pending[stuck].index) + " of layer '" +
                     pending[stuck].layer +
                     "' waits for a tensor no other node produces; the graph is disconnected or cyclic" + hint);
  }

  auto endpoints = [&](const json& j, const char* what, bool& single) {
    std::vector<Tensor> out;
    if (is_endpoint(j)) {
      single = true;
      auto t = b.lookup(read_endpoint(j, what), what);
      if (!t) throw ValueError(std::string("Functional model config: ") + what + " names a tensor that is never made");
      out.push_back(*t);
      return out;
    }
    single = false;
    json list = j;
    if (j.is_object()) {
      list = json::array();
      for (auto kv = j.begin(); kv != j.end(); ++kv) list.push_back(kv.value());
    }
    if (!list.is_array() || list.empty())
      throw ValueError(std::string("Functional model config: `") + what + "` must list [layer, node, tensor] triples");
    for (const json& e : list) {
      auto t = b.lookup(read_endpoint(e, what), what);
      if (!t) throw ValueError(std::string("Functional model config: ") + what + " names a tensor that is never made");
      out.push_back(*t);
    }
    return out;
  };
  bool single_in = false, single_out = false;
  std::vector<Tensor> ins = endpoints(input_layers, "input_layers", single_in);
  std::vector<Tensor> outs = endpoints(output_layers, "output_layers", single_out);
  Tensors in_t = single_in ? Tensors(ins[0]) : Tensors(ins);
  Tensors out_t = single_out ? Tensors(outs[0]) : Tensors(outs);
  return std::make_shared<Model>(in_t, out_t, ModelOptions{.name = name, .trainable = trainable});
}

std::shared_ptr<Model> saving::detail::sequential_from_config(const json& config) {
  json c = config;
  // Keras 2 wrote a bare list of layers.
  if (c.is_array()) c = json{{"layers", c}};
  ConfigReader r(c, "Sequential model");
  const std::string name = r.get_string("name", "");
  const bool trainable = r.get_bool("trainable", true);
  r.ignore("dtype");
  const json& list = r.raw("layers");
  if (!list.is_array()) r.fail("layers", "must be a list of layer configs");
  std::optional<Shape> build_shape = r.get_optional_shape("build_input_shape");
  r.warn_unused();
  auto model = std::make_shared<Sequential>(std::vector<LayerHandle>{}, name);
  for (const json& entry : list) {
    LayerHandle layer = deserialize_layer(entry);
    // Keras 2 Sequential configs carry the input shape on the first layer.
    if (model->layers().empty() && !model->input_shape() && entry.is_object() && entry.contains("config")) {
      const json& lc = entry["config"];
      if (lc.is_object() && lc.contains("batch_input_shape") && layer->class_name() != "InputLayer") {
        json one = {{"s", lc["batch_input_shape"]}};
        ConfigReader rs(one, "Sequential model's first layer");
        if (auto s = rs.get_optional_shape("s")) {
          std::vector<int64_t> dims(s->begin() + 1, s->end());
          model->add(layers::Input(Shape(dims)));
        }
      }
    }
    model->add(layer);
  }
  if (!model->built() && build_shape && !model->layers().empty()) model->build(*build_shape);
  if (!trainable) model->set_trainable(false);
  return model;
}

// ---- compile config ---------------------------------------------------------------------------------

namespace {

json loss_json(const losses::LossArg& arg) {
  if (!arg || !arg.get()) return nullptr;
  // A loss given by name ("mse") is written by name, as Keras keeps the string.
  if (arg.get()->class_name() == "LossFunctionWrapper") {
    const std::string& name = arg.get()->name();
    try {
      if (losses::get(name)) return name;
    } catch (const Error&) {
    }
  }
  return saving::serialize_keras_object(*arg.get());
}

json metric_json(const metrics::MetricArg& arg) {
  if (arg.is_identifier()) return arg.identifier();
  if (!arg.metric()) return nullptr;
  return saving::serialize_keras_object(*arg.metric());
}

json metric_list(const std::vector<metrics::MetricArg>& list) {
  if (list.empty()) return nullptr;
  json a = json::array();
  for (const auto& m : list) a.push_back(metric_json(m));
  return a;
}

template <class T, class F>
json per_output_json(const PerOutput<T>& p, F f) {
  if (p.empty()) return nullptr;
  if (p.single()) return f(p.values()[0]);
  if (p.by_name()) {
    json o = json::object();
    for (size_t i = 0; i < p.values().size(); ++i) o[p.names()[i]] = f(p.values()[i]);
    return o;
  }
  json a = json::array();
  for (const auto& v : p.values()) a.push_back(f(v));
  return a;
}

std::vector<metrics::MetricArg> read_metrics(const json& j, const std::string& what) {
  std::vector<metrics::MetricArg> out;
  if (j.is_null()) return out;
  const json list = j.is_array() ? j : json::array({j});
  if (list.size() > 1024) throw ValueError("compile_config: `" + what + "` lists too many metrics");
  for (const json& m : list) {
    if (m.is_string()) {
      out.emplace_back(m.get<std::string>());
    } else if (m.is_null()) {
      continue;
    } else {
      out.emplace_back(saving::deserialize_metric(m));
    }
  }
  return out;
}

losses::LossArg read_loss(const json& j) {
  if (j.is_null()) return {};
  if (j.is_string()) return losses::LossArg(j.get<std::string>());
  return losses::LossArg(std::shared_ptr<const losses::Loss>(saving::deserialize_loss(j)));
}

}  // namespace

json Model::get_compile_config() const {
  const detail::CompiledState& st = *state_;
  if (!st.compiled) return json::object();
  const CompileOptions& o = st.options;
  json c = json::object();
  c["optimizer"] = saving::serialize_keras_object(*st.optimizer);
  c["loss"] = per_output_json(o.loss, loss_json);
  c["loss_weights"] = per_output_json(o.loss_weights, [](double w) { return json(w); });
  if (!o.output_metrics.empty()) {
    json m = json::object();
    for (const auto& [out, list] : o.output_metrics) m[out] = metric_list(list);
    c["metrics"] = m;
  } else {
    c["metrics"] = metric_list(o.metrics);
  }
  c["weighted_metrics"] = metric_list(o.weighted_metrics);
  c["run_eagerly"] = o.run_eagerly;
  c["steps_per_execution"] = o.steps_per_execution;
  c["jit_compile"] = false;
  return c;
}

void Model::compile_from_config(const json& config) {
  saving::ConfigReader r(config, "compile_config");
  CompileOptions o;
  const json& opt = r.raw("optimizer");
  if (opt.is_null()) r.fail("optimizer", "is missing");
  o.optimizer = optimizers::OptimizerArg(saving::deserialize_optimizer(opt));
  const json& loss = r.raw("loss");
  if (loss.is_array()) {
    std::vector<losses::LossArg> v;
    for (const json& l : loss) v.push_back(read_loss(l));
    o.loss = PerOutput<losses::LossArg>(v);
  } else if (loss.is_object() && !loss.contains("class_name")) {
    std::map<std::string, losses::LossArg> m;
    for (auto kv = loss.begin(); kv != loss.end(); ++kv) m[kv.key()] = read_loss(kv.value());
    o.loss = PerOutput<losses::LossArg>(m);
  } else if (!loss.is_null()) {
    o.loss = read_loss(loss);
  }
  const json& lw = r.raw("loss_weights");
  if (lw.is_number()) {
    o.loss_weights = lw.get<double>();
  } else if (lw.is_array()) {
    std::vector<double> v;
    for (const json& w : lw) {
      if (!w.is_number()) r.fail("loss_weights", "must hold numbers");
      v.push_back(w.get<double>());
    }
    o.loss_weights = PerOutput<double>(v);
  } else if (lw.is_object()) {
    std::map<std::string, double> m;
    for (auto kv = lw.begin(); kv != lw.end(); ++kv) {
      if (!kv.value().is_number()) r.fail("loss_weights", "must hold numbers");
      m[kv.key()] = kv.value().get<double>();
    }
    o.loss_weights = PerOutput<double>(m);
  } else if (!lw.is_null()) {
    r.fail("loss_weights", "must be a number, a list or an object");
  }
  const json& metrics = r.raw("metrics");
  if (metrics.is_object() && !metrics.contains("class_name")) {
    for (auto kv = metrics.begin(); kv != metrics.end(); ++kv)
      o.output_metrics[kv.key()] = read_metrics(kv.value(), "metrics");
  } else if (metrics.is_array() && !metrics.empty() && metrics[0].is_array() && !is_functional()) {
    // Keras 2 wrapped a single output's metrics in a list.
    o.metrics = read_metrics(metrics[0], "metrics");
  } else if (metrics.is_array() && !metrics.empty() && metrics[0].is_array()) {
    // Keras' list of lists, one per output (by position).
    const auto names = output_names();
    if (metrics.size() != names.size()) r.fail("metrics", "has one list per output, but the count differs");
    for (size_t i = 0; i < names.size(); ++i) o.output_metrics[names[i]] = read_metrics(metrics[i], "metrics");
  } else {
    o.metrics = read_metrics(metrics, "metrics");
  }
  o.weighted_metrics = read_metrics(r.raw("weighted_metrics"), "weighted_metrics");
  o.run_eagerly = r.get_bool("run_eagerly", false);
  o.steps_per_execution = r.get_int("steps_per_execution", 1);
  const json& jit = r.raw("jit_compile");
  if (jit.is_boolean()) o.jit_compile = jit.get<bool>();
  r.ignore("auto_scale_loss");
  r.warn_unused();
  compile(o);
}

// ---- models from configs ----------------------------------------------------------------------------

namespace models {

Handle<Model> model_from_config(const json& j) {
  LayerHandle layer = saving::deserialize_layer(j);
  auto model = std::dynamic_pointer_cast<Model>(layer.ptr());
  if (!model)
    throw ValueError("model_from_config: the config describes a layer of class '" + layer->class_name() +
                     "', not a model");
  return Handle<Model>(model);
}

Handle<Model> model_from_json(const std::string& text) {
  return model_from_config(saving::detail::parse_json(text, "model_from_json"));
}

}  // namespace models

}  // namespace keras
