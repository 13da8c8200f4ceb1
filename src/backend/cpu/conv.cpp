#include "backend/cpu/conv.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "backend/cpu/onednn.hpp"
#include "keras/config.hpp"

namespace keras::backend::cpu {
namespace {

// ---- the loops (float64; float32 in deterministic mode) -----------------------------------------

// A geometry widened to three spatial dims: the missing leading ones have
// size 1, stride 1 and no padding, so one set of loops serves 1-D to 3-D.
struct Wide {
  int64_t in[3], out[3], k[3], s[3], d[3], pl[3];
};

template <class Geom>
Wide widen(const Geom& g) {
  Wide w{};
  const int lead = 3 - g.nsp;
  for (int i = 0; i < 3; ++i) {
    const bool real = i >= lead;
    const int j = i - lead;
    w.in[i] = real ? g.in[j] : 1;
    w.out[i] = real ? g.out[j] : 1;
    w.k[i] = real ? g.k[j] : 1;
    w.s[i] = real ? g.stride[j] : 1;
    w.pl[i] = real ? g.pad_l[j] : 0;
    w.d[i] = 1;
  }
  if constexpr (requires { g.dilation; })
    for (int i = lead; i < 3; ++i) w.d[i] = g.dilation[i - lead];
  return w;
}

// Calls begin(y_pos) once per output position of batch element n, then
// tap(x_pos, k_pos, y_pos) for each kernel tap that lands inside the input
// (positions are flat spatial indices, batch included), then end(y_pos).
// Taps run in a fixed order, so sums over them are deterministic.
template <class Begin, class Tap, class End>
void for_each_tap(const Wide& w, int64_t n, Begin&& begin, Tap&& tap, End&& end) {
  for (int64_t o0 = 0; o0 < w.out[0]; ++o0)
    for (int64_t o1 = 0; o1 < w.out[1]; ++o1)
      for (int64_t o2 = 0; o2 < w.out[2]; ++o2) {
        const int64_t yp = ((n * w.out[0] + o0) * w.out[1] + o1) * w.out[2] + o2;
        begin(yp);
        for (int64_t k0 = 0; k0 < w.k[0]; ++k0) {
          const int64_t i0 = o0 * w.s[0] - w.pl[0] + k0 * w.d[0];
          if (i0 < 0 || i0 >= w.in[0]) continue;
          for (int64_t k1 = 0; k1 < w.k[1]; ++k1) {
            const int64_t i1 = o1 * w.s[1] - w.pl[1] + k1 * w.d[1];
            if (i1 < 0 || i1 >= w.in[1]) continue;
            for (int64_t k2 = 0; k2 < w.k[2]; ++k2) {
              const int64_t i2 = o2 * w.s[2] - w.pl[2] + k2 * w.d[2];
              if (i2 < 0 || i2 >= w.in[2]) continue;
              tap(((n * w.in[0] + i0) * w.in[1] + i1) * w.in[2] + i2, (k0 * w.k[1] + k1) * w.k[2] + k2, yp);
            }
          }
        }
        end(yp);
      }
}

int64_t spatial(const int64_t* dims, int nsp) {
  int64_t p = 1;
  for (int i = 0; i < nsp; ++i) p *= dims[i];
  return p;
}

constexpr auto kNone = [](int64_t) {};

template <class T>
void loop_conv_forward(const ConvGeom& g, const T* x, const T* w, T* y) {
  const Wide wd = widen(g);
  const int64_t Cg = g.C / g.G, Fg = g.F / g.G, F = g.F, C = g.C;
  const int64_t per_n = spatial(g.out, g.nsp) * F;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    std::fill(y + n * per_n, y + (n + 1) * per_n, T{});
    for_each_tap(
        wd, n, kNone,
        [&](int64_t xp, int64_t kp, int64_t yp) {
          const T* xr = x + xp * C;
          const T* wr = w + kp * Cg * F;
          T* yr = y + yp * F;
          for (int64_t gi = 0; gi < g.G; ++gi)
            for (int64_t ci = 0; ci < Cg; ++ci) {
              const T xv = xr[gi * Cg + ci];
              const T* wrow = wr + ci * F + gi * Fg;
              T* yrow = yr + gi * Fg;
              for (int64_t f = 0; f < Fg; ++f) yrow[f] += xv * wrow[f];
            }
        },
        kNone);
  }
}

template <class T>
void loop_conv_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const Wide wd = widen(g);
  const int64_t Cg = g.C / g.G, Fg = g.F / g.G, F = g.F, C = g.C;
  const int64_t per_n = spatial(g.in, g.nsp) * C;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    std::fill(dx + n * per_n, dx + (n + 1) * per_n, T{});
    for_each_tap(
        wd, n, kNone,
        [&](int64_t xp, int64_t kp, int64_t yp) {
          T* xr = dx + xp * C;
          const T* wr = w + kp * Cg * F;
          const T* yr = dy + yp * F;
          for (int64_t gi = 0; gi < g.G; ++gi)
            for (int64_t ci = 0; ci < Cg; ++ci) {
              const T* wrow = wr + ci * F + gi * Fg;
              const T* yrow = yr + gi * Fg;
              T acc{};
              for (int64_t f = 0; f < Fg; ++f) acc += yrow[f] * wrow[f];
              xr[gi * Cg + ci] += acc;
            }
        },
        kNone);
  }
}

