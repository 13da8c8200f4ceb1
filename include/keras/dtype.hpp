#pragma once
/// Element types of tensors, with Keras' names ("float32", "int64", ...).
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace keras {

/// The element type of a tensor. float16 and bfloat16 are storage types:
/// they can be created, cast and saved; arithmetic runs in float32 or wider.
enum class DType : uint8_t {
  float32,
  float64,
  int32,
  int64,
  uint8,
  bool_,
  float16,
  bfloat16,
};

inline constexpr DType float32 = DType::float32;
inline constexpr DType float64 = DType::float64;
inline constexpr DType int32 = DType::int32;
inline constexpr DType int64 = DType::int64;
inline constexpr DType uint8 = DType::uint8;
inline constexpr DType bool_ = DType::bool_;
inline constexpr DType float16 = DType::float16;
inline constexpr DType bfloat16 = DType::bfloat16;

/// Bytes per element.
size_t dtype_size(DType d);
/// Keras' name: "float32", "bool", ...
std::string_view dtype_name(DType d);
/// Parses a Keras dtype name; throws keras::ValueError listing the valid names.
DType dtype_from_name(std::string_view name);
bool is_floating(DType d);
bool is_integer(DType d);  // int32, int64, uint8 (not bool)
/// The dtype two operands promote to (Keras 3 / JAX style: a float wins over
/// an integer, the wider of the same kind wins, float16 with bfloat16 gives float32).
DType result_type(DType a, DType b);

std::ostream& operator<<(std::ostream& os, DType d);

/// Maps a C++ element type to its DType.
template <class T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::float64;
};
template <>
struct dtype_of<int32_t> {
  static constexpr DType value = DType::int32;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = DType::int64;
};
template <>
struct dtype_of<uint8_t> {
  static constexpr DType value = DType::uint8;
};
template <>
struct dtype_of<bool> {
  static constexpr DType value = DType::bool_;
};
template <class T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

}  // namespace keras
