// keras::Model, Sequential and the training loop: expectations worked by hand
// (each test says how), plus behaviours Keras documents.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <keras/keras.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ops = keras::ops;
namespace layers = keras::layers;
using keras::Tensor;

namespace {

// Captures what std::cout receives while alive.
class CaptureStdout {
 public:
  CaptureStdout() : old_(std::cout.rdbuf(buf_.rdbuf())) {}
  ~CaptureStdout() { std::cout.rdbuf(old_); }
  std::string str() const { return buf_.str(); }

 private:
  std::ostringstream buf_;
  std::streambuf* old_;
};

// y = x @ w + b with every weight set by hand.
class LinearModel : public keras::Model {
 public:
  layers::Dense dense = track("dense", layers::Dense({.units = 1, .kernel_initializer = "zeros"}));
  Tensor call(const Tensor& x, bool) override { return dense(x); }
};

// A column vector (n, 1).
Tensor col(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor(v, keras::Shape{n, 1});
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const keras::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// ---- Layer -------------------------------------------------------------------------------------------

TEST(Layer, DenseBuildsLazilyWithKerasNamesAndShapes) {
  keras::utils::clear_session();
  layers::Dense a(4), b(3, "relu");
  EXPECT_EQ(a->name(), "dense");
  EXPECT_EQ(b->name(), "dense_1");
  EXPECT_FALSE(a->built());
  EXPECT_TRUE(a->weights().empty());
  Tensor y = a(ops::ones({2, 5}));
  EXPECT_TRUE(a->built());
  EXPECT_EQ(y.shape(), keras::Shape({2, 4}));
  ASSERT_EQ(a->weights().size(), 2u);
  EXPECT_EQ(a->weights()[0].name(), "kernel");
  EXPECT_EQ(a->weights()[0].shape(), keras::Shape({5, 4}));
  EXPECT_EQ(a->weights()[1].shape(), keras::Shape({4}));
  EXPECT_EQ(a->count_params(), 5 * 4 + 4);
  // Bias starts at zero (bias_initializer="zeros").
  for (float v : a->bias().value().to_vector<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(Layer, DenseComputesMatmulPlusBiasThenActivation) {
  layers::Dense d(2, "relu");
  d(ops::ones({1, 3}));
  d->set_weights({Tensor({{1.f, -1.f}, {2.f, -2.f}, {3.f, -3.f}}), Tensor({0.5f, 0.25f})});
  // [1, 2, 3] @ W = [14, -14]; + b = [14.5, -13.75]; relu -> [14.5, 0].
  auto out = d(Tensor({{1.f, 2.f, 3.f}})).to_vector<float>();
  EXPECT_FLOAT_EQ(out[0], 14.5f);
  EXPECT_FLOAT_EQ(out[1], 0.0f);
}

TEST(Layer, InputCompatibilityErrorNamesTheLayerAndShapes) {
  keras::utils::clear_session();
  layers::Dense d(2);
  d(ops::ones({1, 3}));
  std::string msg = error_of([&] { d(ops::ones({1, 4})); });
  EXPECT_NE(msg.find("Input 0 of layer \"dense\" is incompatible with the layer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected axis -1 of input shape to have value 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(1, 4)"), std::string::npos) << msg;
  msg = error_of([&] { d(ops::ones({3})); });
  EXPECT_NE(msg.find("expected min_ndim=2, found ndim=1"), std::string::npos) << msg;
}

TEST(Layer, TrainableSwitchMovesWeightsBetweenLists) {
  LinearModel m;
  m(ops::ones({1, 3}));
  EXPECT_EQ(m.trainable_weights().size(), 2u);
  m.dense->set_trainable(false);
  EXPECT_EQ(m.trainable_weights().size(), 0u);
  EXPECT_EQ(m.non_trainable_weights().size(), 2u);
  m.dense->set_trainable(true);
  EXPECT_EQ(m.trainable_weights().size(), 2u);
}

TEST(Layer, RegularizationAndAddLossJoinLosses) {
  layers::Dense d({.units = 1, .kernel_initializer = "ones", .kernel_regularizer = keras::regularizers::L2(0.5)});
  d(ops::ones({1, 2}));
  // l2 = 0.5 * sum(w^2) = 0.5 * (1 + 1) = 1.
  auto ls = d->losses();
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_FLOAT_EQ(ls[0].item<float>(), 1.0f);
  d->add_loss(Tensor::scalar(2.0f));
  EXPECT_EQ(d->losses().size(), 2u);
  d(ops::ones({1, 2}));  // a new outermost call clears add_loss terms
  EXPECT_EQ(d->losses().size(), 1u);
}

TEST(Layer, TrainingFlagFlowsToSublayers) {
  keras::utils::set_random_seed(1);
  layers::Dropout drop(0.5);
  Tensor x = ops::ones({1000});
  EXPECT_EQ(drop(x).to_vector<float>(), x.to_vector<float>());  // inference by default
  auto v = drop(x, true).to_vector<float>();
  int zeros = 0;
  for (float f : v) {
    EXPECT_TRUE(f == 0.0f || f == 2.0f);  // kept values scaled by 1 / (1 - 0.5)
    zeros += f == 0.0f;
  }
  EXPECT_GT(zeros, 400);
  EXPECT_LT(zeros, 600);

  class Wrapper : public keras::Model {
   public:
    layers::Dropout d = track("d", layers::Dropout(0.5));
    Tensor call(const Tensor& x, bool) override { return d(x); }  // no explicit flag: inherits
  } w;
  auto t = w(x, true).to_vector<float>();
  EXPECT_NE(t, x.to_vector<float>());
  EXPECT_EQ(w(x, false).to_vector<float>(), x.to_vector<float>());
}

TEST(Layer, FlattenReshapeLambdaIdentityActivation) {
  Tensor x = ops::reshape(ops::arange(24.0), {2, 3, 4});
  EXPECT_EQ(layers::Flatten()(x).shape(), keras::Shape({2, 12}));
  EXPECT_EQ(layers::Reshape({4, 3})(x).shape(), keras::Shape({2, 4, 3}));
  EXPECT_EQ(layers::Reshape({-1, 2})(x).shape(), keras::Shape({2, 6, 2}));
  EXPECT_EQ(layers::Reshape({4, 3})->compute_output_shape({-1, 3, 4}), keras::Shape({-1, 4, 3}));
  EXPECT_THROW(layers::Reshape({5, 5})(x), keras::ValueError);
  auto doubled = layers::Lambda([](const Tensor& t) { return t * 2.0; })(x).to_vector<float>();
  EXPECT_FLOAT_EQ(doubled[5], 10.0f);
  EXPECT_EQ(layers::Identity()(x).to_vector<float>(), x.to_vector<float>());
  auto sm = layers::Activation("softmax")(Tensor({{0.f, 0.f}})).to_vector<float>();
  EXPECT_FLOAT_EQ(sm[0], 0.5f);
  EXPECT_THROW(layers::Activation("no_such_fn"), keras::ValueError);
}

TEST(Layer, ConstraintIsAppliedAfterEachOptimizerStep) {
  layers::Dense d({.units = 1, .use_bias = false, .kernel_initializer = "zeros", .kernel_constraint = "non_neg"});
  d(ops::ones({1, 1}));
  keras::optimizers::SGD sgd({.learning_rate = 1.0});
  // Gradient +1 would move the weight to -1; non_neg projects it back to 0.
  sgd.apply({col({1.0f})}, d->trainable_weights());
  EXPECT_EQ(d->kernel().value().to_vector<float>()[0], 0.0f);
  sgd.apply({col({-2.0f})}, d->trainable_weights());
  EXPECT_EQ(d->kernel().value().to_vector<float>()[0], 2.0f);
}

// ---- Sequential --------------------------------------------------------------------------------------

TEST(Sequential, InputBuildsAtOnceAndAddPopWork) {
  keras::utils::clear_session();
  auto model = keras::Sequential({layers::Input({784}), layers::Dense(128, "relu"), layers::Dense(10)});
  EXPECT_TRUE(model.built());
  EXPECT_EQ(model.layers().size(), 2u);
  EXPECT_EQ(model.count_params(), 784 * 128 + 128 + 128 * 10 + 10);
  EXPECT_EQ(model.output_shapes().back(), keras::Shape({-1, 10}));
  model.add(layers::Dense(3));
  EXPECT_EQ(model.count_params(), 784 * 128 + 128 + 128 * 10 + 10 + 33);
  model.pop();
  EXPECT_EQ(model.layers().size(), 2u);
  model.pop();
  model.pop();
  EXPECT_THROW(model.pop(), keras::IndexError);
  EXPECT_THROW(model.add(layers::Input({3})), keras::ValueError);
}

TEST(Sequential, SummaryMatchesKerasLayoutAfterFit) {
  // FORMATS.md 6.1's golden output (88 columns): 784-128-10 after compile + fit with Adam.
  keras::utils::clear_session();
  auto model = keras::Sequential({layers::Input({784}), layers::Dense(128), layers::Dense(10)});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  model.fit(ops::zeros({4, 784}), Tensor(std::vector<int32_t>{0, 1, 2, 3}), {.verbose = 0});
  const std::string expected =
      "Model: \"sequential\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
      "│ dense (Dense)                        │ (None, 128)                 │         100,480 │\n"
      "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
      "│ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │\n"
      "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
      " Total params: 305,312 (1.16 MB)\n"
      " Trainable params: 101,770 (397.54 KB)\n"
      " Non-trainable params: 0 (0.00 B)\n"
      " Optimizer params: 203,542 (795.09 KB)\n";
  EXPECT_EQ(model.summary_string({.line_length = 88}), expected);
}

TEST(Sequential, UnbuiltLayersShowInSummary) {
  keras::utils::clear_session();
  auto model = keras::Sequential({layers::Dense(4)});
  const std::string s = model.summary_string({.line_length = 76});
  EXPECT_NE(s.find("dense (Dense)"), std::string::npos) << s;
  EXPECT_NE(s.find("0 (unbuilt)"), std::string::npos) << s;
  EXPECT_NE(s.find(" Total params: 0 (0.00 B)"), std::string::npos) << s;
}

// ---- compile / fit / evaluate / predict --------------------------------------------------------------

TEST(Model, OneSgdStepMatchesHandComputation) {
  // x = [[1, 2], [3, 4]], y = [[1], [2]], w = 0, b = 0, MSE (mean over the batch of 2).
  // pred = 0; loss = (1 + 4) / 2 = 2.5.
  // dL/dw = -(2/2) * x^T (y - 0) = -[1*1 + 3*2, 2*1 + 4*2] = -[7, 10]; dL/db = -(1 + 2) = -3.
  // SGD lr 0.1: w = [0.7, 1.0], b = 0.3.
  LinearModel m;
  m.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.1}), .loss = "mse"});
  auto logs = m.train_on_batch(Tensor({{1.f, 2.f}, {3.f, 4.f}}), col({1.f, 2.f}));
  EXPECT_FLOAT_EQ(static_cast<float>(logs.at("loss")), 2.5f);
  auto w = m.dense->kernel().value().to_vector<float>();
  EXPECT_FLOAT_EQ(w[0], 0.7f);
  EXPECT_FLOAT_EQ(w[1], 1.0f);
  EXPECT_FLOAT_EQ(m.dense->bias().value().to_vector<float>()[0], 0.3f);
  EXPECT_EQ(m.optimizer().iterations(), 1);
}

