// Convolution and pooling (conv, depthwise_conv, separable_conv,
// conv_transpose, max_pool, average_pool): Keras 3 / JAX fixtures
// (tests/fixtures/conv.npz, made by gen_conv_fixtures.py) on every kernel
// path (oneDNN float32, the float64 loops, float32 loops in deterministic
// mode), symbolic shapes, finite-difference gradients of inputs and kernels
// (float64) for strides / padding / dilation / groups / both data formats,
// oneDNN's float32 gradients against the float64 loops, max-pool ties,
// dtypes, the primitive cache, and every bad-input error.
#include "backend/cpu/conv.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "keras/graph.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

using ops::IntTuple;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("conv.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("conv.npz has no array " + key);
  return it->second;
}

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

// ---- Keras fixtures ----------------------------------------------------------------------------

using Call = std::function<Tensor(const Tensor& x, const Tensor& k, const Tensor& p)>;
struct FixtureCase {
  std::string name;
  Call fn;
};

// The calls of gen_conv_fixtures.py's CASES, in its order.
const std::vector<FixtureCase>& fixture_cases() {
  using T = const Tensor&;
  static const std::vector<FixtureCase> cases = {
      {"conv1d_valid", [](T x, T k, T) { return ops::conv(x, k); }},
      {"conv1d_same_s2_d2", [](T x, T k, T) { return ops::conv(x, k, 2, "same", "channels_last", 2); }},
      {"conv2d_valid", [](T x, T k, T) { return ops::conv(x, k); }},
      {"conv2d_same_s21",
       [](T x, T k, T) {
         return ops::conv(x, k, {2, 1}, "same");
       }},
      {"conv2d_dilated", [](T x, T k, T) { return ops::conv(x, k, 1, "valid", "channels_last", 2); }},
      {"conv2d_groups", [](T x, T k, T) { return ops::conv(x, k, 1, "same"); }},
      {"conv2d_cf", [](T x, T k, T) { return ops::conv(x, k, 2, "same", "channels_first"); }},
      {"conv2d_wide", [](T x, T k, T) { return ops::conv(x, k, 1, "SAME"); }},
      {"conv3d_same",
       [](T x, T k, T) {
         return ops::conv(x, k, {1, 2, 1}, "same");
       }},
      {"depthwise2d_same_s2", [](T x, T k, T) { return ops::depthwise_conv(x, k, 2, "same"); }},
      {"depthwise1d_dilated", [](T x, T k, T) { return ops::depthwise_conv(x, k, 1, "valid", "channels_last", 2); }},
      {"separable2d_same", [](T x, T k, T p) { return ops::separable_conv(x, k, p, 1, "same"); }},
      {"convT1d_valid_s2", [](T x, T k, T) { return ops::conv_transpose(x, k, 2); }},
      {"convT1d_valid_s3_k2", [](T x, T k, T) { return ops::conv_transpose(x, k, 3); }},
      {"convT2d_same_s2", [](T x, T k, T) { return ops::conv_transpose(x, k, 2, "same"); }},
      {"convT2d_valid_op1", [](T x, T k, T) { return ops::conv_transpose(x, k, 3, "valid", 1); }},
      {"convT2d_same_op1_k4", [](T x, T k, T) { return ops::conv_transpose(x, k, 2, "same", 1); }},
      {"convT2d_same_dilated",
       [](T x, T k, T) { return ops::conv_transpose(x, k, 1, "same", std::nullopt, "channels_last", 2); }},
      {"convT2d_cf", [](T x, T k, T) { return ops::conv_transpose(x, k, 2, "same", std::nullopt, "channels_first"); }},
      {"convT3d_valid",
       [](T x, T k, T) {
         return ops::conv_transpose(x, k, {2, 1, 2});
       }},
      {"max1d_valid_s2", [](T x, T, T) { return ops::max_pool(x, 3, 2); }},
      {"max2d_same_s2", [](T x, T, T) { return ops::max_pool(x, 3, 2, "same"); }},
      {"max2d_default_strides",
       [](T x, T, T) {
         return ops::max_pool(x, {2, 2});
       }},
      {"max2d_cf_same",
       [](T x, T, T) {
         return ops::max_pool(x, {2, 3}, 1, "same", "channels_first");
       }},
      {"max3d_valid",
       [](T x, T, T) {
         return ops::max_pool(x, 2, IntTuple{2, 1, 2});
       }},
      {"avg1d_same_s1", [](T x, T, T) { return ops::average_pool(x, 3, 1, "same"); }},
      {"avg2d_same_s2", [](T x, T, T) { return ops::average_pool(x, 3, 2, "same"); }},
      {"avg2d_valid",
       [](T x, T, T) {
         return ops::average_pool(x, {2, 3}, IntTuple{2, 1});
       }},
      {"avg2d_cf_same", [](T x, T, T) { return ops::average_pool(x, 3, 2, "same", "channels_first"); }},
  };
  return cases;
}

Tensor maybe(const std::string& key) { return fixtures().count(key) ? fx(key) : Tensor(); }

