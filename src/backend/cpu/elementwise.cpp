// CPU elementwise kernels (see elementwise.hpp). The numerics follow NumPy /
// jax.numpy: NaN propagates through maximum / minimum / clip / relu, round is
// half to even, sign(0) = 0, integer arithmetic wraps.
#include "backend/cpu/elementwise.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace keras::backend::cpu {
namespace {

// An op runs on one thread below kParallelWork units of work, an element of
// a cheap kind (add, compare, sqrt) being 1 unit and one of a transcendental
// kind (exp, tanh, sigmoid, gelu, pow) kTranscendental units. Waking the
// OpenMP team costs a few microseconds. Measured on the 2-core development VM
// (tests/ops/elementwise_test.cpp ThreadThreshold prints these): negating 16k
// floats takes 3.0 us on one thread and 3.4 us on two, 64k floats 14 us and
// 7 us; a sigmoid of 1k floats 5.4 us and 5.6 us, of 8k floats 44 us and
// 24 us.
constexpr int64_t kParallelWork = 32768;
constexpr int kCheap = 1;
constexpr int kTranscendental = 16;

constexpr int kMaxOperands = 3;  // where() has three inputs

// ---- dtype categories -------------------------------------------------------------------------------
enum : unsigned { kF = 1, kI = 2, kB = 4 };  // floating, integer, bool

template <class T>
constexpr unsigned category() {
  if constexpr (std::is_same_v<T, bool>)
    return kB;
  else if constexpr (std::is_floating_point_v<T>)
    return kF;
  else
    return kI;
}

unsigned category(DType d) {
  switch (d) {
    case DType::float32:
    case DType::float64:
      return kF;
    case DType::int32:
    case DType::int64:
    case DType::uint8:
      return kI;
    case DType::bool_:
      return kB;
    case DType::float16:
    case DType::bfloat16:
      return 0;
  }
  return 0;
}

template <class T>
struct Tag {
  using type = T;
};

// Calls f(Tag<T>{}) for the C++ type of a computed dtype.
template <class F>
void visit(DType d, const char* op, F&& f) {
  switch (d) {
    case DType::float32:
      return f(Tag<float>{});
    case DType::float64:
      return f(Tag<double>{});
    case DType::int32:
      return f(Tag<int32_t>{});
    case DType::int64:
      return f(Tag<int64_t>{});
    case DType::uint8:
      return f(Tag<uint8_t>{});
    case DType::bool_:
      return f(Tag<bool>{});
    case DType::float16:
    case DType::bfloat16:
      break;
  }
  throw_unsupported(op, d);
}

// Wrapping integer arithmetic (signed overflow is undefined in C++; NumPy wraps).
template <class T>
T wrap_add(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <class T>
T wrap_sub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <class T>
T wrap_mul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  using W = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;  // no promotion to signed int
  return static_cast<T>(static_cast<U>(static_cast<W>(static_cast<U>(a)) * static_cast<W>(static_cast<U>(b))));
}

// Integer power by squaring. A negative exponent gives the truncated
// reciprocal: 0, except for bases 1 and -1.
template <class T>
T int_pow(T base, T exp) {
  if (exp < 0) {
    if (base == 1) return 1;
    if constexpr (std::is_signed_v<T>) {
      if (base == -1) return (exp % 2 == 0) ? T(1) : T(-1);
    }
    return 0;
  }
  T result = 1;
  while (exp > 0) {
    if (exp & 1) result = wrap_mul(result, base);
    base = wrap_mul(base, base);
    exp = static_cast<T>(exp >> 1);
  }
  return result;
}

// ---- functors: one per kind of kinds.def ---------------------------------------------------------------
// Unary functors take the clip bounds (alpha, beta) already converted to T.
struct UnaryBase {
  static constexpr bool kBoolOut = false;
  static constexpr int kCost = kCheap;
};
struct FloatUnary : UnaryBase {
  static constexpr unsigned kTypes = kF;
};
struct Transcendental : FloatUnary {
  static constexpr int kCost = kTranscendental;
};

struct NegativeOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI;
  template <class T>
  static T f(T x, T, T) {
    if constexpr (std::is_floating_point_v<T>)
      return -x;
    else
      return wrap_sub(T(0), x);
  }
};
struct AbsOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI | kB;
  template <class T>
  static T f(T x, T, T) {
    if constexpr (std::is_floating_point_v<T>)
      return std::abs(x);
    else if constexpr (std::is_signed_v<T>)
      return x < 0 ? wrap_sub(T(0), x) : x;
    else
      return x;
  }
};
struct SquareOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI;
  template <class T>
  static T f(T x, T, T) {
    if constexpr (std::is_floating_point_v<T>)
      return x * x;
    else
      return wrap_mul(x, x);
  }
};
struct SqrtOp : FloatUnary {
  template <class T>
  static T f(T x, T, T) {
    return std::sqrt(x);
  }
};
struct RsqrtOp : FloatUnary {
  template <class T>
  static T f(T x, T, T) {
    return T(1) / std::sqrt(x);
  }
};
struct ExpOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    return std::exp(x);
  }
};
struct LogOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    return std::log(x);
  }
};
struct Log1pOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    return std::log1p(x);
  }
};
struct Expm1Op : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    return std::expm1(x);
  }
};
struct SignOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI | kB;
  template <class T>
  static T f(T x, T, T) {
    if constexpr (std::is_floating_point_v<T>)
      return x > 0 ? T(1) : (x < 0 ? T(-1) : x);  // keeps 0 and NaN
    else if constexpr (std::is_signed_v<T>)
      return static_cast<T>((x > 0) - (x < 0));
    else
      return static_cast<T>(x > 0);
  }
};
struct FloorOp : FloatUnary {
  template <class T>
  static T f(T x, T, T) {
    return std::floor(x);
  }
};
struct RoundOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI;
  template <class T>
  static T f(T x, T, T) {
    // nearbyint rounds in the current mode, round-to-nearest-even by default:
    // NumPy's rule (2.5 -> 2, 3.5 -> 4), where std::round goes away from 0.
    if constexpr (std::is_floating_point_v<T>)
      return std::nearbyint(x);
    else
      return x;
  }
};
struct ErfOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    return std::erf(x);
  }
};
struct ClipOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI;
  template <class T>
  static T f(T x, T lo, T hi) {
    // Written so that a NaN x stays NaN, as in NumPy.
    const T y = x < lo ? lo : x;
    return hi < y ? hi : y;
  }
};
struct LogicalNotOp {
  static constexpr unsigned kTypes = kB;
  static constexpr bool kBoolOut = true;
  static constexpr int kCost = kCheap;
  template <class T>
  static bool f(T x, T, T) {
    return !x;
  }
};
struct ReluOp : UnaryBase {
  static constexpr unsigned kTypes = kF | kI;
  template <class T>
  static T f(T x, T, T) {
    return x < T(0) ? T(0) : x;  // NaN stays NaN, as jax.nn.relu
  }
};
struct SigmoidOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    // exp(-x) overflows to inf for x < -88 (float32), giving exactly 0.
    return T(1) / (T(1) + std::exp(-x));
  }
};
struct TanhOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    return std::tanh(x);
  }
};
struct GeluTanhOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    // jax.nn.gelu(approximate=True): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    constexpr T kSqrt2OverPi = T(0.7978845608028654);
    const T inner = kSqrt2OverPi * (x + T(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + std::tanh(inner));
  }
};
struct GeluErfOp : Transcendental {
  template <class T>
  static T f(T x, T, T) {
    // jax.nn.gelu(approximate=False): x (erf(x / sqrt 2) + 1) / 2
    constexpr T kInvSqrt2 = T(0.7071067811865476);
    return x * (std::erf(x * kInvSqrt2) + T(1)) / T(2);
  }
};

