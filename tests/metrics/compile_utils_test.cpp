// keras::metrics::get, resolve_for_compile and MetricArg: Keras' string
// lookup (keras/src/metrics/__init__.py) and compile()'s accuracy resolution
// (keras/src/trainers/compile_utils.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"

namespace keras::testing {
namespace {

namespace M = keras::metrics;

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needles.front();
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

TEST(MetricGet, NamesClassesAndAliases) {
  struct Expect {
    std::string identifier, class_name;
  };
  const std::vector<Expect> expected = {
      {"mse", "MeanSquaredError"},
      {"MSE", "MeanSquaredError"},
      {"mae", "MeanAbsoluteError"},
      {"MAE", "MeanAbsoluteError"},
      {"mape", "MeanAbsolutePercentageError"},
      {"MAPE", "MeanAbsolutePercentageError"},
      {"msle", "MeanSquaredLogarithmicError"},
      {"MSLE", "MeanSquaredLogarithmicError"},
      {"bce", "BinaryCrossentropy"},
      {"BCE", "BinaryCrossentropy"},
      {"mean_squared_error", "MeanSquaredError"},
      {"MeanSquaredError", "MeanSquaredError"},
      // Keras 3 registers the classes' snake_case names, so these are classes, not wrapped functions.
      {"categorical_crossentropy", "CategoricalCrossentropy"},
      {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
      {"binary_crossentropy", "BinaryCrossentropy"},
      {"accuracy", "Accuracy"},
      {"auc", "AUC"},
      {"AUC", "AUC"},
      {"f1_score", "F1Score"},
      {"f_beta_score", "FBetaScore"},
      {"r2_score", "R2Score"},
      {"log_cosh_error", "LogCoshError"},
      {"kl_divergence", "KLDivergence"},
      {"top_k_categorical_accuracy", "TopKCategoricalAccuracy"},
      {"true_positives", "TruePositives"},
      {"Sum", "Sum"},
  };
  for (const auto& e : expected) {
    auto m = M::get(e.identifier);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->class_name(), e.class_name) << e.identifier;
    EXPECT_EQ(m->name(), e.identifier) << "compile() logs a metric under its string";
  }
  // Each call makes a new metric.
  EXPECT_NE(M::get("mse"), M::get("mse"));
}

TEST(MetricGet, UnknownNamesListTheValidOnes) {
  expect_error<ValueError>([] { M::get("mean_sq_error"); },
                           {"Could not interpret metric identifier: mean_sq_error", "Valid names are:", "mse", "auc"});
  // "acc" is compile()'s alias only; keras.metrics.get rejects it too.
  expect_error<ValueError>([] { M::get("acc"); }, {"Could not interpret metric identifier: acc"});
  expect_error<ValueError>([] { M::get("huber"); }, {"Could not interpret metric identifier: huber"});
  expect_error<NotImplementedError>([] { M::get("IoU"); }, {"'IoU' is not available in keras.cpp yet"});
  expect_error<NotImplementedError>([] { M::get("pearson_correlation"); }, {"pearson_correlation"});
  const auto& names = M::valid_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const auto& n : names) EXPECT_NO_THROW(M::get(n)) << n;
}

TEST(MetricResolve, AccuracyFollowsTheShapes) {
  struct Expect {
    Shape y_true, y_pred;
    std::string class_name;
  };
  const std::vector<Expect> expected = {
      {{8, 1}, {8, 1}, "BinaryAccuracy"},             // y_pred last dim 1
      {{8}, {8, 1}, "BinaryAccuracy"},                // binary is checked first
      {{8}, {8, 5}, "SparseCategoricalAccuracy"},     // lower rank
      {{8, 1}, {8, 5}, "SparseCategoricalAccuracy"},  // last dim 1 against > 1
      {{8, 7}, {8, 7, 5}, "SparseCategoricalAccuracy"},
      {{8, 5}, {8, 5}, "CategoricalAccuracy"},
      {{8, 2}, {8, 5}, "CategoricalAccuracy"},
      {{-1, -1}, {-1, -1}, "CategoricalAccuracy"},  // unknown dims are neither 1 nor > 1
      {{-1}, {-1, 4}, "SparseCategoricalAccuracy"},
  };
  for (const auto& e : expected) {
    for (const std::string id : {"accuracy", "acc", "ACC", "Accuracy"}) {
      auto m = M::resolve_for_compile(id, e.y_true, e.y_pred);
      EXPECT_EQ(m->class_name(), e.class_name) << id << " " << e.y_true << " " << e.y_pred;
      EXPECT_EQ(m->name(), id);
    }
  }
  auto kind = M::is_binary_or_sparse_categorical({8}, {8, 1});
  EXPECT_TRUE(kind.is_binary);
  EXPECT_TRUE(kind.is_sparse_categorical);
}

TEST(MetricResolve, OtherStringsGoThroughGet) {
  auto m = M::resolve_for_compile("mae", {8, 1}, {8, 1});
  EXPECT_EQ(m->class_name(), "MeanAbsoluteError");
  EXPECT_EQ(m->name(), "mae");
  EXPECT_EQ(M::resolve_for_compile("binary_accuracy", {8, 5}, {8, 5})->class_name(), "BinaryAccuracy");
  // Keras 3 has no crossentropy alias for metrics ("ce" is a loss alias only).
  expect_error<ValueError>([] { M::resolve_for_compile("ce", {8, 1}, {8, 1}); }, {"identifier: ce"});
  expect_error<ValueError>([] { M::resolve_for_compile("acc", {}, {}); }, {"scalar shapes"});
}

TEST(MetricArgTest, Strings) {
  M::MetricArg a = "acc";
  EXPECT_TRUE(a.is_identifier());
  EXPECT_EQ(a.identifier(), "acc");
  EXPECT_FALSE(a.metric());
  auto m = a.resolve({8}, {8, 3});
  EXPECT_EQ(m->class_name(), "SparseCategoricalAccuracy");
  EXPECT_EQ(m->name(), "acc");
  EXPECT_NE(a.resolve({8}, {8, 3}), m);  // a new metric per output
  M::MetricArg b = std::string("mse");
  EXPECT_EQ(b.resolve({8, 1}, {8, 1})->name(), "mse");
  // Names are checked when the MetricArg is made.
  expect_error<ValueError>([] { M::MetricArg bad = "msee"; }, {"Could not interpret metric identifier: msee"});
  EXPECT_FALSE(M::MetricArg());
}

TEST(MetricArgTest, ObjectsAndFunctions) {
  std::vector<M::MetricArg> args = {
      "mae",
      M::AUC({.curve = "PR", .name = "pr_auc"}),
      std::make_shared<M::Recall>(M::Recall::Options{.name = "r"}),
      [](const Tensor& t, const Tensor& p) { return ops::abs(t - p); },
      M::MetricArg("abs_error", [](const Tensor& t, const Tensor& p) { return ops::abs(t - p); }),
      keras::losses::mean_squared_error,
  };
  EXPECT_EQ(args[1].metric()->name(), "pr_auc");
  EXPECT_EQ(args[1].metric()->class_name(), "AUC");
  EXPECT_EQ(args[2].metric()->name(), "r");
  EXPECT_EQ(args[3].metric()->class_name(), "MeanMetricWrapper");
  EXPECT_EQ(args[3].metric()->name().rfind("mean_metric_wrapper", 0), 0u);
  EXPECT_EQ(args[3].metric()->direction(), "");
  EXPECT_EQ(args[4].metric()->name(), "abs_error");
  // A keras::losses function is named after it and is minimized, as in Keras.
  EXPECT_EQ(args[5].metric()->name(), "mean_squared_error");
  EXPECT_EQ(args[5].metric()->direction(), "down");
  auto m = args[4].resolve({2}, {2});
  m->update_state(Tensor({1.f, 2.f}), Tensor({2.f, 4.f}));
  EXPECT_FLOAT_EQ(m->result().item<float>(), 1.5f);
}

}  // namespace
}  // namespace keras::testing
