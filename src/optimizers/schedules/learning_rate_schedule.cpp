// Mirrors keras/src/optimizers/schedules/learning_rate_schedule.py
//
// Keras evaluates a schedule with keras.ops on float32 tensors
// (convert_to_tensor(initial_learning_rate) is floatx). Every formula below
// is written in float, one operation per Keras op and in Keras' order, so
// each value is Keras' to float32 rounding. Python numbers that meet a
// float32 tensor are weakly typed and become float32 first; constants that
// Python combines before (1 - alpha) are combined in double and then rounded,
// as Python does.
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <utility>

#include "keras/error.hpp"
#include "keras/optimizers/schedules.hpp"

// Keras rounds after every op; GCC would contract a * b + c (the cosine and
// polynomial formulas) into one fused multiply-add and round once.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace keras::optimizers::schedules {

namespace {

void check_positive_steps(int64_t steps, const char* argument) {
  if (steps <= 0)
    throw ValueError(std::string("Argument `") + argument + "` must be > 0. Received: " + argument + "=" +
                     std::to_string(steps));
}

float f32(double x) { return static_cast<float>(x); }

}  // namespace

// ---- ExponentialDecay -----------------------------------------------------------------------------------

ExponentialDecay::ExponentialDecay(Options options) : options_(std::move(options)) {
  check_positive_steps(options_.decay_steps, "decay_steps");
}

ExponentialDecay::ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase)
    : ExponentialDecay(Options{.initial_learning_rate = initial_learning_rate,
                               .decay_steps = decay_steps,
                               .decay_rate = decay_rate,
                               .staircase = staircase}) {}

double ExponentialDecay::operator()(int64_t step) const {
  float p = static_cast<float>(step) / static_cast<float>(options_.decay_steps);
  if (options_.staircase) p = std::floor(p);
  return f32(options_.initial_learning_rate) * std::pow(f32(options_.decay_rate), p);
}

// ---- PiecewiseConstantDecay -------------------------------------------------------------------------------

PiecewiseConstantDecay::PiecewiseConstantDecay(Options options) : options_(std::move(options)) {
  const auto& b = options_.boundaries;
  const auto& v = options_.values;
  if (b.size() + 1 != v.size() || b.empty()) {
    std::string bs, vs;
    for (size_t i = 0; i < b.size(); ++i) bs += (i ? ", " : "") + std::to_string(b[i]);
    for (size_t i = 0; i < v.size(); ++i) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v[i]);
      vs += (i ? ", " : "") + std::string(buf);
    }
    // Keras only checks the lengths (and fails on the first call when both are
    // empty); an empty list is rejected here.
    throw ValueError("The length of boundaries should be 1 less than the length of values, and at least 1. " +
                     std::string("Received: boundaries=[") + bs + "] of length " + std::to_string(b.size()) +
                     ", and values=[" + vs + "] of length " + std::to_string(v.size()) + ".");
  }
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values)
    : PiecewiseConstantDecay(Options{.boundaries = std::move(boundaries), .values = std::move(values)}) {}

double PiecewiseConstantDecay::operator()(int64_t step) const {
  // Keras sums value * [step in range] over the ranges; exactly one range
  // holds, so the sum is that value (in float32).
  const auto& b = options_.boundaries;
  const auto& v = options_.values;
  if (step <= b.front()) return f32(v.front());
  if (step > b.back()) return f32(v.back());
  for (size_t i = 0; i + 1 < b.size(); ++i)
    if (step > b[i] && step <= b[i + 1]) return f32(v[i + 1]);
  return 0.0;  // unsorted boundaries: no range holds, as in Keras
}

// ---- PolynomialDecay --------------------------------------------------------------------------------------

PolynomialDecay::PolynomialDecay(Options options) : options_(std::move(options)) {
  check_positive_steps(options_.decay_steps, "decay_steps");
}

PolynomialDecay::PolynomialDecay(double initial_learning_rate, int64_t decay_steps, double end_learning_rate,
                                 double power, bool cycle)
    : PolynomialDecay(Options{.initial_learning_rate = initial_learning_rate,
                              .decay_steps = decay_steps,
                              .end_learning_rate = end_learning_rate,
                              .power = power,
                              .cycle = cycle}) {}

double PolynomialDecay::operator()(int64_t step) const {
  const float initial = f32(options_.initial_learning_rate);
  const float end = f32(options_.end_learning_rate);
  float global_step = static_cast<float>(step);
  float decay_steps = static_cast<float>(options_.decay_steps);
  if (options_.cycle) {
    // The first multiple of decay_steps above the step (1 at step 0).
    const float multiplier = global_step == 0.f ? 1.f : std::ceil(global_step / decay_steps);
    decay_steps = decay_steps * multiplier;
  } else {
    global_step = std::fmin(global_step, decay_steps);
  }
  const float p = global_step / decay_steps;
  return (initial - end) * std::pow(1.f - p, f32(options_.power)) + end;
}

