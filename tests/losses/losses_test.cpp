// Losses: every class and option combination against Keras 3 itself
// (tests/fixtures/losses.npz, made by gen_loss_fixtures.py with Keras 3.15.1
// on JAX), hand-worked values, the reductions and masks, gradients, string
// lookup, LossArg and the error messages.
#include "keras/losses.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

namespace L = keras::losses;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("losses.npz"));
  return f;
}

bool has_fx(const std::string& key) { return fixtures().count(key) > 0; }

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("losses.npz has no array " + key);
  return it->second;
}

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needles.front();
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

// ---- Keras fixtures ------------------------------------------------------------------------------------

using Factory = std::function<std::shared_ptr<L::Loss>(const std::string& reduction, std::optional<DType> dtype)>;

// A factory for class L with the given options, the reduction and dtype filled in per call.
template <class Cls>
Factory make(typename Cls::Options options = {}) {
  return [options](const std::string& reduction, std::optional<DType> dtype) {
    auto o = options;
    o.reduction = reduction;
    o.dtype = dtype;
    return std::make_shared<Cls>(o);
  };
}

struct FixtureCase {
  std::string name;
  Factory make;
  L::LossFn fn;  // the plain function with the same arguments; empty when the fixture has none
};

std::vector<FixtureCase> fixture_cases() {
  using T = const Tensor&;
  return {
      {"mse", make<L::MeanSquaredError>(), L::mean_squared_error},
      {"mse_rank", make<L::MeanSquaredError>(), L::mean_squared_error},
      {"mse_3d", make<L::MeanSquaredError>(), L::mean_squared_error},
      {"mse_3d_colw", make<L::MeanSquaredError>(), L::mean_squared_error},
      {"mae", make<L::MeanAbsoluteError>(), L::mean_absolute_error},
      {"mape", make<L::MeanAbsolutePercentageError>(), L::mean_absolute_percentage_error},
      {"msle", make<L::MeanSquaredLogarithmicError>(), L::mean_squared_logarithmic_error},
      {"cosine", make<L::CosineSimilarity>(), [](T t, T p) { return L::cosine_similarity(t, p); }},
      {"cosine_axis0", make<L::CosineSimilarity>({.axis = 0}), [](T t, T p) { return L::cosine_similarity(t, p, 0); }},
      {"huber", make<L::Huber>(), [](T t, T p) { return L::huber(t, p); }},
      {"huber_d05", make<L::Huber>({.delta = 0.5}), [](T t, T p) { return L::huber(t, p, 0.5); }},
      {"log_cosh", make<L::LogCosh>(), L::log_cosh},
      {"kld", make<L::KLDivergence>(), L::kl_divergence},
      {"poisson", make<L::Poisson>(), L::poisson},
      {"hinge_01", make<L::Hinge>(), L::hinge},
      {"hinge_pm1", make<L::Hinge>(), L::hinge},
      {"hinge_mixed", make<L::Hinge>(), L::hinge},
      {"squared_hinge_01", make<L::SquaredHinge>(), L::squared_hinge},
      {"squared_hinge_pm1", make<L::SquaredHinge>(), L::squared_hinge},
      {"categorical_hinge", make<L::CategoricalHinge>(), L::categorical_hinge},
      {"bce", make<L::BinaryCrossentropy>(), [](T t, T p) { return L::binary_crossentropy(t, p); }},
      {"bce_logits", make<L::BinaryCrossentropy>({.from_logits = true}),
       [](T t, T p) { return L::binary_crossentropy(t, p, true); }},
      {"bce_ls", make<L::BinaryCrossentropy>({.label_smoothing = 0.2}),
       [](T t, T p) { return L::binary_crossentropy(t, p, false, 0.2); }},
      {"bce_logits_ls", make<L::BinaryCrossentropy>({.from_logits = true, .label_smoothing = 0.1}),
       [](T t, T p) { return L::binary_crossentropy(t, p, true, 0.1); }},
      {"bce_axis0", make<L::BinaryCrossentropy>({.axis = 0}),
       [](T t, T p) { return L::binary_crossentropy(t, p, false, 0.0, 0); }},
      {"bce_rank", make<L::BinaryCrossentropy>(), nullptr},
      {"bfce", make<L::BinaryFocalCrossentropy>(), [](T t, T p) { return L::binary_focal_crossentropy(t, p); }},
      {"bfce_balanced", make<L::BinaryFocalCrossentropy>({.apply_class_balancing = true, .alpha = 0.3, .gamma = 3.0}),
       [](T t, T p) { return L::binary_focal_crossentropy(t, p, true, 0.3, 3.0); }},
      {"bfce_logits", make<L::BinaryFocalCrossentropy>({.from_logits = true}),
       [](T t, T p) { return L::binary_focal_crossentropy(t, p, false, 0.25, 2.0, true); }},
      {"bfce_logits_ls_balanced",
       make<L::BinaryFocalCrossentropy>(
           {.apply_class_balancing = true, .gamma = 1.5, .from_logits = true, .label_smoothing = 0.1}),
       [](T t, T p) { return L::binary_focal_crossentropy(t, p, true, 0.25, 1.5, true, 0.1); }},
      {"cce", make<L::CategoricalCrossentropy>(), [](T t, T p) { return L::categorical_crossentropy(t, p); }},
      {"cce_logits", make<L::CategoricalCrossentropy>({.from_logits = true}),
       [](T t, T p) { return L::categorical_crossentropy(t, p, true); }},
      {"cce_ls", make<L::CategoricalCrossentropy>({.label_smoothing = 0.1}),
       [](T t, T p) { return L::categorical_crossentropy(t, p, false, 0.1); }},
      {"cce_logits_ls", make<L::CategoricalCrossentropy>({.from_logits = true, .label_smoothing = 0.2}),
       [](T t, T p) { return L::categorical_crossentropy(t, p, true, 0.2); }},
      {"cce_axis0_ls", make<L::CategoricalCrossentropy>({.from_logits = true, .label_smoothing = 0.1, .axis = 0}),
       [](T t, T p) { return L::categorical_crossentropy(t, p, true, 0.1, 0); }},
      {"cce_3d", make<L::CategoricalCrossentropy>(), [](T t, T p) { return L::categorical_crossentropy(t, p); }},
      {"cfce", make<L::CategoricalFocalCrossentropy>(),
       [](T t, T p) { return L::categorical_focal_crossentropy(t, p); }},
      {"cfce_logits",
       make<L::CategoricalFocalCrossentropy>({.alpha = 0.5, .gamma = 1.5, .from_logits = true, .label_smoothing = 0.1}),
       [](T t, T p) { return L::categorical_focal_crossentropy(t, p, 0.5, 1.5, true, 0.1); }},
      {"scce", make<L::SparseCategoricalCrossentropy>(),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p); }},
      {"scce_col", make<L::SparseCategoricalCrossentropy>(),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p); }},
      {"scce_logits", make<L::SparseCategoricalCrossentropy>({.from_logits = true}),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p, true); }},
      {"scce_ignore", make<L::SparseCategoricalCrossentropy>({.from_logits = true, .ignore_class = -1}),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p, true, -1); }},
      {"scce_ignore_probs", make<L::SparseCategoricalCrossentropy>({.ignore_class = 2}),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p, false, 2); }},
      {"scce_3d_ignore", make<L::SparseCategoricalCrossentropy>({.from_logits = true, .ignore_class = 0}),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p, true, 0); }},
      {"scce_all_ignored", make<L::SparseCategoricalCrossentropy>({.from_logits = true, .ignore_class = 1}),
       [](T t, T p) { return L::sparse_categorical_crossentropy(t, p, true, 1); }},
  };
}