template <class T>
void loop_conv_backward_weights(const ConvGeom& g, const T* x, const T* dy, T* dw) {
  const Wide wd = widen(g);
  const int64_t Cg = g.C / g.G, Fg = g.F / g.G, F = g.F, C = g.C;
  std::fill(dw, dw + spatial(g.k, g.nsp) * Cg * F, T{});
  for (int64_t n = 0; n < g.N; ++n)
    for_each_tap(
        wd, n, kNone,
        [&](int64_t xp, int64_t kp, int64_t yp) {
          const T* xr = x + xp * C;
          T* wr = dw + kp * Cg * F;
          const T* yr = dy + yp * F;
          for (int64_t gi = 0; gi < g.G; ++gi)
            for (int64_t ci = 0; ci < Cg; ++ci) {
              const T xv = xr[gi * Cg + ci];
              T* wrow = wr + ci * F + gi * Fg;
              const T* yrow = yr + gi * Fg;
              for (int64_t f = 0; f < Fg; ++f) wrow[f] += xv * yrow[f];
            }
        },
        kNone);
}

// ---- max pooling (every dtype and mode: exact, so one implementation) ----------------------------
//
// Channels are the inner loop (contiguous in channels_last), so the loops
// vectorize over C. The maximum of a window ignores NaNs (x > m ? x : m from
// -inf); the backward pass sends each window's dy to its first maximum: the
// first tap, replaced only by a strictly greater one (so a NaN first tap keeps
// it). These are the rules the reference loops followed.

// The input range [lo, hi) of the window of output o along one dim, clipped to the input.
struct Span {
  int64_t lo, hi;
};
inline Span window(const Wide& w, int d, int64_t o) {
  const int64_t start = o * w.s[d] - w.pl[d];
  return {std::max<int64_t>(start, 0), std::min<int64_t>(start + w.k[d], w.in[d])};
}

// Below this many tap visits (input elements read) a pooling runs on one
// thread: waking the OpenMP team costs a few microseconds (as elementwise.cpp).
constexpr int64_t kPoolParallelWork = 32768;

int64_t pool_work(const PoolGeom& g) { return g.N * spatial(g.out, g.nsp) * spatial(g.k, g.nsp) * g.C; }

template <class T>
void fast_max_pool_forward(const PoolGeom& g, const T* x, T* y) {
  const Wide w = widen(g);
  const int64_t C = g.C, rows = g.N * w.out[0] * w.out[1];
#pragma omp parallel for schedule(static) if (pool_work(g) >= kPoolParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o1 = r % w.out[1], o0 = (r / w.out[1]) % w.out[0], n = r / (w.out[1] * w.out[0]);
    const Span s0 = window(w, 0, o0), s1 = window(w, 1, o1);
    for (int64_t o2 = 0; o2 < w.out[2]; ++o2) {
      const Span s2 = window(w, 2, o2);
      T* __restrict yr = y + (r * w.out[2] + o2) * C;
      for (int64_t c = 0; c < C; ++c) yr[c] = -std::numeric_limits<T>::infinity();
      for (int64_t i0 = s0.lo; i0 < s0.hi; ++i0)
        for (int64_t i1 = s1.lo; i1 < s1.hi; ++i1)
          for (int64_t i2 = s2.lo; i2 < s2.hi; ++i2) {
            const T* __restrict xr = x + (((n * w.in[0] + i0) * w.in[1] + i1) * w.in[2] + i2) * C;
            for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] > yr[c] ? xr[c] : yr[c];
          }
    }
  }
}

