#include "backend/cpu/copy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <type_traits>

#include "core/convert.hpp"
#include "core/half.hpp"

namespace keras::backend::cpu {
namespace {

// Below this many elements an OpenMP region costs more than it saves.
constexpr int64_t kParallelMin = int64_t{1} << 15;
// Inner elements per scatter task: the unit that OpenMP hands out when the
// outer extent alone gives too little parallelism (an embedding gradient has
// outer == 1).
constexpr int64_t kInnerChunk = 256;

// Fixed-width integer of each element size: data movement ignores the dtype.
template <size_t Bytes>
using Word =
    std::conditional_t<Bytes == 1, uint8_t,
                       std::conditional_t<Bytes == 2, uint16_t, std::conditional_t<Bytes == 4, uint32_t, uint64_t>>>;

template <class F>
void visit_size(size_t es, F&& f) {
  switch (es) {
    case 1:
      return f(Word<1>{});
    case 2:
      return f(Word<2>{});
    case 4:
      return f(Word<4>{});
    case 8:
      return f(Word<8>{});
  }
  throw RuntimeError("copy kernel: unsupported element size " + std::to_string(es));
}

// Addition per dtype, for the scatter-adds. Integers wrap (unsigned
// arithmetic: signed overflow would be undefined); bool adds as logical or,
// NumPy's rule; half types round after every addition, as a float16 tensor
// that is updated in place would.
template <class T>
struct AddPlain {
  using S = T;
  static T add(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }
};
struct AddBool {
  using S = bool;
  static bool add(bool a, bool b) { return a || b; }
};
struct AddHalf {
  using S = uint16_t;
  static uint16_t add(uint16_t a, uint16_t b) {
    return detail::float_to_f16(detail::f16_to_float(a) + detail::f16_to_float(b));
  }
};
struct AddBHalf {
  using S = uint16_t;
  static uint16_t add(uint16_t a, uint16_t b) {
    return detail::float_to_bf16(detail::bf16_to_float(a) + detail::bf16_to_float(b));
  }
};

template <class F>
void visit_add(DType d, F&& f) {
  switch (d) {
    case DType::float32:
      return f(AddPlain<float>{});
    case DType::float64:
      return f(AddPlain<double>{});
    case DType::int32:
      return f(AddPlain<int32_t>{});
    case DType::int64:
      return f(AddPlain<int64_t>{});
    case DType::uint8:
      return f(AddPlain<uint8_t>{});
    case DType::bool_:
      return f(AddBool{});
    case DType::float16:
      return f(AddHalf{});
    case DType::bfloat16:
      return f(AddBHalf{});
  }
  throw RuntimeError("scatter-add kernel: unsupported dtype " + std::string(dtype_name(d)));
}

// Values for comparisons (top_k): half types widen to float.
template <class T>
struct LoadPlain {
  using S = T;
  static T load(T v) { return v; }
};
struct LoadHalf {
  using S = uint16_t;
  static float load(uint16_t v) { return detail::f16_to_float(v); }
};
struct LoadBHalf {
  using S = uint16_t;
  static float load(uint16_t v) { return detail::bf16_to_float(v); }
};

template <class F>
void visit_load(DType d, F&& f) {
  switch (d) {
    case DType::float32:
      return f(LoadPlain<float>{});
    case DType::float64:
      return f(LoadPlain<double>{});
    case DType::int32:
      return f(LoadPlain<int32_t>{});
    case DType::int64:
      return f(LoadPlain<int64_t>{});
    case DType::uint8:
      return f(LoadPlain<uint8_t>{});
    case DType::bool_:
      return f(LoadPlain<uint8_t>{});  // bools are 0/1 bytes
    case DType::float16:
      return f(LoadHalf{});
    case DType::bfloat16:
      return f(LoadBHalf{});
  }
  throw RuntimeError("top_k kernel: unsupported dtype " + std::string(dtype_name(d)));
}

template <class V>
bool is_nan(V v) {
  if constexpr (std::is_floating_point_v<V>)
    return std::isnan(v);
  else
    return false;
}

// (outer, n, inner) around `axis`.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at(const Shape& s, int axis) {
  AxisSplit a;
  for (int i = 0; i < axis; ++i) a.outer *= s[i];
  a.n = s[axis];
  for (int i = axis + 1; i < s.rank(); ++i) a.inner *= s[i];
  return a;
}

char* bytes(Tensor& t) { return static_cast<char*>(t.raw_mutable_data()); }
const char* bytes(const Tensor& t) { return static_cast<const char*>(t.raw_data()); }

// The element bytes of `value` in dtype d.
uint64_t value_bits(double value, DType d) {
  uint64_t bits = 0;
  detail::convert_elements(&value, DType::float64, &bits, d, 1);
  return bits;
}

}  // namespace

