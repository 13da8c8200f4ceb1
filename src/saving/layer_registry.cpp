// The built-in layers a file may name: each Keras class made from its config (Keras' from_config,
// which passes the config to the constructor). Missing keys take the constructor's defaults,
// unknown keys are reported by ConfigReader::warn_unused, and a missing required argument or a
// value of the wrong type is a keras::ValueError naming the layer and the key.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/error.hpp"
#include "keras/layers/attention.hpp"
#include "keras/layers/convolutional.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/embedding.hpp"
#include "keras/layers/merging.hpp"
#include "keras/layers/normalization.hpp"
#include "keras/layers/pooling.hpp"
#include "keras/layers/preprocessing.hpp"
#include "keras/layers/regularization.hpp"
#include "keras/layers/reshaping.hpp"
#include "keras/layers/rnn.hpp"
#include "keras/saving.hpp"
#include "saving/registry.hpp"

namespace keras::saving::detail {
namespace {

using nlohmann::json;

/// One layer's config being read.
struct Ctx {
  const ConfigReader& r;
  const json& config;
  LayerOptions base;
  /// The key is in the config (null included).
  bool present(const std::string& key) const { return config.contains(key); }
};

using Maker = std::function<std::shared_ptr<Layer>(const Ctx&)>;

// ---- readers --------------------------------------------------------------------------------------

void require(const Ctx& c, const std::string& key) {
  if (!c.r.has(key)) c.r.fail(key, "is missing (a required argument)");
}

int64_t required_int(const Ctx& c, const std::string& key) {
  require(c, key);
  return c.r.get_int(key, 0);
}

double required_double(const Ctx& c, const std::string& key) {
  require(c, key);
  return c.r.get_double(key, 0.0);
}

int to_int32(const Ctx& c, const std::string& key, int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) c.r.fail(key, "is out of range: " + std::to_string(v));
  return static_cast<int>(v);
}

int get_int32(const Ctx& c, const std::string& key, int fallback) {
  return to_int32(c, key, c.r.get_int(key, fallback));
}

/// An int or a list of ints, as a list (Keras' axis arguments).
std::vector<int> get_int32s(const Ctx& c, const std::string& key, std::vector<int> fallback) {
  if (!c.r.has(key)) {
    c.r.ignore(key);
    return fallback;
  }
  std::vector<int> out;
  for (int64_t v : c.r.get_ints(key, {})) out.push_back(to_int32(c, key, v));
  return out;
}

/// An int, or a list of `n` ints (Keras' standardize_tuple).
ops::IntTuple get_tuple(const Ctx& c, const std::string& key, int64_t fallback, size_t n) {
  return ops::IntTuple(c.r.get_ints(key, std::vector<int64_t>(n, fallback), n));
}

ops::IntTuple required_tuple(const Ctx& c, const std::string& key, size_t n) {
  require(c, key);
  return get_tuple(c, key, 0, n);
}

std::optional<uint64_t> get_seed(const Ctx& c, const std::string& key = "seed") {
  auto v = c.r.get_optional_int(key);
  if (!v) return std::nullopt;
  if (*v < 0) c.r.fail(key, "must be a non-negative integer or null, got " + std::to_string(*v));
  return static_cast<uint64_t>(*v);
}

void read_activation(const Ctx& c, const std::string& key, activations::ActivationArg& out) {
  const json& v = c.r.raw(key);
  if (c.present(key)) out = deserialize_activation(v);
}

void read_initializer(const Ctx& c, const std::string& key, initializers::InitializerArg& out) {
  const json& v = c.r.raw(key);
  if (!v.is_null()) out = deserialize_initializer(v);
}

void read_regularizer(const Ctx& c, const std::string& key, regularizers::RegularizerArg& out) {
  out = deserialize_regularizer(c.r.raw(key));
}

void read_constraint(const Ctx& c, const std::string& key, constraints::ConstraintArg& out) {
  out = deserialize_constraint(c.r.raw(key));
}

/// Keys keras.cpp reads only as null: anything else is a feature it does not have.
void must_be_null(const Ctx& c, const std::string& key, const std::string& why) {
  if (c.r.has(key)) c.r.fail(key, "must be null: " + why);
  c.r.ignore(key);
}

template <class O>
void set_base(O& o, const LayerOptions& b) {
  o.name = b.name;
  o.dtype = b.dtype;
  if constexpr (requires { o.trainable; }) o.trainable = b.trainable;
}

/// A layer whose options take no activity_regularizer, given one: Keras accepts it on every layer
/// (a base Layer argument), so the loaded layer applies it through the base class.
template <class T>
class WithActivityRegularizer final : public T {
 public:
  WithActivityRegularizer(const typename T::Options& options, const regularizers::RegularizerArg& regularizer)
      : T(options) {
    this->set_activity_regularizer(regularizer);
  }
};

/// The layer, with the config's activity_regularizer where its options have none.
template <class T, class O>
std::shared_ptr<Layer> make(const Ctx& c, const O& o) {
  if constexpr (requires { o.activity_regularizer; }) {
    return std::make_shared<T>(o);
  } else {
    const regularizers::RegularizerArg r = deserialize_regularizer(c.r.raw("activity_regularizer"));
    if (!r) return std::make_shared<T>(o);
    return std::make_shared<WithActivityRegularizer<T>>(o, r);
  }
}

/// A nested layer envelope (wrappers, the RNN's cell).
LayerHandle nested_layer(const Ctx& c, const std::string& key) {
  require(c, key);
  const json& v = c.r.raw(key);
  if (!v.is_object()) c.r.fail(key, "must be a layer object, got " + v.dump().substr(0, 80));
  return deserialize_layer(v);
}

template <class T>
std::shared_ptr<T> nested_layer_as(const Ctx& c, const std::string& key, const std::string& expected) {
  LayerHandle l = nested_layer(c, key);
  auto p = std::dynamic_pointer_cast<T>(l.ptr());
  if (!p) c.r.fail(key, "must be " + expected + ", got a " + l->class_name());
  return p;
}

/// A nested list of numbers (or one number) as a float32 tensor (Normalization's mean/variance).
Tensor numbers_tensor(const Ctx& c, const std::string& key, const json& v) {
  std::vector<int64_t> dims;
  const json* p = &v;
  while (p->is_array()) {
    dims.push_back(static_cast<int64_t>(p->size()));
    if (p->empty()) break;
    p = &(*p)[0];
  }
  std::vector<float> values;
  auto walk = [&](auto&& self, const json& x, size_t depth) -> void {
    if (depth == dims.size()) {
      if (!x.is_number()) c.r.fail(key, "must hold numbers, got " + x.dump().substr(0, 80));
      values.push_back(x.get<float>());
      return;
    }
    if (!x.is_array() || static_cast<int64_t>(x.size()) != dims[depth])
      c.r.fail(key, "must be a number or a rectangular nested list of numbers");
    for (const json& e : x) self(self, e, depth + 1);
  };
  walk(walk, v, 0);
  return Tensor::from_bytes(values.data(), DType::float32, Shape(dims));
}

// ---- core -----------------------------------------------------------------------------------------

std::shared_ptr<Layer> make_input_layer(const Ctx& c) {
  const ConfigReader& r = c.r;
  layers::InputLayerOptions o;
  std::optional<Shape> batch_shape = r.get_optional_shape("batch_shape");
  if (!batch_shape) batch_shape = r.get_optional_shape("batch_input_shape");  // Keras 2
  if (batch_shape) {
    if (batch_shape->rank() < 1) r.fail("batch_shape", "must include the batch axis");
    o.shape = Shape(std::vector<int64_t>(batch_shape->begin() + 1, batch_shape->end()));
    if ((*batch_shape)[0] >= 0) o.batch_size = (*batch_shape)[0];
  } else {
    // The constructor's `shape` (or the legacy `input_shape`) with `batch_size`.
    std::optional<Shape> shape = r.get_optional_shape("shape");
    if (!shape) shape = r.get_optional_shape("input_shape");
    if (!shape) r.fail("batch_shape", "is missing: an InputLayer needs the shape of its input");
    o.shape = *shape;
    o.batch_size = r.get_optional_int("batch_size");
  }
  r.ignore("batch_size");
  o.dtype = c.base.dtype;
  o.name = c.base.name;
  if (r.get_bool("sparse", false)) r.fail("sparse", "must be false: keras.cpp has no sparse tensors");
  if (r.get_bool("ragged", false)) r.fail("ragged", "must be false: keras.cpp has no ragged tensors");
  if (r.get_bool("optional", false)) r.fail("optional", "must be false: optional inputs are not supported");
  r.ignore("trainable");
  return make<layers::InputLayerImpl>(c, o);
}

std::shared_ptr<Layer> make_dense(const Ctx& c) {
  layers::DenseOptions o;
  o.units = required_int(c, "units");
  read_activation(c, "activation", o.activation);
  o.use_bias = c.r.get_bool("use_bias", true);
  read_initializer(c, "kernel_initializer", o.kernel_initializer);
  read_initializer(c, "bias_initializer", o.bias_initializer);
  read_regularizer(c, "kernel_regularizer", o.kernel_regularizer);
  read_regularizer(c, "bias_regularizer", o.bias_regularizer);
  read_regularizer(c, "activity_regularizer", o.activity_regularizer);
  read_constraint(c, "kernel_constraint", o.kernel_constraint);
  read_constraint(c, "bias_constraint", o.bias_constraint);
  must_be_null(c, "quantization_config", "quantized layers are not supported");
  must_be_null(c, "lora_rank", "LoRA is not supported");
  must_be_null(c, "lora_alpha", "LoRA is not supported");
  set_base(o, c.base);
  return make<layers::DenseImpl>(c, o);
}

std::shared_ptr<Layer> make_activation(const Ctx& c) {
  layers::ActivationOptions o;
  require(c, "activation");
  read_activation(c, "activation", o.activation);
  set_base(o, c.base);
  return make<layers::ActivationImpl>(c, o);
}

std::shared_ptr<Layer> make_dropout(const Ctx& c) {
  layers::DropoutOptions o;
  o.rate = required_double(c, "rate");
  o.noise_shape = c.r.get_optional_shape("noise_shape");
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::DropoutImpl>(c, o);
}

std::shared_ptr<Layer> make_flatten(const Ctx& c) {
  layers::FlattenOptions o;
  o.data_format = c.r.get_string("data_format", o.data_format);
  set_base(o, c.base);
  return make<layers::FlattenImpl>(c, o);
}

std::shared_ptr<Layer> make_reshape(const Ctx& c) {
  layers::ReshapeOptions o;
  require(c, "target_shape");
  o.target_shape = Shape(c.r.get_ints("target_shape", {}));
  set_base(o, c.base);
  return make<layers::ReshapeImpl>(c, o);
}

std::shared_ptr<Layer> make_identity(const Ctx& c) {
  layers::IdentityOptions o;
  set_base(o, c.base);
  return make<layers::IdentityImpl>(c, o);
}

// ---- reshaping ------------------------------------------------------------------------------------

std::shared_ptr<Layer> make_permute(const Ctx& c) {
  layers::PermuteOptions o;
  require(c, "dims");
  o.dims = c.r.get_ints("dims", {});
  set_base(o, c.base);
  return make<layers::PermuteImpl>(c, o);
}

std::shared_ptr<Layer> make_repeat_vector(const Ctx& c) {
  layers::RepeatVectorOptions o;
  o.n = required_int(c, "n");
  set_base(o, c.base);
  return make<layers::RepeatVectorImpl>(c, o);
}

/// An int or a pair, as a pair.
layers::IntPair get_pair(const Ctx& c, const std::string& key, std::vector<int64_t> fallback) {
  return layers::IntPair(c.r.get_ints(key, std::move(fallback), 2));
}

/// An int, {h, w} or {{top, bottom}, {left, right}}, as the nested form.
layers::IntPairs2D get_pairs_2d(const Ctx& c, const std::string& key, int64_t fallback) {
  const json& v = c.r.raw(key);
  int64_t p[2][2] = {{fallback, fallback}, {fallback, fallback}};
  if (v.is_null()) {
    // the default
  } else if (v.is_number_integer()) {
    const int64_t x = v.get<int64_t>();
    p[0][0] = p[0][1] = p[1][0] = p[1][1] = x;
  } else if (v.is_array() && v.size() == 2) {
    for (size_t i = 0; i < 2; ++i) {
      if (v[i].is_number_integer()) {
        p[i][0] = p[i][1] = v[i].get<int64_t>();
      } else if (v[i].is_array() && v[i].size() == 2 && v[i][0].is_number_integer() && v[i][1].is_number_integer()) {
        p[i][0] = v[i][0].get<int64_t>();
        p[i][1] = v[i][1].get<int64_t>();
      } else {
        c.r.fail(key, "must be an int, a pair of ints or a pair of pairs of ints, got " + v.dump());
      }
    }
  } else {
    c.r.fail(key, "must be an int, a pair of ints or a pair of pairs of ints, got " + v.dump());
  }
  return layers::IntPairs2D{{p[0][0], p[0][1]}, {p[1][0], p[1][1]}};
}

std::shared_ptr<Layer> make_zero_padding_1d(const Ctx& c) {
  layers::ZeroPadding1DOptions o;
  o.padding = get_pair(c, "padding", {1, 1});
  o.data_format = c.r.get_string("data_format", o.data_format);
  set_base(o, c.base);
  return make<layers::ZeroPadding1DImpl>(c, o);
}

std::shared_ptr<Layer> make_zero_padding_2d(const Ctx& c) {
  layers::ZeroPadding2DOptions o;
  o.padding = get_pairs_2d(c, "padding", 1);
  o.data_format = c.r.get_string("data_format", o.data_format);
  set_base(o, c.base);
  return make<layers::ZeroPadding2DImpl>(c, o);
}

std::shared_ptr<Layer> make_cropping_1d(const Ctx& c) {
  layers::Cropping1DOptions o;
  o.cropping = get_pair(c, "cropping", {1, 1});
  set_base(o, c.base);
  return make<layers::Cropping1DImpl>(c, o);
}

std::shared_ptr<Layer> make_cropping_2d(const Ctx& c) {
  layers::Cropping2DOptions o;
  o.cropping = get_pairs_2d(c, "cropping", 0);
  o.data_format = c.r.get_string("data_format", o.data_format);
  set_base(o, c.base);
  return make<layers::Cropping2DImpl>(c, o);
}

std::shared_ptr<Layer> make_up_sampling_1d(const Ctx& c) {
  layers::UpSampling1DOptions o;
  o.size = c.r.get_int("size", o.size);
  set_base(o, c.base);
  return make<layers::UpSampling1DImpl>(c, o);
}

std::shared_ptr<Layer> make_up_sampling_2d(const Ctx& c) {
  layers::UpSampling2DOptions o;
  o.size = get_pair(c, "size", {2, 2});
  o.data_format = c.r.get_string("data_format", o.data_format);
  o.interpolation = c.r.get_string("interpolation", o.interpolation);
  set_base(o, c.base);
  return make<layers::UpSampling2DImpl>(c, o);
}

std::shared_ptr<Layer> make_rescaling(const Ctx& c) {
  layers::RescalingOptions o;
  o.scale = required_double(c, "scale");
  o.offset = c.r.get_double("offset", 0.0);
  set_base(o, c.base);
  return make<layers::RescalingImpl>(c, o);
}

// ---- merging --------------------------------------------------------------------------------------

template <class T>
Maker make_merge() {
  return [](const Ctx& c) -> std::shared_ptr<Layer> {
    layers::MergeOptions o;
    set_base(o, c.base);
    return make<T>(c, o);
  };
}

std::shared_ptr<Layer> make_concatenate(const Ctx& c) {
  layers::ConcatenateOptions o;
  o.axis = get_int32(c, "axis", -1);
  set_base(o, c.base);
  return make<layers::ConcatenateImpl>(c, o);
}

std::shared_ptr<Layer> make_dot(const Ctx& c) {
  layers::DotOptions o;
  require(c, "axes");
  o.axes = get_int32s(c, "axes", {});
  o.normalize = c.r.get_bool("normalize", false);
  set_base(o, c.base);
  return make<layers::DotImpl>(c, o);
}

// ---- regularization -------------------------------------------------------------------------------

std::shared_ptr<Layer> make_spatial_dropout_1d(const Ctx& c) {
  layers::SpatialDropout1DOptions o;
  o.rate = required_double(c, "rate");
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::SpatialDropout1DImpl>(c, o);
}

std::shared_ptr<Layer> make_spatial_dropout_2d(const Ctx& c) {
  layers::SpatialDropout2DOptions o;
  o.rate = required_double(c, "rate");
  o.data_format = c.r.get_string("data_format", o.data_format);
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::SpatialDropout2DImpl>(c, o);
}

std::shared_ptr<Layer> make_gaussian_noise(const Ctx& c) {
  layers::GaussianNoiseOptions o;
  o.stddev = required_double(c, "stddev");
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::GaussianNoiseImpl>(c, o);
}

std::shared_ptr<Layer> make_gaussian_dropout(const Ctx& c) {
  layers::GaussianDropoutOptions o;
  o.rate = required_double(c, "rate");
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::GaussianDropoutImpl>(c, o);
}

std::shared_ptr<Layer> make_activity_regularization(const Ctx& c) {
  layers::ActivityRegularizationOptions o;
  o.l1 = c.r.get_double("l1", 0.0);
  o.l2 = c.r.get_double("l2", 0.0);
  set_base(o, c.base);
  return make<layers::ActivityRegularizationImpl>(c, o);
}

// ---- pooling --------------------------------------------------------------------------------------

template <class T, size_t Rank>
Maker make_pooling() {
  return [](const Ctx& c) -> std::shared_ptr<Layer> {
    layers::PoolingOptions o;
    o.pool_size = get_tuple(c, "pool_size", 2, Rank);
    if (c.r.has("strides"))
      o.strides = get_tuple(c, "strides", 1, Rank);
    else
      c.r.ignore("strides");
    o.padding = c.r.get_string("padding", o.padding);
    o.data_format = c.r.get_string("data_format", o.data_format);
    set_base(o, c.base);
    return make<T>(c, o);
  };
}

template <class T>
Maker make_global_pooling() {
  return [](const Ctx& c) -> std::shared_ptr<Layer> {
    layers::GlobalPoolingOptions o;
    o.data_format = c.r.get_string("data_format", o.data_format);
    o.keepdims = c.r.get_bool("keepdims", false);
    set_base(o, c.base);
    return make<T>(c, o);
  };
}

// ---- convolution ----------------------------------------------------------------------------------

template <class T, size_t Rank, bool Transpose>
Maker make_conv() {
  return [](const Ctx& c) -> std::shared_ptr<Layer> {
    layers::ConvOptions o;
    o.filters = required_int(c, "filters");
    o.kernel_size = required_tuple(c, "kernel_size", Rank);
    o.strides = get_tuple(c, "strides", 1, Rank);
    o.padding = c.r.get_string("padding", o.padding);
    o.data_format = c.r.get_string("data_format", o.data_format);
    o.dilation_rate = get_tuple(c, "dilation_rate", 1, Rank);
    if constexpr (Transpose)
      must_be_null(c, "output_padding", "keras.cpp's transposed convolutions take no output_padding");
    else
      o.groups = c.r.get_int("groups", 1);
    read_activation(c, "activation", o.activation);
    o.use_bias = c.r.get_bool("use_bias", true);
    read_initializer(c, "kernel_initializer", o.kernel_initializer);
    read_initializer(c, "bias_initializer", o.bias_initializer);
    read_regularizer(c, "kernel_regularizer", o.kernel_regularizer);
    read_regularizer(c, "bias_regularizer", o.bias_regularizer);
    read_regularizer(c, "activity_regularizer", o.activity_regularizer);
    read_constraint(c, "kernel_constraint", o.kernel_constraint);
    read_constraint(c, "bias_constraint", o.bias_constraint);
    set_base(o, c.base);
    return make<T>(c, o);
  };
}

std::shared_ptr<Layer> make_depthwise_conv_2d(const Ctx& c) {
  layers::DepthwiseConv2DOptions o;
  o.kernel_size = required_tuple(c, "kernel_size", 2);
  o.strides = get_tuple(c, "strides", 1, 2);
  o.padding = c.r.get_string("padding", o.padding);
  o.depth_multiplier = c.r.get_int("depth_multiplier", 1);
  o.data_format = c.r.get_string("data_format", o.data_format);
  o.dilation_rate = get_tuple(c, "dilation_rate", 1, 2);
  read_activation(c, "activation", o.activation);
  o.use_bias = c.r.get_bool("use_bias", true);
  read_initializer(c, "depthwise_initializer", o.depthwise_initializer);
  read_initializer(c, "bias_initializer", o.bias_initializer);
  read_regularizer(c, "depthwise_regularizer", o.depthwise_regularizer);
  read_regularizer(c, "bias_regularizer", o.bias_regularizer);
  read_regularizer(c, "activity_regularizer", o.activity_regularizer);
  read_constraint(c, "depthwise_constraint", o.depthwise_constraint);
  read_constraint(c, "bias_constraint", o.bias_constraint);
  set_base(o, c.base);
  return make<layers::DepthwiseConv2DImpl>(c, o);
}

std::shared_ptr<Layer> make_separable_conv_2d(const Ctx& c) {
  layers::SeparableConv2DOptions o;
  o.filters = required_int(c, "filters");
  o.kernel_size = required_tuple(c, "kernel_size", 2);
  o.strides = get_tuple(c, "strides", 1, 2);
  o.padding = c.r.get_string("padding", o.padding);
  o.data_format = c.r.get_string("data_format", o.data_format);
  o.dilation_rate = get_tuple(c, "dilation_rate", 1, 2);
  o.depth_multiplier = c.r.get_int("depth_multiplier", 1);
  read_activation(c, "activation", o.activation);
  o.use_bias = c.r.get_bool("use_bias", true);
  read_initializer(c, "depthwise_initializer", o.depthwise_initializer);
  read_initializer(c, "pointwise_initializer", o.pointwise_initializer);
  read_initializer(c, "bias_initializer", o.bias_initializer);
  const std::string why = "keras.cpp's SeparableConv2D takes no regularizers or constraints";
  for (const char* key : {"depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "depthwise_constraint",
                          "pointwise_constraint", "bias_constraint"})
    must_be_null(c, key, why);
  set_base(o, c.base);
  return make<layers::SeparableConv2DImpl>(c, o);
}

// ---- embedding / normalization --------------------------------------------------------------------

std::shared_ptr<Layer> make_embedding(const Ctx& c) {
  layers::EmbeddingOptions o;
  o.input_dim = required_int(c, "input_dim");
  o.output_dim = required_int(c, "output_dim");
  read_initializer(c, "embeddings_initializer", o.embeddings_initializer);
  read_regularizer(c, "embeddings_regularizer", o.embeddings_regularizer);
  read_regularizer(c, "activity_regularizer", o.activity_regularizer);
  read_constraint(c, "embeddings_constraint", o.embeddings_constraint);
  o.mask_zero = c.r.get_bool("mask_zero", false);
  must_be_null(c, "quantization_config", "quantized layers are not supported");
  must_be_null(c, "lora_rank", "LoRA is not supported");
  must_be_null(c, "lora_alpha", "LoRA is not supported");
  c.r.ignore("input_length");  // Keras 2, without effect
  set_base(o, c.base);
  return make<layers::EmbeddingImpl>(c, o);
}

std::shared_ptr<Layer> make_batch_normalization(const Ctx& c) {
  layers::BatchNormalizationOptions o;
  o.axis = get_int32(c, "axis", -1);
  o.momentum = c.r.get_double("momentum", o.momentum);
  o.epsilon = c.r.get_double("epsilon", o.epsilon);
  o.center = c.r.get_bool("center", true);
  o.scale = c.r.get_bool("scale", true);
  read_initializer(c, "beta_initializer", o.beta_initializer);
  read_initializer(c, "gamma_initializer", o.gamma_initializer);
  read_initializer(c, "moving_mean_initializer", o.moving_mean_initializer);
  read_initializer(c, "moving_variance_initializer", o.moving_variance_initializer);
  read_regularizer(c, "beta_regularizer", o.beta_regularizer);
  read_regularizer(c, "gamma_regularizer", o.gamma_regularizer);
  read_constraint(c, "beta_constraint", o.beta_constraint);
  read_constraint(c, "gamma_constraint", o.gamma_constraint);
  o.synchronized = c.r.get_bool("synchronized", false);
  if (c.r.get_bool("renorm", false)) c.r.fail("renorm", "must be false: batch renormalization is not supported");
  c.r.ignore("renorm_clipping");
  c.r.ignore("renorm_momentum");
  set_base(o, c.base);
  return make<layers::BatchNormalizationImpl>(c, o);
}

std::shared_ptr<Layer> make_layer_normalization(const Ctx& c) {
  layers::LayerNormalizationOptions o;
  o.axis = get_int32s(c, "axis", o.axis);
  o.epsilon = c.r.get_double("epsilon", o.epsilon);
  o.center = c.r.get_bool("center", true);
  o.scale = c.r.get_bool("scale", true);
  o.rms_scaling = c.r.get_bool("rms_scaling", false);
  read_initializer(c, "beta_initializer", o.beta_initializer);
  read_initializer(c, "gamma_initializer", o.gamma_initializer);
  read_regularizer(c, "beta_regularizer", o.beta_regularizer);
  read_regularizer(c, "gamma_regularizer", o.gamma_regularizer);
  read_constraint(c, "beta_constraint", o.beta_constraint);
  read_constraint(c, "gamma_constraint", o.gamma_constraint);
  set_base(o, c.base);
  return make<layers::LayerNormalizationImpl>(c, o);
}

std::shared_ptr<Layer> make_group_normalization(const Ctx& c) {
  layers::GroupNormalizationOptions o;
  o.groups = get_int32(c, "groups", o.groups);
  o.axis = get_int32(c, "axis", -1);
  o.epsilon = c.r.get_double("epsilon", o.epsilon);
  o.center = c.r.get_bool("center", true);
  o.scale = c.r.get_bool("scale", true);
  read_initializer(c, "beta_initializer", o.beta_initializer);
  read_initializer(c, "gamma_initializer", o.gamma_initializer);
  read_regularizer(c, "beta_regularizer", o.beta_regularizer);
  read_regularizer(c, "gamma_regularizer", o.gamma_regularizer);
  read_constraint(c, "beta_constraint", o.beta_constraint);
  read_constraint(c, "gamma_constraint", o.gamma_constraint);
  set_base(o, c.base);
  return make<layers::GroupNormalizationImpl>(c, o);
}

std::shared_ptr<Layer> make_unit_normalization(const Ctx& c) {
  layers::UnitNormalizationOptions o;
  o.axis = get_int32s(c, "axis", o.axis);
  set_base(o, c.base);
  return make<layers::UnitNormalizationImpl>(c, o);
}

// ---- preprocessing --------------------------------------------------------------------------------

std::shared_ptr<Layer> make_normalization(const Ctx& c) {
  layers::NormalizationOptions o;
  if (c.present("axis") && c.config["axis"].is_null()) {
    c.r.ignore("axis");
    o.axis = {};  // Keras' axis=None
  } else {
    o.axis = get_int32s(c, "axis", o.axis);
  }
  o.invert = c.r.get_bool("invert", false);
  const json& mean = c.r.raw("mean");
  const json& variance = c.r.raw("variance");
  if (!mean.is_null()) o.mean = numbers_tensor(c, "mean", mean);
  if (!variance.is_null()) o.variance = numbers_tensor(c, "variance", variance);
  set_base(o, c.base);
  return make<layers::NormalizationImpl>(c, o);
}

std::shared_ptr<Layer> make_random_flip(const Ctx& c) {
  layers::RandomFlipOptions o;
  o.mode = c.r.get_string("mode", o.mode);
  o.seed = get_seed(c);
  o.data_format = c.r.get_string("data_format", o.data_format);
  c.r.ignore("value_range");
  set_base(o, c.base);
  return make<layers::RandomFlipImpl>(c, o);
}

std::shared_ptr<Layer> make_random_crop(const Ctx& c) {
  layers::RandomCropOptions o;
  o.height = required_int(c, "height");
  o.width = required_int(c, "width");
  o.seed = get_seed(c);
  o.data_format = c.r.get_string("data_format", o.data_format);
  set_base(o, c.base);
  return make<layers::RandomCropImpl>(c, o);
}

std::shared_ptr<Layer> make_category_encoding(const Ctx& c) {
  layers::CategoryEncodingOptions o;
  o.num_tokens = required_int(c, "num_tokens");
  o.output_mode = c.r.get_string("output_mode", o.output_mode);
  o.sparse = c.r.get_bool("sparse", false);
  set_base(o, c.base);
  return make<layers::CategoryEncodingImpl>(c, o);
}

// ---- attention ------------------------------------------------------------------------------------

std::shared_ptr<Layer> make_attention(const Ctx& c) {
  layers::AttentionOptions o;
  o.use_scale = c.r.get_bool("use_scale", false);
  o.score_mode = c.r.get_string("score_mode", o.score_mode);
  o.dropout = c.r.get_double("dropout", 0.0);
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::AttentionImpl>(c, o);
}

std::shared_ptr<Layer> make_multi_head_attention(const Ctx& c) {
  layers::MultiHeadAttentionOptions o;
  o.num_heads = to_int32(c, "num_heads", required_int(c, "num_heads"));
  o.key_dim = to_int32(c, "key_dim", required_int(c, "key_dim"));
  if (auto v = c.r.get_optional_int("value_dim")) o.value_dim = to_int32(c, "value_dim", *v);
  o.dropout = c.r.get_double("dropout", 0.0);
  o.use_bias = c.r.get_bool("use_bias", true);
  if (c.r.get_bool("use_gate", false)) c.r.fail("use_gate", "must be false: gated attention is not supported");
  if (c.r.has("output_shape"))
    o.output_shape = c.r.get_ints("output_shape", {});
  else
    c.r.ignore("output_shape");
  o.attention_axes = get_int32s(c, "attention_axes", {});
  must_be_null(c, "sliding_window", "sliding-window attention is not supported");
  read_initializer(c, "kernel_initializer", o.kernel_initializer);
  read_initializer(c, "bias_initializer", o.bias_initializer);
  read_regularizer(c, "kernel_regularizer", o.kernel_regularizer);
  read_regularizer(c, "bias_regularizer", o.bias_regularizer);
  read_constraint(c, "kernel_constraint", o.kernel_constraint);
  read_constraint(c, "bias_constraint", o.bias_constraint);
  o.seed = get_seed(c);
  set_base(o, c.base);
  return make<layers::MultiHeadAttentionImpl>(c, o);
}

// ---- recurrent ------------------------------------------------------------------------------------

/// What cells and recurrent layers share: units, activations, the weight arguments, dropouts, seed.
template <class O>
void read_recurrent_args(const Ctx& c, O& o) {
  o.units = required_int(c, "units");
  read_activation(c, "activation", o.activation);
  if constexpr (requires { o.recurrent_activation; })
    read_activation(c, "recurrent_activation", o.recurrent_activation);
  o.use_bias = c.r.get_bool("use_bias", true);
  if constexpr (requires { o.unit_forget_bias; }) o.unit_forget_bias = c.r.get_bool("unit_forget_bias", true);
  if constexpr (requires { o.reset_after; }) o.reset_after = c.r.get_bool("reset_after", true);
  read_initializer(c, "kernel_initializer", o.kernel_initializer);
  read_initializer(c, "recurrent_initializer", o.recurrent_initializer);
  read_initializer(c, "bias_initializer", o.bias_initializer);
  read_regularizer(c, "kernel_regularizer", o.kernel_regularizer);
  read_regularizer(c, "recurrent_regularizer", o.recurrent_regularizer);
  read_regularizer(c, "bias_regularizer", o.bias_regularizer);
  if constexpr (requires { o.activity_regularizer; })
    read_regularizer(c, "activity_regularizer", o.activity_regularizer);
  read_constraint(c, "kernel_constraint", o.kernel_constraint);
  read_constraint(c, "recurrent_constraint", o.recurrent_constraint);
  read_constraint(c, "bias_constraint", o.bias_constraint);
  o.dropout = c.r.get_double("dropout", 0.0);
  o.recurrent_dropout = c.r.get_double("recurrent_dropout", 0.0);
  o.seed = get_seed(c);
  c.r.ignore("implementation");  // Keras 2, without effect
  c.r.ignore("time_major");      // Keras 2; false is the only layout Keras 3 has
}

/// The RNN loop's arguments.
template <class O>
void read_loop_args(const Ctx& c, O& o) {
  o.return_sequences = c.r.get_bool("return_sequences", false);
  o.return_state = c.r.get_bool("return_state", false);
  o.go_backwards = c.r.get_bool("go_backwards", false);
  o.stateful = c.r.get_bool("stateful", false);
  o.unroll = c.r.get_bool("unroll", false);
}

template <class T, class O>
Maker make_cell() {
  return [](const Ctx& c) -> std::shared_ptr<Layer> {
    O o;
    read_recurrent_args(c, o);
    set_base(o, c.base);
    return make<T>(c, o);
  };
}

template <class T, class O>
Maker make_recurrent() {
  return [](const Ctx& c) -> std::shared_ptr<Layer> {
    O o;
    read_recurrent_args(c, o);
    read_loop_args(c, o);
    // Set by Bidirectional on the layers it wraps (from return_sequences), which the layers'
    // constructors do not take.
    const bool zero_output_for_mask = c.r.get_bool("zero_output_for_mask", false);
    set_base(o, c.base);
    auto layer = std::make_shared<T>(o);
    layer->set_zero_output_for_mask(zero_output_for_mask);
    return layer;
  };
}

std::shared_ptr<Layer> make_rnn(const Ctx& c) {
  if (c.r.has("cell") && c.config["cell"].is_array())
    c.r.fail("cell", "is a list of cells (StackedRNNCells), which keras.cpp does not support");
  auto cell = nested_layer_as<layers::RNNCellImpl>(c, "cell", "a recurrent cell (SimpleRNNCell, LSTMCell, GRUCell)");
  layers::RNNOptions o;
  read_loop_args(c, o);
  o.zero_output_for_mask = c.r.get_bool("zero_output_for_mask", false);
  set_base(o, c.base);
  return std::make_shared<layers::RNNImpl>(cell, o);
}

std::shared_ptr<Layer> make_bidirectional(const Ctx& c) {
  auto forward = nested_layer_as<layers::RNNImpl>(c, "layer", "a recurrent layer (SimpleRNN, LSTM, GRU)");
  layers::BidirectionalOptions o;
  if (c.present("merge_mode") && c.config["merge_mode"].is_null()) {
    c.r.ignore("merge_mode");
    o.merge_mode = "";  // Keras' None
  } else {
    o.merge_mode = c.r.get_string("merge_mode", o.merge_mode);
  }
  if (c.r.has("backward_layer"))
    o.backward_layer =
        nested_layer_as<layers::RNNImpl>(c, "backward_layer", "a recurrent layer (SimpleRNN, LSTM, GRU)");
  else
    c.r.ignore("backward_layer");
  set_base(o, c.base);
  return std::make_shared<layers::BidirectionalImpl>(Handle<layers::RNNImpl>(forward), o);
}

std::shared_ptr<Layer> make_time_distributed(const Ctx& c) {
  LayerHandle inner = nested_layer(c, "layer");
  layers::TimeDistributedOptions o;
  set_base(o, c.base);
  return std::make_shared<layers::TimeDistributedImpl>(inner, o);
}

// ---- the table ------------------------------------------------------------------------------------

const std::map<std::string, Maker>& table() {
  using namespace layers;
  static const std::map<std::string, Maker> t{
      {"InputLayer", make_input_layer},
      {"Dense", make_dense},
      {"Activation", make_activation},
      {"Dropout", make_dropout},
      {"Flatten", make_flatten},
      {"Reshape", make_reshape},
      {"Identity", make_identity},
      {"Permute", make_permute},
      {"RepeatVector", make_repeat_vector},
      {"ZeroPadding1D", make_zero_padding_1d},
      {"ZeroPadding2D", make_zero_padding_2d},
      {"Cropping1D", make_cropping_1d},
      {"Cropping2D", make_cropping_2d},
      {"UpSampling1D", make_up_sampling_1d},
      {"UpSampling2D", make_up_sampling_2d},
      {"Rescaling", make_rescaling},
      {"Add", make_merge<AddImpl>()},
      {"Subtract", make_merge<SubtractImpl>()},
      {"Multiply", make_merge<MultiplyImpl>()},
      {"Average", make_merge<AverageImpl>()},
      {"Maximum", make_merge<MaximumImpl>()},
      {"Minimum", make_merge<MinimumImpl>()},
      {"Concatenate", make_concatenate},
      {"Dot", make_dot},
      {"SpatialDropout1D", make_spatial_dropout_1d},
      {"SpatialDropout2D", make_spatial_dropout_2d},
      {"GaussianNoise", make_gaussian_noise},
      {"GaussianDropout", make_gaussian_dropout},
      {"ActivityRegularization", make_activity_regularization},
      {"MaxPooling1D", make_pooling<MaxPooling1DImpl, 1>()},
      {"MaxPooling2D", make_pooling<MaxPooling2DImpl, 2>()},
      {"AveragePooling1D", make_pooling<AveragePooling1DImpl, 1>()},
      {"AveragePooling2D", make_pooling<AveragePooling2DImpl, 2>()},
      {"GlobalAveragePooling1D", make_global_pooling<GlobalAveragePooling1DImpl>()},
      {"GlobalAveragePooling2D", make_global_pooling<GlobalAveragePooling2DImpl>()},
      {"GlobalMaxPooling1D", make_global_pooling<GlobalMaxPooling1DImpl>()},
      {"GlobalMaxPooling2D", make_global_pooling<GlobalMaxPooling2DImpl>()},
      {"Conv1D", make_conv<Conv1DImpl, 1, false>()},
      {"Conv2D", make_conv<Conv2DImpl, 2, false>()},
      {"Conv3D", make_conv<Conv3DImpl, 3, false>()},
      {"Conv1DTranspose", make_conv<Conv1DTransposeImpl, 1, true>()},
      {"Conv2DTranspose", make_conv<Conv2DTransposeImpl, 2, true>()},
      {"DepthwiseConv2D", make_depthwise_conv_2d},
      {"SeparableConv2D", make_separable_conv_2d},
      {"Embedding", make_embedding},
      {"BatchNormalization", make_batch_normalization},
      {"LayerNormalization", make_layer_normalization},
      {"GroupNormalization", make_group_normalization},
      {"UnitNormalization", make_unit_normalization},
      {"Normalization", make_normalization},
      {"RandomFlip", make_random_flip},
      {"RandomCrop", make_random_crop},
      {"CategoryEncoding", make_category_encoding},
      {"Attention", make_attention},
      {"MultiHeadAttention", make_multi_head_attention},
      {"SimpleRNNCell", make_cell<SimpleRNNCellImpl, SimpleRNNCellOptions>()},
      {"LSTMCell", make_cell<LSTMCellImpl, LSTMCellOptions>()},
      {"GRUCell", make_cell<GRUCellImpl, GRUCellOptions>()},
      {"RNN", make_rnn},
      {"SimpleRNN", make_recurrent<SimpleRNNImpl, SimpleRNNOptions>()},
      {"LSTM", make_recurrent<LSTMImpl, LSTMOptions>()},
      {"GRU", make_recurrent<GRUImpl, GRUOptions>()},
      {"Bidirectional", make_bidirectional},
      {"TimeDistributed", make_time_distributed},
  };
  return t;
}

}  // namespace