// Runs every fixture case with operands cast to `dtype`.
void expect_fixtures(DType dtype, double rtol, double atol) {
  for (const auto& c : fixture_cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = ops::cast(fx(c.name + "_x"), dtype);
    Tensor k = maybe(c.name + "_k"), p = maybe(c.name + "_p");
    if (k.defined()) k = ops::cast(k, dtype);
    if (p.defined()) p = ops::cast(p, dtype);
    Tensor y = c.fn(x, k, p);
    EXPECT_EQ(y.dtype(), dtype);
    EXPECT_TRUE(all_close(f64(y), f64(fx(c.name)), rtol, atol));
  }
}

TEST(ConvFixtures, Float32OneDnnMatchesKeras) {
  // Every array of the file is used: x and y per case, 20 kernels, 1 pointwise kernel.
  EXPECT_EQ(fixture_cases().size() * 2 + 21, fixtures().size());
  expect_fixtures(DType::float32, 1e-4, 1e-5);
}

TEST(ConvFixtures, Float64LoopsMatchKeras) { expect_fixtures(DType::float64, 1e-5, 1e-5); }

TEST(ConvFixtures, DeterministicFloat32LoopsMatchKeras) {
  config::set_deterministic(true);
  expect_fixtures(DType::float32, 1e-4, 1e-5);
  config::set_deterministic(false);
}

TEST(ConvFixtures, NonContiguousOperands) {
  // A transposed view as the inputs: the dispatcher copies it for the kernel.
  Tensor x = fx("conv2d_valid_x");
  Tensor channels_first = ops::transpose(x, std::vector<int64_t>{0, 3, 1, 2}).contiguous();
  Tensor view = ops::transpose(channels_first, std::vector<int64_t>{0, 2, 3, 1});
  ASSERT_FALSE(view.is_contiguous());
  EXPECT_TRUE(all_close(f64(ops::conv(view, fx("conv2d_valid_k"))), f64(fx("conv2d_valid")), 1e-4, 1e-5));
  EXPECT_TRUE(all_close(f64(ops::max_pool(view, 2, 1)), f64(ops::max_pool(x, 2, 1)), 0, 0));
}

TEST(ConvFixtures, SymbolicShapesAndEvaluation) {
  for (const auto& c : fixture_cases()) {
    SCOPED_TRACE(c.name);
    const Tensor x = fx(c.name + "_x"), want = fx(c.name);
    Tensor k = maybe(c.name + "_k"), p = maybe(c.name + "_p");
    // Unknown batch: every other dim is inferred.
    Shape unknown = x.shape();
    unknown[0] = -1;
    Tensor ph = graph::placeholder(unknown);
    Tensor y = c.fn(ph, k, p);
    ASSERT_TRUE(y.is_symbolic());
    Shape expect = want.shape();
    expect[0] = -1;
    EXPECT_EQ(y.shape(), expect);
    auto out = graph::evaluate({y}, {{ph, x}});
    EXPECT_TRUE(all_close(f64(out[0]), f64(want), 1e-4, 1e-5));
  }
  // Unknown spatial dims give unknown output dims.
  Tensor ph = graph::placeholder({-1, -1, 8, 3});
  EXPECT_EQ(ops::conv(ph, ops::zeros({3, 3, 3, 4}), 2, "same").shape(), (Shape{-1, -1, 4, 4}));
  EXPECT_EQ(ops::max_pool(ph, 2).shape(), (Shape{-1, -1, 4, 3}));
  EXPECT_EQ(ops::conv_transpose(ph, ops::zeros({3, 3, 5, 3}), 2).shape(), (Shape{-1, -1, 17, 5}));
}

// ---- hand-worked values ------------------------------------------------------------------------

TEST(ConvValues, Conv1dByHand) {
  // x = 1..5, kernel [1, 0, -1] (a cross-correlation, as in Keras):
  // y[i] = x[i] - x[i + 2] = -2 for "valid".
  Tensor x(std::vector<float>{1, 2, 3, 4, 5}, Shape{1, 5, 1});
  Tensor k(std::vector<float>{1, 0, -1}, Shape{3, 1, 1});
  EXPECT_EQ(ops::conv(x, k).to_vector<float>(), (std::vector<float>{-2, -2, -2}));
  // "same": pads (1, 1): y[0] = 0 - 2, y[4] = 4 - 0.
  EXPECT_EQ(ops::conv(x, k, 1, "same").to_vector<float>(), (std::vector<float>{-2, -2, -2, -2, 4}));
  // Stride 2, "same": out = ceil(5 / 2) = 3, total pad 2: centred taps at 0, 2, 4.
  EXPECT_EQ(ops::conv(x, k, 2, "same").to_vector<float>(), (std::vector<float>{-2, -2, 4}));
}

TEST(PoolValues, AverageSameCountsOnlyUnpaddedElements) {
  Tensor x(std::vector<float>{1, 2, 3, 4}, Shape{1, 4, 1});
  // Window 3, stride 1, pads (1, 1): [mean(1,2), mean(1,2,3), mean(2,3,4), mean(3,4)].
  EXPECT_EQ(ops::average_pool(x, 3, 1, "same").to_vector<float>(), (std::vector<float>{1.5f, 2, 3, 3.5f}));
  EXPECT_EQ(ops::average_pool(f64(x), 3, 1, "same").to_vector<double>(), (std::vector<double>{1.5, 2, 3, 3.5}));
  // Max never picks padding, even when every value is negative.
  Tensor neg(std::vector<float>{-4, -3, -2, -1}, Shape{1, 4, 1});
  EXPECT_EQ(ops::max_pool(neg, 3, 1, "same").to_vector<float>(), (std::vector<float>{-3, -2, -1, -1}));
  EXPECT_EQ(ops::max_pool(f64(neg), 3, 1, "same").to_vector<double>(), (std::vector<double>{-3, -2, -1, -1}));
}

