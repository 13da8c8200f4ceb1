// The built-in callbacks, each against hand-worked expectations. Monitored values are scripted: a
// callback placed first rewrites the epoch logs (set_log_value), so the sequences the monitors see
// are exactly the ones written here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "callbacks/event_file.hpp"
#include "harness/expect_error.hpp"
#include "harness/temp_dir.hpp"
#include "keras/keras.hpp"

namespace fs = std::filesystem;
namespace cb = keras::callbacks;
namespace layers = keras::layers;
namespace ops = keras::ops;
using keras::Tensor;

namespace {

// Rewrites epoch logs: values[key][epoch] (NaN = leave the key out of the script for that epoch).
class ScriptedLogs : public cb::Callback {
 public:
  explicit ScriptedLogs(std::map<std::string, std::vector<double>> values) : values_(std::move(values)) {}
  void on_epoch_end(int64_t epoch, const cb::Logs&) override {
    for (const auto& [k, v] : values_)
      if (static_cast<size_t>(epoch) < v.size() && !std::isnan(v[static_cast<size_t>(epoch)]))
        set_log_value(k, v[static_cast<size_t>(epoch)]);
  }

 private:
  std::map<std::string, std::vector<double>> values_;
};

// Records the model's weights at every epoch end.
class WeightsLog : public cb::Callback {
 public:
  std::vector<std::vector<Tensor>> at_epoch_end;
  void on_epoch_end(int64_t, const cb::Logs&) override { at_epoch_end.push_back(model()->get_weights()); }
};

struct Fixture {
  std::unique_ptr<keras::Sequential> owner;
  keras::Sequential& model;
  Tensor x, y;
  explicit Fixture(keras::optimizers::OptimizerArg opt = "sgd", std::vector<keras::metrics::MetricArg> metrics = {})
      : owner(
            std::make_unique<keras::Sequential>(std::vector<keras::LayerHandle>{layers::Input({3}), layers::Dense(1)})),
        model(*owner) {
    keras::utils::set_random_seed(1);
    model.compile({.optimizer = std::move(opt), .loss = "mse", .metrics = std::move(metrics)});
    x = ops::reshape(ops::arange(0, 48), {16, 3}) / 48.0;
    y = ops::sum(x, {1}, true);
  }
  keras::History fit(int64_t epochs, std::vector<cb::CallbackArg> callbacks, int64_t batch_size = 4) {
    return model.fit(x, y,
                     {.batch_size = batch_size,
                      .epochs = epochs,
                      .verbose = 0,
                      .callbacks = std::move(callbacks),
                      .validation_data = keras::ValidationData(x, y),
                      .shuffle = false});
  }
};

bool same(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].shape() != b[i].shape()) return false;
    if (std::memcmp(a[i].contiguous().raw_data(), b[i].contiguous().raw_data(),
                    static_cast<size_t>(a[i].size()) * keras::dtype_size(a[i].dtype())) != 0)
      return false;
  }
  return true;
}

}  // namespace

// ---- EarlyStopping -----------------------------------------------------------------------------------

TEST(EarlyStopping, StopsWhenPatienceRunsOutAndRestoresTheBestWeights) {
  Fixture f;
  // best 1.0 (e0), 0.8 (e1); e2 0.9: wait 1; e3 0.85: wait 2 = patience -> stop after epoch 3.
  auto script = std::make_shared<ScriptedLogs>(
      std::map<std::string, std::vector<double>>{{"val_loss", {1.0, 0.8, 0.9, 0.85, 0.95, 0.7}}});
  auto weights = std::make_shared<WeightsLog>();
  auto stop =
      std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.patience = 2, .restore_best_weights = true});
  auto h = f.fit(10, {script, weights, stop});
  EXPECT_EQ(h.epoch, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(stop->stopped_epoch(), 3);
  EXPECT_EQ(stop->best_epoch(), 1);
  EXPECT_EQ(stop->best(), 0.8);
  EXPECT_TRUE(same(f.model.get_weights(), weights->at_epoch_end[1]));
  EXPECT_FALSE(same(f.model.get_weights(), weights->at_epoch_end[3]));
}

