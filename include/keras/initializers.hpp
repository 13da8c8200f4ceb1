#pragma once
/// keras::initializers: Keras 3's weight initializers (keras.initializers).
///
/// Example:
///   using namespace keras;
///   initializers::GlorotUniform glorot({.seed = 42});
///   Tensor w = glorot({784, 256});                      // float32, within +-sqrt(6 / (784 + 256))
///   Tensor b = initializers::Zeros()({256});
///   auto he = initializers::get("he_normal");            // string lookup, as keras.initializers.get
///   initializers::InitializerArg arg = "orthogonal";     // what layer options take
///
/// Seeds follow Keras 3 (keras/src/initializers/random_initializers.py):
///   - an integer seed: every call gives the same values;
///   - no seed: the initializer draws an integer seed from the global generator
///     when it is constructed, so it too repeats its values on every call, and
///     keras::utils::set_random_seed before construction makes them reproducible;
///   - a random::SeedGenerator: each call advances it, so calls differ (copies of
///     a generator share its stream, as Python references do).
/// The numbers come from keras.cpp's Philox generator, so they follow the same
/// distributions as Keras' but are not bit-identical to the JAX backend's.
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/random.hpp"
#include "keras/tensor.hpp"

namespace keras::initializers {

// ---- Initializer ----------------------------------------------------------------------------------------

/// The base of every initializer. Subclasses implement `call`.
///
/// Example (a user initializer):
///   struct Halves : keras::initializers::Initializer {
///     Tensor call(const Shape& shape, DType dtype) const override { return ops::full(shape, 0.5, dtype); }
///     std::string class_name() const override { return "Halves"; }
///   };
class Initializer {
 public:
  Initializer() = default;
  virtual ~Initializer() = default;
  Initializer(const Initializer&) = default;
  Initializer& operator=(const Initializer&) = default;
  Initializer(Initializer&&) = default;
  Initializer& operator=(Initializer&&) = default;

  /// A new tensor of `shape` and `dtype` (float32 by default, Keras' floatx()).
  /// Throws keras::ValueError for a shape with unknown or negative dimensions,
  /// or when `call` returns another shape; a result of another dtype is cast.
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const;

  /// The values, for a shape already checked to be fully defined.
  virtual Tensor call(const Shape& shape, DType dtype) const = 0;
  /// The Keras class name ("GlorotUniform").
  virtual std::string class_name() const = 0;
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;
};

/// A function of (shape, dtype) returning the initial values.
using InitializerFn = std::function<Tensor(const Shape&, DType)>;

// ---- seeds ----------------------------------------------------------------------------------------------

/// The `seed` argument of a random initializer: an integer, a
/// random::SeedGenerator, or none (see the top of this file for what each does).
///
/// Example:
///   initializers::RandomNormal a({.seed = 7});                  // same values on every call
///   random::SeedGenerator gen(7);
///   initializers::RandomNormal b({.seed = gen});                // new values on every call
class InitializerSeed {
 public:
  /// No seed.
  InitializerSeed() = default;
  InitializerSeed(std::nullopt_t) {}  // NOLINT: implicit, as Python's None
  template <std::integral I>
  InitializerSeed(I seed) : int_(static_cast<int64_t>(seed)) {}  // NOLINT
  template <std::integral I>
  InitializerSeed(std::optional<I> seed) {  // NOLINT
    if (seed) int_ = static_cast<int64_t>(*seed);
  }
  /// Shares the generator's stream: a draw by either advances both.
  InitializerSeed(random::SeedGenerator generator) : gen_(std::move(generator)) {}  // NOLINT

  bool has_value() const { return int_.has_value() || gen_.has_value(); }
  /// The integer seed, if one was given.
  std::optional<int64_t> int_seed() const { return int_; }
  /// The generator, if one was given.
  const std::optional<random::SeedGenerator>& generator() const { return gen_; }

