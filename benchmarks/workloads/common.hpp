// Shared bits of the keras.cpp side of the side-by-side workloads
// (benchmarks/peers/ holds the PyTorch and libtorch programs): the --threads
// flag, the median, peak RSS.
#pragma once
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <keras/keras.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace workloads {

inline int parse_threads(int argc, char** argv) {
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--threads" && i + 1 < argc)
      threads = std::stoi(argv[++i]);
    else if (s.rfind("--threads=", 0) == 0)
      threads = std::stoi(s.substr(10));
    else
      throw std::runtime_error("usage: " + std::string(argv[0]) + " [--threads N]");
  }
  if (threads < 1) throw std::runtime_error("--threads must be >= 1");
  return threads;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// Wall time of each fit() epoch (the training samples/s of a workload).
struct EpochTimer : keras::callbacks::Callback {
  std::vector<double> seconds;
  std::chrono::steady_clock::time_point t0;
  void on_epoch_begin(int64_t, const keras::callbacks::Logs&) override { t0 = std::chrono::steady_clock::now(); }
  void on_epoch_end(int64_t, const keras::callbacks::Logs&) override {
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
};

}  // namespace workloads