TEST(EarlyStopping, MinDeltaBaselineStartFromEpochAndMode) {
  {
    // min_delta 0.15: 1.0 -> 0.9 is not an improvement; patience 1 stops at epoch 1.
    Fixture f;
    auto script =
        std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {1.0, 0.9, 0.5}}});
    auto stop = std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.min_delta = 0.15, .patience = 1});
    f.fit(5, {script, stop});
    EXPECT_EQ(stop->stopped_epoch(), 1);
  }
  {
    // A baseline the values never beat: improvements do not restart the count, the first
    // non-improvement past patience stops (epoch 2).
    Fixture f;
    auto script =
        std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {1.0, 0.9, 0.95, 0.8}}});
    auto stop = std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.patience = 2, .baseline = 0.5});
    f.fit(5, {script, stop});
    EXPECT_EQ(stop->stopped_epoch(), 2);
  }
  {
    // start_from_epoch 3: epochs 0-2 are not watched; then 0.5 best, 0.6 wait 1 = patience -> stop at 4.
    Fixture f;
    auto script = std::make_shared<ScriptedLogs>(
        std::map<std::string, std::vector<double>>{{"val_loss", {0.1, 0.2, 0.3, 0.5, 0.6, 0.7}}});
    auto stop = std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.patience = 1, .start_from_epoch = 3});
    f.fit(6, {script, stop});
    EXPECT_EQ(stop->stopped_epoch(), 4);
    EXPECT_EQ(stop->best_epoch(), 3);
  }
  {
    // "auto" on accuracy maximizes (the metric's direction): rising values never stop.
    Fixture f("sgd", {"accuracy"});
    auto script = std::make_shared<ScriptedLogs>(
        std::map<std::string, std::vector<double>>{{"val_accuracy", {0.1, 0.2, 0.3, 0.4}}});
    auto stop = std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.monitor = "val_accuracy"});
    auto h = f.fit(4, {script, stop});
    EXPECT_EQ(h.epoch.size(), 4u);
    EXPECT_EQ(stop->best(), 0.4);
  }
}

TEST(EarlyStopping, UnknownMonitorWarnsOrAsksForAMode) {
  {
    Fixture f;
    auto stop = std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.monitor = "val_foo", .mode = "min"});
    testing::internal::CaptureStderr();
    auto h = f.fit(3, {stop});
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(h.epoch.size(), 3u);  // goes on
    EXPECT_NE(err.find("Early stopping conditioned on metric `val_foo` which is not available. Available metrics are: "
                       "loss,val_loss"),
              std::string::npos)
        << err;
  }
  {
    Fixture f;
    auto stop = std::make_shared<cb::EarlyStopping>(cb::EarlyStopping::Options{.monitor = "val_foo"});
    expect_error<keras::ValueError>([&] { f.fit(3, {stop}); }, "Pass `mode='max'`");
  }
  testing::internal::CaptureStderr();
  cb::EarlyStopping bad({.mode = "maximum"});
  EXPECT_NE(
      testing::internal::GetCapturedStderr().find("EarlyStopping mode 'maximum' is unknown, fallback to auto mode."),
      std::string::npos);
}

// ---- ReduceLROnPlateau and LearningRateScheduler -----------------------------------------------------