// ---- copy / fill -----------------------------------------------------------------------------------------
void copy(const Tensor& src, Tensor dst) {
  if (src.shape() != dst.shape() || src.dtype() != dst.dtype())
    throw RuntimeError("copy kernel: source " + src.shape().str() + " and destination " + dst.shape().str() +
                       " differ in shape or dtype");
  const int64_t total = src.size();
  if (total == 0) return;
  const size_t es = dtype_size(src.dtype());
  // Drop size-1 dims and merge neighbours that are contiguous with each
  // other in both tensors: a slice of rows becomes one long run.
  int64_t n[Shape::kMaxRank], ss[Shape::kMaxRank], ds[Shape::kMaxRank];
  int r = 0;
  for (int i = 0; i < src.ndim(); ++i) {
    const int64_t d = src.shape()[i];
    if (d == 1) continue;
    const int64_t s = src.strides()[i], t = dst.strides()[i];
    if (r > 0 && ss[r - 1] == s * d && ds[r - 1] == t * d) {
      n[r - 1] *= d;
      ss[r - 1] = s;
      ds[r - 1] = t;
    } else {
      n[r] = d;
      ss[r] = s;
      ds[r] = t;
      ++r;
    }
  }
  const char* s0 = bytes(src);
  char* d0 = bytes(dst);
  if (r == 0) {
    std::memcpy(d0, s0, es);
    return;
  }
  const int64_t inner = n[r - 1], rows = total / inner;
  const int64_t si = ss[r - 1], di = ds[r - 1];
  const auto ses = static_cast<int64_t>(es);
  visit_size(es, [&](auto word) {
    using W = decltype(word);
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
    for (int64_t row = 0; row < rows; ++row) {
      int64_t so = 0, dof = 0, rem = row;
      for (int d = r - 2; d >= 0; --d) {
        const int64_t idx = rem % n[d];
        rem /= n[d];
        so += idx * ss[d];
        dof += idx * ds[d];
      }
      const char* sp = s0 + so * ses;
      char* dp = d0 + dof * ses;
      if (si == 1 && di == 1) {
        std::memcpy(dp, sp, static_cast<size_t>(inner) * es);
      } else {
        const W* s = reinterpret_cast<const W*>(sp);
        W* t = reinterpret_cast<W*>(dp);
        for (int64_t j = 0; j < inner; ++j) t[j * di] = s[j * si];
      }
    }
  });
}

void fill(Tensor& out, double value) {
  const int64_t total = out.size();
  if (total == 0) return;
  const size_t es = dtype_size(out.dtype());
  const uint64_t bits = value_bits(value, out.dtype());
  if (bits == 0) {
    std::memset(out.raw_mutable_data(), 0, static_cast<size_t>(total) * es);
    return;
  }
  visit_size(es, [&](auto word) {
    using W = decltype(word);
    W v;
    std::memcpy(&v, &bits, sizeof(W));
    W* p = static_cast<W*>(out.raw_mutable_data());
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
    for (int64_t i = 0; i < total; ++i) p[i] = v;
  });
}

// ---- gathers and scatter-adds ----------------------------------------------------------------------------
std::vector<int64_t> normalized_indices(const Tensor& indices, int64_t n, int axis, const char* op) {
  std::vector<int64_t> idx(static_cast<size_t>(indices.size()));
  if (idx.empty()) return idx;
  detail::convert_elements(indices.raw_data(), indices.dtype(), idx.data(), DType::int64, indices.size());
  for (auto& i : idx) {
    if (i < -n || i >= n)
      throw IndexError(std::string(op) + ": index " + std::to_string(i) + " is out of bounds for axis " +
                       std::to_string(axis) + " with size " + std::to_string(n));
    if (i < 0) i += n;
  }
  return idx;
}

