#pragma once
/// The merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
/// Concatenate, Dot. Each takes a list of tensors and returns one.
///
/// Example (Functional API):
///   auto a = keras::Input({16}), b = keras::Input({16});
///   keras::Tensor sum = keras::layers::Add()({a, b});                          // (None, 16)
///   keras::Tensor both = keras::layers::Concatenate()({a, b});                 // (None, 32)
///   keras::Tensor cosine = keras::layers::Dot({.axes = {1}, .normalize = true})({a, b});  // (None, 1)
///
/// The element-wise layers broadcast their inputs as NumPy does; their output
/// mask is the logical AND of the input masks.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

/// The options of Add, Subtract, Multiply, Average, Maximum and Minimum (Keras' **kwargs).
struct MergeOptions {
  std::string name{};
  std::optional<DType> dtype{};
};

/// The base of the element-wise merging layers (keras.layers.Merge): at least one input; inputs
/// broadcast together.
class MergeImpl : public Layer {
 public:
  using Options = MergeOptions;
  MergeImpl(Options options, std::string default_name);
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) override;

 protected:
  /// Combines the inputs (at least one).
  virtual Tensor merge(const std::vector<Tensor>& inputs) = 0;
  /// The fewest inputs the layer takes (Keras: 1; Subtract: exactly 2).
  virtual size_t min_inputs() const { return 1; }
  virtual size_t max_inputs() const { return SIZE_MAX; }
};

/// The element-wise sum of the inputs.
class AddImpl : public MergeImpl {
 public:
  explicit AddImpl(Options options = {});
  std::string class_name() const override { return "Add"; }

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) override;
};
struct Add : Handle<AddImpl> {
  using Handle::Handle;
  Add() : Handle(MergeOptions{}) {}
};

/// inputs[0] - inputs[1] (exactly two inputs).
class SubtractImpl : public MergeImpl {
 public:
  explicit SubtractImpl(Options options = {});
  std::string class_name() const override { return "Subtract"; }

 protected:
  size_t min_inputs() const override { return 2; }
  size_t max_inputs() const override { return 2; }
  Tensor merge(const std::vector<Tensor>& inputs) override;
};
struct Subtract : Handle<SubtractImpl> {
  using Handle::Handle;
  Subtract() : Handle(MergeOptions{}) {}
};

/// The element-wise product.
class MultiplyImpl : public MergeImpl {
 public:
  explicit MultiplyImpl(Options options = {});
  std::string class_name() const override { return "Multiply"; }

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) override;
};
struct Multiply : Handle<MultiplyImpl> {
  using Handle::Handle;
  Multiply() : Handle(MergeOptions{}) {}
};

/// The element-wise mean.
class AverageImpl : public MergeImpl {
 public:
  explicit AverageImpl(Options options = {});
  std::string class_name() const override { return "Average"; }

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) override;
};
struct Average : Handle<AverageImpl> {
  using Handle::Handle;
  Average() : Handle(MergeOptions{}) {}
};

/// The element-wise maximum.
class MaximumImpl : public MergeImpl {
 public:
  explicit MaximumImpl(Options options = {});
  std::string class_name() const override { return "Maximum"; }

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) override;
};
struct Maximum : Handle<MaximumImpl> {
  using Handle::Handle;
  Maximum() : Handle(MergeOptions{}) {}
};

/// The element-wise minimum.
class MinimumImpl : public MergeImpl {
 public:
  explicit MinimumImpl(Options options = {});
  std::string class_name() const override { return "Minimum"; }

 protected:
  Tensor merge(const std::vector<Tensor>& inputs) override;
};
struct Minimum : Handle<MinimumImpl> {
  using Handle::Handle;
  Minimum() : Handle(MergeOptions{}) {}
};

// ---- Concatenate --------------------------------------------------------------------------------------

struct ConcatenateOptions {
  /// The axis to join along (negative: from the end; 0, the batch axis, is refused).
  int axis = -1;
  std::string name{};
  std::optional<DType> dtype{};
};

/// Joins the inputs along `axis`; every other axis must match.
class ConcatenateImpl : public Layer {
 public:
  using Options = ConcatenateOptions;
  explicit ConcatenateImpl(Options options = {});
  std::string class_name() const override { return "Concatenate"; }
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) override;
  nlohmann::json get_config() const override;

 private:
  Options options_;
};
struct Concatenate : Handle<ConcatenateImpl> {
  using Handle::Handle;
  Concatenate() : Handle(ConcatenateOptions{}) {}
};

// ---- Dot ------------------------------------------------------------------------------------------------

struct DotOptions {
  /// The axis of each input to contract: one value for both, or one per input.
  std::vector<int> axes{};
  /// L2-normalize both inputs along `axes` first (the result is then the cosine proximity).
  bool normalize = false;
  std::string name{};
  std::optional<DType> dtype{};
};

/// The dot product of two samples along the given axes (keras.layers.Dot: a batch dot product).
/// Inputs of rank 2 give (batch, 1); (batch, n, k) with (batch, m, k), axes 2, gives (batch, n, m).
class DotImpl : public Layer {
 public:
  using Options = DotOptions;
  explicit DotImpl(Options options);
  explicit DotImpl(int axes, bool normalize = false);
  std::string class_name() const override { return "Dot"; }
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  nlohmann::json get_config() const override;

 private:
  std::pair<int, int> resolved_axes(int rank0, int rank1) const;
  Options options_;
};
struct Dot : Handle<DotImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
