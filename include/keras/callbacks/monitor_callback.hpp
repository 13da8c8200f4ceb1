#pragma once
/// keras::callbacks::MonitorCallback: the base of callbacks that watch one logged quantity
/// (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau) and decide whether it improved.
#include <optional>
#include <string>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

class MonitorCallback : public Callback {
 public:
  /// `mode`: "auto", "min" or "max"; anything else warns and falls back to "auto", as Keras does.
  /// In "auto" mode the direction comes from the monitored name: "loss"/"val_loss" are minimized,
  /// a compiled metric of that name goes the metric's way (accuracy up, errors down); otherwise
  /// the first epoch end raises keras::ValueError asking for mode="min" or "max".
  MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline, double min_delta,
                  const std::string& class_name);

  const std::string& monitor() const { return monitor_; }
  /// The best value seen so far (or the baseline / threshold before any).
  std::optional<double> best() const { return best_; }

 protected:
  /// Chooses the comparison (once the model is known); called at the first epoch end.
  void set_monitor_op();
  bool monitor_op_set() const { return op_ != 0; }
  /// Whether `value` improves on `reference` by more than min_delta (always, without a reference).
  bool is_improvement(double value, std::optional<double> reference) const;
  bool maximizes() const { return op_ > 0; }

  std::string monitor_;
  std::string mode_;
  std::optional<double> best_;
  double min_delta_;
  std::string class_name_;

 private:
  int op_ = 0;  // -1: less is better, +1: greater is better, 0: not chosen yet
};

}  // namespace keras::callbacks
