// Reductions and softmax: values against NumPy (tests/fixtures/reduce.npz,
// made by gen_reduce_fixtures.py), hand-worked cases, every kernel path
// against a brute-force reference, Keras' dtype rules, determinism across
// thread counts, errors, symbolic shapes, and gradient cases.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("reduce.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("reduce.npz has no array " + key);
  return it->second;
}

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

// The axis arguments of the fixture file, by key code.
const std::vector<std::pair<std::string, Axes>>& axes_cases() {
  static const std::vector<std::pair<std::string, Axes>> cases = {
      {"none", Axes{}},    {"a0", Axes(0)},         {"a1", Axes(1)},         {"an1", Axes(-1)},
      {"a02", Axes{0, 2}}, {"an1n2", Axes{-1, -2}}, {"a012", Axes{0, 1, 2}},
  };
  return cases;
}
const std::vector<std::pair<std::string, std::optional<int64_t>>>& one_axis_cases() {
  static const std::vector<std::pair<std::string, std::optional<int64_t>>> cases = {
      {"none", std::nullopt}, {"a0", 0}, {"a1", 1}, {"an1", -1}};
  return cases;
}

using ReduceFn = Tensor (*)(const Tensor&, Axes, bool);
const std::vector<std::pair<std::string, ReduceFn>>& float_ops() {
  static const std::vector<std::pair<std::string, ReduceFn>> fns = {
      {"sum", ops::sum},   {"mean", ops::mean}, {"max", ops::max}, {"min", ops::min},
      {"prod", ops::prod}, {"var", ops::var},   {"std", ops::std}, {"logsumexp", ops::logsumexp},
  };
  return fns;
}

// ---- NumPy fixtures ------------------------------------------------------------------------
TEST(Reduce, FloatOpsMatchNumpy) {
  const Tensor x = fx("x");
  ASSERT_EQ(x.dtype(), DType::float32);
  for (const auto& [name, fn] : float_ops()) {
    for (const auto& [code, axes] : axes_cases()) {
      for (bool kd : {false, true}) {
        const std::string key = name + "_" + code + "_k" + (kd ? "1" : "0");
        SCOPED_TRACE(key);
        Tensor y = fn(x, axes, kd);
        EXPECT_EQ(y.dtype(), DType::float32);
        EXPECT_TRUE(all_close(f64(y), fx(key), 2e-6, 1e-6));
      }
    }
  }
}

TEST(Reduce, NonContiguousInputMatchesNumpy) {
  const Tensor xt = ops::transpose(fx("x"), std::vector<int64_t>{2, 1, 0});
  ASSERT_FALSE(xt.is_contiguous());
  for (const auto& [name, fn] : float_ops()) {
    for (const auto& [code, axes] : axes_cases()) {
      for (bool kd : {false, true}) {
        const std::string key = "T_" + name + "_" + code + "_k" + (kd ? "1" : "0");
        SCOPED_TRACE(key);
        EXPECT_TRUE(all_close(f64(fn(xt, axes, kd)), fx(key), 2e-6, 1e-6));
      }
    }
  }
}

TEST(Reduce, IntegerOpsMatchNumpy) {
  const Tensor xi = fx("xi");
  ASSERT_EQ(xi.dtype(), DType::int32);
  const std::vector<std::pair<std::string, ReduceFn>> fns = {
      {"sum", ops::sum},   {"max", ops::max}, {"min", ops::min},
      {"prod", ops::prod}, {"any", ops::any}, {"all", ops::all},
  };
  for (const auto& [name, fn] : fns) {
    for (const auto& [code, axes] : axes_cases()) {
      for (bool kd : {false, true}) {
        const std::string key = "i_" + name + "_" + code + "_k" + (kd ? "1" : "0");
        SCOPED_TRACE(key);
        Tensor y = fn(xi, axes, kd);
        Tensor want = fx(key);
        ASSERT_EQ(y.shape(), want.shape());
        if (name == "any" || name == "all") {
          EXPECT_EQ(y.dtype(), DType::bool_);
          EXPECT_EQ(y.to_vector<bool>(), want.to_vector<bool>());
        } else {
          EXPECT_EQ(y.dtype(), DType::int32);
          // int32 results wrap as jnp does; NumPy computed in int64.
          std::vector<int32_t> w;
          for (int64_t v : want.to_vector<int64_t>()) w.push_back(static_cast<int32_t>(v));
          EXPECT_EQ(y.to_vector<int32_t>(), w);
        }
      }
    }
  }
}

