// W2 MLP, libtorch C++ peer (benchmarks/peers/README.md).
//
// Fashion-MNIST (Debian's dataset-fashion-mnist, IDX gz files), pixels / 255
// as float32 flattened to 784, model 784-256(relu)-256(relu)-10 (Keras-style
// init: glorot-uniform weights, zero biases), Adam lr 1e-3 eps 1e-7 (defaults
// otherwise), sparse categorical crossentropy from logits (mean over the
// batch), batch 128 (the last, partial batch kept), a fresh permutation each
// epoch from a generator seeded once, 5 epochs. Prints one JSON line:
// samples_per_s is the median over the epochs of (training samples / epoch
// wall time; evaluation not timed), test_accuracy after the last epoch,
// peak_rss_mb = ru_maxrss / 1024.
// Usage: w2_libtorch [--threads N] [--epochs N] [--data DIR]
#include "common.h"

#include <chrono>
#include <cstdio>

namespace {

struct MlpImpl : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  MlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(784, 256));
    fc2 = register_module("fc2", torch::nn::Linear(256, 256));
    fc3 = register_module("fc3", torch::nn::Linear(256, 10));
    for (auto* l : {&fc1, &fc2, &fc3}) {
      torch::nn::init::xavier_uniform_((*l)->weight);
      torch::nn::init::zeros_((*l)->bias);
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(fc1->forward(x));
    x = torch::relu(fc2->forward(x));
    return fc3->forward(x);
  }
};
TORCH_MODULE(Mlp);

}  // namespace

int main(int argc, char** argv) try {
  auto args = peers::parse_args(argc, argv);
  peers::set_threads(args.threads);
  const int64_t seed = 1337, batch = 128;
  const int epochs = args.epochs > 0 ? args.epochs : 5;
  torch::manual_seed(seed);

  auto x_train = peers::load_images(args.data + "/train-images-idx3-ubyte.gz");
  auto y_train = peers::load_labels(args.data + "/train-labels-idx1-ubyte.gz");
  auto x_test = peers::load_images(args.data + "/t10k-images-idx3-ubyte.gz");
  auto y_test = peers::load_labels(args.data + "/t10k-labels-idx1-ubyte.gz");
  const int64_t n = x_train.size(0);

  Mlp model;
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);

  std::vector<double> epoch_s;
  double last_loss = 0;
  torch::Tensor loss;
  model->train();
  for (int e = 0; e < epochs; ++e) {
    auto t0 = std::chrono::steady_clock::now();
    auto perm = torch::randperm(n, gen, torch::kLong);
    for (int64_t i = 0; i < n; i += batch) {
      auto idx = perm.slice(0, i, std::min(i + batch, n));
      auto xb = x_train.index_select(0, idx), yb = y_train.index_select(0, idx);
      model->zero_grad(/*set_to_none=*/true);
      loss = torch::nn::functional::cross_entropy(model->forward(xb), yb);
      loss.backward();
      opt.step();
    }
    std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    epoch_s.push_back(dt.count());
  }
  last_loss = loss.item<double>();

  model->eval();
  int64_t correct = 0;
  {
    torch::NoGradGuard no_grad;
    const int64_t m = x_test.size(0);
    for (int64_t i = 0; i < m; i += 1000) {
      auto pred = model->forward(x_test.slice(0, i, std::min(i + 1000, m))).argmax(1);
      correct += pred.eq(y_test.slice(0, i, std::min(i + 1000, m))).sum().item<int64_t>();
    }
  }
  double acc = double(correct) / double(x_test.size(0));

  double total_after_first = 0;
  for (size_t i = 1; i < epoch_s.size(); ++i) total_after_first += epoch_s[i];
  char after_first[32] = "null";
  if (epoch_s.size() > 1)
    std::snprintf(after_first, sizeof after_first, "%.0f",
                  double(n) * double(epoch_s.size() - 1) / total_after_first);
  std::string epochs_json;
  for (double v : epoch_s) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    epochs_json += (epochs_json.empty() ? "" : ", ") + std::string(b);
  }
  std::printf(
      "{\"workload\": \"W2\", \"impl\": \"libtorch\", \"threads\": %d, \"samples_per_s\": %.0f, "
      "\"samples_per_s_def\": \"median epoch\", \"samples_per_s_after_first\": %s, "
      "\"epoch_s\": [%s], \"test_accuracy\": %.4f, \"last_batch_loss\": %.4f, "
      "\"peak_rss_mb\": %.1f, \"torch\": \"%s\"}\n",
      args.threads, double(n) / peers::median(epoch_s),
      after_first, epochs_json.c_str(), acc,
      last_loss, peers::peak_rss_mb(), peers::torch_version().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "w2_libtorch: %s\n", e.what());
  return 1;
}
