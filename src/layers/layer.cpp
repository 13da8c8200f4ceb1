// Mirrors keras/src/layers/layer.py (the parts that do not depend on Python:
// lazy build, add_weight, weight tracking, losses, the training flag, input
// compatibility checks).
#include "keras/layers/layer.hpp"

#include <nlohmann/json.hpp>

#include "autodiff/tape_impl.hpp"
#include "core/naming.hpp"
#include "core/variable_budget.hpp"
#include "core/warnings.hpp"
#include "keras/graph.hpp"
#include "keras/ops.hpp"
#include "keras/saving.hpp"
#include "layers/call_context.hpp"
#include "layers/layer_node.hpp"

namespace keras {

namespace detail {
CallContext& call_context() {
  thread_local CallContext ctx;
  return ctx;
}
}  // namespace detail

Tensor get_keras_mask(const Tensor& x) {
  if (!x.defined() || !x.impl()->keras_mask) return Tensor();
  return Tensor(x.impl()->keras_mask);
}

void set_keras_mask(const Tensor& x, const Tensor& mask) {
  if (!x.defined()) throw ValueError("set_keras_mask: the tensor is undefined");
  x.impl()->keras_mask = mask.defined() ? mask.impl_ptr() : nullptr;
}

Layer::Layer(LayerOptions options, std::string default_name)
    : name_(std::move(options.name)),
      default_name_(std::move(default_name)),
      dtype_(options.dtype.value_or(DType::float32)),
      trainable_(options.trainable) {
  if (!is_floating(dtype_))
    throw ValueError("Layer '" + name_ + "': dtype must be a floating dtype; received " +
                     std::string(dtype_name(dtype_)));
  if (name_.empty() && !default_name_.empty()) name_ = detail::auto_name(default_name_);
}

Layer::~Layer() = default;

const std::string& Layer::name() const {
  // A user subclass that gave no prefix is named after its class, on first use
  // (class_name() is not available in the base constructor).
  if (name_.empty()) name_ = detail::auto_name(detail::to_snake_case(class_name()));
  return name_;
}

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (auto& w : weights_) w.variable.set_trainable(trainable);
  for (auto& [attr, layer] : layers_) layer->set_trainable(trainable);
}

void Layer::build(const Shape&) { built_ = true; }

Tensor Layer::call(const Tensor&, bool) {
  throw NotImplementedError("Layer " + class_name() + " ('" + name() + "') does not implement call()");
}

Shape Layer::compute_output_shape(const Shape& input_shape) {
  maybe_build(input_shape);
  Tensor x = graph::placeholder(input_shape, dtype_);
  detail::CallContext& ctx = detail::call_context();
  detail::CallScope scope(ctx, false);
  return call(x, false).shape();
}

nlohmann::json Layer::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  c["name"] = name();
  c["trainable"] = trainable_;
  c["dtype"] = {{"module", "keras"},
                {"class_name", "DTypePolicy"},
                {"config", {{"name", std::string(dtype_name(dtype_))}}},
                {"registered_name", nullptr}};
  // As Keras' base get_config: only when set (layers that always write the key overwrite it).
  if (activity_regularizer_) c["activity_regularizer"] = saving::serialize_keras_object(*activity_regularizer_);
  return c;
}

void Layer::maybe_build(const Shape& input_shape) {
  if (built_) return;
  build_input_shape_ = input_shape;
  build(input_shape);
  built_ = true;
}

void Layer::check_input_compatibility(const Tensor& x) const {
  if (!input_spec_) return;
  const InputSpec& spec = *input_spec_;
  const int rank = x.ndim();
  const std::string who = "Input 0 of layer \"" + name() + "\" is incompatible with the layer: ";
  if (spec.ndim && rank != *spec.ndim)
    throw ValueError(who + "expected ndim=" + std::to_string(*spec.ndim) + ", found ndim=" + std::to_string(rank) +
                     ". Full shape received: " + x.shape().str());
  if (spec.min_ndim && rank < *spec.min_ndim)
    throw ValueError(who + "expected min_ndim=" + std::to_string(*spec.min_ndim) +
                     ", found ndim=" + std::to_string(rank) + ". Full shape received: " + x.shape().str());
  if (spec.max_ndim && rank > *spec.max_ndim)
    throw ValueError(who + "expected max_ndim=" + std::to_string(*spec.max_ndim) +
                     ", found ndim=" + std::to_string(rank) + ". Full shape received: " + x.shape().str());
  for (const auto& [axis, size] : spec.axes) {
    const int a = axis < 0 ? rank + axis : axis;
    if (a < 0 || a >= rank) continue;
    const int64_t got = x.shape()[a];
    if (got != size && got != -1)
      throw ValueError(who + "expected axis " + std::to_string(axis) + " of input shape to have value " +
                       std::to_string(size) + ", but received input with shape " + x.shape().str());
  }
}

