// keras::data::Dataset: the tf.data analogue (tensorflow/python/data/ops/dataset_ops.py),
// which Keras 3's trainers consume (keras/src/trainers/data_adapters/tf_dataset_adapter.py).
//
// This file holds the Dataset and Iterator handles, the sources and the
// element-wise transformations; batching.cpp, cache.cpp and parallel.cpp hold
// the rest (see data/dataset_impl.hpp for how nodes and iterators fit).
// Cardinalities follow tf.data's kernels (the cases of its cardinality_test.py).
#include "keras/data/dataset.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>

#include "data/dataset_impl.hpp"
#include "data/shuffle_buffer.hpp"
#include "data/tensor_util.hpp"
#include "keras/random.hpp"

namespace keras::data {
namespace detail {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

// "(float32 (4,), int64 ())": the structure of an element, for messages.
std::string structure_str(const Element& e) {
  std::string s = "(";
  for (size_t c = 0; c < e.size(); ++c) {
    if (c > 0) s += ", ";
    s += std::string(dtype_name(e[c].dtype())) + " " + e[c].shape().str();
  }
  return s + ")";
}

// ---- sources ------------------------------------------------------------------------

class SliceIterator final : public IteratorImpl {
 public:
  explicit SliceIterator(std::shared_ptr<const SlicesNode> node) : node_(std::move(node)) {}
  std::optional<Element> next() override {
    if (i_ >= node_->length()) return std::nullopt;
    const std::vector<Tensor>& components = node_->contiguous_components();
    Element e;
    e.reserve(components.size());
    for (const Tensor& c : components) e.push_back(copy_row(c, i_));
    ++i_;
    return e;
  }

 private:
  std::shared_ptr<const SlicesNode> node_;
  int64_t i_ = 0;
};

class TensorsNode final : public DatasetNode {
 public:
  explicit TensorsNode(Element components) : components_(std::move(components)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      explicit It(std::shared_ptr<const TensorsNode> node) : node_(std::move(node)) {}
      std::optional<Element> next() override {
        if (done_) return std::nullopt;
        done_ = true;
        return node_->components_;
      }

     private:
      std::shared_ptr<const TensorsNode> node_;
      bool done_ = false;
    };
    return std::make_unique<It>(self<TensorsNode>());
  }
  int64_t cardinality() const override { return 1; }

 private:
  Element components_;
};

class RangeNode final : public DatasetNode {
 public:
  RangeNode(int64_t start, int64_t stop, int64_t step) : start_(start), stop_(stop), step_(step) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(int64_t start, int64_t count, int64_t step) : value_(start), left_(count), step_(step) {}
      std::optional<Element> next() override {
        if (left_ <= 0) return std::nullopt;
        --left_;
        const int64_t v = value_;
        // Unsigned, so stepping past the last value cannot overflow.
        value_ = static_cast<int64_t>(static_cast<uint64_t>(value_) + static_cast<uint64_t>(step_));
        return Element{Tensor::scalar<int64_t>(v)};
      }

     private:
      int64_t value_, left_, step_;
    };
    return std::make_unique<It>(start_, cardinality(), step_);
  }
  int64_t cardinality() const override {
    // ceil(|stop - start| / |step|) in the step's direction, at least 0, in
    // unsigned arithmetic so that no span of int64 overflows.
    if (step_ > 0 ? stop_ <= start_ : stop_ >= start_) return 0;
    const uint64_t span = step_ > 0 ? static_cast<uint64_t>(stop_) - static_cast<uint64_t>(start_)
                                    : static_cast<uint64_t>(start_) - static_cast<uint64_t>(stop_);
    const uint64_t stride = step_ > 0 ? static_cast<uint64_t>(step_) : 0 - static_cast<uint64_t>(step_);
    const uint64_t n = span / stride + (span % stride != 0);
    return static_cast<int64_t>(std::min<uint64_t>(n, static_cast<uint64_t>(INT64_MAX)));
  }

 private:
  int64_t start_, stop_, step_;
};