struct BinaryBase {
  static constexpr bool kBoolOut = false;
  static constexpr int kCost = kCheap;
};
struct Compare {
  static constexpr unsigned kTypes = kF | kI | kB;
  static constexpr bool kBoolOut = true;
  static constexpr int kCost = kCheap;
};

struct AddOp : BinaryBase {
  static constexpr unsigned kTypes = kF | kI | kB;
  template <class T>
  static T f(T a, T b) {
    if constexpr (std::is_same_v<T, bool>)
      return a || b;  // NumPy: bool + bool is logical or
    else if constexpr (std::is_floating_point_v<T>)
      return a + b;
    else
      return wrap_add(a, b);
  }
};
struct SubtractOp : BinaryBase {
  static constexpr unsigned kTypes = kF | kI;
  template <class T>
  static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      return a - b;
    else
      return wrap_sub(a, b);
  }
};
struct MultiplyOp : BinaryBase {
  static constexpr unsigned kTypes = kF | kI | kB;
  template <class T>
  static T f(T a, T b) {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else if constexpr (std::is_floating_point_v<T>)
      return a * b;
    else
      return wrap_mul(a, b);
  }
};
struct DivideOp : BinaryBase {
  static constexpr unsigned kTypes = kF;
  template <class T>
  static T f(T a, T b) {
    return a / b;
  }
};
struct PowerOp : BinaryBase {
  static constexpr unsigned kTypes = kF | kI;
  static constexpr int kCost = kTranscendental;
  template <class T>
  static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      return std::pow(a, b);
    else
      return int_pow(a, b);
  }
};
struct MaximumOp : BinaryBase {
  static constexpr unsigned kTypes = kF | kI | kB;
  template <class T>
  static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      return (a > b || a != a) ? a : b;  // NaN in either wins
    else
      return a > b ? a : b;
  }
};
struct MinimumOp : BinaryBase {
  static constexpr unsigned kTypes = kF | kI | kB;
  template <class T>
  static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      return (a < b || a != a) ? a : b;
    else
      return a < b ? a : b;
  }
};
struct EqualOp : Compare {
  template <class T>
  static bool f(T a, T b) {
    return a == b;
  }
};
struct NotEqualOp : Compare {
  template <class T>
  static bool f(T a, T b) {
    return a != b;
  }
};
struct GreaterOp : Compare {
  template <class T>
  static bool f(T a, T b) {
    return a > b;
  }
};
struct GreaterEqualOp : Compare {
  template <class T>
  static bool f(T a, T b) {
    return a >= b;
  }
};
struct LessOp : Compare {
  template <class T>
  static bool f(T a, T b) {
    return a < b;
  }
};
struct LessEqualOp : Compare {
  template <class T>
  static bool f(T a, T b) {
    return a <= b;
  }
};
struct LogicalAndOp {
  static constexpr unsigned kTypes = kB;
  static constexpr bool kBoolOut = true;
  static constexpr int kCost = kCheap;
  template <class T>
  static bool f(T a, T b) {
    return a && b;
  }
};
struct LogicalOrOp {
  static constexpr unsigned kTypes = kB;
  static constexpr bool kBoolOut = true;
  static constexpr int kCost = kCheap;
  template <class T>
  static bool f(T a, T b) {
    return a || b;
  }
};
struct ReluGradOp : BinaryBase {
  static constexpr unsigned kTypes = kF;
  template <class T>
  static T f(T dy, T x) {
    return x > T(0) ? dy : T(0);  // 0 at x == 0, as jax.nn.relu's rule
  }
};
struct SigmoidGradOp : BinaryBase {
  static constexpr unsigned kTypes = kF;
  template <class T>
  static T f(T dy, T y) {
    return dy * y * (T(1) - y);
  }
};
struct TanhGradOp : BinaryBase {
  static constexpr unsigned kTypes = kF;
  template <class T>
  static T f(T dy, T y) {
    return dy * (T(1) - y * y);
  }
};

