// Losses' configs (Keras' Loss.get_config / from_config) and their envelopes in keras::saving.
//
// Keras 3.15 writes {"name", "reduction"} for every loss, plus each class's own arguments
// (BinaryCrossentropy: from_logits, label_smoothing, axis; ...). It leaves the loss's dtype out,
// and CosineSimilarity's axis and Huber's delta too; reading accepts them when present.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/saving.hpp"
#include "saving/registry.hpp"

namespace keras::losses {

using nlohmann::json;

namespace {

using FnPtr = Tensor (*)(const Tensor&, const Tensor&);

// The loss functions a LossFunctionWrapper can name in a file ("fn": {"class_name": "function",
// "config": "mean_squared_error"}), found by comparing the wrapped function with the one get()
// wraps under that name.
const std::vector<std::string>& function_names() {
  static const std::vector<std::string> names = {"mean_squared_error",
                                                 "mean_absolute_error",
                                                 "mean_absolute_percentage_error",
                                                 "mean_squared_logarithmic_error",
                                                 "cosine_similarity",
                                                 "huber",
                                                 "log_cosh",
                                                 "kl_divergence",
                                                 "poisson",
                                                 "hinge",
                                                 "squared_hinge",
                                                 "categorical_hinge",
                                                 "binary_crossentropy",
                                                 "binary_focal_crossentropy",
                                                 "categorical_crossentropy",
                                                 "categorical_focal_crossentropy",
                                                 "sparse_categorical_crossentropy"};
  return names;
}

std::string function_name(const LossFunctionWrapper& wrapper) {
  const FnPtr* target = wrapper.fn().target<FnPtr>();
  if (target == nullptr) return "";
  static const std::vector<std::pair<FnPtr, std::string>> known = [] {
    std::vector<std::pair<FnPtr, std::string>> v;
    for (const auto& name : function_names()) {
      auto loss = losses::get(name);
      if (const auto* w = dynamic_cast<const LossFunctionWrapper*>(loss.get()))
        if (const FnPtr* p = w->fn().target<FnPtr>()) v.emplace_back(*p, name);
    }
    return v;
  }();
  for (const auto& [fn, name] : known)
    if (fn == *target) return name;
  return "";
}

// Keras' envelope of a plain Python function: {"module": "builtins", "class_name": "function",
// "config": "<name>", "registered_name": "function"}.
json function_envelope(const std::string& name) {
  return {{"module", "builtins"}, {"class_name", "function"}, {"config", name}, {"registered_name", "function"}};
}

json base_config(const Loss& loss) { return {{"name", loss.name()}, {"reduction", loss.reduction()}}; }

// ---- reading ---------------------------------------------------------------------------------------------

struct Common {
  std::string name;
  std::string reduction;
  std::optional<DType> dtype;
};

Common read_common(const saving::ConfigReader& r, const json& config, const std::string& default_name) {
  Common c;
  c.name = r.get_string("name", default_name);
  // Keras accepts reduction=None (written as null), which reduces like "none".
  if (config.contains("reduction") && config["reduction"].is_null())
    c.reduction = "none";
  else
    c.reduction = r.get_string("reduction", "sum_over_batch_size");
  c.dtype = saving::deserialize_dtype(r.raw("dtype"));
  return c;
}

template <class Opts>
void set_common(Opts& o, const Common& c) {
  o.name = c.name;
  o.reduction = c.reduction;
  o.dtype = c.dtype;
}

using Maker = std::function<std::shared_ptr<Loss>(const saving::ConfigReader&, const json& config)>;

// A loss class whose config holds only the base keys (and, for the two Keras leaves out, the one
// option it has).
template <class L>
std::shared_ptr<Loss> make_plain(const saving::ConfigReader& r, const json& config) {
  typename L::Options o;
  set_common(o, read_common(r, config, o.name));
  if constexpr (requires { o.axis; }) o.axis = r.get_int("axis", o.axis);
  if constexpr (requires { o.delta; }) o.delta = r.get_double("delta", o.delta);
  return std::make_shared<L>(o);
}

std::shared_ptr<Loss> make_bce(const saving::ConfigReader& r, const json& config) {
  BinaryCrossentropy::Options o;
  set_common(o, read_common(r, config, o.name));
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing);
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<BinaryCrossentropy>(o);
}

std::shared_ptr<Loss> make_bfce(const saving::ConfigReader& r, const json& config) {
  BinaryFocalCrossentropy::Options o;
  set_common(o, read_common(r, config, o.name));
  o.apply_class_balancing = r.get_bool("apply_class_balancing", o.apply_class_balancing);
  o.alpha = r.get_double("alpha", o.alpha);
  o.gamma = r.get_double("gamma", o.gamma);
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing);
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<BinaryFocalCrossentropy>(o);
}

