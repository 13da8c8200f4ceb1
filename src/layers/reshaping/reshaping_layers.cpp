// Mirrors keras/src/layers/reshaping/{permute,repeat_vector,zero_padding1d,
// zero_padding2d,cropping1d,cropping2d,up_sampling1d,up_sampling2d}.py and
// keras/src/layers/preprocessing/rescaling.py.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/identifiers.hpp"
#include "keras/layers/reshaping.hpp"
#include "keras/ops.hpp"

namespace keras::layers {

namespace {

constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();

// Python's repr of a tuple of ints: "(1, 2)", "(3,)".
std::string tuple_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

std::string pairs2d_str(const IntPairs2D& p) {
  if (p.scalar()) return std::to_string(p.flat()[0]);
  if (!p.nested()) return tuple_str(p.flat());
  std::string s = "(";
  for (size_t i = 0; i < p.pairs().size(); ++i) s += (i ? ", " : "") + tuple_str(p.pairs()[i]);
  return s + (p.pairs().size() == 1 ? ",)" : ")");
}

std::string checked_data_format(const std::string& data_format) {
  const std::string f = keras::detail::ascii_lower(data_format);
  if (f != "channels_first" && f != "channels_last")
    throw ValueError(
        "The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: data_format=" +
        data_format);
  return f;
}

// Keras' standardize_tuple(value, 2, name, allow_zero): the pair, or its ValueError.
std::pair<int64_t, int64_t> standardize_pair(const std::vector<int64_t>& values, bool scalar, const std::string& name,
                                             bool allow_zero) {
  const std::string shown = scalar ? std::to_string(values[0]) : tuple_str(values);
  std::string msg = "The `" + name + "` argument must be a tuple of 2 integers. Received " + name + "=" + shown;
  if (!scalar && values.size() != 2) throw ValueError(msg);
  const std::vector<int64_t> v = scalar ? std::vector<int64_t>{values[0], values[0]} : values;
  std::vector<int64_t> bad;
  for (auto x : v)
    if ((allow_zero ? x < 0 : x <= 0) && std::find(bad.begin(), bad.end(), x) == bad.end()) bad.push_back(x);
  if (!bad.empty()) {
    std::string set = "{";
    for (size_t i = 0; i < bad.size(); ++i) set += (i ? ", " : "") + std::to_string(bad[i]);
    throw ValueError(msg + ", including values " + set + "} that do not satisfy `value " +
                     (allow_zero ? ">= 0" : "> 0") + "`");
  }
  return {v[0], v[1]};
}

// The {{a, b}, {c, d}} form of a 2D padding / cropping argument (`what` is "padding" or "cropping").
void standardize_pairs2d(const IntPairs2D& p, const std::string& what, int64_t out[2][2]) {
  if (p.scalar()) {
    if (p.flat()[0] < 0)
      throw ValueError("`" + what + "` cannot be negative. Received: " + what + "=" + std::to_string(p.flat()[0]) +
                       ".");
    out[0][0] = out[0][1] = out[1][0] = out[1][1] = p.flat()[0];
    return;
  }
  const size_t n = p.nested() ? p.pairs().size() : p.flat().size();
  if (n != 2)
    throw ValueError("`" + what + "` should have two elements. Received: " + what + "=" + pairs2d_str(p) + ".");
  const char* entry[2] = {"1st entry of ", "2nd entry of "};
  for (int i = 0; i < 2; ++i) {
    auto [a, b] = p.nested() ? standardize_pair(p.pairs()[i], false, entry[i] + what, true)
                             : standardize_pair({p.flat()[i]}, true, entry[i] + what, true);
    out[i][0] = a;
    out[i][1] = b;
  }
}

nlohmann::json pairs_json(const int64_t v[2][2]) {
  return nlohmann::json::array({nlohmann::json::array({v[0][0], v[0][1]}), nlohmann::json::array({v[1][0], v[1][1]})});
}

Tensor as_dtype(const Tensor& x, DType dt) { return x.dtype() == dt ? x : ops::cast(x, dt); }

// The (out, in) bilinear interpolation matrix of jax.image.resize ("linear" kernel, half-pixel
// centres), for upsampling `in` samples by an integer factor: weights of each output normalized
// over the inputs in range, which clamps at the edges.
Tensor bilinear_matrix(int64_t in, int64_t factor, DType dtype) {
  const int64_t out = in * factor;
  std::vector<double> w(static_cast<size_t>(out * in), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const double f = (static_cast<double>(o) + 0.5) / static_cast<double>(factor) - 0.5;
    double total = 0;
    for (int64_t i = 0; i < in; ++i) {
      const double k = std::max(0.0, 1.0 - std::abs(f - static_cast<double>(i)));
      w[static_cast<size_t>(o * in + i)] = k;
      total += k;
    }
    for (int64_t i = 0; i < in; ++i) w[static_cast<size_t>(o * in + i)] /= total;
  }
  return ops::cast(Tensor(w, Shape{out, in}), dtype);
}

}  // namespace

// ---- Permute ------------------------------------------------------------------------------------------

PermuteImpl::PermuteImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "permute"), options_(std::move(o)) {
  std::vector<int64_t> sorted = options_.dims;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i) + 1)
      throw ValueError(
          "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be consecutive "
          "and start from 1. Received dims=" +
          tuple_str(options_.dims));
  set_input_spec(InputSpec{.ndim = static_cast<int>(options_.dims.size()) + 1});
}

