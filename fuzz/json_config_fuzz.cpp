// libFuzzer target for the config readers: keras::models::model_from_json on arbitrary text, and
// the deserializers of single objects (layer, initializer, regularizer, constraint, loss, metric,
// optimizer) on the same JSON. Built by `make fuzz`; seeds: fuzz/corpus/json_config_fuzz/.
//
// Any input must either load or raise a keras::Error. The variables a config may declare are
// capped (as load_model caps them by the weights file's size) so that a config asking for a
// huge layer is refused rather than allocated.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/variable_budget.hpp"
#include "keras/error.hpp"
#include "keras/keras.hpp"
#include "keras/saving.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  keras::detail::VariableBudget budget(1 << 20, "the fuzz budget");
  try {
    auto model = keras::models::model_from_json(text);
    (void)model->to_json();
  } catch (const keras::Error&) {
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, nullptr, true);
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  namespace s = keras::saving;
  auto attempt = [](auto&& f) {
    try {
      f();
    } catch (const keras::Error&) {
    }
  };
  attempt([&] { (void)s::deserialize_layer(j); });
  attempt([&] { (void)s::deserialize_initializer(j); });
  attempt([&] { (void)s::deserialize_regularizer(j); });
  attempt([&] { (void)s::deserialize_constraint(j); });
  attempt([&] { (void)s::deserialize_activation(j); });
  attempt([&] { (void)s::deserialize_loss(j); });
  attempt([&] { (void)s::deserialize_metric(j); });
  attempt([&] { (void)s::deserialize_optimizer(j); });
  attempt([&] { (void)s::deserialize_schedule(j); });
  return 0;
}
