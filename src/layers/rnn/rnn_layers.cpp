// Mirrors keras/src/layers/rnn/{rnn,simple_rnn,lstm,gru}.py and the masked loop of
// keras/src/backend/jax/rnn.py. The input projection (x @ kernel + input bias) of every step is
// computed at once; each step then adds the recurrent product. Built from keras::ops, so the
// tape differentiates it.
#include <nlohmann/json.hpp>
#include <utility>

#include "keras/graph.hpp"
#include "keras/layers/rnn.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"

namespace keras::layers {

namespace {

void check_units(int64_t units) {
  if (units <= 0)
    throw ValueError("Received an invalid value for argument `units`, expected a positive integer, got " +
                     std::to_string(units) + ".");
}

double clamp01(double v) { return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v); }

Tensor as_dtype(const Tensor& x, DType dt) { return x.dtype() == dt ? x : ops::cast(x, dt); }

// Columns [start, start + n) of a 2-D tensor.
Tensor cols(const Tensor& x, int64_t start, int64_t n) { return ops::slice(x, {0, start}, Shape{x.shape()[0], n}); }

// Row `r` of a 2-D tensor, as a vector.
Tensor row(const Tensor& x, int64_t r) {
  return ops::reshape(ops::slice(x, {r, 0}, Shape{1, x.shape()[1]}), Shape{x.shape()[1]});
}

// The keys every cell and recurrent layer writes after `units` and the activations, in Keras'
// order: use_bias, [unit_forget_bias], the initializers, the regularizers, the constraints.
template <class O>
void add_weight_args_config(nlohmann::json& c, const O& o, bool activity_regularizer) {
  c["use_bias"] = o.use_bias;
  if constexpr (requires { o.unit_forget_bias; }) {
    // LSTMCell writes unit_forget_bias before the initializers, LSTM after them.
    if (!activity_regularizer) c["unit_forget_bias"] = o.unit_forget_bias;
  }
  c["kernel_initializer"] = saving::serialize(o.kernel_initializer);
  c["recurrent_initializer"] = saving::serialize(o.recurrent_initializer);
  c["bias_initializer"] = saving::serialize(o.bias_initializer);
  if constexpr (requires { o.unit_forget_bias; }) {
    if (activity_regularizer) c["unit_forget_bias"] = o.unit_forget_bias;
  }
  c["kernel_regularizer"] = saving::serialize(o.kernel_regularizer);
  c["recurrent_regularizer"] = saving::serialize(o.recurrent_regularizer);
  c["bias_regularizer"] = saving::serialize(o.bias_regularizer);
  if constexpr (requires { o.activity_regularizer; }) {
    if (activity_regularizer) c["activity_regularizer"] = saving::serialize(o.activity_regularizer);
  }
  c["kernel_constraint"] = saving::serialize(o.kernel_constraint);
  c["recurrent_constraint"] = saving::serialize(o.recurrent_constraint);
  c["bias_constraint"] = saving::serialize(o.bias_constraint);
}

// A cell's config: units, activation(s), the weight arguments, dropouts, [reset_after], seed.
template <class O>
void add_cell_config(nlohmann::json& c, const O& o) {
  c["units"] = o.units;
  c["activation"] = saving::serialize(o.activation);
  if constexpr (requires { o.recurrent_activation; })
    c["recurrent_activation"] = saving::serialize(o.recurrent_activation);
  add_weight_args_config(c, o, false);
  c["dropout"] = o.dropout;
  c["recurrent_dropout"] = o.recurrent_dropout;
  if constexpr (requires { o.reset_after; }) c["reset_after"] = o.reset_after;
  c["seed"] = o.seed ? nlohmann::json(*o.seed) : nlohmann::json(nullptr);
}

}  // namespace

// ---- RNNCellImpl --------------------------------------------------------------------------------------

void RNNCellImpl::set_dropouts(double dropout, double recurrent_dropout) {
  dropout_ = clamp01(dropout);
  recurrent_dropout_ = clamp01(recurrent_dropout);
}