TEST(Reduce, ArgmaxArgminMatchNumpy) {
  for (const char* prefix : {"", "i_"}) {
    const Tensor x = fx(std::string(prefix).empty() ? "x" : "xi");
    for (const auto& [code, axis] : one_axis_cases()) {
      for (bool kd : {false, true}) {
        for (const std::string name : {"argmax", "argmin"}) {
          const std::string key = prefix + name + "_" + code + "_k" + (kd ? "1" : "0");
          SCOPED_TRACE(key);
          Tensor y = name == "argmax" ? ops::argmax(x, axis, kd) : ops::argmin(x, axis, kd);
          Tensor want = fx(key);
          EXPECT_EQ(y.dtype(), DType::int32);
          ASSERT_EQ(y.shape(), want.shape());
          EXPECT_EQ(y.to_vector<int32_t>(), want.to_vector<int32_t>());
        }
      }
    }
  }
}

TEST(Softmax, MatchesNumpyAlongEveryAxis) {
  const Tensor x = fx("x");
  for (const auto& [code, axis] : std::vector<std::pair<std::string, int64_t>>{{"a0", 0}, {"a1", 1}, {"an1", -1}}) {
    SCOPED_TRACE(code);
    Tensor s = ops::softmax(x, axis);
    EXPECT_EQ(s.dtype(), DType::float32);
    EXPECT_TRUE(all_close(f64(s), fx("softmax_" + code), 1e-6, 1e-7));
    EXPECT_TRUE(all_close(f64(ops::log_softmax(x, axis)), fx("log_softmax_" + code), 1e-6, 1e-6));
    // Each slice along the axis sums to one.
    Tensor total = ops::sum(f64(s), axis);
    EXPECT_TRUE(all_close(total, ops::ones_like(total), 0, 1e-6));
  }
  // A view goes through the same kernel after the dispatcher's copy.
  Tensor xt = ops::transpose(x, std::vector<int64_t>{2, 1, 0});
  EXPECT_TRUE(all_close(f64(ops::softmax(xt, 2)),
                        f64(ops::transpose(ops::softmax(x, 0), std::vector<int64_t>{2, 1, 0})), 1e-6, 1e-7));
}

