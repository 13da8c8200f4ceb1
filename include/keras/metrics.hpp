#pragma once
/// keras::metrics: Keras 3's streaming metrics (keras.metrics).
///
/// Example:
///   using namespace keras;
///   metrics::AUC auc({.curve = "PR"});
///   for (auto& [y_true, y_pred] : batches) auc.update_state(y_true, y_pred);
///   float pr_auc = auc.result().item<float>();        // over every batch since the last reset
///   auc.reset_state();
///
///   auto acc = metrics::resolve_for_compile("acc", y_true.shape(), y_pred.shape());   // compile()'s rule
///   metrics::MetricArg arg = "mae";                   // what compile() takes: logs as "mae"
///
/// A metric keeps its state in non-trainable keras::Variables (variables(),
/// named as Keras names them: Mean's "total" and "count"). update_state adds a
/// batch to that state and result() computes the value over everything since
/// the last reset_state() (never a mean of per-batch results). Updates are not
/// recorded by a GradientTape.
///
/// Copies share state: a metric copied into a model (through MetricArg) and
/// the object the user kept are the same metric, as a Python reference would
/// be. Construct a new object for an independent one.
///
/// Sample weights are applied as Keras applies them. For the mean metrics the
/// per-sample values v (one per sample after the metric function) give
/// total += sum(v * w) and count += sum(w), after the weights have been
/// squeezed or expanded to the values' rank and broadcast to their shape.
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::metrics {

/// A metric function of (y_true, y_pred) returning per-sample values.
using MetricFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// ---- plain functions (keras.metrics.<function>) ----------------------------------------------------------
// Each returns one float32 value per sample (1 for a match, 0 otherwise, for the accuracies).

/// y_true == y_pred, after y_true is cast to y_pred's dtype and both are brought to the same rank.
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);
/// y_true == (y_pred > threshold).
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);
/// argmax(y_true) == argmax(y_pred) along the last axis (ties: the first index).
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// y_true (integer labels, shape (N,) or (N, 1)) == argmax(y_pred) along the last axis.
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// Whether argmax(y_true) is among the k largest of y_pred (a tie with the k-th counts as in).
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int64_t k = 5);
/// Whether the integer label is among the k largest of y_pred. With from_sorted_ids, y_pred holds
/// class ids sorted by score and the first k of them are searched.
Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int64_t k = 5,
                                         bool from_sorted_ids = false);
/// sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): 1 when they point the same way.
/// (The loss keras::losses::cosine_similarity is its negative.)
Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int64_t axis = -1);

// ---- Metric ----------------------------------------------------------------------------------------------

/// The base of every metric.
///
/// Example (a user metric; the state lives in Variables, so copies share it):
///   class BinaryTruePositives : public keras::metrics::Metric {
///    public:
///     BinaryTruePositives() : Metric("binary_true_positives") { tp_ = add_variable({}, "true_positives"); }
///     Tensor result() const override { return tp_.value(); }
///    protected:
///     void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
///       Tensor v = ops::cast(ops::logical_and(ops::cast(y_true, bool_), ops::cast(y_pred, bool_)), float32);
///       if (sample_weight.defined()) v = v * ops::broadcast_to(sample_weight, v.shape());
///       tp_.assign_add(ops::sum(v));
///     }
///    private:
///     Variable tp_;
///   };
class Metric {
 public:
  virtual ~Metric() = default;
  Metric(const Metric&) = default;
  Metric& operator=(const Metric&) = default;
  Metric(Metric&&) = default;
  Metric& operator=(Metric&&) = default;

