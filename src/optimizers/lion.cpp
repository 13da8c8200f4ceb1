// Mirrors keras/src/optimizers/lion.py
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

Lion::Lion(Options options) : Optimizer(common_options(options), "Lion"), options_(std::move(options)) {
  if (options_.beta_1 <= 0 || options_.beta_1 > 1)
    throw ValueError(
        "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to SignSGD. "
        "Received: beta_1=" +
        std::to_string(options_.beta_1) + ".");
}

Lion::Lion(LearningRate learning_rate) : Lion(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot list 0: momentum.
void Lion::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, "momentum");
}

void Lion::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  Tensor beta_1 = ops::convert_to_tensor(options_.beta_1, dtype);
  Tensor beta_2 = ops::convert_to_tensor(options_.beta_2, dtype);
  Variable m = slot(0, variable_index(variable));

  variable.assign_sub(ops::multiply(lr, ops::sign(ops::add(ops::multiply(m, beta_1), ops::multiply(g, 1.0 - beta_1)))));
  m.assign(ops::add(ops::multiply(m, beta_2), ops::multiply(g, 1.0 - beta_2)));
}

bool Lion::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                             const FusedStep& step) {
  backend::cpu::lion_update(variable, gradient, fused_slot(0, index), size,
                            {.learning_rate = step.learning_rate, .beta_1 = options_.beta_1, .beta_2 = options_.beta_2},
                            detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
