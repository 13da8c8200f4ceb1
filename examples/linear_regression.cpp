// The README's example: fit y = x·[2, -1, 0.5] + 3 with GradientTape.
#include <iostream>
#include <keras/keras.hpp>
namespace ops = keras::ops;

int main() {
  keras::utils::set_random_seed(42);
  keras::Tensor x = keras::random::normal({256, 3});
  keras::Tensor y = ops::matmul(x, keras::Tensor(std::vector<float>{2, -1, 0.5}, {3, 1})) + 3.0;

  keras::Variable w(ops::zeros({3, 1}), {.name = "w"});
  keras::Variable b(ops::zeros({1}), {.name = "b"});
  for (int step = 0; step < 200; ++step) {
    keras::GradientTape tape;  // watches trainable variables
    keras::Tensor loss = ops::mean(ops::square(ops::matmul(x, w) + b - y));
    auto grads = tape.gradient(loss, {w, b});
    w.assign_sub(grads[0] * 0.1);
    b.assign_sub(grads[1] * 0.1);
  }
  std::cout << w.value() << "\n" << b.value() << "\n";  // ~[[2.] [-1.] [0.5]] and ~[3.]
}
