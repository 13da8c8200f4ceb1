#pragma once
// Internals shared by the optimizer implementations (src/optimizers/*.cpp).
#include "backend/cpu/optimizer_kernels.hpp"
#include "keras/optimizers.hpp"

namespace keras::optimizers::detail {

/// Whether float32 variables take the fused CPU kernels (default: yes).
/// Tests turn it off to run the keras::ops path on the same inputs.
bool fused_kernels_enabled();
void set_fused_kernels_enabled(bool enabled);

/// The decoupled weight decay a fused kernel applies first.
inline backend::cpu::WeightDecay weight_decay_of(const FusedStep& step) {
  return {.enabled = step.weight_decay, .rate = step.weight_decay_rate, .learning_rate = step.learning_rate};
}

}  // namespace keras::optimizers::detail
