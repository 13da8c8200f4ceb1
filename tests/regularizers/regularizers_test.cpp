// Regularizers: every class and option set against Keras 3 itself
// (tests/fixtures/regularizers_constraints.npz, made by
// gen_regularizer_constraint_fixtures.py with Keras 3.15.1 on JAX) in float64
// and float32, hand-worked values, gradients, string lookup, RegularizerArg and
// the error messages.
#include "keras/regularizers.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/gradient_tape.hpp"
#include "keras/npy.hpp"
#include "keras/ops.hpp"

namespace keras::testing {
namespace {

namespace R = keras::regularizers;

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

// ---- Keras fixtures ------------------------------------------------------------------------------------

struct FixtureCase {
  std::string name;
  std::shared_ptr<R::Regularizer> reg;
  std::string input;
};

// The table of gen_regularizer_constraint_fixtures.py's REGULARIZERS.
std::vector<FixtureCase> fixture_cases() {
  return {
      {"l1_default", std::make_shared<R::L1>(), "mat"},
      {"l1_03", std::make_shared<R::L1>(0.3), "conv"},
      {"l2_default", std::make_shared<R::L2>(), "mat"},
      {"l2_05", std::make_shared<R::L2>(R::L2Options{.l2 = 0.5}), "vec"},
      {"l1l2_both", std::make_shared<R::L1L2>(0.01, 0.02), "mat"},
      {"l1l2_l1", std::make_shared<R::L1L2>(R::L1L2Options{.l1 = 0.1}), "conv"},
      {"l1l2_l2", std::make_shared<R::L1L2>(R::L1L2Options{.l2 = 0.1}), "wide"},
      {"l1l2_zero", std::make_shared<R::L1L2>(), "mat"},
      {"ortho_rows", std::make_shared<R::OrthogonalRegularizer>(), "mat"},
      {"ortho_columns",
       std::make_shared<R::OrthogonalRegularizer>(R::OrthogonalRegularizerOptions{.factor = 0.1, .mode = "columns"}),
       "tall"},
      {"ortho_rows_wide", std::make_shared<R::OrthogonalRegularizer>(R::OrthogonalRegularizerOptions{.factor = 0.5}),
       "wide"},
      {"ortho_zero_row", std::make_shared<R::OrthogonalRegularizer>(R::OrthogonalRegularizerOptions{.factor = 0.2}),
       "zero_row"},
  };
}

TEST(RegularizerKeras, MatchesKerasInFloat64AndFloat32) {
  for (const auto& c : fixture_cases()) {
    SCOPED_TRACE(c.name);
    const Tensor x = fx("x__" + c.input);
    const Tensor p64 = (*c.reg)(x);
    EXPECT_EQ(p64.dtype(), DType::float64);
    EXPECT_EQ(p64.shape(), Shape{});
    EXPECT_TRUE(all_close(p64, fx("reg__" + c.name + "__f64"), 1e-6, 1e-12));
    const Tensor p32 = (*c.reg)(ops::cast(x, DType::float32));
    EXPECT_EQ(p32.dtype(), DType::float32);
    EXPECT_TRUE(all_close(ops::cast(p32, DType::float64), ops::cast(fx("reg__" + c.name + "__f32"), DType::float64),
                          1e-6, 1e-7));
  }
}

TEST(RegularizerKeras, EveryFixtureCaseIsTested) {
  std::set<std::string> tested;
  for (const auto& c : fixture_cases()) tested.insert(c.name);
  for (const auto& [key, value] : fixtures()) {
    if (key.rfind("reg__", 0) != 0) continue;
    const std::string name = key.substr(5, key.rfind("__") - 5);
    EXPECT_TRUE(tested.count(name)) << "fixture case without a test: " << name;
  }
}

// ---- hand-worked values ------------------------------------------------------------------------------------

TEST(RegularizerHand, KerasDocstringExamples) {
  // L2(2.)(ones((5, 5))) == 50: Keras 3's L2 has no 1/2.
  EXPECT_FLOAT_EQ(R::L2(2.0)(ops::ones({5, 5})).item<float>(), 50.0f);
  // A Dense kernel of ones (5, 5) with L1(0.01): 0.25.
  EXPECT_FLOAT_EQ(R::L1(0.01)(ops::ones({5, 5})).item<float>(), 0.25f);
}

TEST(RegularizerHand, Formulas) {
  const Tensor x({{1.f, -2.f}, {0.f, 3.f}});
  EXPECT_FLOAT_EQ(R::L1()(x).item<float>(), 0.06f);            // 0.01 * 6
  EXPECT_FLOAT_EQ(R::L2()(x).item<float>(), 0.14f);            // 0.01 * 14
  EXPECT_FLOAT_EQ(R::L1L2(0.5, 0.25)(x).item<float>(), 6.5f);  // 0.5 * 6 + 0.25 * 14
  EXPECT_FLOAT_EQ(R::L1L2({.l2 = 1.0})(x).item<float>(), 14.0f);
  EXPECT_EQ(R::L1L2()(x).item<float>(), 0.0f);
  EXPECT_EQ(R::Regularizer()(x).item<float>(), 0.0f);
  EXPECT_EQ(R::Regularizer()(x).shape(), Shape{});
  // float16 / bfloat16 weights: computed in float32, returned in their dtype (as Keras returns).
  for (DType half : {DType::float16, DType::bfloat16}) {
    const Tensor p = R::L1L2(0.5, 0.25)(ops::cast(x, half));
    EXPECT_EQ(p.dtype(), half);
    EXPECT_EQ(ops::cast(p, DType::float32).item<float>(), 6.5f);
  }
  // Orthogonal rows (1, 0) and (1, 1)/sqrt(2): one pair, |cos| = 1/sqrt(2),
  // counted twice in the product matrix: factor * 0.5 * 2 / sqrt(2) / 1.
  const Tensor m({{1.f, 0.f}, {1.f, 1.f}});
  EXPECT_NEAR(R::OrthogonalRegularizer({.factor = 1.0})(m).item<float>(), 1.0 / std::sqrt(2.0), 1e-6);
  // Orthogonal rows give 0.
  EXPECT_NEAR(R::OrthogonalRegularizer()(Tensor({{2.f, 0.f}, {0.f, -3.f}})).item<float>(), 0.0, 1e-9);
  // Columns (1, 1) and (0, 1): also 1/sqrt(2).
  EXPECT_NEAR(R::OrthogonalRegularizer({.factor = 1.0, .mode = "columns"})(m).item<float>(), 1.0 / std::sqrt(2.0),
              1e-6);
}

TEST(RegularizerHand, Gradients) {
  const Tensor x0 = uniform({3, 4}, -1, 1, 21);
  // d/dx l2 * sum(x^2) = 2 l2 x; d/dx l1 * sum(|x|) = l1 sign(x).
  {
    Tensor x = x0;
    GradientTape tape;
    tape.watch(x);
    const Tensor g = tape.gradient(R::L2(0.3)(x), x);
    EXPECT_TRUE(all_close(g, x0 * 0.6, 1e-12, 1e-12));
  }
  {
    Tensor x = x0;
    GradientTape tape;
    tape.watch(x);
    const Tensor g = tape.gradient(R::L1(0.3)(x), x);
    EXPECT_TRUE(all_close(g, ops::sign(x0) * 0.3, 1e-12, 1e-12));
  }
  EXPECT_TRUE(check_gradients([](const inputs& x) { return R::L1L2(0.1, 0.2)(x[0]); }, {x0}));
  EXPECT_TRUE(check_gradients([](const inputs& x) { return R::OrthogonalRegularizer({.factor = 0.5})(x[0]); },
                              {uniform({3, 5}, 0.2, 1.0, 22)}));
}

// ---- lookup, RegularizerArg, custom regularizers ---------------------------------------------------------

TEST(RegularizerGet, NamesAndDefaults) {
  EXPECT_EQ(R::get("l1")->class_name(), "L1");
  EXPECT_EQ(std::dynamic_pointer_cast<R::L1>(R::get("L1"))->options().l1, 0.01);
  EXPECT_EQ(std::dynamic_pointer_cast<R::L2>(R::get("l2"))->options().l2, 0.01);
  // Keras 3's "l1l2" (to_snake_case("L1L2")) has both factors 0.
  auto l1l2 = std::dynamic_pointer_cast<R::L1L2>(R::get("l1l2"));
  ASSERT_TRUE(l1l2);
  EXPECT_EQ(l1l2->options().l1, 0.0);
  EXPECT_EQ(l1l2->options().l2, 0.0);
  EXPECT_EQ(R::get("L1L2")->class_name(), "L1L2");
  EXPECT_EQ(R::get("orthogonal_regularizer")->class_name(), "OrthogonalRegularizer");
  EXPECT_EQ(R::get("regularizer")->class_name(), "Regularizer");
  EXPECT_EQ(R::valid_names(), std::vector<std::string>({"L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer",
                                                        "l1", "l1l2", "l2", "orthogonal_regularizer", "regularizer"}));
  // Keras 3 has no "l1_l2" name.
  expect_error<ValueError>([] { R::get("l1_l2"); },
                           {"Could not interpret regularizer identifier: l1_l2", "Valid names are: L1, L1L2"});
}

struct HalfL2 : R::Regularizer {
  Tensor call(const Tensor& x) const override { return 0.5 * ops::sum(ops::square(x)); }
  std::string class_name() const override { return "HalfL2"; }
};

TEST(RegularizerArg, FromNameObjectFunctionAndPointer) {
  const Tensor x({{1.f, -2.f}, {0.f, 3.f}});
  R::RegularizerArg none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get(), nullptr);
  EXPECT_FALSE(R::RegularizerArg(std::nullopt));

