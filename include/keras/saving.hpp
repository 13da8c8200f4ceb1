#pragma once
/// keras::saving: Keras 3's object serialization (keras.saving), the registry of classes a file
/// may name, and the `.keras` archive.
///
/// Example:
///   model.save("m.keras");                                   // config.json + model.weights.h5
///   keras::Handle<keras::Model> m = keras::models::load_model("m.keras");
///   std::string json = model.to_json();                      // the architecture alone
///   auto again = keras::models::model_from_json(json);       // new weights
///
///   // A user layer that files can name: get_config() reports its arguments, and a constructor
///   // from the config (or a static from_config) rebuilds it.
///   class Scale : public keras::Layer {
///    public:
///     explicit Scale(const nlohmann::json& config) : keras::Layer(keras::saving::layer_options(config)) {}
///     std::string class_name() const override { return "Scale"; }
///     ...
///   };
///   KERAS_REGISTER_SERIALIZABLE(Scale, "my_package");          // registered name "my_package>Scale"
///
/// Every object is written as Keras' envelope:
///   {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": null}
/// (FORMATS.md section 1.3). Reading resolves classes against a closed registry: the built-in
/// classes and those registered with KERAS_REGISTER_SERIALIZABLE. Nothing in a file can make the
/// program run code: a Lambda layer, a marshalled Python function ("__lambda__") or a class that
/// is not registered is refused with a keras::Error that says how to register it.
#include <concepts>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "keras/activations.hpp"
#include "keras/constraints.hpp"
#include "keras/initializers.hpp"
#include "keras/layers/layer.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/models/model.hpp"
#include "keras/optimizers.hpp"
#include "keras/optimizers/schedules.hpp"
#include "keras/regularizers.hpp"

