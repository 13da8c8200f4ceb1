// The Optimizer base class: shared state between copies, variables and
// their names, iterations and the learning rate, string lookup and
// OptimizerArg, weight-decay exclusion, set_weights, user optimizers, dtypes,
// in-place updates, speed, and the error messages. The numerics of every
// optimizer against Keras are in optimizers_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "autodiff/tape_impl.hpp"
#include "harness/check_op.hpp"
#include "keras/gradient_tape.hpp"
#include "keras/optimizers.hpp"
#include "optimizers/fused.hpp"

namespace keras::testing {
namespace {

namespace O = keras::optimizers;
namespace S = keras::optimizers::schedules;

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needles.front();
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

struct Weights {
  Variable kernel{Tensor({{0.5f, -1.f}, {2.f, 0.25f}, {-0.75f, 1.5f}}), {.name = "kernel"}};
  Variable bias{Tensor({0.1f, -0.2f}), {.name = "bias"}};
  std::vector<Variable> list() const { return {kernel, bias}; }
};

std::vector<Tensor> some_grads(float scale = 1.f) {
  return {Tensor({{0.1f, -0.2f}, {0.3f, 0.4f}, {-0.5f, 0.6f}}) * scale, Tensor({0.7f, -0.8f}) * scale};
}

std::vector<std::string> names_of(const std::vector<Variable>& vars) {
  std::vector<std::string> names;
  for (const auto& v : vars) names.push_back(v.name());
  return names;
}

// ---- shared state ----------------------------------------------------------------------------------------

TEST(OptimizerTest, CopiesShareState) {
  O::Adam opt;
  Weights w;
  O::OptimizerArg arg = opt;  // what compile() stores
  O::Adam copy = opt;
  arg.get()->apply(some_grads(), w.list());
  copy.apply(some_grads(), w.list());
  EXPECT_EQ(opt.iterations(), 2);
  EXPECT_TRUE(opt.built());
  EXPECT_EQ(opt.variables().size(), 6u);
  EXPECT_EQ(opt.variables()[2].id(), arg.get()->variables()[2].id());  // the same slot variable
  EXPECT_EQ(opt.name(), arg.get()->name());
  opt.set_learning_rate(0.5);
  EXPECT_EQ(arg.get()->learning_rate(), 0.5);
}

TEST(OptimizerTest, SharedPointerArgIsUsedAsIs) {
  auto opt = std::make_shared<O::SGD>();
  O::OptimizerArg arg = opt;
  EXPECT_EQ(arg.get().get(), opt.get());
  O::OptimizerArg none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.get(), nullptr);
  O::OptimizerArg null_name = static_cast<const char*>(nullptr);  // Keras' None
  EXPECT_FALSE(null_name);
}

TEST(OptimizerTest, MovingShares) {
  O::SGD opt;
  O::SGD moved = std::move(opt);
  Weights w;
  moved.apply(some_grads(), w.list());
  EXPECT_EQ(opt.iterations(), 1);  // NOLINT(bugprone-use-after-move): moving copies the handle
}

// ---- variables -------------------------------------------------------------------------------------------

TEST(OptimizerTest, VariablesInKerasOrderWithKerasNames) {
  O::Adam opt({.amsgrad = true, .use_ema = true, .gradient_accumulation_steps = 2});
  Variable kernel(ops::zeros({3, 2}), {.name = "dense/kernel"});
  Variable bias(ops::zeros({2}), {.name = "dense/bias"});
  opt.build({kernel, bias});
  EXPECT_EQ(names_of(opt.variables()),
            (std::vector<std::string>{"iteration", "learning_rate", "dense_kernel_average", "dense_bias_average",
                                      "dense_kernel_gradient_accumulator", "dense_bias_gradient_accumulator",
                                      "dense_kernel_momentum", "dense_kernel_velocity", "dense_bias_momentum",
                                      "dense_bias_velocity", "dense_kernel_velocity_hat", "dense_bias_velocity_hat"}));
  auto vars = opt.variables();
  EXPECT_EQ(vars[0].dtype(), DType::int64);
  EXPECT_EQ(vars[0].shape(), Shape{});
  EXPECT_FALSE(vars[0].trainable());
  EXPECT_EQ(vars[1].dtype(), DType::float32);
  EXPECT_FLOAT_EQ(vars[1].value().item<float>(), 0.001f);
  EXPECT_EQ(vars[6].shape(), (Shape{3, 2}));
  EXPECT_FALSE(vars[6].trainable());
  EXPECT_EQ(opt.trainable_variables().size(), 2u);
}

TEST(OptimizerTest, SlotsPerOptimizer) {
  Weights w;
  auto names = [&](O::Optimizer&& opt) {
    opt.build(w.list());
    auto all = names_of(opt.variables());
    return std::vector<std::string>(all.begin() + 2, all.end());  // after iteration, learning_rate
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(O::SGD()), V{});
  EXPECT_EQ(names(O::SGD({.momentum = 0.9})), (V{"kernel_momentum", "bias_momentum"}));
  EXPECT_EQ(names(O::RMSprop({.momentum = 0.5, .centered = true})),
            (V{"kernel_velocity", "bias_velocity", "kernel_momentum", "bias_momentum", "kernel_average_gradient",
               "bias_average_gradient"}));
  EXPECT_EQ(names(O::Adagrad()), (V{"kernel_accumulator", "bias_accumulator"}));
  EXPECT_EQ(names(O::Adadelta()), (V{"kernel_accumulated_grad", "kernel_accumulated_delta_var", "bias_accumulated_grad",
                                     "bias_accumulated_delta_var"}));
  EXPECT_EQ(names(O::Adamax()), (V{"kernel_momentum", "kernel_norm", "bias_momentum", "bias_norm"}));
  EXPECT_EQ(names(O::Nadam()), (V{"kernel_momentum", "kernel_velocity", "bias_momentum", "bias_velocity", "variable"}));
  EXPECT_EQ(names(O::Lion()), (V{"kernel_momentum", "bias_momentum"}));
  EXPECT_EQ(names(O::Ftrl()), (V{"kernel_accumulator", "kernel_linear", "bias_accumulator", "bias_linear"}));
  O::Adagrad adagrad({.initial_accumulator_value = 0.25});
  adagrad.build(w.list());
  EXPECT_FLOAT_EQ(adagrad.variables()[2].value().to_vector<float>()[0], 0.25f);
}

TEST(OptimizerTest, BuildTwiceDoesNothing) {
  O::Adam opt;
  Weights w;
  opt.build(w.list());
  opt.build(w.list());
  EXPECT_EQ(opt.variables().size(), 6u);
  opt.apply(some_grads(), w.list());
  EXPECT_EQ(opt.variables().size(), 6u);
}

TEST(OptimizerTest, SetWeightsRestoresAStep) {
  Weights a, b;
  O::Adam first, second;
  first.apply(some_grads(), a.list());
  second.build(b.list());
  std::vector<Tensor> weights;
  for (const auto& v : first.variables()) weights.push_back(v.value());
  second.set_weights(weights);
  b.kernel.assign(a.kernel.value());
  b.bias.assign(a.bias.value());
  EXPECT_EQ(second.iterations(), 1);
  first.apply(some_grads(0.5f), a.list());
  second.apply(some_grads(0.5f), b.list());
  EXPECT_TRUE(all_close(a.kernel.value(), b.kernel.value(), 0, 0));
  EXPECT_TRUE(all_close(a.bias.value(), b.bias.value(), 0, 0));
}

// ---- iterations and learning rate ----------------------------------------------------------------------------

TEST(OptimizerTest, IterationsCountSteps) {
  O::SGD opt;
  Weights w;
  EXPECT_EQ(opt.iterations(), 0);
  for (int i = 0; i < 3; ++i) opt.apply(some_grads(), w.list());
  EXPECT_EQ(opt.iterations(), 3);
  EXPECT_EQ(opt.variables()[0].value().item<int64_t>(), 3);
  opt.apply({}, {});  // Keras: no gradients at all is a no-op
  EXPECT_EQ(opt.iterations(), 3);
}

TEST(OptimizerTest, SetLearningRate) {
  O::SGD opt({.learning_rate = 0.1});
  Weights w;
  EXPECT_FLOAT_EQ(opt.learning_rate(), 0.1);
  opt.set_learning_rate(0.5);
  EXPECT_EQ(opt.learning_rate(), 0.5);
  EXPECT_EQ(opt.variables()[1].value().item<float>(), 0.5f);
  // Assigning the learning-rate variable (as loading weights does) changes the rate.
  opt.variables()[1].assign(Tensor::scalar<float>(0.25f));
  EXPECT_EQ(opt.learning_rate(), 0.25);
  // A schedule replaces the variable, which leaves variables().
  opt.set_learning_rate(S::ExponentialDecay(1.0, 1, 0.5));
  EXPECT_EQ(names_of(opt.variables()), std::vector<std::string>{"iteration"});
  EXPECT_EQ(opt.learning_rate(), 1.0);
  opt.apply(some_grads(), w.list());
  EXPECT_EQ(opt.learning_rate(), 0.5);
  expect_error<TypeError>([&] { opt.set_learning_rate(0.1); }, {"learning rate is not settable"});
}

TEST(OptimizerTest, LearningRateFunction) {
  double rate = 0.5;
  O::SGD opt({.learning_rate = [&] { return rate; }});
  Variable w(Tensor({1.f}), {.name = "w"});
  opt.apply({Tensor({1.f})}, {w});
  rate = 0.25;
  opt.apply({Tensor({1.f})}, {w});
  EXPECT_FLOAT_EQ(w.value().item<float>(), 0.25f);
  EXPECT_EQ(opt.learning_rate(), 0.25);
}

TEST(OptimizerTest, LossScaleFactor) {
  O::SGD scaled({.learning_rate = 1.0, .loss_scale_factor = 4.0});
  EXPECT_FLOAT_EQ(scaled.scale_loss(Tensor::scalar(2.f)).item<float>(), 8.f);
  EXPECT_FLOAT_EQ(O::SGD().scale_loss(Tensor::scalar(2.f)).item<float>(), 2.f);
  Variable w(Tensor({1.f}), {.name = "w"});
  scaled.apply({Tensor({4.f})}, {w});  // the gradient is unscaled to 1
  EXPECT_FLOAT_EQ(w.value().item<float>(), 0.f);
}

// ---- apply --------------------------------------------------------------------------------------------

TEST(OptimizerTest, ApplyGradientsPairs) {
  Weights a, b;
  O::RMSprop first, second;
  auto g = some_grads();
  first.apply(g, a.list());
  second.apply_gradients({{g[0], b.kernel}, {g[1], b.bias}});
  EXPECT_TRUE(all_close(a.kernel.value(), b.kernel.value(), 0, 0));
  EXPECT_TRUE(all_close(a.bias.value(), b.bias.value(), 0, 0));
  // Without variables: the built ones, in order.
  first.apply(g);
  second.apply(g, b.list());
  EXPECT_TRUE(all_close(a.kernel.value(), b.kernel.value(), 0, 0));
}

TEST(OptimizerTest, VariablesInAnotherOrder) {
  Weights a, b;
  O::Adam first, second;
  first.apply(some_grads(), a.list());
  second.apply(some_grads(), b.list());
  auto g = some_grads(0.5f);
  first.apply(g, a.list());
  second.apply({g[1], g[0]}, {b.bias, b.kernel});
  EXPECT_TRUE(all_close(a.kernel.value(), b.kernel.value(), 0, 0));
  EXPECT_TRUE(all_close(a.bias.value(), b.bias.value(), 0, 0));
}

TEST(OptimizerTest, FusedUpdateIsInPlace) {
  O::Adam opt;
  Weights w;
  const void* before = keras::detail::writable_value(w.kernel).raw_data();
  opt.apply(some_grads(), w.list());
  EXPECT_EQ(keras::detail::writable_value(w.kernel).raw_data(), before);
  // A read taken before the update keeps its values (copy on write).
  Tensor held = w.kernel.value();
  auto held_values = held.to_vector<float>();
  opt.apply(some_grads(), w.list());
  EXPECT_EQ(held.to_vector<float>(), held_values);
  EXPECT_NE(w.kernel.value().to_vector<float>(), held_values);
}

TEST(OptimizerTest, NonContiguousAndFloat64Gradients) {
  Weights a, b, c;
  O::Adam first, second, third;
  auto g = some_grads();
  first.apply(g, a.list());
  // The same kernel gradient as a transposed view.
  Tensor kernel_t = ops::transpose(ops::transpose(g[0]).contiguous());
  ASSERT_FALSE(kernel_t.is_contiguous());
  second.apply({kernel_t, g[1]}, b.list());
  EXPECT_TRUE(all_close(a.kernel.value(), b.kernel.value(), 0, 0));
  // A float64 gradient is cast to the variable's dtype (Keras' update_step).
  third.apply({ops::cast(g[0], DType::float64), ops::cast(g[1], DType::float64)}, c.list());
  EXPECT_EQ(c.kernel.dtype(), DType::float32);
  EXPECT_TRUE(all_close(a.kernel.value(), c.kernel.value(), 0, 0));
}

TEST(OptimizerTest, UpdatesAreNotRecorded) {
  Variable w(Tensor({1.f, 2.f}), {.name = "w"});
  O::SGD opt({.learning_rate = 0.1});
  GradientTape tape({.persistent = true});
  Tensor loss = ops::sum(ops::square(w));
  auto grads = tape.gradient(loss, {w});
  opt.apply(grads, {w});
  EXPECT_TRUE(all_close(w.value(), Tensor({0.8f, 1.6f})));
  // The tape still differentiates what it recorded, unaffected by the update.
  EXPECT_TRUE(all_close(tape.gradient(loss, w), Tensor({2.f, 4.f})));
}

TEST(OptimizerTest, Float16VariablesAreRejected) {
  Variable h(Tensor({0.5f, -1.f}), {.dtype = DType::float16, .name = "h"});
  O::Adam opt;
  expect_error<TypeError>(
      [&] {
        opt.apply({ops::cast(Tensor({0.3f, -0.6f}), DType::float16)}, {h});
      },
      {"'h'", "float16", "storage-only"});
}

// ---- weight decay --------------------------------------------------------------------------------------------

TEST(OptimizerTest, ExcludeFromWeightDecay) {
  Weights a, b, c;
  O::AdamW decayed({.weight_decay = 0.5});
  O::AdamW excluded({.weight_decay = 0.5});
  O::Adam plain;
  excluded.exclude_from_weight_decay({}, {"bi.s"});  // a regular expression
  decayed.apply(some_grads(), a.list());
  excluded.apply(some_grads(), b.list());
  plain.apply(some_grads(), c.list());
  EXPECT_TRUE(all_close(b.bias.value(), c.bias.value(), 0, 0));
  EXPECT_TRUE(all_close(b.kernel.value(), a.kernel.value(), 0, 0));
  EXPECT_FALSE(all_close(b.kernel.value(), c.kernel.value(), 0, 0));
  expect_error<ValueError>([&] { excluded.exclude_from_weight_decay({}, {"(unclosed"}); },
                           {"invalid regular expression"});
  // By variable.
  Weights d;
  O::AdamW by_var({.weight_decay = 0.5});
  by_var.exclude_from_weight_decay({d.kernel});
  by_var.apply(some_grads(), d.list());
  EXPECT_TRUE(all_close(d.bias.value(), a.bias.value(), 0, 0));
  O::Adam reference;
  Weights e;
  reference.apply(some_grads(), e.list());
  EXPECT_TRUE(all_close(d.kernel.value(), e.kernel.value(), 0, 0));
}

TEST(OptimizerTest, FinalizeVariableValues) {
  Weights w;
  O::SGD no_ema;
  no_ema.apply(some_grads(), w.list());
  auto kernel = w.kernel.value().to_vector<float>();
  no_ema.finalize_variable_values(w.list());  // without EMA: nothing
  EXPECT_EQ(w.kernel.value().to_vector<float>(), kernel);
  O::SGD ema({.use_ema = true});
  Weights v;
  ema.apply(some_grads(), v.list());
  expect_error<ValueError>([&] { ema.finalize_variable_values({v.kernel}); },
                           {"The length of model variables (1)", "(2)"});
}

// ---- lookup and names ------------------------------------------------------------------------------------

TEST(OptimizerTest, GetByName) {
  EXPECT_EQ(O::valid_names(), (std::vector<std::string>{"adadelta", "adagrad", "adam", "adamax", "adamw", "ftrl",
                                                        "lion", "nadam", "rmsprop", "sgd"}));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"adadelta", "Adadelta"}, {"adagrad", "Adagrad"}, {"adam", "Adam"},   {"adamax", "Adamax"},   {"adamw", "AdamW"},
      {"ftrl", "Ftrl"},         {"lion", "Lion"},       {"nadam", "Nadam"}, {"rmsprop", "RMSprop"}, {"sgd", "SGD"}};
  for (const auto& [name, cls] : expected) EXPECT_EQ(O::get(name)->class_name(), cls);
  // Keras lower-cases the identifier first.
  EXPECT_EQ(O::get("Adam")->class_name(), "Adam");
  EXPECT_EQ(O::get("RMSprop")->class_name(), "RMSprop");
  // Defaults as Keras'.
  auto sgd = O::get("sgd");
  EXPECT_FLOAT_EQ(sgd->learning_rate(), 0.01);
  EXPECT_FLOAT_EQ(O::get("adamw")->weight_decay().value(), 0.004);
  EXPECT_FALSE(O::get("adam")->weight_decay().has_value());
  expect_error<ValueError>([] { O::get("adamm"); },
                           {"Could not interpret optimizer identifier: adamm", "adam, adamax", "sgd"});
  expect_error<ValueError>([] { O::OptimizerArg arg = "nope"; }, {"identifier: nope"});
  O::OptimizerArg arg = "rmsprop";
  EXPECT_TRUE(arg);
  EXPECT_EQ(arg.identifier(), "rmsprop");
  EXPECT_EQ(arg.get()->class_name(), "RMSprop");
}

