#pragma once
/// keras::optimizers: Keras 3's optimizers (keras.optimizers).
///
/// Example (a custom training step):
///   using namespace keras;
///   optimizers::Adam opt({.learning_rate = 1e-3, .clipnorm = 1.0});
///   GradientTape tape;
///   Tensor loss = ops::mean(ops::square(ops::matmul(x, w) + b - y));
///   auto grads = tape.gradient(loss, {w, b});
///   opt.apply(grads, {w, b});                    // or opt.apply_gradients({{grads[0], w}, {grads[1], b}})
///   int64_t steps = opt.iterations();            // 1
///
///   auto sgd = optimizers::get("sgd");           // keras.optimizers.get("sgd")
///   optimizers::OptimizerArg arg = opt;          // what compile() takes: a name or an optimizer
///
/// Copies of an optimizer share its state (iterations, learning rate, slot
/// variables, EMA, gradient accumulators), as Python references do: after
/// `auto opt = Adam(); model.compile({.optimizer = opt}); model.fit(...)`,
/// `opt.iterations()` counts the model's steps.
///
/// A step follows Keras' BaseOptimizer.apply: undefined gradients are skipped
/// (the variable is left alone), the rest are divided by loss_scale_factor,
/// accumulated (gradient_accumulation_steps), clipped (clipnorm, clipvalue or
/// global_clipnorm), weight decay is applied (w -= w * weight_decay * lr),
/// then the update; then the EMA of the weights and the iteration count.
/// Updates never record on a GradientTape. float32 variables are updated in
/// place by one fused CPU kernel per variable; other dtypes go through
/// keras::ops with the same formulas.
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/optimizers/schedules.hpp"
#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::optimizers {

/// A LearningRateSchedule subclass object (any value category).
template <class T>
concept ScheduleObject = std::derived_from<std::remove_cvref_t<T>, schedules::LearningRateSchedule>;

/// A callable of no arguments returning a number (not a schedule).
template <class T>
concept LearningRateFunction = !ScheduleObject<T> && std::is_invocable_r_v<double, std::remove_cvref_t<T>&>;

/// What an optimizer's `learning_rate` option takes: a number, a schedule
/// (copied; copies of a schedule are interchangeable), a shared schedule, or
/// a function of no arguments returning the rate (called at every step).
///
/// Example:
///   Adam a({.learning_rate = 3e-4});
///   Adam b({.learning_rate = schedules::CosineDecay(1e-3, 10000)});
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}  // NOLINT: implicit, as Keras takes a float
  template <ScheduleObject S>
  LearningRate(S&& schedule)  // NOLINT
      : schedule_(std::make_shared<std::remove_cvref_t<S>>(std::forward<S>(schedule))) {}
  LearningRate(std::shared_ptr<const schedules::LearningRateSchedule> schedule);  // NOLINT
  LearningRate(std::function<double()> fn);                                       // NOLINT
  /// Any callable of no arguments returning the rate (a lambda, ...).
  template <LearningRateFunction F>
  LearningRate(F&& fn)  // NOLINT
      : LearningRate(std::function<double()>(std::forward<F>(fn))) {}

  /// The number (meaningful when neither schedule() nor callable() is set).
  double value() const { return value_; }
  const std::shared_ptr<const schedules::LearningRateSchedule>& schedule() const { return schedule_; }
  const std::function<double()>& callable() const { return fn_; }
  bool is_number() const { return !schedule_ && !fn_; }

 private:
  double value_ = 0.0;
  std::shared_ptr<const schedules::LearningRateSchedule> schedule_;
  std::function<double()> fn_;
};