// ---- broadcast plan ------------------------------------------------------------------------------------
// The iteration space after merging: out has `rank` dims of `shape` (C order,
// contiguous), operand k steps `stride[k][d]` elements along dim d (0 where it
// broadcasts).
struct Plan {
  int rank = 0;
  int64_t total = 0;
  int64_t shape[Shape::kMaxRank] = {};
  int64_t stride[kMaxOperands][Shape::kMaxRank] = {};
};

Plan make_plan(const Shape& out, const Tensor* const* ins, int n) {
  Plan p;
  p.total = out.numel();
  const int r = out.rank();
  for (int i = 0; i < r; ++i) {
    const int64_t d = out[i];
    if (d == 1) continue;  // a size-1 dim is no loop at all
    int64_t st[kMaxOperands];
    for (int k = 0; k < n; ++k) {
      const Tensor& t = *ins[k];
      const int j = i - (r - t.ndim());
      st[k] = (j < 0 || t.shape()[j] == 1) ? 0 : t.strides()[j];
    }
    bool merge = p.rank > 0;
    for (int k = 0; k < n && merge; ++k) merge = p.stride[k][p.rank - 1] == st[k] * d;
    if (merge) {
      p.shape[p.rank - 1] *= d;
      for (int k = 0; k < n; ++k) p.stride[k][p.rank - 1] = st[k];
    } else {
      p.shape[p.rank] = d;
      for (int k = 0; k < n; ++k) p.stride[k][p.rank] = st[k];
      ++p.rank;
    }
  }
  if (p.rank == 0) {  // a scalar, or all dims 1
    p.rank = 1;
    p.shape[0] = 1;
  }
  return p;
}

