// Keras 3's object envelopes (FORMATS.md section 1.3), the registry of user classes, config
// readers, and the configs of initializers, regularizers, constraints and activations.
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/warnings.hpp"
#include "keras/error.hpp"
#include "keras/models/model.hpp"
#include "keras/models/sequential.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"
#include "saving/registry.hpp"

namespace keras::saving {

using nlohmann::json;

// ---- the registry -----------------------------------------------------------------------------------

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerFactory> layers;
  std::map<std::string, InitializerFactory> initializers;
  std::map<std::string, RegularizerFactory> regularizers;
  std::map<std::string, ConstraintFactory> constraints;
  std::map<std::string, LossFactory> losses;
  std::map<std::string, MetricFactory> metrics;
  std::map<std::string, OptimizerFactory> optimizers;
  std::map<std::string, ScheduleFactory> schedules;
  std::map<std::string, activations::ActivationFn> activations;
  // kind -> class name -> registered name (first registration wins, as lookups by class name need
  // one answer).
  std::map<ObjectKind, std::map<std::string, std::string>> by_class;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string full_name(const std::string& package, const std::string& name) {
  if (name.empty()) throw ValueError("register_keras_serializable: the class name may not be empty");
  if (name.find('>') != std::string::npos || package.find('>') != std::string::npos)
    throw ValueError("register_keras_serializable: the package and the name may not contain '>'; received package=" +
                     package + ", name=" + name);
  return (package.empty() ? std::string("Custom") : package) + ">" + name;
}

template <class Map, class F>
void add(ObjectKind kind, Map& map, const std::string& package, const std::string& name, F factory) {
  if (!factory) throw ValueError("register_keras_serializable: the factory of '" + name + "' is empty");
  Registry& r = registry();
  const std::string key = full_name(package, name);
  std::lock_guard lock(r.mutex);
  map[key] = std::move(factory);
  r.by_class[kind].emplace(name, key);
}

template <class Map>
typename Map::mapped_type find(ObjectKind kind, Map& map, const detail::Envelope& e) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!e.registered_name.empty()) {
    auto it = map.find(e.registered_name);
    if (it != map.end()) return it->second;
  }
  // A file of another writer may name the class without a registered name, or under "Custom>".
  auto& names = r.by_class[kind];
  auto c = names.find(e.class_name);
  if (c != names.end() && (e.registered_name.empty() || e.registered_name == e.class_name ||
                           e.registered_name.ends_with(">" + e.class_name))) {
    auto it = map.find(c->second);
    if (it != map.end()) return it->second;
  }
  return {};
}

}  // namespace

void register_layer(const std::string& p, const std::string& n, LayerFactory f) {
  add(ObjectKind::layer, registry().layers, p, n, std::move(f));
}
void register_initializer(const std::string& p, const std::string& n, InitializerFactory f) {
  add(ObjectKind::initializer, registry().initializers, p, n, std::move(f));
}
void register_regularizer(const std::string& p, const std::string& n, RegularizerFactory f) {
  add(ObjectKind::regularizer, registry().regularizers, p, n, std::move(f));
}
void register_constraint(const std::string& p, const std::string& n, ConstraintFactory f) {
  add(ObjectKind::constraint, registry().constraints, p, n, std::move(f));
}
void register_loss(const std::string& p, const std::string& n, LossFactory f) {
  add(ObjectKind::loss, registry().losses, p, n, std::move(f));
}
void register_metric(const std::string& p, const std::string& n, MetricFactory f) {
  add(ObjectKind::metric, registry().metrics, p, n, std::move(f));
}
void register_optimizer(const std::string& p, const std::string& n, OptimizerFactory f) {
  add(ObjectKind::optimizer, registry().optimizers, p, n, std::move(f));
}
void register_schedule(const std::string& p, const std::string& n, ScheduleFactory f) {
  add(ObjectKind::schedule, registry().schedules, p, n, std::move(f));
}
void register_activation(const std::string& p, const std::string& n, activations::ActivationFn f) {
  add(ObjectKind::activation, registry().activations, p, n, std::move(f));
}

std::string registered_name(ObjectKind kind, const std::string& class_name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto& names = r.by_class[kind];
  auto it = names.find(class_name);
  return it == names.end() ? std::string() : it->second;
}

void clear_custom_objects() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.layers.clear();
  r.initializers.clear();
  r.regularizers.clear();
  r.constraints.clear();
  r.losses.clear();
  r.metrics.clear();
  r.optimizers.clear();
  r.schedules.clear();
  r.activations.clear();
  r.by_class.clear();
}

std::string detail::unqualified(const char* qualified) {
  std::string s(qualified);
  const auto pos = s.rfind("::");
  return pos == std::string::npos ? s : s.substr(pos + 2);
}