template <class T>
void fast_max_pool_backward(const PoolGeom& g, const T* x, const T* dy, T* dx) {
  using Index = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;  // the width of T, to vectorize the selects
  const Wide w = widen(g);
  const int64_t C = g.C, per_n = w.in[0] * w.in[1] * w.in[2] * C;
  // Windows that do not overlap (stride >= pool size along every dim) write each
  // input position at most once: dx is written directly, no zeroing and summing,
  // except positions no window covers.
  bool disjoint = true;
  std::vector<char> covered[3];
  for (int d = 0; d < 3; ++d) {
    disjoint = disjoint && w.s[d] >= w.k[d];
    covered[d].assign(static_cast<size_t>(w.in[d]), 0);
    for (int64_t o = 0; o < w.out[d]; ++o) {
      const Span s = window(w, d, o);
      for (int64_t i = s.lo; i < s.hi; ++i) covered[d][static_cast<size_t>(i)] = 1;
    }
  }
#pragma omp parallel if (pool_work(g) >= kPoolParallelWork)
  {
    std::vector<T> best_v(static_cast<size_t>(C));
    std::vector<Index> arg_v(static_cast<size_t>(C));
    T* __restrict best = best_v.data();
    Index* __restrict arg = arg_v.data();
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      T* dxn = dx + n * per_n;
      if (!disjoint) {
        std::fill(dxn, dxn + per_n, T{});
      } else {
        for (int64_t i0 = 0; i0 < w.in[0]; ++i0)
          for (int64_t i1 = 0; i1 < w.in[1]; ++i1) {
            T* row = dxn + (i0 * w.in[1] + i1) * w.in[2] * C;
            if (!covered[0][static_cast<size_t>(i0)] || !covered[1][static_cast<size_t>(i1)]) {
              std::fill(row, row + w.in[2] * C, T{});
              continue;
            }
            for (int64_t i2 = 0; i2 < w.in[2]; ++i2)
              if (!covered[2][static_cast<size_t>(i2)]) std::fill(row + i2 * C, row + (i2 + 1) * C, T{});
          }
      }
      for (int64_t o0 = 0; o0 < w.out[0]; ++o0)
        for (int64_t o1 = 0; o1 < w.out[1]; ++o1)
          for (int64_t o2 = 0; o2 < w.out[2]; ++o2) {
            const Span s0 = window(w, 0, o0), s1 = window(w, 1, o1), s2 = window(w, 2, o2);
            const T* __restrict dyr = dy + (((n * w.out[0] + o0) * w.out[1] + o1) * w.out[2] + o2) * C;
            auto at = [&](int64_t i0, int64_t i1, int64_t i2) { return ((i0 * w.in[1] + i1) * w.in[2] + i2) * C; };
            // Pass 1: each channel's first maximum, as a tap number.
            Index t = 0;
            for (int64_t i0 = s0.lo; i0 < s0.hi; ++i0)
              for (int64_t i1 = s1.lo; i1 < s1.hi; ++i1)
                for (int64_t i2 = s2.lo; i2 < s2.hi; ++i2, ++t) {
                  const T* __restrict xr = x + n * per_n + at(i0, i1, i2);
                  if (t == 0) {
                    for (int64_t c = 0; c < C; ++c) best[c] = xr[c], arg[c] = 0;
                  } else {
                    for (int64_t c = 0; c < C; ++c) {
                      const bool gt = xr[c] > best[c];
                      best[c] = gt ? xr[c] : best[c];
                      arg[c] = gt ? t : arg[c];
                    }
                  }
                }
            // Pass 2: dy to the first maximum, zero to the other taps (or, when
            // windows overlap, dy added to the first maximum).
            t = 0;
            for (int64_t i0 = s0.lo; i0 < s0.hi; ++i0)
              for (int64_t i1 = s1.lo; i1 < s1.hi; ++i1)
                for (int64_t i2 = s2.lo; i2 < s2.hi; ++i2, ++t) {
                  T* __restrict dxr = dxn + at(i0, i1, i2);
                  if (disjoint)
                    for (int64_t c = 0; c < C; ++c) dxr[c] = arg[c] == t ? dyr[c] : T{};
                  else
                    for (int64_t c = 0; c < C; ++c) dxr[c] += arg[c] == t ? dyr[c] : T{};
                }
          }
    }
  }
}

