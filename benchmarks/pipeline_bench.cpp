// Input pipeline throughput (keras::data::Dataset) on Fashion-MNIST, to set
// beside the rate at which the W2 training step consumes samples (about
// 44k-65k samples/s on this machine, docs/benchmarks.md).
//
//   build/benchmarks/pipeline_bench --benchmark_min_time=2
//
// Every benchmark iteration is one full pass over the 60,000 training images
// (uint8, 784 pixels) and labels: shuffle(60000, seed) -> batch(128) ->
// prefetch(AUTOTUNE), optionally with a map that rescales each batch to
// float32 (what W2's first layer does) or a per-image map before batching
// (the generic, element-at-a-time path). items_per_second is samples/s.
//
// The overlap pair feeds a consumer that spends a fixed 2 ms on each batch
// from a producer that spends 2 ms preparing it (sleeps, standing for I/O or
// decoding): with prefetch the two overlap and a batch costs ~2 ms; without,
// ~4 ms. Skipped with a message when Fashion-MNIST is not installed.
#include <benchmark/benchmark.h>

#include <chrono>
#include <thread>

#include "keras/keras.hpp"

namespace {

using keras::Tensor;
using keras::data::Dataset;
using keras::data::Element;
namespace ops = keras::ops;

struct Data {
  Tensor x, y;
  bool ok = false;
  std::string why;
};

const Data& fashion_mnist() {
  static const Data data = [] {
    Data d;
    try {
      auto [train, test] = keras::datasets::fashion_mnist::load_data();
      d.x = ops::reshape(train.x, {train.x.shape()[0], 784});
      d.y = ops::cast(train.y, keras::int32);
      d.ok = true;
    } catch (const keras::Error& e) {
      d.why = e.what();
    }
    return d;
  }();
  return data;
}

int64_t drain(const Dataset& ds) {
  int64_t samples = 0;
  for (const Element& batch : ds) samples += batch[0].shape()[0];
  return samples;
}

void run_pass(benchmark::State& state, const Dataset& ds) {
  int64_t samples = 0;
  for (auto _ : state) samples += drain(ds);
  state.SetItemsProcessed(samples);
}

Element rescale(const Element& e) { return {ops::cast(e[0], keras::float32) / 255.0, e[1]}; }

#define REQUIRE_DATA(state)                             \
  const Data& data = fashion_mnist();                   \
  if (!data.ok) {                                       \
    (state).SkipWithError(data.why.c_str());            \
    for (auto _ : (state)) benchmark::DoNotOptimize(0); \
    return;                                             \
  }

void BM_ShuffleBatchPrefetch(benchmark::State& state) {
  REQUIRE_DATA(state);
  keras::config::set_num_threads(2);
  run_pass(state, Dataset::from_tensor_slices({data.x, data.y})
                      .shuffle(60000, uint64_t{42})
                      .batch(128)
                      .prefetch(keras::data::AUTOTUNE));
}
BENCHMARK(BM_ShuffleBatchPrefetch)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ShuffleBatchRescalePrefetch(benchmark::State& state) {
  REQUIRE_DATA(state);
  keras::config::set_num_threads(2);
  run_pass(state, Dataset::from_tensor_slices({data.x, data.y})
                      .shuffle(60000, uint64_t{42})
                      .batch(128)
                      .map(rescale, keras::data::AUTOTUNE)
                      .prefetch(keras::data::AUTOTUNE));
}
BENCHMARK(BM_ShuffleBatchRescalePrefetch)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ShuffleMapPerImageBatchPrefetch(benchmark::State& state) {
  REQUIRE_DATA(state);
  keras::config::set_num_threads(2);
  run_pass(state, Dataset::from_tensor_slices({data.x, data.y})
                      .shuffle(60000, uint64_t{42})
                      .map(rescale, static_cast<int>(state.range(0)))
                      .batch(128)
                      .prefetch(keras::data::AUTOTUNE));
}
BENCHMARK(BM_ShuffleMapPerImageBatchPrefetch)->Arg(0)->Arg(keras::data::AUTOTUNE)->Unit(benchmark::kMillisecond)->UseRealTime();

// 100 batches; a producer and a consumer each taking 2 ms per batch.
void overlap(benchmark::State& state, bool prefetch) {
  auto slow = [](const Element& e) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return e;
  };
  Dataset ds = Dataset::range(100).map(slow);
  if (prefetch) ds = ds.prefetch(2);
  int64_t batches = 0;
  for (auto _ : state) {
    for (const Element& e : ds) {
      benchmark::DoNotOptimize(e);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++batches;
    }
  }
  state.SetItemsProcessed(batches);
}
void BM_Overlap_NoPrefetch(benchmark::State& state) { overlap(state, false); }
void BM_Overlap_Prefetch(benchmark::State& state) { overlap(state, true); }
BENCHMARK(BM_Overlap_NoPrefetch)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Overlap_Prefetch)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
