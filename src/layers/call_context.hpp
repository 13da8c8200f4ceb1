#pragma once
// The state of the current (outermost) layer call, per thread: the
// `training` value sublayers inherit (Keras' CallContext).
#include <optional>

namespace keras::detail {

struct CallContext {
  std::optional<bool> training;
  int depth = 0;
};

CallContext& call_context();

class CallScope {
 public:
  CallScope(CallContext& ctx, bool training) : ctx_(ctx), saved_(ctx.training) {
    ctx_.training = training;
    ++ctx_.depth;
  }
  ~CallScope() {
    --ctx_.depth;
    ctx_.training = saved_;
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  CallContext& ctx_;
  std::optional<bool> saved_;
};

}  // namespace keras::detail
