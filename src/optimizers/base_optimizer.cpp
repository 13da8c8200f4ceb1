// Mirrors keras/src/optimizers/base_optimizer.py
//
// One step follows BaseOptimizer.apply and, for gradient accumulation and the
// EMA, the JAX backend's _backend_apply_gradients
// (keras/src/backend/jax/optimizer.py), whose results equal the base class's:
// on a step that only accumulates, JAX runs the update and then restores
// every variable, which leaves exactly what skipping it leaves.
//
// Mutable state lives in one shared OptimizerState, so copies of an optimizer
// are views of the same optimizer (as Python references are).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "autodiff/tape_impl.hpp"
#include "core/naming.hpp"
#include "core/variable_budget.hpp"
#include "keras/error.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

namespace detail {

struct OptimizerState {
  Variable iterations;               // int64 0-d, "iteration": every apply(), accumulating ones included
  Variable learning_rate_var;        // float32 0-d, "learning_rate"; undefined for a schedule or function
  LearningRate learning_rate = 0.0;  // the schedule or function (is_number() when the variable holds it)
  std::vector<Variable> variables;   // every tracked variable, in creation order
  bool built = false;
  std::vector<Variable> trainable;  // what build() was given
  std::vector<uint64_t> trainable_ids;
  std::unordered_map<uint64_t, size_t> index;  // variable id -> position in `trainable`
  std::vector<Variable> averages;              // EMA, one per trainable variable
  std::vector<Variable> accumulators;          // gradient accumulation, one per trainable variable
  std::vector<std::vector<Variable>> slots;    // add_optimizer_variables lists
  std::vector<Variable> added;                 // add_variable
  // exclude_from_weight_decay
  std::unordered_set<uint64_t> exclude_ids;
  std::optional<std::regex> exclude_pattern;
  mutable std::vector<signed char> decay_cache;  // per trainable variable: -1 unknown, 0 no decay, 1 decay
  int64_t step_iterations = 0;                   // Keras' self.iterations during the running apply()
};

namespace {
std::atomic<bool> g_fused_kernels{true};
}  // namespace

bool fused_kernels_enabled() { return g_fused_kernels.load(std::memory_order_relaxed); }
void set_fused_kernels_enabled(bool enabled) { g_fused_kernels.store(enabled, std::memory_order_relaxed); }

}  // namespace detail

namespace {

// keras.src.utils.naming.auto_name over the process-wide counter: the first
// "adam", then "adam_1", "adam_2", ...
std::string auto_name(const std::string& class_name) {
  return keras::detail::auto_name(keras::detail::to_snake_case(class_name));
}

std::string describe(const Variable& v) {
  return "'" + v.name() + "' (shape=" + v.shape().str() + ", dtype=" + std::string(dtype_name(v.dtype())) + ")";
}

std::string sanitized(std::string name) {
  std::replace(name.begin(), name.end(), '/', '_');
  std::replace(name.begin(), name.end(), ':', '_');
  return name;
}

// A 0-d variable's single element, read from (and written to) its own buffer
// without making a Tensor read: cheap enough for every step.
template <class T>
T read_scalar(const Variable& v) {
  return keras::detail::writable_value(v).data<T>()[0];
}
template <class T>
void write_scalar(const Variable& v, T value) {
  keras::detail::writable_value(v).mutable_data<T>()[0] = value;
}

bool fusable(const Tensor& grad, const Variable& var) {
  return detail::fused_kernels_enabled() && var.dtype() == DType::float32 && grad.dtype() == DType::float32 &&
         grad.device().type == DeviceType::CPU;
}

}  // namespace

// ---- LearningRate ---------------------------------------------------------------------------------------

LearningRate::LearningRate(std::shared_ptr<const schedules::LearningRateSchedule> schedule)
    : schedule_(std::move(schedule)) {
  if (!schedule_) throw ValueError("learning_rate: the schedule is null");
}

LearningRate::LearningRate(std::function<double()> fn) : fn_(std::move(fn)) {
  if (!fn_) throw ValueError("learning_rate: the function is empty");
}

// ---- construction ---------------------------------------------------------------------------------------