 private:
  std::optional<int64_t> int_;
  std::optional<random::SeedGenerator> gen_;
};

/// The base of the initializers that draw random numbers: it resolves the seed
/// as Keras' RandomInitializer does.
class RandomInitializer : public Initializer {
 public:
  explicit RandomInitializer(InitializerSeed seed = {});
  /// The seed as given (none when unseeded, as Keras' get_config reports it).
  const InitializerSeed& seed() const { return seed_; }

 protected:
  /// Calls f(random::Seed) with the seed of one draw: the integer seed (given,
  /// or drawn at construction) or the generator, advanced by the draw.
  template <class F>
  Tensor draw(F&& f) const {
    if (seed_.generator()) {
      random::SeedGenerator gen = *seed_.generator();  // shares the counter
      return f(random::Seed(gen));
    }
    return f(random::Seed(int_seed_));
  }

 private:
  InitializerSeed seed_;
  uint64_t int_seed_ = 0;
};

// ---- constant initializers (keras/src/initializers/constant_initializers.py) ----------------------------

/// All zeros.
class Zeros : public Initializer {
 public:
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Zeros"; }
};

/// All ones.
class Ones : public Initializer {
 public:
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Ones"; }
};

struct ConstantOptions {
  /// The value of every element, converted to the requested dtype.
  double value = 0.0;
};
/// Every element equal to `value`.
class Constant : public Initializer {
 public:
  using Options = ConstantOptions;
  explicit Constant(Options options = {}) : options_(options) {}
  /// Constant(0.5). (A template, so that `Constant({})` picks the options.)
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit Constant(T value) : Constant(Options{.value = static_cast<double>(value)}) {}
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Constant"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct IdentityOptions {
  /// Multiplies the identity matrix.
  double gain = 1.0;
};
/// gain times the identity matrix (ones on the main diagonal of a 2-D shape,
/// which need not be square).
class Identity : public Initializer {
 public:
  using Options = IdentityOptions;
  explicit Identity(Options options = {}) : options_(options) {}
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit Identity(T gain) : Identity(Options{.gain = static_cast<double>(gain)}) {}
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Identity"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- random initializers (keras/src/initializers/random_initializers.py) --------------------------------

struct RandomNormalOptions {
  double mean = 0.0;
  double stddev = 0.05;
  InitializerSeed seed{};
};
/// Normally distributed values.
class RandomNormal : public RandomInitializer {
 public:
  using Options = RandomNormalOptions;
  explicit RandomNormal(Options options = {});
  RandomNormal(double mean, double stddev, InitializerSeed seed = {});
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "RandomNormal"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct TruncatedNormalOptions {
  double mean = 0.0;
  double stddev = 0.05;
  InitializerSeed seed{};
};
/// Normal values, redrawn when more than two standard deviations from the mean.
class TruncatedNormal : public RandomInitializer {
 public:
  using Options = TruncatedNormalOptions;
  explicit TruncatedNormal(Options options = {});
  TruncatedNormal(double mean, double stddev, InitializerSeed seed = {});
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "TruncatedNormal"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct RandomUniformOptions {
  /// Lower bound (inclusive).
  double minval = -0.05;
  /// Upper bound (exclusive).
  double maxval = 0.05;
  InitializerSeed seed{};
};
/// Uniformly distributed values in [minval, maxval).
class RandomUniform : public RandomInitializer {
 public:
  using Options = RandomUniformOptions;
  explicit RandomUniform(Options options = {});
  RandomUniform(double minval, double maxval, InitializerSeed seed = {});
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "RandomUniform"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

/// The number of input and output units of a weight of `shape`, as Keras'
/// compute_fans: () gives (1, 1); (n) gives (n, n); (a, b) gives (a, b); a
/// convolution kernel (..., in, out) multiplies both by the receptive field
/// (the product of the leading dims). When both input_axes and output_axes are
/// given, the fans are the products of those dims instead (negative axes count
/// from the end; keras::IndexError when out of range).
std::pair<int64_t, int64_t> compute_fans(const Shape& shape,
                                         const std::optional<std::vector<int64_t>>& input_axes = std::nullopt,
                                         const std::optional<std::vector<int64_t>>& output_axes = std::nullopt);

struct VarianceScalingOptions {
  /// Positive scaling factor.
  double scale = 1.0;
  /// "fan_in", "fan_out" or "fan_avg": the n in the formulas below.
  std::string mode = "fan_in";
  /// "truncated_normal" (stddev sqrt(scale / n) after truncation), "untruncated_normal"
  /// (stddev sqrt(scale / n)) or "uniform" (within +-sqrt(3 scale / n)). Case-insensitive;
  /// "normal" means "truncated_normal".
  std::string distribution = "truncated_normal";
  InitializerSeed seed{};
  /// Axes of the shape that count as input units (used only with output_axes).
  std::optional<std::vector<int64_t>> input_axes{};
  /// Axes of the shape that count as output units (used only with input_axes).
  std::optional<std::vector<int64_t>> output_axes{};
};
/// Values whose variance adapts to the weight's fans: scale / n, where n is
/// fan_in, fan_out or their average (at least 1). Throws keras::ValueError at
/// construction for a non-positive scale or an unknown mode or distribution.
class VarianceScaling : public RandomInitializer {
 public:
  using Options = VarianceScalingOptions;
  explicit VarianceScaling(Options options = {});
  /// VarianceScaling(2.0, "fan_out", "uniform").
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit VarianceScaling(T scale, std::string mode = "fan_in", std::string distribution = "truncated_normal",
                           InitializerSeed seed = {})
      : VarianceScaling(Options{.scale = static_cast<double>(scale),
                                .mode = std::move(mode),
                                .distribution = std::move(distribution),
                                .seed = std::move(seed)}) {}
  Tensor call(const Shape& shape, DType dtype) const override;
  /// "VarianceScaling", or the preset's name ("GlorotUniform").
  std::string class_name() const override { return class_name_; }
  /// The options, with the distribution normalized ("truncated_normal",
  /// "untruncated_normal" or "uniform").
  const Options& options() const { return options_; }

