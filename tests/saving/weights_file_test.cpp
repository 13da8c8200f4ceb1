// Model::save_weights / load_weights: the Keras 3 layout (checked against a file written by
// Python Keras, tests/fixtures/weights/make_weights_fixtures.py), round trips with optimizer
// state, and damaged or mismatched files (clear error, model unchanged).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness/expect_error.hpp"
#include "harness/temp_dir.hpp"
#include "keras/keras.hpp"
#include "saving/h5/h5.hpp"

namespace fs = std::filesystem;
using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;

namespace {

const std::string kFixtures = std::string(KERAS_TEST_FIXTURES) + "/weights/";

Tensor arange(const keras::Shape& shape, double scale, double offset) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return ops::reshape(ops::arange(0, static_cast<double>(n)), shape) * scale + offset;
}

// The fixture's model: Input(4) -> Dense(3, relu, "hidden") -> Dense(2, "out"), weights from arange.
std::unique_ptr<keras::Sequential> mlp(int64_t hidden = 3) {
  return std::make_unique<keras::Sequential>(
      std::vector<keras::LayerHandle>{layers::Input({4}),
                                      layers::Dense({.units = hidden, .activation = "relu", .name = "hidden"}),
                                      layers::Dense({.units = 2, .name = "out"})},
      "mlp");
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = ops::cast(a, keras::float32).to_vector<float>(), y = ops::cast(b, keras::float32).to_vector<float>();
  EXPECT_EQ(x.size(), y.size());
  float m = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

std::vector<Tensor> values(const std::vector<keras::Variable>& vars) {
  std::vector<Tensor> out;
  for (const auto& v : vars) out.push_back(v.value().contiguous());
  return out;
}

void expect_bitwise_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].shape(), b[i].shape()) << i;
    ASSERT_EQ(a[i].dtype(), b[i].dtype()) << i;
    const size_t n = static_cast<size_t>(a[i].size()) * keras::dtype_size(a[i].dtype());
    EXPECT_EQ(std::memcmp(a[i].raw_data(), b[i].raw_data(), n), 0) << "variable " << i;
  }
}

void write_file(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// A trained, compiled model and its file.
struct Trained {
  std::unique_ptr<keras::Sequential> owner = mlp();
  keras::Sequential& model = *owner;
  Trained() {
    keras::utils::set_random_seed(7);
    model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
    Tensor x = arange({6, 4}, 0.1, -0.3), y = arange({6, 2}, 0.2, 0.0);
    model.fit(x, y, {.batch_size = 2, .epochs = 1, .verbose = 0});
  }
};

}  // namespace

TEST(WeightsFile, ReadsTheFileKerasWrote) {
  const auto expected = keras::npy::load_npz(kFixtures + "mlp_adam_expected.npz");
  auto m_owner = mlp();
  keras::Sequential& m = *m_owner;
  m.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  m.optimizer().build(m.trainable_variables());
  m.load_weights(kFixtures + "mlp_adam.weights.h5");
  // Predictions match Keras' (the same float32 arithmetic, up to summation order).
  Tensor pred = m.predict(expected.at("x_probe"), {.verbose = 0});
  EXPECT_LT(max_abs_diff(pred, expected.at("y_pred")), 1e-6);
  // Every value is the file's bit for bit.
  expect_bitwise_equal({m.layers()[0]->weights()[0].value().contiguous()}, {expected.at("hidden_kernel")});
  expect_bitwise_equal({m.layers()[1]->weights()[1].value().contiguous()}, {expected.at("out_bias")});
  // Optimizer state: Keras' int32 iteration count (JAX backend) is cast to our int64; Adam's slots
  // come in Keras' order (m, v interleaved per variable).
  EXPECT_EQ(m.optimizer().iterations(), expected.at("iterations").data<int64_t>()[0]);
  EXPECT_EQ(m.optimizer().variables().size(), static_cast<size_t>(expected.at("optimizer_vars").size()));
  expect_bitwise_equal({m.optimizer().variables()[2].value().contiguous()}, {expected.at("adam_m_hidden_kernel")});
  expect_bitwise_equal({m.optimizer().variables()[9].value().contiguous()}, {expected.at("adam_v_out_bias")});
  // And training goes on from there.
  m.fit(arange({6, 4}, 0.1, 0.0), arange({6, 2}, 0.1, 0.0), {.batch_size = 2, .epochs = 1, .verbose = 0});
  EXPECT_EQ(m.optimizer().iterations(), expected.at("iterations").data<int64_t>()[0] + 3);
}