void RNNCellImpl::build_multi(const std::vector<Shape>& input_shapes) { build(input_shapes.at(0)); }

std::vector<Tensor> RNNCellImpl::call_multi(const std::vector<Tensor>& inputs, bool training) {
  const size_t n = state_size().size();
  if (inputs.size() != n + 1)
    throw ValueError("Cell '" + name() + "' expects its input and " + std::to_string(n) + " state(s); received " +
                     std::to_string(inputs.size()) + " tensor(s)");
  if (training && (dropout_ > 0.0 || recurrent_dropout_ > 0.0))
    throw NotImplementedError("Cell '" + name() + "': dropout and recurrent_dropout in training are not implemented");
  std::vector<Tensor> states(inputs.begin() + 1, inputs.end());
  for (auto& s : states) s = as_dtype(s, dtype());
  std::vector<Tensor> next = step(project_inputs(as_dtype(inputs[0], dtype())), states);
  std::vector<Tensor> out{next[0]};
  out.insert(out.end(), next.begin(), next.end());
  return out;
}

// ---- SimpleRNNCell ------------------------------------------------------------------------------------

SimpleRNNCellImpl::SimpleRNNCellImpl(Options o)
    : RNNCellImpl({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "simple_rnn_cell"),
      options_(std::move(o)) {
  check_units(options_.units);
  set_dropouts(options_.dropout, options_.recurrent_dropout);
}

void SimpleRNNCellImpl::build(const Shape& input_shape) {
  const int64_t in = input_shape.back();
  kernel_ = add_weight({.name = "kernel",
                        .shape = {in, options_.units},
                        .initializer = options_.kernel_initializer,
                        .regularizer = options_.kernel_regularizer,
                        .constraint = options_.kernel_constraint});
  recurrent_kernel_ = add_weight({.name = "recurrent_kernel",
                                  .shape = {options_.units, options_.units},
                                  .initializer = options_.recurrent_initializer,
                                  .regularizer = options_.recurrent_regularizer,
                                  .constraint = options_.recurrent_constraint});
  if (options_.use_bias)
    bias_ = add_weight({.name = "bias",
                        .shape = {options_.units},
                        .initializer = options_.bias_initializer,
                        .regularizer = options_.bias_regularizer,
                        .constraint = options_.bias_constraint});
}

Tensor SimpleRNNCellImpl::project_inputs(const Tensor& x) {
  maybe_build(x.shape());
  Tensor y = ops::matmul(x, kernel_.value());
  return options_.use_bias ? ops::add(y, bias_.value()) : y;
}

std::vector<Tensor> SimpleRNNCellImpl::step(const Tensor& projected, const std::vector<Tensor>& states) {
  return {options_.activation(ops::add(projected, ops::matmul(states[0], recurrent_kernel_.value())))};
}

nlohmann::json SimpleRNNCellImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  add_cell_config(c, options_);
  return c;
}

// ---- LSTMCell -----------------------------------------------------------------------------------------

