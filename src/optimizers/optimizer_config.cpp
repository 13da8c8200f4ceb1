// Optimizers' and learning-rate schedules' configs (Keras' get_config / from_config) and their
// envelopes in keras::saving.
//
// An optimizer's config is the base optimizer's keys (name, learning_rate, weight_decay, clipnorm,
// global_clipnorm, clipvalue, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
// gradient_accumulation_steps) and then the class's own. Keras keeps a numeric learning rate in a
// float32 variable and writes its value, so 1e-3 is written 0.0010000000474974513; a schedule is
// written as its envelope. Every other number is written as given.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/optimizers.hpp"
#include "keras/optimizers/schedules.hpp"
#include "keras/saving.hpp"
#include "saving/registry.hpp"

namespace keras::optimizers {

using nlohmann::json;

namespace {

template <class T>
json optional_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

std::string describe(const std::string& kind, const std::string& class_name, const json& config) {
  if (config.is_object() && config.contains("name") && config["name"].is_string())
    return kind + " '" + config["name"].get<std::string>() + "' (" + class_name + ")";
  return kind + " (" + class_name + ")";
}

// ---- schedules ---------------------------------------------------------------------------------------------

using ScheduleMaker = std::function<std::shared_ptr<schedules::LearningRateSchedule>(const saving::ConfigReader&)>;

// Keras' schedules have no default for these: a config without them is an error.
double required_double(const saving::ConfigReader& r, const std::string& key) {
  if (!r.has(key)) r.fail(key, "is required");
  return r.get_double(key, 0.0);
}
int64_t required_int(const saving::ConfigReader& r, const std::string& key) {
  if (!r.has(key)) r.fail(key, "is required");
  return r.get_int(key, 0);
}

std::vector<double> read_doubles(const saving::ConfigReader& r, const std::string& key) {
  const json& v = r.raw(key);
  if (!v.is_array()) r.fail(key, "must be a list of numbers, got " + v.dump().substr(0, 80));
  if (v.size() > (size_t{1} << 20)) r.fail(key, "has too many entries (" + std::to_string(v.size()) + ")");
  std::vector<double> out;
  for (const json& e : v) {
    if (!e.is_number()) r.fail(key, "must be a list of numbers, got " + v.dump().substr(0, 80));
    out.push_back(e.get<double>());
  }
  return out;
}

std::shared_ptr<schedules::LearningRateSchedule> make_exponential(const saving::ConfigReader& r) {
  schedules::ExponentialDecayOptions o;
  o.initial_learning_rate = required_double(r, "initial_learning_rate");
  o.decay_steps = required_int(r, "decay_steps");
  o.decay_rate = required_double(r, "decay_rate");
  o.staircase = r.get_bool("staircase", o.staircase);
  o.name = r.get_string("name", o.name);
  return std::make_shared<schedules::ExponentialDecay>(o);
}

std::shared_ptr<schedules::LearningRateSchedule> make_piecewise(const saving::ConfigReader& r) {
  schedules::PiecewiseConstantDecayOptions o;
  if (!r.has("boundaries")) r.fail("boundaries", "is required");
  o.boundaries = r.get_ints("boundaries", {});
  if (!r.has("values")) r.fail("values", "is required");
  o.values = read_doubles(r, "values");
  o.name = r.get_string("name", o.name);
  return std::make_shared<schedules::PiecewiseConstantDecay>(o);
}

std::shared_ptr<schedules::LearningRateSchedule> make_polynomial(const saving::ConfigReader& r) {
  schedules::PolynomialDecayOptions o;
  o.initial_learning_rate = required_double(r, "initial_learning_rate");
  o.decay_steps = required_int(r, "decay_steps");
  o.end_learning_rate = r.get_double("end_learning_rate", o.end_learning_rate);
  o.power = r.get_double("power", o.power);
  o.cycle = r.get_bool("cycle", o.cycle);
  o.name = r.get_string("name", o.name);
  return std::make_shared<schedules::PolynomialDecay>(o);
}

std::shared_ptr<schedules::LearningRateSchedule> make_inverse_time(const saving::ConfigReader& r) {
  schedules::InverseTimeDecayOptions o;
  o.initial_learning_rate = required_double(r, "initial_learning_rate");
  o.decay_steps = required_int(r, "decay_steps");
  o.decay_rate = required_double(r, "decay_rate");
  o.staircase = r.get_bool("staircase", o.staircase);
  o.name = r.get_string("name", o.name);
  return std::make_shared<schedules::InverseTimeDecay>(o);
}

std::shared_ptr<schedules::LearningRateSchedule> make_cosine(const saving::ConfigReader& r) {
  schedules::CosineDecayOptions o;
  o.initial_learning_rate = required_double(r, "initial_learning_rate");
  o.decay_steps = required_int(r, "decay_steps");
  o.alpha = r.get_double("alpha", o.alpha);
  o.name = r.get_string("name", o.name);
  o.warmup_target = r.get_optional_double("warmup_target");
  o.warmup_steps = r.get_int("warmup_steps", o.warmup_steps);
  return std::make_shared<schedules::CosineDecay>(o);
}

std::shared_ptr<schedules::LearningRateSchedule> make_cosine_restarts(const saving::ConfigReader& r) {
  schedules::CosineDecayRestartsOptions o;
  o.initial_learning_rate = required_double(r, "initial_learning_rate");
  o.first_decay_steps = required_int(r, "first_decay_steps");
  o.t_mul = r.get_double("t_mul", o.t_mul);
  o.m_mul = r.get_double("m_mul", o.m_mul);
  o.alpha = r.get_double("alpha", o.alpha);
  o.name = r.get_string("name", o.name);
  return std::make_shared<schedules::CosineDecayRestarts>(o);
}

const std::map<std::string, ScheduleMaker>& builtin_schedules() {
  static const std::map<std::string, ScheduleMaker> m = {
      {"ExponentialDecay", make_exponential}, {"PiecewiseConstantDecay", make_piecewise},
      {"PolynomialDecay", make_polynomial},   {"InverseTimeDecay", make_inverse_time},
      {"CosineDecay", make_cosine},           {"CosineDecayRestarts", make_cosine_restarts},
  };
  return m;
}

// ---- optimizers --------------------------------------------------------------------------------------------

using OptimizerMaker = std::function<std::shared_ptr<Optimizer>(const saving::ConfigReader&)>;

// The base optimizer's arguments.
template <class Opts>
void read_common(const saving::ConfigReader& r, Opts& o) {
  o.name = r.get_string("name", o.name);
  const json& lr = r.raw("learning_rate");
  if (lr.is_number()) {
    o.learning_rate = lr.get<double>();
  } else if (lr.is_object()) {
    o.learning_rate =
        LearningRate(std::shared_ptr<const schedules::LearningRateSchedule>(saving::deserialize_schedule(lr)));
  } else if (!lr.is_null()) {
    r.fail("learning_rate", "must be a number or a learning rate schedule object, got " + lr.dump().substr(0, 80));
  }
  if constexpr (std::is_same_v<decltype(o.weight_decay), double>)
    o.weight_decay = r.get_double("weight_decay", o.weight_decay);  // AdamW: required, a number
  else
    o.weight_decay = r.get_optional_double("weight_decay");
  o.clipnorm = r.get_optional_double("clipnorm");
  o.global_clipnorm = r.get_optional_double("global_clipnorm");
  o.clipvalue = r.get_optional_double("clipvalue");
  o.use_ema = r.get_bool("use_ema", o.use_ema);
  o.ema_momentum = r.get_double("ema_momentum", o.ema_momentum);
  o.ema_overwrite_frequency = r.get_optional_int("ema_overwrite_frequency");
  o.loss_scale_factor = r.get_optional_double("loss_scale_factor");
  o.gradient_accumulation_steps = r.get_optional_int("gradient_accumulation_steps");
}

std::shared_ptr<Optimizer> make_sgd(const saving::ConfigReader& r) {
  SGD::Options o;
  read_common(r, o);
  o.momentum = r.get_double("momentum", o.momentum);
  o.nesterov = r.get_bool("nesterov", o.nesterov);
  return std::make_shared<SGD>(o);
}

std::shared_ptr<Optimizer> make_rmsprop(const saving::ConfigReader& r) {
  RMSprop::Options o;
  read_common(r, o);
  o.rho = r.get_double("rho", o.rho);
  o.momentum = r.get_double("momentum", o.momentum);
  o.epsilon = r.get_double("epsilon", o.epsilon);
  o.centered = r.get_bool("centered", o.centered);
  return std::make_shared<RMSprop>(o);
}

template <class A>
std::shared_ptr<Optimizer> make_adam(const saving::ConfigReader& r) {
  typename A::Options o;
  read_common(r, o);
  o.beta_1 = r.get_double("beta_1", o.beta_1);
  o.beta_2 = r.get_double("beta_2", o.beta_2);
  o.epsilon = r.get_double("epsilon", o.epsilon);
  o.amsgrad = r.get_bool("amsgrad", o.amsgrad);
  return std::make_shared<A>(o);
}

std::shared_ptr<Optimizer> make_adagrad(const saving::ConfigReader& r) {
  Adagrad::Options o;
  read_common(r, o);
  o.initial_accumulator_value = r.get_double("initial_accumulator_value", o.initial_accumulator_value);
  o.epsilon = r.get_double("epsilon", o.epsilon);
  return std::make_shared<Adagrad>(o);
}

std::shared_ptr<Optimizer> make_adadelta(const saving::ConfigReader& r) {
  Adadelta::Options o;
  read_common(r, o);
  o.rho = r.get_double("rho", o.rho);
  o.epsilon = r.get_double("epsilon", o.epsilon);
  return std::make_shared<Adadelta>(o);
}

// Adamax and Nadam: beta_1, beta_2, epsilon.
template <class A>
std::shared_ptr<Optimizer> make_betas_epsilon(const saving::ConfigReader& r) {
  typename A::Options o;
  read_common(r, o);
  o.beta_1 = r.get_double("beta_1", o.beta_1);
  o.beta_2 = r.get_double("beta_2", o.beta_2);
  o.epsilon = r.get_double("epsilon", o.epsilon);
  return std::make_shared<A>(o);
}

std::shared_ptr<Optimizer> make_lion(const saving::ConfigReader& r) {
  Lion::Options o;
  read_common(r, o);
  o.beta_1 = r.get_double("beta_1", o.beta_1);
  o.beta_2 = r.get_double("beta_2", o.beta_2);
  return std::make_shared<Lion>(o);
}

std::shared_ptr<Optimizer> make_ftrl(const saving::ConfigReader& r) {
  Ftrl::Options o;
  read_common(r, o);
  o.learning_rate_power = r.get_double("learning_rate_power", o.learning_rate_power);
  o.initial_accumulator_value = r.get_double("initial_accumulator_value", o.initial_accumulator_value);
  o.l1_regularization_strength = r.get_double("l1_regularization_strength", o.l1_regularization_strength);
  o.l2_regularization_strength = r.get_double("l2_regularization_strength", o.l2_regularization_strength);
  o.l2_shrinkage_regularization_strength =
      r.get_double("l2_shrinkage_regularization_strength", o.l2_shrinkage_regularization_strength);
  o.beta = r.get_double("beta", o.beta);
  return std::make_shared<Ftrl>(o);
}

const std::map<std::string, OptimizerMaker>& builtin_optimizers() {
  static const std::map<std::string, OptimizerMaker> m = {
      {"SGD", make_sgd},
      {"RMSprop", make_rmsprop},
      {"Adam", make_adam<Adam>},
      {"AdamW", make_adam<AdamW>},
      {"Adagrad", make_adagrad},
      {"Adadelta", make_adadelta},
      {"Adamax", make_betas_epsilon<Adamax>},
      {"Nadam", make_betas_epsilon<Nadam>},
      {"Lion", make_lion},
      {"Ftrl", make_ftrl},
  };
  return m;
}

// The learning rate as the optimizer was given it, for the built-in classes (a user class's is not
// reachable from here; its current value is written).
const LearningRate* given_learning_rate(const Optimizer& opt) {
  if (const auto* o = dynamic_cast<const SGD*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const RMSprop*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const AdamW*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Adam*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Adagrad*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Adadelta*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Adamax*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Nadam*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Lion*>(&opt)) return &o->options().learning_rate;
  if (const auto* o = dynamic_cast<const Ftrl*>(&opt)) return &o->options().learning_rate;
  return nullptr;
}

}  // namespace

json Optimizer::get_config() const {
  json config;
  config["name"] = name();
  const LearningRate* lr = given_learning_rate(*this);
  if (lr != nullptr && lr->schedule())
    config["learning_rate"] = saving::serialize_keras_object(*lr->schedule());
  else
    config["learning_rate"] = learning_rate();  // the float32 variable's value, widened
  config["weight_decay"] = optional_json(weight_decay());
  config["clipnorm"] = optional_json(clipnorm());
  config["global_clipnorm"] = optional_json(global_clipnorm());
  config["clipvalue"] = optional_json(clipvalue());
  config["use_ema"] = use_ema();
  config["ema_momentum"] = ema_momentum();
  config["ema_overwrite_frequency"] = optional_json(ema_overwrite_frequency());
  config["loss_scale_factor"] = optional_json(loss_scale_factor());
  config["gradient_accumulation_steps"] = optional_json(gradient_accumulation_steps());

  if (const auto* o = dynamic_cast<const SGD*>(this)) {
    config["momentum"] = o->options().momentum;
    config["nesterov"] = o->options().nesterov;
  } else if (const auto* o = dynamic_cast<const RMSprop*>(this)) {
    config["rho"] = o->options().rho;
    config["momentum"] = o->options().momentum;
    config["epsilon"] = o->options().epsilon;
    config["centered"] = o->options().centered;
  } else if (const auto* o = dynamic_cast<const AdamW*>(this)) {
    config["beta_1"] = o->options().beta_1;
    config["beta_2"] = o->options().beta_2;
    config["epsilon"] = o->options().epsilon;
    config["amsgrad"] = o->options().amsgrad;
  } else if (const auto* o = dynamic_cast<const Adam*>(this)) {
    config["beta_1"] = o->options().beta_1;
    config["beta_2"] = o->options().beta_2;
    config["epsilon"] = o->options().epsilon;
    config["amsgrad"] = o->options().amsgrad;
  } else if (const auto* o = dynamic_cast<const Adagrad*>(this)) {
    config["initial_accumulator_value"] = o->options().initial_accumulator_value;
    config["epsilon"] = o->options().epsilon;
  } else if (const auto* o = dynamic_cast<const Adadelta*>(this)) {
    config["rho"] = o->options().rho;
    config["epsilon"] = o->options().epsilon;
  } else if (const auto* o = dynamic_cast<const Adamax*>(this)) {
    config["beta_1"] = o->options().beta_1;
    config["beta_2"] = o->options().beta_2;
    config["epsilon"] = o->options().epsilon;
  } else if (const auto* o = dynamic_cast<const Nadam*>(this)) {
    config["beta_1"] = o->options().beta_1;
    config["beta_2"] = o->options().beta_2;
    config["epsilon"] = o->options().epsilon;
  } else if (const auto* o = dynamic_cast<const Lion*>(this)) {
    config["beta_1"] = o->options().beta_1;
    config["beta_2"] = o->options().beta_2;
  } else if (const auto* o = dynamic_cast<const Ftrl*>(this)) {
    const auto& f = o->options();
    config["learning_rate_power"] = f.learning_rate_power;
    config["initial_accumulator_value"] = f.initial_accumulator_value;
    config["l1_regularization_strength"] = f.l1_regularization_strength;
    config["l2_regularization_strength"] = f.l2_regularization_strength;
    config["l2_shrinkage_regularization_strength"] = f.l2_shrinkage_regularization_strength;
    config["beta"] = f.beta;
  }
  return config;
}

json schedules::LearningRateSchedule::get_config() const {
  using namespace schedules;
  if (const auto* s = dynamic_cast<const ExponentialDecay*>(this)) {
    const auto& o = s->options();
    return {{"initial_learning_rate", o.initial_learning_rate},
            {"decay_steps", o.decay_steps},
            {"decay_rate", o.decay_rate},
            {"staircase", o.staircase},
            {"name", o.name}};
  }
  if (const auto* s = dynamic_cast<const PiecewiseConstantDecay*>(this)) {
    const auto& o = s->options();
    return {{"boundaries", o.boundaries}, {"values", o.values}, {"name", o.name}};
  }
  if (const auto* s = dynamic_cast<const PolynomialDecay*>(this)) {
    const auto& o = s->options();
    return {{"initial_learning_rate", o.initial_learning_rate},
            {"decay_steps", o.decay_steps},
            {"end_learning_rate", o.end_learning_rate},
            {"power", o.power},
            {"cycle", o.cycle},
            {"name", o.name}};
  }
  if (const auto* s = dynamic_cast<const InverseTimeDecay*>(this)) {
    const auto& o = s->options();
    return {{"initial_learning_rate", o.initial_learning_rate},
            {"decay_steps", o.decay_steps},
            {"decay_rate", o.decay_rate},
            {"staircase", o.staircase},
            {"name", o.name}};
  }
  if (const auto* s = dynamic_cast<const CosineDecay*>(this)) {
    const auto& o = s->options();
    return {{"initial_learning_rate", o.initial_learning_rate},
            {"decay_steps", o.decay_steps},
            {"alpha", o.alpha},
            {"name", o.name},
            {"warmup_target", optional_json(o.warmup_target)},
            {"warmup_steps", o.warmup_steps}};
  }
  if (const auto* s = dynamic_cast<const CosineDecayRestarts*>(this)) {
    const auto& o = s->options();
    return {{"initial_learning_rate", o.initial_learning_rate},
            {"first_decay_steps", o.first_decay_steps},
            {"t_mul", o.t_mul},
            {"m_mul", o.m_mul},
            {"alpha", o.alpha},
            {"name", o.name}};
  }
  // As Keras' base class: a schedule must say what its arguments are to be saved.
  throw NotImplementedError("Learning rate schedule '" + class_name() +
                            "' must override `get_config()` in order to be serializable.");
}

}  // namespace keras::optimizers

