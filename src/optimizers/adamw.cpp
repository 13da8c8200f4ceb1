// Mirrors keras/src/optimizers/adamw.py
//
// AdamW is Adam with the base optimizer's decoupled weight decay switched on
// (Keras requires weight_decay; here it is a plain double).
#include <utility>

#include "keras/optimizers.hpp"

namespace keras::optimizers {

namespace {

AdamOptions adam_options(const AdamWOptions& o) {
  return {.learning_rate = o.learning_rate,
          .beta_1 = o.beta_1,
          .beta_2 = o.beta_2,
          .epsilon = o.epsilon,
          .amsgrad = o.amsgrad,
          .weight_decay = o.weight_decay,
          .clipnorm = o.clipnorm,
          .clipvalue = o.clipvalue,
          .global_clipnorm = o.global_clipnorm,
          .use_ema = o.use_ema,
          .ema_momentum = o.ema_momentum,
          .ema_overwrite_frequency = o.ema_overwrite_frequency,
          .loss_scale_factor = o.loss_scale_factor,
          .gradient_accumulation_steps = o.gradient_accumulation_steps,
          .name = o.name};
}

}  // namespace

AdamW::AdamW(Options options) : Adam(adam_options(options), "AdamW"), options_(std::move(options)) {}

AdamW::AdamW(LearningRate learning_rate) : AdamW(Options{.learning_rate = std::move(learning_rate)}) {}

}  // namespace keras::optimizers
