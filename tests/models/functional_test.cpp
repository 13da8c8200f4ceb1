// The Functional API: keras::Input, layer calls recorded on symbolic tensors,
// keras::Model(inputs, outputs), shared layers, nested models, summaries; and
// the merging layers (hand-worked values, finite differences, Keras' errors).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <keras/keras.hpp>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "harness/temp_dir.hpp"

namespace {

using keras::Tensor;
namespace layers = keras::layers;
namespace ops = keras::ops;
using keras::testing::all_close;

class Functional : public ::testing::Test {
 protected:
  void SetUp() override {
    keras::utils::clear_session();
    keras::utils::set_random_seed(7);
  }
};

TEST_F(Functional, InputIsSymbolicWithBatchAxis) {
  Tensor x = keras::Input({784});
  EXPECT_TRUE(x.is_symbolic());
  EXPECT_EQ(x.shape(), keras::Shape({-1, 784}));
  Tensor i = keras::Input({3}, {.batch_size = 8, .dtype = keras::int32, .name = "ids"});
  EXPECT_EQ(i.shape(), keras::Shape({8, 3}));
  EXPECT_EQ(i.dtype(), keras::int32);
  Tensor h = layers::Dense(64, "relu")(x);
  EXPECT_TRUE(h.is_symbolic());
  EXPECT_EQ(h.shape(), keras::Shape({-1, 64}));
}

TEST_F(Functional, SingleInputModelEqualsCallingTheLayers) {
  Tensor in = keras::Input({4});
  layers::Dense d1(8, "relu"), d2(3);
  keras::Model model(in, d2(d1(in)));
  EXPECT_TRUE(model.is_functional());
  EXPECT_EQ(model.class_name(), "Functional");
  EXPECT_EQ(model.name(), "functional");
  ASSERT_EQ(model.layers().size(), 3u);  // the InputLayer, then the two Dense layers
  EXPECT_EQ(model.layers()[0]->class_name(), "InputLayer");
  EXPECT_EQ(model.count_params(), 4 * 8 + 8 + 8 * 3 + 3);
  Tensor x = keras::testing::uniform({5, 4}, -1, 1, 3, keras::float32);
  EXPECT_TRUE(all_close(model(x), d2(d1(x)), 0, 0));  // the same computation, bit for bit
  EXPECT_TRUE(all_close(model.predict(x, {.verbose = 0}), d2(d1(x)), 0, 0));
  // Inputs of another dtype are converted, as Keras converts them to the Input's dtype.
  EXPECT_EQ(model(ops::cast(x, keras::float64)).dtype(), keras::float32);
}

TEST_F(Functional, TwoInputsTwoOutputsAsKerasComputes) {
  Tensor a = keras::Input({2}, {.name = "a"}), b = keras::Input({3}, {.name = "b"});
  Tensor joined = layers::Concatenate()({a, b});
  layers::Dense head({.units = 1, .use_bias = false, .kernel_initializer = "ones", .name = "sum"});
  Tensor out1 = head(joined);
  Tensor out2 = layers::Multiply({.name = "prod"})(
      {layers::Dense({.units = 2, .kernel_initializer = "ones", .name = "wide"})(a), a});
  keras::Model model({a, b}, {out1, out2});
  EXPECT_EQ(model.input_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(model.output_names(), (std::vector<std::string>{"sum", "prod"}));
  Tensor xa({{1.f, 2.f}, {-1.f, 0.5f}});
  Tensor xb({{3.f, 4.f, 5.f}, {0.f, 0.f, 1.f}});
  std::vector<Tensor> y = model({xa, xb});
  ASSERT_EQ(y.size(), 2u);
  // out1 = sum of all five features; out2 = (a1 + a2) * a, elementwise.
  EXPECT_TRUE(all_close(y[0], ops::reshape(Tensor({15.f, 0.5f}), {2, 1}), 0, 1e-6));
  EXPECT_TRUE(all_close(y[1], Tensor({{3.f, 6.f}, {0.5f, -0.25f}}), 0, 1e-6));
  expect_error<keras::ValueError>([&] { model(xa); }, "expects 2 input(s), but it received 1");
  keras::Model one_in_two_out(a, {out2, layers::Dense(1)(a)});
  expect_error<keras::ValueError>([&] { one_in_two_out(xa); },
                                  "returns 2 outputs; call it with a list (keras::Tensors{x})");
  EXPECT_EQ(one_in_two_out(keras::Tensors{xa}).size(), 2u);
  expect_error<keras::ValueError>([&] { model(keras::Tensors{xa}); }, "expects 2 input(s)");
  expect_error<keras::ValueError>([&] { model({xb, xa}); }, "expected shape=(None, 2), found shape=(2, 3)");
}

TEST_F(Functional, SummaryMatchesKerasForTwoInputsTwoOutputs) {
  // Keras 3.15.1 (JAX) printed this for the same model (Input names a, b; layer names as auto-named).
  Tensor a = keras::Input({4}, {.name = "a"}), b = keras::Input({3}, {.name = "b"});
  Tensor x = layers::Concatenate()({a, b});
  Tensor h = layers::Dense(8, "relu")(x);
  Tensor o1 = layers::Dense({.units = 1, .name = "reg"})(h);
  Tensor o2 = layers::Dense({.units = 3, .name = "cls"})(h);
  keras::Model m({a, b}, {o1, o2});
  const std::string expected =
      "Model: \"functional\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
      "│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ b (InputLayer)      │ (None, 3)         │          0 │ -                 │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ concatenate         │ (None, 7)         │          0 │ a[0][0], b[0][0]  │\n"
      "│ (Concatenate)       │                   │            │                   │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ dense (Dense)       │ (None, 8)         │         64 │ concatenate[0][0] │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ reg (Dense)         │ (None, 1)         │          9 │ dense[0][0]       │\n"
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
      "│ cls (Dense)         │ (None, 3)         │         27 │ dense[0][0]       │\n"
      "└─────────────────────┴───────────────────┴────────────┴───────────────────┘\n"
      " Total params: 100 (400.00 B)\n"
      " Trainable params: 100 (400.00 B)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  EXPECT_EQ(m.summary_string({.line_length = 76}), expected);
}

TEST_F(Functional, LinearGraphUsesTheSequentialLayout) {
  Tensor in = keras::Input({784});
  keras::Model m(in, layers::Dense(10)(layers::Dense(64, "relu")(in)));
  const std::string s = m.summary_string();
  EXPECT_EQ(s.find("Connected to"), std::string::npos) << s;
  EXPECT_NE(s.find("input_layer (InputLayer)"), std::string::npos) << s;
  EXPECT_NE(s.find("(None, 64)"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 50,890"), std::string::npos) << s;
}

TEST_F(Functional, SharedLayerHasOneSetOfWeightsAndTwoNodes) {
  Tensor a = keras::Input({3}), b = keras::Input({3});
  layers::Dense shared({.units = 2, .name = "shared"});
  Tensor ya = shared(a), yb = shared(b);
  keras::Model m({a, b}, layers::Subtract()({ya, yb}));
  EXPECT_EQ(m.count_params(), 3 * 2 + 2);
  EXPECT_EQ(m.trainable_weights().size(), 2u);
  const std::string s = m.summary_string({.line_length = 140});
  EXPECT_NE(s.find("shared[0][0], shared[1][0]"), std::string::npos) << s;
  // shared(x) - shared(x) == 0; shared(x) - shared(0) == x W.
  Tensor x({{1.f, 2.f, 3.f}});
  EXPECT_TRUE(all_close(m({x, x})[0], Tensor({{0.f, 0.f}}), 0, 1e-6));
  Tensor w = shared->kernel().value();
  EXPECT_TRUE(all_close(m({x, ops::zeros_like(x)})[0], ops::matmul(x, w), 1e-6, 1e-6));
}

TEST_F(Functional, ModelAsALayerOfAnotherModel) {
  Tensor in = keras::Input({4});
  keras::Handle<keras::Model> inner(in, layers::Dense(3, "tanh")(in), keras::ModelOptions{.name = "encoder"});
  Tensor a = keras::Input({4}), b = keras::Input({4});
  Tensor ea = inner(a), eb = inner(b);  // the encoder, shared by both branches
  keras::Model outer({a, b}, layers::Dot(1)({ea, eb}));
  EXPECT_EQ(outer.count_params(), inner->count_params());
  EXPECT_EQ(outer.count_params(), 15);
  Tensor xa = keras::testing::uniform({6, 4}, -1, 1, 1, keras::float32);
  Tensor xb = keras::testing::uniform({6, 4}, -1, 1, 2, keras::float32);
  Tensor expected = ops::sum(ops::multiply(inner(xa), inner(xb)), {1}, true);
  EXPECT_TRUE(all_close(outer({xa, xb})[0], expected, 1e-6, 1e-6));
  const std::string s = outer.summary_string({.line_length = 110});
  EXPECT_NE(s.find("encoder (Functional)"), std::string::npos) << s;
}

TEST_F(Functional, FitTrainsAndMatchesTheSameSequentialModel) {
  Tensor x = keras::testing::uniform({64, 5}, -1, 1, 11, keras::float32);
  Tensor y = ops::sum(x, {1}, true);
  keras::utils::set_random_seed(3);
  Tensor in = keras::Input({5});
  keras::Model f(in, layers::Dense(1)(layers::Dense(8, "relu")(in)));
  keras::utils::set_random_seed(3);
  auto s = keras::Sequential({layers::Input({5}), layers::Dense(8, "relu"), layers::Dense(1)});
  s.set_weights(f.get_weights());
  for (keras::Model* m : {static_cast<keras::Model*>(&f), static_cast<keras::Model*>(&s)})
    m->compile({.optimizer = "adam", .loss = "mse", .metrics = {"mae"}});
  auto hf = f.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0, .shuffle = false});
  auto hs = s.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0, .shuffle = false});
  EXPECT_EQ(hf.history.at("loss"), hs.history.at("loss"));  // the same steps, bit for bit
  EXPECT_LT(hf.history.at("loss").back(), hf.history.at("loss").front());
}

