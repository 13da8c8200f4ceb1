#include "backend/cpu/optimizer_kernels.hpp"

#include <omp.h>

#include <algorithm>

// Keras' ops run one at a time, each rounding its result, so a * b + c is two
// roundings there. Compilers contract such expressions into one fused
// multiply-add by default (GCC: -ffp-contract=fast for C++, clang: =on),
// which would make these kernels differ from Keras and from the keras::ops
// fallback in the last bit; this turns contraction off for the functions
// below. With GCC, functions from headers included above do not inline into
// them, so the loops use local helpers and builtins only.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace keras::backend::cpu {
namespace {

// Below this many elements an update runs on the calling thread: waking the
// OpenMP team costs a few µs (see elementwise.cpp), more than a small update.
constexpr int64_t kParallelElements = 32768;

// Calls body(begin, end) over [0, n), split into cache-line aligned chunks
// over the OpenMP threads when n is large. Every kernel is elementwise, so the
// result does not depend on the split.
template <class Body>
void for_range(int64_t n, const Body& body) {
  if (n < kParallelElements || omp_get_max_threads() == 1) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t chunk = ((n + nt - 1) / nt + 15) / 16 * 16;  // 16 floats = one cache line
    const int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    if (begin < end) body(begin, end);
  }
}

// NumPy semantics, as the elementwise kernels: NaN in either operand wins.
inline float maximum(float a, float b) { return (a > b || a != a) ? a : b; }
inline float sign(float x) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : x); }  // keeps 0 and NaN
inline float clip(float x, float lo, float hi) {
  const float y = x < lo ? lo : x;
  return hi < y ? hi : y;
}
inline float abs(float x) { return __builtin_fabsf(x); }
inline float sqrt(float x) { return __builtin_sqrtf(x); }
inline float pow(float x, float y) { return __builtin_powf(x, y); }
inline float f32(double x) { return static_cast<float>(x); }

// base_optimizer._apply_weight_decay: variable - variable * wd * lr.
inline float decayed(float w, const WeightDecay& d) { return d.enabled ? w - w * d.rate * d.learning_rate : w; }

}  // namespace

void sgd_update(float* var, const float* grad, float* momentum_slot, int64_t n, const SGDParams& p,
                const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float momentum = f32(p.momentum);
  const bool nesterov = p.nesterov;
  for_range(n, [&](int64_t b, int64_t e) {
    if (!momentum_slot) {
#pragma GCC ivdep
      for (int64_t i = b; i < e; ++i) var[i] = decayed(var[i], decay) - grad[i] * lr;
      return;
    }
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g_lr = grad[i] * lr;
      const float m = momentum_slot[i] * momentum - g_lr;
      momentum_slot[i] = m;
      // Nesterov recomputes "m * momentum - g * lr" with the new m.
      var[i] = nesterov ? w + (m * momentum - g_lr) : w + m;
    }
  });
}

void rmsprop_update(float* var, const float* grad, float* velocity, float* momentum_slot, float* average_gradient,
                    int64_t n, const RMSpropParams& p, const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float rho = f32(p.rho);
  const float one_minus_rho = f32(1.0 - p.rho);
  const float momentum = f32(p.momentum);
  const float epsilon = f32(p.epsilon);
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float v = rho * velocity[i] + one_minus_rho * (g * g);
      velocity[i] = v;
      float denominator;
      if (average_gradient) {
        const float a = rho * average_gradient[i] + one_minus_rho * g;
        average_gradient[i] = a;
        denominator = v - a * a + epsilon;
      } else {
        denominator = v + epsilon;
      }
      const float increment = (lr * g) / sqrt(denominator);
      if (momentum_slot) {
        const float m = momentum * momentum_slot[i] + increment;
        momentum_slot[i] = m;
        var[i] = w - m;
      } else {
        var[i] = w - increment;
      }
    }
  });
}

