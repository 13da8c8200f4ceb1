#pragma once
/// The recurrent layers: SimpleRNN, LSTM and GRU (with their cells), and the
/// wrappers Bidirectional and TimeDistributed.
///
/// Example:
///   auto model = keras::Sequential({
///       keras::layers::Input({-1}, {.dtype = keras::DType::int32}),
///       keras::layers::Embedding({.input_dim = 1000, .output_dim = 32, .mask_zero = true}),
///       keras::layers::Bidirectional(keras::layers::LSTM({.units = 64, .return_sequences = true})),
///       keras::layers::GRU(32),
///       keras::layers::Dense(1, "sigmoid"),
///   });
///   // Several outputs: [output, state_h, state_c].
///   keras::Tensors ys = keras::layers::LSTM({.units = 8, .return_state = true})(keras::Tensors{x});
///   // Initial states as extra inputs: layer({x, h0, c0}).
///
/// Weights follow Keras' names, shapes and order (cell kernel, recurrent_kernel,
/// bias; gates i, f, c, o for LSTM and z, r, h for GRU), so .weights.h5 files
/// interoperate. A mask on the input (Embedding(mask_zero)) makes masked steps
/// keep the previous state and output, as Keras does.
///
/// Not implemented: dropout / recurrent_dropout in training (inference ignores
/// them, as Keras does) and stateful=true raise keras::NotImplementedError.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/activations.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

// ---- Cells --------------------------------------------------------------------------------------------

/// The base of the recurrent cells: one step of a recurrence. Called as a layer on
/// {input (batch, features), state...}, it returns {output, new state...}.
class RNNCellImpl : public Layer {
 public:
  using Layer::Layer;
  /// The size of each state (LSTM: {units, units}).
  virtual std::vector<int64_t> state_size() const = 0;
  int64_t output_size() const { return state_size()[0]; }
  /// The input part of every step at once: (n, features) -> (n, projected) (the kernel product and
  /// the input bias). Built on the first use.
  virtual Tensor project_inputs(const Tensor& x) = 0;
  /// One step on a projected input: the new states (the output is the first).
  virtual std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states) = 0;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  double dropout() const { return dropout_; }
  double recurrent_dropout() const { return recurrent_dropout_; }

 protected:
  void set_dropouts(double dropout, double recurrent_dropout);
  double dropout_ = 0.0;
  double recurrent_dropout_ = 0.0;
};

struct SimpleRNNCellOptions {
  int64_t units = 0;
  activations::ActivationArg activation = "tanh";
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg recurrent_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg recurrent_constraint{};
  constraints::ConstraintArg bias_constraint{};
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).
class SimpleRNNCellImpl : public RNNCellImpl {
 public:
  using Options = SimpleRNNCellOptions;
  explicit SimpleRNNCellImpl(Options options);
  std::string class_name() const override { return "SimpleRNNCell"; }
  void build(const Shape& input_shape) override;
  std::vector<int64_t> state_size() const override { return {options_.units}; }
  Tensor project_inputs(const Tensor& x) override;
  std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states) override;
  nlohmann::json get_config() const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable kernel_, recurrent_kernel_, bias_;
};
struct SimpleRNNCell : Handle<SimpleRNNCellImpl> {
  using Handle::Handle;
};

struct LSTMCellOptions {
  int64_t units = 0;
  activations::ActivationArg activation = "tanh";
  activations::ActivationArg recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  /// Adds 1 to the forget gate's bias at initialization (Jozefowicz et al., 2015).
  bool unit_forget_bias = true;
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg recurrent_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg recurrent_constraint{};
  constraints::ConstraintArg bias_constraint{};
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// The LSTM step (Hochreiter & Schmidhuber, 1997); gates i, f, c, o side by side in kernel
/// (features, 4 units), recurrent_kernel (units, 4 units) and bias (4 units). States {h, c}.
class LSTMCellImpl : public RNNCellImpl {
 public:
  using Options = LSTMCellOptions;
  explicit LSTMCellImpl(Options options);
  std::string class_name() const override { return "LSTMCell"; }
  void build(const Shape& input_shape) override;
  std::vector<int64_t> state_size() const override { return {options_.units, options_.units}; }
  Tensor project_inputs(const Tensor& x) override;
  std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states) override;
  nlohmann::json get_config() const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable kernel_, recurrent_kernel_, bias_;
};
struct LSTMCell : Handle<LSTMCellImpl> {
  using Handle::Handle;
};