template <class T>
void loop_avg_pool_forward(const PoolGeom& g, const T* x, T* y) {
  const Wide wd = widen(g);
  const int64_t C = g.C;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    int64_t count = 0;
    for_each_tap(
        wd, n,
        [&](int64_t yp) {
          std::fill(y + yp * C, y + (yp + 1) * C, T{});
          count = 0;
        },
        [&](int64_t xp, int64_t, int64_t yp) {
          ++count;
          for (int64_t c = 0; c < C; ++c) y[yp * C + c] += x[xp * C + c];
        },
        [&](int64_t yp) {
          for (int64_t c = 0; c < C; ++c) y[yp * C + c] /= static_cast<T>(count);
        });
  }
}

template <class T>
void loop_avg_pool_backward(const PoolGeom& g, const T* dy, T* dx) {
  const Wide wd = widen(g);
  const int64_t C = g.C, per_n = spatial(g.in, g.nsp) * C;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < g.N; ++n) {
    std::vector<int64_t> taps;
    std::fill(dx + n * per_n, dx + (n + 1) * per_n, T{});
    for_each_tap(
        wd, n, [&](int64_t) { taps.clear(); }, [&](int64_t xp, int64_t, int64_t) { taps.push_back(xp); },
        [&](int64_t yp) {
          const T inv = T(1) / static_cast<T>(taps.size());
          for (int64_t xp : taps)
            for (int64_t c = 0; c < C; ++c) dx[xp * C + c] += dy[yp * C + c] * inv;
        });
  }
}

// ---- oneDNN (float32) ---------------------------------------------------------------------------

using dnnl::memory;
using Dims = memory::dims;

// Per-thread buffers: scratchpads, and weights in the primitive's layout.
// Primitives use a user scratchpad so that a cached one may run on any thread.
struct Buffers {
  std::vector<char> scratch, scratch2;
  std::vector<float> weights;
};
Buffers& buffers() {
  static thread_local Buffers b;
  return b;
}

template <class V>
void* sized(V& v, size_t bytes) {
  const size_t n = (bytes + sizeof(typename V::value_type) - 1) / sizeof(typename V::value_type);
  if (v.size() < n) v.resize(n);
  return n ? static_cast<void*>(v.data()) : nullptr;
}

memory::format_tag act_tag(int nsp) {
  return nsp == 1 ? memory::format_tag::nwc : nsp == 2 ? memory::format_tag::nhwc : memory::format_tag::ndhwc;
}

memory::desc act_md(int64_t N, int64_t C, const int64_t* sizes, int nsp) {
  Dims dims{N, C};
  for (int i = 0; i < nsp; ++i) dims.push_back(sizes[i]);
  return memory::desc(dims, memory::data_type::f32, act_tag(nsp));
}

// The kernel as Keras stores it, (k..., C / G, F), described by strides in
// oneDNN's logical order: (F, C, k...) or, grouped, (G, F / G, C / G, k...).
memory::desc user_weights_md(const ConvGeom& g) {
  const int64_t Cg = g.C / g.G, Fg = g.F / g.G;
  Dims kdims, kstrides(static_cast<size_t>(g.nsp));
  int64_t st = Cg * g.F;
  for (int i = g.nsp - 1; i >= 0; --i) {
    kstrides[static_cast<size_t>(i)] = st;
    st *= g.k[i];
  }
  for (int i = 0; i < g.nsp; ++i) kdims.push_back(g.k[i]);
  Dims dims, strides;
  if (g.G == 1) {
    dims = {g.F, g.C};
    strides = {1, g.F};
  } else {
    dims = {g.G, Fg, Cg};
    strides = {Fg, 1, g.F};
  }
  dims.insert(dims.end(), kdims.begin(), kdims.end());
  strides.insert(strides.end(), kstrides.begin(), kstrides.end());
  return memory::desc(dims, memory::data_type::f32, strides);
}