TEST(Model, DefaultOptimizerIsRmsprop) {
  LinearModel m;
  m.compile({.loss = "mse"});
  EXPECT_EQ(m.optimizer().class_name(), "RMSprop");
}

TEST(Model, CustomTrainStepIsWhatFitRuns) {
  class Counting : public LinearModel {
   public:
    int steps = 0;
    int64_t rows = 0;
    keras::Logs train_step(const keras::Batch& b) override {
      ++steps;
      rows += b.x.shape()[0];
      return {{"custom", Tensor::scalar(static_cast<float>(steps))}};
    }
  } m;
  m(ops::ones({1, 3}));  // builds the Dense
  m.compile({.optimizer = "sgd", .loss = "mse"});
  auto h = m.fit(ops::ones({25, 3}), ops::ones({25, 1}), {.batch_size = 10, .epochs = 2, .verbose = 0});
  EXPECT_EQ(m.steps, 6);  // ceil(25 / 10) = 3 per epoch
  EXPECT_EQ(m.rows, 50);
  // The step's own logs reach History (their names are not the metrics').
  ASSERT_EQ(h.history.at("custom").size(), 2u);
  EXPECT_EQ(h.history.at("custom")[1], 6.0);
  // Weights untouched: the override did no update.
  EXPECT_EQ(m.dense->kernel().value().to_vector<float>(), std::vector<float>(3, 0.0f));
}

