#pragma once
// What compile() sets up, shared by the model and the trainer loops.
#include <memory>
#include <optional>
#include <vector>

#include "keras/models/model.hpp"

namespace keras::detail {

struct CompiledState {
  bool compiled = false;
  CompileOptions options{};
  std::shared_ptr<optimizers::Optimizer> optimizer;
  std::shared_ptr<const losses::Loss> loss;
  std::optional<double> loss_weight;
  std::shared_ptr<metrics::Mean> loss_tracker;
  std::vector<metrics::MetricArg> metric_args;
  std::vector<metrics::MetricArg> weighted_metric_args;
  // Resolved on the first batch (names such as "accuracy" depend on the shapes).
  bool metrics_built = false;
  std::vector<std::shared_ptr<metrics::Metric>> compiled_metrics;
  std::vector<bool> metric_weighted;
  std::vector<std::shared_ptr<metrics::Metric>> own_metrics;
  bool warned_no_trainable = false;

  void build_metrics(const Tensor& y, const Tensor& y_pred);
};

// The loss tracker's weight for a batch: its number of samples.
Tensor batch_size_weight(const Tensor& x);

}  // namespace keras::detail