std::shared_ptr<Loss> make_cce(const saving::ConfigReader& r, const json& config) {
  CategoricalCrossentropy::Options o;
  set_common(o, read_common(r, config, o.name));
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing);
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<CategoricalCrossentropy>(o);
}

std::shared_ptr<Loss> make_cfce(const saving::ConfigReader& r, const json& config) {
  CategoricalFocalCrossentropy::Options o;
  set_common(o, read_common(r, config, o.name));
  if (r.has("alpha") && r.raw("alpha").is_array())
    r.fail("alpha", "a list of per-class weights is not supported yet; give one number");
  o.alpha = r.get_double("alpha", o.alpha);
  o.gamma = r.get_double("gamma", o.gamma);
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing);
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<CategoricalFocalCrossentropy>(o);
}

std::shared_ptr<Loss> make_scce(const saving::ConfigReader& r, const json& config) {
  SparseCategoricalCrossentropy::Options o;
  set_common(o, read_common(r, config, o.name));
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.ignore_class = r.get_optional_int("ignore_class");
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<SparseCategoricalCrossentropy>(o);
}

// Keras' LossFunctionWrapper: {"name", "reduction", "fn": <function>, ...the function's kwargs}.
std::shared_ptr<Loss> make_wrapper(const saving::ConfigReader& r, const json& config) {
  const json& fn = r.raw("fn");
  std::string fn_name;
  if (fn.is_string()) {
    fn_name = fn.get<std::string>();
  } else if (fn.is_object() && fn.contains("config") && fn["config"].is_string()) {
    fn_name = fn["config"].get<std::string>();
  } else {
    r.fail("fn",
           "expected the name of a loss function (a string or {\"class_name\": \"function\", \"config\": "
           "\"mean_squared_error\"})");
  }
  auto by_name = losses::get(fn_name);  // ValueError listing the valid names when unknown
  const auto* wrapped = dynamic_cast<const LossFunctionWrapper*>(by_name.get());
  if (wrapped == nullptr) r.fail("fn", "'" + fn_name + "' is a loss class, not a loss function");
  Common c = read_common(r, config, "loss_function_wrapper");
  return std::make_shared<LossFunctionWrapper>(
      wrapped->fn(), LossFunctionWrapperOptions{.reduction = c.reduction, .name = c.name, .dtype = c.dtype});
}

const std::map<std::string, Maker>& builtin_makers() {
  static const std::map<std::string, Maker> m = {
      {"MeanSquaredError", make_plain<MeanSquaredError>},
      {"MeanAbsoluteError", make_plain<MeanAbsoluteError>},
      {"MeanAbsolutePercentageError", make_plain<MeanAbsolutePercentageError>},
      {"MeanSquaredLogarithmicError", make_plain<MeanSquaredLogarithmicError>},
      {"CosineSimilarity", make_plain<CosineSimilarity>},
      {"Huber", make_plain<Huber>},
      {"LogCosh", make_plain<LogCosh>},
      {"KLDivergence", make_plain<KLDivergence>},
      {"Poisson", make_plain<Poisson>},
      {"Hinge", make_plain<Hinge>},
      {"SquaredHinge", make_plain<SquaredHinge>},
      {"CategoricalHinge", make_plain<CategoricalHinge>},
      {"BinaryCrossentropy", make_bce},
      {"BinaryFocalCrossentropy", make_bfce},
      {"CategoricalCrossentropy", make_cce},
      {"CategoricalFocalCrossentropy", make_cfce},
      {"SparseCategoricalCrossentropy", make_scce},
      {"LossFunctionWrapper", make_wrapper},
  };
  return m;
}

