#pragma once
// A node of a symbolic graph: one op call on (symbolic or constant) inputs.
#include <string>
#include <vector>

#include "ops/op_def.hpp"

namespace keras::graph {

struct Node {
  const detail::OpDef* op = nullptr;
  detail::AttrsPtr attrs;
  std::vector<Tensor> inputs;  // symbolic values or captured constants
  std::vector<detail::TensorSpec> outputs;
  std::string name;
};

}  // namespace keras::graph