// ---- hand-worked cases ------------------------------------------------------------------------
TEST(Reduce, HandWorked) {
  Tensor a({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_EQ(ops::sum(a).item<float>(), 10.f);
  EXPECT_EQ(ops::sum(a, 0).to_vector<float>(), (std::vector<float>{4, 6}));
  Tensor rows = ops::sum(a, 1, /*keepdims=*/true);
  EXPECT_EQ(rows.shape(), Shape({2, 1}));
  EXPECT_EQ(rows.to_vector<float>(), (std::vector<float>{3, 7}));
  EXPECT_EQ(ops::prod(a, -1).to_vector<float>(), (std::vector<float>{2, 12}));
  EXPECT_EQ(ops::max(a, 0).to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(ops::min(a, 1).to_vector<float>(), (std::vector<float>{1, 3}));
  EXPECT_EQ(ops::mean(a).item<float>(), 2.5f);
  EXPECT_FLOAT_EQ(ops::var(Tensor({1.f, 2.f, 3.f, 4.f})).item<float>(), 1.25f);
  EXPECT_FLOAT_EQ(ops::std(Tensor({1.f, 2.f, 3.f, 4.f})).item<float>(), std::sqrt(1.25f));
  Tensor ones = ops::sum(a, Axes{0, 1}, /*keepdims=*/true);
  EXPECT_EQ(ones.shape(), Shape({1, 1}));
  // Reducing over no axes keeps every element.
  EXPECT_EQ(ops::sum(a, Axes(std::vector<int64_t>{})).to_vector<float>(), a.to_vector<float>());
  // A 0-d tensor reduces to itself.
  EXPECT_EQ(ops::max(Tensor::scalar(5.f)).item<float>(), 5.f);
}

TEST(Reduce, ArgmaxTakesTheFirstOccurrenceAndNaN) {
  EXPECT_EQ(ops::argmax(Tensor({1.f, 3.f, 3.f})).item<int32_t>(), 1);
  EXPECT_EQ(ops::argmin(Tensor({2.f, 0.f, 0.f, 5.f})).item<int32_t>(), 1);
  const float nan = std::nanf("");
  EXPECT_EQ(ops::argmax(Tensor({1.f, nan, 5.f, nan})).item<int32_t>(), 1);
  EXPECT_EQ(ops::argmin(Tensor({1.f, -2.f, nan})).item<int32_t>(), 2);
  Tensor m({{1.f, 9.f, 9.f}, {7.f, 2.f, 7.f}});
  EXPECT_EQ(ops::argmax(m, 1).to_vector<int32_t>(), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(ops::argmax(m).item<int32_t>(), 1);
  Tensor k = ops::argmax(m, std::nullopt, /*keepdims=*/true);
  EXPECT_EQ(k.shape(), Shape({1, 1}));
  EXPECT_EQ(ops::argmax(m, 0, /*keepdims=*/true).shape(), Shape({1, 3}));
  // A long row is scanned in parallel blocks; ties still go to the first.
  std::vector<float> v(100000, 1.f);
  v[70000] = 2.f;
  v[90000] = 2.f;
  EXPECT_EQ(ops::argmax(Tensor(v)).item<int32_t>(), 70000);
  v[80000] = nan;
  EXPECT_EQ(ops::argmax(Tensor(v)).item<int32_t>(), 80000);
}

TEST(Reduce, NaNPropagatesThroughMaxAndMin) {
  const float nan = std::nanf("");
  EXPECT_TRUE(std::isnan(ops::max(Tensor({1.f, nan, 3.f})).item<float>()));
  EXPECT_TRUE(std::isnan(ops::min(Tensor({nan, 1.f, 3.f})).item<float>()));
  std::vector<float> v(50000, 0.f);
  v[49999] = nan;
  EXPECT_TRUE(std::isnan(ops::max(Tensor(v)).item<float>()));
}

TEST(Reduce, AnyAndAllAcceptEveryDtype) {
  Tensor f({0.f, 0.f, 2.f});
  EXPECT_TRUE(ops::any(f).item<bool>());
  EXPECT_FALSE(ops::all(f).item<bool>());
  EXPECT_EQ(ops::any(f).dtype(), DType::bool_);
  EXPECT_TRUE(ops::any(Tensor({0.f, std::nanf("")})).item<bool>());  // NaN != 0
  Tensor i(std::vector<int64_t>{1, 0, 3, 4}, Shape{2, 2});
  EXPECT_EQ(ops::all(i, 1).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(ops::any(ops::cast(i, DType::bool_), 0).to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_TRUE(ops::all(ops::cast(Tensor({1.f, 2.f}), DType::float16)).item<bool>());
}

TEST(Reduce, EmptyReductions) {
  Tensor e = ops::zeros({0, 3});
  EXPECT_EQ(ops::sum(e).item<float>(), 0.f);
  EXPECT_EQ(ops::sum(e, 0).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(ops::prod(e, 0).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_TRUE(ops::all(e).item<bool>());
  EXPECT_FALSE(ops::any(e).item<bool>());
  EXPECT_TRUE(std::isnan(ops::mean(e).item<float>()));
  EXPECT_EQ(ops::logsumexp(e, 0).to_vector<float>(), (std::vector<float>(3, -std::numeric_limits<float>::infinity())));
  // Reducing a non-empty axis of an empty tensor is fine: the result is empty.
  EXPECT_EQ(ops::max(e, 1).shape(), Shape({0}));
  expect_error<ValueError>([&] { ops::max(e); },
                           "max: zero-size array to reduction operation maximum which has no identity");
  expect_error<ValueError>([&] { ops::min(e, 0); }, "min: zero-size array to reduction operation minimum");
  expect_error<ValueError>([&] { ops::argmax(e); }, "argmax: attempt to get argmax of an empty sequence");
  expect_error<ValueError>([&] { ops::argmin(e, 0); }, "argmin: attempt to get argmin of an empty sequence");
}

TEST(Reduce, LogsumexpOfLargeValuesDoesNotOverflow) {
  Tensor big({1000.f, 1000.f});
  EXPECT_FLOAT_EQ(ops::logsumexp(big).item<float>(), 1000.f + std::log(2.f));
  Tensor m({{1000.f, 1000.f}, {-1000.f, -1000.f}});
  Tensor r = ops::logsumexp(m, 1, /*keepdims=*/true);
  EXPECT_EQ(r.shape(), Shape({2, 1}));
  EXPECT_TRUE(all_close(f64(r), Tensor(std::vector<double>{1000 + std::log(2.0), -1000 + std::log(2.0)}, Shape{2, 1}),
                        1e-6, 0));
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(ops::logsumexp(Tensor({-inf, -inf})).item<float>(), -inf);
  EXPECT_EQ(ops::logsumexp(Tensor({1.f, inf})).item<float>(), inf);
  EXPECT_EQ(ops::logsumexp(ops::cast(Tensor({0.f, 0.f}), DType::int32)).dtype(), DType::float32);
}

TEST(Softmax, LargeAndNegativeInputsAreStable) {
  EXPECT_EQ(ops::softmax(Tensor({1000.f, 1000.f})).to_vector<float>(), (std::vector<float>{0.5f, 0.5f}));
  Tensor ls = ops::log_softmax(Tensor({1000.f, 0.f}));
  EXPECT_EQ(ls.to_vector<float>()[0], 0.f);
  EXPECT_FLOAT_EQ(ls.to_vector<float>()[1], -1000.f);
  Tensor s = ops::softmax(Tensor({{-1e4f, 3.f}, {3.f, 3.f}}), 0);
  EXPECT_TRUE(all_close(f64(s), Tensor(std::vector<double>{0, 0.5, 1, 0.5}, Shape{2, 2}), 0, 1e-7));
  // float16 and bfloat16 compute in float32 and keep their dtype.
  Tensor h = ops::softmax(ops::cast(Tensor({1.f, 2.f, 3.f}), DType::float16));
  EXPECT_EQ(h.dtype(), DType::float16);
  EXPECT_TRUE(all_close(f64(h), f64(ops::softmax(Tensor({1.f, 2.f, 3.f}))), 1e-3, 1e-3));
  Tensor b = ops::log_softmax(ops::cast(Tensor({1.f, 2.f, 3.f}), DType::bfloat16));
  EXPECT_EQ(b.dtype(), DType::bfloat16);
  EXPECT_TRUE(all_close(f64(b), f64(ops::log_softmax(Tensor({1.f, 2.f, 3.f}))), 1e-2, 1e-2));
}

// ---- dtypes -------------------------------------------------------------------------------------
TEST(Reduce, KerasDtypeRules) {
  Tensor i32 = ops::cast(Tensor({1.f, 2.f}), DType::int32);
  Tensor u8(std::vector<uint8_t>{200, 100});
  Tensor b = ops::cast(Tensor({1.f, 0.f, 1.f}), DType::bool_);
  Tensor i64(std::vector<int64_t>{1, 2});
  Tensor h = ops::cast(Tensor({1.f, 2.f}), DType::float16);
  Tensor d(std::vector<double>{1, 2});
  EXPECT_EQ(ops::sum(i32).dtype(), DType::int32);
  EXPECT_EQ(ops::sum(u8).dtype(), DType::int32);
  EXPECT_EQ(ops::sum(u8).item<int32_t>(), 300);  // accumulated wide, no uint8 wrap
  EXPECT_EQ(ops::sum(b).dtype(), DType::int32);
  EXPECT_EQ(ops::sum(b).item<int32_t>(), 2);
  EXPECT_EQ(ops::prod(b).dtype(), DType::int32);
  EXPECT_EQ(ops::sum(i64).dtype(), DType::int64);
  EXPECT_EQ(ops::sum(h).dtype(), DType::float16);
  EXPECT_EQ(ops::sum(h).item<float>(), 3.f);
  EXPECT_EQ(ops::sum(d).dtype(), DType::float64);
  EXPECT_EQ(ops::max(u8).dtype(), DType::uint8);
  EXPECT_EQ(ops::max(u8).item<int32_t>(), 200);
  EXPECT_EQ(ops::max(b).dtype(), DType::bool_);
  EXPECT_EQ(ops::min(h).dtype(), DType::float16);
  EXPECT_EQ(ops::mean(i32).dtype(), DType::float32);
  EXPECT_EQ(ops::mean(i32).item<float>(), 1.5f);
  EXPECT_EQ(ops::mean(i64).dtype(), DType::float32);
  EXPECT_EQ(ops::mean(b).dtype(), DType::float32);
  EXPECT_EQ(ops::mean(h).dtype(), DType::float16);
  EXPECT_EQ(ops::mean(d).dtype(), DType::float64);
  EXPECT_EQ(ops::var(i32).dtype(), DType::float32);
  EXPECT_EQ(ops::var(i32).item<float>(), 0.25f);
  EXPECT_EQ(ops::std(h).dtype(), DType::float16);
  EXPECT_EQ(ops::var(h).item<float>(), 0.25f);
  EXPECT_EQ(ops::logsumexp(h).dtype(), DType::float16);
  EXPECT_NEAR(ops::logsumexp(h).item<float>(), 2.f + std::log1p(std::exp(-1.f)), 2e-3);
  EXPECT_EQ(ops::logsumexp(ops::cast(h, DType::bfloat16)).dtype(), DType::bfloat16);
  EXPECT_EQ(ops::argmax(h).dtype(), DType::int32);
  EXPECT_EQ(ops::argmin(b).item<int32_t>(), 1);
  // Sums of float16 accumulate wide: 4096 * 1 would stall at 2048 in float16.
  EXPECT_EQ(ops::sum(ops::ones({4096}, DType::float16)).item<float>(), 4096.f);
}

// ---- kernel paths against a brute-force reference --------------------------------------------
std::vector<double> reference(const std::vector<double>& v, const Shape& s, const std::vector<int>& axes,
                              const std::string& op) {
  Shape out_shape;
  for (int i = 0; i < s.rank(); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) out_shape.push_back(s[i]);
  std::vector<double> out(static_cast<size_t>(out_shape.numel()), op == "sum" ? 0.0 : -kInf);
  std::vector<int64_t> idx(static_cast<size_t>(s.rank()), 0);
  for (size_t k = 0; k < v.size(); ++k) {
    int64_t o = 0;
    for (int i = 0; i < s.rank(); ++i)
      if (std::find(axes.begin(), axes.end(), i) == axes.end()) o = o * s[i] + idx[static_cast<size_t>(i)];
    out[static_cast<size_t>(o)] =
        op == "sum" ? out[static_cast<size_t>(o)] + v[k] : std::max(out[static_cast<size_t>(o)], v[k]);
    for (int i = s.rank() - 1; i >= 0; --i) {
      if (++idx[static_cast<size_t>(i)] < s[i]) break;
      idx[static_cast<size_t>(i)] = 0;
    }
  }
  return out;
}

TEST(ReduceKernel, EveryPathMatchesABruteForceReference) {
  struct Case {
    Shape shape;
    std::vector<int> axes;
  };
  const std::vector<Case> cases = {
      {{2000, 5}, {0}},           // column path, several row blocks
      {{100, 1500}, {0}},         // column path, several blocks and inner chunks, parallel
      {{3, 20000}, {1}},          // row path, several blocks per row
      {{7, 5000, 3}, {1}},        // outer x reduced x inner
      {{4, 5, 6}, {0, 2}},        // reduced axes not adjacent: the gather path
      {{6, 1, 7, 1}, {0, 2}},     // adjacent once the size-1 dims are dropped
      {{64, 64, 16}, {0, 1, 2}},  // everything
      {{300, 200}, {}},           // nothing reduced
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.shape.str());
    Tensor x = uniform(c.shape, 0.0, 1.0, 3, DType::float32);
    const std::vector<double> v = f64(x).to_vector<double>();
    const Axes axes(std::vector<int64_t>(c.axes.begin(), c.axes.end()));
    const auto want_sum = reference(v, c.shape, c.axes, "sum");
    const auto want_max = reference(v, c.shape, c.axes, "max");
    auto got_sum = f64(ops::sum(x, axes)).to_vector<double>();
    auto got_max = f64(ops::max(x, axes)).to_vector<double>();
    ASSERT_EQ(got_sum.size(), want_sum.size());
    for (size_t i = 0; i < want_sum.size(); ++i) {
      ASSERT_NEAR(got_sum[i], want_sum[i], 1e-6 * std::abs(want_sum[i]) + 1e-6) << i;
      ASSERT_EQ(got_max[i], static_cast<double>(static_cast<float>(want_max[i]))) << i;
    }
  }
}

TEST(ReduceKernel, ArgmaxAndSoftmaxColumnPaths) {
  // argmax / softmax over a non-last axis of a tensor wider than one chunk.
  Tensor x = uniform({5, 40, 300}, -3.0, 3.0, 9, DType::float32);
  const auto v = f64(x).to_vector<double>();
  auto am = ops::argmax(x, 1).to_vector<int32_t>();
  auto sm = f64(ops::softmax(x, 1)).to_vector<double>();
  auto lsm = f64(ops::log_softmax(x, 1)).to_vector<double>();
  for (int64_t o = 0; o < 5; ++o) {
    for (int64_t j = 0; j < 300; ++j) {
      int64_t best = 0;
      double m = -kInf, s = 0;
      for (int64_t r = 0; r < 40; ++r) {
        const double e = v[static_cast<size_t>((o * 40 + r) * 300 + j)];
        if (e > m) {
          m = e;
          best = r;
        }
      }
      for (int64_t r = 0; r < 40; ++r) s += std::exp(v[static_cast<size_t>((o * 40 + r) * 300 + j)] - m);
      ASSERT_EQ(am[static_cast<size_t>(o * 300 + j)], best);
      for (int64_t r = 0; r < 40; ++r) {
        const size_t k = static_cast<size_t>((o * 40 + r) * 300 + j);
        ASSERT_NEAR(sm[k], std::exp(v[k] - m) / s, 1e-6);
        ASSERT_NEAR(lsm[k], v[k] - m - std::log(s), 1e-5);
      }
    }
  }
}

// ---- determinism and accuracy ---------------------------------------------------------------------
uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(ReduceDeterminism, BitIdenticalForAnyThreadCount) {
  const int64_t n = int64_t{1} << 22;
  std::vector<float> v(static_cast<size_t>(n));
  uint64_t s = 42;
  for (auto& e : v) {  // mixed signs and magnitudes, so the order of adds matters
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    e = static_cast<float>(static_cast<int64_t>(s >> 40) - (int64_t{1} << 23)) * 1e-3f;
  }
  Tensor flat(v, Shape{n});
  Tensor square(v, Shape{2048, 2048});
  const int saved = omp_get_max_threads();
  std::vector<std::vector<uint32_t>> runs;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<uint32_t> r = {bits(ops::sum(flat).item<float>()), bits(ops::mean(flat).item<float>())};
    for (float c : ops::sum(square, 0).to_vector<float>()) r.push_back(bits(c));
    for (float c : ops::logsumexp(square, 1).to_vector<float>()) r.push_back(bits(c));
    runs.push_back(std::move(r));
  }
  omp_set_num_threads(saved);
  EXPECT_TRUE(runs[0] == runs[1]) << "1 vs 2 threads differ";
  EXPECT_TRUE(runs[0] == runs[2]) << "1 vs 3 threads differ";
}

TEST(ReduceAccuracy, Float32SumOfAMillionTenths) {
  Tensor x = ops::full({1000000}, 0.1);
  ASSERT_EQ(x.dtype(), DType::float32);
  EXPECT_NEAR(ops::sum(x).item<float>(), 1e5, 1e5 * 1e-6);
  EXPECT_NEAR(ops::mean(x).item<float>(), 0.1, 0.1 * 1e-6);
  // Column sums take the other path: 1e6 rows of one column.
  EXPECT_NEAR(ops::sum(ops::full({1000000, 2}, 0.1), 0).to_vector<float>()[1], 1e5, 1e5 * 1e-6);
}

// ---- errors -------------------------------------------------------------------------------------------
TEST(ReduceErrors, AxisOutOfRangeRepeatedAndBadDtype) {
  Tensor x = ops::ones({2, 3});
  expect_error<ValueError>([&] { ops::sum(x, 2); }, "sum: axis 2 is out of bounds for a tensor of rank 2");
  expect_error<ValueError>([&] { ops::mean(x, -3); }, "mean: axis -3 is out of bounds for a tensor of rank 2");
  expect_error<ValueError>([&] { ops::max(x, Axes{0, 5}); }, "max: axis 5 is out of bounds for a tensor of rank 2");
  expect_error<ValueError>([&] { ops::argmax(x, 2); }, "argmax: axis 2 is out of bounds for a tensor of rank 2");
  expect_error<ValueError>([&] { ops::softmax(x, -3); }, "softmax: axis -3 is out of bounds for a tensor of rank 2");
  expect_error<ValueError>([&] { ops::sum(x, Axes{0, -2}); }, "sum: axis -2 is repeated");
  expect_error<ValueError>([&] { ops::var(x, Axes{1, 1}); }, "var: axis 1 is repeated");
  Tensor xi = ops::cast(x, DType::int32);
  expect_error<TypeError>([&] { ops::softmax(xi); }, "softmax expects a floating-point tensor, got dtype int32");
  expect_error<TypeError>([&] { ops::log_softmax(xi, 0); },
                          "log_softmax expects a floating-point tensor, got dtype int32");
  expect_error<ValueError>([&] { ops::sum(Tensor()); }, "sum: input 0 is an undefined tensor");
}

// ---- symbolic tensors -------------------------------------------------------------------------------------
TEST(ReduceSymbolic, InferAcceptsUnknownDims) {
  Tensor p = graph::placeholder({-1, 10});
  EXPECT_EQ(ops::sum(p, 1).shape(), Shape({-1}));
  EXPECT_EQ(ops::sum(p, 0).shape(), Shape({10}));
  EXPECT_EQ(ops::sum(p, 0, true).shape(), Shape({1, 10}));
  EXPECT_EQ(ops::max(p, 0).shape(), Shape({10}));
  EXPECT_EQ(ops::any(p).shape(), Shape({}));
  EXPECT_EQ(ops::argmax(p, -1).shape(), Shape({-1}));
  EXPECT_EQ(ops::argmax(p, std::nullopt, true).shape(), Shape({1, 1}));
  EXPECT_EQ(ops::softmax(p).shape(), Shape({-1, 10}));
  EXPECT_EQ(ops::log_softmax(p, 0).shape(), Shape({-1, 10}));
  EXPECT_EQ(ops::logsumexp(p, -1).shape(), Shape({-1}));
  EXPECT_EQ(ops::var(p, 0).shape(), Shape({10}));
  EXPECT_EQ(ops::sum(graph::placeholder({-1, 10}, DType::bool_)).dtype(), DType::int32);
  // mean over an unknown dim counts the elements at run time.
  Tensor m = ops::mean(p, 0);
  Tensor v = ops::std(p, 0);
  Tensor batch = uniform({4, 10}, -1, 1, 5, DType::float32);
  auto out = graph::evaluate({m, v}, {{p, batch}});
  EXPECT_TRUE(all_close(out[0], ops::mean(batch, 0), 1e-6, 1e-7));
  EXPECT_TRUE(all_close(out[1], ops::std(batch, 0), 1e-6, 1e-7));
}

// ---- gradients ----------------------------------------------------------------------------------------------
TEST(ReduceGrad, MaxTiesShareTheGradientEqually) {
  Tensor x(std::vector<double>{3, 1, 3}, Shape{3});
  GradientTape tape;
  tape.watch(x);
  Tensor g = tape.gradient(ops::max(x), {x})[0];
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{0.5, 0, 0.5}));
}

TEST(ReduceGrad, ProdHandlesZeros) {
  Tensor x(std::vector<double>{2, 0, 3, 0, 0, 3, 2, 4, 5}, Shape{3, 3});
  GradientTape tape;
  tape.watch(x);
  Tensor g = tape.gradient(ops::prod(x, 1), {x})[0];
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{0, 6, 0, 0, 0, 0, 20, 10, 8}));
}

inputs one(const Tensor& t) { return inputs{t}; }
// clang-format off
const GradCheckOptions kDefault{};

// sum
KERAS_GRAD_CASE(reduce_sum_all, "sum", ([] { return one(uniform({3, 4})); }),
                ([](const inputs& x) { return ops::sum(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(reduce_sum_axis0, "sum", ([] { return one(uniform({3, 4})); }),
                ([](const inputs& x) { return ops::sum(x[0], 0); }));
KERAS_GRAD_CASE(reduce_sum_neg_keepdims, "sum", ([] { return one(uniform({2, 3, 4})); }),
                ([](const inputs& x) { return ops::sum(x[0], -1, true); }), kDefault, true);
KERAS_GRAD_CASE(reduce_sum_two_axes, "sum", ([] { return one(uniform({2, 3, 4})); }),
                ([](const inputs& x) { return ops::sum(x[0], Axes{0, -1}); }));
KERAS_GRAD_CASE(reduce_sum_noncontiguous, "sum", ([] { return one(noncontiguous({3, 4, 2})); }),
                ([](const inputs& x) { return ops::sum(x[0], Axes{1, 2}, true); }));
// prod (it is linear in each element, so central differences are exact even at zeros)
KERAS_GRAD_CASE(reduce_prod_last, "prod", ([] { return one(uniform({3, 4}, 0.5, 1.5)); }),
                ([](const inputs& x) { return ops::prod(x[0], -1); }));
KERAS_GRAD_CASE(reduce_prod_all_keepdims, "prod", ([] { return one(uniform({2, 3}, -1.5, -0.5)); }),
                ([](const inputs& x) { return ops::prod(x[0], Axes{}, true); }));
KERAS_GRAD_CASE(reduce_prod_zeros, "prod",
                ([] { return one(Tensor(std::vector<double>{2, 0, 3, 0, 0, 3, 2, 4, 5}, Shape{3, 3})); }),
                ([](const inputs& x) { return ops::prod(x[0], 1); }));
KERAS_GRAD_CASE(reduce_prod_noncontiguous, "prod", ([] { return one(noncontiguous({3, 4}, 0.5, 1.5)); }),
                ([](const inputs& x) { return ops::prod(x[0], 0); }));
// max / min (distinct values: the derivative is defined)
KERAS_GRAD_CASE(reduce_max_axis1, "max", ([] { return one(uniform({3, 5})); }),
                ([](const inputs& x) { return ops::max(x[0], 1); }));
KERAS_GRAD_CASE(reduce_max_all_keepdims, "max", ([] { return one(uniform({2, 3, 4})); }),
                ([](const inputs& x) { return ops::max(x[0], Axes{}, true); }));
KERAS_GRAD_CASE(reduce_max_two_axes, "max", ([] { return one(uniform({2, 3, 4})); }),
                ([](const inputs& x) { return ops::max(x[0], Axes{0, 2}); }));
KERAS_GRAD_CASE(reduce_max_noncontiguous, "max", ([] { return one(noncontiguous({4, 3})); }),
                ([](const inputs& x) { return ops::max(x[0], -2); }));
KERAS_GRAD_CASE(reduce_min_axis0, "min", ([] { return one(uniform({4, 3})); }),
                ([](const inputs& x) { return ops::min(x[0], 0); }));
KERAS_GRAD_CASE(reduce_min_neg_keepdims, "min", ([] { return one(uniform({2, 3, 4})); }),
                ([](const inputs& x) { return ops::min(x[0], Axes{-1, -3}, true); }));
KERAS_GRAD_CASE(reduce_min_noncontiguous, "min", ([] { return one(noncontiguous({3, 4})); }),
                ([](const inputs& x) { return ops::min(x[0]); }));
// softmax / log_softmax
KERAS_GRAD_CASE(softmax_last, "softmax", ([] { return one(uniform({3, 5}, -2, 2)); }),
                ([](const inputs& x) { return ops::softmax(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(softmax_axis0, "softmax", ([] { return one(uniform({4, 3}, -2, 2)); }),
                ([](const inputs& x) { return ops::softmax(x[0], 0); }), kDefault, true);
KERAS_GRAD_CASE(softmax_middle_noncontiguous, "softmax", ([] { return one(noncontiguous({2, 3, 4}, -2, 2)); }),
                ([](const inputs& x) { return ops::softmax(x[0], -2); }));
KERAS_GRAD_CASE(log_softmax_last, "log_softmax", ([] { return one(uniform({3, 5}, -2, 2)); }),
                ([](const inputs& x) { return ops::log_softmax(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(log_softmax_axis1, "log_softmax", ([] { return one(uniform({2, 4, 3}, -2, 2)); }),
                ([](const inputs& x) { return ops::log_softmax(x[0], 1); }), kDefault, true);
// composites: they differentiate through the primitives above
KERAS_GRAD_CASE(reduce_mean_all, "mean", ([] { return one(uniform({3, 4})); }),
                ([](const inputs& x) { return ops::mean(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(reduce_mean_axes_keepdims, "mean", ([] { return one(uniform({2, 3, 4})); }),
                ([](const inputs& x) { return ops::mean(x[0], Axes{0, -1}, true); }), kDefault, true);
KERAS_GRAD_CASE(reduce_var_axis0, "var", ([] { return one(uniform({4, 3})); }),
                ([](const inputs& x) { return ops::var(x[0], 0); }));
KERAS_GRAD_CASE(reduce_std_last, "std", ([] { return one(uniform({3, 4})); }),
                ([](const inputs& x) { return ops::std(x[0], -1, true); }));
KERAS_GRAD_CASE(logsumexp_all, "logsumexp", ([] { return one(uniform({3, 4}, -2, 2)); }),
                ([](const inputs& x) { return ops::logsumexp(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(logsumexp_axis1_keepdims, "logsumexp", ([] { return one(uniform({2, 3, 4}, -2, 2)); }),
                ([](const inputs& x) { return ops::logsumexp(x[0], 1, true); }), kDefault, true);
KERAS_GRAD_CASE(logsumexp_large, "logsumexp", ([] { return one(uniform({2, 3}, 995, 1005)); }),
                ([](const inputs& x) { return ops::logsumexp(x[0], -1); }));

// clang-format on

}  // namespace
}  // namespace keras::testing
