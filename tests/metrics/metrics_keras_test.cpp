// Every metric class and option combination against Keras 3 itself
// (tests/fixtures/metrics.npz, made by gen_metric_fixtures.py with Keras
// 3.15.1 on JAX): three batches streamed into one metric, with and without
// sample weights, the state variables' names and values, and each batch alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/metrics.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

namespace M = keras::metrics;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("metrics.npz"));
  return f;
}

bool has_fx(const std::string& key) { return fixtures().count(key) > 0; }

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("metrics.npz has no array " + key);
  return it->second;
}

// x[i] along the first axis.
Tensor row(const Tensor& x, int64_t i) {
  std::vector<int64_t> start(static_cast<size_t>(x.ndim()), 0);
  start[0] = i;
  Shape block = x.shape();
  block[0] = 1;
  Shape out = x.shape();
  out.erase(0);
  return ops::reshape(ops::slice(x, start, block), out);
}

struct Case {
  std::string name;
  std::function<std::shared_ptr<M::Metric>()> make;
  bool values = false;  // Mean / Sum: update_state(values, sample_weight)
  double rtol = 1e-5;
  double atol = 1e-6;
};

template <class Cls>
std::function<std::shared_ptr<M::Metric>()> make(typename Cls::Options options = {}) {
  return [options] { return std::make_shared<Cls>(options); };
}

