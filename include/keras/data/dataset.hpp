#pragma once
/// keras::data::Dataset: a lazy, composable input pipeline (the tf.data analogue).
///
/// Example:
///   using keras::data::Dataset;
///   auto ds = Dataset::from_tensor_slices({x, y})        // x: (1000, 784), y: (1000,)
///                 .shuffle(1000, /*seed=*/42)
///                 .batch(128)
///                 .prefetch(keras::data::AUTOTUNE);
///   for (const keras::data::Element& batch : ds) {      // one pass; batch[0]: (128, 784)
///     train_step(batch[0], batch[1]);
///   }
///
/// A Dataset is a cheap, copyable handle to an immutable description of the
/// pipeline: building one computes nothing. Each iteration (make_iterator(),
/// or a range-for loop) is a fresh pass that pulls elements through the
/// transformations on demand. An element is a tuple of tensors, for example
/// (x), (x, y) or (x, y, sample_weight).
///
/// Threads: map(num_parallel_calls > 0) and prefetch() run user code on
/// worker threads. An iterator joins all of its threads before its
/// destructor returns, and an exception thrown by a map function or a
/// generator reaches the caller of next(), after which the iterator is
/// finished. Copies of a Dataset may be iterated from several threads at
/// once; one Iterator is used by one thread at a time.
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/shape.hpp"
#include "keras/tensor.hpp"

namespace keras::data {

/// One element of a dataset: its components, for example {x, y}.
using Element = std::vector<Tensor>;

/// The cardinality of a dataset that never ends (repeat() without a count).
inline constexpr int64_t kInfiniteCardinality = -1;
/// The cardinality of a dataset whose length is only known by iterating it (filter(), from_generator()).
inline constexpr int64_t kUnknownCardinality = -2;
/// Lets the pipeline choose a parallelism or buffer size (tf.data.AUTOTUNE).
inline constexpr int64_t AUTOTUNE = -1;

namespace detail {
class DatasetNode;
class IteratorImpl;
struct DatasetAccess;
}  // namespace detail

/// Options of Dataset::map.
/// Example: `ds.map(fn, {.num_parallel_calls = keras::data::AUTOTUNE, .deterministic = false})`.
struct MapOptions {
  /// Elements mapped at once on worker threads: 0 maps in the caller's thread, AUTOTUNE uses one
  /// thread per core. Default 0.
  int num_parallel_calls = 0;
  /// Whether outputs keep the input order (true) or come as soon as they are ready (false). Default true.
  bool deterministic = true;
};

/// Options of Dataset::shuffle.
/// Example: `ds.shuffle(1000, {.seed = 42, .reshuffle_each_iteration = false})`.
struct ShuffleOptions {
  /// The seed of the order; none draws one from the global generator (keras::utils::set_random_seed)
  /// when shuffle() is called. Default none.
  std::optional<uint64_t> seed{};
  /// Whether each pass gets a new order (true) or every pass repeats the first order (false). Default true.
  bool reshuffle_each_iteration = true;
};

/// A lazy pipeline of elements. Each transformation returns a new Dataset and leaves this one unchanged.
/// Example: `auto ds = Dataset::range(10).filter(is_even).map(square).batch(2);`
class Dataset {
 public:
  /// A function from one element to another (map).
  using MapFn = std::function<Element(const Element&)>;
  /// A predicate on elements (filter).
  using Predicate = std::function<bool(const Element&)>;
  /// One pass of a generator: each call returns the next element, or std::nullopt at the end.
  using Generator = std::function<std::optional<Element>()>;

  class Iterator;

  // ---- sources ------------------------------------------------------------------

