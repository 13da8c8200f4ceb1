// Mirrors keras/src/callbacks/{callback_list,history,progbar_logger}.py.
#include "keras/callbacks/callback.hpp"

#include <iostream>
#include <utility>

#include "keras/utils/progbar.hpp"

namespace keras::callbacks {

// ---- History ----------------------------------------------------------------------------------------

void History::on_epoch_end(int64_t e, const Logs& logs) {
  epoch.push_back(e);
  for (const auto& [k, v] : logs) history[k].push_back(v);
}

// ---- ProgbarLogger ----------------------------------------------------------------------------------

struct ProgbarLogger::Bar {
  utils::Progbar progbar;
};

ProgbarLogger::ProgbarLogger(std::ostream* out) : out_(out) {}
ProgbarLogger::~ProgbarLogger() = default;

void ProgbarLogger::set_params(const Params& params) {
  Callback::set_params(params);
  verbose_ = params.verbose;
  epochs_ = params.epochs;
  target_ = params.steps;
}

void ProgbarLogger::reset() {
  seen_ = 0;
  bar_.reset();
}

void ProgbarLogger::maybe_init() {
  if (bar_) return;
  bar_ = std::make_unique<Bar>(Bar{
      utils::Progbar(utils::ProgbarOptions{.target = target_, .verbose = verbose_, .unit_name = "step", .out = out_})});
}

void ProgbarLogger::on_test_begin(const Logs&) {
  if (called_in_fit_) return;
  reset();
  maybe_init();
}

void ProgbarLogger::on_predict_begin(const Logs&) {
  reset();
  maybe_init();
}

void ProgbarLogger::on_epoch_begin(int64_t epoch, const Logs&) {
  reset();
  maybe_init();
  if (verbose_ && epochs_ > 1) {
    std::ostream& os = out_ ? *out_ : std::cout;
    os << "Epoch " << (epoch + 1) << "/" << epochs_ << "\n";
    os.flush();
  }
}

void ProgbarLogger::on_test_batch_end(int64_t batch, const Logs& logs) {
  if (!called_in_fit_) update(batch, logs);
}

void ProgbarLogger::on_test_end(const Logs& logs) {
  if (!called_in_fit_) finalize(logs);
}

void ProgbarLogger::update(int64_t batch, const Logs& logs) {
  maybe_init();
  seen_ = batch + 1;
  if (verbose_ == 1) {
    std::vector<std::pair<std::string, double>> values(logs.begin(), logs.end());
    bar_->progbar.update(seen_, values, false);
  }
}

void ProgbarLogger::finalize(const Logs& logs) {
  maybe_init();
  if (!target_) {
    target_ = seen_;
    bar_->progbar.set_target(seen_);
  }
  std::vector<std::pair<std::string, double>> values(logs.begin(), logs.end());
  bar_->progbar.update(*target_, values, true);
}

// ---- CallbackList -----------------------------------------------------------------------------------

CallbackList::CallbackList(std::vector<std::shared_ptr<Callback>> callbacks, Options options)
    : callbacks_(std::move(callbacks)) {
  bool has_progbar = false;
  for (const auto& c : callbacks_) {
    if (auto h = std::dynamic_pointer_cast<History>(c)) history_ = h;
    if (std::dynamic_pointer_cast<ProgbarLogger>(c)) has_progbar = true;
  }
  if (options.add_history && !history_) {
    history_ = std::make_shared<History>();
    callbacks_.push_back(history_);
  }
  if (options.add_progbar && !has_progbar) callbacks_.push_back(std::make_shared<ProgbarLogger>(options.progbar_out));
  if (options.model) set_model(options.model);
  set_params(options.params);
}

void CallbackList::set_model(Model* model) {
  Callback::set_model(model);
  for (auto& c : callbacks_) c->set_model(model);
}

void CallbackList::set_params(const Params& params) {
  Callback::set_params(params);
  for (auto& c : callbacks_) c->set_params(params);
}

#define KERAS_FORWARD0(hook)                  \
  void CallbackList::hook(const Logs& logs) { \
    for (auto& c : callbacks_) c->hook(logs); \
  }
#define KERAS_FORWARD1(hook)                             \
  void CallbackList::hook(int64_t i, const Logs& logs) { \
    for (auto& c : callbacks_) c->hook(i, logs);         \
  }
KERAS_FORWARD0(on_train_begin)
KERAS_FORWARD0(on_train_end)
KERAS_FORWARD1(on_epoch_begin)
void CallbackList::on_epoch_end(int64_t epoch, const Logs& logs) {
  Logs shared = logs;
  on_epoch_end_shared(epoch, shared);
  if (writable_logs_) *writable_logs_ = shared;  // a list inside a list passes the changes on
}
void CallbackList::on_epoch_end_shared(int64_t epoch, Logs& logs) {
  for (auto& c : callbacks_) {
    c->writable_logs_ = &logs;
    try {
      c->on_epoch_end(epoch, logs);
    } catch (...) {
      c->writable_logs_ = nullptr;
      throw;
    }
    c->writable_logs_ = nullptr;
  }
}
KERAS_FORWARD1(on_train_batch_begin)
KERAS_FORWARD1(on_train_batch_end)
KERAS_FORWARD0(on_test_begin)
KERAS_FORWARD0(on_test_end)
KERAS_FORWARD1(on_test_batch_begin)
KERAS_FORWARD1(on_test_batch_end)
KERAS_FORWARD0(on_predict_begin)
KERAS_FORWARD0(on_predict_end)
KERAS_FORWARD1(on_predict_batch_begin)
KERAS_FORWARD1(on_predict_batch_end)
#undef KERAS_FORWARD0
#undef KERAS_FORWARD1

}  // namespace keras::callbacks