LayerFactory detail::find_layer(const Envelope& e) { return find(ObjectKind::layer, registry().layers, e); }
InitializerFactory detail::find_initializer(const Envelope& e) {
  return find(ObjectKind::initializer, registry().initializers, e);
}
RegularizerFactory detail::find_regularizer(const Envelope& e) {
  return find(ObjectKind::regularizer, registry().regularizers, e);
}
ConstraintFactory detail::find_constraint(const Envelope& e) {
  return find(ObjectKind::constraint, registry().constraints, e);
}
LossFactory detail::find_loss(const Envelope& e) { return find(ObjectKind::loss, registry().losses, e); }
MetricFactory detail::find_metric(const Envelope& e) { return find(ObjectKind::metric, registry().metrics, e); }
OptimizerFactory detail::find_optimizer(const Envelope& e) {
  return find(ObjectKind::optimizer, registry().optimizers, e);
}
ScheduleFactory detail::find_schedule(const Envelope& e) { return find(ObjectKind::schedule, registry().schedules, e); }

std::optional<activations::ActivationFn> detail::find_activation(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.activations.find(name);
  if (it != r.activations.end()) return it->second;
  auto& names = r.by_class[ObjectKind::activation];
  auto c = names.find(name);
  if (c != names.end()) return r.activations.at(c->second);
  return std::nullopt;
}

std::string detail::activation_registered_name(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.activations.count(name)) return name;
  auto& names = r.by_class[ObjectKind::activation];
  auto c = names.find(name);
  return c == names.end() ? std::string() : c->second;
}

// ---- envelopes --------------------------------------------------------------------------------------

namespace {

std::string excerpt(const json& j) {
  std::string s = j.dump();
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

}  // namespace

detail::Envelope detail::parse_envelope(const json& j, const std::string& what) {
  if (!j.is_object())
    throw ValueError("Could not deserialize the " + what + ": expected an object with `class_name` and `config`, got " +
                     excerpt(j));
  auto cn = j.find("class_name");
  if (cn == j.end() || !cn->is_string())
    throw ValueError("Could not deserialize the " + what + ": `class_name` is missing or not a string in " +
                     excerpt(j));
  Envelope e;
  e.class_name = cn->get<std::string>();
  if (e.class_name == "__lambda__")
    throw ValueError(
        "Refusing to deserialize a Python lambda (marshalled bytecode) in the " + what +
        ": keras.cpp never runs code from a file. Rewrite the function as a C++ class or function and register it "
        "with KERAS_REGISTER_SERIALIZABLE (or keras::saving::register_activation).");
  if (e.class_name.starts_with("__"))
    throw ValueError("Could not deserialize the " + what + ": `" + e.class_name +
                     "` is not a class keras.cpp reads here (in " + excerpt(j) + ")");
  auto m = j.find("module");
  if (m != j.end() && m->is_string()) e.module = m->get<std::string>();
  auto rn = j.find("registered_name");
  if (rn != j.end() && rn->is_string()) e.registered_name = rn->get<std::string>();
  auto c = j.find("config");
  if (c == j.end() || c->is_null()) {
    e.config = json::object();
  } else if (c->is_object()) {
    e.config = *c;
  } else {
    throw ValueError("Could not deserialize the " + what + " '" + e.class_name + "': `config` must be an object, got " +
                     excerpt(*c));
  }
  return e;
}

json detail::make_envelope(ObjectKind kind, const std::string& builtin_module, const std::string& class_name,
                           json config, bool builtin) {
  json out = json::object();
  if (builtin) {
    out["module"] = builtin_module;
    out["class_name"] = class_name;
    out["config"] = std::move(config);
    out["registered_name"] = nullptr;
    return out;
  }
  const std::string reg = registered_name(kind, class_name);
  out["module"] = nullptr;
  out["class_name"] = class_name;
  out["config"] = std::move(config);
  // An unregistered class is written under its bare name, as Keras writes classes it cannot
  // import by name; loading it then asks for the registration.
  out["registered_name"] = reg.empty() ? class_name : reg;
  return out;
}

void detail::unknown_class(const std::string& what, const Envelope& e) {
  std::string name = e.registered_name.empty() ? e.class_name : e.registered_name;
  throw ValueError("Could not locate " + what + " class '" + name +
                   "'. keras.cpp builds only its own classes and those registered by the program: define a C++ class "
                   "named '" +
                   e.class_name +
                   "' with get_config() and a constructor from the config, and register it with "
                   "KERAS_REGISTER_SERIALIZABLE(" +
                   e.class_name + ", \"" +
                   (e.registered_name.find('>') != std::string::npos
                        ? e.registered_name.substr(0, e.registered_name.find('>'))
                        : std::string("Custom")) +
                   "\") before loading.");
}

json detail::parse_json(const std::string& text, const std::string& what) {
  constexpr int kMaxDepth = 200;
  auto cb = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth) throw ValueError(what + ": nested more than " + std::to_string(kMaxDepth) + " levels deep");
    return true;
  };
  try {
    return json::parse(text, cb);
  } catch (const json::exception& e) {
    throw ValueError(what + ": not valid JSON: " + e.what());
  }
}

// ---- ConfigReader -----------------------------------------------------------------------------------

namespace {
const json& null_json() {
  static const json n = nullptr;
  return n;
}
}  // namespace