namespace keras::saving {

using nlohmann::json;

json serialize_keras_object(const optimizers::Optimizer& object) {
  const std::string class_name = object.class_name();
  const bool builtin = optimizers::builtin_optimizers().contains(class_name) &&
                       registered_name(ObjectKind::optimizer, class_name).empty();
  return detail::make_envelope(ObjectKind::optimizer, "keras.optimizers", class_name, object.get_config(), builtin);
}

json serialize_keras_object(const optimizers::schedules::LearningRateSchedule& object) {
  const std::string class_name = object.class_name();
  const bool builtin =
      optimizers::builtin_schedules().contains(class_name) && registered_name(ObjectKind::schedule, class_name).empty();
  return detail::make_envelope(ObjectKind::schedule, "keras.optimizers.schedules", class_name, object.get_config(),
                               builtin);
}

namespace {
std::shared_ptr<optimizers::Optimizer> deserialize_optimizer_unguarded(const json& j) {
  if (j.is_null()) return nullptr;
  if (j.is_string()) return optimizers::get(j.get<std::string>());
  const detail::Envelope env = detail::parse_envelope(j, "optimizer");
  if (!env.registered_name.empty() && env.registered_name != env.class_name)
    if (auto factory = detail::find_optimizer(env)) return factory(env.config);
  const auto& makers = optimizers::builtin_optimizers();
  // Keras' optimizers.get also takes the class name in any case ("adam"); files write the class name.
  if (auto it = makers.find(env.class_name); it != makers.end()) {
    ConfigReader reader(env.config, optimizers::describe("Optimizer", env.class_name, env.config));
    auto optimizer = it->second(reader);
    reader.warn_unused();
    return optimizer;
  }
  if (auto factory = detail::find_optimizer(env)) return factory(env.config);
  detail::unknown_class("optimizer", env);
}
}  // namespace

std::shared_ptr<optimizers::Optimizer> deserialize_optimizer(const json& j) {
  return detail::json_guard([&] { return deserialize_optimizer_unguarded(j); });
}

namespace {
std::shared_ptr<optimizers::schedules::LearningRateSchedule> deserialize_schedule_unguarded(const json& j) {
  if (j.is_null()) return nullptr;
  const detail::Envelope env = detail::parse_envelope(j, "learning rate schedule");
  if (!env.registered_name.empty() && env.registered_name != env.class_name)
    if (auto factory = detail::find_schedule(env)) return factory(env.config);
  const auto& makers = optimizers::builtin_schedules();
  if (auto it = makers.find(env.class_name); it != makers.end()) {
    ConfigReader reader(env.config, optimizers::describe("Learning rate schedule", env.class_name, env.config));
    auto schedule = it->second(reader);
    reader.warn_unused();
    return schedule;
  }
  if (auto factory = detail::find_schedule(env)) return factory(env.config);
  detail::unknown_class("learning rate schedule", env);
}
}  // namespace

std::shared_ptr<optimizers::schedules::LearningRateSchedule> deserialize_schedule(const json& j) {
  return detail::json_guard([&] { return deserialize_schedule_unguarded(j); });
}

}  // namespace keras::saving