Optimizer::Optimizer(OptimizerOptions options, const std::string& class_name)
    : options_(std::move(options)), state_(std::make_shared<detail::OptimizerState>()) {
  auto& o = options_;
  // Keras tests `if gradient_accumulation_steps:`, so 0 means "none".
  if (o.gradient_accumulation_steps == 0) o.gradient_accumulation_steps.reset();
  if (o.gradient_accumulation_steps && *o.gradient_accumulation_steps < 2)
    throw ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps=" +
                     std::to_string(*o.gradient_accumulation_steps));
  if (o.use_ema) {
    if (o.ema_momentum > 1 || o.ema_momentum < 0)
      throw ValueError("`ema_momentum` must be in the range [0, 1]. Received: ema_momentum=" +
                       std::to_string(o.ema_momentum));
    if (o.ema_overwrite_frequency && *o.ema_overwrite_frequency < 0)
      throw ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: ema_overwrite_frequency=" +
                       std::to_string(*o.ema_overwrite_frequency));
  }
  if (o.ema_overwrite_frequency == 0) o.ema_overwrite_frequency.reset();  // falsy in Keras too
  const int clips = o.clipnorm.has_value() + o.clipvalue.has_value() + o.global_clipnorm.has_value();
  if (clips > 1) {
    auto str = [](const std::optional<double>& x) { return x ? std::to_string(*x) : std::string("None"); };
    throw ValueError(
        "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm=" + str(o.clipnorm) +
        ", clipvalue=" + str(o.clipvalue) + ", global_clipnorm=" + str(o.global_clipnorm));
  }
  name_ = o.name.empty() ? auto_name(class_name) : o.name;

  auto& st = *state_;
  st.iterations = track(Variable(Tensor::scalar<int64_t>(0), {.trainable = false, .name = "iteration"}));
  st.learning_rate = o.learning_rate;
  if (o.learning_rate.is_number())
    st.learning_rate_var = track(Variable(Tensor::scalar<float>(static_cast<float>(o.learning_rate.value())),
                                          {.trainable = false, .name = "learning_rate"}));
}

Optimizer::~Optimizer() = default;

Variable Optimizer::track(Variable v) {
  state_->variables.push_back(v);
  return v;
}

// ---- variables ------------------------------------------------------------------------------------------

Variable Optimizer::add_variable(const Shape& shape, double initial_value, DType dtype, const std::string& name) {
  keras::detail::charge_variable(shape, dtype, "Optimizer '" + name_ + "'");
  Variable v = track(Variable(ops::full(shape, initial_value, dtype), {.trainable = false, .name = name}));
  state_->added.push_back(v);
  return v;
}

Variable Optimizer::add_variable_from_reference(const Variable& reference, const std::string& name,
                                                double initial_value) {
  const std::string full = sanitized(reference.name()) + "_" + (name.empty() ? "var" : name);
  keras::detail::charge_variable(reference.shape(), reference.dtype(), "Optimizer '" + name_ + "'");
  return track(
      Variable(ops::full(reference.shape(), initial_value, reference.dtype()), {.trainable = false, .name = full}));
}

std::vector<std::vector<Variable>> Optimizer::add_optimizer_variables(const std::vector<Variable>& variables,
                                                                      const std::vector<std::string>& names,
                                                                      const std::vector<double>& initial_values) {
  if (!initial_values.empty() && initial_values.size() != names.size())
    throw ValueError("add_optimizer_variables: " + std::to_string(names.size()) + " names but " +
                     std::to_string(initial_values.size()) + " initial values");
  auto& slots = state_->slots;
  const size_t first = slots.size();
  slots.resize(first + names.size());
  // Interleaved per variable, as Keras creates them (its saving order).
  for (const auto& var : variables)
    for (size_t k = 0; k < names.size(); ++k)
      slots[first + k].push_back(
          add_variable_from_reference(var, names[k], initial_values.empty() ? 0.0 : initial_values[k]));
  return {slots.begin() + static_cast<std::ptrdiff_t>(first), slots.end()};
}

std::vector<Variable> Optimizer::add_optimizer_variables(const std::vector<Variable>& variables,
                                                         const std::string& name, double initial_value) {
  return add_optimizer_variables(variables, std::vector<std::string>{name}, std::vector<double>{initial_value})[0];
}

const Variable& Optimizer::slot(size_t list, size_t index) const { return state_->slots.at(list).at(index); }

float* Optimizer::fused_slot(size_t list, size_t index) const {
  return keras::detail::writable_value(state_->slots[list][index]).mutable_data<float>();
}

const Variable& Optimizer::added_variable(size_t k) const { return state_->added.at(k); }

