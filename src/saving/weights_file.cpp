// Model::save_weights / load_weights: Keras 3's `.weights.h5` layout (FORMATS.md section 2).
//
// The file is a tree of groups, one `vars` group per saveable object, holding that object's own
// variables as datasets "0", "1", ... The model's layers live under `layers/<snake_case(class
// name)>` (de-duplicated with a counter: dense, dense_1, ...), a layer's tracked sublayers under
// `<layer path>/<attribute name>`, the optimizer under `optimizer`, and the model's own variables
// in the root's `vars`. Each `vars` group carries the object's name as its `name` attribute.
#include "saving/weights_file.hpp"

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/naming.hpp"
#include "core/warnings.hpp"
#include "keras/error.hpp"
#include "keras/models/model.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"
#include "saving/h5/h5.hpp"

namespace keras {
namespace {

struct Entry {
  std::string path;  // the `vars` group
  std::string name;  // the object's name (the group's `name` attribute)
  std::string what;  // "Layer 'dense'" or "optimizer 'adam'", for messages
  std::vector<Variable> variables;
  bool is_optimizer = false;
};

class Walker {
 public:
  std::vector<Entry> entries;

  void model(const Model& m, const std::string& prefix) {
    visited_.insert(&m);
    std::map<std::string, int> used;
    for (const auto& layer : m.layers()) {
      std::string key = detail::to_snake_case(layer->class_name());
      const int n = used[key]++;
      if (n > 0) key.append(1, '_').append(std::to_string(n));
      visit(*layer, prefix + "layers/" + key);
    }
    if (m.compiled()) {
      const optimizers::Optimizer& opt = m.optimizer();
      entries.push_back(
          {prefix + "optimizer/vars", opt.name(), "optimizer '" + opt.name() + "'", opt.variables(), true});
    }
    // Sublayers tracked outside layers() (none for Sequential and subclassed models today).
    const auto subs = m.sublayers();
    const auto names = m.tracked_names();
    for (size_t i = 0; i < subs.size(); ++i) visit(*subs[i], prefix + names[i]);
    entries.push_back({prefix + "vars", m.name(), "Model '" + m.name() + "'", m.own_variables()});
  }

 private:
  void visit(const Layer& layer, const std::string& path) {
    if (!visited_.insert(&layer).second) return;  // shared layers are stored once
    if (const auto* m = dynamic_cast<const Model*>(&layer)) {
      model(*m, path + "/");
      return;
    }
    entries.push_back({path + "/vars", layer.name(), "Layer '" + layer.name() + "'", layer.own_variables()});
    const auto subs = layer.sublayers();
    const auto names = layer.tracked_names();
    for (size_t i = 0; i < subs.size(); ++i) visit(*subs[i], path + "/" + names[i]);
  }