  /// Slices each component along axis 0: element i is (components[0][i], components[1][i], ...).
  /// Every component must have at least one axis and the same length (keras::ValueError otherwise).
  /// Example: `Dataset::from_tensor_slices({x, y})` with x (100, 4), y (100,) gives 100 elements ((4,), ()).
  static Dataset from_tensor_slices(std::vector<Tensor> components);
  /// A dataset of one element: the components as given.
  /// Example: `Dataset::from_tensors({x, y}).repeat(10)` yields the whole (x, y) ten times.
  static Dataset from_tensors(std::vector<Tensor> components);
  /// int64 scalars start, start + step, ... up to stop (exclusive); step must not be 0.
  /// Example: `Dataset::range(1, 8, 3)` yields 1, 4, 7.
  static Dataset range(int64_t start, int64_t stop, int64_t step = 1);
  /// int64 scalars 0, 1, ..., stop - 1.
  /// Example: `Dataset::range(5)` yields 0, 1, 2, 3, 4.
  static Dataset range(int64_t stop);
  /// Elements from a generator: `make_generator` is called once per pass (when the pass starts) and
  /// returns a fresh generator for that pass. The cardinality is unknown.
  /// Example:
  ///   auto ds = Dataset::from_generator([] {
  ///     return [i = 0]() mutable -> std::optional<Element> {
  ///       if (i == 3) return std::nullopt;
  ///       return Element{Tensor::scalar<int64_t>(i++)};
  ///     };
  ///   });
  static Dataset from_generator(std::function<Generator()> make_generator);
  /// Elements of each dataset side by side, their components concatenated; it ends with the shortest.
  /// Example: `Dataset::zip({xs, ys})` yields (x, y) pairs.
  static Dataset zip(std::vector<Dataset> datasets);

  // ---- transformations ----------------------------------------------------------------

  /// Applies fn to each element. With num_parallel_calls > 0 (or AUTOTUNE) fn runs on that many worker
  /// threads at once, so it must be thread-safe; outputs keep the input order unless deterministic is false.
  /// Example: `ds.map([](const Element& e) { return Element{e[0] * 2.0, e[1]}; }, keras::data::AUTOTUNE)`.
  Dataset map(MapFn fn, int num_parallel_calls = 0, bool deterministic = true) const;
  /// map() with its options as a struct.
  Dataset map(MapFn fn, MapOptions options) const;
  /// Keeps the elements for which pred returns true. The cardinality becomes unknown.
  /// Example: `Dataset::range(6).filter([](const Element& e) { return e[0].item<int64_t>() % 2 == 0; })`.
  Dataset filter(Predicate pred) const;
  /// Stacks batch_size consecutive elements along a new axis 0, component by component; the last batch
  /// is smaller unless drop_remainder. Components must have one shape per batch (else use padded_batch).
  /// Right after from_tensor_slices, or from_tensor_slices then shuffle, batches are copied straight
  /// from the sliced tensors' rows (the fast path; the elements are the same).
  /// Example: `Dataset::range(5).batch(2)` yields [0 1], [2 3], [4].
  Dataset batch(int64_t batch_size, bool drop_remainder = false) const;
  /// The inverse of batch: splits each element along axis 0 into its rows.
  /// Example: `Dataset::range(5).batch(2).unbatch()` yields 0, 1, 2, 3, 4.
  Dataset unbatch() const;
  /// Like batch, but pads each component to padded_shapes (empty list or -1 dims: to the longest element
  /// of the batch) with padding_value.
  /// Example: elements [1], [2 2] with `padded_batch(2)` give [[1 0] [2 2]].
  Dataset padded_batch(int64_t batch_size, std::vector<Shape> padded_shapes = {}, double padding_value = 0,
                       bool drop_remainder = false) const;
  /// Randomly shuffles with a buffer of buffer_size elements: each output is drawn uniformly from the
  /// buffer, which is refilled from the input. A buffer at least the dataset's size gives a uniform
  /// permutation. The order is a function of the seed and the pass number only (Philox), so a seeded
  /// pipeline is identical on every run and every thread count.
  /// Example: `ds.shuffle(10000, /*seed=*/42)`.
  Dataset shuffle(int64_t buffer_size, std::optional<uint64_t> seed = std::nullopt,
                  bool reshuffle_each_iteration = true) const;
  /// shuffle() with its options as a struct.
  Dataset shuffle(int64_t buffer_size, ShuffleOptions options) const;
  /// Repeats the dataset count times (-1: forever); each repetition is a new pass of the input.
  /// Example: `Dataset::range(2).repeat(2)` yields 0, 1, 0, 1.
  Dataset repeat(int64_t count = -1) const;
  /// The first n elements (-1: all).
  /// Example: `Dataset::range(10).take(3)` yields 0, 1, 2.
  Dataset take(int64_t n) const;
  /// All but the first n elements (-1: skips them all).
  /// Example: `Dataset::range(10).skip(7)` yields 7, 8, 9.
  Dataset skip(int64_t n) const;
  /// Keeps the elements of the first complete pass, in memory (filename empty) or in the file filename,
  /// and serves later passes from there without evaluating the input again. A pass that stops early
  /// keeps nothing. A file cache is written atomically and reused by later programs; delete the file to
  /// rebuild it.
  /// Example: `ds.map(expensive_decode).cache().shuffle(1000).batch(32)`.
  Dataset cache(const std::string& filename = "") const;
  /// Computes up to buffer_size elements ahead on a background thread (AUTOTUNE: 2; 0: no prefetch).
  /// Example: `ds.batch(128).prefetch(keras::data::AUTOTUNE)`.
  Dataset prefetch(int64_t buffer_size) const;
  /// The elements of this dataset followed by those of other.
  /// Example: `Dataset::range(2).concatenate(Dataset::range(5, 7))` yields 0, 1, 5, 6.
  Dataset concatenate(const Dataset& other) const;
  /// Every num_shards-th element, starting at element index (for one of num_shards workers).
  /// Example: `Dataset::range(10).shard(3, 1)` yields 1, 4, 7.
  Dataset shard(int64_t num_shards, int64_t index) const;
  /// Prepends an int64 scalar counter (start, start + 1, ...) to each element's components.
  /// Example: `Dataset::from_tensor_slices({x}).enumerate()` yields (0, x[0]), (1, x[1]), ...
  Dataset enumerate(int64_t start = 0) const;