void adam_update(float* var, const float* grad, float* momentum, float* velocity, float* velocity_hat, int64_t n,
                 const AdamParams& p, const WeightDecay& decay) {
  const float local_step = static_cast<float>(p.iterations + 1);
  const float beta_1_power = pow(f32(p.beta_1), local_step);
  const float beta_2_power = pow(f32(p.beta_2), local_step);
  const float alpha = p.learning_rate * sqrt(1.f - beta_2_power) / (1.f - beta_1_power);
  // `1 - self.beta_1` is Python arithmetic: taken in double, then rounded.
  const float one_minus_beta_1 = f32(1.0 - p.beta_1);
  const float one_minus_beta_2 = f32(1.0 - p.beta_2);
  const float epsilon = f32(p.epsilon);
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float m = momentum[i] + (g - momentum[i]) * one_minus_beta_1;
      momentum[i] = m;
      float v = velocity[i] + (g * g - velocity[i]) * one_minus_beta_2;
      velocity[i] = v;
      if (velocity_hat) {
        v = maximum(velocity_hat[i], v);
        velocity_hat[i] = v;
      }
      var[i] = w - (m * alpha) / (sqrt(v) + epsilon);
    }
  });
}

void adagrad_update(float* var, const float* grad, float* accumulator, int64_t n, const AdagradParams& p,
                    const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float epsilon = f32(p.epsilon);
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float a = accumulator[i] + g * g;
      accumulator[i] = a;
      var[i] = w - (lr * g) / sqrt(a + epsilon);
    }
  });
}

void adadelta_update(float* var, const float* grad, float* accumulated_grad, float* accumulated_delta_var, int64_t n,
                     const AdadeltaParams& p, const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float rho = f32(p.rho);
  const float one_minus_rho = f32(1.0 - p.rho);
  const float epsilon = f32(p.epsilon);
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float ag = rho * accumulated_grad[i] + one_minus_rho * (g * g);
      accumulated_grad[i] = ag;
      // rms(accumulated_delta_var) reads the value from before this step.
      const float delta = -((sqrt(accumulated_delta_var[i] + epsilon) * g) / sqrt(ag + epsilon));
      accumulated_delta_var[i] = rho * accumulated_delta_var[i] + one_minus_rho * (delta * delta);
      var[i] = w + lr * delta;
    }
  });
}

void adamax_update(float* var, const float* grad, float* momentum, float* norm, int64_t n, const AdamaxParams& p,
                   const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float beta_1_power = pow(f32(p.beta_1), static_cast<float>(p.iterations + 1));
  const float one_minus_beta_1_power = 1.f - beta_1_power;
  const float one_minus_beta_1 = f32(1.0 - p.beta_1);
  const float beta_2 = f32(p.beta_2);
  const float epsilon = f32(p.epsilon);
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float m = momentum[i] + (g - momentum[i]) * one_minus_beta_1;
      momentum[i] = m;
      const float u = maximum(beta_2 * norm[i], abs(g));
      norm[i] = u;
      var[i] = w - (lr * m) / (one_minus_beta_1_power * (u + epsilon));
    }
  });
}

float nadam_u_product(float u_product, double beta_1, int64_t iterations) {
  const float factor = 1.f - 0.5f * pow(0.96f, static_cast<float>(iterations + 1));
  return u_product * f32(beta_1) * factor;
}

