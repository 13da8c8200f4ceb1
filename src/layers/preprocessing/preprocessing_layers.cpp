// Mirrors keras/src/layers/preprocessing/{normalization,category_encoding}.py and
// keras/src/layers/preprocessing/image_preprocessing/{random_flip,random_crop}.py.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "keras/data/dataset.hpp"
#include "keras/layers/preprocessing.hpp"
#include "keras/ops.hpp"
#include "utils/python_format.hpp"

namespace keras::layers {

namespace {

std::string py_float(double v) { return utils::detail::python_float_repr(v); }

// Python's repr of a tuple of ints: "()", "(-1,)", "(1, 2)".
std::string py_int_tuple(const std::vector<int>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() == 1) s += ",";
  return s + ")";
}

// A tensor's values as doubles; a float32 value becomes the double of its shortest decimal form
// (0.1f -> 0.1), so that configs read as the numbers the user wrote.
std::vector<double> config_values(const Tensor& t) {
  if (t.dtype() != DType::float32) return t.to_vector<double>();
  std::vector<double> out;
  for (float f : t.to_vector<float>()) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, f);
    double d = 0.0;
    std::from_chars(buf, res.ptr, d);
    out.push_back(std::isfinite(f) ? d : static_cast<double>(f));
  }
  return out;
}

// np.array(t).tolist(): a number for a 0-d tensor, nested lists otherwise.
nlohmann::json tensor_json(const Tensor& t) {
  const std::vector<double> v = config_values(t);
  const Shape& s = t.shape();
  if (s.rank() == 0) return v.at(0);
  size_t pos = 0;
  auto rec = [&](auto&& self, int axis) -> nlohmann::json {
    nlohmann::json a = nlohmann::json::array();
    for (int64_t i = 0; i < s[axis]; ++i)
      a.push_back(axis + 1 == s.rank() ? nlohmann::json(v[pos++]) : self(self, axis + 1));
    return a;
  };
  return rec(rec, 0);
}

// A short Python-like text of a tensor for error messages: a float for one element, else a list.
std::string tensor_repr(const Tensor& t) {
  if (t.size() == 1 && t.ndim() == 0) return py_float(config_values(t)[0]);
  return tensor_json(t).dump();
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

nlohmann::json seed_json(const std::optional<uint64_t>& seed) {
  return seed ? nlohmann::json(*seed) : nlohmann::json(nullptr);
}

Tensor as_dtype(const Tensor& x, DType dt) { return x.dtype() == dt ? x : ops::cast(x, dt); }

// The images' rank must be 3 (one image) or 4 (a batch), as BaseImagePreprocessingLayer checks.
void check_image_rank(const Shape& s) {
  if (s.rank() != 3 && s.rank() != 4)
    throw ValueError(
        "Expected image tensor to have rank 3 (single image) or rank 4 (batch of images). Received: data.shape=" +
        s.str());
}

// Non-negative (height, width) axes of an image tensor of rank 3 or 4.
std::pair<int, int> image_axes(int rank, const std::string& data_format) {
  return data_format == "channels_last" ? std::pair{rank - 3, rank - 2} : std::pair{rank - 2, rank - 1};
}

// Resizes one axis to `out` by linear interpolation with half-pixel centres and edges clamped, no
// antialiasing: jax.image.resize(method="bilinear", antialias=False) along that axis (Keras'
// backend image.resize default). Differentiable (two gathers and a weighted sum).
Tensor resize_axis(const Tensor& x, int axis, int64_t out) {
  const int64_t in = x.shape()[axis];
  if (in == out) return x;
  std::vector<int64_t> i0(static_cast<size_t>(out)), i1(static_cast<size_t>(out));
  std::vector<double> w0(static_cast<size_t>(out)), w1(static_cast<size_t>(out));
  const double inv_scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t i = 0; i < out; ++i) {
    double pos = (static_cast<double>(i) + 0.5) * inv_scale - 0.5;
    pos = std::clamp(pos, 0.0, static_cast<double>(in - 1));
    const auto lo = static_cast<int64_t>(std::floor(pos));
    const double frac = pos - static_cast<double>(lo);
    const auto k = static_cast<size_t>(i);
    i0[k] = lo;
    i1[k] = std::min(lo + 1, in - 1);
    w0[k] = 1.0 - frac;
    w1[k] = frac;
  }
  Shape wshape;
  for (int d = 0; d < x.ndim(); ++d) wshape.push_back(d == axis ? out : 1);
  const Tensor a = ops::take(x, Tensor(i0), axis);
  const Tensor b = ops::take(x, Tensor(i1), axis);
  return a * as_dtype(Tensor(w0, wshape), x.dtype()) + b * as_dtype(Tensor(w1, wshape), x.dtype());
}

