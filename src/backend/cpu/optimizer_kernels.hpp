#pragma once
// Fused in-place CPU kernels for the optimizers (src/optimizers/*.cpp): one
// pass over a float32 variable, its gradient and its slot variables per step.
//
// Example (what Adam's update does for one float32 variable):
//   float* w = detail::writable_value(var).mutable_data<float>();   // the variable's own buffer
//   cpu::adam_update(w, grad.data<float>(), m, v, /*velocity_hat=*/nullptr, n,
//                    {.learning_rate = lr, .iterations = it, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7},
//                    /*decay=*/{});
//
// Rounding contract: each kernel performs exactly the float32 operations
// Keras 3's update_step performs (keras/src/optimizers/<name>.py), in the
// same order, one rounding per operation, and never contracts a*b+c into a
// fused multiply-add (JAX runs Keras' ops one by one, so neither does Keras).
// That holds for the per-step scalar coefficients too, which is why the
// kernels take Keras' hyperparameters and compute them here: a Python number
// meeting a float32 tensor is rounded to float32 first, and an expression of
// Python numbers alone (1 - beta_1 in Adam) is evaluated in double and then
// rounded, exactly as in Keras. The keras::ops fallback in src/optimizers
// runs the same operations, so both paths agree to the bit in practice.
//
// NaN: maximum/minimum/clip/sign propagate NaN as NumPy does.
//
// Large arrays are split over OpenMP threads (elementwise, so the result does
// not depend on the thread count); small ones run on the calling thread
// without touching OpenMP, which keeps a tiny model's step at a few µs.
#include <cstdint>

namespace keras::backend::cpu {

/// Keras' decoupled weight decay (base_optimizer._apply_weight_decay), run as
/// the first operation of an update: w <- w - (w * rate) * learning_rate.
struct WeightDecay {
  bool enabled = false;
  float rate = 0.f;
  float learning_rate = 0.f;
};

struct SGDParams {
  float learning_rate = 0.f;
  double momentum = 0.0;
  bool nesterov = false;
};
/// `momentum_slot` is null when momentum == 0 (Keras creates no slot then):
///   m <- m * momentum - g * lr;  w <- w + m   (nesterov: w <- w + (m * momentum - g * lr))
///   without momentum: w <- w - g * lr.
void sgd_update(float* var, const float* grad, float* momentum_slot, int64_t n, const SGDParams& p,
                const WeightDecay& decay);

struct RMSpropParams {
  float learning_rate = 0.f;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
};
/// `momentum_slot` is null unless momentum > 0, `average_gradient` null unless centered.
void rmsprop_update(float* var, const float* grad, float* velocity, float* momentum_slot, float* average_gradient,
                    int64_t n, const RMSpropParams& p, const WeightDecay& decay);

struct AdamParams {
  float learning_rate = 0.f;
  /// Keras' self.iterations (updates done before this one).
  int64_t iterations = 0;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};
/// `velocity_hat` is null unless amsgrad.
void adam_update(float* var, const float* grad, float* momentum, float* velocity, float* velocity_hat, int64_t n,
                 const AdamParams& p, const WeightDecay& decay);

struct AdagradParams {
  float learning_rate = 0.f;
  double epsilon = 1e-7;
};
void adagrad_update(float* var, const float* grad, float* accumulator, int64_t n, const AdagradParams& p,
                    const WeightDecay& decay);

struct AdadeltaParams {
  float learning_rate = 0.f;
  double rho = 0.95;
  double epsilon = 1e-7;
};
void adadelta_update(float* var, const float* grad, float* accumulated_grad, float* accumulated_delta_var, int64_t n,
                     const AdadeltaParams& p, const WeightDecay& decay);

struct AdamaxParams {
  float learning_rate = 0.f;
  int64_t iterations = 0;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};
void adamax_update(float* var, const float* grad, float* momentum, float* norm, int64_t n, const AdamaxParams& p,
                   const WeightDecay& decay);

/// Nadam's product of momentum schedule values after this step's factor:
/// u_product * beta_1 * (1 - 0.5 * 0.96^(iterations + 1)) (Nadam._backend_update_step).
float nadam_u_product(float u_product, double beta_1, int64_t iterations);

struct NadamParams {
  float learning_rate = 0.f;
  int64_t iterations = 0;
  /// The product after this step's factor (nadam_u_product).
  float u_product = 1.f;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};
void nadam_update(float* var, const float* grad, float* momentum, float* velocity, int64_t n, const NadamParams& p,
                  const WeightDecay& decay);

struct LionParams {
  float learning_rate = 0.f;
  double beta_1 = 0.9;
  double beta_2 = 0.99;
};
void lion_update(float* var, const float* grad, float* momentum, int64_t n, const LionParams& p,
                 const WeightDecay& decay);

struct FtrlParams {
  float learning_rate = 0.f;
  double learning_rate_power = -0.5;
  double l1_regularization_strength = 0.0;
  double l2_regularization_strength = 0.0;
  double l2_shrinkage_regularization_strength = 0.0;
  double beta = 0.0;
};
void ftrl_update(float* var, const float* grad, float* accumulator, float* linear, int64_t n, const FtrlParams& p,
                 const WeightDecay& decay);

/// The EMA of the weights (BaseOptimizer._update_model_variables_moving_average):
/// average <- m * average + (1 - m) * var with m = ema_momentum, or m = 0 on
/// the first update (iterations == 0), which copies the weights.
void ema_update(float* average, const float* var, int64_t n, double ema_momentum, int64_t iterations);

/// Gradient accumulation, a step that does not update: accumulator <- grad + accumulator.
void accumulate_gradient(float* accumulator, const float* grad, int64_t n);
/// Gradient accumulation, the updating step: out <- (grad + accumulator) / steps, then accumulator <- 0.
void take_accumulated_gradient(float* out, const float* grad, float* accumulator, int64_t n, float steps);

}  // namespace keras::backend::cpu
