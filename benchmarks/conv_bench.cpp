// Convolution and pooling throughput of keras::ops next to oneDNN called
// directly on the same shapes (the ceiling), for the W3 CNN, Keras' MNIST
// example, at batch 128:
//   conv1  Conv2D(32, 3) on 28x28x1   -> 26x26x32   (then MaxPooling2D(2) -> 13x13x32)
//   conv2  Conv2D(64, 3) on 13x13x32  -> 11x11x64   (then MaxPooling2D(2) -> 5x5x64)
//
//   build-conv/benchmarks/conv_bench --benchmark_min_time=0.5
//
// "Fwd" runs the forward convolution; "FwdBwd" the forward pass and the
// backward pass a training step needs: the kernel gradient, and for conv2 the
// input gradient (conv1's input is the data, which needs none). keras::ops
// runs them under a GradientTape (tape.gradient of the conv's sum, so the
// incoming gradient is ones); the direct version creates its primitives once,
// outside the timed loop, and reorders the kernel between Keras' layout and
// oneDNN's preferred one on every step, as a training step must (the weights
// change). Activations are nhwc in both. Threads: 2, or OMP_NUM_THREADS.
//
// MaxPool: keras::ops runs its own loops (backend/cpu/conv.cpp), the direct
// version oneDNN's training forward (with the workspace) and backward, so
// that pair is the oneDNN ceiling it replaced, not a ceiling for it.
// Figures on the 2-core VM swing by 2x or more when another build runs: take
// the ratio against the oneDNN rows of the same run, and the machine's load.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "keras/keras.hpp"

namespace {

using keras::Shape;
using keras::Tensor;
using keras::ops::IntTuple;

constexpr int64_t kBatch = 128;

// A layer: input h x w x c, a k x k kernel with f filters, "valid", stride 1.
struct Layer {
  int64_t h, w, c, f, k;
  int64_t oh() const { return h - k + 1; }
  int64_t ow() const { return w - k + 1; }
};
Layer layer(int64_t i) { return i == 0 ? Layer{28, 28, 1, 32, 3} : Layer{13, 13, 32, 64, 3}; }

Tensor filled(const Shape& shape, float value) { return keras::ops::full(shape, value, keras::DType::float32); }

void set_flops(benchmark::State& state, const Layer& l, int passes) {
  const double macs = static_cast<double>(kBatch * l.oh() * l.ow() * l.f * l.c * l.k * l.k);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * macs * passes * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}

// ---- keras::ops ----

void BM_KerasConvFwd(benchmark::State& state) {
  const Layer l = layer(state.range(0));
  Tensor x = filled({kBatch, l.h, l.w, l.c}, 0.5f), k = filled({l.k, l.k, l.c, l.f}, 0.25f);
  for (auto _ : state) {
    Tensor y = keras::ops::conv(x, k);
    benchmark::DoNotOptimize(y.raw_data());
  }
  set_flops(state, l, 1);
}

void BM_KerasConvFwdBwd(benchmark::State& state) {
  const Layer l = layer(state.range(0));
  const bool input_grad = state.range(0) == 1;
  Tensor x = filled({kBatch, l.h, l.w, l.c}, 0.5f), k = filled({l.k, l.k, l.c, l.f}, 0.25f);
  for (auto _ : state) {
    keras::GradientTape tape;
    tape.watch(k);
    if (input_grad) tape.watch(x);
    Tensor y = keras::ops::conv(x, k);
    auto g = input_grad ? tape.gradient(y, {x, k}) : tape.gradient(y, {k});
    benchmark::DoNotOptimize(g.back().raw_data());
  }
  set_flops(state, l, input_grad ? 3 : 2);
}

void BM_KerasMaxPoolFwdBwd(benchmark::State& state) {
  const Layer l = layer(state.range(0));
  Tensor x = filled({kBatch, l.oh(), l.ow(), l.f}, 0.5f);
  for (auto _ : state) {
    keras::GradientTape tape;
    tape.watch(x);
    Tensor y = keras::ops::max_pool(x, 2);
    Tensor g = tape.gradient(y, x);
    benchmark::DoNotOptimize(g.raw_data());
  }
}

// ---- oneDNN directly ----

using dnnl::memory;

struct Direct {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  Layer l;
  memory::desc src_md, dst_md, user_w_md;
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights::primitive_desc bwd_w_pd;
  dnnl::convolution_backward_weights bwd_w;
  std::vector<float> x, w, y, dy, dx, dw;
  memory xm, wm, ym, dym, dxm, dwm, w_prim, w_bwd, dw_prim;
  dnnl::reorder w_to_prim, w_to_bwd, dw_to_user;
  bool bwd_layout_differs = false;

