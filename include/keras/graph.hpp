#pragma once
/// Symbolic tensors and graphs: what the Functional API and compiled steps
/// are built on. An op given a symbolic tensor runs its shape rule and adds a
/// node instead of computing.
///
/// Example:
///   auto x = keras::graph::placeholder({-1, 784});          // -1 = unknown (None)
///   auto y = keras::ops::relu(keras::ops::matmul(x, w));    // symbolic, shape (None, 256)
///   auto out = keras::graph::evaluate({y}, {{x, batch}});   // concrete values
#include <string>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::graph {

/// A symbolic input of the given shape (dims may be -1) and dtype.
Tensor placeholder(const Shape& shape, DType dtype = DType::float32, const std::string& name = "");

/// Computes `outputs` from concrete values fed for the placeholders they
/// depend on. Throws ValueError if a needed placeholder is not fed or a fed
/// value does not match its placeholder's shape or dtype.
std::vector<Tensor> evaluate(const std::vector<Tensor>& outputs, const std::vector<std::pair<Tensor, Tensor>>& feeds);

/// The name of the op that produced a symbolic tensor ("placeholder", "add", ...).
std::string producer_name(const Tensor& symbolic);

}  // namespace keras::graph