TEST_F(Functional, TrainingFlagReachesLayersAndCanBeFixedInTheGraph) {
  Tensor in = keras::Input({1000});
  Tensor free = layers::Dropout(0.5)(in);
  Tensor fixed = layers::Dropout(0.5)(in, true);  // always dropping, as Keras' dropout(x, training=True)
  keras::Model m(in, {free, fixed});
  Tensor x = ops::ones({2, 1000});
  auto inference = m(keras::Tensors{x}, false);
  EXPECT_TRUE(all_close(inference[0], x, 0, 0));
  const double zeros = ops::mean(ops::cast(ops::equal(inference[1], ops::zeros_like(x)), keras::float32)).item<float>();
  EXPECT_GT(zeros, 0.4);
  EXPECT_LT(zeros, 0.6);
  auto training = m(keras::Tensors{x}, true);
  EXPECT_FALSE(all_close(training[0], x, 0, 0));
}

TEST_F(Functional, GraphErrorsSayWhatToChange) {
  Tensor a = keras::Input({2}, {.name = "a"}), b = keras::Input({2}, {.name = "b"});
  Tensor s = layers::Add()({a, b});
  expect_error<keras::ValueError>([&] { keras::Model m(a, s); },
                                  "depends on the Input 'b', which is not one of the model's inputs");
  expect_error<keras::ValueError>([&] { keras::Model m(ops::ones({1, 2}), s); }, "must be a keras::Input tensor");
  expect_error<keras::ValueError>([&] { keras::Model m(s, s); }, "must be a keras::Input tensor");
  expect_error<keras::ValueError>([&] { keras::Model m({a, b}, ops::ones({1, 2})); }, "output 0 is a concrete tensor");
  Tensor d1 = layers::Dense({.units = 2, .name = "same"})(a);
  Tensor d2 = layers::Dense({.units = 2, .name = "same"})(d1);
  expect_error<keras::ValueError>([&] { keras::Model m(a, d2); }, "The name \"same\" is used 2 times in the model");
  // A layer of one input refuses a list of two.
  expect_error<keras::ValueError>([&] { layers::Dense(2)({a, b}); }, "takes a single input; received 2");
}