ConfigReader::ConfigReader(const json& config, std::string what) : config_(config), what_(std::move(what)) {
  if (!config_.is_object()) throw ValueError(what_ + ": the config must be a JSON object, got " + excerpt(config_));
}

bool ConfigReader::has(const std::string& key) const {
  auto it = config_.find(key);
  return it != config_.end() && !it->is_null();
}

const json& ConfigReader::raw(const std::string& key) const {
  used_.push_back(key);
  auto it = config_.find(key);
  return it == config_.end() ? null_json() : *it;
}

void ConfigReader::fail(const std::string& key, const std::string& message) const {
  throw ValueError(what_ + ": the config's `" + key + "` " + message);
}

std::string ConfigReader::get_string(const std::string& key, const std::string& fallback) const {
  auto v = get_optional_string(key);
  return v ? *v : fallback;
}

std::optional<std::string> ConfigReader::get_optional_string(const std::string& key) const {
  const json& v = raw(key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) fail(key, "must be a string, got " + excerpt(v));
  return v.get<std::string>();
}

bool ConfigReader::get_bool(const std::string& key, bool fallback) const {
  const json& v = raw(key);
  if (v.is_null()) return fallback;
  if (!v.is_boolean()) fail(key, "must be true or false, got " + excerpt(v));
  return v.get<bool>();
}

namespace {
std::optional<int64_t> as_int(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}
}  // namespace

int64_t ConfigReader::get_int(const std::string& key, int64_t fallback) const {
  auto v = get_optional_int(key);
  return v ? *v : fallback;
}

std::optional<int64_t> ConfigReader::get_optional_int(const std::string& key) const {
  const json& v = raw(key);
  if (v.is_null()) return std::nullopt;
  auto i = as_int(v);
  if (!i) fail(key, "must be an integer, got " + excerpt(v));
  return *i;
}

double ConfigReader::get_double(const std::string& key, double fallback) const {
  auto v = get_optional_double(key);
  return v ? *v : fallback;
}

std::optional<double> ConfigReader::get_optional_double(const std::string& key) const {
  const json& v = raw(key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number()) fail(key, "must be a number, got " + excerpt(v));
  return v.get<double>();
}

std::vector<int64_t> ConfigReader::get_ints(const std::string& key, std::vector<int64_t> fallback, size_t n) const {
  const json& v = raw(key);
  if (v.is_null()) return fallback;
  if (auto i = as_int(v)) {
    return std::vector<int64_t>(n == 0 ? 1 : n, *i);
  }
  if (!v.is_array()) fail(key, "must be an integer or a list of integers, got " + excerpt(v));
  if (v.size() > 64) fail(key, "has " + std::to_string(v.size()) + " entries; at most 64 are accepted");
  std::vector<int64_t> out;
  for (const json& e : v) {
    auto i = as_int(e);
    if (!i) fail(key, "must be a list of integers, got " + excerpt(v));
    out.push_back(*i);
  }
  if (n != 0 && out.size() != n)
    fail(key, "must have " + std::to_string(n) + " entries, got " + std::to_string(out.size()));
  return out;
}

std::optional<std::vector<int64_t>> ConfigReader::get_optional_ints(const std::string& key) const {
  if (!has(key)) {
    used_.push_back(key);
    return std::nullopt;
  }
  return get_ints(key, {});
}

std::optional<Shape> ConfigReader::get_optional_shape(const std::string& key) const {
  const json& v = raw(key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_array()) fail(key, "must be a list of dimensions (null for unknown), got " + excerpt(v));
  if (v.size() > 64) fail(key, "has " + std::to_string(v.size()) + " dimensions; at most 64 are accepted");
  std::vector<int64_t> dims;
  for (const json& e : v) {
    if (e.is_null()) {
      dims.push_back(-1);
      continue;
    }
    auto i = as_int(e);
    if (!i || *i < 0 || *i > (int64_t{1} << 40))
      fail(key, "must hold non-negative dimensions or null, got " + excerpt(v));
    dims.push_back(*i);
  }
  return Shape(dims);
}

void ConfigReader::ignore(const std::string& key) const { used_.push_back(key); }

void ConfigReader::warn_unused() const {
  std::vector<std::string> unknown;
  for (auto it = config_.begin(); it != config_.end(); ++it)
    if (std::find(used_.begin(), used_.end(), it.key()) == used_.end()) unknown.push_back(it.key());
  if (unknown.empty()) return;
  std::string list;
  for (const auto& k : unknown) list += (list.empty() ? "'" : ", '") + k + "'";
  keras::detail::user_warning(what_ + ": ignoring config keys keras.cpp does not know: " + list);
}

// ---- dtype and base layer arguments ------------------------------------------------------------------

json serialize_dtype_policy(DType dtype) {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", std::string(dtype_name(dtype))}}},
          {"registered_name", nullptr}};
}

