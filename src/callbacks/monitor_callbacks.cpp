// MonitorCallback and the callbacks built on it: EarlyStopping, ReduceLROnPlateau, ModelCheckpoint
// (keras/src/callbacks/{monitor_callback,early_stopping,reduce_lr_on_plateau,model_checkpoint}.py).
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "core/warnings.hpp"
#include "keras/callbacks/early_stopping.hpp"
#include "keras/callbacks/model_checkpoint.hpp"
#include "keras/callbacks/reduce_lr_on_plateau.hpp"
#include "keras/error.hpp"
#include "keras/metrics.hpp"
#include "keras/models/model.hpp"
#include "keras/optimizers.hpp"
#include "utils/python_format.hpp"

namespace keras::callbacks {
namespace {

using utils::detail::python_float_repr;

std::string keys_of(const Logs& logs) {
  std::string out;
  for (const auto& [k, v] : logs) out += (out.empty() ? "" : ",") + k;
  return out;
}

std::string fixed5(double v) { return utils::detail::python_format("{v:.5f}", {{"v", v}}); }

}  // namespace

// ---- MonitorCallback -------------------------------------------------------------------------------

MonitorCallback::MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline,
                                 double min_delta, const std::string& class_name)
    : monitor_(std::move(monitor)),
      mode_(std::move(mode)),
      best_(baseline),
      min_delta_(std::abs(min_delta)),
      class_name_(class_name) {
  if (mode_ != "auto" && mode_ != "min" && mode_ != "max") {
    keras::detail::user_warning(class_name_ + " mode '" + mode_ + "' is unknown, fallback to auto mode.");
    mode_ = "auto";
  }
}

void MonitorCallback::set_monitor_op() {
  if (mode_ == "min") {
    op_ = -1;
  } else if (mode_ == "max") {
    op_ = 1;
  } else {
    std::string metric = monitor_;
    if (metric.rfind("val_", 0) == 0) metric = metric.substr(4);
    if (metric == "loss") op_ = -1;
    if (model() && model()->compiled()) {
      for (const auto& m : model()->metrics()) {
        if (m->name() != metric) continue;
        if (m->direction() == "up") op_ = 1;
        if (m->direction() == "down") op_ = -1;
      }
    }
    if (op_ == 0)
      throw ValueError(class_name_ + " callback received monitor=" + monitor_ +
                       ", but Keras isn't able to automatically determine whether that metric should be maximized "
                       "or minimized. Pass `mode='max'` in order to monitor based on the highest metric value, or "
                       "pass `mode='min'` in order to use the lowest value.");
  }
}

bool MonitorCallback::is_improvement(double value, std::optional<double> reference) const {
  if (!reference) return true;
  // Keras negates min_delta for "less" and compares (value - min_delta) with the reference.
  return op_ > 0 ? value - min_delta_ > *reference : value + min_delta_ < *reference;
}

// ---- EarlyStopping ---------------------------------------------------------------------------------