TEST_F(Functional, OpsOnSymbolicTensorsNeedALayer) {
  // An op applied directly to a Functional tensor is not recorded as a layer call, so the model
  // cannot reach the Input through it (Keras wraps such ops itself; here a layer is needed).
  Tensor a = keras::Input({2});
  Tensor y = layers::Dense(2)(ops::multiply(a, a));
  expect_error<keras::ValueError>([&] { keras::Model m(a, y); },
                                  "an op applied to a Functional tensor is not recorded");
}

// ---- merging layers -----------------------------------------------------------------------------------

class Merging : public Functional {};

TEST_F(Merging, ElementwiseValues) {
  Tensor a({{1.f, -2.f, 3.f}}), b({{4.f, 5.f, -6.f}}), c({{0.5f, 0.5f, 0.5f}});
  EXPECT_TRUE(all_close(layers::Add()({a, b, c})[0], Tensor({{5.5f, 3.5f, -2.5f}}), 0, 1e-6));
  EXPECT_TRUE(all_close(layers::Subtract()({a, b})[0], Tensor({{-3.f, -7.f, 9.f}}), 0, 1e-6));
  EXPECT_TRUE(all_close(layers::Multiply()({a, b, c})[0], Tensor({{2.f, -5.f, -9.f}}), 0, 1e-6));
  EXPECT_TRUE(all_close(layers::Average()({a, b})[0], Tensor({{2.5f, 1.5f, -1.5f}}), 0, 1e-6));
  EXPECT_TRUE(all_close(layers::Maximum()({a, b, c})[0], Tensor({{4.f, 5.f, 3.f}}), 0, 0));
  EXPECT_TRUE(all_close(layers::Minimum()({a, b, c})[0], Tensor({{0.5f, -2.f, -6.f}}), 0, 0));
  // Broadcasting as NumPy: (1, 3) + (1, 1).
  EXPECT_TRUE(
      all_close(layers::Add()({a, ops::reshape(Tensor({10.f}), {1, 1})})[0], Tensor({{11.f, 8.f, 13.f}}), 0, 1e-6));
}

