#pragma once
/// keras::datasets: the standard small datasets, read from local files.
///
/// Example:
///   auto [train, test] = keras::datasets::fashion_mnist::load_data();
///   // train.x: (60000, 28, 28) uint8, train.y: (60000,) uint8, as Keras returns them
///   keras::Tensor x = keras::ops::cast(train.x, keras::float32) / 255.0;
#include <cstddef>
#include <string>
#include <utility>

#include "keras/tensor.hpp"

namespace keras::datasets {

/// One split: images and labels.
struct Split {
  Tensor x{};
  Tensor y{};
};

/// Reads an IDX file (plain or gzip-compressed): uint8 data of the shape its header gives. Checks
/// the header against the data actually present before trusting it (keras::ValueError for a
/// truncated or corrupt file, keras::NotFoundError for a missing one).
Tensor read_idx(const std::string& path);

/// Parses the bytes of an uncompressed IDX file held in memory, with read_idx's checks: uint8 data of
/// the shape its header gives; keras::ValueError (starting with `name`) for truncated or corrupt bytes.
/// Bytes after the data are ignored, as read_idx ignores them.
/// Example: `Tensor t = keras::datasets::parse_idx(buf.data(), buf.size(), "labels.idx");`
Tensor parse_idx(const void* data, size_t size, const std::string& name);

namespace fashion_mnist {
/// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kDefaultDir = "/usr/share/datasets/fashion-mnist";
/// (train, test): x (n, 28, 28) uint8, y (n,) uint8. A missing file names the Debian package.
std::pair<Split, Split> load_data(const std::string& dir = kDefaultDir);
}  // namespace fashion_mnist

namespace mnist {
/// (train, test) from train-images-idx3-ubyte[.gz] etc. in the folder `path`, or, when `path` ends
/// in ".npz", from Keras' mnist.npz layout (arrays x_train, y_train, x_test, y_test).
/// Example: `auto [train, test] = keras::datasets::mnist::load_data("mnist.npz");`
std::pair<Split, Split> load_data(const std::string& path);
}  // namespace mnist

}  // namespace keras::datasets
