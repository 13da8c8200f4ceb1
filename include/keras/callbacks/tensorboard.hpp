#pragma once
/// keras::callbacks::TensorBoard: writes training curves for TensorBoard. Under `log_dir`, the run
/// `train/` gets "epoch_<metric>" (and "epoch_learning_rate") at each epoch end and, with
/// update_freq = N (or "batch" = 1), "batch_<metric>" every N batches; `validation/` gets the
/// validation metrics as "epoch_<metric>" and "evaluation_<metric>_vs_iterations" after every
/// evaluation. Event files are TensorBoard's record format (FORMATS.md section 3): view them with
/// `tensorboard --logdir <log_dir>`.
///
/// Example:
///   keras::callbacks::TensorBoard tb({.log_dir = "logs/run1", .update_freq = 100});
///   model.fit(x, y, {.epochs = 5, .validation_split = 0.1, .callbacks = {tb}});
#include <chrono>
#include <memory>
#include <string>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

namespace internal {
class EventFileWriter;
}

/// "epoch", "batch" (= 1) or every N batches.
class UpdateFreq {
 public:
  UpdateFreq(const char* s);                                              // NOLINT
  UpdateFreq(int64_t batches);                                            // NOLINT
  UpdateFreq(int batches) : UpdateFreq(static_cast<int64_t>(batches)) {}  // NOLINT
  bool per_epoch() const { return batches_ == 0; }
  int64_t batches() const { return batches_; }

 private:
  int64_t batches_ = 0;
};

struct TensorBoardOptions {
  /// Default "logs".
  std::string log_dir = "logs";
  /// Weight histograms every N epochs: not built yet (keras::NotImplementedError if set). Default 0.
  int64_t histogram_freq = 0;
  /// Write the model's config (the "keras" summary TensorBoard's graph view reads). Default true.
  bool write_graph = true;
  /// Weight images: not built yet (keras::NotImplementedError if set). Default false.
  bool write_images = false;
  /// Also log "steps_per_second". Default false.
  bool write_steps_per_second = false;
  /// "epoch", "batch" or N. Default "epoch".
  UpdateFreq update_freq = "epoch";
};

class TensorBoard : public Callback {
 public:
  using Options = TensorBoardOptions;
  explicit TensorBoard(Options options = {});
  ~TensorBoard() override;
  TensorBoard(TensorBoard&&) noexcept;
  TensorBoard& operator=(TensorBoard&&) = delete;

  void on_train_begin(const Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  void on_test_end(const Logs& logs) override;
  void on_train_batch_begin(int64_t batch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_epoch_begin(int64_t epoch, const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;

 private:
  internal::EventFileWriter& train_writer();
  internal::EventFileWriter& val_writer();
  void close_writers();

  Options options_;
  std::unique_ptr<internal::EventFileWriter> train_, val_;
  int64_t global_train_batch_ = 0;
  int64_t epoch_start_iterations_ = 0;
  bool graph_written_ = false;
  std::chrono::steady_clock::time_point batch_start_{}, epoch_start_{};
};

}  // namespace keras::callbacks
