// libFuzzer target for the .npy reader (RELIABILITY.md SEC-2). Build with
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined ... npy_fuzz.cpp -lkeras
// and run with -rss_limit_mb=2048 -timeout=5; seeds: tests/fixtures/npy/*.npy.
//
// Any input must either load or raise a keras::Error; a crash, leak, hang or huge allocation is a
// bug. A loaded tensor must also survive a save/load round trip bit for bit, which checks the
// writer against whatever odd (but valid) headers the fuzzer finds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "keras/error.hpp"
#include "keras/npy.hpp"

namespace {

bool same_bytes(const keras::Tensor& a, const keras::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const size_t n = static_cast<size_t>(a.size()) * keras::dtype_size(a.dtype());
  return n == 0 || std::memcmp(a.contiguous().raw_data(), b.contiguous().raw_data(), n) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  keras::Tensor t;
  try {
    t = keras::npy::load_from_memory(data, size, "fuzz");
  } catch (const keras::Error&) {
    return 0;  // a clean rejection
  }
  const std::string saved = keras::npy::save_to_memory(t);
  const keras::Tensor back = keras::npy::load_from_memory(saved.data(), saved.size(), "fuzz round trip");
  if (!same_bytes(t, back)) std::abort();
  return 0;
}
