// Shared bits of the libtorch peers (benchmarks/peers/README.md): the
// --threads flag, thread setup, peak RSS, and the Fashion-MNIST IDX reader.
#pragma once

#include <torch/torch.h>
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace peers {

struct Args {
  int threads = 1;
  int epochs = 0;  // 0: the workload's own count
  std::string data = "/usr/share/datasets/fashion-mnist";
};

inline Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--threads" && i + 1 < argc) a.threads = std::stoi(argv[++i]);
    else if (s.rfind("--threads=", 0) == 0) a.threads = std::stoi(s.substr(10));
    else if (s == "--epochs" && i + 1 < argc) a.epochs = std::stoi(argv[++i]);
    else if (s == "--data" && i + 1 < argc) a.data = argv[++i];
    else
      throw std::runtime_error("usage: " + std::string(argv[0]) +
                               " [--threads N] [--epochs N] [--data DIR]");
  }
  if (a.threads < 1) throw std::runtime_error("--threads must be >= 1");
  return a;
}

// OMP_NUM_THREADS for OpenMP (torch's backend and OpenBLAS's) plus ATen's own
// setting; call before any torch work.
inline void set_threads(int n) {
  setenv("OMP_NUM_THREADS", std::to_string(n).c_str(), 1);
  at::set_num_threads(n);
}

inline double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // Linux: kilobytes
}

// An IDX file (gzipped) of unsigned bytes: returns the dims and the data.
inline std::vector<uint8_t> read_idx_gz(const std::string& path, std::vector<int64_t>& dims) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> buf;
  uint8_t chunk[1 << 16];
  int got;
  while ((got = gzread(f, chunk, sizeof chunk)) > 0) buf.insert(buf.end(), chunk, chunk + got);
  gzclose(f);
  if (buf.size() < 4 || buf[0] != 0 || buf[1] != 0 || buf[2] != 0x08)
    throw std::runtime_error("not an unsigned-byte IDX file: " + path);
  int ndim = buf[3];
  dims.clear();
  size_t off = 4, count = 1;
  for (int i = 0; i < ndim; ++i, off += 4) {
    int64_t d = (int64_t(buf[off]) << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
    dims.push_back(d);
    count *= size_t(d);
  }
  if (buf.size() != off + count) throw std::runtime_error("truncated IDX file: " + path);
  return std::vector<uint8_t>(buf.begin() + off, buf.end());
}

// Images as float32 [n, rows*cols] scaled by 1/255.
inline torch::Tensor load_images(const std::string& path) {
  std::vector<int64_t> dims;
  auto raw = read_idx_gz(path, dims);
  int64_t n = dims.at(0), feat = 1;
  for (size_t i = 1; i < dims.size(); ++i) feat *= dims[i];
  auto u8 = torch::from_blob(raw.data(), {n, feat}, torch::kUInt8);
  return u8.to(torch::kFloat32).div_(255.0);  // a copy: raw can go
}

// Labels as int64 [n].
inline torch::Tensor load_labels(const std::string& path) {
  std::vector<int64_t> dims;
  auto raw = read_idx_gz(path, dims);
  return torch::from_blob(raw.data(), {dims.at(0)}, torch::kUInt8).to(torch::kInt64);
}

inline std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace peers
