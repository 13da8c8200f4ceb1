// Mirrors keras/src/optimizers/adadelta.py
#include <utility>

#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

Adadelta::Adadelta(Options options) : Optimizer(common_options(options), "Adadelta"), options_(std::move(options)) {}

Adadelta::Adadelta(LearningRate learning_rate) : Adadelta(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot lists: 0 accumulated_grad, 1 accumulated_delta_var.
void Adadelta::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, {"accumulated_grad", "accumulated_delta_var"});
}

void Adadelta::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  const double rho = options_.rho;
  const size_t k = variable_index(variable);
  Variable accumulated_grad = slot(0, k);
  Variable accumulated_delta_var = slot(1, k);
  auto rms = [&](const Tensor& x) { return ops::sqrt(x + options_.epsilon); };

  accumulated_grad.assign(rho * accumulated_grad.value() + (1 - rho) * ops::square(g));
  Tensor delta_var = ops::negative(ops::divide(ops::multiply(rms(accumulated_delta_var), g), rms(accumulated_grad)));
  accumulated_delta_var.assign(rho * accumulated_delta_var.value() + (1 - rho) * ops::square(delta_var));
  variable.assign_add(ops::multiply(lr, delta_var));
}

bool Adadelta::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                                 const FusedStep& step) {
  backend::cpu::adadelta_update(variable, gradient, fused_slot(0, index), fused_slot(1, index), size,
                                {.learning_rate = step.learning_rate, .rho = options_.rho, .epsilon = options_.epsilon},
                                detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