TEST(OptimizerTest, AutoNames) {
  // Keras' auto_name: the snake_case class name, then _1, _2, ...
  O::Adam a, b;
  EXPECT_EQ(a.name().rfind("adam", 0), 0u);
  EXPECT_NE(a.name(), b.name());
  EXPECT_EQ(O::RMSprop().name().rfind("rm_sprop", 0), 0u);
  EXPECT_EQ(O::AdamW().name().rfind("adam_w", 0), 0u);
  EXPECT_EQ(O::SGD({.name = "my_sgd"}).name(), "my_sgd");
}

// ---- errors ------------------------------------------------------------------------------------------------

TEST(OptimizerTest, ApplyErrors) {
  Weights w;
  O::Adam opt({.name = "opt"});
  expect_error<ValueError>([&] { opt.apply({some_grads()[0]}, w.list()); },
                           {"'opt'", "1 gradients for 2 variables", "'kernel'", "'bias'"});
  expect_error<ValueError>(
      [&] {
        opt.apply({Tensor({1.f, 2.f, 3.f}), some_grads()[1]}, w.list());
      },
      {"gradient for variable 'kernel'", "(3,)", "(3, 2)"});
  expect_error<ValueError>(
      [&] {
        opt.apply({Tensor(), Tensor()}, w.list());
      },
      {"No gradients provided for any variable."});
  Variable stranger(ops::zeros({2}), {.name = "stranger"});
  expect_error<ValueError>(
      [&] {
        opt.apply({some_grads()[0], some_grads()[1]}, {w.kernel, stranger});
      },
      {"Unknown variable: 'stranger'", "recreate a new optimizer instance"});
  expect_error<ValueError>([&] { opt.apply({some_grads()[0]}); }, {"Received a list of 1 gradients", "2 trainable"});
  O::SGD unbuilt;
  expect_error<ValueError>([&] { unbuilt.apply(some_grads()); }, {"must already be built"});
  expect_error<ValueError>([&] { unbuilt.set_weights({}); }, {"has not yet been built"});
  opt.apply(some_grads(), w.list());
  expect_error<ValueError>([&] { opt.set_weights({Tensor::scalar<int64_t>(0)}); }, {"6 variables"});
}