LSTMCellImpl::LSTMCellImpl(Options o)
    : RNNCellImpl({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "lstm_cell"), options_(std::move(o)) {
  check_units(options_.units);
  set_dropouts(options_.dropout, options_.recurrent_dropout);
}

void LSTMCellImpl::build(const Shape& input_shape) {
  const int64_t in = input_shape.back();
  const int64_t u = options_.units;
  kernel_ = add_weight({.name = "kernel",
                        .shape = {in, 4 * u},
                        .initializer = options_.kernel_initializer,
                        .regularizer = options_.kernel_regularizer,
                        .constraint = options_.kernel_constraint});
  recurrent_kernel_ = add_weight({.name = "recurrent_kernel",
                                  .shape = {u, 4 * u},
                                  .initializer = options_.recurrent_initializer,
                                  .regularizer = options_.recurrent_regularizer,
                                  .constraint = options_.recurrent_constraint});
  if (options_.use_bias) {
    initializers::InitializerArg init = options_.bias_initializer;
    if (options_.unit_forget_bias) {
      // [bias_initializer(units), ones(units), bias_initializer(2 units)], as Keras builds it.
      auto base = options_.bias_initializer.get();
      init = [base, u](const Shape&, DType dt) {
        return ops::concatenate({(*base)(Shape{u}, dt), ops::ones(Shape{u}, dt), (*base)(Shape{2 * u}, dt)}, 0);
      };
    }
    bias_ = add_weight({.name = "bias",
                        .shape = {4 * u},
                        .initializer = init,
                        .regularizer = options_.bias_regularizer,
                        .constraint = options_.bias_constraint});
  }
}

Tensor LSTMCellImpl::project_inputs(const Tensor& x) {
  maybe_build(x.shape());
  Tensor y = ops::matmul(x, kernel_.value());
  return options_.use_bias ? ops::add(y, bias_.value()) : y;
}

std::vector<Tensor> LSTMCellImpl::step(const Tensor& projected, const std::vector<Tensor>& states) {
  const int64_t u = options_.units;
  const Tensor z = ops::add(projected, ops::matmul(states[0], recurrent_kernel_.value()));
  const auto& ra = options_.recurrent_activation;
  const auto& act = options_.activation;
  const Tensor i = ra(cols(z, 0, u));
  const Tensor f = ra(cols(z, u, u));
  const Tensor c = ops::add(ops::multiply(f, states[1]), ops::multiply(i, act(cols(z, 2 * u, u))));
  const Tensor o = ra(cols(z, 3 * u, u));
  return {ops::multiply(o, act(c)), c};
}

nlohmann::json LSTMCellImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  add_cell_config(c, options_);
  return c;
}

// ---- GRUCell ------------------------------------------------------------------------------------------

GRUCellImpl::GRUCellImpl(Options o)
    : RNNCellImpl({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "gru_cell"), options_(std::move(o)) {
  check_units(options_.units);
  set_dropouts(options_.dropout, options_.recurrent_dropout);
}

void GRUCellImpl::build(const Shape& input_shape) {
  const int64_t in = input_shape.back();
  const int64_t u = options_.units;
  kernel_ = add_weight({.name = "kernel",
                        .shape = {in, 3 * u},
                        .initializer = options_.kernel_initializer,
                        .regularizer = options_.kernel_regularizer,
                        .constraint = options_.kernel_constraint});
  recurrent_kernel_ = add_weight({.name = "recurrent_kernel",
                                  .shape = {u, 3 * u},
                                  .initializer = options_.recurrent_initializer,
                                  .regularizer = options_.recurrent_regularizer,
                                  .constraint = options_.recurrent_constraint});
  if (options_.use_bias)
    bias_ = add_weight({.name = "bias",
                        .shape = options_.reset_after ? Shape{2, 3 * u} : Shape{3 * u},
                        .initializer = options_.bias_initializer,
                        .regularizer = options_.bias_regularizer,
                        .constraint = options_.bias_constraint});
}

Tensor GRUCellImpl::project_inputs(const Tensor& x) {
  maybe_build(x.shape());
  Tensor y = ops::matmul(x, kernel_.value());
  if (!options_.use_bias) return y;
  const Tensor b = bias_.value();
  return ops::add(y, options_.reset_after ? row(b, 0) : b);
}

std::vector<Tensor> GRUCellImpl::step(const Tensor& projected, const std::vector<Tensor>& states) {
  const int64_t u = options_.units;
  const Tensor& h = states[0];
  const Tensor rk = recurrent_kernel_.value();
  const auto& ra = options_.recurrent_activation;
  const auto& act = options_.activation;
  Tensor z, hh;
  if (options_.reset_after) {
    Tensor inner = ops::matmul(h, rk);
    if (options_.use_bias) inner = ops::add(inner, row(bias_.value(), 1));
    z = ra(ops::add(cols(projected, 0, u), cols(inner, 0, u)));
    const Tensor r = ra(ops::add(cols(projected, u, u), cols(inner, u, u)));
    hh = act(ops::add(cols(projected, 2 * u, u), ops::multiply(r, cols(inner, 2 * u, u))));
  } else {
    const Tensor zr = ops::matmul(h, cols(rk, 0, 2 * u));
    z = ra(ops::add(cols(projected, 0, u), cols(zr, 0, u)));
    const Tensor r = ra(ops::add(cols(projected, u, u), cols(zr, u, u)));
    hh = act(ops::add(cols(projected, 2 * u, u), ops::matmul(ops::multiply(r, h), cols(rk, 2 * u, u))));
  }
  // h = z * h_prev + (1 - z) * hh
  return {ops::add(ops::multiply(z, h), ops::multiply(1.0 - z, hh))};
}

nlohmann::json GRUCellImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  add_cell_config(c, options_);
  return c;
}

