// GEMM throughput of keras::ops::matmul next to oneDNN called directly on the
// same shapes (the ceiling: DESIGN.md "Performance"), and the eager dispatch
// cost of a tiny op.
//
//   build/benchmarks/matmul_bench --benchmark_min_time=0.5
//
// Shapes are m x k x n. 128 x 784 x 256 is the first Dense layer of the W2
// MLP (batch 128); its backward pass runs 128 x 256 x 784 with the weight
// transposed (dX = dY · W^T) and 784 x 128 x 256 with the input transposed
// (dW = X^T · dY). keras.cpp passes those transposes to oneDNN as strides, so
// the direct oneDNN runs use the same strided layouts. Threads: 2.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "keras/keras.hpp"

namespace {

using keras::Shape;
using keras::Tensor;

void set_gflops(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(m * k * n) * static_cast<double>(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}

Tensor filled(const Shape& shape, float value) { return keras::ops::full(shape, value, keras::DType::float32); }

// Args: m, k, n, transpose_a, transpose_b. A transposed operand is stored
// (k, m) (or (n, k)) and handed to matmul as a transposed view.
void BM_KerasMatmul(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool ta = state.range(3) != 0, tb = state.range(4) != 0;
  Tensor a = filled(ta ? Shape{k, m} : Shape{m, k}, 0.5f);
  Tensor b = filled(tb ? Shape{n, k} : Shape{k, n}, 0.25f);
  if (ta) a = keras::ops::transpose(a);
  if (tb) b = keras::ops::transpose(b);
  for (auto _ : state) {
    Tensor c = keras::ops::matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_gflops(state, m, k, n);
}

// The same product on a dnnl::matmul primitive created once, outside the
// timed loop, executing into a preallocated output.
void BM_OneDnnMatmul(benchmark::State& state) {
  using dnnl::memory;
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool ta = state.range(3) != 0, tb = state.range(4) != 0;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const memory::desc a_md({m, k}, memory::data_type::f32, ta ? memory::format_tag::ba : memory::format_tag::ab);
  const memory::desc b_md({k, n}, memory::data_type::f32, tb ? memory::format_tag::ba : memory::format_tag::ab);
  const memory::desc c_md({m, n}, memory::data_type::f32, memory::format_tag::ab);
  dnnl::matmul prim(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), eng));
  std::vector<float> av(static_cast<size_t>(m * k), 0.5f), bv(static_cast<size_t>(k * n), 0.25f);
  std::vector<float> cv(static_cast<size_t>(m * n));
  memory am(a_md, eng, av.data()), bm(b_md, eng, bv.data()), cm(c_md, eng, cv.data());
  for (auto _ : state) {
    prim.execute(strm, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
    strm.wait();
    benchmark::DoNotOptimize(cv.data());
  }
  set_gflops(state, m, k, n);
}

void gemm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"m", "k", "n", "ta", "tb"});
  b->Args({1024, 1024, 1024, 0, 0});
  b->Args({128, 784, 256, 0, 0});  // Dense 784 -> 256 forward
  b->Args({128, 256, 784, 0, 1});  // its dX = dY · W^T
  b->Args({784, 128, 256, 1, 0});  // its dW = X^T · dY
  b->Args({10, 10, 1, 0, 0});      // the W1 seed model's Dense(1): the small-GEMM path
  b->Unit(benchmark::kMicrosecond);
  b->UseRealTime();  // OpenMP threads: CPU time of the calling thread undercounts
}

BENCHMARK(BM_KerasMatmul)->Apply(gemm_shapes);
BENCHMARK(BM_OneDnnMatmul)->Apply(gemm_shapes);

// Eager dispatch: shape rule, output allocation (from the caching allocator)
// and a 10-element kernel; nearly all of it is framework overhead.
void BM_EagerAdd10(benchmark::State& state) {
  Tensor a = filled(Shape{10}, 1.0f), b = filled(Shape{10}, 2.0f);
  for (auto _ : state) {
    Tensor c = keras::ops::add(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
}
BENCHMARK(BM_EagerAdd10);

}  // namespace

int main(int argc, char** argv) {
  // DESIGN.md states every figure at 2 threads (the machines have 2 cores).
  omp_set_num_threads(2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
