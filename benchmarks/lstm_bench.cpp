// LSTM throughput: keras::layers::LSTM(128) on (batch 64, 50 steps, 32 features), the recurrence
// built from keras::ops (per step: the input projection, a recurrent matmul, four gate slices and
// the elementwise cell update). benchmarks/peers/lstm_torch.py is the PyTorch side.
//
//   OMP_NUM_THREADS=2 build/benchmarks/lstm_bench --benchmark_min_time=1
//
// "Fwd" runs the layer; "FwdBwd" runs it under a GradientTape and takes the gradient of the
// output's sum with respect to the three weights (a first layer's training step, less the
// optimizer). Threads: OMP_NUM_THREADS. Figures on the shared 2-core VM vary with load.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "keras/keras.hpp"
#include "keras/layers/rnn.hpp"

namespace {

constexpr int64_t kBatch = 64, kSteps = 50, kFeatures = 32, kUnits = 128;

keras::Tensor input() {
  return keras::random::uniform({kBatch, kSteps, kFeatures}, {.minval = -1.0, .maxval = 1.0, .seed = 1});
}

void BM_LSTMFwd(benchmark::State& state) {
  keras::layers::LSTM lstm(kUnits);
  const keras::Tensor x = input();
  lstm(x);
  for (auto _ : state) {
    keras::Tensor y = lstm(x);
    benchmark::DoNotOptimize(y);
  }
}
BENCHMARK(BM_LSTMFwd)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LSTMFwdBwd(benchmark::State& state) {
  keras::layers::LSTM lstm(kUnits);
  const keras::Tensor x = input();
  lstm(x);
  for (auto _ : state) {
    keras::GradientTape tape;
    keras::Tensor loss = keras::ops::sum(lstm(x, true));
    auto grads = tape.gradient(loss, lstm->trainable_weights());
    benchmark::DoNotOptimize(grads);
  }
}
BENCHMARK(BM_LSTMFwdBwd)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