memory::desc any_weights_md(const ConvGeom& g) {
  Dims dims = g.G == 1 ? Dims{g.F, g.C} : Dims{g.G, g.F / g.G, g.C / g.G};
  for (int i = 0; i < g.nsp; ++i) dims.push_back(g.k[i]);
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

Dims vec(const int64_t* v, int n, int64_t minus = 0) {
  Dims d;
  for (int i = 0; i < n; ++i) d.push_back(v[i] - minus);
  return d;
}

dnnl::primitive_attr user_scratch() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Limits oneDNN to the calling thread while in scope. For the kernel reorders
// (some thousand floats): waking the OpenMP team costs more than the copy (on
// the 2-core VM, 0.15 to 0.3 ms on two threads against 0.03 ms on one for the
// 64x32x3x3 kernel, and a whole time slice when the machine is busy). oneDNN
// reads omp_get_max_threads() when a reorder is created and when it runs.
struct OneThread {
  int n = omp_get_max_threads();
  OneThread() { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(n); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;
};

enum class ConvKind { Forward, BackwardData, BackwardWeights };

struct ConvKey {
  ConvKind kind;
  ConvGeom g;
  bool operator==(const ConvKey&) const = default;
};

// FNV-1a over the fields (not the bytes: the structs have padding).
struct Hasher {
  uint64_t h = 1469598103934665603ULL;
  void mix(int64_t v) { h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL; }
  void mix(const int64_t* v) {
    for (int i = 0; i < 3; ++i) mix(v[i]);
  }
};

size_t hash_geom(int kind, const ConvGeom& g) {
  Hasher h;
  for (int64_t v : {int64_t{kind}, int64_t{g.nsp}, g.N, g.C, g.F, g.G}) h.mix(v);
  for (const int64_t* a : {g.in, g.out, g.k, g.stride, g.dilation, g.pad_l, g.pad_r}) h.mix(a);
  return static_cast<size_t>(h.h);
}

size_t hash_geom(int kind, const PoolGeom& g) {
  Hasher h;
  for (int64_t v : {int64_t{kind}, int64_t{g.nsp}, g.N, g.C}) h.mix(v);
  for (const int64_t* a : {g.in, g.out, g.k, g.stride, g.pad_l, g.pad_r}) h.mix(a);
  return static_cast<size_t>(h.h);
}

struct ConvKeyHash {
  size_t operator()(const ConvKey& k) const { return hash_geom(static_cast<int>(k.kind), k.g); }
};

// A created convolution. `ok` is false when oneDNN declined the geometry
// (the loop then runs; the refusal is cached).
struct ConvPrim {
  bool ok = false;
  dnnl::primitive prim;
  memory::desc src_md, dst_md, user_w_md, prim_w_md, scratch_md;
  bool reorder = false;  // user and primitive weight layouts differ
  dnnl::reorder w_reorder;
  memory::desc reorder_scratch_md;
};

std::mutex cache_mutex;
std::unordered_map<ConvKey, std::shared_ptr<const ConvPrim>, ConvKeyHash> conv_cache;
constexpr size_t kMaxCached = 1024;

std::shared_ptr<const ConvPrim> create_conv(const ConvKey& key) {
  const ConvGeom& g = key.g;
  auto p = std::make_shared<ConvPrim>();
  try {
    const auto& eng = engine();
    p->src_md = act_md(g.N, g.C, g.in, g.nsp);
    p->dst_md = act_md(g.N, g.F, g.out, g.nsp);
    p->user_w_md = user_weights_md(g);
    const memory::desc w_any = any_weights_md(g);
    const Dims strides = vec(g.stride, g.nsp), dil = vec(g.dilation, g.nsp, 1);
    const Dims pl = vec(g.pad_l, g.nsp), pr = vec(g.pad_r, g.nsp);
    const auto alg = dnnl::algorithm::convolution_direct;
    const auto attr = user_scratch();
    dnnl::convolution_forward::primitive_desc fwd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, p->src_md, w_any, p->dst_md, strides,
                                        dil, pl, pr),
        attr, eng);
    switch (key.kind) {
      case ConvKind::Forward:
        p->prim_w_md = fwd.weights_desc();
        p->scratch_md = fwd.scratchpad_desc();
        p->prim = dnnl::convolution_forward(fwd);
        break;
      case ConvKind::BackwardData: {
        dnnl::convolution_backward_data::primitive_desc pd(
            dnnl::convolution_backward_data::desc(alg, p->src_md, w_any, p->dst_md, strides, dil, pl, pr), attr, eng,
            fwd);
        p->prim_w_md = pd.weights_desc();
        p->scratch_md = pd.scratchpad_desc();
        p->prim = dnnl::convolution_backward_data(pd);
        break;
      }
      case ConvKind::BackwardWeights: {
        dnnl::convolution_backward_weights::primitive_desc pd(
            dnnl::convolution_backward_weights::desc(alg, p->src_md, w_any, p->dst_md, strides, dil, pl, pr), attr, eng,
            fwd);
        p->prim_w_md = pd.diff_weights_desc();
        p->scratch_md = pd.scratchpad_desc();
        p->prim = dnnl::convolution_backward_weights(pd);
        break;
      }
    }
    p->reorder = p->prim_w_md != p->user_w_md;
    if (p->reorder) {
      OneThread one;
      const bool to_user = key.kind == ConvKind::BackwardWeights;
      dnnl::reorder::primitive_desc rpd(eng, to_user ? p->prim_w_md : p->user_w_md, eng,
                                        to_user ? p->user_w_md : p->prim_w_md, attr);
      p->reorder_scratch_md = rpd.scratchpad_desc();
      p->w_reorder = dnnl::reorder(rpd);
    }
    p->ok = true;
  } catch (const dnnl::error&) {
    p->ok = false;
  }
  return p;
}

