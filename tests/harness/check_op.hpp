#pragma once
// The op test harness: a table of gradient cases (one or more per op, in the
// op family's test file) driving one float64 finite-difference checker, and a
// coverage test that fails when a differentiable op has no case.
//
//   KERAS_GRAD_CASE(sqrt_positive, "sqrt", [] { return inputs{uniform({3, 4}, 0.5, 2.0)}; },
//                   [](const inputs& x) { return keras::ops::sqrt(x[0]); });
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace keras::testing {

using inputs = std::vector<Tensor>;
using OpFn = std::function<Tensor(const inputs&)>;

struct GradCheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

/// Compares the tape's gradient of sum(fn(x) * w) (w a fixed non-uniform
/// weight) with central differences, for every floating input. Inputs should
/// be float64 and kept away from kinks.
::testing::AssertionResult check_gradients(const OpFn& fn, const inputs& xs, GradCheckOptions options = {});

/// Second order: the gradient of (the gradient's weighted sum) computed with
/// nested tapes, against central differences of the first-order gradient.
::testing::AssertionResult check_second_order(const OpFn& fn, const inputs& xs, GradCheckOptions options = {});

/// Weights: the tape's gradient of sum(fwd() * w) (w a fixed non-uniform weight) with respect to
/// each of `vars` against central differences, element by element (float64 variables). Passes
/// when |numeric - analytic| <= atol + rtol |numeric|.
::testing::AssertionResult check_weight_gradients(const std::function<Tensor()>& fwd, std::vector<Variable> vars,
                                                  GradCheckOptions options = {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4});

/// Deterministic test data (independent of keras::random): values in [lo, hi).
Tensor uniform(const Shape& shape, double lo = -1.0, double hi = 1.0, uint64_t seed = 1, DType dtype = DType::float64);

/// A non-contiguous float64 view with the given shape (the transpose of a
/// contiguous tensor), for checking that ops accept views.
Tensor noncontiguous(const Shape& shape, double lo = -1.0, double hi = 1.0, uint64_t seed = 7);

/// Max |a - b| <= atol + rtol |b| elementwise, shapes equal.
::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double rtol = 1e-6, double atol = 1e-6);

struct GradCase {
  std::string name;
  std::string op;  // the OpDef name this case covers
  std::function<inputs()> make_inputs;
  OpFn fn;
  GradCheckOptions options{};
  bool second_order = false;
};
std::vector<GradCase>& grad_cases();
struct GradCaseRegistrar {
  explicit GradCaseRegistrar(GradCase c) { grad_cases().push_back(std::move(c)); }
};

/// Path of a committed fixture file under tests/fixtures.
std::string fixture(const std::string& relative);

}  // namespace keras::testing

#define KERAS_GRAD_CASE(id, op_name, make, fn_, ...)                      \
  static const ::keras::testing::GradCaseRegistrar keras_grad_case_##id { \
    ::keras::testing::GradCase { #id, op_name, make, fn_, __VA_ARGS__ }   \
  }
