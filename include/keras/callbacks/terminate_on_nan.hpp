#pragma once
/// keras::callbacks::TerminateOnNaN: stops training when a batch's loss is NaN or infinite.
///
/// Example: `model.fit(x, y, {.callbacks = {keras::callbacks::TerminateOnNaN()}});`
#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

class TerminateOnNaN : public Callback {
 public:
  /// raise_error: throw keras::RuntimeError instead of stopping quietly.
  explicit TerminateOnNaN(bool raise_error = false) : raise_error_(raise_error) {}
  void on_train_batch_end(int64_t batch, const Logs& logs) override;

 private:
  bool raise_error_;
};

}  // namespace keras::callbacks
