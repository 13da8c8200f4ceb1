// Mirrors keras/src/constraints/constraints.py and keras/src/constraints/__init__.py
// (get and its names).
#include "core/identifiers.hpp"
#include "keras/constraints.hpp"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/ops.hpp"

namespace keras::constraints {

namespace {

// keras.config.epsilon(), added to the norms before dividing by them.
// TODO(config): read keras::config::epsilon() once it exists.
constexpr double kEpsilon = 1e-7;

bool is_half(DType d) { return d == DType::float16 || d == DType::bfloat16; }

// Integer weights are projected in float32, as Keras' norms of an integer
// tensor are float32 (sqrt promotes) and the weight is cast to their dtype.
// float16 and bfloat16 weights (storage types in keras.cpp, which ops reject)
// are projected in float32 and cast back, keeping Keras' result dtype.
template <class F>
Tensor project(const Tensor& w, F&& f) {
  if (is_half(w.dtype())) return ops::cast(f(ops::cast(w, DType::float32)), w.dtype());
  return f(is_floating(w.dtype()) ? w : ops::cast(w, DType::float32));
}

// sqrt(sum(square(w), axis, keepdims=True)): broadcastable against w.
Tensor norms(const Tensor& w, const Axes& axis) { return ops::sqrt(ops::sum(ops::square(w), axis, /*keepdims=*/true)); }

using Factory = std::function<std::shared_ptr<Constraint>()>;

template <class T>
Factory make() {
  return [] { return std::make_shared<T>(); };
}

// Keras' ALL_OBJECTS_DICT: each class name and its snake_case form.
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = {
      {"Constraint", make<Constraint>()}, {"constraint", make<Constraint>()}, {"MaxNorm", make<MaxNorm>()},
      {"max_norm", make<MaxNorm>()},      {"MinMaxNorm", make<MinMaxNorm>()}, {"min_max_norm", make<MinMaxNorm>()},
      {"NonNeg", make<NonNeg>()},         {"non_neg", make<NonNeg>()},        {"UnitNorm", make<UnitNorm>()},
      {"unit_norm", make<UnitNorm>()},
  };
  return r;
}

// A user function of the weight.
class FunctionConstraint : public Constraint {
 public:
  explicit FunctionConstraint(ConstraintFn fn) : fn_(std::move(fn)) {}
  Tensor call(const Tensor& w) const override { return fn_(w); }
  std::string class_name() const override { return "function"; }

 private:
  ConstraintFn fn_;
};

}  // namespace

// ---- Constraint ------------------------------------------------------------------------------------------

Tensor Constraint::operator()(const Tensor& w) const {
  if (!w.defined()) throw ValueError(class_name() + ": the weight is an undefined tensor");
  return call(w);
}

Tensor Constraint::call(const Tensor& w) const { return w; }

// ---- the constraints -------------------------------------------------------------------------------------
// Keras divides by (epsilon + norm) rather than by norm, so zero vectors stay
// zero instead of becoming NaN; the price is that every vector is scaled by
// norm / (epsilon + norm), slightly below 1, even when it is within bounds.

Tensor MaxNorm::call(const Tensor& w) const {
  return project(w, [&](const Tensor& x) {
    const Tensor n = norms(x, options_.axis);
    const Tensor desired = ops::clip(n, 0.0, options_.max_value);
    return x * (desired / (kEpsilon + n));
  });
}

Tensor NonNeg::call(const Tensor& w) const {
  if (is_half(w.dtype())) return ops::cast(call(ops::cast(w, DType::float32)), w.dtype());
  return ops::maximum(w, ops::convert_to_tensor(0.0, w.dtype()));
}

Tensor UnitNorm::call(const Tensor& w) const {
  return project(w, [&](const Tensor& x) { return x / (kEpsilon + norms(x, options_.axis)); });
}

Tensor MinMaxNorm::call(const Tensor& w) const {
  return project(w, [&](const Tensor& x) {
    const Tensor n = norms(x, options_.axis);
    const Tensor desired =
        options_.rate * ops::clip(n, options_.min_value, options_.max_value) + (1.0 - options_.rate) * n;
    return x * (desired / (kEpsilon + n));
  });
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

std::shared_ptr<Constraint> get(const std::string& identifier) {
  auto it = registry().find(identifier);
  if (it != registry().end()) return it->second();
  detail::throw_unknown_identifier("constraint", identifier, valid_names());
}

// ---- ConstraintArg ---------------------------------------------------------------------------------------

ConstraintArg::ConstraintArg(const char* identifier) : ConstraintArg(std::string(identifier ? identifier : "")) {}

ConstraintArg::ConstraintArg(const std::string& identifier) : constraint_(constraints::get(identifier)) {}

ConstraintArg::ConstraintArg(std::shared_ptr<const Constraint> constraint) : constraint_(std::move(constraint)) {}

std::shared_ptr<const Constraint> ConstraintArg::wrap(ConstraintFn fn) {
  return std::make_shared<FunctionConstraint>(std::move(fn));
}

}  // namespace keras::constraints
