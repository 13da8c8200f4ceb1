// Mirrors keras/src/random/random.py and keras/src/random/seed_generator.py
//
// Every draw is a pure function of (key, draw counter, element index), made
// with the counter-based Philox-4x32-10 generator (core/philox.hpp):
//   - Seed::resolve() gives the key (splitmix64 of the seed) and the draw
//     counter (0 for an integer seed, the SeedGenerator's count otherwise);
//   - Philox block j of the draw supplies the elements 4j..4j+3 (2j..2j+1 for
//     values that take 64 bits: float64 and randint), so blocks are filled in
//     parallel and the result never depends on the number of threads, and a
//     shorter draw with the same seed is a prefix of a longer one.
//
// The random functions create tensors directly, as Keras' creation functions
// do; they are not differentiable ops. dropout (ops::where) and shuffle
// (ops::take) are composites of keras::ops and differentiate through the
// dispatcher like any other composite.
#include "keras/random.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "core/half.hpp"
#include "core/philox.hpp"
#include "keras/ops.hpp"
#include "utils/python_format.hpp"

namespace keras {
namespace random {
namespace {

using detail::philox_block;
using detail::PhiloxBlock;
using detail::splitmix64;

// Starting an OpenMP team costs more than computing about a thousand blocks.
constexpr int64_t kParallelBlocks = 1024;
// Truncated-normal redraws of element i use Philox blocks (attempt << 56) | i
// of the same draw, which never collide with the ordinary blocks (below 2^54),
// so the redraws are as thread-count independent as the first draw.
constexpr int kRedrawShift = 56;
constexpr uint64_t kMaxRedraws = 255;
constexpr int64_t kMaxElements = int64_t{1} << kRedrawShift;
constexpr double kTwoPi = 6.283185307179586;

// ---- the global generator -----------------------------------------------------

struct GlobalGenerator {
  std::mutex mu;
  SeedGenerator gen;
  // Unseeded, keras.cpp is nondeterministic from run to run, as Keras is
  // before keras.utils.set_random_seed.
  GlobalGenerator() : gen((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}
};

GlobalGenerator& global_generator() {
  static GlobalGenerator g;
  return g;
}

std::pair<uint64_t, uint64_t> global_next() {
  GlobalGenerator& g = global_generator();
  std::lock_guard<std::mutex> lock(g.mu);
  return g.gen.next();
}

// ---- argument checks ------------------------------------------------------------

// A double as Python's repr prints it ("1.0", "0.1", "inf"), so messages read
// like Keras'.
std::string py_float(double v) { return utils::detail::python_float_repr(v); }

void check_shape(const char* fn, const Shape& shape) {
  for (int64_t d : shape) {
    if (d < 0) throw ValueError(std::string(fn) + ": shape must be fully defined and non-negative, got " + shape.str());
  }
  if (shape.numel() >= kMaxElements) {
    throw ValueError(std::string(fn) + ": shape " + shape.str() + " has more than 2^56 elements");
  }
}

void check_floating(const char* fn, DType dtype) {
  if (!is_floating(dtype)) {
    throw TypeError(std::string(fn) + ": dtype must be a floating dtype (float16, bfloat16, float32, float64), got " +
                    std::string(dtype_name(dtype)));
  }
}

void check_normal_args(const char* fn, const NormalOptions& o) {
  if (!std::isfinite(o.mean) || !std::isfinite(o.stddev) || o.stddev < 0) {
    throw ValueError(std::string(fn) + ": stddev must be non-negative and mean and stddev finite, got mean=" +
                     py_float(o.mean) + ", stddev=" + py_float(o.stddev));
  }
}

// ---- element codecs ---------------------------------------------------------------
// The storage type of each floating dtype, with conversion from double and the
// neighbouring representable values (to keep uniform draws inside [min, max)
// after rounding).

struct F32 {
  using T = float;
  static T encode(double v) { return static_cast<float>(v); }
  static double decode(T x) { return x; }
  static T below(T x) { return std::nextafter(x, -std::numeric_limits<float>::infinity()); }
  static T above(T x) { return std::nextafter(x, std::numeric_limits<float>::infinity()); }
};

struct F64 {
  using T = double;
  static T encode(double v) { return v; }
  static double decode(T x) { return x; }
  static T below(T x) { return std::nextafter(x, -std::numeric_limits<double>::infinity()); }
  static T above(T x) { return std::nextafter(x, std::numeric_limits<double>::infinity()); }
};

// float16 and bfloat16 are sign-magnitude: moving away from zero adds one to
// the bit pattern, and the neighbours of +-0 are the smallest subnormals.
template <uint16_t (*kEncode)(float), float (*kDecode)(uint16_t)>
struct Half {
  using T = uint16_t;
  static T encode(double v) { return kEncode(static_cast<float>(v)); }
  static double decode(T x) { return kDecode(x); }
  static T below(T x) {
    if ((x & 0x7fffu) == 0) return 0x8001u;
    return static_cast<T>((x & 0x8000u) ? x + 1 : x - 1);
  }
  static T above(T x) {
    if ((x & 0x7fffu) == 0) return 0x0001u;
    return static_cast<T>((x & 0x8000u) ? x - 1 : x + 1);
  }
};
using F16 = Half<detail::float_to_f16, detail::f16_to_float>;
using BF16 = Half<detail::float_to_bf16, detail::bf16_to_float>;

// Calls f with the codec of a floating dtype (checked by the caller).
template <class F>
void with_float_codec(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float64:
      f(F64{});
      break;
    case DType::float16:
      f(F16{});
      break;
    case DType::bfloat16:
      f(BF16{});
      break;
    default:
      f(F32{});
      break;
  }
}

// Rounds v (in [lo, hi) in exact arithmetic) to the codec's type and steps
// back inside if rounding left the interval: for v < round(v) the
// representable value before round(v) is at most v, so one step suffices.
template <class C>
typename C::T encode_in_range(double v, double lo, double hi) {
  typename C::T x = C::encode(v);
  if (C::decode(x) >= hi) return C::below(x);
  if (C::decode(x) < lo) return C::above(x);
  return x;
}

// ---- bits to numbers --------------------------------------------------------------

// [0, 1) on the float32 grid: 24 bits, so every value is exact in float32 and
// none rounds up to 1.
double unit24(uint32_t w) { return static_cast<double>(w >> 8) * 0x1p-24; }
// [0, 1) with 53 bits from two words, exact in float64.
double unit53(uint32_t lo, uint32_t hi) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1p-53;
}
// (0, 1]: the Box-Muller radius takes log(u), which must not see 0.
double open_unit32(uint32_t w) { return (static_cast<double>(w) + 1.0) * 0x1p-32; }
double open_unit53(uint32_t lo, uint32_t hi) {
  return (static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) + 1.0) * 0x1p-53;
}
uint64_t word64(uint32_t lo, uint32_t hi) { return (static_cast<uint64_t>(hi) << 32) | lo; }
// floor(r * n / 2^64): an integer in [0, n) from 64 random bits. No rejection,
// so every element takes a fixed number of bits; the bias is below n / 2^64.
uint64_t scale64(uint64_t r, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
}

void box_muller(double u, double v, double* z) {
  const double r = std::sqrt(-2.0 * std::log(u));
  z[0] = r * std::cos(kTwoPi * v);
  z[1] = r * std::sin(kTwoPi * v);
}

// Standard normals from one Philox block: 4 from 32-bit uniforms for float32
// and narrower types, 2 from 53-bit uniforms for float64 (whose tails then
// reach 8.6 standard deviations instead of 6.7).
template <bool kWide>
constexpr int kNormalsPerBlock = kWide ? 2 : 4;

template <bool kWide>
void block_normals(const PhiloxBlock& b, double* z) {
  if constexpr (kWide) {
    box_muller(open_unit53(b[0], b[1]), unit53(b[2], b[3]), z);
  } else {
    box_muller(open_unit32(b[0]), b[1] * 0x1p-32, z);
    box_muller(open_unit32(b[2]), b[3] * 0x1p-32, z + 2);
  }
}

// Keras' truncated_normal redraws values more than two standard deviations
// from the mean. Element i's redraws come from its own blocks (see
// kRedrawShift), so they do not depend on which other elements were redrawn.
template <bool kWide>
double truncate(uint64_t key, uint64_t draw, uint64_t element, double z) {
  if (std::abs(z) <= 2.0) return z;
  for (uint64_t attempt = 1; attempt <= kMaxRedraws; ++attempt) {
    double c[4];
    block_normals<kWide>(philox_block(key, draw, (attempt << kRedrawShift) | element), c);
    for (int k = 0; k < kNormalsPerBlock<kWide>; ++k) {
      if (std::abs(c[k]) <= 2.0) return c[k];
    }
  }
  // Unreachable in practice: all 510 or more candidates fail with probability
  // 0.0455^510.
  return std::clamp(z, -2.0, 2.0);
}

// Fills out[0, n) block by block: fill_block(j, vals) writes the per_block
// values of Philox block j (at most 4). Each block is computed on its own, so
// the OpenMP schedule cannot change the result.
template <class T, class BlockFn>
void fill_blocks(T* out, int64_t n, int per_block, const BlockFn& fill_block) {
  const int64_t nblocks = (n + per_block - 1) / per_block;
#pragma omp parallel for schedule(static) if (nblocks >= kParallelBlocks)
  for (int64_t j = 0; j < nblocks; ++j) {
    T vals[4];
    fill_block(j, vals);
    const int64_t base = j * per_block;
    std::copy_n(vals, std::min<int64_t>(per_block, n - base), out + base);
  }
}

template <class C>
typename C::T* data_of(Tensor& t) {
  return static_cast<typename C::T*>(t.raw_mutable_data());
}

Tensor normal_impl(const char* fn, const Shape& shape, const NormalOptions& o, bool truncated) {
  check_shape(fn, shape);
  check_floating(fn, o.dtype);
  check_normal_args(fn, o);
  const auto key_draw = o.seed.resolve();
  const uint64_t key = key_draw.first, draw = key_draw.second;
  Tensor out = Tensor::empty(shape, o.dtype);
  with_float_codec(o.dtype, [&](auto codec) {
    using C = decltype(codec);
    using T = typename C::T;
    constexpr bool kWide = std::is_same_v<C, F64>;
    constexpr int kPer = kNormalsPerBlock<kWide>;
    fill_blocks(data_of<C>(out), out.size(), kPer, [&](int64_t j, T* vals) {
      double z[4];
      block_normals<kWide>(philox_block(key, draw, static_cast<uint64_t>(j)), z);
      for (int k = 0; k < kPer; ++k) {
        if (truncated) z[k] = truncate<kWide>(key, draw, static_cast<uint64_t>(j * kPer + k), z[k]);
        vals[k] = C::encode(o.mean + o.stddev * z[k]);
      }
    });
  });
  return out;
}

template <class T>
void fill_randint(Tensor& out, int64_t minval, uint64_t range, uint64_t key, uint64_t draw) {
  fill_blocks(static_cast<T*>(out.raw_mutable_data()), out.size(), 2, [&](int64_t j, T* vals) {
    const PhiloxBlock b = philox_block(key, draw, static_cast<uint64_t>(j));
    for (int k = 0; k < 2; ++k) {
      // Unsigned arithmetic: minval + offset may pass through values that
      // overflow int64 before landing in [minval, maxval).
      const uint64_t v = static_cast<uint64_t>(minval) + scale64(word64(b[2 * k], b[2 * k + 1]), range);
      vals[k] = static_cast<T>(static_cast<int64_t>(v));
    }
  });
}

// Fisher-Yates, drawing one 64-bit word per swap (two per Philox block).
std::vector<int64_t> permutation_indices(int64_t n, const Seed& seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  // Resolved even when there is nothing to shuffle, so every call advances a
  // SeedGenerator by one draw.
  const auto key_draw = seed.resolve();
  const uint64_t key = key_draw.first, draw = key_draw.second;
  PhiloxBlock b{};
  for (int64_t i = n - 1, t = 0; i > 0; --i, ++t) {
    if (t % 2 == 0) b = philox_block(key, draw, static_cast<uint64_t>(t / 2));
    const int w = static_cast<int>(2 * (t % 2));
    const auto j = static_cast<int64_t>(scale64(word64(b[w], b[w + 1]), static_cast<uint64_t>(i + 1)));
    std::swap(p[i], p[j]);
  }
  return p;
}

}  // namespace

