#pragma once
/// Global settings (keras.config analogue).
#include <cstddef>

namespace keras::config {
/// Threads used by CPU kernels (OpenMP and oneDNN). Results of keras.cpp's own
/// loops do not depend on it (fixed reduction order).
void set_num_threads(int n);
int num_threads();
/// Deterministic mode: results bit-identical for any thread count, at some
/// speed cost. Off by default; keras.cpp's own loops (elementwise ops,
/// reductions, gathers) are always thread-count independent, and turning
/// this on routes float32 matmul through the fixed-order loop instead of
/// oneDNN, whose GEMM may split long sums differently per thread count.
void set_deterministic(bool enabled);
bool deterministic();
/// Frees the caching allocator's unused blocks (normally kept for reuse).
void empty_cache();
/// Bytes held by the caching allocator: in use, and cached for reuse.
struct MemoryStats {
  size_t bytes_in_use = 0;
  size_t bytes_cached = 0;
};
MemoryStats memory_stats();
}  // namespace keras::config
