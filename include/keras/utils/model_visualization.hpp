#pragma once
/// keras::utils::plot_model and model_to_dot: a model's layer graph as Graphviz DOT.
///
/// Example:
///   keras::utils::plot_model(model, {.to_file = "model.dot", .show_shapes = true});
///   keras::utils::plot_model(model, {.to_file = "model.png"});   // needs Graphviz's `dot`
///
/// One box per layer ("name (Class)"), an arrow per connection: a Functional
/// model's graph, a Sequential model's chain, a subclassed model's layers
/// (no arrows: its call() is code, not a recorded graph).
#include <string>

#include "keras/models/model.hpp"

namespace keras::utils {

struct PlotModelOptions {
  /// ".dot" writes the DOT text; ".png", ".svg" or ".pdf" run Graphviz's `dot` on it.
  std::string to_file = "model.png";
  bool show_shapes = false;
  bool show_dtype = false;
  bool show_layer_names = true;
  /// "TB" (top to bottom) or "LR" (left to right).
  std::string rankdir = "TB";
  bool show_layer_activations = false;
  bool show_trainable = false;
  /// Dots per inch of an image.
  int dpi = 200;
};

/// The DOT text of the model's graph (the options' to_file and dpi aside).
std::string model_to_dot(Model& model, const PlotModelOptions& options = {});

/// Writes the graph to options.to_file (atomically). keras::Error when the extension is unknown or
/// an image is asked for and `dot` is not installed (the message says to install graphviz or to
/// write a .dot file).
void plot_model(Model& model, const PlotModelOptions& options = {});

}  // namespace keras::utils