TEST(OptimizerTest, OptionErrors) {
  expect_error<ValueError>([] { O::SGD({.clipnorm = 1.0, .clipvalue = 1.0}); },
                           {"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set"});
  expect_error<ValueError>([] { O::Adam({.gradient_accumulation_steps = 1}); },
                           {"`gradient_accumulation_steps` must be an integer >= 2"});
  expect_error<ValueError>([] { O::Adam({.use_ema = true, .ema_momentum = 1.5}); },
                           {"`ema_momentum` must be in the range [0, 1]"});
  expect_error<ValueError>([] { O::SGD({.momentum = 1.5}); }, {"`momentum` must be a float between [0, 1]"});
  expect_error<ValueError>([] { O::Lion({.beta_1 = 0.0}); }, {"`beta_1` must be in the [0, 1] range"});
  expect_error<ValueError>([] { O::Ftrl({.learning_rate_power = 0.5}); }, {"`learning_rate_power`"});
  expect_error<ValueError>([] { O::Ftrl({.l1_regularization_strength = -1}); }, {"`l1_regularization_strength`"});
  expect_error<ValueError>([] { O::Ftrl({.initial_accumulator_value = -1}); }, {"`initial_accumulator_value`"});
  // gradient_accumulation_steps = 0 is "none" in Keras (falsy).
  EXPECT_FALSE(O::Adam({.gradient_accumulation_steps = 0}).gradient_accumulation_steps().has_value());
}

