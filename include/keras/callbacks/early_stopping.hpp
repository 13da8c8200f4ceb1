#pragma once
/// keras::callbacks::EarlyStopping: stops training when a monitored quantity has stopped improving.
///
/// Example:
///   keras::callbacks::EarlyStopping stop({.monitor = "val_loss", .patience = 3, .restore_best_weights = true});
///   model.fit(x, y, {.epochs = 100, .validation_split = 0.2, .callbacks = {stop}});
#include <optional>
#include <string>
#include <vector>

#include "keras/callbacks/monitor_callback.hpp"
#include "keras/tensor.hpp"

namespace keras::callbacks {

struct EarlyStoppingOptions {
  /// The logged quantity to watch. Default "val_loss".
  std::string monitor = "val_loss";
  /// A change of less than this (in absolute value) is no improvement. Default 0.
  double min_delta = 0.0;
  /// Epochs without improvement after which training stops. Default 0.
  int64_t patience = 0;
  /// 1 prints when it stops and when it restores weights. Default 0.
  int verbose = 0;
  /// "auto", "min" or "max". Default "auto".
  std::string mode = "auto";
  /// A value the quantity must beat: epochs that do not beat it count towards patience. Default none.
  std::optional<double> baseline{};
  /// At the end, put back the weights of the best epoch. Default false.
  bool restore_best_weights = false;
  /// Epochs to wait before watching at all (a warm-up). Default 0.
  int64_t start_from_epoch = 0;
};

class EarlyStopping : public MonitorCallback {
 public:
  using Options = EarlyStoppingOptions;
  explicit EarlyStopping(Options options = {});

  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

  /// The epoch (0-based) at which training was stopped; 0 if it was not.
  int64_t stopped_epoch() const { return stopped_epoch_; }
  /// The epoch (0-based) with the best value.
  int64_t best_epoch() const { return best_epoch_; }
  /// Epochs since the last improvement.
  int64_t wait() const { return wait_; }

 private:
  Options options_;
  int64_t wait_ = 0;
  int64_t stopped_epoch_ = 0;
  int64_t best_epoch_ = 0;
  std::optional<std::vector<Tensor>> best_weights_;
};

}  // namespace keras::callbacks