  /// Adds a batch to the state (calls update() with every GradientTape paused).
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor());
  /// The value over every batch since the last reset: a 0-d tensor, or a vector for metrics with
  /// several thresholds or per-class values.
  virtual Tensor result() const = 0;
  /// Sets every state variable to zero.
  virtual void reset_state();
  /// update_state, then result() (Keras' __call__).
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor());

  /// The name logs use ("mean_squared_error", or the string given to compile()).
  const std::string& name() const;
  /// Renames the metric (and every copy of it), as compile() names a metric after its string.
  void set_name(const std::string& name);
  /// The Keras class name ("MeanSquaredError").
  virtual std::string class_name() const { return "Metric"; }
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;
  /// The state variables (non-trainable), in the order Keras creates them. Metrics that size their
  /// state from the data (F1Score, R2Score, AUC with multi_label) have none before the first update.
  std::vector<Variable> variables() const;
  /// "up" when larger is better, "down" when smaller is, "" when neither (Keras' _direction; callbacks'
  /// mode="auto" reads it).
  const std::string& direction() const { return direction_; }
  /// The dtype of the computation (float32 by default, as Keras' floatx()).
  DType dtype() const { return dtype_; }

 protected:
  /// `name` empty: "metric" made unique ("metric_1", ...). `dtype` must be floating.
  explicit Metric(const std::string& name = "", std::optional<DType> dtype = std::nullopt, std::string direction = "");
  /// Adds the batch to the state; y_true and y_pred are defined, sample_weight may not be.
  virtual void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) = 0;
  /// A zero-filled non-trainable state variable, shared by every copy; dtype defaults to float32
  /// (Keras' floatx(), whatever the metric's dtype, as Keras' add_variable does).
  Variable add_variable(const Shape& shape, const std::string& name, std::optional<DType> dtype = std::nullopt);
  /// The i-th state variable, in the order add_variable made them.
  Variable variable(size_t index) const;
  size_t num_variables() const;
  void set_direction(std::string direction) { direction_ = std::move(direction); }

 private:
  struct State;
  std::shared_ptr<State> state_;
  DType dtype_;
  std::string direction_;
};

/// The options every metric class shares, last in each options struct.
template <class T>
concept MetricOptionsLike = requires(const T& o) {
  { o.name } -> std::convertible_to<std::string>;
  { o.dtype } -> std::convertible_to<std::optional<DType>>;
};

// ---- reduction metrics (keras/src/metrics/reduction_metrics.py) ---------------------------------------------

struct MeanOptions {
  std::string name = "mean";
  /// Dtype of the state and the result; float32 when unset (Keras' floatx()).
  std::optional<DType> dtype{};
};
/// The (weighted) mean of the values given: total / count. Variables "total" and "count".
///
/// Example: `Mean m; m.update_state(Tensor({1.f, 3.f, 5.f, 7.f})); m.result()  // 4`
class Mean : public Metric {
 public:
  using Options = MeanOptions;
  explicit Mean(Options options = {});
  /// Adds values (any shape; reduced to one mean per sample) with optional weights.
  void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
  Tensor result() const override;
  std::string class_name() const override { return "Mean"; }

 protected:
  Mean(const std::string& name, std::optional<DType> dtype, std::string direction);
  /// Mean takes values, not (y_true, y_pred): throws keras::TypeError, as Keras does.
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  /// Keras' Mean.update_state: `mask` is the values' own mask (Keras' _keras_mask on the values,
  /// which only counts when sample weights are given).
  void accumulate(const Tensor& values, const Tensor& sample_weight, const Tensor& mask = Tensor());
};

struct SumOptions {
  std::string name = "sum";
  std::optional<DType> dtype{};
};
/// The (weighted) sum of the values given. Variable "total".
class Sum : public Metric {
 public:
  using Options = SumOptions;
  explicit Sum(Options options = {});
  void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
  Tensor result() const override;
  std::string class_name() const override { return "Sum"; }

 protected:
  /// Sum takes values, not (y_true, y_pred): throws keras::TypeError.
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
};

