// Mirrors keras/src/layers/rnn/bidirectional.py and time_distributed.py.
#include <nlohmann/json.hpp>

#include "keras/graph.hpp"
#include "keras/layers/rnn.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"

namespace keras::layers {

namespace {

std::string strip_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

std::string py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

// ---- Bidirectional ------------------------------------------------------------------------------------

BidirectionalImpl::BidirectionalImpl(const Handle<RNNImpl>& layer, Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "bidirectional"), merge_mode_(o.merge_mode) {
  if (!layer)
    throw ValueError("Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. Received: None");
  if (merge_mode_ != "sum" && merge_mode_ != "mul" && merge_mode_ != "ave" && merge_mode_ != "concat" &&
      !merge_mode_.empty())
    throw ValueError("Invalid merge mode. Received: " + merge_mode_ +
                     ". Merge mode should be one of {\"sum\", \"mul\", \"ave\", \"concat\", None}");
  // Fresh copies of the layer's configuration, as Keras recreates them from the config.
  forward_ = layer->clone("forward_" + strip_prefix(layer->name(), "forward_"), layer->go_backwards());
  if (o.backward_layer)
    backward_ = o.backward_layer;
  else
    backward_ = layer->clone("backward_" + strip_prefix(layer->name(), "backward_"), true);
  if (forward_->go_backwards() == backward_->go_backwards())
    throw ValueError(
        "Forward layer and backward layer should have different `go_backwards` value. Received: "
        "forward_layer.go_backwards " +
        py_bool(forward_->go_backwards()) + ", backward_layer.go_backwards=" + py_bool(backward_->go_backwards()));
  const std::pair<const char*, std::pair<bool, bool>> common[] = {
      {"stateful", {forward_->rnn_options().stateful, backward_->rnn_options().stateful}},
      {"return_sequences", {forward_->return_sequences(), backward_->return_sequences()}},
      {"return_state", {forward_->return_state(), backward_->return_state()}}};
  for (const auto& [attr, values] : common)
    if (values.first != values.second)
      throw ValueError(std::string("Forward layer and backward layer are expected to have the same value for "
                                   "attribute \"") +
                       attr + "\", got \"" + py_bool(values.first) + "\" for forward layer and \"" +
                       py_bool(values.second) + "\" for backward layer");
  // Keras zeroes the outputs of masked steps when the layers return sequences.
  forward_->set_zero_output_for_mask(forward_->return_sequences());
  backward_->set_zero_output_for_mask(backward_->return_sequences());
  set_supports_masking(true);
  track("forward_layer", Handle<RNNImpl>(forward_));
  track("backward_layer", Handle<RNNImpl>(backward_));
}

BidirectionalImpl::BidirectionalImpl(const Handle<RNNImpl>& layer, const std::string& merge_mode)
    : BidirectionalImpl(layer, Options{.merge_mode = merge_mode}) {}

void BidirectionalImpl::build(const Shape& input_shape) {
  forward_->maybe_build(input_shape);
  backward_->maybe_build(input_shape);
}

void BidirectionalImpl::build_multi(const std::vector<Shape>& input_shapes) { build(input_shapes.at(0)); }

Tensor BidirectionalImpl::call(const Tensor& inputs, bool training) { return call_multi({inputs}, training)[0]; }

std::vector<Tensor> BidirectionalImpl::call_multi(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Tensor> fwd_in{inputs.at(0)}, bwd_in{inputs.at(0)};
  if (inputs.size() > 1) {
    const size_t n = inputs.size() - 1, half = n / 2;
    fwd_in.insert(fwd_in.end(), inputs.begin() + 1, inputs.begin() + 1 + static_cast<std::ptrdiff_t>(half));
    bwd_in.insert(bwd_in.end(), inputs.begin() + 1 + static_cast<std::ptrdiff_t>(half), inputs.end());
  }
  // The sublayers read the input's mask from the tensor (call() is inside this layer's call).
  const Tensor mask = input_mask(0);
  auto run = [&](RNNImpl& layer, std::vector<Tensor> in) {
    Tensor x = in[0];
    if (mask.defined() && !get_keras_mask(x).defined()) {
      x = ops::reshape(x, x.shape());  // a fresh tensor to carry the mask
      set_keras_mask(x, mask);
      in[0] = x;
    }
    return std::vector<Tensor>(layer(in, training));
  };
  std::vector<Tensor> y = run(*forward_, fwd_in);
  std::vector<Tensor> y_rev = run(*backward_, bwd_in);
  std::vector<Tensor> states;
  if (forward_->return_state()) {
    states.insert(states.end(), y.begin() + 1, y.end());
    states.insert(states.end(), y_rev.begin() + 1, y_rev.end());
  }
  Tensor a = y[0], b = y_rev[0];
  if (forward_->return_sequences()) b = ops::flip(b, {1});
  std::vector<Tensor> out;
  if (merge_mode_ == "concat")
    out.push_back(ops::concatenate({a, b}, -1));
  else if (merge_mode_ == "sum")
    out.push_back(ops::add(a, b));
  else if (merge_mode_ == "ave")
    out.push_back(ops::divide(ops::add(a, b), ops::full({}, 2.0, a.dtype())));
  else if (merge_mode_ == "mul")
    out.push_back(ops::multiply(a, b));
  else
    out = {a, b};
  out.insert(out.end(), states.begin(), states.end());
  return out;
}

Shape BidirectionalImpl::compute_output_shape(const Shape& input_shape) {
  return compute_output_shape_multi({input_shape})[0];
}

std::vector<Shape> BidirectionalImpl::compute_output_shape_multi(const std::vector<Shape>& input_shapes) {
  std::vector<Shape> f = forward_->compute_output_shape_multi({input_shapes.at(0)});
  std::vector<Shape> b = backward_->compute_output_shape_multi({input_shapes.at(0)});
  std::vector<Shape> out;
  if (merge_mode_ == "concat")
    out.push_back(f[0].with_back(f[0].back() + b[0].back()));
  else if (merge_mode_.empty())
    out = {f[0], b[0]};
  else
    out.push_back(f[0]);
  out.insert(out.end(), f.begin() + 1, f.end());
  out.insert(out.end(), b.begin() + 1, b.end());
  return out;
}

std::vector<Tensor> BidirectionalImpl::compute_mask_multi(const std::vector<Tensor>&,
                                                          const std::vector<Tensor>& masks) {
  const Tensor mask = masks.empty() ? Tensor() : masks[0];
  const Tensor out_mask = forward_->return_sequences() ? mask : Tensor();
  std::vector<Tensor> out{out_mask};
  if (merge_mode_.empty()) out.push_back(out_mask);
  if (forward_->return_state())
    out.resize(out.size() + forward_->cell()->state_size().size() + backward_->cell()->state_size().size());
  return out;
}

nlohmann::json BidirectionalImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["merge_mode"] = merge_mode_.empty() ? nlohmann::json(nullptr) : nlohmann::json(merge_mode_);
  c["layer"] = saving::serialize_keras_object(*forward_);
  c["backward_layer"] = saving::serialize_keras_object(*backward_);
  return c;
}

// ---- TimeDistributed ----------------------------------------------------------------------------------

TimeDistributedImpl::TimeDistributedImpl(const LayerHandle& layer, Options o)
    : Layer({.name = o.name, .dtype = o.dtype, .trainable = o.trainable}, "time_distributed"), layer_(layer.ptr()) {
  if (!layer_)
    throw ValueError("Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. Received: None");
  set_supports_masking(true);
  track("layer", layer);
}

namespace {
Shape child_shape(const Shape& s) {
  if (s.rank() < 3)
    throw ValueError(
        "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: " + s.str());
  std::vector<int64_t> d{s[0]};
  for (int i = 2; i < s.rank(); ++i) d.push_back(s[i]);
  return Shape(d);
}
}  // namespace

void TimeDistributedImpl::build(const Shape& input_shape) { layer_->maybe_build(child_shape(input_shape)); }

Tensor TimeDistributedImpl::call(const Tensor& inputs, bool training) {
  const Shape& s = inputs.shape();
  Shape cs = child_shape(s);
  const Tensor mask = input_mask(0);
  if (mask.defined()) {
    const Shape& ms = mask.shape();
    if (ms.rank() < 2)
      throw ValueError(
          "The `mask` passed to the `TimeDistributed` layer must be at least 2D (e.g., `(batch_size, timesteps)`), "
          "but it has " +
          std::to_string(ms.rank()) + " dimension(s) with shape " + ms.str() + ".");
    if ((s[0] >= 0 && ms[0] >= 0 && s[0] != ms[0]) || (s[1] >= 0 && ms[1] >= 0 && s[1] != ms[1]))
      throw ValueError("The `mask` passed to the `TimeDistributed` layer has a shape " + ms.str() +
                       " that is incompatible with the input shape " + s.str() +
                       ". The first two dimensions of the mask (batch size and timesteps) must match the input's "
                       "first two dimensions. Expected mask shape prefix: (" +
                       std::to_string(s[0]) + ", " + std::to_string(s[1]) + ").");
  }
  if (inputs.is_symbolic() && (s[0] < 0 || s[1] < 0)) {
    // Shapes only (a Functional model replays the call on values).
    const Shape co = layer_->compute_output_shape(cs);
    std::vector<int64_t> d{s[0], s[1]};
    for (int i = 1; i < co.rank(); ++i) d.push_back(co[i]);
    return graph::placeholder(Shape(d), dtype());
  }
  cs[0] = s[0] * s[1];
  const Tensor y = (*layer_)(ops::reshape(inputs, cs), training);
  std::vector<int64_t> d{s[0], s[1]};
  for (int i = 1; i < y.ndim(); ++i) d.push_back(y.shape()[i]);
  return ops::reshape(y, Shape(d));
}

Shape TimeDistributedImpl::compute_output_shape(const Shape& input_shape) {
  const Shape co = layer_->compute_output_shape(child_shape(input_shape));
  std::vector<int64_t> d{co[0], input_shape[1]};
  for (int i = 1; i < co.rank(); ++i) d.push_back(co[i]);
  return Shape(d);
}

nlohmann::json TimeDistributedImpl::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["layer"] = saving::serialize_keras_object(*layer_);
  return c;
}

}  // namespace keras::layers