Tensor Layer::operator()(const Tensor& inputs, std::optional<bool> training) {
  std::vector<Tensor> out = invoke({inputs}, training, true);
  if (out.size() != 1)
    throw ValueError("Layer '" + name() + "' returns " + std::to_string(out.size()) +
                     " outputs; call it with a list (keras::Tensors{x}) to receive all of them");
  return out[0];
}

Tensors Layer::operator()(const std::vector<Tensor>& inputs, std::optional<bool> training) {
  std::vector<Tensor> out = invoke(inputs, training, false);
  if (out.size() == 1) return Tensors(out[0]);
  return Tensors(std::move(out));
}

Tensors::operator Tensor() const {
  if (size() != 1)
    throw ValueError("Expected exactly one tensor, but this list holds " + std::to_string(size()) +
                     "; index it ([0], [1], ...) to pick one");
  return front();
}

namespace {
// The layer as a shared pointer for a graph node; a layer not held by a shared_ptr (a model on the
// stack) is referenced without ownership and must outlive the graphs that use it.
std::shared_ptr<Layer> shared_layer(Layer& layer) {
  if (auto p = layer.weak_from_this().lock()) return p;
  return std::shared_ptr<Layer>(std::shared_ptr<Layer>(), &layer);
}
}  // namespace

std::vector<Tensor> Layer::invoke(const std::vector<Tensor>& inputs, std::optional<bool> training, bool single) {
  if (inputs.empty()) throw ValueError("Layer '" + name() + "' was called with an empty list of inputs");
  bool functional = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw ValueError("Layer '" + name() + "' was called with an undefined tensor" +
                       (single ? std::string() : " (input " + std::to_string(i) + ")"));
    functional = functional || inputs[i].impl()->keras_history != nullptr;
  }
  detail::CallContext& ctx = detail::call_context();
  const bool entry = ctx.depth == 0;
  // Building a Functional graph, the call is traced in inference mode (shapes do not depend on it;
  // random ops need concrete shapes); the node keeps an explicit `training` for the replays.
  const bool tr = functional ? false : (training.has_value() ? *training : ctx.training.value_or(false));
  detail::CallScope scope(ctx, tr);
  if (entry) clear_losses();
  if (inputs.size() == 1) {
    if (input_spec_) check_input_compatibility(inputs[0]);
    maybe_build(inputs[0].shape());
    if (input_spec_) check_input_compatibility(inputs[0]);
  } else {
    std::vector<Shape> shapes;
    for (const auto& x : inputs) shapes.push_back(x.shape());
    maybe_build_multi(shapes);
  }
  std::vector<Tensor> masks;
  bool any_mask = false;
  for (const auto& x : inputs) {
    masks.push_back(get_keras_mask(x));
    any_mask = any_mask || masks.back().defined();
  }
  std::vector<Tensor> outs;
  {
    const std::vector<Tensor>* saved = call_masks_;
    call_masks_ = &masks;
    struct Restore {
      const std::vector<Tensor>*& slot;
      const std::vector<Tensor>* value;
      ~Restore() { slot = value; }
    } restore{call_masks_, saved};
    outs = call_multi(inputs, tr);
  }
  if (outs.empty()) throw ValueError("Layer '" + name() + "' returned no outputs");
  for (const auto& out : outs) {
    if (!out.defined()) continue;
    if (activity_regularizer_) {
      Tensor penalty = (*activity_regularizer_)(out);
      // Keras divides by the batch size, so the strength does not depend on it (0 for an empty batch).
      if (out.ndim() > 0)
        penalty = out.shape()[0] > 0 ? penalty / static_cast<double>(out.shape()[0]) : ops::zeros_like(penalty);
      add_loss(penalty);
    }
  }
  if (outs[0].defined()) {
    Shape s = outs[0].shape();
    if (s.rank() > 0) s[0] = -1;
    last_output_shape_ = s;
  }
  if (functional) {
    // Record the call: fresh output tensors (an output may be an input, or an inner layer's
    // output) that point back to this node.
    auto node = std::make_shared<detail::LayerNode>();
    node->layer = shared_layer(*this);
    node->inputs = inputs;
    node->training = training;
    node->node_index = inbound_node_count_++;
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!outs[i].defined()) throw ValueError("Layer '" + name() + "' returned an undefined output");
      auto impl = std::make_shared<detail::TensorImpl>(*outs[i].impl());
      impl->id = detail::next_tensor_id();
      impl->keras_history = node;
      impl->keras_history_index = static_cast<int>(i);
      impl->keras_mask = nullptr;
      node->output_shapes.push_back(impl->shape);
      node->output_dtypes.push_back(impl->dtype);
      outs[i] = Tensor(std::move(impl));
    }
  }
  if (supports_masking_) {
    std::vector<Tensor> out_masks = compute_mask_multi(inputs, masks);
    for (size_t i = 0; i < outs.size() && i < out_masks.size(); ++i)
      if (out_masks[i].defined() || outs[i].impl()->keras_mask) set_keras_mask(outs[i], out_masks[i]);
  } else if (any_mask && !warned_mask_) {
    warned_mask_ = true;
    detail::user_warning("Layer '" + name() + "' (of type " + class_name() +
                         ") was passed an input with a mask attached to it. However, this layer does not support "
                         "masking and will therefore destroy the mask information. Downstream layers will not see "
                         "the mask.");
  }
  return outs;
}