void gather_axis(const Tensor& x, std::span<const int64_t> index, int axis, Tensor& out) {
  const AxisSplit a = split_at(x.shape(), axis);
  const auto m = static_cast<int64_t>(index.size());
  const size_t es = dtype_size(x.dtype());
  const size_t block = static_cast<size_t>(a.inner) * es;
  const char* src = bytes(x);
  char* dst = bytes(out);
  const int64_t rows = a.outer * m;
#pragma omp parallel for schedule(static) if (rows * a.inner >= kParallelMin)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t o = row / m, i = row % m;
    std::memcpy(dst + static_cast<size_t>(row) * block, src + static_cast<size_t>(o * a.n + index[i]) * block, block);
  }
}

void scatter_add_axis(const Tensor& dy, std::span<const int64_t> index, int axis, Tensor& out) {
  fill(out, 0.0);
  const AxisSplit a = split_at(out.shape(), axis);
  const auto m = static_cast<int64_t>(index.size());
  const int64_t chunks = (a.inner + kInnerChunk - 1) / kInnerChunk;
  visit_add(out.dtype(), [&](auto ops) {
    using Op = decltype(ops);
    using S = typename Op::S;
    const S* g = static_cast<const S*>(dy.raw_data());
    S* o_ptr = static_cast<S*>(out.raw_mutable_data());
    // Each task owns a block of output columns; within it the index positions
    // are visited in order, so the sum order is fixed.
#pragma omp parallel for schedule(static) if (a.outer * m * a.inner >= kParallelMin)
    for (int64_t task = 0; task < a.outer * chunks; ++task) {
      const int64_t o = task / chunks, k0 = (task % chunks) * kInnerChunk;
      const int64_t k1 = std::min(a.inner, k0 + kInnerChunk);
      for (int64_t i = 0; i < m; ++i) {
        const S* src = g + (o * m + i) * a.inner;
        S* dst = o_ptr + (o * a.n + index[i]) * a.inner;
        for (int64_t k = k0; k < k1; ++k) dst[k] = Op::add(dst[k], src[k]);
      }
    }
  });
}

void gather_along_axis(const Tensor& x, std::span<const int64_t> index, int axis, Tensor& out) {
  const AxisSplit a = split_at(x.shape(), axis);
  const int64_t m = out.shape()[axis];
  visit_size(dtype_size(x.dtype()), [&](auto word) {
    using W = decltype(word);
    const W* src = static_cast<const W*>(x.raw_data());
    W* dst = static_cast<W*>(out.raw_mutable_data());
    const int64_t rows = a.outer * m;
#pragma omp parallel for schedule(static) if (rows * a.inner >= kParallelMin)
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t o = row / m;
      const int64_t* idx = index.data() + row * a.inner;
      W* d = dst + row * a.inner;
      const W* s = src + o * a.n * a.inner;
      for (int64_t k = 0; k < a.inner; ++k) d[k] = s[idx[k] * a.inner + k];
    }
  });
}

void scatter_add_along_axis(const Tensor& dy, std::span<const int64_t> index, int axis, Tensor& out) {
  fill(out, 0.0);
  const AxisSplit a = split_at(out.shape(), axis);
  const int64_t m = dy.shape()[axis];
  const int64_t chunks = (a.inner + kInnerChunk - 1) / kInnerChunk;
  visit_add(out.dtype(), [&](auto ops) {
    using Op = decltype(ops);
    using S = typename Op::S;
    const S* g = static_cast<const S*>(dy.raw_data());
    S* o_ptr = static_cast<S*>(out.raw_mutable_data());
#pragma omp parallel for schedule(static) if (a.outer * m * a.inner >= kParallelMin)
    for (int64_t task = 0; task < a.outer * chunks; ++task) {
      const int64_t o = task / chunks, k0 = (task % chunks) * kInnerChunk;
      const int64_t k1 = std::min(a.inner, k0 + kInnerChunk);
      S* dst = o_ptr + o * a.n * a.inner;
      for (int64_t j = 0; j < m; ++j) {
        const int64_t row = (o * m + j) * a.inner;
        for (int64_t k = k0; k < k1; ++k)
          dst[index[row + k] * a.inner + k] = Op::add(dst[index[row + k] * a.inner + k], g[row + k]);
      }
    }
  });
}

