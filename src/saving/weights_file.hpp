#pragma once
// Internal entry points of the .weights.h5 writer/reader for checkpoints that carry more than
// Keras' tree: string attributes on the root group (Python Keras ignores them).
#include <map>
#include <optional>
#include <string>

#include "keras/models/model.hpp"

namespace keras::detail {

/// Model::save_weights, plus string attributes on the root group.
void save_weights_file(Model& model, const std::string& filepath,
                       const std::map<std::string, std::string>& root_attributes);

/// Model::load_weights, returning the root attribute `attribute` read from the same bytes (nullopt
/// when the file has none).
std::optional<std::string> load_weights_file(Model& model, const std::string& filepath, const std::string& attribute,
                                             LoadWeightsOptions options = {});

}  // namespace keras::detail