// Calls row(offsets, out_offset, n) over the plan: one call per run of the
// innermost dim, operand k starting at element offsets[k] and stepping
// p.stride[k][rank - 1]. Plans of enough work (elements times `cost`) are
// split over threads by rows, or, when there is one long row, by aligned
// chunks of it.
template <class Row>
void for_each_row(const Plan& p, int n, int cost, Row&& row) {
  const int last = p.rank - 1;
  const int64_t inner = p.shape[last];
  const int64_t rows = p.total / inner;
  const bool parallel = p.total * cost >= kParallelWork && omp_get_max_threads() > 1;
  if (rows == 1) {
    if (!parallel) {
      const int64_t off[kMaxOperands] = {};
      row(off, int64_t{0}, inner);
      return;
    }
#pragma omp parallel
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      // Whole cache lines per thread: no two threads write one line.
      const int64_t chunk = ((inner + nt - 1) / nt + 63) / 64 * 64;
      const int64_t begin = t * chunk, end = std::min(inner, begin + chunk);
      if (begin < end) {
        int64_t off[kMaxOperands];
        for (int k = 0; k < n; ++k) off[k] = begin * p.stride[k][last];
        row(off, begin, end - begin);
      }
    }
    return;
  }
  auto run_rows = [&](int64_t q0, int64_t q1) {
    int64_t idx[Shape::kMaxRank] = {};
    int64_t off[kMaxOperands] = {};
    int64_t rem = q0;
    for (int d = last - 1; d >= 0; --d) {
      idx[d] = rem % p.shape[d];
      rem /= p.shape[d];
      for (int k = 0; k < n; ++k) off[k] += idx[d] * p.stride[k][d];
    }
    for (int64_t q = q0; q < q1; ++q) {
      row(off, q * inner, inner);
      for (int d = last - 1; d >= 0; --d) {  // odometer step to the next row
        if (++idx[d] < p.shape[d]) {
          for (int k = 0; k < n; ++k) off[k] += p.stride[k][d];
          break;
        }
        for (int k = 0; k < n; ++k) off[k] -= p.stride[k][d] * (p.shape[d] - 1);
        idx[d] = 0;
      }
    }
  };
  if (!parallel) {
    run_rows(0, rows);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t begin = rows * t / nt, end = rows * (t + 1) / nt;
    if (begin < end) run_rows(begin, end);
  }
}

// ---- typed loops ---------------------------------------------------------------------------------------
// The inner loops, specialised on the stride pattern so the common cases are
// unit-stride loops without index arithmetic that the compiler vectorizes.
template <class F, class T, class O>
void unary_row(const T* __restrict x, int64_t sx, O* __restrict o, int64_t n, T lo, T hi) {
  if (sx == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(x[i], lo, hi);
  } else if (sx == 0) {
    const O v = F::f(x[0], lo, hi);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(x[i * sx], lo, hi);
  }
}

template <class F, class T, class O>
void binary_row(const T* __restrict a, int64_t sa, const T* __restrict b, int64_t sb, O* __restrict o, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {  // tensor (op) scalar, bias add
    const T bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(av, b[i]);
  } else if (sa == 0 && sb == 0) {
    const O v = F::f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = F::f(a[i * sa], b[i * sb]);
  }
}

