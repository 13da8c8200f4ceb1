#pragma once
/// keras::distribute: where a model's variables live and how its steps run.
///
/// Example:
///   auto& strategy = keras::distribute::get_strategy();   // the default: one replica
///   {
///     auto scope = strategy.scope();                      // models built here belong to it
///     keras::Sequential model({...});
///   }
///   strategy.run([&] { logs = model.train_step(batch); });
///
/// fit / evaluate / predict run every step through the model's strategy, so
/// other strategies (several replicas, several processes) slot in later
/// without changing the trainer.
#include <functional>
#include <memory>
#include <string>

namespace keras::distribute {

class Strategy {
 public:
  virtual ~Strategy() = default;
  /// Replicas a step runs on at once.
  virtual int num_replicas_in_sync() const { return 1; }
  /// Runs one step (on every replica, gathering as the strategy does).
  virtual void run(const std::function<void()>& step) { step(); }
  virtual std::string name() const { return "DefaultStrategy"; }

  /// While alive, get_strategy() returns this strategy on this thread.
  class Scope {
   public:
    explicit Scope(Strategy* strategy);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Strategy* previous_;
  };
  [[nodiscard]] Scope scope() { return Scope(this); }
};

/// The strategy of the innermost active scope on this thread, else the default strategy.
Strategy& get_strategy();
/// Whether a scope other than the default is active.
bool has_strategy();

}  // namespace keras::distribute
