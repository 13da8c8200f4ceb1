// keras::datasets loaders: the IDX folder layout (plain and gzip), Keras' mnist.npz layout, the
// missing-file message, and (when Debian's dataset-fashion-mnist is installed) the real data.
#include "keras/datasets.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/expect_error.hpp"
#include "harness/temp_dir.hpp"
#include "keras/data/dataset.hpp"
#include "keras/error.hpp"
#include "keras/npy.hpp"
#include "keras/ops.hpp"

namespace fs = std::filesystem;
using keras::Tensor;

namespace {

std::string idx_bytes(const std::vector<int32_t>& dims, const std::vector<uint8_t>& data) {
  std::string s = {0, 0, 8, static_cast<char>(dims.size())};
  for (int32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((d >> shift) & 0xFF));
  s.append(data.begin(), data.end());
  return s;
}

void write_plain(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

// Train: 3 images of 2x2 with pixel values 0..11, labels 7 8 9; test: 1 image of 4s, label 1.
void write_mnist_folder(const fs::path& dir, bool gz) {
  auto w = [&](const std::string& name, const std::string& b) {
    if (gz)
      write_gz(dir / (name + ".gz"), b);
    else
      write_plain(dir / name, b);
  };
  std::vector<uint8_t> px(12);
  for (int i = 0; i < 12; ++i) px[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  w("train-images-idx3-ubyte", idx_bytes({3, 2, 2}, px));
  w("train-labels-idx1-ubyte", idx_bytes({3}, {7, 8, 9}));
  w("t10k-images-idx3-ubyte", idx_bytes({1, 2, 2}, {4, 4, 4, 4}));
  w("t10k-labels-idx1-ubyte", idx_bytes({1}, {1}));
}

void expect_small_mnist(const keras::datasets::Split& train, const keras::datasets::Split& test) {
  ASSERT_EQ(train.x.shape(), keras::Shape({3, 2, 2}));
  ASSERT_EQ(train.x.dtype(), keras::uint8);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(train.x.data<uint8_t>()[i], i);
  ASSERT_EQ(train.y.shape(), keras::Shape({3}));
  EXPECT_EQ(train.y.data<uint8_t>()[0], 7);
  EXPECT_EQ(train.y.data<uint8_t>()[2], 9);
  ASSERT_EQ(test.x.shape(), keras::Shape({1, 2, 2}));
  EXPECT_EQ(test.x.data<uint8_t>()[3], 4);
  EXPECT_EQ(test.y.data<uint8_t>()[0], 1);
}

}  // namespace

TEST(Datasets, MnistFromIdxFolderPlainAndGzip) {
  for (bool gz : {false, true}) {
    TempDir d;
    write_mnist_folder(d.path, gz);
    auto [train, test] = keras::datasets::mnist::load_data(d.path.string());
    expect_small_mnist(train, test);
  }
}

TEST(Datasets, MnistFromKerasNpzFeedsADataset) {
  TempDir d;
  write_mnist_folder(d.path, false);
  auto [train, test] = keras::datasets::mnist::load_data(d.path.string());
  const std::string npz = (d.path / "mnist.npz").string();
  keras::npy::save_npz(npz, {{"x_train", train.x}, {"y_train", train.y}, {"x_test", test.x}, {"y_test", test.y}});
  auto [train2, test2] = keras::datasets::mnist::load_data(npz);
  expect_small_mnist(train2, test2);

  // The arrays become a pipeline like any other tensors.
  auto ds = keras::data::Dataset::from_tensor_slices({train2.x, train2.y}).batch(2);
  EXPECT_EQ(ds.cardinality(), 2);
  std::vector<int64_t> batch_sizes;
  std::vector<int> labels;
  for (const auto& b : ds) {
    batch_sizes.push_back(b[0].shape()[0]);
    for (int64_t i = 0; i < b[1].shape()[0]; ++i) labels.push_back(b[1].data<uint8_t>()[i]);
  }
  EXPECT_EQ(batch_sizes, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(labels, (std::vector<int>{7, 8, 9}));
}

TEST(Datasets, NpzWithoutTheKerasKeysIsRefused) {
  TempDir d;
  const std::string npz = (d.path / "other.npz").string();
  keras::npy::save_npz(npz, {{"x_train", keras::ops::zeros({2, 2}, keras::uint8)}});
  expect_error<keras::ValueError>([&] { keras::datasets::mnist::load_data(npz); }, "no array 'y_train'");
  keras::npy::save_npz(npz, {{"x_train", keras::ops::zeros({2, 2}, keras::uint8)},
                             {"y_train", keras::ops::zeros({3}, keras::uint8)},
                             {"x_test", keras::ops::zeros({1, 2}, keras::uint8)},
                             {"y_test", keras::ops::zeros({1}, keras::uint8)}});
  expect_error<keras::ValueError>([&] { keras::datasets::mnist::load_data(npz); }, "do not match");
}

TEST(Datasets, MissingFilesNameThePathAndThePackage) {
  TempDir d;
  expect_error<keras::NotFoundError>([&] { keras::datasets::fashion_mnist::load_data(d.path.string()); },
                                     "train-images-idx3-ubyte.gz. Install Debian's dataset-fashion-mnist package");
  expect_error<keras::NotFoundError>([&] { keras::datasets::mnist::load_data(d.path.string()); },
                                     (d.path / "train-images-idx3-ubyte.gz").string());
  expect_error<keras::NotFoundError>([&] { keras::datasets::mnist::load_data((d.path / "mnist.npz").string()); },
                                     "mnist.npz");
}

TEST(Datasets, FashionMnistFromDebian) {
  if (!fs::exists(keras::datasets::fashion_mnist::kDefaultDir)) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto [train, test] = keras::datasets::fashion_mnist::load_data();
  EXPECT_EQ(train.x.shape(), keras::Shape({60000, 28, 28}));
  EXPECT_EQ(train.y.shape(), keras::Shape({60000}));
  EXPECT_EQ(test.x.shape(), keras::Shape({10000, 28, 28}));
  // The first training and test images are both class 9 (ankle boot).
  EXPECT_EQ(train.y.data<uint8_t>()[0], 9);
  EXPECT_EQ(test.y.data<uint8_t>()[0], 9);
  // Ten classes of 6000 training images each.
  std::vector<int> counts(10);
  for (int64_t i = 0; i < 60000; ++i) ++counts[train.y.data<uint8_t>()[i]];
  EXPECT_EQ(counts, std::vector<int>(10, 6000));
}