  std::set<const Layer*> visited_;
};

std::vector<int64_t> dims(const Shape& s) { return std::vector<int64_t>(s.begin(), s.end()); }

std::string shape_str(const std::vector<int64_t>& d) { return Shape(d).str(); }

std::string expected_names(const std::vector<Variable>& vars) {
  std::string out = "[";
  for (size_t i = 0; i < vars.size(); ++i) {
    if (i) out += ", ";
    out += '\'';
    out += vars[i].name();
    out += '\'';
  }
  out += ']';
  return out;
}

}  // namespace

void Model::save_weights(const std::string& filepath, SaveWeightsOptions options) {
  if (!filepath.ends_with(".weights.h5"))
    throw ValueError("The filename must end in `.weights.h5`. Received: filepath=" + filepath);
  if (!options.overwrite && std::filesystem::exists(filepath))
    throw Error(filepath + ": the file exists; pass overwrite=true to replace it");
  detail::save_weights_file(*this, filepath, {});
}

void detail::save_weights_file(Model& model, const std::string& filepath,
                               const std::map<std::string, std::string>& root_attributes) {
  if (!filepath.ends_with(".weights.h5"))
    throw ValueError("The filename must end in `.weights.h5`. Received: filepath=" + filepath);
  h5::Writer w = detail::weights_writer(model, root_attributes);
  w.save(filepath);
}

h5::Writer detail::weights_writer(Model& model, const std::map<std::string, std::string>& root_attributes) {
  Walker walker;
  walker.model(model, "");
  h5::Writer w;
  for (const auto& [name, value] : root_attributes) w.set_string_attribute("", name, value);
  for (const Entry& e : walker.entries) {
    w.create_group(e.path);
    w.set_string_attribute(e.path, "name", e.name);
    for (size_t i = 0; i < e.variables.size(); ++i) {
      const Tensor value = e.variables[i].value().contiguous();
      w.create_dataset(e.path + "/" + std::to_string(i), value.dtype(), dims(value.shape()), value.raw_data());
    }
  }
  return w;
}

void Model::load_weights(const std::string& filepath, LoadWeightsOptions options) {
  detail::load_weights_file(*this, filepath, "", options);
}

std::optional<std::string> detail::load_weights_file(Model& model, const std::string& filepath,
                                                     const std::string& attribute, LoadWeightsOptions options) {
  if (filepath.ends_with(".weights.npz"))
    throw ValueError(filepath +
                     ": the npz weights format stores pickled objects, which keras.cpp does not read; save the "
                     "weights as .weights.h5");
  if (!filepath.ends_with(".weights.h5"))
    throw ValueError("File format not supported: filepath=" + filepath +
                     ". keras.cpp reads `.weights.h5` files with load_weights.");
  const h5::File file = h5::File::open(filepath);
  std::optional<std::string> attr;
  if (!attribute.empty()) attr = file.string_attribute("", attribute);
  detail::load_weights_from(model, file, options);
  return attr;
}

void detail::load_weights_from(Model& model, const h5::File& file, LoadWeightsOptions options) {
  Walker walker;
  walker.model(model, "");

  // Everything is read and checked first; the model changes only once all of it is good.
  std::vector<std::pair<Variable, Tensor>> staged;
  for (const Entry& e : walker.entries) {
    std::vector<std::string> keys;
    const h5::Kind kind = file.kind(e.path);
    if (kind == h5::Kind::group) {
      keys = file.children(e.path);
    } else if (kind != h5::Kind::none) {
      throw ValueError(file.display_name() + ": " + e.path + " is not a group; the file is not a Keras weights file");
    }
    if (keys.size() != e.variables.size()) {
      const std::string msg = e.what + " expected " + std::to_string(e.variables.size()) + " variables, but received " +
                              std::to_string(keys.size()) +
                              " variables during loading. Expected: " + expected_names(e.variables);
      if (e.is_optimizer) {
        detail::user_warning("Skipping variable loading for " + e.what + ", because it has " +
                             std::to_string(e.variables.size()) + " variables whereas the saved optimizer has " +
                             std::to_string(keys.size()) + " variables.");
        continue;
      }
      if (options.skip_mismatch) {
        detail::user_warning(msg + ". Skipping it (skip_mismatch=true).");
        continue;
      }
      std::string hint;
      if (!model.built() || (e.variables.empty() && !keys.empty()))
        hint = " (a layer that is not built has no variables yet: give the model an Input or call it on data first)";
      throw ValueError(msg + hint);
    }
    std::vector<std::pair<Variable, Tensor>> mine;
    bool skip = false;
    for (size_t i = 0; i < e.variables.size() && !skip; ++i) {
      const Variable& v = e.variables[i];
      const std::string dpath = e.path + "/" + std::to_string(i);
      if (file.kind(dpath) != h5::Kind::dataset)
        throw ValueError(file.display_name() + ": " + dpath + " is missing or not a dataset (" + e.what +
                         " needs datasets 0.." + std::to_string(e.variables.size() - 1) + ")");
      const h5::DatasetInfo info = file.dataset_info(dpath);
      if (info.shape != dims(v.shape())) {
        const std::string msg = e.what + ": the variable '" + v.name() + "' has shape " + v.shape().str() +
                                " but the file holds shape " + shape_str(info.shape) + " at " + dpath +
                                "; the weights come from a model of another architecture";
        if (options.skip_mismatch && !e.is_optimizer) {
          detail::user_warning(msg + ". Skipping the layer (skip_mismatch=true).");
          skip = true;
          break;
        }
        throw ValueError(file.display_name() + ": " + msg);
      }
      if (info.dtype != v.dtype() && (is_floating(info.dtype) != is_floating(v.dtype()) || info.dtype == DType::bool_))
        throw ValueError(file.display_name() + ": " + e.what + ": the variable '" + v.name() + "' is " +
                         std::string(dtype_name(v.dtype())) + " but the file holds " +
                         std::string(dtype_name(info.dtype)) + " at " + dpath);
      Tensor t = Tensor::empty(Shape(info.shape), info.dtype);
      file.read_dataset(dpath, info.dtype, info.shape, t.raw_mutable_data());
      if (info.dtype != v.dtype()) t = ops::cast(t, v.dtype());  // e.g. an int32 iteration count
      mine.emplace_back(v, t);
    }
    if (!skip) staged.insert(staged.end(), mine.begin(), mine.end());
  }
  for (auto& [v, t] : staged) {
    Variable target = v;
    target.assign(t);
  }
}

}  // namespace keras
