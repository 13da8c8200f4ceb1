// Activations (keras.ops.nn relu ... silu): values against the formulas of
// jax.nn (tests/fixtures/elementwise.npz, nn_* keys, made by
// gen_elementwise_fixtures.py), hand-worked values, overflow at +-30 and
// beyond, dtypes, and gradient cases (first and second order).
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("elementwise.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("elementwise.npz has no array " + key);
  return it->second;
}

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

using Act = std::function<Tensor(const Tensor&)>;

const std::vector<std::pair<std::string, Act>>& activations() {
  static const std::vector<std::pair<std::string, Act>> table = {
      {"relu", [](const Tensor& x) { return ops::relu(x); }},
      {"relu6", [](const Tensor& x) { return ops::relu6(x); }},
      {"leaky_relu", [](const Tensor& x) { return ops::leaky_relu(x); }},
      {"leaky_relu_0.1", [](const Tensor& x) { return ops::leaky_relu(x, 0.1); }},
      {"elu", [](const Tensor& x) { return ops::elu(x); }},
      {"elu_0.5", [](const Tensor& x) { return ops::elu(x, 0.5); }},
      {"selu", [](const Tensor& x) { return ops::selu(x); }},
      {"gelu", [](const Tensor& x) { return ops::gelu(x); }},
      {"gelu_erf", [](const Tensor& x) { return ops::gelu(x, false); }},
      {"sigmoid", [](const Tensor& x) { return ops::sigmoid(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return ops::hard_sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return ops::tanh(x); }},
      {"softplus", [](const Tensor& x) { return ops::softplus(x); }},
      {"softsign", [](const Tensor& x) { return ops::softsign(x); }},
      {"silu", [](const Tensor& x) { return ops::silu(x); }},
  };
  return table;
}

TEST(Activations, MatchTheFormulas) {
  const Tensor x = fx("act");
  ASSERT_EQ(x.dtype(), DType::float32);
  for (const auto& [name, fn] : activations()) {
    SCOPED_TRACE(name);
    Tensor y = fn(x);
    EXPECT_EQ(y.dtype(), DType::float32);
    EXPECT_EQ(y.shape(), x.shape());
    EXPECT_TRUE(all_close(f64(y), fx("nn_" + name), 3e-6, 1e-7));
    // float64 in, float64 out, to double precision.
    Tensor y64 = fn(f64(x));
    EXPECT_EQ(y64.dtype(), DType::float64);
    EXPECT_TRUE(all_close(y64, fx("nn_" + name), 1e-12, 1e-15));
  }
}

TEST(Activations, HandWorkedValues) {
  // relu(-1, 0, 2) = (0, 0, 2); relu6(7) = 6; leaky_relu(-1) = -0.2.
  EXPECT_EQ(ops::relu(Tensor({-1.f, 0.f, 2.f})).to_vector<float>(), (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(ops::relu6(Tensor({7.f, 3.f})).to_vector<float>(), (std::vector<float>{6, 3}));
  EXPECT_FLOAT_EQ(ops::leaky_relu(Tensor({-1.f})).item<float>(), -0.2f);
  // sigmoid(0) = 0.5, tanh(0) = 0, softplus(0) = log 2, softsign(1) = 0.5, silu(0) = 0.
  EXPECT_EQ(ops::sigmoid(Tensor({0.f})).item<float>(), 0.5f);
  EXPECT_EQ(ops::tanh(Tensor({0.f})).item<float>(), 0.f);
  EXPECT_FLOAT_EQ(ops::softplus(Tensor({0.f})).item<float>(), 0.6931472f);
  EXPECT_EQ(ops::softsign(Tensor({1.f})).item<float>(), 0.5f);
  EXPECT_EQ(ops::silu(Tensor({0.f})).item<float>(), 0.f);
  // hard_sigmoid: relu6(x + 3) / 6 -> (0, 0.5, 1) at (-3, 0, 3).
  EXPECT_EQ(ops::hard_sigmoid(Tensor({-3.f, 0.f, 3.f})).to_vector<float>(), (std::vector<float>{0, 0.5f, 1}));
  // gelu(1): tanh form 0.5 (1 + tanh(0.7978846 * 1.044715)) = 0.8411920; erf form 0.8413447.
  EXPECT_NEAR(ops::gelu(Tensor({1.f})).item<float>(), 0.841192f, 1e-6);
  EXPECT_NEAR(ops::gelu(Tensor({1.f}), false).item<float>(), 0.8413447f, 1e-6);
  // elu(-1) = e^-1 - 1 = -0.6321206; selu(1) = 1.0507010.
  EXPECT_FLOAT_EQ(ops::elu(Tensor({-1.f})).item<float>(), -0.63212056f);
  EXPECT_FLOAT_EQ(ops::selu(Tensor({1.f})).item<float>(), 1.0507010f);
}

TEST(Activations, StayFiniteForLargeInputs) {
  Tensor x({-1000.f, -100.f, 100.f, 1000.f});
  for (const auto& [name, fn] : activations()) {
    SCOPED_TRACE(name);
    for (float v : fn(x).to_vector<float>()) EXPECT_TRUE(std::isfinite(v)) << v;
  }
  // softplus(-100) = sigmoid(-100) = e^-100 = 3.8e-44 (below float32's
  // normal range: libm may round it to a subnormal or to 0); at -1000 they
  // underflow to 0.
  for (auto* fn : {&ops::softplus, &ops::sigmoid}) {
    auto v = (*fn)(x).to_vector<float>();
    EXPECT_EQ(v[0], 0.f);
    EXPECT_NEAR(v[1], 0.0, 1e-43);
  }
  auto sp = ops::softplus(x).to_vector<float>();
  EXPECT_EQ(sp[2], 100.f);
  EXPECT_EQ(sp[3], 1000.f);
  auto sg = ops::sigmoid(x).to_vector<float>();
  EXPECT_EQ(sg[2], 1.f);
  EXPECT_EQ(sg[3], 1.f);
  // Gradients stay finite too (elu's unused branch must not overflow).
  Tensor xd = ops::cast(x, DType::float64);
  for (const auto& [name, fn] : activations()) {
    SCOPED_TRACE(name);
    GradientTape tape;
    tape.watch(xd);
    Tensor g = tape.gradient(ops::sum(fn(xd)), xd);
    for (double v : g.to_vector<double>()) EXPECT_TRUE(std::isfinite(v)) << v;
  }
}

TEST(Activations, Dtypes) {
  Tensor i = Tensor(std::vector<int32_t>{-2, 0, 3});
  EXPECT_EQ(ops::relu(i).dtype(), DType::int32);  // jax.nn.relu keeps integers
  EXPECT_EQ(ops::relu(i).to_vector<int32_t>(), (std::vector<int32_t>{0, 0, 3}));
  for (const auto& [name, fn] : activations()) {
    if (name == "relu") continue;
    SCOPED_TRACE(name);
    EXPECT_EQ(fn(i).dtype(), DType::float32);
  }
  EXPECT_THROW(ops::sigmoid(ops::ones({2}, DType::float16)), TypeError);
}

TEST(Activations, ReluGradientIsZeroAtZero) {
  Tensor x = Tensor(std::vector<double>{-1, 0, 1});
  GradientTape tape;
  tape.watch(x);
  Tensor g = tape.gradient(ops::sum(ops::relu(x)), x);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{0, 0, 1}));
}

// ---- gradient cases ---------------------------------------------------------------------------------------
inputs one(Tensor a) { return inputs{std::move(a)}; }
inputs two(Tensor a, Tensor b) { return inputs{std::move(a), std::move(b)}; }

// Values with |x| in [0.1, 2.5], alternating signs: away from the kinks at 0.
Tensor away_from_zero(const Shape& shape, uint64_t seed = 1) {
  auto v = uniform(shape, 0.1, 2.5, seed).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i)
    if (i % 2) v[i] = -v[i];
  return Tensor(v, shape);
}

