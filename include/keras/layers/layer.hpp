#pragma once
/// keras::Layer: the base of every layer and model, and keras::Handle, the
/// shared reference through which layers are held.
///
/// Example (a user layer, as one subclasses keras.layers.Layer):
///   class Scale : public keras::Layer {
///    public:
///     std::string class_name() const override { return "Scale"; }
///     void build(const keras::Shape& s) override {
///       w_ = add_weight({.name = "w", .shape = {s.back()}, .initializer = "ones"});
///     }
///     keras::Tensor call(const keras::Tensor& x, bool) override { return x * w_.value(); }
///    private:
///     keras::Variable w_;
///   };
///   keras::Handle<Scale> scale;                 // a shared reference
///   keras::Tensor y = scale(x);                 // builds on the first call
///
/// A layer builds lazily on its first call (build(input_shape)), creates its
/// weights with add_weight, and lists them, its sublayers' after its own, in
/// weights() / trainable_weights() / non_trainable_weights(). The `training`
/// flag given to the outermost call flows to every sublayer called inside it.
///
/// Layers of several inputs or outputs (Add, Concatenate, an RNN with
/// return_state) override call_multi() and are called with a list:
///   std::vector<keras::Tensor> out = keras::layers::Add()({a, b});
/// Called on symbolic tensors that come from keras::Input, a layer records the
/// call (the Functional API): keras::Model(inputs, outputs) replays the record.
///
/// Masks (Keras' _keras_mask) ride on tensors: a layer that supports masking
/// passes compute_mask()'s result on to its output; call() reads the mask of
/// its inputs with input_mask().
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/constraints.hpp"
#include "keras/initializers.hpp"
#include "keras/regularizers.hpp"
#include "keras/tensor.hpp"
#include "keras/variable.hpp"

namespace keras::random {
class SeedGenerator;
}  // namespace keras::random

namespace keras {

/// The options every layer takes (Keras' **kwargs), last in each layer's options struct.
struct LayerOptions {
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Keras' add_weight arguments.
struct AddWeightOptions {
  std::string name{};
  Shape shape{};
  /// Default: "glorot_uniform" for floating dtypes, "zeros" otherwise.
  initializers::InitializerArg initializer{};
  /// Default: the layer's dtype.
  std::optional<DType> dtype{};
  bool trainable = true;
  regularizers::RegularizerArg regularizer{};
  constraints::ConstraintArg constraint{};
};

/// What a layer accepts (keras.layers.InputSpec); checked before every call.
struct InputSpec {
  std::optional<int> ndim{};
  std::optional<int> min_ndim{};
  std::optional<int> max_ndim{};
  /// Axis -> required size (negative axes count from the end).
  std::map<int, int64_t> axes{};
};

/// One tensor or a list of them: what a layer of several inputs or outputs takes and returns, a
/// Functional model's inputs and outputs. `x` is one tensor; `{a, b}` and `Tensors{x}` are lists
/// (Keras' [a, b], [x]). Converts to a Tensor when it holds exactly one.
class Tensors : public std::vector<Tensor> {
 public:
  Tensors() = default;
  Tensors(const Tensor& tensor) : std::vector<Tensor>{tensor}, single_(true) {}      // NOLINT: implicit
  Tensors(std::vector<Tensor> tensors) : std::vector<Tensor>(std::move(tensors)) {}  // NOLINT
  Tensors(std::initializer_list<Tensor> tensors) : std::vector<Tensor>(tensors) {}   // NOLINT
  /// Given as one tensor rather than a list.
  bool single() const { return single_; }
  /// The only tensor; keras::ValueError when there are several (or none).
  operator Tensor() const;  // NOLINT: implicit, so `Tensor y = Add()({a, b});` reads as in Keras

 private:
  bool single_ = false;
};

/// The mask attached to a tensor by a layer (Keras' keras.backend.get_keras_mask), or an undefined
/// tensor when there is none.
Tensor get_keras_mask(const Tensor& x);
/// Attaches a mask (boolean, the tensor's shape without its last axis for sequences) to a tensor;
/// an undefined mask removes it.
void set_keras_mask(const Tensor& x, const Tensor& mask);

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  /// `default_name` is the auto-name prefix ("dense"); empty: the snake-cased class_name().
  explicit Layer(LayerOptions options = {}, std::string default_name = "");
  virtual ~Layer();
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  /// Builds on the first call, checks the input spec, runs call() and collects the activity
  /// regularization loss. `training` unset: the value of the enclosing call, else false.
  Tensor operator()(const Tensor& inputs, std::optional<bool> training = std::nullopt);
  /// Calls the layer on a list of inputs (`layer({a, b})`; `layer(keras::Tensors{x})` for one
  /// input of a layer with several outputs) and returns every output. Builds with build_multi()
  /// on the first call.
  Tensors operator()(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt);