TEST(ReduceLROnPlateau, ReducesAtTheRightEpochAndLogsTheRate) {
  Fixture f(keras::optimizers::SGD({.learning_rate = 0.1}));
  // Flat loss: e0 sets best; e1 wait 1; e2 wait 2 = patience -> 0.05; e3 wait 1; e4 -> 0.025.
  auto script = std::make_shared<ScriptedLogs>(
      std::map<std::string, std::vector<double>>{{"val_loss", std::vector<double>(6, 1.0)}});
  auto reduce = std::make_shared<cb::ReduceLROnPlateau>(cb::ReduceLROnPlateau::Options{.factor = 0.5, .patience = 2});
  auto h = f.fit(6, {script, reduce});
  // "learning_rate" is logged before the epoch's reduction.
  const std::vector<float> expected = {0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.025f};
  ASSERT_EQ(h.history.at("learning_rate").size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(h.history.at("learning_rate")[i], static_cast<double>(expected[i])) << i;
  EXPECT_EQ(f.model.optimizer().learning_rate(), static_cast<double>(0.025f));
}

TEST(ReduceLROnPlateau, CooldownMinLrAndBadFactor) {
  Fixture f(keras::optimizers::SGD({.learning_rate = 0.1}));
  // patience 1, cooldown 2, min_lr 0.02: e1 -> 0.05 (cooldown 2); e2 in cooldown (2 -> 1); e3 the
  // cooldown ends (1 -> 0) and the count resumes -> 0.025; e4 cooldown; e5 -> max(0.0125, 0.02) =
  // 0.02; e7 would reduce again but the rate is at min_lr.
  auto script = std::make_shared<ScriptedLogs>(
      std::map<std::string, std::vector<double>>{{"val_loss", std::vector<double>(9, 1.0)}});
  auto reduce = std::make_shared<cb::ReduceLROnPlateau>(
      cb::ReduceLROnPlateau::Options{.factor = 0.5, .patience = 1, .cooldown = 2, .min_lr = 0.02});
  auto h = f.fit(9, {script, reduce});
  const std::vector<float> expected = {0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.02f, 0.02f, 0.02f};
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(h.history.at("learning_rate")[i], static_cast<double>(expected[i])) << i;
  expect_error<keras::ValueError>([] { cb::ReduceLROnPlateau({.factor = 1.0}); },
                                  "ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1.0");
}

TEST(LearningRateScheduler, SetsTheRateEachEpochAndTheStepsUseIt) {
  Fixture f(keras::optimizers::SGD({.learning_rate = 0.1}));
  std::vector<double> seen;
  cb::LearningRateScheduler sched([](int64_t epoch, double lr) { return epoch < 2 ? lr : lr / 2; });
  cb::LambdaCallback probe({.on_train_batch_begin = [&](int64_t b, const cb::Logs&) {
    if (b == 0) seen.push_back(f.model.optimizer().learning_rate());
  }});
  auto h = f.fit(4, {sched, probe});
  const std::vector<double> expected = {0.1f, 0.1f, 0.05f, 0.025f};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(h.history.at("learning_rate"), expected);
  // A function of the epoch alone.
  Fixture g;
  cb::LearningRateScheduler by_epoch(std::function<double(int64_t)>([](int64_t e) { return 0.01 * (e + 1); }));
  auto h2 = g.fit(3, {by_epoch});
  EXPECT_EQ(h2.history.at("learning_rate"), (std::vector<double>{0.01f, 0.02f, 0.03f}));
}

// ---- CSVLogger ----------------------------------------------------------------------------------------

TEST(CSVLogger, WritesKerasRowsAndAppends) {
  TempDir d;
  const std::string path = d.file("log.csv");
  {
    Fixture f;
    auto script = std::make_shared<ScriptedLogs>(
        std::map<std::string, std::vector<double>>{{"loss", {0.5, 0.125}}, {"val_loss", {0.25, 1e-05}}});
    f.fit(2, {script, cb::CSVLogger(path)});
  }
  EXPECT_EQ(read_file(path), "epoch,loss,val_loss\r\n0,0.5,0.25\r\n1,0.125,1e-05\r\n");
  {
    Fixture f;
    auto script = std::make_shared<ScriptedLogs>(
        std::map<std::string, std::vector<double>>{{"loss", {1.0}}, {"val_loss", {1234.5}}});
    f.fit(1, {script, cb::CSVLogger(path, ",", true)});
  }
  EXPECT_EQ(read_file(path), "epoch,loss,val_loss\r\n0,0.5,0.25\r\n1,0.125,1e-05\r\n0,1.0,1234.5\r\n");
}

TEST(CSVLogger, SeparatorMissingValidationKeysAndBadPath) {
  TempDir d;
  const std::string path = d.file("log.csv");
  Fixture f;
  auto script = std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"loss", {0.75, 0.0001}}});
  // Validation every second epoch: the first row has no val_loss, which is written as NA.
  f.model.fit(f.x, f.y,
              {.batch_size = 4,
               .epochs = 2,
               .verbose = 0,
               .callbacks = {script, cb::CSVLogger(path, ";")},
               .validation_data = keras::ValidationData(f.x, f.y),
               .validation_freq = 2});
  const std::string text = read_file(path);
  EXPECT_EQ(text.substr(0, text.find("\r\n")), "epoch;loss;val_loss");
  EXPECT_NE(text.find("\r\n0;0.75;NA\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\r\n1;0.0001;"), std::string::npos) << text;
  expect_error<keras::Error>([&] { f.fit(1, {cb::CSVLogger(d.file("missing/log.csv"))}); }, "missing/log.csv");
}