// ---- RNN ----------------------------------------------------------------------------------------------

RNNImpl::RNNImpl(std::shared_ptr<RNNCellImpl> cell, RNNOptions o, std::string default_name)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, std::move(default_name)),
      cell_(std::move(cell)),
      rnn_options_(std::move(o)) {
  if (!cell_) throw ValueError("Argument `cell` should have a `call` method. Received: cell=None");
  if (rnn_options_.stateful)
    throw NotImplementedError("Layer '" + name() + "': stateful=True is not implemented in keras.cpp");
  set_supports_masking(true);
  track("cell", Handle<RNNCellImpl>(cell_));
}

namespace {
void check_sequence_shape(const Layer& layer, const Shape& s) {
  if (s.rank() != 3)
    throw ValueError("Input 0 of layer \"" + layer.name() +
                     "\" is incompatible with the layer: expected ndim=3, found ndim=" + std::to_string(s.rank()) +
                     ". Full shape received: " + s.str());
  if (s[2] < 0)
    throw ValueError("Layer '" + layer.name() + "': the last dimension of the inputs must be known; received " +
                     s.str());
}
}  // namespace

void RNNImpl::build(const Shape& input_shape) {
  check_sequence_shape(*this, input_shape);
  cell_->maybe_build(Shape{input_shape[0], input_shape[2]});
}

void RNNImpl::build_multi(const std::vector<Shape>& input_shapes) { build(input_shapes.at(0)); }

Tensor RNNImpl::call(const Tensor& inputs, bool training) {
  std::vector<Tensor> out = call_multi({inputs}, training);
  return out[0];
}

Shape RNNImpl::compute_output_shape(const Shape& input_shape) { return compute_output_shape_multi({input_shape})[0]; }

std::vector<Shape> RNNImpl::compute_output_shape_multi(const std::vector<Shape>& input_shapes) {
  const Shape& s = input_shapes.at(0);
  check_sequence_shape(*this, s);
  std::vector<Shape> out;
  const int64_t units = cell_->output_size();
  out.push_back(rnn_options_.return_sequences ? Shape{s[0], s[1], units} : Shape{s[0], units});
  if (rnn_options_.return_state)
    for (int64_t size : cell_->state_size()) out.push_back(Shape{s[0], size});
  return out;
}

std::vector<Tensor> RNNImpl::compute_mask_multi(const std::vector<Tensor>&, const std::vector<Tensor>& masks) {
  const Tensor mask = masks.empty() ? Tensor() : masks[0];
  std::vector<Tensor> out{rnn_options_.return_sequences ? mask : Tensor()};
  if (rnn_options_.return_state) out.resize(1 + cell_->state_size().size());
  return out;
}