TEST_F(Merging, ConcatenateAndDotValues) {
  Tensor a({{1.f, 2.f}, {3.f, 4.f}});
  Tensor b = ops::reshape(Tensor({5.f, 6.f}), {2, 1});
  EXPECT_TRUE(all_close(layers::Concatenate()({a, b})[0], Tensor({{1.f, 2.f, 5.f}, {3.f, 4.f, 6.f}}), 0, 0));
  Tensor c({{7.f, 8.f}});
  EXPECT_TRUE(all_close(layers::Concatenate({.axis = 0 + 1})({a, a})[0],
                        Tensor({{1.f, 2.f, 1.f, 2.f}, {3.f, 4.f, 3.f, 4.f}}), 0, 0));
  (void)c;
  // Dot of rank-2 inputs: one value per sample, shape (batch, 1).
  Tensor u({{1.f, 2.f, 2.f}, {0.f, 3.f, 4.f}}), v({{2.f, 0.f, 1.f}, {1.f, 0.f, 0.f}});
  EXPECT_TRUE(all_close(layers::Dot(1)({u, v})[0], ops::reshape(Tensor({4.f, 0.f}), {2, 1}), 0, 1e-6));
  // normalize: cosine similarity: (1,2,2).(2,0,1) / (3 * sqrt(5)).
  Tensor cos = layers::Dot(1, true)({u, v})[0];
  EXPECT_NEAR(cos.to_vector<float>()[0], 4.0 / (3.0 * std::sqrt(5.0)), 1e-6);
  EXPECT_NEAR(cos.to_vector<float>()[1], 0.0, 1e-6);
  // Rank 3, axes (2, 2): (batch, n, k) . (batch, m, k) -> (batch, n, m), a batched x y^T.
  Tensor p = keras::testing::uniform({2, 3, 4}, -1, 1, 5, keras::float32);
  Tensor q = keras::testing::uniform({2, 5, 4}, -1, 1, 6, keras::float32);
  Tensor pq = layers::Dot(2)({p, q})[0];
  EXPECT_EQ(pq.shape(), keras::Shape({2, 3, 5}));
  EXPECT_TRUE(all_close(pq, ops::einsum("bnk,bmk->bnm", p, q), 1e-5, 1e-6));
  // Axes (1, 1) on rank 3: (batch, k, n) . (batch, k, m) -> (batch, n, m).
  Tensor pt = layers::Dot({.axes = {1, 1}})(
      {ops::transpose(p, std::vector<int64_t>{0, 2, 1}), ops::transpose(q, std::vector<int64_t>{0, 2, 1})})[0];
  EXPECT_TRUE(all_close(pt, pq, 1e-5, 1e-6));
}