// A clip bound as T: for integers, the integers inside [lo, hi] (ceil of the
// lower, floor of the upper bound), saturated to T's range.
template <class T>
T bound(double v, bool lower) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return lower ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    const double r = lower ? std::ceil(v) : std::floor(v);
    if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  }
}

template <class F>
void run_unary(const char* name, const Tensor& x, Tensor& out, double alpha, double beta) {
  visit(x.dtype(), name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr ((F::kTypes & category<T>()) != 0) {
      using O = std::conditional_t<F::kBoolOut, bool, T>;
      const Tensor* ins[] = {&x};
      const Plan p = make_plan(out.shape(), ins, 1);
      const T* xp = static_cast<const T*>(x.raw_data());
      O* op = static_cast<O*>(out.raw_mutable_data());
      const T lo = bound<T>(alpha, true), hi = bound<T>(beta, false);
      const int64_t sx = p.stride[0][p.rank - 1];
      for_each_row(p, 1, F::kCost, [&](const int64_t* off, int64_t oo, int64_t n) {
        unary_row<F>(xp + off[0], sx, op + oo, n, lo, hi);
      });
    } else {
      throw_unsupported(name, x.dtype());
    }
  });
}

template <class F>
void run_binary(const char* name, const Tensor& a, const Tensor& b, Tensor& out) {
  visit(a.dtype(), name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr ((F::kTypes & category<T>()) != 0) {
      using O = std::conditional_t<F::kBoolOut, bool, T>;
      const Tensor* ins[] = {&a, &b};
      const Plan p = make_plan(out.shape(), ins, 2);
      const T* ap = static_cast<const T*>(a.raw_data());
      const T* bp = static_cast<const T*>(b.raw_data());
      O* op = static_cast<O*>(out.raw_mutable_data());
      const int64_t sa = p.stride[0][p.rank - 1], sb = p.stride[1][p.rank - 1];
      for_each_row(p, 2, F::kCost, [&](const int64_t* off, int64_t oo, int64_t n) {
        binary_row<F>(ap + off[0], sa, bp + off[1], sb, op + oo, n);
      });
    } else {
      throw_unsupported(name, a.dtype());
    }
  });
}

template <class W>
void where_typed(const Tensor& c, const Tensor& x, const Tensor& y, Tensor& out) {
  const Tensor* ins[] = {&c, &x, &y};
  const Plan p = make_plan(out.shape(), ins, 3);
  const bool* cp = static_cast<const bool*>(c.raw_data());
  const W* xp = static_cast<const W*>(x.raw_data());
  const W* yp = static_cast<const W*>(y.raw_data());
  W* op = static_cast<W*>(out.raw_mutable_data());
  const int last = p.rank - 1;
  const int64_t sc = p.stride[0][last], sx = p.stride[1][last], sy = p.stride[2][last];
  for_each_row(p, 3, kCheap, [&](const int64_t* off, int64_t oo, int64_t n) {
    const bool* __restrict cr = cp + off[0];
    const W* __restrict xr = xp + off[1];
    const W* __restrict yr = yp + off[2];
    W* __restrict o = op + oo;
    if (sc == 1 && sx == 1 && sy == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = cr[i] ? xr[i] : yr[i];
    } else if (sc == 1 && sx == 1 && sy == 0) {  // where(mask, dy, 0): gradient rules
      const W yv = yr[0];
      for (int64_t i = 0; i < n; ++i) o[i] = cr[i] ? xr[i] : yv;
    } else if (sc == 1 && sx == 0 && sy == 1) {
      const W xv = xr[0];
      for (int64_t i = 0; i < n; ++i) o[i] = cr[i] ? xv : yr[i];
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = cr[i * sc] ? xr[i * sx] : yr[i * sy];
    }
  });
}

}  // namespace

void throw_unsupported(const char* op, DType d) {
  if (d == DType::float16 || d == DType::bfloat16)
    throw TypeError(std::string(op) + ": " + std::string(dtype_name(d)) +
                    " is a storage-only dtype in keras.cpp; cast it to float32 first (keras::ops::cast(x, "
                    "keras::float32))");
  throw TypeError(std::string(op) + " does not support dtype " + std::string(dtype_name(d)));
}

