#pragma once
// Internal entry points of the .weights.h5 writer/reader for checkpoints that carry more than
// Keras' tree: string attributes on the root group (Python Keras ignores them).
#include <map>
#include <optional>
#include <string>

#include "keras/models/model.hpp"
#include "saving/h5/h5.hpp"

namespace keras::detail {

/// Model::save_weights, plus string attributes on the root group.
void save_weights_file(Model& model, const std::string& filepath,
                       const std::map<std::string, std::string>& root_attributes);

/// Model::load_weights, returning the root attribute `attribute` read from the same bytes (nullopt
/// when the file has none).
std::optional<std::string> load_weights_file(Model& model, const std::string& filepath, const std::string& attribute,
                                             LoadWeightsOptions options = {});

/// The weights tree of save_weights, in memory (the `.keras` archive's model.weights.h5).
h5::Writer weights_writer(Model& model, const std::map<std::string, std::string>& root_attributes);

/// load_weights from an open file (checked fully before anything is assigned).
void load_weights_from(Model& model, const h5::File& file, LoadWeightsOptions options = {});

}  // namespace keras::detail
