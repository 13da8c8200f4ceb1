// Initializers: Keras' fan computation, the distributions of the random
// initializers against their formulas (keras.cpp's Philox numbers cannot match
// JAX's bit for bit, so these are statistical checks with tolerances several
// standard errors wide), Keras 3's seed semantics, Orthogonal's orthogonality
// and uniqueness, string lookup, InitializerArg and the error messages.
#include "keras/initializers.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/ops.hpp"
#include "keras/random.hpp"

namespace keras::testing {
namespace {

namespace I = keras::initializers;

constexpr double kTruncatedStddev = 0.87962566103423978;

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needles.front();
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

struct Stats {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

Stats stats(const Tensor& t) {
  const std::vector<double> v = ops::cast(t, DType::float64).to_vector<double>();
  Stats s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(ss / static_cast<double>(v.size()));
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         ops::cast(a, DType::float64).to_vector<double>() == ops::cast(b, DType::float64).to_vector<double>();
}

// ---- compute_fans ----------------------------------------------------------------------------------------

TEST(InitializerFans, KerasRules) {
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(I::compute_fans({}), P(1, 1));
  EXPECT_EQ(I::compute_fans({5}), P(5, 5));
  EXPECT_EQ(I::compute_fans({3, 4}), P(3, 4));
  // Conv kernels: the receptive field (3 * 3) multiplies both fans.
  EXPECT_EQ(I::compute_fans({3, 3, 8, 16}), P(72, 144));
  EXPECT_EQ(I::compute_fans({5, 2, 7}), P(10, 35));
  EXPECT_EQ(I::compute_fans({2, 3, 3, 4, 6}), P(72, 108));
  // Explicit axes (both needed; one alone is ignored, as in Keras).
  EXPECT_EQ(I::compute_fans({3, 4, 5}, std::vector<int64_t>{0, 1}, std::vector<int64_t>{-1}), P(12, 5));
  EXPECT_EQ(I::compute_fans({3, 4, 5}, std::vector<int64_t>{0}, std::nullopt), P(12, 15));
  expect_error<IndexError>(
      [] {
        I::compute_fans({3, 4}, std::vector<int64_t>{2}, std::vector<int64_t>{0});
      },
      {"input_axes", "axis 2", "(3, 4)"});
}

// ---- VarianceScaling and its presets ----------------------------------------------------------------------

struct VsCase {
  std::string name;
  std::shared_ptr<I::Initializer> init;
  Shape shape;
  double scale;              // the preset's scale
  int mode;                  // 0 fan_in, 1 fan_out, 2 fan_avg
  std::string distribution;  // "uniform", "truncated_normal", "untruncated_normal"
};

template <class T>
std::shared_ptr<I::Initializer> ptr(T init) {
  return std::make_shared<T>(std::move(init));
}

TEST(InitializerVarianceScaling, DistributionsMatchTheFormulas) {
  const std::vector<VsCase> cases = {
      {"GlorotUniform", ptr(I::GlorotUniform({.seed = 1})), {200, 300}, 1.0, 2, "uniform"},
      {"GlorotNormal", ptr(I::GlorotNormal({.seed = 2})), {3, 3, 64, 96}, 1.0, 2, "truncated_normal"},
      {"HeUniform", ptr(I::HeUniform({.seed = 3})), {3, 3, 8, 1000}, 2.0, 0, "uniform"},
      {"HeNormal", ptr(I::HeNormal({.seed = 4})), {3, 3, 64, 128}, 2.0, 0, "truncated_normal"},
      {"LecunUniform", ptr(I::LecunUniform({.seed = 5})), {400, 200}, 1.0, 0, "uniform"},
      {"LecunNormal", ptr(I::LecunNormal({.seed = 6})), {400, 200}, 1.0, 0, "truncated_normal"},
      {"VarianceScaling",
       ptr(I::VarianceScaling({.scale = 0.5, .mode = "fan_out", .distribution = "untruncated_normal", .seed = 7})),
       {5, 5, 16, 64},
       0.5,
       1,
       "untruncated_normal"},
      {"VarianceScaling", ptr(I::VarianceScaling(3.0, "fan_avg", "uniform", 8)), {100, 50, 20}, 3.0, 2, "uniform"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name + " " + c.shape.str());
    EXPECT_EQ(c.init->class_name(), c.name);
    const Tensor w = (*c.init)(c.shape);
    EXPECT_EQ(w.shape(), c.shape);
    EXPECT_EQ(w.dtype(), DType::float32);
    const auto [fan_in, fan_out] = I::compute_fans(c.shape);
    const double n = c.mode == 0 ? fan_in : c.mode == 1 ? fan_out : (fan_in + fan_out) / 2.0;
    const double target_std = std::sqrt(c.scale / n);
    const Stats s = stats(w);
    const double count = static_cast<double>(w.size());
    // Standard errors are about std / sqrt(count) for the mean and
    // std / sqrt(2 count) for the stddev; allow 6 of them.
    EXPECT_NEAR(s.mean, 0.0, 6 * target_std / std::sqrt(count));
    EXPECT_NEAR(s.stddev, target_std, 6 * target_std / std::sqrt(2 * count) + 1e-3 * target_std);
    if (c.distribution == "uniform") {
      const double limit = std::sqrt(3.0 * c.scale / n);  // = sqrt(6 / (fan_in + fan_out)) for Glorot
      EXPECT_GE(s.min, -limit);
      EXPECT_LT(s.max, limit);
      EXPECT_GT(s.max, 0.99 * limit);
      EXPECT_LT(s.min, -0.99 * limit);
    } else if (c.distribution == "truncated_normal") {
      // Drawn with stddev target / 0.8796 and cut at two of those.
      const double bound = 2.0 * target_std / kTruncatedStddev;
      EXPECT_GE(s.min, -bound);
      EXPECT_LE(s.max, bound);
      EXPECT_GT(s.max, 0.95 * bound);
    } else {
      EXPECT_GT(s.max, 3.5 * target_std);  // not truncated: tails beyond 2 stddev
    }
  }
}

TEST(InitializerVarianceScaling, GlorotUniformLimitFor3x4AndConvKernels) {
  // (3, 4): limit sqrt(6 / 7); (3, 3, 8, 16): fan_in 72, fan_out 144, limit sqrt(6 / 216).
  for (const Shape& shape : {Shape{3, 4}, Shape{3, 3, 8, 16}}) {
    const auto [fan_in, fan_out] = I::compute_fans(shape);
    const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    const Stats s = stats(I::GlorotUniform({.seed = 11})(shape));
    EXPECT_GE(s.min, -limit);
    EXPECT_LT(s.max, limit);
  }
  EXPECT_NEAR(std::sqrt(6.0 / 216.0), 0.16666666666666666, 1e-15);
}

TEST(InitializerVarianceScaling, OptionsAreNormalized) {
  I::VarianceScaling a({.distribution = "Normal"});
  EXPECT_EQ(a.options().distribution, "truncated_normal");
  I::VarianceScaling b({.distribution = "UNIFORM"});
  EXPECT_EQ(b.options().distribution, "uniform");
  I::HeNormal he;
  EXPECT_EQ(he.options().scale, 2.0);
  EXPECT_EQ(he.options().mode, "fan_in");
  EXPECT_EQ(he.options().distribution, "truncated_normal");
  EXPECT_EQ(he.class_name(), "HeNormal");
  EXPECT_EQ(I::VarianceScaling().class_name(), "VarianceScaling");
  // input_axes / output_axes reach compute_fans: for (200, 50, 8) they give
  // fan_in = 200, where the conv-kernel rule would give 200 * 50 = 10000.
  I::VarianceScaling c({.scale = 1.0,
                        .mode = "fan_in",
                        .distribution = "untruncated_normal",
                        .seed = 3,
                        .input_axes = std::vector<int64_t>{0},
                        .output_axes = std::vector<int64_t>{1, 2}});
  const Stats s = stats(c({200, 50, 8}));
  EXPECT_NEAR(s.stddev, std::sqrt(1.0 / 200), 0.03 * std::sqrt(1.0 / 200));
}

TEST(InitializerVarianceScaling, SmallShapesUseAtLeastOneUnit) {
  // A scalar and a zero-size shape: the fans are clamped to at least 1.
  const Tensor s = I::GlorotUniform({.seed = 1})({});
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_LE(std::abs(s.item<float>()), std::sqrt(3.0f));
  EXPECT_EQ(I::HeNormal({.seed = 1})({0, 4}).size(), 0);
}

// ---- the other random initializers -------------------------------------------------------------------------

TEST(InitializerRandom, NormalUniformTruncated) {
  const Shape shape{300, 200};
  const double count = 60000;
  {
    const Stats s = stats(I::RandomNormal({.seed = 1})(shape));
    EXPECT_NEAR(s.mean, 0.0, 6 * 0.05 / std::sqrt(count));
    EXPECT_NEAR(s.stddev, 0.05, 6 * 0.05 / std::sqrt(2 * count));
    EXPECT_GT(s.max, 4 * 0.05);
  }
  {
    const Stats s = stats(I::RandomNormal(3.0, 2.0, 2)(shape));
    EXPECT_NEAR(s.mean, 3.0, 6 * 2.0 / std::sqrt(count));
    EXPECT_NEAR(s.stddev, 2.0, 6 * 2.0 / std::sqrt(2 * count));
  }
  {
    const Stats s = stats(I::RandomUniform({.seed = 3})(shape));
    EXPECT_GE(s.min, -0.05);
    EXPECT_LT(s.max, 0.05);
    EXPECT_NEAR(s.mean, 0.0, 6 * 0.1 / std::sqrt(12 * count));
    EXPECT_NEAR(s.stddev, 0.1 / std::sqrt(12.0), 0.01 * 0.1 / std::sqrt(12.0));
  }
  {
    const Stats s = stats(I::RandomUniform(2.0, 5.0, 4)(shape));
    EXPECT_GE(s.min, 2.0);
    EXPECT_LT(s.max, 5.0);
    EXPECT_NEAR(s.mean, 3.5, 0.02);
  }
  {
    // TruncatedNormal keeps its stddev argument (no correction) and cuts at 2 stddev.
    const Stats s = stats(I::TruncatedNormal(1.0, 0.5, 5)(shape));
    EXPECT_GE(s.min, 0.0);
    EXPECT_LE(s.max, 2.0);
    EXPECT_NEAR(s.mean, 1.0, 6 * 0.5 / std::sqrt(count));
    EXPECT_NEAR(s.stddev, 0.5 * kTruncatedStddev, 6 * 0.5 / std::sqrt(2 * count));
  }
  {
    const Stats s = stats(I::TruncatedNormal({.seed = 6})(shape));
    EXPECT_GE(s.min, -0.1);
    EXPECT_LE(s.max, 0.1);
  }
}

TEST(InitializerRandom, Dtypes) {
  for (DType d : {DType::float32, DType::float64, DType::float16, DType::bfloat16}) {
    SCOPED_TRACE(std::string(dtype_name(d)));
    EXPECT_EQ(I::GlorotUniform({.seed = 1})({4, 5}, d).dtype(), d);
    EXPECT_EQ(I::RandomNormal({.seed = 1})({4, 5}, d).dtype(), d);
    EXPECT_EQ(I::Orthogonal({.seed = 1})({4, 5}, d).dtype(), d);
  }
  expect_error<TypeError>([] { I::GlorotUniform({.seed = 1})({2, 2}, DType::int32); }, {"int32"});
  expect_error<TypeError>([] { I::Orthogonal({.seed = 1})({2, 2}, DType::int64); }, {"Orthogonal", "int64"});
}

// ---- seeds: Keras 3's semantics ---------------------------------------------------------------------------

TEST(InitializerSeeds, IntegerSeedRepeatsAcrossCallsAndInstances) {
  I::HeNormal a({.seed = 42});
  const Tensor first = a({8, 8});
  EXPECT_TRUE(same_values(first, a({8, 8})));                          // same values on every call
  EXPECT_TRUE(same_values(first, I::HeNormal({.seed = 42})({8, 8})));  // and for every instance
  EXPECT_FALSE(same_values(first, I::HeNormal({.seed = 43})({8, 8})));
  // The values are those of keras::random with the same integer seed.
  const double stddev = std::sqrt(2.0 / 8) / kTruncatedStddev;
  EXPECT_TRUE(same_values(first, random::truncated_normal({8, 8}, {.stddev = stddev, .seed = 42})));
  EXPECT_TRUE(same_values(I::RandomUniform({.seed = -3})({5}),
                          random::uniform({5}, {.minval = -0.05, .maxval = 0.05, .seed = -3})));
  // std::optional<int> converts too.
  std::optional<int> opt = 42;
  EXPECT_TRUE(same_values(first, I::HeNormal({.seed = opt})({8, 8})));
}

TEST(InitializerSeeds, SeedGeneratorAdvancesOnEachCall) {
  random::SeedGenerator gen(7);
  I::RandomNormal a({.seed = gen});
  const Tensor x1 = a({6});
  const Tensor x2 = a({6});
  EXPECT_FALSE(same_values(x1, x2));
  EXPECT_EQ(gen.state(), 2u);  // the initializer shares the caller's generator
  random::SeedGenerator gen2(7);
  I::RandomNormal b({.seed = gen2});
  EXPECT_TRUE(same_values(x1, b({6})));
  EXPECT_TRUE(same_values(x2, b({6})));
}

TEST(InitializerSeeds, UnseededRepeatsAndFollowsSetRandomSeed) {
  utils::set_random_seed(1234);
  I::GlorotUniform a;
  I::GlorotUniform b;  // a second draw from the global generator: another seed
  const Tensor va = a({10, 10});
  EXPECT_TRUE(same_values(va, a({10, 10})));  // Keras: unseeded initializers repeat their values
  EXPECT_FALSE(same_values(va, b({10, 10})));
  EXPECT_FALSE(I::GlorotUniform().seed().has_value());

  utils::set_random_seed(1234);
  I::GlorotUniform c;
  EXPECT_TRUE(same_values(va, c({10, 10})));  // reproducible from the global seed
  // Copies keep the seed (as copy.copy of a Keras initializer).
  const I::GlorotUniform d = c;
  EXPECT_TRUE(same_values(va, d({10, 10})));
}

// ---- constant initializers ---------------------------------------------------------------------------------

TEST(InitializerConstant, Values) {
  EXPECT_TRUE(all_close(I::Zeros()({2, 3}), ops::zeros({2, 3}), 0, 0));
  EXPECT_TRUE(all_close(I::Ones()({2, 3}, DType::float64), ops::ones({2, 3}, DType::float64), 0, 0));
  EXPECT_EQ(I::Zeros()({2}, DType::int32).dtype(), DType::int32);
  EXPECT_EQ(I::Ones()({2}, DType::bool_).to_vector<bool>(), std::vector<bool>({true, true}));
  EXPECT_TRUE(all_close(I::Constant(2.5)({2, 2}), ops::full({2, 2}, 2.5), 0, 0));
  EXPECT_EQ(I::Constant({.value = 3})({3}, DType::int64).to_vector<int64_t>(), std::vector<int64_t>({3, 3, 3}));
  EXPECT_EQ(I::Constant()({1}).item<float>(), 0.0f);
  EXPECT_TRUE(all_close(I::Identity()({2, 3}), Tensor({{1.f, 0.f, 0.f}, {0.f, 1.f, 0.f}}), 0, 0));
  EXPECT_TRUE(all_close(I::Identity(2)({3, 2}), Tensor({{2.f, 0.f}, {0.f, 2.f}, {0.f, 0.f}}), 0, 0));
  EXPECT_TRUE(all_close(I::Identity({.gain = 0.5})({2, 2}, DType::float64),
                        ops::cast(Tensor({{0.5f, 0.f}, {0.f, 0.5f}}), DType::float64), 0, 0));
  const Tensor bf = I::Identity(3)({2, 2}, DType::bfloat16);  // scaled in float32, stored as bfloat16
  EXPECT_EQ(bf.dtype(), DType::bfloat16);
  EXPECT_EQ(ops::cast(bf, DType::float32).to_vector<float>(), std::vector<float>({3.f, 0.f, 0.f, 3.f}));
  expect_error<ValueError>(
      [] {
        I::Identity()({2, 2, 2});
      },
      {"Identity matrix initializer can only be used for 2D matrices", "shape=(2, 2, 2)", "rank 3"});
}

// ---- Orthogonal --------------------------------------------------------------------------------------------

// Max |a - b| over two float64 matrices.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = ops::cast(a, DType::float64).to_vector<double>();
  const auto y = ops::cast(b, DType::float64).to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

TEST(InitializerOrthogonal, TallWideSquareAndConv) {
  struct Case {
    Shape shape;
    DType dtype;
    double gain, tol;
  };
  for (const Case& c : std::vector<Case>{{{64, 32}, DType::float32, 1.0, 1e-5},
                                         {{32, 64}, DType::float32, 1.0, 1e-5},
                                         {{50, 50}, DType::float64, 1.0, 1e-12},
                                         {{120, 7}, DType::float64, 2.0, 1e-12},
                                         {{3, 3, 4, 16}, DType::float32, 1.0, 1e-5},
                                         {{2, 3, 40}, DType::float32, 0.5, 1e-5}}) {
    SCOPED_TRACE(c.shape.str());
    const Tensor w = I::Orthogonal(c.gain, 3)(c.shape, c.dtype);
    ASSERT_EQ(w.shape(), c.shape);
    int64_t rows = 1;
    for (int i = 0; i < c.shape.rank() - 1; ++i) rows *= c.shape[i];
    const int64_t cols = c.shape.back();
    const Tensor m = ops::reshape(ops::cast(w, DType::float64), {rows, cols});
    // Orthonormal columns when tall (Q^T Q = gain^2 I), rows when wide.
    const Tensor gram = rows >= cols ? ops::matmul(ops::transpose(m), m) : ops::matmul(m, ops::transpose(m));
    const int64_t k = std::min(rows, cols);
    EXPECT_LT(max_abs_diff(gram, ops::eye(k, std::nullopt, 0, DType::float64) * (c.gain * c.gain)), c.tol);
  }
}

TEST(InitializerOrthogonal, IsTheSignCorrectedQOfTheSeededNormalMatrix) {
  // Keras: Q of qr(A) times sign(diag(R)), A = normal((max, min)). Q with
  // orthonormal columns and Q^T A upper triangular with a positive diagonal
  // is exactly that factor (the QR decomposition with positive R is unique).
  for (const Shape& shape : {Shape{9, 4}, Shape{4, 9}}) {
    SCOPED_TRACE(shape.str());
    const int64_t m = std::max(shape[0], shape[1]), n = std::min(shape[0], shape[1]);
    const Tensor a = random::normal({m, n}, {.dtype = DType::float64, .seed = 17});
    Tensor q = I::Orthogonal({.seed = 17})(shape, DType::float64);
    if (shape[0] < shape[1]) q = ops::transpose(q);
    const std::vector<double> r = ops::matmul(ops::transpose(q), a).to_vector<double>();  // n x n
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_GT(r[static_cast<size_t>(i * n + i)], 0.0);
      for (int64_t j = 0; j < i; ++j) EXPECT_NEAR(r[static_cast<size_t>(i * n + j)], 0.0, 1e-12);
    }
    // And A = Q R.
    EXPECT_LT(max_abs_diff(ops::matmul(q, Tensor(r, Shape{n, n})), a), 1e-12);
  }
}

TEST(InitializerOrthogonal, SeedsAndErrors) {
  EXPECT_TRUE(same_values(I::Orthogonal({.seed = 5})({6, 6}), I::Orthogonal({.seed = 5})({6, 6})));
  EXPECT_FALSE(same_values(I::Orthogonal({.seed = 5})({6, 6}), I::Orthogonal({.seed = 6})({6, 6})));
  EXPECT_EQ(I::Orthogonal({.seed = 1})({0, 3}).shape(), Shape({0, 3}));
  expect_error<ValueError>([] { I::Orthogonal()({5}); },
                           {"The tensor to initialize must be at least two-dimensional", "shape=(5,)", "rank 1"});
}

// ---- the base class, lookup and InitializerArg ------------------------------------------------------------

struct Halves : I::Initializer {
  Tensor call(const Shape& shape, DType dtype) const override { return ops::full(shape, 0.5, dtype); }
  std::string class_name() const override { return "Halves"; }
};

struct WrongShape : I::Initializer {
  Tensor call(const Shape&, DType dtype) const override { return ops::zeros({2}, dtype); }
  std::string class_name() const override { return "WrongShape"; }
};

TEST(InitializerBase, ChecksShapesAndCastsDtypes) {
  EXPECT_EQ(Halves()({2, 2}).to_vector<float>(), std::vector<float>(4, 0.5f));
  expect_error<ValueError>([] { I::Zeros()({-1, 3}); }, {"Zeros", "fully defined", "(None, 3)"});
  expect_error<ValueError>([] { WrongShape()({3}); }, {"WrongShape", "shape (2,)", "(3,)"});
  // A function returning float64 for a float32 request is cast.
  I::InitializerArg arg = [](const Shape& s, DType) { return ops::ones(s, DType::float64); };
  EXPECT_EQ((*arg.get())({2}).dtype(), DType::float32);
}

TEST(InitializerGet, NamesAndAliases) {
  const std::vector<std::pair<std::string, std::string>> expected = {{"glorot_uniform", "GlorotUniform"},
                                                                     {"GlorotUniform", "GlorotUniform"},
                                                                     {"glorot_normal", "GlorotNormal"},
                                                                     {"he_normal", "HeNormal"},
                                                                     {"he_uniform", "HeUniform"},
                                                                     {"lecun_normal", "LecunNormal"},
                                                                     {"lecun_uniform", "LecunUniform"},
                                                                     {"zeros", "Zeros"},
                                                                     {"zero", "Zeros"},
                                                                     {"ones", "Ones"},
                                                                     {"one", "Ones"},
                                                                     {"constant", "Constant"},
                                                                     {"identity", "Identity"},
                                                                     {"IdentityInitializer", "Identity"},
                                                                     {"orthogonal", "Orthogonal"},
                                                                     {"OrthogonalInitializer", "Orthogonal"},
                                                                     {"random_normal", "RandomNormal"},
                                                                     {"normal", "RandomNormal"},
                                                                     {"random_uniform", "RandomUniform"},
                                                                     {"uniform", "RandomUniform"},
                                                                     {"truncated_normal", "TruncatedNormal"},
                                                                     {"variance_scaling", "VarianceScaling"}};
  for (const auto& [name, cls] : expected) EXPECT_EQ(I::get(name)->class_name(), cls) << name;
  EXPECT_EQ(I::valid_names().size(), 36u);
  EXPECT_TRUE(std::is_sorted(I::valid_names().begin(), I::valid_names().end()));
  // Defaults, as keras.initializers.get gives them.
  auto ru = std::dynamic_pointer_cast<I::RandomUniform>(I::get("uniform"));
  ASSERT_TRUE(ru);
  EXPECT_EQ(ru->options().minval, -0.05);
  EXPECT_EQ(ru->options().maxval, 0.05);
  EXPECT_EQ(std::dynamic_pointer_cast<I::RandomNormal>(I::get("normal"))->options().stddev, 0.05);
}

TEST(InitializerGet, UnknownNameListsValidOnes) {
  expect_error<ValueError>([] { I::get("glorot"); },
                           {"Could not interpret initializer identifier: glorot", "glorot_uniform", "he_normal"});
  expect_error<ValueError>([] { I::InitializerArg a = "Glorot_Uniform"; }, {"Glorot_Uniform", "Valid names"});
}

TEST(InitializerArg, FromNameObjectFunctionTensorAndPointer) {
  I::InitializerArg none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get(), nullptr);
  EXPECT_FALSE(I::InitializerArg(std::nullopt));