std::vector<Tensor> RNNImpl::call_multi(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& seq = inputs.at(0);
  check_sequence_shape(*this, seq.shape());
  const std::vector<int64_t> sizes = cell_->state_size();
  if (inputs.size() != 1 && inputs.size() != 1 + sizes.size())
    throw ValueError("Layer '" + name() + "' expects " + std::to_string(sizes.size()) +
                     " initial state(s) after its input; received " + std::to_string(inputs.size() - 1));
  if (training && (cell_->dropout() > 0.0 || cell_->recurrent_dropout() > 0.0))
    throw NotImplementedError("Layer '" + name() +
                              "': dropout and recurrent_dropout in training are not implemented in keras.cpp");
  bool symbolic = false;
  for (const auto& t : inputs) symbolic = symbolic || t.is_symbolic();
  if (symbolic) {
    // A Functional model records the call and replays it on values: only the shapes matter here.
    std::vector<Shape> in_shapes;
    for (const auto& t : inputs) in_shapes.push_back(t.shape());
    std::vector<Tensor> out;
    for (const Shape& s : compute_output_shape_multi(in_shapes)) out.push_back(graph::placeholder(s, dtype()));
    return out;
  }
  const Shape& s = seq.shape();
  const int64_t batch = s[0], steps = s[1], features = s[2];
  if (steps <= 0) throw ValueError("Layer '" + name() + "' needs at least one time step; received " + s.str());
  std::vector<Tensor> states;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (inputs.size() > 1) {
      const Tensor& st = inputs[1 + i];
      if (st.shape() != Shape{batch, sizes[i]})
        throw ValueError("Layer '" + name() + "': initial state " + std::to_string(i) + " must have shape " +
                         Shape{batch, sizes[i]}.str() + "; received " + st.shape().str());
      states.push_back(as_dtype(st, dtype()));
    } else {
      states.push_back(ops::zeros(Shape{batch, sizes[i]}, dtype()));
    }
  }
  // Time-major input; each step's slice is projected on its own. (A slice's gradient is the size
  // of what it was cut from: cutting every step out of the projection of the whole sequence
  // made the backward pass add `steps` gradients of that size, quadratic in the length.)
  const Tensor x = ops::transpose(as_dtype(seq, dtype()), std::vector<int64_t>{1, 0, 2});  // (steps, batch, features)
  Tensor mask = input_mask(0);
  if (mask.defined()) {
    if (mask.shape() != Shape{batch, steps})
      throw ValueError("Layer '" + name() + "': the mask must have shape " + Shape{batch, steps}.str() + "; received " +
                       mask.shape().str());
    if (mask.dtype() != DType::bool_) mask = ops::cast(mask, DType::bool_);
    mask = ops::transpose(mask);  // (steps, batch)
  }
  std::vector<Tensor> outputs;
  Tensor last;
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = rnn_options_.go_backwards ? steps - 1 - k : k;
    const Tensor xp = cell_->project_inputs(
        ops::reshape(ops::slice(x, {t, 0, 0}, Shape{1, batch, features}), Shape{batch, features}));
    std::vector<Tensor> next = cell_->step(xp, states);
    Tensor out = next[0];
    if (mask.defined()) {
      const Tensor m = ops::reshape(ops::slice(mask, {t, 0}, Shape{1, batch}), Shape{batch, 1});
      out = ops::where(m, out, rnn_options_.zero_output_for_mask ? ops::zeros_like(out) : states[0]);
      for (size_t i = 0; i < next.size(); ++i) next[i] = ops::where(m, next[i], states[i]);
    }
    states = std::move(next);
    if (rnn_options_.return_sequences) outputs.push_back(out);
    last = out;
  }
  std::vector<Tensor> result{rnn_options_.return_sequences ? ops::stack(outputs, 1) : last};
  if (rnn_options_.return_state) result.insert(result.end(), states.begin(), states.end());
  return result;
}

nlohmann::json RNNImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["return_sequences"] = rnn_options_.return_sequences;
  c["return_state"] = rnn_options_.return_state;
  c["go_backwards"] = rnn_options_.go_backwards;
  c["stateful"] = rnn_options_.stateful;
  c["unroll"] = rnn_options_.unroll;
  c["zero_output_for_mask"] = rnn_options_.zero_output_for_mask;
  c["cell"] = saving::serialize_keras_object(*cell_);
  return c;
}

std::shared_ptr<RNNImpl> RNNImpl::clone(const std::string&, bool) const {
  throw NotImplementedError("Layer '" + name() + "' (" + class_name() +
                            ") cannot be copied; give Bidirectional a SimpleRNN, LSTM or GRU, or a backward_layer");
}

