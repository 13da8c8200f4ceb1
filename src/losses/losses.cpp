// Mirrors keras/src/losses/losses.py (and, for the crossentropies, the JAX
// backend's keras/src/backend/jax/nn.py, whose numerics Keras 3 users see).
#include "core/identifiers.hpp"
#include "keras/losses.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/ops.hpp"

namespace keras::losses {

namespace {

// keras.config.epsilon(): the clip margin for probabilities and the floor of
// divisors. TODO(config): read keras::config::epsilon() once it exists.
constexpr double kEpsilon = 1e-7;

Tensor cast_to(const Tensor& t, DType dtype) { return t.dtype() == dtype ? t : ops::cast(t, dtype); }

// A 0-d tensor of `like`'s dtype: Keras' convert_to_tensor(v, dtype=x.dtype).
Tensor scalar_like(double v, const Tensor& like) { return ops::convert_to_tensor(v, like.dtype()); }

void require_defined(const char* fn, const Tensor& y_true, const Tensor& y_pred) {
  if (!y_true.defined()) throw ValueError(std::string(fn) + ": y_true is an undefined tensor");
  if (!y_pred.defined()) throw ValueError(std::string(fn) + ": y_pred is an undefined tensor");
}

// The element-wise losses broadcast y_true against y_pred; check first so the
// error names the loss rather than the subtract inside it. -1 (unknown) matches anything.
void check_broadcastable(const char* fn, const Tensor& y_true, const Tensor& y_pred) {
  const Shape& a = y_true.shape();
  const Shape& b = y_pred.shape();
  for (int i = 1; i <= std::min(a.rank(), b.rank()); ++i) {
    const int64_t da = a[a.rank() - i], db = b[b.rank() - i];
    if (da == db || da == 1 || db == 1 || da < 0 || db < 0) continue;
    throw ValueError(std::string(fn) +
                     ": y_true and y_pred shapes cannot be broadcast together. Received: y_true.shape=" + a.str() +
                     ", y_pred.shape=" + b.str());
  }
}

bool same_shape(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (int i = 0; i < a.rank(); ++i)
    if (a[i] != b[i] && a[i] >= 0 && b[i] >= 0) return false;
  return true;
}

// The backend crossentropies accept no broadcasting (keras/src/backend/jax/nn.py).
void check_same_shape(const char* fn, const Tensor& target, const Tensor& output) {
  if (same_shape(target.shape(), output.shape())) return;
  throw ValueError(std::string(fn) +
                   ": Arguments `target` and `output` must have the same shape. Received: target.shape=" +
                   target.shape().str() + ", output.shape=" + output.shape().str());
}

// y_true as y_pred's dtype, after the checks every function makes.
Tensor prepare_true(const char* fn, const Tensor& y_true, const Tensor& y_pred) {
  require_defined(fn, y_true, y_pred);
  return cast_to(y_true, y_pred.dtype());
}

// keras.ops.normalize(x, axis, order=2): x * min(rsqrt(sum(x^2)), 1 / epsilon),
// so a zero vector stays zero instead of becoming NaN.
Tensor l2_normalize(const Tensor& x, int64_t axis) {
  Tensor v = x.ndim() == 0 ? ops::expand_dims(x, 0) : x;
  Tensor inv_norm = ops::rsqrt(ops::sum(ops::square(v), axis, /*keepdims=*/true));
  return ops::multiply(v, ops::minimum(inv_norm, scalar_like(1.0 / kEpsilon, inv_norm)));
}

// Hinge losses take -1/1 labels; Keras converts them when every label is 0 or
// 1 (an ops.cond on the data). A select on the 0-d test does the same and
// also traces.
Tensor convert_binary_labels_to_hinge(const Tensor& y_true) {
  Tensor is_binary = ops::all(
      ops::logical_or(ops::equal(y_true, scalar_like(0.0, y_true)), ops::equal(y_true, scalar_like(1.0, y_true))));
  return ops::where(is_binary, y_true * 2.0 - 1.0, y_true);
}

// Element-wise binary crossentropy of probabilities, clipped to [eps, 1 - eps]
// so that log never sees 0 (backend binary_crossentropy, from_logits=False).
Tensor bce_from_probabilities(const Tensor& target, const Tensor& output) {
  Tensor o = ops::clip(output, kEpsilon, 1.0 - kEpsilon);
  return -(target * ops::log(o) + (1.0 - target) * ops::log(1.0 - o));
}

// Keras' label smoothing for the binary losses: towards 0.5.
Tensor smooth_binary(const Tensor& y_true, double label_smoothing) {
  if (label_smoothing == 0.0) return y_true;  // Keras tests `if label_smoothing:`
  return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing;
}

// Keras' label smoothing for the categorical losses. num_classes is the size of
// y_true's *last* axis even when `axis` names another one (a Keras quirk kept
// for equal numbers).
Tensor smooth_categorical(const char* fn, const Tensor& y_true, double label_smoothing) {
  if (label_smoothing == 0.0) return y_true;
  if (y_true.ndim() == 0) throw ValueError(std::string(fn) + ": label smoothing needs y_true of rank >= 1");
  const int64_t n = y_true.shape().back();
  Tensor num_classes =
      n >= 0 ? scalar_like(static_cast<double>(n), y_true) : ops::sum(ops::ones_like(y_true), -1, /*keepdims=*/true);
  return y_true * (1.0 - label_smoothing) + ops::divide(scalar_like(label_smoothing, y_true), num_classes);
}

// log of the class probabilities along axis: log_softmax for logits; for
// probabilities Keras renormalises to sum 1, then clips to [eps, 1 - eps].
Tensor log_probabilities(const Tensor& y_pred, bool from_logits, int64_t axis) {
  if (from_logits) return ops::log_softmax(y_pred, axis);
  Tensor o = ops::divide(y_pred, ops::sum(y_pred, axis, /*keepdims=*/true));
  return ops::log(ops::clip(o, kEpsilon, 1.0 - kEpsilon));
}

LossOutput sparse_categorical_crossentropy_masked(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                                  std::optional<int64_t> ignore_class, int64_t axis) {
  constexpr const char* kFn = "sparse_categorical_crossentropy";
  require_defined(kFn, y_true, y_pred);
  if (y_pred.ndim() < 1)
    throw ValueError(std::string(kFn) +
                     ": Argument `output` must be at least rank 1. Received: output.shape=" + y_pred.shape().str());
  const int a = normalize_axis(axis, y_pred.ndim(), kFn);
  Tensor labels = y_true;
  if (labels.ndim() == y_pred.ndim() && labels.shape()[a] == 1) labels = ops::squeeze(labels, Axes(a));
  // Keras' JAX backend compares with output.shape[:-1] whatever the axis: the
  // same check for axis -1; for another axis this is the shape one_hot needs.
  Shape expected = y_pred.shape();
  expected.erase(a);
  if (!same_shape(labels.shape(), expected))
    throw ValueError(std::string(kFn) +
                     ": Arguments `target` and `output` must have the same shape up until the last dimension (the "
                     "class axis): target.shape=" +
                     labels.shape().str() + ", output.shape=" + y_pred.shape().str() +
                     ". Labels are integers, one per sample: y_pred's shape without the class axis.");
  const int64_t num_classes = y_pred.shape()[a];
  if (num_classes < 0)
    throw ValueError(std::string(kFn) + ": the number of classes (y_pred.shape[" + std::to_string(axis) +
                     "]) must be known. Received: output.shape=" + y_pred.shape().str());

  Tensor pred = y_pred;
  Tensor valid;
  if (ignore_class) {
    valid = ops::not_equal(labels, scalar_like(static_cast<double>(*ignore_class), y_pred));
    labels = ops::where(valid, labels, ops::zeros_like(labels));
    // Keras fills the ignored rows of y_pred with 0, which gives NaN (0 / 0)
    // for probabilities before the result is masked. 1 gives the same masked
    // result without a NaN anywhere, so no NaN can leak into a gradient.
    pred = ops::where(ops::expand_dims(valid, a), pred, ops::ones_like(pred));
  }
  // Keras casts the labels to int32, truncating float labels; a label outside
  // [0, num_classes) one-hot encodes to zeros and so gives a loss of 0, as in JAX.
  Tensor one_hot = ops::one_hot(cast_to(labels, DType::int32), num_classes, a, pred.dtype());
  Tensor res = -ops::sum(one_hot * log_probabilities(pred, from_logits, a), a);
  if (ignore_class) res = ops::where(valid, res, ops::zeros_like(res));
  return {res, valid};
}

}  // namespace

// ---- plain functions ----------------------------------------------------------------------------------

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("mean_squared_error", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("mean_squared_error", a, b);
  return ops::mean(ops::square(a - b), -1);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("mean_absolute_error", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("mean_absolute_error", a, b);
  return ops::mean(ops::abs(a - b), -1);
}

Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("mean_absolute_percentage_error", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("mean_absolute_percentage_error", a, b);
  Tensor diff = ops::abs(ops::divide(a - b, ops::maximum(ops::abs(a), scalar_like(kEpsilon, b))));
  return ops::mean(diff, -1) * 100.0;
}

Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("mean_squared_logarithmic_error", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("mean_squared_logarithmic_error", a, b);
  // max(., eps) keeps log away from log(0) and negative arguments.
  Tensor eps = scalar_like(kEpsilon, b);
  Tensor first_log = ops::log(ops::maximum(b, eps) + 1.0);
  Tensor second_log = ops::log(ops::maximum(a, eps) + 1.0);
  return ops::mean(ops::square(first_log - second_log), -1);
}

Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int64_t axis) {
  Tensor t = prepare_true("cosine_similarity", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("cosine_similarity", a, b);
  return -ops::sum(l2_normalize(a, axis) * l2_normalize(b, axis), axis);
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  Tensor t = prepare_true("huber", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("huber", a, b);
  Tensor d = scalar_like(delta, b);
  Tensor error = b - a;
  Tensor abs_error = ops::abs(error);
  return ops::mean(
      ops::where(ops::less_equal(abs_error, d), ops::square(error) * 0.5, abs_error * delta - 0.5 * delta * delta), -1);
}

Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("log_cosh", y_true, y_pred);
  auto [a, b] = squeeze_or_expand_to_same_rank(t, y_pred);
  check_broadcastable("log_cosh", a, b);
  // log(cosh(x)) = x + softplus(-2x) - log(2): cosh itself overflows for |x| > ~89 in float32.
  Tensor x = b - a;
  return ops::mean(x + ops::softplus(x * -2.0) - scalar_like(0.69314718055994530942, x), -1);
}

Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("kl_divergence", y_true, y_pred);
  check_broadcastable("kl_divergence", t, y_pred);
  Tensor tc = ops::clip(t, kEpsilon, 1.0);
  Tensor pc = ops::clip(y_pred, kEpsilon, 1.0);
  return ops::sum(tc * ops::log(ops::divide(tc, pc)), -1);
}

Tensor poisson(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("poisson", y_true, y_pred);
  check_broadcastable("poisson", t, y_pred);
  return ops::mean(y_pred - t * ops::log(y_pred + kEpsilon), -1);
}

Tensor hinge(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("hinge", y_true, y_pred);
  check_broadcastable("hinge", t, y_pred);
  t = convert_binary_labels_to_hinge(t);
  return ops::mean(ops::maximum(1.0 - t * y_pred, scalar_like(0.0, y_pred)), -1);
}

Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("squared_hinge", y_true, y_pred);
  check_broadcastable("squared_hinge", t, y_pred);
  t = convert_binary_labels_to_hinge(t);
  return ops::mean(ops::square(ops::maximum(1.0 - t * y_pred, scalar_like(0.0, y_pred))), -1);
}

Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = prepare_true("categorical_hinge", y_true, y_pred);
  check_broadcastable("categorical_hinge", t, y_pred);
  Tensor pos = ops::sum(t * y_pred, -1);
  Tensor neg = ops::max((1.0 - t) * y_pred, -1);
  return ops::maximum(neg - pos + 1.0, scalar_like(0.0, y_pred));
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                           int64_t axis) {
  Tensor t = prepare_true("binary_crossentropy", y_true, y_pred);
  check_same_shape("binary_crossentropy", t, y_pred);
  t = smooth_binary(t, label_smoothing);
  Tensor elementwise;
  if (from_logits) {
    // -t log_sigmoid(x) - (1 - t) log_sigmoid(-x), with log_sigmoid(x) = -softplus(-x):
    // stable for any logit, no clipping.
    elementwise = t * ops::softplus(-y_pred) + (1.0 - t) * ops::softplus(y_pred);
  } else {
    elementwise = bce_from_probabilities(t, y_pred);
  }
  return ops::mean(elementwise, axis);
}

Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing, double alpha,
                                 double gamma, bool from_logits, double label_smoothing, int64_t axis) {
  Tensor t = prepare_true("binary_focal_crossentropy", y_true, y_pred);
  check_same_shape("binary_focal_crossentropy", t, y_pred);
  t = smooth_binary(t, label_smoothing);
  // Keras applies the sigmoid and then the clipped probability form, even for logits.
  Tensor p = from_logits ? ops::sigmoid(y_pred) : y_pred;
  Tensor bce = bce_from_probabilities(t, p);
  // p_t uses the unclipped probabilities, as in Keras.
  Tensor p_t = t * p + (1.0 - t) * (1.0 - p);
  Tensor focal_bce = ops::power(1.0 - p_t, scalar_like(gamma, p_t)) * bce;
  if (apply_class_balancing) focal_bce = (t * alpha + (1.0 - t) * (1.0 - alpha)) * focal_bce;
  return ops::mean(focal_bce, axis);
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                                int64_t axis) {
  Tensor t = prepare_true("categorical_crossentropy", y_true, y_pred);
  check_same_shape("categorical_crossentropy", t, y_pred);
  if (t.ndim() < 1)
    throw ValueError(
        "categorical_crossentropy: Arguments `target` and `output` must be at least rank 1. Received: target.shape=" +
        t.shape().str() + ", output.shape=" + y_pred.shape().str());
  t = smooth_categorical("categorical_crossentropy", t, label_smoothing);
  return -ops::sum(t * log_probabilities(y_pred, from_logits, axis), axis);
}

Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha, double gamma,
                                      bool from_logits, double label_smoothing, int64_t axis) {
  Tensor t = prepare_true("categorical_focal_crossentropy", y_true, y_pred);
  check_broadcastable("categorical_focal_crossentropy", t, y_pred);
  if (y_pred.ndim() < 1)
    throw ValueError("categorical_focal_crossentropy: y_pred must be at least rank 1. Received: y_pred.shape=" +
                     y_pred.shape().str());
  t = smooth_categorical("categorical_focal_crossentropy", t, label_smoothing);
  Tensor p = from_logits ? ops::softmax(y_pred, axis) : y_pred;
  // Renormalised to sum 1 along axis, then clipped, as Keras does.
  Tensor output = ops::clip(ops::divide(p, ops::sum(p, axis, /*keepdims=*/true)), kEpsilon, 1.0 - kEpsilon);
  Tensor cce = -t * ops::log(output);
  Tensor weighting = ops::power(1.0 - output, scalar_like(gamma, output)) * alpha;
  return ops::sum(weighting * cce, axis);
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                       std::optional<int64_t> ignore_class, int64_t axis) {
  return sparse_categorical_crossentropy_masked(y_true, y_pred, from_logits, ignore_class, axis).values;
}