size_t Optimizer::variable_index(const Variable& variable) const {
  const auto& st = *state_;
  const uint64_t id = variable.id();
  // A short scan beats hashing for the handful of variables of a small model.
  if (st.trainable_ids.size() <= 16) {
    for (size_t i = 0; i < st.trainable_ids.size(); ++i)
      if (st.trainable_ids[i] == id) return i;
  } else if (auto it = st.index.find(id); it != st.index.end()) {
    return it->second;
  }
  throw ValueError("Unknown variable: " + describe(variable) +
                   ". This optimizer can only be called for the variables it was originally built with. When "
                   "working with a new set of variables, you should recreate a new optimizer instance.");
}

std::vector<Variable> Optimizer::variables() const { return state_->variables; }
std::vector<Variable> Optimizer::trainable_variables() const { return state_->trainable; }
bool Optimizer::built() const { return state_->built; }

void Optimizer::build(const std::vector<Variable>& variables) {
  auto& st = *state_;
  if (st.built) return;
  for (const auto& v : variables) {
    if (!v.defined()) throw ValueError("Optimizer '" + name_ + "': build() got an undefined variable");
    // keras::ops has no float16 / bfloat16 arithmetic (storage-only dtypes),
    // so their updates cannot be computed; Keras' mixed-precision policies
    // keep variables in float32 anyway.
    if (v.dtype() != DType::float32 && v.dtype() != DType::float64)
      throw TypeError("Optimizer '" + name_ + "': variable " + describe(v) +
                      " cannot be trained; optimizers update float32 and float64 variables (float16 and bfloat16 "
                      "are storage-only: keep the variable in float32, as Keras' mixed-precision policies do)");
  }
  // Keras' order: all EMA averages, then the accumulators, then the subclass' slots.
  if (options_.use_ema)
    for (const auto& v : variables) st.averages.push_back(add_variable_from_reference(v, "average"));
  for (size_t i = 0; i < variables.size(); ++i) {
    st.index[variables[i].id()] = i;
    st.trainable_ids.push_back(variables[i].id());
    if (options_.gradient_accumulation_steps)
      st.accumulators.push_back(add_variable_from_reference(variables[i], "gradient_accumulator"));
  }
  st.trainable = variables;
  st.decay_cache.assign(variables.size(), -1);
  st.built = true;
}

void Optimizer::set_weights(const std::vector<Tensor>& weights) {
  auto& st = *state_;
  if (!st.built)
    throw ValueError(
        "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
        "`optimizer.build(trainable_variables)` to create the optimizer weights before calling `set_weights()`.");
  if (weights.size() != st.variables.size())
    throw ValueError("Optimizer '" + name_ + "' has " + std::to_string(st.variables.size()) +
                     " variables; set_weights() received " + std::to_string(weights.size()) + " values");
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i].shape() != st.variables[i].shape())
      throw ValueError("Optimizer variable " + describe(st.variables[i]) + " has shape " +
                       st.variables[i].shape().str() + " not compatible with provided weight shape " +
                       weights[i].shape().str() + ".");
    st.variables[i].assign(weights[i]);
  }
}

// ---- iterations and learning rate -------------------------------------------------------------------------

int64_t Optimizer::raw_iterations() const { return read_scalar<int64_t>(state_->iterations); }

int64_t Optimizer::iterations() const {
  const int64_t raw = raw_iterations();
  // floor_divide; the count is never negative.
  return options_.gradient_accumulation_steps ? raw / *options_.gradient_accumulation_steps : raw;
}

double Optimizer::current_learning_rate(int64_t raw_iterations) const {
  const auto& st = *state_;
  // Rounded to float32: Keras casts the rate to the variable's dtype, and
  // its variable and schedules are float32.
  if (const auto& s = st.learning_rate.schedule()) return static_cast<float>((*s)(raw_iterations));
  if (const auto& fn = st.learning_rate.callable()) return static_cast<float>(fn());
  return read_scalar<float>(st.learning_rate_var);
}

double Optimizer::learning_rate() const { return current_learning_rate(raw_iterations()); }

void Optimizer::set_learning_rate(LearningRate learning_rate) {
  auto& st = *state_;
  if (!learning_rate.is_number()) {
    if (st.learning_rate_var.defined()) {
      // Keras untracks the variable: it leaves variables() (and saving).
      const uint64_t id = st.learning_rate_var.id();
      std::erase_if(st.variables, [id](const Variable& v) { return v.id() == id; });
      st.learning_rate_var = Variable();
    }
    st.learning_rate = std::move(learning_rate);
    return;
  }
  if (!st.learning_rate_var.defined())
    throw TypeError(
        "This optimizer was created with a `LearningRateSchedule` object (or a function) as its `learning_rate` "
        "constructor argument, hence its learning rate is not settable. If you need the learning rate to be "
        "settable, you should instantiate the optimizer with a float `learning_rate` argument.");
  write_scalar<float>(st.learning_rate_var, static_cast<float>(learning_rate.value()));
}