// The first-order gradient of sum(act(x) * w) with respect to x, through an
// inner tape: the fused backward ops (relu_grad, ...) then run, and the
// outer checker differentiates them in both inputs (x and w).
template <Tensor (*Act)(const Tensor&)>
Tensor inner_grad(const inputs& in) {
  GradientTape tape;
  tape.watch(in[0]);
  Tensor y = ops::sum(ops::multiply(Act(in[0]), in[1]));
  return tape.gradient(y, in[0]);
}
Tensor relu1(const Tensor& x) { return ops::relu(x); }
Tensor sigmoid1(const Tensor& x) { return ops::sigmoid(x); }
Tensor tanh1(const Tensor& x) { return ops::tanh(x); }

const GradCheckOptions kDefault{};

KERAS_GRAD_CASE(relu_away_from_zero, "relu", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::relu(x[0]); }));
KERAS_GRAD_CASE(relu_noncontiguous, "relu", ([] {
                  return one(noncontiguous({3, 4}));
                }),
                ([](const inputs& x) { return ops::relu(x[0]); }));
KERAS_GRAD_CASE(relu_grad_inputs, "relu_grad", ([] {
                  return two(away_from_zero({3, 4}), uniform({3, 4}, -1, 1, 2));
                }),
                inner_grad<relu1>);