  // ---- inspection and iteration ------------------------------------------------------------

  /// The number of elements when known without iterating, else kInfiniteCardinality or
  /// kUnknownCardinality (tf.data's rules: filter and from_generator are unknown, batch rounds up
  /// unless drop_remainder, take of an infinite dataset is finite, ...).
  /// Example: `Dataset::range(5).batch(2).cardinality() == 3`.
  int64_t cardinality() const;
  /// A fresh pass over the data. Each pass of a reshuffling shuffle gets a new order, determined by the
  /// seed and the number of passes started before it.
  /// Example: `auto it = ds.make_iterator(); while (auto e = it.next()) use(*e);`
  Iterator make_iterator() const;

  class RangeIterator;
  /// Starts a pass for a range-for loop: `for (const Element& e : ds)`.
  RangeIterator begin() const;
  /// The end of a range-for pass.
  std::default_sentinel_t end() const { return {}; }

 private:
  friend struct detail::DatasetAccess;
  explicit Dataset(std::shared_ptr<const detail::DatasetNode> node);
  std::shared_ptr<const detail::DatasetNode> node_;
};

/// One pass over a Dataset. Move-only; destroying it mid-pass stops and joins its threads.
/// Example: `auto it = ds.make_iterator(); std::optional<Element> first = it.next();`
class Dataset::Iterator {
 public:
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  /// The next element, or std::nullopt at the end of the pass. An exception from the pipeline (a map
  /// function, a generator, a batch of mismatched shapes) is rethrown here, and the pass then ends.
  std::optional<Element> next();

  /// Range-for over the rest of this pass: `for (Element& e : it)`.
  RangeIterator begin();
  /// The end of a range-for pass.
  std::default_sentinel_t end() const { return {}; }

 private:
  friend class Dataset;
  explicit Iterator(std::unique_ptr<detail::IteratorImpl> impl);
  std::unique_ptr<detail::IteratorImpl> impl_;
};

/// An input iterator over the elements of a pass, compared with std::default_sentinel at the end.
/// Example: `for (auto it = ds.begin(); it != ds.end(); ++it) use(*it);`
class Dataset::RangeIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Element;
  using difference_type = std::ptrdiff_t;
  using pointer = Element*;
  using reference = Element&;

  RangeIterator() = default;
  /// The current element.
  Element& operator*() const { return *current_; }
  Element* operator->() const { return current_.get(); }
  /// Advances to the next element of the pass.
  RangeIterator& operator++();
  void operator++(int) { ++*this; }
  /// True at the end of the pass.
  bool operator==(std::default_sentinel_t) const { return current_ == nullptr; }

 private:
  friend class Dataset;
  // Reads the first element; `iterator` may be owning (Dataset::begin) or not (Iterator::begin).
  explicit RangeIterator(std::shared_ptr<Iterator> iterator);
  std::shared_ptr<Iterator> iterator_;
  std::shared_ptr<Element> current_;  // null at the end of the pass
};

}  // namespace keras::data