// ---- apply ------------------------------------------------------------------------------------------------

void Optimizer::apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars) {
  std::vector<Tensor> grads;
  std::vector<Variable> vars;
  grads.reserve(grads_and_vars.size());
  vars.reserve(grads_and_vars.size());
  for (const auto& [g, v] : grads_and_vars) {
    grads.push_back(g);
    vars.push_back(v);
  }
  apply(grads, vars);
}

void Optimizer::apply(const std::vector<Tensor>& grads, const std::vector<Variable>& trainable_variables) {
  if (grads.empty()) return;  // Keras: a no-op, the iteration count included
  if (grads.size() != trainable_variables.size()) {
    std::string names;
    for (size_t i = 0; i < trainable_variables.size(); ++i)
      names += (i ? ", '" : "'") + (trainable_variables[i].defined() ? trainable_variables[i].name() : "?") + "'";
    throw ValueError("Optimizer '" + name_ + "': received " + std::to_string(grads.size()) + " gradients for " +
                     std::to_string(trainable_variables.size()) + " variables [" + names +
                     "]; pass one gradient per variable (an undefined Tensor for none)");
  }
  for (const auto& v : trainable_variables)
    if (!v.defined()) throw ValueError("Optimizer '" + name_ + "': apply() got an undefined variable");
  keras::detail::PauseTapes pause;
  if (!built()) build(trainable_variables);
  apply_impl(grads, trainable_variables);
}

void Optimizer::apply(const std::vector<Tensor>& grads) {
  if (grads.empty()) return;
  const auto& st = *state_;
  if (!st.built)
    throw ValueError(
        "When passing `grads` without `variables`, the optimizer must already be built on a list of variables. "
        "Call `optimizer.build(trainable_variables)` first.");
  if (grads.size() != st.trainable.size())
    throw ValueError(
        "When passing `grads` as a list of gradient tensors, the gradients must match `optimizer.variables` "
        "one-to-one. Received a list of " +
        std::to_string(grads.size()) + " gradients, but the optimizer is tracking " +
        std::to_string(st.trainable.size()) + " trainable variables.");
  keras::detail::PauseTapes pause;
  const std::vector<Variable> vars = st.trainable;  // a copy: a subclass may not rebuild, but be safe
  apply_impl(grads, vars);
}

void Optimizer::apply_impl(const std::vector<Tensor>& grads, const std::vector<Variable>& variables) {
  auto& st = *state_;
  const auto& o = options_;

  // Check every variable is known (Keras' _check_variables_are_known), then
  // drop the undefined gradients (_filter_empty_gradients).
  std::vector<Tensor> g;
  std::vector<Variable> v;
  std::vector<size_t> index;
  g.reserve(grads.size());
  v.reserve(grads.size());
  index.reserve(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const size_t k = variable_index(variables[i]);
    if (!grads[i].defined()) continue;
    if (grads[i].is_symbolic())
      throw NotImplementedError("Optimizer '" + name_ + "': the gradient for variable " + describe(variables[i]) +
                                " is symbolic; optimizers update concrete values only");
    if (grads[i].shape() != variables[i].shape())
      throw ValueError("Optimizer '" + name_ + "': the gradient for variable " + describe(variables[i]) +
                       " has shape " + grads[i].shape().str() + "; it must have the variable's shape");
    g.push_back(grads[i]);
    v.push_back(variables[i]);
    index.push_back(k);
  }
  if (g.empty()) throw ValueError("No gradients provided for any variable.");

  if (o.loss_scale_factor)
    for (auto& t : g) t = t / *o.loss_scale_factor;

  const int64_t raw = raw_iterations();
  const int64_t steps = o.gradient_accumulation_steps.value_or(0);
  const int64_t iterations = steps ? raw / steps : raw;
  bool update = true;
  if (steps) {
    // Update on every steps-th call with the mean of the gradients since the
    // last update; otherwise only add to the accumulators.
    update = (raw + 1) % steps == 0;
    for (size_t i = 0; i < g.size(); ++i) {
      const Variable& acc = st.accumulators[index[i]];
      if (fusable(g[i], acc)) {
        Tensor grad = g[i].contiguous();
        float* a = keras::detail::writable_value(acc).mutable_data<float>();
        if (update) {
          Tensor mean = Tensor::empty(grad.shape(), DType::float32);
          backend::cpu::take_accumulated_gradient(mean.mutable_data<float>(), grad.data<float>(), a, grad.size(),
                                                  static_cast<float>(steps));
          g[i] = mean;
        } else {
          backend::cpu::accumulate_gradient(a, grad.data<float>(), grad.size());
        }
      } else {
        Variable acc_var = acc;
        if (update) {
          g[i] = (g[i] + acc_var) / static_cast<double>(steps);
          acc_var.assign(ops::zeros(acc_var.shape(), acc_var.dtype()));
        } else {
          acc_var.assign(g[i] + acc_var);
        }
      }
    }
  }

  if (update) {
    g = clip_gradients(g);
    st.step_iterations = iterations;
    backend_update_step(g, v, current_learning_rate(raw));
  }

  if (o.use_ema) {
    update_model_variables_moving_average(iterations);
    if (o.ema_overwrite_frequency && (iterations + 1) % *o.ema_overwrite_frequency == 0)
      overwrite_model_variables_with_average_value(st.trainable);
  }

  write_scalar<int64_t>(st.iterations, raw + 1);

  // BaseOptimizer.apply: constraints project every variable after the step.
  for (auto var : v)
    if (var.constraint()) var.assign(var.constraint()(var.value()));
}

