// Mirrors keras/src/layers/regularization/{spatial_dropout,gaussian_noise,
// gaussian_dropout,activity_regularization}.py.
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/layers/regularization.hpp"
#include "keras/ops.hpp"
#include "utils/python_format.hpp"

namespace keras::layers {

namespace {

std::string py_float(double v) { return utils::detail::python_float_repr(v); }

nlohmann::json seed_json(const std::optional<uint64_t>& seed) {
  return seed ? nlohmann::json(*seed) : nlohmann::json(nullptr);
}

// Dropout's argument check, which the spatial dropouts inherit in Keras.
void check_rate(double rate) {
  if (!(rate >= 0.0 && rate <= 1.0))
    throw ValueError(
        "Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=" +
        py_float(rate));
}

std::string checked_data_format(const std::string& data_format) {
  std::string f = data_format;
  for (auto& ch : f) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (f != "channels_first" && f != "channels_last")
    throw ValueError(
        "The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: data_format=" +
        data_format);
  return f;
}

// The spatial dropouts' config: no `trainable`, and dtype as a plain string.
nlohmann::json spatial_config(double rate, const std::optional<uint64_t>& seed, const std::string& name, DType dt) {
  nlohmann::json c = nlohmann::json::object();
  c["rate"] = rate;
  c["seed"] = seed_json(seed);
  c["name"] = name;
  c["dtype"] = std::string(dtype_name(dt));
  return c;
}

Tensor spatial_dropout(const Tensor& x, double rate, const Shape& noise_shape, random::SeedGenerator& gen) {
  if (rate >= 1.0) return ops::zeros_like(x);
  return random::dropout(x, rate, noise_shape, random::Seed(gen));
}

}  // namespace

// ---- SpatialDropout1D ---------------------------------------------------------------------------------

SpatialDropout1DImpl::SpatialDropout1DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = true}, "spatial_dropout1d"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  check_rate(options_.rate);
  set_input_spec(InputSpec{.ndim = 3});
}

SpatialDropout1DImpl::SpatialDropout1DImpl(double rate) : SpatialDropout1DImpl(Options{.rate = rate}) {}

Tensor SpatialDropout1DImpl::call(const Tensor& inputs, bool training) {
  if (!training || options_.rate <= 0.0) return inputs;
  const Shape& s = inputs.shape();
  return spatial_dropout(inputs, options_.rate, Shape{s[0], 1, s[2]}, seed_generator_);
}

nlohmann::json SpatialDropout1DImpl::get_config() const {
  return spatial_config(options_.rate, options_.seed, name(), dtype());
}

// ---- SpatialDropout2D ---------------------------------------------------------------------------------

SpatialDropout2DImpl::SpatialDropout2DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = true}, "spatial_dropout2d"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  check_rate(options_.rate);
  options_.data_format = checked_data_format(options_.data_format);
  set_input_spec(InputSpec{.ndim = 4});
}

SpatialDropout2DImpl::SpatialDropout2DImpl(double rate) : SpatialDropout2DImpl(Options{.rate = rate}) {}

Tensor SpatialDropout2DImpl::call(const Tensor& inputs, bool training) {
  if (!training || options_.rate <= 0.0) return inputs;
  const Shape& s = inputs.shape();
  const Shape noise = options_.data_format == "channels_first" ? Shape{s[0], s[1], 1, 1} : Shape{s[0], 1, 1, s[3]};
  return spatial_dropout(inputs, options_.rate, noise, seed_generator_);
}

nlohmann::json SpatialDropout2DImpl::get_config() const {
  nlohmann::json c = spatial_config(options_.rate, options_.seed, name(), dtype());
  c["data_format"] = options_.data_format;
  return c;
}

// ---- GaussianNoise ------------------------------------------------------------------------------------

GaussianNoiseImpl::GaussianNoiseImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "gaussian_noise"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  if (!(options_.stddev >= 0.0 && options_.stddev <= 1.0))
    throw ValueError(
        "Invalid value received for argument `stddev`. Expected a float value between 0 and 1. Received: stddev=" +
        py_float(options_.stddev));
  set_built(true);
}

GaussianNoiseImpl::GaussianNoiseImpl(double stddev) : GaussianNoiseImpl(Options{.stddev = stddev}) {}

Tensor GaussianNoiseImpl::call(const Tensor& inputs, bool training) {
  if (!training || options_.stddev <= 0.0) return inputs;
  const Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  return ops::add(
      x, random::normal(
             x.shape(),
             {.mean = 0.0, .stddev = options_.stddev, .dtype = dtype(), .seed = random::Seed(seed_generator_)}));
}

nlohmann::json GaussianNoiseImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["stddev"] = options_.stddev;
  c["seed"] = seed_json(options_.seed);
  return c;
}

// ---- GaussianDropout ----------------------------------------------------------------------------------

GaussianDropoutImpl::GaussianDropoutImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "gaussian_dropout"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  if (!(options_.rate >= 0.0 && options_.rate <= 1.0))
    throw ValueError(
        "Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=" +
        py_float(options_.rate));
  set_built(true);
}

GaussianDropoutImpl::GaussianDropoutImpl(double rate) : GaussianDropoutImpl(Options{.rate = rate}) {}

Tensor GaussianDropoutImpl::call(const Tensor& inputs, bool training) {
  if (!training || options_.rate <= 0.0) return inputs;
  const Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  const double stddev = std::sqrt(options_.rate / (1.0 - options_.rate));
  return ops::multiply(
      x, random::normal(x.shape(),
                        {.mean = 1.0, .stddev = stddev, .dtype = dtype(), .seed = random::Seed(seed_generator_)}));
}

nlohmann::json GaussianDropoutImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["rate"] = options_.rate;
  c["seed"] = seed_json(options_.seed);
  return c;
}

// ---- ActivityRegularization ---------------------------------------------------------------------------

ActivityRegularizationImpl::ActivityRegularizationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "activity_regularization"),
      options_(std::move(o)) {
  // The checks of the L1L2 regularizer Keras builds from (l1, l2).
  for (auto [arg, v] : {std::pair{"l1", options_.l1}, std::pair{"l2", options_.l2}})
    if (!std::isfinite(v) || v < 0)
      throw ValueError(std::string("Invalid value for argument ") + arg +
                       ": expected a non-negative float.Received: " + arg + "=" + py_float(v));
  set_built(true);
}

Tensor ActivityRegularizationImpl::call(const Tensor& inputs, bool) {
  if (inputs.is_symbolic() || (options_.l1 == 0.0 && options_.l2 == 0.0)) return inputs;
  const Tensor x = inputs.dtype() == dtype() ? inputs : ops::cast(inputs, dtype());
  Tensor loss = ops::zeros({}, x.dtype());
  if (options_.l1 != 0.0) loss = ops::add(loss, ops::sum(ops::abs(x)) * options_.l1);
  if (options_.l2 != 0.0) loss = ops::add(loss, ops::sum(ops::square(x)) * options_.l2);
  // Keras normalizes an activity penalty by the batch size (divide_no_nan: 0 for an empty batch).
  if (x.ndim() > 0) {
    const int64_t batch = x.shape()[0];
    loss = batch > 0 ? ops::divide(loss, ops::full({}, static_cast<double>(batch), loss.dtype()))
                     : ops::zeros({}, loss.dtype());
  }
  add_loss(loss);
  return inputs;
}

nlohmann::json ActivityRegularizationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["l1"] = options_.l1;
  c["l2"] = options_.l2;
  return c;
}

}  // namespace keras::layers
