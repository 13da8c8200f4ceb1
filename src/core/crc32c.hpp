#pragma once
// CRC-32C (Castagnoli), as used by the TFRecord framing of TensorBoard event files.
// Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keras::core {

/// CRC-32C of `n` bytes at `data`. `init_crc` is the CRC of the bytes before these (0 for none),
/// so crc32c(b, nb, crc32c(a, na)) == crc32c of a followed by b. Uses the SSE4.2 crc32
/// instruction when the CPU has it, otherwise a slicing-by-8 table.
uint32_t crc32c(const void* data, size_t n, uint32_t init_crc = 0);
inline uint32_t crc32c(std::string_view bytes, uint32_t init_crc = 0) {
  return crc32c(bytes.data(), bytes.size(), init_crc);
}

/// The table-only implementation (same results as crc32c); exposed so tests can compare both paths.
uint32_t crc32c_portable(const void* data, size_t n, uint32_t init_crc = 0);

/// Whether crc32c() uses the hardware instruction on this machine.
bool crc32c_uses_hardware();

/// The masked form stored in TFRecord files: rotate right by 15 bits, then add 0xA282EAD8.
constexpr uint32_t mask_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }
/// Inverse of mask_crc32c.
constexpr uint32_t unmask_crc32c(uint32_t masked) {
  const uint32_t rot = masked - 0xA282EAD8u;
  return (rot >> 17) | (rot << 15);
}

/// mask_crc32c(crc32c(data, n)).
inline uint32_t masked_crc32c(const void* data, size_t n) { return mask_crc32c(crc32c(data, n)); }
inline uint32_t masked_crc32c(std::string_view bytes) { return mask_crc32c(crc32c(bytes)); }

}  // namespace keras::core
