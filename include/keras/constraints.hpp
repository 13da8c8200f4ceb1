#pragma once
/// keras::constraints: Keras 3's weight constraints (keras.constraints).
///
/// Example:
///   using namespace keras;
///   constraints::MaxNorm max_norm(3.0);                   // norms along axis 0 at most 3
///   kernel.assign(max_norm(kernel));                      // what an optimizer does after a step
///   auto unit = constraints::get("unit_norm");
///   constraints::ConstraintArg arg = constraints::MinMaxNorm({.min_value = 0.5, .max_value = 2.0});
///
/// A constraint maps a weight to its projection (same shape). The norms are
/// taken over `axis` (one axis, a list of axes, or std::nullopt for all): for a
/// Dense kernel (input_dim, units), axis 0 constrains each unit's incoming
/// weights; for a Conv2D kernel (rows, cols, in, out), use {0, 1, 2}. Built from
/// keras::ops, so constraints differentiate and trace.
#include <concepts>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/ops.hpp"
#include "keras/tensor.hpp"

namespace keras::constraints {

/// The base of every constraint: the identity. Subclasses override `call`.
///
/// Example (a user constraint):
///   struct Clip : keras::constraints::Constraint {
///     Tensor call(const Tensor& w) const override { return ops::clip(w, -1.0, 1.0); }
///     std::string class_name() const override { return "Clip"; }
///   };
class Constraint {
 public:
  Constraint() = default;
  virtual ~Constraint() = default;
  Constraint(const Constraint&) = default;
  Constraint& operator=(const Constraint&) = default;
  Constraint(Constraint&&) = default;
  Constraint& operator=(Constraint&&) = default;

  /// The projected weight (`w` is a Tensor or a Variable's value);
  /// keras::ValueError for an undefined tensor.
  Tensor operator()(const Tensor& w) const;
  /// The projection: `w` unchanged here (Keras' base class).
  virtual Tensor call(const Tensor& w) const;
  /// The Keras class name ("MaxNorm").
  virtual std::string class_name() const { return "Constraint"; }
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;
};

/// A function of a weight returning its projection.
using ConstraintFn = std::function<Tensor(const Tensor&)>;

struct MaxNormOptions {
  /// The largest norm allowed.
  double max_value = 2.0;
  /// The axis (or axes) the norms are taken over.
  Axes axis = 0;
};
/// Rescales the weights whose norm exceeds max_value to norm max_value:
/// w * clip(norm, 0, max_value) / (epsilon + norm). (So a weight within the
/// bound shrinks by the factor norm / (epsilon + norm), as in Keras.)
class MaxNorm : public Constraint {
 public:
  using Options = MaxNormOptions;
  explicit MaxNorm(Options options = {}) : options_(std::move(options)) {}
  /// MaxNorm(3.0), MaxNorm(3.0, {0, 1, 2}). (A template, so that `MaxNorm({})` picks the options.)
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit MaxNorm(T max_value, Axes axis = 0)
      : MaxNorm(Options{.max_value = static_cast<double>(max_value), .axis = std::move(axis)}) {}
  Tensor call(const Tensor& w) const override;
  std::string class_name() const override { return "MaxNorm"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

/// maximum(w, 0).
class NonNeg : public Constraint {
 public:
  Tensor call(const Tensor& w) const override;
  std::string class_name() const override { return "NonNeg"; }
};

struct UnitNormOptions {
  /// The axis (or axes) the norms are taken over.
  Axes axis = 0;
};
/// w / (epsilon + norm): unit norm along axis (a zero vector stays zero).
class UnitNorm : public Constraint {
 public:
  using Options = UnitNormOptions;
  explicit UnitNorm(Options options = {}) : options_(std::move(options)) {}
  Tensor call(const Tensor& w) const override;
  std::string class_name() const override { return "UnitNorm"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct MinMaxNormOptions {
  /// The smallest norm allowed.
  double min_value = 0.0;
  /// The largest norm allowed.
  double max_value = 1.0;
  /// How far to move towards the bounds per call: the new norm is
  /// rate * clip(norm, min_value, max_value) + (1 - rate) * norm; 1 enforces them strictly.
  double rate = 1.0;
  /// The axis (or axes) the norms are taken over.
  Axes axis = 0;
};
/// Rescales the weights towards a norm within [min_value, max_value]:
/// w * desired / (epsilon + norm), with desired as `rate` describes.
class MinMaxNorm : public Constraint {
 public:
  using Options = MinMaxNormOptions;
  explicit MinMaxNorm(Options options = {}) : options_(std::move(options)) {}
  MinMaxNorm(double min_value, double max_value, double rate = 1.0, Axes axis = 0)
      : MinMaxNorm(Options{.min_value = min_value, .max_value = max_value, .rate = rate, .axis = std::move(axis)}) {}
  Tensor call(const Tensor& w) const override;
  std::string class_name() const override { return "MinMaxNorm"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- lookup ----------------------------------------------------------------------------------------------

/// A constraint with default options, by the names keras.constraints.get
/// takes: "MaxNorm"/"max_norm", "NonNeg"/"non_neg", "UnitNorm"/"unit_norm",
/// "MinMaxNorm"/"min_max_norm", "Constraint"/"constraint" (the identity).
/// Unknown names throw keras::ValueError listing the valid ones.
std::shared_ptr<Constraint> get(const std::string& identifier);

/// Every name get() accepts, sorted.
const std::vector<std::string>& valid_names();

/// A Constraint subclass object (any value category).
template <class T>
concept ConstraintObject = std::derived_from<std::remove_cvref_t<T>, Constraint>;
/// A function of a Tensor returning a Tensor.
template <class T>
concept ConstraintCallable = !ConstraintObject<T> && std::is_invocable_r_v<Tensor, T&, const Tensor&>;

/// What layer options take as a constraint: a name, a Constraint object
/// (copied), a shared Constraint, a function of the weight, or none (the default).
///
/// Example:
///   ConstraintArg a = "non_neg";
///   ConstraintArg b = constraints::MaxNorm(3.0);
///   ConstraintArg c = [](const Tensor& w) { return ops::clip(w, -1.0, 1.0); };
class ConstraintArg {
 public:
  /// No constraint.
  ConstraintArg() = default;
  ConstraintArg(std::nullopt_t) {}                              // NOLINT
  ConstraintArg(const char* identifier);                        // NOLINT: implicit, as Keras takes a string
  ConstraintArg(const std::string& identifier);                 // NOLINT
  ConstraintArg(std::shared_ptr<const Constraint> constraint);  // NOLINT
  /// A Constraint object: stored as a copy.
  template <ConstraintObject C>
  ConstraintArg(C&& constraint)  // NOLINT
      : constraint_(std::make_shared<std::remove_cvref_t<C>>(std::forward<C>(constraint))) {}
  /// A function, lambda or ConstraintFn of the weight.
  template <ConstraintCallable F>
  ConstraintArg(F&& fn)  // NOLINT
      : constraint_(wrap(ConstraintFn(std::forward<F>(fn)))) {}

  /// The constraint; null when none.
  std::shared_ptr<const Constraint> get() const { return constraint_; }
  explicit operator bool() const { return constraint_ != nullptr; }

 private:
  static std::shared_ptr<const Constraint> wrap(ConstraintFn fn);
  std::shared_ptr<const Constraint> constraint_;
};

}  // namespace keras::constraints
