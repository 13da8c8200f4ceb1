// Permute, RepeatVector, ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D and
// Rescaling: outputs against Keras 3 / JAX (tests/fixtures/layers.npz),
// output shapes, gradients against finite differences, configs and Keras'
// errors.
#include <gtest/gtest.h>

#include <keras/keras.hpp>
#include <keras/layers/reshaping.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"

namespace ops = keras::ops;
namespace layers = keras::layers;
using keras::DType;
using keras::Shape;
using keras::Tensor;
using keras::testing::all_close;

namespace {

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = keras::npy::load_npz(keras::testing::fixture("layers.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw keras::NotFoundError("layers.npz has no array " + key);
  return it->second;
}

// The output equals Keras', compute_output_shape agrees with it (also with an unknown batch), and
// the layer has no parameters (Keras: count_params() == 0 for every case).
void expect_case(const std::string& name, keras::LayerHandle layer, double tol = 0) {
  SCOPED_TRACE(name);
  const Tensor x = fx(name + "_x");
  const Tensor y = layer(x);
  EXPECT_TRUE(all_close(y, fx(name + "_y"), tol, tol));
  EXPECT_EQ(layer->compute_output_shape(x.shape()), y.shape());
  Shape unknown_batch = x.shape(), out_unknown = y.shape();
  unknown_batch[0] = -1;
  out_unknown[0] = -1;
  EXPECT_EQ(layer->compute_output_shape(unknown_batch), out_unknown);
  EXPECT_EQ(layer->count_params(), 0);
  EXPECT_EQ(fx(name + "_params").item<int64_t>(), 0);
}

// Input gradient of a float64 copy of the layer, against central differences.
::testing::AssertionResult grads_ok(keras::LayerHandle layer, const Shape& shape) {
  return keras::testing::check_gradients([&](const keras::testing::inputs& xs) { return layer(xs[0]); },
                                         {keras::testing::uniform(shape, -1, 1, 17)});
}

}  // namespace

// ---- Permute / RepeatVector -------------------------------------------------------------------------

TEST(Permute, MatchesKerasShapesGradientsConfig) {
  expect_case("permute", layers::Permute({2, 3, 1}));
  EXPECT_EQ(layers::Permute({2, 1})->compute_output_shape({-1, 3, -1}), Shape({-1, -1, 3}));
  EXPECT_TRUE(grads_ok(layers::Permute({.dims = {2, 1}, .dtype = DType::float64}), {2, 3, 4}));
  keras::utils::clear_session();
  auto c = layers::Permute({2, 1})->get_config();
  EXPECT_EQ(c["name"], "permute");
  EXPECT_EQ(c["dims"], nlohmann::json::array({2, 1}));
  expect_error<keras::ValueError>(
      [] {
        layers::Permute({1, 3});
      },
      "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
      "`dims` must be consecutive and start from 1. Received dims=(1, 3)");
  expect_error<keras::ValueError>([] { layers::Permute({0, 1}); }, "start from 1");
  expect_error<keras::ValueError>([] { layers::Permute({2, 1})(ops::ones({2, 3})); }, "expected ndim=3, found ndim=2");
}

TEST(RepeatVector, MatchesKerasShapesGradientsConfig) {
  expect_case("repeat", layers::RepeatVector(3));
  EXPECT_TRUE(grads_ok(layers::RepeatVector({.n = 2, .dtype = DType::float64}), {2, 3}));
  keras::utils::clear_session();
  auto c = layers::RepeatVector(4)->get_config();
  EXPECT_EQ(c["name"], "repeat_vector");
  EXPECT_EQ(c["n"], 4);
  expect_error<keras::ValueError>([] { layers::RepeatVector(0); },
                                  "Argument `n` should be a positive integer. Received: n=0");
  expect_error<keras::ValueError>(
      [] {
        layers::RepeatVector(2)(ops::ones({2, 3, 4}));
      },
      "expected ndim=2, found ndim=3");
}

// ---- ZeroPadding ------------------------------------------------------------------------------------

TEST(ZeroPadding1D, MatchesKerasShapesGradientsConfig) {
  expect_case("zp1", layers::ZeroPadding1D({.padding = {1, 2}}));
  EXPECT_EQ(layers::ZeroPadding1D()->compute_output_shape({2, 3, 4}), Shape({2, 5, 4}));
  EXPECT_EQ(layers::ZeroPadding1D({.padding = 2, .data_format = "channels_first"})->compute_output_shape({2, 3, 4}),
            Shape({2, 3, 8}));
  EXPECT_TRUE(grads_ok(layers::ZeroPadding1D({.padding = {2, 1}, .dtype = DType::float64}), {2, 3, 2}));
  keras::utils::clear_session();
  auto c = layers::ZeroPadding1D(3)->get_config();
  EXPECT_EQ(c["name"], "zero_padding1d");
  EXPECT_EQ(c["padding"], nlohmann::json::array({3, 3}));
  EXPECT_EQ(c["data_format"], "channels_last");
  expect_error<keras::ValueError>(
      [] {
        layers::ZeroPadding1D({.padding = {1, 2, 3}});
      },
      "The `padding` argument must be a tuple of 2 integers. Received padding=(1, 2, 3)");
  expect_error<keras::ValueError>([] { layers::ZeroPadding1D(-1); },
                                  "The `padding` argument must be a tuple of 2 integers. Received padding=-1, "
                                  "including values {-1} that do not satisfy `value >= 0`");
  expect_error<keras::ValueError>([] { layers::ZeroPadding1D({.data_format = "NWC"}); },
                                  "The `data_format` argument must be one of");
  expect_error<keras::ValueError>([] { layers::ZeroPadding1D()(ops::ones({2, 3})); }, "expected ndim=3, found ndim=2");
}

TEST(ZeroPadding2D, MatchesKerasShapesGradientsConfig) {
  expect_case("zp2", layers::ZeroPadding2D({.padding = {{1, 0}, {2, 1}}}));
  expect_case("zp2_cf", layers::ZeroPadding2D({.padding = 1, .data_format = "channels_first"}));
  EXPECT_EQ(layers::ZeroPadding2D({.padding = {1, 2}})->compute_output_shape({-1, 3, -1, 2}), Shape({-1, 5, -1, 2}));
  EXPECT_TRUE(grads_ok(layers::ZeroPadding2D({.padding = {{0, 1}, {1, 0}}, .dtype = DType::float64}), {1, 2, 2, 2}));
  keras::utils::clear_session();
  auto c = layers::ZeroPadding2D()->get_config();
  EXPECT_EQ(c["name"], "zero_padding2d");
  EXPECT_EQ(c["padding"], nlohmann::json::parse("[[1, 1], [1, 1]]"));
  EXPECT_EQ(layers::ZeroPadding2D({.padding = {2, 3}})->get_config()["padding"],
            nlohmann::json::parse("[[2, 2], [3, 3]]"));
  expect_error<keras::ValueError>(
      [] {
        layers::ZeroPadding2D({.padding = {1, 2, 3}});
      },
      "`padding` should have two elements. Received: padding=(1, 2, 3).");
  expect_error<keras::ValueError>(
      [] {
        layers::ZeroPadding2D({.padding = {{1, 2}, {3, -1}}});
      },
      "The `2nd entry of padding` argument must be a tuple of 2 integers. Received 2nd "
      "entry of padding=(3, -1), including values {-1} that do not satisfy `value >= 0`");
  expect_error<keras::ValueError>(
      [] {
        layers::ZeroPadding2D({.padding = {{1, 2, 3}, {3, 1}}});
      },
      "The `1st entry of padding` argument must be a tuple of 2 integers.");
  expect_error<keras::ValueError>(
      [] {
        layers::ZeroPadding2D()(ops::ones({2, 3, 4}));
      },
      "expected ndim=4, found ndim=3");
}

// ---- Cropping ---------------------------------------------------------------------------------------

TEST(Cropping1D, MatchesKerasShapesGradientsConfig) {
  expect_case("crop1", layers::Cropping1D({.cropping = {1, 2}}));
  EXPECT_EQ(layers::Cropping1D()->compute_output_shape({2, -1, 4}), Shape({2, -1, 4}));
  EXPECT_TRUE(grads_ok(layers::Cropping1D({.cropping = {0, 2}, .dtype = DType::float64}), {2, 5, 2}));
  keras::utils::clear_session();
  auto c = layers::Cropping1D()->get_config();
  EXPECT_EQ(c["name"], "cropping1d");
  EXPECT_EQ(c["cropping"], nlohmann::json::array({1, 1}));
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping1D({.cropping = {-1, 2}});
      },
      "The `cropping` argument must be a tuple of 2 integers. Received cropping=(-1, 2), "
      "including values {-1} that do not satisfy `value >= 0`");
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping1D({.cropping = {2, 1}})(ops::ones({1, 3, 2}));
      },
      "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
      "Received: inputs.shape=(1, 3, 2), cropping=(2, 1)");
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping1D(2)->compute_output_shape({-1, 4, 2});
      },
      "Received: input_shape=(None, 4, 2), cropping=(2, 2)");
}

