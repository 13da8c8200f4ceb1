// Mirrors keras/src/metrics/metric.py
#include <string>
#include <utility>
#include <vector>

#include "autodiff/tape_impl.hpp"
#include "keras/error.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::metrics {

// Everything a metric changes after construction lives here, behind the
// shared_ptr, so that copies of a metric are one metric (a Python reference).
// That includes variables made lazily at the first update.
struct Metric::State {
  std::string name;
  std::vector<Variable> variables;
};

Metric::Metric(const std::string& name, std::optional<DType> dtype, std::string direction)
    : state_(std::make_shared<State>()), dtype_(dtype.value_or(DType::float32)), direction_(std::move(direction)) {
  state_->name = name.empty() ? detail::auto_name("metric") : name;
  if (!is_floating(dtype_))
    throw ValueError("Metric '" + state_->name +
                     "': dtype must be a floating dtype; received dtype=" + std::string(dtype_name(dtype_)));
}

void Metric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  if (!y_true.defined() || !y_pred.defined())
    throw ValueError(class_name() + " '" + name() + "': " + (y_true.defined() ? "y_pred" : "y_true") +
                     " is an undefined tensor");
  // Metric bookkeeping is never differentiated: keep it off every tape.
  keras::detail::PauseTapes pause;
  update(y_true, y_pred, sample_weight);
}

void Metric::reset_state() {
  for (auto& v : state_->variables) v.assign(ops::zeros(v.shape(), v.dtype()));
}

Tensor Metric::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  update_state(y_true, y_pred, sample_weight);
  return result();
}

const std::string& Metric::name() const { return state_->name; }
void Metric::set_name(const std::string& name) { state_->name = name; }
std::vector<Variable> Metric::variables() const { return state_->variables; }

Variable Metric::add_variable(const Shape& shape, const std::string& name, std::optional<DType> dtype) {
  const DType dt = dtype.value_or(DType::float32);
  Variable v(ops::zeros(shape, dt), {.dtype = dt, .trainable = false, .name = name});
  state_->variables.push_back(v);
  return v;
}

Variable Metric::variable(size_t index) const {
  if (index >= state_->variables.size())
    throw IndexError(class_name() + " '" + name() + "': no state variable " + std::to_string(index) + " (it has " +
                     std::to_string(state_->variables.size()) + ")");
  return state_->variables[index];
}

size_t Metric::num_variables() const { return state_->variables.size(); }

}  // namespace keras::metrics