namespace {
std::optional<DType> deserialize_dtype_unguarded(const json& j) {
  if (j.is_null()) return std::nullopt;
  std::string name;
  if (j.is_string()) {
    name = j.get<std::string>();
  } else if (j.is_object()) {
    const detail::Envelope e = detail::parse_envelope(j, "dtype policy");
    if (e.class_name != "DTypePolicy" && e.class_name != "FloatDTypePolicy")
      throw ValueError("Unsupported dtype policy '" + e.class_name +
                       "': keras.cpp reads DTypePolicy (float32, float64, ...); mixed precision and quantized "
                       "policies are not supported");
    ConfigReader r(e.config, "DTypePolicy");
    name = r.get_string("name", "float32");
  } else {
    throw ValueError("A layer's `dtype` must be a dtype name or a DTypePolicy object, got " + excerpt(j));
  }
  if (name.starts_with("mixed_"))
    throw ValueError("Unsupported dtype policy '" + name + "': keras.cpp does not support mixed precision yet");
  return dtype_from_name(name);
}
}  // namespace

std::optional<DType> deserialize_dtype(const json& j) {
  return detail::json_guard([&] { return deserialize_dtype_unguarded(j); });
}

LayerOptions layer_options(const json& config) {
  const std::string name = config.is_object() && config.contains("name") && config["name"].is_string()
                               ? config["name"].get<std::string>()
                               : std::string();
  ConfigReader r(config, "Layer '" + name + "'");
  LayerOptions o;
  o.name = r.get_string("name", "");
  o.trainable = r.get_bool("trainable", true);
  o.dtype = deserialize_dtype(r.raw("dtype"));
  return o;
}

// ---- initializers -------------------------------------------------------------------------------------

namespace {

json seed_json(const initializers::InitializerSeed& seed) {
  if (auto s = seed.int_seed()) return *s;
  return nullptr;
}

json axes_json(const std::optional<std::vector<int64_t>>& axes) {
  if (!axes) return nullptr;
  return *axes;
}

initializers::InitializerSeed read_seed(const ConfigReader& r) {
  const json& v = r.raw("seed");
  if (v.is_null()) return {};
  if (v.is_number_integer()) return initializers::InitializerSeed(v.get<int64_t>());
  if (v.is_object())
    throw ValueError(r.what() +
                     ": the seed is a SeedGenerator object; keras.cpp reads integer seeds only (set `seed` to an "
                     "integer or null)");
  r.fail("seed", "must be an integer or null, got " + excerpt(v));
}

bool is_builtin_initializer(const std::string& n) {
  static const std::set<std::string> names{
      "Zeros",           "Ones",          "Constant",        "Identity",      "RandomNormal",
      "TruncatedNormal", "RandomUniform", "VarianceScaling", "GlorotUniform", "GlorotNormal",
      "HeUniform",       "HeNormal",      "LecunUniform",    "LecunNormal",   "Orthogonal"};
  return names.count(n) > 0;
}

}  // namespace

}  // namespace keras::saving

namespace keras::initializers {

nlohmann::json Initializer::get_config() const {
  using nlohmann::json;
  json c = json::object();
  if (const auto* p = dynamic_cast<const Constant*>(this)) {
    c["value"] = p->options().value;
  } else if (const auto* p = dynamic_cast<const Identity*>(this)) {
    // Keras 3.15 writes no keys for Identity; the gain is written only when it is not the default.
    if (p->options().gain != 1.0) c["gain"] = p->options().gain;
  } else if (const auto* p = dynamic_cast<const RandomNormal*>(this)) {
    c["seed"] = saving::seed_json(p->options().seed);
    c["mean"] = p->options().mean;
    c["stddev"] = p->options().stddev;
  } else if (const auto* p = dynamic_cast<const TruncatedNormal*>(this)) {
    c["seed"] = saving::seed_json(p->options().seed);
    c["mean"] = p->options().mean;
    c["stddev"] = p->options().stddev;
  } else if (const auto* p = dynamic_cast<const RandomUniform*>(this)) {
    c["seed"] = saving::seed_json(p->options().seed);
    c["minval"] = p->options().minval;
    c["maxval"] = p->options().maxval;
  } else if (const auto* p = dynamic_cast<const VarianceScaling*>(this)) {
    const auto& o = p->options();
    c["seed"] = saving::seed_json(o.seed);
    if (class_name() == "VarianceScaling") {
      c["scale"] = o.scale;
      c["mode"] = o.mode;
      c["distribution"] = o.distribution;
    }
    c["input_axes"] = saving::axes_json(o.input_axes);
    c["output_axes"] = saving::axes_json(o.output_axes);
  } else if (const auto* p = dynamic_cast<const Orthogonal*>(this)) {
    c["seed"] = saving::seed_json(p->options().seed);
    c["gain"] = p->options().gain;
  }
  return c;
}

}  // namespace keras::initializers