TEST(Cropping2D, MatchesKerasShapesGradientsConfig) {
  expect_case("crop2", layers::Cropping2D({.cropping = {{1, 0}, {1, 2}}}));
  expect_case("crop2_cf", layers::Cropping2D({.cropping = 1, .data_format = "channels_first"}));
  EXPECT_TRUE(all_close(layers::Cropping2D()(ops::ones({1, 2, 2, 1})), ops::ones({1, 2, 2, 1}), 0, 0));
  EXPECT_TRUE(grads_ok(layers::Cropping2D({.cropping = {1, 0}, .dtype = DType::float64}), {1, 4, 3, 2}));
  keras::utils::clear_session();
  auto c = layers::Cropping2D({.cropping = {2, 1}})->get_config();
  EXPECT_EQ(c["name"], "cropping2d");
  EXPECT_EQ(c["cropping"], nlohmann::json::parse("[[2, 2], [1, 1]]"));
  EXPECT_EQ(c["data_format"], "channels_last");
  expect_error<keras::ValueError>([] { layers::Cropping2D(-1); },
                                  "`cropping` cannot be negative. Received: cropping=-1.");
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping2D({.cropping = {1, 2, 3}});
      },
      "`cropping` should have two elements. Received: cropping=(1, 2, 3).");
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping2D({.cropping = {{1, 1}, {-2, 0}}});
      },
      "The `2nd entry of cropping` argument must be a tuple of 2 integers.");
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping2D({.cropping = {{1, 1}, {0, 0}}})(ops::ones({1, 2, 3, 1}));
      },
      "Values in `cropping` argument should be smaller than the corresponding spatial "
      "dimension of the input. Received: inputs.shape=(1, 2, 3, 1), cropping=((1, 1), (0, "
      "0))");
  expect_error<keras::ValueError>(
      [] {
        layers::Cropping2D({.cropping = {{0, 0}, {2, 2}}})->compute_output_shape({-1, 5, 4, 1});
      },
      "Received: input_shape=(None, 5, 4, 1), cropping=((0, 0), (2, 2))");
}

