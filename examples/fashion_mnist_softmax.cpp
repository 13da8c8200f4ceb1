// The demo: a 784-128-10 network trained on Fashion-MNIST with nothing but
// keras::ops, keras::Variable and keras::GradientTape (the foundation the
// Keras Model is built on). Reads the IDX files of Debian's
// dataset-fashion-mnist package.
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <keras/keras.hpp>
#include <string>
#include <vector>

namespace ops = keras::ops;
using keras::Tensor;

namespace {

const char* kDir = "/usr/share/datasets/fashion-mnist";

// Reads a gzip-compressed IDX file (big-endian header, uint8 data).
std::vector<uint8_t> read_idx(const std::string& name, std::vector<int64_t>& dims) {
  std::string path = std::string(kDir) + "/" + name;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw keras::NotFoundError(path + " not found: install Debian's dataset-fashion-mnist package (make demo does)");
  unsigned char head[4];
  if (gzread(f, head, 4) != 4 || head[0] != 0 || head[1] != 0 || head[2] != 0x08)
    throw keras::ValueError(path + ": not a uint8 IDX file");
  dims.assign(head[3], 0);
  int64_t n = 1;
  for (auto& d : dims) {
    unsigned char b[4];
    if (gzread(f, b, 4) != 4) throw keras::ValueError(path + ": truncated header");
    d = (int64_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    n *= d;
  }
  std::vector<uint8_t> data(static_cast<size_t>(n));
  if (gzread(f, data.data(), static_cast<unsigned>(n)) != n) throw keras::ValueError(path + ": truncated data");
  gzclose(f);
  return data;
}

struct Split {
  Tensor x;  // (n, 784) float32 in [0, 1]
  Tensor y;  // (n,) int32
};

Split load(const std::string& prefix) {
  std::vector<int64_t> xd, yd;
  auto xs = read_idx(prefix + "-images-idx3-ubyte.gz", xd);
  auto ys = read_idx(prefix + "-labels-idx1-ubyte.gz", yd);
  Tensor x = ops::cast(Tensor(xs, keras::Shape{xd[0], xd[1] * xd[2]}), keras::float32) / 255.0;
  return {x, ops::cast(Tensor(ys), keras::int32)};
}

}  // namespace

int main() try {
  keras::utils::set_random_seed(42);
  Split train = load("train"), test = load("t10k");
  std::cout << "Fashion-MNIST: train " << train.x.shape() << ", test " << test.x.shape() << "\n";

  // He-style initial weights, zero biases.
  keras::Variable w1(keras::random::normal({784, 128}, {.stddev = std::sqrt(2.0 / 784)}), {.name = "w1"});
  keras::Variable b1(ops::zeros({128}), {.name = "b1"});
  keras::Variable w2(keras::random::normal({128, 10}, {.stddev = std::sqrt(2.0 / 128)}), {.name = "w2"});
  keras::Variable b2(ops::zeros({10}), {.name = "b2"});
  std::vector<keras::Variable> params{w1, b1, w2, b2};
  std::vector<keras::Variable> velocity;
  for (auto& p : params) velocity.emplace_back(ops::zeros(p.shape()), keras::VariableOptions{.trainable = false});

  auto logits_of = [&](const Tensor& x) { return ops::matmul(ops::relu(ops::matmul(x, w1) + b1), w2) + b2; };
  const int64_t n = train.x.shape()[0], batch = 128;
  const double lr = 0.05, momentum = 0.9;
  for (int epoch = 1; epoch <= 3; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    Tensor order = keras::random::permutation(n, epoch);
    double loss_sum = 0;
    int steps = 0;
    for (int64_t i = 0; i + batch <= n; i += batch, ++steps) {
      Tensor idx = ops::slice(order, {i}, {batch});
      Tensor xb = ops::take(train.x, idx, 0), yb = ops::take(train.y, idx, 0);
      keras::GradientTape tape;
      Tensor logp = ops::log_softmax(logits_of(xb));
      Tensor loss = -ops::mean(ops::take_along_axis(logp, ops::expand_dims(yb, 1), 1));
      auto grads = tape.gradient(loss, params);
      for (size_t k = 0; k < params.size(); ++k) {  // SGD with momentum
        velocity[k].assign(velocity[k].value() * momentum - grads[k] * lr);
        params[k].assign_add(velocity[k]);
      }
      loss_sum += loss.item<double>();
    }
    Tensor pred = ops::argmax(logits_of(test.x), 1);
    double acc = ops::mean(ops::cast(ops::equal(pred, test.y), keras::float32)).item<double>();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %d: loss %.4f - test accuracy %.4f - %.1fs (%.0f samples/s)\n", epoch, loss_sum / steps, acc,
                secs, steps * batch / secs);
  }
  return 0;
} catch (const keras::Error& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
