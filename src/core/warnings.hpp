#pragma once
// Warnings Keras raises with warnings.warn: printed to stderr as "UserWarning: <message>".
#include <string>

namespace keras::detail {

void user_warning(const std::string& message);

}  // namespace keras::detail
