// Optimizers against Keras 3 itself (tests/fixtures/optimizers.npz, made by
// gen_optimizer_fixtures.py with Keras 3.15.1 on JAX): every optimizer and the
// base options (clipping, weight decay, EMA, gradient accumulation, loss
// scaling, schedules, skipped gradients), replayed step by step on both the
// fused float32 kernels and the keras::ops path; the two paths against each
// other; float64 variables; the optimizer variables' names, order and values.
#include "keras/optimizers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "keras/npy.hpp"
#include "optimizers/fused.hpp"

namespace keras::testing {
namespace {

namespace O = keras::optimizers;
namespace S = keras::optimizers::schedules;

constexpr int kSteps = 5;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("optimizers.npz"));
  return f;
}

bool has_fx(const std::string& key) { return fixtures().count(key) > 0; }

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("optimizers.npz has no array " + key);
  return it->second;
}

// Row `i` of a stacked fixture, as a tensor of the remaining shape.
Tensor row(const Tensor& stacked, int64_t i) {
  Shape shape = stacked.shape();
  shape.erase(0);
  const int64_t n = shape.numel();
  auto all = stacked.to_vector<float>();
  return Tensor(std::vector<float>(all.begin() + i * n, all.begin() + (i + 1) * n), shape);
}

using Make = std::function<std::shared_ptr<O::Optimizer>()>;

template <class C>
Make make(typename C::Options options = {}) {
  return [options] { return std::make_shared<C>(options); };
}

// The C++ construction of each fixture case (gen_optimizer_fixtures.py CASES).
const std::map<std::string, Make>& cases() {
  static const std::map<std::string, Make> table = {
      {"sgd", make<O::SGD>()},
      {"sgd_lr", make<O::SGD>({.learning_rate = 0.1})},
      {"sgd_momentum", make<O::SGD>({.momentum = 0.9})},
      {"sgd_nesterov", make<O::SGD>({.learning_rate = 0.05, .momentum = 0.8, .nesterov = true})},
      {"rmsprop", make<O::RMSprop>()},
      {"rmsprop_momentum", make<O::RMSprop>({.momentum = 0.9})},
      {"rmsprop_centered", make<O::RMSprop>({.centered = true})},
      {"rmsprop_centered_momentum",
       make<O::RMSprop>({.learning_rate = 0.01, .rho = 0.8, .momentum = 0.5, .epsilon = 1e-3, .centered = true})},
      {"adam", make<O::Adam>()},
      {"adam_amsgrad", make<O::Adam>({.amsgrad = true})},
      {"adam_params", make<O::Adam>({.learning_rate = 0.1, .beta_1 = 0.8, .beta_2 = 0.9, .epsilon = 1e-3})},
      {"adamw", make<O::AdamW>()},
      {"adamw_amsgrad", make<O::AdamW>({.learning_rate = 0.01, .weight_decay = 0.1, .amsgrad = true})},
      {"adagrad", make<O::Adagrad>()},
      {"adagrad_params", make<O::Adagrad>({.learning_rate = 0.1, .initial_accumulator_value = 0.5, .epsilon = 1e-3})},
      {"adadelta", make<O::Adadelta>()},
      {"adadelta_params", make<O::Adadelta>({.learning_rate = 1.0, .rho = 0.9, .epsilon = 1e-6})},
      {"adamax", make<O::Adamax>()},
      {"adamax_params", make<O::Adamax>({.learning_rate = 0.02, .beta_1 = 0.7, .beta_2 = 0.9, .epsilon = 1e-4})},
      {"nadam", make<O::Nadam>()},
      {"nadam_params", make<O::Nadam>({.learning_rate = 0.01, .beta_1 = 0.8, .beta_2 = 0.95, .epsilon = 1e-4})},
      {"lion", make<O::Lion>()},
      {"lion_params", make<O::Lion>({.learning_rate = 0.01, .beta_1 = 0.5, .beta_2 = 0.9})},
      {"ftrl", make<O::Ftrl>()},
      {"ftrl_params", make<O::Ftrl>({.learning_rate = 0.1,
                                     .learning_rate_power = -0.7,
                                     .initial_accumulator_value = 0.2,
                                     .l1_regularization_strength = 0.01,
                                     .l2_regularization_strength = 0.02,
                                     .l2_shrinkage_regularization_strength = 0.03,
                                     .beta = 0.5})},
      {"adam_clipnorm", make<O::Adam>({.learning_rate = 0.01, .clipnorm = 0.5})},
      {"sgd_clipnorm", make<O::SGD>({.learning_rate = 0.1, .clipnorm = 0.5})},
      {"sgd_clipvalue", make<O::SGD>({.learning_rate = 0.1, .momentum = 0.9, .clipvalue = 0.3})},
      {"sgd_global_clipnorm", make<O::SGD>({.learning_rate = 0.1, .global_clipnorm = 1.0})},
      {"adam_global_clipnorm", make<O::Adam>({.learning_rate = 0.01, .global_clipnorm = 1.0})},
      {"sgd_weight_decay", make<O::SGD>({.learning_rate = 0.1, .weight_decay = 0.1})},
      {"adam_weight_decay", make<O::Adam>({.learning_rate = 0.01, .weight_decay = 0.05})},
      {"ftrl_weight_decay", make<O::Ftrl>({.learning_rate = 0.1, .weight_decay = 0.2})},
      {"sgd_loss_scale", make<O::SGD>({.learning_rate = 0.1, .loss_scale_factor = 4.0})},
      {"adam_ema", make<O::Adam>({.learning_rate = 0.05, .use_ema = true, .ema_momentum = 0.9})},
      {"sgd_ema_overwrite",
       make<O::SGD>({.learning_rate = 0.1, .use_ema = true, .ema_momentum = 0.8, .ema_overwrite_frequency = 2})},
      {"sgd_accumulate", make<O::SGD>({.learning_rate = 0.1, .momentum = 0.9, .gradient_accumulation_steps = 2})},
      {"adam_accumulate", make<O::Adam>({.learning_rate = 0.01, .gradient_accumulation_steps = 2})},
      {"adam_accumulate_ema_schedule", make<O::Adam>({.learning_rate = S::ExponentialDecay(0.05, 2, 0.5),
                                                      .weight_decay = 0.1,
                                                      .clipnorm = 1.0,
                                                      .use_ema = true,
                                                      .ema_momentum = 0.7,
                                                      .gradient_accumulation_steps = 2})},
      {"nadam_accumulate", make<O::Nadam>({.learning_rate = 0.01, .gradient_accumulation_steps = 2})},
      {"sgd_schedule", make<O::SGD>({.learning_rate = S::ExponentialDecay(0.1, 2, 0.5), .momentum = 0.5})},
      {"adam_schedule",
       make<O::Adam>(
           {.learning_rate = S::CosineDecay(
                {.initial_learning_rate = 0.0, .decay_steps = 3, .warmup_target = 0.05, .warmup_steps = 2})})},
      {"adam_skip", make<O::Adam>({.learning_rate = 0.01})},
      {"sgd_momentum_skip", make<O::SGD>({.learning_rate = 0.1, .momentum = 0.9})},
      {"adam_ema_skip", make<O::Adam>({.learning_rate = 0.05, .use_ema = true, .ema_momentum = 0.9})},
  };
  return table;
}