std::vector<Case> cases() {
  const std::vector<double> even5 = {0.0, 0.25, 0.5, 0.75, 1.0};
  return {
      // Reduction.
      {"mean", make<M::Mean>(), true},
      {"mean_1d", make<M::Mean>(), true},
      {"mean_sw2d", make<M::Mean>(), true},
      {"mean_col", make<M::Mean>(), true},
      {"sum", make<M::Sum>(), true},
      {"sum_sw2d", make<M::Sum>(), true},
      // Accuracy.
      {"accuracy", make<M::Accuracy>()},
      {"binary_accuracy", make<M::BinaryAccuracy>()},
      {"binary_accuracy_flat", make<M::BinaryAccuracy>()},
      {"binary_accuracy_t07", make<M::BinaryAccuracy>({.threshold = 0.7})},
      {"categorical_accuracy", make<M::CategoricalAccuracy>()},
      {"categorical_accuracy_ties", make<M::CategoricalAccuracy>()},
      {"categorical_accuracy_3d", make<M::CategoricalAccuracy>()},
      {"sparse_categorical_accuracy", make<M::SparseCategoricalAccuracy>()},
      {"sparse_categorical_accuracy_col", make<M::SparseCategoricalAccuracy>()},
      {"top_k", make<M::TopKCategoricalAccuracy>()},
      {"top_k_2_ties", make<M::TopKCategoricalAccuracy>({.k = 2})},
      {"top_k_2_3d", make<M::TopKCategoricalAccuracy>({.k = 2})},
      {"sparse_top_k", make<M::SparseTopKCategoricalAccuracy>()},
      {"sparse_top_k_2_ties", make<M::SparseTopKCategoricalAccuracy>({.k = 2})},
      {"sparse_top_k_2_col", make<M::SparseTopKCategoricalAccuracy>({.k = 2})},
      {"sparse_top_k_sorted", make<M::SparseTopKCategoricalAccuracy>({.k = 2, .from_sorted_ids = true})},
      // Regression.
      {"mse", make<M::MeanSquaredError>()},
      {"mse_col", make<M::MeanSquaredError>()},
      {"rmse", make<M::RootMeanSquaredError>()},
      {"rmse_col", make<M::RootMeanSquaredError>()},
      {"mae", make<M::MeanAbsoluteError>()},
      {"mape", make<M::MeanAbsolutePercentageError>()},
      {"msle", make<M::MeanSquaredLogarithmicError>()},
      {"cosine", make<M::CosineSimilarity>()},
      {"logcosh", make<M::LogCoshError>()},
      {"r2", make<M::R2Score>()},
      {"r2_variance_weighted", make<M::R2Score>({.class_aggregation = "variance_weighted_average"})},
      {"r2_raw", make<M::R2Score>({.class_aggregation = std::nullopt})},
      {"r2_adjusted", make<M::R2Score>({.num_regressors = 2})},
      // Probabilistic.
      {"kld", make<M::KLDivergence>()},
      {"poisson", make<M::Poisson>()},
      {"bce", make<M::BinaryCrossentropy>()},
      {"bce_logits_ls", make<M::BinaryCrossentropy>({.from_logits = true, .label_smoothing = 0.1})},
      {"cce", make<M::CategoricalCrossentropy>()},
      {"cce_logits_ls", make<M::CategoricalCrossentropy>({.from_logits = true, .label_smoothing = 0.2})},
      {"cce_3d", make<M::CategoricalCrossentropy>()},
      {"scce", make<M::SparseCategoricalCrossentropy>()},
      {"scce_col", make<M::SparseCategoricalCrossentropy>()},
      {"scce_logits", make<M::SparseCategoricalCrossentropy>({.from_logits = true})},
      {"scce_ignore", make<M::SparseCategoricalCrossentropy>({.from_logits = true, .ignore_class = 1})},
      // Hinge.
      {"hinge", make<M::Hinge>()},
      {"hinge_01", make<M::Hinge>()},
      {"squared_hinge", make<M::SquaredHinge>()},
      {"categorical_hinge", make<M::CategoricalHinge>()},
      // Confusion counts.
      {"true_positives", make<M::TruePositives>()},
      {"false_positives", make<M::FalsePositives>()},
      {"true_negatives", make<M::TrueNegatives>({.thresholds = {0.2, 0.5, 0.9}})},
      {"false_negatives", make<M::FalseNegatives>({.thresholds = even5})},
      // Precision / recall.
      {"precision", make<M::Precision>()},
      {"precision_multi", make<M::Precision>()},
      {"precision_multi_sw2d", make<M::Precision>()},
      {"precision_thresholds", make<M::Precision>({.thresholds = {0.3, 0.5, 0.8}})},
      {"precision_even", make<M::Precision>({.thresholds = even5})},
      {"precision_top_k", make<M::Precision>({.top_k = 2})},
      {"precision_class_id", make<M::Precision>({.class_id = 2})},
      {"precision_top_k_class_id", make<M::Precision>({.thresholds = {0.2, 0.6}, .top_k = 2, .class_id = 1})},
      {"recall", make<M::Recall>()},
      {"recall_multi", make<M::Recall>()},
      {"recall_thresholds", make<M::Recall>({.thresholds = {0.3, 0.5, 0.8}})},
      {"recall_top_k", make<M::Recall>({.top_k = 3})},
      {"recall_class_id", make<M::Recall>({.class_id = 0})},
      // AUC.
      {"auc", make<M::AUC>()},
      {"auc_multi", make<M::AUC>()},
      {"auc_pr", make<M::AUC>({.curve = "PR"})},
      {"auc_pr_multi", make<M::AUC>({.curve = "PR"})},
      {"auc_roc_minoring", make<M::AUC>({.summation_method = "minoring"})},
      {"auc_roc_majoring", make<M::AUC>({.summation_method = "majoring"})},
      {"auc_pr_minoring", make<M::AUC>({.curve = "PR", .summation_method = "minoring"})},
      {"auc_pr_majoring", make<M::AUC>({.curve = "PR", .summation_method = "majoring"})},
      {"auc_prgain", make<M::AUC>({.curve = "PRGAIN"})},
      {"auc_logits", make<M::AUC>({.from_logits = true})},
      {"auc_10", make<M::AUC>({.num_thresholds = 10})},
      {"auc_thresholds", make<M::AUC>({.thresholds = {0.9, 0.1, 0.45, 0.4}})},
      {"auc_thresholds_even", make<M::AUC>({.thresholds = {0.25, 0.5, 0.75}})},
      {"auc_multi_label", make<M::AUC>({.multi_label = true})},
      {"auc_multi_label_pr", make<M::AUC>({.curve = "PR", .multi_label = true})},
      {"auc_multi_label_lw", make<M::AUC>({.multi_label = true, .label_weights = {0.2, 1.0, 0.5}})},
      {"auc_label_weights", make<M::AUC>({.label_weights = {0.2, 1.0, 0.5}})},
      {"auc_multi_label_thresholds", make<M::AUC>({.thresholds = {0.3, 0.6}, .multi_label = true, .num_labels = 3})},
      {"auc_multi_label_logits", make<M::AUC>({.multi_label = true, .from_logits = true})},
      // F-scores.
      {"f1", make<M::F1Score>()},
      {"f1_micro", make<M::F1Score>({.average = "micro"})},
      {"f1_macro", make<M::F1Score>({.average = "macro"})},
      {"f1_weighted", make<M::F1Score>({.average = "weighted"})},
      {"f1_threshold", make<M::F1Score>({.threshold = 0.4})},
      {"fbeta", make<M::FBetaScore>({.average = "macro", .beta = 2.0, .threshold = 0.5})},
  };
}

