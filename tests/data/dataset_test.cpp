// keras::data::Dataset: each transformation against hand-computed elements,
// tf.data's cardinality rules, shuffle determinism (per seed, per pass, per
// thread count, and against a reference of the documented algorithm), the
// fused from_tensor_slices -> [shuffle] -> batch path against the generic
// one, parallel map order, exceptions through threads, teardown mid-stream,
// and the memory and file caches.
#include "keras/data/dataset.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/philox.hpp"
#include "data/dataset_impl.hpp"
#include "harness/expect_error.hpp"
#include "keras/keras.hpp"

namespace keras::testing {
namespace {

using data::AUTOTUNE;
using data::Dataset;
using data::Element;
using data::kInfiniteCardinality;
using data::kUnknownCardinality;

std::vector<Element> collect(const Dataset& ds) {
  std::vector<Element> out;
  for (const Element& e : ds) out.push_back(e);
  return out;
}

// The first component of every element, as int64 scalars.
std::vector<int64_t> ints(const Dataset& ds) {
  std::vector<int64_t> out;
  auto it = ds.make_iterator();
  while (auto e = it.next()) out.push_back((*e)[0].item<int64_t>());
  return out;
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  if (a.size() == 0) return true;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<size_t>(a.size()) * dtype_size(a.dtype())) == 0;
}

bool same_elements(const std::vector<Element>& a, const std::vector<Element>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (size_t c = 0; c < a[i].size(); ++c)
      if (!same_tensor(a[i][c], b[i][c])) return false;
  }
  return true;
}

Element identity(const Element& e) { return e; }

std::vector<int64_t> iota(int64_t begin, int64_t end) {
  std::vector<int64_t> v(static_cast<size_t>(end - begin));
  std::iota(v.begin(), v.end(), begin);
  return v;
}

// x: (n, 3) float32 with row i = (i, i + 0.5, -i); y: (n,) int64 = 10 * i.
std::pair<Tensor, Tensor> rows(int64_t n) {
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.insert(x.end(), {static_cast<float>(i), static_cast<float>(i) + 0.5f, -static_cast<float>(i)});
    y.push_back(10 * i);
  }
  return {Tensor(x, Shape{n, 3}), Tensor(y, Shape{n})};
}

// ---- sources ----------------------------------------------------------------------------

TEST(DatasetSource, FromTensorSlicesSlicesAxis0) {
  auto [x, y] = rows(3);
  const Dataset ds = Dataset::from_tensor_slices({x, y});
  EXPECT_EQ(ds.cardinality(), 3);
  const std::vector<Element> got = collect(ds);
  ASSERT_EQ(got.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) {
    const Element& e = got[static_cast<size_t>(i)];
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].shape(), Shape{3});
    EXPECT_EQ(e[0].dtype(), DType::float32);
    EXPECT_EQ(e[0].to_vector<float>(), (std::vector<float>{float(i), float(i) + 0.5f, -float(i)}));
    EXPECT_EQ(e[1].shape(), Shape{});
    EXPECT_EQ(e[1].item<int64_t>(), 10 * i);
  }
}

TEST(DatasetSource, FromTensorSlicesOfAStridedView) {
  // The transpose of a (2, 3) tensor: rows of the view are columns of the data.
  const Tensor a({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  const std::vector<Element> got = collect(Dataset::from_tensor_slices({ops::transpose(a)}));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0][0].to_vector<float>(), (std::vector<float>{1, 4}));
  EXPECT_EQ(got[2][0].to_vector<float>(), (std::vector<float>{3, 6}));
  const std::vector<Element> batched = collect(Dataset::from_tensor_slices({ops::transpose(a)}).batch(2));
  EXPECT_EQ(batched[0][0].to_vector<float>(), (std::vector<float>{1, 4, 2, 5}));
}

TEST(DatasetSource, FromTensorSlicesErrors) {
  auto [x, y] = rows(3);
  expect_error<ValueError>(
      [&] {
        Dataset::from_tensor_slices({x, ops::zeros({2})});
      },
      "same length along axis 0, got lengths 3, 2 (shapes (3, 3), (2,))");
  expect_error<ValueError>([&] { Dataset::from_tensor_slices({Tensor::scalar(1.0f)}); }, "use from_tensors");
  expect_error<ValueError>([&] { Dataset::from_tensor_slices({}); }, "at least one tensor");
  expect_error<ValueError>([&] { Dataset::from_tensor_slices({x, Tensor()}); }, "component 1 is an undefined tensor");
}

TEST(DatasetSource, FromTensorsIsOneElement) {
  auto [x, y] = rows(4);
  const Dataset ds = Dataset::from_tensors({x, y});
  EXPECT_EQ(ds.cardinality(), 1);
  const std::vector<Element> got = collect(ds);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(same_tensor(got[0][0], x));
  EXPECT_TRUE(same_tensor(got[0][1], y));
  EXPECT_EQ(collect(ds.repeat(3)).size(), 3u);
}

