// BackupAndRestore (keras/src/callbacks/backup_and_restore.py), resuming at the exact step: the
// weights file carries the fit() position (trainers/fit_state.hpp) as a root attribute, so one
// atomic rename publishes weights, optimizer state and position together.
#include "keras/callbacks/backup_and_restore.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/warnings.hpp"
#include "keras/error.hpp"
#include "keras/models/model.hpp"
#include "keras/optimizers.hpp"
#include "saving/weights_file.hpp"
#include "trainers/fit_state.hpp"

namespace keras::callbacks {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPositionAttribute = "keras_cpp_training_position";

std::string join(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

}  // namespace

BackupAndRestore::BackupAndRestore(Options options) : options_(std::move(options)) {
  if (options_.backup_dir.empty()) throw ValueError("Empty `backup_dir` argument passed");
  weights_path_ = join(options_.backup_dir, "latest.weights.h5");
  metadata_path_ = join(options_.backup_dir, "training_metadata.json");
}

void BackupAndRestore::on_train_begin(const Logs&) {
  current_epoch_ = 0;
  batch_in_epoch_ = 0;
  options_.save_freq.restart();
  try {
    load();
  } catch (const Error&) {
    // The latest backup cannot be read: fall back to the previous one when it was kept.
    const std::string prev = weights_path_ + ".bkp";
    if (!options_.double_checkpoint || !fs::exists(prev)) throw;
    keras::detail::user_warning("BackupAndRestore: " + weights_path_ +
                                " cannot be read; restoring the previous backup " + prev);
    fs::copy_file(prev, weights_path_, fs::copy_options::overwrite_existing);
    if (fs::exists(metadata_path_ + ".bkp"))
      fs::copy_file(metadata_path_ + ".bkp", metadata_path_, fs::copy_options::overwrite_existing);
    load();
  }
}

void BackupAndRestore::load() {
  Model& m = *model();
  if (!m.built())
    throw ValueError("To use the BackupAndRestore callback, you model must be built before you call `fit()`. Model " +
                     m.name() +
                     " is unbuilt. You can build it beforehand by calling it on a batch of data, or give it an Input.");
  std::optional<std::string> position;
  if (fs::exists(weights_path_)) {
    if (m.compiled() && !m.optimizer().built()) m.optimizer().build(m.trainable_variables());
    position = detail::load_weights_file(m, weights_path_, kPositionAttribute);
  }
  if (position) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(*position);
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(weights_path_ + ": the training position attribute is not valid JSON: " + e.what());
    }
    detail::FitPosition p = detail::fit_position_from_json(j);
    detail::resume_fit_at(m, p);
    current_epoch_ = p.epoch;
    return;
  }
  // A backup without our position (written by Python Keras): resume at its epoch, as Keras does.
  if (fs::exists(metadata_path_)) {
    std::ifstream in(metadata_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(metadata_path_ + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer() || j["epoch"].get<int64_t>() < 0)
      throw ValueError(metadata_path_ + ": expected {\"epoch\": <non-negative integer>, ...}");
    current_epoch_ = j["epoch"].get<int64_t>();
    detail::resume_fit_at(m, detail::epoch_start_position(m, current_epoch_));
  }
}

void BackupAndRestore::save() {
  std::error_code ec;
  fs::create_directories(options_.backup_dir, ec);
  if (ec) throw Error("BackupAndRestore: cannot create " + options_.backup_dir + ": " + ec.message());
  if (options_.double_checkpoint) {
    if (fs::exists(weights_path_))
      fs::copy_file(weights_path_, weights_path_ + ".bkp", fs::copy_options::overwrite_existing);
    if (fs::exists(metadata_path_))
      fs::copy_file(metadata_path_, metadata_path_ + ".bkp", fs::copy_options::overwrite_existing);
  }
  const detail::FitPosition p = detail::fit_position(*model());
  detail::save_weights_file(*model(), weights_path_, {{kPositionAttribute, detail::to_json(p).dump()}});
  const nlohmann::json meta = {{"epoch", current_epoch_}, {"batch", batch_in_epoch_}};
  core::write_file_atomic(metadata_path_, meta.dump());
}

void BackupAndRestore::on_epoch_end(int64_t epoch, const Logs&) {
  current_epoch_ = epoch + 1;
  batch_in_epoch_ = 0;
  if (options_.save_freq.per_epoch()) save();
}

void BackupAndRestore::on_train_batch_end(int64_t batch, const Logs&) {
  batch_in_epoch_ = batch;
  if (options_.save_freq.due(batch)) save();
}

void BackupAndRestore::on_train_end(const Logs&) {
  if (options_.delete_checkpoint && fs::exists(options_.backup_dir)) {
    // The metadata goes first: killed midway, what is left is a weights file whose own position
    // says training is over, never metadata pointing at weights that are gone.
    std::error_code ec;
    fs::remove(metadata_path_, ec);
    fs::remove(metadata_path_ + ".bkp", ec);
    fs::remove(weights_path_, ec);
    fs::remove_all(options_.backup_dir, ec);
  }
}

}  // namespace keras::callbacks