void feed(M::Metric& m, bool values, const std::string& c, int b, bool weighted) {
  const std::string p = c + "__";
  Tensor sw = weighted ? fx(p + "sw" + std::to_string(b)) : Tensor();
  Tensor yt = fx(p + "yt" + std::to_string(b));
  if (!values) {
    m.update_state(yt, fx(p + "yp" + std::to_string(b)), sw);
  } else if (auto* mean = dynamic_cast<M::Mean*>(&m)) {
    mean->update_state(yt, sw);
  } else {
    dynamic_cast<M::Sum&>(m).update_state(yt, sw);
  }
}

class MetricKerasTest : public ::testing::TestWithParam<Case> {};

TEST_P(MetricKerasTest, StreamsAsKeras) {
  const Case& c = GetParam();
  Tensor expected = fx(c.name + "__res");
  auto m = c.make();
  for (int b = 0; b < 3; ++b) {
    feed(*m, c.values, c.name, b, /*weighted=*/false);
    EXPECT_TRUE(all_close(m->result(), row(expected, b), c.rtol, c.atol)) << c.name << " after batch " << b;
  }
}

TEST_P(MetricKerasTest, WeightedStreamsAsKeras) {
  const Case& c = GetParam();
  if (!has_fx(c.name + "__res_sw")) GTEST_SKIP() << "no weighted fixture";
  Tensor expected = fx(c.name + "__res_sw");
  auto m = c.make();
  for (int b = 0; b < 3; ++b) {
    feed(*m, c.values, c.name, b, /*weighted=*/true);
    EXPECT_TRUE(all_close(m->result(), row(expected, b), c.rtol, c.atol)) << c.name << " after batch " << b;
  }
}

TEST_P(MetricKerasTest, VariablesAsKeras) {
  const Case& c = GetParam();
  auto m = c.make();
  for (int b = 0; b < 3; ++b) feed(*m, c.values, c.name, b, /*weighted=*/false);
  const std::string prefix = c.name + "__var__";
  std::set<std::string> expected_names;
  for (const auto& [key, value] : fixtures())
    if (key.rfind(prefix, 0) == 0) expected_names.insert(key.substr(prefix.size()));
  std::set<std::string> names;
  for (const Variable& v : m->variables()) {
    names.insert(v.name());
    EXPECT_FALSE(v.trainable()) << v.name();
    if (!expected_names.count(v.name())) continue;
    // Counts derived by subtraction (Keras: fn = sum(true labels) - tp) carry
    // the rounding of the larger terms, so the tolerance scales with the
    // tensor's largest magnitude.
    Tensor expected = fx(prefix + v.name());
    const double scale = ops::max(ops::abs(ops::cast(expected, DType::float64))).item<double>();
    EXPECT_TRUE(all_close(v.value(), expected, c.rtol, std::max(c.atol, c.rtol * scale)))
        << c.name << " variable " << v.name();
  }
  EXPECT_EQ(names, expected_names);
}

TEST_P(MetricKerasTest, EachBatchAloneAsKeras) {
  const Case& c = GetParam();
  Tensor expected = fx(c.name + "__batch");
  for (int b = 0; b < 3; ++b) {
    auto m = c.make();
    feed(*m, c.values, c.name, b, /*weighted=*/false);
    EXPECT_TRUE(all_close(m->result(), row(expected, b), c.rtol, c.atol)) << c.name << " batch " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(MetricFixtures, MetricKerasTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// Every case in the fixture file has a C++ counterpart above.
TEST(MetricKerasCoverage, EveryFixtureCaseIsReplayed) {
  std::set<std::string> replayed;
  for (const auto& c : cases()) replayed.insert(c.name);
  const std::string suffix = "__res";
  for (const auto& [key, value] : fixtures()) {
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string name = key.substr(0, key.size() - suffix.size());
      EXPECT_TRUE(replayed.count(name)) << "metrics.npz case " << name << " is not replayed";
    }
  }
}

}  // namespace
}  // namespace keras::testing
