#pragma once
/// keras::regularizers: Keras 3's weight penalties (keras.regularizers).
///
/// Example:
///   using namespace keras;
///   regularizers::L2 l2(1e-4);
///   Tensor penalty = l2(kernel);                          // 0-d: 1e-4 * sum(square(kernel))
///   auto l1 = regularizers::get("l1");                     // L1(0.01)
///   regularizers::RegularizerArg arg = regularizers::L1L2({.l1 = 1e-5, .l2 = 1e-4});
///
/// A regularizer maps a weight to a 0-d penalty of the weight's dtype, which a
/// layer adds to its losses. Everything is built from keras::ops, so penalties
/// differentiate under a GradientTape and trace.
#include <concepts>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::regularizers {

/// The base of every regularizer: a penalty of 0. Subclasses override `call`.
///
/// Example (a user regularizer):
///   struct L2Half : keras::regularizers::Regularizer {
///     Tensor call(const Tensor& x) const override { return 0.5 * ops::sum(ops::square(x)); }
///     std::string class_name() const override { return "L2Half"; }
///   };
class Regularizer {
 public:
  Regularizer() = default;
  virtual ~Regularizer() = default;
  Regularizer(const Regularizer&) = default;
  Regularizer& operator=(const Regularizer&) = default;
  Regularizer(Regularizer&&) = default;
  Regularizer& operator=(Regularizer&&) = default;

  /// The penalty for `x` (a Tensor or a Variable's value); keras::ValueError
  /// for an undefined tensor.
  Tensor operator()(const Tensor& x) const;
  /// The penalty: 0 of x's dtype here (Keras' base class returns 0).
  virtual Tensor call(const Tensor& x) const;
  /// The Keras class name ("L2").
  virtual std::string class_name() const { return "Regularizer"; }
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;
};

/// A function of a weight returning its penalty.
using RegularizerFn = std::function<Tensor(const Tensor&)>;

struct L1Options {
  /// Non-negative factor.
  double l1 = 0.01;
};
/// l1 * sum(abs(x)).
class L1 : public Regularizer {
 public:
  using Options = L1Options;
  /// Throws keras::ValueError when l1 is negative or not finite.
  explicit L1(Options options = {});
  /// L1(0.001). (A template, so that `L1({})` picks the options.)
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit L1(T l1) : L1(Options{.l1 = static_cast<double>(l1)}) {}
  Tensor call(const Tensor& x) const override;
  std::string class_name() const override { return "L1"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct L2Options {
  /// Non-negative factor.
  double l2 = 0.01;
};
/// l2 * sum(square(x)): no 1/2, as in Keras 3.
class L2 : public Regularizer {
 public:
  using Options = L2Options;
  /// Throws keras::ValueError when l2 is negative or not finite.
  explicit L2(Options options = {});
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit L2(T l2) : L2(Options{.l2 = static_cast<double>(l2)}) {}
  Tensor call(const Tensor& x) const override;
  std::string class_name() const override { return "L2"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct L1L2Options {
  /// Non-negative L1 factor.
  double l1 = 0.0;
  /// Non-negative L2 factor.
  double l2 = 0.0;
};
/// l1 * sum(abs(x)) + l2 * sum(square(x)); a term whose factor is 0 is not computed.
class L1L2 : public Regularizer {
 public:
  using Options = L1L2Options;
  /// Throws keras::ValueError when a factor is negative or not finite.
  explicit L1L2(Options options = {});
  L1L2(double l1, double l2) : L1L2(Options{.l1 = l1, .l2 = l2}) {}
  Tensor call(const Tensor& x) const override;
  std::string class_name() const override { return "L1L2"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct OrthogonalRegularizerOptions {
  /// Non-negative factor.
  double factor = 0.01;
  /// "rows" or "columns": which vectors of the matrix should be orthogonal.
  std::string mode = "rows";
};
/// Encourages the rows (or columns) of a 2-D weight to be orthogonal:
/// factor * 0.5 * sum(|dot products of the L2-normalized rows, off the
/// diagonal|) / (size * (size - 1) / 2). Throws keras::ValueError for a
/// negative factor, an unknown mode, or (when called) a weight not of rank 2.
class OrthogonalRegularizer : public Regularizer {
 public:
  using Options = OrthogonalRegularizerOptions;
  explicit OrthogonalRegularizer(Options options = {});
  Tensor call(const Tensor& x) const override;
  std::string class_name() const override { return "OrthogonalRegularizer"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- lookup ----------------------------------------------------------------------------------------------

/// A regularizer with default options, by the names keras.regularizers.get
/// takes: "L1"/"l1" (l1 = 0.01), "L2"/"l2" (l2 = 0.01), "L1L2"/"l1l2" (both 0,
/// as in Keras 3), "OrthogonalRegularizer"/"orthogonal_regularizer",
/// "Regularizer"/"regularizer" (a penalty of 0). Unknown names (Keras 3 has no
/// "l1_l2") throw keras::ValueError listing the valid ones.
std::shared_ptr<Regularizer> get(const std::string& identifier);

/// Every name get() accepts, sorted.
const std::vector<std::string>& valid_names();

/// A Regularizer subclass object (any value category).
template <class T>
concept RegularizerObject = std::derived_from<std::remove_cvref_t<T>, Regularizer>;
/// A function of a Tensor returning a Tensor.
template <class T>
concept RegularizerCallable = !RegularizerObject<T> && std::is_invocable_r_v<Tensor, T&, const Tensor&>;

/// What layer options take as a regularizer: a name, a Regularizer object
/// (copied), a shared Regularizer, a function of the weight, or none (the
/// default).
///
/// Example:
///   RegularizerArg a = "l2";
///   RegularizerArg b = regularizers::L1(1e-3);
///   RegularizerArg c = [](const Tensor& w) { return 0.1 * ops::sum(ops::abs(w)); };
class RegularizerArg {
 public:
  /// No regularizer.
  RegularizerArg() = default;
  RegularizerArg(std::nullopt_t) {}                                // NOLINT
  RegularizerArg(const char* identifier);                          // NOLINT: implicit, as Keras takes a string
  RegularizerArg(const std::string& identifier);                   // NOLINT
  RegularizerArg(std::shared_ptr<const Regularizer> regularizer);  // NOLINT
  /// A Regularizer object: stored as a copy.
  template <RegularizerObject R>
  RegularizerArg(R&& regularizer)  // NOLINT
      : regularizer_(std::make_shared<std::remove_cvref_t<R>>(std::forward<R>(regularizer))) {}
  /// A function, lambda or RegularizerFn of the weight.
  template <RegularizerCallable F>
  RegularizerArg(F&& fn)  // NOLINT
      : regularizer_(wrap(RegularizerFn(std::forward<F>(fn)))) {}

  /// The regularizer; null when none.
  std::shared_ptr<const Regularizer> get() const { return regularizer_; }
  explicit operator bool() const { return regularizer_ != nullptr; }

 private:
  static std::shared_ptr<const Regularizer> wrap(RegularizerFn fn);
  std::shared_ptr<const Regularizer> regularizer_;
};

}  // namespace keras::regularizers
