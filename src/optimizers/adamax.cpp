// Mirrors keras/src/optimizers/adamax.py
#include <utility>

#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

Adamax::Adamax(Options options) : Optimizer(common_options(options), "Adamax"), options_(std::move(options)) {}

Adamax::Adamax(LearningRate learning_rate) : Adamax(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot lists: 0 momentum (m), 1 norm (u, the weighted infinity norm).
void Adamax::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, {"momentum", "norm"});
}

void Adamax::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  Tensor local_step = ops::convert_to_tensor(static_cast<double>(iterations() + 1), dtype);
  Tensor beta_1_power = ops::power(ops::convert_to_tensor(options_.beta_1, dtype), local_step);
  const size_t k = variable_index(variable);
  Variable m = slot(0, k);
  Variable u = slot(1, k);

  m.assign_add(ops::subtract(g, m) * (1 - options_.beta_1));
  u.assign(ops::maximum(options_.beta_2 * u.value(), ops::abs(g)));
  variable.assign_sub(
      ops::divide(ops::multiply(lr, m), ops::multiply(1.0 - beta_1_power, u.value() + options_.epsilon)));
}

bool Adamax::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                               const FusedStep& step) {
  backend::cpu::adamax_update(variable, gradient, fused_slot(0, index), fused_slot(1, index), size,
                              {.learning_rate = step.learning_rate,
                               .iterations = step.iterations,
                               .beta_1 = options_.beta_1,
                               .beta_2 = options_.beta_2,
                               .epsilon = options_.epsilon},
                              detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