/// The options every optimizer has (keras BaseOptimizer's arguments), for
/// user-defined optimizers. Each built-in optimizer's options repeat them,
/// after its own arguments, in this order.
struct OptimizerOptions {
  LearningRate learning_rate = 0.001;
  /// Decoupled weight decay: before each update, w -= w * weight_decay * learning_rate.
  std::optional<double> weight_decay{};
  /// Clip each gradient to this L2 norm. At most one of the three clips may be set.
  std::optional<double> clipnorm{};
  /// Clip each gradient element to [-clipvalue, clipvalue].
  std::optional<double> clipvalue{};
  /// Scale all gradients together so that their joint L2 norm is at most this.
  std::optional<double> global_clipnorm{};
  /// Keep an exponential moving average of the weights (see finalize_variable_values).
  bool use_ema = false;
  /// average = ema_momentum * average + (1 - ema_momentum) * weight, at every step.
  double ema_momentum = 0.99;
  /// Overwrite the weights with their average every this many steps (none: only
  /// in finalize_variable_values, which fit() calls at the end).
  std::optional<int64_t> ema_overwrite_frequency{};
  /// Gradients are divided by this (scale_loss multiplies the loss by it).
  std::optional<double> loss_scale_factor{};
  /// Update every this many steps (>= 2) with the mean of the gradients since
  /// the last update. Schedules see every step; iterations() counts updates.
  std::optional<int64_t> gradient_accumulation_steps{};
  /// The optimizer's name; the snake_case class name, made unique, when empty ("adam", "adam_1").
  std::string name{};
};

/// The common options each optimizer's options struct must have.
template <class T>
concept OptimizerOptionsLike = requires(const T& o) {
  { o.learning_rate } -> std::convertible_to<LearningRate>;
  { o.weight_decay } -> std::convertible_to<std::optional<double>>;
  { o.clipnorm } -> std::convertible_to<std::optional<double>>;
  { o.clipvalue } -> std::convertible_to<std::optional<double>>;
  { o.global_clipnorm } -> std::convertible_to<std::optional<double>>;
  { o.use_ema } -> std::convertible_to<bool>;
  { o.ema_momentum } -> std::convertible_to<double>;
  { o.ema_overwrite_frequency } -> std::convertible_to<std::optional<int64_t>>;
  { o.loss_scale_factor } -> std::convertible_to<std::optional<double>>;
  { o.gradient_accumulation_steps } -> std::convertible_to<std::optional<int64_t>>;
  { o.name } -> std::convertible_to<std::string>;
};

/// The common part of an optimizer's options.
template <OptimizerOptionsLike T>
OptimizerOptions common_options(const T& o) {
  return {.learning_rate = o.learning_rate,
          .weight_decay = o.weight_decay,
          .clipnorm = o.clipnorm,
          .clipvalue = o.clipvalue,
          .global_clipnorm = o.global_clipnorm,
          .use_ema = o.use_ema,
          .ema_momentum = o.ema_momentum,
          .ema_overwrite_frequency = o.ema_overwrite_frequency,
          .loss_scale_factor = o.loss_scale_factor,
          .gradient_accumulation_steps = o.gradient_accumulation_steps,
          .name = o.name};
}

/// What a fused update gets for one step (see Optimizer::fused_update_step).
struct FusedStep {
  /// This step's learning rate, float32 as Keras' learning-rate variable.
  float learning_rate = 0.f;
  /// Keras' `self.iterations`: updates done so far (steps / accumulation steps).
  int64_t iterations = 0;
  /// Apply the decoupled weight decay first: w -= w * weight_decay_rate * learning_rate.
  bool weight_decay = false;
  float weight_decay_rate = 0.f;
};

namespace detail {
struct OptimizerState;
}

/// The base of every optimizer (keras.optimizers.Optimizer).
///
/// Example (a user optimizer: plain gradient descent with a "velocity" slot):
///   class MyOpt : public keras::optimizers::Optimizer {
///    public:
///     MyOpt() : Optimizer({.learning_rate = 0.01}, "MyOpt") {}
///     void build(const std::vector<Variable>& vars) override {
///       if (built()) return;
///       Optimizer::build(vars);
///       add_optimizer_variables(vars, "velocity");       // slot list 0
///     }
///     std::string class_name() const override { return "MyOpt"; }
///    protected:
///     void update_step(const Tensor& g, Variable var, const Tensor& lr) override {
///       Variable v = slot(0, variable_index(var));
///       v.assign(0.9 * v + g);
///       var.assign_sub(ops::cast(lr, var.dtype()) * v);
///     }
///   };
/// Keep per-variable state in slots (add_optimizer_variables), not in members,
/// so that copies of the optimizer share it.
class Optimizer {
 public:
  /// `class_name` names the optimizer when options.name is empty.
  explicit Optimizer(OptimizerOptions options, const std::string& class_name = "Optimizer");
  virtual ~Optimizer();
  // Copies share the state. There are no move operations: moving copies,
  // so a moved-from optimizer still works and shares the state too.
  Optimizer(const Optimizer&) = default;
  Optimizer& operator=(const Optimizer&) = default;