TEST(PoolValues, MaxGradientGoesToTheFirstMaximum) {
  for (DType d : {DType::float32, DType::float64}) {
    SCOPED_TRACE(dtype_name(d));
    Tensor x = ops::ones({1, 4, 4, 1}, d);
    GradientTape tape;
    tape.watch(x);
    Tensor loss = ops::sum(ops::max_pool(x, 2));
    auto g = tape.gradient(loss, x);
    std::vector<double> want = {1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0};
    EXPECT_EQ(ops::cast(g, DType::float64).to_vector<double>(), want);
  }
}

// Max pooling forward and backward against plain loops written here, on inputs
// with many ties (values from {-1, 0, 1, 2}): overlapping and disjoint windows,
// positions no window covers (5 and 7 are odd for pool 2), "same" padding, and a
// channel count that is not a multiple of the vector width.
TEST(PoolValues, MaxMatchesNaiveLoopsWithTies) {
  struct Case {
    int64_t k0, k1, s0, s1;
    bool same;
  };
  const int64_t N = 2, H = 5, W = 7, C = 11;
  for (const Case& c : {Case{2, 2, 2, 2, false}, Case{3, 2, 2, 1, false}, Case{3, 3, 2, 2, true},
                        Case{2, 3, 3, 3, false}, Case{1, 1, 1, 1, false}}) {
    for (DType d : {DType::float32, DType::float64}) {
      SCOPED_TRACE(std::to_string(c.k0) + "x" + std::to_string(c.k1) + " / " + std::to_string(c.s0) + "x" +
                   std::to_string(c.s1) + (c.same ? " same " : " valid ") + std::string(dtype_name(d)));
      std::vector<double> xv(static_cast<size_t>(N * H * W * C));
      for (size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>((i * 7919 + i / 5) % 4) - 1;
      const int64_t OH = c.same ? (H + c.s0 - 1) / c.s0 : (H - c.k0) / c.s0 + 1;
      const int64_t OW = c.same ? (W + c.s1 - 1) / c.s1 : (W - c.k1) / c.s1 + 1;
      const int64_t pt = c.same ? std::max<int64_t>((OH - 1) * c.s0 + c.k0 - H, 0) / 2 : 0;
      const int64_t pl = c.same ? std::max<int64_t>((OW - 1) * c.s1 + c.k1 - W, 0) / 2 : 0;
      std::vector<double> dyv(static_cast<size_t>(N * OH * OW * C));
      for (size_t i = 0; i < dyv.size(); ++i) dyv[i] = 1 + static_cast<double>(i % 13);
      std::vector<double> want_y(dyv.size()), want_dx(xv.size(), 0.0);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow)
            for (int64_t ch = 0; ch < C; ++ch) {
              double best = 0;
              int64_t arg = -1;
              for (int64_t i = oh * c.s0 - pt; i < oh * c.s0 - pt + c.k0; ++i)
                for (int64_t j = ow * c.s1 - pl; j < ow * c.s1 - pl + c.k1; ++j) {
                  if (i < 0 || i >= H || j < 0 || j >= W) continue;
                  const int64_t at = ((n * H + i) * W + j) * C + ch;
                  if (arg < 0 || xv[static_cast<size_t>(at)] > best) best = xv[static_cast<size_t>(at)], arg = at;
                }
              const size_t yo = static_cast<size_t>(((n * OH + oh) * OW + ow) * C + ch);
              want_y[yo] = best;
              want_dx[static_cast<size_t>(arg)] += dyv[yo];
            }
      Tensor x = ops::cast(Tensor(xv, Shape{N, H, W, C}), d);
      Tensor dy = ops::cast(Tensor(dyv, Shape{N, OH, OW, C}), d);
      GradientTape tape;
      tape.watch(x);
      Tensor y = ops::max_pool(x, IntTuple{c.k0, c.k1}, IntTuple{c.s0, c.s1}, c.same ? "same" : "valid");
      Tensor dx = tape.gradient(ops::sum(ops::multiply(y, dy)), x);
      EXPECT_EQ(f64(y).to_vector<double>(), want_y);
      EXPECT_EQ(f64(dx).to_vector<double>(), want_dx);
    }
  }
}

TEST(ConvValues, EmptyBatch) {
  Tensor x = ops::zeros({0, 5, 5, 3});
  EXPECT_EQ(ops::conv(x, ops::ones({3, 3, 3, 2})).shape(), (Shape{0, 3, 3, 2}));
  EXPECT_EQ(ops::max_pool(x, 2).shape(), (Shape{0, 2, 2, 3}));
  EXPECT_EQ(ops::conv_transpose(x, ops::ones({3, 3, 2, 3}), 2).shape(), (Shape{0, 11, 11, 2}));
}