  // A name: a new initializer (with its own seed) from each get(), as two
  // Keras layers given the same string get two initializers.
  I::InitializerArg by_name = "glorot_uniform";
  EXPECT_TRUE(by_name);
  EXPECT_EQ(by_name.identifier(), "glorot_uniform");
  auto g1 = by_name.get(), g2 = by_name.get();
  EXPECT_EQ(g1->class_name(), "GlorotUniform");
  EXPECT_NE(g1, g2);
  EXPECT_FALSE(same_values((*g1)({4, 4}), (*g2)({4, 4})));
  EXPECT_EQ(I::InitializerArg(std::string("zeros")).get()->class_name(), "Zeros");

  // An object: copied once, shared by every get().
  I::RandomUniform ru(-1.0, 1.0, 3);
  I::InitializerArg by_object = ru;
  EXPECT_EQ(by_object.get(), by_object.get());
  EXPECT_TRUE(same_values((*by_object.get())({5}), ru({5})));
  I::InitializerArg by_temp = I::Constant(4.0);
  EXPECT_EQ((*by_temp.get())({2}).to_vector<float>(), std::vector<float>({4.f, 4.f}));

  // A function of (shape, dtype).
  I::InitializerArg by_fn = [](const Shape& s, DType d) { return ops::full(s, 7.0, d); };
  EXPECT_EQ((*by_fn.get())({2}, DType::float64).to_vector<double>(), std::vector<double>({7.0, 7.0}));
  EXPECT_EQ(by_fn.get()->class_name(), "function");
  I::InitializerFn fn = [](const Shape& s, DType d) { return ops::ones(s, d); };
  EXPECT_EQ((*I::InitializerArg(fn).get())({1}).item<float>(), 1.0f);