// ---- one_hot ---------------------------------------------------------------------------------------------
void one_hot(const Tensor& x, int axis, Tensor& out) {
  fill(out, 0.0);
  const int64_t classes = out.shape()[axis];
  const int64_t total = x.size();
  if (total == 0 || classes == 0) return;
  // Whole numbers compare exactly in double up to 2^53, far past any class
  // count, so every dtype is read as double.
  std::vector<double> v(static_cast<size_t>(total));
  detail::convert_elements(x.raw_data(), x.dtype(), v.data(), DType::float64, total);
  int64_t inner = 1;
  for (int i = axis; i < x.ndim(); ++i) inner *= x.shape()[i];
  const uint64_t one = value_bits(1.0, out.dtype());
  visit_size(dtype_size(out.dtype()), [&](auto word) {
    using W = decltype(word);
    W w;
    std::memcpy(&w, &one, sizeof(W));
    W* dst = static_cast<W*>(out.raw_mutable_data());
    for (int64_t e = 0; e < total; ++e) {
      const double c = v[static_cast<size_t>(e)];
      if (!(c >= 0 && c < static_cast<double>(classes)) || c != std::floor(c)) continue;
      const int64_t o = e / inner, k = e % inner;
      dst[(o * classes + static_cast<int64_t>(c)) * inner + k] = w;
    }
  });
}

// ---- pad -------------------------------------------------------------------------------------------------
int64_t pad_source_index(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  auto mod = [](int64_t a, int64_t p) { return ((a % p) + p) % p; };
  switch (mode) {
    case PadMode::Constant:
      return -1;
    case PadMode::Edge:
      return i < 0 ? 0 : n - 1;
    case PadMode::Wrap:
      return mod(i, n);
    case PadMode::Reflect: {
      // Mirror about the end elements (not repeating them): period 2(n - 1).
      // NumPy keeps reflecting when the pad is wider than the axis, which is
      // the same periodic extension.
      if (n == 1) return 0;
      const int64_t j = mod(i, 2 * (n - 1));
      return j < n ? j : 2 * (n - 1) - j;
    }
    case PadMode::Symmetric: {
      // Mirror including the end elements: period 2n.
      const int64_t j = mod(i, 2 * n);
      return j < n ? j : 2 * n - 1 - j;
    }
  }
  return -1;
}

namespace {

// For each axis, the source index of every padded position (-1: constant).
std::vector<std::vector<int64_t>> pad_maps(const Shape& in, std::span<const std::pair<int64_t, int64_t>> pads,
                                           PadMode mode) {
  std::vector<std::vector<int64_t>> maps(static_cast<size_t>(in.rank()));
  for (int d = 0; d < in.rank(); ++d) {
    const auto [before, after] = pads[static_cast<size_t>(d)];
    auto& m = maps[static_cast<size_t>(d)];
    m.resize(static_cast<size_t>(before + in[d] + after));
    for (int64_t i = 0; i < static_cast<int64_t>(m.size()); ++i)
      m[static_cast<size_t>(i)] = pad_source_index(i - before, in[d], mode);
  }
  return maps;
}

}  // namespace

void pad(const Tensor& x, std::span<const std::pair<int64_t, int64_t>> pads, PadMode mode, double value, Tensor& out) {
  const int64_t total = out.size();
  if (total == 0) return;
  const int r = x.ndim();
  if (r == 0) {
    std::memcpy(out.raw_mutable_data(), x.raw_data(), dtype_size(x.dtype()));
    return;
  }
  const auto maps = pad_maps(x.shape(), pads, mode);
  int64_t in_strides[Shape::kMaxRank];
  int64_t s = 1;
  for (int d = r - 1; d >= 0; --d) {
    in_strides[d] = s;
    s *= x.shape()[d];
  }
  const Shape& os = out.shape();
  const int64_t inner = os[r - 1], rows = total / inner;
  const auto& last = maps[static_cast<size_t>(r - 1)];
  const uint64_t bits = value_bits(value, x.dtype());
  visit_size(dtype_size(x.dtype()), [&](auto word) {
    using W = decltype(word);
    W v;
    std::memcpy(&v, &bits, sizeof(W));
    const W* src = static_cast<const W*>(x.raw_data());
    W* dst = static_cast<W*>(out.raw_mutable_data());
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
    for (int64_t row = 0; row < rows; ++row) {
      W* d = dst + row * inner;
      int64_t base = 0, rem = row;
      bool constant = false;
      for (int k = r - 2; k >= 0; --k) {
        const int64_t idx = rem % os[k];
        rem /= os[k];
        const int64_t sidx = maps[static_cast<size_t>(k)][static_cast<size_t>(idx)];
        if (sidx < 0) constant = true;
        base += sidx * in_strides[k];
      }
      if (constant) {
        std::fill(d, d + inner, v);
        continue;
      }
      for (int64_t j = 0; j < inner; ++j) {
        const int64_t sj = last[static_cast<size_t>(j)];
        d[j] = sj < 0 ? v : src[base + sj];
      }
    }
  });
}