template <class Key, class Prim, class Hash, class Create>
std::shared_ptr<const Prim> lookup(std::unordered_map<Key, std::shared_ptr<const Prim>, Hash>& cache, const Key& key,
                                   Create&& create) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxCached) cache.clear();
  auto prim = create(key);
  cache.emplace(key, prim);
  return prim;
}

void run(const dnnl::primitive& prim, const std::unordered_map<int, memory>& args) {
  prim.execute(stream(), args);
  stream().wait();
}

// A kernel reorder, on one thread (see OneThread).
void run_on_one_thread(const dnnl::primitive& prim, const std::unordered_map<int, memory>& args) {
  OneThread one;
  run(prim, args);
}

// Runs one convolution on oneDNN; false if oneDNN declined it. The pointers
// are, by kind: Forward (x, w, y), BackwardData (dy, w, dx), BackwardWeights
// (x, dy, dw).
bool dnnl_conv(ConvKind kind, const ConvGeom& g, const void* a, const void* b, void* out) {
  auto p = lookup(conv_cache, ConvKey{kind, g}, create_conv);
  if (!p->ok) return false;
  const auto& eng = engine();
  Buffers& buf = buffers();
  memory scratch(p->scratch_md, eng, sized(buf.scratch, p->scratch_md.get_size()));
  // oneDNN only reads its inputs; its API takes non-const handles.
  void* wa = const_cast<void*>(kind == ConvKind::BackwardWeights ? out : b);
  memory user_w(p->user_w_md, eng, wa);
  memory prim_w = p->reorder ? memory(p->prim_w_md, eng, sized(buf.weights, p->prim_w_md.get_size())) : user_w;
  auto reorder = [&](memory& from, memory& to) {
    memory rs(p->reorder_scratch_md, eng, sized(buf.scratch2, p->reorder_scratch_md.get_size()));
    run_on_one_thread(p->w_reorder, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}, {DNNL_ARG_SCRATCHPAD, rs}});
  };
  switch (kind) {
    case ConvKind::Forward: {
      if (p->reorder) reorder(user_w, prim_w);
      memory src(p->src_md, eng, const_cast<void*>(a)), dst(p->dst_md, eng, out);
      run(p->prim,
          {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, prim_w}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratch}});
      break;
    }
    case ConvKind::BackwardData: {
      if (p->reorder) reorder(user_w, prim_w);
      memory dst(p->dst_md, eng, const_cast<void*>(a)), src(p->src_md, eng, out);
      run(p->prim, {{DNNL_ARG_DIFF_DST, dst},
                    {DNNL_ARG_WEIGHTS, prim_w},
                    {DNNL_ARG_DIFF_SRC, src},
                    {DNNL_ARG_SCRATCHPAD, scratch}});
      break;
    }
    case ConvKind::BackwardWeights: {
      memory src(p->src_md, eng, const_cast<void*>(a)), dst(p->dst_md, eng, const_cast<void*>(b));
      run(p->prim, {{DNNL_ARG_SRC, src},
                    {DNNL_ARG_DIFF_DST, dst},
                    {DNNL_ARG_DIFF_WEIGHTS, prim_w},
                    {DNNL_ARG_SCRATCHPAD, scratch}});
      if (p->reorder) reorder(prim_w, user_w);
      break;
    }
  }
  return true;
}

// ---- average pooling on oneDNN (max pooling is fast_max_pool_*) ----

enum class PoolKind { AvgForward, AvgBackward };

struct PoolKey {
  PoolKind kind;
  PoolGeom g;
  bool operator==(const PoolKey&) const = default;
};
struct PoolKeyHash {
  size_t operator()(const PoolKey& k) const { return hash_geom(static_cast<int>(k.kind), k.g); }
};

