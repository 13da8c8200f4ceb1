// BatchNormalization, LayerNormalization, GroupNormalization and
// UnitNormalization: forward values, moving statistics and a short training
// run against Keras 3 / JAX (tests/fixtures/layers.npz, written by
// gen_layer_fixtures.py), gradients against finite differences, parameter
// counts, configs and Keras' errors.
#include <gtest/gtest.h>

#include <functional>
#include <keras/keras.hpp>
#include <keras/layers/normalization.hpp>
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

// Builds `layer` on the case's input, sets the case's weights, and compares the inference
// output (and the training output when the fixture has one) and the parameter count.
void expect_case(const std::string& name, keras::LayerHandle layer, int64_t params, double tol = 1e-5) {
  SCOPED_TRACE(name);
  const Tensor x = fx(name + "_x");
  layer->maybe_build(x.shape());
  std::vector<Tensor> ws;
  for (size_t i = 0; fixtures().count(name + "_w" + std::to_string(i)); ++i)
    ws.push_back(fx(name + "_w" + std::to_string(i)));
  layer->set_weights(ws);
  EXPECT_TRUE(all_close(layer(x, false), fx(name + "_y"), tol, tol));
  if (fixtures().count(name + "_yt")) {
    EXPECT_TRUE(all_close(layer(x, true), fx(name + "_yt"), tol, tol));
  }
  EXPECT_EQ(layer->count_params(), params);
  EXPECT_EQ(layer->count_params(), fx(name + "_params").item<int64_t>());
}

// The tape's gradient of sum(layer(x) * w) with respect to the layer's trainable weights, against
// central differences (each weight element perturbed through Variable::assign).
// The layer's weight gradients against finite differences (tests/harness).
::testing::AssertionResult check_weight_gradients(keras::LayerHandle layer, const Tensor& x, bool training,
                                                  double eps = 1e-6, double tol = 1e-6) {
  return keras::testing::check_weight_gradients([&] { return layer(x, training); }, layer->trainable_weights(),
                                                {.eps = eps, .atol = tol, .rtol = 1e-4});
}

// check_gradients on the layer's input.
::testing::AssertionResult check_input_gradients(keras::LayerHandle layer, const Tensor& x, bool training) {
  return keras::testing::check_gradients([&](const keras::testing::inputs& xs) { return layer(xs[0], training); }, {x},
                                         {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4});
}

// Sets every weight of a float64 layer to deterministic values (variances positive).
void set_weights_f64(keras::LayerHandle layer) {
  std::vector<Tensor> ws;
  uint64_t seed = 3;
  for (auto& v : layer->weights()) {
    const bool positive = v.name() == "moving_variance";
    ws.push_back(keras::testing::uniform(v.shape(), positive ? 0.5 : -1.0, 1.5, seed++));
  }
  layer->set_weights(ws);
}

}  // namespace

// ---- BatchNormalization -----------------------------------------------------------------------------

TEST(BatchNormalization, MatchesKerasInInferenceAndTraining) {
  // Parameters: 4 vectors of `features` each (2 trainable + 2 moving statistics).
  expect_case("bn", layers::BatchNormalization(), 12);  // 4 * 3
  expect_case("bn_axis1", layers::BatchNormalization({.axis = 1, .epsilon = 0.01, .center = false}),
              9);                                                          // 3 * 3
  expect_case("bn_4d", layers::BatchNormalization({.scale = false}), 12);  // 3 * 4
}

TEST(BatchNormalization, WeightsInKerasOrderAndTrainability) {
  layers::BatchNormalization bn;
  bn(ops::ones({2, 5}));
  auto ws = bn->weights();
  ASSERT_EQ(ws.size(), 4u);
  EXPECT_EQ(ws[0].name(), "gamma");
  EXPECT_EQ(ws[1].name(), "beta");
  EXPECT_EQ(ws[2].name(), "moving_mean");
  EXPECT_EQ(ws[3].name(), "moving_variance");
  EXPECT_EQ(bn->trainable_weights().size(), 2u);
  EXPECT_EQ(bn->non_trainable_weights().size(), 2u);
  for (auto& w : ws) EXPECT_EQ(w.shape(), Shape({5}));
  EXPECT_EQ(bn->gamma().value().to_vector<float>(), std::vector<float>(5, 1.f));
  EXPECT_EQ(bn->moving_variance().value().to_vector<float>(), std::vector<float>(5, 1.f));
  EXPECT_EQ(bn->count_params(), 20);

  layers::BatchNormalization plain({.center = false, .scale = false});
  plain(ops::ones({2, 3, 4}));
  ASSERT_EQ(plain->weights().size(), 2u);
  EXPECT_EQ(plain->weights()[0].name(), "moving_mean");
  EXPECT_TRUE(plain->trainable_weights().empty());
  EXPECT_EQ(plain->count_params(), 8);  // 2 * 4
}

