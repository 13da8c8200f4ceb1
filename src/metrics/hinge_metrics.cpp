// Mirrors keras/src/metrics/hinge_metrics.py
#include "keras/losses.hpp"
#include "keras/metrics.hpp"

namespace keras::metrics {

Hinge::Hinge(Options o) : MeanMetricWrapper(losses::hinge, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

SquaredHinge::SquaredHinge(Options o) : MeanMetricWrapper(losses::squared_hinge, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

CategoricalHinge::CategoricalHinge(Options o)
    : MeanMetricWrapper(losses::categorical_hinge, {.name = o.name, .dtype = o.dtype}) {
  set_direction("down");
}

}  // namespace keras::metrics
