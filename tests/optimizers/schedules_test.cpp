// Learning-rate schedules against Keras 3 (sched__* in
// tests/fixtures/optimizers.npz, gen_optimizer_fixtures.py), hand-worked
// values, argument checks, and schedules driving an optimizer.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "harness/check_op.hpp"
#include "keras/npy.hpp"
#include "keras/optimizers.hpp"

namespace keras::testing {
namespace {

namespace O = keras::optimizers;
namespace S = keras::optimizers::schedules;

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("optimizers.npz"));
  return f;
}

using MakeSchedule = std::function<std::shared_ptr<S::LearningRateSchedule>()>;

template <class C, class... Args>
MakeSchedule sched(Args... args) {
  return [=] { return std::make_shared<C>(args...); };
}

// gen_optimizer_fixtures.py SCHEDULES.
const std::map<std::string, MakeSchedule>& schedule_cases() {
  static const std::map<std::string, MakeSchedule> table = {
      {"exponential", sched<S::ExponentialDecay>(0.1, int64_t{3}, 0.5)},
      {"exponential_staircase", sched<S::ExponentialDecay>(0.1, int64_t{3}, 0.5, true)},
      {"piecewise",
       [] {
         return std::make_shared<S::PiecewiseConstantDecay>(std::vector<int64_t>{3, 7},
                                                            std::vector<double>{1.0, 0.5, 0.1});
       }},
      {"piecewise_one",
       [] {
         return std::make_shared<S::PiecewiseConstantDecay>(
             S::PiecewiseConstantDecayOptions{.boundaries = {5}, .values = {0.3, 0.02}});
       }},
      {"polynomial", sched<S::PolynomialDecay>(0.1, int64_t{10})},
      {"polynomial_cycle", sched<S::PolynomialDecay>(0.1, int64_t{6}, 0.01, 2.0, true)},
      {"polynomial_power",
       [] {
         return std::make_shared<S::PolynomialDecay>(S::PolynomialDecayOptions{
             .initial_learning_rate = 0.2, .decay_steps = 7, .end_learning_rate = 0.0, .power = 0.5});
       }},
      {"inverse_time", sched<S::InverseTimeDecay>(0.1, int64_t{4}, 0.5)},
      {"inverse_time_staircase", sched<S::InverseTimeDecay>(0.1, int64_t{4}, 0.5, true)},
      {"cosine", sched<S::CosineDecay>(0.1, int64_t{10})},
      {"cosine_alpha", sched<S::CosineDecay>(0.1, int64_t{10}, 0.1)},
      {"cosine_warmup",
       [] {
         return std::make_shared<S::CosineDecay>(S::CosineDecayOptions{
             .initial_learning_rate = 0.0, .decay_steps = 10, .warmup_target = 0.1, .warmup_steps = 5});
       }},
      {"cosine_warmup_alpha",
       [] {
         return std::make_shared<S::CosineDecay>(S::CosineDecayOptions{
             .initial_learning_rate = 0.01, .decay_steps = 8, .alpha = 0.2, .warmup_target = 0.05, .warmup_steps = 3});
       }},
      {"restarts", sched<S::CosineDecayRestarts>(0.1, int64_t{4})},
      {"restarts_t1", sched<S::CosineDecayRestarts>(0.1, int64_t{3}, 1.0, 0.5, 0.1)},
      {"restarts_fractional", sched<S::CosineDecayRestarts>(0.1, int64_t{2}, 1.5, 0.8, 0.05)},
  };
  return table;
}

class ScheduleFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(ScheduleFixtures, MatchesKeras) {
  const std::string name = GetParam();
  auto schedule = schedule_cases().at(name)();
  const auto expected = fixtures().at("sched__" + name).to_vector<float>();
  for (size_t step = 0; step < expected.size(); ++step) {
    const double got = (*schedule)(static_cast<int64_t>(step));
    EXPECT_NEAR(got, expected[step], 1e-6 * std::abs(expected[step]) + 1e-9) << name << " at step " << step;
  }
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : schedule_cases()) names.push_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Schedules, ScheduleFixtures, ::testing::ValuesIn(schedule_names()),
                         [](const auto& info) { return info.param; });

TEST(ScheduleFixtures, EveryFixtureScheduleIsChecked) {
  for (const auto& [key, value] : fixtures()) {
    if (key.rfind("sched__", 0) == 0) {
      EXPECT_TRUE(schedule_cases().count(key.substr(7))) << "no C++ case for fixture " << key;
    }
  }
}

