// Metrics' configs (Keras' Metric.get_config / from_config) and their envelopes in keras::saving.
//
// Keras 3.15 writes {"name", "dtype"} for every metric (dtype as a plain name), plus each class's
// own arguments. A few leave arguments out (CosineSimilarity's axis); reading accepts them when
// present. Confusion metrics write their thresholds as given (null by default), AUC writes
// label_weights as a "__tensor__" of the metric's dtype.
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/saving.hpp"
#include "saving/registry.hpp"

namespace keras::metrics {

using nlohmann::json;

namespace {

using Maker = std::function<std::shared_ptr<Metric>(const saving::ConfigReader&, const json& config)>;

json function_envelope(const std::string& name) {
  return {{"module", "builtins"}, {"class_name", "function"}, {"config", name}, {"registered_name", "function"}};
}

json doubles_json(const std::vector<double>& v) {
  json out = json::array();
  for (double d : v) out.push_back(d);
  return out;
}

// A number or a list of numbers (Keras takes a float or a list for thresholds); null gives {}.
std::vector<double> read_doubles(const saving::ConfigReader& r, const std::string& key) {
  const json& v = r.raw(key);
  if (v.is_null()) return {};
  if (v.is_number()) return {v.get<double>()};
  if (!v.is_array()) r.fail(key, "must be a number or a list of numbers, got " + v.dump().substr(0, 80));
  if (v.size() > (size_t{1} << 20)) r.fail(key, "has too many entries (" + std::to_string(v.size()) + ")");
  std::vector<double> out;
  out.reserve(v.size());
  for (const json& e : v) {
    if (!e.is_number()) r.fail(key, "must be a list of numbers, got " + v.dump().substr(0, 80));
    out.push_back(e.get<double>());
  }
  return out;
}

// AUC's label_weights: null, a list of numbers, or Keras' {"class_name": "__tensor__", "config":
// {"value": [...], "dtype": "float32"}}.
std::vector<double> read_label_weights(const saving::ConfigReader& r) {
  const json& v = r.raw("label_weights");
  if (v.is_object()) {
    if (v.value("class_name", "") != "__tensor__" || !v.contains("config") || !v["config"].is_object() ||
        !v["config"].contains("value"))
      r.fail("label_weights", "must be a list of numbers or a \"__tensor__\" object");
    saving::ConfigReader inner(v["config"], r.what() + " label_weights");
    inner.ignore("dtype");
    auto out = read_doubles(inner, "value");
    inner.warn_unused();
    return out;
  }
  return read_doubles(r, "label_weights");
}

struct Common {
  std::string name;
  std::optional<DType> dtype;
};

Common read_common(const saving::ConfigReader& r, const std::string& default_name) {
  return {r.get_string("name", default_name), saving::deserialize_dtype(r.raw("dtype"))};
}

template <class Opts>
void set_common(Opts& o, const saving::ConfigReader& r) {
  Common c = read_common(r, o.name);
  o.name = c.name;
  o.dtype = c.dtype;
}

// Classes whose config is {"name", "dtype"} (and CosineSimilarity's axis, which Keras leaves out).
template <class M>
std::shared_ptr<Metric> make_plain(const saving::ConfigReader& r, const json&) {
  typename M::Options o;
  set_common(o, r);
  if constexpr (requires { o.axis; }) o.axis = r.get_int("axis", o.axis);
  return std::make_shared<M>(o);
}

template <class M>
std::shared_ptr<Metric> make_confusion_count(const saving::ConfigReader& r, const json&) {
  typename M::Options o;
  set_common(o, r);
  o.thresholds = read_doubles(r, "thresholds");
  return std::make_shared<M>(o);
}

template <class M>
std::shared_ptr<Metric> make_precision_recall(const saving::ConfigReader& r, const json&) {
  typename M::Options o;
  set_common(o, r);
  o.thresholds = read_doubles(r, "thresholds");
  o.top_k = r.get_optional_int("top_k");
  o.class_id = r.get_optional_int("class_id");
  return std::make_shared<M>(o);
}

std::shared_ptr<Metric> make_auc(const saving::ConfigReader& r, const json&) {
  AUC::Options o;
  set_common(o, r);
  o.num_thresholds = r.get_int("num_thresholds", o.num_thresholds);
  o.curve = r.get_string("curve", o.curve);
  o.summation_method = r.get_string("summation_method", o.summation_method);
  o.thresholds = read_doubles(r, "thresholds");
  o.multi_label = r.get_bool("multi_label", o.multi_label);
  o.num_labels = r.get_optional_int("num_labels");
  o.label_weights = read_label_weights(r);
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  return std::make_shared<AUC>(o);
}

std::shared_ptr<Metric> make_fbeta(const saving::ConfigReader& r, const json&) {
  FBetaScore::Options o;
  set_common(o, r);
  o.average = r.get_optional_string("average");
  o.beta = r.get_double("beta", o.beta);
  o.threshold = r.get_optional_double("threshold");
  return std::make_shared<FBetaScore>(o);
}

std::shared_ptr<Metric> make_f1(const saving::ConfigReader& r, const json&) {
  F1Score::Options o;
  set_common(o, r);
  o.average = r.get_optional_string("average");
  o.threshold = r.get_optional_double("threshold");
  return std::make_shared<F1Score>(o);
}

std::shared_ptr<Metric> make_r2(const saving::ConfigReader& r, const json& config) {
  R2Score::Options o;
  set_common(o, r);
  // Missing: the default ("uniform_average"); null: one score per output.
  if (config.contains("class_aggregation")) o.class_aggregation = r.get_optional_string("class_aggregation");
  o.num_regressors = r.get_int("num_regressors", o.num_regressors);
  return std::make_shared<R2Score>(o);
}

std::shared_ptr<Metric> make_binary_accuracy(const saving::ConfigReader& r, const json&) {
  BinaryAccuracy::Options o;
  set_common(o, r);
  o.threshold = r.get_double("threshold", o.threshold);
  return std::make_shared<BinaryAccuracy>(o);
}

std::shared_ptr<Metric> make_top_k(const saving::ConfigReader& r, const json&) {
  TopKCategoricalAccuracy::Options o;
  set_common(o, r);
  o.k = r.get_int("k", o.k);
  return std::make_shared<TopKCategoricalAccuracy>(o);
}

std::shared_ptr<Metric> make_sparse_top_k(const saving::ConfigReader& r, const json&) {
  SparseTopKCategoricalAccuracy::Options o;
  set_common(o, r);
  o.k = r.get_int("k", o.k);
  o.from_sorted_ids = r.get_bool("from_sorted_ids", o.from_sorted_ids);
  return std::make_shared<SparseTopKCategoricalAccuracy>(o);
}

std::shared_ptr<Metric> make_bce(const saving::ConfigReader& r, const json&) {
  BinaryCrossentropy::Options o;
  set_common(o, r);
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing);
  return std::make_shared<BinaryCrossentropy>(o);
}

std::shared_ptr<Metric> make_cce(const saving::ConfigReader& r, const json&) {
  CategoricalCrossentropy::Options o;
  set_common(o, r);
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing);
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<CategoricalCrossentropy>(o);
}