  /// Creates the weights for inputs of this shape (batch axis first). The base marks the layer built.
  virtual void build(const Shape& input_shape);
  /// The computation. Layers that take no `training` flag ignore it.
  virtual Tensor call(const Tensor& inputs, bool training);
  /// The output shape for an input shape (batch dimension -1 allowed). The default traces call()
  /// on a symbolic input.
  virtual Shape compute_output_shape(const Shape& input_shape);
  /// Several inputs or outputs: the computation. The default hands a single input to call().
  virtual std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training);
  /// Builds for several inputs. The default builds for a single input's shape.
  virtual void build_multi(const std::vector<Shape>& input_shapes);
  /// The output shapes for several inputs. The default traces call_multi() on symbolic inputs.
  virtual std::vector<Shape> compute_output_shape_multi(const std::vector<Shape>& input_shapes);

  /// Whether the layer passes its input's mask on (Keras' supports_masking).
  bool supports_masking() const { return supports_masking_; }
  /// The output's mask (Keras' compute_mask): by default `mask` itself when the layer supports
  /// masking, else none.
  virtual Tensor compute_mask(const Tensor& inputs, const Tensor& mask);
  /// The masks of several outputs. The default: a single input's compute_mask() for the first
  /// output; none for several inputs.
  virtual std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks);

  /// Keras' class name ("Dense").
  virtual std::string class_name() const { return "Layer"; }
  /// The layer's constructor arguments as Keras' get_config() names them: name, trainable, dtype,
  /// then the layer's own (include <nlohmann/json.hpp> to read it).
  virtual nlohmann::json get_config() const;

  const std::string& name() const;
  DType dtype() const { return dtype_; }
  bool built() const { return built_; }
  bool trainable() const { return trainable_; }
  /// Sets the flag on this layer, its weights and every sublayer (Keras' trainable setter).
  void set_trainable(bool trainable);

  /// Adds a weight (Keras' add_weight); its regularizer's penalty joins losses().
  Variable add_weight(AddWeightOptions options);

  /// Every weight: this layer's, in creation order, then each sublayer's in tracking order.
  std::vector<Variable> weights() const;
  /// The trainable ones (none when the layer is not trainable).
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  std::vector<Variable> variables() const { return weights(); }
  std::vector<Variable> trainable_variables() const { return trainable_weights(); }
  std::vector<Variable> non_trainable_variables() const { return non_trainable_weights(); }
  /// This layer's own weights (not its sublayers'), in Keras' saving order: those created
  /// trainable first, then the others, each group in creation order (weights files store them as
  /// "0", "1", ...).
  std::vector<Variable> own_variables() const;
  /// The random seed generators this layer draws from in call() (Dropout's), not its sublayers';
  /// checkpoints save their state so that a resumed run draws the same numbers.
  virtual std::vector<random::SeedGenerator*> own_seed_generators() { return {}; }
  /// The weights' values, as copies.
  std::vector<Tensor> get_weights() const;
  /// Assigns values to weights() in order; shapes must match.
  void set_weights(const std::vector<Tensor>& weights);
  /// The number of scalars in weights().
  int64_t count_params() const;

  /// Adds a loss term (a tensor, summed into the training loss); cleared when the outermost call starts.
  void add_loss(const Tensor& loss);
  /// add_loss terms of this layer and its sublayers, then the weights' regularization penalties
  /// (computed now, so they differentiate inside a GradientTape).
  std::vector<Tensor> losses() const;

  /// The sublayers tracked by this layer, in tracking order.
  std::vector<std::shared_ptr<Layer>> sublayers() const;
  const std::optional<InputSpec>& input_spec() const { return input_spec_; }
  /// The output shape of the last call (batch axis -1), if the layer was called.
  const std::optional<Shape>& last_output_shape() const { return last_output_shape_; }
  /// The shape of the first built call's input (batch axis as given).
  const std::optional<Shape>& build_input_shape() const { return build_input_shape_; }
  /// The shapes of the first built call of a layer of several inputs (build_multi), if any.
  const std::optional<std::vector<Shape>>& build_input_shapes() const { return build_input_shapes_; }

  /// Runs build() once for this shape (Keras' maybe_build); later calls do nothing.
  void maybe_build(const Shape& input_shape);
  /// Runs build_multi() once (a single shape goes to maybe_build).
  void maybe_build_multi(const std::vector<Shape>& input_shapes);
  /// How many times the layer was called on Functional API tensors (Keras' len(_inbound_nodes)).
  int inbound_node_count() const { return inbound_node_count_; }

  /// Tracks a sublayer under an attribute name (the name weights files use) and returns it.
  template <class H>
  H track(const std::string& attribute, H handle) {
    track_layer(attribute, handle.ptr());
    return handle;
  }
  void track_layer(const std::string& attribute, std::shared_ptr<Layer> layer);
  /// The attribute names given to track(), parallel to sublayers().
  std::vector<std::string> tracked_names() const;

 protected:
  void set_input_spec(InputSpec spec) { input_spec_ = std::move(spec); }
  void set_built(bool built) { built_ = built; }
  void set_supports_masking(bool value) { supports_masking_ = value; }
  /// During call(): the mask of input `index` (Keras' `mask` argument), or an undefined tensor.
  Tensor input_mask(size_t index = 0) const;
  /// Untracks every sublayer (Sequential.pop and rebuilding).
  void clear_tracked_layers();
  /// The regularizer, if any, of an add_weight variable; activity regularizer of the layer.
  void set_activity_regularizer(regularizers::RegularizerArg r);

 private:
  struct WeightEntry {
    Variable variable;
    std::shared_ptr<const regularizers::Regularizer> regularizer;
    bool created_trainable = true;  // add_weight's `trainable`: the saving order's partition
  };
  void check_input_compatibility(const Tensor& x) const;
  std::vector<Tensor> invoke(const std::vector<Tensor>& inputs, std::optional<bool> training, bool single);
  void collect_losses(std::vector<Tensor>& out) const;
  void clear_losses();

  mutable std::string name_;
  std::string default_name_;
  DType dtype_ = DType::float32;
  bool trainable_ = true;
  bool built_ = false;
  bool supports_masking_ = false;
  bool warned_mask_ = false;
  int inbound_node_count_ = 0;
  const std::vector<Tensor>* call_masks_ = nullptr;  // the masks of the call in progress
  std::optional<InputSpec> input_spec_;
  std::optional<Shape> build_input_shape_;
  std::optional<std::vector<Shape>> build_input_shapes_;
  std::optional<Shape> last_output_shape_;
  std::vector<WeightEntry> weights_;
  std::vector<Tensor> losses_;
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> layers_;
  std::shared_ptr<const regularizers::Regularizer> activity_regularizer_;
};

