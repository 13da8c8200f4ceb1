#include "harness/check_op.hpp"

#include <cmath>
#include <sstream>

#include "ops/op_def.hpp"

namespace keras::testing {

namespace {

uint64_t lcg(uint64_t& s) {
  s = s * 6364136223846793005ULL + 1442695040888963407ULL;
  return s >> 11;
}

// sum(fn(x) * w) as a double, computed without a tape.
double weighted(const OpFn& fn, const inputs& xs, const Tensor& w) {
  Tensor y = fn(xs);
  auto yv = ops::cast(y, DType::float64).to_vector<double>();
  auto wv = w.to_vector<double>();
  double s = 0;
  for (size_t i = 0; i < yv.size(); ++i) s += yv[i] * wv[i];
  return s;
}

Tensor weight_like(const Tensor& y) {
  uint64_t s = 12345;
  std::vector<double> v(static_cast<size_t>(y.size()));
  for (auto& x : v) x = 0.5 + static_cast<double>(lcg(s) % 1000) / 1000.0;
  return Tensor(v, y.shape());
}

// Replaces element j of input i with value and returns the new input list.
inputs perturbed(const inputs& xs, size_t i, size_t j, double delta) {
  inputs out = xs;
  auto v = xs[i].to_vector<double>();
  v[j] += delta;
  out[i] = Tensor(v, xs[i].shape());
  return out;
}

::testing::AssertionResult compare(const std::string& what, const std::vector<double>& analytic,
                                   const std::vector<double>& numeric, const GradCheckOptions& o) {
  for (size_t j = 0; j < numeric.size(); ++j) {
    if (!(std::abs(analytic[j] - numeric[j]) <= o.atol + o.rtol * std::abs(numeric[j]))) {
      return ::testing::AssertionFailure()
             << what << " element " << j << ": analytic " << analytic[j] << " vs numeric " << numeric[j];
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult check_gradients(const OpFn& fn, const inputs& xs, GradCheckOptions o) {
  Tensor w = weight_like(fn(xs));
  std::vector<Tensor> analytic;
  {
    GradientTape tape;
    for (const auto& x : xs) tape.watch(x);
    Tensor y = fn(xs);
    if (y.shape() != w.shape()) return ::testing::AssertionFailure() << "output shape changed under the tape";
    Tensor loss = ops::sum(ops::multiply(ops::cast(y, DType::float64), w));
    analytic = tape.gradient(loss, xs, UnconnectedGradients::zero);
  }
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!is_floating(xs[i].dtype())) continue;
    if (analytic[i].shape() != xs[i].shape())
      return ::testing::AssertionFailure()
             << "gradient of input " << i << " has shape " << analytic[i].shape() << ", input has " << xs[i].shape();
    std::vector<double> numeric(static_cast<size_t>(xs[i].size()));
    for (size_t j = 0; j < numeric.size(); ++j) {
      double fp = weighted(fn, perturbed(xs, i, j, o.eps), w);
      double fm = weighted(fn, perturbed(xs, i, j, -o.eps), w);
      numeric[j] = (fp - fm) / (2 * o.eps);
    }
    auto r = compare("input " + std::to_string(i), analytic[i].to_vector<double>(), numeric, o);
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult check_weight_gradients(const std::function<Tensor()>& fwd, std::vector<Variable> vars,
                                                  GradCheckOptions o) {
  if (vars.empty()) return ::testing::AssertionFailure() << "no trainable weights";
  const Tensor w = uniform(fwd().shape(), 0.5, 1.5, 99);
  auto value = [&] { return ops::sum(ops::multiply(fwd(), w)).item<double>(); };
  std::vector<Tensor> analytic;
  {
    GradientTape tape;
    Tensor loss = ops::sum(ops::multiply(fwd(), w));
    analytic = tape.gradient(loss, vars, UnconnectedGradients::zero);
  }
  for (size_t k = 0; k < vars.size(); ++k) {
    const Tensor saved = vars[k].value();
    auto base = saved.to_vector<double>();
    auto got = analytic[k].to_vector<double>();
    for (size_t j = 0; j < base.size(); ++j) {
      auto v = base;
      v[j] += o.eps;
      vars[k].assign(Tensor(v, saved.shape()));
      const double fp = value();
      v[j] -= 2 * o.eps;
      vars[k].assign(Tensor(v, saved.shape()));
      const double fm = value();
      vars[k].assign(saved);
      const double numeric = (fp - fm) / (2 * o.eps);
      if (!(std::abs(numeric - got[j]) <= o.atol + o.rtol * std::abs(numeric)))
        return ::testing::AssertionFailure() << "weight " << k << " (" << vars[k].name() << ") element " << j
                                             << ": analytic " << got[j] << " vs numeric " << numeric;
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult check_second_order(const OpFn& fn, const inputs& xs, GradCheckOptions o) {
  // g(x) = sum_i <d(sum(fn(x) w))/dx_i, v_i>: a scalar function of x whose
  // gradient needs the gradient rules to be differentiable themselves.
  Tensor w = weight_like(fn(xs));
  auto first = [&](const inputs& in) -> Tensor {
    GradientTape inner;
    for (const auto& x : in) inner.watch(x);
    Tensor loss = ops::sum(ops::multiply(ops::cast(fn(in), DType::float64), w));
    auto g = inner.gradient(loss, in, UnconnectedGradients::zero);
    Tensor total = ops::zeros({}, DType::float64);
    for (size_t i = 0; i < in.size(); ++i)
      if (is_floating(in[i].dtype())) total = ops::add(total, ops::sum(ops::multiply(g[i], weight_like(g[i]))));
    return total;
  };
  OpFn as_op = [&](const inputs& in) { return first(in); };
  return check_gradients(as_op, xs, o);
}

Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype) {
  uint64_t s = seed * 7919 + 17;
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (auto& x : v) x = lo + (hi - lo) * static_cast<double>(lcg(s) % 1000003) / 1000003.0;
  return ops::cast(Tensor(v, shape), dtype);
}

Tensor noncontiguous(const Shape& shape, double lo, double hi, uint64_t seed) {
  Shape rev;
  for (int i = shape.rank() - 1; i >= 0; --i) rev.push_back(shape[i]);
  Tensor t = ops::transpose(uniform(rev, lo, hi, seed));
  return t;
}

::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << "shapes differ: " << a.shape() << " vs " << b.shape();
  auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  for (size_t i = 0; i < av.size(); ++i) {
    bool both_nan = std::isnan(av[i]) && std::isnan(bv[i]);
    bool same_inf = std::isinf(av[i]) && av[i] == bv[i];
    if (!both_nan && !same_inf && !(std::abs(av[i] - bv[i]) <= atol + rtol * std::abs(bv[i])))
      return ::testing::AssertionFailure() << "element " << i << ": " << av[i] << " vs expected " << bv[i];
  }
  return ::testing::AssertionSuccess();
}

std::vector<GradCase>& grad_cases() {
  static std::vector<GradCase> cases;
  return cases;
}

std::string fixture(const std::string& relative) { return std::string(KERAS_TEST_FIXTURES) + "/" + relative; }

}  // namespace keras::testing