std::shared_ptr<Metric> make_scce(const saving::ConfigReader& r, const json&) {
  SparseCategoricalCrossentropy::Options o;
  set_common(o, r);
  o.from_logits = r.get_bool("from_logits", o.from_logits);
  o.ignore_class = r.get_optional_int("ignore_class");
  o.axis = r.get_int("axis", o.axis);
  return std::make_shared<SparseCategoricalCrossentropy>(o);
}

// The functions a MeanMetricWrapper can name ("fn": {"class_name": "function", "config": "<name>"}):
// keras.metrics' accuracy functions and keras.losses' functions.
MetricFn metric_function(const saving::ConfigReader& r, const std::string& name) {
  if (name == "accuracy") return accuracy;
  if (name == "binary_accuracy") return [](const Tensor& t, const Tensor& p) { return binary_accuracy(t, p); };
  if (name == "categorical_accuracy") return categorical_accuracy;
  if (name == "sparse_categorical_accuracy") return sparse_categorical_accuracy;
  if (name == "top_k_categorical_accuracy")
    return [](const Tensor& t, const Tensor& p) { return top_k_categorical_accuracy(t, p); };
  if (name == "sparse_top_k_categorical_accuracy")
    return [](const Tensor& t, const Tensor& p) { return sparse_top_k_categorical_accuracy(t, p); };
  if (name == "cosine_similarity")
    return [](const Tensor& t, const Tensor& p) { return metrics::cosine_similarity(t, p); };
  std::shared_ptr<losses::Loss> loss;
  try {
    loss = losses::get(name);
  } catch (const Error&) {
    r.fail("fn", "names an unknown metric function '" + name + "'");
  }
  const auto* wrapper = dynamic_cast<const losses::LossFunctionWrapper*>(loss.get());
  if (wrapper == nullptr) r.fail("fn", "'" + name + "' is a class, not a metric function");
  return wrapper->fn();
}