class LossesKeras : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(LossesKeras, MatchesKerasForEveryReduction) {
  const FixtureCase& c = GetParam();
  const Tensor yt = fx(c.name + "__yt"), yp = fx(c.name + "__yp"), sw = fx(c.name + "__sw");
  for (const std::string red : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"}) {
    auto loss = c.make(red, DType::float64);
    EXPECT_EQ(loss->reduction(), red);
    Tensor got = (*loss)(yt, yp);
    EXPECT_EQ(got.dtype(), DType::float64);
    EXPECT_TRUE(all_close(got, fx(c.name + "__" + red), 1e-9, 1e-12)) << c.name << " " << red;
    Tensor got_sw = (*loss)(yt, yp, sw);
    EXPECT_TRUE(all_close(got_sw, fx(c.name + "__" + red + "__sw"), 1e-9, 1e-12)) << c.name << " " << red << " sw";
  }
}

TEST_P(LossesKeras, DefaultDtypeIsFloat32) {
  const FixtureCase& c = GetParam();
  auto loss = c.make("sum_over_batch_size", std::nullopt);
  EXPECT_EQ(loss->dtype(), DType::float32);
  Tensor got = (*loss)(fx(c.name + "__yt"), fx(c.name + "__yp"), fx(c.name + "__sw"));
  EXPECT_EQ(got.dtype(), DType::float32);
  EXPECT_TRUE(all_close(f64(got), fx(c.name + "__f32"), 1e-5, 1e-6)) << c.name;
}