// ---- seeds ----------------------------------------------------------------------------

SeedGenerator::SeedGenerator(std::optional<uint64_t> seed) {
  if (seed) {
    seed_ = *seed;
    return;
  }
  // Drawn from the global generator, so set_random_seed makes unseeded
  // generators (and the layers that own them) reproducible, as in Keras.
  const auto key_draw = global_next();
  const uint64_t key = key_draw.first, draw = key_draw.second;
  const PhiloxBlock b = philox_block(key, draw, 0);
  seed_ = word64(b[0], b[1]);
}

std::pair<uint64_t, uint64_t> SeedGenerator::next() {
  // Atomic, so threads sharing a generator still get distinct draws.
  const uint64_t draw = std::atomic_ref<uint64_t>(*counter_).fetch_add(1, std::memory_order_relaxed);
  return {splitmix64(seed_), draw};
}

std::pair<uint64_t, uint64_t> Seed::resolve() const {
  if (gen_) return gen_->next();
  // Keras makes a fresh SeedGenerator(seed) for an integer seed on each call,
  // so the numbers are those of that generator's first draw.
  if (int_) return {splitmix64(*int_), 0};
  return global_next();
}

// ---- distributions ------------------------------------------------------------------------

Tensor normal(const Shape& shape, NormalOptions options) { return normal_impl("normal", shape, options, false); }

