// Mirrors keras/src/metrics/__init__.py (ALL_OBJECTS_DICT and get).
#include "core/identifiers.hpp"
#include "keras/metrics.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "keras/error.hpp"

namespace keras::metrics {

// Every options struct ends with the shared fields (STYLE.md 7.3).
static_assert(MetricOptionsLike<MeanOptions>);
static_assert(MetricOptionsLike<SumOptions>);
static_assert(MetricOptionsLike<MeanMetricWrapperOptions>);
static_assert(MetricOptionsLike<AccuracyOptions>);
static_assert(MetricOptionsLike<BinaryAccuracyOptions>);
static_assert(MetricOptionsLike<CategoricalAccuracyOptions>);
static_assert(MetricOptionsLike<SparseCategoricalAccuracyOptions>);
static_assert(MetricOptionsLike<TopKCategoricalAccuracyOptions>);
static_assert(MetricOptionsLike<SparseTopKCategoricalAccuracyOptions>);
static_assert(MetricOptionsLike<MeanSquaredErrorOptions>);
static_assert(MetricOptionsLike<RootMeanSquaredErrorOptions>);
static_assert(MetricOptionsLike<MeanAbsoluteErrorOptions>);
static_assert(MetricOptionsLike<MeanAbsolutePercentageErrorOptions>);
static_assert(MetricOptionsLike<MeanSquaredLogarithmicErrorOptions>);
static_assert(MetricOptionsLike<CosineSimilarityOptions>);
static_assert(MetricOptionsLike<LogCoshErrorOptions>);
static_assert(MetricOptionsLike<R2ScoreOptions>);
static_assert(MetricOptionsLike<KLDivergenceOptions>);
static_assert(MetricOptionsLike<PoissonOptions>);
static_assert(MetricOptionsLike<BinaryCrossentropyOptions>);
static_assert(MetricOptionsLike<CategoricalCrossentropyOptions>);
static_assert(MetricOptionsLike<SparseCategoricalCrossentropyOptions>);
static_assert(MetricOptionsLike<HingeOptions>);
static_assert(MetricOptionsLike<SquaredHingeOptions>);
static_assert(MetricOptionsLike<CategoricalHingeOptions>);
static_assert(MetricOptionsLike<TruePositivesOptions>);
static_assert(MetricOptionsLike<FalsePositivesOptions>);
static_assert(MetricOptionsLike<TrueNegativesOptions>);
static_assert(MetricOptionsLike<FalseNegativesOptions>);
static_assert(MetricOptionsLike<PrecisionOptions>);
static_assert(MetricOptionsLike<RecallOptions>);
static_assert(MetricOptionsLike<AUCOptions>);
static_assert(MetricOptionsLike<FBetaScoreOptions>);
static_assert(MetricOptionsLike<F1ScoreOptions>);

namespace {

using Factory = std::shared_ptr<Metric> (*)(const std::string& name);

template <class M>
std::shared_ptr<Metric> make(const std::string& name) {
  typename M::Options options;
  options.name = name;
  return std::make_shared<M>(options);
}

// Keras registers each class under its name and its snake_case
// (naming.to_snake_case: "AUC" -> "auc", "IoU" -> "io_u"), plus a few aliases.
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = [] {
    std::map<std::string, Factory> m;
    auto add = [&m](const char* cls, const char* snake, Factory f) {
      m[cls] = f;
      m[snake] = f;
    };
    add("Mean", "mean", make<Mean>);
    add("Sum", "sum", make<Sum>);
    add("MeanSquaredError", "mean_squared_error", make<MeanSquaredError>);
    add("RootMeanSquaredError", "root_mean_squared_error", make<RootMeanSquaredError>);
    add("MeanAbsoluteError", "mean_absolute_error", make<MeanAbsoluteError>);
    add("MeanAbsolutePercentageError", "mean_absolute_percentage_error", make<MeanAbsolutePercentageError>);
    add("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", make<MeanSquaredLogarithmicError>);
    add("CosineSimilarity", "cosine_similarity", make<CosineSimilarity>);
    add("LogCoshError", "log_cosh_error", make<LogCoshError>);
    add("R2Score", "r2_score", make<R2Score>);
    add("AUC", "auc", make<AUC>);
    add("FalseNegatives", "false_negatives", make<FalseNegatives>);
    add("FalsePositives", "false_positives", make<FalsePositives>);
    add("Precision", "precision", make<Precision>);
    add("Recall", "recall", make<Recall>);
    add("TrueNegatives", "true_negatives", make<TrueNegatives>);
    add("TruePositives", "true_positives", make<TruePositives>);
    add("Hinge", "hinge", make<Hinge>);
    add("SquaredHinge", "squared_hinge", make<SquaredHinge>);
    add("CategoricalHinge", "categorical_hinge", make<CategoricalHinge>);
    add("KLDivergence", "kl_divergence", make<KLDivergence>);
    add("Poisson", "poisson", make<Poisson>);
    add("BinaryCrossentropy", "binary_crossentropy", make<BinaryCrossentropy>);
    add("CategoricalCrossentropy", "categorical_crossentropy", make<CategoricalCrossentropy>);
    add("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", make<SparseCategoricalCrossentropy>);
    add("Accuracy", "accuracy", make<Accuracy>);
    add("BinaryAccuracy", "binary_accuracy", make<BinaryAccuracy>);
    add("CategoricalAccuracy", "categorical_accuracy", make<CategoricalAccuracy>);
    add("SparseCategoricalAccuracy", "sparse_categorical_accuracy", make<SparseCategoricalAccuracy>);
    add("TopKCategoricalAccuracy", "top_k_categorical_accuracy", make<TopKCategoricalAccuracy>);
    add("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy", make<SparseTopKCategoricalAccuracy>);
    add("F1Score", "f1_score", make<F1Score>);
    add("FBetaScore", "f_beta_score", make<FBetaScore>);
    for (const char* a : {"bce", "BCE"}) m[a] = make<BinaryCrossentropy>;
    for (const char* a : {"mse", "MSE"}) m[a] = make<MeanSquaredError>;
    for (const char* a : {"mae", "MAE"}) m[a] = make<MeanAbsoluteError>;
    for (const char* a : {"mape", "MAPE"}) m[a] = make<MeanAbsolutePercentageError>;
    for (const char* a : {"msle", "MSLE"}) m[a] = make<MeanSquaredLogarithmicError>;
    return m;
  }();
  return r;
}

// Names Keras 3.15 accepts whose classes keras.cpp does not have yet
// ("Metric" and "MeanMetricWrapper" need arguments, so get() cannot make them).
const std::set<std::string>& not_built() {
  static const std::set<std::string> s = {"Metric",
                                          "metric",
                                          "MeanMetricWrapper",
                                          "mean_metric_wrapper",
                                          "PrecisionAtRecall",
                                          "precision_at_recall",
                                          "RecallAtPrecision",
                                          "recall_at_precision",
                                          "SensitivityAtSpecificity",
                                          "sensitivity_at_specificity",
                                          "SpecificityAtSensitivity",
                                          "specificity_at_sensitivity",
                                          "ConcordanceCorrelation",
                                          "concordance_correlation",
                                          "PearsonCorrelation",
                                          "pearson_correlation",
                                          "IoU",
                                          "io_u",
                                          "BinaryIoU",
                                          "binary_io_u",
                                          "MeanIoU",
                                          "mean_io_u",
                                          "OneHotIoU",
                                          "one_hot_io_u",
                                          "OneHotMeanIoU",
                                          "one_hot_mean_io_u"};
  return s;
}

}  // namespace

const std::vector<std::string>& valid_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, f] : registry()) v.push_back(name);
    return v;  // std::map keeps them sorted
  }();
  return names;
}

std::shared_ptr<Metric> get(const std::string& identifier) {
  auto it = registry().find(identifier);
  if (it != registry().end()) return it->second(identifier);
  if (not_built().count(identifier))
    throw NotImplementedError(
        "The Keras metric '" + identifier +
        "' is not available in keras.cpp yet (get() cannot make it). Valid names are: " +
        detail::join_names(valid_names()));
  detail::throw_unknown_identifier("metric", identifier, valid_names());
}

}  // namespace keras::metrics
