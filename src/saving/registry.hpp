#pragma once
// Internal pieces of keras/saving.hpp shared by the serialization files: envelopes, the user
// registry's lookups, and the built-in layer table.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "keras/error.hpp"
#include "keras/saving.hpp"

namespace keras::saving::detail {

/// Runs `f`, turning the JSON library's own exceptions (a value of an unexpected type met while
/// reading a config) into keras::ValueError, so that no other exception leaves a reader.
template <class F>
auto json_guard(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("Could not read the config: a value has an unexpected type (") + e.what() + ")");
  }
}

/// The parts of an object envelope.
struct Envelope {
  std::string class_name;
  std::string module;           // "" when null or missing
  std::string registered_name;  // "" when null or missing
  nlohmann::json config;        // an object ({} when missing)
};

/// Reads {"module", "class_name", "config", "registered_name"} (the legacy Keras 2 form without
/// module / registered_name too). Refuses what is not an object, a missing class_name, and
/// "__lambda__" (marshalled Python code). `what` names the object kind in messages
/// ("initializer", "layer").
Envelope parse_envelope(const nlohmann::json& json, const std::string& what);

/// The envelope for an object: module and registered_name as Keras writes them (the user
/// registry's "package>Name" and module null for a registered user class; `builtin_module` and
/// null for a built-in one).
nlohmann::json make_envelope(ObjectKind kind, const std::string& builtin_module, const std::string& class_name,
                             nlohmann::json config, bool builtin);

/// The error for a class that neither the built-ins nor the registry know.
[[noreturn]] void unknown_class(const std::string& what, const Envelope& e);

/// User registrations, by registered name ("package>Name") or, when the file has no registered
/// name, by class name (the first registration of that class name). Empty when absent.
LayerFactory find_layer(const Envelope& e);
InitializerFactory find_initializer(const Envelope& e);
RegularizerFactory find_regularizer(const Envelope& e);
ConstraintFactory find_constraint(const Envelope& e);
LossFactory find_loss(const Envelope& e);
MetricFactory find_metric(const Envelope& e);
OptimizerFactory find_optimizer(const Envelope& e);
ScheduleFactory find_schedule(const Envelope& e);
std::optional<activations::ActivationFn> find_activation(const std::string& registered_or_plain_name);
/// The registered name of a user activation function object, if any was registered under `name`.
std::string activation_registered_name(const std::string& name);

/// Keras' deserialize for losses and metrics: null gives null; an identifier string, or a plain
/// function envelope {"class_name": "function", "config": "mae"}, goes through `get`; then a user
/// class the file names by registered name, a built-in made by `makers` (class name -> maker of
/// (ConfigReader, config), `describe` naming it in messages), a user class registered under that
/// class name, else unknown_class. Wrapped in json_guard.
template <class T, class Makers, class Get, class Find, class Describe>
std::shared_ptr<T> deserialize_family(const nlohmann::json& j, const std::string& what, const Makers& makers, Get get,
                                      Find find, Describe describe) {
  return json_guard([&]() -> std::shared_ptr<T> {
    if (j.is_null()) return nullptr;
    if (j.is_string()) return get(j.template get<std::string>());
    if (j.is_object() && j.contains("class_name") && j["class_name"] == "function" && j.contains("config") &&
        j["config"].is_string())
      return get(j["config"].template get<std::string>());
    const Envelope env = parse_envelope(j, what);
    if (!env.registered_name.empty() && env.registered_name != env.class_name)
      if (auto factory = find(env)) return factory(env.config);
    if (auto it = makers.find(env.class_name); it != makers.end()) {
      ConfigReader reader(env.config, describe(env.class_name, env.config));
      std::shared_ptr<T> object = it->second(reader, env.config);
      reader.warn_unused();
      return object;
    }
    if (auto factory = find(env)) return factory(env.config);
    unknown_class(what, env);
  });
}

/// Built-in layers: a layer of that Keras class made from its config (layer_registry.cpp), or
/// null when the class is not a built-in layer. Refuses Lambda and the other classes that would
/// run code with a clear error.
std::shared_ptr<Layer> make_builtin_layer(const std::string& class_name, const nlohmann::json& config);

/// Whether a class name is one of the built-in layers (for envelopes' module "keras.layers").
bool is_builtin_layer(const std::string& class_name);

/// Parses JSON text (ValueError naming `what` when it is not JSON). Nesting deeper than 200
/// levels is refused, so that the recursive walks over a config cannot exhaust the stack.
nlohmann::json parse_json(const std::string& text, const std::string& what);

/// Models (model_config.cpp): Sequential and Functional from their configs.
std::shared_ptr<Model> sequential_from_config(const nlohmann::json& config);
std::shared_ptr<Model> functional_from_config(const nlohmann::json& config);

/// Whether Keras' class of that name defines build(), so that its envelope carries build_config.
bool writes_build_config(const std::string& class_name);

}  // namespace keras::saving::detail