std::shared_ptr<Metric> make_wrapper(const saving::ConfigReader& r, const json&) {
  const json& fn = r.raw("fn");
  std::string fn_name;
  if (fn.is_string()) {
    fn_name = fn.get<std::string>();
  } else if (fn.is_object() && fn.contains("config") && fn["config"].is_string()) {
    fn_name = fn["config"].get<std::string>();
  } else {
    r.fail("fn",
           "expected the name of a metric function (a string or {\"class_name\": \"function\", \"config\": "
           "\"mean_squared_error\"})");
  }
  MeanMetricWrapper::Options o;
  set_common(o, r);
  return std::make_shared<MeanMetricWrapper>(metric_function(r, fn_name), o);
}

const std::map<std::string, Maker>& builtin_makers() {
  static const std::map<std::string, Maker> m = {
      {"Mean", make_plain<Mean>},
      {"Sum", make_plain<Sum>},
      {"MeanMetricWrapper", make_wrapper},
      {"Accuracy", make_plain<Accuracy>},
      {"BinaryAccuracy", make_binary_accuracy},
      {"CategoricalAccuracy", make_plain<CategoricalAccuracy>},
      {"SparseCategoricalAccuracy", make_plain<SparseCategoricalAccuracy>},
      {"TopKCategoricalAccuracy", make_top_k},
      {"SparseTopKCategoricalAccuracy", make_sparse_top_k},
      {"MeanSquaredError", make_plain<MeanSquaredError>},
      {"RootMeanSquaredError", make_plain<RootMeanSquaredError>},
      {"MeanAbsoluteError", make_plain<MeanAbsoluteError>},
      {"MeanAbsolutePercentageError", make_plain<MeanAbsolutePercentageError>},
      {"MeanSquaredLogarithmicError", make_plain<MeanSquaredLogarithmicError>},
      {"CosineSimilarity", make_plain<CosineSimilarity>},
      {"LogCoshError", make_plain<LogCoshError>},
      {"R2Score", make_r2},
      {"KLDivergence", make_plain<KLDivergence>},
      {"Poisson", make_plain<Poisson>},
      {"BinaryCrossentropy", make_bce},
      {"CategoricalCrossentropy", make_cce},
      {"SparseCategoricalCrossentropy", make_scce},
      {"Hinge", make_plain<Hinge>},
      {"SquaredHinge", make_plain<SquaredHinge>},
      {"CategoricalHinge", make_plain<CategoricalHinge>},
      {"TruePositives", make_confusion_count<TruePositives>},
      {"FalsePositives", make_confusion_count<FalsePositives>},
      {"TrueNegatives", make_confusion_count<TrueNegatives>},
      {"FalseNegatives", make_confusion_count<FalseNegatives>},
      {"Precision", make_precision_recall<Precision>},
      {"Recall", make_precision_recall<Recall>},
      {"AUC", make_auc},
      {"FBetaScore", make_fbeta},
      {"F1Score", make_f1},
  };
  return m;
}

std::string describe(const std::string& class_name, const json& config) {
  if (config.is_object() && config.contains("name") && config["name"].is_string())
    return "Metric '" + config["name"].get<std::string>() + "' (" + class_name + ")";
  return "Metric (" + class_name + ")";
}

// A value as the metric's dtype holds it: float32 values are written widened, as Keras writes
// a float32 tensor's tolist().
double as_dtype(double v, DType dtype) {
  return dtype == DType::float64 ? v : static_cast<double>(static_cast<float>(v));
}

// Keras' crossentropy metrics default label_smoothing to the integer 0 and write it as such.
json label_smoothing_json(double v) { return v == 0.0 ? json(0) : json(v); }

}  // namespace