std::vector<Tensor> Layer::call_multi(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1)
    throw ValueError("Layer '" + name() + "' (of type " + class_name() + ") takes a single input; received " +
                     std::to_string(inputs.size()));
  return {call(inputs[0], training)};
}

void Layer::build_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) build(input_shapes[0]);
  built_ = true;
}

void Layer::maybe_build_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) return maybe_build(input_shapes[0]);
  if (built_) return;
  build_input_shapes_ = input_shapes;
  build_multi(input_shapes);
  built_ = true;
}

std::vector<Shape> Layer::compute_output_shape_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) return {compute_output_shape(input_shapes[0])};
  maybe_build_multi(input_shapes);
  std::vector<Tensor> xs;
  for (const auto& s : input_shapes) xs.push_back(graph::placeholder(s, dtype_));
  detail::CallContext& ctx = detail::call_context();
  detail::CallScope scope(ctx, false);
  std::vector<Shape> out;
  for (const auto& y : call_multi(xs, false)) out.push_back(y.shape());
  return out;
}

Tensor Layer::compute_mask(const Tensor&, const Tensor& mask) { return supports_masking_ ? mask : Tensor(); }

std::vector<Tensor> Layer::compute_mask_multi(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) {
  if (inputs.size() != 1) return {};
  return {compute_mask(inputs[0], masks.empty() ? Tensor() : masks[0])};
}

Tensor Layer::input_mask(size_t index) const {
  if (!call_masks_ || index >= call_masks_->size()) return Tensor();
  return (*call_masks_)[index];
}

Variable Layer::add_weight(AddWeightOptions o) {
  const DType dt = o.dtype.value_or(dtype_);
  initializers::InitializerArg init = o.initializer;
  if (!init)
    init = is_floating(dt) ? initializers::InitializerArg("glorot_uniform") : initializers::InitializerArg("zeros");
  for (int i = 0; i < o.shape.rank(); ++i)
    if (o.shape[i] < 0)
      throw ValueError("Layer '" + name() + "': add_weight('" + o.name + "') needs a fully defined shape; received " +
                       o.shape.str());
  detail::charge_variable(o.shape, dt, "Layer '" + name() + "'");
  Tensor value;
  {
    detail::PauseTapes pause;  // initialization is never recorded
    value = (*init.get())(o.shape, dt);
  }
  Variable v(value,
             {.dtype = dt, .trainable = o.trainable && trainable_, .name = o.name.empty() ? "variable" : o.name});
  if (auto c = o.constraint.get()) v.set_constraint([c](const Tensor& w) { return (*c)(w); });
  weights_.push_back({v, o.regularizer.get(), o.trainable});
  return v;
}

