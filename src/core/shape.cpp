#include "keras/shape.hpp"

#include <algorithm>

#include "keras/device.hpp"
#include "keras/error.hpp"

namespace keras {

static void check_rank(size_t n) {
  if (n > static_cast<size_t>(Shape::kMaxRank))
    throw ValueError("Shapes have at most " + std::to_string(Shape::kMaxRank) + " dimensions, got " +
                     std::to_string(n));
}

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const int64_t> dims) {
  check_rank(dims.size());
  rank_ = static_cast<int>(dims.size());
  std::copy(dims.begin(), dims.end(), dims_);
}

int64_t Shape::at(int i) const {
  int j = i < 0 ? i + rank_ : i;
  if (j < 0 || j >= rank_)
    throw IndexError("Dimension index " + std::to_string(i) + " is out of range for shape " + str());
  return dims_[j];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] < 0) return -1;
    n *= dims_[i];
  }
  return n;
}

bool Shape::is_fully_defined() const {
  return std::all_of(begin(), end(), [](int64_t d) { return d >= 0; });
}

void Shape::push_back(int64_t d) {
  check_rank(rank_ + 1);
  dims_[rank_++] = d;
}

void Shape::insert(int pos, int64_t d) {
  check_rank(rank_ + 1);
  for (int i = rank_; i > pos; --i) dims_[i] = dims_[i - 1];
  dims_[pos] = d;
  ++rank_;
}

void Shape::erase(int pos) {
  for (int i = pos; i + 1 < rank_; ++i) dims_[i] = dims_[i + 1];
  --rank_;
}

Shape Shape::with_back(int64_t d) const {
  Shape s = *this;
  s.dims_[rank_ - 1] = d;
  return s;
}

bool Shape::operator==(const Shape& o) const { return rank_ == o.rank_ && std::equal(begin(), end(), o.begin()); }

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += dims_[i] < 0 ? "None" : std::to_string(dims_[i]);
  }
  if (rank_ == 1) s += ",";
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

int normalize_axis(int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank)
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " is out of bounds for a tensor of rank " +
                     std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::string Device::str() const { return (type == DeviceType::CPU ? "cpu:" : "cuda:") + std::to_string(index); }
std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace keras
