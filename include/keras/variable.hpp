#pragma once
/// keras::Variable: a named, mutable tensor (layer weights, optimizer slots).
///
/// Example:
///   keras::Variable w(keras::ops::zeros({3, 2}), {.name = "kernel"});
///   w.assign_add(keras::ops::ones({3, 2}));
///   keras::Tensor y = keras::ops::matmul(x, w);   // reads convert to Tensor
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "keras/tensor.hpp"

namespace keras {

struct VariableOptions {
  /// Cast the initial value to this dtype (default: keep its dtype).
  std::optional<DType> dtype{};
  /// Whether GradientTape watches the variable automatically and optimizers train it.
  bool trainable = true;
  /// The variable's name; "variable" when empty, as in Keras.
  std::string name{};
};

class Variable;
namespace detail {
struct VariableImpl;
Variable variable_from_impl(std::shared_ptr<VariableImpl> impl);
Tensor writable_value(const Variable& v);
}  // namespace detail

class Variable {
 public:
  /// An undefined variable.
  Variable() = default;
  explicit Variable(const Tensor& initial_value, VariableOptions options = {});

  bool defined() const { return impl_ != nullptr; }
  /// A read of the current value. Later assigns do not change a read already
  /// taken (copy on write), so values saved by a GradientTape stay valid.
  Tensor value() const;
  operator Tensor() const { return value(); }  // NOLINT: a read, as in Keras

  /// Replaces the value; shapes must match (ValueError otherwise).
  void assign(const Tensor& value);
  void assign_add(const Tensor& delta);
  void assign_sub(const Tensor& delta);

  /// A projection applied after every optimizer update (Keras' `variable.constraint`,
  /// set by add_weight's `constraint`); empty for none.
  using Constraint = std::function<Tensor(const Tensor&)>;
  void set_constraint(Constraint constraint);
  const Constraint& constraint() const;

  const std::string& name() const;
  bool trainable() const;
  void set_trainable(bool trainable);
  const Shape& shape() const;
  DType dtype() const;
  /// The id GradientTape keys this variable's gradient by.
  uint64_t id() const;
  bool operator==(const Variable& o) const { return impl_ == o.impl_; }

 private:
  friend Variable detail::variable_from_impl(std::shared_ptr<detail::VariableImpl> impl);
  friend Tensor detail::writable_value(const Variable& v);
  detail::VariableImpl* impl_for_update() const;
  std::shared_ptr<detail::VariableImpl> impl_;
};

}  // namespace keras