class GeneratorNode final : public DatasetNode {
 public:
  explicit GeneratorNode(std::function<Dataset::Generator()> make) : make_(std::move(make)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      explicit It(std::shared_ptr<const GeneratorNode> node) : node_(std::move(node)) {}
      std::optional<Element> next() override {
        if (done_) return std::nullopt;
        if (!generator_) {
          generator_ = node_->make_();
          if (!generator_)
            throw ValueError(
                "from_generator: make_generator returned an empty function; return a callable that "
                "yields elements");
        }
        std::optional<Element> e = generator_();
        if (!e) {
          done_ = true;
          generator_ = nullptr;  // release what the generator holds
          return std::nullopt;
        }
        check_element(*e, "from_generator");
        return e;
      }

     private:
      std::shared_ptr<const GeneratorNode> node_;
      Dataset::Generator generator_;
      bool done_ = false;
    };
    return std::make_unique<It>(self<GeneratorNode>());
  }
  int64_t cardinality() const override { return kUnknownCardinality; }

 private:
  std::function<Dataset::Generator()> make_;
};

class ZipNode final : public DatasetNode {
 public:
  explicit ZipNode(std::vector<NodePtr> inputs) : inputs_(std::move(inputs)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      explicit It(std::vector<IteratorPtr> inputs) : inputs_(std::move(inputs)) {}
      std::optional<Element> next() override {
        if (done_) return std::nullopt;
        Element out;
        for (IteratorPtr& input : inputs_) {
          std::optional<Element> e = input->next();
          if (!e) {
            done_ = true;
            inputs_.clear();
            return std::nullopt;
          }
          for (Tensor& t : *e) out.push_back(std::move(t));
        }
        return out;
      }

     private:
      std::vector<IteratorPtr> inputs_;
      bool done_ = false;
    };
    std::vector<IteratorPtr> its;
    for (const NodePtr& n : inputs_) its.push_back(n->make_iterator());
    return std::make_unique<It>(std::move(its));
  }
  int64_t cardinality() const override {
    int64_t result = kInfiniteCardinality;
    for (const NodePtr& n : inputs_) {
      const int64_t c = n->cardinality();
      if (c == kUnknownCardinality) return kUnknownCardinality;
      if (c != kInfiniteCardinality && (result == kInfiniteCardinality || c < result)) result = c;
    }
    return result;
  }

 private:
  std::vector<NodePtr> inputs_;
};

// ---- element-wise transformations -------------------------------------------------

class MapNode final : public DatasetNode {
 public:
  MapNode(NodePtr input, Dataset::MapFn fn, int num_parallel_calls, bool deterministic)
      : input_(std::move(input)), fn_(std::move(fn)), threads_(num_parallel_calls), deterministic_(deterministic) {
    if (threads_ == AUTOTUNE) threads_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  IteratorPtr make_iterator() const override {
    if (threads_ > 0) return make_parallel_map_iterator(input_->make_iterator(), fn_, threads_, deterministic_);
    class It final : public IteratorImpl {
     public:
      It(std::shared_ptr<const MapNode> node, IteratorPtr input) : node_(std::move(node)), input_(std::move(input)) {}
      std::optional<Element> next() override {
        std::optional<Element> e = input_->next();
        if (!e) return std::nullopt;
        return node_->fn_(*e);
      }

     private:
      std::shared_ptr<const MapNode> node_;
      IteratorPtr input_;
    };
    return std::make_unique<It>(self<MapNode>(), input_->make_iterator());
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  Dataset::MapFn fn_;
  int threads_;
  bool deterministic_;
};

class FilterNode final : public DatasetNode {
 public:
  FilterNode(NodePtr input, Dataset::Predicate pred) : input_(std::move(input)), pred_(std::move(pred)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(std::shared_ptr<const FilterNode> node, IteratorPtr input)
          : node_(std::move(node)), input_(std::move(input)) {}
      std::optional<Element> next() override {
        while (std::optional<Element> e = input_->next())
          if (node_->pred_(*e)) return e;
        return std::nullopt;
      }

     private:
      std::shared_ptr<const FilterNode> node_;
      IteratorPtr input_;
    };
    return std::make_unique<It>(self<FilterNode>(), input_->make_iterator());
  }
  int64_t cardinality() const override { return kUnknownCardinality; }

 private:
  NodePtr input_;
  Dataset::Predicate pred_;
};

class RepeatNode final : public DatasetNode {
 public:
  RepeatNode(NodePtr input, int64_t count) : input_(std::move(input)), count_(count) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(NodePtr input, int64_t count) : input_(std::move(input)), count_(count) {}
      std::optional<Element> next() override {
        while (!done_) {
          if (count_ >= 0 && pass_ >= count_) break;
          bool fresh = false;
          if (!it_) {
            it_ = input_->make_iterator();
            fresh = true;
          }
          if (std::optional<Element> e = it_->next()) return e;
          it_.reset();
          ++pass_;
          // tf.data's rule: repeating an empty pass forever ends instead of spinning.
          if (fresh && count_ < 0) break;
        }
        done_ = true;
        return std::nullopt;
      }