// Rows [h0, h0 + h) and columns [w0, w0 + w) of the images, clipped to their size (Python slicing).
Tensor crop_window(const Tensor& x, int h_axis, int w_axis, int64_t h0, int64_t w0, int64_t h, int64_t w) {
  std::vector<int64_t> start(static_cast<size_t>(x.ndim()), 0);
  Shape size = x.shape();
  start[static_cast<size_t>(h_axis)] = h0;
  start[static_cast<size_t>(w_axis)] = w0;
  size[h_axis] = std::min(h, x.shape()[h_axis] - h0);
  size[w_axis] = std::min(w, x.shape()[w_axis] - w0);
  return ops::slice(x, start, size);
}

// Keras' "centred box of the target aspect ratio": (crop_height, crop_width, h_start, w_start).
struct AspectBox {
  int64_t height, width, h_start, w_start;
};
AspectBox aspect_box(int64_t in_h, int64_t in_w, int64_t h, int64_t w) {
  int64_t ch = static_cast<int64_t>(static_cast<double>(in_w * h) / static_cast<double>(w));
  ch = std::max<int64_t>(std::min(in_h, ch), 1);
  int64_t cw = static_cast<int64_t>(static_cast<double>(in_h * w) / static_cast<double>(h));
  cw = std::max<int64_t>(std::min(in_w, cw), 1);
  return {ch, cw, static_cast<int64_t>(static_cast<double>(in_h - ch) / 2.0),
          static_cast<int64_t>(static_cast<double>(in_w - cw) / 2.0)};
}

}  // namespace

// ---- Normalization ------------------------------------------------------------------------------------

NormalizationImpl::NormalizationImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "normalization"), options_(std::move(o)) {
  const bool has_mean = options_.mean.has_value() && options_.mean->defined();
  const bool has_var = options_.variance.has_value() && options_.variance->defined();
  if (has_mean != has_var)
    throw ValueError("When setting values directly, both `mean` and `variance` must be set. Received: mean=" +
                     (has_mean ? tensor_repr(*options_.mean) : std::string("None")) +
                     " and variance=" + (has_var ? tensor_repr(*options_.variance) : std::string("None")));
  if (!has_mean) {
    options_.mean.reset();
    options_.variance.reset();
    return;
  }
  if (options_.mean->shape() != options_.variance->shape())
    throw ValueError(
        "When setting values directly, `mean` and `variance` must have the same shape. Received: mean shape " +
        options_.mean->shape().str() + " and variance shape " + options_.variance->shape().str());
  if (options_.mean->ndim() > static_cast<int>(options_.axis.size()))
    throw ValueError("The rank of `mean` must be less than or equal to the number of axes (" +
                     std::to_string(options_.axis.size()) + "). Received: mean shape " + options_.mean->shape().str() +
                     " for axis " + py_int_tuple(options_.axis));
}

void NormalizationImpl::build(const Shape& input_shape) {
  const int ndim = input_shape.rank();
  for (int a : options_.axis)
    if (a < -ndim || a >= ndim)
      throw ValueError("All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=" +
                       std::to_string(ndim) + ", while axis=" + py_int_tuple(options_.axis));
  keep_axes_.clear();
  for (int a : options_.axis) keep_axes_.push_back(a < 0 ? a + ndim : a);
  std::sort(keep_axes_.begin(), keep_axes_.end());
  keep_axes_.erase(std::unique(keep_axes_.begin(), keep_axes_.end()), keep_axes_.end());
  for (int64_t d : keep_axes_)
    if (input_shape[static_cast<int>(d)] < 0)
      throw ValueError(
          "All `axis` values to be kept must have a known shape. Received axis=" + py_int_tuple(options_.axis) +
          ", inputs.shape=" + input_shape.str() + ", with unknown axis at index " + std::to_string(d));
  reduce_axes_.clear();
  broadcast_shape_ = Shape{};
  stats_shape_ = Shape{};
  for (int d = 0; d < ndim; ++d) {
    const bool kept = std::find(keep_axes_.begin(), keep_axes_.end(), d) != keep_axes_.end();
    if (!kept) reduce_axes_.push_back(d);
    broadcast_shape_.push_back(kept ? input_shape[d] : 1);
    if (kept) stats_shape_.push_back(input_shape[d]);
  }
  if (!options_.mean) {
    adapt_mean_ = add_weight({.name = "mean", .shape = stats_shape_, .initializer = "zeros", .trainable = false});
    adapt_variance_ =
        add_weight({.name = "variance", .shape = stats_shape_, .initializer = "ones", .trainable = false});
    count_ = add_weight(
        {.name = "count", .shape = Shape{}, .initializer = "zeros", .dtype = DType::int32, .trainable = false});
    return;
  }
  // Fixed statistics: a scalar broadcasts everywhere; otherwise the value's axes go to the kept axes,
  // aligned from the right.
  auto expand = [&](const Tensor& value) {
    Tensor v = as_dtype(value, dtype());
    if (v.ndim() > 0) {
      Shape expanded;
      for (int d = 0; d < ndim; ++d) expanded.push_back(1);
      for (int i = 1; i <= v.ndim(); ++i)
        expanded[static_cast<int>(keep_axes_[keep_axes_.size() - static_cast<size_t>(i)])] = v.shape()[v.ndim() - i];
      v = ops::reshape(v, expanded);
    }
    return ops::broadcast_to(v, broadcast_shape_);
  };
  fixed_mean_ = expand(*options_.mean);
  fixed_variance_ = expand(*options_.variance);
}

