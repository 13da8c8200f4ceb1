#include "keras/tensor.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "core/allocator.hpp"
#include "core/convert.hpp"
#include "core/half.hpp"

namespace keras {
namespace detail {

Storage::Storage(size_t n, Device dev) : device(dev) {
  if (dev.type != DeviceType::CPU) throw NotImplementedError("Device " + dev.str() + " is not built in this keras.cpp");
  data = cached_alloc(n, &nbytes);
}

Storage::~Storage() { cached_free(data, nbytes); }

uint64_t next_tensor_id() {
  static std::atomic<uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

void TensorImpl::set_contiguous_strides() {
  int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
}

bool TensorImpl::is_contiguous() const {
  if (shape.numel() == 0) return true;  // no element to misplace
  int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    if (shape[i] != 1 && strides[i] != s) return false;
    s *= shape[i];
  }
  return true;
}

}  // namespace detail

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  if (!shape.is_fully_defined())
    throw ValueError("Cannot allocate a tensor of shape " + shape.str() + ": every dimension must be known");
  auto impl = std::make_shared<detail::TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->device = device;
  impl->set_contiguous_strides();
  impl->storage = std::make_shared<detail::Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  return Tensor(std::move(impl));
}

Tensor Tensor::from_bytes(const void* data, DType dtype, const Shape& shape) {
  Tensor t = empty(shape, dtype);
  if (t.size() > 0) std::memcpy(t.raw_mutable_data(), data, static_cast<size_t>(t.size()) * dtype_size(dtype));
  return t;
}

void Tensor::init_from(const void* data, size_t count, DType dtype, const Shape& shape) {
  if (shape.numel() != static_cast<int64_t>(count))
    throw ValueError("Cannot make a tensor of shape " + shape.str() + " (" + std::to_string(shape.numel()) +
                     " elements) from " + std::to_string(count) + " values");
  *this = from_bytes(data, dtype, shape);
}

Tensor::Tensor(std::initializer_list<float> values) {
  init_from(values.begin(), values.size(), DType::float32, Shape{static_cast<int64_t>(values.size())});
}

Tensor::Tensor(std::initializer_list<std::initializer_list<float>> rows) {
  const int64_t r = static_cast<int64_t>(rows.size());
  const int64_t c = r ? static_cast<int64_t>(rows.begin()->size()) : 0;
  std::vector<float> flat;
  flat.reserve(static_cast<size_t>(r * c));
  for (const auto& row : rows) {
    if (static_cast<int64_t>(row.size()) != c)
      throw ValueError("Tensor: rows of a nested list must have equal lengths, got " + std::to_string(c) + " and " +
                       std::to_string(row.size()));
    flat.insert(flat.end(), row.begin(), row.end());
  }
  init_from(flat.data(), flat.size(), DType::float32, Shape{r, c});
}

Tensor Tensor::scalar(double value, DType dtype) {
  Tensor t = empty(Shape{}, dtype);
  detail::convert_elements(&value, DType::float64, t.raw_mutable_data(), dtype, 1);
  return t;
}

const void* Tensor::raw_data() const {
  if (!impl_) throw ValueError("Tensor is undefined (it holds no value)");
  if (!impl_->storage) throw ValueError("Tensor is symbolic: it has no data until the graph is evaluated");
  return static_cast<const char*>(impl_->storage->data) +
         impl_->offset * static_cast<int64_t>(dtype_size(impl_->dtype));
}

void* Tensor::raw_mutable_data() { return const_cast<void*>(raw_data()); }

void Tensor::check_dtype(DType expected) const {
  if (!impl_) throw ValueError("Tensor is undefined (it holds no value)");
  if (impl_->dtype != expected)
    throw TypeError("Tensor has dtype " + std::string(dtype_name(impl_->dtype)) + ", not " +
                    std::string(dtype_name(expected)) + "; use keras::ops::cast first");
}

void Tensor::copy_out(void* dst, DType dtype, size_t count, const char* what) const {
  raw_data();  // checks defined / concrete
  if (static_cast<int64_t>(count) != size()) {
    throw ValueError(std::string(what) + "() needs a tensor of exactly one element, got shape " + shape().str());
  }
  if (count == 0) return;
  if (is_contiguous()) {
    detail::convert_elements(raw_data(), impl_->dtype, dst, dtype, static_cast<int64_t>(count));
    return;
  }
  std::vector<char> tmp(count * dtype_size(impl_->dtype));
  detail::gather_contiguous(*impl_, tmp.data());
  detail::convert_elements(tmp.data(), impl_->dtype, dst, dtype, static_cast<int64_t>(count));
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  detail::gather_contiguous(*impl_, out.raw_mutable_data());
  return out;
}

// ---- printing ---------------------------------------------------------------

namespace {

constexpr int64_t kSummariseOver = 1000;  // NumPy's threshold
constexpr int64_t kEdgeItems = 3;

// NumPy's default float format: the shortest digits that round-trip at the
// tensor's precision (float32 values print as float32, not as their double
// expansion), capped at `frac_digits_max` fractional digits, trailing zeros
// dropped but the point kept ("1.", "0.5").
std::string format_float(double v, int frac_digits_max, bool single) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[400];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), std::chars_format::fixed)
                  : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string s(buf, r.ptr);
  auto dot = s.find('.');
  if (dot != std::string::npos && s.size() - dot - 1 > static_cast<size_t>(frac_digits_max)) {
    std::snprintf(buf, sizeof buf, "%.*f", frac_digits_max, v);
    s = buf;
    dot = s.find('.');
    size_t e = s.size();
    while (e > dot + 1 && s[e - 1] == '0') --e;
    s.resize(e);
  }
  if (s.find('.') == std::string::npos) s += '.';
  return s;
}

