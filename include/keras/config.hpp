#pragma once
/// Global settings (keras.config analogue).
#include <cstddef>

namespace keras::config {
/// Threads used by CPU kernels (OpenMP and oneDNN). Results of keras.cpp's own
/// loops do not depend on it (fixed reduction order).
void set_num_threads(int n);
int num_threads();
/// Frees the caching allocator's unused blocks (normally kept for reuse).
void empty_cache();
/// Bytes held by the caching allocator: in use, and cached for reuse.
struct MemoryStats {
  size_t bytes_in_use = 0;
  size_t bytes_cached = 0;
};
MemoryStats memory_stats();
}  // namespace keras::config
