#include "backend/cpu/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "core/convert.hpp"
#include "core/half.hpp"

namespace keras::backend::cpu {
namespace {

// Elements per block of a row reduction. A block's partial is a pure
// function of its elements, so the result depends only on the shape. 4096
// keeps a block in L1 and gives a 2^22-element sum ~1000 tasks to share out.
constexpr int64_t kBlock = 4096;
// Independent accumulators inside a block: they break the add-latency chain
// and let the compiler vectorize without reassociating (no -ffast-math).
constexpr int kLanes = 16;
// Column reductions (reduced axis not last) cut the reduced axis into blocks
// of at least this many rows, so block partials take at most 1/64 of the
// input's size in scratch memory.
constexpr int64_t kMinColumnBlockRows = 64;
// Inner (kept, contiguous) elements handled by one column task; its
// accumulators live on the stack (8 KiB of doubles). Measured on a
// 4096 x 4096 column sum: 1024 is ~1.8x faster than 256, 2048+ no better.
constexpr int64_t kChunk = 1024;
// Below this many input elements an OpenMP region costs more than it saves.
constexpr int64_t kParallelMin = int64_t{1} << 15;

// ---- element access ------------------------------------------------------------
// Storage is what the tensor holds, Value what the arithmetic sees: half
// types are widened to float on load.
template <class S>
struct Plain {
  using Storage = S;
  using Value = S;
  static Value load(S s) { return s; }
  static S store(Value v) { return v; }
};
struct Half {
  using Storage = uint16_t;
  using Value = float;
  static float load(uint16_t h) { return detail::f16_to_float(h); }
  static uint16_t store(float v) { return detail::float_to_f16(v); }
};
// bool is read as 0/1 uint8_t so that max/min/argmax of bool work on bytes
// (and no std::vector<bool> with its packed, thread-unsafe bits appears).
struct Bool {
  using Storage = bool;
  using Value = uint8_t;
  static uint8_t load(bool b) { return b ? 1 : 0; }
  static bool store(uint8_t v) { return v != 0; }
};
struct BHalf {
  using Storage = uint16_t;
  using Value = float;
  static float load(uint16_t h) { return detail::bf16_to_float(h); }
  static uint16_t store(float v) { return detail::float_to_bf16(v); }
};

template <class F>
void visit_dtype(DType d, F&& f) {
  switch (d) {
    case DType::float32:
      return f(Plain<float>{});
    case DType::float64:
      return f(Plain<double>{});
    case DType::int32:
      return f(Plain<int32_t>{});
    case DType::int64:
      return f(Plain<int64_t>{});
    case DType::uint8:
      return f(Plain<uint8_t>{});
    case DType::bool_:
      return f(Bool{});
    case DType::float16:
      return f(Half{});
    case DType::bfloat16:
      return f(BHalf{});
  }
  throw RuntimeError("reduce kernel: unsupported dtype " + std::string(dtype_name(d)));
}

template <class V>
bool is_nan(V v) {
  if constexpr (std::is_floating_point_v<V>)
    return v != v;
  else
    return false;
}

// ---- reduction operators ---------------------------------------------------------
// Sums and products widen: floating values to double (accurate, and still
// memory-bound), integers to uint64 (wraps like two's complement, no UB).
template <class V>
using WideAcc = std::conditional_t<std::is_floating_point_v<V>, double, uint64_t>;

template <class V>
struct SumOp {
  using Acc = WideAcc<V>;
  static Acc identity() { return Acc(0); }
  static Acc step(Acc a, V v) { return a + static_cast<Acc>(v); }
  static Acc merge(Acc a, Acc b) { return a + b; }
};
template <class V>
struct ProdOp {
  using Acc = WideAcc<V>;
  static Acc identity() { return Acc(1); }
  static Acc step(Acc a, V v) { return a * static_cast<Acc>(v); }
  static Acc merge(Acc a, Acc b) { return a * b; }
};
// NaN propagates (NumPy's np.max): once the accumulator is NaN, no
// comparison with it is true and it stays NaN.
template <class V>
struct MaxOp {
  using Acc = V;
  static Acc identity() {
    if constexpr (std::is_floating_point_v<V>)
      return -std::numeric_limits<V>::infinity();
    else
      return std::numeric_limits<V>::lowest();
  }
  static Acc step(Acc a, V v) { return (v > a || is_nan(v)) ? v : a; }
  static Acc merge(Acc a, Acc b) { return step(a, b); }
};
template <class V>
struct MinOp {
  using Acc = V;
  static Acc identity() {
    if constexpr (std::is_floating_point_v<V>)
      return std::numeric_limits<V>::infinity();
    else
      return std::numeric_limits<V>::max();
  }
  static Acc step(Acc a, V v) { return (v < a || is_nan(v)) ? v : a; }
  static Acc merge(Acc a, Acc b) { return step(a, b); }
};
// uint8_t rather than bool accumulators: std::vector<bool> packs bits, and
// threads writing neighbouring partials would race.
template <class V>
struct AnyOp {
  using Acc = uint8_t;
  static Acc identity() { return 0; }
  static Acc step(Acc a, V v) { return a | static_cast<Acc>(v != V(0)); }
  static Acc merge(Acc a, Acc b) { return a | b; }
};
template <class V>
struct AllOp {
  using Acc = uint8_t;
  static Acc identity() { return 1; }
  static Acc step(Acc a, V v) { return a & static_cast<Acc>(v != V(0)); }
  static Acc merge(Acc a, Acc b) { return a & b; }
};

// ---- fixed-order combination -------------------------------------------------------
// Reduces n >= 1 contiguous elements. Short spans run sequentially; longer
// ones round-robin over kLanes accumulators combined by a fixed tree.
template <class Op, class E>
typename Op::Acc reduce_span(const typename E::Storage* p, int64_t n) {
  using Acc = typename Op::Acc;
  if (n < kLanes) {
    Acc a = Op::identity();
    for (int64_t i = 0; i < n; ++i) a = Op::step(a, E::load(p[i]));
    return a;
  }
  Acc lane[kLanes];
  for (auto& l : lane) l = Op::identity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    // GCC does not SLP-vectorize the compare-and-select of max/min by
    // itself; `omp simd` lets it (lanes are independent, nothing reassociates).
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) lane[l] = Op::step(lane[l], E::load(p[i + l]));
  }
  for (int l = 0; i + l < n; ++l) lane[l] = Op::step(lane[l], E::load(p[i + l]));
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lane[l] = Op::merge(lane[l], lane[l + w]);
  return lane[0];
}

