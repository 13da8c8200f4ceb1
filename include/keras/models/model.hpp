#pragma once
/// keras::Model: a layer that trains. compile, fit, evaluate, predict, and the
/// overridable train_step / test_step / predict_step they run.
///
/// Example (subclassing, as the seed's SimplifiedModel):
///   class Linear : public keras::Model {
///    public:
///     keras::layers::Dense dense = track("dense", keras::layers::Dense(1));
///     keras::Tensor call(const keras::Tensor& x, bool) override { return dense(x); }
///   };
///   Linear model;
///   model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
///   keras::History h = model.fit(x, y, {.batch_size = 10, .epochs = 5});
///   std::map<std::string, double> scores = model.evaluate(x, y);   // {"loss": ..., "mae": ...}
///   keras::Tensor y_pred = model.predict(x);
///
/// Metrics stream over an epoch (and over evaluate): the logs of a step are
/// the metrics' results over every batch since the last reset, never an
/// average of per-batch values. The "loss" metric weights each batch by its
/// size, as Keras' loss tracker does.
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "keras/callbacks/callback.hpp"
#include "keras/data/dataset.hpp"
#include "keras/distribute/strategy.hpp"
#include "keras/layers/layer.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/optimizers.hpp"

namespace keras {
struct Batch;
}  // namespace keras
template <>
struct std::tuple_size<keras::Batch> : std::integral_constant<std::size_t, 3> {};
template <std::size_t I>
struct std::tuple_element<I, keras::Batch> {
  using type = keras::Tensor;
};

namespace keras {

/// One batch as a step sees it; sample_weight may be undefined.
struct Batch {
  Tensor x{};
  Tensor y{};
  Tensor sample_weight{};
  /// Data given as lists (a model of several inputs or outputs): every input / target in the
  /// model's order; x / y are then undefined.
  std::vector<Tensor> xs{};
  std::vector<Tensor> ys{};
};
/// `const auto& [x, y, sample_weight] = batch;` (the tuple protocol: x, y, sample_weight).
template <std::size_t I>
const Tensor& get(const Batch& b) {
  static_assert(I < 3, "a Batch unpacks into x, y, sample_weight");
  if constexpr (I == 0)
    return b.x;
  else if constexpr (I == 1)
    return b.y;
  else
    return b.sample_weight;
}
template <std::size_t I>
Tensor& get(Batch& b) {
  static_assert(I < 3, "a Batch unpacks into x, y, sample_weight");
  if constexpr (I == 0)
    return b.x;
  else if constexpr (I == 1)
    return b.y;
  else
    return b.sample_weight;
}
template <std::size_t I>
Tensor&& get(Batch&& b) {
  return std::move(get<I>(b));
}

/// What a step returns: metric name -> value (0-d tensors, read when the logs are needed).
using Logs = std::map<std::string, Tensor>;

using History = callbacks::History;

/// fit's / evaluate's / predict's `verbose`: "auto", 0, 1 or 2. "auto" is 1 when stdout is a
/// terminal and 2 otherwise.
class Verbose {
 public:
  Verbose(int level);          // NOLINT: implicit, as Keras takes 0/1/2
  Verbose(const char* level);  // NOLINT: "auto"
  /// 0, 1 or 2 (auto resolved against stdout).
  int resolve() const;
  bool is_auto() const { return auto_; }

 private:
  int level_ = 1;
  bool auto_ = true;
};

/// Keras' jit_compile: true, false or "auto". Accepted; the compiled mode comes with the graph
/// executor.
class JitCompile {
 public:
  JitCompile(bool value) : value_(value ? 1 : 0) {}  // NOLINT
  JitCompile(const char* value);                     // NOLINT: "auto"
  std::string str() const { return value_ < 0 ? "auto" : (value_ ? "true" : "false"); }

