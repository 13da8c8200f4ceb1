// Mirrors keras/src/optimizers/adam.py
#include <utility>

#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

Adam::Adam(Options options) : Adam(std::move(options), "Adam") {}

Adam::Adam(Options options, const std::string& class_name)
    : Optimizer(common_options(options), class_name), options_(std::move(options)) {}

Adam::Adam(LearningRate learning_rate) : Adam(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot lists: 0 momentum, 1 velocity (created interleaved per variable); 2
// velocity_hat with amsgrad.
void Adam::build(const std::vector<Variable>& variables) {
  if (built()) return;
  Optimizer::build(variables);
  add_optimizer_variables(variables, {"momentum", "velocity"});
  if (options_.amsgrad) add_optimizer_variables(variables, "velocity_hat");
}

void Adam::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  Tensor local_step = ops::convert_to_tensor(static_cast<double>(iterations() + 1), dtype);
  Tensor beta_1_power = ops::power(ops::convert_to_tensor(options_.beta_1, dtype), local_step);
  Tensor beta_2_power = ops::power(ops::convert_to_tensor(options_.beta_2, dtype), local_step);
  const size_t k = variable_index(variable);
  Variable m = slot(0, k);
  Variable v = slot(1, k);

  Tensor alpha = lr * ops::sqrt(1.0 - beta_2_power) / (1.0 - beta_1_power);
  // (1 - beta_1) is Python arithmetic in Keras: a double, then a weak scalar.
  m.assign_add(ops::subtract(g, m) * (1 - options_.beta_1));
  v.assign_add(ops::subtract(ops::square(g), v) * (1 - options_.beta_2));
  if (options_.amsgrad) {
    Variable v_hat = slot(2, k);
    v_hat.assign(ops::maximum(v_hat, v));
    v = v_hat;
  }
  variable.assign_sub(ops::divide(ops::multiply(m, alpha), ops::sqrt(v) + options_.epsilon));
}

bool Adam::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                             const FusedStep& step) {
  float* m = fused_slot(0, index);
  float* v = fused_slot(1, index);
  float* v_hat = options_.amsgrad ? fused_slot(2, index) : nullptr;
  backend::cpu::adam_update(variable, gradient, m, v, v_hat, size,
                            {.learning_rate = step.learning_rate,
                             .iterations = step.iterations,
                             .beta_1 = options_.beta_1,
                             .beta_2 = options_.beta_2,
                             .epsilon = options_.epsilon},
                            detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
