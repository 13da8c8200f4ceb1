// Mirrors keras/src/utils/naming.py.
#include "core/naming.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>

namespace keras::detail {
namespace {
std::mutex& uid_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, long long>& uids() {
  static std::map<std::string, long long> u;
  return u;
}
}  // namespace

std::string to_snake_case(const std::string& class_name) {
  static const std::regex non_word(R"(\W+)");
  static const std::regex upper_after_any("(.)([A-Z][a-z]+)");
  static const std::regex lower_upper("([a-z])([A-Z])");
  std::string s = std::regex_replace(class_name, non_word, "");
  s = std::regex_replace(s, upper_after_any, "$1_$2");
  s = std::regex_replace(s, lower_upper, "$1_$2");
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string auto_name(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(uid_mutex());
  long long& uid = uids()[prefix];
  std::string name = uid == 0 ? prefix : prefix + "_" + std::to_string(uid);
  ++uid;
  return name;
}

void reset_name_uids() {
  std::lock_guard<std::mutex> lock(uid_mutex());
  uids().clear();
}

}  // namespace keras::detail
