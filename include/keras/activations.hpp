#pragma once
/// keras::activations: the functions Keras' `activation=` arguments name.
///
/// Example:
///   auto f = keras::activations::get("relu");      // keras.activations.get("relu")
///   keras::Tensor y = f(x);
///   keras::activations::ActivationArg a = "softmax"; // what layers take: a name, a callable or nothing
#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::activations {

using ActivationFn = std::function<Tensor(const Tensor&)>;

Tensor linear(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor hard_sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// Softmax over the last axis (keras.activations.softmax's default).
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor elu(const Tensor& x);
Tensor selu(const Tensor& x);
/// Exact GELU, as keras.activations.gelu(approximate=False) (the alias "gelu").
Tensor gelu(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor leaky_relu(const Tensor& x);
Tensor exponential(const Tensor& x);

/// The activation a name denotes ("relu", "softmax", "linear", ..., "swish" = silu);
/// keras::ValueError listing the valid names for any other.
ActivationFn get(const std::string& identifier);
/// Every name get() accepts, sorted.
const std::vector<std::string>& valid_names();

template <class F>
concept ActivationCallable =
    !std::convertible_to<F, std::string> && !std::same_as<std::remove_cvref_t<F>, class ActivationArg> &&
    std::is_invocable_r_v<Tensor, F&, const Tensor&>;

/// What a layer's `activation` argument takes: nothing (linear), a name, or a callable.
class ActivationArg {
 public:
  ActivationArg() = default;
  ActivationArg(const char* identifier);         // NOLINT: implicit, as Keras takes a string (nullptr: none)
  ActivationArg(const std::string& identifier);  // NOLINT
  template <ActivationCallable F>
  ActivationArg(F&& fn)  // NOLINT
      : fn_(std::forward<F>(fn)), name_("function") {}

  /// Applies the activation (the identity when there is none).
  Tensor operator()(const Tensor& x) const { return fn_ ? fn_(x) : x; }
  /// The name given, "linear" for none, "function" for a callable.
  const std::string& name() const { return name_; }
  bool is_linear() const { return !fn_; }

 private:
  ActivationFn fn_;
  std::string name_ = "linear";
};

}  // namespace keras::activations
