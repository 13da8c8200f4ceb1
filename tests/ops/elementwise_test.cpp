// Elementwise ops, cast, stop_gradient and the Tensor operators: values
// against NumPy (tests/fixtures/elementwise.npz, made by
// gen_elementwise_fixtures.py), hand-worked cases, every broadcasting path of
// the kernel against a brute-force reference (views and large tensors
// included), Keras' dtype rules, errors, symbolic shapes, and gradient cases.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "keras/npy.hpp"
#include "ops/elementwise_op.hpp"

namespace keras::testing {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

template <class T>
Tensor vec(std::vector<T> v, const Shape& shape) {
  return Tensor(v, shape);
}

Tensor bools(const std::vector<int>& v, const Shape& shape) {
  std::unique_ptr<bool[]> b(new bool[v.size()]);
  for (size_t i = 0; i < v.size(); ++i) b[i] = v[i] != 0;
  return Tensor::from_bytes(b.get(), DType::bool_, shape);
}

using Binary = Tensor (*)(const Tensor&, const Tensor&);
using Unary = Tensor (*)(const Tensor&);

// ---- NumPy fixtures ---------------------------------------------------------------------------------------
TEST(Elementwise, UnaryOpsMatchNumpy) {
  const std::vector<std::tuple<std::string, Unary, std::string>> table = {
      {"negative", ops::negative, "a"}, {"abs", ops::abs, "a"},       {"square", ops::square, "a"},
      {"sqrt", ops::sqrt, "pos"},       {"rsqrt", ops::rsqrt, "pos"}, {"exp", ops::exp, "a"},
      {"log", ops::log, "pos"},         {"log1p", ops::log1p, "pos"}, {"expm1", ops::expm1, "a"},
      {"sign", ops::sign, "a"},         {"floor", ops::floor, "a"},   {"round", ops::round, "halves"},
  };
  for (const auto& [name, fn, src] : table) {
    SCOPED_TRACE(name);
    Tensor y = fn(fx(src));
    EXPECT_EQ(y.dtype(), DType::float32);
    EXPECT_TRUE(all_close(f64(y), fx("u_" + name), 2e-6, 1e-7));
  }
  EXPECT_TRUE(all_close(f64(ops::clip(fx("a"), -0.5, 1.0)), fx("clip"), 0, 0));
}

TEST(Elementwise, BinaryOpsMatchNumpyWithBroadcasting) {
  const std::vector<std::pair<std::string, Binary>> arith = {
      {"add", ops::add},       {"subtract", ops::subtract}, {"multiply", ops::multiply},
      {"divide", ops::divide}, {"maximum", ops::maximum},   {"minimum", ops::minimum},
  };
  const std::vector<std::pair<std::string, Binary>> compare = {
      {"equal", ops::equal},     {"not_equal", ops::not_equal},
      {"greater", ops::greater}, {"greater_equal", ops::greater_equal},
      {"less", ops::less},       {"less_equal", ops::less_equal},
  };
  const std::vector<std::tuple<std::string, std::string, std::string>> pairs = {
      {"ab", "a", "b"}, {"bc", "c31", "r14"}, {"bv", "m23", "v3"}, {"sa", "s", "a"}, {"as", "a", "s"}};
  for (const auto& [pair, xa, xb] : pairs) {
    const Tensor a = fx(xa), b = fx(xb);
    for (const auto& [name, fn] : arith) {
      SCOPED_TRACE(name + "_" + pair);
      Tensor y = fn(a, b);
      EXPECT_EQ(y.dtype(), DType::float32);
      EXPECT_TRUE(all_close(f64(y), fx(name + "_" + pair), 1e-6, 1e-7));
    }
    for (const auto& [name, fn] : compare) {
      SCOPED_TRACE(name + "_" + pair);
      Tensor y = fn(a, b);
      EXPECT_EQ(y.dtype(), DType::bool_);
      EXPECT_EQ(y.shape(), fx(name + "_" + pair).shape());
      EXPECT_EQ(y.to_vector<bool>(), fx(name + "_" + pair).to_vector<bool>());
    }
    SCOPED_TRACE("power_" + pair);
    Tensor base = ops::abs(a) + 0.1;
    EXPECT_TRUE(all_close(f64(ops::power(base, b)), fx("power_" + pair), 2e-6, 1e-7));
  }
}

TEST(Elementwise, IntegerOpsMatchNumpy) {
  const Tensor ia = fx("ia"), ib = fx("ib");
  ASSERT_EQ(ia.dtype(), DType::int32);
  const std::vector<std::pair<std::string, Binary>> ops_ = {{"add", ops::add},
                                                            {"subtract", ops::subtract},
                                                            {"multiply", ops::multiply},
                                                            {"maximum", ops::maximum},
                                                            {"power", ops::power}};
  for (const auto& [name, fn] : ops_) {
    SCOPED_TRACE(name);
    Tensor y = fn(ia, ib);
    EXPECT_EQ(y.dtype(), DType::int32);
    EXPECT_EQ(y.to_vector<int32_t>(), fx("i_" + name).to_vector<int32_t>());
  }
  Tensor q = ops::divide(ia, ops::maximum(ib, Tensor::scalar<int32_t>(1)));
  EXPECT_EQ(q.dtype(), DType::float32);
  EXPECT_TRUE(all_close(f64(q), fx("i_divide"), 1e-6, 1e-7));
}

TEST(Elementwise, WhereBroadcastsThreeOperands) {
  Tensor y = ops::where(fx("cond"), fx("r14"), fx("s"));
  EXPECT_EQ(y.shape(), Shape({3, 4}));
  EXPECT_TRUE(all_close(f64(y), fx("where"), 0, 0));
}

// ---- hand-worked ---------------------------------------------------------------------------------------------
TEST(Elementwise, HandWorkedValues) {
  Tensor a({1.f, -2.f, 3.f});
  EXPECT_EQ((a + 10.0).to_vector<float>(), (std::vector<float>{11, 8, 13}));
  EXPECT_EQ((10.0 - a).to_vector<float>(), (std::vector<float>{9, 12, 7}));
  EXPECT_EQ((a * a).to_vector<float>(), (std::vector<float>{1, 4, 9}));
  EXPECT_EQ((1.0 / a).to_vector<float>(), (std::vector<float>{1, -0.5f, 1.f / 3}));
  EXPECT_EQ((-a).to_vector<float>(), (std::vector<float>{-1, 2, -3}));
  // 7 / 2 = 3.5: true division of integers gives float32.
  Tensor q = ops::divide(Tensor::scalar<int32_t>(7), Tensor::scalar<int32_t>(2));
  EXPECT_EQ(q.dtype(), DType::float32);
  EXPECT_EQ(q.item<float>(), 3.5f);
  // Half to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0, -1.5 -> -2.
  EXPECT_EQ(ops::round(Tensor({0.5f, 1.5f, 2.5f, -0.5f, -1.5f})).to_vector<float>(),
            (std::vector<float>{0, 2, 2, 0, -2}));
  // sign(0) = 0, abs(-0) = 0.
  EXPECT_EQ(ops::sign(Tensor({-3.f, 0.f, 2.f})).to_vector<float>(), (std::vector<float>{-1, 0, 1}));
  EXPECT_EQ(ops::sign(vec<int32_t>({-7, 0, 9}, {3})).to_vector<int32_t>(), (std::vector<int32_t>{-1, 0, 1}));
  // 2^10 = 1024, (-3)^3 = -27, 2^-1 = 0 for integers (truncated reciprocal), 1^-5 = 1, (-1)^-3 = -1.
  EXPECT_EQ(
      ops::power(vec<int32_t>({2, -3, 2, 1, -1}, {5}), vec<int32_t>({10, 3, -1, -5, -3}, {5})).to_vector<int32_t>(),
      (std::vector<int32_t>{1024, -27, 0, 1, -1}));
  // rsqrt(4) = 0.5, log1p(0) = 0, expm1(0) = 0.
  EXPECT_EQ(ops::rsqrt(Tensor({4.f})).item<float>(), 0.5f);
  EXPECT_EQ(ops::log1p(Tensor({0.f})).item<float>(), 0.f);
  // clip of integers keeps the integers inside [lo, hi]: [-0.5, 2.5] -> [0, 2].
  EXPECT_EQ(ops::clip(vec<int32_t>({-3, 0, 1, 2, 5}, {5}), -0.5, 2.5).to_vector<int32_t>(),
            (std::vector<int32_t>{0, 0, 1, 2, 2}));
  EXPECT_EQ(ops::clip(Tensor({-3.f, 0.25f, 9.f}), -1.0, 1.0).to_vector<float>(), (std::vector<float>{-1, 0.25f, 1}));
}

TEST(Elementwise, NanPropagatesAsInNumpy) {
  Tensor x = vec<double>({kNaN, 1.0, 2.0}, {3});
  Tensor y = vec<double>({0.0, kNaN, 1.0}, {3});
  auto mx = ops::maximum(x, y).to_vector<double>();
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  EXPECT_EQ(mx[2], 2.0);
  auto mn = ops::minimum(x, y).to_vector<double>();
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
  EXPECT_EQ(mn[2], 1.0);
  EXPECT_TRUE(std::isnan(ops::clip(x, 0, 1).to_vector<double>()[0]));
  EXPECT_TRUE(std::isnan(ops::sign(x).to_vector<double>()[0]));
  EXPECT_FALSE(ops::equal(x, x).to_vector<bool>()[0]);
  EXPECT_TRUE(ops::not_equal(x, x).to_vector<bool>()[0]);
}

TEST(Elementwise, IntegerArithmeticWraps) {
  const int32_t big = std::numeric_limits<int32_t>::max();
  EXPECT_EQ((vec<int32_t>({big}, {1}) + 1.0).to_vector<int32_t>()[0], std::numeric_limits<int32_t>::min());
  EXPECT_EQ(ops::abs(vec<int32_t>({std::numeric_limits<int32_t>::min()}, {1})).to_vector<int32_t>()[0],
            std::numeric_limits<int32_t>::min());
  Tensor u = vec<uint8_t>({250, 3}, {2});
  EXPECT_EQ((u + 10.0).to_vector<uint8_t>(), (std::vector<uint8_t>{4, 13}));
  EXPECT_EQ(ops::negative(u).to_vector<uint8_t>(), (std::vector<uint8_t>{6, 253}));
  EXPECT_EQ(ops::multiply(u, u).to_vector<uint8_t>(), (std::vector<uint8_t>{36, 9}));  // 62500 mod 256
}

TEST(Elementwise, LogicalOpsReadAnyDtypeAsNonZero) {
  Tensor a({0.f, 1.5f, 0.f, -2.f});
  Tensor b = vec<int32_t>({0, 0, 3, 4}, {4});
  Tensor land = ops::logical_and(a, b), lor = ops::logical_or(a, b), lnot = ops::logical_not(a);
  EXPECT_EQ(land.dtype(), DType::bool_);
  EXPECT_EQ(land.to_vector<bool>(), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(lor.to_vector<bool>(), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(lnot.to_vector<bool>(), (std::vector<bool>{true, false, true, false}));
}

// ---- every kernel path against a brute-force reference ---------------------------------------------------
// out[i] for the broadcast of a and b computed element by element from the
// C-order index, independent of the kernel's plan.
std::vector<double> brute(const Tensor& a, const Tensor& b, const Shape& out,
                          const std::function<double(double, double)>& f) {
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> r(static_cast<size_t>(out.numel()));
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int d = out.rank() - 1; d >= 0; --d) {
      const int64_t idx = rem % out[d];
      rem /= out[d];
      const int ja = d - (out.rank() - a.ndim()), jb = d - (out.rank() - b.ndim());
      if (ja >= 0) {
        if (a.shape()[ja] != 1) ia += idx * sa;
        sa *= a.shape()[ja];
      }
      if (jb >= 0) {
        if (b.shape()[jb] != 1) ib += idx * sb;
        sb *= b.shape()[jb];
      }
    }
    r[static_cast<size_t>(i)] = f(av[static_cast<size_t>(ia)], bv[static_cast<size_t>(ib)]);
  }
  return r;
}

TEST(Elementwise, EveryBroadcastPathMatchesBruteForce) {
  struct Case {
    Shape a, b;
  };
  // Small (one thread) and large (split over threads) versions of: same
  // shape, scalar operand, bias row, column, both broadcast, leading dims,
  // one long row, and shapes that do not merge.
  const std::vector<Case> cases = {
      {{3, 4}, {3, 4}},       {{3, 4}, {}},           {{}, {3, 4}},
      {{5, 6}, {6}},          {{5, 6}, {5, 1}},       {{5, 1}, {1, 6}},
      {{2, 3, 4}, {3, 1}},    {{2, 1, 4}, {1, 3, 1}}, {{7}, {1}},
      {{2, 3}, {1, 1}},       {{4, 0}, {4, 1}},       {{300, 257}, {257}},
      {{300, 257}, {300, 1}}, {{256, 1}, {1, 300}},   {{100000}, {100000}},
      {{100000}, {}},         {{40000, 2}, {2}},      {{3, 20000, 2}, {3, 1, 2}},
      {{70000, 1}, {1}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.a.str() + " x " + c.b.str());
    Tensor a = uniform(c.a, -2, 2, 3, DType::float32), b = uniform(c.b, -2, 2, 4, DType::float32);
    const Shape out = detail::broadcast_shapes(c.a, c.b, "test");
    Tensor y = ops::subtract(a, b);
    ASSERT_EQ(y.shape(), out);
    auto ref = brute(a, b, out, [](double x, double z) {
      return static_cast<double>(static_cast<float>(x) - static_cast<float>(z));
    });
    EXPECT_EQ(y.to_vector<double>(), ref);
    Tensor g = ops::greater(a, b);
    auto gref = brute(a, b, out, [](double x, double z) { return x > z ? 1.0 : 0.0; });
    EXPECT_EQ(ops::cast(g, DType::float64).to_vector<double>(), gref);
  }
}

TEST(Elementwise, StridedViewsAreReadInPlace) {
  // Transposed, broadcast and flipped views, against the same op on contiguous copies.
  Tensor t = noncontiguous({5, 7});  // a transposed view
  ASSERT_FALSE(t.is_contiguous());
  Tensor tc = t.contiguous();
  Tensor bias = uniform({7}, -1, 1, 9);
  EXPECT_EQ(ops::add(t, bias).to_vector<double>(), ops::add(tc, bias).to_vector<double>());
  EXPECT_EQ(ops::exp(t).to_vector<double>(), ops::exp(tc).to_vector<double>());
  EXPECT_EQ(ops::multiply(t, t).to_vector<double>(), ops::multiply(tc, tc).to_vector<double>());
  Tensor col = noncontiguous({5, 1});
  EXPECT_EQ(ops::maximum(col, t).to_vector<double>(), ops::maximum(col.contiguous(), tc).to_vector<double>());
  Tensor cond = ops::greater(t, Tensor::scalar(0.0, DType::float64));
  EXPECT_EQ(ops::where(cond, t, bias).to_vector<double>(), ops::where(cond, tc, bias).to_vector<double>());
  Tensor big = noncontiguous({300, 200});
  EXPECT_EQ(ops::tanh(big).to_vector<double>(), ops::tanh(big.contiguous()).to_vector<double>());
  Tensor bt = ops::broadcast_to(bias, {5, 7});
  EXPECT_EQ(ops::add(bt, tc).to_vector<double>(), ops::add(tc, bias).to_vector<double>());
  Tensor fl = ops::flip(tc, 1);
  EXPECT_EQ(ops::negative(fl).to_vector<double>(), ops::negative(fl.contiguous()).to_vector<double>());
}

TEST(Elementwise, ResultsDoNotDependOnThreadCount) {
  Tensor a = uniform({513, 300}, -3, 3, 5, DType::float32), b = uniform({300}, -3, 3, 6, DType::float32);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  auto one = ops::sigmoid(ops::add(a, b)).to_vector<float>();
  omp_set_num_threads(std::max(2, saved));
  auto many = ops::sigmoid(ops::add(a, b)).to_vector<float>();
  omp_set_num_threads(saved);
  EXPECT_EQ(one, many);
}

// ---- dtype rules (Keras 3) ---------------------------------------------------------------------------------
TEST(Elementwise, DtypeRulesFollowKeras) {
  Tensor i32 = vec<int32_t>({1, 2}, {2}), i64 = vec<int64_t>({1, 2}, {2}), u8 = vec<uint8_t>({1, 2}, {2});
  Tensor f32 = Tensor({1.f, 2.f}), f64_ = vec<double>({1, 2}, {2}), b = bools({1, 0}, {2});
  EXPECT_EQ(ops::add(i32, f32).dtype(), DType::float32);
  EXPECT_EQ(ops::add(f32, f64_).dtype(), DType::float64);
  EXPECT_EQ(ops::add(u8, i32).dtype(), DType::int32);
  EXPECT_EQ(ops::add(i32, i64).dtype(), DType::int64);
  EXPECT_EQ(ops::multiply(b, f32).dtype(), DType::float32);
  // bool + bool stays bool (logical or), as jnp.add.
  Tensor bb = ops::add(b, bools({1, 1}, {2}));
  EXPECT_EQ(bb.dtype(), DType::bool_);
  EXPECT_EQ(bb.to_vector<bool>(), (std::vector<bool>{true, true}));
  // Weak numbers: x * 2.0 keeps x's dtype; a fraction makes integers float32.
  EXPECT_EQ((i32 * 2.0).dtype(), DType::int32);
  EXPECT_EQ((i32 * 2.5).dtype(), DType::float32);
  EXPECT_EQ((i32 * 2.5).to_vector<float>(), (std::vector<float>{2.5f, 5.f}));
  EXPECT_EQ((i64 + 1.0).dtype(), DType::int64);
  EXPECT_EQ((i64 + 0.5).dtype(), DType::float32);
  EXPECT_EQ((u8 * 3.0).dtype(), DType::uint8);
  EXPECT_EQ((b + 1.0).dtype(), DType::int32);
  EXPECT_EQ((f64_ * 0.1).dtype(), DType::float64);
  EXPECT_EQ((2.0 * f32).dtype(), DType::float32);
  // True division: integers -> float32 (int64 too: Keras resolves the weak float by floatx).
  EXPECT_EQ(ops::divide(i32, i32).dtype(), DType::float32);
  EXPECT_EQ(ops::divide(i64, i64).dtype(), DType::float32);
  EXPECT_EQ(ops::divide(b, b).dtype(), DType::float32);
  EXPECT_EQ(ops::divide(f64_, i32).dtype(), DType::float64);
  EXPECT_EQ((i32 / 2.0).dtype(), DType::float32);
  // Float-valued functions of integers and bool: float32.
  for (Unary fn : {ops::sqrt, ops::rsqrt, ops::exp, ops::log, ops::log1p, ops::expm1, ops::floor}) {
    EXPECT_EQ(fn(i32).dtype(), DType::float32);
    EXPECT_EQ(fn(i64).dtype(), DType::float32);
    EXPECT_EQ(fn(b).dtype(), DType::float32);
    EXPECT_EQ(fn(f64_).dtype(), DType::float64);
  }
  EXPECT_EQ(ops::sqrt(vec<int32_t>({4, 9}, {2})).to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_EQ(ops::square(b).dtype(), DType::int32);
  EXPECT_EQ(ops::square(i64).dtype(), DType::int64);
  EXPECT_EQ(ops::abs(i32).dtype(), DType::int32);
  EXPECT_EQ(ops::round(i32).dtype(), DType::int32);
  EXPECT_EQ(ops::sign(u8).dtype(), DType::uint8);
  EXPECT_EQ(ops::clip(b, 0, 1).dtype(), DType::int32);
  EXPECT_EQ(ops::power(i32, f32).dtype(), DType::float32);
  EXPECT_EQ(ops::maximum(i32, u8).dtype(), DType::int32);
  EXPECT_EQ(ops::where(b, i32, f32).dtype(), DType::float32);
  EXPECT_EQ(ops::where(f32, i32, i32).dtype(), DType::int32);  // a float condition is read as != 0
  EXPECT_EQ(ops::less(i32, f64_).dtype(), DType::bool_);
  // float16 meets float32 in float32, so mixed arithmetic works.
  Tensor h = ops::cast(f32, DType::float16);
  EXPECT_EQ(ops::add(h, f32).dtype(), DType::float32);
}

TEST(Elementwise, Cast) {
  Tensor x({-1.7f, -0.2f, 0.f, 2.9f});
  EXPECT_EQ(ops::cast(x, DType::int32).to_vector<int32_t>(), (std::vector<int32_t>{-1, 0, 0, 2}));  // truncates
  EXPECT_EQ(ops::cast(x, DType::bool_).to_vector<bool>(), (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(ops::cast(ops::cast(x, DType::float16), DType::float32).to_vector<float>()[0], -1.700195313f);
  EXPECT_EQ(ops::cast(ops::cast(x, DType::bfloat16), DType::float32).to_vector<float>()[3], 2.90625f);
  EXPECT_EQ(ops::cast(x, DType::float32).id(), x.id());  // same dtype: the tensor itself
  Tensor view = noncontiguous({3, 2});
  EXPECT_EQ(ops::cast(view, DType::float32).to_vector<float>(),
            ops::cast(view.contiguous(), DType::float32).to_vector<float>());
}

TEST(Elementwise, StopGradientBlocksTheTape) {
  Tensor x = uniform({3}, 0.5, 1.5);
  GradientTape tape;
  tape.watch(x);
  Tensor s = ops::stop_gradient(x);
  EXPECT_EQ(s.to_vector<double>(), x.to_vector<double>());
  EXPECT_NE(s.id(), x.id());
  Tensor y = ops::sum(ops::multiply(s, x));  // d/dx = s (not 2x)
  Tensor g = tape.gradient(y, x);
  EXPECT_EQ(g.to_vector<double>(), x.to_vector<double>());
  GradientTape tape2;
  tape2.watch(x);
  Tensor only = ops::sum(ops::stop_gradient(ops::exp(x)));
  EXPECT_FALSE(tape2.gradient(only, x).defined());
}

TEST(Elementwise, OperatorsAreTheOps) {
  Tensor a({1.f, 2.f, 3.f}), b({3.f, 2.f, 1.f});
  EXPECT_EQ((a - b).to_vector<float>(), (std::vector<float>{-2, 0, 2}));
  EXPECT_EQ((a / b).to_vector<float>(), ops::divide(a, b).to_vector<float>());
  EXPECT_EQ((a - 1.0).to_vector<float>(), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ((6.0 / a).to_vector<float>(), (std::vector<float>{6, 3, 2}));
  EXPECT_EQ((3.0 * a).to_vector<float>(), (std::vector<float>{3, 6, 9}));
  EXPECT_EQ((a == b).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ((a != b).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ((a < b).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ((a <= b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((a > b).to_vector<bool>(), (std::vector<bool>{false, false, true}));
  EXPECT_EQ((a >= b).to_vector<bool>(), (std::vector<bool>{false, true, true}));
}

// ---- errors -------------------------------------------------------------------------------------------------
TEST(Elementwise, Errors) {
  Tensor a = ops::zeros({2, 3}), b = ops::zeros({4});
  expect_error<ValueError>([&] { ops::add(a, b); }, "add: cannot broadcast shapes (2, 3) and (4,)");
  expect_error<ValueError>(
      [&] {
        ops::where(ops::zeros({2, 1}), a, b);
      },
      "where: cannot broadcast shapes (2, 3) and (4,)");
  expect_error<ValueError>([&] { ops::multiply(a, Tensor()); }, "multiply: input 1 is an undefined tensor");
  Tensor h = ops::ones({3}, DType::float16);
  expect_error<TypeError>([&] { ops::add(h, h); },
                          "add: float16 is a storage-only dtype in keras.cpp; cast it to float32");
  expect_error<TypeError>([&] { ops::exp(ops::ones({3}, DType::bfloat16)); }, "exp: bfloat16 is a storage-only dtype");
  expect_error<TypeError>([&] { h * 2.0; }, "multiply: float16 is a storage-only dtype");
  expect_error<TypeError>([&] { ops::relu(h); }, "relu: float16");
  Tensor b2 = bools({1, 0}, {2});
  expect_error<TypeError>([&] { ops::subtract(b2, b2); }, "subtract does not support dtype bool");
  expect_error<TypeError>([&] { ops::negative(b2); }, "negative does not support dtype bool");
  expect_error<TypeError>([&] { ops::power(b2, b2); }, "power does not support dtype bool");
}

// ---- symbolic -------------------------------------------------------------------------------------------------
TEST(Elementwise, SymbolicShapesAndEvaluation) {
  Tensor x = graph::placeholder({-1, 3}, DType::float32, "x");
  Tensor bias({1.f, 2.f, 3.f});
  Tensor y = ops::relu(x + bias) * 2.0;
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.shape(), Shape({-1, 3}));
  EXPECT_EQ(ops::greater(x, bias).dtype(), DType::bool_);
  EXPECT_EQ(ops::divide(graph::placeholder({2, -1}, DType::int32, "i"), bias).shape(), Shape({2, 3}));
  Tensor zl = ops::zeros_like(x);
  EXPECT_EQ(zl.shape(), Shape({-1, 3}));
  Tensor v({{-2.f, 0.f, 1.f}, {-9.f, -1.f, 5.f}});
  auto out = graph::evaluate({y, zl}, {{x, v}});
  EXPECT_EQ(out[0].to_vector<float>(), (std::vector<float>{0, 4, 8, 0, 2, 16}));
  EXPECT_EQ(out[1].to_vector<float>(), (std::vector<float>(6, 0.f)));
  expect_error<ValueError>(
      [&] {
        ops::add(graph::placeholder({-1, 3}, DType::float32, "p"), ops::zeros({4}));
      },
      "add: cannot broadcast shapes (None, 3) and (4,)");
}

// ---- the parallel threshold ------------------------------------------------------------------------------------
// kParallelWork (elementwise.cpp) is where two threads start to pay: this
// prints one- and two-thread times of a cheap and a transcendental kind
// around it, so the threshold can be re-measured on new hardware (the test
// asserts only that the results agree).
TEST(Elementwise, ThreadThreshold) {
  const std::vector<std::pair<backend::cpu::UnaryKind, int64_t>> cases = {
      {backend::cpu::UnaryKind::Negative, 4096},  {backend::cpu::UnaryKind::Negative, 16384},
      {backend::cpu::UnaryKind::Negative, 65536}, {backend::cpu::UnaryKind::Sigmoid, 512},
      {backend::cpu::UnaryKind::Sigmoid, 1024},   {backend::cpu::UnaryKind::Sigmoid, 8192}};
  for (const auto& [kind, n] : cases) {
    Tensor a = uniform({n}, -1, 1, 1, DType::float32);
    const int saved = omp_get_max_threads();
    double t[2];
    std::vector<float> r[2];
    for (int k = 0; k < 2; ++k) {
      omp_set_num_threads(k + 1);
      Tensor out = Tensor::empty({n});
      backend::cpu::unary(kind, a, out);  // warm-up
      t[k] = 1e30;
      for (int trial = 0; trial < 5; ++trial) {
        auto start = std::chrono::steady_clock::now();
        for (int rep = 0; rep < 20; ++rep) backend::cpu::unary(kind, a, out);
        t[k] = std::min(
            t[k], std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / 20);
      }
      r[k] = out.to_vector<float>();
    }
    omp_set_num_threads(saved);
    EXPECT_EQ(r[0], r[1]);
    std::printf("%s of %lld floats: %.2f us on 1 thread, %.2f us on 2 threads when above the threshold\n",
                backend::cpu::kind_name(kind), static_cast<long long>(n), t[0], t[1]);
  }
}

// ---- gradient cases ---------------------------------------------------------------------------------------
inputs one(Tensor a) { return inputs{std::move(a)}; }
inputs two(Tensor a, Tensor b) { return inputs{std::move(a), std::move(b)}; }

// Values in [0.1, 1] with alternating signs: away from the kinks at 0.
Tensor away_from_zero(const Shape& shape, uint64_t seed = 1) {
  auto v = uniform(shape, 0.1, 1.0, seed).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i)
    if (i % 2) v[i] = -v[i];
  return Tensor(v, shape);
}

const GradCheckOptions kDefault{};

// add / subtract (both operands broadcast; a bias row; a view)
KERAS_GRAD_CASE(add_same, "add", ([] {
                  return two(uniform({3, 4}), uniform({3, 4}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::add(x[0], x[1]); }));
KERAS_GRAD_CASE(add_both_broadcast, "add", ([] {
                  return two(uniform({3, 1}), uniform({1, 4}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::add(x[0], x[1]); }));
KERAS_GRAD_CASE(add_bias_noncontiguous, "add", ([] {
                  return two(noncontiguous({2, 3}), uniform({3}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::add(x[0], x[1]); }));
KERAS_GRAD_CASE(subtract_broadcast, "subtract", ([] {
                  return two(uniform({2, 3}), uniform({3, 1, 1}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::subtract(x[0], x[1]); }));
KERAS_GRAD_CASE(subtract_scalar, "subtract", ([] {
                  return two(uniform({}), uniform({2, 2}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::subtract(x[0], x[1]); }));
// multiply / divide / power (smooth: second order too)
KERAS_GRAD_CASE(multiply_both_broadcast, "multiply", ([] {
                  return two(uniform({3, 1}), uniform({1, 4}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::multiply(x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(multiply_noncontiguous, "multiply", ([] {
                  return two(noncontiguous({3, 2}), noncontiguous({3, 2}, -1, 1, 8));
                }),
                ([](const inputs& x) { return ops::multiply(x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(divide_broadcast, "divide", ([] {
                  return two(uniform({2, 3}), uniform({3}, 0.5, 2.0, 2));
                }),
                ([](const inputs& x) { return ops::divide(x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(divide_negative_denominator, "divide", ([] {
                  return two(uniform({3, 1}), uniform({1, 2}, -2.0, -0.5, 2));
                }),
                ([](const inputs& x) { return ops::divide(x[0], x[1]); }));
KERAS_GRAD_CASE(power_both, "power", ([] {
                  return two(uniform({2, 3}, 0.5, 2.0), uniform({2, 3}, -1.5, 2.0, 2));
                }),
                ([](const inputs& x) { return ops::power(x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(power_broadcast, "power", ([] {
                  return two(uniform({3, 1}, 0.5, 2.0), uniform({4}, -1.0, 3.0, 2));
                }),
                ([](const inputs& x) { return ops::power(x[0], x[1]); }));
// maximum / minimum (distinct values)
KERAS_GRAD_CASE(maximum_both_broadcast, "maximum", ([] {
                  return two(uniform({3, 1}), uniform({1, 4}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::maximum(x[0], x[1]); }));
KERAS_GRAD_CASE(maximum_noncontiguous, "maximum", ([] {
                  return two(noncontiguous({2, 3}), uniform({3}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::maximum(x[0], x[1]); }));
KERAS_GRAD_CASE(minimum_both_broadcast, "minimum", ([] {
                  return two(uniform({1, 4}), uniform({3, 1}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::minimum(x[0], x[1]); }));
// unary
KERAS_GRAD_CASE(negative_basic, "negative", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) { return ops::negative(x[0]); }));
KERAS_GRAD_CASE(abs_away_from_zero, "abs", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::abs(x[0]); }));
KERAS_GRAD_CASE(square_basic, "square", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) { return ops::square(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(sqrt_positive, "sqrt", ([] {
                  return one(uniform({3, 4}, 0.5, 2.0));
                }),
                ([](const inputs& x) { return ops::sqrt(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(rsqrt_positive, "rsqrt", ([] {
                  return one(uniform({3, 4}, 0.5, 2.0));
                }),
                ([](const inputs& x) { return ops::rsqrt(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(exp_basic, "exp", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) { return ops::exp(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(exp_noncontiguous, "exp", ([] {
                  return one(noncontiguous({2, 3}));
                }),
                ([](const inputs& x) { return ops::exp(x[0]); }));
KERAS_GRAD_CASE(log_positive, "log", ([] {
                  return one(uniform({3, 4}, 0.5, 2.0));
                }),
                ([](const inputs& x) { return ops::log(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(log1p_basic, "log1p", ([] {
                  return one(uniform({3, 4}, -0.5, 2.0));
                }),
                ([](const inputs& x) { return ops::log1p(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(expm1_basic, "expm1", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) { return ops::expm1(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(sign_flat, "sign", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::sign(x[0]); }));
KERAS_GRAD_CASE(erf_basic, "erf", ([] {
                  return one(uniform({3, 4}, -2, 2));
                }),
                ([](const inputs& x) { return detail::erf(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(clip_inside_and_out, "clip", ([] {
                  return one(away_from_zero({3, 4}));
                }),
                ([](const inputs& x) { return ops::clip(x[0], -0.5, 0.55); }));
// where: the condition chooses, x and y broadcast
KERAS_GRAD_CASE(where_broadcast, "where", ([] {
                  return two(uniform({3, 1}), uniform({1, 4}, -1, 1, 2));
                }),
                ([](const inputs& x) {
                  return ops::where(bools({1, 0, 1}, {3, 1}), x[0], x[1]);
                }));
KERAS_GRAD_CASE(where_scalar_branch, "where", ([] {
                  return two(uniform({2, 3}), uniform({}, -1, 1, 2));
                }),
                ([](const inputs& x) {
                  return ops::where(bools({1, 0, 0, 1, 1, 0}, {2, 3}), x[0], x[1]);
                }));
// cast: float64 -> float32 -> float64 (a coarse step: float32 rounding)
KERAS_GRAD_CASE(cast_through_float32, "cast", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) { return ops::cast(ops::cast(x[0], DType::float32), DType::float64); }),
                (GradCheckOptions{.eps = 1e-3, .atol = 1e-4, .rtol = 1e-3}));

}  // namespace
}  // namespace keras::testing