struct GRUCellOptions {
  int64_t units = 0;
  activations::ActivationArg activation = "tanh";
  activations::ActivationArg recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg recurrent_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg recurrent_constraint{};
  constraints::ConstraintArg bias_constraint{};
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  /// The reset gate applies after the recurrent product (the cuDNN variant, Keras' default): bias
  /// (2, 3 units), input and recurrent rows; false: before it, bias (3 units).
  bool reset_after = true;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// The GRU step (Cho et al., 2014); gates z, r, h side by side in kernel (features, 3 units) and
/// recurrent_kernel (units, 3 units).
class GRUCellImpl : public RNNCellImpl {
 public:
  using Options = GRUCellOptions;
  explicit GRUCellImpl(Options options);
  std::string class_name() const override { return "GRUCell"; }
  void build(const Shape& input_shape) override;
  std::vector<int64_t> state_size() const override { return {options_.units}; }
  Tensor project_inputs(const Tensor& x) override;
  std::vector<Tensor> step(const Tensor& projected, const std::vector<Tensor>& states) override;
  nlohmann::json get_config() const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
  Variable kernel_, recurrent_kernel_, bias_;
};
struct GRUCell : Handle<GRUCellImpl> {
  using Handle::Handle;
};

// ---- RNN ----------------------------------------------------------------------------------------------

/// The options of the RNN loop (Keras' RNN arguments).
struct RNNOptions {
  /// The output at every step (batch, steps, units), else only the last (batch, units).
  bool return_sequences = false;
  /// Also return the final states: {output, state...}; call with a list (layer(Tensors{x})).
  bool return_state = false;
  /// Processes the sequence in reverse (the returned sequence is in processing order).
  bool go_backwards = false;
  /// Not implemented (keras::NotImplementedError).
  bool stateful = false;
  /// Accepted, without effect (the loop is always unrolled here).
  bool unroll = false;
  /// Masked steps output zeros rather than the previous output.
  bool zero_output_for_mask = false;
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// A recurrent layer around a cell: runs the cell over axis 1 of (batch, steps, features) inputs.
/// Called on {x, state...}, the states are the initial ones (zeros otherwise).
class RNNImpl : public Layer {
 public:
  RNNImpl(std::shared_ptr<RNNCellImpl> cell, RNNOptions options, std::string default_name = "rnn");
  std::string class_name() const override { return "RNN"; }
  void build(const Shape& input_shape) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  std::vector<Shape> compute_output_shape_multi(const std::vector<Shape>& input_shapes) override;
  /// The input's mask when returning sequences (and none for the states).
  std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) override;
  nlohmann::json get_config() const override;

  const std::shared_ptr<RNNCellImpl>& cell() const { return cell_; }
  const RNNOptions& rnn_options() const { return rnn_options_; }
  bool return_sequences() const { return rnn_options_.return_sequences; }
  bool return_state() const { return rnn_options_.return_state; }
  bool go_backwards() const { return rnn_options_.go_backwards; }
  bool zero_output_for_mask() const { return rnn_options_.zero_output_for_mask; }
  void set_zero_output_for_mask(bool value) { rnn_options_.zero_output_for_mask = value; }
  /// A fresh, unbuilt layer of the same configuration with this name and direction (what
  /// Bidirectional makes of the layer it wraps, as Keras does from the layer's config).
  virtual std::shared_ptr<RNNImpl> clone(const std::string& name, bool go_backwards) const;

