// Mirrors keras/src/trainers/trainer.py (compile, compute_loss,
// compute_metrics, the metrics list) and keras/src/backend/tensorflow/
// trainer.py (the default train_step / test_step / predict_step).
#include "keras/models/model.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/warnings.hpp"
#include "keras/gradient_tape.hpp"
#include "keras/ops.hpp"
#include "models/compiled_state.hpp"
#include "models/functional.hpp"

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

Model::Model(const Tensors& inputs, const Tensors& outputs, ModelOptions options)
    : Layer({.name = options.name, .dtype = options.dtype, .trainable = options.trainable}, "functional"),
      state_(std::make_unique<detail::CompiledState>()),
      strategy_(&distribute::get_strategy()) {
  functional_ = std::make_shared<const detail::FunctionalGraph>(
      detail::build_functional_graph(inputs, outputs, inputs.single(), outputs.single()));
  for (const auto& layer : functional_->layers) track_layer(layer->name(), layer);
  if (!options.trainable) set_trainable(false);
  set_built(true);
}

Model::~Model() = default;

std::string Model::class_name() const { return functional_ ? "Functional" : "Model"; }

namespace {
void require_functional(const Model& m, const char* what) {
  if (!m.is_functional())
    throw ValueError(std::string(what) + " is only defined for Functional models (keras::Model(inputs, outputs)); '" +
                     m.name() + "' is a subclassed model");
}
}  // namespace

std::vector<Tensor> Model::inputs() const {
  require_functional(*this, "Model::inputs()");
  return functional_->inputs;
}
std::vector<Tensor> Model::outputs() const {
  require_functional(*this, "Model::outputs()");
  return functional_->outputs;
}
std::vector<std::string> Model::input_names() const {
  require_functional(*this, "Model::input_names()");
  return functional_->input_names;
}
std::vector<std::string> Model::output_names() const {
  require_functional(*this, "Model::output_names()");
  return functional_->output_names;
}

Tensor Model::call(const Tensor& inputs, bool training) {
  if (!functional_) return Layer::call(inputs, training);
  std::vector<Tensor> out = detail::run_functional_graph(*functional_, name(), {inputs});
  if (out.size() != 1)
    throw ValueError("Model '" + name() + "' has " + std::to_string(out.size()) +
                     " outputs; call it with a list (keras::Tensors{x}) to receive all of them");
  return out[0];
}

std::vector<Tensor> Model::call_multi(const std::vector<Tensor>& inputs, bool training) {
  if (!functional_) return Layer::call_multi(inputs, training);
  return detail::run_functional_graph(*functional_, name(), inputs);
}

void Model::compile(CompileOptions options) {
  auto& st = *state_;
  if (options.steps_per_execution < 1)
    throw ValueError("steps_per_execution must be a positive integer; received " +
                     std::to_string(options.steps_per_execution));
  auto optimizer = options.optimizer.get();
  if (!optimizer) throw ValueError("compile: `optimizer` must be given (a name such as \"adam\" or an optimizer)");
  const std::vector<std::string> outs =
      functional_ ? functional_->output_names : std::vector<std::string>{std::string("output")};
  // A per-output argument as one value per output (by position or by name; a single value for each).
  auto per_output = [&]<class T>(const PerOutput<T>& arg, const char* what, T missing) {
    std::vector<T> v(outs.size(), missing);
    if (arg.empty()) return v;
    if (arg.single()) return std::vector<T>(outs.size(), arg.values()[0]);
    if (arg.by_name()) {
      for (size_t i = 0; i < arg.names().size(); ++i) {
        auto it = std::find(outs.begin(), outs.end(), arg.names()[i]);
        if (it == outs.end()) {
          std::string known;
          for (const auto& o : outs) known += (known.empty() ? "'" : ", '") + o + "'";
          throw ValueError(std::string("compile: `") + what + "` names the output '" + arg.names()[i] +
                           "', but the model's outputs are [" + known + "]");
        }
        v[static_cast<size_t>(it - outs.begin())] = arg.values()[i];
      }
      return v;
    }
    if (arg.values().size() != outs.size())
      throw ValueError(std::string("compile: `") + what + "` has " + std::to_string(arg.values().size()) +
                       " entries, but this model has " + std::to_string(outs.size()) + " output" +
                       (outs.size() == 1 ? "" : "s"));
    return arg.values();
  };
  const auto losses_per_output = per_output(options.loss, "loss", losses::LossArg());
  const auto weights_per_output = per_output(options.loss_weights, "loss_weights", 1.0);
  if (outs.size() > 1 && !options.metrics.empty())
    throw ValueError(
        "compile: this model has several outputs; give its metrics per output, by name: .output_metrics = "
        "{{\"" +
        outs[0] + "\", {\"accuracy\"}}} (Keras: metrics must be a dict or a list per output)");
  for (const auto& [name, list] : options.output_metrics)
    if (std::find(outs.begin(), outs.end(), name) == outs.end() || outs.size() == 1)
      throw ValueError("compile: `output_metrics` names the output '" + name + "', " +
                       (outs.size() == 1 ? std::string("but output_metrics is for models of several outputs; use "
                                                       "`metrics`")
                                         : std::string("which is not one of the model's outputs")));
  auto own = std::move(st.own_metrics);
  st = detail::CompiledState{};
  st.own_metrics = std::move(own);
  st.optimizer = std::move(optimizer);
  st.loss = losses_per_output[0].get();
  st.loss_weight = options.loss_weights.empty() ? std::optional<double>() : weights_per_output[0];
  if (outs.size() > 1) {
    st.multi_output = true;
    st.output_names = outs;
    for (size_t i = 0; i < outs.size(); ++i) {
      st.output_losses.push_back(losses_per_output[i].get());
      st.output_loss_weights.push_back(weights_per_output[i]);
      st.output_loss_trackers.push_back(
          st.output_losses.back() ? std::make_shared<metrics::Mean>(metrics::MeanOptions{.name = outs[i] + "_loss"})
                                  : nullptr);
      auto it = options.output_metrics.find(outs[i]);
      st.output_metric_args.push_back(it == options.output_metrics.end() ? std::vector<metrics::MetricArg>{}
                                                                         : it->second);
    }
  }
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
    for (auto& t : st.output_loss_trackers)
      if (t) out.push_back(t);
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

void detail::CompiledState::build_output_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred) {
  if (metrics_built) return;
  for (size_t i = 0; i < output_metric_args.size() && i < y_pred.size(); ++i)
    for (const auto& a : output_metric_args[i]) {
      auto m = a.resolve(i < y.size() && y[i].defined() ? y[i].shape() : y_pred[i].shape(), y_pred[i].shape());
      if (!m) continue;
      m->set_name(output_names[i] + "_" + m->name());
      compiled_metrics.push_back(m);
      metric_weighted.push_back(false);
      metric_output.push_back(i);
    }
  metrics_built = true;
}