// AvgBackward holds the forward's primitive descriptor's primitive too (the
// backward's hint); only the backward runs.
struct PoolPrim {
  bool ok = false;
  dnnl::primitive fwd, bwd;
  memory::desc src_md, dst_md, fwd_scratch_md, bwd_scratch_md;
};

std::unordered_map<PoolKey, std::shared_ptr<const PoolPrim>, PoolKeyHash> pool_cache;

std::shared_ptr<const PoolPrim> create_pool(const PoolKey& key) {
  const PoolGeom& g = key.g;
  auto p = std::make_shared<PoolPrim>();
  try {
    const auto& eng = engine();
    p->src_md = act_md(g.N, g.C, g.in, g.nsp);
    p->dst_md = act_md(g.N, g.C, g.out, g.nsp);
    const Dims strides = vec(g.stride, g.nsp), kernel = vec(g.k, g.nsp);
    const Dims pl = vec(g.pad_l, g.nsp), pr = vec(g.pad_r, g.nsp);
    const auto alg = dnnl::algorithm::pooling_avg_exclude_padding;
    const bool backward = key.kind == PoolKind::AvgBackward;
    const auto prop = backward ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const auto attr = user_scratch();
    dnnl::pooling_forward::primitive_desc fwd(
        dnnl::pooling_forward::desc(prop, alg, p->src_md, p->dst_md, strides, kernel, pl, pr), attr, eng);
    p->fwd = dnnl::pooling_forward(fwd);
    p->fwd_scratch_md = fwd.scratchpad_desc();
    if (backward) {
      dnnl::pooling_backward::primitive_desc bwd(
          dnnl::pooling_backward::desc(alg, p->src_md, p->dst_md, strides, kernel, pl, pr), attr, eng, fwd);
      p->bwd = dnnl::pooling_backward(bwd);
      p->bwd_scratch_md = bwd.scratchpad_desc();
    }
    p->ok = true;
  } catch (const dnnl::error&) {
    p->ok = false;
  }
  return p;
}

// Pointers by kind: AvgForward (x, -, y), AvgBackward (-, dy, dx).
bool dnnl_pool(PoolKind kind, const PoolGeom& g, const void* x, const void* dy, void* out) {
  auto p = lookup(pool_cache, PoolKey{kind, g}, create_pool);
  if (!p->ok) return false;
  const auto& eng = engine();
  Buffers& buf = buffers();
  switch (kind) {
    case PoolKind::AvgForward: {
      memory fs(p->fwd_scratch_md, eng, sized(buf.scratch, p->fwd_scratch_md.get_size()));
      memory src(p->src_md, eng, const_cast<void*>(x)), dst(p->dst_md, eng, out);
      run(p->fwd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, fs}});
      break;
    }
    case PoolKind::AvgBackward: {
      memory bs(p->bwd_scratch_md, eng, sized(buf.scratch2, p->bwd_scratch_md.get_size()));
      memory ddst(p->dst_md, eng, const_cast<void*>(dy)), dsrc(p->src_md, eng, out);
      run(p->bwd, {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_SRC, dsrc}, {DNNL_ARG_SCRATCHPAD, bs}});
      break;
    }
  }
  return true;
}

// ---- dispatch ------------------------------------------------------------------------------------

void check(bool ok, const char* kernel, const Tensor& a, const Tensor& b) {
  if (!ok)
    throw RuntimeError(std::string(kernel) + " kernel: operands " + a.shape().str() + " and " + b.shape().str() +
                       " must be contiguous, of one dtype (float32 or float64)");
}

bool fits(const Tensor& a, const Tensor& b, const Tensor& out) {
  const DType d = out.dtype();
  return (d == DType::float32 || d == DType::float64) && a.dtype() == d && b.dtype() == d && a.is_contiguous() &&
         b.is_contiguous() && out.is_contiguous();
}

// oneDNN for float32 outside deterministic mode; the loops otherwise.
bool use_dnnl(DType d) { return d == DType::float32 && !config::deterministic(); }

// Empty operands (a zero batch, channel or spatial size): the result is zeros
// (or empty), and oneDNN would refuse the zero dims.
bool trivial(const Tensor& a, const Tensor& b, Tensor& out) {
  if (out.size() == 0) return true;
  if (a.size() == 0 || b.size() == 0) {
    std::memset(out.raw_mutable_data(), 0, static_cast<size_t>(out.size()) * dtype_size(out.dtype()));
    return true;
  }
  return false;
}

}  // namespace

