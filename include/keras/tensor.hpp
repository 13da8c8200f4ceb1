#pragma once
/// keras::Tensor: a cheap, copyable handle to an n-dimensional array.
///
/// Example:
///   keras::Tensor a({{1.f, 2.f}, {3.f, 4.f}});        // float32, shape (2, 2)
///   keras::Tensor b = keras::ops::exp(a) + 1.0;
///   std::cout << b << "\n";                            // NumPy-like printing
///   float first = b.to_vector<float>()[0];
///
/// Copies share data (like a NumPy array reference). A tensor is concrete
/// (holds data) or symbolic (a value in a graph being built, with no data).
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <span>
#include <vector>

#include "keras/device.hpp"
#include "keras/dtype.hpp"
#include "keras/error.hpp"
#include "keras/shape.hpp"

namespace keras {

namespace graph {
struct Node;
}

namespace detail {

struct LayerNode;

/// A 64-byte aligned block from the caching allocator; returned to the
/// allocator's free lists (never to the OS) when the last owner drops it.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device{};
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

uint64_t next_tensor_id();

struct TensorImpl {
  Shape shape;
  int64_t strides[Shape::kMaxRank] = {};  // in elements
  int64_t offset = 0;                     // in elements
  DType dtype = DType::float32;
  Device device{};
  std::shared_ptr<Storage> storage;  // null for symbolic tensors
  uint64_t id = next_tensor_id();
  // Set when this tensor is a read of a Variable: the tape keys gradients by
  // the variable's id so that every read of it accumulates into one gradient.
  uint64_t var_id = 0;
  std::weak_ptr<struct VariableImpl> variable;
  bool var_trainable = false;
  // Symbolic tensors: the graph node producing this value and which output.
  std::shared_ptr<graph::Node> node;
  int node_output = 0;
  // Functional API: the layer call that produced this symbolic tensor and which of its outputs
  // (Keras' _keras_history).
  std::shared_ptr<LayerNode> keras_history;
  int keras_history_index = 0;
  // The mask a layer attached to this tensor (Keras' _keras_mask); null when none.
  std::shared_ptr<TensorImpl> keras_mask;

  void set_contiguous_strides();
  bool is_contiguous() const;
};

}  // namespace detail

class Tensor {
 public:
  /// An undefined tensor (`defined() == false`), used for "no value".
  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

  /// 1-D float32 from a list: `Tensor t({1.f, 2.f, 3.f});`
  Tensor(std::initializer_list<float> values);
  /// 2-D float32 from nested lists (rows must be of equal length).
  Tensor(std::initializer_list<std::initializer_list<float>> rows);
  /// From a vector of data and a shape (1-D of the vector's length if omitted).
  template <class T>
  Tensor(const std::vector<T>& values, const Shape& shape) {
    init_from(values.data(), values.size(), dtype_of_v<T>, shape);
  }
  template <class T>
  explicit Tensor(const std::vector<T>& values) {
    init_from(values.data(), values.size(), dtype_of_v<T>, Shape{static_cast<int64_t>(values.size())});
  }
  /// A 0-d tensor holding `value`.
  template <class T>
  static Tensor scalar(T value) {
    Tensor t;
    t.init_from(&value, 1, dtype_of_v<T>, Shape{});
    return t;
  }
  /// A 0-d tensor holding `value` converted to `dtype`.
  static Tensor scalar(double value, DType dtype);
  /// A tensor with uninitialised contents, contiguous.
  static Tensor empty(const Shape& shape, DType dtype = DType::float32, Device device = {});
  /// Copies raw little-endian elements of `dtype` into a new tensor.
  static Tensor from_bytes(const void* data, DType dtype, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  int ndim() const { return impl_->shape.rank(); }
  /// Number of elements.
  int64_t size() const { return impl_->shape.numel(); }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->device; }
  std::span<const int64_t> strides() const { return {impl_->strides, static_cast<size_t>(ndim())}; }
  int64_t offset() const { return impl_->offset; }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  bool is_symbolic() const { return impl_ && !impl_->storage; }
  /// A unique id for this handle's tensor (views get their own).
  uint64_t id() const { return impl_->id; }

  /// Pointer to the first element (honours the view offset; use strides()).
  const void* raw_data() const;
  void* raw_mutable_data();
  template <class T>
  const T* data() const {
    check_dtype(dtype_of_v<T>);
    return static_cast<const T*>(raw_data());
  }
  template <class T>
  T* mutable_data() {
    check_dtype(dtype_of_v<T>);
    return static_cast<T*>(raw_mutable_data());
  }

  /// The single element, converted to T; throws ValueError unless size() == 1.
  template <class T>
  T item() const {
    T v{};
    copy_out(&v, dtype_of_v<T>, 1, "item");
    return v;
  }
  /// All elements in C order, converted to T.
  template <class T>
  std::vector<T> to_vector() const {
    std::vector<T> v(static_cast<size_t>(size()));
    if constexpr (std::is_same_v<T, bool>) {
      std::unique_ptr<bool[]> tmp(new bool[v.size()]);
      copy_out(tmp.get(), DType::bool_, v.size(), "to_vector");
      for (size_t i = 0; i < v.size(); ++i) v[i] = tmp[i];
    } else {
      copy_out(v.data(), dtype_of_v<T>, v.size(), "to_vector");
    }
    return v;
  }
  /// This tensor if contiguous, else a contiguous copy of its data. The copy
  /// is not recorded by a GradientTape; differentiable code uses ops.
  Tensor contiguous() const;

  detail::TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<detail::TensorImpl>& impl_ptr() const { return impl_; }

 private:
  void init_from(const void* data, size_t count, DType dtype, const Shape& shape);
  void check_dtype(DType expected) const;
  void copy_out(void* dst, DType dtype, size_t count, const char* what) const;
  std::shared_ptr<detail::TensorImpl> impl_;
};

/// NumPy-like printing: `[[1. 2.]\n [3. 4.]]`; long tensors are summarised.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Operators (defined with keras::ops; they differentiate and trace like ops).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
// A C++ number is a weakly typed scalar: it takes the tensor's dtype, as a
// Python scalar does in Keras.
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);

}  // namespace keras