struct Printer {
  std::vector<double> vals;  // in C order (floats, ints and bools alike)
  DType dtype;
  Shape shape;
  bool summarise;
  bool scientific = false;
  int sci_digits = 0;
  std::vector<std::string> text;  // formatted elements
  size_t width = 0, int_width = 0, frac_width = 0;

  bool shown(int d, int64_t i) const {
    return !summarise || shape[d] <= 2 * kEdgeItems || i < kEdgeItems || i >= shape[d] - kEdgeItems;
  }

  std::string fmt(double v) const {
    if (dtype == DType::bool_) return v != 0 ? "True" : "False";
    if (!is_floating(dtype)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
      return buf;
    }
    if (scientific) {
      if (!std::isfinite(v)) return format_float(v, 0, false);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%#.*e", sci_digits, v);  // '#' keeps the point: "1.e+00", as NumPy
      return buf;
    }
    return format_float(v, 8, dtype != DType::float64);
  }

  std::string pad(const std::string& s) const {
    if (is_floating(dtype) && !scientific && s.find('.') != std::string::npos) {
      auto dot = s.find('.');
      std::string left(int_width > dot ? int_width - dot : 0, ' ');
      size_t frac = s.size() - dot - 1;
      std::string right(frac_width > frac ? frac_width - frac : 0, ' ');
      return left + s + right;
    }
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }

  void measure() {
    double max_abs = 0, min_abs = 1e300;
    for (double v : vals) {
      if (std::isfinite(v) && v != 0) {
        max_abs = std::max(max_abs, std::abs(v));
        min_abs = std::min(min_abs, std::abs(v));
      }
    }
    // NumPy's rule: scientific when the largest magnitude is >= 1e16, the
    // smallest nonzero one < 1e-4, or their ratio > 1000. All elements then
    // share the mantissa digits of the one that needs the most (at most 8).
    scientific = is_floating(dtype) && max_abs > 0 && (max_abs >= 1e16 || min_abs < 1e-4 || max_abs / min_abs > 1e3);
    if (scientific) {
      for (double v : vals) {
        if (!std::isfinite(v)) continue;
        char buf[64];
        auto r = dtype == DType::float64
                     ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific)
                     : std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), std::chars_format::scientific);
        std::string_view m(buf, static_cast<size_t>(std::find(buf, r.ptr, 'e') - buf));
        auto dot = m.find('.');
        int digits = dot == std::string_view::npos ? 0 : static_cast<int>(m.size() - dot - 1);
        sci_digits = std::min(8, std::max(sci_digits, digits));
      }
    }
    for (double v : vals) {
      std::string s = fmt(v);
      auto dot = s.find('.');
      if (is_floating(dtype) && !scientific && dot != std::string::npos) {
        int_width = std::max(int_width, dot);
        frac_width = std::max(frac_width, s.size() - dot - 1);
      }
      width = std::max(width, s.size());
    }
    width = std::max(width, int_width + 1 + frac_width);
  }

  void print(std::ostream& os, int d, int64_t base, int indent) {
    if (shape.rank() == 0) {
      os << fmt(vals[0]);
      return;
    }
    os << '[';
    int64_t stride = 1;
    for (int k = d + 1; k < shape.rank(); ++k) stride *= shape[k];
    bool first = true;
    bool ellipsis_done = false;
    for (int64_t i = 0; i < shape[d]; ++i) {
      if (!shown(d, i)) {
        if (!ellipsis_done) {
          if (d + 1 == shape.rank())
            os << " ...";
          else
            os << '\n' << std::string(static_cast<size_t>(indent + 1), ' ') << "...";
          ellipsis_done = true;
        }
        continue;
      }
      if (!first) {
        if (d + 1 == shape.rank())
          os << ' ';
        else
          os << std::string(static_cast<size_t>(shape.rank() - d - 1), '\n')
             << std::string(static_cast<size_t>(indent + 1), ' ');
      }
      first = false;
      if (d + 1 == shape.rank())
        os << pad(fmt(vals[static_cast<size_t>(base + i * stride)]));
      else
        print(os, d + 1, base + i * stride, indent + 1);
    }
    os << ']';
  }
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "<undefined Tensor>";
  if (t.is_symbolic()) return os << "<KerasTensor shape=" << t.shape() << ", dtype=" << t.dtype() << ">";
  Printer p;
  p.dtype = t.dtype();
  p.shape = t.shape();
  p.summarise = t.size() > kSummariseOver;
  p.vals = t.to_vector<double>();
  if (t.size() == 0) return os << "[]";
  // Only the shown elements set the column widths, as in NumPy.
  if (p.summarise) {
    std::vector<double> shown;
    detail::for_each_offset(t.shape(), t.impl()->strides, 0, [&](int64_t i, int64_t) {
      int64_t rem = i;
      for (int d = t.ndim() - 1; d >= 0; --d) {
        if (!p.shown(d, rem % t.shape()[d])) return;
        rem /= t.shape()[d];
      }
      shown.push_back(p.vals[static_cast<size_t>(i)]);
    });
    std::swap(p.vals, shown);
    p.measure();
    std::swap(p.vals, shown);
  } else {
    p.measure();
  }
  p.print(os, 0, 0, 0);
  return os;
}

}  // namespace keras