// ---- dtypes ------------------------------------------------------------------------------------

TEST(ConvDtypes, HalfTypesComputeInFloat32) {
  const Tensor x = fx("conv2d_valid_x"), k = fx("conv2d_valid_k");
  for (DType d : {DType::float16, DType::bfloat16}) {
    SCOPED_TRACE(dtype_name(d));
    Tensor y = ops::conv(ops::cast(x, d), ops::cast(k, d));
    EXPECT_EQ(y.dtype(), d);
    EXPECT_TRUE(all_close(f64(y), f64(fx("conv2d_valid")), 0.05, 0.05));
    EXPECT_EQ(ops::max_pool(ops::cast(x, d), 2).dtype(), d);
  }
  // Mixed float32 / float64 promote (Keras' result_type).
  EXPECT_EQ(ops::conv(x, f64(k)).dtype(), DType::float64);
}

TEST(ConvDtypes, IntegerOperandsAreRefused) {
  Tensor xi = ops::zeros({1, 5, 5, 1}, DType::int32);
  expect_error<TypeError>([&] { ops::conv(xi, ops::ones({3, 3, 1, 1})); }, "conv expects floating inputs");
  expect_error<TypeError>(
      [&] {
        ops::conv(ops::ones({1, 5, 5, 1}), ops::ones({3, 3, 1, 1}, DType::int32));
      },
      "conv expects floating inputs, got float32 and int32");
  expect_error<TypeError>([&] { ops::max_pool(xi, 2); }, "max_pool expects floating inputs");
  expect_error<TypeError>(
      [&] {
        ops::average_pool(ops::zeros({1, 5, 1}, DType::bool_), 2);
      },
      "average_pool expects floating inputs");
  expect_error<TypeError>(
      [&] {
        ops::conv_transpose(xi, ops::ones({3, 3, 1, 1}));
      },
      "conv_transpose expects floating inputs");
}

// ---- the primitive cache -----------------------------------------------------------------------

TEST(ConvCache, RepeatedShapesReuseCachedPrimitives) {
  Tensor x = fx("conv2d_wide_x"), k = fx("conv2d_wide_k");
  auto step = [&] {
    GradientTape tape;
    tape.watch(x);
    tape.watch(k);
    Tensor y = ops::max_pool(ops::conv(x, k, 1, "same"), 2);
    return tape.gradient(ops::sum(y), {x, k});
  };
  auto first = step();
  const size_t n = backend::cpu::conv_cache_size();
  for (int i = 0; i < 3; ++i) {
    auto again = step();
    EXPECT_TRUE(all_close(again[0], first[0], 0, 0));
    EXPECT_TRUE(all_close(again[1], first[1], 0, 0));
  }
  EXPECT_EQ(backend::cpu::conv_cache_size(), n);
  ops::conv(ops::slice(x, {0, 0, 0, 0}, {1, 10, 10, 16}), k, 1, "same");  // a new batch size: a new primitive
  EXPECT_EQ(backend::cpu::conv_cache_size(), n + 1);
}

// ---- gradients ---------------------------------------------------------------------------------

// The cases of this file, also registered in the op table (gradcheck_test.cpp).
std::vector<GradCase>& conv_cases() {
  static std::vector<GradCase> cases;
  return cases;
}
struct ConvCaseRegistrar {
  explicit ConvCaseRegistrar(GradCase c) {
    conv_cases().push_back(c);
    grad_cases().push_back(std::move(c));
  }
};
#define CONV_GRAD_CASE(id, op_name, make, fn_, ...)   \
  static const ConvCaseRegistrar conv_case_##id {     \
    GradCase { #id, op_name, make, fn_, __VA_ARGS__ } \
  }

const GradCheckOptions kOpts{1e-6, 1e-6, 1e-5};

inputs two(const Shape& x, const Shape& k, uint64_t seed) {
  return {uniform(x, -1, 1, seed), uniform(k, -1, 1, seed + 1)};
}

// conv
CONV_GRAD_CASE(conv1d_valid, "conv", ([] {
                 return two({2, 7, 3}, {3, 3, 2}, 1);
               }),
               ([](const inputs& x) { return ops::conv(x[0], x[1]); }), kOpts);
CONV_GRAD_CASE(conv1d_same_s2_d2, "conv", ([] {
                 return two({1, 9, 2}, {3, 2, 3}, 3);
               }),
               ([](const inputs& x) { return ops::conv(x[0], x[1], 2, "same", "channels_last", 2); }), kOpts);
CONV_GRAD_CASE(conv2d_valid_s21, "conv", ([] {
                 return two({1, 6, 5, 2}, {3, 2, 2, 3}, 5);
               }),
               ([](const inputs& x) {
                 return ops::conv(x[0], x[1], {2, 1});
               }),
               kOpts);
CONV_GRAD_CASE(conv2d_same_s2, "conv", ([] {
                 return two({2, 5, 6, 2}, {3, 3, 2, 2}, 7);
               }),
               ([](const inputs& x) { return ops::conv(x[0], x[1], 2, "same"); }), kOpts, true);
