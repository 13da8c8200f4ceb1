#include "keras/dtype.hpp"

#include <array>

#include "keras/error.hpp"

namespace keras {

namespace {
constexpr std::array<std::string_view, 8> kNames = {"float32", "float64", "int32",   "int64",
                                                    "uint8",   "bool",    "float16", "bfloat16"};
constexpr std::array<size_t, 8> kSizes = {4, 8, 4, 8, 1, 1, 2, 2};
}  // namespace

size_t dtype_size(DType d) { return kSizes[static_cast<size_t>(d)]; }
std::string_view dtype_name(DType d) { return kNames[static_cast<size_t>(d)]; }

DType dtype_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<DType>(i);
  std::string valid;
  for (auto n : kNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw ValueError("Invalid dtype: '" + std::string(name) + "'. Valid dtypes are: " + valid);
}

bool is_floating(DType d) {
  return d == DType::float32 || d == DType::float64 || d == DType::float16 || d == DType::bfloat16;
}
bool is_integer(DType d) { return d == DType::int32 || d == DType::int64 || d == DType::uint8; }

DType result_type(DType a, DType b) {
  if (a == b) return a;
  auto rank = [](DType d) {
    switch (d) {
      case DType::bool_:
        return 0;
      case DType::uint8:
        return 1;
      case DType::int32:
        return 2;
      case DType::int64:
        return 3;
      case DType::float16:
      case DType::bfloat16:
        return 4;
      case DType::float32:
        return 5;
      case DType::float64:
        return 6;
    }
    return 0;
  };
  if ((a == DType::float16 && b == DType::bfloat16) || (a == DType::bfloat16 && b == DType::float16))
    return DType::float32;
  return rank(a) >= rank(b) ? a : b;
}

std::ostream& operator<<(std::ostream& os, DType d) { return os << dtype_name(d); }

}  // namespace keras