// ---- SimpleRNN / LSTM / GRU ---------------------------------------------------------------------------

namespace {
template <class O>
RNNOptions to_rnn_options(const O& o) {
  return {.return_sequences = o.return_sequences,
          .return_state = std::as_const(o).return_state,
          .go_backwards = std::as_const(o).go_backwards,
          .stateful = std::as_const(o).stateful,
          .unroll = std::as_const(o).unroll,
          .zero_output_for_mask = false,
          .name = std::as_const(o).name,
          .dtype = std::as_const(o).dtype,
          .trainable = o.trainable};
}

// A recurrent layer's own keys after the RNN loop's: units, activation(s), the weight arguments
// (with activity_regularizer), dropouts, then [reset_after] and seed where Keras writes them
// (SimpleRNN writes no seed).
template <class O>
void add_rnn_layer_config(nlohmann::json& c, const O& o, bool with_seed) {
  c["units"] = o.units;
  c["activation"] = saving::serialize(o.activation);
  if constexpr (requires { o.recurrent_activation; })
    c["recurrent_activation"] = saving::serialize(o.recurrent_activation);
  add_weight_args_config(c, o, true);
  c["dropout"] = clamp01(o.dropout);
  c["recurrent_dropout"] = clamp01(o.recurrent_dropout);
  if constexpr (requires { o.reset_after; }) c["reset_after"] = o.reset_after;
  if (with_seed) c["seed"] = o.seed ? nlohmann::json(*o.seed) : nlohmann::json(nullptr);
}
}  // namespace

SimpleRNNImpl::SimpleRNNImpl(Options o)
    : RNNImpl(std::make_shared<SimpleRNNCellImpl>(
                  SimpleRNNCellOptions{.units = o.units,
                                       .activation = std::as_const(o).activation,
                                       .use_bias = std::as_const(o).use_bias,
                                       .kernel_initializer = std::as_const(o).kernel_initializer,
                                       .recurrent_initializer = std::as_const(o).recurrent_initializer,
                                       .bias_initializer = std::as_const(o).bias_initializer,
                                       .kernel_regularizer = std::as_const(o).kernel_regularizer,
                                       .recurrent_regularizer = std::as_const(o).recurrent_regularizer,
                                       .bias_regularizer = std::as_const(o).bias_regularizer,
                                       .kernel_constraint = std::as_const(o).kernel_constraint,
                                       .recurrent_constraint = std::as_const(o).recurrent_constraint,
                                       .bias_constraint = std::as_const(o).bias_constraint,
                                       .dropout = std::as_const(o).dropout,
                                       .recurrent_dropout = std::as_const(o).recurrent_dropout,
                                       .seed = std::as_const(o).seed,
                                       .name = "simple_rnn_cell",
                                       .dtype = std::as_const(o).dtype,
                                       .trainable = o.trainable}),
              to_rnn_options(o), "simple_rnn"),
      options_(std::move(o)) {
  set_activity_regularizer(options_.activity_regularizer);
}

SimpleRNNImpl::SimpleRNNImpl(int64_t units, activations::ActivationArg activation)
    : SimpleRNNImpl(Options{.units = units, .activation = std::move(activation)}) {}

nlohmann::json SimpleRNNImpl::get_config() const {
  nlohmann::json c = RNNImpl::get_config();
  c.erase("cell");
  add_rnn_layer_config(c, options_, false);
  return c;
}

std::shared_ptr<RNNImpl> SimpleRNNImpl::clone(const std::string& name, bool go_backwards) const {
  Options o = options_;
  o.name = name;
  o.go_backwards = go_backwards;
  return std::make_shared<SimpleRNNImpl>(o);
}