TEST(WeightsFile, WritesKerasLayout) {
  Trained t;
  TempDir d;
  const std::string path = d.file("m.weights.h5");
  t.model.save_weights(path);
  const auto f = keras::h5::File::open(path);
  EXPECT_EQ(f.children(""), (std::vector<std::string>{"layers", "optimizer", "vars"}));
  EXPECT_EQ(f.children("layers"), (std::vector<std::string>{"dense", "dense_1"}));  // class names, not layer names
  EXPECT_EQ(f.string_attribute("layers/dense/vars", "name"), "hidden");
  EXPECT_EQ(f.string_attribute("layers/dense_1/vars", "name"), "out");
  EXPECT_EQ(f.string_attribute("vars", "name"), "mlp");
  EXPECT_TRUE(f.children("vars").empty());
  EXPECT_EQ(f.dataset_info("layers/dense/vars/0").shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(f.dataset_info("layers/dense/vars/1").shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(f.string_attribute("optimizer/vars", "name"), t.model.optimizer().name());
  // iteration, learning_rate, then (m, v) per variable.
  EXPECT_EQ(f.children("optimizer/vars").size(), 10u);
  EXPECT_EQ(f.dataset_info("optimizer/vars/0").dtype, keras::int64);
  EXPECT_TRUE(f.dataset_info("optimizer/vars/0").shape.empty());
  int64_t iterations = 0;
  f.read_dataset("optimizer/vars/0", keras::int64, {}, &iterations);
  EXPECT_EQ(iterations, 3);
  float lr = 0;
  f.read_dataset("optimizer/vars/1", keras::float32, {}, &lr);
  EXPECT_EQ(lr, 0.01f);
  EXPECT_EQ(f.dataset_info("optimizer/vars/9").shape, (std::vector<int64_t>{2}));
  // A model that was never compiled has no optimizer group.
  auto fresh_owner = mlp();
  keras::Sequential& fresh = *fresh_owner;
  fresh.save_weights(d.file("fresh.weights.h5"));
  EXPECT_EQ(keras::h5::File::open(d.file("fresh.weights.h5")).children(""),
            (std::vector<std::string>{"layers", "vars"}));
}

TEST(WeightsFile, RoundTripIsBitwiseIncludingOptimizerState) {
  Trained t;
  TempDir d;
  t.model.save_weights(d.file("m.weights.h5"));
  auto m_owner = mlp();
  keras::Sequential& m = *m_owner;
  m.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 0.01}), .loss = "mse"});
  m.optimizer().build(m.trainable_variables());
  m.load_weights(d.file("m.weights.h5"));
  expect_bitwise_equal(values(m.weights()), values(t.model.weights()));
  expect_bitwise_equal(values(m.optimizer().variables()), values(t.model.optimizer().variables()));
  // Training both one more epoch keeps them identical.
  Tensor x = arange({6, 4}, 0.05, 0.1), y = arange({6, 2}, 0.1, -0.2);
  t.model.fit(x, y, {.batch_size = 3, .epochs = 1, .verbose = 0, .shuffle = false});
  m.fit(x, y, {.batch_size = 3, .epochs = 1, .verbose = 0, .shuffle = false});
  expect_bitwise_equal(values(m.weights()), values(t.model.weights()));
}

TEST(WeightsFile, UnbuiltOptimizerStateIsSkippedWithAWarning) {
  Trained t;
  TempDir d;
  t.model.save_weights(d.file("m.weights.h5"));
  auto m_owner = mlp();
  keras::Sequential& m = *m_owner;
  m.compile({.optimizer = "adam", .loss = "mse"});  // not built: 2 variables against the file's 10
  testing::internal::CaptureStderr();
  m.load_weights(d.file("m.weights.h5"));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Skipping variable loading for optimizer"), std::string::npos) << err;
  expect_bitwise_equal(values(m.weights()), values(t.model.weights()));
  EXPECT_EQ(m.optimizer().iterations(), 0);
}

TEST(WeightsFile, ShapeMismatchNamesTheLayerAndBothShapesAndChangesNothing) {
  Trained t;
  TempDir d;
  t.model.save_weights(d.file("m.weights.h5"));
  auto other_owner = mlp(5);
  keras::Sequential& other = *other_owner;
  const auto before = values(other.weights());
  expect_error<keras::ValueError>([&] { other.load_weights(d.file("m.weights.h5")); },
                                  "Layer 'hidden': the variable 'kernel' has shape (4, 5) but the file holds shape "
                                  "(4, 3)");
  expect_bitwise_equal(values(other.weights()), before);
  // skip_mismatch loads what fits (the output layer's bias has the same shape, its kernel does not).
  testing::internal::CaptureStderr();
  other.load_weights(d.file("m.weights.h5"), {.skip_mismatch = true});
  EXPECT_NE(testing::internal::GetCapturedStderr().find("Skipping"), std::string::npos);
  expect_bitwise_equal({other.weights()[0].value()}, {before[0]});
}