// ---- the loss classes ------------------------------------------------------------------------------------

namespace {

template <class O>
LossFunctionWrapperOptions wrapper_options(const O& o) {
  static_assert(LossOptionsLike<O>);
  return {.reduction = o.reduction, .name = o.name, .dtype = o.dtype};
}

}  // namespace

MeanSquaredError::MeanSquaredError(Options o)
    : LossFunctionWrapper(mean_squared_error, wrapper_options(o)), options_(std::move(o)) {}

MeanAbsoluteError::MeanAbsoluteError(Options o)
    : LossFunctionWrapper(mean_absolute_error, wrapper_options(o)), options_(std::move(o)) {}

MeanAbsolutePercentageError::MeanAbsolutePercentageError(Options o)
    : LossFunctionWrapper(mean_absolute_percentage_error, wrapper_options(o)), options_(std::move(o)) {}

MeanSquaredLogarithmicError::MeanSquaredLogarithmicError(Options o)
    : LossFunctionWrapper(mean_squared_logarithmic_error, wrapper_options(o)), options_(std::move(o)) {}

CosineSimilarity::CosineSimilarity(Options o)
    : LossFunctionWrapper([axis = o.axis](const Tensor& t, const Tensor& p) { return cosine_similarity(t, p, axis); },
                          wrapper_options(o)),
      options_(std::move(o)) {}