TEST_P(LossesKeras, PlainFunctionMatchesKeras) {
  const FixtureCase& c = GetParam();
  ASSERT_EQ(static_cast<bool>(c.fn), has_fx(c.name + "__fn")) << c.name;
  // bce_rank: Keras' plain function rejects (4,) against (4, 1) (LossesErrors checks that); the class adapts them.
  if (!c.fn) return;
  Tensor got = c.fn(fx(c.name + "__yt"), fx(c.name + "__yp"));
  EXPECT_TRUE(all_close(got, fx(c.name + "__fn"), 1e-9, 1e-12)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Losses, LossesKeras, ::testing::ValuesIn(fixture_cases()),
                         [](const ::testing::TestParamInfo<FixtureCase>& info) { return info.param.name; });

TEST(LossesKerasCoverage, EveryFixtureCaseIsTested) {
  std::map<std::string, bool> tested;
  for (const auto& c : fixture_cases()) tested[c.name] = true;
  for (const auto& [key, value] : fixtures()) {
    const std::string name = key.substr(0, key.find("__"));
    EXPECT_TRUE(tested.count(name)) << "losses.npz case " << name << " has no C++ factory";
  }
}

// ---- hand-worked values ----------------------------------------------------------------------------------

double scalar(const Tensor& t) { return ops::cast(t, DType::float64).item<double>(); }

TEST(LossesHand, MeanSquaredError) {
  // Per sample: mean((1-1)^2, (2-4)^2) = (0 + 4) / 2 = 2. A 1-D input is one
  // sample, so the loss is 0-d and no reduction applies.
  EXPECT_DOUBLE_EQ(scalar(L::mean_squared_error(Tensor({1.f, 2.f}), Tensor({1.f, 4.f}))), 2.0);
  EXPECT_DOUBLE_EQ(scalar(L::MeanSquaredError({.reduction = "sum"})(Tensor({1.f, 2.f}), Tensor({1.f, 4.f}))), 2.0);

  // Two samples with losses 0.5 and 0.5.
  Tensor yt({{0.f, 1.f}, {0.f, 0.f}}), yp({{1.f, 1.f}, {1.f, 0.f}});
  EXPECT_DOUBLE_EQ(scalar(L::MeanSquaredError()(yt, yp)), 0.5);
  EXPECT_DOUBLE_EQ(scalar(L::MeanSquaredError({.reduction = "sum"})(yt, yp)), 1.0);
  // Weighted [0.4, 0.1]: sum_over_batch_size divides 0.5 by 2 samples,
  // mean_with_sample_weight by the weight total 1.0.
  Tensor sw({0.8f, 0.2f});
  EXPECT_NEAR(scalar(L::MeanSquaredError()(yt, yp, sw)), 0.25, 1e-7);
  EXPECT_NEAR(scalar(L::MeanSquaredError({.reduction = "mean_with_sample_weight"})(yt, yp, sw)), 0.5, 1e-7);
  Tensor none = L::MeanSquaredError({.reduction = "none"})(yt, yp, sw);
  EXPECT_TRUE(all_close(none, Tensor({0.4f, 0.1f}), 1e-6, 1e-7));
}

// The docstring examples of keras/src/losses/losses.py.
TEST(LossesHand, KerasDocstringExamples) {
  Tensor yt({{0.f, 1.f}, {0.f, 0.f}}), logits({{-18.6f, 0.51f}, {2.94f, -12.8f}});
  EXPECT_NEAR(scalar(L::BinaryCrossentropy({.from_logits = true})(yt, logits)), 0.8654, 1e-4);
  EXPECT_NEAR(scalar(L::BinaryCrossentropy({.from_logits = true})(yt, logits, Tensor({0.8f, 0.2f}))), 0.243, 1e-3);
  EXPECT_NEAR(scalar(L::BinaryCrossentropy({.from_logits = true, .reduction = "sum"})(yt, logits)), 1.730, 1e-3);
  EXPECT_TRUE(all_close(L::BinaryCrossentropy({.from_logits = true, .reduction = "none"})(yt, logits),
                        Tensor({0.235f, 1.496f}), 0, 1e-3));
  EXPECT_NEAR(scalar(L::BinaryFocalCrossentropy({.gamma = 3, .from_logits = true})(yt, logits)), 0.647, 1e-3);

  Tensor onehot({{0.f, 1.f, 0.f}, {0.f, 0.f, 1.f}}), probs({{0.05f, 0.95f, 0.f}, {0.1f, 0.8f, 0.1f}});
  EXPECT_NEAR(scalar(L::CategoricalCrossentropy()(onehot, probs)), 1.177, 1e-3);
  EXPECT_NEAR(scalar(L::CategoricalCrossentropy()(onehot, probs, Tensor({0.3f, 0.7f}))), 0.814, 1e-3);
  EXPECT_TRUE(all_close(L::categorical_crossentropy(onehot, probs), Tensor({0.0513f, 2.303f}), 0, 1e-3));
  // The same with integer labels: -log(0.95) and -log(0.1).
  Tensor labels(std::vector<int32_t>{1, 2});
  EXPECT_NEAR(scalar(L::SparseCategoricalCrossentropy()(labels, probs)), 1.177, 1e-3);
  EXPECT_TRUE(all_close(L::sparse_categorical_crossentropy(labels, probs),
                        Tensor({static_cast<float>(-std::log(0.95)), static_cast<float>(-std::log(0.1))}), 1e-5, 1e-6));
  EXPECT_NEAR(scalar(L::CategoricalFocalCrossentropy()(onehot, probs)), 0.23315276, 1e-6);

  EXPECT_NEAR(scalar(L::Huber()(Tensor({{0.f, 1.f}, {0.f, 0.f}}), Tensor({{0.6f, 0.4f}, {0.4f, 0.6f}}))), 0.155, 1e-3);
  EXPECT_NEAR(scalar(L::LogCosh()(Tensor({{0.f, 1.f}, {0.f, 0.f}}), Tensor({{1.f, 1.f}, {0.f, 0.f}}))), 0.108, 1e-3);
  // Orthogonal 0, same direction -1, opposite 1.
  Tensor cs = L::cosine_similarity(Tensor({{0.f, 1.f}, {1.f, 1.f}, {1.f, 1.f}}),
                                   Tensor({{1.f, 0.f}, {1.f, 1.f}, {-1.f, -1.f}}));
  EXPECT_TRUE(all_close(cs, Tensor({0.f, -1.f, 1.f}), 1e-6, 1e-6));
}

TEST(LossesHand, HingeConvertsBinaryLabels) {
  // Labels 0/1 become -1/1: y_pred 0.5 on label 0 costs max(1 + 0.5, 0) = 1.5,
  // on label 1 max(1 - 0.5, 0) = 0.5.
  EXPECT_NEAR(scalar(L::hinge(Tensor({0.f, 1.f}), Tensor({0.5f, 0.5f}))), 1.0, 1e-7);
  EXPECT_NEAR(scalar(L::squared_hinge(Tensor({0.f, 1.f}), Tensor({0.5f, 0.5f}))), (2.25 + 0.25) / 2, 1e-7);
  // With a 2 among the labels nothing is converted: max(1 - 0, 0) and max(1 - 2 * 0.5, 0).
  EXPECT_NEAR(scalar(L::hinge(Tensor({0.f, 2.f}), Tensor({0.5f, 0.5f}))), 0.5, 1e-7);
}

TEST(LossesHand, BinaryCrossentropyClipsProbabilities) {
  // y_pred 0 for label 1 is clipped to 1e-7: -log(1e-7) = 16.118, not inf.
  const double expected = -std::log(static_cast<double>(static_cast<float>(1e-7)));
  EXPECT_NEAR(scalar(L::binary_crossentropy(Tensor({1.f}), Tensor({0.f}))), expected, 1e-4);
  // Logits do not clip: softplus(-100) = 100 (up to float32 rounding).
  EXPECT_NEAR(scalar(L::binary_crossentropy(Tensor({1.f}), Tensor({-100.f}), true)), 100.0, 1e-4);
}

TEST(LossesHand, LabelSmoothing) {
  // Binary: 1 -> 1 - 0.5 s. With s = 0.2 and logit 0 (p = 0.5) the loss is log 2 either way;
  // with probability 0.9: -(0.9 log 0.9 + 0.1 log 0.1).
  EXPECT_NEAR(scalar(L::binary_crossentropy(Tensor({1.f}), Tensor({0.9f}), false, 0.2)),
              -(0.9 * std::log(0.9) + 0.1 * std::log(0.1)), 1e-6);
  // Categorical over 4 classes, s = 0.2: target 0.8 + 0.05 = 0.85, others 0.05.
  Tensor yt({{0.f, 1.f, 0.f, 0.f}}), yp({{0.1f, 0.6f, 0.2f, 0.1f}});
  const double want = -(0.85 * std::log(0.6) + 0.05 * (2 * std::log(0.1) + std::log(0.2)));
  EXPECT_NEAR(scalar(L::categorical_crossentropy(yt, yp, false, 0.2)), want, 1e-5);
}

// ---- reductions, masks, sample weights ----------------------------------------------------------------------

TEST(LossesReduction, IgnoreClassLeavesTheAverage) {
  // Equal logits over 3 classes: each valid sample costs log 3. Two of four are
  // ignored, so sum_over_batch_size averages over the 2 valid ones.
  Tensor logits = ops::zeros({4, 3});
  Tensor labels(std::vector<int32_t>{0, -1, 2, -1});
  L::SparseCategoricalCrossentropy scce({.from_logits = true, .ignore_class = -1});
  EXPECT_NEAR(scalar(scce(labels, logits)), std::log(3.0), 1e-6);
  EXPECT_NEAR(scalar(L::SparseCategoricalCrossentropy({.from_logits = true, .ignore_class = -1, .reduction = "sum"})(
                  labels, logits)),
              2 * std::log(3.0), 1e-6);
  Tensor none =
      L::SparseCategoricalCrossentropy({.from_logits = true, .ignore_class = -1, .reduction = "none"})(labels, logits);
  const float l3 = static_cast<float>(std::log(3.0));
  EXPECT_TRUE(all_close(none, Tensor({l3, 0.f, l3, 0.f}), 1e-6, 1e-7));
  // The plain function zeroes the ignored samples but cannot renormalise.
  EXPECT_TRUE(
      all_close(L::sparse_categorical_crossentropy(labels, logits, true, -1), Tensor({l3, 0.f, l3, 0.f}), 1e-6, 1e-7));
  // call_with_mask exposes the mask that does the renormalising.
  L::LossOutput out = scce.call_with_mask(ops::cast(labels, DType::float32), logits);
  EXPECT_EQ(out.mask.to_vector<bool>(), (std::vector<bool>{true, false, true, false}));
}

TEST(LossesReduction, MaskArgument) {
  // A mask on y_pred (as a Masking layer sets it) drops samples from the average.
  Tensor yt = ops::zeros({3, 1}), yp(std::vector<float>{1, 2, 3}, Shape{3, 1});
  Tensor mask = ops::cast(Tensor({1.f, 0.f, 1.f}), DType::bool_);
  EXPECT_NEAR(scalar(L::MeanSquaredError()(yt, yp, Tensor(), mask)), (1.0 + 9.0) / 2, 1e-6);
  EXPECT_NEAR(scalar(L::MeanSquaredError({.reduction = "sum"})(yt, yp, Tensor(), mask)), 10.0, 1e-6);
  // mean_with_sample_weight divides by the mask's sum (the merged weights).
  EXPECT_NEAR(
      scalar(L::MeanSquaredError({.reduction = "mean_with_sample_weight"})(yt, yp, Tensor({1.f, 1.f, 3.f}), mask)),
      (1.0 + 27.0) / 4, 1e-6);
}

TEST(LossesReduction, Helpers) {
  auto [a, b] = L::squeeze_or_expand_to_same_rank(ops::zeros({4}), ops::zeros({4, 1}));
  EXPECT_EQ(a.shape(), Shape({4, 1}));  // a 1-D tensor is expanded
  EXPECT_EQ(b.shape(), Shape({4, 1}));
  auto [c, d] = L::squeeze_or_expand_to_same_rank(ops::zeros({2, 3, 1}), ops::zeros({2, 3}));
  EXPECT_EQ(c.shape(), Shape({2, 3}));  // otherwise the size-1 axis is squeezed
  EXPECT_EQ(d.shape(), Shape({2, 3}));
  auto [e, f] = L::squeeze_or_expand_to_same_rank(ops::zeros({2, 3}), ops::zeros({2}));
  EXPECT_EQ(e.shape(), Shape({2, 3}));  // last axis not 1: unchanged
  EXPECT_EQ(f.shape(), Shape({2}));

  // 0-d values are returned as they are, whatever the reduction.
  EXPECT_DOUBLE_EQ(scalar(L::reduce_values(Tensor::scalar(3.0f), Tensor(), "sum")), 3.0);
  // Empty: sum 0 / 0 elements is 0 (divide_no_nan), not NaN.
  EXPECT_EQ(L::reduce_values(ops::zeros({0, 2})).item<float>(), 0.f);
  EXPECT_EQ(L::reduce_values(ops::zeros({0})).shape(), Shape({0}));
  // mean_with_sample_weight with all-zero weights gives 0, not NaN.
  EXPECT_EQ(L::reduce_weighted_values(Tensor({1.f, 2.f}), Tensor({0.f, 0.f}), Tensor(), "mean_with_sample_weight")
                .item<float>(),
            0.f);
  EXPECT_EQ(L::standardize_reduction("mean"), "mean");
}

TEST(LossesReduction, SymbolicBatch) {
  // With an unknown batch size the divisor is counted at run time.
  Tensor yt = graph::placeholder({-1, 3}), yp = graph::placeholder({-1, 3});
  Tensor loss = L::MeanSquaredError()(yt, yp);
  Tensor t = Tensor({{0.f, 0.f, 0.f}, {1.f, 1.f, 1.f}}), p = Tensor({{1.f, 1.f, 1.f}, {1.f, 1.f, 4.f}});
  auto out = graph::evaluate({loss}, {{yt, t}, {yp, p}});
  EXPECT_NEAR(scalar(out[0]), (1.0 + 3.0) / 2, 1e-6);
  EXPECT_NEAR(scalar(out[0]), scalar(L::MeanSquaredError()(t, p)), 1e-7);

  Tensor labels = graph::placeholder({-1}, DType::int32), logits = graph::placeholder({-1, 3});
  Tensor scce = L::SparseCategoricalCrossentropy({.from_logits = true, .ignore_class = 0})(labels, logits);
  auto s = graph::evaluate({scce}, {{labels, Tensor(std::vector<int32_t>{0, 1, 2})}, {logits, ops::zeros({3, 3})}});
  EXPECT_NEAR(scalar(s[0]), std::log(3.0), 1e-6);
}

TEST(LossesReduction, IntegerAndFloatSparseLabels) {
  Tensor logits({{2.f, 1.f, 0.f}, {0.f, 3.f, 1.f}});
  L::SparseCategoricalCrossentropy scce({.from_logits = true});
  const double from_int = scalar(scce(Tensor(std::vector<int64_t>{0, 2}), logits));
  EXPECT_NEAR(scalar(scce(Tensor({0.f, 2.f}), logits)), from_int, 1e-7);
  EXPECT_NEAR(scalar(scce(Tensor(std::vector<float>{0, 2}, Shape{2, 1}), logits)), from_int,
              1e-7);  // (batch, 1) labels
  // Float labels are truncated as Keras' cast to int32 does.
  EXPECT_NEAR(scalar(scce(Tensor({0.7f, 2.2f}), logits)), from_int, 1e-7);
}

// ---- gradients -------------------------------------------------------------------------------------------------

TEST(LossesGradient, MatchesFiniteDifferences) {
  const Tensor yt = uniform({3, 4}, -1, 1, 3);
  const Tensor onehot = f64(ops::one_hot(Tensor(std::vector<int32_t>{1, 3, 0}), 4));
  const Tensor binary_labels = f64(Tensor(std::vector<float>{0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1}, Shape{3, 4}));
  const Tensor sw = Tensor(std::vector<double>{0.5, 1.0, 2.0});
  const auto f64_opts = std::optional<DType>(DType::float64);

  EXPECT_TRUE(check_gradients([&](const inputs& x) { return L::MeanSquaredError({.dtype = f64_opts})(yt, x[0], sw); },
                              {uniform({3, 4}, -1, 1, 4)}));
  EXPECT_TRUE(check_gradients(
      [&](const inputs& x) { return L::Huber({.delta = 0.5, .reduction = "none", .dtype = f64_opts})(yt, x[0]); },
      {uniform({3, 4}, -1, 1, 5)}));
  EXPECT_TRUE(check_gradients([&](const inputs& x) { return L::LogCosh({.dtype = f64_opts})(yt, x[0]); },
                              {uniform({3, 4}, -3, 3, 6)}));
  EXPECT_TRUE(check_gradients([&](const inputs& x) { return L::CosineSimilarity({.dtype = f64_opts})(yt, x[0]); },
                              {uniform({3, 4}, -1, 1, 7)}));
  EXPECT_TRUE(check_gradients(
      [&](const inputs& x) {
        return L::BinaryCrossentropy({.label_smoothing = 0.1, .dtype = f64_opts})(binary_labels, x[0]);
      },
      {uniform({3, 4}, 0.05, 0.95, 8)}));
  EXPECT_TRUE(check_gradients(
      [&](const inputs& x) {
        return L::BinaryFocalCrossentropy({.apply_class_balancing = true, .from_logits = true, .dtype = f64_opts})(
            binary_labels, x[0], sw);
      },
      {uniform({3, 4}, -3, 3, 9)}));
  EXPECT_TRUE(check_gradients(
      [&](const inputs& x) {
        return L::CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.1, .dtype = f64_opts})(onehot,
                                                                                                            x[0]);
      },
      {uniform({3, 4}, -2, 2, 10)}));
  EXPECT_TRUE(
      check_gradients([&](const inputs& x) { return L::CategoricalCrossentropy({.dtype = f64_opts})(onehot, x[0]); },
                      {uniform({3, 4}, 0.1, 1.0, 11)}));
  EXPECT_TRUE(check_gradients(
      [&](const inputs& x) { return L::KLDivergence({.dtype = f64_opts})(f64(ops::softmax(yt)), x[0]); },
      {uniform({3, 4}, 0.1, 0.9, 12)}));
  EXPECT_TRUE(check_gradients([&](const inputs& x) { return L::Poisson({.dtype = f64_opts})(ops::abs(yt), x[0]); },
                              {uniform({3, 4}, 0.5, 2.0, 13)}));
}