bool is_builtin_layer(const std::string& class_name) { return table().count(class_name) > 0; }

std::shared_ptr<Layer> make_builtin_layer(const std::string& class_name, const json& config) {
  if (class_name == "Lambda" || class_name == "TFSMLayer" || class_name == "TorchModuleWrapper" ||
      class_name == "JaxLayer" || class_name == "FlaxLayer")
    throw ValueError("Refusing to load a `" + class_name +
                     "` layer: it holds Python code, and keras.cpp never runs code from a file. Rewrite it as a C++ "
                     "layer class and register it with KERAS_REGISTER_SERIALIZABLE(YourLayer, \"package\").");
  auto it = table().find(class_name);
  if (it == table().end()) return nullptr;
  const std::string name = config.is_object() && config.contains("name") && config["name"].is_string()
                               ? config["name"].get<std::string>()
                               : std::string();
  ConfigReader r(config, "Layer '" + name + "' (" + class_name + ")");
  LayerOptions base;
  if (class_name == "InputLayer") {
    base.name = r.get_string("name", "");
    base.dtype = deserialize_dtype(r.raw("dtype"));
  } else {
    base = layer_options(config);
    r.ignore("name");
    r.ignore("trainable");
    r.ignore("dtype");
    // The input shape Keras 2 wrote on a model's first layer: read by the model, not the layer.
    r.ignore("batch_input_shape");
  }
  std::shared_ptr<Layer> layer;
  try {
    layer = it->second(Ctx{r, config, base});
  } catch (const ValueError& e) {
    const std::string what = e.what();
    // Errors of the layer's constructor say what is wrong but not which layer of the file.
    if (what.rfind(r.what(), 0) == 0) throw;
    throw ValueError(r.what() + ": " + what);
  }
  // Options without a `trainable` field (merging layers, spatial dropouts) take it here.
  if (!base.trainable && layer->trainable()) layer->set_trainable(false);
  r.warn_unused();
  return layer;
}

}  // namespace keras::saving::detail
