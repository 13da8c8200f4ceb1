#pragma once
/// Tensor shapes: up to 8 dimensions of int64 extent, stored inline.
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace keras {

/// A tensor shape, like a Python tuple of ints. A dimension of -1 means
/// "unknown" (Keras' None) and appears only in symbolic tensors.
/// Example: `keras::Shape s{32, 10}; s[0] == 32; s.str() == "(32, 10)"`.
class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims) : Shape(std::span<const int64_t>(dims)) {}

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  /// Dimension i, where a negative i counts from the end; throws IndexError.
  int64_t at(int i) const;
  int64_t back() const { return dims_[rank_ - 1]; }
  /// Number of elements (1 for a scalar); -1 if any dimension is unknown.
  int64_t numel() const;
  bool is_fully_defined() const;
  const int64_t* begin() const { return dims_; }
  const int64_t* end() const { return dims_ + rank_; }
  int64_t* begin() { return dims_; }
  int64_t* end() { return dims_ + rank_; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  void push_back(int64_t d);
  void pop_back() { --rank_; }
  void insert(int pos, int64_t d);
  void erase(int pos);
  /// A copy with the last dimension replaced.
  Shape with_back(int64_t d) const;
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  /// "(32, 10)", "()", "(4,)", "(None, 10)": as Python prints the tuple.
  std::string str() const;

 private:
  int64_t dims_[kMaxRank] = {};
  int rank_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

/// Normalizes an axis in [-rank, rank) to [0, rank); throws ValueError naming the op.
int normalize_axis(int64_t axis, int rank, const char* op);

}  // namespace keras
