// Normalization, RandomFlip, RandomCrop and CategoryEncoding: adapt results,
// deterministic outputs and configs against Keras 3 / JAX fixtures
// (tests/fixtures/preprocessing.npz, from gen_preprocessing_fixtures.py); the
// random layers' outputs checked to be valid flips / crops of their inputs
// (their draws come from keras.cpp's generator, not JAX's), reproducible for a
// seed, and differentiable; Keras' errors.
#include "keras/layers/preprocessing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <keras/keras.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"

namespace ops = keras::ops;
namespace layers = keras::layers;
using keras::DType;
using keras::Shape;
using keras::Tensor;
using keras::data::Dataset;
using keras::testing::all_close;

namespace {

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = keras::npy::load_npz(keras::testing::fixture("preprocessing.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw keras::NotFoundError("preprocessing.npz has no array " + key);
  return it->second;
}

std::string fx_text(const std::string& key) {
  auto v = fx(key).to_vector<uint8_t>();
  return {v.begin(), v.end()};
}

std::set<std::string> keys(const nlohmann::json& c) {
  std::set<std::string> out;
  for (auto it = c.begin(); it != c.end(); ++it) out.insert(it.key());
  return out;
}

// Our config against Keras' (from the fixture): the same keys, and the same values but the name.
void expect_config_like_keras(const nlohmann::json& ours, const std::string& fixture_key) {
  SCOPED_TRACE(fixture_key);
  const auto theirs = nlohmann::json::parse(fx_text(fixture_key));
  EXPECT_EQ(keys(ours), keys(theirs));
  for (auto it = theirs.begin(); it != theirs.end(); ++it) {
    if (it.key() == "name" || !ours.contains(it.key())) continue;
    EXPECT_EQ(ours[it.key()], it.value()) << it.key();
  }
}

Tensor grad_of_weighted_sum(keras::LayerHandle layer, const Tensor& x, const Tensor& w, bool training, Tensor* y_out) {
  keras::GradientTape tape;
  tape.watch(x);
  Tensor y = layer(x, training);
  if (y_out) *y_out = y;
  return tape.gradient(ops::sum(y * w), {x})[0];
}

// Images with all-distinct values, so that a flip or a crop is recognisable.
Tensor distinct_images(const Shape& s) {
  return ops::reshape(ops::arange(0.0, static_cast<double>(s.numel()), 1.0, DType::float32), s) * 0.5 + 1.0;
}

}  // namespace

// ---- Normalization ------------------------------------------------------------------------------------

TEST(PreprocessingNormalization, AdaptOnATensorMatchesKeras) {
  keras::utils::clear_session();
  layers::Normalization norm;
  norm->adapt(fx("norm_x"));
  EXPECT_TRUE(all_close(norm->adapt_mean().value(), fx("norm_mean"), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(norm->adapt_variance().value(), fx("norm_var"), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(norm(fx("norm_q")), fx("norm_y"), 1e-5, 1e-5));
  EXPECT_EQ(norm->build_input_shape(), Shape({40, 5}));

  // Weights as Keras creates them: "path dtype shape trainable" lines.
  std::istringstream want(fx_text("norm_weights"));
  auto weights = norm->weights();
  ASSERT_EQ(weights.size(), 3u);
  for (const auto& w : weights) {
    std::string line;
    ASSERT_TRUE(std::getline(want, line));
    const std::string ours = "normalization/" + w.name() + " " + std::string(keras::dtype_name(w.dtype())) + " " +
                             w.shape().str() + " " + (w.trainable() ? "True" : "False");
    EXPECT_EQ(ours, line);
  }
  EXPECT_TRUE(norm->trainable_weights().empty());
  EXPECT_EQ(norm->own_variables()[0], norm->adapt_mean());  // saving order: mean, variance, count
  EXPECT_EQ(norm->own_variables()[2], norm->count());
  EXPECT_EQ(norm->count().value().item<int32_t>(), 0);  // Keras never updates it
  EXPECT_EQ(norm->count_params(), 11);

  layers::Normalization inv({.invert = true});
  inv->adapt(fx("norm_x"));
  EXPECT_TRUE(all_close(inv(fx("norm_q")), fx("norm_inv_y"), 1e-5, 1e-4));
  // invert undoes the normalization.
  EXPECT_TRUE(all_close(inv(norm(fx("norm_q"))), fx("norm_q"), 1e-5, 1e-3));
}

TEST(PreprocessingNormalization, AdaptOverSeveralAxesMatchesKeras) {
  const std::vector<std::pair<std::string, std::vector<int>>> cases = {{"a12", {1, 2}}, {"a1", {1}}, {"none", {}}};
  for (const auto& [tag, axis] : cases) {
    SCOPED_TRACE(tag);
    layers::Normalization norm({.axis = axis});
    norm->adapt(fx("norm3_x"));
    EXPECT_EQ(norm->adapt_mean().shape(), fx("norm3_" + tag + "_mean").shape());
    EXPECT_TRUE(all_close(norm->adapt_mean().value(), fx("norm3_" + tag + "_mean"), 1e-6, 1e-6));
    EXPECT_TRUE(all_close(norm->adapt_variance().value(), fx("norm3_" + tag + "_var"), 1e-6, 1e-6));
    EXPECT_TRUE(all_close(norm(fx("norm3_q")), fx("norm3_" + tag + "_y"), 1e-5, 1e-5));
  }
  // A later adapt replaces the statistics (hand-worked: mean 2, population variance 1).
  layers::Normalization norm({.axis = {}});
  norm->adapt(fx("norm3_x"));
  norm->adapt(ops::reshape(Tensor({1.f, 3.f, 1.f, 3.f}), {1, 2, 2}));
  EXPECT_FLOAT_EQ(norm->adapt_mean().value().item<float>(), 2.f);
  EXPECT_FLOAT_EQ(norm->adapt_variance().value().item<float>(), 1.f);
  EXPECT_EQ(norm(ops::reshape(Tensor({4.f, 0.f}), {1, 1, 2})).to_vector<float>(), (std::vector<float>{2.f, -2.f}));
}

TEST(PreprocessingNormalization, AdaptOnADatasetStreamsLikeKeras) {
  const Tensor x = fx("normds_x");  // (37, 4)
  // Batches of 8 (the last of 5), the streaming update Keras applies to an iterable of batches.
  layers::Normalization norm;
  norm->adapt(Dataset::from_tensor_slices({x}).batch(8));
  EXPECT_TRUE(all_close(norm->adapt_mean().value(), fx("normds_mean"), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(norm->adapt_variance().value(), fx("normds_var"), 1e-6, 1e-6));
  EXPECT_EQ(norm->build_input_shape(), Shape({-1, 4}));  // a dataset's batch size is unknown

  // (x, y) elements: the statistics of x; the same as adapting on the whole tensor.
  layers::Normalization pairs, whole;
  pairs->adapt(Dataset::from_tensor_slices({x, ops::zeros({37})}).batch(5));
  whole->adapt(x);
  EXPECT_TRUE(all_close(pairs->adapt_mean().value(), whole->adapt_mean().value(), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(pairs->adapt_variance().value(), whole->adapt_variance().value(), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(whole->adapt_variance().value(), fx("normds_var"), 1e-6, 1e-6));

  // Unbatched rank-1 elements are batched by 128 first, as Keras does with a tf.data.Dataset.
  layers::Normalization rows;
  rows->adapt(Dataset::from_tensor_slices({x}));
  EXPECT_EQ(rows->adapt_mean().shape(), Shape({4}));
  EXPECT_TRUE(all_close(rows->adapt_mean().value(), fx("normds_mean"), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(rows->adapt_variance().value(), fx("normds_var"), 1e-6, 1e-6));

  // A built layer adapts on batches of any size (the kept axes must match), and the streamed
  // statistics of integer data (cast to float32, as Keras converts batches) are exact here.
  layers::Normalization ints({.axis = {}});
  ints->adapt(Dataset::from_tensor_slices({Tensor(std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7}, Shape{7, 1})}).batch(3));
  EXPECT_NEAR(ints->adapt_mean().value().item<float>(), 4.0, 1e-6);
  EXPECT_NEAR(ints->adapt_variance().value().item<float>(), 4.0, 1e-6);  // sum (k - 4)^2 / 7 = 28 / 7
}

TEST(PreprocessingNormalization, FixedStatisticsMatchKeras) {
  const Tensor mean({1.f, 2.f, 3.f}), var({4.f, 0.25f, 9.f});
  layers::Normalization fixed({.mean = mean, .variance = var});
  EXPECT_TRUE(all_close(fixed(fx("normfix_q")), fx("normfix_y"), 1e-6, 1e-6));
  EXPECT_TRUE(fixed->weights().empty());
  layers::Normalization inv({.mean = mean, .variance = var, .invert = true});
  EXPECT_TRUE(all_close(inv(fx("normfix_q")), fx("normfix_inv_y"), 1e-6, 1e-6));
  // Hand-worked: (1 - 1) / 2 = 0, (2.5 - 2) / 0.5 = 1, (-3 - 3) / 3 = -2.
  EXPECT_EQ(ops::slice(fixed(fx("normfix_q")), {0, 0}, {1, 3}).to_vector<float>(),
            (std::vector<float>{0.f, 1.f, -2.f}));
  // A (4,) mean for axis (1, 2) of (2, 3, 4) inputs broadcasts from the right.
  layers::Normalization right(
      {.axis = {1, 2}, .mean = Tensor({0.5f, -1.f, 2.f, 0.f}), .variance = Tensor({1.f, 4.f, 0.5f, 2.f})});
  EXPECT_TRUE(all_close(right(fx("normfix3_q")), fx("normfix3_y"), 1e-6, 1e-6));
  EXPECT_EQ(right->mean().shape(), Shape({1, 3, 4}));
  layers::Normalization scalar({.axis = {}, .mean = Tensor::scalar(2.0), .variance = Tensor::scalar(4.0)});
  EXPECT_TRUE(all_close(scalar(fx("normfix_q")), fx("normscalar_y"), 1e-6, 1e-6));
  // A zero variance divides by epsilon (1e-7), not by zero.
  layers::Normalization zero_var({.axis = {}, .mean = Tensor::scalar(1.0), .variance = Tensor::scalar(0.0)});
  EXPECT_NEAR(zero_var(Tensor({1.5f})).item<float>(), 0.5 / 1e-7, 1.0);
}

TEST(PreprocessingNormalization, IsDifferentiableWithRespectToItsInput) {
  layers::Normalization norm;
  norm->adapt(fx("norm_x"));
  const Tensor g = grad_of_weighted_sum(norm, fx("norm_q"), fx("norm_gradw"), false, nullptr);
  EXPECT_TRUE(all_close(g, fx("norm_grad"), 1e-5, 1e-7));
  // float64, finite differences, invert mode and fixed statistics too.
  layers::Normalization inv64({.invert = true, .dtype = DType::float64});
  inv64->adapt(keras::testing::uniform({6, 3}, -2.0, 2.0, 3));
  EXPECT_TRUE(keras::testing::check_gradients([&](const keras::testing::inputs& xs) { return inv64(xs[0]); },
                                              {keras::testing::uniform({2, 3}, -1.0, 1.0, 4)}));
  layers::Normalization fixed64(
      {.mean = Tensor::scalar(0.5), .variance = Tensor::scalar(2.0), .dtype = DType::float64});
  EXPECT_TRUE(keras::testing::check_gradients([&](const keras::testing::inputs& xs) { return fixed64(xs[0]); },
                                              {keras::testing::uniform({2, 3}, -1.0, 1.0, 5)}));
  // The statistics are not trainable.
  EXPECT_TRUE(norm->trainable_weights().empty());
}

TEST(PreprocessingNormalization, WeightsDriveTheOutputAndItWorksInAModel) {
  // Unadapted: mean 0 and variance 1, the identity.
  layers::Normalization norm;
  const Tensor q = fx("norm_q");
  EXPECT_TRUE(all_close(norm(q), q, 0, 0));
  // set_weights (what loading a weights file does) takes effect at once.
  norm->set_weights({fx("norm_mean"), fx("norm_var"), Tensor::scalar<int32_t>(0)});
  EXPECT_TRUE(all_close(norm(q), fx("norm_y"), 1e-5, 1e-5));

  layers::Normalization in_model;
  in_model->adapt(fx("norm_x"));
  keras::Sequential model({layers::Input({5}), in_model});
  EXPECT_TRUE(all_close(model.predict(q, {.verbose = 0}), fx("norm_y"), 1e-5, 1e-5));
  EXPECT_EQ(model.compute_output_shape({-1, 5}), Shape({-1, 5}));
}

TEST(PreprocessingNormalization, ConfigMatchesKeras) {
  keras::utils::clear_session();
  layers::Normalization norm;
  auto c = norm->get_config();
  EXPECT_EQ(c["name"], "normalization");
  expect_config_like_keras(c, "cfg_normalization");
  layers::Normalization fixed({.axis = {1, 2},
                               .mean = Tensor(std::vector<float>{1.f, 2.f}, Shape{1, 2}),
                               .variance = Tensor(std::vector<float>{3.f, 4.f}, Shape{1, 2}),
                               .invert = true});
  expect_config_like_keras(fixed->get_config(), "cfg_normalization_fixed");
  EXPECT_EQ(layers::Normalization({.axis = {}, .mean = Tensor::scalar(0.1f), .variance = Tensor::scalar(2.0)})
                ->get_config()["mean"],
            0.1);  // a float32 value reads as the number written
}

TEST(PreprocessingNormalization, ErrorsLikeKeras) {
  expect_error<keras::ValueError>([] { layers::Normalization({.mean = Tensor::scalar(3.0)}); },
                                  "When setting values directly, both `mean` and `variance` must be set. Received: "
                                  "mean=3.0 and variance=None");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization({.mean = Tensor({1.f, 2.f}), .variance = Tensor({1.f, 2.f, 3.f})});
      },
      "`mean` and `variance` must have the same shape. Received: mean shape (2,) and variance shape (3,)");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization({.mean = ops::ones({2, 3}), .variance = ops::ones({2, 3})});
      },
      "The rank of `mean` must be less than or equal to the number of axes (1). Received: mean shape (2, 3) for axis "
      "(-1,)");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization({.axis = {5}})(ops::ones({2, 3}));
      },
      "All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=2, "
      "while axis=(5,)");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization norm({.axis = {0, 1}});
        norm->maybe_build({-1, 3});
      },
      "All `axis` values to be kept must have a known shape. Received axis=(0, 1), inputs.shape=(None, 3), with "
      "unknown axis at index 0");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization norm;
        norm->adapt(ops::ones({4, 3}));
        norm->adapt(ops::ones({4, 2}));
      },
      "The layer was built with input_shape=(4, 3), but adapt() is being called with data with an incompatible "
      "shape, data.shape=(4, 2)");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization norm;
        norm->adapt(Dataset::from_tensors({ops::ones({4, 3})}).concatenate(Dataset::from_tensors({ops::ones({4, 2})})));
      },
      "adapt() yielded a batch with incompatible shape. Expected (None, 3), got (4, 2).");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization norm;
        norm->adapt(Dataset::from_tensor_slices({ops::ones({4, 3})}).take(0));
      },
      "adapt() received an empty iterable (no batches).");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization norm;
        norm->adapt(Dataset::from_tensors({ops::ones({4, 3})}).repeat());
      },
      "infinite dataset");
  expect_error<keras::ValueError>(
      [] {
        layers::Normalization norm({.mean = Tensor::scalar(1.0), .variance = Tensor::scalar(1.0)});
        norm->adapt(ops::ones({4, 3}));
      },
      "adapt() cannot be used on a Normalization layer given fixed `mean` and `variance`");
}

