#include "core/allocator.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "keras/config.hpp"

namespace keras::detail {

namespace {

// Buckets: multiples of 64 bytes up to 4 KiB, then four steps per power of
// two (so at most 25% is wasted on a large block). Each bucket has an index
// into a flat array of free lists: no hashing on the per-op path.
constexpr size_t kSmallBuckets = 64;  // 64 B .. 4 KiB
constexpr size_t kNumBuckets = kSmallBuckets + 4 * 52;

struct Bucket {
  size_t bytes;
  size_t index;
};

Bucket bucket_of(size_t n) {
  if (n <= 64) return {64, 0};
  if (n <= 4096) {
    size_t b = (n + 63) & ~size_t{63};
    return {b, b / 64 - 1};
  }
  const int log2p = 63 - __builtin_clzll(n - 1);  // p = 2^log2p < n <= 2p
  const size_t p = size_t{1} << log2p;
  const size_t step = p / 4;
  const size_t k = (n + step - 1) / step;  // 5..8
  return {k * step, kSmallBuckets + static_cast<size_t>(log2p - 12) * 4 + (k - 5)};
}

struct Cache {
  std::mutex mu;
  std::vector<void*> free_lists[kNumBuckets];
  size_t in_use = 0;
  size_t cached = 0;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: storages may outlive static teardown
  return *c;
}

}  // namespace

void* cached_alloc(size_t nbytes, size_t* bucket_bytes) {
  const Bucket bucket = bucket_of(nbytes);
  const size_t b = bucket.bytes;
  *bucket_bytes = b;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto& list = c.free_lists[bucket.index];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.cached -= b;
      c.in_use += b;
      return p;
    }
    c.in_use += b;
  }
  void* p = std::aligned_alloc(64, b);
  if (!p) {
    std::lock_guard<std::mutex> lock(c.mu);
    c.in_use -= b;
    throw std::bad_alloc();
  }
  return p;
}

void cached_free(void* p, size_t bucket_bytes) {
  if (!p) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.free_lists[bucket_of(bucket_bytes).index].push_back(p);
  c.in_use -= bucket_bytes;
  c.cached += bucket_bytes;
}

}  // namespace keras::detail

namespace keras::config {

void empty_cache() {
  auto& c = detail::cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& list : c.free_lists) {
    for (void* p : list) std::free(p);
    list.clear();
  }
  c.cached = 0;
}

MemoryStats memory_stats() {
  auto& c = detail::cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return {c.in_use, c.cached};
}

}  // namespace keras::config