TEST_F(Merging, GradientsMatchFiniteDifferences) {
  using keras::testing::inputs;
  auto a = keras::testing::uniform({3, 4}, -1, 1, 1), b = keras::testing::uniform({3, 4}, -1, 1, 2),
       c = keras::testing::uniform({3, 4}, -1, 1, 3);
  for (auto layer : std::vector<keras::LayerHandle>{
           layers::Add({.dtype = keras::float64}), layers::Multiply({.dtype = keras::float64}),
           layers::Average({.dtype = keras::float64}), layers::Maximum({.dtype = keras::float64}),
           layers::Minimum({.dtype = keras::float64}), layers::Concatenate({.dtype = keras::float64})})
    EXPECT_TRUE(keras::testing::check_gradients([&](const inputs& xs) { return layer(xs)[0]; }, {a, b, c}))
        << layer->class_name();
  layers::Dot dot({.axes = {1}, .normalize = true, .dtype = keras::float64});
  EXPECT_TRUE(keras::testing::check_gradients([&](const inputs& xs) { return dot(xs)[0]; }, {a, b}));
  layers::Subtract sub({.dtype = keras::float64});
  EXPECT_TRUE(keras::testing::check_gradients([&](const inputs& xs) { return sub(xs)[0]; }, {a, b}));
}

TEST_F(Merging, ErrorsAsKeras) {
  Tensor a = ops::ones({2, 3}), b = ops::ones({2, 4}), c = ops::ones({3, 3});
  expect_error<keras::ValueError>(
      [&] {
        layers::Add()({a, b});
      },
      "Inputs have incompatible shapes. Received shapes (3,) and (4,)");
  expect_error<keras::ValueError>(
      [&] {
        layers::Subtract()({a, a, a});
      },
      "A `Subtract` layer should be called on exactly 2 inputs");
  expect_error<keras::ValueError>([&] { layers::Add()({a, c}); }, "Cannot merge tensors with different batch sizes");
  expect_error<keras::ValueError>(
      [&] {
        layers::Concatenate()({ops::ones({2, 3, 1}), ops::ones({2, 4, 1})});
      },
      "A `Concatenate` layer requires inputs with matching shapes except for the "
      "concatenation axis. Received: input_shape=[(2, 3, 1), (2, 4, 1)]");
  expect_error<keras::ValueError>(
      [&] {
        layers::Dot(1)({a, b});
      },
      "Incompatible input shapes: axis values 3 (at axis 1) != 4 (at axis 1)");
  expect_error<keras::ValueError>([&] { layers::Dot(1)({a}); }, "A `Dot` layer should be called on a list of 2 inputs");
}

TEST_F(Merging, MasksCombine) {
  Tensor a = ops::ones({1, 3, 2}), b = ops::ones({1, 3, 2});
  keras::set_keras_mask(a, ops::cast(Tensor({{1.f, 1.f, 0.f}}), keras::bool_));
  keras::set_keras_mask(b, ops::cast(Tensor({{1.f, 0.f, 1.f}}), keras::bool_));
  Tensor sum = layers::Add()({a, b})[0];
  EXPECT_EQ(keras::get_keras_mask(sum).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  // Concatenate along the features: a step is kept when any input keeps it.
  Tensor cat = layers::Concatenate()({a, b})[0];
  EXPECT_EQ(keras::get_keras_mask(cat).to_vector<bool>(), (std::vector<bool>{true, true, true}));
  // A layer without mask support drops the mask (with Keras' warning).
  Tensor flat = layers::Flatten()(a);
  EXPECT_FALSE(keras::get_keras_mask(flat).defined());
}

}  // namespace

