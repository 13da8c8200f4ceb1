// keras::random: the Philox generator against Random123's known answers,
// seeding semantics (integer seeds, SeedGenerator, set_random_seed),
// thread-count independence, distribution statistics on 1e6 samples with
// stated tolerances, dropout, permutations, and argument errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/philox.hpp"
#include "harness/expect_error.hpp"
#include "keras/keras.hpp"

namespace keras::testing {
namespace {

using detail::PhiloxBlock;

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  return std::memcmp(a.raw_data(), b.raw_data(), static_cast<size_t>(a.size()) * dtype_size(a.dtype())) == 0;
}

struct Moments {
  double mean = 0, var = 0, min = 0, max = 0;
};
Moments moments(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Moments m;
  m.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size());
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  m.min = *lo;
  m.max = *hi;
  return m;
}

// A float32 tensor of ones built without keras::ops, for argument checks.
Tensor ones(const Shape& shape) { return Tensor(std::vector<float>(static_cast<size_t>(shape.numel()), 1.0f), shape); }

// Restores the OpenMP thread count when a test changes it.
class ThreadCount {
 public:
  ThreadCount() : saved_(omp_get_max_threads()) {}
  ~ThreadCount() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

constexpr int64_t kSamples = 1000000;

// ---- Philox -----------------------------------------------------------------------

// Random123's kat_vectors for philox4x32_10 (also used by TensorFlow's Philox tests).
TEST(Philox, KnownAnswers) {
  EXPECT_EQ(detail::philox4x32_10({0, 0, 0, 0}, {0, 0}), (PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(detail::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(detail::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  // The generator is constexpr; the first vector also holds at compile time.
  static_assert(detail::philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5);
}

TEST(Philox, BlockLayout) {
  // philox_block puts the element block in counter words 0-1 and the draw in 2-3.
  EXPECT_EQ(detail::philox_block(0xa4093822'299f31d0ull, 0x03707344'13198a2eull, 0x85a308d3'243f6a88ull),
            detail::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0x299f31d0, 0xa4093822}));
}

TEST(Philox, Splitmix64) {
  // The first outputs of Vigna's splitmix64 seeded with 0 and 1 are the finalizer of one and two golden-ratio steps.
  EXPECT_EQ(detail::splitmix64(0), 0xe220a8397b1dcdafull);
  EXPECT_EQ(detail::splitmix64(0x9e3779b97f4a7c15ull), 0x6e789e6aa1b965f4ull);
}

// ---- seeds ------------------------------------------------------------------------------

TEST(RandomSeed, IntegerSeedIsStateless) {
  const Tensor a = random::normal({257}, {.seed = 42});
  const Tensor b = random::normal({257}, {.seed = 42});
  const Tensor c = random::normal({257}, {.seed = 43});
  EXPECT_TRUE(same_bytes(a, b));
  EXPECT_FALSE(same_bytes(a, c));
  // uniform values differ between neighbouring seeds almost everywhere
  // (splitmix64 decorrelates the keys).
  const auto u = random::uniform({1000}, {.seed = 0}).to_vector<float>();
  const auto v = random::uniform({1000}, {.seed = 1}).to_vector<float>();
  int equal = 0;
  for (size_t i = 0; i < u.size(); ++i) equal += u[i] == v[i];
  EXPECT_LT(equal, 5);
}

TEST(RandomSeed, SeedGeneratorAdvancesAndReproduces) {
  random::SeedGenerator gen(1337);
  const Tensor a = random::uniform({64}, {.seed = gen});
  const Tensor b = random::uniform({64}, {.seed = gen});
  EXPECT_FALSE(same_bytes(a, b));
  EXPECT_EQ(gen.state(), 2u);
  EXPECT_EQ(gen.initial_seed(), 1337u);

  random::SeedGenerator again(1337);
  EXPECT_TRUE(same_bytes(random::uniform({64}, {.seed = again}), a));
  EXPECT_TRUE(same_bytes(random::uniform({64}, {.seed = again}), b));

  // Restoring the state (as a checkpoint does) resumes the stream.
  gen.set_state(1);
  EXPECT_TRUE(same_bytes(random::uniform({64}, {.seed = gen}), b));

  // Copies share the stream: a draw through a copy advances the original.
  random::SeedGenerator copy = gen;
  (void)random::uniform({1}, {.seed = copy});
  EXPECT_EQ(gen.state(), 3u);
}

TEST(RandomSeed, IntegerSeedIsTheFirstDrawOfAGenerator) {
  // Keras makes a fresh SeedGenerator(seed) for an integer seed.
  random::SeedGenerator gen(99);
  EXPECT_TRUE(same_bytes(random::normal({33}, {.seed = gen}), random::normal({33}, {.seed = 99})));
}

TEST(RandomSeed, SetRandomSeedMakesGlobalDrawsReproducible) {
  utils::set_random_seed(5);
  const Tensor a = random::normal({100});
  const Tensor b = random::normal({100});
  random::SeedGenerator unseeded;
  const Tensor c = random::uniform({100}, {.seed = unseeded});
  EXPECT_FALSE(same_bytes(a, b));

  utils::set_random_seed(5);
  EXPECT_TRUE(same_bytes(random::normal({100}), a));
  EXPECT_TRUE(same_bytes(random::normal({100}), b));
  random::SeedGenerator unseeded_again;
  EXPECT_EQ(unseeded_again.initial_seed(), unseeded.initial_seed());
  EXPECT_TRUE(same_bytes(random::uniform({100}, {.seed = unseeded_again}), c));

  utils::set_random_seed(6);
  EXPECT_FALSE(same_bytes(random::normal({100}), a));
}

// ---- determinism ---------------------------------------------------------------------------

TEST(RandomDeterminism, IndependentOfThreadCount) {
  ThreadCount restore;
  const Shape shape{1 << 20};
  auto draw_all = [&] {
    return std::vector<Tensor>{
        random::uniform(shape, {.seed = 3}),
        random::uniform(shape, {.dtype = DType::float64, .seed = 3}),
        random::normal(shape, {.seed = 3}),
        random::normal(shape, {.dtype = DType::float64, .seed = 3}),
        random::truncated_normal(shape, {.seed = 3}),
        random::truncated_normal(shape, {.dtype = DType::bfloat16, .seed = 3}),
        random::randint(shape, -7, 1000, DType::int32, 3),
        random::dropout_mask(shape, 0.3, 3),
    };
  };
  omp_set_num_threads(1);
  const std::vector<Tensor> one = draw_all();
  omp_set_num_threads(2);
  const std::vector<Tensor> two = draw_all();
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(same_bytes(one[i], two[i])) << "draw " << i;
}

TEST(RandomDeterminism, ElementDependsOnlyOnItsIndex) {
  // A short draw is a prefix of a long one with the same seed (and shape does not matter).
  const auto long_u = random::uniform({1 << 16}, {.seed = 11}).to_vector<float>();
  const auto short_u = random::uniform({3, 7}, {.seed = 11}).to_vector<float>();
  EXPECT_TRUE(std::equal(short_u.begin(), short_u.end(), long_u.begin()));
  const auto long_t = random::truncated_normal({1 << 16}, {.seed = 11}).to_vector<float>();
  const auto short_t = random::truncated_normal({1001}, {.seed = 11}).to_vector<float>();
  EXPECT_TRUE(std::equal(short_t.begin(), short_t.end(), long_t.begin()));
}

// ---- distributions ---------------------------------------------------------------------------

TEST(RandomUniform, Statistics) {
  for (DType dtype : {DType::float32, DType::float64}) {
    const Tensor u = random::uniform({kSamples}, {.dtype = dtype, .seed = 1});
    EXPECT_EQ(u.dtype(), dtype);
    const Moments m = moments(u);
    EXPECT_NEAR(m.mean, 0.5, 0.005);
    EXPECT_NEAR(m.var, 1.0 / 12.0, 0.002);
    EXPECT_GE(m.min, 0.0);
    EXPECT_LT(m.max, 1.0);
  }
  const Moments m = moments(random::uniform({kSamples}, {.minval = -3.0, .maxval = 5.0, .seed = 2}));
  EXPECT_NEAR(m.mean, 1.0, 0.04);
  EXPECT_NEAR(m.var, 64.0 / 12.0, 0.13);
  EXPECT_GE(m.min, -3.0);
  EXPECT_LT(m.max, 5.0);
}

TEST(RandomUniform, StaysBelowMaxvalAfterRounding) {
  // [1, 2) in float32 and bfloat16: values within half an ulp of 2 round to 2
  // unless the draw is pulled back inside the interval.
  for (DType dtype : {DType::float32, DType::bfloat16, DType::float16}) {
    const Moments m = moments(random::uniform({100000}, {.minval = 1.0, .maxval = 2.0, .dtype = dtype, .seed = 4}));
    EXPECT_GE(m.min, 1.0) << dtype;
    EXPECT_LT(m.max, 2.0) << dtype;
    EXPECT_NEAR(m.mean, 1.5, 0.01) << dtype;
  }
  // maxval not representable in float32: float(0.1) > 0.1 is still excluded.
  EXPECT_LT(moments(random::uniform({100000}, {.minval = 0.0, .maxval = 0.1, .seed = 4})).max, 0.1);
}

TEST(RandomNormal, Statistics) {
  for (DType dtype : {DType::float32, DType::float64}) {
    const Moments m = moments(random::normal({kSamples}, {.dtype = dtype, .seed = 7}));
    EXPECT_NEAR(m.mean, 0.0, 0.005) << dtype;
    EXPECT_NEAR(std::sqrt(m.var), 1.0, 0.005) << dtype;
  }
  const Moments m = moments(random::normal({kSamples}, {.mean = 3.0, .stddev = 2.0, .seed = 8}));
  EXPECT_NEAR(m.mean, 3.0, 0.01);
  EXPECT_NEAR(std::sqrt(m.var), 2.0, 0.01);
  // stddev 0 gives the mean exactly.
  EXPECT_EQ(moments(random::normal({10}, {.mean = 1.5, .stddev = 0.0, .seed = 1})).max, 1.5);
}

TEST(RandomNormal, HalfDtypes) {
  for (DType dtype : {DType::float16, DType::bfloat16}) {
    const Tensor t = random::normal({100000}, {.dtype = dtype, .seed = 9});
    EXPECT_EQ(t.dtype(), dtype);
    const Moments m = moments(t);
    EXPECT_NEAR(m.mean, 0.0, 0.02) << dtype;
    EXPECT_NEAR(std::sqrt(m.var), 1.0, 0.02) << dtype;
  }
}

TEST(RandomTruncatedNormal, Statistics) {
  // The standard normal truncated at +-2 has std sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.87962.
  const double truncated_std = 0.8796;
  for (DType dtype : {DType::float32, DType::float64}) {
    const Moments m = moments(random::truncated_normal({kSamples}, {.dtype = dtype, .seed = 12}));
    EXPECT_GE(m.min, -2.0);
    EXPECT_LE(m.max, 2.0);
    EXPECT_NEAR(m.mean, 0.0, 0.005) << dtype;
    EXPECT_NEAR(std::sqrt(m.var), truncated_std, 0.005) << dtype;
    // The redraws happened: without them 4.6% of values would lie beyond 2,
    // and with clamping instead the std would be 0.96; both are ruled out by
    // the bounds and the std check. The extremes are near the bounds.
    EXPECT_GT(m.max, 1.99);
    EXPECT_LT(m.min, -1.99);
  }
  const Moments m = moments(random::truncated_normal({kSamples}, {.mean = -1.0, .stddev = 0.5, .seed = 13}));
  EXPECT_GE(m.min, -2.0);
  EXPECT_LE(m.max, 0.0);
  EXPECT_NEAR(m.mean, -1.0, 0.005);
  EXPECT_NEAR(std::sqrt(m.var), 0.5 * truncated_std, 0.005);
}

TEST(RandomRandint, RangeAndCounts) {
  const Tensor t = random::randint({kSamples}, -5, 5, DType::int32, 21);
  EXPECT_EQ(t.dtype(), DType::int32);
  std::map<int32_t, int64_t> counts;
  for (int32_t v : t.to_vector<int32_t>()) ++counts[v];
  ASSERT_EQ(counts.size(), 10u);
  EXPECT_EQ(counts.begin()->first, -5);
  EXPECT_EQ(counts.rbegin()->first, 4);
  // Each count is binomial(1e6, 0.1): sd 300, so +-1500 is 5 sd.
  for (auto [value, n] : counts) EXPECT_NEAR(static_cast<double>(n), 100000.0, 1500.0) << value;

  const Tensor bytes = random::randint({kSamples}, 0, 256, DType::uint8, 22);
  std::vector<int64_t> byte_counts(256);
  for (uint8_t v : bytes.to_vector<uint8_t>()) ++byte_counts[v];
  // Binomial(1e6, 1/256): mean 3906, sd 62.4.
  for (int64_t n : byte_counts) EXPECT_NEAR(static_cast<double>(n), 3906.25, 320.0);

  // The full int64 range does not overflow, and both halves appear.
  const auto wide = random::randint({1000}, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                                    DType::int64, 23)
                        .to_vector<int64_t>();
  EXPECT_TRUE(std::any_of(wide.begin(), wide.end(), [](int64_t v) { return v < 0; }));
  EXPECT_TRUE(std::any_of(wide.begin(), wide.end(), [](int64_t v) { return v > 0; }));
  // A range of one value.
  const auto one = random::randint({50}, 7, 8, DType::int64, 24).to_vector<int64_t>();
  EXPECT_TRUE(std::all_of(one.begin(), one.end(), [](int64_t v) { return v == 7; }));
}

// ---- dropout ----------------------------------------------------------------------------------

TEST(RandomDropout, MaskKeepFraction) {
  for (double rate : {0.1, 0.3, 0.5, 0.9}) {
    const Tensor mask = random::dropout_mask({kSamples}, rate, 31);
    EXPECT_EQ(mask.dtype(), DType::bool_);
    const auto v = mask.to_vector<bool>();
    const double kept = static_cast<double>(std::count(v.begin(), v.end(), true)) / kSamples;
    // sd of the fraction is at most 0.0005.
    EXPECT_NEAR(kept, 1.0 - rate, 0.003) << rate;
  }
  const auto all = random::dropout_mask({1000}, 0.0, 1).to_vector<bool>();
  EXPECT_TRUE(std::all_of(all.begin(), all.end(), [](bool b) { return b; }));
  const auto none = random::dropout_mask({1000}, 1.0, 1).to_vector<bool>();
  EXPECT_TRUE(std::none_of(none.begin(), none.end(), [](bool b) { return b; }));
}

TEST(RandomDropout, ScalesKeptValues) {
  std::vector<float> xs(100000);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = 0.5f + static_cast<float>(i % 977) * 0.01f;
  const Tensor x(xs, Shape{100, 1000});
  const double rate = 0.25;
  const Tensor y = random::dropout(x, rate, std::nullopt, 41);
  EXPECT_EQ(y.shape(), x.shape());
  EXPECT_EQ(y.dtype(), DType::float32);
  const auto ys = y.to_vector<float>();
  const auto mask = random::dropout_mask({100, 1000}, rate, 41).to_vector<bool>();
  int64_t kept = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    // Kept values are exactly x / (1 - rate) (0.75 is exact in float32).
    ASSERT_EQ(ys[i], mask[i] ? xs[i] / 0.75f : 0.0f) << i;
    kept += mask[i];
  }
  EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(xs.size()), 0.75, 0.01);
  // rate 0 is the identity (the same tensor).
  EXPECT_EQ(random::dropout(x, 0.0).id(), x.id());
}

TEST(RandomDropout, NoiseShapeBroadcasts) {
  const Tensor x = ops::ones({64, 8});
  // One draw per row: each row is all zeros or all 2 (rate 0.5).
  const auto y = random::dropout(x, 0.5, Shape{64, 1}, 5).to_vector<float>();
  int rows_kept = 0;
  for (int r = 0; r < 64; ++r) {
    const float first = y[static_cast<size_t>(r) * 8];
    EXPECT_TRUE(first == 0.0f || first == 2.0f);
    for (int c = 1; c < 8; ++c) EXPECT_EQ(y[static_cast<size_t>(r) * 8 + c], first);
    rows_kept += first != 0.0f;
  }
  EXPECT_GT(rows_kept, 10);
  EXPECT_LT(rows_kept, 54);
  // -1 (Keras' None) takes the input's dimension: a per-column mask.
  const auto z = random::dropout(x, 0.5, Shape{1, -1}, 5).to_vector<float>();
  for (int r = 1; r < 64; ++r) {
    for (int c = 0; c < 8; ++c) EXPECT_EQ(z[static_cast<size_t>(r) * 8 + c], z[static_cast<size_t>(c)]);
  }
}

TEST(RandomDropout, Differentiates) {
  const Tensor x = ops::full({4, 5}, 3.0);
  GradientTape tape;
  tape.watch(x);
  const Tensor y = random::dropout(x, 0.5, std::nullopt, 17);
  const Tensor g = tape.gradient(ops::sum(y), x);
  const auto mask = random::dropout_mask({4, 5}, 0.5, 17).to_vector<bool>();
  const auto gs = g.to_vector<float>();
  for (size_t i = 0; i < gs.size(); ++i) EXPECT_EQ(gs[i], mask[i] ? 2.0f : 0.0f) << i;
}

// ---- permutations --------------------------------------------------------------------------------

TEST(RandomPermutation, IsAPermutation) {
  const Tensor p = random::permutation(1000, 3);
  EXPECT_EQ(p.dtype(), DType::int32);
  EXPECT_EQ(p.shape(), Shape{1000});
  auto v = p.to_vector<int32_t>();
  const auto original = v;
  std::sort(v.begin(), v.end());
  for (int32_t i = 0; i < 1000; ++i) ASSERT_EQ(v[static_cast<size_t>(i)], i);
  EXPECT_FALSE(std::is_sorted(original.begin(), original.end()));
  EXPECT_EQ(random::permutation(1000, 3).to_vector<int32_t>(), original);
  EXPECT_NE(random::permutation(1000, 4).to_vector<int32_t>(), original);
  EXPECT_EQ(random::permutation(0, 3).shape(), Shape{0});
  EXPECT_EQ(random::permutation(1, 3).to_vector<int32_t>(), std::vector<int32_t>{0});
}

TEST(RandomPermutation, AllOrdersEquallyLikely) {
  // The 6 orders of 3 elements over 6000 seeds: binomial(6000, 1/6), sd 28.9.
  std::map<std::vector<int32_t>, int> counts;
  for (int seed = 0; seed < 6000; ++seed) ++counts[random::permutation(3, seed).to_vector<int32_t>()];
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [order, n] : counts) EXPECT_NEAR(n, 1000, 145);
}

TEST(RandomShuffle, KeepsSlicesIntact) {
  // Row i is (i, 1000 + i, 2000 + i).
  std::vector<int32_t> rows;
  for (int32_t i = 0; i < 100; ++i) rows.insert(rows.end(), {i, 1000 + i, 2000 + i});
  const Tensor x(rows, Shape{100, 3});
  const auto y = random::shuffle(x, 0, 8).to_vector<int32_t>();
  const auto perm = random::permutation(100, 8).to_vector<int32_t>();
  for (size_t r = 0; r < 100; ++r) {
    const int32_t src = perm[r];
    EXPECT_EQ(y[3 * r], src);
    EXPECT_EQ(y[3 * r + 1], 1000 + src);
    EXPECT_EQ(y[3 * r + 2], 2000 + src);
  }

  // Along axis -1 of (2, 50, 2): each column (fixed axis-1 index) moves whole.
  std::vector<float> vals(200);
  std::iota(vals.begin(), vals.end(), 0.0f);
  const Tensor z(vals, Shape{2, 50, 2});
  const auto s = random::shuffle(ops::transpose(z, std::vector<int64_t>{0, 2, 1}), -1, 9).to_vector<float>();
  const auto p = random::permutation(50, 9).to_vector<int32_t>();
  for (size_t a = 0; a < 2; ++a) {
    for (size_t c = 0; c < 2; ++c) {
      for (size_t k = 0; k < 50; ++k) {
        // transposed[a][c][k] = z[a][k][c] = a*100 + k*2 + c
        EXPECT_EQ(s[a * 100 + c * 50 + k], static_cast<float>(a * 100 + static_cast<size_t>(p[k]) * 2 + c));
      }
    }
  }
}

TEST(RandomShuffle, Differentiates) {
  // y[k] = x[perm[k]], so d sum(w * y) / dx[perm[k]] = w[k].
  const Tensor x(std::vector<double>(6, 1.0), Shape{6});
  const Tensor w(std::vector<double>{1, 2, 3, 4, 5, 6}, Shape{6});
  GradientTape tape;
  tape.watch(x);
  const Tensor g = tape.gradient(ops::sum(random::shuffle(x, 0, 5) * w), x);
  const auto gs = g.to_vector<double>();
  const auto perm = random::permutation(6, 5).to_vector<int32_t>();
  for (size_t k = 0; k < 6; ++k) EXPECT_EQ(gs[static_cast<size_t>(perm[k])], static_cast<double>(k + 1)) << k;
}

// ---- errors ---------------------------------------------------------------------------------------

TEST(RandomErrors, BadArguments) {
  expect_error<ValueError>([] { random::normal({2, -1}); }, "normal: shape must be fully defined and non-negative");
  expect_error<ValueError>([] { random::normal({2}, {.stddev = -1.0}); }, "stddev=-1.0");
  expect_error<ValueError>([] { random::truncated_normal({2}, {.stddev = -0.5}); }, "truncated_normal");
  expect_error<TypeError>([] { random::normal({2}, {.dtype = DType::int32}); }, "got int32");
  expect_error<ValueError>([] { random::uniform({2}, {.minval = 1.0, .maxval = 1.0}); },
                           "uniform: minval must be less than maxval");
  expect_error<ValueError>([] { random::uniform({2}, {.minval = 2.0, .maxval = 1.0}); }, "minval=2.0, maxval=1.0");
  expect_error<ValueError>([] { random::randint({2}, 5, 5); }, "randint: minval must be less than maxval");
  expect_error<ValueError>([] { random::randint({2}, 0, 257, DType::uint8); }, "does not fit in uint8");
  expect_error<TypeError>([] { random::randint({2}, 0, 5, DType::float32); }, "randint: dtype must be an integer");
  expect_error<ValueError>([] { random::dropout(ones({3}), 1.0); },
                           "Expected a float value in [0, 1). Received: rate=1.0");
  expect_error<ValueError>([] { random::dropout(ones({3}), -0.1); }, "Received: rate=-0.1");
  expect_error<ValueError>(
      [] {
        random::dropout(ones({3, 4}), 0.5, Shape{3, 2});
      },
      "noise_shape (3, 2) does not broadcast to the input shape (3, 4)");
  expect_error<ValueError>([] { random::dropout_mask({3}, 1.5); }, "dropout_mask: rate must be in [0, 1]");
  expect_error<ValueError>([] { random::permutation(-1); }, "permutation: n must be in");
  expect_error<ValueError>([] { random::shuffle(ones({3, 4}), 2); }, "shuffle");
  expect_error<ValueError>([] { random::shuffle(Tensor::scalar(1.0f)); }, "at least one dimension");
}

TEST(RandomErrors, FailedCallsDoNotAdvanceTheGenerator) {
  random::SeedGenerator gen(3);
  EXPECT_THROW(random::uniform({-1}, {.seed = gen}), ValueError);
  EXPECT_EQ(gen.state(), 0u);
}

}  // namespace
}  // namespace keras::testing
