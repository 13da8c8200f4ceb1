// The threaded iterators: map(num_parallel_calls > 0) and prefetch (tf.data's
// parallel_map_dataset_op.cc and prefetch_dataset_op.cc).
//
// Both start their threads on the first next() (so making an iterator
// computes nothing) and stop them in the destructor: it sets `cancelled_`,
// wakes every waiting thread and joins them. A thread busy in the input's
// next() or in the map function finishes that call first; nothing waits on
// the consumer, so the join cannot hang on a pipeline whose calls return.
//
// Every result travels with its position in the input, and an exception is
// a result like an element: the consumer rethrows it when it reaches that
// position (Dataset::Iterator::next then ends the pass).
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "data/dataset_impl.hpp"

namespace keras::data::detail {
namespace {

// An element, an exception, or the end of the input.
struct Result {
  std::optional<Element> element;
  std::exception_ptr error;
};

class ParallelMapIterator final : public IteratorImpl {
 public:
  ParallelMapIterator(IteratorPtr input, Dataset::MapFn fn, int num_threads, bool deterministic)
      : input_(std::move(input)), fn_(std::move(fn)), num_threads_(num_threads), deterministic_(deterministic) {}

  ~ParallelMapIterator() override {
    stop_.store(true, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  std::optional<Element> next() override {
    std::unique_lock<std::mutex> lock(mu_);
    if (workers_.empty()) {
      workers_.reserve(static_cast<size_t>(num_threads_));
      for (int i = 0; i < num_threads_; ++i) workers_.emplace_back([this] { work(); });
    }
    for (;;) {
      if (end_seq_ >= 0 && delivered_ >= end_seq_) return std::nullopt;
      auto it = results_.end();
      if (deterministic_) {
        it = results_.find(next_out_);
      } else if (!results_.empty()) {
        it = results_.begin();  // the earliest finished one
      }
      if (it != results_.end()) {
        Result r = std::move(it->second);
        results_.erase(it);
        ++next_out_;
        ++delivered_;
        lock.unlock();
        work_cv_.notify_one();  // a slot is free
        if (r.error) std::rethrow_exception(r.error);
        return std::move(r.element);
      }
      ready_cv_.wait(lock);
    }
  }

 private:
  void work() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        // At most capacity() elements are in flight or waiting to be taken.
        work_cv_.wait(lock, [this] {
          return cancelled_ || input_done_ || in_flight_ + static_cast<int>(results_.size()) < capacity();
        });
        if (cancelled_ || input_done_) return;
        ++in_flight_;
      }
      int64_t seq = 0;
      std::optional<Element> x;
      std::exception_ptr error;
      bool have = false;
      {
        // Pulls are serialized and numbered in pull order.
        std::lock_guard<std::mutex> input_lock(input_mu_);
        if (!input_finished_ && !stop_.load(std::memory_order_relaxed)) {
          have = true;
          seq = next_in_++;
          try {
            x = input_->next();
          } catch (...) {
            error = std::current_exception();
          }
          if (!x) input_finished_ = true;  // the end, or an error after which nothing is pulled
        }
      }
      if (!have) {  // the input is over (or we are stopping): nothing left to pull
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
        return;
      }
      Result r;
      if (x) {
        try {
          r.element = fn_(*x);
        } catch (...) {
          r.error = std::current_exception();
        }
      } else {
        r.error = error;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
        if (!x && !error) {
          end_seq_ = seq;  // elements 0..seq-1 are all that will come
          input_done_ = true;
        } else {
          if (!x) {
            end_seq_ = seq + 1;  // the error is the last result
            input_done_ = true;
          }
          results_.emplace(seq, std::move(r));
        }
      }
      ready_cv_.notify_all();
      work_cv_.notify_all();
    }
  }

  // Finished results may wait for the consumer: a few per thread, so that workers do not stall on
  // each hand-off to it.
  int capacity() const { return 4 * num_threads_; }

  IteratorPtr input_;  // used under input_mu_ only
  Dataset::MapFn fn_;
  const int num_threads_;
  const bool deterministic_;

  std::mutex input_mu_;  // taken before mu_, never while holding it
  bool input_finished_ = false;
  int64_t next_in_ = 0;
  std::atomic<bool> stop_{false};  // set by the destructor: pull nothing more

  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  std::map<int64_t, Result> results_;  // by input position
  int in_flight_ = 0;
  int64_t next_out_ = 0;     // the position the deterministic consumer waits for
  int64_t delivered_ = 0;    // results handed out
  int64_t end_seq_ = -1;     // the number of results the pass has, once known
  bool input_done_ = false;  // no more pulls
  bool cancelled_ = false;
  std::vector<std::thread> workers_;
};

class PrefetchIterator final : public IteratorImpl {
 public:
  PrefetchIterator(IteratorPtr input, int64_t buffer_size)
      : input_(std::move(input)), buffer_size_(static_cast<size_t>(buffer_size)) {}

  ~PrefetchIterator() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
    }
    not_full_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::optional<Element> next() override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!thread_.joinable() && !finished_) thread_ = std::thread([this] { produce(); });
    not_empty_.wait(lock, [this] { return !queue_.empty() || finished_; });
    if (queue_.empty()) return std::nullopt;  // finished and drained
    Result r = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    if (r.error) std::rethrow_exception(r.error);
    return std::move(r.element);
  }

 private:
  void produce() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        not_full_.wait(lock, [this] { return cancelled_ || queue_.size() < buffer_size_; });
        if (cancelled_) return;
      }
      Result r;
      try {
        r.element = input_->next();
      } catch (...) {
        r.error = std::current_exception();
      }
      const bool last = !r.element;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (r.element || r.error) queue_.push_back(std::move(r));
        if (last) finished_ = true;
      }
      not_empty_.notify_one();
      if (last) return;
    }
  }

  IteratorPtr input_;  // used by the producer thread only, once started
  const size_t buffer_size_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Result> queue_;
  bool finished_ = false;  // the producer has queued its last result
  bool cancelled_ = false;
  std::thread thread_;
};

class PrefetchNode final : public DatasetNode {
 public:
  PrefetchNode(NodePtr input, int64_t buffer_size) : input_(std::move(input)), buffer_size_(buffer_size) {}
  IteratorPtr make_iterator() const override {
    return std::make_unique<PrefetchIterator>(input_->make_iterator(), buffer_size_);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  int64_t buffer_size_;
};

}  // namespace

IteratorPtr make_parallel_map_iterator(IteratorPtr input, Dataset::MapFn fn, int num_threads, bool deterministic) {
  return std::make_unique<ParallelMapIterator>(std::move(input), std::move(fn), num_threads, deterministic);
}

NodePtr make_prefetch_node(NodePtr input, int64_t buffer_size) {
  return std::make_shared<PrefetchNode>(std::move(input), buffer_size);
}

}  // namespace keras::data::detail
