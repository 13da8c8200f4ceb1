#pragma once
// Where a running fit() is, and how to make the next fit() start there: what BackupAndRestore
// saves and restores so that a run killed at any step and started again ends bit for bit where
// an uninterrupted run ends.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace keras {
class Model;
}

namespace keras::detail {

/// The position of a batch source: passes started and batches taken from the current pass.
struct SourceState {
  int64_t passes = 0;
  int64_t consumed = 0;
};

struct FitPosition {
  int64_t epoch = 0;  // the epoch to run (the next one, when saved at an epoch's end)
  int64_t step = 0;   // steps of that epoch already done
  bool pass_started = false;
  bool pass_exhausted = false;
  SourceState source;
  std::vector<uint64_t> seed_generators;  // states of the layers' seed generators, in walk order
  uint64_t global_seed = 0, global_draws = 0;
  std::vector<std::vector<double>> metrics;  // mid-epoch: each metric's variables, flattened
  std::map<std::string, double> last_logs;   // mid-epoch: the last step's logs
};

/// The position of the fit() running on `model` now (keras::RuntimeError outside fit).
FitPosition fit_position(Model& model);
/// The position at the start of `epoch` with the model's current random states (for backups that
/// only say which epoch to resume at).
FitPosition epoch_start_position(Model& model, int64_t epoch);
/// Makes the fit() now starting on `model` (called from on_train_begin) continue from `position`.
void resume_fit_at(Model& model, const FitPosition& position);

nlohmann::json to_json(const FitPosition& p);
/// keras::ValueError naming the missing or malformed field.
FitPosition fit_position_from_json(const nlohmann::json& j);

}  // namespace keras::detail
