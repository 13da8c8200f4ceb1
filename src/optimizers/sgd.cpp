// Mirrors keras/src/optimizers/sgd.py
#include <utility>

#include "keras/error.hpp"
#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

SGD::SGD(Options options) : Optimizer(common_options(options), "SGD"), options_(std::move(options)) {
  if (options_.momentum < 0 || options_.momentum > 1) throw ValueError("`momentum` must be a float between [0, 1].");
}

SGD::SGD(LearningRate learning_rate, double momentum, bool nesterov)
    : SGD(Options{.learning_rate = std::move(learning_rate), .momentum = momentum, .nesterov = nesterov}) {}

void SGD::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  // Slot list 0, only with momentum.
  if (options_.momentum != 0) add_optimizer_variables(variables, "momentum");
}

void SGD::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  if (options_.momentum == 0) {
    variable.assign_sub(ops::multiply(g, lr));
    return;
  }
  Variable m = slot(0, variable_index(variable));
  Tensor momentum = ops::convert_to_tensor(options_.momentum, dtype);
  m.assign(ops::subtract(ops::multiply(m, momentum), ops::multiply(g, lr)));
  if (options_.nesterov)
    variable.assign_add(ops::subtract(ops::multiply(m, momentum), ops::multiply(g, lr)));
  else
    variable.assign_add(m);
}

bool SGD::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size, const FusedStep& step) {
  float* m = options_.momentum != 0 ? fused_slot(0, index) : nullptr;
  backend::cpu::sgd_update(
      variable, gradient, m, size,
      {.learning_rate = step.learning_rate, .momentum = options_.momentum, .nesterov = options_.nesterov},
      detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
