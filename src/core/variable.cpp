#include "keras/variable.hpp"

#include <cstring>

#include "autodiff/tape_impl.hpp"
#include "core/convert.hpp"

namespace keras {
namespace detail {

struct VariableImpl {
  Tensor value;  // contiguous, owns the storage
  std::string name;
  bool trainable = true;
  Variable::Constraint constraint;
  uint64_t id = next_tensor_id();
};

Variable variable_from_impl(std::shared_ptr<VariableImpl> impl) {
  Variable v;
  v.impl_ = std::move(impl);
  return v;
}

Tensor writable_value(const Variable& v) {
  auto impl = v.impl_for_update();
  auto& storage = impl->value.impl()->storage;
  if (storage.use_count() > 1) {
    Tensor fresh = Tensor::empty(impl->value.shape(), impl->value.dtype(), impl->value.device());
    if (fresh.size() > 0)
      std::memcpy(fresh.raw_mutable_data(), impl->value.raw_data(),
                  static_cast<size_t>(fresh.size()) * dtype_size(fresh.dtype()));
    impl->value = fresh;
  }
  return impl->value;
}

}  // namespace detail

namespace {
void check_defined(const std::shared_ptr<detail::VariableImpl>& impl) {
  if (!impl) throw ValueError("Variable is undefined (default-constructed)");
}
}  // namespace

Variable::Variable(const Tensor& initial_value, VariableOptions options) {
  if (!initial_value.defined()) throw ValueError("Variable: the initial value is undefined");
  if (initial_value.is_symbolic()) throw ValueError("Variable: the initial value must be a concrete tensor");
  impl_ = std::make_shared<detail::VariableImpl>();
  impl_->name = options.name.empty() ? "variable" : options.name;
  impl_->trainable = options.trainable;
  const DType dt = options.dtype.value_or(initial_value.dtype());
  Tensor v = Tensor::empty(initial_value.shape(), dt, initial_value.device());
  Tensor src = initial_value.contiguous();
  if (v.size() > 0) detail::convert_elements(src.raw_data(), src.dtype(), v.raw_mutable_data(), dt, v.size());
  impl_->value = v;
}

detail::VariableImpl* Variable::impl_for_update() const {
  check_defined(impl_);
  return impl_.get();
}

Tensor Variable::value() const {
  check_defined(impl_);
  const auto& src = *impl_->value.impl();
  auto read = std::make_shared<detail::TensorImpl>();
  read->shape = src.shape;
  std::copy(std::begin(src.strides), std::end(src.strides), std::begin(read->strides));
  read->offset = src.offset;
  read->dtype = src.dtype;
  read->device = src.device;
  read->storage = src.storage;
  read->var_id = impl_->id;
  read->var_trainable = impl_->trainable;
  read->variable = impl_;
  return Tensor(std::move(read));
}

void Variable::assign(const Tensor& value) {
  check_defined(impl_);
  if (!value.defined()) throw ValueError("Variable '" + impl_->name + "': cannot assign an undefined tensor");
  if (value.is_symbolic())
    throw ValueError("Variable '" + impl_->name + "': cannot assign a symbolic tensor outside a traced function");
  if (value.shape() != shape())
    throw ValueError(
        "The shape of the target variable and the shape of the target value in `variable.assign(value)` "
        "must match. variable.shape=" +
        shape().str() + ", Received: value.shape=" + value.shape().str() + ". Target variable: '" + impl_->name + "'");
  auto& storage = impl_->value.impl()->storage;
  // Copy on write: a read taken earlier (held by a tape, a user, a view)
  // keeps the old values; the variable moves to a fresh block.
  if (storage.use_count() > 1) impl_->value = Tensor::empty(shape(), dtype(), impl_->value.device());
  Tensor src = value.contiguous();
  if (src.raw_data() == impl_->value.raw_data()) return;
  if (src.size() > 0)
    detail::convert_elements(src.raw_data(), src.dtype(), impl_->value.raw_mutable_data(), dtype(), src.size());
}

void Variable::assign_add(const Tensor& delta) {
  detail::PauseTapes pause;
  Tensor updated = ops::add(value(), delta);  // the read is released before assign
  assign(updated);
}

void Variable::assign_sub(const Tensor& delta) {
  detail::PauseTapes pause;
  Tensor updated = ops::subtract(value(), delta);
  assign(updated);
}

void Variable::set_constraint(Constraint constraint) {
  check_defined(impl_);
  impl_->constraint = std::move(constraint);
}
const Variable::Constraint& Variable::constraint() const {
  check_defined(impl_);
  return impl_->constraint;
}

const std::string& Variable::name() const {
  check_defined(impl_);
  return impl_->name;
}
bool Variable::trainable() const {
  check_defined(impl_);
  return impl_->trainable;
}
void Variable::set_trainable(bool trainable) {
  check_defined(impl_);
  impl_->trainable = trainable;
}
const Shape& Variable::shape() const {
  check_defined(impl_);
  return impl_->value.shape();
}
DType Variable::dtype() const {
  check_defined(impl_);
  return impl_->value.dtype();
}
uint64_t Variable::id() const {
  check_defined(impl_);
  return impl_->id;
}

}  // namespace keras