TEST(ScheduleTest, HandWorkedValues) {
  // 0.1 * 0.5^(6 / 3) = 0.025.
  EXPECT_FLOAT_EQ(S::ExponentialDecay(0.1, 3, 0.5)(6), 0.025f);
  // Staircase: floor(4 / 3) = 1.
  EXPECT_FLOAT_EQ(S::ExponentialDecay(0.1, 3, 0.5, true)(4), 0.05f);
  // Boundaries are inclusive on the left range: step 3 still has values[0].
  S::PiecewiseConstantDecay pw({3, 7}, {1.0, 0.5, 0.1});
  EXPECT_FLOAT_EQ(pw(3), 1.0f);
  EXPECT_FLOAT_EQ(pw(4), 0.5f);
  EXPECT_FLOAT_EQ(pw(7), 0.5f);
  EXPECT_FLOAT_EQ(pw(8), 0.1f);
  // Halfway through a linear decay to 1e-4.
  EXPECT_FLOAT_EQ(S::PolynomialDecay(0.1, 10)(5), 0.5f * (0.1f - 1e-4f) + 1e-4f);
  EXPECT_FLOAT_EQ(S::PolynomialDecay(0.1, 10)(50), 1e-4f);  // capped at decay_steps
  EXPECT_FLOAT_EQ(S::InverseTimeDecay(0.1, 4, 0.5)(8), 0.05f);
  EXPECT_FLOAT_EQ(S::CosineDecay(0.1, 10)(5), 0.05f);
  EXPECT_NEAR(S::CosineDecay(0.1, 10)(10), 0.0, 1e-9);
  EXPECT_FLOAT_EQ(S::CosineDecay(0.1, 10, 0.1)(100), 0.01f);
  // A warmup climbs linearly to its target.
  S::CosineDecay warm({.initial_learning_rate = 0.0, .decay_steps = 10, .warmup_target = 0.1, .warmup_steps = 5});
  EXPECT_FLOAT_EQ(warm(0), 0.0f);
  EXPECT_FLOAT_EQ(warm(2), 0.04f);
  EXPECT_FLOAT_EQ(warm(5), 0.1f);
  // A restart returns to the initial rate (times m_mul).
  EXPECT_FLOAT_EQ(S::CosineDecayRestarts(0.1, 4)(4), 0.1f);
  EXPECT_FLOAT_EQ(S::CosineDecayRestarts(0.1, 4, 1.0, 0.5)(8), 0.025f);
}

TEST(ScheduleTest, ClassNamesAndOptions) {
  EXPECT_EQ(S::ExponentialDecay(0.1, 3, 0.5).class_name(), "ExponentialDecay");
  EXPECT_EQ(S::PiecewiseConstantDecay({1}, {1.0, 0.5}).class_name(), "PiecewiseConstantDecay");
  EXPECT_EQ(S::PolynomialDecay(0.1, 3).class_name(), "PolynomialDecay");
  EXPECT_EQ(S::InverseTimeDecay(0.1, 3, 0.5).class_name(), "InverseTimeDecay");
  EXPECT_EQ(S::CosineDecay(0.1, 3).class_name(), "CosineDecay");
  EXPECT_EQ(S::CosineDecayRestarts(0.1, 3).class_name(), "CosineDecayRestarts");
  // Keras' default names.
  EXPECT_EQ(S::ExponentialDecay(0.1, 3, 0.5).options().name, "ExponentialDecay");
  EXPECT_EQ(S::PiecewiseConstantDecay({1}, {1.0, 0.5}).options().name, "PiecewiseConstant");
  EXPECT_EQ(S::CosineDecayRestarts(0.1, 3).options().name, "SGDRDecay");
  EXPECT_EQ(S::PolynomialDecay(0.1, 3).options().end_learning_rate, 0.0001);
}

template <class F>
void expect_value_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needle;
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ScheduleTest, RejectsBadArguments) {
  expect_value_error([] { S::ExponentialDecay(0.1, 0, 0.5); }, "`decay_steps` must be > 0");
  expect_value_error([] { S::PolynomialDecay(0.1, -1); }, "`decay_steps` must be > 0");
  expect_value_error([] { S::InverseTimeDecay(0.1, 0, 0.5); }, "`decay_steps` must be > 0");
  expect_value_error([] { S::CosineDecay(0.1, 0); }, "`decay_steps` must be > 0");
  expect_value_error([] { S::CosineDecayRestarts(0.1, 0); }, "`first_decay_steps` must be > 0");
  expect_value_error(
      [] {
        S::PiecewiseConstantDecay({1, 2}, {1.0, 0.5});
      },
      "The length of boundaries should be 1 less than the length of values");
}

// A user schedule: any LearningRateSchedule subclass.
struct HalvingSchedule : S::LearningRateSchedule {
  double operator()(int64_t step) const override { return 1.0 / static_cast<double>(1 << step); }
  std::string class_name() const override { return "HalvingSchedule"; }
};

TEST(ScheduleTest, DrivesAnOptimizerAtEveryStep) {
  // SGD: w -= lr(step) * g, with the rate at the step count before the update.
  O::SGD sgd({.learning_rate = HalvingSchedule()});
  Variable w(Tensor({1.f}), {.name = "w"});
  EXPECT_EQ(sgd.learning_rate(), 1.0);
  sgd.apply({Tensor({1.f})}, {w});  // lr 1
  EXPECT_EQ(sgd.learning_rate(), 0.5);
  sgd.apply({Tensor({1.f})}, {w});  // lr 0.5
  EXPECT_FLOAT_EQ(w.value().to_vector<float>()[0], 1.f - 1.f - 0.5f);
  // A schedule leaves no learning-rate variable.
  for (const auto& v : sgd.variables()) EXPECT_NE(v.name(), "learning_rate");
}

TEST(ScheduleTest, GradientAccumulationSchedulesSeeEveryStep) {
  // Keras: schedules read the raw step count, iterations() the updates.
  O::SGD sgd({.learning_rate = S::ExponentialDecay(1.0, 1, 0.5), .gradient_accumulation_steps = 2});
  Variable w(Tensor({0.f}), {.name = "w"});
  sgd.apply({Tensor({1.f})}, {w});
  EXPECT_EQ(sgd.iterations(), 0);
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.5);
  EXPECT_FLOAT_EQ(w.value().to_vector<float>()[0], 0.f);  // accumulated only
  sgd.apply({Tensor({3.f})}, {w});                        // mean 2, rate 0.5
  EXPECT_EQ(sgd.iterations(), 1);
  EXPECT_FLOAT_EQ(w.value().to_vector<float>()[0], -1.f);
}

}  // namespace
}  // namespace keras::testing