TEST(WeightsFile, MissingLayerOrUnbuiltModel) {
  Trained t;
  TempDir d;
  t.model.save_weights(d.file("m.weights.h5"));
  // A model with one more layer: its group is not in the file.
  keras::Sequential bigger({layers::Input({4}), layers::Dense(3), layers::Dense(2), layers::Dense(2)});
  expect_error<keras::ValueError>([&] { bigger.load_weights(d.file("m.weights.h5")); },
                                  "expected 2 variables, but received 0 variables during loading");
  keras::Sequential unbuilt({layers::Dense(3), layers::Dense(2)});
  expect_error<keras::ValueError>([&] { unbuilt.load_weights(d.file("m.weights.h5")); }, "not built");
}

TEST(WeightsFile, BadPaths) {
  Trained t;
  TempDir d;
  expect_error<keras::ValueError>([&] { t.model.save_weights(d.file("m.h5")); }, "must end in `.weights.h5`");
  expect_error<keras::Error>([&] { t.model.save_weights(d.file("missing/dir/m.weights.h5")); },
                             d.file("missing/dir/m.weights.h5"));
  expect_error<keras::NotFoundError>([&] { t.model.load_weights(d.file("none.weights.h5")); },
                                     d.file("none.weights.h5"));
  expect_error<keras::ValueError>([&] { t.model.load_weights(d.file("w.weights.npz")); }, "pickled");
  t.model.save_weights(d.file("m.weights.h5"));
  expect_error<keras::Error>([&] { t.model.save_weights(d.file("m.weights.h5"), {.overwrite = false}); },
                             "overwrite=true");
  // A directory where the file should be.
  fs::create_directories(d.path / "dir.weights.h5");
  expect_error<keras::Error>([&] { t.model.save_weights(d.file("dir.weights.h5")); }, "dir.weights.h5");
}

TEST(WeightsFile, TruncatedFilesGiveAnErrorAndChangeNothing) {
  Trained t;
  TempDir d;
  t.model.save_weights(d.file("m.weights.h5"));
  const std::string bytes = read_file(d.file("m.weights.h5"));
  auto m_owner = mlp();
  keras::Sequential& m = *m_owner;
  const auto before = values(m.weights());
  int errors = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += std::max<size_t>(1, bytes.size() / 97)) {
    write_file(d.file("cut.weights.h5"), bytes.substr(0, cut));
    try {
      m.load_weights(d.file("cut.weights.h5"));
      ADD_FAILURE() << "a file cut at " << cut << " of " << bytes.size() << " bytes loaded";
    } catch (const keras::Error&) {
      ++errors;
    }
    expect_bitwise_equal(values(m.weights()), before);
  }
  EXPECT_GE(errors, 90);
}

TEST(WeightsFile, FlippedBytesNeverCrashAndAFailedLoadChangesNothing) {
  // The format has no checksums: a flipped byte inside a weight's data is a different, valid
  // value. Every flip must either load or raise keras::Error with the model untouched; flips in
  // the superblock signature must be refused.
  Trained t;
  TempDir d;
  t.model.save_weights(d.file("m.weights.h5"));
  const std::string bytes = read_file(d.file("m.weights.h5"));
  auto m_owner = mlp();
  keras::Sequential& m = *m_owner;
  const auto before = values(m.weights());
  int errors = 0, loads = 0;
  // Every byte of the first KiB (superblock, root group, heaps, B-trees), every 11th after (the
  // HDF5 reader's own tests flip every byte of whole files).
  for (size_t i = 0; i < bytes.size(); i += i < 1024 ? 1 : 11) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0xFF);
    write_file(d.file("bad.weights.h5"), bad);
    m.set_weights(before);
    try {
      m.load_weights(d.file("bad.weights.h5"));
      ++loads;
      EXPECT_GE(i, 8u) << "a damaged signature loaded";
    } catch (const keras::Error&) {
      ++errors;
      expect_bitwise_equal(values(m.weights()), before);
    }
  }
  EXPECT_GT(errors, 0);
  EXPECT_GT(loads, 0);
}

// When KERAS_WEIGHTS_OUT names a directory: a trained model's weights (mlp.weights.h5), a probe
// input and the model's predictions for it (.npy), for tests/interop/check_cpp_weights.py to load
// with Python Keras (scripts/check-keras-weights-interop).
TEST(WeightsFile, InteropOutputForKeras) {
  const char* out = std::getenv("KERAS_WEIGHTS_OUT");
  if (out == nullptr || *out == '\0') GTEST_SKIP() << "KERAS_WEIGHTS_OUT not set";
  fs::create_directories(out);
  Trained t;
  const std::string dir = out;
  t.model.save_weights(dir + "/mlp.weights.h5");
  Tensor probe = arange({5, 4}, 0.3, -1.0);
  keras::npy::save(dir + "/x_probe.npy", probe);
  keras::npy::save(dir + "/y_pred.npy", t.model.predict(probe, {.verbose = 0}));
  keras::npy::save(
      dir + "/iterations.npy",
      Tensor::from_bytes(std::vector<int64_t>{t.model.optimizer().iterations()}.data(), keras::int64, keras::Shape{}));
}
