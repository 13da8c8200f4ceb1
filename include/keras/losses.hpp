#pragma once
/// keras::losses: Keras 3's losses (keras.losses), as classes and as plain functions.
///
/// Example:
///   using namespace keras;
///   losses::CategoricalCrossentropy cce({.from_logits = true, .label_smoothing = 0.1});
///   Tensor loss = cce(y_true, logits);                 // a scalar: "sum_over_batch_size"
///   Tensor per_sample = losses::mean_squared_error(y_true, y_pred);   // shape = batch dims
///   auto mse = losses::get("mse");                     // string lookup, as keras.losses.get
///   losses::LossArg arg = "sparse_categorical_crossentropy";      // what compile() takes
///
/// A loss call runs `call` (one value per sample: the input shape without its
/// last axis), multiplies by `sample_weight` (and by a mask, such as the one
/// `ignore_class` makes) and reduces:
///   "sum_over_batch_size" (default) and "mean": sum / number of loss values;
///   "sum": the sum; "mean_with_sample_weight": sum / sum of the sample weights;
///   "none": the weighted per-sample values.
/// y_true and y_pred are cast to the loss's dtype first (float32 unless the
/// options say otherwise, as Keras' floatx()). Everything is built from
/// keras::ops, so losses differentiate under a GradientTape and trace.
#include <concepts>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::losses {

// ---- plain functions ----------------------------------------------------------------------------------
// Each returns the unreduced loss: one value per sample, usually y_pred's shape
// without its last axis. y_true is cast to y_pred's dtype.

/// mean(square(y_true - y_pred), axis=-1).
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
/// mean(abs(y_true - y_pred), axis=-1).
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
/// 100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1).
Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred);
/// mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1).
Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred);
/// -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 when they point the same way.
Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int64_t axis = -1);
/// mean(0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2, axis=-1), e = y_pred - y_true.
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);
/// mean(log(cosh(y_pred - y_true)), axis=-1), computed without overflow.
Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred);
/// sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1].
Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred);
/// mean(y_pred - y_true * log(y_pred + epsilon), axis=-1).
Tensor poisson(const Tensor& y_true, const Tensor& y_pred);
/// mean(maximum(1 - y_true * y_pred, 0), axis=-1); labels all in {0, 1} become {-1, 1}.
Tensor hinge(const Tensor& y_true, const Tensor& y_pred);
/// mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1); labels all in {0, 1} become {-1, 1}.
Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred);
/// maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis.
Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred);
/// Binary crossentropy averaged over `axis`. y_true and y_pred must have the
/// same shape. label_smoothing squeezes the labels towards 0.5.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0, int64_t axis = -1);
/// Focal binary crossentropy (Lin et al., 2018): BCE times (1 - p_t)^gamma,
/// times alpha (class 1) or 1 - alpha (class 0) when apply_class_balancing.
Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing = false,
                                 double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                 double label_smoothing = 0.0, int64_t axis = -1);
/// Crossentropy between one-hot (or soft) labels and predictions along `axis`.
/// label_smoothing s turns the labels into y (1 - s) + s / num_classes.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                double label_smoothing = 0.0, int64_t axis = -1);
/// Focal categorical crossentropy: sum(alpha (1 - p)^gamma * -y_true log(p), axis).
Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha = 0.25,
                                      double gamma = 2.0, bool from_logits = false, double label_smoothing = 0.0,
                                      int64_t axis = -1);
/// Crossentropy with integer labels (int or float tensors; floats are truncated
/// as Keras casts them to int32). y_true has y_pred's shape without `axis`, or
/// with a size-1 axis there. Labels equal to ignore_class give 0 (and are left
/// out of a loss object's average).
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                       std::optional<int64_t> ignore_class = std::nullopt, int64_t axis = -1);

// ---- reduction helpers (keras/src/losses/loss.py) -------------------------------------------------------

/// Validates a reduction name: "sum_over_batch_size", "sum", "mean",
/// "mean_with_sample_weight" or "none"; throws keras::ValueError otherwise.
std::string standardize_reduction(const std::string& reduction);