void Optimizer::backend_update_step(const std::vector<Tensor>& grads, const std::vector<Variable>& variables,
                                    double learning_rate) {
  for (size_t i = 0; i < grads.size(); ++i)
    update_variable(grads[i], variables[i], variable_index(variables[i]), learning_rate, state_->step_iterations);
}

bool Optimizer::fused_update_step(size_t, const float*, float*, int64_t, const FusedStep&) { return false; }

void Optimizer::update_variable(const Tensor& grad, const Variable& var, size_t index, double learning_rate,
                                int64_t iterations) {
  const bool decay = use_weight_decay(index);
  if (detail::fused_kernels_enabled() && var.dtype() == DType::float32) {
    Tensor w = keras::detail::writable_value(var);
    if (w.device().type == DeviceType::CPU) {
      // update_step casts the gradient to the variable's dtype first.
      Tensor g = grad.dtype() == DType::float32 ? grad.contiguous() : ops::cast(grad, DType::float32).contiguous();
      const FusedStep step{.learning_rate = static_cast<float>(learning_rate),
                           .iterations = iterations,
                           .weight_decay = decay,
                           .weight_decay_rate = decay ? static_cast<float>(*options_.weight_decay) : 0.f};
      if (fused_update_step(index, g.data<float>(), w.mutable_data<float>(), w.size(), step)) return;
    }
  }
  Tensor lr = Tensor::scalar<float>(static_cast<float>(learning_rate));
  Variable target = var;
  if (decay) {
    // _apply_weight_decay: variable - variable * wd * lr, in the variable's dtype.
    Tensor lr_cast = ops::cast(lr, var.dtype());
    Tensor wd = ops::convert_to_tensor(*options_.weight_decay, var.dtype());
    target.assign(ops::subtract(target, ops::multiply(ops::multiply(target, wd), lr_cast)));
  }
  update_step(grad, target, lr);
}

// ---- gradient clipping --------------------------------------------------------------------------------------

std::vector<Tensor> Optimizer::clip_gradients(const std::vector<Tensor>& grads) const {
  const auto& o = options_;
  std::vector<Tensor> out;
  out.reserve(grads.size());
  if (o.clipnorm && *o.clipnorm > 0) {
    // _clip_by_norm: values * clipnorm / max(||values||, clipnorm), with the
    // norm taken as 0 (not sqrt(0)) for an all-zero gradient.
    const double clipnorm = *o.clipnorm;
    for (const auto& g : grads) {
      Tensor l2sum = ops::sum(ops::square(g), {}, /*keepdims=*/true);
      Tensor pred = ops::greater(l2sum, ops::zeros_like(l2sum));
      Tensor l2sum_safe = ops::where(pred, l2sum, ops::ones_like(l2sum));
      Tensor l2norm = ops::where(pred, ops::sqrt(l2sum_safe), l2sum);
      out.push_back(ops::divide(g * clipnorm, ops::maximum(l2norm, ops::full_like(l2norm, clipnorm))));
    }
  } else if (o.global_clipnorm && *o.global_clipnorm > 0) {
    // clip_by_global_norm; for an inf or NaN norm the scale becomes NaN.
    const double clip_norm = *o.global_clipnorm;
    std::vector<Tensor> squared;
    DType dtype = grads.front().dtype();
    for (const auto& g : grads) {
      squared.push_back(ops::sum(ops::square(g)));
      dtype = result_type(dtype, g.dtype());
    }
    for (auto& s : squared)
      if (s.dtype() != dtype) s = ops::cast(s, dtype);
    Tensor use_norm = ops::sqrt(ops::sum(ops::stack(squared)));
    Tensor scale_for_finite = clip_norm * ops::minimum(1.0 / use_norm, ops::full_like(use_norm, 1.0 / clip_norm));
    Tensor scale = scale_for_finite + (use_norm - use_norm);
    for (const auto& g : grads) out.push_back(g * scale);
  } else if (o.clipvalue && *o.clipvalue > 0) {
    const double v = *o.clipvalue;
    for (const auto& g : grads) out.push_back(ops::clip(g, -v, v));
  } else {
    return grads;
  }
  return out;
}

