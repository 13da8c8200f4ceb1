// A Functional model with two inputs and two outputs (issue: layers and the Functional API):
// "features" (16 values) and "meta" (4 values) in; "price" (regression, mean squared error) and
// "category" (3 classes, sparse categorical cross-entropy on logits) out, the classification loss
// weighted 0.5. Synthetic data with a known rule: price = features . w + 0.5 meta[0]; category =
// argmax(meta[1:4] + 0.3 features[0:3]). Exits 2 unless the held-out price error (MSE) is under
// 0.05 and the category accuracy at least 90%.
// Usage: functional_multi_io [epochs]
#include <cstdlib>
#include <iostream>
#include <keras/keras.hpp>

namespace ops = keras::ops;
namespace layers = keras::layers;
using keras::Tensor;

namespace {
struct Data {
  Tensor features, meta, price, category;
};

Data make_data(int64_t n, uint64_t seed) {
  Data d;
  d.features = keras::random::uniform({n, 16}, {.minval = -1.0, .maxval = 1.0, .seed = keras::random::Seed(seed)});
  d.meta = keras::random::uniform({n, 4}, {.minval = -1.0, .maxval = 1.0, .seed = keras::random::Seed(seed + 1)});
  Tensor w = ops::reshape(ops::linspace(-1.0, 1.0, 16), {16, 1});
  d.price = ops::matmul(d.features, ops::cast(w, keras::float32)) / 4.0 + 0.5 * ops::slice(d.meta, {0, 0}, {n, 1});
  Tensor scores = ops::slice(d.meta, {0, 1}, {n, 3}) + 0.3 * ops::slice(d.features, {0, 0}, {n, 3});
  d.category = ops::cast(ops::argmax(scores, 1), keras::int32);
  return d;
}
}  // namespace

int main(int argc, char** argv) try {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 20;
  keras::utils::set_random_seed(1);
  Data train = make_data(4000, 10), test = make_data(1000, 20);

  Tensor features = keras::Input({16}, {.name = "features"});
  Tensor meta = keras::Input({4}, {.name = "meta"});
  Tensor f = layers::Dense(32, "relu")(features);
  Tensor m = layers::Dense(16, "relu")(meta);
  Tensor h = layers::Dense(64, "relu")(layers::Concatenate()({f, m, features, meta}));
  Tensor price = layers::Dense({.units = 1, .name = "price"})(h);
  Tensor category = layers::Dense({.units = 3, .name = "category"})(h);
  keras::Model model({features, meta}, {price, category}, {.name = "pricing"});
  model.summary();

  model.compile({
      .optimizer = keras::optimizers::Adam({.learning_rate = 3e-3}),
      .loss = {{"price", "mse"}, {"category", keras::losses::SparseCategoricalCrossentropy({.from_logits = true})}},
      .loss_weights = {{"price", 1.0}, {"category", 0.5}},
      .output_metrics = {{"category", {"accuracy"}}},
  });
  model.fit({train.features, train.meta}, {train.price, train.category},
            {.batch_size = 64, .epochs = epochs, .verbose = 2, .validation_split = 0.1});
  auto scores = model.evaluate({test.features, test.meta}, {test.price, test.category}, {.verbose = 0});
  std::cout << "test loss: " << scores["loss"] << " - price mse: " << scores["price_loss"]
            << " - category accuracy: " << scores["category_accuracy"] << "\n";
  return scores["price_loss"] < 0.05 && scores["category_accuracy"] >= 0.9 ? 0 : 2;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
