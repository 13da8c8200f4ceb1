#pragma once
// Internals shared by the tape, the dispatcher and Variable.
#include <memory>
#include <unordered_set>
#include <vector>

#include "keras/gradient_tape.hpp"
#include "ops/op_def.hpp"

namespace keras::detail {

struct TapeEntry {
  const OpDef* op;
  AttrsPtr attrs;
  std::vector<uint64_t> in_keys;
  std::vector<Tensor> inputs;
  std::vector<uint64_t> out_keys;
  std::vector<Tensor> outputs;
};

class TapeImpl {
 public:
  bool persistent = false;
  bool watch_accessed_variables = true;
  bool recording = true;
  bool used = false;
  std::vector<TapeEntry> entries;
  std::unordered_set<uint64_t> tracked;  // keys whose values depend on something watched
  std::vector<Tensor> kept;              // watched tensors, kept alive so ids stay unique
  std::vector<std::weak_ptr<VariableImpl>> watched_vars;

  bool tracks(const Tensor& t);
  void watch_variable(uint64_t id, const std::weak_ptr<VariableImpl>& var);
};

/// Stops every tape on this thread from recording while alive (variable
/// updates, metric bookkeeping).
class PauseTapes {
 public:
  PauseTapes();
  ~PauseTapes();
  PauseTapes(const PauseTapes&) = delete;
  PauseTapes& operator=(const PauseTapes&) = delete;
};

Variable variable_from_impl(std::shared_ptr<VariableImpl> impl);

}  // namespace keras::detail

namespace keras::detail {
/// The variable's own buffer, for in-place updates by fused kernels
/// (optimizers, metrics). Copies on write first if a read of the current
/// value is still held elsewhere, so held reads never change.
Tensor writable_value(const Variable& v);
}  // namespace keras::detail
