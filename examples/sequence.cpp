// Sequence classification with Embedding(mask_zero) and an LSTM on variable-length, zero-padded
// sequences: tokens 1..9, odd lengths 5..25 padded to 25; the label says whether tokens above 5
// outnumber the others (a count over the real steps only, so the mask matters). 8000 training and
// 2000 test sequences, Adam, batch 64. Exits 2 below 95% test accuracy.
// Usage: sequence [epochs]
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <keras/keras.hpp>
#include <keras/layers/embedding.hpp>
#include <keras/layers/rnn.hpp>
#include <random>
#include <vector>

namespace ops = keras::ops;
namespace layers = keras::layers;

namespace {

constexpr int64_t kMaxLen = 25;

struct Data {
  keras::Tensor x, y;
};

Data make_data(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> token(1, 9), half_len(2, 12);
  std::vector<int32_t> x(static_cast<size_t>(n * kMaxLen), 0);
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int len = 2 * half_len(rng) + 1;  // odd: no ties
    int high = 0;
    for (int t = 0; t < len; ++t) {
      const int v = token(rng);
      x[static_cast<size_t>(i * kMaxLen + t)] = v;
      high += v > 5 ? 1 : -1;
    }
    y[static_cast<size_t>(i)] = high > 0 ? 1.0f : 0.0f;
  }
  return {keras::Tensor(x, keras::Shape{n, kMaxLen}), keras::Tensor(y, keras::Shape{n, 1})};
}

}  // namespace

int main(int argc, char** argv) try {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 8;
  keras::utils::set_random_seed(7);
  const Data train = make_data(8000, 1), test = make_data(2000, 2);

  auto model = keras::Sequential({
      layers::Input({kMaxLen}, {.dtype = keras::DType::int32}),
      layers::Embedding({.input_dim = 10, .output_dim = 16, .mask_zero = true}),
      layers::LSTM(32),
      layers::Dense(1, "sigmoid"),
  });
  model.summary();
  model.compile({
      .optimizer = keras::optimizers::Adam({.learning_rate = 5e-3}),
      .loss = keras::losses::BinaryCrossentropy(),
  });
  model.fit(train.x, train.y, {.batch_size = 64, .epochs = epochs});
  const keras::Tensor p = model.predict(test.x, {.batch_size = 500, .verbose = 0});
  const auto pv = p.to_vector<float>();
  const auto yv = test.y.to_vector<float>();
  int64_t correct = 0;
  for (size_t i = 0; i < pv.size(); ++i) correct += ((pv[i] > 0.5f) == (yv[i] > 0.5f)) ? 1 : 0;
  const double accuracy = static_cast<double>(correct) / static_cast<double>(pv.size());
  std::cout << "test accuracy: " << accuracy << " (needs 0.95)\n";
  return accuracy >= 0.95 ? 0 : 2;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