PermuteImpl::PermuteImpl(std::vector<int64_t> dims) : PermuteImpl(Options{.dims = std::move(dims)}) {}

Shape PermuteImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != static_cast<int>(options_.dims.size()) + 1)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=" + std::to_string(options_.dims.size() + 1) +
                     ", found ndim=" + std::to_string(s.rank()) + ". Full shape received: " + s.str());
  Shape out{s[0]};
  for (auto d : options_.dims) out.push_back(s[static_cast<int>(d)]);
  return out;
}

Tensor PermuteImpl::call(const Tensor& inputs, bool) {
  std::vector<int64_t> perm{0};
  perm.insert(perm.end(), options_.dims.begin(), options_.dims.end());
  return ops::transpose(inputs, perm);
}

nlohmann::json PermuteImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["dims"] = options_.dims;
  return c;
}

// ---- RepeatVector -------------------------------------------------------------------------------------

RepeatVectorImpl::RepeatVectorImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "repeat_vector"), options_(std::move(o)) {
  if (options_.n <= 0)
    throw ValueError("Argument `n` should be a positive integer. Received: n=" + std::to_string(options_.n));
  set_input_spec(InputSpec{.ndim = 2});
}

RepeatVectorImpl::RepeatVectorImpl(int64_t n) : RepeatVectorImpl(Options{.n = n}) {}

Shape RepeatVectorImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != 2)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=2, found ndim=" + std::to_string(s.rank()) +
                     ". Full shape received: " + s.str());
  return Shape{s[0], options_.n, s[1]};
}

Tensor RepeatVectorImpl::call(const Tensor& inputs, bool) {
  return ops::repeat(ops::expand_dims(inputs, 1), options_.n, 1);
}

nlohmann::json RepeatVectorImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["n"] = options_.n;
  return c;
}

// ---- ZeroPadding1D ------------------------------------------------------------------------------------

ZeroPadding1DImpl::ZeroPadding1DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "zero_padding1d"), options_(std::move(o)) {
  options_.data_format = checked_data_format(options_.data_format);
  std::tie(before_, after_) =
      standardize_pair(options_.padding.values(), options_.padding.scalar(), "padding", /*allow_zero=*/true);
  set_input_spec(InputSpec{.ndim = 3});
}

ZeroPadding1DImpl::ZeroPadding1DImpl(IntPair padding) : ZeroPadding1DImpl(Options{.padding = std::move(padding)}) {}

Shape ZeroPadding1DImpl::compute_output_shape(const Shape& s) {
  Shape out = s;
  const int axis = options_.data_format == "channels_first" ? 2 : 1;
  if (axis < out.rank() && out[axis] >= 0) out[axis] += before_ + after_;
  return out;
}

Tensor ZeroPadding1DImpl::call(const Tensor& inputs, bool) {
  std::vector<std::pair<int64_t, int64_t>> pad(3, {0, 0});
  pad[options_.data_format == "channels_first" ? 2 : 1] = {before_, after_};
  return ops::pad(inputs, pad);
}

nlohmann::json ZeroPadding1DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["padding"] = {before_, after_};
  c["data_format"] = options_.data_format;
  return c;
}

// ---- ZeroPadding2D ------------------------------------------------------------------------------------

ZeroPadding2DImpl::ZeroPadding2DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "zero_padding2d"), options_(std::move(o)) {
  options_.data_format = checked_data_format(options_.data_format);
  standardize_pairs2d(options_.padding, "padding", pad_);
  set_input_spec(InputSpec{.ndim = 4});
}

ZeroPadding2DImpl::ZeroPadding2DImpl(IntPairs2D padding) : ZeroPadding2DImpl(Options{.padding = std::move(padding)}) {}

Shape ZeroPadding2DImpl::compute_output_shape(const Shape& s) {
  Shape out = s;
  const int offset = options_.data_format == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i)
    if (offset + i < out.rank() && out[offset + i] >= 0) out[offset + i] += pad_[i][0] + pad_[i][1];
  return out;
}

