// Shape ops (reshape, expand_dims, squeeze, concatenate, stack, split, slice,
// strided_slice, take, take_along_axis, one_hot, pad, tile, repeat,
// broadcast_to, flip, top_k): NumPy fixtures (tests/fixtures/shape.npz, made
// by gen_shape_fixtures.py), hand-worked values, which ops are views, every
// dtype through the data-movement kernels, determinism of the scatter-adds,
// errors, symbolic shapes and gradient cases.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "keras/npy.hpp"
#include "ops/shape_grad.hpp"

namespace keras::testing {
namespace {

constexpr int64_t kBig = std::numeric_limits<int64_t>::max();
constexpr int64_t kSmall = std::numeric_limits<int64_t>::min();

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("shape.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("shape.npz has no array " + key);
  return it->second;
}

std::vector<int64_t> ints(const Tensor& t) { return t.to_vector<int64_t>(); }

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

// Exact equality of values and shape (data movement must not change a bit).
::testing::AssertionResult same(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << "shapes differ: " << a.shape() << " vs " << b.shape();
  if (a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << "dtypes differ: " << a.dtype() << " vs " << b.dtype();
  auto av = f64(a).to_vector<double>(), bv = f64(b).to_vector<double>();
  for (size_t i = 0; i < av.size(); ++i)
    if (!(av[i] == bv[i] || (std::isnan(av[i]) && std::isnan(bv[i]))))
      return ::testing::AssertionFailure() << "element " << i << ": " << av[i] << " vs expected " << bv[i];
  return ::testing::AssertionSuccess();
}

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage == b.impl()->storage; }

Tensor iota(const Shape& s, DType dtype = DType::float32) {
  std::vector<double> v(static_cast<size_t>(s.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return ops::cast(Tensor(v, s), dtype);
}

std::vector<float> fvec(const Tensor& t) { return t.to_vector<float>(); }

// ---- reshape / expand_dims / squeeze ---------------------------------------------------------------------
TEST(Reshape, ValuesAndInferredDim) {
  Tensor x = iota({2, 3});
  Tensor y = ops::reshape(x, {3, -1});
  EXPECT_EQ(y.shape(), Shape({3, 2}));
  EXPECT_EQ(fvec(y), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(ops::reshape(x, {-1}).shape(), Shape({6}));
  EXPECT_EQ(ops::reshape(Tensor::scalar(3.f), {1, 1}).shape(), Shape({1, 1}));
  EXPECT_EQ(ops::reshape(iota({0, 3}), {3, 0}).shape(), Shape({3, 0}));
}

TEST(Reshape, ContiguousInputIsAView) {
  Tensor x = iota({2, 3});
  Tensor y = ops::reshape(x, {6});
  EXPECT_TRUE(shares_storage(x, y));
  EXPECT_EQ(y.raw_data(), x.raw_data());
  EXPECT_NE(y.id(), x.id());
  x.mutable_data<float>()[4] = 40.f;  // a write through the base is visible in the view
  EXPECT_EQ(fvec(y)[4], 40.f);
}

TEST(Reshape, NonContiguousInputIsCopiedInCOrder) {
  Tensor x = ops::transpose(iota({2, 3}));  // [[0, 3], [1, 4], [2, 5]]
  ASSERT_FALSE(x.is_contiguous());
  Tensor y = ops::reshape(x, {6});
  EXPECT_FALSE(shares_storage(x, y));
  EXPECT_EQ(fvec(y), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Reshape, Errors) {
  expect_error<ValueError>(
      [] {
        ops::reshape(iota({2, 3}), {4});
      },
      "reshape: cannot reshape a tensor of shape (2, 3) (6 elements) into shape (4,)");
  expect_error<ValueError>([] { ops::reshape(iota({2, 3}), {-1, 4}); }, "into shape (-1, 4)");
  expect_error<ValueError>([] { ops::reshape(iota({2, 3}), {-1, -1}); }, "can only infer one dimension");
  expect_error<ValueError>([] { ops::reshape(iota({2, 3}), {-2, 3}); }, "must be >= 0 or -1");
}

TEST(ExpandDimsSqueeze, ShapesWithNegativeAxesAreViews) {
  Tensor x = iota({2, 3});
  EXPECT_EQ(ops::expand_dims(x, 0).shape(), Shape({1, 2, 3}));
  EXPECT_EQ(ops::expand_dims(x, 2).shape(), Shape({2, 3, 1}));
  EXPECT_EQ(ops::expand_dims(x, -1).shape(), Shape({2, 3, 1}));
  EXPECT_EQ(ops::expand_dims(x, -3).shape(), Shape({1, 2, 3}));
  Tensor e = ops::expand_dims(x, 1);
  EXPECT_EQ(e.shape(), Shape({2, 1, 3}));
  EXPECT_TRUE(shares_storage(x, e));
  EXPECT_TRUE(e.is_contiguous());
  Tensor s = ops::squeeze(iota({1, 2, 1, 3, 1}));
  EXPECT_EQ(s.shape(), Shape({2, 3}));
  EXPECT_EQ(fvec(s), fvec(x));
  EXPECT_EQ(ops::squeeze(iota({1, 2, 1}), Axes(-1)).shape(), Shape({1, 2}));
  EXPECT_EQ(ops::squeeze(iota({1, 2, 1}), Axes{0, -1}).shape(), Shape({2}));
  // Views of a non-contiguous tensor stay views.
  Tensor t = ops::transpose(iota({3, 2}));
  Tensor te = ops::expand_dims(t, 0);
  EXPECT_TRUE(shares_storage(t, te));
  EXPECT_EQ(fvec(ops::squeeze(te)), fvec(t));
}

TEST(ExpandDimsSqueeze, Errors) {
  expect_error<ValueError>(
      [] {
        ops::expand_dims(iota({2, 3}), 3);
      },
      "expand_dims: axis 3 is out of bounds for a tensor of rank 2 (valid: -3 to 2)");
  expect_error<ValueError>(
      [] {
        ops::squeeze(iota({2, 3}), Axes(1));
      },
      "squeeze: cannot squeeze axis 1 of a tensor of shape (2, 3): its size is 3, not 1");
  expect_error<ValueError>([] { ops::squeeze(iota({2, 1}), Axes(2)); }, "squeeze: axis 2 is out of bounds");
}

// ---- broadcast_to / flip ---------------------------------------------------------------------------------
TEST(BroadcastTo, MatchesNumpyWithStrideZeroView) {
  Tensor x = fx("x");
  Tensor col = ops::slice(x, {0, 0, 0}, {1, 3, 1});
  Tensor b = ops::broadcast_to(ops::squeeze(col, Axes(0)), {2, 3, 4});
  EXPECT_TRUE(same(b, fx("bcast")));
  EXPECT_TRUE(shares_storage(b, x));
  EXPECT_EQ(b.strides()[0], 0);
  EXPECT_EQ(b.strides()[2], 0);
  Tensor s = iota({3});
  Tensor bs = ops::broadcast_to(s, {2, 3});
  EXPECT_EQ(fvec(bs), (std::vector<float>{0, 1, 2, 0, 1, 2}));
  s.mutable_data<float>()[1] = 9.f;
  EXPECT_EQ(fvec(bs), (std::vector<float>{0, 9, 2, 0, 9, 2}));
}

TEST(BroadcastTo, Errors) {
  expect_error<ValueError>(
      [] {
        ops::broadcast_to(iota({2, 3}), {4, 3});
      },
      "broadcast_to: cannot broadcast a tensor of shape (2, 3) to shape (4, 3)");
  expect_error<ValueError>([] { ops::broadcast_to(iota({2, 3}), {3}); }, "to shape (3,)");
}

TEST(Flip, MatchesNumpyAsANegativeStrideView) {
  Tensor x = fx("x");
  EXPECT_TRUE(same(ops::flip(x), fx("flip_none")));
  EXPECT_TRUE(same(ops::flip(x, 0), fx("flip_a0")));
  EXPECT_TRUE(same(ops::flip(x, Axes{0, 2}), fx("flip_a02")));
  EXPECT_TRUE(same(ops::flip(x, -1), fx("flip_an1")));
  Tensor v = iota({4});
  Tensor f = ops::flip(v);
  EXPECT_TRUE(shares_storage(v, f));
  EXPECT_EQ(f.strides()[0], -1);
  v.mutable_data<float>()[0] = 7.f;
  EXPECT_EQ(fvec(f), (std::vector<float>{3, 2, 1, 7}));
  EXPECT_EQ(fvec(ops::flip(f)), (std::vector<float>{7, 1, 2, 3}));  // flip twice: back to the original
  // Other ops read negative strides (a reduction and a contiguous copy).
  EXPECT_EQ(ops::sum(f).item<float>(), 13.f);
  EXPECT_EQ(fvec(f.contiguous()), (std::vector<float>{3, 2, 1, 7}));
}

// ---- strided_slice / slice / split -----------------------------------------------------------------------
TEST(StridedSlice, MatchesNumpySlices) {
  Tensor x = fx("x");
  for (int i = 0; fixtures().count("ss" + std::to_string(i) + "_out"); ++i) {
    const std::string k = "ss" + std::to_string(i);
    SCOPED_TRACE(k);
    Tensor y = ops::strided_slice(x, ints(fx(k + "_begin")), ints(fx(k + "_end")), ints(fx(k + "_strides")));
    EXPECT_TRUE(same(y, fx(k + "_out")));
    EXPECT_TRUE(shares_storage(x, y));
  }
}

TEST(StridedSlice, IsAViewAndDefaultsToStepOne) {
  Tensor x = iota({3, 4});
  Tensor y = ops::strided_slice(x, {1, 1}, {3, 4});
  EXPECT_EQ(y.shape(), Shape({2, 3}));
  EXPECT_EQ(fvec(y), (std::vector<float>{5, 6, 7, 9, 10, 11}));
  x.mutable_data<float>()[6] = -1.f;
  EXPECT_EQ(fvec(y)[1], -1.f);
  Tensor r = ops::strided_slice(x, {-1}, {kSmall}, {-2});  // rows 2 and 0
  EXPECT_EQ(r.shape(), Shape({2, 4}));
  EXPECT_EQ(fvec(r), (std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3}));
}

TEST(StridedSlice, Errors) {
  expect_error<ValueError>(
      [] {
        ops::strided_slice(iota({2, 3}), {0, 0}, {1, 1}, {1, 0});
      },
      "strided_slice: strides must be non-zero; got strides (1, 0)");
  expect_error<ValueError>(
      [] {
        ops::strided_slice(iota({2, 3}), {0, 0}, {1}, {});
      },
      "strided_slice: begin, end and strides must have the same length; got 2, 1 and 2");
  expect_error<ValueError>(
      [] {
        ops::strided_slice(iota({2}), {0, 0}, {1, 1});
      },
      "strided_slice: got 2 begin/end entries for a tensor of shape (2,) (rank 1)");
}

TEST(Slice, BlocksAndTheRestOfAnAxis) {
  Tensor x = iota({3, 4});
  Tensor y = ops::slice(x, {1, 2}, {2, 2});
  EXPECT_EQ(fvec(y), (std::vector<float>{6, 7, 10, 11}));
  EXPECT_TRUE(shares_storage(x, y));
  EXPECT_EQ(ops::slice(x, {1, 1}, {-1, -1}).shape(), Shape({2, 3}));
  EXPECT_EQ(ops::slice(x, {3, 0}, {0, 4}).shape(), Shape({0, 4}));
  expect_error<ValueError>(
      [&] {
        ops::slice(x, {0, 3}, {2, 2});
      },
      "slice: the block starting at (0, 3) of shape (2, 2) does not fit in a tensor of shape "
      "(3, 4)");
  expect_error<ValueError>([&] { ops::slice(x, {-1, 0}, {1, 1}); }, "does not fit");
  expect_error<ValueError>(
      [&] {
        ops::slice(x, {0}, {1, 1});
      },
      "slice: start_indices and shape must have one entry per axis");
}

TEST(Split, SectionsAndIndices) {
  Tensor x = iota({2, 6});
  auto parts = ops::split(x, 3, -1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(fvec(parts[1]), (std::vector<float>{2, 3, 8, 9}));
  for (const auto& p : parts) EXPECT_TRUE(shares_storage(p, x));
  // NumPy's indices form: Python slices, so negatives count from the end and
  // out-of-order or too-large indices give empty pieces.
  auto pieces = ops::split(x, std::vector<int64_t>{2, -1, 1, 9}, 1);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0].shape(), Shape({2, 2}));
  EXPECT_EQ(pieces[1].shape(), Shape({2, 3}));
  EXPECT_EQ(fvec(pieces[1]), (std::vector<float>{2, 3, 4, 8, 9, 10}));
  EXPECT_EQ(pieces[2].shape(), Shape({2, 0}));
  EXPECT_EQ(pieces[3].shape(), Shape({2, 5}));
  EXPECT_EQ(pieces[4].shape(), Shape({2, 0}));
  expect_error<ValueError>([&] { ops::split(x, 4, 1); },
                           "split: a tensor of shape (2, 6) does not split into 4 equal sections along axis 1");
  expect_error<ValueError>([&] { ops::split(x, 0); }, "the number of sections must be > 0");
}

// ---- concatenate / stack ---------------------------------------------------------------------------------
TEST(Concatenate, MatchesNumpy) {
  Tensor x = fx("x"), y = fx("y");
  EXPECT_TRUE(same(ops::concatenate({x, y}, 1), fx("concat_a1")));
  Tensor head = ops::strided_slice(x, {0, 0, 0}, {kBig, kBig, 2});  // a strided view as an input
  EXPECT_TRUE(same(ops::concatenate({x, head}, -1), fx("concat_an1")));
  Tensor one = ops::concatenate({x});
  EXPECT_TRUE(same(one, x));
  EXPECT_FALSE(shares_storage(one, x));
}

TEST(Concatenate, PromotesDtypesAndReadsViews) {
  Tensor a = Tensor(std::vector<int32_t>{1, 2}, Shape{1, 2});
  Tensor b = Tensor(std::vector<float>{0.5f, 1.5f}, Shape{1, 2});
  Tensor c = ops::concatenate({a, b}, 0);
  EXPECT_EQ(c.dtype(), DType::float32);
  EXPECT_EQ(fvec(c), (std::vector<float>{1, 2, 0.5f, 1.5f}));
  Tensor t = ops::transpose(iota({2, 3}));  // (3, 2)
  Tensor f = ops::flip(iota({3, 1}), 0);
  EXPECT_EQ(fvec(ops::concatenate({t, f}, 1)), (std::vector<float>{0, 3, 2, 1, 4, 1, 2, 5, 0}));
}

TEST(Concatenate, Errors) {
  expect_error<ValueError>(
      [] {
        ops::concatenate({iota({2, 3}), iota({2, 3, 1})}, 1);
      },
      "concatenate: all inputs must have the same rank and the same dims except on axis 1; got "
      "(2, 3) and (2, 3, 1)");
  expect_error<ValueError>(
      [] {
        ops::concatenate({iota({2, 3}), iota({3, 3})}, 1);
      },
      "except on axis 1; got (2, 3) and (3, 3)");
  expect_error<ValueError>([] { ops::concatenate({}); }, "concatenate: needs at least one tensor");
  expect_error<ValueError>([] { ops::concatenate({Tensor::scalar(1.f)}); }, "zero-dimensional");
  expect_error<ValueError>([] { ops::concatenate({iota({2})}, 1); }, "concatenate: axis 1 is out of bounds");
}

TEST(Stack, MatchesNumpy) {
  Tensor x = fx("x");
  Tensor x1 = ops::add(x, Tensor::scalar(1.f));
  EXPECT_TRUE(same(ops::stack({x, x1}, 0), fx("stack_a0")));
  EXPECT_TRUE(same(ops::stack({x, x1}, 1), fx("stack_a1")));
  EXPECT_TRUE(same(ops::stack({x, x1}, -1), fx("stack_n1")));
  expect_error<ValueError>(
      [] {
        ops::stack({iota({2, 3}), iota({3, 2})});
      },
      "stack: all inputs must have the same shape; got (2, 3) and (3, 2)");
}

// ---- take / take_along_axis ------------------------------------------------------------------------------
TEST(Take, MatchesNumpyWithNegativeIndices) {
  Tensor x = fx("x"), idx = fx("take_idx");
  ASSERT_EQ(idx.dtype(), DType::int32);
  EXPECT_TRUE(same(ops::take(x, idx), fx("take_none")));
  EXPECT_TRUE(same(ops::take(x, ops::cast(idx, DType::int64), 1), fx("take_a1")));
  EXPECT_TRUE(same(ops::take(x, idx, -1), fx("take_an1")));
  Tensor idx0 = Tensor(std::vector<int64_t>{0, 1, 1, 1}, Shape{2, 2});  // take_idx % 2
  EXPECT_TRUE(same(ops::take(x, idx0, 0), fx("take_a0")));
  // A 0-d index removes the axis; a non-contiguous input is read correctly.
  Tensor t = ops::transpose(iota({2, 3}));  // (3, 2)
  Tensor r = ops::take(t, Tensor::scalar(int64_t{-1}), 0);
  EXPECT_EQ(r.shape(), Shape({2}));
  EXPECT_EQ(fvec(r), (std::vector<float>{2, 5}));
  Tensor u = ops::take(iota({3}), Tensor(std::vector<uint8_t>{2, 0}));
  EXPECT_EQ(fvec(u), (std::vector<float>{2, 0}));
}

TEST(Take, OutOfRangeIndicesRaiseIndexError) {
  Tensor x = iota({2, 3});
  expect_error<IndexError>(
      [&] {
        ops::take(x, Tensor(std::vector<int32_t>{0, 3}), 1);
      },
      "take: index 3 is out of bounds for axis 1 with size 3");
  expect_error<IndexError>([&] { ops::take(x, Tensor(std::vector<int64_t>{-4}), 1); }, "index -4 is out of bounds");
  expect_error<IndexError>([&] { ops::take(x, Tensor(std::vector<int64_t>{6})); }, "axis 0 with size 6");
  expect_error<TypeError>([&] { ops::take(x, Tensor(std::vector<float>{0.f})); },
                          "take: indices must be an integer tensor (int32, int64 or uint8), got dtype float32");
}

TEST(TakeAlongAxis, MatchesNumpyIncludingBroadcasting) {
  Tensor x = fx("x");
  EXPECT_TRUE(same(ops::take_along_axis(x, fx("tal_idx"), 1), fx("tal_a1")));
  EXPECT_TRUE(same(ops::take_along_axis(x, fx("tal_idx"), -2), fx("tal_a1")));
  EXPECT_TRUE(same(ops::take_along_axis(x, fx("talb_idx"), 1), fx("talb_a1")));
  expect_error<IndexError>(
      [&] {
        ops::take_along_axis(iota({2, 2}), Tensor(std::vector<int32_t>{0, 2}, {2, 1}), 1);
      },
      "take_along_axis: index 2 is out of bounds for axis 1 with size 2");
  expect_error<ValueError>([&] { ops::take_along_axis(x, Tensor(std::vector<int32_t>{0}), 0); },
                           "take_along_axis: x and indices must have the same rank; got shapes (2, 3, 4) and (1,)");
  expect_error<ValueError>(
      [&] {
        ops::take_along_axis(iota({2, 3}), Tensor(std::vector<int32_t>(6), {3, 2}), 1);
      },
      "take_along_axis: cannot broadcast x of shape (2, 3) and indices of shape (3, 2)");
}

// ---- one_hot ---------------------------------------------------------------------------------------------
TEST(OneHot, MatchesNumpyAndZeroesOutOfRangeRows) {
  Tensor ids = fx("oh_x");
  EXPECT_TRUE(same(ops::one_hot(ids, 4), fx("oh_an1")));
  EXPECT_TRUE(same(ops::one_hot(ids, 4, 0), fx("oh_a0")));
  Tensor i32 = ops::one_hot(ids, 4, -1, DType::int32);
  EXPECT_EQ(i32.dtype(), DType::int32);
  EXPECT_TRUE(same(i32, ops::cast(fx("oh_an1"), DType::int32)));
  // Floats: whole numbers pick their class, anything else gives a zero row.
  Tensor f = ops::one_hot(Tensor(std::vector<float>{1.f, 1.5f, -0.f}), 3);
  EXPECT_EQ(fvec(f), (std::vector<float>{0, 1, 0, 0, 0, 0, 1, 0, 0}));
  expect_error<ValueError>([] { ops::one_hot(iota({2}, DType::int32), 3, 2); },
                           "one_hot: axis 2 is out of bounds for an output of rank 2");
}

// ---- pad -------------------------------------------------------------------------------------------------
std::vector<std::pair<int64_t, int64_t>> widths(const Tensor& t) {
  auto v = ints(t);
  std::vector<std::pair<int64_t, int64_t>> w;
  for (size_t i = 0; i + 1 < v.size(); i += 2) w.emplace_back(v[i], v[i + 1]);
  return w;
}

std::string mode_of(const Tensor& t) {
  auto v = t.to_vector<uint8_t>();
  return std::string(v.begin(), v.end());
}

TEST(Pad, EveryModeMatchesNumpy) {
  Tensor p = ops::squeeze(ops::slice(fx("x"), {0, 0, 0}, {1, 3, 4}), Axes(0));
  Tensor pt = ops::transpose(ops::transpose(p).contiguous());  // the same values, non-contiguous
  ASSERT_FALSE(pt.is_contiguous());
  for (int i = 0; fixtures().count("pad" + std::to_string(i) + "_out"); ++i) {
    const std::string k = "pad" + std::to_string(i);
    const std::string mode = mode_of(fx(k + "_mode"));
    SCOPED_TRACE(k + " " + mode);
    EXPECT_TRUE(same(ops::pad(p, widths(fx(k + "_width")), mode, 1.5), fx(k + "_out")));
    EXPECT_TRUE(same(ops::pad(pt, widths(fx(k + "_width")), mode, 1.5), fx(k + "_out")));
  }
}

TEST(Pad, HandWorkedAndEveryDtype) {
  Tensor v = Tensor(std::vector<int64_t>{1, 2, 3});
  EXPECT_EQ(ints(ops::pad(v, {{2, 1}}, "reflect")), (std::vector<int64_t>{3, 2, 1, 2, 3, 2}));
  EXPECT_EQ(ints(ops::pad(v, {{2, 1}}, "symmetric")), (std::vector<int64_t>{2, 1, 1, 2, 3, 3}));
  EXPECT_EQ(ints(ops::pad(v, {{1, 1}}, "constant", 9)), (std::vector<int64_t>{9, 1, 2, 3, 9}));
  // A single pair pads every axis.
  EXPECT_EQ(ops::pad(iota({2, 3}), {{1, 2}}).shape(), Shape({5, 6}));
  for (DType d : {DType::float16, DType::bfloat16, DType::bool_, DType::uint8, DType::float64}) {
    Tensor x = ops::cast(iota({2, 2}), d);
    Tensor y = ops::pad(x, {{0, 1}, {1, 0}}, "edge");
    EXPECT_EQ(y.dtype(), d);
    EXPECT_TRUE(same(ops::cast(y, DType::float32),
                     ops::cast(ops::pad(ops::cast(x, DType::float32), {{0, 1}, {1, 0}}, "edge"), DType::float32)));
  }
  EXPECT_EQ(ops::pad(Tensor::scalar(2.f), {}).item<float>(), 2.f);
  EXPECT_EQ(fvec(ops::pad(iota({0}), {{1, 1}}, "constant", 4)), (std::vector<float>{4, 4}));
}

TEST(Pad, Errors) {
  expect_error<ValueError>(
      [] {
        ops::pad(iota({2, 3}), {{1, 1}}, "mean");
      },
      "pad: mode must be one of \"constant\", \"reflect\", \"symmetric\", \"edge\", \"wrap\"; "
      "got \"mean\"");
  expect_error<ValueError>(
      [] {
        ops::pad(iota({2, 3}), {{1, 1}, {0, 0}, {0, 0}});
      },
      "pad: pad_width must have one (before, after) pair per axis (2 for shape (2, 3)) or a "
      "single pair; got 3");
  expect_error<ValueError>(
      [] {
        ops::pad(iota({2, 3}), {{1, 1}, {0, -1}});
      },
      "pad: pad widths must be >= 0; got (0, -1) for axis 1");
  expect_error<ValueError>(
      [] {
        ops::pad(iota({2, 0}), {{0, 0}, {1, 0}}, "reflect");
      },
      "pad: cannot extend axis 1 of size 0 (shape (2, 0)) with mode \"reflect\"");
}

// ---- tile / repeat ---------------------------------------------------------------------------------------
TEST(TileRepeat, MatchNumpy) {
  Tensor x = fx("x");
  for (int i = 0; fixtures().count("tile" + std::to_string(i) + "_out"); ++i) {
    const std::string k = "tile" + std::to_string(i);
    SCOPED_TRACE(k);
    EXPECT_TRUE(same(ops::tile(x, ints(fx(k + "_reps"))), fx(k + "_out")));
  }
  EXPECT_TRUE(same(ops::repeat(x, 2), fx("rep_none")));
  EXPECT_TRUE(same(ops::repeat(x, 2, 0), fx("rep_a0")));
  EXPECT_TRUE(same(ops::repeat(x, 3, 1), fx("rep_a1")));
  EXPECT_TRUE(same(ops::repeat(x, 2, -1), fx("rep_an1")));
  EXPECT_EQ(ops::repeat(x, 0, 1).shape(), Shape({2, 0, 4}));
  expect_error<ValueError>([&] { ops::tile(x, {2, -1}); }, "tile: repeats must be >= 0; got (2, -1)");
  expect_error<ValueError>([&] { ops::repeat(x, -1); }, "repeat: repeats must be >= 0; got -1");
}

TEST(TileRepeat, HighRankStaysWithinTheRankLimit) {
  Tensor x = iota({1, 2, 1, 2, 1, 2, 1, 2});  // rank 8: tiling must not add dims
  Tensor y = ops::tile(x, {2, 1, 2, 1, 2, 1, 2, 1});
  EXPECT_EQ(y.shape(), Shape({2, 2, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(ops::repeat(x, 2, 7).shape(), Shape({1, 2, 1, 2, 1, 2, 1, 4}));
}

// ---- top_k -----------------------------------------------------------------------------------------------
TEST(TopK, MatchesAStableDescendingSort) {
  auto [values, indices] = ops::top_k(fx("topk_x"), 4);
  EXPECT_EQ(indices.dtype(), DType::int32);
  EXPECT_TRUE(same(values, fx("topk_values")));
  EXPECT_TRUE(same(indices, fx("topk_indices")));
}

TEST(TopK, NaNIsLargestAndIntegersWork) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto [v, i] = ops::top_k(Tensor(std::vector<float>{1.f, nan, 3.f, nan}), 3);
  EXPECT_EQ(i.to_vector<int32_t>(), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_TRUE(std::isnan(fvec(v)[0]));
  auto [vi, ii] = ops::top_k(Tensor(std::vector<int64_t>{int64_t{1} << 60, (int64_t{1} << 60) + 1, 5}), 2);
  EXPECT_EQ(ii.to_vector<int32_t>(), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(vi.dtype(), DType::int64);
  EXPECT_EQ(ops::top_k(iota({2, 3}), 0).first.shape(), Shape({2, 0}));
  expect_error<ValueError>(
      [] {
        ops::top_k(iota({2, 3}), 4);
      },
      "top_k: k = 4 must be in [0, 3], the size of the last axis of a tensor of shape (2, 3)");
  expect_error<ValueError>([] { ops::top_k(Tensor::scalar(1.f), 1); }, "top_k: x must have at least one dimension");
}

// ---- dtypes, determinism, symbolic shapes ----------------------------------------------------------------
TEST(ShapeKernels, EveryDtypeMovesExactly) {
  for (DType d : {DType::float32, DType::float64, DType::int32, DType::int64, DType::uint8, DType::bool_,
                  DType::float16, DType::bfloat16}) {
    SCOPED_TRACE(std::string(dtype_name(d)));
    Tensor x = ops::cast(iota({2, 3}), d);
    Tensor ref = ops::cast(x, DType::float64);  // the values x can hold (bool: 0 and 1)
    auto as64 = [](const Tensor& t) { return ops::cast(t, DType::float64); };
    EXPECT_TRUE(
        same(as64(ops::concatenate({x, ops::flip(x, 1)}, 0)), as64(ops::concatenate({ref, ops::flip(ref, 1)}, 0))));
    EXPECT_TRUE(same(as64(ops::take(x, Tensor(std::vector<int32_t>{2, 0}), 1)),
                     as64(ops::take(ref, Tensor(std::vector<int32_t>{2, 0}), 1))));
    EXPECT_TRUE(same(as64(ops::reshape(ops::transpose(x), {6})), as64(ops::reshape(ops::transpose(ref), {6}))));
    EXPECT_TRUE(same(as64(ops::tile(x, {2, 1})), as64(ops::tile(ref, {2, 1}))));
  }
}

TEST(ShapeDeterminism, ScatterAddsAreBitIdenticalForAnyThreadCount) {
  // Many repeated indices into few rows: every output element sums hundreds
  // of float32 values, whose rounding depends on the order.
  const int64_t rows = 4096, cols = 64;
  std::vector<int64_t> idx(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) idx[static_cast<size_t>(i)] = (i * 7919) % 13;
  Tensor indices(idx);
  Tensor dy = ops::cast(uniform({rows, cols}, -1, 1, 3), DType::float32);
  Tensor like = Tensor::empty({13, cols});
  Tensor dy3 = ops::reshape(dy, {1, rows, cols});
  Tensor along = Tensor(std::vector<int64_t>(static_cast<size_t>(rows * cols), 0), Shape{rows, cols});
  const int saved = omp_get_max_threads();
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    Tensor a = detail::take_grad(dy, indices, like, 0);
    Tensor b = detail::take_along_axis_grad(dy, along, Tensor::empty({1, cols}), 0);
    Tensor c = detail::pad_grad(dy3, {{0, 0}, {2000, 2000}, {0, 0}}, "reflect");  // ~42 adds per element
    std::vector<float> all = fvec(a);
    for (float v : fvec(b)) all.push_back(v);
    for (float v : fvec(c)) all.push_back(v);
    results.push_back(all);
  }
  omp_set_num_threads(saved);
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_EQ(std::memcmp(results[0].data(), results[i].data(), results[0].size() * sizeof(float)), 0);
}

// Views carry offsets, zero strides (broadcast_to) and negative strides
// (flip, strided_slice); every op that reads strided views must honour them.
// The reference is the same computation on contiguous copies.
TEST(ShapeViews, OtherOpsReadEveryKindOfView) {
  Tensor x = iota({3, 4});
  const std::vector<Tensor> views = {
      ops::flip(x),
      ops::strided_slice(x, {2, 3}, {kSmall, 0}, {-1, -2}),
      ops::broadcast_to(ops::strided_slice(x, {1}, {2}), {2, 4}),
      ops::slice(x, {1, 1}, {2, 3}),
  };
  for (size_t i = 0; i < views.size(); ++i) {
    SCOPED_TRACE("view " + std::to_string(i));
    const Tensor& v = views[i];
    const Tensor c = v.contiguous();
    EXPECT_TRUE(same(ops::add(v, v), ops::add(c, c)));
    EXPECT_TRUE(same(ops::exp(v), ops::exp(c)));
    EXPECT_TRUE(same(ops::where(ops::greater(v, c), v, c), c));
    EXPECT_TRUE(same(ops::sum(v, 0), ops::sum(c, 0)));
    EXPECT_TRUE(same(ops::max(v, -1), ops::max(c, -1)));
    EXPECT_TRUE(same(ops::matmul(v, ops::transpose(v)), ops::matmul(c, ops::transpose(c))));
    EXPECT_TRUE(same(ops::softmax(v), ops::softmax(c)));
    EXPECT_TRUE(same(ops::cast(v, DType::float64), ops::cast(c, DType::float64)));
  }
}

TEST(ShapeGrad, TakeAccumulatesRepeatedIndices) {
  Tensor x = iota({3, 2}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  Tensor y = ops::take(x, Tensor(std::vector<int32_t>{2, 0, 2, -1}), 0);
  Tensor g = tape.gradient(ops::sum(y), x);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{1, 1, 0, 0, 3, 3}));
}

TEST(ShapeGrad, ViewsOfAWatchedTensorDifferentiate) {
  Tensor x = iota({2, 3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  Tensor y = ops::flip(ops::broadcast_to(ops::strided_slice(x, {0, 0}, {1, kBig}, {1, 2}), {4, 1, 2}), 2);
  Tensor g = tape.gradient(ops::sum(ops::multiply(y, iota({4, 1, 2}, DType::float64))), x);
  // y[k, 0, j] = x[0, 2 * (1 - j)] * (2k + j): x[0, 0] gets sum(2k + 1), x[0, 2] sum(2k).
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{16, 0, 12, 0, 0, 0}));
}

TEST(ShapeSymbolic, InferAcceptsUnknownDims) {
  Tensor p = graph::placeholder({-1, 6});
  EXPECT_EQ(ops::reshape(p, {-1, 2, 3}).shape(), Shape({-1, 2, 3}));
  EXPECT_EQ(ops::reshape(p, {3, -1}).shape(), Shape({3, -1}));
  EXPECT_EQ(ops::expand_dims(p, 1).shape(), Shape({-1, 1, 6}));
  EXPECT_EQ(ops::squeeze(ops::expand_dims(p, 1)).shape(), Shape({-1, 6}));
  EXPECT_EQ(ops::concatenate({p, p}, 0).shape(), Shape({-1, 6}));
  EXPECT_EQ(ops::concatenate({p, p}, 1).shape(), Shape({-1, 12}));
  EXPECT_EQ(ops::strided_slice(p, {0, 1}, {2, 5}, {1, 2}).shape(), Shape({-1, 2}));
  EXPECT_EQ(ops::slice(p, {0, 1}, {2, 3}).shape(), Shape({-1, 3}));
  EXPECT_EQ(ops::take(p, Tensor(std::vector<int32_t>{0, 1}), 1).shape(), Shape({-1, 2}));
  EXPECT_EQ(ops::pad(p, {{1, 1}, {2, 0}}).shape(), Shape({-1, 8}));
  EXPECT_EQ(ops::flip(p).shape(), Shape({-1, 6}));
  EXPECT_EQ(ops::broadcast_to(graph::placeholder({-1}), {2, 3}).shape(), Shape({2, 3}));
  EXPECT_EQ(ops::one_hot(graph::placeholder({-1}, DType::int32), 5).shape(), Shape({-1, 5}));
  EXPECT_EQ(ops::top_k(p, 2).second.shape(), Shape({-1, 2}));
  EXPECT_EQ(ops::tile(p, {1, 2}).shape(), Shape({-1, 12}));
  auto parts = ops::split(p, 3, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), Shape({-1, 2}));
  expect_error<ValueError>([&] { ops::split(p, 2, 0); }, "has an unknown size");
  // A graph of views evaluates to the eager values.
  Tensor q = ops::flip(ops::reshape(ops::strided_slice(p, {0, 1}, {kBig, kBig}, {1, 2}), {-1}));
  Tensor batch = iota({2, 6});
  Tensor eager = ops::flip(ops::reshape(ops::strided_slice(batch, {0, 1}, {kBig, kBig}, {1, 2}), {-1}));
  EXPECT_TRUE(same(graph::evaluate({q}, {{p, batch}})[0], eager));
  EXPECT_EQ(fvec(eager), (std::vector<float>{11, 9, 7, 5, 3, 1}));
}

// ---- gradient cases --------------------------------------------------------------------------------------
const GradCheckOptions kDefault{};
inputs one(const Tensor& t) { return inputs{t}; }
Tensor i32(std::vector<int32_t> v, const Shape& s) { return Tensor(v, s); }
Tensor i64(std::vector<int64_t> v, const Shape& s) { return Tensor(v, s); }

// reshape / expand_dims / squeeze / broadcast_to / flip (views)
KERAS_GRAD_CASE(shape_reshape, "reshape", ([] {
                  return one(uniform({2, 3, 4}));
                }),
                ([](const inputs& x) {
                  return ops::reshape(x[0], {4, -1});
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_reshape_noncontiguous, "reshape", ([] {
                  return one(noncontiguous({3, 4}));
                }),
                ([](const inputs& x) {
                  return ops::reshape(x[0], {2, 6});
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_expand_dims, "expand_dims", ([] {
                  return one(noncontiguous({3, 2}));
                }),
                ([](const inputs& x) { return ops::expand_dims(x[0], -2); }));
KERAS_GRAD_CASE(shape_squeeze, "squeeze", ([] {
                  return one(uniform({1, 3, 1, 2}));
                }),
                ([](const inputs& x) {
                  return ops::squeeze(x[0], Axes{0, -2});
                }));
KERAS_GRAD_CASE(shape_squeeze_noncontiguous, "squeeze", ([] {
                  return one(noncontiguous({3, 1, 2}));
                }),
                ([](const inputs& x) { return ops::squeeze(x[0]); }));
KERAS_GRAD_CASE(shape_broadcast_to, "broadcast_to", ([] {
                  return one(uniform({3, 1}));
                }),
                ([](const inputs& x) {
                  return ops::broadcast_to(x[0], {2, 3, 4});
                }));
KERAS_GRAD_CASE(shape_broadcast_to_noncontiguous, "broadcast_to", ([] {
                  return one(noncontiguous({2, 3}));
                }),
                ([](const inputs& x) {
                  return ops::broadcast_to(x[0], {2, 2, 3});
                }));
KERAS_GRAD_CASE(shape_flip, "flip", ([] {
                  return one(noncontiguous({3, 4}));
                }),
                ([](const inputs& x) { return ops::flip(x[0], -1); }));
KERAS_GRAD_CASE(shape_flip_all, "flip", ([] {
                  return one(uniform({2, 3, 2}));
                }),
                ([](const inputs& x) { return ops::flip(x[0]); }));

// strided_slice and its scatter (slice, split, concatenate's gradient)
KERAS_GRAD_CASE(shape_slice, "strided_slice", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) {
                  return ops::slice(x[0], {1, 1}, {2, 2});
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_strided_slice_negative, "strided_slice", ([] {
                  return one(noncontiguous({4, 5}));
                }),
                ([](const inputs& x) {
                  return ops::strided_slice(x[0], {-1, 4}, {kSmall, 0}, {-2, -3});
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_split_sum, "strided_slice", ([] {
                  return one(uniform({2, 6}));
                }),
                ([](const inputs& x) {
                  auto p = ops::split(x[0], std::vector<int64_t>{1, 4}, 1);
                  return ops::concatenate({ops::multiply(p[0], p[1]), p[2]}, 1);  // (2, 3) and (2, 2)
                }));
KERAS_GRAD_CASE(shape_strided_slice_grad, "strided_slice_grad", ([] {
                  return inputs{uniform({2, 2}), i32(std::vector<int32_t>(12), {3, 4})};
                }),
                ([](const inputs& x) {
                  return detail::strided_slice_grad(x[0], x[1], {2, 0}, {kSmall, kBig}, {-2, 2});
                }),
                kDefault, true);

// concatenate / stack
KERAS_GRAD_CASE(shape_concatenate, "concatenate", ([] {
                  return inputs{uniform({2, 3}), noncontiguous({2, 2}), uniform({2, 1}, -1, 1, 5)};
                }),
                ([](const inputs& x) {
                  return ops::concatenate({x[0], x[1], x[2]}, -1);
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_stack, "concatenate", ([] {
                  return inputs{uniform({2, 3}), noncontiguous({2, 3})};
                }),
                ([](const inputs& x) {
                  return ops::stack({x[0], x[1]}, 1);
                }));

// take and its scatter-add (tile, repeat)
KERAS_GRAD_CASE(shape_take, "take", ([] {
                  return inputs{uniform({3, 4}), i32({1, -1, 1, 0, 3, 3}, {2, 3})};
                }),
                ([](const inputs& x) { return ops::take(x[0], x[1], 1); }), kDefault, true);
KERAS_GRAD_CASE(shape_take_flat_noncontiguous, "take", ([] {
                  return inputs{noncontiguous({3, 2}), i64({5, 0, -1}, {3})};
                }),
                ([](const inputs& x) { return ops::take(x[0], x[1]); }));
KERAS_GRAD_CASE(shape_take_grad, "take_grad", ([] {
                  return inputs{uniform({2, 3}), i32({2, 0, 2}, {3}), i32(std::vector<int32_t>(8), {2, 4})};
                }),
                ([](const inputs& x) { return detail::take_grad(x[0], x[1], x[2], -1); }), kDefault, true);
KERAS_GRAD_CASE(shape_tile, "take", ([] {
                  return one(noncontiguous({2, 3}));
                }),
                ([](const inputs& x) {
                  return ops::tile(x[0], {2, 1, 2});
                }));
KERAS_GRAD_CASE(shape_repeat, "take", ([] {
                  return one(uniform({2, 3}));
                }),
                ([](const inputs& x) { return ops::repeat(x[0], 2, 1); }));

// take_along_axis and its scatter-add (top_k)
KERAS_GRAD_CASE(shape_take_along_axis, "take_along_axis", ([] {
                  return inputs{noncontiguous({3, 4}), i64({0, 2, 2, -1, 1, 0, 0, 0}, {2, 4})};
                }),
                ([](const inputs& x) { return ops::take_along_axis(x[0], x[1], 0); }), kDefault, true);
KERAS_GRAD_CASE(shape_take_along_axis_broadcast, "take_along_axis", ([] {
                  return inputs{uniform({1, 4}), i32({3, 3, 0, 1, 2, 0}, {3, 2})};
                }),
                ([](const inputs& x) { return ops::take_along_axis(x[0], x[1], 1); }));
KERAS_GRAD_CASE(shape_take_along_axis_grad, "take_along_axis_grad", ([] {
                  return inputs{uniform({2, 3}), i32({0, 0, 1, 1, 0, 1}, {2, 3}), uniform({2, 2})};
                }),
                ([](const inputs& x) { return detail::take_along_axis_grad(x[0], x[1], x[2], 1); }), kDefault, true);
KERAS_GRAD_CASE(shape_top_k, "take_along_axis", ([] {
                  return one(uniform({3, 5}));
                }),
                ([](const inputs& x) { return ops::top_k(x[0], 3).first; }));

// pad and its adjoint
KERAS_GRAD_CASE(shape_pad_constant, "pad", ([] {
                  return one(noncontiguous({2, 3}));
                }),
                ([](const inputs& x) {
                  return ops::pad(x[0], {{1, 0}, {2, 1}}, "constant", 3.0);
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_pad_reflect, "pad", ([] {
                  return one(uniform({3, 4}));
                }),
                ([](const inputs& x) {
                  return ops::pad(x[0], {{2, 5}, {3, 1}}, "reflect");
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_pad_symmetric, "pad", ([] {
                  return one(noncontiguous({2, 3}));
                }),
                ([](const inputs& x) {
                  return ops::pad(x[0], {{3, 1}, {4, 2}}, "symmetric");
                }));
KERAS_GRAD_CASE(shape_pad_edge_wrap, "pad", ([] {
                  return one(uniform({2, 3}));
                }),
                ([](const inputs& x) {
                  return ops::pad(ops::pad(x[0], {{1, 2}, {0, 1}}, "edge"), {{0, 0}, {5, 2}}, "wrap");
                }));
KERAS_GRAD_CASE(shape_pad_grad, "pad_grad", ([] {
                  return one(uniform({5, 6}));
                }),
                ([](const inputs& x) {
                  return detail::pad_grad(x[0], {{1, 2}, {3, 0}}, "reflect");
                }),
                kDefault, true);
KERAS_GRAD_CASE(shape_pad_grad_constant, "pad_grad", ([] {
                  return one(noncontiguous({4, 5}));
                }),
                ([](const inputs& x) {
                  return detail::pad_grad(x[0], {{1, 1}, {0, 2}});
                }));

}  // namespace
}  // namespace keras::testing
