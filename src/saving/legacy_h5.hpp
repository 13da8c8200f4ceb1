#pragma once
// Legacy Keras 2 / tf.keras `.h5` full-model files (FORMATS.md section 2.7).
#include <cstdint>
#include <string>

#include "keras/models/model.hpp"
#include "keras/saving.hpp"
#include "saving/h5/h5.hpp"

namespace keras::saving::detail {

/// The model of a legacy full-model file: its `model_config` attribute (a Keras 2 config) and the
/// weights under `model_weights` (variables may take at most `file_bytes`); compiled from `training_config` when
/// `compile` and present.
Handle<Model> load_legacy_h5_model(const h5::File& file, bool compile, uint64_t file_bytes);

/// load_model from bytes in memory (a .keras archive or a legacy .h5 file); `path` names it in
/// messages. What load_model and the fuzz harness call.
Handle<Model> load_model_from_bytes(std::string bytes, const std::string& path,
                                    const models::LoadModelOptions& options);

}  // namespace keras::saving::detail