// ---- InverseTimeDecay -------------------------------------------------------------------------------------

InverseTimeDecay::InverseTimeDecay(Options options) : options_(std::move(options)) {
  check_positive_steps(options_.decay_steps, "decay_steps");
}

InverseTimeDecay::InverseTimeDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase)
    : InverseTimeDecay(Options{.initial_learning_rate = initial_learning_rate,
                               .decay_steps = decay_steps,
                               .decay_rate = decay_rate,
                               .staircase = staircase}) {}

double InverseTimeDecay::operator()(int64_t step) const {
  float p = static_cast<float>(step) / static_cast<float>(options_.decay_steps);
  if (options_.staircase) p = std::floor(p);
  return f32(options_.initial_learning_rate) / (1.f + f32(options_.decay_rate) * p);
}

// ---- CosineDecay ------------------------------------------------------------------------------------------

CosineDecay::CosineDecay(Options options) : options_(std::move(options)) {
  check_positive_steps(options_.decay_steps, "decay_steps");
}

CosineDecay::CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha)
    : CosineDecay(Options{.initial_learning_rate = initial_learning_rate, .decay_steps = decay_steps, .alpha = alpha}) {
}

double CosineDecay::operator()(int64_t step) const {
  const float initial = f32(options_.initial_learning_rate);
  const float decay_steps = static_cast<float>(options_.decay_steps);
  float global_step = static_cast<float>(step);
  // _decay_function: `(1 - self.alpha)` is a Python double, rounded once.
  auto decay = [&](float s, float decay_from) {
    const float completed_fraction = s / decay_steps;
    const float cosine_decayed = 0.5f * (1.f + std::cos(std::numbers::pi_v<float> * completed_fraction));
    const float decayed = f32(1.0 - options_.alpha) * cosine_decayed + f32(options_.alpha);
    return decay_from * decayed;
  };
  if (!options_.warmup_target) return decay(std::fmin(global_step, decay_steps), initial);
  const float target = f32(*options_.warmup_target);
  const float warmup_steps = static_cast<float>(options_.warmup_steps);
  global_step = std::fmin(global_step, decay_steps + warmup_steps);
  if (global_step < warmup_steps) {
    const float completed_fraction = global_step / warmup_steps;
    return (target - initial) * completed_fraction + initial;
  }
  return decay(global_step - warmup_steps, target);
}

// ---- CosineDecayRestarts ----------------------------------------------------------------------------------

CosineDecayRestarts::CosineDecayRestarts(Options options) : options_(std::move(options)) {
  check_positive_steps(options_.first_decay_steps, "first_decay_steps");
}

CosineDecayRestarts::CosineDecayRestarts(double initial_learning_rate, int64_t first_decay_steps, double t_mul,
                                         double m_mul, double alpha)
    : CosineDecayRestarts(Options{.initial_learning_rate = initial_learning_rate,
                                  .first_decay_steps = first_decay_steps,
                                  .t_mul = t_mul,
                                  .m_mul = m_mul,
                                  .alpha = alpha}) {}

double CosineDecayRestarts::operator()(int64_t step) const {
  const float alpha = f32(options_.alpha);
  const float t_mul = f32(options_.t_mul);
  const float m_mul = f32(options_.m_mul);
  float completed_fraction = static_cast<float>(step) / static_cast<float>(options_.first_decay_steps);
  float i_restart;
  if (t_mul == 1.f) {
    i_restart = std::floor(completed_fraction);
    completed_fraction -= i_restart;
  } else {
    // Period k lasts t_mul^k first periods; the restart index solves the
    // geometric sum (1 - t_mul^i) / (1 - t_mul) <= completed_fraction.
    i_restart = std::floor(std::log(1.f - completed_fraction * (1.f - t_mul)) / std::log(t_mul));
    const float sum_r = (1.f - std::pow(t_mul, i_restart)) / (1.f - t_mul);
    completed_fraction = (completed_fraction - sum_r) / std::pow(t_mul, i_restart);
  }
  const float m_fac = std::pow(m_mul, i_restart);
  const float cosine_decayed = 0.5f * m_fac * (1.f + std::cos(std::numbers::pi_v<float> * completed_fraction));
  const float decayed = (1.f - alpha) * cosine_decayed + alpha;
  return f32(options_.initial_learning_rate) * decayed;
}

}  // namespace keras::optimizers::schedules