// ---- TerminateOnNaN -------------------------------------------------------------------------------------

TEST(TerminateOnNaN, StopsADivergingRun) {
  // SGD with an enormous rate: the weights overflow within a few steps, the loss becomes inf/NaN.
  Fixture f(keras::optimizers::SGD({.learning_rate = 1e30}));
  int batches = 0;
  cb::LambdaCallback count({.on_train_batch_end = [&](int64_t, const cb::Logs&) { ++batches; }});
  testing::internal::CaptureStdout();
  auto h = f.fit(5, {count, cb::TerminateOnNaN()});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_LT(batches, 20);  // 5 epochs of 4 batches without the callback
  EXPECT_EQ(h.epoch.size(), 1u);
  EXPECT_NE(out.find(": Invalid loss, terminating training"), std::string::npos) << out;

  cb::TerminateOnNaN strict(true);
  strict.set_model(&f.model);
  expect_error<keras::RuntimeError>(
      [&] {
        strict.on_train_batch_end(7, {{"loss", std::numeric_limits<double>::infinity()}});
      },
      "NaN or Inf loss encountered at batch 7. Loss value: inf.");
}

// ---- ModelCheckpoint -----------------------------------------------------------------------------------

TEST(ModelCheckpoint, FileNamesFromTheTemplate) {
  TempDir d;
  Fixture f;
  auto script =
      std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {0.5, 0.123, 2.0}}});
  auto weights = std::make_shared<WeightsLog>();
  const std::string tmpl = d.file("ckpt/m-{epoch:02d}-{val_loss:.2f}.weights.h5");  // the folder is created
  f.fit(3, {script, weights, cb::ModelCheckpoint({.filepath = tmpl, .save_weights_only = true})});
  EXPECT_TRUE(fs::exists(d.file("ckpt/m-01-0.50.weights.h5")));
  EXPECT_TRUE(fs::exists(d.file("ckpt/m-02-0.12.weights.h5")));
  EXPECT_TRUE(fs::exists(d.file("ckpt/m-03-2.00.weights.h5")));
  // Each file holds the weights of its epoch's end.
  Fixture g;
  g.model.load_weights(d.file("ckpt/m-02-0.12.weights.h5"));
  EXPECT_TRUE(same(g.model.get_weights(), weights->at_epoch_end[1]));
}

TEST(ModelCheckpoint, WholeModelFilesLoadBackWithTheirEpochsWeights) {
  TempDir d;
  Fixture f;
  auto weights = std::make_shared<WeightsLog>();
  f.fit(2, {weights, cb::ModelCheckpoint({.filepath = d.file("m-{epoch}.keras")})});
  for (int e = 1; e <= 2; ++e) {
    keras::Handle<keras::Model> m = keras::models::load_model(d.file("m-" + std::to_string(e) + ".keras"));
    EXPECT_TRUE(same(m->get_weights(), weights->at_epoch_end[static_cast<size_t>(e - 1)])) << "epoch " << e;
    EXPECT_TRUE(m->compiled());
  }
}

