#pragma once
// Internals of keras::data::Dataset.
//
// A Dataset is a shared pointer to an immutable DatasetNode; each
// transformation wraps its input node in a new one:
//
//   Dataset::from_tensor_slices({x, y}).shuffle(100, 7).map(f, 4).batch(32)
//     BatchNode -> MapNode -> ShuffleNode -> SlicesNode          (nodes: the description)
//
// make_iterator() asks the last node for an IteratorImpl, and each node's
// iterator makes and owns its input's iterator, so one pass is a chain of
// iterators that pull elements on demand:
//
//     BatchIterator -> ParallelMapIterator(4 threads) -> ShuffleIterator -> SliceIterator
//
// Destroying the outermost iterator destroys the chain; an iterator that owns
// threads (parallel map, prefetch) stops and joins them in its destructor.
// Nodes hold the only state shared between passes: the shuffle pass counter
// (each pass of a reshuffling shuffle gets the next Philox draw) and the
// cache's contents.
//
// Fusion: BatchNode::make_iterator() recognises from_tensor_slices -> batch
// and from_tensor_slices -> shuffle -> batch, and then batches by copying
// rows of the sliced tensors (one memcpy per component, or per run of
// consecutive rows) in the order a ShuffleBuffer of row indices gives. The
// index buffer draws exactly as the generic ShuffleIterator does, so the
// fused and generic pipelines yield the same batches.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "keras/data/dataset.hpp"

namespace keras::data::detail {

/// One pass over a node's elements.
class IteratorImpl {
 public:
  virtual ~IteratorImpl() = default;
  /// The next element, or std::nullopt at the end (and on every call after it).
  virtual std::optional<Element> next() = 0;
};
using IteratorPtr = std::unique_ptr<IteratorImpl>;

/// An immutable step of a pipeline description; always owned by a shared_ptr
/// (iterators keep their node alive through shared_from_this()).
class DatasetNode : public std::enable_shared_from_this<DatasetNode> {
 public:
  virtual ~DatasetNode() = default;
  /// A fresh pass; computes nothing until its first next().
  virtual IteratorPtr make_iterator() const = 0;
  /// A count, kInfiniteCardinality or kUnknownCardinality.
  virtual int64_t cardinality() const = 0;

 protected:
  /// This node as a shared pointer to its own type.
  template <class T>
  std::shared_ptr<const T> self() const {
    return std::static_pointer_cast<const T>(shared_from_this());
  }
};
using NodePtr = std::shared_ptr<const DatasetNode>;

struct DatasetAccess {
  static const NodePtr& node(const Dataset& d) { return d.node_; }
  static Dataset make(NodePtr node) { return Dataset(std::move(node)); }
};

/// from_tensor_slices: element i is row i of every component.
class SlicesNode final : public DatasetNode {
 public:
  /// `components` are validated by the caller: concrete, rank >= 1, one length.
  explicit SlicesNode(std::vector<Tensor> components);
  int64_t length() const { return length_; }
  /// The components, contiguous (copied on first use only if one is a strided view).
  const std::vector<Tensor>& contiguous_components() const;
  IteratorPtr make_iterator() const override;
  int64_t cardinality() const override { return length_; }

 private:
  std::vector<Tensor> components_;
  int64_t length_ = 0;
  mutable std::once_flag contiguous_once_;
  mutable std::vector<Tensor> contiguous_;
};

/// shuffle: holds the seed and counts the passes started.
class ShuffleNode final : public DatasetNode {
 public:
  ShuffleNode(NodePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle_each_iteration);
  const NodePtr& input() const { return input_; }
  int64_t buffer_size() const { return buffer_size_; }
  /// The Philox (key, draw) of a new pass: the draw is the number of passes
  /// started before this one, or always 0 without reshuffling.
  std::pair<uint64_t, uint64_t> start_pass() const;
  IteratorPtr make_iterator() const override;
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  int64_t buffer_size_;
  uint64_t seed_;
  bool reshuffle_;
  mutable std::atomic<uint64_t> passes_{0};
};

/// The arguments of padded_batch after the batch size.
struct PaddedBatchOptions {
  std::vector<Shape> padded_shapes{};
  double padding_value = 0;
  bool drop_remainder = false;
};

// Nodes defined in batching.cpp, cache.cpp and parallel.cpp.
NodePtr make_batch_node(NodePtr input, int64_t batch_size, bool drop_remainder);
NodePtr make_padded_batch_node(NodePtr input, int64_t batch_size, PaddedBatchOptions options);
NodePtr make_unbatch_node(NodePtr input);
NodePtr make_cache_node(NodePtr input, std::string filename);
NodePtr make_prefetch_node(NodePtr input, int64_t buffer_size);
/// A pass of map with `num_threads` workers; deterministic keeps the input order.
IteratorPtr make_parallel_map_iterator(IteratorPtr input, Dataset::MapFn fn, int num_threads, bool deterministic);

/// Whether `ds` is a batch that make_iterator() fuses with its from_tensor_slices source (for tests).
bool batch_is_fused(const Dataset& ds);

}  // namespace keras::data::detail
