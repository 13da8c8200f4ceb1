// W3 CNN, keras.cpp side (DESIGN.md "Performance"; examples/fashion_mnist_cnn is the same model):
// Fashion-MNIST 28x28x1 (pixels / 255, float32, channels_last), Conv2D(32, 3, relu) -
// MaxPooling2D(2) - Conv2D(64, 3, relu) - MaxPooling2D(2) - Flatten - Dense(128, relu) -
// Dense(10), Adam 1e-3, sparse categorical crossentropy from logits, batch 128, shuffled each
// epoch, model.fit (verbose 0). samples_per_s is the median over epochs of training samples /
// epoch wall time (evaluation not timed); test accuracy after the last epoch; peak RSS.
// Usage: w3_keras [--threads N] [--epochs E]   (default 2 epochs)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <keras/keras.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

int main(int argc, char** argv) try {
  namespace ops = keras::ops;
  namespace layers = keras::layers;
  int64_t epochs = 2;
  std::vector<char*> args(argv, argv + argc);
  if (auto it = std::find(args.begin() + 1, args.end(), std::string_view("--epochs")); it != args.end()) {
    if (it + 1 == args.end()) throw std::runtime_error("--epochs needs a value");
    epochs = std::stoll(*(it + 1));
    args.erase(it, it + 2);
  }
  const int threads = workloads::parse_threads(static_cast<int>(args.size()), args.data());
  keras::config::set_num_threads(threads);
  keras::utils::set_random_seed(42);
  auto [train, test] = keras::datasets::fashion_mnist::load_data();
  auto prepare = [](const keras::Tensor& images) {
    return ops::reshape(ops::cast(images, keras::float32) / 255.0, {images.shape()[0], 28, 28, 1});
  };
  keras::Tensor x = prepare(train.x), xt = prepare(test.x);
  keras::Tensor y = ops::cast(train.y, keras::int32), yt = ops::cast(test.y, keras::int32);
  auto model = keras::Sequential({
      layers::Input({28, 28, 1}),
      layers::Conv2D(32, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Conv2D(64, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Flatten(),
      layers::Dense(128, "relu"),
      layers::Dense(10),
  });
  model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  auto timer = std::make_shared<workloads::EpochTimer>();
  model.fit(x, y, {.batch_size = 128, .epochs = epochs, .verbose = 0, .callbacks = {timer}});
  const double acc = model.evaluate(xt, yt, {.batch_size = 512, .verbose = 0}).at("accuracy");
  const double n = static_cast<double>(x.shape()[0]);
  std::string list;
  for (double s : timer->seconds) list += (list.empty() ? "" : ", ") + std::to_string(s);
  std::printf(
      "{\"workload\": \"W3\", \"impl\": \"keras.cpp\", \"threads\": %d, \"samples_per_s\": %.0f, "
      "\"samples_per_s_def\": \"median epoch\", \"epoch_s\": [%s], \"test_accuracy\": %.4f, "
      "\"peak_rss_mb\": %.1f}\n",
      threads, n / workloads::median(timer->seconds), list.c_str(), acc, workloads::peak_rss_mb());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "w3_keras: %s\n", e.what());
  return 1;
}
