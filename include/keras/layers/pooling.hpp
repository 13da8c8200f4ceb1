#pragma once
/// Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D, GlobalAveragePooling1D/2D,
/// GlobalMaxPooling1D/2D (channels_last by default).
///
/// Example: `auto pool = keras::layers::MaxPooling2D(2);   // pool_size 2, strides 2`
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"
#include "keras/ops.hpp"

namespace keras::layers {

struct PoolingOptions {
  ops::IntTuple pool_size = 2;
  /// Default: pool_size.
  std::optional<ops::IntTuple> strides{};
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

class BasePoolingImpl : public Layer {
 public:
  using Options = PoolingOptions;
  BasePoolingImpl(int rank, bool max, Options options, std::string class_name);
  std::string class_name() const override { return class_name_; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  int rank_;
  bool max_;
  Options options_;
  std::string class_name_;
  std::vector<int64_t> pool_, strides_;
};

#define KERAS_POOL_LAYER(Name, rank, max)                                                                    \
  class Name##Impl : public BasePoolingImpl {                                                                \
   public:                                                                                                   \
    explicit Name##Impl(Options o = {}) : BasePoolingImpl(rank, max, std::move(o), #Name) {}                 \
    explicit Name##Impl(ops::IntTuple pool_size) : Name##Impl(Options{.pool_size = std::move(pool_size)}) {} \
  };                                                                                                         \
  struct Name : Handle<Name##Impl> {                                                                         \
    using Handle::Handle;                                                                                    \
  };
KERAS_POOL_LAYER(MaxPooling1D, 1, true)
KERAS_POOL_LAYER(MaxPooling2D, 2, true)
KERAS_POOL_LAYER(AveragePooling1D, 1, false)
KERAS_POOL_LAYER(AveragePooling2D, 2, false)
#undef KERAS_POOL_LAYER

struct GlobalPoolingOptions {
  std::string data_format = "channels_last";
  /// Keep the spatial axes with length 1.
  bool keepdims = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

class BaseGlobalPoolingImpl : public Layer {
 public:
  using Options = GlobalPoolingOptions;
  BaseGlobalPoolingImpl(int rank, bool max, Options options, std::string class_name);
  std::string class_name() const override { return class_name_; }
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;

 private:
  std::vector<int64_t> spatial_axes() const;
  int rank_;
  bool max_;
  Options options_;
  std::string class_name_;
};

#define KERAS_GLOBAL_POOL_LAYER(Name, rank, max)                                                   \
  class Name##Impl : public BaseGlobalPoolingImpl {                                                \
   public:                                                                                         \
    explicit Name##Impl(Options o = {}) : BaseGlobalPoolingImpl(rank, max, std::move(o), #Name) {} \
  };                                                                                               \
  struct Name : Handle<Name##Impl> {                                                               \
    using Handle::Handle;                                                                          \
  };
KERAS_GLOBAL_POOL_LAYER(GlobalAveragePooling1D, 1, false)
KERAS_GLOBAL_POOL_LAYER(GlobalAveragePooling2D, 2, false)
KERAS_GLOBAL_POOL_LAYER(GlobalMaxPooling1D, 1, true)
KERAS_GLOBAL_POOL_LAYER(GlobalMaxPooling2D, 2, true)
#undef KERAS_GLOBAL_POOL_LAYER

}  // namespace keras::layers