void nadam_update(float* var, const float* grad, float* momentum, float* velocity, int64_t n, const NadamParams& p,
                  const WeightDecay& decay) {
  // Nadam casts beta_1, beta_2 and the decay 0.96 to float32 before any
  // arithmetic, so here `1 - beta_1` is float32 arithmetic (unlike Adam).
  const float lr = p.learning_rate;
  const float beta_1 = f32(p.beta_1);
  const float beta_2 = f32(p.beta_2);
  const float local_step = static_cast<float>(p.iterations + 1);
  const float next_step = static_cast<float>(p.iterations + 2);
  const float u_t = beta_1 * (1.f - 0.5f * pow(0.96f, local_step));
  const float u_t_1 = beta_1 * (1.f - 0.5f * pow(0.96f, next_step));
  const float u_product_t = p.u_product;
  const float u_product_t_1 = u_product_t * u_t_1;
  const float beta_2_power = pow(beta_2, local_step);
  const float one_minus_beta_1 = 1.f - beta_1;
  const float one_minus_beta_2 = 1.f - beta_2;
  const float one_minus_u_t = 1.f - u_t;
  const float one_minus_u_product_t = 1.f - u_product_t;
  const float one_minus_u_product_t_1 = 1.f - u_product_t_1;
  const float one_minus_beta_2_power = 1.f - beta_2_power;
  const float epsilon = f32(p.epsilon);
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float m = momentum[i] + (g - momentum[i]) * one_minus_beta_1;
      momentum[i] = m;
      const float v = velocity[i] + (g * g - velocity[i]) * one_minus_beta_2;
      velocity[i] = v;
      const float m_hat = (u_t_1 * m) / one_minus_u_product_t_1 + (one_minus_u_t * g) / one_minus_u_product_t;
      const float v_hat = v / one_minus_beta_2_power;
      var[i] = w - (m_hat * lr) / (sqrt(v_hat) + epsilon);
    }
  });
}

void lion_update(float* var, const float* grad, float* momentum, int64_t n, const LionParams& p,
                 const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float beta_1 = f32(p.beta_1);
  const float beta_2 = f32(p.beta_2);
  const float one_minus_beta_1 = 1.f - beta_1;  // float32 arithmetic: Lion casts the betas first
  const float one_minus_beta_2 = 1.f - beta_2;
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float m = momentum[i];
      var[i] = w - lr * sign(m * beta_1 + g * one_minus_beta_1);
      momentum[i] = m * beta_2 + g * one_minus_beta_2;
    }
  });
}

void ftrl_update(float* var, const float* grad, float* accumulator, float* linear, int64_t n, const FtrlParams& p,
                 const WeightDecay& decay) {
  const float lr = p.learning_rate;
  const float power = f32(-p.learning_rate_power);
  // l2_reg = l2 + beta / (2.0 * lr) in float32 tensor arithmetic.
  const float l2_reg = f32(p.l2_regularization_strength) + f32(p.beta) / (2.f * lr);
  const float two_l2_reg = 2.f * l2_reg;
  const float two_l2_shrinkage = f32(2 * p.l2_shrinkage_regularization_strength);
  const float l1 = f32(p.l1_regularization_strength);
  for_range(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float w = decayed(var[i], decay);
      const float g = grad[i];
      const float grad_to_use = g + two_l2_shrinkage * w;
      const float accum = accumulator[i];
      const float new_accum = accum + g * g;
      const float new_accum_power = pow(new_accum, power);
      const float l = linear[i] + (grad_to_use - ((new_accum_power - pow(accum, power)) / lr) * w);
      linear[i] = l;
      const float quadratic = new_accum_power / lr + two_l2_reg;
      var[i] = (clip(l, -l1, l1) - l) / quadratic;
      accumulator[i] = new_accum;
    }
  });
}

void ema_update(float* average, const float* var, int64_t n, double ema_momentum, int64_t iterations) {
  // momentum = cast(iterations != 0) * ema_momentum: 0 at the first update.
  const float momentum = iterations != 0 ? f32(ema_momentum) : 0.f;
  const float one_minus_momentum = 1.f - momentum;
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) average[i] = momentum * average[i] + one_minus_momentum * var[i];
  });
}

void accumulate_gradient(float* accumulator, const float* grad, int64_t n) {
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) accumulator[i] = grad[i] + accumulator[i];
  });
}

void take_accumulated_gradient(float* out, const float* grad, float* accumulator, int64_t n, float steps) {
  for_range(n, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      out[i] = (grad[i] + accumulator[i]) / steps;
      accumulator[i] = 0.f;
    }
  });
}

}  // namespace keras::backend::cpu
