// The TensorBoard callback (keras/src/callbacks/tensorboard.py): scalars only, written through
// callbacks/event_file.hpp.
#include "keras/callbacks/tensorboard.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "callbacks/event_file.hpp"
#include "keras/error.hpp"
#include "keras/models/model.hpp"
#include "keras/optimizers.hpp"

namespace keras::callbacks {

UpdateFreq::UpdateFreq(const char* s) {
  const std::string v(s);
  if (v == "batch") {
    batches_ = 1;
  } else if (v != "epoch") {
    throw ValueError("Unrecognized update_freq: " + v + ". Expected 'epoch', 'batch' or a positive integer");
  }
}

UpdateFreq::UpdateFreq(int64_t batches) : batches_(batches) {
  if (batches <= 0)
    throw ValueError("Unrecognized update_freq: " + std::to_string(batches) +
                     ". Expected 'epoch', 'batch' or a positive integer");
}

TensorBoard::TensorBoard(Options options) : options_(std::move(options)) {
  if (options_.log_dir.empty()) throw ValueError("TensorBoard: log_dir is empty");
  if (options_.histogram_freq != 0)
    throw NotImplementedError("TensorBoard: histogram_freq (weight histograms) is not built yet; leave it 0");
  if (options_.write_images) throw NotImplementedError("TensorBoard: write_images is not built yet; leave it false");
}

TensorBoard::TensorBoard(TensorBoard&& o) noexcept
    : Callback(o),
      options_(std::move(o.options_)),
      train_(std::move(o.train_)),
      val_(std::move(o.val_)),
      global_train_batch_(o.global_train_batch_),
      epoch_start_iterations_(o.epoch_start_iterations_),
      graph_written_(o.graph_written_) {}

TensorBoard::~TensorBoard() = default;

internal::EventFileWriter& TensorBoard::train_writer() {
  if (!train_)
    train_ = std::make_unique<internal::EventFileWriter>((std::filesystem::path(options_.log_dir) / "train").string());
  return *train_;
}

internal::EventFileWriter& TensorBoard::val_writer() {
  if (!val_)
    val_ =
        std::make_unique<internal::EventFileWriter>((std::filesystem::path(options_.log_dir) / "validation").string());
  return *val_;
}

void TensorBoard::close_writers() {
  if (train_) train_->close();
  if (val_) val_->close();
  train_.reset();
  val_.reset();
}

void TensorBoard::on_train_begin(const Logs&) {
  global_train_batch_ = 0;
  graph_written_ = false;
}

void TensorBoard::on_train_end(const Logs&) { close_writers(); }

void TensorBoard::on_train_batch_begin(int64_t, const Logs&) {
  ++global_train_batch_;
  if (options_.write_steps_per_second) batch_start_ = std::chrono::steady_clock::now();
}

void TensorBoard::on_train_batch_end(int64_t, const Logs& logs) {
  if (options_.write_graph && !graph_written_) {
    graph_written_ = true;
    try {
      const nlohmann::json j = {{"module", "keras"},
                                {"class_name", model()->class_name()},
                                {"config", model()->get_config()},
                                {"registered_name", nullptr}};
      train_writer().add_text_tensor("keras", j.dump(), 0, "graph_keras_model", "1");
    } catch (const NotImplementedError&) {
      // A model without a config (a subclass that does not define one) has no graph to show.
    }
  }
  if (options_.update_freq.per_epoch() || global_train_batch_ % options_.update_freq.batches() != 0) return;
  auto& w = train_writer();
  if (options_.write_steps_per_second) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_start_).count();
    w.add_scalar("batch_steps_per_second", s > 0 ? 1.0 / s : 0.0, global_train_batch_);
  }
  for (const auto& [name, value] : logs) w.add_scalar("batch_" + name, value, global_train_batch_);
}

void TensorBoard::on_epoch_begin(int64_t, const Logs&) {
  if (options_.write_steps_per_second) {
    epoch_start_iterations_ = model()->optimizer().iterations();
    epoch_start_ = std::chrono::steady_clock::now();
  }
}

void TensorBoard::on_epoch_end(int64_t epoch, const Logs& logs) {
  Logs train, val;
  for (const auto& [k, v] : logs) {
    if (k.rfind("val_", 0) == 0)
      val[k.substr(4)] = v;
    else
      train[k] = v;
  }
  if (logs.empty()) return;
  if (model()->compiled()) train["learning_rate"] = model()->optimizer().learning_rate();
  if (options_.write_steps_per_second) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start_).count();
    const auto steps = static_cast<double>(model()->optimizer().iterations() - epoch_start_iterations_);
    train["steps_per_second"] = s > 0 ? steps / s : 0.0;
  }
  if (!train.empty()) {
    auto& w = train_writer();
    for (const auto& [name, value] : train) w.add_scalar("epoch_" + name, value, epoch);
    w.flush();
  }
  if (!val.empty()) {
    auto& w = val_writer();
    for (const auto& [name, value] : val) w.add_scalar("epoch_" + name, value, epoch);
    w.flush();
  }
}

void TensorBoard::on_test_end(const Logs& logs) {
  if (!model()->compiled()) return;
  auto& w = val_writer();
  const int64_t step = model()->optimizer().iterations();
  for (const auto& [name, value] : logs) w.add_scalar("evaluation_" + name + "_vs_iterations", value, step);
}

}  // namespace keras::callbacks