void conv_forward(const ConvGeom& g, const Tensor& x, const Tensor& w, Tensor& y) {
  check(fits(x, w, y), "conv_forward", x, w);
  if (trivial(x, w, y)) return;
  if (use_dnnl(y.dtype()) && dnnl_conv(ConvKind::Forward, g, x.raw_data(), w.raw_data(), y.raw_mutable_data())) return;
  if (y.dtype() == DType::float32)
    loop_conv_forward(g, x.data<float>(), w.data<float>(), y.mutable_data<float>());
  else
    loop_conv_forward(g, x.data<double>(), w.data<double>(), y.mutable_data<double>());
}

void conv_backward_data(const ConvGeom& g, const Tensor& dy, const Tensor& w, Tensor& dx) {
  check(fits(dy, w, dx), "conv_backward_data", dy, w);
  if (trivial(dy, w, dx)) return;
  if (use_dnnl(dx.dtype()) && dnnl_conv(ConvKind::BackwardData, g, dy.raw_data(), w.raw_data(), dx.raw_mutable_data()))
    return;
  if (dx.dtype() == DType::float32)
    loop_conv_backward_data(g, dy.data<float>(), w.data<float>(), dx.mutable_data<float>());
  else
    loop_conv_backward_data(g, dy.data<double>(), w.data<double>(), dx.mutable_data<double>());
}

void conv_backward_weights(const ConvGeom& g, const Tensor& x, const Tensor& dy, Tensor& dw) {
  check(fits(x, dy, dw), "conv_backward_weights", x, dy);
  if (trivial(x, dy, dw)) return;
  if (use_dnnl(dw.dtype()) &&
      dnnl_conv(ConvKind::BackwardWeights, g, x.raw_data(), dy.raw_data(), dw.raw_mutable_data()))
    return;
  if (dw.dtype() == DType::float32)
    loop_conv_backward_weights(g, x.data<float>(), dy.data<float>(), dw.mutable_data<float>());
  else
    loop_conv_backward_weights(g, x.data<double>(), dy.data<double>(), dw.mutable_data<double>());
}

void max_pool_forward(const PoolGeom& g, const Tensor& x, Tensor& y) {
  check(fits(x, x, y), "max_pool_forward", x, y);
  if (trivial(x, x, y)) return;
  if (y.dtype() == DType::float32)
    fast_max_pool_forward(g, x.data<float>(), y.mutable_data<float>());
  else
    fast_max_pool_forward(g, x.data<double>(), y.mutable_data<double>());
}

void max_pool_backward(const PoolGeom& g, const Tensor& x, const Tensor& dy, Tensor& dx) {
  check(fits(x, dy, dx), "max_pool_backward", x, dy);
  if (trivial(x, dy, dx)) return;
  if (dx.dtype() == DType::float32)
    fast_max_pool_backward(g, x.data<float>(), dy.data<float>(), dx.mutable_data<float>());
  else
    fast_max_pool_backward(g, x.data<double>(), dy.data<double>(), dx.mutable_data<double>());
}

void avg_pool_forward(const PoolGeom& g, const Tensor& x, Tensor& y) {
  check(fits(x, x, y), "avg_pool_forward", x, y);
  if (trivial(x, x, y)) return;
  if (use_dnnl(y.dtype()) && dnnl_pool(PoolKind::AvgForward, g, x.raw_data(), nullptr, y.raw_mutable_data())) return;
  if (y.dtype() == DType::float32)
    loop_avg_pool_forward(g, x.data<float>(), y.mutable_data<float>());
  else
    loop_avg_pool_forward(g, x.data<double>(), y.mutable_data<double>());
}

void avg_pool_backward(const PoolGeom& g, const Tensor& dy, Tensor& dx) {
  check(fits(dy, dy, dx), "avg_pool_backward", dy, dx);
  if (trivial(dy, dy, dx)) return;
  if (use_dnnl(dx.dtype()) && dnnl_pool(PoolKind::AvgBackward, g, nullptr, dy.raw_data(), dx.raw_mutable_data()))
    return;
  if (dx.dtype() == DType::float32)
    loop_avg_pool_backward(g, dy.data<float>(), dx.mutable_data<float>());
  else
    loop_avg_pool_backward(g, dy.data<double>(), dx.mutable_data<double>());
}

size_t conv_cache_size() {
  std::lock_guard<std::mutex> lock(cache_mutex);
  return conv_cache.size() + pool_cache.size();
}

}  // namespace keras::backend::cpu
