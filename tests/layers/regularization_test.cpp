// SpatialDropout1D/2D, GaussianNoise, GaussianDropout and
// ActivityRegularization: inference against Keras 3 / JAX fixtures
// (tests/fixtures/layers.npz), the structure and statistics of the training
// noise (its numbers come from keras.cpp's own generator, not JAX's),
// gradients, configs and Keras' errors.
#include <gtest/gtest.h>

#include <cmath>
#include <keras/keras.hpp>
#include <keras/layers/regularization.hpp>
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

void expect_inference_case(const std::string& name, keras::LayerHandle layer) {
  SCOPED_TRACE(name);
  const Tensor x = fx(name + "_x");
  EXPECT_TRUE(all_close(layer(x, false), fx(name + "_y"), 0, 0));
  EXPECT_EQ(layer->count_params(), 0);
  EXPECT_EQ(fx(name + "_params").item<int64_t>(), 0);
  EXPECT_EQ(layer->compute_output_shape({-1, x.shape()[1]}), Shape({-1, x.shape()[1]}));
}

// d sum(y) / dx for one call.
Tensor grad_of_sum(keras::LayerHandle layer, const Tensor& x, Tensor* y_out) {
  keras::GradientTape tape;
  tape.watch(x);
  Tensor y = layer(x, true);
  *y_out = y;
  return tape.gradient(ops::sum(y), x);
}

std::vector<std::string> keys(const nlohmann::json& c) {
  std::vector<std::string> out;
  for (auto it = c.begin(); it != c.end(); ++it) out.push_back(it.key());
  return out;
}

}  // namespace

TEST(RegularizationLayers, IdentityInInferenceAsInKeras) {
  expect_inference_case("sd1", layers::SpatialDropout1D(0.5));
  expect_inference_case("gnoise", layers::GaussianNoise(0.2));
  expect_inference_case("gdrop", layers::GaussianDropout(0.3));
  expect_inference_case("actreg", layers::ActivityRegularization({.l1 = 0.01, .l2 = 0.1}));
}

// ---- SpatialDropout ---------------------------------------------------------------------------------

TEST(SpatialDropout1D, DropsWholeChannelsInTraining) {
  layers::SpatialDropout1D sd({.rate = 0.5, .seed = 7});
  const Tensor x = keras::testing::uniform({4, 6, 16}, 0.5, 1.5, 3, DType::float32);
  Tensor y;
  const Tensor g = grad_of_sum(sd, x, &y);
  auto xv = x.to_vector<float>(), yv = y.to_vector<float>(), gv = g.to_vector<float>();
  int dropped = 0;
  for (int b = 0; b < 4; ++b)
    for (int c = 0; c < 16; ++c) {
      const bool keep = yv[static_cast<size_t>(b * 96 + c)] != 0.f;
      dropped += !keep;
      for (int t = 0; t < 6; ++t) {
        const auto i = static_cast<size_t>(b * 96 + t * 16 + c);
        EXPECT_FLOAT_EQ(yv[i], keep ? xv[i] * 2.f : 0.f);  // kept values scaled by 1 / (1 - rate)
        EXPECT_FLOAT_EQ(gv[i], keep ? 2.f : 0.f);
      }
    }
  EXPECT_GT(dropped, 10);
  EXPECT_LT(dropped, 54);
  // Same seed, same masks; the generator advances between calls.
  layers::SpatialDropout1D twin({.rate = 0.5, .seed = 7});
  EXPECT_TRUE(all_close(twin(x, true), y, 0, 0));
  EXPECT_FALSE(all_close(twin(x, true), y, 0, 0));
  EXPECT_EQ(sd->own_seed_generators().size(), 1u);
  EXPECT_TRUE(all_close(layers::SpatialDropout1D(0.0)(x, true), x, 0, 0));
  EXPECT_EQ(layers::SpatialDropout1D(1.0)(x, true).to_vector<float>(), std::vector<float>(384, 0.f));
}