CONV_GRAD_CASE(conv2d_dilated_same, "conv", ([] {
                 return two({1, 6, 6, 2}, {2, 3, 2, 2}, 9);
               }),
               ([](const inputs& x) {
                 return ops::conv(x[0], x[1], 1, "same", "channels_last", {2, 1});
               }),
               kOpts);
CONV_GRAD_CASE(conv2d_groups, "conv", ([] {
                 return two({1, 5, 5, 4}, {3, 3, 2, 4}, 11);
               }),
               ([](const inputs& x) { return ops::conv(x[0], x[1], 1, "same"); }), kOpts);
CONV_GRAD_CASE(conv2d_channels_first, "conv", ([] {
                 return two({1, 2, 5, 6}, {3, 3, 2, 3}, 13);
               }),
               ([](const inputs& x) { return ops::conv(x[0], x[1], 2, "same", "channels_first"); }), kOpts);
CONV_GRAD_CASE(conv3d_same, "conv", ([] {
                 return two({1, 4, 4, 3, 2}, {2, 2, 2, 2, 2}, 15);
               }),
               ([](const inputs& x) {
                 return ops::conv(x[0], x[1], {1, 2, 1}, "same");
               }),
               kOpts);
CONV_GRAD_CASE(depthwise2d_same_s2, "conv", ([] {
                 return two({1, 5, 5, 3}, {3, 3, 3, 2}, 17);
               }),
               ([](const inputs& x) { return ops::depthwise_conv(x[0], x[1], 2, "same"); }), kOpts);
CONV_GRAD_CASE(depthwise1d_channels_first, "conv", ([] {
                 return two({1, 3, 7}, {3, 3, 1}, 19);
               }),
               ([](const inputs& x) { return ops::depthwise_conv(x[0], x[1], 1, "valid", "channels_first", 2); }),
               kOpts);
CONV_GRAD_CASE(separable2d_same, "conv", ([] {
                 return inputs{uniform({1, 5, 5, 2}, -1, 1, 21), uniform({3, 3, 2, 2}, -1, 1, 22),
                               uniform({1, 1, 4, 3}, -1, 1, 23)};
               }),
               ([](const inputs& x) { return ops::separable_conv(x[0], x[1], x[2], 1, "same"); }), kOpts);

// conv_transpose
CONV_GRAD_CASE(convT1d_valid_s2, "conv_transpose", ([] {
                 return two({1, 4, 2}, {3, 3, 2}, 31);
               }),
               ([](const inputs& x) { return ops::conv_transpose(x[0], x[1], 2); }), kOpts);
CONV_GRAD_CASE(convT2d_same_s2, "conv_transpose", ([] {
                 return two({1, 3, 4, 2}, {3, 3, 2, 2}, 33);
               }),
               ([](const inputs& x) { return ops::conv_transpose(x[0], x[1], 2, "same"); }), kOpts, true);
CONV_GRAD_CASE(convT2d_valid_output_padding, "conv_transpose", ([] {
                 return two({1, 3, 3, 2}, {2, 2, 3, 2}, 35);
               }),
               ([](const inputs& x) { return ops::conv_transpose(x[0], x[1], 3, "valid", 1); }), kOpts);
CONV_GRAD_CASE(convT2d_same_output_padding_dilated, "conv_transpose", ([] {
                 return two({1, 3, 3, 2}, {3, 2, 2, 2}, 37);
               }),
               ([](const inputs& x) {
                 return ops::conv_transpose(x[0], x[1], 2, "same", 1, "channels_last", {1, 2});
               }),
               kOpts);
CONV_GRAD_CASE(convT2d_channels_first, "conv_transpose", ([] {
                 return two({1, 2, 3, 3}, {3, 3, 3, 2}, 39);
               }),
               ([](const inputs& x) {
                 return ops::conv_transpose(x[0], x[1], 2, "same", std::nullopt, "channels_first");
               }),
               kOpts);

// conv_kernel_grad, reached through the tape: the kernel gradient of
// <conv(x, w0), dy> as a function of x and dy (w0 fixed), differentiated again.
Tensor kernel_grad(const Tensor& x, const Tensor& dy, const Shape& kshape, IntTuple strides, const std::string& pad,
                   IntTuple dilation) {
  Tensor w0 = uniform(kshape, -1, 1, 99, x.dtype());
  GradientTape tape;
  tape.watch(w0);
  Tensor loss =
      ops::sum(ops::multiply(ops::conv(x, w0, std::move(strides), pad, "channels_last", std::move(dilation)), dy));
  return tape.gradient(loss, w0);
}
CONV_GRAD_CASE(conv_kernel_grad_same_s2, "conv_kernel_grad", ([] {
                 return two({2, 5, 6, 2}, {2, 3, 3, 3}, 41);
               }),
               ([](const inputs& x) {
                 return kernel_grad(x[0], x[1], {3, 3, 2, 3}, 2, "same", 1);
               }),
               kOpts);
CONV_GRAD_CASE(conv_kernel_grad_groups_dilated, "conv_kernel_grad", ([] {
                 return two({1, 7, 4}, {1, 3, 6}, 43);
               }),
               ([](const inputs& x) {
                 return kernel_grad(x[0], x[1], {3, 2, 6}, 1, "valid", 2);
               }),
               kOpts);

