#pragma once
// CPU convolution and pooling kernels, channels_last, 1 to 3 spatial dims.
//
//   ConvGeom g = ...;                       // sizes, strides, pads, groups
//   backend::cpu::conv_forward(g, x, w, y); // x (N, in..., C), w (k..., C/G, F)
//
// Activations are (N, spatial..., C) row-major, handed to oneDNN as
// nwc / nhwc / ndhwc memory with no reordering. Kernels are in Keras' layout
// (k..., C / G, F), described to oneDNN by strides; the primitive's preferred
// (blocked) weight layout is reached by a cached reorder per call, which is
// small next to the convolution. Primitives, reorders and their descriptors
// are created once per geometry and cached process-wide (the training loop
// repeats a few shapes); scratchpads are user-managed, per thread.
//
// float32 convolutions and average pooling run on oneDNN (convolution_forward
// / _backward_data / _backward_weights, pooling_forward / _backward); the
// kernel reorders around them run on the calling thread alone (they are too
// small to pay for waking the team). float64, and float32 in deterministic
// mode (config::set_deterministic), run on plain loops that sum in a fixed
// order; they are the reference the tests check oneDNN against.
//
// Max pooling runs on this file's own loops for every dtype and mode (it is
// exact, so one implementation serves): vectorized over channels, threads over
// output rows (forward) or batch elements (backward), and, when windows do not
// overlap, dx written once without zeroing and summing. oneDNN 2.6's nhwc
// max pooling took 4 to 6 times as long (its training forward, with the
// workspace the backward needs, 6.5 ms and its backward 5.2 ms for the
// 128x26x26x32 -> 13x13 pooling of W3 on two threads).
#include <cstdint>

#include "keras/tensor.hpp"

namespace keras::backend::cpu {

/// The geometry of one convolution y = conv(x, w): x is (N, in..., C), w is
/// (k..., C / G, F), y is (N, out..., F), with
///   out[i] = (in[i] + pad_l[i] + pad_r[i] - ((k[i] - 1) dilation[i] + 1)) / stride[i] + 1
/// (integer division). Pads are non-negative.
struct ConvGeom {
  int nsp = 0;  // spatial dims, 1..3
  int64_t N = 0, C = 0, F = 0, G = 1;
  int64_t in[3] = {}, out[3] = {}, k[3] = {};
  int64_t stride[3] = {}, dilation[3] = {}, pad_l[3] = {}, pad_r[3] = {};
  bool operator==(const ConvGeom&) const = default;
};

/// y = conv(x, w). All three contiguous, one dtype (float32 or float64).
void conv_forward(const ConvGeom& g, const Tensor& x, const Tensor& w, Tensor& y);
/// dx = the gradient of <conv(x, w), dy> with respect to x (a transposed
/// convolution of dy).
void conv_backward_data(const ConvGeom& g, const Tensor& dy, const Tensor& w, Tensor& dx);
/// dw = the gradient of <conv(x, w), dy> with respect to w.
void conv_backward_weights(const ConvGeom& g, const Tensor& x, const Tensor& dy, Tensor& dw);

/// The geometry of one pooling: x (N, in..., C) -> y (N, out..., C), window k.
/// Padded positions never count: max ignores them, average divides by the
/// number of unpadded positions in the window.
struct PoolGeom {
  int nsp = 0;
  int64_t N = 0, C = 0;
  int64_t in[3] = {}, out[3] = {}, k[3] = {};
  int64_t stride[3] = {}, pad_l[3] = {}, pad_r[3] = {};
  bool operator==(const PoolGeom&) const = default;
};

void max_pool_forward(const PoolGeom& g, const Tensor& x, Tensor& y);
/// dx of max pooling: each window's dy goes to the window's first maximum
/// (the first tap, replaced only by a strictly greater one; the maximum is
/// recomputed from x, which costs one read of x: no workspace to keep).
void max_pool_backward(const PoolGeom& g, const Tensor& x, const Tensor& dy, Tensor& dx);
void avg_pool_forward(const PoolGeom& g, const Tensor& x, Tensor& y);
void avg_pool_backward(const PoolGeom& g, const Tensor& dy, Tensor& dx);

/// Number of cached oneDNN primitives (for tests).
size_t conv_cache_size();

}  // namespace keras::backend::cpu
