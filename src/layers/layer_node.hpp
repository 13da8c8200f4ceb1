#pragma once
// One call of a layer on Functional API tensors (Keras' Node): which layer, on
// which symbolic inputs, with which outputs. The outputs point back here
// through TensorImpl::keras_history; a functional Model replays the nodes.
#include <memory>
#include <optional>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::detail {

struct LayerNode {
  std::shared_ptr<Layer> layer;
  std::vector<Tensor> inputs;        // symbolic, each with its own keras_history (or none)
  std::vector<Shape> output_shapes;  // the outputs themselves point here (not held: no cycle)
  std::vector<DType> output_dtypes;
  std::optional<bool> training;  // a `training` given explicitly when the graph was built
  int node_index = 0;            // among the layer's calls (Keras' node_index)
};

}  // namespace keras::detail