// pooling (inputs are distinct random values: no ties within eps)
CONV_GRAD_CASE(max1d_valid_s2, "max_pool", ([] {
                 return inputs{uniform({2, 9, 3}, -1, 1, 51)};
               }),
               ([](const inputs& x) { return ops::max_pool(x[0], 3, 2); }), kOpts);
CONV_GRAD_CASE(max2d_same_s2, "max_pool", ([] {
                 return inputs{uniform({2, 7, 7, 2}, -1, 1, 53)};
               }),
               ([](const inputs& x) { return ops::max_pool(x[0], 3, 2, "same"); }), kOpts);
CONV_GRAD_CASE(max2d_channels_first, "max_pool", ([] {
                 return inputs{uniform({1, 2, 5, 6}, -1, 1, 55)};
               }),
               ([](const inputs& x) {
                 return ops::max_pool(x[0], {2, 3}, 1, "same", "channels_first");
               }),
               kOpts);
CONV_GRAD_CASE(max3d_valid, "max_pool", ([] {
                 return inputs{uniform({1, 4, 5, 4, 2}, -1, 1, 57)};
               }),
               ([](const inputs& x) {
                 return ops::max_pool(x[0], 2, IntTuple{2, 1, 2});
               }),
               kOpts);
CONV_GRAD_CASE(avg1d_same_s1, "average_pool", ([] {
                 return inputs{uniform({2, 7, 3}, -1, 1, 61)};
               }),
               ([](const inputs& x) { return ops::average_pool(x[0], 3, 1, "same"); }), kOpts);
CONV_GRAD_CASE(avg2d_same_s2, "average_pool", ([] {
                 return inputs{uniform({2, 7, 7, 2}, -1, 1, 63)};
               }),
               ([](const inputs& x) { return ops::average_pool(x[0], 3, 2, "same"); }), kOpts);
CONV_GRAD_CASE(avg2d_valid_channels_first, "average_pool", ([] {
                 return inputs{uniform({1, 2, 8, 6}, -1, 1, 65)};
               }),
               ([](const inputs& x) {
                 return ops::average_pool(x[0], {2, 3}, IntTuple{2, 1}, "valid", "channels_first");
               }),
               kOpts);
// average_pool_grad through the tape: the input gradient of
// <average_pool(x0), dy> as a function of dy.
CONV_GRAD_CASE(average_pool_grad_same, "average_pool_grad", ([] {
                 return inputs{uniform({1, 3, 4, 2}, -1, 1, 67)};
               }),
               ([](const inputs& x) {
                 Tensor x0 = uniform({1, 5, 7, 2}, -1, 1, 68, x[0].dtype());
                 GradientTape tape;
                 tape.watch(x0);
                 Tensor loss = ops::sum(ops::multiply(ops::average_pool(x0, 3, 2, "same"), x[0]));
                 return tape.gradient(loss, x0);
               }),
               kOpts);

class ConvGradCheck : public ::testing::TestWithParam<size_t> {};

TEST_P(ConvGradCheck, MatchesFiniteDifferences) {
  const GradCase& c = conv_cases()[GetParam()];
  EXPECT_TRUE(check_gradients(c.fn, c.make_inputs(), c.options));
  if (c.second_order) {
    EXPECT_TRUE(check_second_order(c.fn, c.make_inputs(), c.options));
  }
}