struct MeanMetricWrapperOptions {
  /// "mean_metric_wrapper" made unique when empty (Keras' auto_name).
  std::string name{};
  std::optional<DType> dtype{};
};
/// The mean of fn(y_true, y_pred) over every sample seen. Wrapping one of
/// keras::losses' plain functions (by function pointer) gives direction "down", as in Keras.
///
/// Example:
///   MeanMetricWrapper m([](const Tensor& t, const Tensor& p) { return ops::square(t - p); }, "sq");
class MeanMetricWrapper : public Mean {
 public:
  using Options = MeanMetricWrapperOptions;
  explicit MeanMetricWrapper(MetricFn fn, Options options = {});
  MeanMetricWrapper(MetricFn fn, const std::string& name);
  using Metric::update_state;
  std::string class_name() const override { return "MeanMetricWrapper"; }

 protected:
  /// A metric function that also returns the values' mask (undefined when there is none).
  using MaskedFn = std::function<std::pair<Tensor, Tensor>(const Tensor&, const Tensor&)>;
  MeanMetricWrapper(MaskedFn fn, const std::string& name, std::optional<DType> dtype, std::string direction);
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  MaskedFn fn_;
};

// ---- accuracy metrics (keras/src/metrics/accuracy_metrics.py) -----------------------------------------------

struct AccuracyOptions {
  std::string name = "accuracy";
  std::optional<DType> dtype{};
};
/// How often y_pred equals y_true.
class Accuracy : public MeanMetricWrapper {
 public:
  using Options = AccuracyOptions;
  explicit Accuracy(Options options = {});
  std::string class_name() const override { return "Accuracy"; }
};