  explicit Direct(const Layer& layer) : l(layer) {
    const memory::dims strides{1, 1}, dil{0, 0}, pad{0, 0};
    src_md = memory::desc({kBatch, l.c, l.h, l.w}, memory::data_type::f32, memory::format_tag::nhwc);
    dst_md = memory::desc({kBatch, l.f, l.oh(), l.ow()}, memory::data_type::f32, memory::format_tag::nhwc);
    user_w_md = memory::desc({l.f, l.c, l.k, l.k}, memory::data_type::f32, memory::format_tag::hwio);
    const memory::desc w_any({l.f, l.c, l.k, l.k}, memory::data_type::f32, memory::format_tag::any);
    const auto alg = dnnl::algorithm::convolution_direct;
    fwd_pd = dnnl::convolution_forward::primitive_desc(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src_md, w_any, dst_md, strides, dil,
                                        pad, pad),
        eng);
    fwd = dnnl::convolution_forward(fwd_pd);
    bwd_data_pd = dnnl::convolution_backward_data::primitive_desc(
        dnnl::convolution_backward_data::desc(alg, src_md, w_any, dst_md, strides, dil, pad, pad), eng, fwd_pd);
    bwd_data = dnnl::convolution_backward_data(bwd_data_pd);
    bwd_w_pd = dnnl::convolution_backward_weights::primitive_desc(
        dnnl::convolution_backward_weights::desc(alg, src_md, w_any, dst_md, strides, dil, pad, pad), eng, fwd_pd);
    bwd_w = dnnl::convolution_backward_weights(bwd_w_pd);
    x.assign(src_md.get_size() / 4, 0.5f);
    dx.assign(src_md.get_size() / 4, 0.f);
    y.assign(dst_md.get_size() / 4, 0.f);
    dy.assign(dst_md.get_size() / 4, 1.f);
    w.assign(user_w_md.get_size() / 4, 0.25f);
    dw.assign(user_w_md.get_size() / 4, 0.f);
    xm = memory(src_md, eng, x.data());
    dxm = memory(src_md, eng, dx.data());
    ym = memory(dst_md, eng, y.data());
    dym = memory(dst_md, eng, dy.data());
    wm = memory(user_w_md, eng, w.data());
    dwm = memory(user_w_md, eng, dw.data());
    w_prim = memory(fwd_pd.weights_desc(), eng);
    dw_prim = memory(bwd_w_pd.diff_weights_desc(), eng);
    w_to_prim = dnnl::reorder(wm, w_prim);
    dw_to_user = dnnl::reorder(dw_prim, dwm);
    // Backward data may want the weights in another layout than the forward.
    bwd_layout_differs = bwd_data_pd.weights_desc() != fwd_pd.weights_desc();
    w_bwd = bwd_layout_differs ? memory(bwd_data_pd.weights_desc(), eng) : w_prim;
    if (bwd_layout_differs) w_to_bwd = dnnl::reorder(wm, w_bwd);
  }
  void forward() {
    w_to_prim.execute(strm, wm, w_prim);
    fwd.execute(strm, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, w_prim}, {DNNL_ARG_DST, ym}});
  }
  void backward(bool input_grad) {
    if (input_grad) {
      if (bwd_layout_differs) w_to_bwd.execute(strm, wm, w_bwd);
      bwd_data.execute(strm, {{DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_WEIGHTS, w_bwd}, {DNNL_ARG_DIFF_SRC, dxm}});
    }
    bwd_w.execute(strm, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_DIFF_WEIGHTS, dw_prim}});
    dw_to_user.execute(strm, dw_prim, dwm);
  }
};

