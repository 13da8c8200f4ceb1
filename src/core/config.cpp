#include "keras/config.hpp"

#include <omp.h>

#include <atomic>
#include <string>

#include "keras/error.hpp"

namespace keras::config {

// oneDNN is built on the same OpenMP runtime, so one setting covers both.
void set_num_threads(int n) {
  if (n < 1) throw ValueError("set_num_threads: the number of threads must be >= 1, got " + std::to_string(n));
  omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

namespace {
std::atomic<bool> g_deterministic{false};
}
void set_deterministic(bool enabled) { g_deterministic.store(enabled, std::memory_order_relaxed); }
bool deterministic() { return g_deterministic.load(std::memory_order_relaxed); }

}  // namespace keras::config