// ---- a user optimizer ---------------------------------------------------------------------------------------

class MomentumDescent : public O::Optimizer {
 public:
  MomentumDescent() : Optimizer({.learning_rate = 0.1}, "MomentumDescent") {}
  void build(const std::vector<Variable>& vars) override {
    if (built()) return;
    Optimizer::build(vars);
    add_optimizer_variables(vars, "velocity");
  }
  std::string class_name() const override { return "MomentumDescent"; }

 protected:
  void update_step(const Tensor& g, Variable var, const Tensor& lr) override {
    Variable v = slot(0, variable_index(var));
    v.assign(0.5 * v.value() + g);
    var.assign_sub(ops::cast(lr, var.dtype()) * v.value());
  }
};

TEST(OptimizerTest, UserOptimizer) {
  MomentumDescent opt;
  MomentumDescent copy = opt;
  Variable w(Tensor({1.f}), {.name = "w"});
  opt.apply({Tensor({1.f})}, {w});   // v = 1, w = 0.9
  copy.apply({Tensor({1.f})}, {w});  // the copy sees v: v = 1.5, w = 0.75
  EXPECT_FLOAT_EQ(w.value().item<float>(), 0.75f);
  EXPECT_EQ(opt.iterations(), 2);
  EXPECT_EQ(opt.name().rfind("momentum_descent", 0), 0u);
  EXPECT_EQ(names_of(opt.variables()), (std::vector<std::string>{"iteration", "learning_rate", "w_velocity"}));
}