Tensor NormalizationImpl::mean() const {
  if (!built()) throw ValueError("Normalization layer '" + name() + "' is not built: call adapt() or the layer first");
  return options_.mean ? fixed_mean_ : ops::reshape(adapt_mean_.value(), broadcast_shape_);
}

Tensor NormalizationImpl::variance() const {
  if (!built()) throw ValueError("Normalization layer '" + name() + "' is not built: call adapt() or the layer first");
  return options_.mean ? fixed_variance_ : ops::reshape(adapt_variance_.value(), broadcast_shape_);
}

Tensor NormalizationImpl::call(const Tensor& inputs, bool) {
  const Tensor x = as_dtype(inputs, dtype());
  const Tensor scale = ops::maximum(ops::sqrt(variance()), ops::full({}, 1e-7, dtype()));  // backend.epsilon()
  if (options_.invert) return ops::add(mean(), ops::multiply(x, scale));
  return ops::divide(ops::subtract(x, mean()), scale);
}

void NormalizationImpl::check_kept_dims(const Shape& shape, bool from_dataset) const {
  // Only the kept axes are compared, as Keras does.
  const Shape& built_shape = *build_input_shape();
  bool ok = true;
  for (int64_t d : keep_axes_) {
    if (d >= shape.rank()) {
      ok = false;
      break;
    }
    const int64_t got = shape[static_cast<int>(d)], want = built_shape[static_cast<int>(d)];
    ok = ok && (got == want || (from_dataset && (got < 0 || want < 0)));
  }
  if (ok) return;
  if (from_dataset)
    throw ValueError("adapt() yielded a batch with incompatible shape. Expected " + built_shape.str() + ", got " +
                     shape.str() + ".");
  throw ValueError("The layer was built with input_shape=" + built_shape.str() +
                   ", but adapt() is being called with data with an incompatible shape, data.shape=" + shape.str());
}

void NormalizationImpl::adapt(const Tensor& data) {
  if (options_.mean)
    throw ValueError("adapt() cannot be used on a Normalization layer given fixed `mean` and `variance` (layer '" +
                     name() + "')");
  if (!data.defined() || data.is_symbolic())
    throw ValueError("adapt() needs concrete data; received " +
                     std::string(data.defined() ? "a symbolic tensor" : "an undefined tensor"));
  if (!built())
    maybe_build(data.shape());
  else
    check_kept_dims(data.shape(), false);
  const Tensor x = ops::cast(data, DType::float64);
  Tensor m = x, v = ops::zeros(x.shape(), DType::float64);
  if (!reduce_axes_.empty()) {
    m = ops::mean(x, Axes(reduce_axes_));
    v = ops::var(x, Axes(reduce_axes_));
  }
  adapt_mean_.assign(ops::reshape(m, stats_shape_));
  adapt_variance_.assign(ops::reshape(v, stats_shape_));
}