  /// One training step: updates each variable with its gradient. Builds the
  /// optimizer on the first call; later calls must pass variables it was
  /// built with. An undefined gradient skips its variable (at least one must
  /// be defined). Throws keras::ValueError when the counts differ, a
  /// gradient's shape is not its variable's, or a variable is unknown.
  void apply(const std::vector<Tensor>& grads, const std::vector<Variable>& trainable_variables);
  /// The same for the variables the optimizer was built with, in that order.
  void apply(const std::vector<Tensor>& grads);
  void apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars);

  /// Creates the optimizer's variables for `variables` (Keras' build); a
  /// second call does nothing. Subclasses call Optimizer::build first.
  virtual void build(const std::vector<Variable>& variables);
  bool built() const;

  /// Keras' `optimizer.iterations`: the number of updates applied (with
  /// gradient accumulation, steps / gradient_accumulation_steps).
  int64_t iterations() const;
  /// The learning rate the next step uses (a schedule is evaluated at the
  /// current step), rounded to float32 as Keras' variable holds it.
  double learning_rate() const;
  /// Keras' `optimizer.learning_rate = x`. A number is written into the
  /// learning-rate variable (keras::TypeError if the optimizer was created
  /// with a schedule or a function); a schedule or function replaces it.
  void set_learning_rate(LearningRate learning_rate);

  /// The optimizer's variables in Keras' order (its saving order): the
  /// iteration count (int64, "iteration"), the learning rate (float32,
  /// "learning_rate"; only when it is a number), then those built: the EMA
  /// averages ("<var>_average"), the gradient accumulators
  /// ("<var>_gradient_accumulator") and the optimizer's slots
  /// ("<var>_momentum", ...), in creation order.
  std::vector<Variable> variables() const;
  /// The variables the optimizer was built with.
  std::vector<Variable> trainable_variables() const;
  /// Assigns `weights` to variables() in order (shapes must match).
  void set_weights(const std::vector<Tensor>& weights);

  const std::string& name() const { return name_; }
  /// The Keras class name ("Adam").
  virtual std::string class_name() const { return "Optimizer"; }
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;

  /// With use_ema, overwrites `variables` (those the optimizer was built
  /// with) with their moving averages; otherwise does nothing. fit() calls it
  /// after the last epoch.
  void finalize_variable_values(const std::vector<Variable>& variables);
  /// With use_ema, the moving averages, one per trainable_variables() entry (empty otherwise or
  /// before build).
  std::vector<Variable> model_variables_moving_average() const;
  /// loss * loss_scale_factor (the loss unchanged without one).
  Tensor scale_loss(const Tensor& loss) const;
  /// Leaves these variables, and those whose name contains a match of one of
  /// the `var_names` regular expressions, out of weight decay.
  void exclude_from_weight_decay(const std::vector<Variable>& var_list = {},
                                 const std::vector<std::string>& var_names = {});

  // The common options, as given.
  std::optional<double> weight_decay() const { return options_.weight_decay; }
  std::optional<double> clipnorm() const { return options_.clipnorm; }
  std::optional<double> clipvalue() const { return options_.clipvalue; }
  std::optional<double> global_clipnorm() const { return options_.global_clipnorm; }
  bool use_ema() const { return options_.use_ema; }
  double ema_momentum() const { return options_.ema_momentum; }
  std::optional<int64_t> ema_overwrite_frequency() const { return options_.ema_overwrite_frequency; }
  std::optional<double> loss_scale_factor() const { return options_.loss_scale_factor; }
  std::optional<int64_t> gradient_accumulation_steps() const { return options_.gradient_accumulation_steps; }

  /// Adds a non-trainable variable to the optimizer (tracked in variables()).
  Variable add_variable(const Shape& shape, double initial_value = 0.0, DType dtype = DType::float32,
                        const std::string& name = "");
  /// Adds a variable shaped like `reference`, named "<reference name>_<name>"
  /// ('/' and ':' become '_'), filled with initial_value.
  Variable add_variable_from_reference(const Variable& reference, const std::string& name = "var",
                                       double initial_value = 0.0);

 protected:
  /// Keras' update_step: updates `variable` (and its slots) from `gradient`
  /// with keras::ops. `learning_rate` is a 0-d float32 tensor. Used for every
  /// variable that fused_update_step does not take.
  virtual void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) = 0;
  /// The fast path for a float32 variable on the CPU: `gradient` and
  /// `variable` (the variable's own buffer, updated in place) hold `size`
  /// floats; `index` is the variable's position in trainable_variables().
  /// Returns false to fall back to update_step (the default). It must also
  /// apply step.weight_decay, which the fallback applies with ops.
  virtual bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                                 const FusedStep& step);
  /// Runs the per-variable updates of one step (Keras' _backend_update_step);
  /// `learning_rate` is this step's rate. Override to do something once per
  /// step before the updates (Nadam), then call this.
  virtual void backend_update_step(const std::vector<Tensor>& grads, const std::vector<Variable>& variables,
                                   double learning_rate);

  /// Adds one slot list per name: for each of `variables`, in turn, a
  /// variable shaped like it per name, named "<var>_<name>" and filled with
  /// the matching initial value (default 0). Slot lists are numbered in
  /// creation order from 0; slot(list, i) is list's variable for
  /// trainable_variables()[i].
  std::vector<std::vector<Variable>> add_optimizer_variables(const std::vector<Variable>& variables,
                                                             const std::vector<std::string>& names,
                                                             const std::vector<double>& initial_values = {});
  /// Braced lists of names: `add_optimizer_variables(vars, {"momentum", "velocity"})`.
  std::vector<std::vector<Variable>> add_optimizer_variables(const std::vector<Variable>& variables,
                                                             std::initializer_list<std::string> names,
                                                             std::initializer_list<double> initial_values = {}) {
    return add_optimizer_variables(variables, std::vector<std::string>(names), std::vector<double>(initial_values));
  }
  std::vector<Variable> add_optimizer_variables(const std::vector<Variable>& variables, const std::string& name,
                                                double initial_value = 0.0);
  const Variable& slot(size_t list, size_t index) const;
  /// The float32 buffer of slot(list, index), for fused updates.
  float* fused_slot(size_t list, size_t index) const;
  /// The k-th variable created with add_variable.
  const Variable& added_variable(size_t k) const;
  /// The position of `variable` in trainable_variables() (ValueError if unknown).
  size_t variable_index(const Variable& variable) const;

 private:
  void apply_impl(const std::vector<Tensor>& grads, const std::vector<Variable>& variables);
  void update_variable(const Tensor& grad, const Variable& var, size_t index, double learning_rate, int64_t iterations);
  std::vector<Tensor> clip_gradients(const std::vector<Tensor>& grads) const;
  bool use_weight_decay(size_t index) const;
  void update_model_variables_moving_average(int64_t iterations);
  void overwrite_model_variables_with_average_value(const std::vector<Variable>& variables);
  double current_learning_rate(int64_t raw_iterations) const;
  int64_t raw_iterations() const;
  Variable track(Variable v);

  OptimizerOptions options_;
  std::string name_;
  std::shared_ptr<detail::OptimizerState> state_;
};