Tensor truncated_normal(const Shape& shape, NormalOptions options) {
  return normal_impl("truncated_normal", shape, options, true);
}

Tensor uniform(const Shape& shape, UniformOptions o) {
  check_shape("uniform", shape);
  check_floating("uniform", o.dtype);
  if (!std::isfinite(o.minval) || !std::isfinite(o.maxval) || !(o.minval < o.maxval)) {
    throw ValueError("uniform: minval must be less than maxval and both finite, got minval=" + py_float(o.minval) +
                     ", maxval=" + py_float(o.maxval));
  }
  const double lo = o.minval, hi = o.maxval;
  // maxval - minval overflows to inf for extreme finite bounds; the two-product
  // form cannot overflow there.
  const double span = hi - lo;
  const bool finite_span = std::isfinite(span);
  auto lerp = [=](double u) { return finite_span ? lo + u * span : lo - u * lo + u * hi; };
  const auto key_draw = o.seed.resolve();
  const uint64_t key = key_draw.first, draw = key_draw.second;
  Tensor out = Tensor::empty(shape, o.dtype);
  with_float_codec(o.dtype, [&](auto codec) {
    using C = decltype(codec);
    using T = typename C::T;
    if constexpr (std::is_same_v<C, F64>) {
      fill_blocks(data_of<C>(out), out.size(), 2, [&](int64_t j, T* vals) {
        const PhiloxBlock b = philox_block(key, draw, static_cast<uint64_t>(j));
        vals[0] = encode_in_range<C>(lerp(unit53(b[0], b[1])), lo, hi);
        vals[1] = encode_in_range<C>(lerp(unit53(b[2], b[3])), lo, hi);
      });
    } else {
      fill_blocks(data_of<C>(out), out.size(), 4, [&](int64_t j, T* vals) {
        const PhiloxBlock b = philox_block(key, draw, static_cast<uint64_t>(j));
        for (int k = 0; k < 4; ++k) vals[k] = encode_in_range<C>(lerp(unit24(b[k])), lo, hi);
      });
    }
  });
  return out;
}