     private:
      NodePtr input_;
      int64_t count_;
      int64_t pass_ = 0;
      IteratorPtr it_;
      bool done_ = false;
    };
    return std::make_unique<It>(input_, count_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (count_ == 0 || n == 0) return 0;
    if (count_ < 0) return n == kUnknownCardinality ? kUnknownCardinality : kInfiniteCardinality;
    if (n < 0) return n;
    return n * count_;
  }

 private:
  NodePtr input_;
  int64_t count_;
};

class TakeNode final : public DatasetNode {
 public:
  TakeNode(NodePtr input, int64_t n) : input_(std::move(input)), n_(n) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(IteratorPtr input, int64_t n) : input_(std::move(input)), left_(n) {}
      std::optional<Element> next() override {
        if (!input_) return std::nullopt;
        if (left_ == 0) {
          input_.reset();  // stops upstream threads as soon as the pass is over
          return std::nullopt;
        }
        std::optional<Element> e = input_->next();
        if (!e) {
          input_.reset();
          return std::nullopt;
        }
        if (left_ > 0) --left_;
        return e;
      }

     private:
      IteratorPtr input_;
      int64_t left_;  // -1: all
    };
    return std::make_unique<It>(input_->make_iterator(), n_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n_ == 0) return 0;
    if (n_ < 0) return n;
    if (n == kInfiniteCardinality) return n_;
    if (n == kUnknownCardinality) return kUnknownCardinality;
    return std::min(n, n_);
  }

 private:
  NodePtr input_;
  int64_t n_;
};

class SkipNode final : public DatasetNode {
 public:
  SkipNode(NodePtr input, int64_t n) : input_(std::move(input)), n_(n) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(IteratorPtr input, int64_t n) : input_(std::move(input)), n_(n) {}
      std::optional<Element> next() override {
        if (!input_) return std::nullopt;
        for (; n_ != 0; n_ = n_ > 0 ? n_ - 1 : n_) {
          if (!input_->next()) {
            input_.reset();
            return std::nullopt;
          }
        }
        std::optional<Element> e = input_->next();
        if (!e) input_.reset();
        return e;
      }

     private:
      IteratorPtr input_;
      int64_t n_;  // left to skip; -1: all
    };
    return std::make_unique<It>(input_->make_iterator(), n_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;
    if (n_ < 0) return 0;
    return std::max<int64_t>(0, n - n_);
  }

 private:
  NodePtr input_;
  int64_t n_;
};

class ConcatenateNode final : public DatasetNode {
 public:
  ConcatenateNode(NodePtr first, NodePtr second) : first_(std::move(first)), second_(std::move(second)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(IteratorPtr first, NodePtr second) : first_(std::move(first)), second_node_(std::move(second)) {}
      std::optional<Element> next() override {
        if (first_) {
          if (std::optional<Element> e = first_->next()) {
            if (!first_dtypes_) {
              first_dtypes_ = dtypes_of(*e);
              first_structure_ = structure_str(*e);
            }
            return e;
          }
          first_.reset();
          second_ = second_node_->make_iterator();
        }
        if (!second_) return std::nullopt;
        std::optional<Element> e = second_->next();
        if (!e) {
          second_.reset();
          return std::nullopt;
        }
        if (first_dtypes_) {
          if (dtypes_of(*e) != *first_dtypes_)
            throw ValueError("concatenate: the first dataset's elements are " + first_structure_ +
                             " but the second's are " + structure_str(*e) +
                             "; both datasets need the same number of components and dtypes");
          first_dtypes_.reset();  // checked once, on the second dataset's first element
        }
        return e;
      }

     private:
      static std::vector<DType> dtypes_of(const Element& e) {
        std::vector<DType> d;
        for (const Tensor& t : e) d.push_back(t.dtype());
        return d;
      }

      IteratorPtr first_;
      NodePtr second_node_;
      IteratorPtr second_;
      std::optional<std::vector<DType>> first_dtypes_;
      std::string first_structure_;
    };
    return std::make_unique<It>(first_->make_iterator(), second_);
  }
  int64_t cardinality() const override {
    const int64_t a = first_->cardinality(), b = second_->cardinality();
    if (a == kInfiniteCardinality || b == kInfiniteCardinality) return kInfiniteCardinality;
    if (a == kUnknownCardinality || b == kUnknownCardinality) return kUnknownCardinality;
    return a + b;
  }

 private:
  NodePtr first_, second_;
};

