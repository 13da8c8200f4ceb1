// The default strategy of keras/src/distribution (tf.distribute's
// get_strategy(): one replica on the current device).
#include "keras/distribute/strategy.hpp"

namespace keras::distribute {
namespace {
thread_local Strategy* g_current = nullptr;
}

Strategy::Scope::Scope(Strategy* strategy) : previous_(g_current) { g_current = strategy; }
Strategy::Scope::~Scope() { g_current = previous_; }

Strategy& get_strategy() {
  static Strategy default_strategy;
  return g_current ? *g_current : default_strategy;
}

bool has_strategy() { return g_current != nullptr; }

}  // namespace keras::distribute