namespace keras::saving {

json serialize_keras_object(const initializers::Initializer& object) {
  const std::string cn = object.class_name();
  return detail::make_envelope(ObjectKind::initializer, "keras.initializers", cn, object.get_config(),
                               is_builtin_initializer(cn) && registered_name(ObjectKind::initializer, cn).empty());
}

json serialize(const initializers::InitializerArg& arg) {
  if (!arg) return nullptr;
  auto init = arg.get();
  if (!init) return nullptr;
  return serialize_keras_object(*init);
}

namespace {
initializers::InitializerArg deserialize_initializer_unguarded(const json& j) {
  using namespace initializers;
  if (j.is_null()) return {};
  if (j.is_string()) return InitializerArg(initializers::get(j.get<std::string>()));
  const detail::Envelope e = detail::parse_envelope(j, "initializer");
  if (auto f = detail::find_initializer(e)) return InitializerArg(std::shared_ptr<const Initializer>(f(e.config)));
  ConfigReader r(e.config, "Initializer '" + e.class_name + "'");
  std::shared_ptr<const Initializer> out;
  const std::string& n = e.class_name;
  auto preset = [&]() {
    VarianceScalingPresetOptions o;
    o.seed = read_seed(r);
    r.ignore("input_axes");
    r.ignore("output_axes");
    return o;
  };
  if (n == "Zeros") {
    out = std::make_shared<Zeros>();
  } else if (n == "Ones") {
    out = std::make_shared<Ones>();
  } else if (n == "Constant") {
    out = std::make_shared<Constant>(ConstantOptions{.value = r.get_double("value", 0.0)});
  } else if (n == "Identity") {
    out = std::make_shared<Identity>(IdentityOptions{.gain = r.get_double("gain", 1.0)});
  } else if (n == "RandomNormal") {
    out = std::make_shared<RandomNormal>(RandomNormalOptions{
        .mean = r.get_double("mean", 0.0), .stddev = r.get_double("stddev", 0.05), .seed = read_seed(r)});
  } else if (n == "TruncatedNormal") {
    out = std::make_shared<TruncatedNormal>(TruncatedNormalOptions{
        .mean = r.get_double("mean", 0.0), .stddev = r.get_double("stddev", 0.05), .seed = read_seed(r)});
  } else if (n == "RandomUniform") {
    out = std::make_shared<RandomUniform>(RandomUniformOptions{
        .minval = r.get_double("minval", -0.05), .maxval = r.get_double("maxval", 0.05), .seed = read_seed(r)});
  } else if (n == "VarianceScaling") {
    VarianceScalingOptions o;
    o.scale = r.get_double("scale", 1.0);
    o.mode = r.get_string("mode", "fan_in");
    o.distribution = r.get_string("distribution", "truncated_normal");
    o.seed = read_seed(r);
    o.input_axes = r.get_optional_ints("input_axes");
    o.output_axes = r.get_optional_ints("output_axes");
    out = std::make_shared<VarianceScaling>(o);
  } else if (n == "GlorotUniform") {
    out = std::make_shared<GlorotUniform>(preset());
  } else if (n == "GlorotNormal") {
    out = std::make_shared<GlorotNormal>(preset());
  } else if (n == "HeUniform") {
    out = std::make_shared<HeUniform>(preset());
  } else if (n == "HeNormal") {
    out = std::make_shared<HeNormal>(preset());
  } else if (n == "LecunUniform") {
    out = std::make_shared<LecunUniform>(preset());
  } else if (n == "LecunNormal") {
    out = std::make_shared<LecunNormal>(preset());
  } else if (n == "Orthogonal") {
    out = std::make_shared<Orthogonal>(OrthogonalOptions{.gain = r.get_double("gain", 1.0), .seed = read_seed(r)});
  } else {
    detail::unknown_class("initializer", e);
  }
  r.warn_unused();
  return InitializerArg(out);
}
}  // namespace

initializers::InitializerArg deserialize_initializer(const json& j) {
  return detail::json_guard([&] { return deserialize_initializer_unguarded(j); });
}

// ---- regularizers -------------------------------------------------------------------------------------

}  // namespace keras::saving

namespace keras::regularizers {
nlohmann::json Regularizer::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  if (const auto* p = dynamic_cast<const L1L2*>(this)) {
    c["l1"] = p->options().l1;
    c["l2"] = p->options().l2;
  } else if (const auto* p = dynamic_cast<const L1*>(this)) {
    c["l1"] = static_cast<double>(static_cast<float>(p->options().l1));  // Keras 3.15 writes L1's as float32
  } else if (const auto* p = dynamic_cast<const L2*>(this)) {
    c["l2"] = p->options().l2;
  } else if (const auto* p = dynamic_cast<const OrthogonalRegularizer*>(this)) {
    c["factor"] = p->options().factor;
    c["mode"] = p->options().mode;
  }
  return c;
}
}  // namespace keras::regularizers