class ShardNode final : public DatasetNode {
 public:
  ShardNode(NodePtr input, int64_t num_shards, int64_t index)
      : input_(std::move(input)), num_shards_(num_shards), index_(index) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(IteratorPtr input, int64_t num_shards, int64_t index)
          : input_(std::move(input)), num_shards_(num_shards), skip_(index) {}
      std::optional<Element> next() override {
        if (!input_) return std::nullopt;
        for (; skip_ > 0; --skip_) {
          if (!input_->next()) {
            input_.reset();
            return std::nullopt;
          }
        }
        std::optional<Element> e = input_->next();
        if (!e) {
          input_.reset();
          return std::nullopt;
        }
        skip_ = num_shards_ - 1;
        return e;
      }

     private:
      IteratorPtr input_;
      int64_t num_shards_;
      int64_t skip_;
    };
    return std::make_unique<It>(input_->make_iterator(), num_shards_, index_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;
    return n / num_shards_ + (index_ < n % num_shards_ ? 1 : 0);
  }

 private:
  NodePtr input_;
  int64_t num_shards_, index_;
};

class EnumerateNode final : public DatasetNode {
 public:
  EnumerateNode(NodePtr input, int64_t start) : input_(std::move(input)), start_(start) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(IteratorPtr input, int64_t start) : input_(std::move(input)), i_(start) {}
      std::optional<Element> next() override {
        std::optional<Element> e = input_->next();
        if (!e) return std::nullopt;
        e->insert(e->begin(), Tensor::scalar<int64_t>(i_++));
        return e;
      }

     private:
      IteratorPtr input_;
      int64_t i_;
    };
    return std::make_unique<It>(input_->make_iterator(), start_);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  int64_t start_;
};

class ShuffleIterator final : public IteratorImpl {
 public:
  ShuffleIterator(IteratorPtr input, int64_t buffer_size, std::pair<uint64_t, uint64_t> key_draw)
      : input_(std::move(input)), buffer_(buffer_size, key_draw) {}
  std::optional<Element> next() override {
    std::optional<Element> e = buffer_.next([this] { return input_->next(); });
    if (!e) input_.reset();
    return e;
  }

 private:
  IteratorPtr input_;
  ShuffleBuffer<Element> buffer_;
};

}  // namespace

// ---- nodes declared in dataset_impl.hpp ----------------------------------------------

SlicesNode::SlicesNode(std::vector<Tensor> components)
    : components_(std::move(components)), length_(components_[0].shape()[0]) {}

const std::vector<Tensor>& SlicesNode::contiguous_components() const {
  std::call_once(contiguous_once_, [this] {
    contiguous_.reserve(components_.size());
    for (const Tensor& c : components_) contiguous_.push_back(c.contiguous());
  });
  return contiguous_;
}

IteratorPtr SlicesNode::make_iterator() const { return std::make_unique<SliceIterator>(self<SlicesNode>()); }

ShuffleNode::ShuffleNode(NodePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle_each_iteration)
    : input_(std::move(input)), buffer_size_(buffer_size), seed_(seed), reshuffle_(reshuffle_each_iteration) {}

std::pair<uint64_t, uint64_t> ShuffleNode::start_pass() const {
  const uint64_t pass = passes_.fetch_add(1, std::memory_order_relaxed);
  return {keras::detail::splitmix64(seed_), reshuffle_ ? pass : 0};
}

IteratorPtr ShuffleNode::make_iterator() const {
  return std::make_unique<ShuffleIterator>(input_->make_iterator(), buffer_size_, start_pass());
}

}  // namespace detail

using detail::DatasetAccess;
using detail::NodePtr;

// ---- Dataset ------------------------------------------------------------------------------

Dataset::Dataset(std::shared_ptr<const detail::DatasetNode> node) : node_(std::move(node)) {}

