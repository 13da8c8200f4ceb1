// libFuzzer target for the in-memory IDX parser (keras::datasets::parse_idx, which shares its header
// checks with read_idx). Run with scripts/run-fuzzers; seeds: fuzz/corpus/idx_fuzz/.
//
// Any input must either load or raise a keras::Error; a crash, leak, hang or huge allocation is a
// bug. A loaded tensor must be uint8 with as many elements as its dims multiply to, all of them
// present in the input after the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "keras/datasets.hpp"
#include "keras/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  keras::Tensor t;
  try {
    t = keras::datasets::parse_idx(data, size, "fuzz");
  } catch (const keras::Error&) {
    return 0;  // a clean rejection
  }
  int64_t n = 1;
  for (int i = 0; i < t.ndim(); ++i) n *= t.shape()[i];
  const size_t header = 4 + 4 * static_cast<size_t>(t.ndim());
  if (t.dtype() != keras::DType::uint8 || t.size() != n || size < header + static_cast<size_t>(n)) std::abort();
  if (n > 0 && std::memcmp(t.contiguous().raw_data(), data + header, static_cast<size_t>(n)) != 0) std::abort();
  return 0;
}
