// The Metric contract: streaming over batches (against Keras' fixtures),
// reset_state, copies sharing state (lazily built variables included), updates
// kept off GradientTapes, names, directions, dtypes, Keras' docstring
// examples and the argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/metrics.hpp"
#include "keras/npy.hpp"
#include "metrics/metrics_utils.hpp"

namespace keras::testing {
namespace {

namespace M = keras::metrics;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("metrics.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("metrics.npz has no array " + key);
  return it->second;
}

std::string batch_key(const std::string& c, const char* what, int b) { return c + "__" + what + std::to_string(b); }

float scalar(const Tensor& t) { return t.item<float>(); }

// A (n, 1) column.
Tensor col(const std::vector<float>& v) { return Tensor(v, Shape{static_cast<int64_t>(v.size()), 1}); }

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needles.front();
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

// ---- streaming ---------------------------------------------------------------------------------------------

// The result over three batches is Keras' result over all twelve samples,
// which here differs from the mean of the three per-batch results.
void expect_streams(M::Metric& m, const std::string& c) {
  std::vector<float> per_batch;
  for (int b = 0; b < 3; ++b) {
    Tensor yt = fx(batch_key(c, "yt", b)), yp = fx(batch_key(c, "yp", b));
    m.update_state(yt, yp);
    auto fresh = M::get(m.class_name());  // default options, like the cases used here
    fresh->update_state(yt, yp);
    per_batch.push_back(scalar(fresh->result()));
  }
  const float keras_overall = fx(c + "__res").to_vector<float>()[2];
  const float mean_of_batches = (per_batch[0] + per_batch[1] + per_batch[2]) / 3.0f;
  EXPECT_NEAR(scalar(m.result()), keras_overall, 1e-5 * std::abs(keras_overall) + 1e-6) << c;
  EXPECT_GT(std::abs(keras_overall - mean_of_batches), 1e-3) << c << ": pick data where streaming matters";
}

TEST(MetricStreaming, ResultIsOverAllBatchesNotAMeanOfBatchResults) {
  M::Accuracy accuracy;
  expect_streams(accuracy, "accuracy");
  M::RootMeanSquaredError rmse;
  expect_streams(rmse, "rmse");
  M::Recall recall;
  expect_streams(recall, "recall");
  M::R2Score r2;
  expect_streams(r2, "r2");
  M::AUC auc;
  expect_streams(auc, "auc");
  M::F1Score f1({.average = "macro"});
  f1.set_name("f1_macro");
  std::vector<float> per_batch;
  for (int b = 0; b < 3; ++b) {
    Tensor yt = fx(batch_key("f1_macro", "yt", b)), yp = fx(batch_key("f1_macro", "yp", b));
    f1.update_state(yt, yp);
    M::F1Score fresh({.average = "macro"});
    fresh.update_state(yt, yp);
    per_batch.push_back(scalar(fresh.result()));
  }
  const float keras_overall = fx("f1_macro__res").to_vector<float>()[2];
  EXPECT_NEAR(scalar(f1.result()), keras_overall, 1e-6);
  EXPECT_GT(std::abs(keras_overall - (per_batch[0] + per_batch[1] + per_batch[2]) / 3.0f), 1e-3);
}

// ---- reset_state -------------------------------------------------------------------------------------------

TEST(MetricReset, ZeroesTheStateAndStartsOver) {
  const std::vector<std::pair<std::string, std::shared_ptr<M::Metric>>> cases = {
      {"auc", std::make_shared<M::AUC>()},
      {"auc_multi_label", std::make_shared<M::AUC>(M::AUC::Options{.multi_label = true})},
      {"precision", std::make_shared<M::Precision>()},
      {"bce", std::make_shared<M::BinaryCrossentropy>()},
      {"f1", std::make_shared<M::F1Score>()},
      {"r2", std::make_shared<M::R2Score>()},
      {"rmse", std::make_shared<M::RootMeanSquaredError>()},
  };
  for (const auto& [c, m] : cases) {
    for (int b = 0; b < 3; ++b) m->update_state(fx(batch_key(c, "yt", b)), fx(batch_key(c, "yp", b)));
    m->reset_state();
    for (const Variable& v : m->variables())
      EXPECT_EQ(ops::max(ops::abs(v.value())).item<float>(), 0.0f) << c << " " << v.name();
    // After the reset the state is that of a metric that saw only this batch.
    m->update_state(fx(batch_key(c, "yt", 1)), fx(batch_key(c, "yp", 1)));
    Tensor alone = fx(c + "__batch");
    auto expected = alone.to_vector<float>();
    auto got = m->result().to_vector<float>();
    const size_t per = expected.size() / 3;
    ASSERT_EQ(got.size(), per) << c;
    for (size_t i = 0; i < per; ++i) EXPECT_NEAR(got[i], expected[per + i], 1e-5) << c;
  }
}

TEST(MetricReset, MeanOfNothingIsZero) {
  M::Mean m;
  EXPECT_EQ(scalar(m.result()), 0.0f);
  m.update_state(Tensor({1.f, 2.f}));
  m.reset_state();
  EXPECT_EQ(scalar(m.result()), 0.0f);
  EXPECT_EQ(scalar(M::Precision().result()), 0.0f);
}

// ---- copies share state ------------------------------------------------------------------------------------

TEST(MetricSharing, CopiesAreTheSameMetric) {
  M::Precision p({.name = "p"});
  M::Precision q = p;
  q.update_state(Tensor({1.f, 0.f, 1.f}), Tensor({0.9f, 0.8f, 0.2f}));
  EXPECT_FLOAT_EQ(scalar(p.result()), 0.5f);
  ASSERT_EQ(p.variables().size(), 2u);
  EXPECT_EQ(p.variables()[0], q.variables()[0]);
  q.set_name("renamed");
  EXPECT_EQ(p.name(), "renamed");
  p.reset_state();
  EXPECT_EQ(scalar(q.result()), 0.0f);
}

TEST(MetricSharing, LazilyBuiltVariablesAreShared) {
  M::F1Score f1;
  M::F1Score copy = f1;  // before the variables exist
  EXPECT_TRUE(f1.variables().empty());
  copy.update_state(Tensor({{1.f, 0.f}, {0.f, 1.f}}), Tensor({{0.9f, 0.1f}, {0.6f, 0.4f}}));
  ASSERT_EQ(f1.variables().size(), 4u);
  EXPECT_EQ(f1.variables()[0].name(), "true_positives");
  EXPECT_TRUE(all_close(f1.result(), copy.result()));
  M::AUC auc({.multi_label = true});
  std::shared_ptr<M::Metric> held = M::MetricArg(auc).metric();
  held->update_state(Tensor({{1.f, 0.f}, {0.f, 1.f}}), Tensor({{0.9f, 0.3f}, {0.2f, 0.7f}}));
  ASSERT_EQ(auc.variables().size(), 4u);
  EXPECT_EQ(auc.variables()[0].shape(), Shape({200, 2}));
  EXPECT_FLOAT_EQ(scalar(auc.result()), 1.0f);
}

TEST(MetricSharing, MetricArgCopySharesWithTheCallersObject) {
  M::MeanAbsoluteError mae;
  M::MetricArg arg = mae;
  auto m = arg.resolve({4, 1}, {4, 1});
  m->update_state(Tensor({1.f, 2.f}), Tensor({2.f, 4.f}));
  EXPECT_FLOAT_EQ(scalar(mae.result()), 1.5f);
  EXPECT_EQ(arg.resolve({4, 1}, {4, 1}), m);  // an object resolves to itself
}

// ---- tapes -------------------------------------------------------------------------------------------------

TEST(MetricTape, UpdatesAreNotRecorded) {
  Tensor captured;
  auto fn = [&captured](const Tensor& t, const Tensor& p) {
    captured = ops::mean(ops::square(p - t), -1);
    return captured;
  };
  M::MeanMetricWrapper m(fn, "sq");
  Tensor y_true({{1.f, 2.f}, {3.f, 4.f}});
  Variable w(Tensor({{0.5f, 1.5f}, {2.5f, 3.5f}}));
  GradientTape tape({.persistent = true});
  Tensor y_pred = w.value() * 2.0;
  m.update_state(y_true, y_pred);
  EXPECT_FALSE(tape.gradient(ops::sum(captured), w).defined()) << "the metric's ops were recorded";
  EXPECT_FALSE(tape.gradient(m.result(), w).defined());
  // The same function outside update_state is recorded (the check above is meaningful).
  fn(y_true, y_pred);
  EXPECT_TRUE(tape.gradient(ops::sum(captured), w).defined());
}

// ---- a user metric (the example in metrics.hpp) ---------------------------------------------------------

class BinaryTruePositives : public M::Metric {
 public:
  BinaryTruePositives() : Metric("binary_true_positives") { tp_ = add_variable({}, "true_positives"); }
  Tensor result() const override { return tp_.value(); }

