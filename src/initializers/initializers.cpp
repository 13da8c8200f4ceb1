// Mirrors keras/src/initializers/random_initializers.py, constant_initializers.py and
// keras/src/initializers/__init__.py (get and its names).
//
// Every initializer is built from keras::ops and keras::random, so its values
// are a pure function of its seed (see random.cpp). Orthogonal's QR runs here,
// in double precision, as keras.cpp has no ops::qr yet.
#include "keras/initializers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/identifiers.hpp"
#include "keras/error.hpp"
#include "keras/ops.hpp"

namespace keras::initializers {

namespace {

// The standard deviation of a standard normal truncated to [-2, 2]:
// VarianceScaling divides by it so that the values, after truncation, have the
// requested variance (the constant Keras uses).
constexpr double kTruncatedNormalStddev = 0.87962566103423978;

// A double as Python's repr prints it ("1.0", "-0.5"), so messages read like Keras'.
std::string py_float(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

void check_floating(const std::string& who, DType dtype) {
  if (!is_floating(dtype)) {
    throw TypeError(who + ": dtype must be a floating dtype (float16, bfloat16, float32, float64), got " +
                    std::string(dtype_name(dtype)));
  }
}

// The product of the dims at `axes` (negative axes count from the end).
int64_t product_of_axes(const Shape& shape, const std::vector<int64_t>& axes, const char* which) {
  int64_t p = 1;
  for (int64_t axis : axes) {
    const int64_t a = axis < 0 ? axis + shape.rank() : axis;
    if (a < 0 || a >= shape.rank()) {
      throw IndexError(std::string("compute_fans: ") + which + " contains axis " + std::to_string(axis) +
                       ", out of range for shape " + shape.str() + " of rank " + std::to_string(shape.rank()));
    }
    p *= shape[static_cast<int>(a)];
  }
  return p;
}

// sum(x[i] * y[i]). The simd reduction lets the compiler reorder the sum to
// vectorize it (the order is fixed by the build, so results stay deterministic).
double dot(const double* x, const double* y, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += x[i] * y[i];
  return s;
}

// Householder QR of the m x n matrix `a` (m >= n, column-major: a[j * m + i]
// is row i of column j). Returns Q's n columns (column-major, m x n), each
// multiplied by the sign of R's diagonal entry, as Keras' Orthogonal does to
// make the result unique (Q with R's diagonal positive) and so uniformly
// distributed over the orthogonal matrices.
std::vector<double> orthonormal_columns(std::vector<double> a, int64_t m, int64_t n) {
  std::vector<double> v(static_cast<size_t>(m * n), 0.0);  // reflector k in column k, rows k..m-1
  std::vector<double> r_diag(static_cast<size_t>(n), 0.0);
  for (int64_t k = 0; k < n; ++k) {
    double* ak = a.data() + k * m;
    const double norm = std::sqrt(dot(ak + k, ak + k, m - k));
    if (norm == 0.0) continue;  // nothing to reflect; R's diagonal entry is 0
    // Reflect x onto alpha e1 with alpha of the sign opposite to x[0], so that
    // v = x - alpha e1 does not cancel.
    const double alpha = ak[k] > 0 ? -norm : norm;
    double* vk = v.data() + k * m;
    for (int64_t i = k; i < m; ++i) vk[i] = ak[i];
    vk[k] -= alpha;
    const double inv = 1.0 / std::sqrt(dot(vk + k, vk + k, m - k));
    // Normalize v, then A[k:, k:] -= 2 v (v^T A[k:, k:]), column by column.
    for (int64_t i = k; i < m; ++i) vk[i] *= inv;
    for (int64_t j = k; j < n; ++j) {
      double* aj = a.data() + j * m;
      const double c = 2.0 * dot(vk + k, aj + k, m - k);
      for (int64_t i = k; i < m; ++i) aj[i] -= c * vk[i];
    }
    r_diag[static_cast<size_t>(k)] = alpha;
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity,
  // right to left. When H_k is applied, columns j < k are still e_j, which H_k
  // (acting on rows k..m-1) leaves alone, so they are skipped.
  std::vector<double> q(static_cast<size_t>(m * n), 0.0);
  for (int64_t j = 0; j < n; ++j) q[static_cast<size_t>(j * m + j)] = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const double* vk = v.data() + k * m;
    for (int64_t j = k; j < n; ++j) {
      double* qj = q.data() + j * m;
      const double c = 2.0 * dot(vk + k, qj + k, m - k);
      for (int64_t i = k; i < m; ++i) qj[i] -= c * vk[i];
    }
  }
  // Keras: q *= sign(diag(r)); sign(0) is 0, as ops.sign gives.
  for (int64_t j = 0; j < n; ++j) {
    const double d = r_diag[static_cast<size_t>(j)];
    const double s = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
    double* qj = q.data() + j * m;
    for (int64_t i = 0; i < m; ++i) qj[i] *= s;
  }
  return q;
}

// ---- the initializers get() cannot name by class --------------------------------------------------------

// A user function of (shape, dtype).
class FunctionInitializer : public Initializer {
 public:
  explicit FunctionInitializer(InitializerFn fn) : fn_(std::move(fn)) {}
  Tensor call(const Shape& shape, DType dtype) const override { return fn_(shape, dtype); }
  std::string class_name() const override { return "function"; }

 private:
  InitializerFn fn_;
};

// Fixed values (keras.initializers.get of a tensor).
class TensorInitializer : public Initializer {
 public:
  explicit TensorInitializer(Tensor values) : values_(std::move(values)) {}
  Tensor call(const Shape& shape, DType dtype) const override {
    if (shape != values_.shape()) {
      throw ValueError("Expected `shape` to be " + values_.shape().str() +
                       " for direct tensor as initializer. Received shape=" + shape.str());
    }
    return ops::cast(values_, dtype);
  }
  std::string class_name() const override { return "function"; }

 private:
  Tensor values_;
};

// ---- the registry ----------------------------------------------------------------------------------------

using Factory = std::function<std::shared_ptr<Initializer>()>;

template <class T>
Factory make() {
  return [] { return std::make_shared<T>(); };
}

// Keras' ALL_OBJECTS_DICT: class names, their snake_case forms and aliases.
// The abstract base ("Initializer") and STFT (which needs SciPy's windows) are
// left out.
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = {
      {"Constant", make<Constant>()},
      {"constant", make<Constant>()},
      {"GlorotNormal", make<GlorotNormal>()},
      {"glorot_normal", make<GlorotNormal>()},
      {"GlorotUniform", make<GlorotUniform>()},
      {"glorot_uniform", make<GlorotUniform>()},
      {"HeNormal", make<HeNormal>()},
      {"he_normal", make<HeNormal>()},
      {"HeUniform", make<HeUniform>()},
      {"he_uniform", make<HeUniform>()},
      {"Identity", make<Identity>()},
      {"identity", make<Identity>()},
      {"IdentityInitializer", make<Identity>()},
      {"LecunNormal", make<LecunNormal>()},
      {"lecun_normal", make<LecunNormal>()},
      {"LecunUniform", make<LecunUniform>()},
      {"lecun_uniform", make<LecunUniform>()},
      {"Ones", make<Ones>()},
      {"ones", make<Ones>()},
      {"one", make<Ones>()},
      {"Orthogonal", make<Orthogonal>()},
      {"orthogonal", make<Orthogonal>()},
      {"OrthogonalInitializer", make<Orthogonal>()},
      {"RandomNormal", make<RandomNormal>()},
      {"random_normal", make<RandomNormal>()},
      {"normal", make<RandomNormal>()},
      {"RandomUniform", make<RandomUniform>()},
      {"random_uniform", make<RandomUniform>()},
      {"uniform", make<RandomUniform>()},
      {"TruncatedNormal", make<TruncatedNormal>()},
      {"truncated_normal", make<TruncatedNormal>()},
      {"VarianceScaling", make<VarianceScaling>()},
      {"variance_scaling", make<VarianceScaling>()},
      {"Zeros", make<Zeros>()},
      {"zeros", make<Zeros>()},
      {"zero", make<Zeros>()},
  };
  return r;
}

[[noreturn]] void unknown_name(const std::string& identifier) {
  detail::throw_unknown_identifier("initializer", identifier, valid_names());
}

// VarianceScaling's argument checks, in Keras' order; normalizes the
// distribution in place and returns the seed for the base class (so that an
// invalid initializer draws no seed from the global generator, as in Keras).
InitializerSeed checked(VarianceScalingOptions& o) {
  if (!(o.scale > 0.0)) {
    throw ValueError("Argument `scale` must be positive float. Received: scale=" + py_float(o.scale));
  }
  if (o.mode != "fan_in" && o.mode != "fan_out" && o.mode != "fan_avg") {
    throw ValueError("Invalid `mode` argument: " + o.mode + ". Please use one of {'fan_in', 'fan_out', 'fan_avg'}");
  }
  std::string distribution = keras::detail::ascii_lower(o.distribution);
  if (distribution == "normal") distribution = "truncated_normal";
  if (distribution != "uniform" && distribution != "truncated_normal" && distribution != "untruncated_normal") {
    throw ValueError("Invalid `distribution` argument: " + distribution +
                     ". Please use one of {'uniform', 'truncated_normal', 'untruncated_normal'}");
  }
  o.distribution = distribution;
  return o.seed;
}

VarianceScalingOptions preset(double scale, const char* mode, const char* distribution,
                              const VarianceScalingPresetOptions& o) {
  return {.scale = scale,
          .mode = mode,
          .distribution = distribution,
          .seed = o.seed,
          .input_axes = o.input_axes,
          .output_axes = o.output_axes};
}

}  // namespace

// ---- Initializer ----------------------------------------------------------------------------------------

Tensor Initializer::operator()(const Shape& shape, DType dtype) const {
  for (int64_t d : shape) {
    if (d < 0) {
      throw ValueError(
          class_name() +
          ": the shape to initialize must be fully defined and non-negative. Received: shape=" + shape.str());
    }
  }
  Tensor t = call(shape, dtype);
  if (!t.defined()) throw ValueError(class_name() + ": the initializer returned an undefined tensor");
  if (t.shape() != shape) {
    throw ValueError(class_name() + ": the initializer returned a tensor of shape " + t.shape().str() +
                     " for the requested shape " + shape.str());
  }
  // Keras' Variable converts the initial value to its dtype; do it here so
  // every caller gets the dtype it asked for.
  return t.dtype() == dtype ? t : ops::cast(t, dtype);
}

RandomInitializer::RandomInitializer(InitializerSeed seed) : seed_(std::move(seed)) {
  if (seed_.int_seed()) {
    int_seed_ = static_cast<uint64_t>(*seed_.int_seed());
  } else if (!seed_.generator()) {
    // Keras' make_default_seed(): an integer drawn once, at construction, from
    // the global generator. So an unseeded initializer repeats its values on
    // every call, and set_random_seed makes it reproducible.
    int_seed_ = random::SeedGenerator().initial_seed();
  }
}

// ---- constant initializers -------------------------------------------------------------------------------

Tensor Zeros::call(const Shape& shape, DType dtype) const { return ops::zeros(shape, dtype); }

Tensor Ones::call(const Shape& shape, DType dtype) const { return ops::ones(shape, dtype); }

Tensor Constant::call(const Shape& shape, DType dtype) const { return ops::full(shape, options_.value, dtype); }

Tensor Identity::call(const Shape& shape, DType dtype) const {
  if (shape.rank() != 2) {
    throw ValueError("Identity matrix initializer can only be used for 2D matrices. Received: shape=" + shape.str() +
                     " of rank " + std::to_string(shape.rank()) + ".");
  }
  if (options_.gain == 1.0) return ops::eye(shape[0], shape[1], 0, dtype);
  // float16 and bfloat16 are storage types in keras.cpp (ops reject them):
  // scale in float32; operator() casts the result to `dtype`.
  const DType compute = dtype == DType::float16 || dtype == DType::bfloat16 ? DType::float32 : dtype;
  return ops::eye(shape[0], shape[1], 0, compute) * options_.gain;
}

// ---- random initializers ---------------------------------------------------------------------------------

RandomNormal::RandomNormal(Options options) : RandomInitializer(options.seed), options_(std::move(options)) {}
RandomNormal::RandomNormal(double mean, double stddev, InitializerSeed seed)
    : RandomNormal(Options{.mean = mean, .stddev = stddev, .seed = std::move(seed)}) {}

Tensor RandomNormal::call(const Shape& shape, DType dtype) const {
  return draw([&](random::Seed s) {
    return random::normal(shape, {.mean = options_.mean, .stddev = options_.stddev, .dtype = dtype, .seed = s});
  });
}

TruncatedNormal::TruncatedNormal(Options options) : RandomInitializer(options.seed), options_(std::move(options)) {}
TruncatedNormal::TruncatedNormal(double mean, double stddev, InitializerSeed seed)
    : TruncatedNormal(Options{.mean = mean, .stddev = stddev, .seed = std::move(seed)}) {}

Tensor TruncatedNormal::call(const Shape& shape, DType dtype) const {
  return draw([&](random::Seed s) {
    return random::truncated_normal(shape,
                                    {.mean = options_.mean, .stddev = options_.stddev, .dtype = dtype, .seed = s});
  });
}

RandomUniform::RandomUniform(Options options) : RandomInitializer(options.seed), options_(std::move(options)) {}
RandomUniform::RandomUniform(double minval, double maxval, InitializerSeed seed)
    : RandomUniform(Options{.minval = minval, .maxval = maxval, .seed = std::move(seed)}) {}

Tensor RandomUniform::call(const Shape& shape, DType dtype) const {
  return draw([&](random::Seed s) {
    return random::uniform(shape, {.minval = options_.minval, .maxval = options_.maxval, .dtype = dtype, .seed = s});
  });
}

std::pair<int64_t, int64_t> compute_fans(const Shape& shape, const std::optional<std::vector<int64_t>>& input_axes,
                                         const std::optional<std::vector<int64_t>>& output_axes) {
  if (input_axes && output_axes) {
    return {product_of_axes(shape, *input_axes, "input_axes"), product_of_axes(shape, *output_axes, "output_axes")};
  }
  const int rank = shape.rank();
  if (rank < 1) return {1, 1};  // a scalar (a constant)
  if (rank == 1) return {shape[0], shape[0]};
  if (rank == 2) return {shape[0], shape[1]};
  // A convolution kernel (..., input_depth, depth): each output unit sees
  // input_depth values at every position of the receptive field.
  int64_t receptive_field_size = 1;
  for (int i = 0; i < rank - 2; ++i) receptive_field_size *= shape[i];
  return {shape[rank - 2] * receptive_field_size, shape[rank - 1] * receptive_field_size};
}

VarianceScaling::VarianceScaling(Options options) : RandomInitializer(checked(options)), options_(std::move(options)) {}

VarianceScaling::VarianceScaling(std::string class_name, Options options)
    : RandomInitializer(checked(options)), options_(std::move(options)), class_name_(std::move(class_name)) {}

Tensor VarianceScaling::call(const Shape& shape, DType dtype) const {
  const auto [fan_in, fan_out] = compute_fans(shape, options_.input_axes, options_.output_axes);
  double scale = options_.scale;
  if (options_.mode == "fan_in") {
    scale /= std::max(1.0, static_cast<double>(fan_in));
  } else if (options_.mode == "fan_out") {
    scale /= std::max(1.0, static_cast<double>(fan_out));
  } else {
    scale /= std::max(1.0, static_cast<double>(fan_in + fan_out) / 2.0);
  }
  if (options_.distribution == "truncated_normal") {
    const double stddev = std::sqrt(scale) / kTruncatedNormalStddev;
    return draw([&](random::Seed s) {
      return random::truncated_normal(shape, {.mean = 0.0, .stddev = stddev, .dtype = dtype, .seed = s});
    });
  }
  if (options_.distribution == "untruncated_normal") {
    const double stddev = std::sqrt(scale);
    return draw([&](random::Seed s) {
      return random::normal(shape, {.mean = 0.0, .stddev = stddev, .dtype = dtype, .seed = s});
    });
  }
  const double limit = std::sqrt(3.0 * scale);
  return draw([&](random::Seed s) {
    return random::uniform(shape, {.minval = -limit, .maxval = limit, .dtype = dtype, .seed = s});
  });
}

GlorotUniform::GlorotUniform(Options options)
    : VarianceScaling("GlorotUniform", preset(1.0, "fan_avg", "uniform", options)) {}
GlorotNormal::GlorotNormal(Options options)
    : VarianceScaling("GlorotNormal", preset(1.0, "fan_avg", "truncated_normal", options)) {}
HeUniform::HeUniform(Options options) : VarianceScaling("HeUniform", preset(2.0, "fan_in", "uniform", options)) {}
HeNormal::HeNormal(Options options) : VarianceScaling("HeNormal", preset(2.0, "fan_in", "truncated_normal", options)) {}
LecunUniform::LecunUniform(Options options)
    : VarianceScaling("LecunUniform", preset(1.0, "fan_in", "uniform", options)) {}
LecunNormal::LecunNormal(Options options)
    : VarianceScaling("LecunNormal", preset(1.0, "fan_in", "truncated_normal", options)) {}

Orthogonal::Orthogonal(Options options) : RandomInitializer(options.seed), options_(std::move(options)) {}

Tensor Orthogonal::call(const Shape& shape, DType dtype) const {
  if (shape.rank() < 2) {
    throw ValueError("The tensor to initialize must be at least two-dimensional. Received: shape=" + shape.str() +
                     " of rank " + std::to_string(shape.rank()) + ".");
  }
  check_floating("Orthogonal", dtype);
  // Flatten all but the last dim, so that a conv kernel is a (positions *
  // in_channels, filters) matrix.
  int64_t num_rows = 1;
  for (int i = 0; i < shape.rank() - 1; ++i) num_rows *= shape[i];
  const int64_t num_cols = shape.back();
  const int64_t m = std::max(num_rows, num_cols), n = std::min(num_rows, num_cols);
  if (n == 0) return ops::zeros(shape, dtype);

  // The random matrix is drawn in float64 (Keras draws it in `dtype`), so the
  // QR keeps full precision and the result is orthogonal to float64 rounding.
  const Tensor a = draw([&](random::Seed s) { return random::normal({m, n}, {.dtype = DType::float64, .seed = s}); });
  const std::vector<double> rows = a.to_vector<double>();  // row-major m x n
  std::vector<double> cols(rows.size());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) cols[static_cast<size_t>(j * m + i)] = rows[static_cast<size_t>(i * n + j)];
  std::vector<double> q = orthonormal_columns(std::move(cols), m, n);

