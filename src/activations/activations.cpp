// Mirrors keras/src/activations/activations.py and __init__.py (get).
#include "keras/activations.hpp"

#include <map>

#include "core/identifiers.hpp"
#include "keras/ops.hpp"

namespace keras::activations {

Tensor linear(const Tensor& x) { return x; }
Tensor relu(const Tensor& x) { return ops::relu(x); }
Tensor relu6(const Tensor& x) { return ops::relu6(x); }
Tensor sigmoid(const Tensor& x) { return ops::sigmoid(x); }
Tensor hard_sigmoid(const Tensor& x) { return ops::hard_sigmoid(x); }
Tensor tanh(const Tensor& x) { return ops::tanh(x); }
Tensor softmax(const Tensor& x) { return ops::softmax(x, -1); }
Tensor log_softmax(const Tensor& x) { return ops::log_softmax(x, -1); }
Tensor softplus(const Tensor& x) { return ops::softplus(x); }
Tensor softsign(const Tensor& x) { return ops::softsign(x); }
Tensor elu(const Tensor& x) { return ops::elu(x, 1.0); }
Tensor selu(const Tensor& x) { return ops::selu(x); }
Tensor gelu(const Tensor& x) { return ops::gelu(x, /*approximate=*/false); }
Tensor silu(const Tensor& x) { return ops::silu(x); }
Tensor leaky_relu(const Tensor& x) { return ops::leaky_relu(x, 0.2); }
Tensor exponential(const Tensor& x) { return ops::exp(x); }

namespace {
const std::map<std::string, Tensor (*)(const Tensor&)>& table() {
  static const std::map<std::string, Tensor (*)(const Tensor&)> t = {
      {"elu", elu},
      {"exponential", exponential},
      {"gelu", gelu},
      {"hard_sigmoid", hard_sigmoid},
      {"leaky_relu", leaky_relu},
      {"linear", linear},
      {"log_softmax", log_softmax},
      {"relu", relu},
      {"relu6", relu6},
      {"selu", selu},
      {"sigmoid", sigmoid},
      {"silu", silu},
      {"softmax", softmax},
      {"softplus", softplus},
      {"softsign", softsign},
      {"swish", silu},
      {"tanh", tanh},
  };
  return t;
}
}  // namespace

const std::vector<std::string>& valid_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [k, v] : table()) n.push_back(k);
    return n;
  }();
  return names;
}

ActivationFn get(const std::string& identifier) {
  auto it = table().find(identifier);
  if (it == table().end()) keras::detail::throw_unknown_identifier("activation function", identifier, valid_names());
  return it->second;
}

ActivationArg::ActivationArg(const char* identifier) : ActivationArg(std::string(identifier ? identifier : "")) {}

ActivationArg::ActivationArg(const std::string& identifier) {
  if (identifier.empty() || identifier == "linear") return;
  fn_ = get(identifier);
  name_ = identifier;
}

}  // namespace keras::activations
