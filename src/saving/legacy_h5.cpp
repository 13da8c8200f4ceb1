// Legacy Keras 2 / tf.keras `.h5` full-model files (FORMATS.md section 2.7): the architecture
// from the root's `model_config` attribute, the weights from `model_weights` by layer order (as
// Keras loads them), the compile arguments from `training_config`. Optimizer state in legacy
// files is not read (its variable names depend on the TensorFlow optimizer generation).
#include "saving/legacy_h5.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/variable_budget.hpp"
#include "core/warnings.hpp"
#include "keras/error.hpp"
#include "keras/ops.hpp"
#include "saving/registry.hpp"

namespace keras::saving::detail {
namespace {

using nlohmann::json;

// An attribute Keras may have split into name0, name1, ... when it was too large for one header.
std::vector<std::string> chunked_list(const h5::File& f, const std::string& path, const std::string& name) {
  const auto attrs = f.attribute_names(path);
  auto has = [&](const std::string& n) { return std::find(attrs.begin(), attrs.end(), n) != attrs.end(); };
  if (has(name)) return f.string_list_attribute(path, name);
  std::vector<std::string> out;
  for (int i = 0; has(name + std::to_string(i)); ++i) {
    auto part = f.string_list_attribute(path, name + std::to_string(i));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// A layer's variables in the order legacy files list them: trainable ones, then the others.
std::vector<Variable> legacy_variables(const Layer& layer) {
  std::vector<Variable> out;
  const auto all = layer.weights();
  for (const auto& v : all)
    if (v.trainable()) out.push_back(v);
  for (const auto& v : all)
    if (!v.trainable()) out.push_back(v);
  return out;
}

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

void load_legacy_weights(Model& model, const h5::File& f, const std::string& root) {
  const std::string where = f.display_name() + ": " + (root.empty() ? "/" : root);
  std::vector<std::string> names = chunked_list(f, root, "layer_names");
  // Layers with weights, on both sides, are matched by position (Keras' rule).
  std::vector<std::pair<std::string, std::vector<std::string>>> saved;
  for (const auto& n : names) {
    const std::string g = join(root, n);
    if (f.kind(g) != h5::Kind::group) throw ValueError(where + ": the layer group '" + n + "' is missing");
    auto weight_names = chunked_list(f, g, "weight_names");
    if (!weight_names.empty()) saved.emplace_back(n, std::move(weight_names));
  }
  std::vector<std::shared_ptr<Layer>> layers;
  for (const auto& l : model.layers())
    if (!l->weights().empty()) layers.push_back(l);
  if (layers.size() != saved.size())
    throw ValueError(where + ": the file holds weights for " + std::to_string(saved.size()) +
                     " layers, but the model has " + std::to_string(layers.size()) + " layers with weights");
  std::vector<std::pair<Variable, Tensor>> staged;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto vars = legacy_variables(*layers[i]);
    const auto& [group, weight_names] = saved[i];
    if (vars.size() != weight_names.size())
      throw ValueError(where + ": layer '" + layers[i]->name() + "' has " + std::to_string(vars.size()) +
                       " weights, but the file's layer '" + group + "' holds " + std::to_string(weight_names.size()));
    for (size_t k = 0; k < vars.size(); ++k) {
      const std::string path = join(join(root, group), weight_names[k]);
      if (f.kind(path) != h5::Kind::dataset) throw ValueError(where + ": the weight '" + path + "' is missing");
      const h5::DatasetInfo info = f.dataset_info(path);
      const std::vector<int64_t> want(vars[k].shape().begin(), vars[k].shape().end());
      if (info.shape != want)
        throw ValueError(where + ": layer '" + layers[i]->name() + "' weight " + std::to_string(k) + " ('" +
                         vars[k].name() + "') has shape " + vars[k].shape().str() + ", but the file's '" + path +
                         "' has shape " + Shape(info.shape).str());
      if (!is_floating(info.dtype) && is_floating(vars[k].dtype()))
        throw ValueError(where + ": the weight '" + path + "' is not floating point");
      Tensor t = Tensor::empty(Shape(info.shape), info.dtype);
      f.read_dataset(path, info.dtype, info.shape, t.raw_mutable_data());
      if (info.dtype != vars[k].dtype()) t = ops::cast(t, vars[k].dtype());
      staged.emplace_back(vars[k], t);
    }
  }
  for (auto& [v, t] : staged) {
    Variable target = v;
    target.assign(t);
  }
}

}  // namespace

Handle<Model> load_legacy_h5_model(const h5::File& file, bool compile, uint64_t file_bytes) {
  const std::string name = file.display_name();
  const auto config_text = file.string_attribute("", "model_config");
  if (!config_text)
    throw ValueError(name +
                     ": No model config found in the file. It holds weights only: build the model and call "
                     "load_weights");
  const json config = parse_json(*config_text, name + ": model_config");
  if (!config.is_object()) throw ValueError(name + ": model_config must be a JSON object");
  // The variables the config declares must fit in the file.
  keras::detail::VariableBudget budget(file_bytes, name);
  Handle<Model> model = models::model_from_config(config);
  const std::string root = file.kind("model_weights") == h5::Kind::group ? "model_weights" : "";
  load_legacy_weights(*model, file, root);
  if (compile) {
    if (auto training = file.string_attribute("", "training_config")) {
      try {
        const json tc = parse_json(*training, name + ": training_config");
        json cc = json::object();
        cc["optimizer"] = tc.contains("optimizer_config") ? tc["optimizer_config"] : json("rmsprop");
        for (const char* key : {"loss", "metrics", "weighted_metrics", "loss_weights"})
          if (tc.contains(key)) cc[key] = tc[key];
        model->compile_from_config(cc);
      } catch (const Error& e) {
        keras::detail::user_warning(name + ": the model's training configuration could not be restored (" + e.what() +
                                    "); the model is not compiled. Call compile() before fit().");
      }
    }
  }
  return model;
}

}  // namespace keras::saving::detail