TEST(SpatialDropout2D, DropsWholeFeatureMapsInBothDataFormats) {
  for (std::string fmt : {"channels_last", "channels_first"}) {
    SCOPED_TRACE(fmt);
    layers::SpatialDropout2D sd({.rate = 0.4, .data_format = fmt, .seed = 3});
    const bool last = fmt == "channels_last";
    const Shape s = last ? Shape{3, 4, 5, 8} : Shape{3, 8, 4, 5};
    Tensor y = sd(ops::ones(s), true);
    auto yv = y.to_vector<float>();
    int dropped = 0;
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 8; ++c) {
        auto at = [&](int h, int w) {
          return yv[static_cast<size_t>(last ? ((b * 4 + h) * 5 + w) * 8 + c : ((b * 8 + c) * 4 + h) * 5 + w)];
        };
        const float first = at(0, 0);
        EXPECT_TRUE(first == 0.f || std::abs(first - 1.f / 0.6f) < 1e-6) << first;
        dropped += first == 0.f;
        for (int h = 0; h < 4; ++h)
          for (int w = 0; w < 5; ++w) EXPECT_EQ(at(h, w), first);
      }
    EXPECT_GT(dropped, 2);
    EXPECT_LT(dropped, 22);
    EXPECT_TRUE(all_close(sd(ops::ones(s), false), ops::ones(s), 0, 0));
  }
}