// Pairwise (balanced tree) combination of get(lo) .. get(hi - 1), hi > lo:
// the tree depends only on the count, and rounding error grows with log n.
template <class Op, class Get>
typename Op::Acc pairwise(const Get& get, int64_t lo, int64_t hi) {
  if (hi - lo == 1) return get(lo);
  const int64_t mid = lo + (hi - lo) / 2;
  return Op::merge(pairwise<Op>(get, lo, mid), pairwise<Op>(get, mid, hi));
}

// rows x n, reducing each contiguous row of n >= 1 elements.
template <class Op, class E>
void reduce_rows(const typename E::Storage* p, int64_t rows, int64_t n, typename Op::Acc* res) {
  using Acc = typename Op::Acc;
  const bool par = rows * n >= kParallelMin;
  const int64_t nb = (n + kBlock - 1) / kBlock;
  if (nb == 1) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t o = 0; o < rows; ++o) res[o] = reduce_span<Op, E>(p + o * n, n);
    return;
  }
  std::vector<Acc> part(static_cast<size_t>(rows * nb));
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < rows * nb; ++t) {
    const int64_t o = t / nb, start = (t % nb) * kBlock;
    part[t] = reduce_span<Op, E>(p + o * n + start, std::min(kBlock, n - start));
  }
  for (int64_t o = 0; o < rows; ++o) res[o] = pairwise<Op>([&](int64_t b) { return part[o * nb + b]; }, 0, nb);
}

// Leaves the combination of blocks lo .. hi - 1 (w elements each, `stride`
// apart) in block lo, combining them in pairwise()'s tree.
template <class Op>
void merge_blocks(typename Op::Acc* part, int64_t stride, int64_t lo, int64_t hi, int64_t w) {
  if (hi - lo == 1) return;
  const int64_t mid = lo + (hi - lo) / 2;
  merge_blocks<Op>(part, stride, lo, mid, w);
  merge_blocks<Op>(part, stride, mid, hi, w);
  typename Op::Acc* a = part + lo * stride;
  const typename Op::Acc* b = part + mid * stride;
#pragma omp simd
  for (int64_t j = 0; j < w; ++j) a[j] = Op::merge(a[j], b[j]);
}