Huber::Huber(Options o)
    : LossFunctionWrapper([delta = o.delta](const Tensor& t, const Tensor& p) { return huber(t, p, delta); },
                          wrapper_options(o)),
      options_(std::move(o)) {}

LogCosh::LogCosh(Options o) : LossFunctionWrapper(log_cosh, wrapper_options(o)), options_(std::move(o)) {}

KLDivergence::KLDivergence(Options o)
    : LossFunctionWrapper(kl_divergence, wrapper_options(o)), options_(std::move(o)) {}

Poisson::Poisson(Options o) : LossFunctionWrapper(poisson, wrapper_options(o)), options_(std::move(o)) {}

Hinge::Hinge(Options o) : LossFunctionWrapper(hinge, wrapper_options(o)), options_(std::move(o)) {}

SquaredHinge::SquaredHinge(Options o)
    : LossFunctionWrapper(squared_hinge, wrapper_options(o)), options_(std::move(o)) {}

CategoricalHinge::CategoricalHinge(Options o)
    : LossFunctionWrapper(categorical_hinge, wrapper_options(o)), options_(std::move(o)) {}

BinaryCrossentropy::BinaryCrossentropy(Options o)
    : LossFunctionWrapper(
          [o](const Tensor& t, const Tensor& p) {
            return binary_crossentropy(t, p, o.from_logits, o.label_smoothing, o.axis);
          },
          wrapper_options(o)),
      options_(std::move(o)) {}