TEST(DatasetSource, Range) {
  EXPECT_EQ(ints(Dataset::range(5)), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ints(Dataset::range(1, 8, 3)), (std::vector<int64_t>{1, 4, 7}));
  EXPECT_EQ(ints(Dataset::range(10, 5, -2)), (std::vector<int64_t>{10, 8, 6}));
  EXPECT_TRUE(ints(Dataset::range(5, 5)).empty());
  EXPECT_TRUE(ints(Dataset::range(10, 5)).empty());
  const Element e = *Dataset::range(3).make_iterator().next();
  EXPECT_EQ(e[0].dtype(), DType::int64);
  EXPECT_EQ(e[0].shape(), Shape{});
  // Spans near the ends of int64 neither overflow nor lose elements.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(ints(Dataset::range(kMax - 2, kMax)), (std::vector<int64_t>{kMax - 2, kMax - 1}));
  EXPECT_EQ(Dataset::range(kMin, kMax, kMax).cardinality(), 3);
  EXPECT_EQ(ints(Dataset::range(kMin, kMax, kMax)), (std::vector<int64_t>{kMin, -1, kMax - 1}));
  expect_error<ValueError>([] { Dataset::range(0, 5, 0); }, "step must not be 0");
}

TEST(DatasetSource, FromGeneratorMakesAFreshGeneratorPerPass) {
  int made = 0;
  const Dataset ds = Dataset::from_generator([&made] {
    ++made;
    return [i = int64_t{0}]() mutable -> std::optional<Element> {
      if (i == 3) return std::nullopt;
      return Element{Tensor::scalar<int64_t>(i++)};
    };
  });
  EXPECT_EQ(ds.cardinality(), kUnknownCardinality);
  EXPECT_EQ(made, 0);  // lazy
  EXPECT_EQ(ints(ds), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(ints(ds), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(made, 2);
  EXPECT_EQ(ints(ds.repeat(2)), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
}

TEST(DatasetSource, NothingIsComputedUntilIterated) {
  std::atomic<int> calls{0};
  auto [x, y] = rows(50);
  const Dataset ds = Dataset::from_tensor_slices({x, y})
                         .map(
                             [&calls](const Element& e) {
                               ++calls;
                               return e;
                             },
                             2)
                         .shuffle(10, 1)
                         .batch(4)
                         .prefetch(2)
                         .cache();
  auto it = ds.make_iterator();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls.load(), 0);
  ASSERT_TRUE(it.next().has_value());
  EXPECT_GT(calls.load(), 0);
}

// ---- element-wise transformations --------------------------------------------------------

TEST(DatasetTransform, MapAndFilter) {
  const Dataset squares = Dataset::range(6).map([](const Element& e) {
    const int64_t v = e[0].item<int64_t>();
    return Element{Tensor::scalar<int64_t>(v * v), Tensor::scalar<float>(0.5f * static_cast<float>(v))};
  });
  EXPECT_EQ(squares.cardinality(), 6);
  EXPECT_EQ(ints(squares), (std::vector<int64_t>{0, 1, 4, 9, 16, 25}));
  EXPECT_EQ(collect(squares)[3][1].item<float>(), 1.5f);
  const Dataset even = squares.filter([](const Element& e) { return e[0].item<int64_t>() % 2 == 0; });
  EXPECT_EQ(ints(even), (std::vector<int64_t>{0, 4, 16}));
  EXPECT_EQ(even.cardinality(), kUnknownCardinality);
}

TEST(DatasetTransform, Batch) {
  const std::vector<Element> b = collect(Dataset::range(5).batch(2));
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0][0].shape(), Shape{2});
  EXPECT_EQ(b[0][0].to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(b[1][0].to_vector<int64_t>(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b[2][0].to_vector<int64_t>(), (std::vector<int64_t>{4}));
  const std::vector<Element> d = collect(Dataset::range(5).batch(2, /*drop_remainder=*/true));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1][0].to_vector<int64_t>(), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(collect(Dataset::range(3).batch(4, true)).empty());

  // Components stack along a new axis 0 (generic path: after a map).
  auto [x, y] = rows(5);
  const std::vector<Element> xy = collect(Dataset::from_tensor_slices({x, y}).map(identity).batch(3));
  ASSERT_EQ(xy.size(), 2u);
  EXPECT_EQ(xy[0][0].shape(), (Shape{3, 3}));
  EXPECT_EQ(xy[0][1].shape(), Shape{3});
  EXPECT_EQ(xy[1][0].shape(), (Shape{2, 3}));
  EXPECT_EQ(xy[1][0].to_vector<float>(), (std::vector<float>{3, 3.5, -3, 4, 4.5, -4}));
  EXPECT_EQ(xy[1][1].to_vector<int64_t>(), (std::vector<int64_t>{30, 40}));

  expect_error<ValueError>([] { Dataset::range(3).batch(0); }, "batch_size must be positive, got 0");
}

TEST(DatasetTransform, BatchOfDifferentShapesNamesPaddedBatch) {
  const Dataset ragged = Dataset::range(1, 4).map(
      [](const Element& e) { return Element{ops::full({e[0].item<int64_t>()}, 1.0, DType::int32)}; });
  auto it = ragged.batch(2).make_iterator();
  expect_error<ValueError>([&] { it.next(); },
                           "element 0 of the batch has shape (1,) but element 1 has shape (2,); use padded_batch()");
  EXPECT_FALSE(it.next().has_value());  // the pass ended with the error
}

TEST(DatasetTransform, Unbatch) {
  EXPECT_EQ(ints(Dataset::range(5).batch(2).unbatch()), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  auto [x, y] = rows(4);
  const std::vector<Element> got = collect(Dataset::from_tensors({x, y}).unbatch());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[2][0].to_vector<float>(), (std::vector<float>{2, 2.5, -2}));
  EXPECT_EQ(got[2][1].item<int64_t>(), 20);
  EXPECT_EQ(Dataset::range(5).batch(2).unbatch().cardinality(), kUnknownCardinality);
  auto it = Dataset::from_tensors({x, ops::zeros({3})}).unbatch().make_iterator();
  expect_error<ValueError>([&] { it.next(); }, "different batch sizes");
}

TEST(DatasetTransform, PaddedBatch) {
  // Elements [1], [2 2], [3 3 3] (int32).
  const Dataset ragged = Dataset::range(1, 4).map([](const Element& e) {
    const int64_t v = e[0].item<int64_t>();
    return Element{ops::full({v}, static_cast<double>(v), DType::int32), e[0]};
  });
  const std::vector<Element> b = collect(ragged.padded_batch(2));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0][0].shape(), (Shape{2, 2}));
  EXPECT_EQ(b[0][0].to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 2, 2}));
  EXPECT_EQ(b[0][1].to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(b[1][0].shape(), (Shape{1, 3}));
  EXPECT_EQ(b[1][0].to_vector<int32_t>(), (std::vector<int32_t>{3, 3, 3}));

  const std::vector<Element> fixed = collect(ragged.padded_batch(3, {Shape{4}, Shape{}}, -1));
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0][0].shape(), (Shape{3, 4}));
  EXPECT_EQ(fixed[0][0].to_vector<int32_t>(), (std::vector<int32_t>{1, -1, -1, -1, 2, 2, -1, -1, 3, 3, 3, -1}));

  const std::vector<Element> opts =
      collect(ragged.padded_batch(2, {Shape{-1}, Shape{}}, /*padding_value=*/9, /*drop_remainder=*/true));
  ASSERT_EQ(opts.size(), 1u);
  EXPECT_EQ(opts[0][0].to_vector<int32_t>(), (std::vector<int32_t>{1, 9, 2, 2}));

  // 2-D elements pad on both axes: (1, 2) and (2, 1) -> (2, 2, 2).
  const Dataset two_d = Dataset::from_generator([] {
    return [i = 0]() mutable -> std::optional<Element> {
      if (i == 2) return std::nullopt;
      return Element{i++ == 0 ? Tensor(std::vector<float>{1, 2}, Shape{1, 2})
                              : Tensor(std::vector<float>{3, 4}, Shape{2, 1})};
    };
  });
  const Element pb = collect(two_d.padded_batch(2))[0];
  EXPECT_EQ(pb[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(pb[0].to_vector<float>(), (std::vector<float>{1, 2, 0, 0, 3, 0, 4, 0}));

  auto too_small = ragged.padded_batch(3, {Shape{2}, Shape{}}).make_iterator();
  expect_error<ValueError>([&] { too_small.next(); },
                           "component 0 of element 2 of a batch has shape (3,), which does not fit padded shape (2,)");
  auto wrong_rank = ragged.padded_batch(3, {Shape{2, 2}, Shape{}}).make_iterator();
  expect_error<ValueError>([&] { wrong_rank.next(); }, "padded_shapes[0] is (2, 2) (rank 2)");
  EXPECT_EQ(ragged.padded_batch(2).cardinality(), 2);
  EXPECT_EQ(ragged.padded_batch(2, {}, 0, true).cardinality(), 1);
}

TEST(DatasetTransform, RepeatTakeSkip) {
  EXPECT_EQ(ints(Dataset::range(3).repeat(2)), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_TRUE(ints(Dataset::range(3).repeat(0)).empty());
  EXPECT_EQ(ints(Dataset::range(3).repeat().take(7)), (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0}));
  EXPECT_TRUE(ints(Dataset::range(0).repeat()).empty());  // ends instead of spinning
  EXPECT_EQ(ints(Dataset::range(10).take(3)), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(ints(Dataset::range(3).take(-1)), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(ints(Dataset::range(10).skip(7)), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_TRUE(ints(Dataset::range(10).skip(-1)).empty());
  EXPECT_TRUE(ints(Dataset::range(3).skip(5)).empty());
  expect_error<ValueError>([] { Dataset::range(3).take(-2); }, "n must be >= 0, or -1");
}

TEST(DatasetTransform, ZipConcatenateEnumerate) {
  auto [x, y] = rows(4);
  const Dataset zipped = Dataset::zip({Dataset::from_tensor_slices({x}), Dataset::range(100, 103)});
  EXPECT_EQ(zipped.cardinality(), 3);
  const std::vector<Element> z = collect(zipped);
  ASSERT_EQ(z.size(), 3u);  // ends with the shortest
  ASSERT_EQ(z[2].size(), 2u);
  EXPECT_EQ(z[2][0].to_vector<float>(), (std::vector<float>{2, 2.5, -2}));
  EXPECT_EQ(z[2][1].item<int64_t>(), 102);

  EXPECT_EQ(ints(Dataset::range(2).concatenate(Dataset::range(5, 7))), (std::vector<int64_t>{0, 1, 5, 6}));
  auto mismatched = Dataset::range(1).concatenate(Dataset::from_tensor_slices({x})).make_iterator();
  mismatched.next();
  expect_error<ValueError>([&] { mismatched.next(); },
                           "the first dataset's elements are (int64 ()) but the second's are (float32 (3,))");

  const std::vector<Element> en = collect(Dataset::from_tensor_slices({y}).enumerate(5));
  ASSERT_EQ(en.size(), 4u);
  EXPECT_EQ(en[3][0].item<int64_t>(), 8);
  EXPECT_EQ(en[3][0].dtype(), DType::int64);
  EXPECT_EQ(en[3][1].item<int64_t>(), 30);
  expect_error<ValueError>([] { Dataset::zip({}); }, "got no datasets");
}

TEST(DatasetTransform, ShardPartitionsTheElements) {
  EXPECT_EQ(ints(Dataset::range(10).shard(3, 0)), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(ints(Dataset::range(10).shard(3, 1)), (std::vector<int64_t>{1, 4, 7}));
  EXPECT_EQ(ints(Dataset::range(10).shard(3, 2)), (std::vector<int64_t>{2, 5, 8}));
  for (int64_t n : {0, 1, 7, 12, 13}) {
    for (int64_t shards : {1, 2, 5}) {
      std::vector<int64_t> all;
      for (int64_t i = 0; i < shards; ++i) {
        const Dataset s = Dataset::range(n).shard(shards, i);
        const std::vector<int64_t> got = ints(s);
        EXPECT_EQ(s.cardinality(), static_cast<int64_t>(got.size())) << n << " " << shards << " " << i;
        all.insert(all.end(), got.begin(), got.end());
      }
      std::sort(all.begin(), all.end());
      EXPECT_EQ(all, iota(0, n)) << "shards must be disjoint and cover the dataset";
    }
  }
  expect_error<ValueError>([] { Dataset::range(3).shard(3, 3); }, "got index 3 with num_shards 3");
}

TEST(DatasetTransform, RangeForLoops) {
  int64_t sum = 0;
  for (const Element& e : Dataset::range(5)) sum += e[0].item<int64_t>();
  EXPECT_EQ(sum, 10);
  auto it = Dataset::range(5).make_iterator();
  it.next();
  std::vector<int64_t> rest;
  for (Element& e : it) rest.push_back(e[0].item<int64_t>());
  EXPECT_EQ(rest, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_FALSE(it.next().has_value());
  EXPECT_FALSE(it.next().has_value());
}

// ---- cardinality ---------------------------------------------------------------------------

TEST(DatasetCardinality, FollowsTfDataRules) {
  const auto r5 = Dataset::range(5);
  const auto unknown = r5.filter([](const Element&) { return true; });
  const auto inf = r5.repeat();
  struct Case {
    const char* name;
    Dataset ds;
    int64_t expected;
  };
  const std::vector<Case> cases = {
      {"batch drop", r5.batch(2, true), 2},
      {"batch keep", r5.batch(2), 3},
      {"batch unknown", unknown.batch(2), kUnknownCardinality},
      {"batch infinite", inf.batch(2), kInfiniteCardinality},
      {"cache", r5.cache(), 5},
      {"concatenate", r5.concatenate(r5), 10},
      {"concatenate unknown", unknown.concatenate(r5), kUnknownCardinality},
      {"concatenate infinite+unknown", inf.concatenate(unknown), kInfiniteCardinality},
      {"concatenate unknown+infinite", unknown.concatenate(inf), kInfiniteCardinality},
      {"filter", unknown, kUnknownCardinality},
      {"from_tensors", Dataset::from_tensors({ops::zeros({3})}), 1},
      {"from_tensor_slices", Dataset::from_tensor_slices({ops::zeros({3})}), 3},
      {"map", r5.map(identity), 5},
      {"map parallel", r5.map(identity, 2), 5},
      {"prefetch", r5.prefetch(1), 5},
      {"range empty", Dataset::range(0), 0},
      {"range", Dataset::range(5, 10), 5},
      {"range backwards", Dataset::range(10, 5), 0},
      {"range step", Dataset::range(5, 10, 2), 3},
      {"range negative step", Dataset::range(10, 5, -2), 3},
      {"repeat empty 0", Dataset::range(0).repeat(0), 0},
      {"repeat 0", Dataset::range(1).repeat(0), 0},
      {"repeat empty 5", Dataset::range(0).repeat(5), 0},
      {"repeat 5", Dataset::range(1).repeat(5), 5},
      {"repeat empty forever", Dataset::range(0).repeat(), 0},
      {"repeat forever", Dataset::range(1).repeat(), kInfiniteCardinality},
      {"repeat unknown", unknown.repeat(2), kUnknownCardinality},
      {"shuffle", r5.shuffle(1), 5},
      {"skip", r5.skip(2), 3},
      {"skip past end", r5.skip(8), 0},
      {"skip unknown", unknown.skip(2), kUnknownCardinality},
      {"skip infinite", inf.skip(2), kInfiniteCardinality},
      {"take", r5.take(2), 2},
      {"take past end", r5.take(8), 5},
      {"take unknown", unknown.take(2), kUnknownCardinality},
      {"take infinite", inf.take(2), 2},
      {"zip one", Dataset::zip({r5}), 5},
      {"zip shortest", Dataset::zip({r5, Dataset::range(3)}), 3},
      {"zip with infinite", Dataset::zip({r5, Dataset::range(3).repeat()}), 5},
      {"zip infinite", Dataset::zip({inf, Dataset::range(3).repeat()}), kInfiniteCardinality},
      {"zip unknown", Dataset::zip({r5, unknown}), kUnknownCardinality},
      {"shard", Dataset::range(10).shard(3, 0), 4},
      {"shard infinite", inf.shard(3, 0), kInfiniteCardinality},
      {"enumerate", r5.enumerate(), 5},
      {"generator", Dataset::from_generator([] { return Dataset::Generator([] { return std::nullopt; }); }),
       kUnknownCardinality},
  };
  for (const Case& c : cases) EXPECT_EQ(c.ds.cardinality(), c.expected) << c.name;
}

// ---- shuffle -----------------------------------------------------------------------------------

// The documented algorithm, written out independently: a buffer refilled to
// buffer_size before each draw; draw t takes Philox word t of (splitmix64(seed), pass).
std::vector<int64_t> reference_shuffle(int64_t n, int64_t buffer_size, uint64_t seed, uint64_t pass) {
  std::vector<int64_t> buffer, out;
  int64_t next = 0;
  for (uint64_t t = 0;; ++t) {
    while (next < n && static_cast<int64_t>(buffer.size()) < buffer_size) buffer.push_back(next++);
    if (buffer.empty()) return out;
    const auto b = detail::philox_block(detail::splitmix64(seed), pass, t / 2);
    const uint64_t word = (static_cast<uint64_t>(b[2 * (t % 2) + 1]) << 32) | b[2 * (t % 2)];
    const auto j = static_cast<size_t>((static_cast<unsigned __int128>(word) * buffer.size()) >> 64);
    out.push_back(buffer[j]);
    buffer[j] = buffer.back();
    buffer.pop_back();
  }
}

TEST(DatasetShuffle, MatchesTheDocumentedAlgorithm) {
  for (int64_t buffer : {1, 3, 10, 64}) {
    const Dataset ds = Dataset::range(40).shuffle(buffer, 123);
    EXPECT_EQ(ints(ds), reference_shuffle(40, buffer, 123, 0)) << buffer;
    EXPECT_EQ(ints(ds), reference_shuffle(40, buffer, 123, 1)) << buffer;
  }
  EXPECT_EQ(ints(Dataset::range(5).shuffle(1, 9)), iota(0, 5));  // a buffer of one keeps the order
}

TEST(DatasetShuffle, DeterministicPerSeed) {
  const std::vector<int64_t> a = ints(Dataset::range(100).shuffle(100, 42));
  EXPECT_EQ(a, ints(Dataset::range(100).shuffle(100, 42)));
  EXPECT_NE(a, ints(Dataset::range(100).shuffle(100, 43)));
  EXPECT_NE(a, iota(0, 100));
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, iota(0, 100));
}

TEST(DatasetShuffle, ReshufflesEachPassReproducibly) {
  const Dataset ds = Dataset::range(50).shuffle(50, 7);
  const std::vector<int64_t> p0 = ints(ds), p1 = ints(ds), p2 = ints(ds);
  EXPECT_NE(p0, p1);
  EXPECT_NE(p1, p2);
  // A new pipeline with the same seed replays the same sequence of passes.
  const Dataset again = Dataset::range(50).shuffle(50, 7);
  EXPECT_EQ(ints(again), p0);
  EXPECT_EQ(ints(again), p1);
  // Under repeat, each repetition is a pass.
  EXPECT_EQ(ints(Dataset::range(50).shuffle(50, 7).repeat(2)), [&] {
    std::vector<int64_t> v = p0;
    v.insert(v.end(), p1.begin(), p1.end());
    return v;
  }());
  // Without reshuffling every pass repeats the first order.
  const Dataset fixed = Dataset::range(50).shuffle(50, {.seed = 7, .reshuffle_each_iteration = false});
  EXPECT_EQ(ints(fixed), p0);
  EXPECT_EQ(ints(fixed), p0);
}

TEST(DatasetShuffle, UnseededFollowsTheGlobalSeed) {
  utils::set_random_seed(2024);
  const std::vector<int64_t> a = ints(Dataset::range(60).shuffle(60));
  utils::set_random_seed(2024);
  const Dataset ds = Dataset::range(60).shuffle(60);
  EXPECT_EQ(ints(ds), a);
  utils::set_random_seed(2025);
  EXPECT_NE(ints(Dataset::range(60).shuffle(60)), a);
}

TEST(DatasetShuffle, SmallBufferOnlyReordersLocally) {
  // With a buffer of 4, output i is one of the first i + 4 inputs.
  const std::vector<int64_t> got = ints(Dataset::range(200).shuffle(4, 5));
  ASSERT_EQ(got.size(), 200u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_LT(got[i], static_cast<int64_t>(i) + 4);
}

TEST(DatasetShuffle, SameOrderForEveryThreadCount) {
  const auto run = [](int threads) {
    return ints(Dataset::range(300).shuffle(64, 11).map(identity, threads).batch(7).unbatch().prefetch(3));
  };
  const std::vector<int64_t> serial = run(0);
  EXPECT_EQ(serial, reference_shuffle(300, 64, 11, 0));
  for (int threads : {1, 2, 4, static_cast<int>(AUTOTUNE)}) EXPECT_EQ(run(threads), serial) << threads;
}

// ---- fused from_tensor_slices -> [shuffle] -> batch --------------------------------------------

TEST(DatasetFusedBatch, MatchesTheGenericPath) {
  auto [x, y] = rows(23);
  const Tensor w = ops::cast(ops::greater(y, Tensor::scalar<int64_t>(100)), DType::bool_);
  for (int64_t buffer : {0, 1, 5, 23, 100}) {
    for (int64_t batch : {1, 4, 23, 30}) {
      for (bool drop : {false, true}) {
        const Dataset src = Dataset::from_tensor_slices({x, y, w});
        const Dataset fused = (buffer ? src.shuffle(buffer, 3) : src).batch(batch, drop);
        const Dataset generic = (buffer ? src.shuffle(buffer, 3) : src).map(identity).batch(batch, drop);
        ASSERT_TRUE(data::detail::batch_is_fused(fused));
        ASSERT_FALSE(data::detail::batch_is_fused(generic));
        EXPECT_EQ(fused.cardinality(), generic.cardinality());
        for (int pass = 0; pass < 2; ++pass) {
          const std::vector<Element> a = collect(fused), b = collect(generic);
          EXPECT_EQ(static_cast<int64_t>(a.size()), fused.cardinality());
          EXPECT_TRUE(same_elements(a, b)) << "buffer " << buffer << " batch " << batch << " drop " << drop;
        }
      }
    }
  }
}

TEST(DatasetFusedBatch, GathersTheRightRows) {
  auto [x, y] = rows(10);
  for (const Element& b : Dataset::from_tensor_slices({x, y}).shuffle(10, 1).batch(4)) {
    const std::vector<float> xs = b[0].to_vector<float>();
    const std::vector<int64_t> ys = b[1].to_vector<int64_t>();
    for (size_t r = 0; r < ys.size(); ++r) {
      const float i = static_cast<float>(ys[r] / 10);
      EXPECT_EQ(std::vector<float>(xs.begin() + 3 * r, xs.begin() + 3 * r + 3), (std::vector<float>{i, i + 0.5f, -i}));
    }
  }
}

// ---- threads ------------------------------------------------------------------------------------

Element slow_square(const Element& e) {
  const int64_t v = e[0].item<int64_t>();
  // Uneven delays, so workers finish out of order.
  std::this_thread::sleep_for(std::chrono::microseconds((v * 7919) % 5 * 200));
  return Element{Tensor::scalar<int64_t>(v * v)};
}

TEST(DatasetParallelMap, SameOrderAsSerial) {
  const std::vector<int64_t> serial = ints(Dataset::range(120).map(slow_square));
  for (int threads : {1, 2, 4, 8, static_cast<int>(AUTOTUNE)}) {
    EXPECT_EQ(ints(Dataset::range(120).map(slow_square, threads)), serial) << threads;
    EXPECT_EQ(ints(Dataset::range(120).map(slow_square, {.num_parallel_calls = threads})), serial) << threads;
  }
  std::vector<int64_t> any_order = ints(Dataset::range(120).map(slow_square, 4, /*deterministic=*/false));
  std::sort(any_order.begin(), any_order.end());
  EXPECT_EQ(any_order, serial);
  any_order = ints(Dataset::range(120).map(slow_square, {.num_parallel_calls = AUTOTUNE, .deterministic = false}));
  std::sort(any_order.begin(), any_order.end());
  EXPECT_EQ(any_order, serial);
}

TEST(DatasetParallelMap, RunsOnSeveralThreads) {
  std::mutex mu;
  std::set<std::thread::id> ids;
  const auto record = [&](const Element& e) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard<std::mutex> lock(mu);
    ids.insert(std::this_thread::get_id());
    return e;
  };
  EXPECT_EQ(ints(Dataset::range(40).map(record, 4)).size(), 40u);
  EXPECT_GT(ids.size(), 1u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
}

TEST(DatasetParallelMap, ArgumentErrors) {
  expect_error<ValueError>([] { Dataset::range(3).map(identity, -2); }, "num_parallel_calls must be >= 0 or AUTOTUNE");
  expect_error<ValueError>([] { Dataset::range(3).map(nullptr); }, "map function is empty");
  expect_error<ValueError>([] { Dataset::range(3).prefetch(-3); }, "buffer_size must be >= 0 or AUTOTUNE");
}

Element throw_at_7(const Element& e) {
  if (e[0].item<int64_t>() == 7) throw std::runtime_error("bad element 7");
  return e;
}

TEST(DatasetErrors, MapExceptionReachesNext) {
  for (int threads : {0, 1, 3}) {
    for (bool prefetch : {false, true}) {
      for (bool deterministic : {true, false}) {
        Dataset ds = Dataset::range(20).map(throw_at_7, threads, deterministic);
        if (prefetch) ds = ds.prefetch(2);
        auto it = ds.make_iterator();
        std::vector<int64_t> before;
        try {
          while (auto e = it.next()) before.push_back((*e)[0].item<int64_t>());
          ADD_FAILURE() << "no exception with " << threads << " threads";
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "bad element 7");
        }
        if (deterministic) {
          EXPECT_EQ(before, iota(0, 7)) << threads << " " << prefetch;
        }
        EXPECT_FALSE(it.next().has_value());
      }
    }
  }
}

TEST(DatasetErrors, GeneratorExceptionReachesNextThroughPrefetch) {
  const Dataset ds = Dataset::from_generator([] {
                       return [i = int64_t{0}]() mutable -> std::optional<Element> {
                         if (i == 4) throw ValueError("generator failed at 4");
                         return Element{Tensor::scalar<int64_t>(i++)};
                       };
                     })
                         .map(identity, 2)
                         .prefetch(3);
  auto it = ds.make_iterator();
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ((*it.next())[0].item<int64_t>(), i);
  expect_error<ValueError>([&] { it.next(); }, "generator failed at 4");
  EXPECT_FALSE(it.next().has_value());
  // The factory failing is reported too.
  auto bad = Dataset::from_generator([]() -> Dataset::Generator { throw std::runtime_error("no generator"); })
                 .prefetch(1)
                 .make_iterator();
  expect_error<std::runtime_error>([&] { bad.next(); }, "no generator");
}

TEST(DatasetTeardown, DestroyingIteratorsMidStreamJoinsThreads) {
  std::atomic<int64_t> calls{0};
  const auto slow = [&calls](const Element& e) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return e;
  };
  const Dataset endless = Dataset::range(1000000).repeat().map(slow, 4).prefetch(8).map(identity, 2).prefetch(2);
  for (int taken : {0, 1, 5, 50}) {
    auto it = endless.make_iterator();
    for (int i = 0; i < taken; ++i) ASSERT_TRUE(it.next().has_value());
  }  // each iterator is destroyed here with its threads busy
  // Nothing runs after the iterators are gone.
  const int64_t after = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(calls.load(), after);
  // Moved-from iterators and abandoned range-for loops also clean up.
  {
    auto it = endless.make_iterator();
    it.next();
    Dataset::Iterator moved = std::move(it);
    moved.next();
    for (const Element& e : endless) {
      (void)e;
      break;
    }
  }
  EXPECT_EQ(ints(endless.take(3)), (std::vector<int64_t>{0, 1, 2}));
}

TEST(DatasetTeardown, ManyShortPasses) {
  // Start and stop threaded passes repeatedly (races between start-up and teardown).
  const Dataset ds = Dataset::range(64).map(identity, 3).prefetch(2).batch(5).prefetch(1);
  for (int i = 0; i < 200; ++i) {
    auto it = ds.make_iterator();
    for (int k = 0; k < i % 4; ++k) it.next();
  }
  EXPECT_EQ(collect(ds).size(), 13u);
}

// ---- cache ---------------------------------------------------------------------------------------

TEST(DatasetCache, MemoryCacheEvaluatesTheSourceOnce) {
  int calls = 0;
  const Dataset ds = Dataset::range(6)
                         .map([&calls](const Element& e) {
                           ++calls;
                           return Element{e[0], ops::full({2}, static_cast<double>(e[0].item<int64_t>()))};
                         })
                         .cache();
  EXPECT_EQ(ds.cardinality(), 6);
  // A pass that stops early records nothing.
  EXPECT_EQ(ints(ds.take(2)), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(calls, 2);
  const std::vector<Element> first = collect(ds);
  EXPECT_EQ(calls, 8);
  const std::vector<Element> second = collect(ds);
  const std::vector<Element> third = collect(ds.batch(4));
  EXPECT_EQ(calls, 8);
  EXPECT_TRUE(same_elements(first, second));
  EXPECT_EQ(third[1][1].to_vector<float>(), (std::vector<float>{4, 4, 5, 5}));
  // A shuffle after the cache reshuffles the cached elements.
  EXPECT_NE(ints(ds.shuffle(6, 1)), ints(ds.shuffle(6, 2)));
  EXPECT_EQ(calls, 8);
}

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("keras_dataset_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

TEST(DatasetCache, FileCacheRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("train.cache");
  int calls = 0;
  const auto make = [&calls](const Element& e) {
    ++calls;
    const int64_t v = e[0].item<int64_t>();
    return Element{e[0], ops::full({2, 3}, 0.25 * static_cast<double>(v), DType::float64),
                   Tensor::scalar<bool>(v % 2 == 1), ops::zeros({0, 4})};
  };
  const Dataset ds = Dataset::range(5).map(make).cache(path);
  // An abandoned pass leaves no file behind.
  ints(ds.take(2));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()),
                          std::filesystem::directory_iterator{}),
            0);
  const std::vector<Element> written = collect(ds);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(calls, 7);
  // A new pipeline (as in a later program) reads the file instead of its input.
  int other_calls = 0;
  const Dataset reread = Dataset::range(5)
                             .map([&other_calls](const Element& e) {
                               ++other_calls;
                               return e;
                             })
                             .cache(path);
  const std::vector<Element> read = collect(reread);
  EXPECT_EQ(other_calls, 0);
  EXPECT_TRUE(same_elements(written, read));
  ASSERT_EQ(read.size(), 5u);
  EXPECT_EQ(read[3][1].dtype(), DType::float64);
  EXPECT_EQ(read[3][1].shape(), (Shape{2, 3}));
  EXPECT_EQ(read[3][1].to_vector<double>()[5], 0.75);
  EXPECT_EQ(read[3][2].item<bool>(), true);
  EXPECT_EQ(read[3][3].shape(), (Shape{0, 4}));
  EXPECT_TRUE(same_elements(collect(reread), read));
}

TEST(DatasetCache, FileCacheErrors) {
  TempDir dir;
  const std::string path = dir.file("junk.cache");
  std::ofstream(path) << "not a cache";
  auto it = Dataset::range(3).cache(path).make_iterator();
  expect_error<ValueError>([&] { it.next(); }, "it is not a keras.cpp dataset cache; delete the file to rebuild");
  auto missing_dir = Dataset::range(3).cache(dir.file("no/such/dir/x.cache")).make_iterator();
  expect_error<RuntimeError>([&] { missing_dir.next(); }, "check that the cache file's directory exists");
}

}  // namespace
}  // namespace keras::testing