// outer x n x inner with inner > 1, reducing the middle axis. Each output
// element runs sequentially over a block of rows (vectorized across the
// inner elements); block partials are then combined pairwise.
template <class Op, class E>
void reduce_columns(const typename E::Storage* p, int64_t outer, int64_t n, int64_t inner, typename Op::Acc* res) {
  using Acc = typename Op::Acc;
  const bool par = outer * n * inner >= kParallelMin;
  const int64_t rb = std::max(kMinColumnBlockRows, kBlock / inner);
  const int64_t nb = (n + rb - 1) / rb;
  const int64_t nc = (inner + kChunk - 1) / kChunk;
  std::vector<Acc> part(nb > 1 ? static_cast<size_t>(outer * nb * inner) : 0);
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < outer * nb * nc; ++t) {
    const int64_t c = t % nc, b = (t / nc) % nb, o = t / (nc * nb);
    const int64_t j0 = c * kChunk, w = std::min(kChunk, inner - j0);
    const int64_t r0 = b * rb, r1 = std::min(n, r0 + rb);
    Acc acc[kChunk];
    for (int64_t j = 0; j < w; ++j) acc[j] = Op::identity();
    for (int64_t r = r0; r < r1; ++r) {
      const auto* row = p + (o * n + r) * inner + j0;
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) acc[j] = Op::step(acc[j], E::load(row[j]));
    }
    Acc* dst = nb > 1 ? part.data() + (o * nb + b) * inner + j0 : res + o * inner + j0;
    std::copy(acc, acc + w, dst);
  }
  if (nb == 1) return;
    // Combine the block partials row-wise (contiguous, vectorized), in the
    // same tree as pairwise(); chunked so both threads get work.
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < outer * nc; ++t) {
    const int64_t o = t / nc, j0 = (t % nc) * kChunk, w = std::min(kChunk, inner - j0);
    Acc* base = part.data() + o * nb * inner + j0;
    merge_blocks<Op>(base, inner, 0, nb, w);
    std::copy(base, base + w, res + o * inner + j0);
  }
}

// ---- output conversion ---------------------------------------------------------------
template <class T, class A>
T convert_acc(A a) {
  // A uint64 accumulator holds a two's-complement integer sum or product.
  if constexpr (std::is_same_v<A, uint64_t>)
    return convert_acc<T>(static_cast<int64_t>(a));
  else if constexpr (std::is_same_v<T, bool>)
    return a != A(0);
  else
    return static_cast<T>(a);
}

template <class A>
void write_out(const A* res, int64_t n, Tensor& out) {
  void* dst = out.raw_mutable_data();
  auto fill = [&](auto* d, auto convert) {
    for (int64_t i = 0; i < n; ++i) d[i] = convert(res[i]);
  };
  switch (out.dtype()) {
    case DType::float32:
      return fill(static_cast<float*>(dst), convert_acc<float, A>);
    case DType::float64:
      return fill(static_cast<double*>(dst), convert_acc<double, A>);
    case DType::int32:
      return fill(static_cast<int32_t*>(dst), convert_acc<int32_t, A>);
    case DType::int64:
      return fill(static_cast<int64_t*>(dst), convert_acc<int64_t, A>);
    case DType::uint8:
      return fill(static_cast<uint8_t*>(dst), convert_acc<uint8_t, A>);
    case DType::bool_:
      return fill(static_cast<bool*>(dst), convert_acc<bool, A>);
    case DType::float16:
      return fill(static_cast<uint16_t*>(dst), [](A a) { return detail::float_to_f16(convert_acc<float>(a)); });
    case DType::bfloat16:
      return fill(static_cast<uint16_t*>(dst), [](A a) { return detail::float_to_bf16(convert_acc<float>(a)); });
  }
}

// The input seen as outer x n x inner (n = the reduced extent), over `data`.
struct Layout {
  const void* data = nullptr;
  int64_t outer = 1, n = 1, inner = 1;
};

