#pragma once
/// keras::callbacks::SwapEMAWeights: evaluates and predicts with the optimizer's exponential
/// moving averages of the weights (the optimizer needs use_ema = true), swapping them in for
/// evaluation and back after; with swap_on_epoch, also around each epoch end (so that epoch-end
/// callbacks such as ModelCheckpoint see the averages).
///
/// Example:
///   model.compile({.optimizer = keras::optimizers::SGD({.use_ema = true}), .loss = "mse"});
///   model.fit(x, y, {.validation_split = 0.2, .callbacks = {keras::callbacks::SwapEMAWeights()}});
#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

class SwapEMAWeights : public Callback {
 public:
  explicit SwapEMAWeights(bool swap_on_epoch = false) : swap_on_epoch_(swap_on_epoch) {}

  void on_epoch_begin(int64_t epoch, const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_test_begin(const Logs& logs) override;
  void on_test_end(const Logs& logs) override;
  void on_predict_begin(const Logs& logs) override;
  void on_predict_end(const Logs& logs) override;

 private:
  void swap();
  void finalize();
  bool swap_on_epoch_;
  bool ema_in_model_ = false;
};

}  // namespace keras::callbacks
