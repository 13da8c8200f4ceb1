#pragma once
/// keras::GradientTape: records ops for automatic differentiation, with
/// TensorFlow's semantics.
///
/// Example (the body of a train_step):
///   keras::GradientTape tape;                 // records until it goes out of scope
///   keras::Tensor loss = ops::mean(ops::square(ops::matmul(x, w) - y));
///   auto grads = tape.gradient(loss, {w});    // trainable variables are watched
///
/// Tapes nest (an outer tape records the inner tape's gradient computation,
/// which gives higher-order gradients) and are thread-local.
#include <memory>
#include <vector>

#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras {

namespace detail {
class TapeImpl;
}

struct GradientTapeOptions {
  /// Allows several gradient() calls; a non-persistent tape allows one.
  bool persistent = false;
  /// Watch every trainable Variable read while recording.
  bool watch_accessed_variables = true;
};

/// What gradient() returns for a source the target does not depend on.
enum class UnconnectedGradients { none, zero };

class GradientTape {
 public:
  explicit GradientTape(GradientTapeOptions options = {});
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  /// Records operations on `t` (and on what is computed from it).
  void watch(const Tensor& t);
  void watch(const Variable& v);

  /// d(sum of target)/d(source) for each source. A source the target does not
  /// depend on gives an undefined Tensor (`defined() == false`), or zeros
  /// with UnconnectedGradients::zero.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::none);
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::none);
  // Braced lists: `tape.gradient(loss, {w, b})`.
  std::vector<Tensor> gradient(const Tensor& target, std::initializer_list<Tensor> sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::none) {
    return gradient(target, std::vector<Tensor>(sources), unconnected);
  }
  std::vector<Tensor> gradient(const Tensor& target, std::initializer_list<Variable> sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::none) {
    return gradient(target, std::vector<Variable>(sources), unconnected);
  }
  Tensor gradient(const Tensor& target, const Tensor& source,
                  UnconnectedGradients unconnected = UnconnectedGradients::none);
  Tensor gradient(const Tensor& target, const Variable& source,
                  UnconnectedGradients unconnected = UnconnectedGradients::none);

  /// Pauses recording on this tape while the returned guard lives.
  class StopRecording {
   public:
    explicit StopRecording(detail::TapeImpl* tape);
    ~StopRecording();
    StopRecording(const StopRecording&) = delete;
    StopRecording& operator=(const StopRecording&) = delete;

   private:
    detail::TapeImpl* tape_;
    bool was_recording_;
  };
  [[nodiscard]] StopRecording stop_recording();
  /// Forgets everything recorded so far.
  void reset();
  /// The variables this tape has watched, in first-watched order.
  std::vector<Variable> watched_variables() const;

 private:
  std::unique_ptr<detail::TapeImpl> impl_;
};

}  // namespace keras
