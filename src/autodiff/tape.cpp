// GradientTape: records the ops run on watched values and replays their
// gradient rules backwards. Gradients are keyed by tensor id, or by variable
// id for variable reads, so every read of a variable adds to one gradient.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "autodiff/tape_impl.hpp"
#include "keras/gradient_tape.hpp"
#include "ops/op_def.hpp"

namespace keras {
namespace detail {

namespace {
// initial-exec: these are read on every op call; the general-dynamic model
// would cost a __tls_get_addr call each time (libkeras is linked, not dlopen'ed).
__attribute__((tls_model("initial-exec"))) thread_local std::vector<TapeImpl*> t_tapes;
__attribute__((tls_model("initial-exec"))) thread_local int t_paused = 0;

uint64_t key_of(const Tensor& t) { return t.impl()->var_id ? t.impl()->var_id : t.impl()->id; }
}  // namespace

PauseTapes::PauseTapes() { ++t_paused; }
PauseTapes::~PauseTapes() { --t_paused; }

bool any_tape_recording() {
  if (t_paused || t_tapes.empty()) return false;
  for (auto* t : t_tapes)
    if (t->recording) return true;
  return false;
}

bool TapeImpl::tracks(const Tensor& t) {
  const auto* impl = t.impl();
  if (impl->var_id) {
    if (tracked.count(impl->var_id)) return true;
    if (watch_accessed_variables && impl->var_trainable) {
      watch_variable(impl->var_id, impl->variable);
      return true;
    }
    return false;
  }
  return tracked.count(impl->id) > 0;
}

void TapeImpl::watch_variable(uint64_t id, const std::weak_ptr<VariableImpl>& var) {
  if (tracked.insert(id).second) watched_vars.push_back(var);
}

void record_on_tapes(const OpDef& op, const AttrsPtr& attrs, std::span<const Tensor> inputs,
                     std::span<const Tensor> outputs) {
  for (auto* tape : t_tapes) {
    if (!tape->recording) continue;
    bool any = false;
    for (const auto& in : inputs) any |= tape->tracks(in);
    if (!any) continue;
    TapeEntry e{&op, attrs, {}, {inputs.begin(), inputs.end()}, {}, {outputs.begin(), outputs.end()}};
    e.in_keys.reserve(inputs.size());
    for (const auto& in : inputs) e.in_keys.push_back(key_of(in));
    for (const auto& out : outputs) {
      e.out_keys.push_back(out.impl()->id);
      tape->tracked.insert(out.impl()->id);
    }
    tape->entries.push_back(std::move(e));
  }
}

}  // namespace detail

using detail::TapeImpl;

GradientTape::GradientTape(GradientTapeOptions options) : impl_(std::make_unique<TapeImpl>()) {
  impl_->persistent = options.persistent;
  impl_->watch_accessed_variables = options.watch_accessed_variables;
  detail::t_tapes.push_back(impl_.get());
}

GradientTape::~GradientTape() {
  auto& s = detail::t_tapes;
  s.erase(std::remove(s.begin(), s.end(), impl_.get()), s.end());
}

void GradientTape::watch(const Tensor& t) {
  if (!t.defined()) throw ValueError("GradientTape.watch: the tensor is undefined");
  if (t.impl()->var_id) {
    impl_->watch_variable(t.impl()->var_id, t.impl()->variable);
    return;
  }
  impl_->tracked.insert(t.impl()->id);
  impl_->kept.push_back(t);
}

void GradientTape::watch(const Variable& v) { watch(v.value()); }

GradientTape::StopRecording::StopRecording(detail::TapeImpl* tape) : tape_(tape), was_recording_(tape->recording) {
  tape_->recording = false;
}
GradientTape::StopRecording::~StopRecording() { tape_->recording = was_recording_; }
GradientTape::StopRecording GradientTape::stop_recording() { return StopRecording(impl_.get()); }

void GradientTape::reset() {
  impl_->entries.clear();
  impl_->tracked.clear();
  impl_->kept.clear();
  impl_->watched_vars.clear();
  impl_->used = false;
}

std::vector<Variable> GradientTape::watched_variables() const {
  std::vector<Variable> out;
  for (const auto& w : impl_->watched_vars)
    if (auto v = w.lock()) out.push_back(detail::variable_from_impl(v));
  return out;
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           UnconnectedGradients unconnected) {
  if (impl_->used && !impl_->persistent)
    throw RuntimeError(
        "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians); "
        "create it with {.persistent = true} to call gradient() several times");
  if (!target.defined()) throw ValueError("GradientTape.gradient: the target is undefined");
  for (const auto& s : sources)
    if (!s.defined()) throw ValueError("GradientTape.gradient: a source is undefined");

  // The gradient computation is not recorded on this tape (outer tapes do record it).
  GradientTape::StopRecording pause(impl_.get());
  auto& entries = impl_->entries;

  // Forward pass: which values depend on a source.
  // Only sources this tape watches get gradients (TensorFlow's rule: an
  // unwatched source, such as a non-trainable variable, gets none even when
  // the target depends on it).
  std::unordered_set<uint64_t> relevant;
  for (const auto& s : sources)
    if (impl_->tracked.count(detail::key_of(s))) relevant.insert(detail::key_of(s));
  std::vector<char> entry_relevant(entries.size(), 0);
  for (size_t e = 0; e < entries.size(); ++e) {
    for (uint64_t k : entries[e].in_keys)
      if (relevant.count(k)) entry_relevant[e] = 1;
    if (entry_relevant[e])
      for (uint64_t k : entries[e].out_keys) relevant.insert(k);
  }

  std::unordered_map<uint64_t, Tensor> grads;
  const uint64_t target_key = detail::key_of(target);
  if (relevant.count(target_key) && is_floating(target.dtype())) grads[target_key] = ops::ones_like(target);

  for (size_t e = entries.size(); e-- > 0;) {
    if (!entry_relevant[e]) continue;
    auto& entry = entries[e];
    std::vector<Tensor> dys(entry.outputs.size());
    bool any = false;
    for (size_t o = 0; o < entry.outputs.size(); ++o) {
      auto it = grads.find(entry.out_keys[o]);
      if (it != grads.end()) {
        dys[o] = it->second;
        any = true;
      }
    }
    if (!any) continue;
    std::unique_ptr<bool[]> needs(new bool[entry.inputs.size()]);
    for (size_t i = 0; i < entry.inputs.size(); ++i)
      needs[i] = relevant.count(entry.in_keys[i]) && is_floating(entry.inputs[i].dtype());
    std::vector<Tensor> in_grads(entry.inputs.size());
    detail::GradCtx ctx(*entry.op, entry.attrs.get(), entry.inputs, entry.outputs, dys,
                        std::span<const bool>(needs.get(), entry.inputs.size()), in_grads);
    entry.op->grad(ctx);
    for (size_t i = 0; i < entry.inputs.size(); ++i) {
      if (!in_grads[i].defined()) continue;
      auto [it, inserted] = grads.try_emplace(entry.in_keys[i], in_grads[i]);
      if (!inserted) it->second = ops::add(it->second, in_grads[i]);
    }
  }

  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const auto& s : sources) {
    auto it = grads.find(detail::key_of(s));
    if (it != grads.end())
      result.push_back(it->second);
    else if (unconnected == UnconnectedGradients::zero)
      result.push_back(ops::zeros_like(s));
    else
      result.emplace_back();
  }
  if (!impl_->persistent) {
    entries.clear();
    impl_->kept.clear();
    impl_->used = true;
  }
  return result;
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                           UnconnectedGradients unconnected) {
  std::vector<Tensor> reads;
  reads.reserve(sources.size());
  for (const auto& v : sources) reads.push_back(v.value());
  return gradient(target, reads, unconnected);
}

Tensor GradientTape::gradient(const Tensor& target, const Tensor& source, UnconnectedGradients unconnected) {
  return gradient(target, std::vector<Tensor>{source}, unconnected)[0];
}

Tensor GradientTape::gradient(const Tensor& target, const Variable& source, UnconnectedGradients unconnected) {
  return gradient(target, std::vector<Tensor>{source.value()}, unconnected)[0];
}

}  // namespace keras
