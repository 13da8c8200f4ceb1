// Fashion-MNIST with a Sequential MLP (784-256-256-10), Adam, five epochs:
// the Keras getting-started model, trained on Debian's dataset-fashion-mnist.
#include <iostream>
#include <keras/keras.hpp>

namespace ops = keras::ops;
namespace layers = keras::layers;

int main() try {
  keras::utils::set_random_seed(42);
  auto [train, test] = keras::datasets::fashion_mnist::load_data();
  auto prepare = [](const keras::Tensor& images) {
    return ops::reshape(ops::cast(images, keras::float32) / 255.0, {images.shape()[0], 784});
  };
  keras::Tensor x_train = prepare(train.x), x_test = prepare(test.x);
  keras::Tensor y_train = ops::cast(train.y, keras::int32), y_test = ops::cast(test.y, keras::int32);

  auto model = keras::Sequential({
      layers::Input({784}),
      layers::Dense(256, "relu"),
      layers::Dense(256, "relu"),
      layers::Dense(10),
  });
  model.summary();
  model.compile({
      .optimizer = keras::optimizers::Adam({.learning_rate = 1e-3}),
      .loss = keras::losses::SparseCategoricalCrossentropy({.from_logits = true}),
      .metrics = {"accuracy"},
  });
  model.fit(x_train, y_train, {.batch_size = 128, .epochs = 5});
  auto scores = model.evaluate(x_test, y_test, {.batch_size = 512, .verbose = 0});
  std::cout << "test loss: " << scores["loss"] << " - test accuracy: " << scores["accuracy"] << "\n";
  return scores["accuracy"] >= 0.87 ? 0 : 2;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