// ---- several inputs and outputs: compile, fit, evaluate, predict ------------------------------------

namespace {

struct TwoByTwo {
  Tensor a = keras::Input({4}, {.name = "a"}), b = keras::Input({3}, {.name = "b"});
  std::unique_ptr<keras::Model> model;
  Tensor xa, xb, y_reg, y_cls;
  TwoByTwo() {
    Tensor h = layers::Dense(8, "relu")(layers::Concatenate()({a, b}));
    model = std::make_unique<keras::Model>(
        keras::Tensors{a, b},
        keras::Tensors{layers::Dense({.units = 1, .name = "reg"})(h), layers::Dense({.units = 3, .name = "cls"})(h)});
    xa = keras::testing::uniform({48, 4}, -1, 1, 21, keras::float32);
    xb = keras::testing::uniform({48, 3}, -1, 1, 22, keras::float32);
    y_reg = ops::sum(xa, {1}, true);
    y_cls = ops::argmax(xb, 1);
  }
};

}  // namespace

TEST_F(Functional, TwoOutputsLogPerOutputLossesAndMetricsAsKeras) {
  TwoByTwo t;
  t.model->compile({.optimizer = "adam",
                    .loss = {"mse", "sparse_categorical_crossentropy"},
                    .loss_weights = {1.0, 0.5},
                    .output_metrics = {{"reg", {"mae"}}, {"cls", {"accuracy"}}}});
  auto h = t.model->fit({t.xa, t.xb}, {t.y_reg, t.y_cls}, {.batch_size = 16, .epochs = 2, .verbose = 0});
  std::vector<std::string> keys;
  for (const auto& [k, v] : h.history) keys.push_back(k);
  // The keys Keras 3.15 logs for this model and compile call.
  EXPECT_EQ(keys, (std::vector<std::string>{"cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"}));
  auto s = t.model->evaluate({t.xa, t.xb}, {t.y_reg, t.y_cls}, {.verbose = 0});
  // The total is the weighted sum of the per-output losses (each streamed over the same batches).
  EXPECT_NEAR(s.at("loss"), s.at("reg_loss") + 0.5 * s.at("cls_loss"), 1e-5 * s.at("loss"));
  // The per-output loss is the loss of that output alone.
  keras::Tensors p = t.model->predict({t.xa, t.xb}, {.verbose = 0});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].shape(), keras::Shape({48, 1}));
  EXPECT_EQ(p[1].shape(), keras::Shape({48, 3}));
  const double mse = ops::mean(ops::square(p[0] - t.y_reg)).item<float>();
  EXPECT_NEAR(s.at("reg_loss"), mse, 1e-5);
  std::vector<Tensor> direct = (*t.model)({t.xa, t.xb});
  EXPECT_TRUE(all_close(p[1], direct[1], 1e-6, 1e-6));
}

TEST_F(Functional, LossesByOutputNameAndOutputsWithoutLoss) {
  TwoByTwo t;
  t.model->compile({.optimizer = "sgd", .loss = {{"cls", "sparse_categorical_crossentropy"}}});
  auto s = t.model->evaluate({t.xa, t.xb}, {t.y_reg, t.y_cls}, {.verbose = 0});
  EXPECT_EQ(s.size(), 2u);  // loss and cls_loss: reg has none
  EXPECT_NEAR(s.at("loss"), s.at("cls_loss"), 1e-6);
  // One loss for every output (Keras applies a single loss to each output).
  t.model->compile({.optimizer = "sgd", .loss = "mse"});
  EXPECT_NO_THROW(t.model->fit({t.xa, t.xb}, {t.y_reg, ops::one_hot(t.y_cls, 3)},
                               {.batch_size = 16, .verbose = 0, .validation_split = 0.25}));
  EXPECT_TRUE(t.model->history().history.count("val_cls_loss"));
}