EarlyStopping::EarlyStopping(Options options)
    : MonitorCallback(options.monitor, options.mode, std::nullopt, options.min_delta, "EarlyStopping"),
      options_(std::move(options)) {}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_.reset();
  best_weights_.reset();
  best_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(int64_t epoch, const Logs& logs) {
  if (!monitor_op_set()) set_monitor_op();
  auto it = logs.find(monitor_);
  if (it == logs.end()) {
    keras::detail::user_warning("Early stopping conditioned on metric `" + monitor_ +
                                "` which is not available. Available metrics are: " + keys_of(logs));
    return;
  }
  if (epoch < options_.start_from_epoch) return;
  const double current = it->second;
  if (options_.restore_best_weights && !best_weights_) {
    best_weights_ = model()->get_weights();  // the current weights are the best seen so far
    best_epoch_ = epoch;
  }
  ++wait_;
  if (is_improvement(current, best_)) {
    best_ = current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model()->get_weights();
    // The count restarts only when the value beats both the previous best and the baseline.
    if (!options_.baseline || is_improvement(current, options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model()->stop_training = true;
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  if (stopped_epoch_ > 0 && options_.verbose > 0) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  if (options_.restore_best_weights && best_weights_) {
    if (options_.verbose > 0)
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
    model()->set_weights(*best_weights_);
  }
}

// ---- ReduceLROnPlateau -----------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Options options)
    : MonitorCallback(options.monitor, options.mode, std::nullopt, options.min_delta, "ReduceLROnPlateau"),
      options_(std::move(options)) {
  if (options_.factor >= 1.0)
    throw ValueError("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=" +
                     python_float_repr(options_.factor));
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  best_.reset();
  cooldown_counter_ = 0;
  wait_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int64_t epoch, const Logs& logs) {
  if (!monitor_op_set()) set_monitor_op();
  optimizers::Optimizer& opt = model()->optimizer();
  set_log_value("learning_rate", opt.learning_rate());
  auto it = logs.find(monitor_);
  if (it == logs.end()) {
    keras::detail::user_warning("Learning rate reduction is conditioned on metric `" + monitor_ +
                                "` which is not available. Available metrics are: " + keys_of(logs) + ".");
    return;
  }
  const double current = it->second;
  if (in_cooldown()) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (is_improvement(current, best_)) {
    best_ = current;
    wait_ = 0;
  } else if (!in_cooldown()) {
    ++wait_;
    if (wait_ >= options_.patience) {
      const double old_lr = opt.learning_rate();
      if (old_lr > static_cast<double>(static_cast<float>(options_.min_lr))) {
        const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
        opt.set_learning_rate(new_lr);
        if (options_.verbose > 0)
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to "
                    << python_float_repr(new_lr) << ".\n";
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

// ---- ModelCheckpoint -------------------------------------------------------------------------------

SaveFreq::SaveFreq(const char* s) {
  if (std::string(s) != "epoch")
    throw ValueError("Unrecognized save_freq: " + std::string(s) +
                     ". Expected save_freq are 'epoch' or integer values");
}

SaveFreq::SaveFreq(int64_t batches) : batches_(batches) {
  if (batches <= 0)
    throw ValueError("Unrecognized save_freq: " + std::to_string(batches) +
                     ". Expected save_freq are 'epoch' or a positive number of batches");
}

ModelCheckpoint::ModelCheckpoint(Options options)
    : MonitorCallback(options.monitor, options.mode, options.initial_value_threshold, 0.0, "ModelCheckpoint"),
      options_(std::move(options)) {
  if (options_.filepath.empty()) throw ValueError("ModelCheckpoint: filepath is empty; pass where to save");
  if (options_.save_weights_only) {
    if (!options_.filepath.ends_with(".weights.h5"))
      throw ValueError(
          "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
          "`.weights.h5` (Keras weights format). Received: filepath=" +
          options_.filepath);
  } else {
    if (!options_.filepath.ends_with(".keras"))
      throw ValueError("The filepath provided must end in `.keras` (Keras model format). Received: filepath=" +
                       options_.filepath);
  }
}

std::string ModelCheckpoint::file_path(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) const {
  std::map<std::string, utils::detail::FormatValue> values;
  for (const auto& [k, v] : logs) values[k] = v;
  values["epoch"] = epoch + 1;
  if (batch && !logs.count("batch")) values["batch"] = *batch + 1;
  std::string missing;
  try {
    return utils::detail::python_format(options_.filepath, values, &missing);
  } catch (const ValueError& e) {
    if (!missing.empty())
      throw ValueError("Failed to format this callback filepath: \"" + options_.filepath + "\". Reason: '" + missing +
                       "' is not among the values it can use: epoch" + (batch ? ", batch" : "") +
                       (logs.empty() ? "" : ", " + keys_of(logs)));
    throw ValueError("Failed to format this callback filepath: \"" + options_.filepath + "\". Reason: " + e.what());
  }
}

bool SaveFreq::due(int64_t batch) {
  if (per_epoch()) return false;
  // A batch index not above the last one starts a new epoch: batches 0..batch are new.
  since_ += !last_batch_ || batch <= *last_batch_ ? batch + 1 : batch - *last_batch_;
  last_batch_ = batch;
  if (since_ < batches_) return false;
  since_ = 0;
  return true;
}

bool ModelCheckpoint::should_save(int64_t epoch, const Logs& logs, const std::string& path) {
  if (!options_.save_best_only) {
    if (options_.verbose > 0) std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
    return true;
  }
  auto it = logs.find(monitor_);
  if (it == logs.end()) {
    keras::detail::user_warning("Can save best model only with " + monitor_ + " available.");
    return true;
  }
  if (!monitor_op_set()) set_monitor_op();
  const double current = it->second;
  const std::string best_str = best_ ? fixed5(*best_) : "None";
  if (is_improvement(current, best_)) {
    if (options_.verbose > 0)
      std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " improved from " << best_str << " to "
                << fixed5(current) << ", saving model to " << path << "\n";
    best_ = current;
    return true;
  }
  if (options_.verbose > 0)
    std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " did not improve from " << best_str << "\n";
  return false;
}

void ModelCheckpoint::save(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) {
  const std::string path = file_path(epoch, batch, logs);
  if (!should_save(epoch, logs, path)) return;
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) throw Error("ModelCheckpoint: cannot create the folder " + dir.string() + ": " + ec.message());
  }
  if (fs::is_directory(path, ec))
    throw Error(
        "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing directory: " + path);
  if (options_.save_weights_only)
    model()->save_weights(path, {.overwrite = true});
  else
    model()->save(path, {.overwrite = true});
  if (options_.verbose > 0) std::cout << "\nEpoch " << epoch + 1 << ": finished saving model to " << path << "\n";
}

void ModelCheckpoint::on_epoch_end(int64_t epoch, const Logs& logs) {
  if (!monitor_op_set() && options_.save_best_only) set_monitor_op();
  if (options_.save_freq.per_epoch()) save(epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(int64_t batch, const Logs& logs) {
  if (options_.save_freq.due(batch)) save(current_epoch_, batch, logs);
}

}  // namespace keras::callbacks