TEST(Model, EvaluateStreamsMetricsInsteadOfAveragingBatches) {
  // Predictions are 0 (zero kernel and bias); y = [1, 2, 3, 4, 5] in batches [1, 2], [3, 4], [5].
  // MAE over all samples = 15 / 5 = 3; the mean of per-batch MAEs would be (1.5 + 3.5 + 5) / 3 = 3.333.
  // The loss (MSE) tracker weights each batch by its size: (1 + 4 + 9 + 16 + 25) / 5 = 11.
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  Tensor x = ops::zeros({5, 2});
  Tensor y = ops::reshape(Tensor({1.f, 2.f, 3.f, 4.f, 5.f}), {5, 1});
  auto r = m.evaluate(x, y, {.batch_size = 2, .verbose = 0});
  EXPECT_NEAR(r.at("mae"), 3.0, 1e-6);
  EXPECT_NEAR(r.at("loss"), 11.0, 1e-5);
  ASSERT_EQ(r.size(), 2u);
  // A second evaluate starts from reset metrics.
  r = m.evaluate(ops::zeros({1, 2}), col({2.f}), {.verbose = 0});
  EXPECT_NEAR(r.at("mae"), 2.0, 1e-6);
}

TEST(Model, StepsPerExecutionGivesTheSameWeightsAndFewerBatchCallbacks) {
  struct BatchEnds : keras::callbacks::Callback {
    std::vector<int64_t> ends;
    void on_train_batch_end(int64_t b, const keras::callbacks::Logs&) override { ends.push_back(b); }
  };
  auto run = [](int64_t spe, std::shared_ptr<BatchEnds> cb) {
    keras::utils::set_random_seed(3);
    auto m = keras::Sequential({layers::Input({4}), layers::Dense(3, "tanh"), layers::Dense(1)});
    m.compile({.optimizer = "adam", .loss = "mse", .steps_per_execution = spe});
    Tensor x = keras::random::normal({23, 4}, {.seed = 5});
    Tensor y = keras::random::normal({23, 1}, {.seed = 6});
    m.fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {cb}});
    return m.get_weights();
  };
  auto one = std::make_shared<BatchEnds>(), five = std::make_shared<BatchEnds>();
  auto w1 = run(1, one), w5 = run(5, five);
  ASSERT_EQ(w1.size(), w5.size());
  for (size_t i = 0; i < w1.size(); ++i) EXPECT_EQ(w1[i].to_vector<float>(), w5[i].to_vector<float>());
  // 6 steps per epoch: executions end at steps 4 and 5 (0-based), as Keras' epoch iterator yields them.
  EXPECT_EQ(one->ends.size(), 18u);
  EXPECT_EQ(five->ends, (std::vector<int64_t>{4, 5, 4, 5, 4, 5}));
}