Tensor ZeroPadding2DImpl::call(const Tensor& inputs, bool) {
  std::vector<std::pair<int64_t, int64_t>> pad(4, {0, 0});
  const int offset = options_.data_format == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i) pad[offset + i] = {pad_[i][0], pad_[i][1]};
  return ops::pad(inputs, pad);
}

nlohmann::json ZeroPadding2DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["padding"] = pairs_json(pad_);
  c["data_format"] = options_.data_format;
  return c;
}

// ---- Cropping1D ---------------------------------------------------------------------------------------

Cropping1DImpl::Cropping1DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "cropping1d"), options_(std::move(o)) {
  std::tie(start_, end_) =
      standardize_pair(options_.cropping.values(), options_.cropping.scalar(), "cropping", /*allow_zero=*/true);
  set_input_spec(InputSpec{.ndim = 3});
}

Cropping1DImpl::Cropping1DImpl(IntPair cropping) : Cropping1DImpl(Options{.cropping = std::move(cropping)}) {}

Shape Cropping1DImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != 3)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=3, found ndim=" + std::to_string(s.rank()) +
                     ". Full shape received: " + s.str());
  int64_t length = -1;
  if (s[1] >= 0) {
    length = s[1] - start_ - end_;
    if (length <= 0)
      throw ValueError(
          "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. Received: input_shape=" +
          s.str() + ", cropping=" + tuple_str({start_, end_}));
  }
  return Shape{s[0], length, s[2]};
}

Tensor Cropping1DImpl::call(const Tensor& inputs, bool) {
  const Shape& s = inputs.shape();
  if (s[1] >= 0 && start_ + end_ >= s[1])
    throw ValueError(
        "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. Received: inputs.shape=" +
        s.str() + ", cropping=" + tuple_str({start_, end_}));
  return ops::strided_slice(inputs, {0, start_, 0}, {kEnd, s[1] - end_, kEnd});
}

nlohmann::json Cropping1DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["cropping"] = {start_, end_};
  return c;
}

// ---- Cropping2D ---------------------------------------------------------------------------------------

Cropping2DImpl::Cropping2DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "cropping2d"), options_(std::move(o)) {
  options_.data_format = checked_data_format(options_.data_format);
  standardize_pairs2d(options_.cropping, "cropping", crop_);
  set_input_spec(InputSpec{.ndim = 4});
}

Cropping2DImpl::Cropping2DImpl(IntPairs2D cropping) : Cropping2DImpl(Options{.cropping = std::move(cropping)}) {}

Shape Cropping2DImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != 4)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=4, found ndim=" + std::to_string(s.rank()) +
                     ". Full shape received: " + s.str());
  const int offset = options_.data_format == "channels_first" ? 2 : 1;
  Shape out = s;
  for (int i = 0; i < 2; ++i) {
    const int64_t d = s[offset + i];
    if (d >= 0 && crop_[i][0] + crop_[i][1] >= d)
      throw ValueError(
          "Values in `cropping` argument should be smaller than the corresponding spatial dimension of the input. "
          "Received: input_shape=" +
          s.str() + ", cropping=(" + tuple_str({crop_[0][0], crop_[0][1]}) + ", " +
          tuple_str({crop_[1][0], crop_[1][1]}) + ")");
    out[offset + i] = d >= 0 ? d - crop_[i][0] - crop_[i][1] : -1;
  }
  return out;
}

Tensor Cropping2DImpl::call(const Tensor& inputs, bool) {
  const Shape& s = inputs.shape();
  const int offset = options_.data_format == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i)
    if (s[offset + i] >= 0 && crop_[i][0] + crop_[i][1] >= s[offset + i])
      throw ValueError(
          "Values in `cropping` argument should be smaller than the corresponding spatial dimension of the input. "
          "Received: inputs.shape=" +
          s.str() + ", cropping=(" + tuple_str({crop_[0][0], crop_[0][1]}) + ", " +
          tuple_str({crop_[1][0], crop_[1][1]}) + ")");
  std::vector<int64_t> begin(4, 0), end(4, kEnd);
  for (int i = 0; i < 2; ++i) {
    begin[offset + i] = crop_[i][0];
    end[offset + i] = s[offset + i] - crop_[i][1];
  }
  return ops::strided_slice(inputs, begin, end);
}

nlohmann::json Cropping2DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["cropping"] = pairs_json(crop_);
  c["data_format"] = options_.data_format;
  return c;
}

// ---- UpSampling1D -------------------------------------------------------------------------------------

