#pragma once
// Keras' object naming (keras/src/utils/naming.py): one process-wide counter
// per prefix, shared by layers, models, metrics and optimizers.
#include <string>

namespace keras::detail {

/// "Dense" -> "dense", "MaxPooling2D" -> "max_pooling2d", "SGD" -> "sgd".
std::string to_snake_case(const std::string& class_name);

/// The first object asking gets `prefix`, the next `prefix_1`, `prefix_2`, ...
std::string auto_name(const std::string& prefix);

/// Forgets every counter (keras::utils::clear_session()).
void reset_name_uids();

}  // namespace keras::detail
