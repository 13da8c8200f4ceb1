// Convolution and pooling layers: parameter counts and output shapes equal Keras' for reference
// architectures (the numbers were printed by Keras 3.15 for the same Sequential models), configs,
// causal padding, and Keras-worded errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/expect_error.hpp"
#include "keras/keras.hpp"

namespace layers = keras::layers;
namespace ops = keras::ops;
using keras::Shape;
using keras::Tensor;

namespace {

// Builds the model, runs a batch of 2 through it and checks each layer's output shape.
void expect_model(std::vector<keras::LayerHandle> stack, const Shape& input, int64_t params,
                  const std::vector<Shape>& shapes) {
  stack.insert(stack.begin(), layers::Input(input));
  keras::Sequential m(stack);
  EXPECT_EQ(m.count_params(), params);
  ASSERT_EQ(m.output_shapes().size(), shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) EXPECT_EQ(m.output_shapes()[i], shapes[i]) << "layer " << i;
  std::vector<int64_t> dims = {2};
  for (int64_t d : input) dims.push_back(d);
  Tensor y = m.predict(ops::ones(Shape(dims)), {.verbose = 0});
  Shape want = shapes.back();
  want[0] = 2;
  EXPECT_EQ(y.shape(), want);
}

}  // namespace

TEST(ConvLayers, W3CnnMatchesKeras) {
  expect_model({layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(64, 3, "relu"),
                layers::MaxPooling2D(2), layers::Flatten(), layers::Dense(128, "relu"), layers::Dense(10)},
               {28, 28, 1}, 225034,
               {{-1, 26, 26, 32}, {-1, 13, 13, 32}, {-1, 11, 11, 64}, {-1, 5, 5, 64}, {-1, 1600}, {-1, 128}, {-1, 10}});
}

TEST(ConvLayers, StridesSameDepthwiseSeparableTransposeMatchKeras) {
  expect_model({layers::Conv2D({.filters = 16, .kernel_size = 5, .strides = 2, .padding = "same"}),
                layers::DepthwiseConv2D({.kernel_size = 3, .depth_multiplier = 2}),
                layers::SeparableConv2D({.filters = 8, .kernel_size = 3, .padding = "same"}),
                layers::Conv2DTranspose({.filters = 4, .kernel_size = 3, .strides = 2}), layers::AveragePooling2D(2),
                layers::GlobalAveragePooling2D()},
               {32, 32, 3}, 2380,
               {{-1, 16, 16, 16}, {-1, 14, 14, 32}, {-1, 14, 14, 8}, {-1, 29, 29, 4}, {-1, 14, 14, 4}, {-1, 4}});
}

TEST(ConvLayers, GroupsDilationAndKeepdimsMatchKeras) {
  expect_model({layers::Conv2D({.filters = 8, .kernel_size = 3, .dilation_rate = 2, .groups = 4}),
                layers::GlobalMaxPooling2D({.keepdims = true})},
               {20, 20, 4}, 80, {{-1, 16, 16, 8}, {-1, 1, 1, 8}});
}

TEST(ConvLayers, OneDimensionalAndCausalMatchKeras) {
  expect_model({layers::Conv1D({.filters = 6, .kernel_size = 3, .padding = "causal"}), layers::MaxPooling1D(2),
                layers::Conv1D({.filters = 4, .kernel_size = 2, .strides = 2}),
                layers::Conv1DTranspose({.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same"}),
                layers::GlobalAveragePooling1D()},
               {17, 5}, 187, {{-1, 17, 6}, {-1, 8, 6}, {-1, 4, 4}, {-1, 8, 3}, {-1, 3}});
}

TEST(ConvLayers, CausalPaddingLooksOnlyBackward) {
  // A causal Conv1D with an all-ones kernel of size 3 sums x[t-2..t]: output t never sees t+1.
  auto conv = layers::Conv1D(
      {.filters = 1, .kernel_size = 3, .padding = "causal", .use_bias = false, .kernel_initializer = "ones"});
  Tensor x = ops::reshape(ops::arange(1, 6), {1, 5, 1});
  Tensor y = conv(x);
  EXPECT_EQ(y.shape(), Shape({1, 5, 1}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 3, 6, 9, 12}));
}

TEST(ConvLayers, WeightsConfigAndErrors) {
  auto conv = layers::Conv2D({.filters = 4, .kernel_size = {3, 2}, .strides = {1, 2}, .padding = "same"});
  conv(ops::ones({1, 6, 6, 3}));
  ASSERT_EQ(conv->weights().size(), 2u);
  EXPECT_EQ(conv->weights()[0].name(), "kernel");
  EXPECT_EQ(conv->weights()[0].shape(), Shape({3, 2, 3, 4}));
  EXPECT_EQ(conv->weights()[1].shape(), Shape({4}));
  const auto c = conv->get_config();
  EXPECT_EQ(c["kernel_size"], nlohmann::json({3, 2}));
  EXPECT_EQ(c["strides"], nlohmann::json({1, 2}));
  EXPECT_EQ(c["padding"], "same");
  EXPECT_EQ(c["groups"], 1);
  EXPECT_EQ(c["data_format"], "channels_last");
  auto t = layers::Conv2DTranspose(5, 3);
  t(ops::ones({1, 4, 4, 2}));
  EXPECT_EQ(t->weights()[0].shape(), Shape({3, 3, 5, 2}));  // (k, k, filters, in) as Keras stores it

  expect_error<keras::ValueError>([] { layers::Conv2D(0, 3); },
                                  "Expected a strictly positive value. Received filters=0");
  expect_error<keras::ValueError>([] { layers::Conv2D({.filters = 6, .kernel_size = 3, .groups = 4}); },
                                  "The number of filters must be evenly divisible by the number of groups");
  expect_error<keras::ValueError>(
      [] {
        layers::Conv2D({.filters = 4, .kernel_size = {3, 3, 3}});
      },
      "must be a tuple of 2 integers");
  expect_error<keras::ValueError>([] { layers::Conv2D({.filters = 4, .kernel_size = 3, .padding = "full"}); },
                                  "Received: padding=full");
  expect_error<keras::ValueError>([] { layers::MaxPooling2D({.pool_size = 2, .data_format = "nhwc"}); }, "data_format");
  auto grouped = layers::Conv2D({.filters = 4, .kernel_size = 1, .groups = 2});
  expect_error<keras::ValueError>(
      [&] {
        grouped(ops::ones({1, 3, 3, 3}));
      },
      "The number of input channels must be evenly divisible by the number of groups");
  auto conv2 = layers::Conv2D(2, 3);
  expect_error<keras::ValueError>([&] { conv2(ops::ones({1, 6, 3})); }, "expected ndim=4, found ndim=3");
}