// ---- UpSampling -------------------------------------------------------------------------------------

TEST(UpSampling1D, MatchesKerasShapesGradientsConfig) {
  expect_case("up1", layers::UpSampling1D(3));
  EXPECT_EQ(layers::UpSampling1D()->compute_output_shape({2, -1, 3}), Shape({2, -1, 3}));
  EXPECT_TRUE(grads_ok(layers::UpSampling1D({.size = 2, .dtype = DType::float64}), {2, 3, 2}));
  keras::utils::clear_session();
  auto c = layers::UpSampling1D()->get_config();
  EXPECT_EQ(c["name"], "up_sampling1d");
  EXPECT_EQ(c["size"], 2);
  expect_error<keras::ValueError>([] { layers::UpSampling1D(0); },
                                  "Argument `size` should be a positive integer. Received: size=0");
  expect_error<keras::ValueError>([] { layers::UpSampling1D()(ops::ones({2, 3})); }, "expected ndim=3, found ndim=2");
}

TEST(UpSampling2D, MatchesKerasShapesGradientsConfig) {
  expect_case("up2", layers::UpSampling2D({.size = {2, 3}}));
  expect_case("up2_cf", layers::UpSampling2D({.size = 2, .data_format = "channels_first"}));
  expect_case("up2_bil", layers::UpSampling2D({.size = {2, 3}, .interpolation = "bilinear"}), 1e-5);
  EXPECT_TRUE(grads_ok(layers::UpSampling2D({.size = {2, 1}, .dtype = DType::float64}), {1, 2, 3, 2}));
  EXPECT_TRUE(grads_ok(
      layers::UpSampling2D(
          {.size = {3, 2}, .data_format = "channels_first", .interpolation = "Bilinear", .dtype = DType::float64}),
      {1, 2, 3, 2}));
  keras::utils::clear_session();
  auto c = layers::UpSampling2D({.interpolation = "BILINEAR"})->get_config();
  EXPECT_EQ(c["name"], "up_sampling2d");
  EXPECT_EQ(c["size"], nlohmann::json::array({2, 2}));
  EXPECT_EQ(c["data_format"], "channels_last");
  EXPECT_EQ(c["interpolation"], "bilinear");
  expect_error<keras::ValueError>(
      [] {
        layers::UpSampling2D({.size = {0, 2}});
      },
      "The `size` argument must be a tuple of 2 integers. Received size=(0, 2), including "
      "values {0} that do not satisfy `value > 0`");
  expect_error<keras::ValueError>([] { layers::UpSampling2D({.size = {2}}); },
                                  "The `size` argument must be a tuple of 2 integers. Received size=(2,)");
  expect_error<keras::ValueError>([] { layers::UpSampling2D({.interpolation = "cubic"}); },
                                  "Invalid value for argument `interpolation`");
  expect_error<keras::NotImplementedError>([] { layers::UpSampling2D({.interpolation = "bicubic"}); },
                                           "is not implemented in keras.cpp");
  expect_error<keras::ValueError>(
      [] {
        layers::UpSampling2D()(ops::ones({2, 3, 4}));
      },
      "expected ndim=4, found ndim=3");
}

