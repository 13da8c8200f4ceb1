// Configs of losses, metrics, optimizers and learning-rate schedules against Keras 3.15.1's
// envelopes (tests/fixtures/object_configs.json, made by gen_object_config_fixtures.py).
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../harness/expect_error.hpp"
#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"
#include "keras/optimizers/schedules.hpp"
#include "keras/saving.hpp"
#include "keras/variable.hpp"

using keras::Tensor;
using nlohmann::json;
namespace saving = keras::saving;
namespace losses = keras::losses;
namespace metrics = keras::metrics;
namespace optimizers = keras::optimizers;
namespace schedules = keras::optimizers::schedules;

namespace {

const json& fixtures() {
  static const json all = [] {
    std::ifstream in(std::string(KERAS_TEST_FIXTURES) + "/object_configs.json");
    if (!in) throw std::runtime_error("cannot open object_configs.json");
    return json::parse(in);
  }();
  return all;
}

const json& envelope(const std::string& kind, const std::string& name) {
  for (const auto& e : fixtures())
    if (e["kind"] == kind && e["case"] == name) return e["envelope"];
  throw std::runtime_error("no fixture case " + kind + " " + name);
}

json round_trip(const std::string& kind, const json& env) {
  if (kind == "loss") return saving::serialize_keras_object(*saving::deserialize_loss(env));
  if (kind == "metric") return saving::serialize_keras_object(*saving::deserialize_metric(env));
  if (kind == "optimizer") return saving::serialize_keras_object(*saving::deserialize_optimizer(env));
  if (kind == "schedule") return saving::serialize_keras_object(*saving::deserialize_schedule(env));
  throw std::runtime_error("unknown kind " + kind);
}

double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

}  // namespace

// ---- every fixture case ---------------------------------------------------------------------------------

TEST(ObjectConfig, FixtureRoundTripsExactly) {
  ASSERT_GE(fixtures().size(), 140u);
  int checked = 0;
  for (const auto& entry : fixtures()) {
    const std::string kind = entry["kind"];
    const std::string name = entry["case"];
    SCOPED_TRACE(kind + " " + name);
    const json& env = entry["envelope"];
    json again;
    testing::internal::CaptureStderr();
    try {
      again = round_trip(kind, env);
    } catch (const std::exception& e) {
      testing::internal::GetCapturedStderr();
      ADD_FAILURE() << "threw: " << e.what();
      continue;
    }
    const std::string warnings = testing::internal::GetCapturedStderr();
    // Keras' own configs hold no key keras.cpp does not read.
    EXPECT_EQ(warnings, "");
    EXPECT_EQ(again, env);
    // Also as text: a float written where Keras writes an int (or 1.0 for 1) would differ here.
    EXPECT_EQ(again.dump(), env.dump());
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(fixtures().size()));
}

TEST(ObjectConfig, EveryBuiltinClassHasFixtures) {
  std::set<std::string> classes;
  for (const auto& e : fixtures())
    classes.insert(e["kind"].get<std::string>() + ":" + e["envelope"]["class_name"].get<std::string>());
  for (const auto& name : losses::valid_names()) {
    if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0])) || name == "BCE" || name == "KLD" ||
        name == "MAE" || name == "MAPE" || name == "MSE" || name == "MSLE")
      continue;
    EXPECT_TRUE(classes.contains("loss:" + name)) << name;
  }
  for (const auto& name : metrics::valid_names()) {
    if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0])) || name == "BCE" || name == "MAE" ||
        name == "MAPE" || name == "MSE" || name == "MSLE")
      continue;
    EXPECT_TRUE(classes.contains("metric:" + name)) << name;
  }
  for (const auto& name : optimizers::valid_names()) {
    auto opt = optimizers::get(name);
    EXPECT_TRUE(classes.contains("optimizer:" + opt->class_name())) << name;
  }
}

// ---- objects made from configs behave as configured --------------------------------------------------------

