#pragma once
// The error every string lookup (losses::get, optimizers::get, ...) raises
// for a name it does not know, worded as Keras words it and listing the
// names that would have worked.
#include <string>
#include <string_view>
#include <vector>

namespace keras::detail {

/// Throws keras::ValueError "Could not interpret <kind> identifier: <id>.
/// Valid names are: a, b, c".
[[noreturn]] void throw_unknown_identifier(std::string_view kind, const std::string& identifier,
                                           const std::vector<std::string>& valid_names);

/// "a, b, c".
std::string join_names(const std::vector<std::string>& names);

/// `s` with ASCII letters lower-cased (names and modes that Keras matches case-insensitively).
std::string ascii_lower(std::string s);

}  // namespace keras::detail