std::string describe(const std::string& class_name, const json& config) {
  if (config.is_object() && config.contains("name") && config["name"].is_string())
    return "Loss '" + config["name"].get<std::string>() + "' (" + class_name + ")";
  return "Loss (" + class_name + ")";
}

}  // namespace

json Loss::get_config() const {
  json config = base_config(*this);
  if (const auto* l = dynamic_cast<const BinaryCrossentropy*>(this)) {
    const auto& o = l->options();
    config["from_logits"] = o.from_logits;
    config["label_smoothing"] = o.label_smoothing;
    config["axis"] = o.axis;
  } else if (const auto* l = dynamic_cast<const BinaryFocalCrossentropy*>(this)) {
    const auto& o = l->options();
    config["from_logits"] = o.from_logits;
    config["label_smoothing"] = o.label_smoothing;
    config["axis"] = o.axis;
    config["apply_class_balancing"] = o.apply_class_balancing;
    config["alpha"] = o.alpha;
    config["gamma"] = o.gamma;
  } else if (const auto* l = dynamic_cast<const CategoricalCrossentropy*>(this)) {
    const auto& o = l->options();
    config["from_logits"] = o.from_logits;
    config["label_smoothing"] = o.label_smoothing;
    config["axis"] = o.axis;
  } else if (const auto* l = dynamic_cast<const CategoricalFocalCrossentropy*>(this)) {
    const auto& o = l->options();
    config["from_logits"] = o.from_logits;
    config["label_smoothing"] = o.label_smoothing;
    config["axis"] = o.axis;
    config["alpha"] = o.alpha;
    config["gamma"] = o.gamma;
  } else if (const auto* l = dynamic_cast<const SparseCategoricalCrossentropy*>(this)) {
    const auto& o = l->options();
    config["from_logits"] = o.from_logits;
    config["ignore_class"] = o.ignore_class ? json(*o.ignore_class) : json(nullptr);
  } else if (const auto* w = dynamic_cast<const LossFunctionWrapper*>(this);
             w != nullptr && (class_name() == "LossFunctionWrapper" || !builtin_makers().contains(class_name()))) {
    // A wrapped function (not one of the classes built on LossFunctionWrapper, whose config is
    // the base one): Keras writes the function by name.
    const std::string fn = function_name(*w);
    config["fn"] = function_envelope(fn.empty() ? name() : fn);
  }
  return config;
}

}  // namespace keras::losses

namespace keras::saving {

using nlohmann::json;

json serialize_keras_object(const losses::Loss& object) {
  const std::string class_name = object.class_name();
  const bool builtin =
      losses::builtin_makers().contains(class_name) && registered_name(ObjectKind::loss, class_name).empty();
  json envelope = detail::make_envelope(ObjectKind::loss, "keras.losses", class_name, object.get_config(), builtin);
  if (builtin && class_name == "LossFunctionWrapper") {
    // Not exported by Keras: its module path, and the class name as the registered name.
    envelope["module"] = "keras.src.losses.losses";
    envelope["registered_name"] = "LossFunctionWrapper";
  }
  return envelope;
}

std::shared_ptr<losses::Loss> deserialize_loss(const json& j) {
  return detail::deserialize_family<losses::Loss>(
      j, "loss", losses::builtin_makers(), [](const std::string& id) { return losses::get(id); }, detail::find_loss,
      losses::describe);
}

}  // namespace keras::saving