void BM_OneDnnConvFwd(benchmark::State& state) {
  Direct d(layer(state.range(0)));
  for (auto _ : state) {
    d.forward();
    d.strm.wait();
    benchmark::DoNotOptimize(d.y.data());
  }
  set_flops(state, d.l, 1);
}

void BM_OneDnnConvFwdBwd(benchmark::State& state) {
  Direct d(layer(state.range(0)));
  const bool input_grad = state.range(0) == 1;
  for (auto _ : state) {
    d.forward();
    d.backward(input_grad);
    d.strm.wait();
    benchmark::DoNotOptimize(d.dw.data());
  }
  set_flops(state, d.l, input_grad ? 3 : 2);
}

void BM_OneDnnMaxPoolFwdBwd(benchmark::State& state) {
  const Layer l = layer(state.range(0));
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const int64_t ph = l.oh() / 2, pw = l.ow() / 2;
  const memory::desc src_md({kBatch, l.f, l.oh(), l.ow()}, memory::data_type::f32, memory::format_tag::nhwc);
  const memory::desc dst_md({kBatch, l.f, ph, pw}, memory::data_type::f32, memory::format_tag::nhwc);
  const memory::dims two{2, 2}, zero{0, 0};
  dnnl::pooling_forward::primitive_desc fpd(
      dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::pooling_max, src_md, dst_md, two,
                                  two, zero, zero),
      eng);
  dnnl::pooling_backward::primitive_desc bpd(
      dnnl::pooling_backward::desc(dnnl::algorithm::pooling_max, src_md, dst_md, two, two, zero, zero), eng, fpd);
  dnnl::pooling_forward fwd(fpd);
  dnnl::pooling_backward bwd(bpd);
  memory x(src_md, eng), y(dst_md, eng), dy(dst_md, eng), dx(src_md, eng), ws(fpd.workspace_desc(), eng);
  std::fill_n(static_cast<float*>(x.get_data_handle()), src_md.get_size() / 4, 0.5f);
  std::fill_n(static_cast<float*>(dy.get_data_handle()), dst_md.get_size() / 4, 1.f);
  for (auto _ : state) {
    fwd.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}, {DNNL_ARG_WORKSPACE, ws}});
    bwd.execute(strm, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_SRC, dx}, {DNNL_ARG_WORKSPACE, ws}});
    strm.wait();
    benchmark::DoNotOptimize(dx.get_data_handle());
  }
}

void layers(benchmark::internal::Benchmark* b) {
  b->ArgNames({"layer"});
  b->Arg(0)->Arg(1);
  b->Unit(benchmark::kMillisecond);
  b->UseRealTime();  // OpenMP threads: CPU time of the calling thread undercounts
}

BENCHMARK(BM_KerasConvFwd)->Apply(layers);
BENCHMARK(BM_OneDnnConvFwd)->Apply(layers);
BENCHMARK(BM_KerasConvFwdBwd)->Apply(layers);
BENCHMARK(BM_OneDnnConvFwdBwd)->Apply(layers);
BENCHMARK(BM_KerasMaxPoolFwdBwd)->Apply(layers);
BENCHMARK(BM_OneDnnMaxPoolFwdBwd)->Apply(layers);

}  // namespace

int main(int argc, char** argv) {
  // Every figure at 2 threads (the machines have 2 cores), as in matmul_bench,
  // unless OMP_NUM_THREADS says otherwise (1 thread: steadier figures on a busy machine).
  if (!std::getenv("OMP_NUM_THREADS")) omp_set_num_threads(2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