json Metric::get_config() const {
  json config = {{"name", name()}, {"dtype", std::string(dtype_name(dtype()))}};
  if (const auto* m = dynamic_cast<const BinaryAccuracy*>(this)) {
    config["threshold"] = m->options().threshold;
  } else if (const auto* m = dynamic_cast<const TopKCategoricalAccuracy*>(this)) {
    config["k"] = m->options().k;
  } else if (const auto* m = dynamic_cast<const SparseTopKCategoricalAccuracy*>(this)) {
    config["k"] = m->options().k;
    // Keras writes from_sorted_ids only when it is set.
    if (m->options().from_sorted_ids) config["from_sorted_ids"] = true;
  } else if (const auto* m = dynamic_cast<const R2Score*>(this)) {
    const auto& o = m->options();
    config["class_aggregation"] = o.class_aggregation ? json(*o.class_aggregation) : json(nullptr);
    config["num_regressors"] = o.num_regressors;
  } else if (const auto* m = dynamic_cast<const BinaryCrossentropy*>(this)) {
    config["from_logits"] = m->options().from_logits;
    config["label_smoothing"] = label_smoothing_json(m->options().label_smoothing);
  } else if (const auto* m = dynamic_cast<const CategoricalCrossentropy*>(this)) {
    config["from_logits"] = m->options().from_logits;
    config["label_smoothing"] = label_smoothing_json(m->options().label_smoothing);
    config["axis"] = m->options().axis;
  } else if (const auto* m = dynamic_cast<const SparseCategoricalCrossentropy*>(this)) {
    const auto& o = m->options();
    config["from_logits"] = o.from_logits;
    config["ignore_class"] = o.ignore_class ? json(*o.ignore_class) : json(nullptr);
    config["axis"] = o.axis;
  } else if (const auto* m = dynamic_cast<const ConfusionMatrixConditionCount*>(this)) {
    // The thresholds as given: null for the default (0.5).
    const auto& t = m->thresholds();
    config["thresholds"] = (t.size() == 1 && t[0] == 0.5) ? json(nullptr) : doubles_json(t);
  } else if (const auto* m = dynamic_cast<const Precision*>(this)) {
    const auto& o = m->options();
    config["thresholds"] = o.thresholds.empty() ? json(nullptr) : doubles_json(o.thresholds);
    config["top_k"] = o.top_k ? json(*o.top_k) : json(nullptr);
    config["class_id"] = o.class_id ? json(*o.class_id) : json(nullptr);
  } else if (const auto* m = dynamic_cast<const Recall*>(this)) {
    const auto& o = m->options();
    config["thresholds"] = o.thresholds.empty() ? json(nullptr) : doubles_json(o.thresholds);
    config["top_k"] = o.top_k ? json(*o.top_k) : json(nullptr);
    config["class_id"] = o.class_id ? json(*o.class_id) : json(nullptr);
  } else if (const auto* m = dynamic_cast<const AUC*>(this)) {
    const auto& o = m->options();
    config["num_thresholds"] = m->num_thresholds();
    config["curve"] = o.curve;
    config["summation_method"] = o.summation_method;
    config["multi_label"] = o.multi_label;
    config["num_labels"] = o.num_labels ? json(*o.num_labels) : json(nullptr);
    if (o.label_weights.empty()) {
      config["label_weights"] = nullptr;
    } else {
      json values = json::array();
      for (double w : o.label_weights) values.push_back(as_dtype(w, dtype()));
      config["label_weights"] = {{"class_name", "__tensor__"},
                                 {"config", {{"value", values}, {"dtype", std::string(dtype_name(dtype()))}}}};
    }
    config["from_logits"] = o.from_logits;
    // Explicit thresholds (without the two end points), so that a metric made from this config
    // has the same ones; Keras leaves generated thresholds out.
    if (!o.thresholds.empty()) {
      const auto& t = m->thresholds();
      config["thresholds"] = doubles_json(std::vector<double>(t.begin() + 1, t.end() - 1));
    }
  } else if (const auto* m = dynamic_cast<const FBetaScore*>(this)) {
    const auto& o = m->options();
    config["average"] = o.average ? json(*o.average) : json(nullptr);
    if (dynamic_cast<const F1Score*>(this) == nullptr) config["beta"] = o.beta;
    config["threshold"] = o.threshold ? json(*o.threshold) : json(nullptr);
  } else if (dynamic_cast<const MeanMetricWrapper*>(this) != nullptr &&
             (class_name() == "MeanMetricWrapper" || !builtin_makers().contains(class_name()))) {
    // A wrapped function: Keras writes it by name. The wrapper does not expose its function, so
    // the metric's name stands for it (compile() names a wrapped keras function after it).
    config["fn"] = function_envelope(name());
  }
  return config;
}

}  // namespace keras::metrics

namespace keras::saving {

using nlohmann::json;

json serialize_keras_object(const metrics::Metric& object) {
  const std::string class_name = object.class_name();
  const bool builtin =
      metrics::builtin_makers().contains(class_name) && registered_name(ObjectKind::metric, class_name).empty();
  return detail::make_envelope(ObjectKind::metric, "keras.metrics", class_name, object.get_config(), builtin);
}

std::shared_ptr<metrics::Metric> deserialize_metric(const json& j) {
  return detail::deserialize_family<metrics::Metric>(
      j, "metric", metrics::builtin_makers(), [](const std::string& id) { return metrics::get(id); },
      detail::find_metric, metrics::describe);
}

}  // namespace keras::saving
