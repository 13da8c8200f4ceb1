// W2 MLP, keras.cpp side (DESIGN.md "Performance"): Fashion-MNIST,
// 784-256-256-10, Adam 1e-3, sparse categorical crossentropy from logits,
// batch 128, shuffled each epoch, 5 epochs with model.fit (verbose 0).
// The pixels stay uint8 (47 MB instead of 188 MB of float32) and the model's
// first layer rescales each batch by 1/255, as Keras' Rescaling layer does.
// samples_per_s is the median over epochs of training samples / epoch wall
// time (evaluation not timed); test accuracy after the last epoch; peak RSS.
// With --dataset the training data comes through a keras::data::Dataset
// pipeline (from_tensor_slices -> shuffle -> batch(128) -> prefetch) instead of
// fit(x, y): the two rates show whether the pipeline holds the step back.
// Usage: w2_keras [--threads N] [--dataset]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <keras/keras.hpp>
#include <string_view>
#include <vector>

#include "common.hpp"

int main(int argc, char** argv) try {
  namespace ops = keras::ops;
  bool use_dataset = false;
  std::vector<char*> args(argv, argv + argc);
  if (auto it = std::find(args.begin() + 1, args.end(), std::string_view("--dataset")); it != args.end()) {
    use_dataset = true;
    args.erase(it);
  }
  const int threads = workloads::parse_threads(static_cast<int>(args.size()), args.data());
  keras::config::set_num_threads(threads);
  keras::utils::set_random_seed(42);
  auto [train, test] = keras::datasets::fashion_mnist::load_data();
  keras::Tensor x = ops::reshape(train.x, {train.x.shape()[0], 784});
  keras::Tensor xt = ops::reshape(test.x, {test.x.shape()[0], 784});
  keras::Tensor y = ops::cast(train.y, keras::int32), yt = ops::cast(test.y, keras::int32);
  auto rescale = keras::layers::Lambda([](const keras::Tensor& t) { return ops::cast(t, keras::float32) / 255.0; });
  auto model = keras::Sequential({keras::layers::Input({784}, {.dtype = keras::uint8}), rescale,
                                  keras::layers::Dense(256, "relu"), keras::layers::Dense(256, "relu"),
                                  keras::layers::Dense(10)});
  model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  auto timer = std::make_shared<workloads::EpochTimer>();
  if (use_dataset) {
    auto ds = keras::data::Dataset::from_tensor_slices({x, y})
                  .shuffle(x.shape()[0], uint64_t{42})
                  .batch(128)
                  .prefetch(keras::data::AUTOTUNE);
    model.fit(ds, {.epochs = 5, .verbose = 0, .callbacks = {timer}});
  } else {
    model.fit(x, y, {.batch_size = 128, .epochs = 5, .verbose = 0, .callbacks = {timer}});
  }
  const double acc = model.evaluate(xt, yt, {.batch_size = 512, .verbose = 0}).at("accuracy");
  const double n = static_cast<double>(x.shape()[0]);
  std::string epochs;
  for (double s : timer->seconds) epochs += (epochs.empty() ? "" : ", ") + std::to_string(s);
  std::printf(
      "{\"workload\": \"W2\", \"impl\": \"keras.cpp%s\", \"threads\": %d, \"samples_per_s\": %.0f, "
      "\"samples_per_s_def\": \"median epoch\", \"epoch_s\": [%s], \"test_accuracy\": %.4f, "
      "\"peak_rss_mb\": %.1f}\n",
      use_dataset ? " (Dataset)" : "", threads, n / workloads::median(timer->seconds), epochs.c_str(), acc,
      workloads::peak_rss_mb());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "w2_keras: %s\n", e.what());
  return 1;
}