TEST(Model, FitIsDeterministicForASeed) {
  auto run = [] {
    keras::utils::set_random_seed(11);
    auto m = keras::Sequential({layers::Input({3}), layers::Dense(8, "relu"), layers::Dropout(0.3), layers::Dense(2)});
    m.compile({.optimizer = "adam", .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true})});
    Tensor x = keras::random::normal({40, 3}, {.seed = 1});
    Tensor y = ops::cast(keras::random::randint({40}, 0, 2, keras::int32, 2), keras::int32);
    m.fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0});  // shuffled, with dropout
    return m.get_weights();
  };
  auto a = run(), b = run();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
}

TEST(Model, HistoryValidationSplitAndData) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  Tensor x = ops::ones({10, 2});
  Tensor y = ops::ones({10, 1});
  auto h = m.fit(x, y, {.epochs = 3, .verbose = 0, .validation_split = 0.2});
  EXPECT_EQ(h.epoch, (std::vector<int64_t>{0, 1, 2}));
  for (const char* k : {"loss", "mae", "val_loss", "val_mae"}) ASSERT_EQ(h.history.at(k).size(), 3u) << k;
  // Validation on the last 2 samples after epoch 1's update equals evaluate on them then.
  LinearModel m2;
  m2.compile({.optimizer = "sgd", .loss = "mse"});
  auto h2 = m2.fit(
      x, y,
      {.epochs = 2, .verbose = 0, .validation_data = {ops::zeros({3, 2}), ops::ones({3, 1})}, .validation_freq = 2});
  ASSERT_EQ(h2.history.at("val_loss").size(), 1u);  // only after epoch 2
  // Zero inputs: the prediction is the bias alone.
  const double b = m2.dense->bias().value().to_vector<float>()[0];
  EXPECT_NEAR(h2.history.at("val_loss")[0], (1 - b) * (1 - b), 1e-6);
}