TEST(LossesGradient, SparseIgnoredSamplesGetZeroGradient) {
  Tensor labels(std::vector<int32_t>{2, -1, 0});
  for (bool from_logits : {true, false}) {
    L::SparseCategoricalCrossentropy scce(
        {.from_logits = from_logits, .ignore_class = -1, .dtype = std::optional<DType>(DType::float64)});
    Tensor y_pred = from_logits ? uniform({3, 4}, -2, 2, 14) : uniform({3, 4}, 0.1, 1.0, 14);
    EXPECT_TRUE(check_gradients([&](const inputs& x) { return scce(labels, x[0]); }, {y_pred})) << from_logits;
    GradientTape tape;
    tape.watch(y_pred);
    Tensor g = tape.gradient(scce(labels, y_pred), y_pred);
    auto gv = g.to_vector<double>();
    for (int k = 0; k < 4; ++k) EXPECT_EQ(gv[4 + k], 0.0) << "ignored row, class " << k;
    for (double v : gv) EXPECT_TRUE(std::isfinite(v));
  }
}

// ---- lookup and LossArg ------------------------------------------------------------------------------------------

TEST(LossesGet, ClassesFunctionsAndAliases) {
  auto cce = L::get("CategoricalCrossentropy");
  EXPECT_EQ(cce->class_name(), "CategoricalCrossentropy");
  EXPECT_EQ(cce->name(), "categorical_crossentropy");
  EXPECT_EQ(cce->reduction(), "sum_over_batch_size");
  EXPECT_EQ(L::get("Huber")->name(), "huber_loss");
  EXPECT_EQ(L::get("KLDivergence")->name(), "kl_divergence");

  // Functions are wrapped under the identifier, as compile() does.
  auto mse = L::get("mse");
  EXPECT_EQ(mse->class_name(), "LossFunctionWrapper");
  EXPECT_EQ(mse->name(), "mse");
  Tensor yt({{0.f, 1.f}, {0.f, 0.f}}), yp({{1.f, 1.f}, {1.f, 0.f}});
  EXPECT_DOUBLE_EQ(scalar((*mse)(yt, yp)), 0.5);
  for (const char* alias : {"MSE", "mean_squared_error", "MeanSquaredError"})
    EXPECT_DOUBLE_EQ(scalar((*L::get(alias))(yt, yp)), 0.5) << alias;
  EXPECT_NEAR(scalar((*L::get("huber"))(yt, yp)), 0.25, 1e-7);
  EXPECT_NEAR(scalar((*L::get("log_cosh"))(yt, yp)), scalar(L::LogCosh()(yt, yp)), 1e-7);
  EXPECT_NEAR(scalar((*L::get("bce"))(Tensor({{0.f, 1.f}}), Tensor({{0.25f, 0.75f}}))), -std::log(0.75), 1e-6);

  // Every advertised name resolves.
  for (const auto& name : L::valid_names()) EXPECT_NE(L::get(name), nullptr) << name;
  for (const char* alias : {"bce", "BCE", "kld", "KLD", "mae", "MAE", "mape", "MAPE", "mse", "MSE", "msle", "MSLE"})
    EXPECT_EQ(L::get(alias)->name(), alias);
}

