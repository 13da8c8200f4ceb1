// LearningRateScheduler, CSVLogger, TerminateOnNaN, SwapEMAWeights
// (keras/src/callbacks/{learning_rate_scheduler,csv_logger,terminate_on_nan,swap_ema_weights}.py).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "keras/callbacks/csv_logger.hpp"
#include "keras/callbacks/learning_rate_scheduler.hpp"
#include "keras/callbacks/swap_ema_weights.hpp"
#include "keras/callbacks/terminate_on_nan.hpp"
#include "keras/error.hpp"
#include "keras/models/model.hpp"
#include "keras/optimizers.hpp"
#include "utils/python_format.hpp"

namespace keras::callbacks {

using utils::detail::python_float_repr;

// ---- LearningRateScheduler -------------------------------------------------------------------------

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw ValueError("LearningRateScheduler: the schedule is empty; pass a function of (epoch, lr)");
}

LearningRateScheduler::LearningRateScheduler(std::function<double(int64_t)> schedule, int verbose) : verbose_(verbose) {
  if (!schedule) throw ValueError("LearningRateScheduler: the schedule is empty; pass a function of the epoch");
  schedule_ = [f = std::move(schedule)](int64_t epoch, double) { return f(epoch); };
}

void LearningRateScheduler::on_epoch_begin(int64_t epoch, const Logs&) {
  optimizers::Optimizer& opt = model()->optimizer();
  const double lr = schedule_(epoch, opt.learning_rate());
  if (!std::isfinite(lr))
    throw ValueError("The output of the `schedule` function should be a finite float. Got: " + python_float_repr(lr));
  opt.set_learning_rate(lr);
  if (verbose_ > 0)
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << python_float_repr(lr)
              << ".\n";
}

void LearningRateScheduler::on_epoch_end(int64_t, const Logs&) {
  set_log_value("learning_rate", model()->optimizer().learning_rate());
}

// ---- CSVLogger ---------------------------------------------------------------------------------------

namespace {
// A field as Python's csv module writes it with QUOTE_MINIMAL: quoted when it holds the
// separator, a quote or a line break, with quotes doubled.
std::string csv_field(const std::string& s, const std::string& sep) {
  if (s.find(sep) == std::string::npos && s.find_first_of("\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), sep_(std::move(separator)), append_(append) {
  if (filename_.empty()) throw ValueError("CSVLogger: the filename is empty");
  if (sep_.size() != 1)
    throw ValueError("CSVLogger: \"delimiter\" must be a 1-character string; received '" + sep_ + "'");
}

CSVLogger::CSVLogger(CSVLogger&& o) noexcept
    : filename_(std::move(o.filename_)),
      sep_(std::move(o.sep_)),
      append_(o.append_),
      write_header_(o.write_header_),
      file_(o.file_),
      keys_(std::move(o.keys_)) {
  o.file_ = nullptr;
}

CSVLogger::~CSVLogger() { close(); }

void CSVLogger::close() {
  if (file_) std::fclose(file_);
  file_ = nullptr;
}

void CSVLogger::on_train_begin(const Logs&) {
  write_header_ = true;
  if (append_) {
    std::ifstream in(filename_);
    std::string first;
    if (in && std::getline(in, first)) write_header_ = first.empty() && in.eof();
  }
  close();
  file_ = std::fopen(filename_.c_str(), append_ ? "ab" : "wb");
  if (!file_)
    throw Error("CSVLogger: cannot open " + filename_ + " for writing: " + std::strerror(errno) +
                "; pass a filename in a folder that exists and is writable");
  keys_.reset();
}

void CSVLogger::on_epoch_end(int64_t epoch, const Logs& logs) {
  if (!file_) return;  // used outside fit
  std::string out;
  if (!keys_) {
    keys_.emplace();
    for (const auto& [k, v] : logs) keys_->push_back(k);  // Logs are sorted
    // When validation runs less often than every epoch, the first row lacks the val_ keys: add them.
    const bool has_val =
        std::any_of(keys_->begin(), keys_->end(), [](const std::string& k) { return k.rfind("val_", 0) == 0; });
    if (!has_val && !keys_->empty()) {
      const size_t n = keys_->size();
      for (size_t i = 0; i < n; ++i) keys_->push_back("val_" + (*keys_)[i]);
    }
    if (write_header_) {
      out += "epoch";
      for (const auto& k : *keys_) out += sep_ + csv_field(k, sep_);
      out += "\r\n";
    }
  }
  out += std::to_string(epoch);
  for (const auto& k : *keys_) {
    auto it = logs.find(k);
    out += sep_ + (it == logs.end() ? std::string("NA") : python_float_repr(it->second));
  }
  out += "\r\n";
  if (std::fwrite(out.data(), 1, out.size(), file_) != out.size() || std::fflush(file_) != 0)
    throw Error("CSVLogger: cannot write to " + filename_ + ": " + std::strerror(errno));
}

void CSVLogger::on_train_end(const Logs&) { close(); }

// ---- TerminateOnNaN --------------------------------------------------------------------------------

void TerminateOnNaN::on_train_batch_end(int64_t batch, const Logs& logs) {
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  if (raise_error_)
    throw RuntimeError("NaN or Inf loss encountered at batch " + std::to_string(batch) +
                       ". Loss value: " + python_float_repr(it->second) + ". Terminating training immediately.");
  std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
  model()->stop_training = true;
}

// ---- SwapEMAWeights --------------------------------------------------------------------------------

void SwapEMAWeights::swap() {
  optimizers::Optimizer& opt = model()->optimizer();
  if (!opt.use_ema())
    throw ValueError(
        "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. Received: use_ema=False");
  const auto vars = opt.trainable_variables();
  const auto avgs = opt.model_variables_moving_average();
  if (vars.size() != avgs.size()) return;  // not built yet: nothing to swap
  for (size_t i = 0; i < vars.size(); ++i) {
    Variable v = vars[i], a = avgs[i];
    const Tensor tmp = v.value().contiguous();
    v.assign(a.value());
    a.assign(tmp);
  }
}

void SwapEMAWeights::finalize() {
  optimizers::Optimizer& opt = model()->optimizer();
  const auto vars = opt.trainable_variables();
  const auto avgs = opt.model_variables_moving_average();
  for (size_t i = 0; i < vars.size() && i < avgs.size(); ++i) {
    Variable a = avgs[i];
    a.assign(vars[i].value());
  }
}

void SwapEMAWeights::on_epoch_begin(int64_t, const Logs&) {
  if (swap_on_epoch_ && ema_in_model_) {
    swap();
    ema_in_model_ = false;
  }
}

void SwapEMAWeights::on_epoch_end(int64_t epoch, const Logs&) {
  if (swap_on_epoch_ && !ema_in_model_) {
    swap();
    ema_in_model_ = true;
    // After the last epoch the model keeps the averages: the averages are set to them too, so
    // that fit's final overwrite with the averages changes nothing.
    if (epoch == params().epochs - 1) finalize();
  }
}

void SwapEMAWeights::on_test_begin(const Logs&) {
  if (!ema_in_model_) {
    swap();
    ema_in_model_ = true;
  }
}

void SwapEMAWeights::on_test_end(const Logs&) {
  if (ema_in_model_) {
    swap();
    ema_in_model_ = false;
  }
}

void SwapEMAWeights::on_predict_begin(const Logs& logs) { on_test_begin(logs); }
void SwapEMAWeights::on_predict_end(const Logs& logs) { on_test_end(logs); }

}  // namespace keras::callbacks