TEST(ModelCheckpoint, SaveBestOnlyAndInitialThreshold) {
  TempDir d;
  Fixture f;
  auto script =
      std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {0.5, 0.6, 0.4}}});
  f.fit(3,
        {script, cb::ModelCheckpoint(
                     {.filepath = d.file("e{epoch}.weights.h5"), .save_best_only = true, .save_weights_only = true})});
  EXPECT_TRUE(fs::exists(d.file("e1.weights.h5")));
  EXPECT_FALSE(fs::exists(d.file("e2.weights.h5")));
  EXPECT_TRUE(fs::exists(d.file("e3.weights.h5")));

  TempDir d2("second");
  Fixture g;
  auto script2 =
      std::make_shared<ScriptedLogs>(std::map<std::string, std::vector<double>>{{"val_loss", {0.5, 0.6, 0.4}}});
  testing::internal::CaptureStdout();
  g.fit(3, {script2, cb::ModelCheckpoint({.filepath = d2.file("e{epoch}.weights.h5"),
                                          .verbose = 1,
                                          .save_best_only = true,
                                          .save_weights_only = true,
                                          .initial_value_threshold = 0.45})});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_FALSE(fs::exists(d2.file("e1.weights.h5")));
  EXPECT_TRUE(fs::exists(d2.file("e3.weights.h5")));
  EXPECT_NE(out.find("\nEpoch 1: val_loss did not improve from 0.45000\n"), std::string::npos) << out;
  EXPECT_NE(
      out.find("\nEpoch 3: val_loss improved from 0.45000 to 0.40000, saving model to " + d2.file("e3.weights.h5")),
      std::string::npos)
      << out;
}

TEST(ModelCheckpoint, EveryNBatches) {
  TempDir d;
  Fixture
      f;  // 4 batches per epoch; every 3 batches: (epoch 1, batch 3), (epoch 2, batch 2), (epoch 3, batch 1), (3, 4)
  f.fit(3, {cb::ModelCheckpoint(
               {.filepath = d.file("b-{epoch}-{batch}.weights.h5"), .save_weights_only = true, .save_freq = 3})});
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d.path)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"b-1-3.weights.h5", "b-2-2.weights.h5", "b-3-1.weights.h5", "b-3-4.weights.h5"}));
}

TEST(ModelCheckpoint, BadInput) {
  TempDir d;
  Fixture f;
  expect_error<keras::ValueError>(
      [&] {
        f.fit(1, {cb::ModelCheckpoint({.filepath = d.file("m-{val_acc:.2f}.weights.h5"), .save_weights_only = true})});
      },
      "Failed to format this callback filepath: \"" + d.file("m-{val_acc:.2f}.weights.h5") + "\". Reason: 'val_acc'");
  expect_error<keras::ValueError>([&] { cb::ModelCheckpoint({.filepath = d.file("m.h5"), .save_weights_only = true}); },
                                  "must end in `.weights.h5`");
  expect_error<keras::ValueError>([] { cb::ModelCheckpoint({.filepath = "m.txt"}); }, "must end in `.keras`");
  // A folder that cannot be created (a file is in the way).
  std::ofstream(d.file("blocker")) << "x";
  expect_error<keras::Error>(
      [&] { f.fit(1, {cb::ModelCheckpoint({.filepath = d.file("blocker/m.weights.h5"), .save_weights_only = true})}); },
      "blocker");
  // The path is an existing folder.
  fs::create_directories(d.path / "dir.weights.h5");
  expect_error<keras::Error>(
      [&] { f.fit(1, {cb::ModelCheckpoint({.filepath = d.file("dir.weights.h5"), .save_weights_only = true})}); },
      "non-directory filepath");
}

// ---- LambdaCallback, SwapEMAWeights ---------------------------------------------------------------------