std::vector<std::string> split_lines(const Tensor& bytes) {
  auto b = bytes.to_vector<uint8_t>();
  std::vector<std::string> out(1);
  for (uint8_t c : b) {
    if (c == '\n')
      out.emplace_back();
    else
      out.back() += static_cast<char>(c);
  }
  return out;
}

struct Replay {
  std::vector<Tensor> kernel, bias;  // after each step
  std::vector<Tensor> optimizer_variables;
  Tensor final_kernel, final_bias;
};

// Replays case `name` with variables of `dtype`, on the fused kernels or the
// ops path, checking what does not depend on rounding as it goes.
Replay replay(const std::string& name, DType dtype, bool fused) {
  O::detail::set_fused_kernels_enabled(fused);
  auto opt = cases().at(name)();
  Variable kernel(fx("init__kernel"), {.dtype = dtype, .name = "kernel"});
  Variable bias(fx("init__bias"), {.dtype = dtype, .name = "bias"});
  const auto present = fx(name + "__present").to_vector<int32_t>();
  const auto iterations = fx(name + "__iterations").to_vector<int64_t>();
  const auto learning_rates = fx(name + "__learning_rate").to_vector<float>();
  Replay run;
  for (int s = 0; s < kSteps; ++s) {
    std::vector<Tensor> grads = {present[s * 2] ? ops::cast(row(fx("grads__kernel"), s), dtype) : Tensor(),
                                 present[s * 2 + 1] ? ops::cast(row(fx("grads__bias"), s), dtype) : Tensor()};
    opt->apply(grads, {kernel, bias});
    run.kernel.push_back(kernel.value());
    run.bias.push_back(bias.value());
    EXPECT_EQ(opt->iterations(), iterations[s]) << name << " step " << s;
    EXPECT_NEAR(opt->learning_rate(), learning_rates[s], 1e-6 * std::abs(learning_rates[s])) << name << " step " << s;
  }
  // Names and order of the optimizer's variables (Keras' saving order).
  auto vars = opt->variables();
  auto names = split_lines(fx(name + "__varnames"));
  EXPECT_EQ(vars.size(), names.size()) << name;
  for (size_t k = 0; k < std::min(vars.size(), names.size()); ++k) {
    // Keras uniquifies unnamed variables process-wide ("variable_1" for
    // Nadam's product, depending on what ran before); keras::Variable does not.
    if (names[k].rfind("variable", 0) == 0)
      EXPECT_EQ(vars[k].name(), "variable") << name;
    else
      EXPECT_EQ(vars[k].name(), names[k]) << name << " variable " << k;
    run.optimizer_variables.push_back(vars[k].value());
  }
  if (opt->use_ema()) {
    opt->finalize_variable_values({kernel, bias});
    run.final_kernel = kernel.value();
    run.final_bias = bias.value();
  }
  O::detail::set_fused_kernels_enabled(true);
  return run;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : cases()) names.push_back(name);
  return names;
}

