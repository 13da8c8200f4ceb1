#pragma once
/// keras::callbacks::ReduceLROnPlateau: multiplies the learning rate by `factor` when a monitored
/// quantity has stopped improving for `patience` epochs. Adds "learning_rate" to the epoch logs.
///
/// Example:
///   keras::callbacks::ReduceLROnPlateau reduce({.monitor = "val_loss", .factor = 0.2, .patience = 5, .min_lr = 1e-3});
///   model.fit(x, y, {.epochs = 50, .validation_split = 0.2, .callbacks = {reduce}});
#include <string>

#include "keras/callbacks/monitor_callback.hpp"

namespace keras::callbacks {

struct ReduceLROnPlateauOptions {
  /// Default "val_loss".
  std::string monitor = "val_loss";
  /// new_lr = lr * factor; must be < 1. Default 0.1.
  double factor = 0.1;
  /// Epochs without improvement before the rate is reduced. Default 10.
  int64_t patience = 10;
  /// 1 prints each reduction. Default 0.
  int verbose = 0;
  /// "auto", "min" or "max". Default "auto".
  std::string mode = "auto";
  /// Smallest change that counts as an improvement. Default 1e-4.
  double min_delta = 1e-4;
  /// Epochs to wait after a reduction before counting again. Default 0.
  int64_t cooldown = 0;
  /// The rate is never reduced below this. Default 0.
  double min_lr = 0.0;
};

class ReduceLROnPlateau : public MonitorCallback {
 public:
  using Options = ReduceLROnPlateauOptions;
  /// keras::ValueError when factor >= 1.
  explicit ReduceLROnPlateau(Options options = {});

  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  bool in_cooldown() const { return cooldown_counter_ > 0; }

 private:
  Options options_;
  int64_t cooldown_counter_ = 0;
  int64_t wait_ = 0;
};

}  // namespace keras::callbacks