// ---- RandomFlip ---------------------------------------------------------------------------------------

namespace {

// x[b] flipped (channels_last, or channels_first), by indexing (independent of ops::flip).
std::vector<float> flip_sample(const std::vector<float>& x, int b, int H, int W, int C, bool horiz, bool vert,
                               bool channels_first = false) {
  std::vector<float> out;
  auto at = [&](int h, int w, int c) {
    const size_t i = channels_first ? static_cast<size_t>(((b * C + c) * H + h) * W + w)
                                    : static_cast<size_t>(((b * H + h) * W + w) * C + c);
    return x[i];
  };
  if (channels_first) {
    for (int c = 0; c < C; ++c)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w) out.push_back(at(vert ? H - 1 - h : h, horiz ? W - 1 - w : w, c));
  } else {
    for (int h = 0; h < H; ++h)
      for (int w = 0; w < W; ++w)
        for (int c = 0; c < C; ++c) out.push_back(at(vert ? H - 1 - h : h, horiz ? W - 1 - w : w, c));
  }
  return out;
}

std::vector<float> sample_of(const std::vector<float>& y, int b, size_t per) {
  return {y.begin() + static_cast<std::ptrdiff_t>(b * per), y.begin() + static_cast<std::ptrdiff_t>((b + 1) * per)};
}

}  // namespace