TEST(BatchNormalization, MovingStatisticsMatchKerasAfterTrainingCalls) {
  layers::BatchNormalization bn({.momentum = 0.9});
  for (int i = 0; i < 3; ++i) {
    const std::string k = std::to_string(i);
    EXPECT_TRUE(all_close(bn(fx("bnsteps_x" + k), true), fx("bnsteps_y" + k), 1e-5, 1e-5)) << "step " << i;
  }
  EXPECT_TRUE(all_close(bn->moving_mean().value(), fx("bnsteps_mm"), 1e-5, 1e-6));
  EXPECT_TRUE(all_close(bn->moving_variance().value(), fx("bnsteps_mv"), 1e-5, 1e-6));
  // Inference calls leave them alone.
  const Tensor before = bn->moving_mean().value();
  bn(fx("bnsteps_x0"), false);
  EXPECT_TRUE(all_close(bn->moving_mean().value(), before, 0, 0));
}

TEST(BatchNormalization, TrainOnBatchMatchesKeras) {
  // Sequential([Input((3,)), Dense(4), BatchNormalization(momentum=0.8)]), SGD(0.1), MSE:
  // 3 train_on_batch steps, batches of 4.
  keras::Sequential model({layers::Input({3}), layers::Dense(4), layers::BatchNormalization({.momentum = 0.8})});
  model.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.1}), .loss = "mse"});
  std::vector<Tensor> init;
  for (size_t i = 0; i < 6; ++i) init.push_back(fx("bnfit_w" + std::to_string(i)));
  model.set_weights(init);
  EXPECT_EQ(model.count_params(), 16 + 16);  // Dense 3*4+4, BN 4*4
  const Tensor x = fx("bnfit_x"), y = fx("bnfit_y");
  const auto want_loss = fx("bnfit_loss").to_vector<float>();
  for (int64_t s = 0; s < 3; ++s) {
    auto logs = model.train_on_batch(ops::slice(x, {4 * s, 0}, {4, 3}), ops::slice(y, {4 * s, 0}, {4, 4}));
    EXPECT_NEAR(logs.at("loss"), want_loss[static_cast<size_t>(s)], 1e-5) << "step " << s;
  }
  auto after = model.weights();
  ASSERT_EQ(after.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_TRUE(all_close(after[i].value(), fx("bnfit_after" + std::to_string(i)), 1e-4, 1e-5)) << after[i].name();
}

TEST(BatchNormalization, FrozenLayerRunsInInferenceMode) {
  layers::BatchNormalization bn({.dtype = DType::float64});
  const Tensor x = keras::testing::uniform({6, 3}, -2, 3, 5);
  bn(x);
  set_weights_f64(bn);
  const Tensor inference = bn(x, false);
  const Tensor mm = bn->moving_mean().value();
  bn->set_trainable(false);
  EXPECT_TRUE(all_close(bn(x, true), inference, 0, 0));
  EXPECT_TRUE(all_close(bn->moving_mean().value(), mm, 0, 0));
  EXPECT_TRUE(bn->trainable_weights().empty());
  bn->set_trainable(true);
  EXPECT_FALSE(all_close(bn(x, true), inference, 1e-3, 1e-3));
}

TEST(BatchNormalization, GradientsMatchFiniteDifferences) {
  for (bool training : {false, true}) {
    SCOPED_TRACE(training ? "training" : "inference");
    layers::BatchNormalization bn({.dtype = DType::float64});
    const Tensor x = keras::testing::uniform({5, 3}, -2, 3, 11);
    bn(x);
    set_weights_f64(bn);
    EXPECT_TRUE(check_input_gradients(bn, x, training));
    EXPECT_TRUE(check_weight_gradients(bn, x, training));
    layers::BatchNormalization bn1({.axis = 1, .dtype = DType::float64});
    const Tensor x3 = keras::testing::uniform({2, 3, 4}, -2, 3, 12);
    bn1(x3);
    set_weights_f64(bn1);
    EXPECT_TRUE(check_input_gradients(bn1, x3, training));
    EXPECT_TRUE(check_weight_gradients(bn1, x3, training));
  }
}

