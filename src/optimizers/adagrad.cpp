// Mirrors keras/src/optimizers/adagrad.py
#include <utility>

#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

Adagrad::Adagrad(Options options) : Optimizer(common_options(options), "Adagrad"), options_(std::move(options)) {}

Adagrad::Adagrad(LearningRate learning_rate) : Adagrad(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot list 0: accumulator, starting at initial_accumulator_value.
void Adagrad::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, "accumulator", options_.initial_accumulator_value);
}

void Adagrad::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  Variable accumulator = slot(0, variable_index(variable));
  accumulator.assign_add(ops::square(g));
  variable.assign_sub(ops::divide(ops::multiply(lr, g), ops::sqrt(accumulator.value() + options_.epsilon)));
}

bool Adagrad::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                                const FusedStep& step) {
  backend::cpu::adagrad_update(variable, gradient, fused_slot(0, index), size,
                               {.learning_rate = step.learning_rate, .epsilon = options_.epsilon},
                               detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
