#pragma once
// Internals shared by the metric classes: Keras' metrics_utils.py (the
// confusion-matrix update), auto_name, and small tensor helpers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/metrics.hpp"
#include "keras/ops.hpp"

namespace keras::metrics::detail {

// keras.config.epsilon(). TODO(config): read keras::config::epsilon() once it exists.
inline constexpr double kEpsilon = 1e-7;
// metrics_utils.NEG_INF: the "threshold" of top_k metrics and the value masked-out predictions get.
inline constexpr double kNegInf = -1e10;

inline Tensor cast_to(const Tensor& t, DType dtype) { return t.dtype() == dtype ? t : ops::cast(t, dtype); }
// A 0-d tensor of `like`'s dtype (a weakly typed Python scalar in Keras).
inline Tensor scalar_like(double v, const Tensor& like) { return ops::convert_to_tensor(v, like.dtype()); }

// keras.ops.divide_no_nan: 0 where y is 0.
Tensor divide_no_nan(const Tensor& x, const Tensor& y);

// Keras' auto_name: "precision" for the first object asking, then "precision_1", "precision_2", ...
// (naming.uniquify over a process-wide counter, as Keras' global object_name_uids).
std::string auto_name(const std::string& snake_name);
// Forgets the counters (keras.backend.clear_session() resets Keras' uids); for tests.
void reset_name_uids();

// Throws keras::ValueError unless every threshold is in [0, 1] (assert_thresholds_range).
void check_thresholds_range(const std::vector<double>& thresholds);
// np.allclose(thresholds, arange(n) / (n - 1), atol=epsilon) for n >= 3: the bucketing path applies.
bool is_evenly_distributed_thresholds(const std::vector<double>& thresholds);

// The variables update_confusion_matrix_variables adds to; undefined ones are skipped.
struct ConfusionVariables {
  Variable true_positives{};
  Variable false_positives{};
  Variable true_negatives{};
  Variable false_negatives{};
};

struct ConfusionOptions {
  std::optional<int64_t> top_k{};
  std::optional<int64_t> class_id{};
  Tensor sample_weight{};
  bool multi_label = false;
  Tensor label_weights{};
  bool thresholds_distributed_evenly = false;
};

// metrics_utils.update_confusion_matrix_variables: adds the (weighted) count
// of each requested cell at each threshold. `what` names the metric in errors.
void update_confusion_matrix_variables(const ConfusionVariables& vars, const Tensor& y_true, const Tensor& y_pred,
                                       const std::vector<double>& thresholds, const ConfusionOptions& options,
                                       const std::string& what);

// The name of `fn` when it holds one of keras::losses' two-argument functions
// (mean_squared_error, hinge, ...) by pointer, else "".
std::string loss_function_name(const MetricFn& fn);

// x[begin:begin+count] along axis 0.
Tensor rows(const Tensor& x, int64_t begin, int64_t count);

}  // namespace keras::metrics::detail
