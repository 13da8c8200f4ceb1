// W1 seed, libtorch C++ peer (benchmarks/peers/README.md).
//
// Dense(1) (Linear 10->1 with bias) on x = zeros(1000, 10), y = ones(1000, 1),
// batch 10 (100 steps/epoch), no shuffling, SGD lr 0.01, MSE with SUM
// reduction, and a MAPE metric updated every step as a streaming mean (running
// total and count, reset each epoch, read once at epoch end). One warm-up
// epoch, then 5 repetitions of 10 epochs; prints the median us per training
// step as one JSON line. Usage: w1_libtorch [--threads N] [--epochs N]
#include "common.h"

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) try {
  auto args = peers::parse_args(argc, argv);
  peers::set_threads(args.threads);
  torch::manual_seed(0);

  const int64_t n = 1000, batch = 10, steps_per_epoch = n / batch;
  const int reps = 5, epochs = args.epochs > 0 ? args.epochs : 10;
  auto x = torch::zeros({n, 10});
  auto y = torch::ones({n, 1});

  torch::nn::Linear model(10, 1);
  // Keras Dense defaults: glorot-uniform kernel, zero bias.
  torch::nn::init::xavier_uniform_(model->weight);
  torch::nn::init::zeros_(model->bias);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01));

  auto epoch = [&] {
    auto mape_total = torch::zeros({});
    int64_t mape_count = 0;
    for (int64_t i = 0; i < n; i += batch) {
      auto xb = x.slice(0, i, i + batch), yb = y.slice(0, i, i + batch);
      model->zero_grad(/*set_to_none=*/true);  // 1.13's Optimizer::zero_grad() has no set_to_none
      auto pred = model->forward(xb);
      auto loss = torch::mse_loss(pred, yb, torch::Reduction::Sum);
      loss.backward();
      opt.step();
      torch::NoGradGuard no_grad;  // the metric: streaming mean of MAPE
      auto ape = (yb - pred).abs_().div_(yb.abs().clamp_min_(1e-7));
      mape_total.add_(ape.mean(-1).sum(), 100.0);
      mape_count += yb.size(0);
    }
    return (mape_total / double(mape_count)).item<double>();
  };

  epoch();  // warm-up
  std::vector<double> per_step;
  double mape = 0;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int e = 0; e < epochs; ++e) mape = epoch();
    std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    per_step.push_back(dt.count() / double(epochs * steps_per_epoch) * 1e6);
  }

  std::string reps_json;
  for (double v : per_step) reps_json += (reps_json.empty() ? "" : ", ") + std::to_string(v);
  std::printf(
      "{\"workload\": \"W1\", \"impl\": \"libtorch\", \"threads\": %d, \"us_per_step\": %.2f, "
      "\"us_per_step_reps\": [%s], \"final_mape\": %.4f, \"torch\": \"%s\"}\n",
      args.threads, peers::median(per_step), reps_json.c_str(), mape, peers::torch_version().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "w1_libtorch: %s\n", e.what());
  return 1;
}