// ---- large variables ----------------------------------------------------------------------------------------

// Above 32k elements the fused kernels split the work over OpenMP threads;
// the result must still equal the keras::ops path to the bit, for every
// optimizer and with the EMA and gradient accumulation on.
TEST(OptimizerTest, LargeVariablesFusedMatchesOpsPath) {
  const Shape shape{211, 197};  // 41567 elements: above the threshold, not a multiple of a chunk
  Tensor init = uniform(shape, -1.0, 1.0, 3, DType::float32);
  std::vector<Tensor> grads;
  for (uint64_t s = 0; s < 3; ++s) grads.push_back(uniform(shape, -0.5, 0.5, 10 + s, DType::float32));
  auto run = [&](const std::string& name, bool fused) {
    O::detail::set_fused_kernels_enabled(fused);
    std::shared_ptr<O::Optimizer> opt;
    if (name == "adam_all")
      opt = std::make_shared<O::Adam>(
          O::AdamOptions{.amsgrad = true, .weight_decay = 0.1, .use_ema = true, .gradient_accumulation_steps = 2});
    else if (name == "rmsprop_all")
      opt = std::make_shared<O::RMSprop>(O::RMSpropOptions{.momentum = 0.5, .centered = true});
    else if (name == "sgd_nesterov")
      opt = std::make_shared<O::SGD>(O::SGDOptions{.momentum = 0.9, .nesterov = true});
    else if (name == "ftrl_all")
      opt = std::make_shared<O::Ftrl>(O::FtrlOptions{.l1_regularization_strength = 0.01,
                                                     .l2_regularization_strength = 0.01,
                                                     .l2_shrinkage_regularization_strength = 0.01,
                                                     .beta = 0.1});
    else
      opt = O::get(name);
    Variable w(init, {.name = "w"});
    for (const auto& g : grads) opt->apply({g}, {w});
    O::detail::set_fused_kernels_enabled(true);
    std::vector<Tensor> out = {w.value()};
    for (const auto& v : opt->variables()) out.push_back(v.value());
    return out;
  };
  std::vector<std::string> names = O::valid_names();
  for (const char* extra : {"adam_all", "rmsprop_all", "sgd_nesterov", "ftrl_all"}) names.push_back(extra);
  for (const auto& name : names) {
    auto fused = run(name, true);
    auto ops_path = run(name, false);
    ASSERT_EQ(fused.size(), ops_path.size()) << name;
    for (size_t k = 0; k < fused.size(); ++k)
      EXPECT_TRUE(all_close(fused[k], ops_path[k], 0, 0)) << name << " value " << k;
  }
}

// ---- speed -------------------------------------------------------------------------------------------------

// A tiny model's step (a Dense(2) on 3 features) should cost a few µs. The
// bound is loose: the machine is shared; the printed figure is what matters.
TEST(OptimizerTest, TinyStepIsFast) {
  for (const char* name : {"sgd", "adam", "adamw"}) {
    auto opt = O::get(name);
    Weights w;
    auto grads = some_grads(1e-3f);
    auto vars = w.list();
    for (int i = 0; i < 100; ++i) opt->apply(grads, vars);
    constexpr int kSteps = 20000;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kSteps; ++i) opt->apply(grads, vars);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kSteps;
    std::printf("[ timing   ] %s step on 2 small variables: %.2f us\n", name, us);
    EXPECT_LT(us, 50.0) << name;
  }
}

}  // namespace
}  // namespace keras::testing
