// W1 seed, keras.cpp side (DESIGN.md "Performance"): the seed's Dense(1) model
// on x = zeros(1000, 10), y = ones(1000, 1), batch 10, SGD, MSE with sum
// reduction, a MAPE metric, trained with model.fit (default train_step,
// verbose 0, no shuffling). One warm-up epoch, then 5 repetitions of 10
// epochs; prints the median µs per training step as one JSON line.
// Usage: w1_keras [--threads N] (steps_per_execution from $SPE, default 1)
#include <chrono>
#include <cstdio>
#include <keras/keras.hpp>

#include "common.hpp"

int main(int argc, char** argv) try {
  const int threads = workloads::parse_threads(argc, argv);
  keras::config::set_num_threads(threads);
  const int64_t spe = std::getenv("SPE") ? std::atoll(std::getenv("SPE")) : 1;
  keras::utils::set_random_seed(0);
  auto model = keras::Sequential({keras::layers::Input({10}), keras::layers::Dense(1)});
  model.compile({.optimizer = keras::optimizers::SGD({.learning_rate = 0.01}),
                 .loss = keras::losses::MeanSquaredError({.reduction = "sum"}),
                 .metrics = {keras::metrics::MeanAbsolutePercentageError()},
                 .steps_per_execution = spe});
  keras::Tensor x = keras::ops::zeros({1000, 10}), y = keras::ops::ones({1000, 1});
  const keras::FitOptions fit{.batch_size = 10, .epochs = 1, .verbose = 0, .shuffle = false};
  model.fit(x, y, fit);  // warm-up
  std::vector<double> per_step;
  double mape = 0;
  for (int r = 0; r < 5; ++r) {
    auto opts = fit;
    opts.epochs = 10;
    auto t0 = std::chrono::steady_clock::now();
    auto h = model.fit(x, y, opts);
    std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    per_step.push_back(dt.count() / 1000.0 * 1e6);
    mape = h.history.at("mean_absolute_percentage_error").back();
  }
  std::string reps;
  for (double v : per_step) reps += (reps.empty() ? "" : ", ") + std::to_string(v);
  std::printf(
      "{\"workload\": \"W1\", \"impl\": \"keras.cpp\", \"threads\": %d, \"steps_per_execution\": %lld, "
      "\"us_per_step\": %.2f, \"us_per_step_reps\": [%s], \"final_mape\": %.4f}\n",
      threads, static_cast<long long>(spe), workloads::median(per_step), reps.c_str(), mape);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "w1_keras: %s\n", e.what());
  return 1;
}