TEST_F(Functional, MultiOutputCompileErrorsSayWhatToChange) {
  TwoByTwo t;
  expect_error<keras::ValueError>([&] { t.model->compile({.loss = {"mse"}}); },
                                  "`loss` has 1 entries, but this model has 2 outputs");
  expect_error<keras::ValueError>(
      [&] {
        t.model->compile({.loss = {{"nope", "mse"}}});
      },
      "names the output 'nope', but the model's outputs are ['reg', 'cls']");
  expect_error<keras::ValueError>([&] { t.model->compile({.loss = "mse", .metrics = {"mae"}}); },
                                  "give its metrics per output");
  t.model->compile({.optimizer = "sgd", .loss = {"mse", "sparse_categorical_crossentropy"}});
  expect_error<keras::ValueError>(
      [&] {
        t.model->fit({t.xa, t.xb}, {t.y_reg}, {.verbose = 0});
      },
      "no targets were given for it");
  expect_error<keras::ValueError>(
      [&] {
        t.model->fit({t.xa, ops::ones({47, 3})}, {t.y_reg, t.y_cls}, {.verbose = 0});
      },
      "every input must have the same number of samples");
}

// ---- plot_model ---------------------------------------------------------------------------------------

TEST_F(Functional, PlotModelWritesTheGraphAsDot) {
  Tensor a = keras::Input({4}, {.name = "a"}), b = keras::Input({3}, {.name = "b"});
  Tensor h = layers::Dense({.units = 8, .activation = "relu", .name = "hidden"})(layers::Concatenate()({a, b}));
  keras::Model m({a, b}, layers::Dense({.units = 1, .name = "out"})(h));
  const std::string dot =
      keras::utils::model_to_dot(m, {.show_shapes = true, .rankdir = "LR", .show_layer_activations = true});
  // Boxes: layer0..4 in model.layers order (a, b, concatenate, hidden, out); arrows per connection.
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos) << dot;
  EXPECT_NE(dot.find("layer0 [label=\"a (InputLayer)\\\\nInput shape: (None, 4)\\\\nOutput shape: (None, 4)\"]"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("layer3 [label=\"hidden (Dense)\\\\nActivation: relu\\\\nInput shape: (None, 7)\\\\nOutput shape: "
                     "(None, 8)\"]"),
            std::string::npos)
      << dot;
  for (const char* edge : {"layer0 -> layer2;", "layer1 -> layer2;", "layer2 -> layer3;", "layer3 -> layer4;"})
    EXPECT_NE(dot.find(edge), std::string::npos) << edge << "\n" << dot;
  EXPECT_EQ(dot.find("layer0 -> layer3"), std::string::npos);

  TempDir dir;
  const std::string path = (dir.path / "model.dot").string();
  keras::utils::plot_model(m, {.to_file = path});
  EXPECT_EQ(read_file(path), keras::utils::model_to_dot(m));
  expect_error<keras::ValueError>([&] { keras::utils::plot_model(m, {.to_file = (dir.path / "m.txt").string()}); },
                                  "to_file must end in .dot, .png");
  // An image: rendered by Graphviz when it is installed, else a message naming the package.
  const std::string png = (dir.path / "model.png").string();
  try {
    keras::utils::plot_model(m, {.to_file = png});
    const std::string bytes = read_file(png);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("apt install graphviz"), std::string::npos) << e.what();
    EXPECT_FALSE(std::filesystem::exists(png));
  }
  EXPECT_FALSE(std::filesystem::exists(png + ".tmp.dot"));
}

TEST_F(Functional, PlotModelOfASequentialModelIsAChain) {
  auto s = keras::Sequential({layers::Input({5}), layers::Dense(3), layers::Dense(2)});
  const std::string dot = keras::utils::model_to_dot(s);
  EXPECT_NE(dot.find("layer0 [label=\"dense (Dense)\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find("layer0 -> layer1;"), std::string::npos) << dot;
}