template <class T>
concept HasOptions = requires {
  typename T::Options;
};

/// A shared reference to a layer: copies refer to the same layer (and weights), as Python names do.
/// `Handle<Dense>` is what keras::layers::Dense is; any handle converts to Handle<Layer>.
template <class T>
class Handle {
 public:
  using element_type = T;

  /// From the layer's options struct: `Dense({.units = 64, .use_bias = false})`.
  template <class U = T>
  requires HasOptions<U> Handle(const typename U::Options& options)  // NOLINT: implicit, so braced options convert
      : ptr_(std::make_shared<T>(options)) {}
  /// From any constructor of the layer: `Dense(64, "relu")`, `Flatten()`.
  template <class... Args>
  requires std::constructible_from<T, Args&&...>
  explicit Handle(Args&&... args) : ptr_(std::make_shared<T>(std::forward<Args>(args)...)) {}
  /// Wraps an existing layer.
  Handle(std::shared_ptr<T> layer) : ptr_(std::move(layer)) {}  // NOLINT
  /// A handle of a derived layer class.
  template <class U>
  requires(std::derived_from<U, T> && !std::same_as<U, T>) Handle(const Handle<U>& other)
      : ptr_(other.ptr()) {}  // NOLINT

  T* operator->() const { return ptr_.get(); }
  T& operator*() const { return *ptr_; }
  const std::shared_ptr<T>& ptr() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }

  /// Calls the layer (build on first call).
  Tensor operator()(const Tensor& inputs, std::optional<bool> training = std::nullopt) const {
    return (*ptr_)(inputs, training);
  }
  /// Calls a layer on a list of inputs (see Layer::operator()).
  Tensors operator()(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt) const {
    return (*ptr_)(inputs, training);
  }

 private:
  std::shared_ptr<T> ptr_;
};

/// Any layer, held by reference.
using LayerHandle = Handle<Layer>;

namespace utils {
/// Forgets auto-name counters, so the next Dense is "dense" again (keras.utils.clear_session()).
void clear_session();
}  // namespace utils

}  // namespace keras
