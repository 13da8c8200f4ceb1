// Mirrors keras/src/utils/progbar.py
#pragma once
/// keras::utils::Progbar: Keras 3's progress bar, byte for byte (Keras v3.15.1;
/// the formats are in shared/FORMATS.md section 6.2).
///
/// Example:
///   keras::utils::Progbar bar({.target = 1875});
///   for (int64_t step = 1; step <= 1875; ++step) {
///     train_one_batch();
///     bar.update(step, {{"accuracy", acc}, {"loss", loss}});   // redraws at most every 0.05 s
///   }
///   // final line: 1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.8213 - loss: 0.5062
///
/// verbose=1 redraws one line in place ("\b" * previous width, then "\r", on every
/// write, as Keras does on Linux even into a file or pipe) and ends it with "\n"
/// on the final update. verbose=2 prints one plain line when finalized, and only
/// when the target is known. verbose=0 prints nothing.
///
/// Values are shown as given, as the ProgbarLogger of Keras 3.15 shows them
/// (Progbar(stateless_metrics=set())); Keras' optional re-averaging of values
/// over steps is not provided. A name once shown stays on the line with its
/// last value.
///
/// Differences from Python, none of which shows for a real clock: the first
/// update is never throttled (Keras starts `_last_update` at 0 against
/// `time.time()`), a NaN value prints `nan` (never `-nan`), and an infinite
/// ETA prints `infs` where Python would raise. Output is always UTF-8 (`━`,
/// no `=` fallback).
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace keras::utils {

/// Arguments of keras.utils.Progbar, in Keras' order (stateful_metrics and
/// stateless_metrics are left out: values are always shown as given).
struct ProgbarOptions {
  /// Total number of steps; nullopt when unknown (the counter reads `%7d/Unknown`).
  std::optional<int64_t> target{};
  /// Bar width in characters.
  int width = 20;
  /// 0 silent, 1 bar redrawn in place, 2 one plain line when finalized.
  int verbose = 1;
  /// Minimum seconds between two redraws at verbose=1 (the final update always draws).
  double interval = 0.05;
  /// Name of the counted unit in the time per unit (`1ms/step`).
  std::string unit_name = "step";
  /// Where to write; nullptr means std::cout. The stream must outlive the bar.
  std::ostream* out = nullptr;
  /// Current time in seconds; empty means std::chrono::steady_clock. Tests inject a fake clock.
  std::function<double()> clock{};
};

/// Displays a progress bar (keras.utils.Progbar). The bar starts its elapsed-time
/// clock when constructed.
class Progbar {
 public:
  /// (name, value) pairs, shown as ` - name: value` in first-seen order.
  using Values = std::vector<std::pair<std::string, double>>;

  explicit Progbar(ProgbarOptions options = {});

  /// Updates the bar to step `current` with this step's values. `finalize`
  /// marks the last update (elapsed time instead of ETA, then "\n"); it
  /// defaults to `current >= target`, and to false when the target is unknown.
  void update(int64_t current, const Values& values = {}, std::optional<bool> finalize = std::nullopt);

  /// update(steps seen so far + n, values).
  void add(int64_t n, const Values& values = {});

  /// The target; nullopt when unknown.
  std::optional<int64_t> target() const { return options_.target; }

  /// Sets the target, as ProgbarLogger does once the first epoch of an unknown
  /// length has ended (`progbar.target = seen`).
  void set_target(std::optional<int64_t> target) { options_.target = target; }

 private:
  double now() const;
  double estimate_step_duration(int64_t current, double now);
  std::string format_values(bool use_abs) const;

  ProgbarOptions options_;
  std::ostream* out_;
  int64_t seen_so_far_ = 0;
  std::vector<std::pair<std::string, double>> values_;  // first-seen order, last value
  double start_ = 0.0;
  double last_update_;
  std::optional<double> time_after_first_step_{};
  int64_t prev_total_width_ = 0;
};

}  // namespace keras::utils