TEST(ObjectConfig, OptimizerFromKerasConfigIsConfigured) {
  auto opt = saving::deserialize_optimizer(envelope("optimizer", "Adam__custom"));
  auto* adam = dynamic_cast<optimizers::Adam*>(opt.get());
  ASSERT_NE(adam, nullptr);
  EXPECT_EQ(adam->name(), "adam_1");
  EXPECT_EQ(adam->learning_rate(), f32(3e-4));
  EXPECT_EQ(adam->options().beta_1, 0.8);
  EXPECT_EQ(adam->options().beta_2, 0.99);
  EXPECT_EQ(adam->options().epsilon, 1e-8);
  EXPECT_TRUE(adam->options().amsgrad);
  EXPECT_FALSE(adam->clipnorm().has_value());

  auto ema = saving::deserialize_optimizer(envelope("optimizer", "Adam__ema"));
  EXPECT_TRUE(ema->use_ema());
  EXPECT_EQ(ema->ema_momentum(), 0.9);
  EXPECT_EQ(ema->ema_overwrite_frequency(), 10);

  auto clip = saving::deserialize_optimizer(envelope("optimizer", "Adam__clipnorm"));
  EXPECT_EQ(clip->clipnorm(), 1.0);
  auto wd = saving::deserialize_optimizer(envelope("optimizer", "Adam__weight_decay"));
  EXPECT_EQ(wd->weight_decay(), 0.01);
  auto ls = saving::deserialize_optimizer(envelope("optimizer", "SGD__loss_scale"));
  EXPECT_EQ(ls->loss_scale_factor(), 128.0);
  EXPECT_EQ(ls->gradient_accumulation_steps(), 4);

  auto adamw = saving::deserialize_optimizer(envelope("optimizer", "AdamW__default"));
  ASSERT_NE(dynamic_cast<optimizers::AdamW*>(adamw.get()), nullptr);
  EXPECT_EQ(adamw->weight_decay(), 0.004);
}

TEST(ObjectConfig, OptimizerFromConfigStepsLikeOneMadeDirectly) {
  auto from_config = saving::deserialize_optimizer(envelope("optimizer", "RMSprop__custom"));
  optimizers::RMSprop direct({.learning_rate = 0.01, .rho = 0.8, .momentum = 0.5, .epsilon = 1e-6, .centered = true});
  keras::Variable a(Tensor({1.f, -2.f, 3.f}), {.name = "w"});
  keras::Variable b(Tensor({1.f, -2.f, 3.f}), {.name = "w"});
  const Tensor g({0.5f, -0.25f, 2.f});
  for (int i = 0; i < 3; ++i) {
    from_config->apply({g}, {a});
    direct.apply({g}, {b});
  }
  const auto va = a.value().to_vector<float>();
  const auto vb = b.value().to_vector<float>();
  EXPECT_EQ(va, vb);
}

TEST(ObjectConfig, OptimizerWithScheduleFromConfig) {
  auto opt = saving::deserialize_optimizer(envelope("optimizer", "SGD__exponential_decay"));
  auto* sgd = dynamic_cast<optimizers::SGD*>(opt.get());
  ASSERT_NE(sgd, nullptr);
  const auto& schedule = sgd->options().learning_rate.schedule();
  ASSERT_NE(schedule, nullptr);
  EXPECT_EQ(schedule->class_name(), "ExponentialDecay");
  EXPECT_EQ(sgd->options().momentum, 0.9);
  EXPECT_EQ(sgd->learning_rate(), f32(0.1));  // the schedule at step 0
  schedules::ExponentialDecay direct(0.1, 1000, 0.96);
  EXPECT_EQ((*schedule)(500), direct(500));
}

TEST(ObjectConfig, NumericLearningRateIsWrittenAsFloat32) {
  optimizers::Adam adam({.learning_rate = 1e-3});
  const json env = saving::serialize_keras_object(adam);
  EXPECT_EQ(env["config"]["learning_rate"].get<double>(), 0.0010000000474974513);
  EXPECT_EQ(env["config"]["learning_rate"].dump(), "0.0010000000474974513");
  // The current value: set_learning_rate changes what is written.
  adam.set_learning_rate(0.01);
  EXPECT_EQ(saving::serialize_keras_object(adam)["config"]["learning_rate"].dump(), "0.009999999776482582");
}