namespace keras::saving {

// ---- serialize: object -> envelope -----------------------------------------------------------------

/// Keras' serialize_keras_object: {"module", "class_name", "config", "registered_name"}; a layer
/// also carries "build_config" once built.
nlohmann::json serialize_keras_object(const initializers::Initializer& object);
nlohmann::json serialize_keras_object(const regularizers::Regularizer& object);
nlohmann::json serialize_keras_object(const constraints::Constraint& object);
nlohmann::json serialize_keras_object(const losses::Loss& object);
nlohmann::json serialize_keras_object(const metrics::Metric& object);
nlohmann::json serialize_keras_object(const optimizers::Optimizer& object);
nlohmann::json serialize_keras_object(const optimizers::schedules::LearningRateSchedule& object);
nlohmann::json serialize_keras_object(const Layer& object);

/// What a layer's get_config writes for its arguments: null when unset, else the envelope (a
/// string identifier is resolved first, as Keras resolves "glorot_uniform" in the constructor).
nlohmann::json serialize(const initializers::InitializerArg& arg);
nlohmann::json serialize(const regularizers::RegularizerArg& arg);
nlohmann::json serialize(const constraints::ConstraintArg& arg);
/// A built-in activation as its name ("relu"; unset is "linear"); a registered user activation
/// as an envelope.
nlohmann::json serialize(const activations::ActivationArg& arg);
/// The layer's dtype policy object ({"module": "keras", "class_name": "DTypePolicy", ...}).
nlohmann::json serialize_dtype_policy(DType dtype);

// ---- deserialize: envelope (or identifier string) -> object ----------------------------------------
// Each accepts the envelope, a plain identifier string ("glorot_uniform", "l2", "mse") and, where
// Keras does, the legacy Keras 2 form {"class_name": ..., "config": ...}. null gives an empty
// result. Unknown classes, missing or mistyped fields are keras::Error naming the object.

initializers::InitializerArg deserialize_initializer(const nlohmann::json& json);
regularizers::RegularizerArg deserialize_regularizer(const nlohmann::json& json);
constraints::ConstraintArg deserialize_constraint(const nlohmann::json& json);
activations::ActivationArg deserialize_activation(const nlohmann::json& json);
std::shared_ptr<losses::Loss> deserialize_loss(const nlohmann::json& json);
std::shared_ptr<metrics::Metric> deserialize_metric(const nlohmann::json& json);
std::shared_ptr<optimizers::Optimizer> deserialize_optimizer(const nlohmann::json& json);
std::shared_ptr<optimizers::schedules::LearningRateSchedule> deserialize_schedule(const nlohmann::json& json);
/// A layer (or a model) from its envelope, built from its build_config when it has one.
LayerHandle deserialize_layer(const nlohmann::json& json);
/// DType of a layer config's "dtype": a policy object or a plain name ("float32", Keras 3.0-3.3);
/// null or missing gives nullopt.
std::optional<DType> deserialize_dtype(const nlohmann::json& json);

// ---- reading configs --------------------------------------------------------------------------------

/// A view of one object's config for from_config implementations: typed getters that fall back to
/// a default when the key is missing or null, and errors that name the object and the key. Keys
/// that were never read are reported by warn_unused() (Keras' "Unrecognized keyword arguments",
/// made a warning so that configs of newer Keras versions still load).
class ConfigReader {
 public:
  /// `what` names the object in messages ("Layer 'dense' (Dense)").
  ConfigReader(const nlohmann::json& config, std::string what);
  bool has(const std::string& key) const;
  const nlohmann::json& raw(const std::string& key) const;  ///< null when missing
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::optional<std::string> get_optional_string(const std::string& key) const;
  bool get_bool(const std::string& key, bool fallback) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  std::optional<int64_t> get_optional_int(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  std::optional<double> get_optional_double(const std::string& key) const;
  /// An integer list; a single integer is repeated `n` times (Keras' standardize_tuple).
  std::vector<int64_t> get_ints(const std::string& key, std::vector<int64_t> fallback, size_t n = 0) const;
  std::optional<std::vector<int64_t>> get_optional_ints(const std::string& key) const;
  /// A shape with null dims read as -1.
  std::optional<Shape> get_optional_shape(const std::string& key) const;
  /// Marks a key as understood without reading it.
  void ignore(const std::string& key) const;
  /// Warns (once per key) about keys that no getter read.
  void warn_unused() const;
  const std::string& what() const { return what_; }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  const nlohmann::json& config_;
  std::string what_;
  mutable std::vector<std::string> used_;
};

/// name / trainable / dtype of a layer config (the base Layer's arguments).
LayerOptions layer_options(const nlohmann::json& config);

// ---- the registry -----------------------------------------------------------------------------------

enum class ObjectKind { layer, initializer, regularizer, constraint, activation, loss, metric, optimizer, schedule };

/// Makes an object of one class from its config.
using LayerFactory = std::function<std::shared_ptr<Layer>(const nlohmann::json& config)>;
using InitializerFactory = std::function<std::shared_ptr<initializers::Initializer>(const nlohmann::json& config)>;
using RegularizerFactory = std::function<std::shared_ptr<regularizers::Regularizer>(const nlohmann::json& config)>;
using ConstraintFactory = std::function<std::shared_ptr<constraints::Constraint>(const nlohmann::json& config)>;
using LossFactory = std::function<std::shared_ptr<losses::Loss>(const nlohmann::json& config)>;
using MetricFactory = std::function<std::shared_ptr<metrics::Metric>(const nlohmann::json& config)>;
using OptimizerFactory = std::function<std::shared_ptr<optimizers::Optimizer>(const nlohmann::json& config)>;
using ScheduleFactory =
    std::function<std::shared_ptr<optimizers::schedules::LearningRateSchedule>(const nlohmann::json& config)>;

/// Registers a user class under "package>name" (Keras' register_keras_serializable). Registering
/// the same name twice replaces the first. Thread-safe.
void register_layer(const std::string& package, const std::string& name, LayerFactory factory);
void register_initializer(const std::string& package, const std::string& name, InitializerFactory factory);
void register_regularizer(const std::string& package, const std::string& name, RegularizerFactory factory);
void register_constraint(const std::string& package, const std::string& name, ConstraintFactory factory);
void register_loss(const std::string& package, const std::string& name, LossFactory factory);
void register_metric(const std::string& package, const std::string& name, MetricFactory factory);
void register_optimizer(const std::string& package, const std::string& name, OptimizerFactory factory);
void register_schedule(const std::string& package, const std::string& name, ScheduleFactory factory);
/// A user activation function, written as {"module": null, "class_name": "function", "config":
/// name, "registered_name": "package>name"} (Keras' form for registered functions).
void register_activation(const std::string& package, const std::string& name, activations::ActivationFn fn);

/// The registered name of a user class ("my_package>Scale"), or "" when the class (by its
/// class_name) is not registered.
std::string registered_name(ObjectKind kind, const std::string& class_name);

/// Removes every user registration (for tests).
void clear_custom_objects();

namespace detail {
template <class T>
std::shared_ptr<T> make_from_config(const nlohmann::json& config) {
  if constexpr (requires { T::from_config(config); }) {
    return std::shared_ptr<T>(T::from_config(config));
  } else {
    static_assert(std::constructible_from<T, const nlohmann::json&>,
                  "a registered class needs a constructor from `const nlohmann::json&` or a static from_config");
    return std::make_shared<T>(config);
  }
}

template <class T>
bool register_class(const std::string& package, const std::string& name) {
  if constexpr (std::derived_from<T, Layer>) {
    register_layer(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else if constexpr (std::derived_from<T, initializers::Initializer>) {
    register_initializer(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else if constexpr (std::derived_from<T, regularizers::Regularizer>) {
    register_regularizer(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else if constexpr (std::derived_from<T, constraints::Constraint>) {
    register_constraint(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else if constexpr (std::derived_from<T, losses::Loss>) {
    register_loss(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else if constexpr (std::derived_from<T, metrics::Metric>) {
    register_metric(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else if constexpr (std::derived_from<T, optimizers::Optimizer>) {
    register_optimizer(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  } else {
    static_assert(std::derived_from<T, optimizers::schedules::LearningRateSchedule>,
                  "KERAS_REGISTER_SERIALIZABLE takes a layer, model, initializer, regularizer, constraint, loss, "
                  "metric, optimizer or learning rate schedule class");
    register_schedule(package, name, [](const nlohmann::json& c) { return make_from_config<T>(c); });
  }
  return true;
}
}  // namespace detail

}  // namespace keras::saving

#define KERAS_SAVING_CONCAT_INNER(a, b) a##b
#define KERAS_SAVING_CONCAT(a, b) KERAS_SAVING_CONCAT_INNER(a, b)
/// Registers a user class (at namespace scope, after the class): files then name it
/// "package>Class" and load_model / from_config can make it. The name is the class's unqualified
/// name, which must equal what its class_name() returns.
///   KERAS_REGISTER_SERIALIZABLE(Scale, "my_package");
#define KERAS_REGISTER_SERIALIZABLE(Class, package)                                     \
  [[maybe_unused]] static const bool KERAS_SAVING_CONCAT(keras_registered_, __LINE__) = \
      ::keras::saving::detail::register_class<Class>(package, ::keras::saving::detail::unqualified(#Class))

namespace keras::saving::detail {
/// "ns::Scale" -> "Scale".
std::string unqualified(const char* qualified);
}  // namespace keras::saving::detail

namespace keras::models {

/// Options of load_model.
struct LoadModelOptions {
  /// Compile the model from the file's compile_config and restore the optimizer's state.
  bool compile = true;
  /// Refuse anything that would run code (always on: keras.cpp never runs code from a file;
  /// false is accepted for Keras compatibility and changes nothing).
  bool safe_mode = true;
};

/// Reads a `.keras` archive written by Model::save or by Python Keras 3 (a legacy Keras 2 `.h5`
/// full-model file too): the architecture, the weights, and, when compiled, the optimizer, loss
/// and metrics with the optimizer's state, so that fit continues where it stopped.
Handle<Model> load_model(const std::string& filepath, LoadModelOptions options = {});

/// The model of model.to_json() (or Python Keras' to_json), with new weights.
Handle<Model> model_from_json(const std::string& json);

/// A model from its envelope (config.json's content), with new weights.
Handle<Model> model_from_config(const nlohmann::json& json);

}  // namespace keras::models