void NormalizationImpl::adapt(const data::Dataset& data) {
  if (options_.mean)
    throw ValueError("adapt() cannot be used on a Normalization layer given fixed `mean` and `variance` (layer '" +
                     name() + "')");
  if (data.cardinality() == data::kInfiniteCardinality)
    throw ValueError("adapt() received an infinite dataset (repeat() without a count): it must be finite");
  data::Dataset ds = data;
  auto it = ds.make_iterator();
  std::optional<data::Element> first = it.next();
  auto empty_error = [] {
    return ValueError(
        "adapt() received an empty iterable (no batches). Expected at least one batch. Pass a non-empty iterable "
        "of arrays or tensors, e.g. layer.adapt([x]) or layer.adapt(list_of_batches).");
  };
  if (!first) throw empty_error();
  if (first->empty()) throw ValueError("adapt() received a dataset element with no components");
  if ((*first)[0].ndim() == 1) {  // unbatched vectors: Keras batches a tf.data.Dataset of them by 128
    ds = data.batch(128);
    it = ds.make_iterator();
    first = it.next();
    if (!first) throw empty_error();
  }
  Shape input_shape = (*first)[0].shape();
  if (input_shape.rank() > 0) input_shape[0] = -1;  // the batch size of a dataset is not known
  if (!built())
    maybe_build(input_shape);
  else
    check_kept_dims(input_shape, true);

  const auto n = static_cast<size_t>(stats_shape_.numel());
  std::vector<double> total_mean(n, 0.0), total_var(n, 0.0);
  int64_t total_count = 0;
  auto accumulate = [&](const data::Element& element) {
    if (element.empty()) throw ValueError("adapt() received a dataset element with no components");
    // Keras converts each batch to the layer's compute dtype first.
    const Tensor batch = ops::cast(as_dtype(element[0], dtype()), DType::float64);
    check_kept_dims(batch.shape(), true);
    int64_t batch_count = 1;
    for (int64_t d : reduce_axes_) batch_count *= batch.shape()[static_cast<int>(d)];
    if (batch_count == 0) return;
    std::vector<double> bm, bv;
    if (reduce_axes_.empty()) {
      bm = batch.to_vector<double>();
      bv.assign(n, 0.0);
    } else {
      bm = ops::mean(batch, Axes(reduce_axes_)).to_vector<double>();
      bv = ops::var(batch, Axes(reduce_axes_)).to_vector<double>();
    }
    total_count += batch_count;
    const double batch_weight = static_cast<double>(batch_count) / static_cast<double>(total_count);
    const double existing_weight = 1.0 - batch_weight;
    for (size_t i = 0; i < n; ++i) {
      const double new_mean = total_mean[i] * existing_weight + bm[i] * batch_weight;
      // The lack-of-fit sum of squares update Keras uses.
      const double dm_old = total_mean[i] - new_mean, dm_batch = bm[i] - new_mean;
      total_var[i] = (total_var[i] + dm_old * dm_old) * existing_weight + (bv[i] + dm_batch * dm_batch) * batch_weight;
      total_mean[i] = new_mean;
    }
  };
  accumulate(*first);
  while (auto e = it.next()) accumulate(*e);
  adapt_mean_.assign(Tensor(total_mean, stats_shape_));
  adapt_variance_.assign(Tensor(total_var, stats_shape_));
}

nlohmann::json NormalizationImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = options_.axis;
  c["invert"] = options_.invert;
  c["mean"] = options_.mean ? tensor_json(*options_.mean) : nlohmann::json(nullptr);
  c["variance"] = options_.variance ? tensor_json(*options_.variance) : nlohmann::json(nullptr);
  return c;
}

// ---- RandomFlip ---------------------------------------------------------------------------------------

RandomFlipImpl::RandomFlipImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "random_flip"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  // Keras 3 accepts any mode (and then never flips); Keras 2's check is kept.
  if (options_.mode != "horizontal" && options_.mode != "vertical" && options_.mode != "horizontal_and_vertical")
    throw ValueError("RandomFlip layer " + name() + " received an unknown mode argument " + options_.mode +
                     " (expected \"horizontal\", \"vertical\" or \"horizontal_and_vertical\")");
  options_.data_format = checked_data_format(options_.data_format);
  set_built(true);
}

RandomFlipImpl::RandomFlipImpl(std::string mode) : RandomFlipImpl(Options{.mode = std::move(mode)}) {}