struct BinaryAccuracyOptions {
  /// A prediction above it counts as 1.
  double threshold = 0.5;
  std::string name = "binary_accuracy";
  std::optional<DType> dtype{};
};
/// How often y_pred > threshold equals the 0/1 label.
class BinaryAccuracy : public MeanMetricWrapper {
 public:
  using Options = BinaryAccuracyOptions;
  explicit BinaryAccuracy(Options options = {});
  std::string class_name() const override { return "BinaryAccuracy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CategoricalAccuracyOptions {
  std::string name = "categorical_accuracy";
  std::optional<DType> dtype{};
};
/// How often argmax(y_pred) equals argmax(y_true) (one-hot labels).
class CategoricalAccuracy : public MeanMetricWrapper {
 public:
  using Options = CategoricalAccuracyOptions;
  explicit CategoricalAccuracy(Options options = {});
  std::string class_name() const override { return "CategoricalAccuracy"; }
};

struct SparseCategoricalAccuracyOptions {
  std::string name = "sparse_categorical_accuracy";
  std::optional<DType> dtype{};
};
/// How often argmax(y_pred) equals the integer label.
class SparseCategoricalAccuracy : public MeanMetricWrapper {
 public:
  using Options = SparseCategoricalAccuracyOptions;
  explicit SparseCategoricalAccuracy(Options options = {});
  std::string class_name() const override { return "SparseCategoricalAccuracy"; }
};

struct TopKCategoricalAccuracyOptions {
  /// How many of the top predictions are searched.
  int64_t k = 5;
  std::string name = "top_k_categorical_accuracy";
  std::optional<DType> dtype{};
};
/// How often the one-hot target is among the k largest predictions.
class TopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  using Options = TopKCategoricalAccuracyOptions;
  explicit TopKCategoricalAccuracy(Options options = {});
  std::string class_name() const override { return "TopKCategoricalAccuracy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct SparseTopKCategoricalAccuracyOptions {
  int64_t k = 5;
  /// y_pred holds class ids sorted by score (the first k are the top k) instead of scores.
  bool from_sorted_ids = false;
  std::string name = "sparse_top_k_categorical_accuracy";
  std::optional<DType> dtype{};
};
/// How often the integer label is among the k largest predictions.
class SparseTopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  using Options = SparseTopKCategoricalAccuracyOptions;
  explicit SparseTopKCategoricalAccuracy(Options options = {});
  std::string class_name() const override { return "SparseTopKCategoricalAccuracy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- regression metrics (keras/src/metrics/regression_metrics.py) -------------------------------------------

struct MeanSquaredErrorOptions {
  std::string name = "mean_squared_error";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::mean_squared_error.
class MeanSquaredError : public MeanMetricWrapper {
 public:
  using Options = MeanSquaredErrorOptions;
  explicit MeanSquaredError(Options options = {});
  std::string class_name() const override { return "MeanSquaredError"; }
};

struct RootMeanSquaredErrorOptions {
  std::string name = "root_mean_squared_error";
  std::optional<DType> dtype{};
};
/// sqrt of the (weighted) mean of square(y_pred - y_true) over every element seen.
class RootMeanSquaredError : public Mean {
 public:
  using Options = RootMeanSquaredErrorOptions;
  explicit RootMeanSquaredError(Options options = {});
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "RootMeanSquaredError"; }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
};

struct MeanAbsoluteErrorOptions {
  std::string name = "mean_absolute_error";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::mean_absolute_error.
class MeanAbsoluteError : public MeanMetricWrapper {
 public:
  using Options = MeanAbsoluteErrorOptions;
  explicit MeanAbsoluteError(Options options = {});
  std::string class_name() const override { return "MeanAbsoluteError"; }
};

struct MeanAbsolutePercentageErrorOptions {
  std::string name = "mean_absolute_percentage_error";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::mean_absolute_percentage_error.
class MeanAbsolutePercentageError : public MeanMetricWrapper {
 public:
  using Options = MeanAbsolutePercentageErrorOptions;
  explicit MeanAbsolutePercentageError(Options options = {});
  std::string class_name() const override { return "MeanAbsolutePercentageError"; }
};

struct MeanSquaredLogarithmicErrorOptions {
  std::string name = "mean_squared_logarithmic_error";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::mean_squared_logarithmic_error.
class MeanSquaredLogarithmicError : public MeanMetricWrapper {
 public:
  using Options = MeanSquaredLogarithmicErrorOptions;
  explicit MeanSquaredLogarithmicError(Options options = {});
  std::string class_name() const override { return "MeanSquaredLogarithmicError"; }
};

struct CosineSimilarityOptions {
  /// The axis along which the similarity is computed.
  int64_t axis = -1;
  std::string name = "cosine_similarity";
  std::optional<DType> dtype{};
};
/// The mean cosine similarity between y_true and y_pred (1 = same direction).
class CosineSimilarity : public MeanMetricWrapper {
 public:
  using Options = CosineSimilarityOptions;
  explicit CosineSimilarity(Options options = {});
  std::string class_name() const override { return "CosineSimilarity"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct LogCoshErrorOptions {
  std::string name = "logcosh";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::log_cosh.
class LogCoshError : public MeanMetricWrapper {
 public:
  using Options = LogCoshErrorOptions;
  explicit LogCoshError(Options options = {});
  std::string class_name() const override { return "LogCoshError"; }
};

struct R2ScoreOptions {
  /// How the per-output scores combine: "uniform_average" (their mean), "variance_weighted_average"
  /// (weighted by each output's variance), or std::nullopt (the per-output vector).
  std::optional<std::string> class_aggregation = "uniform_average";
  /// The number of independent regressors; > 0 gives the adjusted R2 score (falling back to the
  /// plain score, as Keras does with a warning, when there are too few samples).
  int64_t num_regressors = 0;
  std::string name = "r2_score";
  std::optional<DType> dtype{};
};
/// The coefficient of determination of (batch, outputs) targets. Variables "num_samples", then (at
/// the first update) "squared_sum", "sum", "residual", "count", one value per output.
class R2Score : public Metric {
 public:
  using Options = R2ScoreOptions;
  explicit R2Score(Options options = {});
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "R2Score"; }
  const Options& options() const { return options_; }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  Options options_;
};

// ---- probabilistic metrics (keras/src/metrics/probabilistic_metrics.py) -------------------------------------

struct KLDivergenceOptions {
  std::string name = "kl_divergence";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::kl_divergence.
class KLDivergence : public MeanMetricWrapper {
 public:
  using Options = KLDivergenceOptions;
  explicit KLDivergence(Options options = {});
  std::string class_name() const override { return "KLDivergence"; }
};

struct PoissonOptions {
  std::string name = "poisson";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::poisson.
class Poisson : public MeanMetricWrapper {
 public:
  using Options = PoissonOptions;
  explicit Poisson(Options options = {});
  std::string class_name() const override { return "Poisson"; }
};

struct BinaryCrossentropyOptions {
  /// y_pred holds logits instead of probabilities.
  bool from_logits = false;
  /// In [0, 1]: labels become y (1 - s) + 0.5 s.
  double label_smoothing = 0.0;
  std::string name = "binary_crossentropy";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::binary_crossentropy (y_true and y_pred of the same shape).
class BinaryCrossentropy : public MeanMetricWrapper {
 public:
  using Options = BinaryCrossentropyOptions;
  explicit BinaryCrossentropy(Options options = {});
  std::string class_name() const override { return "BinaryCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CategoricalCrossentropyOptions {
  bool from_logits = false;
  /// In [0, 1]: labels become y (1 - s) + s / num_classes.
  double label_smoothing = 0.0;
  /// The class axis.
  int64_t axis = -1;
  std::string name = "categorical_crossentropy";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::categorical_crossentropy.
class CategoricalCrossentropy : public MeanMetricWrapper {
 public:
  using Options = CategoricalCrossentropyOptions;
  explicit CategoricalCrossentropy(Options options = {});
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct SparseCategoricalCrossentropyOptions {
  bool from_logits = false;
  /// A label to leave out. As in Keras, its samples give 0 and still count in the mean unless sample
  /// weights are passed (then they get weight 0).
  std::optional<int64_t> ignore_class{};
  /// The class axis of y_pred.
  int64_t axis = -1;
  std::string name = "sparse_categorical_crossentropy";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::sparse_categorical_crossentropy.
class SparseCategoricalCrossentropy : public MeanMetricWrapper {
 public:
  using Options = SparseCategoricalCrossentropyOptions;
  explicit SparseCategoricalCrossentropy(Options options = {});
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- hinge metrics (keras/src/metrics/hinge_metrics.py) -----------------------------------------------------

struct HingeOptions {
  std::string name = "hinge";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::hinge.
class Hinge : public MeanMetricWrapper {
 public:
  using Options = HingeOptions;
  explicit Hinge(Options options = {});
  std::string class_name() const override { return "Hinge"; }
};

struct SquaredHingeOptions {
  std::string name = "squared_hinge";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::squared_hinge.
class SquaredHinge : public MeanMetricWrapper {
 public:
  using Options = SquaredHingeOptions;
  explicit SquaredHinge(Options options = {});
  std::string class_name() const override { return "SquaredHinge"; }
};

struct CategoricalHingeOptions {
  std::string name = "categorical_hinge";
  std::optional<DType> dtype{};
};
/// The mean of keras::losses::categorical_hinge.
class CategoricalHinge : public MeanMetricWrapper {
 public:
  using Options = CategoricalHingeOptions;
  explicit CategoricalHinge(Options options = {});
  std::string class_name() const override { return "CategoricalHinge"; }
};

// ---- confusion metrics (keras/src/metrics/confusion_metrics.py) ---------------------------------------------
// Predictions count as positive when strictly above a threshold. Labels count as positive when
// non-zero. Without thresholds there is one, 0.5, and the result is 0-d; with several the result
// holds one value per threshold.

struct TruePositivesOptions {
  /// Each in [0, 1]; {0.5} when empty.
  std::vector<double> thresholds{};
  /// "true_positives" made unique when empty (Keras' auto_name).
  std::string name{};
  std::optional<DType> dtype{};
};
struct FalsePositivesOptions {
  std::vector<double> thresholds{};
  std::string name{};
  std::optional<DType> dtype{};
};
struct TrueNegativesOptions {
  std::vector<double> thresholds{};
  std::string name{};
  std::optional<DType> dtype{};
};
struct FalseNegativesOptions {
  std::vector<double> thresholds{};
  std::string name{};
  std::optional<DType> dtype{};
};

/// The (weighted) count of one confusion-matrix cell per threshold. Variable "accumulator".
class ConfusionMatrixConditionCount : public Metric {
 public:
  using Metric::update_state;
  Tensor result() const override;
  const std::vector<double>& thresholds() const { return thresholds_; }

 protected:
  enum class Cell { kTruePositives, kFalsePositives, kTrueNegatives, kFalseNegatives };
  ConfusionMatrixConditionCount(Cell cell, const std::vector<double>& thresholds, const std::string& name,
                                const char* default_name, std::optional<DType> dtype);
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  Cell cell_;
  std::vector<double> thresholds_;
  bool evenly_;
};

/// Predictions above the threshold whose label is positive.
class TruePositives : public ConfusionMatrixConditionCount {
 public:
  using Options = TruePositivesOptions;
  explicit TruePositives(Options options = {});
  std::string class_name() const override { return "TruePositives"; }
};
/// Predictions above the threshold whose label is negative.
class FalsePositives : public ConfusionMatrixConditionCount {
 public:
  using Options = FalsePositivesOptions;
  explicit FalsePositives(Options options = {});
  std::string class_name() const override { return "FalsePositives"; }
};
/// Predictions at or below the threshold whose label is negative.
class TrueNegatives : public ConfusionMatrixConditionCount {
 public:
  using Options = TrueNegativesOptions;
  explicit TrueNegatives(Options options = {});
  std::string class_name() const override { return "TrueNegatives"; }
};
/// Predictions at or below the threshold whose label is positive.
class FalseNegatives : public ConfusionMatrixConditionCount {
 public:
  using Options = FalseNegativesOptions;
  explicit FalseNegatives(Options options = {});
  std::string class_name() const override { return "FalseNegatives"; }
};

struct PrecisionOptions {
  /// Each in [0, 1]; {0.5} when empty (no threshold at all, -1e10, with top_k).
  std::vector<double> thresholds{};
  /// Only the k largest predictions of each sample count as candidates for positive.
  std::optional<int64_t> top_k{};
  /// Only this class (last axis of y_true/y_pred) counts.
  std::optional<int64_t> class_id{};
  /// "precision" made unique when empty (Keras' auto_name).
  std::string name{};
  std::optional<DType> dtype{};
};
/// true_positives / (true_positives + false_positives). Variables "true_positives", "false_positives".
class Precision : public Metric {
 public:
  using Options = PrecisionOptions;
  explicit Precision(Options options = {});
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "Precision"; }
  const Options& options() const { return options_; }
  const std::vector<double>& thresholds() const { return thresholds_; }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  Options options_;
  std::vector<double> thresholds_;
  bool evenly_;
};

struct RecallOptions {
  std::vector<double> thresholds{};
  std::optional<int64_t> top_k{};
  std::optional<int64_t> class_id{};
  /// "recall" made unique when empty.
  std::string name{};
  std::optional<DType> dtype{};
};
/// true_positives / (true_positives + false_negatives). Variables "true_positives", "false_negatives".
class Recall : public Metric {
 public:
  using Options = RecallOptions;
  explicit Recall(Options options = {});
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "Recall"; }
  const Options& options() const { return options_; }
  const std::vector<double>& thresholds() const { return thresholds_; }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  Options options_;
  std::vector<double> thresholds_;
  bool evenly_;
};

struct AUCOptions {
  /// Thresholds used to discretize the curve (> 1), evenly spaced over [0, 1].
  int64_t num_thresholds = 200;
  /// "ROC", "PR" or "PRGAIN" (lower case accepted).
  std::string curve = "ROC";
  /// "interpolation", "minoring" or "majoring" (capitalized accepted).
  std::string summation_method = "interpolation";
  /// Explicit thresholds in [0, 1] instead of num_thresholds (then num_thresholds = size + 2).
  std::vector<double> thresholds{};
  /// y_pred (batch, labels): one curve per label, averaged; otherwise all values form one curve.
  bool multi_label = false;
  /// With multi_label: the number of labels, to create the variables before the first update.
  std::optional<int64_t> num_labels{};
  /// One non-negative weight per label: the weights of the labels' AUCs in the average
  /// (multi_label), or of their values in the single curve.
  std::vector<double> label_weights{};
  /// y_pred holds logits (a sigmoid is applied first).
  bool from_logits = false;
  /// "auc" made unique when empty.
  std::string name{};
  std::optional<DType> dtype{};
};
/// Area under the ROC or precision-recall curve, from confusion counts at fixed thresholds.
/// Variables "true_positives", "false_positives", "true_negatives", "false_negatives", each of shape
/// (num_thresholds,) or, with multi_label, (num_thresholds, labels) created at the first update.
class AUC : public Metric {
 public:
  using Options = AUCOptions;
  explicit AUC(Options options = {});
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "AUC"; }
  const Options& options() const { return options_; }
  /// The thresholds, including the -epsilon and 1 + epsilon end points.
  const std::vector<double>& thresholds() const { return thresholds_; }
  int64_t num_thresholds() const { return num_thresholds_; }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  void build(const Shape& y_pred_shape);
  Tensor interpolate_pr_auc() const;
  Tensor average_over_labels(const Tensor& by_label) const;
  Options options_;
  int64_t num_thresholds_;
  std::vector<double> thresholds_;
  bool evenly_;
  Tensor label_weights_;
};

// ---- F-scores (keras/src/metrics/f_score_metrics.py) ---------------------------------------------------------

struct FBetaScoreOptions {
  /// std::nullopt (one score per class), "micro" (over all counts), "macro" (mean of the class
  /// scores) or "weighted" (their mean weighted by each class's support).
  std::optional<std::string> average{};
  /// The weight of recall against precision (> 0).
  double beta = 1.0;
  /// In (0, 1]: predictions above it are positive. Unset: each sample's largest prediction is.
  std::optional<double> threshold{};
  std::string name = "fbeta_score";
  std::optional<DType> dtype{};
};
/// (1 + beta^2) precision recall / (beta^2 precision + recall) for (batch, classes) inputs. Variables
/// (made at the first update) "true_positives", "false_positives", "false_negatives", "intermediate_weights".
class FBetaScore : public Metric {
 public:
  using Options = FBetaScoreOptions;
  explicit FBetaScore(Options options = {});
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "FBetaScore"; }
  const Options& options() const { return options_; }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;

 private:
  Options options_;
};

struct F1ScoreOptions {
  std::optional<std::string> average{};
  std::optional<double> threshold{};
  std::string name = "f1_score";
  std::optional<DType> dtype{};
};
/// FBetaScore with beta = 1: the harmonic mean of precision and recall.
class F1Score : public FBetaScore {
 public:
  using Options = F1ScoreOptions;
  explicit F1Score(Options options = {});
  std::string class_name() const override { return "F1Score"; }
};

// ---- lookup and compile() ----------------------------------------------------------------------------------

/// A metric by name, named `identifier` (as compile() names it: `metrics=["mae"]` logs "mae"). Accepts
/// the class names ("MeanSquaredError"), their snake_case ("mean_squared_error", "auc", "f1_score") and
/// the aliases mse/MSE, mae/MAE, mape/MAPE, msle/MSLE, bce/BCE; each gives the class with default
/// options. Unknown names throw keras::ValueError listing the valid ones; Keras metrics not built
/// here (IoU, PearsonCorrelation, ...) throw keras::NotImplementedError. "acc" is not a name here,
/// as in Keras: compile() resolves it (resolve_for_compile).
std::shared_ptr<Metric> get(const std::string& identifier);

/// Every name get() accepts, sorted.
const std::vector<std::string>& valid_names();

/// What compile() infers from the shapes of one output's y_true and y_pred (Keras'
/// is_binary_or_sparse_categorical): binary when y_pred's last dim is 1; sparse when y_true has a
/// lower rank, or a last dim of 1 where y_pred's is > 1. Unknown dims (-1) are neither 1 nor > 1.
struct TargetKind {
  bool is_binary = false;
  bool is_sparse_categorical = false;
};
TargetKind is_binary_or_sparse_categorical(const Shape& y_true_shape, const Shape& y_pred_shape);

/// compile()'s metric for a string (Keras' compile_utils.get_metric): "accuracy"/"acc" in any case
/// become BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy by
/// is_binary_or_sparse_categorical (binary first); any other string goes through get(). The metric is
/// named `identifier`.
std::shared_ptr<Metric> resolve_for_compile(const std::string& identifier, const Shape& y_true_shape,
                                            const Shape& y_pred_shape);

/// A Metric subclass object (any value category).
template <class T>
concept MetricObject = std::derived_from<std::remove_cvref_t<T>, Metric>;
/// A function of (y_true, y_pred) returning a Tensor (not a string, not a Metric).
template <class T>
concept MetricCallable = !MetricObject<T> && !std::convertible_to<T, std::string> &&
                         std::is_invocable_r_v<Tensor, T&, const Tensor&, const Tensor&>;

/// What compile() takes as a metric: a name, a Metric object (stored as a copy, which shares the
/// original's state), a shared Metric, or a function of (y_true, y_pred) wrapped in a MeanMetricWrapper.
///
/// Example:
///   std::vector<MetricArg> ms = {"acc", metrics::AUC({.curve = "PR"}), my_metric_fn,
///                                MetricArg("my_error", my_metric_fn)};
///   std::shared_ptr<Metric> m = ms[0].resolve(y_true.shape(), y_pred.shape());   // BinaryAccuracy "acc"
class MetricArg {
 public:
  /// No metric.
  MetricArg() = default;
  /// A name, checked now (keras::ValueError if unknown); resolved by resolve().
  MetricArg(const char* identifier);          // NOLINT: implicit, as Keras takes a string
  MetricArg(const std::string& identifier);   // NOLINT
  MetricArg(std::shared_ptr<Metric> metric);  // NOLINT
  template <MetricObject M>
  MetricArg(std::shared_ptr<M> metric)  // NOLINT
      : MetricArg(std::shared_ptr<Metric>(std::move(metric))) {}
  /// A Metric object: stored as a copy of its static type (copies share state, so the caller's object
  /// sees the updates). Pass a std::shared_ptr for a metric held through a base-class reference.
  template <MetricObject M>
  MetricArg(M&& metric)  // NOLINT
      : metric_(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(metric))) {}
  /// A function: wrapped in a MeanMetricWrapper named after it when it is one of keras::losses' plain
  /// functions ("mean_squared_error"), else "mean_metric_wrapper" made unique.
  template <MetricCallable F>
  MetricArg(F&& fn)  // NOLINT
      : metric_(wrap(MetricFn(std::forward<F>(fn)), "")) {}
  /// A function wrapped in a MeanMetricWrapper with this name.
  MetricArg(const std::string& name, MetricFn fn);

  /// Whether this holds a name (resolved per output) rather than a metric.
  bool is_identifier() const { return !identifier_.empty(); }
  const std::string& identifier() const { return identifier_; }
  /// The metric object; null for a name or a default-constructed MetricArg.
  std::shared_ptr<Metric> metric() const { return metric_; }
  explicit operator bool() const { return metric_ != nullptr || !identifier_.empty(); }
  /// The metric for an output with these shapes: a name through resolve_for_compile (a new metric
  /// each call), an object as it is.
  std::shared_ptr<Metric> resolve(const Shape& y_true_shape, const Shape& y_pred_shape) const;

 private:
  static std::shared_ptr<Metric> wrap(MetricFn fn, const std::string& name);
  std::string identifier_;
  std::shared_ptr<Metric> metric_;
};

}  // namespace keras::metrics