TEST(LambdaCallback, EveryHookIsCalled) {
  Fixture f;
  std::map<std::string, int> calls;
  auto count = [&](const char* name) { return [&calls, name](auto&&...) { ++calls[name]; }; };
  cb::LambdaCallback all({.on_epoch_begin = count("epoch_begin"),
                          .on_epoch_end = count("epoch_end"),
                          .on_train_begin = count("train_begin"),
                          .on_train_end = count("train_end"),
                          .on_train_batch_begin = count("train_batch_begin"),
                          .on_train_batch_end = count("train_batch_end"),
                          .on_test_begin = count("test_begin"),
                          .on_test_end = count("test_end"),
                          .on_test_batch_begin = count("test_batch_begin"),
                          .on_test_batch_end = count("test_batch_end")});
  f.fit(2, {all});  // 2 epochs x 4 batches, validation 16 rows at batch 4 -> 4 test batches per epoch
  EXPECT_EQ(calls, (std::map<std::string, int>{{"epoch_begin", 2},
                                               {"epoch_end", 2},
                                               {"test_batch_begin", 8},
                                               {"test_batch_end", 8},
                                               {"test_begin", 2},
                                               {"test_end", 2},
                                               {"train_batch_begin", 8},
                                               {"train_batch_end", 8},
                                               {"train_begin", 1},
                                               {"train_end", 1}}));
  int predicted = 0;
  f.model.predict(
      f.x,
      {.batch_size = 8,
       .verbose = 0,
       .callbacks = {cb::LambdaCallback({.on_predict_batch_end = [&](int64_t, const cb::Logs&) { ++predicted; }})}});
  EXPECT_EQ(predicted, 2);
}

TEST(SwapEMAWeights, EvaluatesWithTheAveragesAndSwapsBack) {
  Fixture f(keras::optimizers::SGD({.learning_rate = 0.1, .use_ema = true, .ema_momentum = 0.5}));
  f.model.fit(f.x, f.y, {.batch_size = 4, .epochs = 1, .verbose = 0, .shuffle = false});
  // fit ends by copying the averages into the model (as Keras does); one more step moves them apart.
  f.model.train_on_batch(f.x, f.y);
  const auto weights = f.model.get_weights();
  std::vector<Tensor> averages;
  for (auto& a : f.model.optimizer().model_variables_moving_average()) averages.push_back(a.value().contiguous());
  ASSERT_FALSE(same(weights, averages));
  std::vector<Tensor> during;
  cb::LambdaCallback probe({.on_test_begin = [&](const cb::Logs&) { during = f.model.get_weights(); }});
  const double ema_loss =
      f.model.evaluate(f.x, f.y, {.verbose = 0, .callbacks = {cb::SwapEMAWeights(), probe}}).at("loss");
  EXPECT_TRUE(same(during, averages));
  EXPECT_TRUE(same(f.model.get_weights(), weights));  // swapped back
  // The loss is the averaged weights' loss.
  const auto saved = f.model.get_weights();
  f.model.set_weights(averages);
  EXPECT_EQ(f.model.evaluate(f.x, f.y, {.verbose = 0}).at("loss"), ema_loss);
  f.model.set_weights(saved);
  Fixture g;  // no EMA
  g.model.fit(g.x, g.y, {.batch_size = 4, .epochs = 1, .verbose = 0});
  expect_error<keras::ValueError>(
      [&] { g.model.evaluate(g.x, g.y, {.verbose = 0, .callbacks = {cb::SwapEMAWeights()}}); },
      "SwapEMAWeights must be used when `use_ema=True`");
}

// ---- TensorBoard ------------------------------------------------------------------------------------------