TEST(BatchNormalization, ConfigShapesAndErrors) {
  keras::utils::clear_session();
  layers::BatchNormalization bn({.axis = 1, .momentum = 0.9});
  auto c = bn->get_config();
  EXPECT_EQ(c["name"], "batch_normalization");
  EXPECT_EQ(c["axis"], 1);
  EXPECT_EQ(c["momentum"], 0.9);
  EXPECT_EQ(c["epsilon"], 1e-3);
  EXPECT_EQ(c["center"], true);
  EXPECT_EQ(c["scale"], true);
  EXPECT_EQ(c["gamma_initializer"]["class_name"], "Ones");
  EXPECT_EQ(c["beta_initializer"]["class_name"], "Zeros");
  EXPECT_EQ(c["moving_variance_initializer"]["class_name"], "Ones");
  EXPECT_TRUE(c["beta_regularizer"].is_null());
  EXPECT_TRUE(c["gamma_constraint"].is_null());
  EXPECT_EQ(c["synchronized"], false);
  EXPECT_EQ(c["renorm"], false);
  EXPECT_EQ(bn->compute_output_shape({-1, 3, 4}), Shape({-1, 3, 4}));

  expect_error<keras::ValueError>([] { layers::BatchNormalization({.synchronized = true}); },
                                  "Argument synchronized=True is only supported with the TensorFlow backend.");
  expect_error<keras::ValueError>(
      [] {
        layers::BatchNormalization({.axis = 2})(ops::ones({2, 3}));
      },
      "Axis 2 is out of bounds for input shape (2, 3). Received: axis=2");
  expect_error<keras::ValueError>(
      [] {
        layers::BatchNormalization({.axis = -3})->compute_output_shape({2, 3});
      },
      "Axis -3 is out of bounds for input shape (2, 3). Received: axis=-3");
  layers::BatchNormalization built;
  built(ops::ones({2, 3}));
  expect_error<keras::ValueError>([&] { built(ops::ones({2, 4})); }, "expected axis -1 of input shape to have value 3");
  expect_error<keras::ValueError>([&] { built(ops::ones({2, 2, 3})); }, "expected ndim=2, found ndim=3");
}

// ---- LayerNormalization -----------------------------------------------------------------------------

TEST(LayerNormalization, MatchesKeras) {
  expect_case("ln", layers::LayerNormalization(), 12);                                        // 2 * 6
  expect_case("ln_axes", layers::LayerNormalization({.axis = {1, 2}, .epsilon = 1e-5}), 24);  // 2 * 3*4
  expect_case("ln_axis1", layers::LayerNormalization({.axis = {1}, .center = false}), 3);     // gamma (3,)
  expect_case("ln_rms", layers::LayerNormalization({.rms_scaling = true}), 5);                // gamma only
  expect_case("ln_plain", layers::LayerNormalization({.center = false, .scale = false}), 0);
}

TEST(LayerNormalization, GradientsMatchFiniteDifferences) {
  for (auto opts : {layers::LayerNormalizationOptions{.dtype = DType::float64},
                    layers::LayerNormalizationOptions{.axis = {2, 1}, .dtype = DType::float64},
                    layers::LayerNormalizationOptions{.rms_scaling = true, .dtype = DType::float64}}) {
    layers::LayerNormalization ln(opts);
    const Tensor x = keras::testing::uniform({2, 3, 4}, -2, 3, 21);
    ln(x);
    set_weights_f64(ln);
    EXPECT_TRUE(check_input_gradients(ln, x, false));
    EXPECT_TRUE(check_weight_gradients(ln, x, false));
  }
}

TEST(LayerNormalization, ConfigAndErrors) {
  keras::utils::clear_session();
  layers::LayerNormalization ln;
  EXPECT_EQ(ln->get_config()["axis"], -1);  // an int until built, as in Keras
  ln(ops::ones({2, 3}));
  EXPECT_EQ(ln->get_config()["axis"], nlohmann::json::array({-1}));
  EXPECT_EQ(ln->get_config()["name"], "layer_normalization");
  EXPECT_EQ(ln->get_config()["rms_scaling"], false);
  EXPECT_EQ(ln->weights()[0].name(), "gamma");
  EXPECT_EQ(ln->weights()[1].name(), "beta");
  // Keras shapes the weights in the order of the sorted axes as given: [-1, 1] -> (4, 3).
  layers::LayerNormalization mixed({.axis = {1, -1}});
  mixed(ops::ones({2, 3, 4}));
  EXPECT_EQ(mixed->gamma().shape(), Shape({4, 3}));
  EXPECT_EQ(mixed->get_config()["axis"], nlohmann::json::array({-1, 1}));
  layers::LayerNormalization two({.axis = {2, 1}});
  // Unbuilt, the axes are written as given (Keras sorts them when it builds).
  EXPECT_EQ(two->get_config()["axis"], nlohmann::json::array({2, 1}));
  expect_error<keras::ValueError>(
      [] {
        layers::LayerNormalization({.axis = {3}})(ops::ones({2, 3}));
      },
      "Axis 3 is out of bounds for input shape (2, 3). Received: axis=3");
  expect_error<keras::ValueError>(
      [] {
        layers::LayerNormalization({.axis = {1, -3}})->compute_output_shape({2, 3});
      },
      "Axis -3 is out of bounds for input shape (2, 3). Received: axis=[1, -3]");
  expect_error<keras::TypeError>([] { layers::LayerNormalization({.axis = {}}); },
                                 "Expected an int or a list/tuple of ints for the argument 'axis'");
}