 private:
  int value_ = -1;
};

/// A compile argument given per output: one value (for every output), a list by output position
/// (`{"mse", "sparse_categorical_crossentropy"}`) or output name -> value (`{{"reg", "mse"}}`), as
/// Keras takes a value, a list or a dict.
template <class T>
class PerOutput {
 public:
  PerOutput() = default;
  template <class U>
  requires(std::constructible_from<T, U&&> && !std::same_as<std::remove_cvref_t<U>, PerOutput>) PerOutput(U&& value)
      : values_{T(std::forward<U>(value))}, single_(true) {}                 // NOLINT: implicit
  PerOutput(std::initializer_list<T> by_position) : values_(by_position) {}  // NOLINT
  PerOutput(std::initializer_list<std::pair<const char*, T>> by_name) {      // NOLINT
    for (const auto& [name, value] : by_name) {
      names_.emplace_back(name);
      values_.push_back(value);
    }
  }
  PerOutput(std::vector<T> by_position) : values_(std::move(by_position)) {}  // NOLINT
  PerOutput(const std::map<std::string, T>& by_name) {                        // NOLINT
    for (const auto& [name, value] : by_name) {
      names_.push_back(name);
      values_.push_back(value);
    }
  }
  bool empty() const { return values_.empty(); }
  /// One value, not a list.
  bool single() const { return single_; }
  /// Keyed by output name.
  bool by_name() const { return !names_.empty(); }
  const std::vector<T>& values() const { return values_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<T> values_;
  std::vector<std::string> names_;
  bool single_ = false;
};

struct CompileOptions {
  optimizers::OptimizerArg optimizer = "rmsprop";
  /// One loss (applied to every output), one per output by position, or output name -> loss.
  PerOutput<losses::LossArg> loss{};
  /// The weight of each output's loss in the total (by position or by output name); default 1.
  PerOutput<double> loss_weights{};
  /// The metrics of a single-output model.
  std::vector<metrics::MetricArg> metrics{};
  /// A model of several outputs: output name -> its metrics (Keras' metrics={"cls": ["accuracy"]});
  /// logged as "<output>_<metric>".
  std::map<std::string, std::vector<metrics::MetricArg>> output_metrics{};
  /// Metrics that take the sample weights (and class weights).
  std::vector<metrics::MetricArg> weighted_metrics{};
  bool run_eagerly = false;
  int64_t steps_per_execution = 1;
  JitCompile jit_compile = "auto";
  bool auto_scale_loss = true;
};

/// fit's validation_data: (x, y), (x, y, sample_weight) or a batched Dataset.
struct ValidationData {
  ValidationData() = default;
  ValidationData(Tensor x_, Tensor y_, Tensor sample_weight_ = {})
      : x(std::move(x_)), y(std::move(y_)), sample_weight(std::move(sample_weight_)) {}
  ValidationData(data::Dataset ds) : dataset(std::move(ds)) {}  // NOLINT: implicit, as Keras takes a dataset
  /// Lists of inputs and targets (a model of several inputs or outputs).
  ValidationData(std::vector<Tensor> xs_, std::vector<Tensor> ys_, Tensor sample_weight_ = {})
      : sample_weight(std::move(sample_weight_)), xs(std::move(xs_)), ys(std::move(ys_)) {}
  Tensor x{};
  Tensor y{};
  Tensor sample_weight{};
  std::optional<data::Dataset> dataset{};
  std::vector<Tensor> xs{};
  std::vector<Tensor> ys{};
  bool defined() const { return x.defined() || !xs.empty() || dataset.has_value(); }
};

struct FitOptions {
  /// Default 32.
  std::optional<int64_t> batch_size{};
  int64_t epochs = 1;
  Verbose verbose = "auto";
  std::vector<callbacks::CallbackArg> callbacks{};
  /// The last fraction of the (unshuffled) data kept for validation.
  double validation_split = 0.0;
  ValidationData validation_data{};
  /// Reshuffle the samples before each epoch.
  bool shuffle = true;
  /// Class index -> weight, multiplied into the sample weights.
  std::map<int64_t, double> class_weight{};
  /// One weight per sample (shape (n,) or (n, 1)).
  Tensor sample_weight{};
  int64_t initial_epoch = 0;
  std::optional<int64_t> steps_per_epoch{};
  std::optional<int64_t> validation_steps{};
  std::optional<int64_t> validation_batch_size{};
  int64_t validation_freq = 1;
};

struct EvaluateOptions {
  std::optional<int64_t> batch_size{};
  Verbose verbose = "auto";
  Tensor sample_weight{};
  std::optional<int64_t> steps{};
  std::vector<callbacks::CallbackArg> callbacks{};
};

struct PredictOptions {
  std::optional<int64_t> batch_size{};
  Verbose verbose = "auto";
  std::optional<int64_t> steps{};
  std::vector<callbacks::CallbackArg> callbacks{};
};

struct SummaryOptions {
  /// Total width; default: Keras' (88, or 108 with a "Connected to" column) capped by the terminal.
  std::optional<int> line_length{};
  bool show_trainable = false;
  /// Where lines go; default std::cout.
  std::function<void(const std::string&)> print_fn{};
};

struct ModelOptions {
  std::string name{};
  bool trainable = true;
  std::optional<DType> dtype{};
};

namespace detail {
class Trainer;
class BatchSource;
struct CompiledState;
struct FunctionalGraph;
}  // namespace detail

/// Options of Model::save_weights.
struct SaveWeightsOptions {
  /// Replace an existing file (false: keras::Error if it exists). Default true.
  bool overwrite = true;
};

/// Options of Model::save.
struct SaveOptions {
  /// Replace an existing file (false: keras::Error if it exists). Default true.
  bool overwrite = true;
};

/// Options of Model::load_weights.
struct LoadWeightsOptions {
  /// Skip (with a warning) layers whose variable count or shapes differ instead of failing. Default false.
  bool skip_mismatch = false;
};

class Model : public Layer {
 public:
  explicit Model(ModelOptions options = {});
  /// A Functional model: the layer calls recorded from `inputs` (keras::Input tensors) to
  /// `outputs`, replayed on each call. Layers are shared with the graph (and with any other model
  /// that calls them).
  ///   auto a = keras::Input({4}), b = keras::Input({3});
  ///   auto h = keras::layers::Dense(8, "relu")(keras::layers::Concatenate()({a, b}));
  ///   keras::Model model({a, b}, {keras::layers::Dense(1)(h), keras::layers::Dense(3)(h)});
  Model(const Tensors& inputs, const Tensors& outputs, ModelOptions options = {});
  ~Model() override;
  /// "Functional" for a Functional model, else "Model".
  std::string class_name() const override;

