// DET-1 (foundation part): the same seeded training loop gives bit-identical
// weights run to run, and, in deterministic mode, for 1 and 2 threads.
#include <gtest/gtest.h>

#include <cstring>

#include "keras/keras.hpp"

namespace keras {
namespace {

namespace ops = keras::ops;

// A 64-4096-64 regression network trained 5 steps with SGD; returns the raw
// bytes of the final weights. The long inner dimension (4096) is the shape
// where oneDNN's GEMM splits sums differently per thread count.
std::vector<float> train(int threads) {
  config::set_num_threads(threads);
  utils::set_random_seed(3);
  Tensor x = random::normal({64, 4096});
  Tensor y = random::normal({64, 64});
  Variable w1(random::normal({4096, 64}, {.stddev = 0.02}));
  Variable w2(random::normal({64, 64}, {.stddev = 0.1}));
  for (int step = 0; step < 5; ++step) {
    GradientTape tape;
    Tensor pred = ops::matmul(ops::tanh(ops::matmul(x, w1)), w2);
    Tensor loss = ops::mean(ops::square(pred - y));
    auto g = tape.gradient(loss, {w1, w2});
    w1.assign_sub(g[0] * 0.1);
    w2.assign_sub(g[1] * 0.1);
  }
  std::vector<float> out = w1.value().to_vector<float>();
  auto v2 = w2.value().to_vector<float>();
  out.insert(out.end(), v2.begin(), v2.end());
  return out;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Determinism, SameSeedSameThreadsIsBitIdentical) {
  const int saved = config::num_threads();
  EXPECT_TRUE(bit_equal(train(2), train(2)));
  config::set_num_threads(saved);
}

TEST(Determinism, DeterministicModeIsIndependentOfThreadCount) {
  const int saved = config::num_threads();
  config::set_deterministic(true);
  auto one = train(1);
  auto two = train(2);
  config::set_deterministic(false);
  config::set_num_threads(saved);
  EXPECT_TRUE(bit_equal(one, two));
}

}  // namespace
}  // namespace keras