 protected:
  /// For the named presets below: their class name and fixed scale, mode and distribution.
  VarianceScaling(std::string class_name, Options options);

 private:
  Options options_;
  std::string class_name_ = "VarianceScaling";
};

/// The options of the VarianceScaling presets (GlorotUniform, HeNormal, ...),
/// which fix scale, mode and distribution.
struct VarianceScalingPresetOptions {
  InitializerSeed seed{};
  std::optional<std::vector<int64_t>> input_axes{};
  std::optional<std::vector<int64_t>> output_axes{};
};
using GlorotUniformOptions = VarianceScalingPresetOptions;
using GlorotNormalOptions = VarianceScalingPresetOptions;
using HeUniformOptions = VarianceScalingPresetOptions;
using HeNormalOptions = VarianceScalingPresetOptions;
using LecunUniformOptions = VarianceScalingPresetOptions;
using LecunNormalOptions = VarianceScalingPresetOptions;

/// Glorot (Xavier) uniform: within +-sqrt(6 / (fan_in + fan_out)). Keras' default kernel initializer.
class GlorotUniform : public VarianceScaling {
 public:
  using Options = GlorotUniformOptions;
  explicit GlorotUniform(Options options = {});
};
/// Glorot (Xavier) normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out)).
class GlorotNormal : public VarianceScaling {
 public:
  using Options = GlorotNormalOptions;
  explicit GlorotNormal(Options options = {});
};
/// He uniform: within +-sqrt(6 / fan_in).
class HeUniform : public VarianceScaling {
 public:
  using Options = HeUniformOptions;
  explicit HeUniform(Options options = {});
};
/// He normal: truncated normal with stddev sqrt(2 / fan_in).
class HeNormal : public VarianceScaling {
 public:
  using Options = HeNormalOptions;
  explicit HeNormal(Options options = {});
};
/// LeCun uniform: within +-sqrt(3 / fan_in).
class LecunUniform : public VarianceScaling {
 public:
  using Options = LecunUniformOptions;
  explicit LecunUniform(Options options = {});
};
/// LeCun normal: truncated normal with stddev sqrt(1 / fan_in).
class LecunNormal : public VarianceScaling {
 public:
  using Options = LecunNormalOptions;
  explicit LecunNormal(Options options = {});
};

struct OrthogonalOptions {
  /// Multiplies the orthogonal matrix.
  double gain = 1.0;
  InitializerSeed seed{};
};
/// An orthogonal matrix (Saxe et al., 2014): the Q of the QR decomposition of
/// a normal random matrix, with Q's columns multiplied by the signs of R's
/// diagonal so the result is uniformly distributed. A shape of rank > 2 is
/// made as the matrix (product of all dims but the last, last dim) and
/// reshaped. Rows are orthonormal when there are fewer rows than columns,
/// columns otherwise. Throws keras::ValueError for a shape of rank < 2.
class Orthogonal : public RandomInitializer {
 public:
  using Options = OrthogonalOptions;
  explicit Orthogonal(Options options = {});
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit Orthogonal(T gain, InitializerSeed seed = {})
      : Orthogonal(Options{.gain = static_cast<double>(gain), .seed = std::move(seed)}) {}
  Tensor call(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Orthogonal"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- lookup ----------------------------------------------------------------------------------------------

/// A new initializer with default options, by the names keras.initializers.get
/// takes: the class name ("GlorotUniform"), its snake_case form ("glorot_uniform")
/// or an alias ("normal", "uniform", "one", "zero", "OrthogonalInitializer",
/// "IdentityInitializer"). Unknown names throw keras::ValueError listing the
/// valid ones. Each call returns a new object (an unseeded one draws its own seed).
std::shared_ptr<Initializer> get(const std::string& identifier);

/// Every name get() accepts, sorted.
const std::vector<std::string>& valid_names();

/// An Initializer subclass object (any value category).
template <class T>
concept InitializerObject = std::derived_from<std::remove_cvref_t<T>, Initializer>;
/// A function of (shape, dtype) returning a Tensor.
template <class T>
concept InitializerCallable = !InitializerObject<T> && std::is_invocable_r_v<Tensor, T&, const Shape&, DType>;

/// What layer options take as an initializer: a name, an Initializer object
/// (copied), a shared Initializer, a function of (shape, dtype), a tensor of
/// the exact values (its shape must match the requested one), or none.
///
/// A name is resolved by each get(), so two layers given the same options get
/// two initializers with their own seeds, as two Keras layers given the same
/// string do. An object is shared by every get(), as a Python object is.
///
/// Example:
///   InitializerArg a = "he_normal";
///   InitializerArg b = initializers::RandomUniform(-0.1, 0.1);
///   InitializerArg c = [](const Shape& s, DType d) { return ops::full(s, 0.5, d); };
class InitializerArg {
 public:
  /// No initializer.
  InitializerArg() = default;
  InitializerArg(std::nullopt_t) {}                                // NOLINT
  InitializerArg(const char* identifier);                          // NOLINT: implicit, as Keras takes a string
  InitializerArg(const std::string& identifier);                   // NOLINT
  InitializerArg(std::shared_ptr<const Initializer> initializer);  // NOLINT
  /// Initial values given directly; keras::ValueError when called with another shape.
  InitializerArg(const Tensor& values);  // NOLINT
  /// An Initializer object: stored as a copy.
  template <InitializerObject I>
  InitializerArg(I&& initializer)  // NOLINT
      : initializer_(std::make_shared<std::remove_cvref_t<I>>(std::forward<I>(initializer))) {}
  /// A function, lambda or InitializerFn of (shape, dtype).
  template <InitializerCallable F>
  InitializerArg(F&& fn)  // NOLINT
      : initializer_(wrap(InitializerFn(std::forward<F>(fn)))) {}

  /// The initializer: a new one for a name, the stored one otherwise; null when none.
  std::shared_ptr<const Initializer> get() const;
  explicit operator bool() const { return !identifier_.empty() || initializer_ != nullptr; }
  /// The name it was given; empty otherwise.
  const std::string& identifier() const { return identifier_; }

 private:
  static std::shared_ptr<const Initializer> wrap(InitializerFn fn);
  std::string identifier_;
  std::shared_ptr<const Initializer> initializer_;
};

}  // namespace keras::initializers
