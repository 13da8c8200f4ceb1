#pragma once
/// keras::callbacks::LearningRateScheduler: sets the learning rate at the start of each epoch
/// from a function of the epoch (0-based) and the current rate. Adds "learning_rate" to the
/// epoch logs.
///
/// Example:
///   keras::callbacks::LearningRateScheduler sched([](int64_t epoch, double lr) {
///     return epoch < 10 ? lr : lr * std::exp(-0.1);
///   });
#include <functional>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int64_t epoch, double learning_rate)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  /// A schedule of the epoch alone.
  explicit LearningRateScheduler(std::function<double(int64_t epoch)> schedule, int verbose = 0);

  void on_epoch_begin(int64_t epoch, const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

}  // namespace keras::callbacks