TEST(SpatialDropout, ConfigsAndErrors) {
  keras::utils::clear_session();
  layers::SpatialDropout1D sd1(0.5);
  auto c = sd1->get_config();
  // Keras' spatial dropouts report only these (dtype as a plain string, no `trainable`).
  EXPECT_EQ(keys(c), (std::vector<std::string>{"dtype", "name", "rate", "seed"}));
  EXPECT_EQ(c["name"], "spatial_dropout1d");
  EXPECT_EQ(c["dtype"], "float32");
  EXPECT_EQ(c["rate"], 0.5);
  EXPECT_TRUE(c["seed"].is_null());
  auto c2 = layers::SpatialDropout2D({.rate = 0.2, .data_format = "Channels_First", .seed = 4})->get_config();
  EXPECT_EQ(c2["name"], "spatial_dropout2d");
  EXPECT_EQ(c2["data_format"], "channels_first");
  EXPECT_EQ(c2["seed"], 4);

  expect_error<keras::ValueError>(
      [] { layers::SpatialDropout1D(1.5); },
      "Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=1.5");
  expect_error<keras::ValueError>([] { layers::SpatialDropout2D(-0.1); }, "Received: rate=-0.1");
  expect_error<keras::ValueError>([] { layers::SpatialDropout2D({.rate = 0.1, .data_format = "nhwc"}); },
                                  "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                                  "Received: data_format=nhwc");
  expect_error<keras::ValueError>(
      [] {
        layers::SpatialDropout1D(0.1)(ops::ones({2, 3}));
      },
      "expected ndim=3, found ndim=2");
  expect_error<keras::ValueError>(
      [] {
        layers::SpatialDropout2D(0.1)(ops::ones({2, 3, 4}));
      },
      "expected ndim=4, found ndim=3");
}

// ---- GaussianNoise / GaussianDropout ----------------------------------------------------------------

TEST(GaussianNoise, AddsNoiseOfTheGivenStddevInTraining) {
  layers::GaussianNoise gn({.stddev = 0.3, .seed = 11});
  const Tensor x = ops::full({200, 50}, 2.0);
  Tensor y;
  const Tensor g = grad_of_sum(gn, x, &y);
  const Tensor noise = y - x;
  EXPECT_NEAR(ops::mean(noise).item<float>(), 0.0, 0.01);
  EXPECT_NEAR(ops::std(noise).item<float>(), 0.3, 0.01);
  EXPECT_TRUE(all_close(g, ops::ones({200, 50}), 0, 0));  // additive noise: gradient 1
  layers::GaussianNoise twin({.stddev = 0.3, .seed = 11});
  EXPECT_TRUE(all_close(twin(x, true), y, 0, 0));
  EXPECT_TRUE(all_close(gn(x, false), x, 0, 0));
  EXPECT_TRUE(all_close(layers::GaussianNoise(0.0)(x, true), x, 0, 0));
  EXPECT_EQ(gn->own_seed_generators().size(), 1u);
}

TEST(GaussianDropout, MultipliesByNoiseWithMeanOneInTraining) {
  layers::GaussianDropout gd({.rate = 0.2, .seed = 5});
  const Tensor x = ops::full({200, 50}, 3.0);
  Tensor y;
  const Tensor g = grad_of_sum(gd, x, &y);
  const Tensor factor = y / 3.0;
  EXPECT_NEAR(ops::mean(factor).item<float>(), 1.0, 0.01);
  EXPECT_NEAR(ops::std(factor).item<float>(), std::sqrt(0.2 / 0.8), 0.01);
  EXPECT_TRUE(all_close(g, factor, 1e-5, 1e-6));  // d(x * n)/dx = n
  EXPECT_TRUE(all_close(gd(x, false), x, 0, 0));
}

TEST(GaussianNoise, ConfigsAndErrors) {
  keras::utils::clear_session();
  auto c = layers::GaussianNoise({.stddev = 0.2, .seed = 3})->get_config();
  EXPECT_EQ(c["name"], "gaussian_noise");
  EXPECT_EQ(c["stddev"], 0.2);
  EXPECT_EQ(c["seed"], 3);
  EXPECT_EQ(c["trainable"], true);
  auto d = layers::GaussianDropout(0.3)->get_config();
  EXPECT_EQ(d["name"], "gaussian_dropout");
  EXPECT_EQ(d["rate"], 0.3);
  EXPECT_TRUE(d["seed"].is_null());
  expect_error<keras::ValueError>([] { layers::GaussianNoise(1.5); },
                                  "Invalid value received for argument `stddev`. Expected a float value between 0 "
                                  "and 1. Received: stddev=1.5");
  expect_error<keras::ValueError>([] { layers::GaussianNoise(-0.5); }, "Received: stddev=-0.5");
  expect_error<keras::ValueError>([] { layers::GaussianDropout(2.0); },
                                  "Invalid value received for argument `rate`. Expected a float value between 0 and "
                                  "1. Received: rate=2.0");
}

// ---- ActivityRegularization -------------------------------------------------------------------------

TEST(ActivityRegularization, AddsKerasLossDividedByBatchSize) {
  layers::ActivityRegularization ar({.l1 = 0.01, .l2 = 0.1});
  const Tensor x = fx("actreg_x");
  EXPECT_TRUE(all_close(ar(x), x, 0, 0));
  auto losses = ar->losses();
  ASSERT_EQ(losses.size(), 1u);
  EXPECT_NEAR(losses[0].item<float>(), fx("actreg_loss").item<float>(), 1e-6);
  // A new outermost call replaces the loss.
  ar(x);
  EXPECT_EQ(ar->losses().size(), 1u);
  // Gradient of the penalty: (l1 sign(x) + 2 l2 x) / batch.
  layers::ActivityRegularization ar64({.l1 = 0.05, .l2 = 0.2, .dtype = DType::float64});
  EXPECT_TRUE(keras::testing::check_gradients(
      [&](const keras::testing::inputs& xs) {
        ar64(xs[0]);
        return ar64->losses()[0];
      },
      {keras::testing::uniform({3, 4}, 0.1, 1.0, 8)}));
  EXPECT_TRUE(layers::ActivityRegularization()->losses().empty());
}

TEST(ActivityRegularization, ContributesToTheTrainingLoss) {
  // Sequential([Input((2,)), ActivityRegularization(l2=0.5)]) with an MSE of 0 against its own input:
  // the loss is the penalty alone, 0.5 * sum(x^2) / batch.
  keras::Sequential model({layers::Input({2}), layers::ActivityRegularization({.l2 = 0.5})});
  model.compile({.optimizer = "sgd", .loss = "mse"});
  const Tensor x({{1.f, 2.f}, {3.f, 4.f}});
  auto logs = model.test_on_batch(x, x);
  EXPECT_NEAR(logs.at("loss"), 0.5 * 30.0 / 2.0, 1e-5);
}

TEST(ActivityRegularization, ConfigAndErrors) {
  keras::utils::clear_session();
  auto c = layers::ActivityRegularization({.l1 = 0.01, .l2 = 0.1})->get_config();
  EXPECT_EQ(c["name"], "activity_regularization");
  EXPECT_EQ(c["l1"], 0.01);
  EXPECT_EQ(c["l2"], 0.1);
  EXPECT_FALSE(c.contains("activity_regularizer"));
  expect_error<keras::ValueError>([] { layers::ActivityRegularization({.l1 = -1.0}); },
                                  "Invalid value for argument l1: expected a non-negative float.Received: l1=-1.0");
  expect_error<keras::ValueError>([] { layers::ActivityRegularization({.l2 = NAN}); },
                                  "Invalid value for argument l2: expected a non-negative float.");
}