void pad_backward(const Tensor& dy, std::span<const std::pair<int64_t, int64_t>> pads, PadMode mode, Tensor& out) {
  const int r = dy.ndim();
  if (mode == PadMode::Constant || r == 0) {
    // Only the interior came from the input: copy it out of dy.
    auto view = std::make_shared<detail::TensorImpl>(*dy.impl());
    view->shape = out.shape();
    for (int d = 0; d < r; ++d) view->offset += pads[static_cast<size_t>(d)].first * view->strides[d];
    copy(Tensor(std::move(view)), out);
    return;
  }
  // Separable: fold the pads of one axis at a time back onto the interior.
  // Each fold adds the positions of an output row in increasing order.
  std::vector<int> padded;
  for (int d = 0; d < r; ++d)
    if (pads[static_cast<size_t>(d)].first != 0 || pads[static_cast<size_t>(d)].second != 0) padded.push_back(d);
  if (padded.empty()) {
    copy(dy, out);
    return;
  }
  const auto maps = pad_maps(out.shape(), pads, mode);
  Tensor cur = dy.contiguous();
  for (size_t p = 0; p < padded.size(); ++p) {
    const int axis = padded[p];
    Shape next_shape = cur.shape();
    next_shape[axis] = out.shape()[axis];
    Tensor next = p + 1 == padded.size() ? out : Tensor::empty(next_shape, out.dtype());
    fill(next, 0.0);
    const AxisSplit a = split_at(cur.shape(), axis);
    const int64_t n = next_shape[axis];
    const auto& map = maps[static_cast<size_t>(axis)];
    const int64_t chunks = (a.inner + kInnerChunk - 1) / kInnerChunk;
    visit_add(out.dtype(), [&](auto ops) {
      using Op = decltype(ops);
      using S = typename Op::S;
      const S* g = static_cast<const S*>(cur.raw_data());
      S* o_ptr = static_cast<S*>(next.raw_mutable_data());
#pragma omp parallel for schedule(static) if (cur.size() >= kParallelMin)
      for (int64_t task = 0; task < a.outer * chunks; ++task) {
        const int64_t o = task / chunks, k0 = (task % chunks) * kInnerChunk;
        const int64_t k1 = std::min(a.inner, k0 + kInnerChunk);
        for (int64_t i = 0; i < a.n; ++i) {
          const int64_t j = map[static_cast<size_t>(i)];
          if (j < 0) continue;
          const S* src = g + (o * a.n + i) * a.inner;
          S* dst = o_ptr + (o * n + j) * a.inner;
          for (int64_t k = k0; k < k1; ++k) dst[k] = Op::add(dst[k], src[k]);
        }
      }
    });
    cur = next;
  }
}

// ---- top_k -----------------------------------------------------------------------------------------------
void top_k_indices(const Tensor& x, int64_t k, Tensor& out) {
  if (out.size() == 0) return;
  const int64_t n = x.shape().back();
  const int64_t rows = x.size() / n;
  int32_t* dst = out.mutable_data<int32_t>();
  visit_load(x.dtype(), [&](auto ld) {
    using L = decltype(ld);
    using S = typename L::S;
    const S* src = static_cast<const S*>(x.raw_data());
#pragma omp parallel for schedule(static) if (x.size() >= kParallelMin)
    for (int64_t row = 0; row < rows; ++row) {
      const S* v = src + row * n;
      std::vector<int32_t> idx(static_cast<size_t>(n));
      std::iota(idx.begin(), idx.end(), 0);
      // A strict weak order: NaNs first (among themselves by index), then
      // larger values, then lower index.
      auto before = [&](int32_t i, int32_t j) {
        const auto a = L::load(v[i]), b = L::load(v[j]);
        const bool na = is_nan(a), nb = is_nan(b);
        if (na || nb) return na && nb ? i < j : na;
        if (a != b) return a > b;
        return i < j;
      };
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), before);
      std::copy(idx.begin(), idx.begin() + k, dst + row * k);
    }
  });
}

}  // namespace keras::backend::cpu