class OptimizerFixtures : public ::testing::TestWithParam<std::string> {};

// Keras runs in float32, op by op; the fused kernels and the ops path follow
// the same operations, so they meet Keras to a few float32 ulps.
void check_against_keras(const std::string& name, const Replay& run, double rtol, double atol) {
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_TRUE(all_close(run.kernel[s], row(fx(name + "__kernel"), s), rtol, atol)) << name << " kernel, step " << s;
    EXPECT_TRUE(all_close(run.bias[s], row(fx(name + "__bias"), s), rtol, atol)) << name << " bias, step " << s;
  }
  for (size_t k = 0; k < run.optimizer_variables.size(); ++k) {
    Tensor expected = fx(name + "__var" + std::to_string(k));
    Tensor got = run.optimizer_variables[k];
    if (expected.dtype() == DType::int64) {
      EXPECT_EQ(got.item<int64_t>(), expected.item<int64_t>()) << name << " variable " << k;
      continue;
    }
    EXPECT_TRUE(all_close(got, expected, rtol, atol)) << name << " optimizer variable " << k;
  }
  if (has_fx(name + "__final_kernel")) {
    EXPECT_TRUE(all_close(run.final_kernel, fx(name + "__final_kernel"), rtol, atol)) << name;
    EXPECT_TRUE(all_close(run.final_bias, fx(name + "__final_bias"), rtol, atol)) << name;
  }
}

TEST_P(OptimizerFixtures, FusedMatchesKeras) {
  const std::string name = GetParam();
  check_against_keras(name, replay(name, DType::float32, /*fused=*/true), 1e-6, 1e-7);
}

TEST_P(OptimizerFixtures, OpsPathMatchesKeras) {
  const std::string name = GetParam();
  check_against_keras(name, replay(name, DType::float32, /*fused=*/false), 1e-6, 1e-7);
}

// The fused kernels and the ops path perform the same float32 operations in
// the same order: their results agree to the bit.
TEST_P(OptimizerFixtures, FusedMatchesOpsPath) {
  const std::string name = GetParam();
  Replay fused = replay(name, DType::float32, true);
  Replay ops_path = replay(name, DType::float32, false);
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_TRUE(all_close(fused.kernel[s], ops_path.kernel[s], 0, 0)) << name << " kernel, step " << s;
    EXPECT_TRUE(all_close(fused.bias[s], ops_path.bias[s], 0, 0)) << name << " bias, step " << s;
  }
  ASSERT_EQ(fused.optimizer_variables.size(), ops_path.optimizer_variables.size());
  for (size_t k = 0; k < fused.optimizer_variables.size(); ++k)
    EXPECT_TRUE(all_close(fused.optimizer_variables[k], ops_path.optimizer_variables[k], 0, 0))
        << name << " optimizer variable " << k;
}

// float64 variables take the ops path and compute in float64 (with Keras'
// float32 learning rate); they meet the float32 references to float32 accuracy.
TEST_P(OptimizerFixtures, Float64Variables) {
  const std::string name = GetParam();
  Replay run = replay(name, DType::float64, true);
  if (name.rfind("lion", 0) == 0) return;  // sign() of a value near 0 is not stable across precisions
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_EQ(run.kernel[s].dtype(), DType::float64);
    EXPECT_TRUE(all_close(run.kernel[s], row(fx(name + "__kernel"), s), 2e-4, 2e-5)) << name << " step " << s;
    EXPECT_TRUE(all_close(run.bias[s], row(fx(name + "__bias"), s), 2e-4, 2e-5)) << name << " step " << s;
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, OptimizerFixtures, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

TEST(OptimizerFixtures, EveryFixtureCaseIsReplayed) {
  for (const auto& [key, value] : fixtures()) {
    const auto pos = key.find("__present");
    if (pos == std::string::npos) continue;
    EXPECT_TRUE(cases().count(key.substr(0, pos))) << "no C++ case for fixture " << key.substr(0, pos);
  }
}

}  // namespace
}  // namespace keras::testing