template <class Op, class E>
void reduce_typed(const Layout& l, int64_t out_n, Tensor& out) {
  using Acc = typename Op::Acc;
  std::vector<Acc> res(static_cast<size_t>(out_n), Op::identity());
  if (l.n > 0) {
    const auto* p = static_cast<const typename E::Storage*>(l.data);
    if (l.inner == 1)
      reduce_rows<Op, E>(p, l.outer, l.n, res.data());
    else
      reduce_columns<Op, E>(p, l.outer, l.n, l.inner, res.data());
  }
  write_out(res.data(), out_n, out);
}

const char* kind_name(ReduceKind k) {
  switch (k) {
    case ReduceKind::Sum:
      return "sum";
    case ReduceKind::Prod:
      return "prod";
    case ReduceKind::Max:
      return "max";
    case ReduceKind::Min:
      return "min";
    case ReduceKind::Any:
      return "any";
    case ReduceKind::All:
      return "all";
  }
  return "reduce";
}

// outer x n x inner around one axis of a shape (axis < 0: everything in n).
Layout around_axis(const Tensor& x, int axis) {
  Layout l;
  l.data = x.raw_data();
  if (axis < 0) {
    l.n = x.size();
    return l;
  }
  const Shape& s = x.shape();
  for (int i = 0; i < s.rank(); ++i) {
    if (i < axis)
      l.outer *= s[i];
    else if (i == axis)
      l.n = s[i];
    else
      l.inner *= s[i];
  }
  return l;
}

}  // namespace

void reduce(ReduceKind kind, const Tensor& x, std::span<const int> axes, Tensor& out) {
  const Shape& s = x.shape();
  const int rank = s.rank();
  bool reduced[Shape::kMaxRank] = {};
  for (int a : axes) reduced[a] = true;
  int64_t out_n = 1, red_n = 1;
  for (int i = 0; i < rank; ++i) (reduced[i] ? red_n : out_n) *= s[i];
  if (out_n == 0) return;
  if (red_n == 0 && (kind == ReduceKind::Max || kind == ReduceKind::Min)) {
    throw ValueError(std::string(kind_name(kind)) + ": zero-size array to reduction operation " +
                     (kind == ReduceKind::Max ? "maximum" : "minimum") + " which has no identity (input shape " +
                     s.str() + ")");
  }

  // Size-1 dims do not matter; merging neighbouring dims of the same kind
  // leaves one reduced run in the common cases (last axis, first axis, all
  // axes), which is an outer x n x inner view of the contiguous data.
  int64_t ext[Shape::kMaxRank];
  bool red[Shape::kMaxRank];
  int ng = 0;
  for (int i = 0; i < rank; ++i) {
    if (s[i] == 1) continue;
    if (ng > 0 && red[ng - 1] == reduced[i]) {
      ext[ng - 1] *= s[i];
    } else {
      ext[ng] = s[i];
      red[ng] = reduced[i];
      ++ng;
    }
  }
  int runs = 0;
  for (int g = 0; g < ng; ++g) runs += red[g] ? 1 : 0;

  Layout l;
  Tensor gathered;
  if (runs <= 1 && x.is_contiguous()) {
    l.data = x.raw_data();
    bool seen = false;
    for (int g = 0; g < ng; ++g) {
      if (red[g]) {
        l.n = ext[g];
        seen = true;
      } else {
        (seen ? l.inner : l.outer) *= ext[g];
      }
    }
  } else if (red_n > 0) {
    // General path: copy with the kept axes first and the reduced axes last
    // (one strided gather, which also serves non-contiguous inputs), then
    // reduce contiguous rows.
    detail::TensorImpl view = *x.impl();
    int k = 0;
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < rank; ++i) {
        if (reduced[i] != (pass == 1)) continue;
        view.shape[k] = s[i];
        view.strides[k] = x.impl()->strides[i];
        ++k;
      }
    }
    gathered = Tensor::empty(view.shape, x.dtype());
    detail::gather_contiguous(view, gathered.raw_mutable_data());
    l.data = gathered.raw_data();
    l.outer = out_n;
    l.n = red_n;
  } else {
    l.outer = out_n;
    l.n = 0;
  }

  visit_dtype(x.dtype(), [&](auto e) {
    using E = decltype(e);
    using V = typename E::Value;
    switch (kind) {
      case ReduceKind::Sum:
        return reduce_typed<SumOp<V>, E>(l, out_n, out);
      case ReduceKind::Prod:
        return reduce_typed<ProdOp<V>, E>(l, out_n, out);
      case ReduceKind::Max:
        return reduce_typed<MaxOp<V>, E>(l, out_n, out);
      case ReduceKind::Min:
        return reduce_typed<MinOp<V>, E>(l, out_n, out);
      case ReduceKind::Any:
        return reduce_typed<AnyOp<V>, E>(l, out_n, out);
      case ReduceKind::All:
        return reduce_typed<AllOp<V>, E>(l, out_n, out);
    }
  });
}

