// The `.keras` archive (FORMATS.md section 1): Model::save and keras::models::load_model.

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/atomic_file.hpp"
#include "core/variable_budget.hpp"
#include "core/warnings.hpp"
#include "keras/error.hpp"
#include "keras/models/model.hpp"
#include "keras/saving.hpp"
#include "saving/h5/h5.hpp"
#include "saving/legacy_h5.hpp"
#include "saving/registry.hpp"
#include "saving/weights_file.hpp"
#include "saving/zip.hpp"

namespace keras {

using nlohmann::json;

namespace {

// The Keras version whose config schema keras.cpp writes (FORMATS.md section 1.8).
constexpr const char* kKerasSchemaVersion = "3.15.1";
constexpr const char* kKerasCppVersion = "0.1.0";
// config.json larger than this is refused before it is read.
constexpr uint64_t kMaxJsonBytes = uint64_t{256} << 20;

// json.dumps with its default separators (", " and ": "), ASCII only, as Python Keras writes.
void dump_python(const json& j, std::string& out) {
  switch (j.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += json(it.key()).dump(-1, ' ', true);
        out += ": ";
        dump_python(it.value(), out);
      }
      out += '}';
      break;
    }
    case json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += ", ";
        dump_python(j[i], out);
      }
      out += ']';
      break;
    }
    default:
      out += j.dump(-1, ' ', true);
  }
}

std::string python_json(const json& j) {
  std::string out;
  dump_python(j, out);
  return out;
}

std::string now_string() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

}  // namespace

void Model::save(const std::string& filepath, SaveOptions options) {
  if (filepath.ends_with(".h5") || filepath.ends_with(".hdf5"))
    throw ValueError("keras.cpp writes the native Keras format; the legacy HDF5 format is read only. Save as `" +
                     filepath.substr(0, filepath.rfind('.')) +
                     ".keras` (or save the weights alone with save_weights).");
  if (!filepath.ends_with(".keras"))
    throw ValueError("Invalid filepath extension for saving. Please add the `.keras` extension. Received: filepath=" +
                     filepath);
  if (!options.overwrite && std::filesystem::exists(filepath))
    throw Error(filepath + ": the file exists; pass overwrite=true to replace it");
  json config = saving::serialize_keras_object(*this);
  config["compile_config"] = get_compile_config();
  const std::string config_text = python_json(config);
  json metadata = json::object();
  metadata["keras_version"] = kKerasSchemaVersion;
  metadata["date_saved"] = now_string();
  metadata["keras_cpp_version"] = kKerasCppVersion;
  const std::string metadata_text = python_json(metadata);
  const std::string weights = detail::weights_writer(*this, {}).bytes();
  saving::zip::write_atomic(
      filepath, {{.name = "metadata.json", .fragments = {{metadata_text.data(), metadata_text.size()}}},
                 {.name = "config.json", .fragments = {{config_text.data(), config_text.size()}}},
                 {.name = "model.weights.h5", .fragments = {{weights.data(), weights.size()}}, .epoch_date = false}});
}

namespace saving::detail {

namespace {

Handle<Model> load_unguarded(std::string bytes, const std::string& path, const models::LoadModelOptions& options) {
  using models::model_from_config;
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89HDF\r\n\x1a\n") == 0) {
    const uint64_t n = bytes.size();
    return load_legacy_h5_model(h5::File::from_bytes(std::move(bytes), path), options.compile, n);
  }
  if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0)
    throw ValueError(path + ": not a .keras archive (it does not start with a ZIP header)");
  const saving::zip::Reader zip(std::move(bytes), path);
  if (!zip.contains("config.json"))
    throw ValueError(path + ": the archive has no config.json; it is not a .keras model file");
  if (zip.contains("model.weights.npz") && !zip.contains("model.weights.h5"))
    throw ValueError(path +
                     ": the weights are in model.weights.npz, which keras.cpp does not read (it stores pickled "
                     "objects); save the model with the default weights_format=\"h5\"");
  if (!zip.contains("model.weights.h5"))
    throw ValueError(path + ": Expected a model.weights.h5 or model.weights.npz file.");
  const json config = saving::detail::parse_json(zip.read("config.json", kMaxJsonBytes), path + ": config.json");
  if (!config.is_object())
    throw ValueError(path + ": config.json must hold the model's object, got another JSON value");
  std::string weights_bytes = zip.read("model.weights.h5", uint64_t{1} << 40);
  // The variables the config declares must fit in what the weights member holds (optimizer
  // slots included), so a hostile config cannot make us allocate beyond the file's own size.
  keras::detail::VariableBudget budget(weights_bytes.size(), path + ": model.weights.h5");
  const h5::File weights = h5::File::from_bytes(std::move(weights_bytes), path + ": model.weights.h5");
  Handle<Model> model = model_from_config(config);
  const json compile_config = config.contains("compile_config") ? config["compile_config"] : json();
  const bool compile = options.compile && compile_config.is_object() && !compile_config.empty();
  if (compile) {
    try {
      model->compile_from_config(compile_config);
      // The optimizer's variables must exist before its state is read (when the file has them:
      // an optimizer that never stepped holds only its iteration count and learning rate).
      if (weights.kind("optimizer/vars/2") != h5::Kind::none) model->optimizer().build(model->trainable_variables());
    } catch (const Error& e) {
      keras::detail::user_warning(std::string("Compiled the loaded model, but the compiled metrics have yet to be "
                                              "built or the compile arguments could not be restored: ") +
                                  e.what() + ". The model is not compiled; call compile() before fit().");
    }
  }
  keras::detail::load_weights_from(*model, weights);
  return model;
}

}  // namespace

Handle<Model> load_model_from_bytes(std::string bytes, const std::string& path,
                                    const models::LoadModelOptions& options) {
  return json_guard([&] { return load_unguarded(std::move(bytes), path, options); });
}

}  // namespace saving::detail

namespace models {

Handle<Model> load_model(const std::string& filepath, LoadModelOptions options) {
  if (filepath.ends_with(".weights.h5"))
    throw ValueError(filepath + ": a weights file holds no architecture; build the model and call load_weights");
  if (!filepath.ends_with(".keras") && !filepath.ends_with(".zip") && !filepath.ends_with(".h5") &&
      !filepath.ends_with(".hdf5"))
    throw ValueError("File format not supported: filepath=" + filepath +
                     ". keras.cpp reads native Keras 3 files (.keras) and legacy Keras 2 full-model files (.h5).");
  return saving::detail::load_model_from_bytes(core::read_file(filepath, "model file"), filepath, options);
}

}  // namespace models

}  // namespace keras