  R::RegularizerArg by_name = "l2";
  ASSERT_TRUE(by_name);
  EXPECT_FLOAT_EQ((*by_name.get())(x).item<float>(), 0.14f);
  EXPECT_EQ(R::RegularizerArg(std::string("l1")).get()->class_name(), "L1");
  expect_error<ValueError>([] { R::RegularizerArg a = "l3"; }, {"l3"});

  R::L1 l1(0.5);
  R::RegularizerArg by_object = l1;
  EXPECT_FLOAT_EQ((*by_object.get())(x).item<float>(), 3.0f);
  EXPECT_EQ(by_object.get(), by_object.get());
  EXPECT_EQ(R::RegularizerArg(HalfL2()).get()->class_name(), "HalfL2");
  EXPECT_FLOAT_EQ((*R::RegularizerArg(HalfL2()).get())(x).item<float>(), 7.0f);

  R::RegularizerArg by_fn = [](const Tensor& w) { return 0.1 * ops::sum(ops::abs(w)); };
  EXPECT_FLOAT_EQ((*by_fn.get())(x).item<float>(), 0.6f);
  EXPECT_EQ(by_fn.get()->class_name(), "function");

  auto shared = std::make_shared<const R::L2>(1.0);
  EXPECT_EQ(R::RegularizerArg(shared).get(), shared);
}

// ---- errors ------------------------------------------------------------------------------------------------

TEST(RegularizerErrors, BadArguments) {
  expect_error<ValueError>([] { R::L2(-1.0); },
                           {"Invalid value for argument l2: expected a non-negative float", "Received: l2=-1.0"});
  expect_error<ValueError>([] { R::L1({.l1 = -0.5}); }, {"argument l1", "l1=-0.5"});
  expect_error<ValueError>([] { R::L1(std::nan("")); }, {"argument l1", "l1=nan"});
  expect_error<ValueError>([] { R::L1L2(0.1, INFINITY); }, {"argument l2", "l2=inf"});
  expect_error<ValueError>([] { R::L1L2({.l1 = -1}); }, {"argument l1"});
  expect_error<ValueError>([] { R::OrthogonalRegularizer({.factor = -1}); }, {"argument factor", "factor=-1.0"});
  expect_error<ValueError>(
      [] { R::OrthogonalRegularizer({.mode = "diagonal"}); },
      {R"(Invalid value for argument `mode`. Expected one of {"rows", "columns"})", "mode=diagonal"});
  expect_error<ValueError>(
      [] {
        R::OrthogonalRegularizer()(ops::ones({2, 3, 4}));
      },
      {"Inputs to OrthogonalRegularizer must have rank 2", "inputs.shape=(2, 3, 4)"});
  expect_error<ValueError>([] { R::L2()(Tensor()); }, {"L2", "undefined"});
}

}  // namespace
}  // namespace keras::testing