// ---- argmax / argmin ------------------------------------------------------------------
namespace {

// Strictly better, so ties keep the earlier index; a NaN beats any number
// and nothing beats a NaN, so the first NaN wins (NumPy, JAX).
template <bool IsMax, class V>
bool better(V v, V best) {
  if (is_nan(best)) return false;
  if (is_nan(v)) return true;
  return IsMax ? v > best : v < best;
}

template <bool IsMax, class E>
void arg_typed(const Layout& l, int32_t* out) {
  using V = typename E::Value;
  const auto* p = static_cast<const typename E::Storage*>(l.data);
  const int64_t n = l.n;
  const bool par = l.outer * n * l.inner >= kParallelMin;
  auto scan = [&](const typename E::Storage* q, int64_t len, V& best, int64_t& idx) {
    best = E::load(q[0]);
    idx = 0;
    for (int64_t i = 1; i < len; ++i) {
      const V v = E::load(q[i]);
      if (better<IsMax>(v, best)) {
        best = v;
        idx = i;
      }
    }
  };
  if (l.inner == 1 && l.outer == 1 && n > kBlock) {
    // One long row: scan blocks in parallel, then take the first best block.
    // The answer is unique, so the split cannot change it.
    const int64_t nb = (n + kBlock - 1) / kBlock;
    std::vector<V> bv(static_cast<size_t>(nb));
    std::vector<int64_t> bi(static_cast<size_t>(nb));
#pragma omp parallel for schedule(static) if (par)
    for (int64_t b = 0; b < nb; ++b) {
      scan(p + b * kBlock, std::min(kBlock, n - b * kBlock), bv[b], bi[b]);
      bi[b] += b * kBlock;
    }
    int64_t best_b = 0;
    for (int64_t b = 1; b < nb; ++b)
      if (better<IsMax>(bv[b], bv[best_b])) best_b = b;
    out[0] = static_cast<int32_t>(bi[best_b]);
    return;
  }
  if (l.inner == 1) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t o = 0; o < l.outer; ++o) {
      V best;
      int64_t idx;
      scan(p + o * n, n, best, idx);
      out[o] = static_cast<int32_t>(idx);
    }
    return;
  }
  const int64_t inner = l.inner, nc = (inner + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < l.outer * nc; ++t) {
    const int64_t o = t / nc, j0 = (t % nc) * kChunk, w = std::min(kChunk, inner - j0);
    const auto* base = p + o * n * inner + j0;
    V best[kChunk];
    int32_t idx[kChunk] = {};
    for (int64_t j = 0; j < w; ++j) best[j] = E::load(base[j]);
    for (int64_t r = 1; r < n; ++r) {
      const auto* row = base + r * inner;
      for (int64_t j = 0; j < w; ++j) {
        const V v = E::load(row[j]);
        if (better<IsMax>(v, best[j])) {
          best[j] = v;
          idx[j] = static_cast<int32_t>(r);
        }
      }
    }
    std::copy(idx, idx + w, out + o * inner + j0);
  }
}

}  // namespace