Tensor randint(const Shape& shape, int64_t minval, int64_t maxval, DType dtype, Seed seed) {
  check_shape("randint", shape);
  if (!is_integer(dtype)) {
    throw TypeError("randint: dtype must be an integer dtype (int32, int64, uint8), got " +
                    std::string(dtype_name(dtype)));
  }
  if (minval >= maxval) {
    throw ValueError("randint: minval must be less than maxval, got minval=" + std::to_string(minval) +
                     ", maxval=" + std::to_string(maxval));
  }
  int64_t type_min = std::numeric_limits<int64_t>::min(), type_max = std::numeric_limits<int64_t>::max();
  if (dtype == DType::int32) {
    type_min = std::numeric_limits<int32_t>::min();
    type_max = std::numeric_limits<int32_t>::max();
  } else if (dtype == DType::uint8) {
    type_min = 0;
    type_max = 255;
  }
  if (minval < type_min || maxval - 1 > type_max) {
    throw ValueError("randint: the range [" + std::to_string(minval) + ", " + std::to_string(maxval) +
                     ") does not fit in " + std::string(dtype_name(dtype)));
  }
  const uint64_t range = static_cast<uint64_t>(maxval) - static_cast<uint64_t>(minval);
  const auto key_draw = seed.resolve();
  const uint64_t key = key_draw.first, draw = key_draw.second;
  Tensor out = Tensor::empty(shape, dtype);
  switch (dtype) {
    case DType::int32:
      fill_randint<int32_t>(out, minval, range, key, draw);
      break;
    case DType::uint8:
      fill_randint<uint8_t>(out, minval, range, key, draw);
      break;
    default:
      fill_randint<int64_t>(out, minval, range, key, draw);
      break;
  }
  return out;
}