 private:
  std::shared_ptr<RNNCellImpl> cell_;
  RNNOptions rnn_options_;
};
struct RNN : Handle<RNNImpl> {
  using Handle::Handle;
};

struct SimpleRNNOptions {
  int64_t units = 0;
  activations::ActivationArg activation = "tanh";
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg recurrent_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  regularizers::RegularizerArg activity_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg recurrent_constraint{};
  constraints::ConstraintArg bias_constraint{};
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// A fully connected RNN: keras.layers.SimpleRNN.
class SimpleRNNImpl : public RNNImpl {
 public:
  using Options = SimpleRNNOptions;
  explicit SimpleRNNImpl(Options options);
  explicit SimpleRNNImpl(int64_t units, activations::ActivationArg activation = "tanh");
  std::string class_name() const override { return "SimpleRNN"; }
  nlohmann::json get_config() const override;
  std::shared_ptr<RNNImpl> clone(const std::string& name, bool go_backwards) const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
};
struct SimpleRNN : Handle<SimpleRNNImpl> {
  using Handle::Handle;
};

struct LSTMOptions {
  int64_t units = 0;
  activations::ActivationArg activation = "tanh";
  activations::ActivationArg recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  bool unit_forget_bias = true;
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg recurrent_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  regularizers::RegularizerArg activity_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg recurrent_constraint{};
  constraints::ConstraintArg bias_constraint{};
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Long Short-Term Memory: keras.layers.LSTM. With return_state: {output, state_h, state_c}.
class LSTMImpl : public RNNImpl {
 public:
  using Options = LSTMOptions;
  explicit LSTMImpl(Options options);
  explicit LSTMImpl(int64_t units);
  std::string class_name() const override { return "LSTM"; }
  nlohmann::json get_config() const override;
  std::shared_ptr<RNNImpl> clone(const std::string& name, bool go_backwards) const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
};
struct LSTM : Handle<LSTMImpl> {
  using Handle::Handle;
};

struct GRUOptions {
  int64_t units = 0;
  activations::ActivationArg activation = "tanh";
  activations::ActivationArg recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  regularizers::RegularizerArg kernel_regularizer{};
  regularizers::RegularizerArg recurrent_regularizer{};
  regularizers::RegularizerArg bias_regularizer{};
  regularizers::RegularizerArg activity_regularizer{};
  constraints::ConstraintArg kernel_constraint{};
  constraints::ConstraintArg recurrent_constraint{};
  constraints::ConstraintArg bias_constraint{};
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool reset_after = true;
  std::optional<uint64_t> seed{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Gated Recurrent Unit: keras.layers.GRU.
class GRUImpl : public RNNImpl {
 public:
  using Options = GRUOptions;
  explicit GRUImpl(Options options);
  explicit GRUImpl(int64_t units);
  std::string class_name() const override { return "GRU"; }
  nlohmann::json get_config() const override;
  std::shared_ptr<RNNImpl> clone(const std::string& name, bool go_backwards) const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
};
struct GRU : Handle<GRUImpl> {
  using Handle::Handle;
};

// ---- Bidirectional ------------------------------------------------------------------------------------

struct BidirectionalOptions {
  /// How the two directions combine: "concat", "sum", "mul", "ave", or "" (Keras' None: both
  /// outputs, as a list).
  std::string merge_mode = "concat";
  /// The backward layer (go_backwards = true, same return_sequences / return_state); by default a
  /// copy of the layer running backwards.
  std::shared_ptr<RNNImpl> backward_layer{};
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Runs a recurrent layer forwards and backwards and merges the two; the backward sequence is
/// flipped back to time order. Weights: the forward layer's ("forward_<name>"), then the
/// backward's ("backward_<name>"). With return_state: {output, forward states..., backward
/// states...}; called on {x, states...}, the first half of the states starts the forward layer.
class BidirectionalImpl : public Layer {
 public:
  using Options = BidirectionalOptions;
  BidirectionalImpl(const Handle<RNNImpl>& layer, Options options = {});
  BidirectionalImpl(const Handle<RNNImpl>& layer, const std::string& merge_mode);
  std::string class_name() const override { return "Bidirectional"; }
  void build(const Shape& input_shape) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;
  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  std::vector<Shape> compute_output_shape_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) override;
  nlohmann::json get_config() const override;
  const std::shared_ptr<RNNImpl>& forward_layer() const { return forward_; }
  const std::shared_ptr<RNNImpl>& backward_layer() const { return backward_; }

 private:
  std::shared_ptr<RNNImpl> forward_, backward_;
  std::string merge_mode_;
};
struct Bidirectional : Handle<BidirectionalImpl> {
  using Handle::Handle;
};

// ---- TimeDistributed ----------------------------------------------------------------------------------

struct TimeDistributedOptions {
  std::string name{};
  std::optional<DType> dtype{};
  bool trainable = true;
};

/// Applies a layer to every step of (batch, steps, ...) inputs (as one call on batch * steps
/// samples); the input's mask passes through.
class TimeDistributedImpl : public Layer {
 public:
  using Options = TimeDistributedOptions;
  explicit TimeDistributedImpl(const LayerHandle& layer, Options options = {});
  std::string class_name() const override { return "TimeDistributed"; }
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  nlohmann::json get_config() const override;
  const std::shared_ptr<Layer>& layer() const { return layer_; }

 private:
  std::shared_ptr<Layer> layer_;
};
struct TimeDistributed : Handle<TimeDistributedImpl> {
  using Handle::Handle;
};

}  // namespace keras::layers
