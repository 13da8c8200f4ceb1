// Constraints: every class and option set against Keras 3 itself
// (tests/fixtures/regularizers_constraints.npz, made by
// gen_regularizer_constraint_fixtures.py with Keras 3.15.1 on JAX) in float64
// and float32, hand-worked values (including Keras' epsilon in the
// denominator), Variables, string lookup, ConstraintArg and errors.
#include "keras/constraints.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/npy.hpp"
#include "keras/ops.hpp"
#include "keras/variable.hpp"

namespace keras::testing {
namespace {

namespace C = keras::constraints;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("regularizers_constraints.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("regularizers_constraints.npz has no array " + key);
  return it->second;
}

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needles.front();
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

// ---- Keras fixtures ------------------------------------------------------------------------------------

struct FixtureCase {
  std::string name;
  std::shared_ptr<C::Constraint> con;
  std::string input;
};

// The table of gen_regularizer_constraint_fixtures.py's CONSTRAINTS.
std::vector<FixtureCase> fixture_cases() {
  return {
      {"max_norm_default", std::make_shared<C::MaxNorm>(), "scaled"},
      {"max_norm_1", std::make_shared<C::MaxNorm>(1.0), "scaled"},
      {"max_norm_axis1", std::make_shared<C::MaxNorm>(1.5, 1), "mat"},
      {"max_norm_conv", std::make_shared<C::MaxNorm>(C::MaxNormOptions{.max_value = 2.0, .axis = {0, 1, 2}}), "conv"},
      {"non_neg", std::make_shared<C::NonNeg>(), "mat"},
      {"non_neg_conv", std::make_shared<C::NonNeg>(), "conv"},
      {"unit_norm_default", std::make_shared<C::UnitNorm>(), "scaled"},
      {"unit_norm_last", std::make_shared<C::UnitNorm>(C::UnitNormOptions{.axis = -1}), "mat"},
      {"unit_norm_conv", std::make_shared<C::UnitNorm>(C::UnitNormOptions{.axis = {0, 1, 2}}), "conv"},
      {"min_max_default", std::make_shared<C::MinMaxNorm>(), "scaled"},
      {"min_max_rate", std::make_shared<C::MinMaxNorm>(0.5, 2.0, 0.7), "scaled"},
      {"min_max_axis1",
       std::make_shared<C::MinMaxNorm>(C::MinMaxNormOptions{.min_value = 1.0, .max_value = 1.5, .axis = 1}), "mat"},
      {"min_max_conv", std::make_shared<C::MinMaxNorm>(3.0, 4.0, 0.5, Axes{0, 1, 2}), "conv"},
  };
}

TEST(ConstraintKeras, MatchesKerasInFloat64AndFloat32) {
  for (const auto& c : fixture_cases()) {
    SCOPED_TRACE(c.name);
    const Tensor x = fx("x__" + c.input);
    const Tensor y64 = (*c.con)(x);
    EXPECT_EQ(y64.dtype(), DType::float64);
    EXPECT_TRUE(all_close(y64, fx("con__" + c.name + "__f64"), 1e-6, 1e-12));
    const Tensor y32 = (*c.con)(ops::cast(x, DType::float32));
    EXPECT_EQ(y32.dtype(), DType::float32);
    EXPECT_TRUE(all_close(f64(y32), f64(fx("con__" + c.name + "__f32")), 1e-6, 1e-7));
  }
}

TEST(ConstraintKeras, EveryFixtureCaseIsTested) {
  std::set<std::string> tested;
  for (const auto& c : fixture_cases()) tested.insert(c.name);
  for (const auto& [key, value] : fixtures()) {
    if (key.rfind("con__", 0) != 0) continue;
    const std::string name = key.substr(5, key.rfind("__") - 5);
    EXPECT_TRUE(tested.count(name)) << "fixture case without a test: " << name;
  }
}

// ---- hand-worked values ------------------------------------------------------------------------------------

TEST(ConstraintHand, NormsAndEpsilon) {
  // Columns of norm 5 (3, 4), 0.5 (0.3, 0.4) and 0 (0, 0).
  const Tensor w(std::vector<double>{3.0, 0.3, 0.0, 4.0, 0.4, 0.0}, Shape{2, 3});
  const double eps = 1e-7;
  // MaxNorm(2): the first column is scaled to norm 2; the others shrink by
  // norm / (eps + norm), and the zero column stays 0 rather than NaN.
  const std::vector<double> m = C::MaxNorm(2.0)(w).to_vector<double>();
  EXPECT_NEAR(m[0], 3.0 * 2.0 / (eps + 5.0), 1e-15);
  EXPECT_NEAR(m[3], 4.0 * 2.0 / (eps + 5.0), 1e-15);
  EXPECT_DOUBLE_EQ(m[1], 0.3 * 0.5 / (eps + 0.5));
  EXPECT_EQ(m[2], 0.0);
  EXPECT_EQ(m[5], 0.0);
  // UnitNorm: w / (eps + norm).
  const std::vector<double> u = C::UnitNorm()(w).to_vector<double>();
  EXPECT_DOUBLE_EQ(u[0], 3.0 / (eps + 5.0));
  EXPECT_DOUBLE_EQ(u[4], 0.4 / (eps + 0.5));
  EXPECT_EQ(u[2], 0.0);
  // MinMaxNorm(1, 2, rate 0.5): norm 5 -> 0.5 * 2 + 0.5 * 5 = 3.5; norm 0.5 -> 0.5 * 1 + 0.25 = 0.75.
  const std::vector<double> mm = C::MinMaxNorm(1.0, 2.0, 0.5)(w).to_vector<double>();
  EXPECT_DOUBLE_EQ(mm[0], 3.0 * 3.5 / (eps + 5.0));
  EXPECT_DOUBLE_EQ(mm[1], 0.3 * 0.75 / (eps + 0.5));
  EXPECT_EQ(mm[2], 0.0);
  // axis = std::nullopt: one norm over every element (sqrt(25.25)).
  const double total = std::sqrt(25.25);
  EXPECT_DOUBLE_EQ(C::UnitNorm({.axis = std::nullopt})(w).to_vector<double>()[0], 3.0 / (eps + total));
}

TEST(ConstraintHand, NonNegAndIdentity) {
  const Tensor w({{-1.f, 2.f}, {0.5f, -0.f}});
  EXPECT_EQ(C::NonNeg()(w).to_vector<float>(), std::vector<float>({0.f, 2.f, 0.5f, 0.f}));
  EXPECT_EQ(C::NonNeg()(Tensor(std::vector<int32_t>{-3, 4})).to_vector<int32_t>(), std::vector<int32_t>({0, 4}));
  EXPECT_EQ(C::Constraint()(w).to_vector<float>(), w.to_vector<float>());
  // float16 / bfloat16 weights: projected in float32, returned in their dtype.
  for (DType half : {DType::float16, DType::bfloat16}) {
    const Tensor h = C::UnitNorm()(ops::cast(Tensor(std::vector<float>{3.f, 4.f}), half));
    EXPECT_EQ(h.dtype(), half);
    EXPECT_NEAR(ops::cast(h, DType::float32).to_vector<float>()[0], 0.6f, 4e-3);
    EXPECT_EQ(C::NonNeg()(ops::cast(w, half)).dtype(), half);
    EXPECT_EQ(ops::cast(C::NonNeg()(ops::cast(w, half)), DType::float32).to_vector<float>(),
              std::vector<float>({0.f, 2.f, 0.5f, 0.f}));
  }
  // Integer weights are projected in float32, as Keras' norms are.
  const Tensor u = C::UnitNorm()(Tensor(std::vector<int32_t>{3, 4}));
  EXPECT_EQ(u.dtype(), DType::float32);
  EXPECT_NEAR(u.to_vector<float>()[1], 0.8f, 1e-6);
}

TEST(ConstraintHand, AppliedToAVariable) {
  Variable kernel(Tensor({{3.f, 0.1f}, {4.f, 0.2f}}), {.name = "kernel"});
  kernel.assign(C::MaxNorm(1.0)(kernel));
  const std::vector<float> v = kernel.value().to_vector<float>();
  EXPECT_NEAR(std::hypot(v[0], v[2]), 1.0f, 1e-6);
  EXPECT_NEAR(v[1], 0.1f, 1e-6);
}

TEST(ConstraintHand, Gradients) {
  EXPECT_TRUE(check_gradients([](const inputs& x) { return C::MaxNorm(1.0)(x[0]); }, {uniform({4, 3}, 0.2, 1.0, 31)}));
  EXPECT_TRUE(
      check_gradients([](const inputs& x) { return C::UnitNorm({.axis = 1})(x[0]); }, {uniform({4, 3}, 0.2, 1.0, 32)}));
}

// ---- lookup, ConstraintArg, custom constraints ---------------------------------------------------------

TEST(ConstraintGet, NamesAndDefaults) {
  EXPECT_EQ(C::get("max_norm")->class_name(), "MaxNorm");
  EXPECT_EQ(C::get("NonNeg")->class_name(), "NonNeg");
  EXPECT_EQ(C::get("unit_norm")->class_name(), "UnitNorm");
  EXPECT_EQ(C::get("constraint")->class_name(), "Constraint");
  auto mm = std::dynamic_pointer_cast<C::MinMaxNorm>(C::get("min_max_norm"));
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->options().min_value, 0.0);
  EXPECT_EQ(mm->options().max_value, 1.0);
  EXPECT_EQ(mm->options().rate, 1.0);
  EXPECT_EQ(mm->options().axis.list(), std::vector<int64_t>{0});
  EXPECT_EQ(std::dynamic_pointer_cast<C::MaxNorm>(C::get("MaxNorm"))->options().max_value, 2.0);
  EXPECT_EQ(C::valid_names(),
            std::vector<std::string>({"Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "constraint",
                                      "max_norm", "min_max_norm", "non_neg", "unit_norm"}));
  expect_error<ValueError>([] { C::get("maxnorm"); },
                           {"Could not interpret constraint identifier: maxnorm", "max_norm", "unit_norm"});
}

struct Clip : C::Constraint {
  Tensor call(const Tensor& w) const override { return ops::clip(w, -1.0, 1.0); }
  std::string class_name() const override { return "Clip"; }
};

TEST(ConstraintArg, FromNameObjectFunctionAndPointer) {
  const Tensor w({-3.f, 0.5f, 2.f});
  C::ConstraintArg none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get(), nullptr);
  EXPECT_FALSE(C::ConstraintArg(std::nullopt));