TEST(PreprocessingRandomFlip, IdentityInInferenceAsInKeras) {
  layers::RandomFlip flip({.seed = 1});
  EXPECT_TRUE(all_close(flip(fx("img_x"), false), fx("flip_inf_y"), 0, 0));
  EXPECT_TRUE(all_close(flip(fx("img_x")), fx("img_x"), 0, 0));  // no flag, no enclosing call: inference
  // Integer images come out as float32 (the layer's dtype), as in Keras.
  const Tensor ints = ops::cast(ops::arange(0, 24), DType::uint8);
  const Tensor y = flip(ops::reshape(ints, {1, 2, 4, 3}), false);
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_EQ(y.to_vector<float>(), ops::cast(ints, DType::float32).to_vector<float>());
  EXPECT_EQ(flip->count_params(), 0);
  EXPECT_EQ(flip->compute_output_shape({-1, 4, 5, 3}), Shape({-1, 4, 5, 3}));
}

TEST(PreprocessingRandomFlip, EachImageIsAnAllowedFlipAndBothOutcomesOccur) {
  const int B = 32, H = 3, W = 4, C = 2;
  const size_t per = static_cast<size_t>(H * W * C);
  const Tensor x = distinct_images({B, H, W, C});
  const auto xv = x.to_vector<float>();
  for (std::string mode : {"horizontal", "vertical", "horizontal_and_vertical"}) {
    SCOPED_TRACE(mode);
    const bool horiz = mode != "vertical", vert = mode != "horizontal";
    layers::RandomFlip flip({.mode = mode, .seed = 42});
    const auto yv = flip(x, true).to_vector<float>();
    int flipped = 0;
    for (int b = 0; b < B; ++b) {
      const auto got = sample_of(yv, b, per);
      // Keras draws one decision per image: flipped on every axis of the mode, or unchanged.
      const bool same = got == flip_sample(xv, b, H, W, C, false, false);
      const bool is_flip = got == flip_sample(xv, b, H, W, C, horiz, vert);
      EXPECT_TRUE(same || is_flip) << "image " << b;
      flipped += is_flip;
    }
    EXPECT_GT(flipped, 4);
    EXPECT_LT(flipped, 28);
  }
  // A single image (rank 3) and channels_first.
  layers::RandomFlip single({.mode = "horizontal", .seed = 3});
  const Tensor img = distinct_images({H, W, C});
  std::set<bool> outcomes;
  for (int i = 0; i < 16; ++i) {
    const auto got = single(img, true).to_vector<float>();
    const auto iv = img.to_vector<float>();
    const bool is_flip = got == flip_sample(iv, 0, H, W, C, true, false);
    EXPECT_TRUE(is_flip || got == iv);
    outcomes.insert(is_flip);
  }
  EXPECT_EQ(outcomes.size(), 2u);
  layers::RandomFlip first({.mode = "vertical", .seed = 9, .data_format = "channels_first"});
  const Tensor xc = distinct_images({B, C, H, W});
  const auto xcv = xc.to_vector<float>();
  const auto ycv = first(xc, true).to_vector<float>();
  int flipped = 0;
  for (int b = 0; b < B; ++b) {
    const auto got = sample_of(ycv, b, per);
    const bool is_flip = got == flip_sample(xcv, b, H, W, C, false, true, true);
    EXPECT_TRUE(is_flip || got == flip_sample(xcv, b, H, W, C, false, false, true)) << "image " << b;
    flipped += is_flip;
  }
  EXPECT_GT(flipped, 4);
  EXPECT_LT(flipped, 28);
}

