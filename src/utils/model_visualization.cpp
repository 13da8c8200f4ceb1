// Mirrors keras/src/utils/model_visualization.py (model_to_dot, plot_model),
// writing DOT text directly instead of through pydot.
#include "keras/utils/model_visualization.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.hpp"
#include "keras/models/sequential.hpp"
#include "models/functional.hpp"

namespace keras::utils {

namespace {

std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string shape_text(const Shape& s) { return detail::format_summary_shape(s); }

std::string label_of(const Layer& layer, const std::vector<Shape>& in_shapes, const std::vector<Shape>& out_shapes,
                     DType out_dtype, const PlotModelOptions& o) {
  std::string label = o.show_layer_names ? layer.name() + " (" + layer.class_name() + ")" : layer.class_name();
  if (o.show_layer_activations) {
    const nlohmann::json c = layer.get_config();
    if (c.contains("activation") && c["activation"].is_string())
      label += "\\nActivation: " + c["activation"].get<std::string>();
  }
  if (o.show_dtype) label += "\\nOutput dtype: " + std::string(dtype_name(out_dtype));
  if (o.show_shapes) {
    auto join = [](const std::vector<Shape>& shapes) {
      if (shapes.empty()) return std::string("?");
      if (shapes.size() == 1) return shape_text(shapes[0]);
      std::string out = "[";
      for (size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + shape_text(shapes[i]);
      return out + "]";
    };
    label += "\\nInput shape: " + join(in_shapes) + "\\nOutput shape: " + join(out_shapes);
  }
  if (o.show_trainable) label += std::string("\\nTrainable: ") + (layer.trainable() ? "True" : "False");
  return label;
}

}  // namespace

std::string model_to_dot(Model& model, const PlotModelOptions& o) {
  if (o.rankdir != "TB" && o.rankdir != "LR" && o.rankdir != "BT" && o.rankdir != "RL")
    throw ValueError("plot_model: rankdir must be \"TB\", \"LR\", \"BT\" or \"RL\"; received \"" + o.rankdir + "\"");
  std::ostringstream dot;
  dot << "digraph \"" << dot_escape(model.name()) << "\" {\n";
  dot << "  graph [rankdir=" << o.rankdir << ", concentrate=true];\n";
  dot << "  node [shape=record, fontname=\"Helvetica\"];\n";
  std::map<const Layer*, std::string> ids;
  auto id_of = [&](const Layer* l) {
    auto it = ids.find(l);
    if (it != ids.end()) return it->second;
    return ids[l] = "layer" + std::to_string(ids.size());
  };
  auto node_line = [&](const Layer& l, const std::vector<Shape>& in, const std::vector<Shape>& out, DType dt) {
    dot << "  " << id_of(&l) << " [label=\"" << dot_escape(label_of(l, in, out, dt, o)) << "\"];\n";
  };
  if (model.is_functional()) {
    const auto graph = model.functional_graph();
    // One box per layer (its last call's shapes), an arrow per input of every call.
    std::map<const Layer*, std::shared_ptr<detail::LayerNode>> last;
    for (const auto& node : graph->nodes) last[node->layer.get()] = node;
    for (const auto& l : graph->layers) {
      const auto& node = last.at(l.get());
      std::vector<Shape> in;
      for (const auto& x : node->inputs) in.push_back(x.shape());
      if (in.empty()) in = node->output_shapes;  // an InputLayer
      node_line(*l, in, node->output_shapes, node->output_dtypes.empty() ? l->dtype() : node->output_dtypes[0]);
    }
    for (const auto& node : graph->nodes)
      for (const auto& x : node->inputs)
        dot << "  " << id_of(x.impl()->keras_history->layer.get()) << " -> " << id_of(node->layer.get()) << ";\n";
  } else {
    const auto layers = model.layers();
    const auto* seq = dynamic_cast<const Sequential*>(&model);
    std::optional<Shape> prev = seq ? seq->input_shape() : std::nullopt;
    for (size_t i = 0; i < layers.size(); ++i) {
      std::vector<Shape> in, out;
      if (prev) in.push_back(*prev);
      if (seq && i < seq->output_shapes().size())
        out.push_back(seq->output_shapes()[i]);
      else if (layers[i]->last_output_shape())
        out.push_back(*layers[i]->last_output_shape());
      node_line(*layers[i], in, out, layers[i]->dtype());
      prev = out.empty() ? std::nullopt : std::optional<Shape>(out[0]);
    }
    if (seq)
      for (size_t i = 1; i < layers.size(); ++i)
        dot << "  " << id_of(layers[i - 1].get()) << " -> " << id_of(layers[i].get()) << ";\n";
  }
  dot << "}\n";
  return dot.str();
}

void plot_model(Model& model, const PlotModelOptions& o) {
  const std::filesystem::path path(o.to_file);
  const std::string ext = path.extension().string();
  const std::string text = model_to_dot(model, o);
  if (ext == ".dot" || ext == ".gv") {
    core::write_file_atomic(o.to_file, text);
    return;
  }
  if (ext != ".png" && ext != ".svg" && ext != ".pdf" && ext != ".jpg")
    throw ValueError("plot_model: to_file must end in .dot, .png, .svg, .pdf or .jpg; received \"" + o.to_file + "\"");
  // Graphviz renders into a temporary file next to the target, renamed into place when it succeeded.
  const std::string dot_path = o.to_file + ".tmp.dot", image_tmp = o.to_file + ".tmp" + ext;
  core::write_file_atomic(dot_path, text);
  const pid_t pid = fork();
  if (pid < 0) throw RuntimeError("plot_model: cannot start Graphviz (fork failed)");
  if (pid == 0) {
    const std::string format = "-T" + ext.substr(1), dpi = "-Gdpi=" + std::to_string(o.dpi);
    execlp("dot", "dot", format.c_str(), dpi.c_str(), "-o", image_tmp.c_str(), dot_path.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::filesystem::remove(dot_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::error_code ec;
    std::filesystem::remove(image_tmp, ec);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      throw ValueError(
          "plot_model: writing " + ext.substr(1) +
          " needs Graphviz's `dot` program, which is not installed (Debian: apt install graphviz); or give "
          "to_file a .dot name to write the graph as text");
    throw RuntimeError("plot_model: Graphviz's `dot` failed to render " + o.to_file);
  }
  std::filesystem::rename(image_tmp, o.to_file);
}

}  // namespace keras::utils