// ---- the optimizers ------------------------------------------------------------------------------------
// Each options struct holds the Keras constructor's arguments with Keras'
// defaults; the common options (OptimizerOptions) come last.

struct SGDOptions {
  LearningRate learning_rate = 0.01;
  /// In [0, 1]: m = momentum * m - lr * g; w += m.
  double momentum = 0.0;
  /// Nesterov momentum: w += momentum * m - lr * g (with the new m).
  bool nesterov = false;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Gradient descent, with optional (Nesterov) momentum.
class SGD : public Optimizer {
 public:
  using Options = SGDOptions;
  explicit SGD(Options options = {});
  explicit SGD(LearningRate learning_rate, double momentum = 0.0, bool nesterov = false);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "SGD"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct RMSpropOptions {
  LearningRate learning_rate = 0.001;
  /// Discount of the moving average of squared gradients.
  double rho = 0.9;
  double momentum = 0.0;
  /// Added to the average of squared gradients before the square root.
  double epsilon = 1e-7;
  /// Normalize by the variance estimate (subtract the squared mean gradient).
  bool centered = false;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// RMSprop: divides the gradient by a running root mean square.
class RMSprop : public Optimizer {
 public:
  using Options = RMSpropOptions;
  explicit RMSprop(Options options = {});
  explicit RMSprop(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "RMSprop"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct AdamOptions {
  LearningRate learning_rate = 0.001;
  /// Decay of the first-moment estimate.
  double beta_1 = 0.9;
  /// Decay of the second-moment estimate.
  double beta_2 = 0.999;
  /// Added to sqrt(v) (the "epsilon hat" of Kingma & Ba, section 2.1).
  double epsilon = 1e-7;
  /// AMSGrad: divide by the running maximum of v.
  bool amsgrad = false;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Adam (Kingma & Ba, 2014).
class Adam : public Optimizer {
 public:
  using Options = AdamOptions;
  explicit Adam(Options options = {});
  explicit Adam(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Adam"; }
  const Options& options() const { return options_; }

 protected:
  Adam(Options options, const std::string& class_name);
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct AdamWOptions {
  LearningRate learning_rate = 0.001;
  /// Decoupled weight decay (Loshchilov & Hutter, 2019); required.
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Adam with decoupled weight decay.
class AdamW : public Adam {
 public:
  using Options = AdamWOptions;
  explicit AdamW(Options options = {});
  explicit AdamW(LearningRate learning_rate);
  std::string class_name() const override { return "AdamW"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct AdagradOptions {
  LearningRate learning_rate = 0.001;
  /// Starting value of the per-element sums of squared gradients (>= 0).
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Adagrad: per-element rates that shrink with the sum of squared gradients.
class Adagrad : public Optimizer {
 public:
  using Options = AdagradOptions;
  explicit Adagrad(Options options = {});
  explicit Adagrad(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Adagrad"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct AdadeltaOptions {
  LearningRate learning_rate = 0.001;
  /// Decay of the running averages.
  double rho = 0.95;
  double epsilon = 1e-7;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Adadelta (Zeiler, 2012).
class Adadelta : public Optimizer {
 public:
  using Options = AdadeltaOptions;
  explicit Adadelta(Options options = {});
  explicit Adadelta(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Adadelta"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct AdamaxOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  /// Decay of the exponentially weighted infinity norm.
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Adamax: Adam with the infinity norm.
class Adamax : public Optimizer {
 public:
  using Options = AdamaxOptions;
  explicit Adamax(Options options = {});
  explicit Adamax(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Adamax"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct NadamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Nadam: Adam with Nesterov momentum (Dozat, 2015).
class Nadam : public Optimizer {
 public:
  using Options = NadamOptions;
  explicit Nadam(Options options = {});
  explicit Nadam(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Nadam"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;
  void backend_update_step(const std::vector<Tensor>& grads, const std::vector<Variable>& variables,
                           double learning_rate) override;

 private:
  Options options_;
};

struct LionOptions {
  LearningRate learning_rate = 0.001;
  /// In (0, 1]: interpolation between momentum and gradient for the update's sign.
  double beta_1 = 0.9;
  /// Decay of the momentum.
  double beta_2 = 0.99;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// Lion (Chen et al., 2023): updates by the sign of an interpolated momentum.
class Lion : public Optimizer {
 public:
  using Options = LionOptions;
  explicit Lion(Options options = {});
  explicit Lion(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Lion"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

struct FtrlOptions {
  LearningRate learning_rate = 0.001;
  /// <= 0: how the per-element rate falls with the accumulator (-0.5 is Adagrad-like).
  double learning_rate_power = -0.5;
  /// >= 0.
  double initial_accumulator_value = 0.1;
  /// L1 strength (>= 0): elements whose |linear| stays below it become 0.
  double l1_regularization_strength = 0.0;
  /// Stabilization L2 (>= 0).
  double l2_regularization_strength = 0.0;
  /// Magnitude L2 (>= 0), added to the gradient as 2 * strength * w.
  double l2_shrinkage_regularization_strength = 0.0;
  /// Adds beta / (2 * lr) to the L2 strength.
  double beta = 0.0;
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};
  std::optional<double> clipvalue{};
  std::optional<double> global_clipnorm{};
  bool use_ema = false;
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency{};
  std::optional<double> loss_scale_factor{};
  std::optional<int64_t> gradient_accumulation_steps{};
  std::string name{};
};
/// FTRL-Proximal (McMahan et al., 2013), for wide sparse models.
class Ftrl : public Optimizer {
 public:
  using Options = FtrlOptions;
  explicit Ftrl(Options options = {});
  explicit Ftrl(LearningRate learning_rate);
  void build(const std::vector<Variable>& variables) override;
  std::string class_name() const override { return "Ftrl"; }
  const Options& options() const { return options_; }

 protected:
  void update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) override;
  bool fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                         const FusedStep& step) override;

 private:
  Options options_;
};

static_assert(OptimizerOptionsLike<OptimizerOptions> && OptimizerOptionsLike<SGDOptions> &&
              OptimizerOptionsLike<RMSpropOptions> && OptimizerOptionsLike<AdamOptions> &&
              OptimizerOptionsLike<AdamWOptions> && OptimizerOptionsLike<AdagradOptions> &&
              OptimizerOptionsLike<AdadeltaOptions> && OptimizerOptionsLike<AdamaxOptions> &&
              OptimizerOptionsLike<NadamOptions> && OptimizerOptionsLike<LionOptions> &&
              OptimizerOptionsLike<FtrlOptions>);

// ---- lookup ----------------------------------------------------------------------------------------------

/// A new optimizer with default options by name, as keras.optimizers.get: the
/// class name in any case ("adam", "Adam", "rmsprop", "adamw", ...). Unknown
/// names throw keras::ValueError listing the valid ones.
std::shared_ptr<Optimizer> get(const std::string& identifier);

/// Every name get() accepts (lower case), sorted.
const std::vector<std::string>& valid_names();

/// An Optimizer subclass object (any value category).
template <class T>
concept OptimizerObject = std::derived_from<std::remove_cvref_t<T>, Optimizer>;

/// What compile() takes as an optimizer: a name, an optimizer (copied, and
/// copies share state, so the caller's object sees the training), or a
/// shared optimizer.
///
/// Example:
///   OptimizerArg a = "adam";
///   optimizers::SGD sgd({.momentum = 0.9});
///   OptimizerArg b = sgd;            // b.get() shares sgd's iterations and slots
class OptimizerArg {
 public:
  /// No optimizer.
  OptimizerArg() = default;
  /// A name: checked now (ValueError if unknown); get() creates the optimizer.
  OptimizerArg(const char* identifier);         // NOLINT: implicit, as Keras takes a string (nullptr: none)
  OptimizerArg(const std::string& identifier);  // NOLINT
  /// A shared optimizer (of any Optimizer class), used as is.
  template <OptimizerObject O>
  OptimizerArg(std::shared_ptr<O> optimizer)  // NOLINT
      : optimizer_(std::move(optimizer)) {}
  template <OptimizerObject O>
  OptimizerArg(O&& optimizer)  // NOLINT
      : optimizer_(std::make_shared<std::remove_cvref_t<O>>(std::forward<O>(optimizer))) {}

  /// The optimizer; for a name, a new one with default options at each call
  /// (compile() calls it once). Null for a default-constructed OptimizerArg.
  std::shared_ptr<Optimizer> get() const;
  /// The name given, or empty.
  const std::string& identifier() const { return identifier_; }
  explicit operator bool() const { return optimizer_ != nullptr || !identifier_.empty(); }

 private:
  std::string identifier_;
  std::shared_ptr<Optimizer> optimizer_;
};

}  // namespace keras::optimizers