Tensor Model::compute_output_losses(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                                    const Tensor& sample_weight) {
  auto& st = *state_;
  if (y_pred.size() != st.output_losses.size())
    throw ValueError("The model returned " + std::to_string(y_pred.size()) + " outputs, but it was compiled for " +
                     std::to_string(st.output_losses.size()));
  std::vector<Tensor> terms;
  for (size_t i = 0; i < y_pred.size(); ++i) {
    if (!st.output_losses[i]) continue;
    if (i >= y.size() || !y[i].defined())
      throw ValueError("The output '" + st.output_names[i] + "' has a loss, but no targets were given for it: pass " +
                       "one target array per output (" + std::to_string(y_pred.size()) + "), in the model's order");
    Tensor l;
    try {
      l = (*st.output_losses[i])(y[i], y_pred[i], sample_weight);
    } catch (const Error& e) {
      throw ValueError("The loss '" + st.output_losses[i]->name() + "' of output '" + st.output_names[i] +
                       "' cannot compare targets of shape " + dims_and_dtype(y[i]) + " with the output of shape " +
                       dims_and_dtype(y_pred[i]) + ". Details: " + e.what());
    }
    st.output_loss_trackers[i]->update_state(l, detail::batch_size_weight(y_pred[i]));
    terms.push_back(ops::multiply(l, ops::convert_to_tensor(st.output_loss_weights[i], l.dtype())));
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

Logs Model::compute_output_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                                   const Tensor& sample_weight) {
  auto& st = *state_;
  (void)sample_weight;
  st.build_output_metrics(y, y_pred);
  for (size_t k = 0; k < st.compiled_metrics.size(); ++k) {
    const size_t i = st.metric_output[k];
    if (i >= y.size() || !y[i].defined())
      throw ValueError("The output '" + st.output_names[i] + "' has metrics, but no targets were given for it");
    st.compiled_metrics[k]->update_state(y[i], y_pred[i], Tensor());
  }
  return get_metrics_result();
}

Logs Model::multi_step(const Batch& batch, bool training) {
  auto& st = *state_;
  const std::vector<Tensor> xs = batch.xs.empty() ? std::vector<Tensor>{batch.x} : batch.xs;
  std::vector<Tensor> ys = batch.ys;
  if (ys.empty() && batch.y.defined()) ys.push_back(batch.y);
  std::vector<Variable> tw;
  std::vector<Tensor> grads;
  std::vector<Tensor> y_pred;
  Tensor loss;
  {
    std::optional<GradientTape> tape;
    if (training) tape.emplace();
    y_pred = (*this)(xs, training);
    if (training) tw = trainable_weights();
    if (st.multi_output) {
      loss = compute_output_losses(ys, y_pred, batch.sample_weight);
    } else {
      if (y_pred.size() != 1)
        throw ValueError("Model '" + name() + "' returned " + std::to_string(y_pred.size()) +
                         " outputs; compile() only knows one");
      if (ys.size() > 1)
        throw ValueError("Model '" + name() + "' has one output, but " + std::to_string(ys.size()) +
                         " target arrays were given");
      loss = compute_loss(xs[0], ys.empty() ? Tensor() : ys[0], y_pred[0], batch.sample_weight, training);
    }
    st.loss_tracker->update_state(loss, detail::batch_size_weight(xs[0]));
    if (training && !tw.empty()) grads = tape->gradient(st.optimizer->scale_loss(loss), tw);
  }
  if (training) {
    if (!tw.empty()) {
      st.optimizer->apply(grads, tw);
    } else if (!st.warned_no_trainable) {
      detail::user_warning("The model does not have any trainable weights.");
      st.warned_no_trainable = true;
    }
  }
  if (st.multi_output) return compute_output_metrics(ys, y_pred, batch.sample_weight);
  return compute_metrics(xs[0], ys.empty() ? Tensor() : ys[0], y_pred[0], batch.sample_weight);
}

Logs Model::train_step(const Batch& batch) {
  auto& st = *state_;
  if (!batch.xs.empty() || !batch.ys.empty() || st.multi_output) return multi_step(batch, true);
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
  if (!batch.xs.empty() || !batch.ys.empty() || st.multi_output) return multi_step(batch, false);
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