BinaryFocalCrossentropy::BinaryFocalCrossentropy(Options o)
    : LossFunctionWrapper(
          [o](const Tensor& t, const Tensor& p) {
            return binary_focal_crossentropy(t, p, o.apply_class_balancing, o.alpha, o.gamma, o.from_logits,
                                             o.label_smoothing, o.axis);
          },
          wrapper_options(o)),
      options_(std::move(o)) {}

CategoricalCrossentropy::CategoricalCrossentropy(Options o)
    : LossFunctionWrapper(
          [o](const Tensor& t, const Tensor& p) {
            return categorical_crossentropy(t, p, o.from_logits, o.label_smoothing, o.axis);
          },
          wrapper_options(o)),
      options_(std::move(o)) {}

CategoricalFocalCrossentropy::CategoricalFocalCrossentropy(Options o)
    : LossFunctionWrapper(
          [o](const Tensor& t, const Tensor& p) {
            return categorical_focal_crossentropy(t, p, o.alpha, o.gamma, o.from_logits, o.label_smoothing, o.axis);
          },
          wrapper_options(o)),
      options_(std::move(o)) {}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(Options o)
    : LossFunctionWrapper(
          [o](const Tensor& t, const Tensor& p) {
            return sparse_categorical_crossentropy(t, p, o.from_logits, o.ignore_class, o.axis);
          },
          wrapper_options(o)),
      options_(std::move(o)) {}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return call_with_mask(y_true, y_pred).values;
}