// ---- weight decay ------------------------------------------------------------------------------------------

void Optimizer::exclude_from_weight_decay(const std::vector<Variable>& var_list,
                                          const std::vector<std::string>& var_names) {
  auto& st = *state_;
  st.exclude_ids.clear();
  for (const auto& v : var_list) st.exclude_ids.insert(v.id());
  st.exclude_pattern.reset();
  if (!var_names.empty()) {
    std::string pattern;
    for (size_t i = 0; i < var_names.size(); ++i) pattern += (i ? "|" : "") + var_names[i];
    try {
      st.exclude_pattern.emplace(pattern);
    } catch (const std::regex_error& e) {
      throw ValueError("exclude_from_weight_decay: invalid regular expression in var_names ('" + pattern +
                       "'): " + e.what());
    }
  }
  std::fill(st.decay_cache.begin(), st.decay_cache.end(), -1);
}

bool Optimizer::use_weight_decay(size_t index) const {
  if (!options_.weight_decay) return false;
  const auto& st = *state_;
  signed char& cached = st.decay_cache[index];
  if (cached < 0) {
    const Variable& v = st.trainable[index];
    const bool excluded =
        st.exclude_ids.count(v.id()) > 0 || (st.exclude_pattern && std::regex_search(v.name(), *st.exclude_pattern));
    cached = excluded ? 0 : 1;
  }
  return cached == 1;
}

// ---- EMA ------------------------------------------------------------------------------------------------

void Optimizer::update_model_variables_moving_average(int64_t iterations) {
  const auto& st = *state_;
  for (size_t i = 0; i < st.trainable.size(); ++i) {
    const Variable& var = st.trainable[i];
    Variable average = st.averages[i];
    if (detail::fused_kernels_enabled() && var.dtype() == DType::float32) {
      Tensor w = keras::detail::writable_value(var);
      float* avg = keras::detail::writable_value(average).mutable_data<float>();
      backend::cpu::ema_update(avg, w.data<float>(), w.size(), options_.ema_momentum, iterations);
      continue;
    }
    // momentum = cast(iterations != 0) * ema_momentum, in the variable's dtype.
    Tensor momentum = ops::multiply(ops::convert_to_tensor(iterations != 0 ? 1.0 : 0.0, var.dtype()),
                                    ops::convert_to_tensor(options_.ema_momentum, var.dtype()));
    average.assign(ops::add(ops::multiply(momentum, average), ops::multiply(1.0 - momentum, var)));
  }
}

void Optimizer::overwrite_model_variables_with_average_value(const std::vector<Variable>& variables) {
  const auto& st = *state_;
  if (variables.size() != st.averages.size())
    throw ValueError("The length of model variables (" + std::to_string(variables.size()) +
                     ") to override does not match the length of model variables stored in the optimizer (" +
                     std::to_string(st.averages.size()) + "). Please check if the optimizer was called on your model.");
  for (size_t i = 0; i < variables.size(); ++i) {
    Variable var = variables[i];
    var.assign(st.averages[i]);
  }
}

std::vector<Variable> Optimizer::model_variables_moving_average() const { return state_->averages; }

void Optimizer::finalize_variable_values(const std::vector<Variable>& variables) {
  if (!options_.use_ema) return;
  keras::detail::PauseTapes pause;
  overwrite_model_variables_with_average_value(variables);
}

Tensor Optimizer::scale_loss(const Tensor& loss) const {
  return options_.loss_scale_factor ? loss * *options_.loss_scale_factor : loss;
}

}  // namespace keras::optimizers