/// When the ranks differ by exactly one and the longer has a last axis of 1,
/// squeezes it away, or (when the shorter is 1-D and expand_rank_1) expands
/// the shorter instead. Otherwise returns both unchanged.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1 = true);

/// Sums `values` and divides as `reduction` says. A 0-d or empty 1-D `values`
/// is returned as is, as Keras does.
Tensor reduce_values(const Tensor& values, const Tensor& sample_weight = Tensor(),
                     const std::string& reduction = "sum_over_batch_size");

/// Merges `mask` into `sample_weight` (for "sum_over_batch_size" and "mean"
/// masked-out values also leave the divisor), weights `values` and reduces.
Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight = Tensor(),
                              const Tensor& mask = Tensor(), const std::string& reduction = "sum_over_batch_size",
                              std::optional<DType> dtype = std::nullopt);

// ---- Loss ----------------------------------------------------------------------------------------------

/// Options of the Loss base class, for user-defined losses.
struct LossOptions {
  /// The loss's name; "loss" when empty.
  std::string name{};
  /// "sum_over_batch_size", "sum", "mean", "mean_with_sample_weight" or "none".
  std::string reduction = "sum_over_batch_size";
  /// Dtype of the computation; y_true and y_pred are cast to it. Default float32 (Keras' floatx()).
  std::optional<DType> dtype{};
};

/// What a loss computes before reduction: per-sample values and, optionally,
/// which of them count (Keras attaches this mask to the tensor as _keras_mask).
struct LossOutput {
  Tensor values{};
  Tensor mask{};
};

/// The base of every loss. Subclasses implement `call`.
///
/// Example (a user loss):
///   struct MyLoss : keras::losses::Loss {
///     MyLoss() : Loss({.name = "my_loss"}) {}
///     Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
///       return ops::mean(ops::square(y_pred - y_true), -1);
///     }
///   };
class Loss {
 public:
  explicit Loss(LossOptions options = {});
  virtual ~Loss() = default;
  Loss(const Loss&) = default;
  Loss& operator=(const Loss&) = default;
  Loss(Loss&&) = default;
  Loss& operator=(Loss&&) = default;

  /// Casts both inputs to dtype(), runs call_with_mask, then weights and
  /// reduces. `mask` is a mask on y_pred (Keras reads it from
  /// y_pred._keras_mask, as a Masking layer sets it); it is combined with
  /// the one the loss makes.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor(),
                    const Tensor& mask = Tensor()) const;

  /// The unreduced loss: one value per sample.
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  /// call() plus the mask of the values that count; losses that mask (such
  /// as SparseCategoricalCrossentropy with ignore_class) override this.
  virtual LossOutput call_with_mask(const Tensor& y_true, const Tensor& y_pred) const;
  /// The Keras class name ("MeanSquaredError"); "Loss" unless overridden.
  virtual std::string class_name() const { return "Loss"; }
  /// The constructor arguments as Keras' get_config() names them (include <nlohmann/json.hpp> to
  /// read it). Built-in classes report their options; a user class overrides this so that
  /// files can record it (see keras/saving.hpp).
  virtual nlohmann::json get_config() const;

  const std::string& name() const { return name_; }
  const std::string& reduction() const { return reduction_; }
  DType dtype() const { return dtype_; }

 private:
  std::string name_;
  std::string reduction_;
  DType dtype_;
};

/// The options every loss class shares, last in each options struct.
template <class T>
concept LossOptionsLike = requires(const T& o) {
  { o.reduction } -> std::convertible_to<std::string>;
  { o.name } -> std::convertible_to<std::string>;
  { o.dtype } -> std::convertible_to<std::optional<DType>>;
};

/// A loss function of (y_true, y_pred) returning per-sample values.
using LossFn = std::function<Tensor(const Tensor&, const Tensor&)>;

