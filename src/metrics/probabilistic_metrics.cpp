// Mirrors keras/src/metrics/probabilistic_metrics.py
#include <string>
#include <utility>

#include "keras/losses.hpp"
#include "keras/metrics.hpp"

namespace keras::metrics {

KLDivergence::KLDivergence(Options o) : MeanMetricWrapper(losses::kl_divergence, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

Poisson::Poisson(Options o) : MeanMetricWrapper(losses::poisson, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

BinaryCrossentropy::BinaryCrossentropy(Options o)
    : MeanMetricWrapper(
          [from_logits = o.from_logits, ls = o.label_smoothing](const Tensor& t, const Tensor& p) {
            return losses::binary_crossentropy(t, p, from_logits, ls);
          },
          {.name = o.name, .dtype = o.dtype}),
      options_(std::move(o)) {
  set_direction("down");
}

CategoricalCrossentropy::CategoricalCrossentropy(Options o)
    : MeanMetricWrapper(
          [from_logits = o.from_logits, ls = o.label_smoothing, axis = o.axis](const Tensor& t, const Tensor& p) {
            return losses::categorical_crossentropy(t, p, from_logits, ls, axis);
          },
          {.name = o.name, .dtype = o.dtype}),
      options_(std::move(o)) {
  set_direction("down");
}

// The loss marks the samples of ignore_class in a mask (Keras attaches it to
// the values as _keras_mask); Mean uses it only when sample weights are given.
SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(Options o)
    : MeanMetricWrapper(MaskedFn([loss = losses::SparseCategoricalCrossentropy(
                                      {.from_logits = o.from_logits, .ignore_class = o.ignore_class, .axis = o.axis})](
                                     const Tensor& t, const Tensor& p) {
                          losses::LossOutput out = loss.call_with_mask(t, p);
                          return std::pair<Tensor, Tensor>(out.values, out.mask);
                        }),
                        o.name, o.dtype, "down"),
      options_(std::move(o)) {}

}  // namespace keras::metrics
