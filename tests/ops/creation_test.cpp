// Creation ops: zeros, ones, full, *_like, arange, eye, linspace,
// convert_to_tensor. Values against NumPy (tests/fixtures/elementwise.npz,
// arange_* / linspace_* / eye_* keys), hand-worked cases, dtypes, errors and
// symbolic inputs of the *_like ops.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("elementwise.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("elementwise.npz has no array " + key);
  return it->second;
}

// Same dtype, shape and elements.
void expect_same(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.dtype(), want.dtype());
  EXPECT_EQ(got.shape(), want.shape());
  EXPECT_EQ(got.to_vector<double>(), want.to_vector<double>());
}

TEST(Creation, ZerosOnesFull) {
  Tensor z = ops::zeros({2, 3});
  EXPECT_EQ(z.dtype(), DType::float32);
  EXPECT_EQ(z.to_vector<float>(), std::vector<float>(6, 0.f));
  EXPECT_EQ(ops::ones({4}, DType::int64).to_vector<int64_t>(), std::vector<int64_t>(4, 1));
  EXPECT_EQ(ops::full({2, 2}, 2.5).to_vector<float>(), std::vector<float>(4, 2.5f));
  EXPECT_EQ(ops::full({3}, 7, DType::uint8).to_vector<uint8_t>(), std::vector<uint8_t>(3, 7));
  EXPECT_EQ(ops::full({2}, 2.0, DType::bool_).to_vector<bool>(), std::vector<bool>(2, true));
  EXPECT_EQ(ops::ones({2}, DType::float16).dtype(), DType::float16);
  EXPECT_EQ(ops::cast(ops::full({2}, 0.5, DType::bfloat16), DType::float32).to_vector<float>(),
            std::vector<float>(2, 0.5f));
  Tensor s = ops::full({}, -1.0, DType::float64);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.item<double>(), -1.0);
  EXPECT_EQ(ops::zeros({0, 5}).size(), 0);
  expect_error<ValueError>([] { ops::zeros({2, -3}); }, "zeros: every dimension must be >= 0, got shape (2, -3)");
}

TEST(Creation, LikeOps) {
  Tensor x = Tensor(std::vector<int32_t>{1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor z = ops::zeros_like(x);
  EXPECT_EQ(z.dtype(), DType::int32);
  EXPECT_EQ(z.shape(), Shape({2, 3}));
  EXPECT_EQ(z.to_vector<int32_t>(), std::vector<int32_t>(6, 0));
  EXPECT_EQ(ops::ones_like(x, DType::float64).to_vector<double>(), std::vector<double>(6, 1.0));
  EXPECT_EQ(ops::full_like(x, 9).to_vector<int32_t>(), std::vector<int32_t>(6, 9));
  // A view's shape, contiguous result.
  Tensor v = noncontiguous({3, 2});
  Tensor o = ops::ones_like(v);
  EXPECT_EQ(o.shape(), Shape({3, 2}));
  EXPECT_TRUE(o.is_contiguous());
  // Symbolic input: a graph node with the (partly unknown) shape.
  Tensor p = graph::placeholder({-1, 4}, DType::float32, "p");
  Tensor f = ops::full_like(p, 3.0, DType::int64);
  EXPECT_TRUE(f.is_symbolic());
  EXPECT_EQ(f.shape(), Shape({-1, 4}));
  EXPECT_EQ(f.dtype(), DType::int64);
  auto out = graph::evaluate({f}, {{p, ops::zeros({2, 4})}});
  EXPECT_EQ(out[0].to_vector<int64_t>(), std::vector<int64_t>(8, 3));
  // Not differentiable: a tape records nothing.
  Tensor w = uniform({3});
  GradientTape tape;
  tape.watch(w);
  EXPECT_FALSE(tape.gradient(ops::sum(ops::ones_like(w)), w).defined());
  expect_error<ValueError>([] { ops::zeros_like(Tensor()); }, "full_like: input 0 is an undefined tensor");
}

TEST(Creation, ArangeMatchesNumpy) {
  expect_same(ops::arange(5), fx("arange_5"));  // whole numbers: int32
  expect_same(ops::arange(0.5, 3.0, 0.5), fx("arange_f"));
  expect_same(ops::arange(5, 1.0, -1.5), fx("arange_neg"));
  expect_same(ops::arange(2, 9.0, 3), fx("arange_2_9_3"));
  // Hand-worked: arange(1, 2, 0.25) = 1, 1.25, 1.5, 1.75 (stop excluded).
  EXPECT_EQ(ops::arange(1, 2.0, 0.25).to_vector<float>(), (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  EXPECT_EQ(ops::arange(3, std::nullopt, 1.0, DType::float64).dtype(), DType::float64);
  EXPECT_EQ(ops::arange(5, 2.0).size(), 0);  // empty when stop is behind start
  expect_error<ValueError>([] { ops::arange(0, 5.0, 0.0); },
                           "arange: start, stop and step must be finite and step non-zero");
  expect_error<ValueError>([] { ops::arange(0, 1e300); }, "arange: the result would have");
}

TEST(Creation, EyeMatchesNumpy) {
  expect_same(ops::eye(3), fx("eye_3"));
  expect_same(ops::eye(3, 4, 1), fx("eye_34_k1"));
  expect_same(ops::eye(4, 3, -2), fx("eye_43_km2"));
  EXPECT_EQ(ops::eye(2, 2, 5).to_vector<float>(), std::vector<float>(4, 0.f));  // diagonal outside
  EXPECT_EQ(ops::eye(2, std::nullopt, 0, DType::int32).to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 0, 1}));
  EXPECT_EQ(ops::eye(0).shape(), Shape({0, 0}));
  expect_error<ValueError>([] { ops::eye(-1); }, "eye: N and M must be >= 0");
}

TEST(Creation, LinspaceMatchesNumpy) {
  expect_same(ops::linspace(0, 1, 7), fx("linspace_7"));
  expect_same(ops::linspace(-1, 2, 5, false), fx("linspace_ne"));
  expect_same(ops::linspace(-2.5, 2.5, 4, true, DType::int32), fx("linspace_int"));  // floored, as NumPy 2
  // Hand-worked: linspace(0, 10, 3) = 0, 5, 10; num 1 gives start; num 0 is empty.
  EXPECT_EQ(ops::linspace(0, 10, 3).to_vector<float>(), (std::vector<float>{0, 5, 10}));
  EXPECT_EQ(ops::linspace(4, 10, 1).to_vector<float>(), (std::vector<float>{4}));
  EXPECT_EQ(ops::linspace(4, 10, 0).size(), 0);
  EXPECT_EQ(ops::linspace(0, 1).size(), 50);
  expect_error<ValueError>([] { ops::linspace(0, 1, -2); }, "linspace: num must be >= 0, got -2");
}

TEST(Creation, ConvertToTensor) {
  Tensor t = ops::convert_to_tensor(2.75);
  EXPECT_EQ(t.dtype(), DType::float32);
  EXPECT_EQ(t.ndim(), 0);
  EXPECT_EQ(t.item<float>(), 2.75f);
  EXPECT_EQ(ops::convert_to_tensor(3, DType::int64).item<int64_t>(), 3);
}

}  // namespace
}  // namespace keras::testing
