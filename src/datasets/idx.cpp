// IDX files (the MNIST family's format) and the loaders of
// keras/src/datasets/{mnist,fashion_mnist}.py, reading local files.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "keras/datasets.hpp"
#include "keras/error.hpp"
#include "keras/npy.hpp"

namespace keras::datasets {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const {
    if (f) gzclose(f);
  }
};

// Reads up to n bytes; returns how many came.
size_t read_some(gzFile f, void* dst, size_t n) {
  size_t got = 0;
  auto* p = static_cast<char*>(dst);
  while (got < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
    const int r = gzread(f, p + got, chunk);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

// The header checks shared by read_idx and parse_idx. `read(dst, n)` reads up to n bytes and returns
// how many came; `name` prefixes the messages. Returns the shape; `n` gets its element count.
Shape read_idx_header(const std::function<size_t(void*, size_t)>& read, const std::string& name, int64_t& n) {
  unsigned char magic[4];
  if (read(magic, 4) != 4) throw ValueError(name + ": truncated IDX header (less than 4 bytes)");
  if (magic[0] != 0 || magic[1] != 0) throw ValueError(name + ": not an IDX file (the first two bytes must be zero)");
  if (magic[2] != 0x08)
    throw ValueError(name + ": unsupported IDX element type 0x" + std::to_string(magic[2]) + " (only uint8, 0x08)");
  const int rank = magic[3];
  if (rank < 1 || rank > Shape::kMaxRank)
    throw ValueError(name + ": IDX rank " + std::to_string(rank) + " is out of range [1, " +
                     std::to_string(Shape::kMaxRank) + "]");
  Shape shape;
  n = 1;
  int64_t extent = 1;
  for (int i = 0; i < rank; ++i) {
    unsigned char b[4];
    if (read(b, 4) != 4) throw ValueError(name + ": truncated IDX header");
    const int64_t d = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
    // `extent` (the product of max(d, 1)) is bounded too: a zero dimension must not let the others
    // grow until the tensor's strides overflow.
    if (d > (int64_t{1} << 31) || (d > 0 && extent > (int64_t{1} << 40) / d))
      throw ValueError(name + ": IDX header declares an implausible size (dimension " + std::to_string(d) + ")");
    n *= d;
    extent *= std::max<int64_t>(d, 1);
    shape.push_back(d);
  }
  return shape;
}

std::string truncated_data_message(const std::string& name, int64_t n, const Shape& shape, size_t held) {
  return name + ": truncated IDX data: the header declares " + std::to_string(n) + " bytes for shape " + shape.str() +
         " but the file holds " + std::to_string(held);
}

}  // namespace

Tensor read_idx(const std::string& path) {
  if (!std::filesystem::exists(path)) throw NotFoundError("IDX file not found: " + path);
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) throw NotFoundError("Cannot open IDX file " + path);
  int64_t n = 0;
  const Shape shape = read_idx_header([&](void* dst, size_t k) { return read_some(f.get(), dst, k); }, path, n);
  // Read in chunks and grow as data arrives, so a lying header cannot make us allocate what the
  // file does not hold.
  std::vector<uint8_t> data;
  const size_t chunk = size_t{1} << 20;
  while (static_cast<int64_t>(data.size()) < n) {
    const size_t want = std::min<size_t>(chunk, static_cast<size_t>(n) - data.size());
    const size_t old = data.size();
    data.resize(old + want);
    const size_t got = read_some(f.get(), data.data() + old, want);
    if (got < want) throw ValueError(truncated_data_message(path, n, shape, old + got));
  }
  int errnum = 0;
  gzerror(f.get(), &errnum);
  if (errnum != Z_OK && errnum != Z_STREAM_END) throw ValueError(path + ": corrupt gzip stream");
  return Tensor::from_bytes(data.data(), DType::uint8, shape);
}

Tensor parse_idx(const void* data, size_t size, const std::string& name) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  size_t pos = 0;
  auto read = [&](void* dst, size_t k) {
    const size_t got = std::min(k, size - pos);
    if (got > 0) std::memcpy(dst, bytes + pos, got);
    pos += got;
    return got;
  };
  int64_t n = 0;
  const Shape shape = read_idx_header(read, name, n);
  // The header's size is checked against the bytes present before anything is allocated.
  if (static_cast<uint64_t>(n) > size - pos) throw ValueError(truncated_data_message(name, n, shape, size - pos));
  return Tensor::from_bytes(bytes + pos, DType::uint8, shape);
}

namespace {
std::string find_file(const std::string& dir, const std::string& stem, const char* package) {
  for (const char* ext : {".gz", ""}) {
    const std::string p = dir + "/" + stem + ext;
    if (std::filesystem::exists(p)) return p;
  }
  std::string msg = "Dataset file not found: " + dir + "/" + stem + ".gz";
  if (package) msg += ". Install Debian's " + std::string(package) + " package (make demo installs it)";
  throw NotFoundError(msg);
}

std::pair<Split, Split> load_split_files(const std::string& dir, const char* package) {
  auto load = [&](const std::string& prefix) {
    Split s;
    s.x = read_idx(find_file(dir, prefix + "-images-idx3-ubyte", package));
    s.y = read_idx(find_file(dir, prefix + "-labels-idx1-ubyte", package));
    if (s.x.ndim() != 3 || s.y.ndim() != 1 || s.x.shape()[0] != s.y.shape()[0])
      throw ValueError(dir + ": " + prefix + " images " + s.x.shape().str() + " and labels " + s.y.shape().str() +
                       " do not match (expected (n, rows, cols) and (n,))");
    return s;
  };
  return {load("train"), load("t10k")};
}
}  // namespace

namespace fashion_mnist {
std::pair<Split, Split> load_data(const std::string& dir) { return load_split_files(dir, "dataset-fashion-mnist"); }
}  // namespace fashion_mnist

namespace {
// Keras' own mnist.npz: x_train (60000, 28, 28) uint8, y_train (60000,) uint8, x_test, y_test.
std::pair<Split, Split> load_npz_splits(const std::string& path) {
  auto arrays = npy::load_npz(path);
  auto take = [&](const std::string& key) {
    auto it = arrays.find(key);
    if (it == arrays.end())
      throw ValueError(path + ": no array '" + key +
                       "' (expected x_train, y_train, x_test and y_test, as in Keras' mnist.npz)");
    return it->second;
  };
  auto split = [&](const std::string& suffix) {
    Split s{take("x_" + suffix), take("y_" + suffix)};
    if (s.x.ndim() < 2 || s.y.ndim() != 1 || s.x.shape()[0] != s.y.shape()[0])
      throw ValueError(path + ": x_" + suffix + " " + s.x.shape().str() + " and y_" + suffix + " " + s.y.shape().str() +
                       " do not match (expected (n, ...) and (n,))");
    return s;
  };
  return {split("train"), split("test")};
}
}  // namespace

namespace mnist {
std::pair<Split, Split> load_data(const std::string& path) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0) return load_npz_splits(path);
  return load_split_files(path, nullptr);
}
}  // namespace mnist

}  // namespace keras::datasets
