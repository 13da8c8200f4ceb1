#pragma once
// Philox-4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC'11), as in Random123.
//
// A counter-based generator is a keyed bijection of a 128-bit counter: block
// j of a stream is philox(counter = j, key), computed without the blocks
// before it. keras::random uses that to fill tensors in parallel with results
// that do not depend on the number of threads:
//
//   uint64_t key = splitmix64(seed);              // one stream per seed
//   PhiloxBlock b = philox_block(key, draw, j);   // 4 uint32 for elements 4j..4j+3
//
// where `draw` counts the draws made from a SeedGenerator (the high 64 bits of
// the counter) and j is the block index within the draw (the low 64 bits).
#include <array>
#include <cstdint>

namespace keras::detail {

using PhiloxBlock = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
// Weyl increments of the key: the golden ratio and sqrt(3) - 1, as 32-bit fractions.
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

/// Philox-4x32 with 10 rounds: counter word 0 is the least significant, as in
/// Random123 (so its published known-answer vectors apply unchanged).
constexpr PhiloxBlock philox4x32_10(PhiloxBlock ctr, PhiloxKey key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kPhiloxW0;
      key[1] += kPhiloxW1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(p0)};
  }
  return ctr;
}

/// Block `index` of draw `draw` under a 64-bit key.
constexpr PhiloxBlock philox_block(uint64_t key, uint64_t draw, uint64_t index) {
  return philox4x32_10({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), static_cast<uint32_t>(draw),
                        static_cast<uint32_t>(draw >> 32)},
                       {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)});
}

/// The splitmix64 finalizer (Steele, Lea and Flood 2014): a bijection of
/// uint64 with full avalanche, so nearby user seeds (0, 1, 2, ...) give
/// unrelated Philox keys.
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace keras::detail
