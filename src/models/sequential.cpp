// Mirrors keras/src/models/sequential.py.
#include "keras/models/sequential.hpp"

#include <nlohmann/json.hpp>

#include "keras/saving.hpp"

namespace keras {

namespace {
Shape with_unknown_batch(Shape s) {
  if (s.rank() > 0) s[0] = -1;
  return s;
}
}  // namespace

Sequential::Sequential(std::vector<LayerHandle> layers, std::string name)
    : Model(ModelOptions{.name = name.empty() ? std::string() : name}) {
  for (auto& l : layers) add(l);
}

void Sequential::add(LayerHandle layer) {
  if (!layer) throw ValueError("Sequential.add: received an empty layer handle");
  if (auto input = std::dynamic_pointer_cast<layers::InputLayerImpl>(layer.ptr())) {
    if (input_layer_ || !layers_.empty())
      throw ValueError(
          "Sequential model '" + name() +
          "' has already been configured to use an input; an InputLayer can only be the first layer of a Sequential "
          "model. Remove the extra Input.");
    input_layer_ = input;
    input_shape_ = input->batch_shape();
    build(*input_shape_);
    return;
  }
  for (const auto& l : layers_)
    if (l == layer.ptr())
      throw ValueError("Sequential.add: layer '" + l->name() + "' is already in the model; layers cannot repeat");
  for (const auto& l : layers_)
    if (l->name() == layer->name())
      throw ValueError("All layers added to a Sequential model should have unique names. Name '" + layer->name() +
                       "' is already the name of a layer in this model. Update the `name` argument to pass a "
                       "unique name.");
  layers_.push_back(layer.ptr());
  rebuild_tracking();
  set_built(false);
  if (input_shape_) build(*input_shape_);
}

void Sequential::pop() {
  if (layers_.empty()) throw IndexError("There are no layers in the model.");
  layers_.pop_back();
  rebuild_tracking();
  output_shapes_.clear();
  if (input_shape_) {
    set_built(false);
    build(*input_shape_);
  }
}

void Sequential::rebuild_tracking() {
  clear_tracked_layers();
  for (auto& l : layers_) track_layer(l->name(), l);
}

std::vector<std::shared_ptr<Layer>> Sequential::layers() const { return layers_; }

void Sequential::build(const Shape& input_shape) {
  Shape s = with_unknown_batch(input_shape);
  if (input_layer_) {
    // The InputLayer fixes every axis but the batch.
    const Shape& bs = input_layer_->batch_shape();
    if (input_shape.rank() != bs.rank())
      throw ValueError("Input 0 of Sequential model \"" + name() +
                       "\" is incompatible with the model: expected shape " + bs.str() + ", found shape " +
                       input_shape.str());
    for (int i = 1; i < bs.rank(); ++i)
      if (bs[i] >= 0 && input_shape[i] >= 0 && bs[i] != input_shape[i])
        throw ValueError("Input 0 of Sequential model \"" + name() +
                         "\" is incompatible with the model: expected shape " + bs.str() + ", found shape " +
                         input_shape.str());
    s = with_unknown_batch(bs);
  }
  input_shape_ = s;
  output_shapes_.clear();
  for (auto& l : layers_) {
    l->maybe_build(s);
    s = with_unknown_batch(l->compute_output_shape(s));
    output_shapes_.push_back(s);
  }
  set_built(true);
}

Tensor Sequential::call(const Tensor& inputs, bool training) {
  if (layers_.empty())
    throw ValueError("Sequential model '" + name() + "' has no layers: add layers before calling it");
  Tensor x = inputs;
  for (auto& l : layers_) x = (*l)(x, training);
  return x;
}

Shape Sequential::compute_output_shape(const Shape& input_shape) {
  Shape s = input_shape;
  for (auto& l : layers_) s = l->compute_output_shape(s);
  return s;
}

nlohmann::json Sequential::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  c["name"] = name();
  c["trainable"] = trainable();
  c["dtype"] = saving::serialize_dtype_policy(dtype());
  nlohmann::json ls = nlohmann::json::array();
  if (input_layer_) ls.push_back(saving::serialize_keras_object(*input_layer_));
  for (const auto& l : layers_) ls.push_back(saving::serialize_keras_object(*l));
  c["layers"] = ls;
  if (built() && input_shape_) {
    nlohmann::json shape = nlohmann::json::array();
    for (int64_t d : *input_shape_) shape.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
    c["build_input_shape"] = shape;
  }
  return c;
}

}  // namespace keras