LossOutput SparseCategoricalCrossentropy::call_with_mask(const Tensor& y_true, const Tensor& y_pred) const {
  // As LossFunctionWrapper.call, then the mask Keras attaches to the result.
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  return sparse_categorical_crossentropy_masked(t, p, options_.from_logits, options_.ignore_class, options_.axis);
}

// ---- lookup ----------------------------------------------------------------------------------------------

namespace {

using Factory = std::shared_ptr<Loss> (*)(const std::string& identifier);

template <class L>
std::shared_ptr<Loss> make_class(const std::string&) {
  return std::make_shared<L>();
}

// A function found by name is wrapped under that name, as compile() does
// (LossFunctionWrapper(fn, name=identifier)).
template <Tensor (*Fn)(const Tensor&, const Tensor&)>
std::shared_ptr<Loss> make_function(const std::string& identifier) {
  return std::make_shared<LossFunctionWrapper>(Fn, identifier);
}

Tensor cosine_similarity_default(const Tensor& t, const Tensor& p) { return cosine_similarity(t, p); }
Tensor huber_default(const Tensor& t, const Tensor& p) { return huber(t, p); }
Tensor bce_default(const Tensor& t, const Tensor& p) { return binary_crossentropy(t, p); }
Tensor bfce_default(const Tensor& t, const Tensor& p) { return binary_focal_crossentropy(t, p); }
Tensor cce_default(const Tensor& t, const Tensor& p) { return categorical_crossentropy(t, p); }
Tensor cfce_default(const Tensor& t, const Tensor& p) { return categorical_focal_crossentropy(t, p); }
Tensor scce_default(const Tensor& t, const Tensor& p) { return sparse_categorical_crossentropy(t, p); }

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = {
      // Classes (keras.losses.ALL_OBJECTS).
      {"MeanSquaredError", make_class<MeanSquaredError>},
      {"MeanAbsoluteError", make_class<MeanAbsoluteError>},
      {"MeanAbsolutePercentageError", make_class<MeanAbsolutePercentageError>},
      {"MeanSquaredLogarithmicError", make_class<MeanSquaredLogarithmicError>},
      {"CosineSimilarity", make_class<CosineSimilarity>},
      {"Huber", make_class<Huber>},
      {"LogCosh", make_class<LogCosh>},
      {"KLDivergence", make_class<KLDivergence>},
      {"Poisson", make_class<Poisson>},
      {"Hinge", make_class<Hinge>},
      {"SquaredHinge", make_class<SquaredHinge>},
      {"CategoricalHinge", make_class<CategoricalHinge>},
      {"BinaryCrossentropy", make_class<BinaryCrossentropy>},
      {"BinaryFocalCrossentropy", make_class<BinaryFocalCrossentropy>},
      {"CategoricalCrossentropy", make_class<CategoricalCrossentropy>},
      {"CategoricalFocalCrossentropy", make_class<CategoricalFocalCrossentropy>},
      {"SparseCategoricalCrossentropy", make_class<SparseCategoricalCrossentropy>},
      // Functions, by their Python names.
      {"mean_squared_error", make_function<mean_squared_error>},
      {"mean_absolute_error", make_function<mean_absolute_error>},
      {"mean_absolute_percentage_error", make_function<mean_absolute_percentage_error>},
      {"mean_squared_logarithmic_error", make_function<mean_squared_logarithmic_error>},
      {"cosine_similarity", make_function<cosine_similarity_default>},
      {"huber", make_function<huber_default>},
      {"log_cosh", make_function<log_cosh>},
      {"kl_divergence", make_function<kl_divergence>},
      {"poisson", make_function<poisson>},
      {"hinge", make_function<hinge>},
      {"squared_hinge", make_function<squared_hinge>},
      {"categorical_hinge", make_function<categorical_hinge>},
      {"binary_crossentropy", make_function<bce_default>},
      {"binary_focal_crossentropy", make_function<bfce_default>},
      {"categorical_crossentropy", make_function<cce_default>},
      {"categorical_focal_crossentropy", make_function<cfce_default>},
      {"sparse_categorical_crossentropy", make_function<scce_default>},
      // Aliases (keras/src/losses/__init__.py ALL_OBJECTS_DICT).
      {"bce", make_function<bce_default>},
      {"BCE", make_function<bce_default>},
      {"kld", make_function<kl_divergence>},
      {"KLD", make_function<kl_divergence>},
      {"mae", make_function<mean_absolute_error>},
      {"MAE", make_function<mean_absolute_error>},
      {"mape", make_function<mean_absolute_percentage_error>},
      {"MAPE", make_function<mean_absolute_percentage_error>},
      {"mse", make_function<mean_squared_error>},
      {"MSE", make_function<mean_squared_error>},
      {"msle", make_function<mean_squared_logarithmic_error>},
      {"MSLE", make_function<mean_squared_logarithmic_error>},
  };
  return r;
}

}  // namespace

const std::vector<std::string>& valid_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, factory] : registry()) v.push_back(name);
    return v;  // std::map keeps them sorted
  }();
  return names;
}

std::shared_ptr<Loss> get(const std::string& identifier) {
  auto it = registry().find(identifier);
  if (it != registry().end()) return it->second(identifier);
  detail::throw_unknown_identifier("loss", identifier, valid_names());
}

// ---- LossArg ----------------------------------------------------------------------------------------------

LossArg::LossArg(const char* identifier) : LossArg(std::string(identifier ? identifier : "")) {}

LossArg::LossArg(const std::string& identifier) : loss_(losses::get(identifier)) {}

LossArg::LossArg(std::shared_ptr<const Loss> loss) : loss_(std::move(loss)) {}

std::shared_ptr<const Loss> LossArg::wrap(LossFn fn) { return std::make_shared<LossFunctionWrapper>(std::move(fn)); }

}  // namespace keras::losses