 protected:
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    Tensor v = ops::cast(ops::logical_and(ops::cast(y_true, bool_), ops::cast(y_pred, bool_)), float32);
    if (sample_weight.defined()) v = v * ops::broadcast_to(sample_weight, v.shape());
    tp_.assign_add(ops::sum(v));
  }

 private:
  Variable tp_;
};

TEST(MetricSubclass, UserMetricStreamsAndShares) {
  BinaryTruePositives m;
  BinaryTruePositives copy = m;
  copy.update_state(Tensor({1.f, 1.f, 0.f}), Tensor({1.f, 0.f, 1.f}));
  m.update_state(Tensor({1.f, 1.f}), Tensor({1.f, 1.f}), Tensor({0.5f, 2.f}));
  EXPECT_FLOAT_EQ(scalar(m.result()), 3.5f);
  EXPECT_FLOAT_EQ(scalar(copy.result()), 3.5f);
  EXPECT_EQ(m.name(), "binary_true_positives");
  EXPECT_EQ(m.class_name(), "Metric");
  m.reset_state();
  EXPECT_EQ(scalar(copy.result()), 0.0f);
  ASSERT_EQ(m.variables().size(), 1u);
  EXPECT_FALSE(m.variables()[0].trainable());
}

// ---- names, directions, dtypes -----------------------------------------------------------------------------

TEST(MetricNames, KerasDefaultsAndDirections) {
  struct Expect {
    std::shared_ptr<M::Metric> m;
    std::string name, class_name, direction;
  };
  const std::vector<Expect> expected = {
      {std::make_shared<M::Mean>(), "mean", "Mean", ""},
      {std::make_shared<M::Sum>(), "sum", "Sum", ""},
      {std::make_shared<M::Accuracy>(), "accuracy", "Accuracy", "up"},
      {std::make_shared<M::BinaryAccuracy>(), "binary_accuracy", "BinaryAccuracy", "up"},
      {std::make_shared<M::CategoricalAccuracy>(), "categorical_accuracy", "CategoricalAccuracy", "up"},
      {std::make_shared<M::SparseCategoricalAccuracy>(), "sparse_categorical_accuracy", "SparseCategoricalAccuracy",
       "up"},
      {std::make_shared<M::TopKCategoricalAccuracy>(), "top_k_categorical_accuracy", "TopKCategoricalAccuracy", "up"},
      {std::make_shared<M::SparseTopKCategoricalAccuracy>(), "sparse_top_k_categorical_accuracy",
       "SparseTopKCategoricalAccuracy", "up"},
      {std::make_shared<M::MeanSquaredError>(), "mean_squared_error", "MeanSquaredError", "down"},
      {std::make_shared<M::RootMeanSquaredError>(), "root_mean_squared_error", "RootMeanSquaredError", "down"},
      {std::make_shared<M::MeanAbsoluteError>(), "mean_absolute_error", "MeanAbsoluteError", "down"},
      {std::make_shared<M::MeanAbsolutePercentageError>(), "mean_absolute_percentage_error",
       "MeanAbsolutePercentageError", "down"},
      {std::make_shared<M::MeanSquaredLogarithmicError>(), "mean_squared_logarithmic_error",
       "MeanSquaredLogarithmicError", "down"},
      {std::make_shared<M::CosineSimilarity>(), "cosine_similarity", "CosineSimilarity", "up"},
      {std::make_shared<M::LogCoshError>(), "logcosh", "LogCoshError", "down"},
      {std::make_shared<M::R2Score>(), "r2_score", "R2Score", "up"},
      {std::make_shared<M::KLDivergence>(), "kl_divergence", "KLDivergence", "down"},
      {std::make_shared<M::Poisson>(), "poisson", "Poisson", "down"},
      {std::make_shared<M::BinaryCrossentropy>(), "binary_crossentropy", "BinaryCrossentropy", "down"},
      {std::make_shared<M::CategoricalCrossentropy>(), "categorical_crossentropy", "CategoricalCrossentropy", "down"},
      {std::make_shared<M::SparseCategoricalCrossentropy>(), "sparse_categorical_crossentropy",
       "SparseCategoricalCrossentropy", "down"},
      {std::make_shared<M::Hinge>(), "hinge", "Hinge", "down"},
      {std::make_shared<M::SquaredHinge>(), "squared_hinge", "SquaredHinge", "down"},
      {std::make_shared<M::CategoricalHinge>(), "categorical_hinge", "CategoricalHinge", "down"},
      {std::make_shared<M::F1Score>(), "f1_score", "F1Score", "up"},
      {std::make_shared<M::FBetaScore>(), "fbeta_score", "FBetaScore", "up"},
  };
  for (const auto& e : expected) {
    EXPECT_EQ(e.m->name(), e.name);
    EXPECT_EQ(e.m->class_name(), e.class_name);
    EXPECT_EQ(e.m->direction(), e.direction) << e.class_name;
  }
  EXPECT_EQ(M::AUC().direction(), "up");
  EXPECT_EQ(M::Precision().direction(), "up");
  EXPECT_EQ(M::Recall().direction(), "up");
  EXPECT_EQ(M::TruePositives().direction(), "");
  EXPECT_EQ(M::Mean().variables()[1].name(), "count");
}

TEST(MetricNames, UnnamedInstancesAreMadeUnique) {
  M::detail::reset_name_uids();
  EXPECT_EQ(M::Precision().name(), "precision");
  EXPECT_EQ(M::Precision().name(), "precision_1");
  EXPECT_EQ(M::Precision({.name = "p"}).name(), "p");
  EXPECT_EQ(M::Precision().name(), "precision_2");
  EXPECT_EQ(M::Recall().name(), "recall");
  EXPECT_EQ(M::AUC().name(), "auc");
  EXPECT_EQ(M::TruePositives().name(), "true_positives");
  EXPECT_EQ(M::MeanMetricWrapper([](const Tensor& t, const Tensor&) { return t; }).name(), "mean_metric_wrapper");
}

TEST(MetricDtype, Float64StateAndResult) {
  M::Mean m({.dtype = DType::float64});
  m.update_state(Tensor(std::vector<double>{1.0, 2.0, 4.0}));
  EXPECT_EQ(m.result().dtype(), DType::float64);
  EXPECT_EQ(m.variables()[0].dtype(), DType::float64);
  EXPECT_DOUBLE_EQ(m.result().item<double>(), 7.0 / 3.0);
  // Keras' confusion metrics keep float32 (floatx) state whatever their dtype.
  EXPECT_EQ(M::Precision({.dtype = DType::float64}).variables()[0].dtype(), DType::float32);
  expect_error<ValueError>([] { M::Mean({.dtype = DType::int32}); }, {"floating dtype", "int32"});
}

// ---- Keras' docstring examples -----------------------------------------------------------------------------

TEST(MetricExamples, KerasDocstrings) {
  M::Mean mean;
  mean.update_state(Tensor({1.f, 3.f, 5.f, 7.f}));
  EXPECT_FLOAT_EQ(scalar(mean.result()), 4.0f);
  mean.reset_state();
  mean.update_state(Tensor({1.f, 3.f, 5.f, 7.f}), Tensor({1.f, 1.f, 0.f, 0.f}));
  EXPECT_FLOAT_EQ(scalar(mean.result()), 2.0f);

  M::Sum sum;
  sum.update_state(Tensor({1.f, 3.f, 5.f, 7.f}), Tensor({1.f, 1.f, 0.f, 0.f}));
  EXPECT_FLOAT_EQ(scalar(sum.result()), 4.0f);

  M::Accuracy acc;
  acc.update_state(col({1.f, 2.f, 3.f, 4.f}), col({0.f, 2.f, 3.f, 4.f}));
  EXPECT_FLOAT_EQ(scalar(acc.result()), 0.75f);
  acc.reset_state();
  acc.update_state(col({1.f, 2.f, 3.f, 4.f}), col({0.f, 2.f, 3.f, 4.f}), Tensor({1.f, 1.f, 0.f, 0.f}));
  EXPECT_FLOAT_EQ(scalar(acc.result()), 0.5f);

  M::BinaryAccuracy bacc;
  bacc.update_state(col({1.f, 1.f, 0.f, 0.f}), col({0.98f, 1.f, 0.f, 0.6f}));
  EXPECT_FLOAT_EQ(scalar(bacc.result()), 0.75f);

  M::SparseCategoricalAccuracy sacc;
  sacc.update_state(col({2.f, 1.f}), Tensor({{0.1f, 0.6f, 0.3f}, {0.05f, 0.95f, 0.f}}));
  EXPECT_FLOAT_EQ(scalar(sacc.result()), 0.5f);

  M::TopKCategoricalAccuracy topk({.k = 1});
  topk.update_state(Tensor({{0.f, 0.f, 1.f}, {0.f, 1.f, 0.f}}), Tensor({{0.1f, 0.9f, 0.8f}, {0.05f, 0.95f, 0.f}}));
  EXPECT_FLOAT_EQ(scalar(topk.result()), 0.5f);

  M::RootMeanSquaredError rmse;
  rmse.update_state(Tensor({{0.f, 1.f}, {0.f, 0.f}}), Tensor({{1.f, 1.f}, {0.f, 0.f}}));
  EXPECT_FLOAT_EQ(scalar(rmse.result()), 0.5f);

  M::Precision prec({.top_k = 2});
  prec.update_state(Tensor({0.f, 0.f, 1.f, 1.f}), Tensor({1.f, 1.f, 1.f, 1.f}));
  EXPECT_FLOAT_EQ(scalar(prec.result()), 0.0f);

  M::AUC auc({.num_thresholds = 3});
  auc.update_state(Tensor({0.f, 0.f, 1.f, 1.f}), Tensor({0.f, 0.5f, 0.3f, 0.9f}));
  EXPECT_FLOAT_EQ(scalar(auc.result()), 0.75f);

  M::F1Score f1({.threshold = 0.5});
  f1.update_state(Tensor({{1.f, 1.f, 1.f}, {1.f, 0.f, 0.f}, {1.f, 1.f, 0.f}}),
                  Tensor({{0.2f, 0.6f, 0.7f}, {0.2f, 0.6f, 0.6f}, {0.6f, 0.8f, 0.0f}}));
  EXPECT_TRUE(all_close(f1.result(), Tensor({0.5f, 0.8f, 0.6666667f}), 1e-5, 1e-6));

  M::R2Score r2;
  r2.update_state(col({1.f, 4.f, 3.f}), col({2.f, 4.f, 4.f}));
  EXPECT_NEAR(scalar(r2.result()), 0.57142854f, 1e-6);
}

TEST(MetricExamples, ResultShapes) {
  EXPECT_EQ(M::Precision().result().shape(), Shape({}));
  EXPECT_EQ(M::Precision({.thresholds = {0.5}}).result().shape(), Shape({}));
  EXPECT_EQ(M::Recall({.thresholds = {0.2, 0.5, 0.7}}).result().shape(), Shape({3}));
  EXPECT_EQ(M::FalseNegatives({.thresholds = {0.2, 0.5}}).result().shape(), Shape({2}));
  M::F1Score per_class;
  EXPECT_EQ(per_class(Tensor({{1.f, 0.f}}), Tensor({{0.7f, 0.2f}})).shape(), Shape({2}));
  M::F1Score micro({.average = "micro"});
  EXPECT_EQ(micro(Tensor({{1.f, 0.f}}), Tensor({{0.7f, 0.2f}})).shape(), Shape({}));
  M::R2Score raw({.class_aggregation = std::nullopt});
  EXPECT_EQ(raw(Tensor({{1.f, 0.f}, {2.f, 1.f}}), Tensor({{1.5f, 0.f}, {2.f, 1.5f}})).shape(), Shape({2}));
}

// ---- argument and input checks -----------------------------------------------------------------------------

TEST(MetricErrors, OptionsAndInputs) {
  expect_error<ValueError>([] { M::AUC({.curve = "XY"}); }, {"Invalid AUC curve value: \"XY\"", "PRGAIN"});
  expect_error<ValueError>([] { M::AUC({.summation_method = "trapezoid"}); }, {"Invalid AUC summation method"});
  expect_error<ValueError>([] { M::AUC({.num_thresholds = 1}); }, {"`num_thresholds` must be an integer > 1"});
  expect_error<ValueError>([] { M::AUC({.num_labels = 3}); }, {"`num_labels` is needed only when `multi_label`"});
  expect_error<ValueError>(
      [] {
        M::AUC auc({.multi_label = true});
        auc.update_state(Tensor({1.f, 0.f}), Tensor({0.3f, 0.2f}));
      },
      {"`y_pred` must have rank 2 when `multi_label=True`. Found rank 1"});
  expect_error<ValueError>(
      [] {
        M::Precision({.thresholds = {0.5, 1.5, -0.1}});
      },
      {"Threshold values must be in [0, 1]. Received: [1.5, -0.1]"});
  expect_error<ValueError>(
      [] {
        M::Precision p({.class_id = 1});
        p.update_state(Tensor({1.f, 0.f}), Tensor({0.3f, 0.2f}));
      },
      {"When class_id is provided, y_pred must be a 2D array", "(2,)"});
  expect_error<ValueError>([] { M::F1Score({.average = "samples"}); }, {"Invalid `average` argument value"});
  expect_error<ValueError>([] { M::F1Score({.threshold = 1.5}); }, {"0 < threshold <= 1", "1.5"});
  expect_error<ValueError>([] { M::FBetaScore({.beta = 0.0}); }, {"Invalid `beta` argument value. It should be > 0"});
  expect_error<ValueError>(
      [] {
        M::F1Score f;
        f.update_state(Tensor({1.f, 0.f}), Tensor({0.3f, 0.2f}));
      },
      {"FBetaScore expects 2D inputs", "y_pred.shape=(2,)"});
  expect_error<ValueError>([] { M::R2Score({.class_aggregation = "median"}); },
                           {"Invalid value for argument `class_aggregation`", "median"});
  expect_error<ValueError>([] { M::R2Score({.num_regressors = -1}); }, {"`num_regressors`. Expected a value >= 0"});
  expect_error<ValueError>(
      [] {
        M::R2Score r;
        r.update_state(ops::zeros({2, 2, 2}), ops::zeros({2, 2, 2}));
      },
      {"R2Score expects 2D inputs"});
  expect_error<ValueError>([] { M::MeanSquaredError().update_state(Tensor(), Tensor({1.f})); },
                           {"MeanSquaredError 'mean_squared_error': y_true is an undefined tensor"});
  expect_error<ValueError>([] { M::MeanMetricWrapper(M::MetricFn()); }, {"the metric function is empty"});
}

TEST(MetricErrors, MeanTakesValues) {
  M::Mean mean;
  M::Metric& base = mean;
  expect_error<TypeError>([&] { base.update_state(Tensor({1.f}), Tensor({1.f})); },
                          {"Mean 'mean': update_state takes (values, sample_weight)"});
  M::Sum sum;
  M::Metric& sbase = sum;
  expect_error<TypeError>([&] { sbase.update_state(Tensor({1.f}), Tensor({1.f})); }, {"Sum 'sum'"});
}

// ---- sample weights ----------------------------------------------------------------------------------------

TEST(MetricWeights, WeightedMeanOfPerSampleValues) {
  // values (2, 3) with weights (2,): the per-sample means are weighted, count = sum(w).
  M::Mean m;
  m.update_state(Tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}), Tensor({1.f, 3.f}));
  EXPECT_FLOAT_EQ(m.variables()[0].value().item<float>(), 2.f * 1.f + 5.f * 3.f);
  EXPECT_FLOAT_EQ(m.variables()[1].value().item<float>(), 4.f);
  // (2, 3) weights: each sample's weight is the mean of its row.
  M::Mean m2;
  m2.update_state(Tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}), Tensor({{1.f, 1.f, 1.f}, {0.f, 0.f, 3.f}}));
  EXPECT_FLOAT_EQ(m2.variables()[0].value().item<float>(), 2.f + 6.f);
  EXPECT_FLOAT_EQ(m2.variables()[1].value().item<float>(), 2.f);
}

TEST(MetricWeights, SparseCategoricalCrossentropyIgnoreClassQuirk) {
  // Keras: without weights the ignored samples count (as 0) in the mean; with
  // weights they get weight 0.
  Tensor yt(std::vector<int32_t>{0, 1, 2, 1});
  Tensor yp({{.7f, .2f, .1f}, {.1f, .8f, .1f}, {.2f, .2f, .6f}, {.5f, .3f, .2f}});
  M::SparseCategoricalCrossentropy plain({.ignore_class = 1});
  plain.update_state(yt, yp);
  EXPECT_NEAR(scalar(plain.result()), 0.21687514f, 1e-6);
  EXPECT_FLOAT_EQ(plain.variables()[1].value().item<float>(), 4.f);
  M::SparseCategoricalCrossentropy weighted({.ignore_class = 1});
  weighted.update_state(yt, yp, ops::ones({4}));
  EXPECT_NEAR(scalar(weighted.result()), 0.43375027f, 1e-6);
  EXPECT_FLOAT_EQ(weighted.variables()[1].value().item<float>(), 2.f);
}

}  // namespace
}  // namespace keras::testing
