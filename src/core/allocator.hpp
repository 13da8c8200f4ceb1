#pragma once
// The caching allocator: 64-byte aligned blocks, kept in size-bucketed free
// lists and reused, never returned to the OS while the program runs (a fresh
// page costs a fault on first touch; reusing blocks keeps steps fault-free).
#include <cstddef>

namespace keras::detail {

/// A block of at least `nbytes` bytes, 64-byte aligned.
void* cached_alloc(size_t nbytes, size_t* bucket_bytes);
void cached_free(void* p, size_t bucket_bytes);

}  // namespace keras::detail
