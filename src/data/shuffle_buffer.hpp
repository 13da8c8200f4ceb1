#pragma once
// The shuffle buffer of Dataset::shuffle, shared by the generic shuffle
// iterator (T = Element) and the fused slices -> shuffle -> batch iterator
// (T = row index), so both give the same order from the same seed.
//
// Each output is drawn uniformly from a buffer of up to `capacity` items,
// refilled from the input before each draw (tf.data's algorithm). Draw t of a
// pass takes the 64-bit word t of the Philox stream (key, draw = pass), two
// words per block, so the order is a function of (seed, pass) alone.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/philox.hpp"

namespace keras::data::detail {

template <class T>
class ShuffleBuffer {
 public:
  ShuffleBuffer(int64_t capacity, std::pair<uint64_t, uint64_t> key_draw)
      : capacity_(static_cast<size_t>(capacity)), key_(key_draw.first), draw_(key_draw.second) {
    buffer_.reserve(std::min<size_t>(capacity_, 4096));
  }

  /// The next shuffled item, pulling from `pull` (returns std::optional<T>, nullopt at the end).
  template <class Pull>
  std::optional<T> next(Pull&& pull) {
    while (!input_done_ && buffer_.size() < capacity_) {
      std::optional<T> item = pull();
      if (!item) {
        input_done_ = true;
        break;
      }
      buffer_.push_back(std::move(*item));
    }
    if (buffer_.empty()) return std::nullopt;
    const size_t j = draw_index(buffer_.size());
    T out = std::move(buffer_[j]);
    if (j + 1 != buffer_.size()) buffer_[j] = std::move(buffer_.back());
    buffer_.pop_back();
    return out;
  }

 private:
  // An index in [0, n) from the next 64-bit word (Lemire's multiply-shift;
  // its bias, below n / 2^64, is far under anything a test could see).
  size_t draw_index(size_t n) {
    if (word_ % 2 == 0) block_ = keras::detail::philox_block(key_, draw_, word_ / 2);
    const int w = static_cast<int>(2 * (word_ % 2));
    ++word_;
    const uint64_t r = (static_cast<uint64_t>(block_[w + 1]) << 32) | block_[w];
    return static_cast<size_t>((static_cast<unsigned __int128>(r) * n) >> 64);
  }

  size_t capacity_;
  uint64_t key_;
  uint64_t draw_;
  uint64_t word_ = 0;
  keras::detail::PhiloxBlock block_{};
  bool input_done_ = false;
  std::vector<T> buffer_;
};

}  // namespace keras::data::detail