TEST(LossesGet, UnknownNameListsValidOnes) {
  expect_error<ValueError>([] { L::get("foo"); },
                           {"Could not interpret loss identifier: foo. Valid names are: ", "mse", "huber",
                            "SparseCategoricalCrossentropy", "binary_crossentropy"});
}

TEST(LossesArg, FromNameObjectFunctionAndPointer) {
  Tensor yt({{0.f, 1.f}, {0.f, 0.f}}), yp({{1.f, 1.f}, {1.f, 0.f}});
  L::LossArg none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get(), nullptr);

  L::LossArg by_name = "mse";
  EXPECT_EQ(by_name.get()->name(), "mse");
  L::LossArg by_string = std::string("SparseCategoricalCrossentropy");
  EXPECT_EQ(by_string.get()->class_name(), "SparseCategoricalCrossentropy");

  L::Huber huber({.delta = 0.5, .name = "h"});
  L::LossArg by_object = huber;  // a copy
  EXPECT_EQ(by_object.get()->class_name(), "Huber");
  EXPECT_EQ(by_object.get()->name(), "h");
  EXPECT_EQ(dynamic_cast<const L::Huber&>(*by_object.get()).options().delta, 0.5);
  L::LossArg by_temporary = L::BinaryCrossentropy({.from_logits = true});
  EXPECT_TRUE(dynamic_cast<const L::BinaryCrossentropy&>(*by_temporary.get()).options().from_logits);

  L::LossArg by_lambda = [](const Tensor& t, const Tensor& p) { return ops::mean(ops::abs(p - t), -1); };
  EXPECT_EQ(by_lambda.get()->class_name(), "LossFunctionWrapper");
  EXPECT_DOUBLE_EQ(scalar((*by_lambda.get())(yt, yp)), 0.5);
  L::LossArg by_function = L::mean_absolute_error;
  EXPECT_DOUBLE_EQ(scalar((*by_function.get())(yt, yp)), 0.5);

  auto shared = std::make_shared<L::MeanSquaredError>();
  L::LossArg by_pointer = std::shared_ptr<const L::Loss>(shared);
  EXPECT_EQ(by_pointer.get().get(), shared.get());  // shared, not copied
}

