// Dataset::batch, padded_batch and unbatch (tf.data's batch_dataset_op.cc,
// padded_batch_dataset_op.cc and unbatch_dataset_op.cc), plus the fused
// from_tensor_slices -> [shuffle] -> batch iterator.
#include <utility>

#include "data/dataset_impl.hpp"
#include "data/shuffle_buffer.hpp"
#include "data/tensor_util.hpp"

namespace keras::data::detail {
namespace {

int64_t batched_cardinality(int64_t n, int64_t batch_size, bool drop_remainder) {
  if (n < 0) return n;
  return drop_remainder ? n / batch_size : (n + batch_size - 1) / batch_size;
}

// Up to batch_size elements from `input` (fewer at the end; none when it is over).
std::vector<Element> pull_batch(IteratorImpl& input, int64_t batch_size) {
  std::vector<Element> elements;
  elements.reserve(static_cast<size_t>(std::min<int64_t>(batch_size, 4096)));
  while (static_cast<int64_t>(elements.size()) < batch_size) {
    std::optional<Element> e = input.next();
    if (!e) break;
    elements.push_back(std::move(*e));
  }
  return elements;
}

// Batches rows of the sliced tensors directly: contiguous row ranges without
// a shuffle, else rows gathered in the order of a ShuffleBuffer of indices
// that draws exactly as ShuffleIterator does over the same rows.
class SliceBatchIterator final : public IteratorImpl {
 public:
  SliceBatchIterator(std::shared_ptr<const SlicesNode> slices, int64_t batch_size, bool drop_remainder,
                     std::optional<ShuffleBuffer<int64_t>> shuffle)
      : slices_(std::move(slices)),
        batch_size_(batch_size),
        drop_remainder_(drop_remainder),
        shuffle_(std::move(shuffle)) {}

  std::optional<Element> next() override {
    const int64_t n = slices_->length();
    if (!shuffle_) {
      const int64_t count = std::min(batch_size_, n - next_row_);
      if (count <= 0 || (drop_remainder_ && count < batch_size_)) return std::nullopt;
      Element out;
      for (const Tensor& c : slices_->contiguous_components()) out.push_back(copy_rows(c, next_row_, count));
      next_row_ += count;
      return out;
    }
    indices_.clear();
    while (static_cast<int64_t>(indices_.size()) < batch_size_) {
      std::optional<int64_t> i = shuffle_->next([&]() -> std::optional<int64_t> {
        if (next_row_ >= n) return std::nullopt;
        return next_row_++;
      });
      if (!i) break;
      indices_.push_back(*i);
    }
    const auto count = static_cast<int64_t>(indices_.size());
    if (count == 0 || (drop_remainder_ && count < batch_size_)) return std::nullopt;
    Element out;
    for (const Tensor& c : slices_->contiguous_components()) out.push_back(gather_rows(c, indices_.data(), count));
    return out;
  }

 private:
  std::shared_ptr<const SlicesNode> slices_;
  int64_t batch_size_;
  bool drop_remainder_;
  std::optional<ShuffleBuffer<int64_t>> shuffle_;
  int64_t next_row_ = 0;  // the next row to read (unshuffled) or to put in the shuffle buffer
  std::vector<int64_t> indices_;
};

class BatchNode final : public DatasetNode {
 public:
  BatchNode(NodePtr input, int64_t batch_size, bool drop_remainder)
      : input_(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder) {}

  // The sliced source when this batch can read rows directly, and the
  // shuffle between them if there is one.
  std::pair<std::shared_ptr<const SlicesNode>, std::shared_ptr<const ShuffleNode>> fusable() const {
    if (auto slices = std::dynamic_pointer_cast<const SlicesNode>(input_)) return {slices, nullptr};
    if (auto shuffle = std::dynamic_pointer_cast<const ShuffleNode>(input_))
      if (auto slices = std::dynamic_pointer_cast<const SlicesNode>(shuffle->input())) return {slices, shuffle};
    return {nullptr, nullptr};
  }

  IteratorPtr make_iterator() const override {
    auto [slices, shuffle] = fusable();
    if (slices) {
      std::optional<ShuffleBuffer<int64_t>> buffer;
      if (shuffle) buffer.emplace(shuffle->buffer_size(), shuffle->start_pass());
      return std::make_unique<SliceBatchIterator>(slices, batch_size_, drop_remainder_, std::move(buffer));
    }
    class It final : public IteratorImpl {
     public:
      It(IteratorPtr input, int64_t batch_size, bool drop_remainder)
          : input_(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder) {}
      std::optional<Element> next() override {
        if (!input_) return std::nullopt;
        std::vector<Element> elements = pull_batch(*input_, batch_size_);
        const auto count = static_cast<int64_t>(elements.size());
        if (count < batch_size_) input_.reset();
        if (count == 0 || (drop_remainder_ && count < batch_size_)) return std::nullopt;
        return stack_elements(elements);
      }

     private:
      IteratorPtr input_;
      int64_t batch_size_;
      bool drop_remainder_;
    };
    return std::make_unique<It>(input_->make_iterator(), batch_size_, drop_remainder_);
  }
  int64_t cardinality() const override {
    return batched_cardinality(input_->cardinality(), batch_size_, drop_remainder_);
  }

