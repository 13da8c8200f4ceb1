#pragma once
// The graph of a Functional model (keras/src/models/functional.py and
// keras/src/ops/function.py's map_graph): the layer calls recorded on symbolic
// tensors between the model's inputs and outputs, ordered as Keras orders them,
// and replayed on concrete values.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"
#include "layers/layer_node.hpp"

namespace keras::detail {

struct FunctionalGraph {
  std::vector<Tensor> inputs;   // symbolic outputs of InputLayers
  std::vector<Tensor> outputs;  // symbolic
  bool single_input = true;     // given as one tensor, not a list
  bool single_output = true;
  // Every node between inputs and outputs (the InputLayers' included), by decreasing depth: an
  // order in which each node's inputs are computed before it.
  std::vector<std::shared_ptr<LayerNode>> nodes;
  std::map<const LayerNode*, int> node_depth;
  // The layers in Keras' model.layers order (by decreasing depth, then first visit).
  std::vector<std::shared_ptr<Layer>> layers;
  // Keras prints such a model in the three-column summary layout.
  bool sequential_like = true;
  std::vector<std::string> input_names;   // the InputLayers' names
  std::vector<std::string> output_names;  // the names of the layers producing the outputs
};

/// Maps the graph from `outputs` back to `inputs`; keras::ValueError when an input is not a
/// keras::Input tensor, an output is not reachable from the inputs, or names repeat.
FunctionalGraph build_functional_graph(std::vector<Tensor> inputs, std::vector<Tensor> outputs, bool single_input,
                                       bool single_output);

/// Runs the graph on one value per input (cast to each input's dtype, shapes checked).
std::vector<Tensor> run_functional_graph(const FunctionalGraph& graph, const std::string& model_name,
                                         const std::vector<Tensor>& values);

/// "(None, 4)" for an output shape, as summaries print it.
std::string format_summary_shape(const Shape& s);

}  // namespace keras::detail