// A user-defined loss: subclass Loss and implement call.
struct ScaledAbsolute : L::Loss {
  explicit ScaledAbsolute(double scale) : Loss({.name = "scaled_absolute", .reduction = "sum"}), scale(scale) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return ops::sum(ops::abs(y_pred - y_true), -1) * scale;
  }
  std::string class_name() const override { return "ScaledAbsolute"; }
  double scale;
};

TEST(LossesCustom, SubclassAndWrapper) {
  Tensor yt({{0.f, 1.f}, {0.f, 0.f}}), yp({{1.f, 1.f}, {1.f, 2.f}});
  ScaledAbsolute loss(2.0);
  EXPECT_EQ(loss.name(), "scaled_absolute");
  EXPECT_DOUBLE_EQ(scalar(loss(yt, yp)), 2.0 * (1 + 3));
  L::LossArg arg = loss;
  EXPECT_EQ(arg.get()->class_name(), "ScaledAbsolute");

  L::LossFunctionWrapper wrapped([](const Tensor& t, const Tensor& p) { return ops::max(ops::abs(p - t), -1); },
                                 "linf");
  EXPECT_EQ(wrapped.name(), "linf");
  EXPECT_DOUBLE_EQ(scalar(wrapped(yt, yp)), (1.0 + 2.0) / 2);
  // The wrapper lines up ranks first: y_true (2,) against y_pred (2, 1).
  EXPECT_DOUBLE_EQ(scalar(wrapped(Tensor({0.f, 0.f}), Tensor(std::vector<float>{1, 3}, Shape{2, 1}))), 2.0);
  EXPECT_EQ(L::LossFunctionWrapper([](const Tensor& t, const Tensor&) { return t; }).name(), "loss_function_wrapper");
}