namespace keras::saving {

json serialize_keras_object(const regularizers::Regularizer& object) {
  static const std::set<std::string> builtin{"L1", "L2", "L1L2", "OrthogonalRegularizer"};
  const std::string cn = object.class_name();
  return detail::make_envelope(ObjectKind::regularizer, "keras.regularizers", cn, object.get_config(),
                               builtin.count(cn) && registered_name(ObjectKind::regularizer, cn).empty());
}

json serialize(const regularizers::RegularizerArg& arg) {
  if (!arg || !arg.get()) return nullptr;
  return serialize_keras_object(*arg.get());
}

namespace {
regularizers::RegularizerArg deserialize_regularizer_unguarded(const json& j) {
  using namespace regularizers;
  if (j.is_null()) return {};
  if (j.is_string()) return RegularizerArg(std::shared_ptr<const Regularizer>(regularizers::get(j.get<std::string>())));
  const detail::Envelope e = detail::parse_envelope(j, "regularizer");
  if (auto f = detail::find_regularizer(e)) return RegularizerArg(std::shared_ptr<const Regularizer>(f(e.config)));
  ConfigReader r(e.config, "Regularizer '" + e.class_name + "'");
  std::shared_ptr<const Regularizer> out;
  if (e.class_name == "L1") {
    out = std::make_shared<L1>(L1Options{.l1 = r.get_double("l1", 0.01)});
  } else if (e.class_name == "L2") {
    out = std::make_shared<L2>(L2Options{.l2 = r.get_double("l2", 0.01)});
  } else if (e.class_name == "L1L2") {
    out = std::make_shared<L1L2>(L1L2Options{.l1 = r.get_double("l1", 0.0), .l2 = r.get_double("l2", 0.0)});
  } else if (e.class_name == "OrthogonalRegularizer") {
    out = std::make_shared<OrthogonalRegularizer>(
        OrthogonalRegularizerOptions{.factor = r.get_double("factor", 0.01), .mode = r.get_string("mode", "rows")});
  } else {
    detail::unknown_class("regularizer", e);
  }
  r.warn_unused();
  return RegularizerArg(out);
}
}  // namespace

regularizers::RegularizerArg deserialize_regularizer(const json& j) {
  return detail::json_guard([&] { return deserialize_regularizer_unguarded(j); });
}

// ---- constraints --------------------------------------------------------------------------------------

namespace {
json axis_json(const Axes& a) {
  if (a.all()) return nullptr;
  if (a.list().size() == 1) return a.list()[0];
  return a.list();
}
Axes read_axis(const ConfigReader& r, int64_t fallback) {
  const json& v = r.raw("axis");
  if (v.is_null()) return Axes(fallback);
  if (v.is_number_integer()) return Axes(v.get<int64_t>());
  return Axes(r.get_ints("axis", {}));
}
}  // namespace

}  // namespace keras::saving

namespace keras::constraints {
nlohmann::json Constraint::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  if (const auto* p = dynamic_cast<const MaxNorm*>(this)) {
    c["max_value"] = p->options().max_value;
    c["axis"] = saving::axis_json(p->options().axis);
  } else if (const auto* p = dynamic_cast<const UnitNorm*>(this)) {
    c["axis"] = saving::axis_json(p->options().axis);
  } else if (const auto* p = dynamic_cast<const MinMaxNorm*>(this)) {
    c["min_value"] = p->options().min_value;
    c["max_value"] = p->options().max_value;
    c["rate"] = p->options().rate;
    c["axis"] = saving::axis_json(p->options().axis);
  }
  return c;
}
}  // namespace keras::constraints