LSTMImpl::LSTMImpl(Options o)
    : RNNImpl(std::make_shared<LSTMCellImpl>(
                  LSTMCellOptions{.units = o.units,
                                  .activation = std::as_const(o).activation,
                                  .recurrent_activation = std::as_const(o).recurrent_activation,
                                  .use_bias = std::as_const(o).use_bias,
                                  .kernel_initializer = std::as_const(o).kernel_initializer,
                                  .recurrent_initializer = std::as_const(o).recurrent_initializer,
                                  .bias_initializer = std::as_const(o).bias_initializer,
                                  .unit_forget_bias = std::as_const(o).unit_forget_bias,
                                  .kernel_regularizer = std::as_const(o).kernel_regularizer,
                                  .recurrent_regularizer = std::as_const(o).recurrent_regularizer,
                                  .bias_regularizer = std::as_const(o).bias_regularizer,
                                  .kernel_constraint = std::as_const(o).kernel_constraint,
                                  .recurrent_constraint = std::as_const(o).recurrent_constraint,
                                  .bias_constraint = std::as_const(o).bias_constraint,
                                  .dropout = std::as_const(o).dropout,
                                  .recurrent_dropout = std::as_const(o).recurrent_dropout,
                                  .seed = std::as_const(o).seed,
                                  .name = "lstm_cell",
                                  .dtype = std::as_const(o).dtype,
                                  .trainable = o.trainable}),
              to_rnn_options(o), "lstm"),
      options_(std::move(o)) {
  set_activity_regularizer(options_.activity_regularizer);
}

LSTMImpl::LSTMImpl(int64_t units) : LSTMImpl(Options{.units = units}) {}

nlohmann::json LSTMImpl::get_config() const {
  nlohmann::json c = RNNImpl::get_config();
  c.erase("cell");
  add_rnn_layer_config(c, options_, true);
  return c;
}

std::shared_ptr<RNNImpl> LSTMImpl::clone(const std::string& name, bool go_backwards) const {
  Options o = options_;
  o.name = name;
  o.go_backwards = go_backwards;
  return std::make_shared<LSTMImpl>(o);
}

GRUImpl::GRUImpl(Options o)
    : RNNImpl(
          std::make_shared<GRUCellImpl>(GRUCellOptions{.units = o.units,
                                                       .activation = std::as_const(o).activation,
                                                       .recurrent_activation = std::as_const(o).recurrent_activation,
                                                       .use_bias = std::as_const(o).use_bias,
                                                       .kernel_initializer = std::as_const(o).kernel_initializer,
                                                       .recurrent_initializer = std::as_const(o).recurrent_initializer,
                                                       .bias_initializer = std::as_const(o).bias_initializer,
                                                       .kernel_regularizer = std::as_const(o).kernel_regularizer,
                                                       .recurrent_regularizer = std::as_const(o).recurrent_regularizer,
                                                       .bias_regularizer = std::as_const(o).bias_regularizer,
                                                       .kernel_constraint = std::as_const(o).kernel_constraint,
                                                       .recurrent_constraint = std::as_const(o).recurrent_constraint,
                                                       .bias_constraint = std::as_const(o).bias_constraint,
                                                       .dropout = std::as_const(o).dropout,
                                                       .recurrent_dropout = std::as_const(o).recurrent_dropout,
                                                       .reset_after = std::as_const(o).reset_after,
                                                       .seed = std::as_const(o).seed,
                                                       .name = "gru_cell",
                                                       .dtype = std::as_const(o).dtype,
                                                       .trainable = o.trainable}),
          to_rnn_options(o), "gru"),
      options_(std::move(o)) {
  set_activity_regularizer(options_.activity_regularizer);
}

GRUImpl::GRUImpl(int64_t units) : GRUImpl(Options{.units = units}) {}

nlohmann::json GRUImpl::get_config() const {
  nlohmann::json c = RNNImpl::get_config();
  c.erase("cell");
  add_rnn_layer_config(c, options_, true);
  return c;
}

std::shared_ptr<RNNImpl> GRUImpl::clone(const std::string& name, bool go_backwards) const {
  Options o = options_;
  o.name = name;
  o.go_backwards = go_backwards;
  return std::make_shared<GRUImpl>(o);
}

}  // namespace keras::layers
