// Mirrors keras/src/optimizers/ftrl.py
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

namespace {

void check_non_negative(double value, const std::string& argument) {
  if (value < 0.0)
    throw ValueError("`" + argument + "` needs to be positive or zero. Received: " + argument + "=" +
                     std::to_string(value) + ".");
}

}  // namespace

Ftrl::Ftrl(Options options) : Optimizer(common_options(options), "Ftrl"), options_(std::move(options)) {
  check_non_negative(options_.initial_accumulator_value, "initial_accumulator_value");
  if (options_.learning_rate_power > 0.0)
    throw ValueError("`learning_rate_power` needs to be negative or zero. Received: learning_rate_power=" +
                     std::to_string(options_.learning_rate_power) + ".");
  check_non_negative(options_.l1_regularization_strength, "l1_regularization_strength");
  check_non_negative(options_.l2_regularization_strength, "l2_regularization_strength");
  check_non_negative(options_.l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength");
}

Ftrl::Ftrl(LearningRate learning_rate) : Ftrl(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot lists: 0 accumulator (starting at initial_accumulator_value), 1 linear.
void Ftrl::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, {"accumulator", "linear"}, {options_.initial_accumulator_value, 0.0});
}

void Ftrl::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  const size_t k = variable_index(variable);
  Variable accum = slot(0, k);
  Variable linear = slot(1, k);
  Tensor power = ops::convert_to_tensor(-options_.learning_rate_power, dtype);

  Tensor l2_reg = options_.l2_regularization_strength + options_.beta / (2.0 * lr);
  Tensor grad_to_use = ops::add(
      g, ops::multiply(ops::convert_to_tensor(2 * options_.l2_shrinkage_regularization_strength, dtype), variable));
  Tensor new_accum = ops::add(accum, ops::square(g));
  linear.assign_add(ops::subtract(
      grad_to_use,
      ops::multiply(ops::divide(ops::subtract(ops::power(new_accum, power), ops::power(accum, power)), lr), variable)));
  Tensor quadratic = ops::add(ops::divide(ops::power(new_accum, power), lr), 2.0 * l2_reg);
  const double l1 = options_.l1_regularization_strength;
  Tensor linear_clipped = ops::clip(linear, -l1, l1);
  variable.assign(ops::divide(ops::subtract(linear_clipped, linear), quadratic));
  accum.assign(new_accum);
}

bool Ftrl::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                             const FusedStep& step) {
  backend::cpu::ftrl_update(variable, gradient, fused_slot(0, index), fused_slot(1, index), size,
                            {.learning_rate = step.learning_rate,
                             .learning_rate_power = options_.learning_rate_power,
                             .l1_regularization_strength = options_.l1_regularization_strength,
                             .l2_regularization_strength = options_.l2_regularization_strength,
                             .l2_shrinkage_regularization_strength = options_.l2_shrinkage_regularization_strength,
                             .beta = options_.beta},
                            detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
