#include "core/identifiers.hpp"

#include "keras/error.hpp"

namespace keras::detail {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

void throw_unknown_identifier(std::string_view kind, const std::string& identifier,
                              const std::vector<std::string>& valid_names) {
  throw ValueError("Could not interpret " + std::string(kind) + " identifier: " + identifier +
                   ". Valid names are: " + join_names(valid_names));
}

std::string ascii_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace keras::detail
