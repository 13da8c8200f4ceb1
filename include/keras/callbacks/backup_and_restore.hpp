#pragma once
/// keras::callbacks::BackupAndRestore: survives interruptions. It saves the training state to
/// `backup_dir` every epoch (or every N batches); when fit() starts and a backup is there, training
/// continues from it. A program killed at any moment (even with SIGKILL, even mid-save) and started
/// again ends with the same weights, bit for bit, as a run that was never interrupted.
///
/// What a backup holds: `latest.weights.h5` (the model's weights and the optimizer's state, in
/// Keras' layout, with the position in training as an extra root attribute: epoch, step, the data
/// order and position, random generator states, metric state) and `training_metadata.json`
/// ({"epoch": e, "batch": b}, as Keras writes it). Both are written atomically; the weights file
/// alone decides where training resumes, so the two can never disagree. A backup written by Python
/// Keras (no position attribute) resumes at the start of its epoch, as Keras does.
///
/// Example:
///   keras::callbacks::BackupAndRestore backup({.backup_dir = "/tmp/backup", .save_freq = 100});
///   model.fit(x, y, {.epochs = 10, .callbacks = {backup}});   // run it again after a crash
#include <string>

#include "keras/callbacks/callback.hpp"
#include "keras/callbacks/model_checkpoint.hpp"

namespace keras::callbacks {

struct BackupAndRestoreOptions {
  /// Where backups live (created when needed). Required.
  std::string backup_dir{};
  /// "epoch" or a number of batches. Default "epoch".
  SaveFreq save_freq = "epoch";
  /// Keep the previous backup as *.bkp and fall back to it when the latest cannot be read. Default false.
  bool double_checkpoint = false;
  /// Remove backup_dir when training ends normally. Default true.
  bool delete_checkpoint = true;
};

class BackupAndRestore : public Callback {
 public:
  using Options = BackupAndRestoreOptions;
  explicit BackupAndRestore(Options options);

  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

  const std::string& weights_path() const { return weights_path_; }

 private:
  void load();
  void save();
  Options options_;
  std::string weights_path_, metadata_path_;
  int64_t current_epoch_ = 0;
  int64_t batch_in_epoch_ = 0;  // the last batch index seen this epoch (Keras' metadata "batch")
};

}  // namespace keras::callbacks
