#pragma once
/// keras::callbacks::LambdaCallback: a callback made of functions, one per hook.
///
/// Example:
///   keras::callbacks::LambdaCallback log({.on_epoch_end = [](int64_t epoch, const keras::callbacks::Logs& logs) {
///     std::printf("epoch %lld: loss %g\n", static_cast<long long>(epoch), logs.at("loss"));
///   }});
#include <functional>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

struct LambdaCallbackOptions {
  using Hook0 = std::function<void(const Logs&)>;
  using Hook1 = std::function<void(int64_t, const Logs&)>;
  Hook1 on_epoch_begin{};
  Hook1 on_epoch_end{};
  Hook0 on_train_begin{};
  Hook0 on_train_end{};
  Hook1 on_train_batch_begin{};
  Hook1 on_train_batch_end{};
  Hook0 on_test_begin{};
  Hook0 on_test_end{};
  Hook1 on_test_batch_begin{};
  Hook1 on_test_batch_end{};
  Hook0 on_predict_begin{};
  Hook0 on_predict_end{};
  Hook1 on_predict_batch_begin{};
  Hook1 on_predict_batch_end{};
};

class LambdaCallback : public Callback {
 public:
  using Options = LambdaCallbackOptions;
  explicit LambdaCallback(Options options) : f_(std::move(options)) {}

  void on_epoch_begin(int64_t e, const Logs& l) override { call(f_.on_epoch_begin, e, l); }
  void on_epoch_end(int64_t e, const Logs& l) override { call(f_.on_epoch_end, e, l); }
  void on_train_begin(const Logs& l) override { call(f_.on_train_begin, l); }
  void on_train_end(const Logs& l) override { call(f_.on_train_end, l); }
  void on_train_batch_begin(int64_t b, const Logs& l) override { call(f_.on_train_batch_begin, b, l); }
  void on_train_batch_end(int64_t b, const Logs& l) override { call(f_.on_train_batch_end, b, l); }
  void on_test_begin(const Logs& l) override { call(f_.on_test_begin, l); }
  void on_test_end(const Logs& l) override { call(f_.on_test_end, l); }
  void on_test_batch_begin(int64_t b, const Logs& l) override { call(f_.on_test_batch_begin, b, l); }
  void on_test_batch_end(int64_t b, const Logs& l) override { call(f_.on_test_batch_end, b, l); }
  void on_predict_begin(const Logs& l) override { call(f_.on_predict_begin, l); }
  void on_predict_end(const Logs& l) override { call(f_.on_predict_end, l); }
  void on_predict_batch_begin(int64_t b, const Logs& l) override { call(f_.on_predict_batch_begin, b, l); }
  void on_predict_batch_end(int64_t b, const Logs& l) override { call(f_.on_predict_batch_end, b, l); }

 private:
  template <class F, class... A>
  static void call(const F& f, A&&... a) {
    if (f) f(std::forward<A>(a)...);
  }
  Options f_;
};

}  // namespace keras::callbacks