  C::ConstraintArg by_name = "non_neg";
  ASSERT_TRUE(by_name);
  EXPECT_EQ((*by_name.get())(w).to_vector<float>(), std::vector<float>({0.f, 0.5f, 2.f}));
  EXPECT_EQ(C::ConstraintArg(std::string("unit_norm")).get()->class_name(), "UnitNorm");
  expect_error<ValueError>([] { C::ConstraintArg a = "positive"; }, {"positive"});

  C::ConstraintArg by_object = C::MaxNorm(1.0);
  EXPECT_EQ(by_object.get()->class_name(), "MaxNorm");
  EXPECT_EQ(by_object.get(), by_object.get());
  const Clip clip;
  EXPECT_EQ((*C::ConstraintArg(clip).get())(w).to_vector<float>(), std::vector<float>({-1.f, 0.5f, 1.f}));

  C::ConstraintArg by_fn = [](const Tensor& x) { return x * 2.0; };
  EXPECT_EQ((*by_fn.get())(w).to_vector<float>(), std::vector<float>({-6.f, 1.f, 4.f}));
  EXPECT_EQ(by_fn.get()->class_name(), "function");

  auto shared = std::make_shared<const C::NonNeg>();
  EXPECT_EQ(C::ConstraintArg(shared).get(), shared);
}

TEST(ConstraintErrors, BadAxesAndUndefinedWeights) {
  EXPECT_THROW(C::MaxNorm(2.0, 3)(ops::ones({2, 2})), ValueError);
  EXPECT_THROW(C::UnitNorm({.axis = {0, 5}})(ops::ones({2, 2})), ValueError);
  expect_error<ValueError>([] { C::NonNeg()(Tensor()); }, {"NonNeg", "undefined"});
}

}  // namespace
}  // namespace keras::testing
