#pragma once
/// keras::callbacks::ModelCheckpoint: saves the model's weights during training, every epoch or
/// every N batches, optionally only when a monitored quantity improves. The file name is a Python
/// format template over "epoch" (1-based), "batch" (1-based, batch-level saving) and the logs:
/// "ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5". Missing folders are created; every write is
/// atomic.
///
/// Example:
///   keras::callbacks::ModelCheckpoint ckpt({.filepath = "ckpt/best.weights.h5", .monitor = "val_accuracy",
///                                           .save_best_only = true, .save_weights_only = true});
#include <optional>
#include <string>
#include <variant>

#include "keras/callbacks/monitor_callback.hpp"

namespace keras::callbacks {

/// "epoch" or every N batches.
class SaveFreq {
 public:
  SaveFreq(const char* s);                                            // NOLINT: "epoch"
  SaveFreq(const std::string& s) : SaveFreq(s.c_str()) {}             // NOLINT
  SaveFreq(int64_t batches);                                          // NOLINT
  SaveFreq(int batches) : SaveFreq(static_cast<int64_t>(batches)) {}  // NOLINT
  bool per_epoch() const { return batches_ == 0; }
  int64_t batches() const { return batches_; }
  /// Called at each train batch end with its index (batch indices restart each epoch and jump by
  /// steps_per_execution): true once `batches()` batches have passed since the last true.
  bool due(int64_t batch);
  void restart() {
    since_ = 0;
    last_batch_.reset();
  }

 private:
  int64_t batches_ = 0;
  int64_t since_ = 0;
  std::optional<int64_t> last_batch_;
};

struct ModelCheckpointOptions {
  /// Where to save; a format template (see above). Required.
  std::string filepath{};
  /// The quantity save_best_only compares. Default "val_loss".
  std::string monitor = "val_loss";
  /// 1 prints a line per save. Default 0.
  int verbose = 0;
  /// Save only when the monitored quantity improves. Default false.
  bool save_best_only = false;
  /// Save the weights only (a ".weights.h5" file). keras.cpp saves weights; whole-model ".keras"
  /// files need the saving issue's archive writer. Default false (as in Keras; set it true).
  bool save_weights_only = false;
  /// "auto", "min" or "max". Default "auto".
  std::string mode = "auto";
  /// "epoch" or a number of batches. Default "epoch".
  SaveFreq save_freq = "epoch";
  /// The value the first save must beat (with save_best_only). Default none.
  std::optional<double> initial_value_threshold{};
};

class ModelCheckpoint : public MonitorCallback {
 public:
  using Options = ModelCheckpointOptions;
  /// keras::ValueError for a file name that does not suit save_weights_only.
  explicit ModelCheckpoint(Options options);

  void on_epoch_begin(int64_t epoch, const Logs&) override { current_epoch_ = epoch; }
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;

  /// The file name for this epoch (0-based), batch (0-based, or none) and logs.
  std::string file_path(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) const;

 private:
  bool should_save(int64_t epoch, const Logs& logs, const std::string& path);
  void save(int64_t epoch, std::optional<int64_t> batch, const Logs& logs);

  Options options_;
  int64_t current_epoch_ = 0;
};

}  // namespace keras::callbacks
