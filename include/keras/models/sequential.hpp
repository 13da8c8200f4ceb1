#pragma once
/// keras::Sequential: a model that is a plain stack of layers.
///
/// Example:
///   auto model = keras::Sequential({
///       keras::layers::Input({784}),
///       keras::layers::Dense(256, "relu"),
///       keras::layers::Dense(10),
///   });
///   model.add(keras::layers::Activation("softmax"));
///   model.summary();
///
/// With an Input first the model builds at once (summary shows shapes and
/// parameter counts); otherwise it builds on its first call.
#include <memory>
#include <string>
#include <vector>

#include "keras/layers/core.hpp"
#include "keras/models/model.hpp"

namespace keras {

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<LayerHandle> layers = {}, std::string name = "");
  explicit Sequential(std::string name) : Sequential(std::vector<LayerHandle>{}, std::move(name)) {}
  std::string class_name() const override { return "Sequential"; }

  /// Appends a layer (an InputLayer only as the first one).
  void add(LayerHandle layer);
  /// Removes the last layer (keras::IndexError when there is none).
  void pop();
  /// The layers, without the InputLayer.
  std::vector<std::shared_ptr<Layer>> layers() const override;

  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;
  /// The shape given by an InputLayer or the first build (batch axis -1), if known.
  std::optional<Shape> input_shape() const { return input_shape_; }
  /// Each layer's output shape (batch axis -1), once built.
  const std::vector<Shape>& output_shapes() const { return output_shapes_; }

 protected:
  std::vector<std::shared_ptr<Layer>> summary_layers() const override { return layers(); }

 private:
  void rebuild_tracking();
  std::shared_ptr<layers::InputLayerImpl> input_layer_;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::optional<Shape> input_shape_;
  std::vector<Shape> output_shapes_;
};

}  // namespace keras
