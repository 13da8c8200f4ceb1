// Mirrors keras/src/optimizers/nadam.py
#include <utility>

#include "autodiff/tape_impl.hpp"
#include "keras/ops.hpp"
#include "optimizers/fused.hpp"

namespace keras::optimizers {

Nadam::Nadam(Options options) : Optimizer(common_options(options), "Nadam"), options_(std::move(options)) {}

Nadam::Nadam(LearningRate learning_rate) : Nadam(Options{.learning_rate = std::move(learning_rate)}) {}

// Slot lists: 0 momentum, 1 velocity; then added_variable(0), the running
// product of the momentum schedule (u_product), a 0-d variable of the first
// variable's dtype that Keras names "variable".
void Nadam::build(const std::vector<Variable>& variables) {
  if (built()) return;
  const DType dtype = variables.empty() ? DType::float32 : variables.front().dtype();
  Optimizer::build(variables);
  add_optimizer_variables(variables, {"momentum", "velocity"});
  add_variable({}, 1.0, dtype, "variable");
}

void Nadam::backend_update_step(const std::vector<Tensor>& grads, const std::vector<Variable>& variables,
                                double learning_rate) {
  // Once per step, before the per-variable updates:
  // u_product *= beta_1 * (1 - 0.5 * 0.96^(iterations + 1)).
  Variable u_product = added_variable(0);
  const int64_t it = iterations();
  if (detail::fused_kernels_enabled() && u_product.dtype() == DType::float32) {
    float* u = keras::detail::writable_value(u_product).mutable_data<float>();
    *u = backend::cpu::nadam_u_product(*u, options_.beta_1, it);
  } else {
    const DType dtype = u_product.dtype();
    Tensor step = ops::convert_to_tensor(static_cast<double>(it + 1), dtype);
    u_product.assign(u_product.value() * options_.beta_1 *
                     (1.0 - 0.5 * ops::power(ops::convert_to_tensor(0.96, dtype), step)));
  }
  Optimizer::backend_update_step(grads, variables, learning_rate);
}

void Nadam::update_step(const Tensor& gradient, Variable variable, const Tensor& learning_rate) {
  const DType dtype = variable.dtype();
  Tensor lr = ops::cast(learning_rate, dtype);
  Tensor g = ops::cast(gradient, dtype);
  const int64_t it = iterations();
  Tensor local_step = ops::convert_to_tensor(static_cast<double>(it + 1), dtype);
  Tensor next_step = ops::convert_to_tensor(static_cast<double>(it + 2), dtype);
  Tensor decay = ops::convert_to_tensor(0.96, dtype);
  // Unlike Adam, beta_1 and beta_2 are cast first, so 1 - beta_1 is tensor arithmetic.
  Tensor beta_1 = ops::convert_to_tensor(options_.beta_1, dtype);
  Tensor beta_2 = ops::convert_to_tensor(options_.beta_2, dtype);
  Tensor u_t = beta_1 * (1.0 - 0.5 * ops::power(decay, local_step));
  Tensor u_t_1 = beta_1 * (1.0 - 0.5 * ops::power(decay, next_step));
  Tensor u_product_t = ops::cast(added_variable(0), dtype);
  Tensor u_product_t_1 = u_product_t * u_t_1;
  Tensor beta_2_power = ops::power(beta_2, local_step);
  const size_t k = variable_index(variable);
  Variable m = slot(0, k);
  Variable v = slot(1, k);

  m.assign_add(ops::multiply(ops::subtract(g, m), 1.0 - beta_1));
  v.assign_add(ops::multiply(ops::subtract(ops::square(g), v), 1.0 - beta_2));
  Tensor m_hat = ops::add(ops::divide(ops::multiply(u_t_1, m), 1.0 - u_product_t_1),
                          ops::divide(ops::multiply(1.0 - u_t, g), 1.0 - u_product_t));
  Tensor v_hat = ops::divide(v, 1.0 - beta_2_power);
  variable.assign_sub(ops::divide(ops::multiply(m_hat, lr), ops::sqrt(v_hat) + options_.epsilon));
}

bool Nadam::fused_update_step(size_t index, const float* gradient, float* variable, int64_t size,
                              const FusedStep& step) {
  const Variable& u_product = added_variable(0);
  if (u_product.dtype() != DType::float32) return false;
  const float u = keras::detail::writable_value(u_product).data<float>()[0];
  backend::cpu::nadam_update(variable, gradient, fused_slot(0, index), fused_slot(1, index), size,
                             {.learning_rate = step.learning_rate,
                              .iterations = step.iterations,
                              .u_product = u,
                              .beta_1 = options_.beta_1,
                              .beta_2 = options_.beta_2,
                              .epsilon = options_.epsilon},
                             detail::weight_decay_of(step));
  return true;
}

}  // namespace keras::optimizers