TEST(Model, ClassWeightAndSampleWeightScaleTheLoss) {
  // pred 0, y in {0, 1} classes for a sparse CE on 2 logits = 0: every sample's loss is ln 2.
  // class_weight {0: 1, 1: 3} on labels [0, 1]: loss = (ln2 * 1 + ln2 * 3) / 2 = 2 ln 2.
  class Zero : public keras::Model {
   public:
    layers::Dense d = track("d", layers::Dense({.units = 2, .kernel_initializer = "zeros"}));
    Tensor call(const Tensor& x, bool) override { return d(x); }
  } m;
  m.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.0}),
             .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true})});
  Tensor x = ops::zeros({2, 1});
  Tensor y = Tensor(std::vector<int32_t>{0, 1});
  auto h = m.fit(x, y, {.verbose = 0, .shuffle = false, .class_weight = {{0, 1.0}, {1, 3.0}}});
  EXPECT_NEAR(h.history.at("loss")[0], 2 * std::log(2.0), 1e-6);
  auto r = m.train_on_batch(x, y, Tensor({0.5f, 0.0f}));
  EXPECT_NEAR(r.at("loss"), 0.5 * std::log(2.0) / 2, 1e-6);
}

TEST(Model, AccuracyResolvesFromLossAndLabels) {
  class Two : public keras::Model {
   public:
    layers::Dense d = track("d", layers::Dense({.units = 2, .kernel_initializer = "zeros"}));
    Tensor call(const Tensor& x, bool) override { return d(x); }
  } m;
  m.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  m.d(ops::zeros({1, 1}));
  m.d->set_weights({Tensor(std::vector<float>{1.f, -1.f}, keras::Shape{1, 2}), Tensor({0.f, 0.f})});
  // x = [1, -1, 2]: logits [1, -1], [-1, 1], [2, -2]: argmax 0, 1, 0; labels 0, 0, 0 -> 2 / 3.
  auto r = m.evaluate(col({1.f, -1.f, 2.f}), Tensor(std::vector<int32_t>{0, 0, 0}), {.verbose = 0});
  EXPECT_NEAR(r.at("accuracy"), 2.0 / 3.0, 1e-6);
  EXPECT_EQ(m.metrics_names(), (std::vector<std::string>{"loss", "accuracy"}));
}

TEST(Model, PredictConcatenatesBatches) {
  LinearModel m;
  m(ops::zeros({1, 2}));
  m.dense->set_weights({col({1.f, 10.f}), Tensor({0.f})});
  Tensor x = ops::reshape(ops::arange(14.0), {7, 2});
  Tensor p = m.predict(x, {.batch_size = 3, .verbose = 0});  // no compile needed, as in Keras
  EXPECT_EQ(p.shape(), keras::Shape({7, 1}));
  auto v = p.to_vector<float>();
  for (int i = 0; i < 7; ++i) EXPECT_FLOAT_EQ(v[i], static_cast<float>(2 * i + 10 * (2 * i + 1)));
}

TEST(Model, StopTrainingFromACallbackEndsFit) {
  struct StopAt : keras::callbacks::Callback {
    void on_epoch_end(int64_t epoch, const keras::callbacks::Logs&) override {
      if (epoch == 1) model()->stop_training = true;
    }
  };
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  auto h = m.fit(ops::ones({4, 2}), ops::ones({4, 1}), {.epochs = 10, .verbose = 0, .callbacks = {StopAt()}});
  EXPECT_EQ(h.epoch.size(), 2u);
}

