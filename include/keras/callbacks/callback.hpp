#pragma once
/// keras::callbacks: hooks into fit / evaluate / predict.
///
/// Example:
///   class CountBatches : public keras::callbacks::Callback {
///    public:
///     int batches = 0;
///     void on_train_batch_end(int64_t, const keras::callbacks::Logs&) override { ++batches; }
///   };
///   auto counter = std::make_shared<CountBatches>();
///   model.fit(x, y, {.epochs = 2, .callbacks = {counter}});   // counter->batches afterwards
///
/// Logs are name -> number, keys in alphabetical order (as Keras sorts them).
/// A callback passed by value is copied into fit; pass a std::shared_ptr to
/// read it afterwards.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace keras {
class Model;
}

namespace keras::callbacks {

using Logs = std::map<std::string, double>;

/// What fit / evaluate / predict tell their callbacks (Keras' `params`).
struct Params {
  int64_t epochs = 1;
  /// Steps per epoch (per evaluate / predict run); nullopt when unknown.
  std::optional<int64_t> steps{};
  int verbose = 1;
};

/// The base: every hook does nothing.
class Callback {
 public:
  virtual ~Callback() = default;

  virtual void set_model(Model* model) { model_ = model; }
  virtual void set_params(const Params& params) { params_ = params; }
  Model* model() const { return model_; }
  const Params& params() const { return params_; }

  virtual void on_train_begin(const Logs&) {}
  virtual void on_train_end(const Logs&) {}
  virtual void on_epoch_begin(int64_t /*epoch*/, const Logs&) {}
  virtual void on_epoch_end(int64_t /*epoch*/, const Logs&) {}
  virtual void on_train_batch_begin(int64_t /*batch*/, const Logs&) {}
  virtual void on_train_batch_end(int64_t /*batch*/, const Logs&) {}
  virtual void on_test_begin(const Logs&) {}
  virtual void on_test_end(const Logs&) {}
  virtual void on_test_batch_begin(int64_t /*batch*/, const Logs&) {}
  virtual void on_test_batch_end(int64_t /*batch*/, const Logs&) {}
  virtual void on_predict_begin(const Logs&) {}
  virtual void on_predict_end(const Logs&) {}
  virtual void on_predict_batch_begin(int64_t /*batch*/, const Logs&) {}
  virtual void on_predict_batch_end(int64_t /*batch*/, const Logs&) {}

 protected:
  /// Adds or replaces `key` in the epoch logs this on_epoch_end is handling, so that the
  /// callbacks after this one, History and on_train_end see it (Keras callbacks write into the logs
  /// dict: LearningRateScheduler and ReduceLROnPlateau add "learning_rate"). Outside on_epoch_end
  /// run by fit it does nothing.
  void set_log_value(const std::string& key, double value) {
    if (writable_logs_) (*writable_logs_)[key] = value;
  }

 private:
  friend class CallbackList;
  Model* model_ = nullptr;
  Params params_{};
  Logs* writable_logs_ = nullptr;
};

template <class C>
concept CallbackObject = std::derived_from<std::remove_cvref_t<C>, Callback>;

/// What fit's `callbacks` list holds: a shared callback, or a copy of a callback object.
class CallbackArg {
 public:
  template <CallbackObject C>
  CallbackArg(std::shared_ptr<C> callback) : callback_(std::move(callback)) {}  // NOLINT
  template <CallbackObject C>
  CallbackArg(C&& callback)  // NOLINT
      : callback_(std::make_shared<std::remove_cvref_t<C>>(std::forward<C>(callback))) {}
  const std::shared_ptr<Callback>& get() const { return callback_; }

 private:
  std::shared_ptr<Callback> callback_;
};

/// Records every epoch's logs: history["loss"][e], history["val_loss"][e], ...
class History : public Callback {
 public:
  void on_train_begin(const Logs&) override { epoch.clear(); }
  void on_epoch_end(int64_t e, const Logs& logs) override;

  /// The epochs seen (0-based, from initial_epoch).
  std::vector<int64_t> epoch;
  std::map<std::string, std::vector<double>> history;
};

/// Prints Keras' progress bar (keras::utils::Progbar) for fit, evaluate and predict.
class ProgbarLogger : public Callback {
 public:
  explicit ProgbarLogger(std::ostream* out = nullptr);
  ~ProgbarLogger() override;
  void set_params(const Params& params) override;
  void on_train_begin(const Logs&) override { called_in_fit_ = true; }
  void on_test_begin(const Logs&) override;
  void on_predict_begin(const Logs&) override;
  void on_epoch_begin(int64_t epoch, const Logs&) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override { update(batch, logs); }
  void on_test_batch_end(int64_t batch, const Logs& logs) override;
  void on_predict_batch_end(int64_t batch, const Logs&) override { update(batch, {}); }
  void on_epoch_end(int64_t, const Logs& logs) override { finalize(logs); }
  void on_test_end(const Logs& logs) override;
  void on_predict_end(const Logs&) override { finalize({}); }

 private:
  struct Bar;
  void reset();
  void maybe_init();
  void update(int64_t batch, const Logs& logs);
  void finalize(const Logs& logs);
  std::ostream* out_;
  std::unique_ptr<Bar> bar_;
  int64_t seen_ = 0;
  std::optional<int64_t> target_{};
  int verbose_ = 1;
  int64_t epochs_ = 1;
  bool called_in_fit_ = false;
};

/// Runs a list of callbacks; itself a Callback. Adds History and ProgbarLogger as Keras does.
class CallbackList : public Callback {
 public:
  struct Options {
    bool add_history = false;
    bool add_progbar = false;
    Model* model = nullptr;
    Params params{};
    std::ostream* progbar_out = nullptr;
  };
  CallbackList(std::vector<std::shared_ptr<Callback>> callbacks, Options options);
  void set_model(Model* model) override;
  void set_params(const Params& params) override;
  /// The History the list holds (the user's, if one was passed).
  std::shared_ptr<History> history() const { return history_; }
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }

  void on_train_begin(const Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  void on_epoch_begin(int64_t epoch, const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  /// on_epoch_end on every callback with one shared copy of the logs, which set_log_value updates.
  void on_epoch_end_shared(int64_t epoch, Logs& logs);
  void on_train_batch_begin(int64_t batch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  void on_test_begin(const Logs& logs) override;
  void on_test_end(const Logs& logs) override;
  void on_test_batch_begin(int64_t batch, const Logs& logs) override;
  void on_test_batch_end(int64_t batch, const Logs& logs) override;
  void on_predict_begin(const Logs& logs) override;
  void on_predict_end(const Logs& logs) override;
  void on_predict_batch_begin(int64_t batch, const Logs& logs) override;
  void on_predict_batch_end(int64_t batch, const Logs& logs) override;

 private:
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::shared_ptr<History> history_;
};

}  // namespace keras::callbacks