// ---- Rescaling --------------------------------------------------------------------------------------

TEST(Rescaling, MatchesKerasConfigAndCastsIntegers) {
  expect_case("rescale", layers::Rescaling(1.0 / 255, -0.5), 1e-6);
  EXPECT_TRUE(grads_ok(layers::Rescaling({.scale = 2.5, .offset = 1.0, .dtype = DType::float64}), {2, 3}));
  const Tensor ints(std::vector<int32_t>{0, 51, 255}, Shape{1, 3});
  const Tensor y = layers::Rescaling(1.0 / 255)(ints);
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_TRUE(all_close(y, Tensor({{0.f, 0.2f, 1.f}}), 1e-6, 1e-6));
  keras::utils::clear_session();
  auto c = layers::Rescaling(0.5, 1.0)->get_config();
  EXPECT_EQ(c["name"], "rescaling");
  EXPECT_EQ(c["scale"], 0.5);
  EXPECT_EQ(c["offset"], 1.0);
}

// ---- In a model -------------------------------------------------------------------------------------

TEST(ReshapingLayers, ComposeInASequentialModel) {
  keras::Sequential model({layers::Input({4, 4, 2}), layers::Rescaling(0.5), layers::ZeroPadding2D(1),
                           layers::Cropping2D({.cropping = {{1, 1}, {2, 0}}}), layers::UpSampling2D(2),
                           layers::Permute({3, 1, 2})});
  const Tensor y = model.predict(ops::ones({3, 4, 4, 2}), {.verbose = 0});
  EXPECT_EQ(y.shape(), Shape({3, 2, 8, 8}));
  EXPECT_EQ(model.count_params(), 0);
}