Dataset Dataset::from_tensor_slices(std::vector<Tensor> components) {
  if (components.empty())
    throw ValueError("from_tensor_slices: got no components; pass at least one tensor, as in {x} or {x, y}");
  for (size_t c = 0; c < components.size(); ++c) {
    detail::check_concrete(components[c], "from_tensor_slices: component " + std::to_string(c));
    if (components[c].ndim() == 0)
      throw ValueError("from_tensor_slices: component " + std::to_string(c) +
                       " is a scalar (shape ()); slicing needs at least one axis, use from_tensors for a scalar");
  }
  const int64_t n = components[0].shape()[0];
  for (const Tensor& t : components) {
    if (t.shape()[0] == n) continue;
    std::string lengths, shapes;
    for (size_t c = 0; c < components.size(); ++c) {
      if (c > 0) {
        lengths += ", ";
        shapes += ", ";
      }
      lengths += detail::str(components[c].shape()[0]);
      shapes += components[c].shape().str();
    }
    throw ValueError("from_tensor_slices: all components must have the same length along axis 0, got lengths " +
                     lengths + " (shapes " + shapes + "); slice them to one length");
  }
  return Dataset(std::make_shared<detail::SlicesNode>(std::move(components)));
}

Dataset Dataset::from_tensors(std::vector<Tensor> components) {
  if (components.empty())
    throw ValueError("from_tensors: got no components; pass at least one tensor, as in {x} or {x, y}");
  for (size_t c = 0; c < components.size(); ++c)
    detail::check_concrete(components[c], "from_tensors: component " + std::to_string(c));
  return Dataset(std::make_shared<detail::TensorsNode>(std::move(components)));
}

Dataset Dataset::range(int64_t start, int64_t stop, int64_t step) {
  if (step == 0) throw ValueError("range: step must not be 0; use a positive step to count up, negative to count down");
  return Dataset(std::make_shared<detail::RangeNode>(start, stop, step));
}

Dataset Dataset::range(int64_t stop) { return range(0, stop, 1); }

Dataset Dataset::from_generator(std::function<Generator()> make_generator) {
  if (!make_generator)
    throw ValueError("from_generator: make_generator is empty; pass a callable that returns a generator");
  return Dataset(std::make_shared<detail::GeneratorNode>(std::move(make_generator)));
}

Dataset Dataset::zip(std::vector<Dataset> datasets) {
  if (datasets.empty()) throw ValueError("zip: got no datasets; pass at least one");
  std::vector<NodePtr> nodes;
  nodes.reserve(datasets.size());
  for (const Dataset& d : datasets) nodes.push_back(d.node_);
  return Dataset(std::make_shared<detail::ZipNode>(std::move(nodes)));
}

Dataset Dataset::map(MapFn fn, int num_parallel_calls, bool deterministic) const {
  if (!fn) throw ValueError("map: the map function is empty; pass a callable Element(const Element&)");
  if (num_parallel_calls < 0 && num_parallel_calls != AUTOTUNE)
    throw ValueError("map: num_parallel_calls must be >= 0 or AUTOTUNE (-1), got " + detail::str(num_parallel_calls));
  return Dataset(std::make_shared<detail::MapNode>(node_, std::move(fn), num_parallel_calls, deterministic));
}

Dataset Dataset::map(MapFn fn, MapOptions options) const {
  return map(std::move(fn), options.num_parallel_calls, options.deterministic);
}

Dataset Dataset::filter(Predicate pred) const {
  if (!pred) throw ValueError("filter: the predicate is empty; pass a callable bool(const Element&)");
  return Dataset(std::make_shared<detail::FilterNode>(node_, std::move(pred)));
}

Dataset Dataset::batch(int64_t batch_size, bool drop_remainder) const {
  if (batch_size <= 0) throw ValueError("batch: batch_size must be positive, got " + detail::str(batch_size));
  return Dataset(detail::make_batch_node(node_, batch_size, drop_remainder));
}

Dataset Dataset::unbatch() const { return Dataset(detail::make_unbatch_node(node_)); }

Dataset Dataset::padded_batch(int64_t batch_size, std::vector<Shape> padded_shapes, double padding_value,
                              bool drop_remainder) const {
  if (batch_size <= 0) throw ValueError("padded_batch: batch_size must be positive, got " + detail::str(batch_size));
  return Dataset(detail::make_padded_batch_node(
      node_, batch_size,
      {.padded_shapes = std::move(padded_shapes), .padding_value = padding_value, .drop_remainder = drop_remainder}));
}