KERAS_GRAD_CASE(sigmoid_basic, "sigmoid", ([] {
                  return one(uniform({3, 4}, -3, 3));
                }),
                ([](const inputs& x) { return ops::sigmoid(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(sigmoid_grad_inputs, "sigmoid_grad", ([] {
                  return two(uniform({3, 4}, -3, 3), uniform({3, 4}, -1, 1, 2));
                }),
                inner_grad<sigmoid1>, kDefault, true);
KERAS_GRAD_CASE(tanh_basic, "tanh", ([] {
                  return one(uniform({3, 4}, -2, 2));
                }),
                ([](const inputs& x) { return ops::tanh(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(tanh_grad_inputs, "tanh_grad", ([] {
                  return two(uniform({3, 4}, -2, 2), uniform({3, 4}, -1, 1, 2));
                }),
                inner_grad<tanh1>, kDefault, true);
KERAS_GRAD_CASE(gelu_tanh_form, "gelu", ([] {
                  return one(uniform({3, 4}, -3, 3));
                }),
                ([](const inputs& x) { return ops::gelu(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(gelu_erf_form, "gelu_erf", ([] {
                  return one(uniform({3, 4}, -3, 3));
                }),
                ([](const inputs& x) { return ops::gelu(x[0], false); }), kDefault, true);
// Composites (no OpDef of their own): they differentiate through their ops.
KERAS_GRAD_CASE(relu6_composite, "clip", ([] {
                  return one(uniform({3, 4}, -2, 8));
                }),
                ([](const inputs& x) { return ops::relu6(x[0]); }));
KERAS_GRAD_CASE(leaky_relu_composite, "where", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::leaky_relu(x[0], 0.3); }));
KERAS_GRAD_CASE(elu_composite, "where", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::elu(x[0], 0.7); }));
KERAS_GRAD_CASE(selu_composite, "where", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::selu(x[0]); }));
KERAS_GRAD_CASE(hard_sigmoid_composite, "clip", ([] {
                  return one(uniform({3, 4}, -5, 5));
                }),
                ([](const inputs& x) { return ops::hard_sigmoid(x[0]); }));
KERAS_GRAD_CASE(softplus_composite, "log1p", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::softplus(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(softsign_composite, "divide", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::softsign(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(silu_composite, "multiply", ([] {
                  return one(uniform({3, 4}, -3, 3));
                }),
                ([](const inputs& x) { return ops::silu(x[0]); }), kDefault, true);

}  // namespace
}  // namespace keras::testing
