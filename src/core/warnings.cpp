#include "core/warnings.hpp"

#include <iostream>

namespace keras::detail {

void user_warning(const std::string& message) { std::cerr << "UserWarning: " << message << "\n"; }

}  // namespace keras::detail