Tensor RandomFlipImpl::call(const Tensor& inputs, bool training) {
  check_image_rank(inputs.shape());
  const Tensor x = as_dtype(inputs, dtype());
  if (!training || x.is_symbolic()) return x;
  const int rank = x.ndim();
  const Shape flips_shape = rank == 3 ? Shape{1, 1, 1} : Shape{x.shape()[0], 1, 1, 1};
  // One draw per image: flipped when uniform <= 0.5, for both axes in "horizontal_and_vertical".
  const Tensor flips = ops::less_equal(random::uniform(flips_shape, {.seed = random::Seed(seed_generator_)}),
                                       ops::full({}, 0.5, DType::float32));
  const auto [h_axis, w_axis] = image_axes(rank, options_.data_format);
  Tensor y = x;
  if (options_.mode != "vertical") y = ops::where(flips, ops::flip(y, w_axis), y);
  if (options_.mode != "horizontal") y = ops::where(flips, ops::flip(y, h_axis), y);
  return y;
}

nlohmann::json RandomFlipImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = options_.data_format;
  c["seed"] = seed_json(options_.seed);
  c["mode"] = options_.mode;
  return c;
}

// ---- RandomCrop ---------------------------------------------------------------------------------------

RandomCropImpl::RandomCropImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "random_crop"),
      options_(std::move(o)),
      seed_generator_(options_.seed) {
  if (options_.height <= 0 || options_.width <= 0)
    throw ValueError("RandomCrop: `height` and `width` must be positive integers. Received: height=" +
                     std::to_string(options_.height) + ", width=" + std::to_string(options_.width));
  options_.data_format = checked_data_format(options_.data_format);
  set_built(true);
}

RandomCropImpl::RandomCropImpl(int64_t height, int64_t width)
    : RandomCropImpl(Options{.height = height, .width = width}) {}

Tensor RandomCropImpl::call(const Tensor& inputs, bool training) {
  check_image_rank(inputs.shape());
  const int rank = inputs.ndim();
  const auto [h_axis, w_axis] = image_axes(rank, options_.data_format);
  const int64_t in_h = inputs.shape()[h_axis], in_w = inputs.shape()[w_axis];
  if (in_h < 0 || in_w < 0)
    throw ValueError("RandomCrop requires the input to have a fully defined height and width. Received: images.shape=" +
                     inputs.shape().str());
  const int64_t h = options_.height, w = options_.width;
  const Tensor x = as_dtype(inputs, dtype());
  const AspectBox box = aspect_box(in_h, in_w, h, w);
  if (!training) {
    // The largest centred box of the target aspect ratio, resized to (height, width).
    Tensor y = crop_window(x, h_axis, w_axis, box.h_start, box.w_start, box.height, box.width);
    return resize_axis(resize_axis(y, h_axis, h), w_axis, w);
  }
  if (in_h > h && in_w > w && !x.is_symbolic()) {
    // One random window for the whole batch: starts drawn uniformly in [0, in - size].
    auto draw_start = [&](int64_t extent) {
      const double u = random::uniform({}, {.minval = 0.0,
                                            .maxval = static_cast<double>(extent + 1),
                                            .dtype = DType::float32,
                                            .seed = random::Seed(seed_generator_)})
                           .item<float>();
      return std::clamp<int64_t>(static_cast<int64_t>(u), 0, extent);
    };
    const int64_t h0 = draw_start(in_h - h);
    const int64_t w0 = draw_start(in_w - w);
    return crop_window(x, h_axis, w_axis, h0, w0, h, w);
  }
  // Keras' path for an input not larger in both dimensions: a (height, width) window from the start
  // of the aspect-ratio box, clipped by the image and resized where it fell short.
  Tensor y = crop_window(x, h_axis, w_axis, box.h_start, box.w_start, h, w);
  if (y.shape()[h_axis] != h || y.shape()[w_axis] != w) y = resize_axis(resize_axis(y, h_axis, h), w_axis, w);
  return y;
}

Shape RandomCropImpl::compute_output_shape(const Shape& input_shape) {
  check_image_rank(input_shape);
  Shape s = input_shape;
  const auto [h_axis, w_axis] = image_axes(s.rank(), options_.data_format);
  s[h_axis] = options_.height;
  s[w_axis] = options_.width;
  return s;
}

nlohmann::json RandomCropImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = options_.data_format;
  c["height"] = options_.height;
  c["width"] = options_.width;
  c["seed"] = options_.seed ? *options_.seed : seed_generator_.initial_seed();
  return c;
}

// ---- CategoryEncoding ---------------------------------------------------------------------------------