TEST(ObjectConfig, LossAndMetricFromKerasConfigAreConfigured) {
  auto loss = saving::deserialize_loss(envelope("loss", "BinaryFocalCrossentropy__custom"));
  auto* bfce = dynamic_cast<losses::BinaryFocalCrossentropy*>(loss.get());
  ASSERT_NE(bfce, nullptr);
  EXPECT_EQ(bfce->name(), "bfce");
  EXPECT_EQ(bfce->reduction(), "mean");
  EXPECT_TRUE(bfce->options().apply_class_balancing);
  EXPECT_EQ(bfce->options().alpha, 0.4);
  EXPECT_EQ(bfce->options().gamma, 1.5);
  EXPECT_TRUE(bfce->options().from_logits);
  EXPECT_EQ(bfce->options().label_smoothing, 0.2);
  EXPECT_EQ(bfce->options().axis, 0);

  auto scce = saving::deserialize_loss(envelope("loss", "SparseCategoricalCrossentropy__custom"));
  EXPECT_EQ(dynamic_cast<losses::SparseCategoricalCrossentropy&>(*scce).options().ignore_class, 255);

  auto wrapped = saving::deserialize_loss(envelope("loss", "LossFunctionWrapper__default"));
  const Tensor t({{0.f, 1.f}, {1.f, 0.f}});
  const Tensor p({{0.5f, 0.5f}, {0.f, 1.f}});
  EXPECT_FLOAT_EQ((*wrapped)(t, p).item<float>(), losses::MeanSquaredError()(t, p).item<float>());

  auto auc = saving::deserialize_metric(envelope("metric", "AUC__custom"));
  const auto& o = dynamic_cast<metrics::AUC&>(*auc).options();
  EXPECT_EQ(o.num_thresholds, 50);
  EXPECT_EQ(o.curve, "PR");
  EXPECT_EQ(o.summation_method, "minoring");
  EXPECT_TRUE(o.multi_label);
  EXPECT_EQ(o.num_labels, 3);
  EXPECT_TRUE(o.from_logits);

  auto weighted = saving::deserialize_metric(envelope("metric", "AUC__custom3"));
  const auto& w = dynamic_cast<metrics::AUC&>(*weighted).options().label_weights;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], f32(0.3));

  auto prec = saving::deserialize_metric(envelope("metric", "Precision__custom"));
  const auto& po = dynamic_cast<metrics::Precision&>(*prec).options();
  EXPECT_EQ(po.thresholds, (std::vector<double>{0.3, 0.7}));
  EXPECT_EQ(po.top_k, 2);
  EXPECT_EQ(po.class_id, 1);

  auto mean = saving::deserialize_metric(envelope("metric", "Mean__custom"));
  EXPECT_EQ(mean->dtype(), keras::DType::float64);
  EXPECT_EQ(mean->name(), "avg");
}

// ---- identifiers and other forms ---------------------------------------------------------------------------

TEST(ObjectConfig, IdentifierStrings) {
  EXPECT_EQ(saving::deserialize_optimizer("adam")->class_name(), "Adam");
  EXPECT_EQ(saving::deserialize_optimizer("RMSprop")->class_name(), "RMSprop");
  EXPECT_NE(saving::deserialize_loss("mse"), nullptr);
  EXPECT_EQ(saving::deserialize_loss("CategoricalCrossentropy")->class_name(), "CategoricalCrossentropy");
  EXPECT_EQ(saving::deserialize_metric("mae")->class_name(), "MeanAbsoluteError");
  EXPECT_EQ(saving::deserialize_loss(nullptr), nullptr);
  EXPECT_EQ(saving::deserialize_metric(nullptr), nullptr);
  EXPECT_EQ(saving::deserialize_optimizer(nullptr), nullptr);
  EXPECT_EQ(saving::deserialize_schedule(nullptr), nullptr);
  // A plain function, as Keras writes keras.losses.mean_squared_error.
  const json fn = {{"module", "builtins"},
                   {"class_name", "function"},
                   {"config", "mean_squared_error"},
                   {"registered_name", "function"}};
  EXPECT_NE(saving::deserialize_loss(fn), nullptr);
  expect_error<keras::Error>([] { saving::deserialize_optimizer("adamm"); }, "adamm");
}