TEST(Model, AddLossAndRegularizationEnterTheTrainingLoss) {
  class WithLoss : public keras::Model {
   public:
    layers::Dense d = track(
        "d",
        layers::Dense({.units = 1, .kernel_initializer = "ones", .kernel_regularizer = keras::regularizers::L1(0.25)}));
    Tensor call(const Tensor& x, bool) override {
      add_loss(Tensor::scalar(1.5f));
      return d(x);
    }
  } m;
  m.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.0}), .loss = "mse"});
  // x = 0, y = 0: mse 0; l1 = 0.25 * |1| * 2 weights = 0.5; add_loss 1.5 -> 2.0.
  auto r = m.test_on_batch(ops::zeros({3, 2}), ops::zeros({3, 1}));
  EXPECT_FLOAT_EQ(static_cast<float>(r.at("loss")), 2.0f);
}

TEST(Model, FashionMnistShapedMlpLearnsAboveChance) {
  // A tiny separable problem: the class is the index of the largest of 4 features.
  keras::utils::set_random_seed(7);
  Tensor x = keras::random::normal({512, 4}, {.seed = 3});
  Tensor y = ops::cast(ops::argmax(x, -1), keras::int32);
  auto m = keras::Sequential({layers::Input({4}), layers::Dense(32, "relu"), layers::Dense(4)});
  m.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 0.01}),
             .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true}),
             .metrics = {"accuracy"}});
  m.fit(x, y, {.batch_size = 32, .epochs = 20, .verbose = 0});
  EXPECT_GT(m.evaluate(x, y, {.verbose = 0}).at("accuracy"), 0.9);
}

// ---- progress output ---------------------------------------------------------------------------------

TEST(Model, FitVerbose2PrintsOneLinePerEpoch) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  CaptureStdout cap;
  m.fit(ops::ones({20, 2}), ops::ones({20, 1}), {.batch_size = 10, .epochs = 2, .verbose = 2});
  const std::string out = cap.str();
  EXPECT_EQ(out.rfind("Epoch 1/2\n2/2 - ", 0), 0u) << out;
  EXPECT_NE(out.find("\nEpoch 2/2\n2/2 - "), std::string::npos) << out;
  EXPECT_NE(out.find("/step - loss: "), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
}