TEST(TensorBoard, WritesKerasTagsAndSteps) {
  TempDir d;
  Fixture f;
  auto h = f.fit(2, {cb::TensorBoard({.log_dir = d.file("logs"), .update_freq = 3})});
  auto only_file = [&](const std::string& run) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(d.path / "logs" / run)) files.push_back(e.path().string());
    EXPECT_EQ(files.size(), 1u) << run;
    EXPECT_NE(files.at(0).find("events.out.tfevents."), std::string::npos);
    return files.at(0);
  };
  const auto train = cb::internal::read_event_file(only_file("train"));
  const auto val = cb::internal::read_event_file(only_file("validation"));
  EXPECT_EQ(train.file_version, "brain.Event:2");
  std::map<std::string, std::vector<std::pair<int64_t, double>>> t, v;
  for (const auto& s : train.scalars) t[s.tag].emplace_back(s.step, s.value);
  for (const auto& s : val.scalars) v[s.tag].emplace_back(s.step, s.value);
  auto f32 = [](double x) { return static_cast<double>(static_cast<float>(x)); };
  ASSERT_EQ(t["epoch_loss"].size(), 2u);
  EXPECT_EQ(t["epoch_loss"][0], std::make_pair(int64_t{0}, f32(h.history.at("loss")[0])));
  EXPECT_EQ(t["epoch_loss"][1], std::make_pair(int64_t{1}, f32(h.history.at("loss")[1])));
  EXPECT_EQ(t["epoch_learning_rate"].size(), 2u);
  EXPECT_EQ(t["epoch_learning_rate"][1].second, f32(0.01f));
  // 8 train batches, batch-level every 3rd global batch (1-based): 3 and 6.
  ASSERT_EQ(t["batch_loss"].size(), 2u);
  EXPECT_EQ(t["batch_loss"][0].first, 3);
  EXPECT_EQ(t["batch_loss"][1].first, 6);
  ASSERT_EQ(v["epoch_loss"].size(), 2u);
  EXPECT_EQ(v["epoch_loss"][1], std::make_pair(int64_t{1}, f32(h.history.at("val_loss")[1])));
  // After each validation, at the optimizer's iteration count (4 and 8).
  ASSERT_EQ(v["evaluation_loss_vs_iterations"].size(), 2u);
  EXPECT_EQ(v["evaluation_loss_vs_iterations"][0].first, 4);
  EXPECT_EQ(v["evaluation_loss_vs_iterations"][1].first, 8);
  ASSERT_EQ(train.texts.size(), 1u);
  EXPECT_EQ(train.texts[0].tag, "keras");
  EXPECT_NE(train.texts[0].value.find("\"class_name\":\"Sequential\""), std::string::npos);
  expect_error<keras::NotImplementedError>([] { cb::TensorBoard({.histogram_freq = 1}); }, "histogram_freq");
  expect_error<keras::ValueError>([] { cb::TensorBoard({.update_freq = "often"}); }, "update_freq");
}

// Writes a TensorBoard callback run and the values TensorBoard must read from it when
// KERAS_TB_CALLBACK_OUT names a directory (scripts/check-tensorboard-interop reads it back with
// TensorBoard's own loader).
TEST(TensorBoard, InteropOutputForTensorBoard) {
  const char* out = std::getenv("KERAS_TB_CALLBACK_OUT");
  if (out == nullptr || *out == '\0') GTEST_SKIP() << "KERAS_TB_CALLBACK_OUT not set";
  Fixture f;
  auto h = f.fit(3, {cb::TensorBoard({.log_dir = out, .update_freq = 2})});
  std::string json = "{\"scalars\": [";
  bool first = true;
  auto expect = [&](const std::string& run, const std::string& tag, int64_t step, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(static_cast<float>(value)));
    json += std::string(first ? "" : ",\n") + "{\"run\": \"" + run + "\", \"tag\": \"" + tag +
            "\", \"step\": " + std::to_string(step) + ", \"value\": " + buf + "}";
    first = false;
  };
  for (int64_t e = 0; e < 3; ++e) {
    const auto i = static_cast<size_t>(e);
    expect("train", "epoch_loss", e, h.history.at("loss")[i]);
    expect("train", "epoch_learning_rate", e, 0.01);
    expect("validation", "epoch_loss", e, h.history.at("val_loss")[i]);
    expect("validation", "evaluation_loss_vs_iterations", 4 * (e + 1), h.history.at("val_loss")[i]);
  }
  // Batch-level: every 2nd of the 12 global batches; their values are the running epoch means,
  // read back from the file (the test above checks the steps).
  for (const auto& entry : fs::directory_iterator(fs::path(out) / "train"))
    for (const auto& s : cb::internal::read_event_file(entry.path().string()).scalars)
      if (s.tag == "batch_loss") expect("train", "batch_loss", s.step, s.value);
  json += "]}\n";
  std::ofstream(fs::path(out) / "expected.json") << json;
}
