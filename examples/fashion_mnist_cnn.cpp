// Fashion-MNIST with a small CNN (DESIGN.md workload W3): Conv(32, 3) - MaxPool - Conv(64, 3) -
// MaxPool - Dense(128) - Dense(10), Adam, batch 128, five epochs. Exits 2 below 89% test accuracy.
// Usage: fashion_mnist_cnn [epochs]
#include <cstdlib>
#include <iostream>
#include <keras/keras.hpp>

namespace ops = keras::ops;
namespace layers = keras::layers;

int main(int argc, char** argv) try {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 5;
  keras::utils::set_random_seed(42);
  auto [train, test] = keras::datasets::fashion_mnist::load_data();
  auto prepare = [](const keras::Tensor& images) {
    return ops::reshape(ops::cast(images, keras::float32) / 255.0, {images.shape()[0], 28, 28, 1});
  };
  keras::Tensor x_train = prepare(train.x), x_test = prepare(test.x);
  keras::Tensor y_train = ops::cast(train.y, keras::int32), y_test = ops::cast(test.y, keras::int32);

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
  model.summary();
  model.compile({
      .optimizer = keras::optimizers::Adam({.learning_rate = 1e-3}),
      .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true}),
      .metrics = {"accuracy"},
  });
  model.fit(x_train, y_train, {.batch_size = 128, .epochs = epochs});
  auto scores = model.evaluate(x_test, y_test, {.batch_size = 512, .verbose = 0});
  std::cout << "test loss: " << scores["loss"] << " - test accuracy: " << scores["accuracy"] << "\n";
  return scores["accuracy"] >= 0.89 ? 0 : 2;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