TEST(Model, FitVerbose1RedrawsTheBarInPlace) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  CaptureStdout cap;
  m.fit(ops::ones({20, 2}), ops::ones({20, 1}), {.batch_size = 10, .epochs = 1, .verbose = 1});
  const std::string out = cap.str();
  EXPECT_EQ(out.find("Epoch"), std::string::npos) << out;  // one epoch: no "Epoch 1/1"
  EXPECT_NE(out.find("\x1b[1m2/2\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
}

// ---- bad input ---------------------------------------------------------------------------------------

TEST(ModelErrors, FitOrEvaluateBeforeCompile) {
  LinearModel m;
  EXPECT_EQ(error_of([&] {
              m.fit(ops::ones({2, 2}), ops::ones({2, 1}));
            }),
            "You must call `compile()` before using the model.");
  EXPECT_EQ(error_of([&] {
              m.evaluate(ops::ones({2, 2}), ops::ones({2, 1}));
            }),
            "You must call `compile()` before using the model.");
}

TEST(ModelErrors, MismatchedLengthsEmptyDataAndNaN) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  std::string msg = error_of([&] { m.fit(ops::ones({5, 2}), ops::ones({4, 1}), {.verbose = 0}); });
  EXPECT_NE(msg.find("Data cardinality is ambiguous"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'x' sizes: 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'y' sizes: 4"), std::string::npos) << msg;
  msg = error_of([&] { m.fit(ops::ones({0, 2}), ops::ones({0, 1}), {.verbose = 0}); });
  EXPECT_NE(msg.find("non-empty"), std::string::npos) << msg;
  Tensor bad = Tensor({{1.f, NAN}, {0.f, 0.f}});
  msg = error_of([&] { m.fit(bad, ops::ones({2, 1}), {.verbose = 0}); });
  EXPECT_NE(msg.find("`x` contains NaN"), std::string::npos) << msg;
  msg = error_of([&] { m.predict(bad, {.verbose = 0}); });
  EXPECT_NE(msg.find("NaN"), std::string::npos) << msg;
  EXPECT_THROW(m.fit(ops::ones({2, 2}), ops::ones({2, 1}), {.batch_size = 0}), keras::ValueError);
}

TEST(ModelErrors, LabelsThatDoNotFitTheLoss) {
  auto m = keras::Sequential({layers::Input({3}), layers::Dense(4)});
  m.compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  // Integer class ids given to a loss that wants one-hot rows.
  std::string msg = error_of([&] { m.fit(ops::ones({2, 3}), Tensor(std::vector<int32_t>{1, 2}), {.verbose = 0}); });
  EXPECT_NE(msg.find("categorical_crossentropy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 4)"), std::string::npos) << msg;
  m.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  msg = error_of([&] { m.fit(ops::ones({2, 3}), ops::ones({2, 7}), {.verbose = 0}); });
  EXPECT_FALSE(msg.empty());
}

TEST(ModelErrors, UnknownAliasesListTheValidNames) {
  LinearModel m;
  std::string msg = error_of([&] { m.compile({.optimizer = "adamm"}); });
  EXPECT_NE(msg.find("adamm"), std::string::npos) << msg;
  EXPECT_NE(msg.find("adam"), std::string::npos) << msg;
  msg = error_of([&] { m.compile({.loss = "msee"}); });
  EXPECT_NE(msg.find("Valid names are"), std::string::npos) << msg;
  msg = error_of([&] { m.compile({.metrics = {"accuracyy"}}); });
  EXPECT_NE(msg.find("Valid names are"), std::string::npos) << msg;
  msg = error_of([&] { layers::Dense(3, "rellu"); });
  EXPECT_NE(msg.find("relu"), std::string::npos) << msg;
}

TEST(ModelErrors, NoLossToCompute) {
  LinearModel m;
  m.compile({.optimizer = "sgd"});
  EXPECT_EQ(error_of([&] {
              m.fit(ops::ones({2, 2}), ops::ones({2, 1}), {.verbose = 0});
            }),
            "No loss to compute. Provide a `loss` argument in `compile()`.");
}

TEST(ModelConfig, DenseGetConfigUsesKerasKeys) {
  layers::Dense d({.units = 3, .activation = "relu", .name = "head"});
  nlohmann::json c = d->get_config();
  EXPECT_EQ(c["name"], "head");
  EXPECT_EQ(c["units"], 3);
  EXPECT_EQ(c["activation"], "relu");
  EXPECT_EQ(c["use_bias"], true);
  EXPECT_EQ(c["dtype"]["config"]["name"], "float32");
}

// ---- datasets ----------------------------------------------------------------------------------------

TEST(ModelDataset, FitOnTensorsAndOnTheEquivalentDatasetGiveIdenticalWeights) {
  auto run = [](bool use_dataset) {
    keras::utils::set_random_seed(21);
    auto m = keras::Sequential({layers::Input({3}), layers::Dense(5, "relu"), layers::Dense(1)});
    m.compile({.optimizer = "adam", .loss = "mse", .metrics = {"mae"}});
    Tensor x = keras::random::normal({30, 3}, {.seed = 8});
    Tensor y = keras::random::normal({30, 1}, {.seed = 9});
    keras::History h;
    if (use_dataset)
      h = m.fit(keras::data::Dataset::from_tensor_slices({x, y}).batch(8), {.epochs = 3, .verbose = 0});
    else
      h = m.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0, .shuffle = false});
    auto w = m.get_weights();
    w.push_back(Tensor::scalar(static_cast<float>(h.history.at("mae").back())));
    return w;
  };
  auto a = run(false), b = run(true);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].to_vector<float>(), b[i].to_vector<float>());
}

