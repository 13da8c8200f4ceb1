// Mirrors keras/src/regularizers/regularizers.py and keras/src/regularizers/__init__.py
// (get and its names).
#include "core/identifiers.hpp"
#include "keras/regularizers.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/error.hpp"
#include "keras/ops.hpp"

namespace keras::regularizers {

namespace {

// keras.config.epsilon(): the floor of the norms in OrthogonalRegularizer's
// normalization. TODO(config): read keras::config::epsilon() once it exists.
constexpr double kEpsilon = 1e-7;

// A double as Python's repr prints it ("1.0", "-0.5", "nan"), so messages read like Keras'.
std::string py_float(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

// Keras' validate_float_arg: a finite, non-negative number.
double validated(double value, const char* name) {
  if (!std::isfinite(value) || value < 0) {
    throw ValueError(std::string("Invalid value for argument ") + name +
                     ": expected a non-negative float. Received: " + name + "=" + py_float(value));
  }
  return value;
}

// keras.cpp's float16 and bfloat16 are storage types (ops reject them), so a
// penalty on such a weight is computed in float32 and cast back to its dtype,
// which is the dtype Keras returns.
template <class F>
Tensor in_compute_dtype(const Tensor& x, F&& f) {
  if (x.dtype() != DType::float16 && x.dtype() != DType::bfloat16) return f(x);
  return ops::cast(f(ops::cast(x, DType::float32)), x.dtype());
}

// A 0-d tensor of x's dtype: Keras' ops.cast(factor, dtype=x.dtype).
Tensor scalar_like(double v, const Tensor& x) { return ops::convert_to_tensor(v, x.dtype()); }

// keras.ops.normalize(x, axis, order=2): x * min(rsqrt(sum(x^2, axis)), 1 / epsilon).
Tensor l2_normalize(const Tensor& x, int64_t axis) {
  Tensor inv_norm = ops::rsqrt(ops::sum(ops::square(x), axis, /*keepdims=*/true));
  return x * ops::minimum(inv_norm, scalar_like(1.0 / kEpsilon, x));
}

using Factory = std::function<std::shared_ptr<Regularizer>()>;

template <class T>
Factory make() {
  return [] { return std::make_shared<T>(); };
}

// Keras' ALL_OBJECTS_DICT: each class name and its snake_case form.
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> r = {
      {"L1", make<L1>()},
      {"l1", make<L1>()},
      {"L2", make<L2>()},
      {"l2", make<L2>()},
      {"L1L2", make<L1L2>()},
      {"l1l2", make<L1L2>()},
      {"OrthogonalRegularizer", make<OrthogonalRegularizer>()},
      {"orthogonal_regularizer", make<OrthogonalRegularizer>()},
      {"Regularizer", make<Regularizer>()},
      {"regularizer", make<Regularizer>()},
  };
  return r;
}

// A user function of the weight.
class FunctionRegularizer : public Regularizer {
 public:
  explicit FunctionRegularizer(RegularizerFn fn) : fn_(std::move(fn)) {}
  Tensor call(const Tensor& x) const override { return fn_(x); }
  std::string class_name() const override { return "function"; }

 private:
  RegularizerFn fn_;
};

}  // namespace

// ---- Regularizer -----------------------------------------------------------------------------------------

Tensor Regularizer::operator()(const Tensor& x) const {
  if (!x.defined()) throw ValueError(class_name() + ": the input is an undefined tensor");
  return call(x);
}

Tensor Regularizer::call(const Tensor& x) const { return ops::zeros({}, x.dtype()); }

// ---- the regularizers ------------------------------------------------------------------------------------

L1::L1(Options options) : options_(options) { validated(options_.l1, "l1"); }

Tensor L1::call(const Tensor& x) const {
  return in_compute_dtype(x, [&](const Tensor& v) { return scalar_like(options_.l1, v) * ops::sum(ops::abs(v)); });
}

L2::L2(Options options) : options_(options) { validated(options_.l2, "l2"); }

Tensor L2::call(const Tensor& x) const {
  return in_compute_dtype(x, [&](const Tensor& v) { return scalar_like(options_.l2, v) * ops::sum(ops::square(v)); });
}

L1L2::L1L2(Options options) : options_(options) {
  validated(options_.l1, "l1");
  validated(options_.l2, "l2");
}

Tensor L1L2::call(const Tensor& x) const {
  return in_compute_dtype(x, [&](const Tensor& v) {
    Tensor regularization = scalar_like(0.0, v);
    if (options_.l1 != 0.0) regularization = regularization + scalar_like(options_.l1, v) * ops::sum(ops::abs(v));
    if (options_.l2 != 0.0) regularization = regularization + scalar_like(options_.l2, v) * ops::sum(ops::square(v));
    return regularization;
  });
}

OrthogonalRegularizer::OrthogonalRegularizer(Options options) : options_(std::move(options)) {
  validated(options_.factor, "factor");
  if (options_.mode != "rows" && options_.mode != "columns") {
    throw ValueError(R"(Invalid value for argument `mode`. Expected one of {"rows", "columns"}. Received: mode=)" +
                     options_.mode);
  }
}

Tensor OrthogonalRegularizer::call(const Tensor& x) const {
  if (x.ndim() != 2) {
    throw ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=" + x.shape().str());
  }
  return in_compute_dtype(x, [&](const Tensor& v) {
    Tensor product;
    int64_t size = 0;
    if (options_.mode == "rows") {
      const Tensor n = l2_normalize(v, 1);
      product = ops::matmul(n, ops::transpose(n));
      size = v.shape()[0];
    } else {
      const Tensor n = l2_normalize(v, 0);
      product = ops::matmul(ops::transpose(n), n);
      size = v.shape()[1];
    }
    const Tensor product_no_diagonal = product * (1.0 - ops::eye(size, std::nullopt, 0, v.dtype()));
    // A single row (or column) has no pairs: 0 / 0, NaN, as in Keras.
    const double num_pairs = static_cast<double>(size) * (static_cast<double>(size) - 1.0) / 2.0;
    // Keras: factor * 0.5 * sum(...) / num_pairs, evaluated left to right.
    const Tensor half_factor = scalar_like(options_.factor * 0.5, v);
    return half_factor * ops::sum(ops::abs(product_no_diagonal)) / num_pairs;
  });
}

// ---- lookup ----------------------------------------------------------------------------------------------

const std::vector<std::string>& valid_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, factory] : registry()) v.push_back(name);
    return v;  // std::map keeps them sorted
  }();
  return names;
}

std::shared_ptr<Regularizer> get(const std::string& identifier) {
  auto it = registry().find(identifier);
  if (it != registry().end()) return it->second();
  detail::throw_unknown_identifier("regularizer", identifier, valid_names());
}

// ---- RegularizerArg --------------------------------------------------------------------------------------

RegularizerArg::RegularizerArg(const char* identifier) : RegularizerArg(std::string(identifier ? identifier : "")) {}

RegularizerArg::RegularizerArg(const std::string& identifier) : regularizer_(regularizers::get(identifier)) {}

RegularizerArg::RegularizerArg(std::shared_ptr<const Regularizer> regularizer) : regularizer_(std::move(regularizer)) {}

std::shared_ptr<const Regularizer> RegularizerArg::wrap(RegularizerFn fn) {
  return std::make_shared<FunctionRegularizer>(std::move(fn));
}

}  // namespace keras::regularizers
