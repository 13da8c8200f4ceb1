// Mirrors keras/src/optimizers/__init__.py (get, the name table) and the
// optimizer argument of keras/src/trainers/trainer.py compile().
#include "core/identifiers.hpp"
#include "keras/optimizers.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "keras/error.hpp"

namespace keras::optimizers {

namespace {

using Factory = std::function<std::shared_ptr<Optimizer>()>;

// Keras' ALL_OBJECTS_DICT: each class's lower-cased name. (Keras also lists
// Adafactor, Muon, Lamb's relatives, LossScaleOptimizer, MultiOptimizer and
// ScheduleFreeAdamW, not built here yet.)
const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"adadelta", [] { return std::make_shared<Adadelta>(); }},
      {"adagrad", [] { return std::make_shared<Adagrad>(); }},
      {"adam", [] { return std::make_shared<Adam>(); }},
      {"adamax", [] { return std::make_shared<Adamax>(); }},
      {"adamw", [] { return std::make_shared<AdamW>(); }},
      {"ftrl", [] { return std::make_shared<Ftrl>(); }},
      {"lion", [] { return std::make_shared<Lion>(); }},
      {"nadam", [] { return std::make_shared<Nadam>(); }},
      {"rmsprop", [] { return std::make_shared<RMSprop>(); }},
      {"sgd", [] { return std::make_shared<SGD>(); }},
  };
  return table;
}

// Keras lower-cases the class name before the lookup, so "Adam" and "ADAM" work too.
const Factory& find(const std::string& identifier) {
  std::string key = identifier;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = factories().find(key);
  if (it == factories().end()) {
    keras::detail::throw_unknown_identifier("optimizer", identifier, valid_names());
  }
  return it->second;
}

}  // namespace

const std::vector<std::string>& valid_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, factory] : factories()) v.push_back(name);
    return v;
  }();
  return names;
}

std::shared_ptr<Optimizer> get(const std::string& identifier) { return find(identifier)(); }

// ---- OptimizerArg ---------------------------------------------------------------------------------------

OptimizerArg::OptimizerArg(const char* identifier) {
  if (identifier) *this = OptimizerArg(std::string(identifier));  // nullptr: no optimizer, as Keras' None
}

OptimizerArg::OptimizerArg(const std::string& identifier) : identifier_(identifier) {
  find(identifier_);  // reject an unknown name now, where it was written
}

std::shared_ptr<Optimizer> OptimizerArg::get() const {
  if (optimizer_) return optimizer_;
  if (identifier_.empty()) return nullptr;
  return optimizers::get(identifier_);
}

}  // namespace keras::optimizers