CategoryEncodingImpl::CategoryEncodingImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "category_encoding"), options_(std::move(o)) {
  if (options_.output_mode == "binary") options_.output_mode = "multi_hot";  // Keras' deprecated name
  const std::string& mode = options_.output_mode;
  if (mode != "count" && mode != "one_hot" && mode != "multi_hot")
    throw ValueError("Unknown arg for output_mode: " + mode);
  if (!options_.num_tokens)
    throw ValueError(
        "num_tokens must be set to use this layer. If the number of tokens is not known beforehand, use the "
        "IntegerLookup layer instead.");
  if (*options_.num_tokens < 1)
    throw ValueError("`num_tokens` must be >= 1. Received: num_tokens=" + std::to_string(*options_.num_tokens) + ".");
  if (options_.sparse)
    throw NotImplementedError(
        "CategoryEncoding(sparse=true) is not supported: keras.cpp has no sparse tensors. Use sparse=false (a dense "
        "output).");
  set_built(true);
}

CategoryEncodingImpl::CategoryEncodingImpl(int64_t num_tokens, std::string output_mode)
    : CategoryEncodingImpl(Options{.num_tokens = num_tokens, .output_mode = std::move(output_mode)}) {}

Tensor CategoryEncodingImpl::call(const Tensor& inputs, bool) { return encode(inputs, nullptr); }

Tensor CategoryEncodingImpl::call(const Tensor& inputs, const Tensor& count_weights) {
  if (!count_weights.defined()) return encode(inputs, nullptr);
  if (options_.output_mode != "count")
    throw ValueError("`count_weights` is not used when `output_mode` is not `'count'`. Received `count_weights=" +
                     tensor_repr(count_weights) + "`.");
  return encode(inputs, &count_weights);
}

Tensor CategoryEncodingImpl::encode(const Tensor& inputs, const Tensor* count_weights) {
  const int64_t depth = *options_.num_tokens;
  const std::string& mode = options_.output_mode;
  Tensor x = inputs;
  if (x.ndim() == 0) x = ops::reshape(x, Shape{1});  // a scalar is one sample
  if (mode == "multi_hot") x = as_dtype(x, DType::int32);
  if (mode != "one_hot" && x.ndim() > 2)
    throw ValueError("When output_mode is not `'int'`, maximum supported output rank is 2. Received output_mode " +
                     mode + " and input shape " + inputs.shape().str() + ", which would result in output rank " +
                     std::to_string(x.ndim()) + ".");
  if (!x.is_symbolic() && x.size() > 0) {
    const std::vector<double> v = x.to_vector<double>();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (*lo < 0 || *hi >= static_cast<double>(depth) || std::isnan(*lo) || std::isnan(*hi)) {
      auto num = [&](double d) {
        return is_floating(x.dtype()) ? py_float(d) : std::to_string(static_cast<int64_t>(d));
      };
      throw ValueError("Input values must be in the range 0 <= values < num_tokens with num_tokens=" +
                       std::to_string(depth) + ". Received values from " + num(*lo) + " to " + num(*hi) + ".");
    }
  }
  if (mode == "multi_hot") return ops::max(ops::one_hot(x, depth, -1, dtype()), x.ndim() > 1 ? 1 : 0);
  if (mode == "one_hot") {
    if (x.ndim() > 1 && x.shape()[x.ndim() - 1] == 1) {
      Shape s = x.shape();
      s.pop_back();
      x = ops::reshape(x, s);
    }
    return ops::one_hot(x, depth, -1, dtype());
  }
  // "count": sum of the one-hot rows, each weighted by its count weight.
  Tensor encoded;
  if (count_weights) {
    if (count_weights->shape() != inputs.shape())
      throw ValueError("`count_weights` must have the shape of the inputs " + inputs.shape().str() +
                       ". Received: count_weights.shape=" + count_weights->shape().str());
    const Tensor cw = ops::reshape(as_dtype(*count_weights, dtype()), x.shape());
    encoded = ops::multiply(ops::one_hot(x, depth, -1, cw.dtype()), ops::expand_dims(cw, -1));
  } else {
    encoded = ops::one_hot(x, depth, -1, dtype());
  }
  return ops::sum(encoded, x.ndim() > 1 ? 1 : 0);
}

Shape CategoryEncodingImpl::compute_output_shape(const Shape& input_shape) {
  const int64_t depth = *options_.num_tokens;
  if (input_shape.rank() == 0) return Shape{depth};
  Shape s = input_shape;
  if (options_.output_mode == "one_hot" && (s[s.rank() - 1] != 1 || s.rank() == 1)) {
    s.push_back(depth);
    return s;
  }
  s[s.rank() - 1] = depth;
  return s;
}

nlohmann::json CategoryEncodingImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["num_tokens"] = *options_.num_tokens;
  c["output_mode"] = options_.output_mode;
  return c;
}

}  // namespace keras::layers