UpSampling1DImpl::UpSampling1DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "up_sampling1d"), options_(std::move(o)) {
  if (options_.size <= 0)
    throw ValueError("Argument `size` should be a positive integer. Received: size=" + std::to_string(options_.size));
  set_input_spec(InputSpec{.ndim = 3});
}

UpSampling1DImpl::UpSampling1DImpl(int64_t size) : UpSampling1DImpl(Options{.size = size}) {}

Shape UpSampling1DImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != 3)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=3, found ndim=" + std::to_string(s.rank()) +
                     ". Full shape received: " + s.str());
  return Shape{s[0], s[1] >= 0 ? s[1] * options_.size : -1, s[2]};
}

Tensor UpSampling1DImpl::call(const Tensor& inputs, bool) { return ops::repeat(inputs, options_.size, 1); }

nlohmann::json UpSampling1DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["size"] = options_.size;
  return c;
}

// ---- UpSampling2D -------------------------------------------------------------------------------------

UpSampling2DImpl::UpSampling2DImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "up_sampling2d"), options_(std::move(o)) {
  options_.data_format = checked_data_format(options_.data_format);
  std::tie(size_[0], size_[1]) =
      standardize_pair(options_.size.values(), options_.size.scalar(), "size", /*allow_zero=*/false);
  options_.interpolation = keras::detail::ascii_lower(options_.interpolation);
  const std::string& m = options_.interpolation;
  if (m == "bicubic" || m == "lanczos3" || m == "lanczos5" || m == "area")
    throw NotImplementedError("UpSampling2D: interpolation=\"" + m +
                              "\" is not implemented in keras.cpp; use \"nearest\" or \"bilinear\"");
  if (m != "nearest" && m != "bilinear")
    throw ValueError(
        "Invalid value for argument `interpolation`. Expected of one {'nearest', 'bilinear', 'bicubic', 'lanczos3', "
        "'lanczos5', 'area'}. Received: interpolation=" +
        m);
  set_input_spec(InputSpec{.ndim = 4});
}

UpSampling2DImpl::UpSampling2DImpl(IntPair size) : UpSampling2DImpl(Options{.size = std::move(size)}) {}

Shape UpSampling2DImpl::compute_output_shape(const Shape& s) {
  if (s.rank() != 4)
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected ndim=4, found ndim=" + std::to_string(s.rank()) +
                     ". Full shape received: " + s.str());
  Shape out = s;
  const int offset = options_.data_format == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i) out[offset + i] = s[offset + i] >= 0 ? s[offset + i] * size_[i] : -1;
  return out;
}

Tensor UpSampling2DImpl::call(const Tensor& inputs, bool) {
  const bool first = options_.data_format == "channels_first";
  Tensor x = first ? ops::transpose(inputs, std::vector<int64_t>{0, 2, 3, 1}) : inputs;
  if (options_.interpolation == "nearest") {
    x = ops::repeat(ops::repeat(x, size_[0], 1), size_[1], 2);
  } else {
    if (!is_floating(x.dtype())) x = ops::cast(x, dtype());
    const Tensor wh = bilinear_matrix(x.shape()[1], size_[0], x.dtype());  // (H', H)
    const Tensor ww = bilinear_matrix(x.shape()[2], size_[1], x.dtype());  // (W', W)
    // (B, H, W, C) -> (B, W, C, H) @ wh^T -> (B, W, C, H') -> (B, H', C, W) @ ww^T -> (B, H', C, W').
    Tensor t = ops::matmul(ops::transpose(x, std::vector<int64_t>{0, 2, 3, 1}), ops::transpose(wh));
    t = ops::matmul(ops::transpose(t, std::vector<int64_t>{0, 3, 2, 1}), ops::transpose(ww));
    x = ops::transpose(t, std::vector<int64_t>{0, 1, 3, 2});
  }
  return first ? ops::transpose(x, std::vector<int64_t>{0, 3, 1, 2}) : x;
}

nlohmann::json UpSampling2DImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["size"] = {size_[0], size_[1]};
  c["data_format"] = options_.data_format;
  c["interpolation"] = options_.interpolation;
  return c;
}

// ---- Rescaling ----------------------------------------------------------------------------------------

RescalingImpl::RescalingImpl(Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "rescaling"), options_(std::move(o)) {
  set_built(true);
}

RescalingImpl::RescalingImpl(double scale, double offset) : RescalingImpl(Options{.scale = scale, .offset = offset}) {}

Tensor RescalingImpl::call(const Tensor& inputs, bool) {
  return as_dtype(inputs, dtype()) * options_.scale + options_.offset;
}

nlohmann::json RescalingImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["scale"] = options_.scale;
  c["offset"] = options_.offset;
  return c;
}

}  // namespace keras::layers