TEST(PreprocessingRandomFlip, DeterministicForASeedAndGradientsFlipBack) {
  const Tensor x = distinct_images({32, 3, 4, 2});
  layers::RandomFlip a({.seed = 7}), b({.seed = 7});
  const Tensor ya = a(x, true);
  const Tensor ya2 = a(x, true);
  EXPECT_TRUE(all_close(b(x, true), ya, 0, 0));
  EXPECT_FALSE(all_close(ya2, ya, 0, 0));  // the generator advances between calls
  ASSERT_EQ(a->own_seed_generators().size(), 1u);
  EXPECT_EQ(a->own_seed_generators()[0]->state(), 2u);
  EXPECT_TRUE(all_close(a(x, false), x, 0, 0));
  EXPECT_EQ(a->own_seed_generators()[0]->state(), 2u);  // inference draws nothing
  // Resuming from a saved generator state replays the same draws.
  layers::RandomFlip c({.seed = 7});
  c->own_seed_generators()[0]->set_state(1);
  EXPECT_TRUE(all_close(c(x, true), ya2, 0, 0));

  // d sum(y * w) / dx is w put back through the same flips: for a permutation, g = P^T w.
  layers::RandomFlip d({.seed = 11}), twin({.seed = 11});
  const Tensor w = keras::testing::uniform({32, 3, 4, 2}, 0.5, 1.5, 2, DType::float32);
  Tensor y;
  const Tensor g = grad_of_weighted_sum(d, x, w, true, &y);
  EXPECT_TRUE(all_close(g, twin(w, true), 0, 0));  // each flip is its own inverse
}