void arg_reduce(bool is_max, const Tensor& x, int axis, Tensor& out) {
  const Layout l = around_axis(x, axis);
  if (l.outer * l.inner == 0) return;
  if (l.n == 0)
    throw ValueError(std::string(is_max ? "argmax" : "argmin") + ": attempt to get " + (is_max ? "argmax" : "argmin") +
                     " of an empty sequence (input shape " + x.shape().str() + ")");
  auto* o = out.mutable_data<int32_t>();
  visit_dtype(x.dtype(), [&](auto e) {
    using E = decltype(e);
    if (is_max)
      arg_typed<true, E>(l, o);
    else
      arg_typed<false, E>(l, o);
  });
}

// ---- softmax / log_softmax --------------------------------------------------------------
namespace {

// Max-subtracted: exp(x - max) <= 1 cannot overflow, and the sum is >= 1
// so its log is safe. The max and the sum use the reduction's fixed-order
// lanes (the sum in double). A NaN in a slice, or a slice of -inf
// (exp(-inf - -inf)), gives NaN throughout it, as jax.nn.softmax does.
template <class E>
void softmax_typed(const Layout& l, typename E::Storage* y, bool log) {
  using S = typename E::Storage;
  using V = typename E::Value;
  const auto* x = static_cast<const S*>(l.data);
  const int64_t n = l.n, inner = l.inner;
  const bool par = l.outer * n * inner >= kParallelMin;
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (par)
    for (int64_t o = 0; o < l.outer; ++o) {
      const S* xr = x + o * n;
      S* yr = y + o * n;
      const V m = reduce_span<MaxOp<V>, E>(xr, n);
      if constexpr (std::is_same_v<S, V>) {
        // y holds exp(x - m) first: one exp per element.
        for (int64_t i = 0; i < n; ++i) yr[i] = std::exp(xr[i] - m);
        const double s = reduce_span<SumOp<V>, E>(yr, n);
        if (log) {
          const V ls = static_cast<V>(std::log(s));
          for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] - m - ls;
        } else {
          const V sv = static_cast<V>(s);
          for (int64_t i = 0; i < n; ++i) yr[i] /= sv;
        }
      } else {
        // 16-bit storage cannot hold the float intermediates: exp twice.
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += std::exp(E::load(xr[i]) - m);
        const V sv = static_cast<V>(s), ls = static_cast<V>(std::log(s));
        for (int64_t i = 0; i < n; ++i) {
          const V d = E::load(xr[i]) - m;
          yr[i] = E::store(log ? d - ls : std::exp(d) / sv);
        }
      }
    }
    return;
  }
  const int64_t nc = (inner + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < l.outer * nc; ++t) {
    const int64_t o = t / nc, j0 = (t % nc) * kChunk, w = std::min(kChunk, inner - j0);
    const S* xb = x + o * n * inner + j0;
    S* yb = y + o * n * inner + j0;
    V m[kChunk];
    double s[kChunk];
    for (int64_t j = 0; j < w; ++j) {
      m[j] = MaxOp<V>::identity();
      s[j] = 0;
    }
    for (int64_t r = 0; r < n; ++r) {
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) m[j] = MaxOp<V>::step(m[j], E::load(xb[r * inner + j]));
    }
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < w; ++j) s[j] += std::exp(E::load(xb[r * inner + j]) - m[j]);
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t j = 0; j < w; ++j) {
        const V d = E::load(xb[r * inner + j]) - m[j];
        yb[r * inner + j] = E::store(log ? d - static_cast<V>(std::log(s[j])) : std::exp(d) / static_cast<V>(s[j]));
      }
    }
  }
}

}  // namespace

void softmax(const Tensor& x, int axis, bool log, Tensor& out) {
  const Layout l = around_axis(x, axis);
  if (l.outer * l.n * l.inner == 0) return;
  switch (x.dtype()) {
    case DType::float32:
      return softmax_typed<Plain<float>>(l, out.mutable_data<float>(), log);
    case DType::float64:
      return softmax_typed<Plain<double>>(l, out.mutable_data<double>(), log);
    case DType::float16:
      return softmax_typed<Half>(l, static_cast<uint16_t*>(out.raw_mutable_data()), log);
    case DType::bfloat16:
      return softmax_typed<BHalf>(l, static_cast<uint16_t*>(out.raw_mutable_data()), log);
    default:
      throw TypeError("softmax kernel: expects a floating-point tensor, got dtype " +
                      std::string(dtype_name(x.dtype())));
  }
}

}  // namespace keras::backend::cpu
