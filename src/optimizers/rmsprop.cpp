// Mirrors keras/src/optimizers/rmsprop.py
#include <utility>

#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

RMSprop::RMSprop(Options options) : Optimizer(common_options(options), "RMSprop"), options_(std::move(options)) {}

RMSprop::RMSprop(LearningRate learning_rate) : RMSprop(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot lists: 0 velocity; then momentum (when momentum > 0); then
// average_gradient (when centered).
void RMSprop::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, "velocity");
  if (options_.momentum > 0) add_optimizer_variables(variables, "momentum");
  if (options_.centered) add_optimizer_variables(variables, "average_gradient");
}

void RMSprop::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  const size_t k = variable_index(variable);
  const bool has_momentum = options_.momentum > 0;
  Variable velocity = slot(0, k);
  const double rho = options_.rho;
  // Python numbers (rho, 1 - rho, epsilon, momentum) are weak scalars: they
  // take the variable's dtype, as C++ numbers do in keras::ops.

  velocity.assign(rho * velocity.value() + (1 - rho) * ops::square(g));
  Tensor denominator;
  if (options_.centered) {
    Variable average_grad = slot(has_momentum ? 2 : 1, k);
    average_grad.assign(rho * average_grad.value() + (1 - rho) * g);
    denominator = velocity.value() - ops::square(average_grad) + options_.epsilon;
  } else {
    denominator = velocity.value() + options_.epsilon;
  }
  Tensor increment = ops::divide(ops::multiply(lr, g), ops::sqrt(denominator));
  if (has_momentum) {
    Variable momentum = slot(1, k);
    momentum.assign(options_.momentum * momentum.value() + increment);
    variable.assign_sub(momentum);
  } else {
    variable.assign_sub(increment);
  }
}

bool RMSprop::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                                const FusedStep& step) {
  const bool has_momentum = options_.momentum > 0;
  float* velocity = fused_slot(0, index);
  float* momentum = has_momentum ? fused_slot(1, index) : nullptr;
  float* average_grad = options_.centered ? fused_slot(has_momentum ? 2 : 1, index) : nullptr;
  backend::cpu::rmsprop_update(variable, gradient, velocity, momentum, average_grad, size,
                               {.learning_rate = step.learning_rate,
                                .rho = options_.rho,
                                .momentum = options_.momentum,
                                .epsilon = options_.epsilon},
                               detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