// oneDNN's float32 backward kernels against the float64 loops (which the
// finite differences above check): the same gradients within float32 error.
TEST_P(ConvGradCheck, Float32OneDnnGradientsMatchFloat64) {
  const GradCase& c = conv_cases()[GetParam()];
  auto grads = [&](const inputs& xs) {
    GradientTape tape;
    for (const auto& x : xs) tape.watch(x);
    Tensor y = c.fn(xs);
    Tensor loss = ops::sum(ops::multiply(ops::cast(y, DType::float64), uniform(y.shape(), 0.5, 1.5, 5)));
    return tape.gradient(loss, xs, UnconnectedGradients::zero);
  };
  const inputs x64 = c.make_inputs();
  inputs x32;
  for (const auto& x : x64) x32.push_back(ops::cast(x, DType::float32));
  auto g64 = grads(x64), g32 = grads(x32);
  ASSERT_EQ(g32.size(), g64.size());
  for (size_t i = 0; i < g64.size(); ++i) {
    EXPECT_EQ(g32[i].dtype(), DType::float32);
    EXPECT_TRUE(all_close(f64(g32[i]), g64[i], 1e-4, 1e-5)) << "input " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(ConvOps, ConvGradCheck, ::testing::Range<size_t>(0, conv_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return conv_cases()[info.param].name; });

// ---- errors ------------------------------------------------------------------------------------

TEST(ConvErrors, Conv) {
  const Tensor x = ops::zeros({2, 5, 5, 3}), k = ops::zeros({3, 3, 3, 4});
  expect_error<ValueError>(
      [&] {
        ops::conv(ops::zeros({5, 3}), ops::zeros({3, 3}));
      },
      "conv: inputs must have rank 3, 4 or 5 (1 to 3 spatial dims), got shape (5, 3)");
  expect_error<ValueError>(
      [&] {
        ops::conv(ops::zeros({1, 2, 2, 2, 2, 1}), ops::zeros({1, 1, 1, 1, 1, 1}));
      },
      "conv: inputs must have rank 3, 4 or 5");
  expect_error<ValueError>(
      [&] {
        ops::conv(x, ops::zeros({3, 3, 3}));
      },
      "conv: the kernel must have the inputs' rank (4), got inputs shape (2, 5, 5, 3) and kernel "
      "shape (3, 3, 3)");
  expect_error<ValueError>(
      [&] {
        ops::conv(x, ops::zeros({3, 3, 2, 4}));
      },
      "conv: the input channels (3) must be a multiple of the kernel's in_channels (2); inputs "
      "shape (2, 5, 5, 3), kernel shape (3, 3, 2, 4)");
  expect_error<ValueError>(
      [&] {
        ops::conv(ops::zeros({1, 2, 5, 5}), k, 1, "valid", "channels_first");
      },
      "kernel shape (3, 3, 3, 4), data_format \"channels_first\"");
  expect_error<ValueError>(
      [&] {
        ops::conv(ops::zeros({1, 5, 5, 4}), ops::zeros({3, 3, 2, 3}));
      },
      "conv: the kernel's filters (3) must be a multiple of the groups (2 = 4 / 2)");
  expect_error<ValueError>(
      [&] {
        ops::conv(ops::zeros({1, 2, 5, 3}), k);
      },
      "conv: the kernel's spatial size 3 is larger than the input's 2 along spatial dim 0: "
      "computed output size would be zero or negative; inputs shape (1, 2, 5, 3)");
  expect_error<ValueError>(
      [&] {
        ops::conv(ops::zeros({1, 4, 6, 3}), k, 1, "valid", "channels_last", 2);
      },
      "3 (5 dilated) is larger than the input's 4 along spatial dim 0");
  expect_error<ValueError>([&] { ops::conv(x, k, 0); }, "conv: strides must be positive, got (0, 0)");
  expect_error<ValueError>([&] { ops::conv(x, k, {1, -1}); }, "conv: strides must be positive, got (1, -1)");
  expect_error<ValueError>(
      [&] {
        ops::conv(x, k, {1, 1, 1});
      },
      "conv: strides (1, 1, 1) must be an int or have one value per spatial dim (2 for inputs "
      "of shape (2, 5, 5, 3))");
  expect_error<ValueError>([&] { ops::conv(x, k, 1, "valid", "channels_last", 0); },
                           "conv: dilation_rate must be positive");
  expect_error<ValueError>([&] { ops::conv(x, k, 1, "full"); },
                           "conv: padding must be \"valid\" or \"same\", got \"full\"");
  expect_error<ValueError>([&] { ops::conv(x, k, 1, "valid", "NHWC"); },
                           "conv: data_format must be \"channels_last\" or \"channels_first\", got \"NHWC\"");
  expect_error<ValueError>([&] { ops::conv(Tensor(), k); }, "conv: inputs is an undefined tensor");
  expect_error<ValueError>([&] { ops::conv(x, Tensor()); }, "conv: kernel is an undefined tensor");
  // Symbolic inputs are checked when the graph is built.
  Tensor ph = graph::placeholder({-1, 5, 5, 2});
  expect_error<ValueError>([&] { ops::conv(ph, k); }, "conv: the input channels (2) must be a multiple");
  expect_error<ValueError>([&] { ops::conv(graph::placeholder({-1, 2, 2, 3}), k); }, "is larger than the input's 2");
}

TEST(ConvErrors, DepthwiseAndSeparable) {
  const Tensor x = ops::zeros({2, 5, 5, 3});
  expect_error<ValueError>(
      [&] {
        ops::depthwise_conv(x, ops::zeros({3, 3, 2, 2}));
      },
      "depthwise_conv: the kernel's in_channels (2) must equal the input channels (3); inputs "
      "shape (2, 5, 5, 3), kernel shape (3, 3, 2, 2)");
  expect_error<ValueError>(
      [&] {
        ops::depthwise_conv(x, ops::zeros({3, 3, 3}));
      },
      "depthwise_conv: the kernel must have the inputs' rank (4)");
  expect_error<ValueError>(
      [&] {
        ops::depthwise_conv(ops::zeros({5, 3}), ops::zeros({3, 3}));
      },
      "depthwise_conv: inputs must have rank 3, 4 or 5");
  expect_error<ValueError>(
      [&] {
        ops::depthwise_conv(x, ops::zeros({3, 3, 3, 1}), 1, "same", "channels_last", -1);
      },
      "depthwise_conv: dilation_rate must be positive");
  expect_error<ValueError>(
      [&] {
        ops::depthwise_conv(x, ops::zeros({3, 3, 3, 1}), {1, 2, 3});
      },
      "depthwise_conv: strides (1, 2, 3) must be an int or have one value per spatial dim");
  expect_error<ValueError>(
      [&] {
        ops::separable_conv(x, ops::zeros({3, 3, 3, 2}), ops::zeros({1, 1, 5, 4}));
      },
      "separable_conv: the pointwise kernel's in_channels (5) must equal in_channels * "
      "depth_multiplier (6); pointwise kernel shape (1, 1, 5, 4)");
  expect_error<ValueError>(
      [&] {
        ops::separable_conv(x, ops::zeros({3, 3, 3, 2}), ops::zeros({1, 6, 4}));
      },
      "separable_conv: the pointwise kernel must have the inputs' rank (4), got shape (1, 6, 4)");
  expect_error<ValueError>(
      [&] {
        ops::separable_conv(x, ops::zeros({3, 3, 3, 2}), ops::zeros({2, 1, 6, 4}));
      },
      "separable_conv: the pointwise kernel's spatial dims must be 1, got shape (2, 1, 6, 4)");
}

TEST(ConvErrors, ConvTranspose) {
  const Tensor x = ops::zeros({2, 4, 4, 3}), k = ops::zeros({3, 3, 5, 3});
  expect_error<ValueError>(
      [&] {
        ops::conv_transpose(x, ops::zeros({3, 3, 3, 5}));
      },
      "conv_transpose: the kernel's in_channels (last dim, 5) must equal the input channels (3); "
      "inputs shape (2, 4, 4, 3), kernel shape (3, 3, 3, 5)");
  expect_error<ValueError>(
      [&] {
        ops::conv_transpose(x, ops::zeros({3, 5, 3}));
      },
      "conv_transpose: the kernel must have the inputs' rank (4)");
  expect_error<ValueError>(
      [&] {
        ops::conv_transpose(ops::zeros({4, 3}), ops::zeros({3, 3}));
      },
      "conv_transpose: inputs must have rank 3, 4 or 5");
  expect_error<ValueError>([&] { ops::conv_transpose(x, k, 2, "valid", 2); },
                           "conv_transpose: output_padding (2, 2) must be lower than the strides (2, 2)");
  expect_error<ValueError>([&] { ops::conv_transpose(x, k, 2, "valid", -1); },
                           "conv_transpose: output_padding must be non-negative, got (-1, -1)");
  expect_error<ValueError>([&] { ops::conv_transpose(x, k, 0); }, "conv_transpose: strides must be positive");
  expect_error<ValueError>([&] { ops::conv_transpose(x, k, 1, "causal"); },
                           "conv_transpose: padding must be \"valid\" or \"same\", got \"causal\"");
  expect_error<ValueError>([&] { ops::conv_transpose(x, k, 1, "valid", std::nullopt, "channels_middle"); },
                           "conv_transpose: data_format must be");
  // "same" with output_padding 0 and an even kernel on a size-1 input: nothing left.
  expect_error<ValueError>(
      [&] {
        ops::conv_transpose(ops::zeros({1, 1, 1}), ops::zeros({2, 1, 1}), 1, "same", 0);
      },
      "conv_transpose: computed output size would be zero or negative along spatial dim 0");
}

TEST(ConvErrors, Pooling) {
  const Tensor x = ops::zeros({2, 5, 5, 3});
  for (const char* name : {"max_pool", "average_pool"}) {
    SCOPED_TRACE(name);
    auto f = std::string(name) == "max_pool" ? &ops::max_pool : &ops::average_pool;
    const std::string n = name;
    expect_error<ValueError>([&] { f(x, 6, std::nullopt, "valid", "channels_last"); },
                             n + ": the pool size (6, 6) is larger than the input's spatial dims (5, 5) (inputs "
                                 "shape (2, 5, 5, 3), padding \"valid\"): computed output size would be zero or "
                                 "negative");
    expect_error<ValueError>([&] { f(x, 0, std::nullopt, "valid", "channels_last"); },
                             n + ": pool_size must be positive, got (0, 0)");
    expect_error<ValueError>(
        [&] {
          f(x, 2, IntTuple{1, 0}, "valid", "channels_last");
        },
        n + ": strides must be positive, got (1, 0)");
    expect_error<ValueError>(
        [&] {
          f(x, IntTuple{2, 2, 2}, std::nullopt, "valid", "channels_last");
        },
        n + ": pool_size (2, 2, 2) must be an int or have one value per spatial dim (2");
    expect_error<ValueError>(
        [&] {
          f(ops::zeros({5, 3}), 2, std::nullopt, "valid", "channels_last");
        },
        n + ": inputs must have rank 3, 4 or 5 (1 to 3 spatial dims), got shape (5, 3)");
    expect_error<ValueError>([&] { f(x, 2, std::nullopt, "full", "channels_last"); },
                             n + ": padding must be \"valid\" or \"same\", got \"full\"");
    expect_error<ValueError>([&] { f(x, 2, std::nullopt, "valid", "channels"); }, n + ": data_format must be");
    expect_error<ValueError>([&] { f(Tensor(), 2, std::nullopt, "valid", "channels_last"); },
                             n + ": inputs is an undefined tensor");
  }
  // channels_first: the spatial dims are the last ones.
  expect_error<ValueError>(
      [&] {
        ops::max_pool(ops::zeros({1, 3, 4, 9}), 5, 1, "valid", "channels_first");
      },
      "the pool size (5, 5) is larger than the input's spatial dims (4, 9)");
  EXPECT_EQ(ops::max_pool(x, 6, std::nullopt, "same").shape(), (Shape{2, 1, 1, 3}));  // "same" never fails
}

}  // namespace
}  // namespace keras::testing
