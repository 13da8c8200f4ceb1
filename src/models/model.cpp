// Mirrors keras/src/trainers/trainer.py (compile, compute_loss,
// compute_metrics, the metrics list) and keras/src/backend/tensorflow/
// trainer.py (the default train_step / test_step / predict_step).
#include "keras/models/model.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/warnings.hpp"
#include "keras/gradient_tape.hpp"
#include "keras/ops.hpp"
#include "models/compiled_state.hpp"

namespace keras {

// ---- Verbose / JitCompile -----------------------------------------------------------------------------

Verbose::Verbose(int level) : level_(level), auto_(false) {
  if (level < 0 || level > 2)
    throw ValueError("verbose must be \"auto\", 0, 1 or 2; received " + std::to_string(level));
}

Verbose::Verbose(const char* level) {
  if (!level || std::string(level) != "auto")
    throw ValueError(std::string("verbose must be \"auto\", 0, 1 or 2; received \"") + (level ? level : "") + "\"");
}

int Verbose::resolve() const {
  if (!auto_) return level_;
  return isatty(fileno(stdout)) ? 1 : 2;
}

JitCompile::JitCompile(const char* value) {
  const std::string v = value ? value : "";
  if (v != "auto") throw ValueError("jit_compile must be true, false or \"auto\"; received \"" + v + "\"");
}

// ---- Model --------------------------------------------------------------------------------------------

Model::Model(ModelOptions options)
    : Layer({.name = options.name, .dtype = options.dtype, .trainable = options.trainable}, ""),
      state_(std::make_unique<detail::CompiledState>()),
      strategy_(&distribute::get_strategy()) {}

Model::~Model() = default;

void Model::compile(CompileOptions options) {
  auto& st = *state_;
  if (options.steps_per_execution < 1)
    throw ValueError("steps_per_execution must be a positive integer; received " +
                     std::to_string(options.steps_per_execution));
  auto optimizer = options.optimizer.get();
  if (!optimizer) throw ValueError("compile: `optimizer` must be given (a name such as \"adam\" or an optimizer)");
  if (options.loss_weights.size() > 1)
    throw ValueError("compile: `loss_weights` has " + std::to_string(options.loss_weights.size()) +
                     " entries, but this model has 1 output");
  auto own = std::move(st.own_metrics);
  st = detail::CompiledState{};
  st.own_metrics = std::move(own);
  st.optimizer = std::move(optimizer);
  st.loss = options.loss.get();
  st.loss_weight = options.loss_weights.empty() ? std::optional<double>() : options.loss_weights[0];
  st.loss_tracker = std::make_shared<metrics::Mean>(metrics::MeanOptions{.name = "loss"});
  st.metric_args = options.metrics;
  st.weighted_metric_args = options.weighted_metrics;
  st.options = std::move(options);
  st.compiled = true;
}

bool Model::compiled() const { return state_->compiled; }

optimizers::Optimizer& Model::optimizer() const {
  if (!state_->optimizer) throw ValueError("This model has no optimizer: call `compile()` first.");
  return *state_->optimizer;
}

std::shared_ptr<const losses::Loss> Model::loss() const { return state_->loss; }
int64_t Model::steps_per_execution() const { return state_->options.steps_per_execution; }
bool Model::run_eagerly() const { return state_->options.run_eagerly; }

metrics::Mean& Model::loss_tracker() {
  if (!state_->loss_tracker) throw ValueError("You must call `compile()` before using the model.");
  return *state_->loss_tracker;
}

void Model::add_metric(std::shared_ptr<metrics::Metric> metric) {
  if (!metric) throw ValueError("add_metric: received a null metric");
  state_->own_metrics.push_back(std::move(metric));
}

const History& Model::history() const {
  if (!history_) throw ValueError("This model has no History yet: call `fit()` first.");
  return *history_;
}

// ---- loss and metrics -------------------------------------------------------------------------------

namespace {
std::string dims_and_dtype(const Tensor& t) {
  return t.shape().str() + " (" + std::string(dtype_name(t.dtype())) + ")";
}
}  // namespace

Tensor Model::compute_loss(const Tensor& x, const Tensor& y, const Tensor& y_pred, const Tensor& sample_weight, bool) {
  (void)x;
  auto& st = *state_;
  std::vector<Tensor> terms;
  if (st.loss) {
    if (!y.defined())
      throw ValueError("The model was compiled with the loss '" + st.loss->name() +
                       "' but received no targets: pass `y` to fit / evaluate (or a dataset of (x, y) pairs)");
    Tensor l;
    try {
      l = (*st.loss)(y, y_pred, sample_weight);
    } catch (const Error& e) {
      throw ValueError("The loss '" + st.loss->name() + "' (" + st.loss->class_name() +
                       ") cannot compare targets of shape " + dims_and_dtype(y) + " with the model's output of shape " +
                       dims_and_dtype(y_pred) +
                       ". Make the labels match the loss: integer class ids (one per sample) for "
                       "sparse_categorical_crossentropy, one-hot rows for categorical_crossentropy, the output's shape "
                       "for regression losses. Details: " +
                       e.what());
    }
    if (st.loss_weight) l = ops::multiply(l, ops::convert_to_tensor(*st.loss_weight, l.dtype()));
    terms.push_back(l);
  }
  for (const Tensor& extra : losses()) {
    Tensor e = is_floating(extra.dtype()) ? extra : ops::cast(extra, DType::float32);
    terms.push_back(ops::sum(e));
  }
  if (terms.empty()) throw ValueError("No loss to compute. Provide a `loss` argument in `compile()`.");
  Tensor total = terms[0];
  for (size_t i = 1; i < terms.size(); ++i)
    total = ops::add(total, terms[i].dtype() == total.dtype() ? terms[i] : ops::cast(terms[i], total.dtype()));
  return total;
}

void detail::CompiledState::build_metrics(const Tensor& y, const Tensor& y_pred) {
  if (metrics_built) return;
  const Shape ys = y.defined() ? y.shape() : y_pred.shape();
  std::vector<std::string> names;
  for (const auto& a : metric_args) {
    auto m = a.resolve(ys, y_pred.shape());
    if (!m) continue;
    compiled_metrics.push_back(m);
    metric_weighted.push_back(false);
    names.push_back(m->name());
  }
  for (const auto& a : weighted_metric_args) {
    auto m = a.resolve(ys, y_pred.shape());
    if (!m) continue;
    // CompileMetrics: a weighted metric named like an unweighted one is prefixed "weighted_".
    for (const auto& n : names)
      if (n == m->name()) {
        m->set_name("weighted_" + m->name());
        break;
      }
    compiled_metrics.push_back(m);
    metric_weighted.push_back(true);
  }
  metrics_built = true;
}

Logs Model::compute_metrics(const Tensor& x, const Tensor& y, const Tensor& y_pred, const Tensor& sample_weight) {
  (void)x;
  auto& st = *state_;
  if (!st.metric_args.empty() || !st.weighted_metric_args.empty()) {
    st.build_metrics(y, y_pred);
    if (!y.defined() && !st.compiled_metrics.empty())
      throw ValueError("The model was compiled with metrics but received no targets: pass `y`");
    for (size_t i = 0; i < st.compiled_metrics.size(); ++i) {
      try {
        st.compiled_metrics[i]->update_state(y, y_pred, st.metric_weighted[i] ? sample_weight : Tensor());
      } catch (const Error& e) {
        throw ValueError("The metric '" + st.compiled_metrics[i]->name() + "' cannot compare targets of shape " +
                         dims_and_dtype(y) + " with the model's output of shape " + dims_and_dtype(y_pred) +
                         ". Details: " + e.what());
      }
    }
  }
  return get_metrics_result();
}

std::vector<std::shared_ptr<metrics::Metric>> Model::metrics() {
  std::vector<std::shared_ptr<metrics::Metric>> out;
  auto& st = *state_;
  if (st.compiled) {
    if (st.loss_tracker) out.push_back(st.loss_tracker);
    for (auto& m : st.compiled_metrics) out.push_back(m);
  }
  for (auto& m : st.own_metrics) out.push_back(m);
  return out;
}

std::vector<std::string> Model::metrics_names() {
  std::vector<std::string> out;
  for (auto& m : metrics()) out.push_back(m->name());
  return out;
}

Logs Model::get_metrics_result() {
  Logs logs;
  for (auto& m : metrics()) logs[m->name()] = m->result();
  return logs;
}

void Model::reset_metrics() {
  for (auto& m : metrics()) m->reset_state();
}

// ---- default steps ----------------------------------------------------------------------------------

Logs Model::train_step(const Batch& batch) {
  auto& st = *state_;
  std::vector<Variable> tw;
  Tensor y_pred, loss;
  std::vector<Tensor> grads;
  {
    GradientTape tape;
    y_pred = (*this)(batch.x, true);
    tw = trainable_weights();  // after the call: the first call builds the layers
    loss = compute_loss(batch.x, batch.y, y_pred, batch.sample_weight, true);
    st.loss_tracker->update_state(loss, detail::batch_size_weight(batch.x));
    if (!tw.empty()) grads = tape.gradient(st.optimizer->scale_loss(loss), tw);
  }
  if (!tw.empty()) {
    st.optimizer->apply(grads, tw);
  } else if (!st.warned_no_trainable) {
    detail::user_warning("The model does not have any trainable weights.");
    st.warned_no_trainable = true;
  }
  return compute_metrics(batch.x, batch.y, y_pred, batch.sample_weight);
}

Logs Model::test_step(const Batch& batch) {
  auto& st = *state_;
  Tensor y_pred = (*this)(batch.x, false);
  Tensor loss = compute_loss(batch.x, batch.y, y_pred, batch.sample_weight, false);
  st.loss_tracker->update_state(loss, detail::batch_size_weight(batch.x));
  return compute_metrics(batch.x, batch.y, y_pred, batch.sample_weight);
}

Tensor Model::predict_step(const Batch& batch) { return (*this)(batch.x, false); }

Tensor detail::batch_size_weight(const Tensor& x) {
  return Tensor::scalar(static_cast<float>(x.ndim() > 0 ? x.shape()[0] : 1));
}

}  // namespace keras