// ---- GroupNormalization -----------------------------------------------------------------------------

TEST(GroupNormalization, MatchesKeras) {
  expect_case("gn", layers::GroupNormalization({.groups = 2}), 8);                       // 2 * 4
  expect_case("gn_4d", layers::GroupNormalization({.groups = 3, .epsilon = 0.01}), 12);  // 2 * 6
  expect_case("gn_inst", layers::GroupNormalization({.groups = -1, .center = false}), 3);
  expect_case("gn_axis1", layers::GroupNormalization({.groups = 2, .axis = 1}), 8);  // 2 * 4
}

TEST(GroupNormalization, GradientsMatchFiniteDifferences) {
  layers::GroupNormalization gn({.groups = 2, .dtype = DType::float64});
  const Tensor x = keras::testing::uniform({2, 3, 4}, -2, 3, 31);
  gn(x);
  set_weights_f64(gn);
  EXPECT_TRUE(check_input_gradients(gn, x, false));
  EXPECT_TRUE(check_weight_gradients(gn, x, false));
}

TEST(GroupNormalization, ConfigAndErrors) {
  layers::GroupNormalization inst({.groups = -1});
  EXPECT_EQ(inst->get_config()["groups"], -1);
  inst(ops::ones({2, 5, 3}));
  EXPECT_EQ(inst->get_config()["groups"], 3);  // Keras stores the channel count once built
  EXPECT_EQ(inst->get_config()["axis"], -1);
  expect_error<keras::ValueError>([] { layers::GroupNormalization({.groups = 0}); },
                                  "Received an invalid value for argument `groups`, expected a positive integer (or "
                                  "`-1` for instance normalization). Received: groups=0");
  expect_error<keras::ValueError>(
      [] {
        layers::GroupNormalization({.groups = 4})(ops::ones({2, 3}));
      },
      "Number of groups (4) cannot be more than the number of channels (3).");
  expect_error<keras::ValueError>(
      [] {
        layers::GroupNormalization({.groups = 2})(ops::ones({2, 3}));
      },
      "Number of groups (2) must be a multiple of the number of channels (3).");
  expect_error<keras::ValueError>(
      [] {
        layers::GroupNormalization()(ops::ones({2, 4}));
      },
      "Number of groups (32) cannot be more than the number of channels (4).");
  expect_error<keras::ValueError>(
      [] {
        layers::GroupNormalization({.groups = 1, .axis = 2})(ops::ones({2, 4}));
      },
      "Axis 2 is out of bounds for input shape (2, 4). Received: axis=2");
}

// ---- UnitNormalization ------------------------------------------------------------------------------

TEST(UnitNormalization, MatchesKeras) {
  expect_case("un", layers::UnitNormalization(), 0);
  expect_case("un_axes", layers::UnitNormalization({.axis = {1, 2}}), 0);
}

TEST(UnitNormalization, GradientsConfigAndErrors) {
  layers::UnitNormalization un({.dtype = DType::float64});
  EXPECT_TRUE(check_input_gradients(un, keras::testing::uniform({3, 4}, 0.2, 2, 41), false));
  EXPECT_EQ(un->get_config()["axis"], -1);
  EXPECT_EQ(layers::UnitNormalization({.axis = {1, 2}})->get_config()["axis"], nlohmann::json::array({1, 2}));
  // A zero vector stays zero (the inverse norm is capped at 1e12).
  EXPECT_EQ(layers::UnitNormalization()(ops::zeros({1, 3})).to_vector<float>(), std::vector<float>(3, 0.f));
  expect_error<keras::ValueError>(
      [] {
        layers::UnitNormalization({.axis = {2}})(ops::ones({2, 3}));
      },
      "Axis 2 is out of bounds for input shape (2, 3).");
  expect_error<keras::TypeError>([] { layers::UnitNormalization({.axis = {}}); },
                                 "Invalid value for `axis` argument: expected an int or a list/tuple of ints.");
}
