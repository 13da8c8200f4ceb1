#pragma once
// Row copies for the input pipeline. They move bytes with memcpy and create
// tensors directly, as keras::random does: a pipeline is not differentiable
// and must neither record onto a GradientTape nor add nodes to a trace active
// on the thread that iterates it.
#include <cstdint>
#include <string>
#include <vector>

#include "keras/data/dataset.hpp"

namespace keras::data::detail {

/// Throws keras::ValueError unless t is a defined, concrete CPU tensor; `what` names the caller.
void check_concrete(const Tensor& t, const std::string& what);
/// Checks every component of an element a transformation received (check_concrete).
void check_element(const Element& e, const char* op);
/// `s` without its axis 0.
Shape row_shape(const Shape& s);
/// Bytes of one row (a slice along axis 0) of t.
size_t row_bytes(const Tensor& t);
/// Row i of contiguous `src`, without axis 0, as a new tensor.
Tensor copy_row(const Tensor& src, int64_t i);
/// Rows [begin, begin + count) of contiguous `src` as a new tensor: one memcpy.
Tensor copy_rows(const Tensor& src, int64_t begin, int64_t count);
/// Rows `indices[0..count)` of contiguous `src` as a new tensor; a run of consecutive indices is one memcpy.
Tensor gather_rows(const Tensor& src, const int64_t* indices, int64_t count);
/// Stacks component c of every element along a new axis 0. Throws keras::ValueError naming the
/// element and shapes when elements differ in component count, shape or dtype.
Element stack_elements(const std::vector<Element>& elements);
/// Pads component c of every element to a common shape (padded_shapes[c], whose -1 dims and
/// missing entries take the batch's largest size) with padding_value, then stacks them.
Element pad_and_stack(const std::vector<Element>& elements, const std::vector<Shape>& padded_shapes,
                      double padding_value);

}  // namespace keras::data::detail
