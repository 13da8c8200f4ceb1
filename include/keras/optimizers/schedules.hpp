#pragma once
/// keras::optimizers::schedules: learning rates that change with the step
/// (keras.optimizers.schedules).
///
/// Example:
///   using namespace keras::optimizers;
///   schedules::ExponentialDecay lr(/*initial_learning_rate=*/0.1, /*decay_steps=*/1000, /*decay_rate=*/0.96);
///   Adam opt({.learning_rate = lr});          // the optimizer calls lr(step) at every step
///   double at_500 = lr(500);                  // 0.1 * 0.96^(500 / 1000)
///
///   // keras.optimizers.schedules.CosineDecay(0.0, 10000, warmup_target=0.1, warmup_steps=500)
///   schedules::CosineDecay cosine({.initial_learning_rate = 0.0, .decay_steps = 10000,
///                                  .warmup_target = 0.1, .warmup_steps = 500});
///
/// A schedule computes in float32, as Keras does in floatx(), so its values
/// equal Keras' to float32 rounding. A user schedule derives from
/// LearningRateSchedule and overrides operator() and class_name().
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace keras::optimizers::schedules {

/// The base of every schedule: a function of the optimizer's step (its
/// iteration count, starting at 0) returning the learning rate.
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate at `step`.
  virtual double operator()(int64_t step) const = 0;
  /// The Keras class name ("ExponentialDecay").
  virtual std::string class_name() const { return "LearningRateSchedule"; }
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;
};

struct ExponentialDecayOptions {
  double initial_learning_rate = 0.0;
  /// Must be > 0.
  int64_t decay_steps = 0;
  double decay_rate = 0.0;
  /// Decay at whole multiples of decay_steps only (a staircase).
  bool staircase = false;
  std::string name = "ExponentialDecay";
};
/// initial_learning_rate * decay_rate ^ (step / decay_steps); the exponent is
/// floored when staircase.
class ExponentialDecay : public LearningRateSchedule {
 public:
  using Options = ExponentialDecayOptions;
  explicit ExponentialDecay(Options options);
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false);
  double operator()(int64_t step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct PiecewiseConstantDecayOptions {
  /// Increasing step boundaries.
  std::vector<int64_t> boundaries{};
  /// One more value than boundaries: values[0] up to and including
  /// boundaries[0], values[1] up to boundaries[1], ..., the last after the last boundary.
  std::vector<double> values{};
  std::string name = "PiecewiseConstant";
};
/// A constant learning rate between step boundaries.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  using Options = PiecewiseConstantDecayOptions;
  explicit PiecewiseConstantDecay(Options options);
  PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values);
  double operator()(int64_t step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct PolynomialDecayOptions {
  double initial_learning_rate = 0.0;
  /// Must be > 0.
  int64_t decay_steps = 0;
  double end_learning_rate = 0.0001;
  double power = 1.0;
  /// Restart the decay (over a longer period) after decay_steps instead of
  /// staying at end_learning_rate.
  bool cycle = false;
  std::string name = "PolynomialDecay";
};
/// (initial - end) * (1 - step / decay_steps) ^ power + end, with step capped
/// at decay_steps (or decay_steps stretched to the next multiple when cycle).
class PolynomialDecay : public LearningRateSchedule {
 public:
  using Options = PolynomialDecayOptions;
  explicit PolynomialDecay(Options options);
  PolynomialDecay(double initial_learning_rate, int64_t decay_steps, double end_learning_rate = 0.0001,
                  double power = 1.0, bool cycle = false);
  double operator()(int64_t step) const override;
  std::string class_name() const override { return "PolynomialDecay"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct InverseTimeDecayOptions {
  double initial_learning_rate = 0.0;
  /// Must be > 0.
  int64_t decay_steps = 0;
  double decay_rate = 0.0;
  bool staircase = false;
  std::string name = "InverseTimeDecay";
};
/// initial_learning_rate / (1 + decay_rate * step / decay_steps); the ratio
/// step / decay_steps is floored when staircase.
class InverseTimeDecay : public LearningRateSchedule {
 public:
  using Options = InverseTimeDecayOptions;
  explicit InverseTimeDecay(Options options);
  InverseTimeDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false);
  double operator()(int64_t step) const override;
  std::string class_name() const override { return "InverseTimeDecay"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CosineDecayOptions {
  double initial_learning_rate = 0.0;
  /// Steps of the cosine part (after the warmup). Must be > 0.
  int64_t decay_steps = 0;
  /// The final rate as a fraction of the rate decayed from.
  double alpha = 0.0;
  std::string name = "CosineDecay";
  /// With a target, the rate first rises linearly from initial_learning_rate
  /// to warmup_target over warmup_steps, then decays from warmup_target.
  std::optional<double> warmup_target{};
  int64_t warmup_steps = 0;
};
/// Cosine decay (Loshchilov & Hutter, 2017) with an optional linear warmup.
class CosineDecay : public LearningRateSchedule {
 public:
  using Options = CosineDecayOptions;
  explicit CosineDecay(Options options);
  CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0.0);
  double operator()(int64_t step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CosineDecayRestartsOptions {
  double initial_learning_rate = 0.0;
  /// Length of the first period. Must be > 0.
  int64_t first_decay_steps = 0;
  /// Each period is t_mul times longer than the one before.
  double t_mul = 2.0;
  /// Each period starts at m_mul times the previous period's initial rate.
  double m_mul = 1.0;
  double alpha = 0.0;
  std::string name = "SGDRDecay";
};
/// Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2017).
class CosineDecayRestarts : public LearningRateSchedule {
 public:
  using Options = CosineDecayRestartsOptions;
  explicit CosineDecayRestarts(Options options);
  CosineDecayRestarts(double initial_learning_rate, int64_t first_decay_steps, double t_mul = 2.0, double m_mul = 1.0,
                      double alpha = 0.0);
  double operator()(int64_t step) const override;
  std::string class_name() const override { return "CosineDecayRestarts"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace keras::optimizers::schedules
