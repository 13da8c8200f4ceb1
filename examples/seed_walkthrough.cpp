// The seed walkthrough's final example in C++: a subclassed model with one
// Dense(1) whose train_step is overridden (the walkthrough's central point),
// compiled with SGD, a summed MSE and a MAPE metric, five steps per
// execution; evaluate, fit for 10 epochs, predict, evaluate again.
#include <iostream>
#include <keras/keras.hpp>

namespace ops = keras::ops;

class SimplifiedModel : public keras::Model {
 public:
  keras::layers::Dense dense = track("dense", keras::layers::Dense(1));

  keras::Tensor call(const keras::Tensor& x, bool) override { return dense(x); }

  // What fit runs for every batch: forward pass under a tape, the loss (the
  // compiled loss plus any layer losses), gradients, the optimizer update,
  // then the streaming metrics.
  keras::Logs train_step(const keras::Batch& batch) override {
    const auto& [x, y, sample_weight] = batch;
    const auto vars = trainable_variables();
    keras::Tensor y_pred, loss;
    std::vector<keras::Tensor> grads;
    {
      keras::GradientTape tape;
      y_pred = (*this)(x, /*training=*/true);
      loss = compute_loss(x, y, y_pred, sample_weight);
      grads = tape.gradient(loss, vars);
    }
    optimizer().apply(grads, vars);
    loss_tracker().update_state(loss);  // the "loss" entry of the logs
    return compute_metrics(x, y, y_pred, sample_weight);
  }
};

namespace {
void print_metrics(const char* title, const std::map<std::string, double>& m) {
  std::cout << title << " {";
  const char* sep = "";
  for (const auto& [k, v] : m) {
    std::cout << sep << "'" << k << "': " << v;
    sep = ", ";
  }
  std::cout << "}\n";
}
}  // namespace

int main() try {
  keras::utils::set_random_seed(0);
  SimplifiedModel model;
  keras::Tensor x = ops::zeros({1000, 10});
  keras::Tensor y = ops::ones({1000, 1});
  auto ds = keras::data::Dataset::from_tensor_slices({x, y}).batch(10);  // the model expects batches
  auto ds_test = keras::data::Dataset::from_tensor_slices({x}).batch(10);

  model.compile({
      .optimizer = "sgd",
      .loss = keras::losses::MeanSquaredError({.reduction = "sum"}),
      .metrics = {keras::metrics::MeanAbsolutePercentageError()},
      .steps_per_execution = 5,
  });
  print_metrics("Metrics Before Fit:", model.evaluate(ds, {.verbose = 0}));

  model.fit(ds, {.epochs = 10, .verbose = 2});

  keras::Tensor y_pred = model.predict(ds_test, {.verbose = 0});
  std::cout << "Predictions Shape: " << y_pred.shape() << "\n";

  print_metrics("Metrics After:", model.evaluate(ds, {.verbose = 0}));
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