  /// A Functional model's graph (false for a subclassed model).
  bool is_functional() const { return functional_ != nullptr; }
  /// A Functional model's symbolic inputs / outputs and their names (the producing layers').
  std::vector<Tensor> inputs() const;
  std::vector<Tensor> outputs() const;
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;
  /// A Functional model's recorded graph (null for a subclassed model); for tools such as
  /// utils::plot_model.
  std::shared_ptr<const detail::FunctionalGraph> functional_graph() const { return functional_; }

  /// A Functional model runs its graph; a subclass overrides call().
  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;

  /// The model's layers (Keras' `model.layers`): the tracked sublayers; Sequential lists its own.
  virtual std::vector<std::shared_ptr<Layer>> layers() const { return sublayers(); }

  // ---- training configuration -----------------------------------------------------------------------
  /// Configures training. Names ("adam", "mse", "accuracy") and objects are both accepted.
  void compile(CompileOptions options = {});
  bool compiled() const;
  /// The compiled optimizer (keras::ValueError before compile).
  optimizers::Optimizer& optimizer() const;
  /// The compiled loss, or null.
  std::shared_ptr<const losses::Loss> loss() const;
  int64_t steps_per_execution() const;
  bool run_eagerly() const;

  // ---- the loops --------------------------------------------------------------------------------------
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  /// Inputs only (a model whose train_step needs no targets, or with add_loss losses).
  History fit(const Tensor& x, FitOptions options = {});
  /// From a batched dataset of (x, y) or (x, y, sample_weight) elements (batch_size, shuffle,
  /// class_weight and sample_weight do not apply: the dataset decides).
  History fit(const data::Dataset& dataset, FitOptions options = {});
  /// Several inputs and/or outputs: one array per input and per output, in the model's order
  /// (`model.fit({x_a, x_b}, {y_reg, y_cls})`).
  History fit(const Tensors& x, const Tensors& y, FitOptions options = {});
  std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  std::map<std::string, double> evaluate(const Tensors& x, const Tensors& y, EvaluateOptions options = {});
  std::map<std::string, double> evaluate(const data::Dataset& dataset, EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});
  Tensor predict(const data::Dataset& dataset, PredictOptions options = {});
  /// Every output of a model of several inputs or outputs, one array per output.
  Tensors predict(const Tensors& x, PredictOptions options = {});
  /// One training step on one batch; returns the metrics' results (not reset in between calls,
  /// as Keras with reset_metrics=true resets before: this resets first).
  std::map<std::string, double> train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight = {},
                                               const std::map<int64_t, double>& class_weight = {});
  std::map<std::string, double> test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight = {});
  Tensor predict_on_batch(const Tensor& x);

  /// Set from a callback to end fit after the current batch / epoch.
  bool stop_training = false;

  // ---- the steps: override to customize --------------------------------------------------------------
  /// Forward pass under a GradientTape, compute_loss, gradients, optimizer update, compute_metrics.
  virtual Logs train_step(const Batch& batch);
  /// Forward pass in inference mode, the loss tracker and the metrics.
  virtual Logs test_step(const Batch& batch);
  /// The model's output for batch.x in inference mode.
  virtual Tensor predict_step(const Batch& batch);

  /// The compiled loss (weighted by loss_weights) plus every add_loss / regularization loss.
  virtual Tensor compute_loss(const Tensor& x, const Tensor& y, const Tensor& y_pred,
                              const Tensor& sample_weight = Tensor(), bool training = true);
  /// Updates the compiled metrics and returns get_metrics_result().
  virtual Logs compute_metrics(const Tensor& x, const Tensor& y, const Tensor& y_pred,
                               const Tensor& sample_weight = Tensor());
  /// Each metric's current result, by name.
  Logs get_metrics_result();
  /// The loss tracker, the compiled metrics (once built on the first batch), then the model's own.
  std::vector<std::shared_ptr<metrics::Metric>> metrics();
  std::vector<std::string> metrics_names();
  void reset_metrics();
  /// The "loss" Mean metric the default steps update.
  metrics::Mean& loss_tracker();
  /// Adds a metric that metrics() reports and reset_metrics() resets (a custom step updates it).
  void add_metric(std::shared_ptr<metrics::Metric> metric);

  distribute::Strategy& distribute_strategy() const { return *strategy_; }
  /// The History of the last fit.
  const History& history() const;

  /// Prints the layer table in Keras 3's layout.
  void summary(SummaryOptions options = {});
  /// The table as text (what summary() prints).
  std::string summary_string(SummaryOptions options = {});

  // ---- weights files (Keras 3's .weights.h5) --------------------------------------------------------
  /// Writes every layer's weights and the optimizer's state (when compiled) in Keras 3's
  /// `.weights.h5` layout (FORMATS.md section 2), atomically: a crash mid-write leaves the old
  /// file (or none). The name must end in ".weights.h5".
  /// Example: `model.save_weights("ckpt.weights.h5");`
  void save_weights(const std::string& filepath, SaveWeightsOptions options = {});
  /// Reads a `.weights.h5` file written by save_weights or by Python Keras into this model (which
  /// must be built). Everything is checked before anything is assigned: a missing group, a count
  /// or shape that differs (the error names the layer and both shapes) or a damaged file leaves
  /// the model unchanged. Optimizer state whose variable count differs is skipped with a warning,
  /// as Keras does.
  void load_weights(const std::string& filepath, LoadWeightsOptions options = {});

  // ---- whole models (Keras 3's .keras archive; see keras/saving.hpp) ----------------------------------
  /// Writes the `.keras` archive (config.json, metadata.json, model.weights.h5) atomically: the
  /// architecture, every weight, and when compiled the compile arguments and optimizer state, as
  /// Python Keras 3 writes them. keras::models::load_model (or Python's) reads it back.
  /// Example: `model.save("m.keras");`
  void save(const std::string& filepath, SaveOptions options = {});
  /// The architecture as JSON text (Keras' to_json): the model's envelope without weights or
  /// compile arguments. keras::models::model_from_json rebuilds it.
  std::string to_json() const;
  /// A Functional model's config (name, trainable, layers with inbound_nodes, input_layers,
  /// output_layers); a subclassed model's base config.
  nlohmann::json get_config() const override;
  /// The compile() arguments as Keras records them ({} when not compiled).
  nlohmann::json get_compile_config() const;
  /// compile() from get_compile_config()'s record.
  void compile_from_config(const nlohmann::json& config);

 protected:
  /// Sequential-like models list their layers in summary().
  virtual std::vector<std::shared_ptr<Layer>> summary_layers() const { return layers(); }

 private:
  friend class detail::Trainer;
  /// The metrics' results when a step returned exactly their names, else the step's logs.
  Logs get_metrics_result_or(const Logs& logs);
  /// The default steps of a model given lists, or of several outputs.
  Logs multi_step(const Batch& batch, bool training);
  Tensor compute_output_losses(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                               const Tensor& sample_weight);
  Logs compute_output_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                              const Tensor& sample_weight);
  std::vector<Tensor> predict_lists(std::unique_ptr<detail::BatchSource> source, const PredictOptions& o);
  History fit_loop(std::unique_ptr<detail::BatchSource> train, const ValidationData& val, const FitOptions& o);
  std::map<std::string, double> evaluate_source(std::unique_ptr<detail::BatchSource> source, const EvaluateOptions& o);
  Tensor predict_source(std::unique_ptr<detail::BatchSource> source, const PredictOptions& o);
  std::unique_ptr<detail::CompiledState> state_;
  std::shared_ptr<const detail::FunctionalGraph> functional_;
  distribute::Strategy* strategy_;
  std::shared_ptr<History> history_;
};

}  // namespace keras