TEST(ObjectConfig, LegacyFormAndUnknownKeys) {
  // Keras 2 / tf.keras: no module, no registered_name, and keys Keras 3 dropped.
  const json legacy = {{"class_name", "Adam"},
                       {"config",
                        {{"name", "Adam"},
                         {"learning_rate", 0.01},
                         {"decay", 0.0},
                         {"beta_1", 0.9},
                         {"beta_2", 0.999},
                         {"epsilon", 1e-7},
                         {"amsgrad", false}}}};
  testing::internal::CaptureStderr();
  auto opt = saving::deserialize_optimizer(legacy);
  const std::string warnings = testing::internal::GetCapturedStderr();
  EXPECT_EQ(opt->class_name(), "Adam");
  EXPECT_EQ(opt->name(), "Adam");
  EXPECT_EQ(opt->learning_rate(), f32(0.01));
  EXPECT_NE(warnings.find("decay"), std::string::npos) << warnings;

  // Missing keys take the defaults.
  auto loss = saving::deserialize_loss(json{{"class_name", "Huber"}, {"config", json::object()}});
  EXPECT_EQ(loss->name(), "huber_loss");
  EXPECT_EQ(loss->reduction(), "sum_over_batch_size");
  auto sched = saving::deserialize_schedule(
      json{{"class_name", "CosineDecay"}, {"config", {{"initial_learning_rate", 0.1}, {"decay_steps", 10}}}});
  EXPECT_EQ(saving::serialize_keras_object(*sched)["config"]["name"], "CosineDecay");
}

// ---- errors -------------------------------------------------------------------------------------------------

TEST(ObjectConfig, UnknownClassSaysHowToRegister) {
  const json dice = {
      {"module", "keras.losses"}, {"class_name", "Dice"}, {"config", json::object()}, {"registered_name", nullptr}};
  expect_error<keras::Error>([&] { saving::deserialize_loss(dice); }, "KERAS_REGISTER_SERIALIZABLE");
  expect_error<keras::Error>([&] { saving::deserialize_loss(dice); }, "Dice");
  const json custom = {
      {"module", nullptr}, {"class_name", "Fancy"}, {"config", json::object()}, {"registered_name", "acme>Fancy"}};
  expect_error<keras::Error>([&] { saving::deserialize_optimizer(custom); }, "KERAS_REGISTER_SERIALIZABLE");
  expect_error<keras::Error>([&] { saving::deserialize_metric(custom); }, "acme");
  expect_error<keras::Error>([&] { saving::deserialize_schedule(custom); }, "Fancy");
}

TEST(ObjectConfig, WrongFieldTypeNamesTheKey) {
  expect_error<keras::Error>(
      [] {
        saving::deserialize_loss(
            json{{"class_name", "BinaryCrossentropy"}, {"config", {{"name", "bce"}, {"from_logits", "yes"}}}});
      },
      "from_logits");
  expect_error<keras::Error>(
      [] {
        saving::deserialize_optimizer(json{{"class_name", "SGD"}, {"config", {{"learning_rate", "fast"}}}});
      },
      "learning_rate");
  expect_error<keras::Error>(
      [] {
        saving::deserialize_metric(json{{"class_name", "Precision"}, {"config", {{"thresholds", "high"}}}});
      },
      "thresholds");
  expect_error<keras::Error>(
      [] {
        saving::deserialize_schedule(json{{"class_name", "ExponentialDecay"},
                                          {"config", {{"initial_learning_rate", 0.1}, {"decay_rate", 0.5}}}});
      },
      "decay_steps");
  expect_error<keras::Error>(
      [] {
        saving::deserialize_metric(json{{"class_name", "AUC"}, {"config", {{"num_thresholds", 2.5}}}});
      },
      "num_thresholds");
  // Code from a file is never run.
  expect_error<keras::Error>(
      [] {
        saving::deserialize_loss(json{{"class_name", "__lambda__"}, {"config", {{"code", "xyz"}}}});
      },
      "lambda");
}