namespace keras::saving {

json serialize_keras_object(const constraints::Constraint& object) {
  static const std::set<std::string> builtin{"MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"};
  const std::string cn = object.class_name();
  return detail::make_envelope(ObjectKind::constraint, "keras.constraints", cn, object.get_config(),
                               builtin.count(cn) && registered_name(ObjectKind::constraint, cn).empty());
}

json serialize(const constraints::ConstraintArg& arg) {
  if (!arg || !arg.get()) return nullptr;
  return serialize_keras_object(*arg.get());
}

namespace {
constraints::ConstraintArg deserialize_constraint_unguarded(const json& j) {
  using namespace constraints;
  if (j.is_null()) return {};
  if (j.is_string()) return ConstraintArg(std::shared_ptr<const Constraint>(constraints::get(j.get<std::string>())));
  const detail::Envelope e = detail::parse_envelope(j, "constraint");
  if (auto f = detail::find_constraint(e)) return ConstraintArg(std::shared_ptr<const Constraint>(f(e.config)));
  ConfigReader r(e.config, "Constraint '" + e.class_name + "'");
  std::shared_ptr<const Constraint> out;
  if (e.class_name == "MaxNorm") {
    out =
        std::make_shared<MaxNorm>(MaxNormOptions{.max_value = r.get_double("max_value", 2.0), .axis = read_axis(r, 0)});
  } else if (e.class_name == "NonNeg") {
    out = std::make_shared<NonNeg>();
  } else if (e.class_name == "UnitNorm") {
    out = std::make_shared<UnitNorm>(UnitNormOptions{.axis = read_axis(r, 0)});
  } else if (e.class_name == "MinMaxNorm") {
    out = std::make_shared<MinMaxNorm>(MinMaxNormOptions{.min_value = r.get_double("min_value", 0.0),
                                                         .max_value = r.get_double("max_value", 1.0),
                                                         .rate = r.get_double("rate", 1.0),
                                                         .axis = read_axis(r, 0)});
  } else {
    detail::unknown_class("constraint", e);
  }
  r.warn_unused();
  return ConstraintArg(out);
}
}  // namespace

constraints::ConstraintArg deserialize_constraint(const json& j) {
  return detail::json_guard([&] { return deserialize_constraint_unguarded(j); });
}

// ---- activations --------------------------------------------------------------------------------------

json serialize(const activations::ActivationArg& arg) {
  const std::string& name = arg.name();
  const auto& valid = activations::valid_names();
  if (std::find(valid.begin(), valid.end(), name) != valid.end()) return name;
  const std::string reg = detail::activation_registered_name(name);
  if (!reg.empty())
    return {{"module", nullptr},
            {"class_name", "function"},
            {"config", reg.substr(reg.find('>') + 1)},
            {"registered_name", reg}};
  throw ValueError(
      "Cannot serialize the activation '" + name +
      "': it is a C++ callable without a registered name. Register it with "
      "keras::saving::register_activation(\"package\", \"name\", fn) and pass the name (\"package>name\") as the "
      "layer's activation.");
}

namespace {
activations::ActivationArg deserialize_activation_unguarded(const json& j) {
  if (j.is_null()) return activations::ActivationArg("linear");
  if (j.is_string()) return activations::ActivationArg(j.get<std::string>());
  const detail::Envelope e = detail::parse_envelope(j, "activation");
  // Keras writes built-in functions as {"module": "builtins" or "keras.activations", "class_name":
  // "function", "config": "relu"} and registered ones with their registered name.
  if (e.class_name == "function" || e.module == "keras.activations") {
    const json& c = j.at("config");
    std::string name = c.is_string() ? c.get<std::string>() : e.class_name;
    if (!e.registered_name.empty() && e.registered_name != "function") name = e.registered_name;
    return activations::ActivationArg(name);
  }
  // Activation classes (keras.layers.ReLU and friends as activations) are layers, not functions.
  throw ValueError("Could not deserialize the activation " + excerpt(j) +
                   ": keras.cpp reads activation names and registered activation functions");
}
}  // namespace

activations::ActivationArg deserialize_activation(const json& j) {
  return detail::json_guard([&] { return deserialize_activation_unguarded(j); });
}

// ---- layers -------------------------------------------------------------------------------------------

namespace {

json shape_json(const Shape& s) {
  json a = json::array();
  for (int64_t d : s) {
    if (d < 0)
      a.push_back(nullptr);
    else
      a.push_back(d);
  }
  return a;
}

// A build shape with the batch axis unknown: weights never depend on it, and a layer first built
// on a concrete batch (a subclassed model trained by fit) then loads for any batch size.
json batchless_json(Shape s) {
  if (s.rank() > 0) s[0] = -1;
  return shape_json(s);
}

}  // namespace

bool detail::writes_build_config(const std::string& class_name) {
  // Keras classes that do not define build(): their envelopes carry no build_config.
  static const std::set<std::string> no_build{"InputLayer",
                                              "Flatten",
                                              "Dropout",
                                              "SpatialDropout1D",
                                              "SpatialDropout2D",
                                              "SpatialDropout3D",
                                              "GaussianNoise",
                                              "GaussianDropout",
                                              "AlphaDropout",
                                              "ActivityRegularization",
                                              "Activation",
                                              "ReLU",
                                              "LeakyReLU",
                                              "ELU",
                                              "Softmax",
                                              "MaxPooling1D",
                                              "MaxPooling2D",
                                              "MaxPooling3D",
                                              "AveragePooling1D",
                                              "AveragePooling2D",
                                              "AveragePooling3D",
                                              "GlobalMaxPooling1D",
                                              "GlobalMaxPooling2D",
                                              "GlobalMaxPooling3D",
                                              "GlobalAveragePooling1D",
                                              "GlobalAveragePooling2D",
                                              "GlobalAveragePooling3D",
                                              "Reshape",
                                              "Permute",
                                              "RepeatVector",
                                              "Cropping1D",
                                              "Cropping2D",
                                              "Cropping3D",
                                              "ZeroPadding1D",
                                              "ZeroPadding2D",
                                              "ZeroPadding3D",
                                              "UpSampling1D",
                                              "UpSampling2D",
                                              "UpSampling3D",
                                              "Masking",
                                              "Identity",
                                              "RandomFlip",
                                              "RandomCrop",
                                              "CategoryEncoding"};
  return no_build.count(class_name) == 0;
}

json serialize_keras_object(const Layer& layer) {
  const std::string cn = layer.class_name();
  json out = json::object();
  const std::string reg = registered_name(ObjectKind::layer, cn);
  if (cn == "Sequential" && reg.empty()) {
    out = detail::make_envelope(ObjectKind::layer, "keras", cn, layer.get_config(), true);
  } else if (cn == "Functional" && reg.empty()) {
    out = detail::make_envelope(ObjectKind::layer, "keras.src.models.functional", cn, layer.get_config(), true);
    out["registered_name"] = "Functional";
  } else {
    const bool builtin = reg.empty() && detail::is_builtin_layer(cn);
    out = detail::make_envelope(ObjectKind::layer, "keras.layers", cn, layer.get_config(), builtin);
  }
  if (cn == "Functional") {
    out["build_config"] = {{"input_shape", nullptr}};
  } else if (const auto* seq = dynamic_cast<const Sequential*>(&layer)) {
    if (seq->built() && seq->input_shape()) out["build_config"] = {{"input_shape", shape_json(*seq->input_shape())}};
  } else if (layer.built() && cn == "MultiHeadAttention" && layer.build_input_shapes()) {
    // Keras builds attention from several arguments: {"shapes_dict": {"query_shape", ...}}.
    const auto& shapes = *layer.build_input_shapes();
    json d = json::object();
    const char* keys[] = {"query_shape", "value_shape", "key_shape"};
    for (size_t i = 0; i < shapes.size() && i < 3; ++i) d[keys[i]] = batchless_json(shapes[i]);
    out["build_config"] = {{"shapes_dict", d}};
  } else if (layer.built() && detail::writes_build_config(cn)) {
    if (const auto& shapes = layer.build_input_shapes()) {
      json a = json::array();
      for (const Shape& s : *shapes) a.push_back(batchless_json(s));
      out["build_config"] = {{"input_shape", a}};
    } else if (const auto& s = layer.build_input_shape()) {
      out["build_config"] = {{"input_shape", batchless_json(*s)}};
    }
  }
  return out;
}

namespace {

void build_from_config(Layer& layer, const json& build_config) {
  if (!build_config.is_object()) return;
  auto sd = build_config.find("shapes_dict");
  if (sd != build_config.end() && sd->is_object()) {
    // Layers built from several arguments (attention: query, value, key), in that order.
    std::vector<Shape> shapes;
    for (const char* key : {"query_shape", "value_shape", "key_shape"}) {
      if (!sd->contains(key) || (*sd)[key].is_null()) break;
      json one = {{"s", (*sd)[key]}};
      ConfigReader ri(one, "Layer '" + layer.name() + "' build_config");
      shapes.push_back(*ri.get_optional_shape("s"));
    }
    if (!shapes.empty()) layer.maybe_build_multi(shapes);
    return;
  }
  auto it = build_config.find("input_shape");
  if (it == build_config.end() || it->is_null()) return;
  const json& s = *it;
  ConfigReader r(build_config, "Layer '" + layer.name() + "' build_config");
  if (s.is_array() && !s.empty() && s[0].is_array()) {
    if (s.size() > 64) r.fail("input_shape", "lists too many inputs");
    std::vector<Shape> shapes;
    for (size_t i = 0; i < s.size(); ++i) {
      json one = {{"s", s[i]}};
      ConfigReader ri(one, r.what());
      shapes.push_back(*ri.get_optional_shape("s"));
    }
    layer.maybe_build_multi(shapes);
  } else if (s.is_array()) {
    layer.maybe_build(*r.get_optional_shape("input_shape"));
  }
}

}  // namespace

namespace {
LayerHandle deserialize_layer_unguarded(const json& j) {
  // Models nest models; a file may not nest them without bound.
  thread_local int depth = 0;
  struct Depth {
    Depth() {
      if (++depth > 32) {
        --depth;
        throw ValueError("Could not deserialize the layer: models are nested more than 32 deep");
      }
    }
    ~Depth() { --depth; }
  } guard;
  const detail::Envelope e = detail::parse_envelope(j, "layer");
  std::shared_ptr<Layer> layer;
  if (auto f = detail::find_layer(e)) {
    layer = f(e.config);
  } else if (e.class_name == "Sequential") {
    layer = detail::sequential_from_config(e.config);
  } else if (e.class_name == "Functional" || e.class_name == "Model") {
    layer = detail::functional_from_config(e.config);
  } else {
    layer = detail::make_builtin_layer(e.class_name, e.config);
    if (!layer) detail::unknown_class("layer", e);
  }
  if (!layer) throw ValueError("The factory of layer class '" + e.class_name + "' returned no layer");
  auto bc = j.find("build_config");
  auto* model = dynamic_cast<Model*>(layer.get());
  const bool subclassed = model && !model->is_functional() && !dynamic_cast<Sequential*>(model);
  if (bc != j.end() && (!model || subclassed)) {
    try {
      build_from_config(*layer, *bc);
      // A subclassed model creates its sublayers' weights when it is first called: trace it on a
      // symbolic input of the recorded shape, as Keras' build_from_config does.
      if (subclassed && layer->build_input_shape()) (void)layer->compute_output_shape(*layer->build_input_shape());
    } catch (const Error& err) {
      throw ValueError("Layer '" + layer->name() + "' (" + e.class_name +
                       ") could not be built from its build_config " + excerpt(*bc) + ": " + err.what());
    }
  }
  return LayerHandle(layer);
}
}  // namespace

LayerHandle deserialize_layer(const json& j) {
  return detail::json_guard([&] { return deserialize_layer_unguarded(j); });
}

}  // namespace keras::saving