TEST(ModelDataset, EvaluatePredictAndValidationAcceptDatasets) {
  LinearModel m;
  m(ops::zeros({1, 2}));
  m.dense->set_weights({col({1.f, 1.f}), Tensor({0.f})});
  m.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.0}), .loss = "mae"});
  Tensor x = ops::reshape(ops::arange(10.0), {5, 2});
  Tensor y = ops::zeros({5, 1});
  auto ds = keras::data::Dataset::from_tensor_slices({x, y}).batch(2);
  // Predictions are row sums 1, 5, 9, 13, 17: MAE against 0 is their mean, 9.
  EXPECT_NEAR(m.evaluate(ds, {.verbose = 0}).at("loss"), 9.0, 1e-5);
  EXPECT_EQ(m.predict(keras::data::Dataset::from_tensor_slices({x}).batch(3), {.verbose = 0}).shape(),
            keras::Shape({5, 1}));
  auto h = m.fit(ds, {.epochs = 1, .verbose = 0, .validation_data = ds});
  EXPECT_NEAR(h.history.at("val_loss")[0], 9.0, 1e-5);
}

TEST(ModelDataset, InfiniteDatasetNeedsStepsPerEpoch) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  auto ds = keras::data::Dataset::from_tensor_slices({ops::ones({4, 2}), ops::ones({4, 1})}).batch(2).repeat();
  std::string msg = error_of([&] { m.fit(ds, {.verbose = 0}); });
  EXPECT_NE(msg.find("steps_per_epoch"), std::string::npos) << msg;
  auto h = m.fit(ds, {.epochs = 2, .verbose = 0, .steps_per_epoch = 3});
  EXPECT_EQ(m.optimizer().iterations(), 6);
  EXPECT_EQ(h.epoch.size(), 2u);
}

TEST(ModelDataset, UnbatchedOrEmptyDatasetsAreRefused) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  auto one = keras::data::Dataset::from_tensor_slices({ops::ones({4, 2}), ops::ones({4, 1})});
  // Unbatched elements reach the layer as single samples: its input check names the shape.
  std::string msg = error_of([&] { m.fit(one, {.verbose = 0}); });
  EXPECT_NE(msg.find("Full shape received: (2,)"), std::string::npos) << msg;
  msg = error_of([&] { m.fit(one.take(0).batch(2), {.verbose = 0}); });
  EXPECT_NE(msg.find("non-empty"), std::string::npos) << msg;
}

TEST(Model, LossWeightsAndWeightedMetrics) {
  // Predictions 0, y = [1, 3]: MAE per sample 1 and 3. sample_weight [1, 0]:
  // loss (sum_over_batch_size) = (1 * 1 + 3 * 0) / 2 = 0.5, times loss_weights 4 -> 2.
  // Unweighted "mae" = 2; weighted "mae" (renamed weighted_mae) = (1 * 1 + 3 * 0) / (1 + 0) = 1.
  LinearModel m;
  m.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.0}),
             .loss = "mae",
             .loss_weights = {4.0},
             .metrics = {"mae"},
             .weighted_metrics = {"mae"}});
  auto r = m.test_on_batch(ops::zeros({2, 2}), col({1.f, 3.f}), Tensor({1.f, 0.f}));
  EXPECT_NEAR(r.at("loss"), 2.0, 1e-6);
  EXPECT_NEAR(r.at("mae"), 2.0, 1e-6);
  EXPECT_NEAR(r.at("weighted_mae"), 1.0, 1e-6);
  EXPECT_THROW(m.compile({.loss = "mae", .loss_weights = {1.0, 2.0}}), keras::ValueError);
}

TEST(ModelDataset, AnExceptionInAMapFunctionReachesTheCallerOfFit) {
  LinearModel m;
  m.compile({.optimizer = "sgd", .loss = "mse"});
  std::atomic<int> calls{0};  // map runs on two worker threads
  auto ds = keras::data::Dataset::from_tensor_slices({ops::ones({8, 2}), ops::ones({8, 1})})
                .batch(2)
                .map(
                    [&calls](const keras::data::Element& e) {
                      if (++calls == 3) throw keras::ValueError("bad record in shard 7");
                      return e;
                    },
                    /*num_parallel_calls=*/2)
                .prefetch(2);
  EXPECT_EQ(error_of([&] { m.fit(ds, {.verbose = 0}); }), "bad record in shard 7");
}
