#pragma once
// What compile() sets up, shared by the model and the trainer loops.
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "keras/models/model.hpp"
#include "trainers/fit_state.hpp"

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

  // A model of several outputs: per output, its loss (null: none), weight, "<output>_loss" tracker
  // (null when no loss) and metric arguments; compiled metrics remember their output.
  bool multi_output = false;
  std::vector<std::string> output_names;
  std::vector<std::shared_ptr<const losses::Loss>> output_losses;
  std::vector<double> output_loss_weights;
  std::vector<std::shared_ptr<metrics::Mean>> output_loss_trackers;
  std::vector<std::vector<metrics::MetricArg>> output_metric_args;
  std::vector<size_t> metric_output;
  void build_output_metrics(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred);
  bool warned_no_trainable = false;

  // Resuming (BackupAndRestore): while fit() runs, where it is; the position the next fit() starts
  // at; metric state to put back once the metrics exist (they are built on the first batch).
  std::function<FitPosition()> live_position;
  std::optional<FitPosition> resume;
  std::optional<std::vector<std::vector<double>>> pending_metrics;

  void build_metrics(const Tensor& y, const Tensor& y_pred);
};

// The loss tracker's weight for a batch: its number of samples.
Tensor batch_size_weight(const Tensor& x);

}  // namespace keras::detail
