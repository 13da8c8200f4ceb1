#pragma once
/// Where a tensor's data lives. Only the CPU is built; CUDA is designed in.
#include <ostream>
#include <string>

namespace keras {

enum class DeviceType : uint8_t { CPU, CUDA };

/// A device: a type and an index ("cpu:0", "cuda:1").
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  bool operator==(const Device&) const = default;
  std::string str() const;
  static Device cpu() { return {}; }
};

std::ostream& operator<<(std::ostream& os, const Device& d);

}  // namespace keras