TEST(PreprocessingRandomFlip, ConfigAndErrors) {
  keras::utils::clear_session();
  layers::RandomFlip flip({.mode = "horizontal", .seed = 3});
  EXPECT_EQ(flip->get_config()["name"], "random_flip");
  expect_config_like_keras(flip->get_config(), "cfg_random_flip");
  EXPECT_TRUE(layers::RandomFlip()->get_config()["seed"].is_null());
  EXPECT_EQ(layers::RandomFlip()->get_config()["mode"], "horizontal_and_vertical");
  expect_error<keras::ValueError>([] { layers::RandomFlip("diagonal"); }, "received an unknown mode argument diagonal");
  expect_error<keras::ValueError>([] { layers::RandomFlip({.data_format = "NHWC"}); },
                                  "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                                  "Received: data_format=NHWC");
  expect_error<keras::ValueError>(
      [] {
        layers::RandomFlip()(ops::ones({2, 3}), true);
      },
      "Expected image tensor to have rank 3 (single image) or rank 4 (batch of images). "
      "Received: data.shape=(2, 3)");
}

// ---- RandomCrop ---------------------------------------------------------------------------------------

TEST(PreprocessingRandomCrop, DeterministicTrainingPathsMatchKeras) {
  // Inputs not larger than the target in both dimensions take Keras' deterministic path.
  const Tensor x = fx("img_x");  // (2, 4, 5, 3)
  EXPECT_TRUE(all_close(layers::RandomCrop(4, 5)(x, true), fx("crop_eq_y"), 0, 0));
  EXPECT_TRUE(all_close(layers::RandomCrop(4, 5)(x, true), x, 0, 0));  // same size: the identity
  EXPECT_TRUE(all_close(layers::RandomCrop(4, 3)(x, true), fx("crop_tall_y"), 0, 0));
  // (4, 3) of a 4 x 5 image: columns 1..3, by hand.
  EXPECT_TRUE(all_close(layers::RandomCrop(4, 3)(x, true), ops::slice(x, {0, 0, 1, 0}, {2, 4, 3, 3}), 0, 0));
  EXPECT_TRUE(all_close(layers::RandomCrop(6, 2)(x, true), fx("crop_up_y"), 1e-6, 1e-4));
  const Tensor small = layers::RandomCrop(3, 3)(fx("imgs_x"), true);
  EXPECT_TRUE(all_close(small, fx("crop_small_y"), 1e-6, 1e-5));
  // Hand-worked: rows {0..4} and {5..9} of image 0, columns 1..3, upsampled 2 -> 3 rows
  // (half-pixel centres: the middle row is the mean of the two).
  EXPECT_EQ(ops::slice(small, {0, 0, 0, 0}, {1, 3, 3, 1}).to_vector<float>(),
            (std::vector<float>{1, 2, 3, 3.5, 4.5, 5.5, 6, 7, 8}));
}

TEST(PreprocessingRandomCrop, InferenceIsKerasCentredAspectCropAndResize) {
  layers::RandomCrop eq(4, 5), large(4, 4), odd(3, 5), small(3, 3);
  EXPECT_TRUE(all_close(eq(fx("img_x"), false), fx("crop_inf_eq_y"), 0, 0));
  EXPECT_TRUE(all_close(large(fx("imgl_x"), false), fx("crop_inf_l_y"), 1e-5, 1e-6));
  EXPECT_TRUE(all_close(odd(fx("imgo_x"), false), fx("crop_inf_o_y"), 1e-5, 1e-6));
  EXPECT_TRUE(all_close(small(fx("imgs_x"), false), fx("crop_inf_small_y"), 1e-5, 1e-5));
  EXPECT_TRUE(all_close(large(fx("imgl_x")), fx("crop_inf_l_y"), 1e-5, 1e-6));  // no flag: inference
  EXPECT_EQ(large->compute_output_shape({-1, 8, 10, 3}), Shape({-1, 4, 4, 3}));
  EXPECT_EQ(large->compute_output_shape({8, 10, 3}), Shape({4, 4, 3}));
  // Hand-worked: a 2 x 2 crop of a 4 x 4 ramp halves it, each output the mean of a 2 x 2 block
  // (bilinear at half-pixel centres, no antialiasing).
  const Tensor ramp = ops::reshape(ops::arange(0.0, 16.0, 1.0, DType::float32), {1, 4, 4, 1});
  EXPECT_EQ(layers::RandomCrop(2, 2)(ramp, false).to_vector<float>(), (std::vector<float>{2.5f, 4.5f, 10.5f, 12.5f}));
  // channels_first gives the transposed result.
  layers::RandomCrop first({.height = 3, .width = 5, .data_format = "channels_first"});
  const Tensor xc = ops::transpose(fx("imgo_x"), std::vector<int64_t>{0, 3, 1, 2});
  EXPECT_TRUE(
      all_close(first(xc, false), ops::transpose(fx("crop_inf_o_y"), std::vector<int64_t>{0, 3, 1, 2}), 1e-5, 1e-6));
  // Differentiable (float64, finite differences).
  layers::RandomCrop crop64({.height = 3, .width = 5, .dtype = DType::float64});
  EXPECT_TRUE(keras::testing::check_gradients([&](const keras::testing::inputs& xs) { return crop64(xs[0], false); },
                                              {keras::testing::uniform({1, 7, 9, 2}, -1.0, 1.0, 6)}));
}

TEST(PreprocessingRandomCrop, TrainingCropsOneRandomWindowPerBatch) {
  const int64_t B = 3, H = 8, W = 10, C = 2, h = 4, w = 5;
  const Tensor x = distinct_images({B, H, W, C});
  layers::RandomCrop crop({.height = h, .width = w, .seed = 5}), twin({.height = h, .width = w, .seed = 5});
  std::set<std::pair<int64_t, int64_t>> windows;
  for (int call = 0; call < 40; ++call) {
    const Tensor y = crop(x, true);
    ASSERT_EQ(y.shape(), Shape({B, h, w, C}));
    EXPECT_TRUE(all_close(twin(x, true), y, 0, 0));  // deterministic for the seed
    // The window: the first value of image 0 locates it; every image is cut at the same place.
    const float v = y.to_vector<float>()[0];
    const auto flat = static_cast<int64_t>((v - 1.f) / 0.5f) / C;  // index of (h0, w0) in image 0
    const int64_t h0 = flat / W, w0 = flat % W;
    ASSERT_LE(h0, H - h);
    ASSERT_LE(w0, W - w);
    EXPECT_TRUE(all_close(y, ops::slice(x, {0, h0, w0, 0}, {B, h, w, C}), 0, 0));
    windows.insert({h0, w0});
  }
  EXPECT_GT(windows.size(), 10u);  // 5 x 6 possible positions
  std::set<int64_t> rows, cols;
  for (auto [r, c] : windows) rows.insert(r), cols.insert(c);
  EXPECT_TRUE(rows.count(0) && rows.count(H - h));  // both ends are reachable
  EXPECT_TRUE(cols.count(0) && cols.count(W - w));
  EXPECT_EQ(crop->own_seed_generators().size(), 1u);

  // The gradient of sum(y) is 1 inside the window and 0 outside.
  layers::RandomCrop g_crop({.height = h, .width = w, .seed = 8}), g_twin({.height = h, .width = w, .seed = 8});
  Tensor y;
  const Tensor g = grad_of_weighted_sum(g_crop, x, ops::ones({B, h, w, C}), true, &y);
  EXPECT_TRUE(all_close(ops::sum(g), ops::full({}, static_cast<double>(B * h * w * C)), 0, 0));
  EXPECT_TRUE(all_close(ops::sum(g * x), ops::sum(y), 1e-5, 0));
  EXPECT_TRUE(all_close(g_twin(x, true), y, 0, 0));

  // In a model: fit-time crops, inference-time resize, both of the declared shape.
  keras::Sequential model({layers::Input({H, W, C}), layers::RandomCrop({.height = h, .width = w, .seed = 1})});
  EXPECT_EQ(model.compute_output_shape({-1, H, W, C}), Shape({-1, h, w, C}));
  EXPECT_EQ(model.predict(x, {.verbose = 0}).shape(), Shape({B, h, w, C}));
  EXPECT_EQ(model(x, true).shape(), Shape({B, h, w, C}));
}

TEST(PreprocessingRandomCrop, ConfigAndErrors) {
  keras::utils::clear_session();
  layers::RandomCrop crop({.height = 2, .width = 3, .seed = 5});
  EXPECT_EQ(crop->get_config()["name"], "random_crop");
  expect_config_like_keras(crop->get_config(), "cfg_random_crop");
  // Without a seed Keras reports the default seed it drew: an integer.
  EXPECT_TRUE(layers::RandomCrop(2, 3)->get_config()["seed"].is_number_integer());
  expect_error<keras::ValueError>([] { layers::RandomCrop(0, 3); },
                                  "`height` and `width` must be positive integers. Received: height=0, width=3");
  expect_error<keras::ValueError>([] { layers::RandomCrop({.height = 2, .width = -1}); }, "width=-1");
  expect_error<keras::ValueError>(
      [] {
        layers::RandomCrop(2, 3)(ops::ones({5, 5}), true);
      },
      "Expected image tensor to have rank 3 (single image) or rank 4 (batch of images). "
      "Received: data.shape=(5, 5)");
  expect_error<keras::ValueError>([] { layers::RandomCrop({.height = 2, .width = 3, .data_format = "nchw"}); },
                                  "Received: data_format=nchw");
}

// ---- CategoryEncoding ---------------------------------------------------------------------------------

TEST(PreprocessingCategoryEncoding, OutputsMatchKeras) {
  layers::CategoryEncoding multi(6), count(6, "count"), onehot(6, "one_hot");
  EXPECT_TRUE(all_close(multi(fx("ce_x2")), fx("ce_multi2_y"), 0, 0));
  EXPECT_TRUE(all_close(multi(fx("ce_x1")), fx("ce_multi1_y"), 0, 0));
  EXPECT_TRUE(all_close(count(fx("ce_x2")), fx("ce_count2_y"), 0, 0));
  EXPECT_TRUE(all_close(count->call(fx("ce_x2"), fx("ce_w")), fx("ce_countw_y"), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(onehot(fx("ce_x1")), fx("ce_onehot1_y"), 0, 0));
  EXPECT_TRUE(all_close(onehot(fx("ce_xcol")), fx("ce_onehotcol_y"), 0, 0));
  EXPECT_TRUE(all_close(onehot(fx("ce_x2")), fx("ce_onehot2_y"), 0, 0));
  EXPECT_TRUE(all_close(multi(Tensor::scalar<int64_t>(2)), fx("ce_scalar_multi_y"), 0, 0));
  EXPECT_TRUE(all_close(onehot(Tensor::scalar<int64_t>(2)), fx("ce_scalar_onehot_y"), 0, 0));
  // Hand-worked: tokens {5, 5, 5} count 3 at index 5.
  EXPECT_EQ(ops::slice(count(fx("ce_x2")), {1, 0}, {1, 6}).to_vector<float>(), (std::vector<float>{0, 0, 0, 0, 0, 3}));
  EXPECT_EQ(multi(fx("ce_x2")).dtype(), DType::float32);
  // int32 and float inputs holding whole numbers encode the same.
  EXPECT_TRUE(all_close(multi(ops::cast(fx("ce_x2"), DType::int32)), fx("ce_multi2_y"), 0, 0));
  EXPECT_TRUE(all_close(count(ops::cast(fx("ce_x2"), DType::float32)), fx("ce_count2_y"), 0, 0));
  // count_weights are differentiable: each weight lands in one output cell.
  keras::GradientTape tape;
  const Tensor w = fx("ce_w");
  tape.watch(w);
  const Tensor y = count->call(fx("ce_x2"), w);
  EXPECT_TRUE(all_close(tape.gradient(ops::sum(y), {w})[0], ops::ones({4, 3}), 0, 0));
}

TEST(PreprocessingCategoryEncoding, OutputShapesAsKerasComputesThem) {
  layers::CategoryEncoding multi(6), onehot(6, "one_hot");
  EXPECT_EQ(multi->compute_output_shape({-1, 3}), Shape({-1, 6}));
  EXPECT_EQ(multi->compute_output_shape({5}), Shape({6}));
  EXPECT_EQ(multi->compute_output_shape({}), Shape({6}));
  EXPECT_EQ(onehot->compute_output_shape({-1, 1}), Shape({-1, 6}));
  EXPECT_EQ(onehot->compute_output_shape({-1, 3}), Shape({-1, 3, 6}));
  EXPECT_EQ(onehot->compute_output_shape({1}), Shape({1, 6}));
  keras::Sequential model({layers::Input({3}, {.dtype = DType::int64}), layers::CategoryEncoding(6, "count")});
  EXPECT_TRUE(all_close(model.predict(fx("ce_x2"), {.verbose = 0}), fx("ce_count2_y"), 0, 0));
}

TEST(PreprocessingCategoryEncoding, ConfigAndErrors) {
  keras::utils::clear_session();
  layers::CategoryEncoding enc(4, "count");
  EXPECT_EQ(enc->get_config()["name"], "category_encoding");
  expect_config_like_keras(enc->get_config(), "cfg_category_encoding");
  EXPECT_EQ(layers::CategoryEncoding(3, "binary")->get_config()["output_mode"], "multi_hot");
  expect_error<keras::ValueError>([] { layers::CategoryEncoding(4, "tf_idf"); }, "Unknown arg for output_mode: tf_idf");
  expect_error<keras::ValueError>([] { layers::CategoryEncoding(layers::CategoryEncodingOptions{}); },
                                  "num_tokens must be set to use this layer. If the number of tokens is not known "
                                  "beforehand, use the IntegerLookup layer instead.");
  expect_error<keras::ValueError>([] { layers::CategoryEncoding(0); },
                                  "`num_tokens` must be >= 1. Received: num_tokens=0.");
  expect_error<keras::NotImplementedError>([] { layers::CategoryEncoding({.num_tokens = 4, .sparse = true}); },
                                           "CategoryEncoding(sparse=true) is not supported");
  for (std::string mode : {"multi_hot", "count", "one_hot"}) {
    SCOPED_TRACE(mode);
    expect_error<keras::ValueError>(
        [&] {
          layers::CategoryEncoding(4, mode)(Tensor(std::vector<int64_t>{0, 3, 4}, Shape{3}));
        },
        "Input values must be in the range 0 <= values < num_tokens with num_tokens=4. Received values from 0 to 4.");
    expect_error<keras::ValueError>(
        [&] {
          layers::CategoryEncoding(4, mode)(Tensor(std::vector<int64_t>{-1, 2}, Shape{2}));
        },
        "Input values must be in the range 0 <= values < num_tokens with num_tokens=4. Received values from -1 to 2.");
  }
  expect_error<keras::ValueError>([&] { layers::CategoryEncoding(4)->call(fx("ce_x2"), fx("ce_w")); },
                                  "`count_weights` is not used when `output_mode` is not `'count'`.");
  expect_error<keras::ValueError>(
      [] {
        layers::CategoryEncoding(4)(ops::zeros({2, 3, 4}, DType::int32));
      },
      "When output_mode is not `'int'`, maximum supported output rank is 2. Received output_mode multi_hot and input "
      "shape (2, 3, 4), which would result in output rank 3.");
}
