#include "core/allocator.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "keras/config.hpp"

namespace keras::detail {

namespace {

// Buckets: multiples of 64 bytes up to 4 KiB, then four steps per power of
// two (so at most 25% is wasted on a large block).
size_t bucket_size(size_t n) {
  if (n <= 64) return 64;
  if (n <= 4096) return (n + 63) & ~size_t{63};
  size_t p = size_t{1} << (63 - __builtin_clzll(n - 1));  // highest power of two < n
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  size_t in_use = 0;
  size_t cached = 0;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: storages may outlive static teardown
  return *c;
}

}  // namespace

void* cached_alloc(size_t nbytes, size_t* bucket_bytes) {
  size_t b = bucket_size(nbytes);
  *bucket_bytes = b;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_lists.find(b);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
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
  c.free_lists[bucket_bytes].push_back(p);
  c.in_use -= bucket_bytes;
  c.cached += bucket_bytes;
}

}  // namespace keras::detail

namespace keras::config {

void empty_cache() {
  auto& c = detail::cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, list] : c.free_lists) {
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