const char* kind_name(UnaryKind kind) {
  switch (kind) {
#define KERAS_UNARY(Name, str) \
  case UnaryKind::Name:        \
    return str;
#include "ops/kinds.def"
#undef KERAS_UNARY
  }
  return "?";
}

const char* kind_name(BinaryKind kind) {
  switch (kind) {
#define KERAS_BINARY(Name, str) \
  case BinaryKind::Name:        \
    return str;
#include "ops/kinds.def"
#undef KERAS_BINARY
  }
  return "?";
}

bool writes_bool(UnaryKind kind) {
  switch (kind) {
#define KERAS_UNARY(Name, str) \
  case UnaryKind::Name:        \
    return Name##Op::kBoolOut;
#include "ops/kinds.def"
#undef KERAS_UNARY
  }
  return false;
}

bool writes_bool(BinaryKind kind) {
  switch (kind) {
#define KERAS_BINARY(Name, str) \
  case BinaryKind::Name:        \
    return Name##Op::kBoolOut;
#include "ops/kinds.def"
#undef KERAS_BINARY
  }
  return false;
}

bool supports(UnaryKind kind, DType d) {
  switch (kind) {
#define KERAS_UNARY(Name, str) \
  case UnaryKind::Name:        \
    return (Name##Op::kTypes & category(d)) != 0;
#include "ops/kinds.def"
#undef KERAS_UNARY
  }
  return false;
}

bool supports(BinaryKind kind, DType d) {
  switch (kind) {
#define KERAS_BINARY(Name, str) \
  case BinaryKind::Name:        \
    return (Name##Op::kTypes & category(d)) != 0;
#include "ops/kinds.def"
#undef KERAS_BINARY
  }
  return false;
}

void unary(UnaryKind kind, const Tensor& x, Tensor& out, double alpha, double beta) {
  if (out.shape() != x.shape())
    throw RuntimeError(std::string("unary kernel ") + kind_name(kind) + ": output " + out.shape().str() +
                       " must have the input's shape " + x.shape().str());
  if (out.size() == 0) return;
  if (!out.is_contiguous()) throw RuntimeError(std::string("unary kernel ") + kind_name(kind) + ": output is a view");
  switch (kind) {
#define KERAS_UNARY(Name, str)                     \
  case UnaryKind::Name:                            \
    run_unary<Name##Op>(str, x, out, alpha, beta); \
    return;
#include "ops/kinds.def"
#undef KERAS_UNARY
  }
}

void binary(BinaryKind kind, const Tensor& a, const Tensor& b, Tensor& out) {
  if (a.dtype() != b.dtype())
    throw RuntimeError(std::string("binary kernel ") + kind_name(kind) + ": operands have dtypes " +
                       std::string(dtype_name(a.dtype())) + " and " + std::string(dtype_name(b.dtype())) +
                       "; promote them first");
  if (out.size() == 0) return;  // (an empty tensor does not count as contiguous)
  if (!out.is_contiguous() || a.ndim() > out.ndim() || b.ndim() > out.ndim())
    throw RuntimeError(std::string("binary kernel ") + kind_name(kind) + ": bad output for shapes " + a.shape().str() +
                       " and " + b.shape().str());
  switch (kind) {
#define KERAS_BINARY(Name, str)           \
  case BinaryKind::Name:                  \
    run_binary<Name##Op>(str, a, b, out); \
    return;
#include "ops/kinds.def"
#undef KERAS_BINARY
  }
}

void where(const Tensor& condition, const Tensor& x, const Tensor& y, Tensor& out) {
  if (condition.dtype() != DType::bool_ || x.dtype() != y.dtype() || x.dtype() != out.dtype())
    throw RuntimeError("where kernel: needs a bool condition and x, y, out of one dtype");
  if (out.size() == 0) return;
  if (!out.is_contiguous()) throw RuntimeError("where kernel: the output is a view");
  switch (dtype_size(x.dtype())) {
    case 1:
      return where_typed<uint8_t>(condition, x, y, out);
    case 2:
      return where_typed<uint16_t>(condition, x, y, out);
    case 4:
      return where_typed<uint32_t>(condition, x, y, out);
    case 8:
      return where_typed<uint64_t>(condition, x, y, out);
    default:
      throw RuntimeError("where kernel: unexpected element size");
  }
}

}  // namespace keras::backend::cpu