  // A tensor of the values.
  I::InitializerArg by_tensor = Tensor({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_EQ((*by_tensor.get())({2, 2}, DType::float64).to_vector<double>(), std::vector<double>({1, 2, 3, 4}));
  expect_error<ValueError>(
      [&] {
        (*by_tensor.get())({3, 3});
      },
      {"Expected `shape` to be (2, 2) for direct tensor as initializer", "shape=(3, 3)"});

  // A shared pointer, and a user subclass.
  auto shared = std::make_shared<const Halves>();
  EXPECT_EQ(I::InitializerArg(shared).get(), shared);
  EXPECT_EQ(I::InitializerArg(Halves()).get()->class_name(), "Halves");
}

TEST(InitializerErrors, BadArguments) {
  expect_error<ValueError>([] { I::VarianceScaling({.scale = 0.0}); },
                           {"Argument `scale` must be positive float. Received: scale=0.0"});
  expect_error<ValueError>([] { I::VarianceScaling({.scale = -2.0}); }, {"scale=-2.0"});
  expect_error<ValueError>([] { I::VarianceScaling({.mode = "fan"}); },
                           {"Invalid `mode` argument: fan", "'fan_in', 'fan_out', 'fan_avg'"});
  expect_error<ValueError>([] { I::VarianceScaling({.distribution = "Gaussian"}); },
                           {"Invalid `distribution` argument: gaussian", "'uniform', 'truncated_normal'"});
  expect_error<ValueError>([] { I::RandomNormal(0.0, -1.0, 1)({2}); }, {"stddev"});
}

}  // namespace
}  // namespace keras::testing