  std::vector<double> out(q.size());
  if (num_rows < num_cols) {
    // Keras returns transpose(q) (n x m): its rows are q's columns, which is
    // exactly the column-major buffer.
    out = std::move(q);
  } else {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) out[static_cast<size_t>(i * n + j)] = q[static_cast<size_t>(j * m + i)];
  }
  if (options_.gain != 1.0)
    for (double& x : out) x *= options_.gain;
  return ops::cast(ops::reshape(Tensor(out, Shape{num_rows, num_cols}), shape), dtype);
}

// ---- lookup ----------------------------------------------------------------------------------------------

const std::vector<std::string>& valid_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, factory] : registry()) v.push_back(name);
    return v;  // std::map keeps them sorted
  }();
  return names;
}

std::shared_ptr<Initializer> get(const std::string& identifier) {
  auto it = registry().find(identifier);
  if (it == registry().end()) unknown_name(identifier);
  return it->second();
}

// ---- InitializerArg --------------------------------------------------------------------------------------

InitializerArg::InitializerArg(const char* identifier) : InitializerArg(std::string(identifier ? identifier : "")) {}

InitializerArg::InitializerArg(const std::string& identifier) : identifier_(identifier) {
  // Checked now, so that a typo fails where the options are written; the
  // object itself is made by each get().
  if (!registry().count(identifier)) unknown_name(identifier);
}

InitializerArg::InitializerArg(std::shared_ptr<const Initializer> initializer) : initializer_(std::move(initializer)) {}

InitializerArg::InitializerArg(const Tensor& values) {
  if (!values.defined()) throw ValueError("InitializerArg: the initial values are an undefined tensor");
  if (values.is_symbolic()) throw ValueError("InitializerArg: the initial values must be a concrete tensor");
  initializer_ = std::make_shared<TensorInitializer>(values);
}

std::shared_ptr<const Initializer> InitializerArg::wrap(InitializerFn fn) {
  return std::make_shared<FunctionInitializer>(std::move(fn));
}

std::shared_ptr<const Initializer> InitializerArg::get() const {
  if (!identifier_.empty()) return initializers::get(identifier_);
  return initializer_;
}

}  // namespace keras::initializers