Tensor dropout_mask(const Shape& shape, double rate, Seed seed) {
  check_shape("dropout_mask", shape);
  if (!(rate >= 0.0 && rate <= 1.0)) {
    throw ValueError("dropout_mask: rate must be in [0, 1], got rate=" + py_float(rate));
  }
  // Keep iff a 32-bit word is below (1 - rate) 2^32: the keep probability is
  // exact to 2^-32, and rate 0 (threshold 2^32) keeps everything.
  const auto threshold = static_cast<uint64_t>(std::ldexp(1.0 - rate, 32));
  const auto key_draw = seed.resolve();
  const uint64_t key = key_draw.first, draw = key_draw.second;
  Tensor out = Tensor::empty(shape, DType::bool_);
  fill_blocks(static_cast<bool*>(out.raw_mutable_data()), out.size(), 4, [&](int64_t j, bool* vals) {
    const PhiloxBlock b = philox_block(key, draw, static_cast<uint64_t>(j));
    for (int k = 0; k < 4; ++k) vals[k] = b[k] < threshold;
  });
  return out;
}

Tensor dropout(const Tensor& x, double rate, std::optional<Shape> noise_shape, Seed seed) {
  if (!x.defined()) throw ValueError("dropout: x is an undefined tensor");
  if (!(rate >= 0.0 && rate < 1.0)) {
    throw ValueError(
        "dropout: Invalid value received for argument `rate`. Expected a float value in [0, 1). Received: rate=" +
        py_float(rate));
  }
  if (rate == 0.0) return x;
  Shape mask_shape = noise_shape.value_or(x.shape());
  const int offset = x.ndim() - mask_shape.rank();
  bool broadcastable = offset >= 0;
  for (int i = 0; broadcastable && i < mask_shape.rank(); ++i) {
    const int64_t xd = x.shape()[offset + i];
    if (mask_shape[i] == -1) mask_shape[i] = xd;  // Keras' None: the input's dimension
    broadcastable = mask_shape[i] == 1 || mask_shape[i] == xd;
  }
  if (!broadcastable) {
    throw ValueError("dropout: noise_shape " + noise_shape->str() + " does not broadcast to the input shape " +
                     x.shape().str());
  }
  check_shape("dropout", mask_shape);
  const Tensor mask = dropout_mask(mask_shape, rate, seed);
  const Tensor scaled = x / (1.0 - rate);
  return ops::where(mask, scaled, ops::zeros_like(scaled));
}

Tensor permutation(int64_t n, Seed seed) {
  if (n < 0 || n > int64_t{std::numeric_limits<int32_t>::max()} + 1) {
    throw ValueError("permutation: n must be in [0, 2^31], got n=" + std::to_string(n));
  }
  const std::vector<int64_t> p = permutation_indices(n, seed);
  return Tensor(std::vector<int32_t>(p.begin(), p.end()), Shape{n});
}

Tensor shuffle(const Tensor& x, int64_t axis, Seed seed) {
  if (!x.defined()) throw ValueError("shuffle: x is an undefined tensor");
  if (x.ndim() == 0) throw ValueError("shuffle: x must have at least one dimension, got shape ()");
  const int ax = normalize_axis(axis, x.ndim(), "shuffle");
  const int64_t n = x.shape()[ax];
  if (n < 0) {
    throw ValueError("shuffle: axis " + std::to_string(ax) + " of shape " + x.shape().str() + " has an unknown size");
  }
  // A gather of whole slices with ops::take, so shuffle differentiates like
  // the op it is made of (int64 indices: no limit on n).
  return ops::take(x, Tensor(permutation_indices(n, seed), Shape{n}), ax);
}

}  // namespace random

namespace random {

std::pair<uint64_t, uint64_t> global_generator_state() {
  auto& g = global_generator();
  std::lock_guard<std::mutex> lock(g.mu);
  return {g.gen.initial_seed(), g.gen.state()};
}

void set_global_generator_state(uint64_t seed, uint64_t draws) {
  auto& g = global_generator();
  std::lock_guard<std::mutex> lock(g.mu);
  g.gen = SeedGenerator(seed);
  g.gen.set_state(draws);
}

}  // namespace random

namespace utils {

void set_random_seed(uint64_t seed) {
  auto& g = random::global_generator();
  std::lock_guard<std::mutex> lock(g.mu);
  g.gen = random::SeedGenerator(seed);
}

}  // namespace utils
}  // namespace keras