// ---- errors -----------------------------------------------------------------------------------------------------

TEST(LossesErrors, ShapesThatDoNotBroadcast) {
  expect_error<ValueError>(
      [] {
        L::MeanSquaredError()(ops::zeros({2, 3}), ops::zeros({2, 4}));
      },
      {"mean_squared_error", "y_true.shape=(2, 3)", "y_pred.shape=(2, 4)"});
  expect_error<ValueError>([] { L::huber(ops::zeros({5}), ops::zeros({4})); }, {"huber", "(5,)", "(4,)"});
  expect_error<ValueError>(
      [] {
        L::binary_crossentropy(ops::zeros({4}), ops::zeros({4, 1}));
      },
      {"binary_crossentropy", "must have the same shape", "target.shape=(4,)", "output.shape=(4, 1)"});
  expect_error<ValueError>(
      [] {
        L::CategoricalCrossentropy()(ops::zeros({2, 3}), ops::zeros({2, 4}));
      },
      {"categorical_crossentropy", "target.shape=(2, 3)", "output.shape=(2, 4)"});
}

TEST(LossesErrors, SparseLabelsOfTheWrongShape) {
  expect_error<ValueError>(
      [] {
        L::SparseCategoricalCrossentropy()(ops::zeros({2, 3}), ops::ones({2, 5}));
      },
      {"sparse_categorical_crossentropy", "same shape up until the last dimension", "target.shape=(2, 3)",
       "output.shape=(2, 5)"});
  expect_error<ValueError>(
      [] {
        L::sparse_categorical_crossentropy(ops::zeros({2, 2, 2}), ops::ones({2, 5}));
      },
      {"target.shape=(2, 2, 2)", "output.shape=(2, 5)"});
  expect_error<ValueError>([] { L::sparse_categorical_crossentropy(ops::zeros({}), ops::ones({})); },
                           {"must be at least rank 1", "output.shape=()"});
}

TEST(LossesErrors, BadOptions) {
  expect_error<ValueError>([] { L::MeanSquaredError({.reduction = "average"}); },
                           {"Invalid value for argument `reduction`", "sum_over_batch_size", "reduction=\"average\""});
  expect_error<ValueError>([] { L::MeanSquaredError({.dtype = std::optional<DType>(DType::int32)}); },
                           {"mean_squared_error", "floating", "int32"});
  expect_error<ValueError>([] { L::LossFunctionWrapper(L::LossFn(), "empty"); }, {"empty"});
  expect_error<ValueError>([] { L::MeanSquaredError()(Tensor(), ops::zeros({2})); }, {"y_true", "undefined"});
}

}  // namespace
}  // namespace keras::testing