std::vector<Variable> Layer::own_variables() const {
  std::vector<Variable> out;
  for (bool trainable : {true, false})
    for (const auto& w : weights_)
      if (w.created_trainable == trainable) out.push_back(w.variable);
  return out;
}

std::vector<Variable> Layer::weights() const {
  std::vector<Variable> out;
  for (const auto& w : weights_) out.push_back(w.variable);
  for (const auto& [attr, layer] : layers_)
    for (auto& v : layer->weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::trainable_weights() const {
  std::vector<Variable> out;
  if (!trainable_) return out;
  for (auto& v : weights())
    if (v.trainable()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  std::vector<Variable> out;
  for (auto& v : weights())
    if (!trainable_ || !v.trainable()) out.push_back(v);
  return out;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (auto& v : weights()) out.push_back(ops::add(v.value(), ops::zeros_like(v.value())));
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  auto ws = weights();
  if (values.size() != ws.size())
    throw ValueError("Layer " + name() + " expects " + std::to_string(ws.size()) + " weights, but the weight list " +
                     "received has " + std::to_string(values.size()) + " elements");
  for (size_t i = 0; i < ws.size(); ++i)
    if (values[i].shape() != ws[i].shape())
      throw ValueError("Layer " + name() + " weight shape " + ws[i].shape().str() +
                       " is not compatible with provided weight shape " + values[i].shape().str() + " (weight '" +
                       ws[i].name() + "')");
  for (size_t i = 0; i < ws.size(); ++i) ws[i].assign(values[i]);
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (auto& v : weights()) n += v.shape().numel();
  return n;
}

void Layer::add_loss(const Tensor& loss) {
  if (!loss.defined()) throw ValueError("Layer '" + name() + "': add_loss received an undefined tensor");
  losses_.push_back(loss);
}

void Layer::collect_losses(std::vector<Tensor>& out) const {
  for (const auto& l : losses_) out.push_back(l);
  for (const auto& [attr, layer] : layers_) layer->collect_losses(out);
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  collect_losses(out);
  // Regularization penalties, computed from the current values (inside a tape they differentiate).
  std::vector<std::pair<Variable, std::shared_ptr<const regularizers::Regularizer>>> regs;
  std::function<void(const Layer&)> walk = [&](const Layer& l) {
    for (const auto& w : l.weights_)
      if (w.regularizer && w.variable.trainable() && l.trainable_) regs.emplace_back(w.variable, w.regularizer);
    for (const auto& [attr, sub] : l.layers_) walk(*sub);
  };
  walk(*this);
  for (auto& [v, r] : regs) out.push_back((*r)(v.value()));
  return out;
}

void Layer::clear_losses() {
  losses_.clear();
  for (auto& [attr, layer] : layers_) layer->clear_losses();
}

void Layer::track_layer(const std::string& attribute, std::shared_ptr<Layer> layer) {
  if (!layer) throw ValueError("Layer '" + name() + "': cannot track an empty layer handle ('" + attribute + "')");
  if (layer.get() == this) throw ValueError("Layer '" + name() + "' cannot track itself");
  layers_.emplace_back(attribute, std::move(layer));
}

std::vector<std::shared_ptr<Layer>> Layer::sublayers() const {
  std::vector<std::shared_ptr<Layer>> out;
  for (const auto& [attr, layer] : layers_) out.push_back(layer);
  return out;
}

std::vector<std::string> Layer::tracked_names() const {
  std::vector<std::string> out;
  for (const auto& [attr, layer] : layers_) out.push_back(attr);
  return out;
}

void Layer::clear_tracked_layers() { layers_.clear(); }

void Layer::set_activity_regularizer(regularizers::RegularizerArg r) { activity_regularizer_ = r.get(); }

namespace utils {
void clear_session() { detail::reset_name_uids(); }
}  // namespace utils

}  // namespace keras
