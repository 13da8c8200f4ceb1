// GradientTape semantics, against derivatives worked by hand.
#include <gtest/gtest.h>

#include <thread>

#include "keras/keras.hpp"

namespace keras {
namespace {

using ops::multiply;

TEST(GradientTape, WatchedTensorProductRule) {
  // f(x) = x * x * x, f'(x) = 3x^2 = 12 at x = 2.
  Tensor x = Tensor::scalar(2.0);
  GradientTape tape;
  tape.watch(x);
  Tensor y = multiply(multiply(x, x), x);
  EXPECT_DOUBLE_EQ(tape.gradient(y, x).item<double>(), 12.0);
}

TEST(GradientTape, UnwatchedTensorGivesNoneOrZeros) {
  Tensor x = Tensor::scalar(2.0);
  GradientTape tape({.persistent = true});
  Tensor y = multiply(x, x);
  EXPECT_FALSE(tape.gradient(y, x).defined());
  Tensor z = tape.gradient(y, x, UnconnectedGradients::zero);
  EXPECT_EQ(z.shape(), Shape{});
  EXPECT_EQ(z.item<double>(), 0.0);
}

TEST(GradientTape, TrainableVariablesAreWatchedAutomatically) {
  Variable w(Tensor({1.f, 2.f, 3.f}), {.name = "w"});
  Variable frozen(Tensor({1.f, 1.f, 1.f}), {.trainable = false, .name = "frozen"});
  GradientTape tape;
  // loss = sum(w * w * frozen) -> d/dw = 2 w.
  Tensor loss = ops::sum(multiply(multiply(w, w), frozen));
  auto g = tape.gradient(loss, std::vector<Variable>{w, frozen});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{2, 4, 6}));
  EXPECT_FALSE(g[1].defined());  // not trainable: not watched
  auto watched = tape.watched_variables();
  ASSERT_EQ(watched.size(), 1u);
  EXPECT_EQ(watched[0].name(), "w");
}

TEST(GradientTape, WatchAccessedVariablesOff) {
  Variable w(Tensor({1.f, 2.f}));
  GradientTape tape({.watch_accessed_variables = false});
  Tensor loss = ops::sum(multiply(w, w));
  EXPECT_FALSE(tape.gradient(loss, w).defined());
}

TEST(GradientTape, NonScalarTargetIsSummed) {
  // y = [x0^2, 3 x1]; d(sum y)/dx = [2 x0, 3].
  Tensor x({1.5f, -2.f});
  GradientTape tape;
  tape.watch(x);
  Tensor y = multiply(x, Tensor({1.5f, 3.f}));
  Tensor y2 = multiply(x, x);
  Tensor target = ops::add(multiply(y2, Tensor({1.f, 0.f})), multiply(y, Tensor({0.f, 1.f})));
  EXPECT_EQ(tape.gradient(target, x).to_vector<float>(), (std::vector<float>{3.f, 3.f}));
}

TEST(GradientTape, NonPersistentTapeAllowsOneCall) {
  Tensor x = Tensor::scalar(3.0);
  GradientTape tape;
  tape.watch(x);
  Tensor y = multiply(x, x);
  EXPECT_EQ(tape.gradient(y, x).item<double>(), 6.0);
  try {
    tape.gradient(y, x);
    FAIL();
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("A non-persistent GradientTape can only be used to compute one set"),
              std::string::npos);
  }
}

TEST(GradientTape, PersistentTapeAllowsSeveralCalls) {
  Tensor x = Tensor::scalar(3.0);
  GradientTape tape({.persistent = true});
  tape.watch(x);
  Tensor y = multiply(x, x);
  Tensor z = multiply(y, y);                             // x^4
  EXPECT_EQ(tape.gradient(y, x).item<double>(), 6.0);    // 2x
  EXPECT_EQ(tape.gradient(z, x).item<double>(), 108.0);  // 4x^3
  EXPECT_EQ(tape.gradient(z, y).item<double>(), 18.0);   // 2y, y = 9
}

TEST(GradientTape, NestedTapesGiveSecondOrder) {
  // f = x^3: f' = 3x^2 = 27, f'' = 6x = 18 at x = 3.
  Tensor x = Tensor::scalar(3.0);
  GradientTape outer;
  outer.watch(x);
  Tensor dy;
  {
    GradientTape inner;
    inner.watch(x);
    Tensor y = multiply(multiply(x, x), x);
    dy = inner.gradient(y, x);
  }
  EXPECT_EQ(dy.item<double>(), 27.0);
  EXPECT_EQ(outer.gradient(dy, x).item<double>(), 18.0);
}

TEST(GradientTape, StopRecordingAndStopGradient) {
  Tensor x = Tensor::scalar(2.0);
  GradientTape tape({.persistent = true});
  tape.watch(x);
  Tensor a = multiply(x, x);
  Tensor b;
  {
    auto pause = tape.stop_recording();
    b = multiply(a, x);  // not recorded
  }
  EXPECT_FALSE(tape.gradient(b, x).defined());
  Tensor c = multiply(ops::stop_gradient(a), x);  // d/dx = a = 4 (a held constant)
  EXPECT_EQ(tape.gradient(c, x).item<double>(), 4.0);
}

TEST(GradientTape, VariableReadsAccumulateIntoOneGradient) {
  // loss = w * 3 + w * w, at w = 2: 3 + 2w = 7.
  Variable w(Tensor::scalar(2.0));
  GradientTape tape;
  Tensor loss = ops::add(multiply(w.value(), Tensor::scalar(3.0)), multiply(w.value(), w.value()));
  EXPECT_EQ(tape.gradient(loss, w).item<double>(), 7.0);
}

TEST(GradientTape, AssignAfterForwardDoesNotChangeSavedValues) {
  // loss = w * w with w = 3 recorded; assigning w = 100 before gradient()
  // must not change the result (2 * 3), since the tape holds the read.
  Variable w(Tensor::scalar(3.0));
  GradientTape tape;
  Tensor loss = multiply(w, w);
  w.assign(Tensor::scalar(100.0));
  EXPECT_EQ(tape.gradient(loss, w).item<double>(), 6.0);
  EXPECT_EQ(w.value().item<double>(), 100.0);
}

TEST(GradientTape, TapesAreThreadLocal) {
  Tensor x = Tensor::scalar(2.0);
  GradientTape tape;
  tape.watch(x);
  Tensor from_thread;
  std::thread t([&] { from_thread = multiply(x, x); });  // another thread: not recorded here
  t.join();
  EXPECT_FALSE(tape.gradient(from_thread, x).defined());
}

}  // namespace
}  // namespace keras
