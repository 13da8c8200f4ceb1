#include "data/tensor_util.hpp"

#include <algorithm>
#include <cstring>

namespace keras::data::detail {
namespace {

const char* bytes_of(const Tensor& t) { return static_cast<const char*>(t.raw_data()); }
char* mutable_bytes_of(Tensor& t) { return static_cast<char*>(t.raw_mutable_data()); }

Shape with_leading(int64_t n, const Shape& s) {
  Shape out = s;
  out.insert(0, n);
  return out;
}

// Checks the structure of elements[i] against elements[0] (component count and dtypes).
void check_same_structure(const std::vector<Element>& elements, size_t i, const char* op) {
  const Element& first = elements[0];
  const Element& e = elements[i];
  if (e.size() != first.size())
    throw ValueError(std::string(op) + ": element " + std::to_string(i) + " of a batch has " +
                     std::to_string(e.size()) + " components but element 0 has " + std::to_string(first.size()) +
                     "; every element of a dataset must have the same components");
  for (size_t c = 0; c < e.size(); ++c) {
    if (e[c].dtype() != first[c].dtype())
      throw ValueError(std::string(op) + ": component " + std::to_string(c) + " is " +
                       std::string(dtype_name(first[c].dtype())) + " in element 0 of a batch but " +
                       std::string(dtype_name(e[c].dtype())) + " in element " + std::to_string(i) +
                       "; cast the components to one dtype with map() first");
  }
}

// Copies a contiguous tensor of shape `e` into the leading corner of a
// contiguous block of shape `p` (same rank, p >= e per axis).
void copy_into_padded(const char* src, char* dst, const Shape& e, const Shape& p, size_t esize) {
  const int r = e.rank();
  if (r == 0) {
    std::memcpy(dst, src, esize);
    return;
  }
  if (e.numel() == 0) return;
  int64_t dst_stride[Shape::kMaxRank];
  int64_t s = 1;
  for (int i = r - 1; i >= 0; --i) {
    dst_stride[i] = s;
    s *= p[i];
  }
  const size_t run = static_cast<size_t>(e[r - 1]) * esize;
  const int64_t runs = e.numel() / e[r - 1];
  int64_t idx[Shape::kMaxRank] = {};
  for (int64_t k = 0; k < runs; ++k) {
    int64_t off = 0;
    for (int i = 0; i < r - 1; ++i) off += idx[i] * dst_stride[i];
    std::memcpy(dst + static_cast<size_t>(off) * esize, src + static_cast<size_t>(k) * run, run);
    for (int i = r - 2; i >= 0; --i) {  // odometer over the outer axes
      if (++idx[i] < e[i]) break;
      idx[i] = 0;
    }
  }
}

}  // namespace

void check_concrete(const Tensor& t, const std::string& what) {
  if (!t.defined()) throw ValueError(what + " is an undefined tensor; pass a tensor with data");
  if (t.is_symbolic())
    throw ValueError(what + " is a symbolic tensor of shape " + t.shape().str() +
                     "; a Dataset needs concrete tensors (with data)");
  if (t.device().type != DeviceType::CPU)
    throw NotImplementedError(what + " is on " + t.device().str() + "; a Dataset holds CPU tensors only");
}

void check_element(const Element& e, const char* op) {
  for (size_t c = 0; c < e.size(); ++c) check_concrete(e[c], std::string(op) + ": component " + std::to_string(c));
}

Shape row_shape(const Shape& s) {
  Shape out = s;
  out.erase(0);
  return out;
}

size_t row_bytes(const Tensor& t) { return static_cast<size_t>(row_shape(t.shape()).numel()) * dtype_size(t.dtype()); }

Tensor copy_row(const Tensor& src, int64_t i) {
  Tensor out = Tensor::empty(row_shape(src.shape()), src.dtype());
  const size_t rb = row_bytes(src);
  if (rb > 0) std::memcpy(mutable_bytes_of(out), bytes_of(src) + static_cast<size_t>(i) * rb, rb);
  return out;
}

Tensor copy_rows(const Tensor& src, int64_t begin, int64_t count) {
  Shape s = src.shape();
  s[0] = count;
  Tensor out = Tensor::empty(s, src.dtype());
  const size_t rb = row_bytes(src);
  if (rb > 0 && count > 0)
    std::memcpy(mutable_bytes_of(out), bytes_of(src) + static_cast<size_t>(begin) * rb,
                static_cast<size_t>(count) * rb);
  return out;
}

Tensor gather_rows(const Tensor& src, const int64_t* indices, int64_t count) {
  Shape s = src.shape();
  s[0] = count;
  Tensor out = Tensor::empty(s, src.dtype());
  const size_t rb = row_bytes(src);
  if (rb == 0) return out;
  const char* from = bytes_of(src);
  char* to = mutable_bytes_of(out);
  for (int64_t k = 0; k < count;) {
    int64_t run = 1;
    while (k + run < count && indices[k + run] == indices[k] + run) ++run;
    std::memcpy(to + static_cast<size_t>(k) * rb, from + static_cast<size_t>(indices[k]) * rb,
                static_cast<size_t>(run) * rb);
    k += run;
  }
  return out;
}

Element stack_elements(const std::vector<Element>& elements) {
  const Element& first = elements[0];
  const auto n = static_cast<int64_t>(elements.size());
  Element out;
  out.reserve(first.size());
  for (size_t i = 1; i < elements.size(); ++i) check_same_structure(elements, i, "batch");
  for (size_t c = 0; c < first.size(); ++c) {
    const Shape& shape = first[c].shape();
    for (size_t i = 1; i < elements.size(); ++i) {
      if (elements[i][c].shape() != shape)
        throw ValueError("batch: cannot stack component " + std::to_string(c) + ": element 0 of the batch has shape " +
                         shape.str() + " but element " + std::to_string(i) + " has shape " +
                         elements[i][c].shape().str() +
                         "; use padded_batch() to batch elements of different shapes, or map() them to one shape");
    }
    Tensor stacked = Tensor::empty(with_leading(n, shape), first[c].dtype());
    const size_t nb = static_cast<size_t>(shape.numel()) * dtype_size(first[c].dtype());
    char* to = mutable_bytes_of(stacked);
    if (nb > 0) {
      for (size_t i = 0; i < elements.size(); ++i) {
        const Tensor part = elements[i][c].contiguous();
        std::memcpy(to + i * nb, bytes_of(part), nb);
      }
    }
    out.push_back(std::move(stacked));
  }
  return out;
}

Element pad_and_stack(const std::vector<Element>& elements, const std::vector<Shape>& padded_shapes,
                      double padding_value) {
  const Element& first = elements[0];
  const auto n = static_cast<int64_t>(elements.size());
  for (size_t i = 1; i < elements.size(); ++i) check_same_structure(elements, i, "padded_batch");
  if (!padded_shapes.empty() && padded_shapes.size() != first.size())
    throw ValueError("padded_batch: padded_shapes has " + std::to_string(padded_shapes.size()) +
                     " shapes but the elements have " + std::to_string(first.size()) +
                     " components; give one shape per component (or none)");
  Element out;
  out.reserve(first.size());
  for (size_t c = 0; c < first.size(); ++c) {
    const int rank = first[c].ndim();
    for (size_t i = 1; i < elements.size(); ++i) {
      if (elements[i][c].ndim() != rank)
        throw ValueError("padded_batch: component " + std::to_string(c) + " has shape " + first[c].shape().str() +
                         " in element 0 of a batch but " + elements[i][c].shape().str() + " in element " +
                         std::to_string(i) + "; padding needs one rank per component");
    }
    // The target shape: the largest size per axis, unless padded_shapes fixes it.
    Shape target = first[c].shape();
    for (const Element& e : elements)
      for (int a = 0; a < rank; ++a) target[a] = std::max(target[a], e[c].shape()[a]);
    if (!padded_shapes.empty()) {
      const Shape& want = padded_shapes[c];
      if (want.rank() != rank)
        throw ValueError("padded_batch: padded_shapes[" + std::to_string(c) + "] is " + want.str() + " (rank " +
                         std::to_string(want.rank()) + ") but component " + std::to_string(c) + " has shape " +
                         first[c].shape().str() + " (rank " + std::to_string(rank) +
                         "); give a shape of the component's rank, with -1 for axes padded to the longest element");
      for (int a = 0; a < rank; ++a) {
        if (want[a] < 0) continue;
        if (want[a] < target[a]) {
          size_t culprit = 0;
          while (elements[culprit][c].shape()[a] <= want[a]) ++culprit;
          throw ValueError("padded_batch: component " + std::to_string(c) + " of element " + std::to_string(culprit) +
                           " of a batch has shape " + elements[culprit][c].shape().str() +
                           ", which does not fit padded shape " + want.str() + "; enlarge padded_shapes[" +
                           std::to_string(c) + "] or use -1 to pad to the longest");
        }
        target[a] = want[a];
      }
    }
    const DType dtype = first[c].dtype();
    const size_t esize = dtype_size(dtype);
    Tensor stacked = Tensor::empty(with_leading(n, target), dtype);
    char* to = mutable_bytes_of(stacked);
    const size_t total = static_cast<size_t>(stacked.size());
    // Fill with the padding value, then copy each element into its corner.
    const Tensor pad = Tensor::scalar(padding_value, dtype);
    const char* pad_bytes = bytes_of(pad);
    if (total == 0) {
      // Nothing to fill or copy.
    } else if (std::all_of(pad_bytes, pad_bytes + esize, [](char b) { return b == 0; })) {
      std::memset(to, 0, total * esize);
    } else {
      for (size_t k = 0; k < total; ++k) std::memcpy(to + k * esize, pad_bytes, esize);
    }
    const size_t slot = static_cast<size_t>(target.numel()) * esize;
    for (size_t i = 0; i < elements.size(); ++i) {
      const Tensor part = elements[i][c].contiguous();
      copy_into_padded(bytes_of(part), to + i * slot, part.shape(), target, esize);
    }
    out.push_back(std::move(stacked));
  }
  return out;
}

}  // namespace keras::data::detail