// ---- user classes ---------------------------------------------------------------------------------------------

namespace {

// A user loss: scale * mean squared error, with its argument in the config.
class ScaledLoss : public losses::Loss {
 public:
  explicit ScaledLoss(double scale = 1.0, std::string name = "scaled_loss")
      : Loss({.name = std::move(name)}), scale_(scale) {}
  explicit ScaledLoss(const json& config)
      : ScaledLoss(config.value("scale", 1.0), config.value("name", std::string("scaled_loss"))) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return keras::ops::mean(keras::ops::square(y_pred - y_true), -1) * scale_;
  }
  std::string class_name() const override { return "ScaledLoss"; }
  json get_config() const override {
    json config = Loss::get_config();
    config["scale"] = scale_;
    return config;
  }
  double scale() const { return scale_; }

 private:
  double scale_;
};

// A user loss that is neither registered nor overrides get_config.
class PlainLoss : public losses::Loss {
 public:
  PlainLoss() : Loss({.name = "plain", .reduction = "sum"}) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override { return y_pred - y_true; }
  std::string class_name() const override { return "PlainLoss"; }
};

// A user schedule without get_config: not serializable, as in Keras.
class ConstantSchedule : public schedules::LearningRateSchedule {
 public:
  double operator()(int64_t) const override { return 0.5; }
  std::string class_name() const override { return "ConstantSchedule"; }
};

}  // namespace

KERAS_REGISTER_SERIALIZABLE(ScaledLoss, "my_package");

namespace {
// Other tests may clear the registry (clear_custom_objects); registering again is harmless.
void ensure_registered() {
  if (saving::registered_name(saving::ObjectKind::loss, "ScaledLoss").empty())
    saving::detail::register_class<ScaledLoss>("my_package", "ScaledLoss");
}
}  // namespace

TEST(ObjectConfig, RegisteredUserLossRoundTrips) {
  ensure_registered();
  ScaledLoss loss(2.5, "my_scaled");
  const json env = saving::serialize_keras_object(loss);
  EXPECT_EQ(env["module"], nullptr);
  EXPECT_EQ(env["class_name"], "ScaledLoss");
  EXPECT_EQ(env["registered_name"], "my_package>ScaledLoss");
  EXPECT_EQ(env["config"], (json{{"name", "my_scaled"}, {"reduction", "sum_over_batch_size"}, {"scale", 2.5}}));

  auto back = saving::deserialize_loss(json::parse(env.dump()));
  auto* scaled = dynamic_cast<ScaledLoss*>(back.get());
  ASSERT_NE(scaled, nullptr);
  EXPECT_EQ(scaled->scale(), 2.5);
  EXPECT_EQ(scaled->name(), "my_scaled");
  EXPECT_EQ(saving::serialize_keras_object(*back), env);

  // A file from another writer may name the class without the package.
  auto bare = saving::deserialize_loss(json{{"class_name", "ScaledLoss"}, {"config", {{"scale", 3.0}}}});
  ASSERT_NE(dynamic_cast<ScaledLoss*>(bare.get()), nullptr);
  EXPECT_EQ(dynamic_cast<ScaledLoss&>(*bare).scale(), 3.0);
}

TEST(ObjectConfig, UnregisteredUserClasses) {
  PlainLoss plain;
  // The base class's keys, as Keras' Loss.get_config.
  EXPECT_EQ(plain.get_config(), (json{{"name", "plain"}, {"reduction", "sum"}}));
  const json env = saving::serialize_keras_object(plain);
  EXPECT_EQ(env["module"], nullptr);
  EXPECT_EQ(env["registered_name"], "PlainLoss");
  expect_error<keras::Error>([&] { saving::deserialize_loss(env); }, "KERAS_REGISTER_SERIALIZABLE(PlainLoss");

  ConstantSchedule schedule;
  expect_error<keras::NotImplementedError>([&] { saving::serialize_keras_object(schedule); }, "get_config");
}