 private:
  NodePtr input_;
  int64_t batch_size_;
  bool drop_remainder_;
};

class PaddedBatchNode final : public DatasetNode {
 public:
  PaddedBatchNode(NodePtr input, int64_t batch_size, PaddedBatchOptions options)
      : input_(std::move(input)), batch_size_(batch_size), options_(std::move(options)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(std::shared_ptr<const PaddedBatchNode> node, IteratorPtr input)
          : node_(std::move(node)), input_(std::move(input)) {}
      std::optional<Element> next() override {
        if (!input_) return std::nullopt;
        const int64_t batch_size = node_->batch_size_;
        std::vector<Element> elements = pull_batch(*input_, batch_size);
        const auto count = static_cast<int64_t>(elements.size());
        if (count < batch_size) input_.reset();
        if (count == 0 || (node_->options_.drop_remainder && count < batch_size)) return std::nullopt;
        return pad_and_stack(elements, node_->options_.padded_shapes, node_->options_.padding_value);
      }

     private:
      std::shared_ptr<const PaddedBatchNode> node_;
      IteratorPtr input_;
    };
    return std::make_unique<It>(self<PaddedBatchNode>(), input_->make_iterator());
  }
  int64_t cardinality() const override {
    return batched_cardinality(input_->cardinality(), batch_size_, options_.drop_remainder);
  }

 private:
  NodePtr input_;
  int64_t batch_size_;
  PaddedBatchOptions options_;
};

class UnbatchNode final : public DatasetNode {
 public:
  explicit UnbatchNode(NodePtr input) : input_(std::move(input)) {}
  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      explicit It(IteratorPtr input) : input_(std::move(input)) {}
      std::optional<Element> next() override {
        while (row_ >= rows_) {
          if (!input_) return std::nullopt;
          std::optional<Element> e = input_->next();
          if (!e) {
            input_.reset();
            current_.clear();
            return std::nullopt;
          }
          start(std::move(*e));
        }
        Element out;
        out.reserve(current_.size());
        for (const Tensor& c : current_) out.push_back(copy_row(c, row_));
        ++row_;
        return out;
      }

     private:
      void start(Element e) {
        check_element(e, "unbatch");
        for (size_t c = 0; c < e.size(); ++c) {
          if (e[c].ndim() == 0)
            throw ValueError("unbatch: component " + std::to_string(c) +
                             " is a scalar (shape ()); every component needs a batch axis to unbatch");
          if (e[c].shape()[0] != e[0].shape()[0])
            throw ValueError("unbatch: components of an element have different batch sizes: component 0 has shape " +
                             e[0].shape().str() + " and component " + std::to_string(c) + " has shape " +
                             e[c].shape().str() + "; every component needs the same length along axis 0");
          e[c] = e[c].contiguous();
        }
        current_ = std::move(e);
        rows_ = current_.empty() ? 0 : current_[0].shape()[0];
        row_ = 0;
      }

      IteratorPtr input_;
      Element current_;
      int64_t row_ = 0, rows_ = 0;
    };
    return std::make_unique<It>(input_->make_iterator());
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    return n == kInfiniteCardinality || n == 0 ? n : kUnknownCardinality;
  }

 private:
  NodePtr input_;
};

}  // namespace

NodePtr make_batch_node(NodePtr input, int64_t batch_size, bool drop_remainder) {
  return std::make_shared<BatchNode>(std::move(input), batch_size, drop_remainder);
}

NodePtr make_padded_batch_node(NodePtr input, int64_t batch_size, PaddedBatchOptions options) {
  return std::make_shared<PaddedBatchNode>(std::move(input), batch_size, std::move(options));
}

NodePtr make_unbatch_node(NodePtr input) { return std::make_shared<UnbatchNode>(std::move(input)); }

bool batch_is_fused(const Dataset& ds) {
  auto batch = std::dynamic_pointer_cast<const BatchNode>(DatasetAccess::node(ds));
  return batch && batch->fusable().first != nullptr;
}

}  // namespace keras::data::detail