Dataset Dataset::shuffle(int64_t buffer_size, std::optional<uint64_t> seed, bool reshuffle_each_iteration) const {
  if (buffer_size <= 0)
    throw ValueError("shuffle: buffer_size must be positive, got " + detail::str(buffer_size) +
                     "; a buffer at least the dataset's size gives a uniform shuffle");
  // Without a seed, one is drawn now from the global generator, so
  // keras::utils::set_random_seed before building the pipeline fixes it.
  const uint64_t s = seed ? *seed : random::SeedGenerator().initial_seed();
  return Dataset(std::make_shared<detail::ShuffleNode>(node_, buffer_size, s, reshuffle_each_iteration));
}

Dataset Dataset::shuffle(int64_t buffer_size, ShuffleOptions options) const {
  return shuffle(buffer_size, options.seed, options.reshuffle_each_iteration);
}

Dataset Dataset::repeat(int64_t count) const {
  if (count < -1) throw ValueError("repeat: count must be >= 0, or -1 to repeat forever, got " + detail::str(count));
  return Dataset(std::make_shared<detail::RepeatNode>(node_, count));
}

Dataset Dataset::take(int64_t n) const {
  if (n < -1) throw ValueError("take: n must be >= 0, or -1 to take all, got " + detail::str(n));
  return Dataset(std::make_shared<detail::TakeNode>(node_, n));
}

Dataset Dataset::skip(int64_t n) const {
  if (n < -1) throw ValueError("skip: n must be >= 0, or -1 to skip all, got " + detail::str(n));
  return Dataset(std::make_shared<detail::SkipNode>(node_, n));
}

Dataset Dataset::cache(const std::string& filename) const { return Dataset(detail::make_cache_node(node_, filename)); }

Dataset Dataset::prefetch(int64_t buffer_size) const {
  if (buffer_size < 0 && buffer_size != AUTOTUNE)
    throw ValueError("prefetch: buffer_size must be >= 0 or AUTOTUNE (-1), got " + detail::str(buffer_size));
  if (buffer_size == 0) return *this;
  return Dataset(detail::make_prefetch_node(node_, buffer_size == AUTOTUNE ? 2 : buffer_size));
}

Dataset Dataset::concatenate(const Dataset& other) const {
  return Dataset(std::make_shared<detail::ConcatenateNode>(node_, other.node_));
}

Dataset Dataset::shard(int64_t num_shards, int64_t index) const {
  if (num_shards <= 0) throw ValueError("shard: num_shards must be positive, got " + detail::str(num_shards));
  if (index < 0 || index >= num_shards)
    throw ValueError("shard: index must be in [0, num_shards), got index " + detail::str(index) + " with num_shards " +
                     detail::str(num_shards));
  return Dataset(std::make_shared<detail::ShardNode>(node_, num_shards, index));
}

Dataset Dataset::enumerate(int64_t start) const {
  return Dataset(std::make_shared<detail::EnumerateNode>(node_, start));
}

int64_t Dataset::cardinality() const { return node_->cardinality(); }

Dataset::Iterator Dataset::make_iterator() const { return Iterator(node_->make_iterator()); }

Dataset::RangeIterator Dataset::begin() const { return RangeIterator(std::make_shared<Iterator>(make_iterator())); }

// ---- Iterator -----------------------------------------------------------------------------

Dataset::Iterator::Iterator(std::unique_ptr<detail::IteratorImpl> impl) : impl_(std::move(impl)) {}
Dataset::Iterator::Iterator(Iterator&&) noexcept = default;
Dataset::Iterator& Dataset::Iterator::operator=(Iterator&&) noexcept = default;
Dataset::Iterator::~Iterator() = default;

std::optional<Element> Dataset::Iterator::next() {
  if (!impl_) return std::nullopt;
  try {
    std::optional<Element> e = impl_->next();
    if (!e) impl_.reset();  // the pass is over: free buffers and join threads now
    return e;
  } catch (...) {
    impl_.reset();
    throw;
  }
}

Dataset::RangeIterator Dataset::Iterator::begin() {
  // A non-owning pointer: the loop runs while this iterator lives.
  return RangeIterator(std::shared_ptr<Iterator>(std::shared_ptr<void>(), this));
}

Dataset::RangeIterator::RangeIterator(std::shared_ptr<Iterator> iterator) : iterator_(std::move(iterator)) { ++*this; }

Dataset::RangeIterator& Dataset::RangeIterator::operator++() {
  std::optional<Element> e = iterator_->next();
  current_ = e ? std::make_shared<Element>(std::move(*e)) : nullptr;
  return *this;
}

}  // namespace keras::data