struct LossFunctionWrapperOptions {
  std::string reduction = "sum_over_batch_size";
  /// "loss_function_wrapper" when empty (Keras' auto_name for the class).
  std::string name{};
  std::optional<DType> dtype{};
};
static_assert(LossOptionsLike<LossFunctionWrapperOptions>);

/// A Loss made from a function; y_true and y_pred go through
/// squeeze_or_expand_to_same_rank before it is called.
///
/// Example:
///   LossFunctionWrapper l([](const Tensor& t, const Tensor& p) { return ops::mean(ops::abs(p - t), -1); }, "l1");
class LossFunctionWrapper : public Loss {
 public:
  explicit LossFunctionWrapper(LossFn fn, LossFunctionWrapperOptions options = {});
  LossFunctionWrapper(LossFn fn, const std::string& name);
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "LossFunctionWrapper"; }
  const LossFn& fn() const { return fn_; }

 private:
  LossFn fn_;
};

// ---- the loss classes ------------------------------------------------------------------------------------
// Each options struct holds the Keras constructor's arguments with Keras'
// defaults; `reduction`, `name` and `dtype` come last.

struct MeanSquaredErrorOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "mean_squared_error";
  std::optional<DType> dtype{};
};
/// mean(square(y_true - y_pred)).
class MeanSquaredError : public LossFunctionWrapper {
 public:
  using Options = MeanSquaredErrorOptions;
  explicit MeanSquaredError(Options options = {});
  std::string class_name() const override { return "MeanSquaredError"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct MeanAbsoluteErrorOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "mean_absolute_error";
  std::optional<DType> dtype{};
};
/// mean(abs(y_true - y_pred)).
class MeanAbsoluteError : public LossFunctionWrapper {
 public:
  using Options = MeanAbsoluteErrorOptions;
  explicit MeanAbsoluteError(Options options = {});
  std::string class_name() const override { return "MeanAbsoluteError"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct MeanAbsolutePercentageErrorOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "mean_absolute_percentage_error";
  std::optional<DType> dtype{};
};
/// 100 * mean(abs((y_true - y_pred) / y_true)).
class MeanAbsolutePercentageError : public LossFunctionWrapper {
 public:
  using Options = MeanAbsolutePercentageErrorOptions;
  explicit MeanAbsolutePercentageError(Options options = {});
  std::string class_name() const override { return "MeanAbsolutePercentageError"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct MeanSquaredLogarithmicErrorOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "mean_squared_logarithmic_error";
  std::optional<DType> dtype{};
};
/// mean(square(log(y_true + 1) - log(y_pred + 1))).
class MeanSquaredLogarithmicError : public LossFunctionWrapper {
 public:
  using Options = MeanSquaredLogarithmicErrorOptions;
  explicit MeanSquaredLogarithmicError(Options options = {});
  std::string class_name() const override { return "MeanSquaredLogarithmicError"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CosineSimilarityOptions {
  /// The axis along which the similarity is computed (the features axis).
  int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name = "cosine_similarity";
  std::optional<DType> dtype{};
};
/// -sum(l2_norm(y_true) * l2_norm(y_pred)): between -1 (same direction) and 1.
class CosineSimilarity : public LossFunctionWrapper {
 public:
  using Options = CosineSimilarityOptions;
  explicit CosineSimilarity(Options options = {});
  std::string class_name() const override { return "CosineSimilarity"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct HuberOptions {
  /// Where the loss changes from quadratic to linear.
  double delta = 1.0;
  std::string reduction = "sum_over_batch_size";
  std::string name = "huber_loss";
  std::optional<DType> dtype{};
};
/// Quadratic for errors up to delta, linear beyond.
class Huber : public LossFunctionWrapper {
 public:
  using Options = HuberOptions;
  explicit Huber(Options options = {});
  std::string class_name() const override { return "Huber"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct LogCoshOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "log_cosh";
  std::optional<DType> dtype{};
};
/// mean(log(cosh(y_pred - y_true))).
class LogCosh : public LossFunctionWrapper {
 public:
  using Options = LogCoshOptions;
  explicit LogCosh(Options options = {});
  std::string class_name() const override { return "LogCosh"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct KLDivergenceOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "kl_divergence";
  std::optional<DType> dtype{};
};
/// y_true * log(y_true / y_pred), summed over the last axis.
class KLDivergence : public LossFunctionWrapper {
 public:
  using Options = KLDivergenceOptions;
  explicit KLDivergence(Options options = {});
  std::string class_name() const override { return "KLDivergence"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct PoissonOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "poisson";
  std::optional<DType> dtype{};
};
/// y_pred - y_true * log(y_pred).
class Poisson : public LossFunctionWrapper {
 public:
  using Options = PoissonOptions;
  explicit Poisson(Options options = {});
  std::string class_name() const override { return "Poisson"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct HingeOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "hinge";
  std::optional<DType> dtype{};
};
/// maximum(1 - y_true * y_pred, 0); labels are -1/1 (0/1 are converted).
class Hinge : public LossFunctionWrapper {
 public:
  using Options = HingeOptions;
  explicit Hinge(Options options = {});
  std::string class_name() const override { return "Hinge"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct SquaredHingeOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "squared_hinge";
  std::optional<DType> dtype{};
};
/// square(maximum(1 - y_true * y_pred, 0)); labels are -1/1 (0/1 are converted).
class SquaredHinge : public LossFunctionWrapper {
 public:
  using Options = SquaredHingeOptions;
  explicit SquaredHinge(Options options = {});
  std::string class_name() const override { return "SquaredHinge"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CategoricalHingeOptions {
  std::string reduction = "sum_over_batch_size";
  std::string name = "categorical_hinge";
  std::optional<DType> dtype{};
};
/// maximum(neg - pos + 1, 0) with pos = sum(y_true * y_pred), neg = max((1 - y_true) * y_pred).
class CategoricalHinge : public LossFunctionWrapper {
 public:
  using Options = CategoricalHingeOptions;
  explicit CategoricalHinge(Options options = {});
  std::string class_name() const override { return "CategoricalHinge"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct BinaryCrossentropyOptions {
  /// y_pred holds logits (any real) instead of probabilities in [0, 1].
  bool from_logits = false;
  /// In [0, 1]: labels become y (1 - s) + 0.5 s.
  double label_smoothing = 0.0;
  /// The axis the crossentropy is averaged over.
  int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name = "binary_crossentropy";
  std::optional<DType> dtype{};
};
/// Crossentropy for 0/1 labels.
class BinaryCrossentropy : public LossFunctionWrapper {
 public:
  using Options = BinaryCrossentropyOptions;
  explicit BinaryCrossentropy(Options options = {});
  std::string class_name() const override { return "BinaryCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct BinaryFocalCrossentropyOptions {
  /// Weight class 1 by alpha and class 0 by 1 - alpha.
  bool apply_class_balancing = false;
  double alpha = 0.25;
  /// The focusing parameter: the focal factor is (1 - p_t)^gamma.
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name = "binary_focal_crossentropy";
  std::optional<DType> dtype{};
};
/// Binary crossentropy that down-weights easy examples (Lin et al., 2018).
class BinaryFocalCrossentropy : public LossFunctionWrapper {
 public:
  using Options = BinaryFocalCrossentropyOptions;
  explicit BinaryFocalCrossentropy(Options options = {});
  std::string class_name() const override { return "BinaryFocalCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CategoricalCrossentropyOptions {
  /// y_pred holds logits instead of a probability distribution.
  bool from_logits = false;
  /// In [0, 1]: labels become y (1 - s) + s / num_classes.
  double label_smoothing = 0.0;
  /// The class axis.
  int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name = "categorical_crossentropy";
  std::optional<DType> dtype{};
};
/// Crossentropy for one-hot labels.
class CategoricalCrossentropy : public LossFunctionWrapper {
 public:
  using Options = CategoricalCrossentropyOptions;
  explicit CategoricalCrossentropy(Options options = {});
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct CategoricalFocalCrossentropyOptions {
  /// Weight of every class (Keras also accepts a per-class list; not yet here).
  double alpha = 0.25;
  double gamma = 2.0;
  bool from_logits = false;
  double label_smoothing = 0.0;
  int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name = "categorical_focal_crossentropy";
  std::optional<DType> dtype{};
};
/// Categorical crossentropy that down-weights easy examples.
class CategoricalFocalCrossentropy : public LossFunctionWrapper {
 public:
  using Options = CategoricalFocalCrossentropyOptions;
  explicit CategoricalFocalCrossentropy(Options options = {});
  std::string class_name() const override { return "CategoricalFocalCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

struct SparseCategoricalCrossentropyOptions {
  /// y_pred holds logits instead of a probability distribution.
  bool from_logits = false;
  /// A label value to leave out (for example a "void" class such as -1 or
  /// 255): it gives a loss of 0 and does not count in the average.
  std::optional<int64_t> ignore_class{};
  /// The class axis of y_pred.
  int64_t axis = -1;
  std::string reduction = "sum_over_batch_size";
  std::string name = "sparse_categorical_crossentropy";
  std::optional<DType> dtype{};
};
/// Crossentropy for integer labels.
class SparseCategoricalCrossentropy : public LossFunctionWrapper {
 public:
  using Options = SparseCategoricalCrossentropyOptions;
  explicit SparseCategoricalCrossentropy(Options options = {});
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  LossOutput call_with_mask(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  const Options& options() const { return options_; }

 private:
  Options options_;
};

// ---- lookup ----------------------------------------------------------------------------------------------

/// A loss by name, as keras.losses.get plus compile()'s wrapping: a class name
/// ("CategoricalCrossentropy") gives that class with default options; a
/// function name ("categorical_crossentropy", "huber", "log_cosh") or an alias
/// (bce, kld, mae, mape, mse, msle and their upper-case forms) gives a
/// LossFunctionWrapper named `identifier`. Unknown names throw keras::ValueError
/// listing the valid ones.
std::shared_ptr<Loss> get(const std::string& identifier);

/// Every name get() accepts, sorted.
const std::vector<std::string>& valid_names();

/// A Loss subclass object (any value category).
template <class T>
concept LossObject = std::derived_from<std::remove_cvref_t<T>, Loss>;
/// A function of (y_true, y_pred) returning a Tensor. A Loss is callable that
/// way too; it counts as a LossObject, not as a function to wrap.
template <class T>
concept LossCallable = !LossObject<T> && std::is_invocable_r_v<Tensor, T&, const Tensor&, const Tensor&>;

/// What compile() takes as a loss: a name, a Loss object (copied), a shared
/// Loss, or a function of (y_true, y_pred).
///
/// Example:
///   LossArg a = "mse";
///   LossArg b = losses::Huber({.delta = 0.5});
///   LossArg c = [](const Tensor& t, const Tensor& p) { return ops::mean(ops::abs(p - t), -1); };
class LossArg {
 public:
  /// No loss.
  LossArg() = default;
  LossArg(const char* identifier);            // NOLINT: implicit, as Keras takes a string
  LossArg(const std::string& identifier);     // NOLINT
  LossArg(std::shared_ptr<const Loss> loss);  // NOLINT
  /// A Loss object: stored as a copy.
  template <LossObject L>
  LossArg(L&& loss)  // NOLINT
      : loss_(std::make_shared<std::remove_cvref_t<L>>(std::forward<L>(loss))) {}
  /// A function, lambda or LossFn of (y_true, y_pred): wrapped in a LossFunctionWrapper.
  template <LossCallable F>
  LossArg(F&& fn)  // NOLINT
      : loss_(wrap(LossFn(std::forward<F>(fn)))) {}

  /// The loss; null for a default-constructed LossArg.
  std::shared_ptr<const Loss> get() const { return loss_; }
  explicit operator bool() const { return loss_ != nullptr; }

 private:
  static std::shared_ptr<const Loss> wrap(LossFn fn);
  std::shared_ptr<const Loss> loss_;
};

}  // namespace keras::losses
