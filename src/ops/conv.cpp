// Mirrors the convolution and pooling functions of keras/src/ops/nn.py:
// conv, depthwise_conv, separable_conv, conv_transpose, max_pool,
// average_pool; output shapes follow keras/src/ops/operation_utils.py and
// conv_transpose's padding the JAX backend's conversion of Keras' arguments.
//
// Primitives work on channels_last tensors only; "channels_first" is a pair
// of transposes around them in the public functions. Three convolution
// primitives, each the adjoint of the others in one argument, so every
// gradient is again one of them (and gradients of gradients come for free):
//   conv(x, w)                 y = x * w                 (N, in..., C) -> (N, out..., F)
//   conv_transpose(dy, w)      dx of <conv(x, w), dy>    (N, out..., F) -> (N, in..., C)
//   conv_kernel_grad(x, dy)    dw of <conv(x, w), dy>    -> (k..., C / G, F)
// With <a, b> the sum of a * b: <conv_transpose(dy, w), g> = <dy, conv(g, w)>
// and <conv_kernel_grad(x, dy), h> = <dy, conv(x, h)>, which gives the rules.
// Pooling: max_pool with max_pool_grad (no gradient of its own: gradients of
// gradients through max pooling are not provided), average_pool with
// average_pool_grad (each the other's adjoint).
//
// Padding: "valid", "same" (resolved from the input size when the kernel
// runs, so symbolic inputs with unknown spatial dims work), or explicit
// (conv_transpose's Keras arguments and every gradient, which know their
// sizes).
#include "backend/cpu/conv.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/identifiers.hpp"
#include "ops/op_def.hpp"

namespace keras {
namespace detail {
namespace {

using backend::cpu::ConvGeom;
using backend::cpu::PoolGeom;

enum Padding { kValid = 0, kSame = 1, kExplicit = 2 };

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

bool is_half(DType d) { return d == DType::float16 || d == DType::bfloat16; }

// A primitive's operands: float32 or float64, one dtype.
void check_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  const DType d = a.dtype();
  if ((d != DType::float32 && d != DType::float64) || b.dtype() != d)
    throw TypeError(std::string(op) + ": the primitive needs float32 or float64 operands of one dtype, got " +
                    std::string(dtype_name(d)) + " and " + std::string(dtype_name(b.dtype())) +
                    " (keras::ops casts them)");
}

// ---- convolution primitives ------------------------------------------------------------------------

struct ConvAttrs {
  std::vector<int64_t> strides, dilation;
  int padding = kValid;
  std::vector<int64_t> pad_l, pad_r;  // kExplicit
  // conv_transpose: the output's spatial size; conv_kernel_grad: the
  // kernel's. Empty for conv_transpose called with Keras' arguments, whose
  // output size follows from keras_padding (kValid / kSame) and
  // output_padding (-1 = None).
  std::vector<int64_t> size;
  int keras_padding = kValid;
  std::vector<int64_t> output_padding;
  int64_t groups = 1;  // conv_transpose and conv_kernel_grad (conv infers it)
  bool operator==(const ConvAttrs&) const = default;
};

int64_t dilated(int64_t k, int64_t d) { return (k - 1) * d + 1; }

// Pads of the forward convolution along dim i for input size `in`
// (unknown: -1, then the pads are unknown too and only shapes are inferred).
void resolve_pads(const ConvAttrs& a, int i, int64_t in, int64_t dk, int64_t& pl, int64_t& pr) {
  if (a.padding == kExplicit) {
    pl = a.pad_l[i], pr = a.pad_r[i];
  } else if (a.padding == kValid || in < 0) {
    pl = pr = 0;
  } else {  // TensorFlow's "same": out = ceil(in / s), the odd element padded at the end
    const int64_t s = a.strides[i], out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + dk - in, 0);
    pl = total / 2, pr = total - pl;
  }
}

// The geometry of the forward convolution x (N, in..., C) * w (k..., C / G, F)
// from shapes (which may hold -1: then out is -1 too). `ctx` names the op
// and the operands for errors.
ConvGeom conv_geom(const char* op, const ConvAttrs& a, int nsp, int64_t N, const int64_t* in, int64_t C,
                   const int64_t* k, int64_t F, int64_t G, const std::string& ctx) {
  ConvGeom g;
  g.nsp = nsp, g.N = N, g.C = C, g.F = F, g.G = G;
  if (static_cast<int>(a.strides.size()) != nsp || static_cast<int>(a.dilation.size()) != nsp)
    throw ValueError(std::string(op) + ": strides " + list_str(a.strides) + " and dilation_rate " +
                     list_str(a.dilation) + " need one value per spatial dim (" + std::to_string(nsp) + "); " + ctx);
  for (int i = 0; i < nsp; ++i) {
    g.in[i] = in[i], g.k[i] = k[i], g.stride[i] = a.strides[i], g.dilation[i] = a.dilation[i];
    if (g.stride[i] <= 0 || g.dilation[i] <= 0)
      throw ValueError(std::string(op) + ": strides and dilation_rate must be positive, got strides " +
                       list_str(a.strides) + " and dilation_rate " + list_str(a.dilation) + "; " + ctx);
    const int64_t dk = dilated(k[i], a.dilation[i]);
    resolve_pads(a, i, in[i], dk, g.pad_l[i], g.pad_r[i]);
    if (in[i] < 0) {
      g.out[i] = -1;
      continue;
    }
    const int64_t span = in[i] + g.pad_l[i] + g.pad_r[i] - dk;
    if (span < 0)
      throw ValueError(std::string(op) + ": the kernel's spatial size " + std::to_string(k[i]) +
                       (a.dilation[i] > 1 ? " (" + std::to_string(dk) + " dilated)" : std::string()) +
                       " is larger than the input's " + std::to_string(in[i]) + (a.padding == kValid ? "" : " padded") +
                       " along spatial dim " + std::to_string(i) +
                       ": computed output size would be zero or negative; " + ctx);
    g.out[i] = span / g.stride[i] + 1;
  }
  return g;
}

std::vector<int64_t> spatial_of(const Shape& s) {
  return std::vector<int64_t>(s.begin() + 1, s.end() - 1);  // (N, spatial..., C)
}

std::string shapes_ctx(const char* a_name, const Shape& a, const char* b_name, const Shape& b) {
  return std::string(a_name) + " shape " + a.str() + ", " + b_name + " shape " + b.str();
}

void check_ranks(const char* op, const Shape& a, const Shape& b, const std::string& ctx) {
  if (a.rank() < 3 || a.rank() > 5 || b.rank() != a.rank())
    throw ValueError(std::string(op) + ": expected operands of one rank, 3 to 5 (1 to 3 spatial dims); " + ctx);
}

// conv(x, w): groups from the channel counts.
ConvGeom conv_call_geom(const char* op, const ConvAttrs& a, const Shape& x, const Shape& w) {
  const std::string ctx = shapes_ctx("inputs", x, "kernel", w);
  check_ranks(op, x, w, ctx);
  const int nsp = x.rank() - 2;
  const int64_t C = x[nsp + 1], Cg = w[nsp], F = w[nsp + 1];
  int64_t G = 1;
  if (C >= 0) {
    if (Cg <= 0 || C % Cg != 0)
      throw ValueError(std::string(op) + ": the input channels (" + std::to_string(C) +
                       ") must be a multiple of the kernel's in_channels (" + std::to_string(Cg) + "); " + ctx);
    G = C / Cg;
    if (F % G != 0)
      throw ValueError(std::string(op) + ": the kernel's filters (" + std::to_string(F) +
                       ") must be a multiple of the groups (" + std::to_string(G) + " = " + std::to_string(C) + " / " +
                       std::to_string(Cg) + "); " + ctx);
  }
  const auto in = spatial_of(x);
  return conv_geom(op, a, nsp, x[0], in.data(), C, w.begin(), F, G, ctx);
}

void infer_conv(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  const Tensor& w = call.inputs[1];
  check_dtypes("conv", x, w);
  const ConvGeom g = conv_call_geom("conv", call.attr<ConvAttrs>(), x.shape(), w.shape());
  Shape s{g.N};
  for (int i = 0; i < g.nsp; ++i) s.push_back(g.out[i]);
  s.push_back(g.F);
  out.push_back({s, x.dtype()});
}

void run_conv(const OpCall& call, std::vector<Tensor>& out) {
  const ConvGeom g = conv_call_geom("conv", call.attr<ConvAttrs>(), call.inputs[0].shape(), call.inputs[1].shape());
  backend::cpu::conv_forward(g, call.inputs[0], call.inputs[1], out[0]);
}

// conv_transpose(dy, w): the forward convolution's input size is attrs.size,
// or Keras' rule from output_padding. Its output size must give back dy's.
ConvGeom transpose_call_geom(const char* op, const ConvAttrs& a, const Shape& dy, const Shape& w) {
  const std::string ctx = shapes_ctx("inputs", dy, "kernel", w);
  check_ranks(op, dy, w, ctx);
  const int nsp = dy.rank() - 2;
  const int64_t G = a.groups, Cg = w[nsp], F = w[nsp + 1];
  if (dy[nsp + 1] >= 0 && dy[nsp + 1] != F)
    throw ValueError(std::string(op) + ": the input channels (" + std::to_string(dy[nsp + 1]) +
                     ") must equal the kernel's last dim (" + std::to_string(F) + "); " + ctx);
  if (static_cast<int>(a.strides.size()) != nsp)
    throw ValueError(std::string(op) + ": strides " + list_str(a.strides) + " need one value per spatial dim; " + ctx);
  std::vector<int64_t> size(static_cast<size_t>(nsp));
  for (int i = 0; i < nsp; ++i) {
    const int64_t in = dy[i + 1], s = a.strides[i];
    if (!a.size.empty()) {
      size[i] = a.size[i];
    } else if (in < 0) {
      size[i] = -1;
    } else {  // out = (in - 1) s + left + right - dk + 2, left / right the JAX pads
      const int64_t dk = dilated(w[i], a.dilation[i]);
      const int64_t op_i = a.output_padding[i];
      int64_t left, right;
      if (a.keras_padding == kValid) {
        left = dk - 1, right = dk - 1 + (op_i < 0 ? std::max(dk, s) - dk : op_i);
      } else {
        const int64_t len = op_i < 0 ? s + dk - 2 : dk + dk % 2 - 2 + op_i;
        left = std::min(len / 2 + len % 2, dk - 1), right = len - left;
      }
      size[i] = (in - 1) * s + left + right - dk + 2;
      if (size[i] <= 0)
        throw ValueError(std::string(op) + ": computed output size would be zero or negative along spatial dim " +
                         std::to_string(i) + "; " + ctx);
    }
  }
  ConvGeom g = conv_geom(op, a, nsp, dy[0], size.data(), Cg * G, w.begin(), F, G, ctx);
  for (int i = 0; i < nsp; ++i)
    if (g.out[i] >= 0 && dy[i + 1] >= 0 && g.out[i] != dy[i + 1])
      throw ValueError(std::string(op) + ": an output of spatial size " + list_str(size) +
                       " does not convolve back to the input's (dim " + std::to_string(i) + ": " +
                       std::to_string(g.out[i]) + " vs " + std::to_string(dy[i + 1]) + "); " + ctx);
  return g;
}

void infer_conv_transpose(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& dy = call.inputs[0];
  const Tensor& w = call.inputs[1];
  check_dtypes("conv_transpose", dy, w);
  const ConvGeom g = transpose_call_geom("conv_transpose", call.attr<ConvAttrs>(), dy.shape(), w.shape());
  Shape s{g.N};
  for (int i = 0; i < g.nsp; ++i) s.push_back(g.in[i]);
  s.push_back(g.C);
  out.push_back({s, dy.dtype()});
}

void run_conv_transpose(const OpCall& call, std::vector<Tensor>& out) {
  const ConvGeom g =
      transpose_call_geom("conv_transpose", call.attr<ConvAttrs>(), call.inputs[0].shape(), call.inputs[1].shape());
  backend::cpu::conv_backward_data(g, call.inputs[0], call.inputs[1], out[0]);
}

// conv_kernel_grad(x, dy): kernel size attrs.size, groups attrs.groups.
ConvGeom kernel_grad_geom(const char* op, const ConvAttrs& a, const Shape& x, const Shape& dy) {
  const std::string ctx = shapes_ctx("inputs", x, "output gradient", dy);
  check_ranks(op, x, dy, ctx);
  const int nsp = x.rank() - 2;
  const auto in = spatial_of(x);
  if (static_cast<int>(a.size.size()) != nsp)
    throw ValueError(std::string(op) + ": the kernel size " + list_str(a.size) + " needs one value per spatial dim; " +
                     ctx);
  const int64_t C = x[nsp + 1], F = dy[nsp + 1];
  if (C % a.groups != 0 || F % a.groups != 0)
    throw ValueError(std::string(op) + ": channels must be multiples of the groups (" + std::to_string(a.groups) +
                     "); " + ctx);
  ConvGeom g = conv_geom(op, a, nsp, x[0], in.data(), C, a.size.data(), F, a.groups, ctx);
  for (int i = 0; i < nsp; ++i)
    if (g.out[i] >= 0 && dy[i + 1] >= 0 && g.out[i] != dy[i + 1])
      throw ValueError(std::string(op) + ": the output gradient's spatial dims do not match the convolution's " +
                       "output (dim " + std::to_string(i) + ": " + std::to_string(g.out[i]) + "); " + ctx);
  return g;
}

void infer_conv_kernel_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  check_dtypes("conv_kernel_grad", x, call.inputs[1]);
  const auto& a = call.attr<ConvAttrs>();
  const ConvGeom g = kernel_grad_geom("conv_kernel_grad", a, x.shape(), call.inputs[1].shape());
  Shape s;
  for (int i = 0; i < g.nsp; ++i) s.push_back(g.k[i]);
  s.push_back(g.C < 0 ? -1 : g.C / g.G);
  s.push_back(g.F);
  out.push_back({s, x.dtype()});
}

void run_conv_kernel_grad(const OpCall& call, std::vector<Tensor>& out) {
  const ConvGeom g =
      kernel_grad_geom("conv_kernel_grad", call.attr<ConvAttrs>(), call.inputs[0].shape(), call.inputs[1].shape());
  backend::cpu::conv_backward_weights(g, call.inputs[0], call.inputs[1], out[0]);
}

void conv_grad(GradCtx& g);
void conv_transpose_grad(GradCtx& g);
void conv_kernel_grad_grad(GradCtx& g);

const OpDef kConv{.name = "conv", .infer = infer_conv, .run = run_conv, .grad = conv_grad};
const OpDef kConvTranspose{
    .name = "conv_transpose", .infer = infer_conv_transpose, .run = run_conv_transpose, .grad = conv_transpose_grad};
const OpDef kConvKernelGrad{.name = "conv_kernel_grad",
                            .infer = infer_conv_kernel_grad,
                            .run = run_conv_kernel_grad,
                            .grad = conv_kernel_grad_grad};
KERAS_REGISTER_OP(kConv)
KERAS_REGISTER_OP(kConvTranspose)
KERAS_REGISTER_OP(kConvKernelGrad)

// The attributes of the three primitives for one resolved geometry: explicit
// pads, so that they need no input sizes to agree.
ConvAttrs explicit_attrs(const ConvGeom& g, std::vector<int64_t> size) {
  ConvAttrs a;
  for (int i = 0; i < g.nsp; ++i) {
    a.strides.push_back(g.stride[i]);
    a.dilation.push_back(g.dilation[i]);
    a.pad_l.push_back(g.pad_l[i]);
    a.pad_r.push_back(g.pad_r[i]);
  }
  a.padding = kExplicit;
  a.size = std::move(size);
  a.groups = g.G;
  return a;
}

void require_known(const ConvGeom& g, const char* op) {
  for (int i = 0; i < g.nsp; ++i)
    if (g.in[i] < 0 || g.out[i] < 0) throw ValueError(std::string(op) + ": the gradient needs known spatial dims");
}

std::vector<int64_t> sizes(const int64_t* v, int n) { return std::vector<int64_t>(v, v + n); }

void conv_grad(GradCtx& g) {
  const ConvGeom geo = conv_call_geom("conv", g.attr<ConvAttrs>(), g.x(0).shape(), g.x(1).shape());
  require_known(geo, "conv");
  const Tensor dy = g.dy();
  if (g.needs(0))
    g.set(0, apply1(kConvTranspose, {dy, g.x(1)}, make_attrs(explicit_attrs(geo, sizes(geo.in, geo.nsp)))));
  if (g.needs(1))
    g.set(1, apply1(kConvKernelGrad, {g.x(0), dy}, make_attrs(explicit_attrs(geo, sizes(geo.k, geo.nsp)))));
}

void conv_transpose_grad(GradCtx& g) {
  const ConvGeom geo = transpose_call_geom("conv_transpose", g.attr<ConvAttrs>(), g.x(0).shape(), g.x(1).shape());
  require_known(geo, "conv_transpose");
  const Tensor dz = g.dy();  // shaped like the forward convolution's input
  if (g.needs(0)) g.set(0, apply1(kConv, {dz, g.x(1)}, make_attrs(explicit_attrs(geo, {}))));
  if (g.needs(1))
    g.set(1, apply1(kConvKernelGrad, {dz, g.x(0)}, make_attrs(explicit_attrs(geo, sizes(geo.k, geo.nsp)))));
}

void conv_kernel_grad_grad(GradCtx& g) {
  const ConvGeom geo = kernel_grad_geom("conv_kernel_grad", g.attr<ConvAttrs>(), g.x(0).shape(), g.x(1).shape());
  require_known(geo, "conv_kernel_grad");
  const Tensor dw = g.dy();  // kernel-shaped
  if (g.needs(0))
    g.set(0, apply1(kConvTranspose, {g.x(1), dw}, make_attrs(explicit_attrs(geo, sizes(geo.in, geo.nsp)))));
  if (g.needs(1)) g.set(1, apply1(kConv, {g.x(0), dw}, make_attrs(explicit_attrs(geo, {}))));
}

// ---- pooling primitives ----------------------------------------------------------------------------

struct PoolAttrs {
  std::vector<int64_t> pool, strides;
  bool same = false;
  std::vector<int64_t> size;  // average_pool_grad: the input's spatial size
  bool operator==(const PoolAttrs&) const = default;
};

PoolGeom pool_geom(const char* op, const PoolAttrs& a, const Shape& x, const std::vector<int64_t>& in) {
  const int nsp = x.rank() - 2;
  const std::string ctx = "inputs shape " + x.str() + ", pool_size " + list_str(a.pool) + ", strides " +
                          list_str(a.strides) + ", padding " + (a.same ? "\"same\"" : "\"valid\"");
  if (x.rank() < 3 || x.rank() > 5)
    throw ValueError(std::string(op) + ": expected inputs of rank 3 to 5 (1 to 3 spatial dims); " + ctx);
  if (static_cast<int>(a.pool.size()) != nsp || static_cast<int>(a.strides.size()) != nsp)
    throw ValueError(std::string(op) + ": pool_size and strides need one value per spatial dim (" +
                     std::to_string(nsp) + "); " + ctx);
  PoolGeom g;
  g.nsp = nsp, g.N = x[0], g.C = x[nsp + 1];
  for (int i = 0; i < nsp; ++i) {
    const int64_t k = a.pool[i], s = a.strides[i];
    if (k <= 0 || s <= 0) throw ValueError(std::string(op) + ": pool_size and strides must be positive; " + ctx);
    g.in[i] = in[i], g.k[i] = k, g.stride[i] = s;
    if (in[i] < 0) {
      g.out[i] = -1;
    } else if (a.same) {
      g.out[i] = (in[i] + s - 1) / s;
      const int64_t total = std::max<int64_t>((g.out[i] - 1) * s + k - in[i], 0);
      g.pad_l[i] = total / 2, g.pad_r[i] = total - total / 2;
    } else {
      if (in[i] < k)
        throw ValueError(std::string(op) + ": the pool size " + std::to_string(k) + " is larger than the input's " +
                         std::to_string(in[i]) + " along spatial dim " + std::to_string(i) +
                         ": computed output size would be zero or negative; " + ctx);
      g.out[i] = (in[i] - k) / s + 1;
    }
  }
  return g;
}

Shape pooled_shape(const PoolGeom& g) {
  Shape s{g.N};
  for (int i = 0; i < g.nsp; ++i) s.push_back(g.out[i]);
  s.push_back(g.C);
  return s;
}

void check_pool_dtype(const char* op, const Tensor& x) {
  if (x.dtype() != DType::float32 && x.dtype() != DType::float64)
    throw TypeError(std::string(op) + ": the primitive needs float32 or float64, got " +
                    std::string(dtype_name(x.dtype())) + " (keras::ops casts half types)");
}

void infer_pool(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  check_pool_dtype(call.op.name, x);
  out.push_back(
      {pooled_shape(pool_geom(call.op.name, call.attr<PoolAttrs>(), x.shape(), spatial_of(x.shape()))), x.dtype()});
}

void run_max_pool(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  backend::cpu::max_pool_forward(pool_geom("max_pool", call.attr<PoolAttrs>(), x.shape(), spatial_of(x.shape())), x,
                                 out[0]);
}

void run_average_pool(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  backend::cpu::avg_pool_forward(pool_geom("average_pool", call.attr<PoolAttrs>(), x.shape(), spatial_of(x.shape())), x,
                                 out[0]);
}

void check_pool_grad(const char* op, const PoolGeom& g, const Tensor& dy) {
  const Shape want = pooled_shape(g);
  bool ok = dy.ndim() == want.rank();
  for (int i = 0; ok && i < want.rank(); ++i) ok = want[i] < 0 || dy.shape()[i] < 0 || want[i] == dy.shape()[i];
  if (!ok)
    throw ValueError(std::string(op) + ": the output gradient's shape " + dy.shape().str() +
                     " is not the pooled shape " + want.str());
}

// max_pool_grad(x, dy) -> dx
void infer_max_pool_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& x = call.inputs[0];
  check_dtypes("max_pool_grad", x, call.inputs[1]);
  check_pool_grad("max_pool_grad", pool_geom("max_pool_grad", call.attr<PoolAttrs>(), x.shape(), spatial_of(x.shape())),
                  call.inputs[1]);
  out.push_back({x.shape(), x.dtype()});
}

void run_max_pool_grad(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& x = call.inputs[0];
  backend::cpu::max_pool_backward(pool_geom("max_pool_grad", call.attr<PoolAttrs>(), x.shape(), spatial_of(x.shape())),
                                  x, call.inputs[1], out[0]);
}

// average_pool_grad(dy) -> dx, of spatial size attrs.size.
PoolGeom avg_grad_geom(const PoolAttrs& a, const Tensor& dy) {
  Shape xs{dy.shape()[0]};
  for (int64_t v : a.size) xs.push_back(v);
  xs.push_back(dy.shape()[dy.ndim() - 1]);
  if (xs.rank() != dy.ndim())
    throw ValueError("average_pool_grad: input size " + list_str(a.size) + " does not fit the output gradient " +
                     dy.shape().str());
  PoolGeom g = pool_geom("average_pool_grad", a, xs, a.size);
  check_pool_grad("average_pool_grad", g, dy);
  return g;
}

void infer_average_pool_grad(const OpCall& call, std::vector<TensorSpec>& out) {
  const Tensor& dy = call.inputs[0];
  check_pool_dtype("average_pool_grad", dy);
  const PoolGeom g = avg_grad_geom(call.attr<PoolAttrs>(), dy);
  Shape s{g.N};
  for (int i = 0; i < g.nsp; ++i) s.push_back(g.in[i]);
  s.push_back(g.C);
  out.push_back({s, dy.dtype()});
}

void run_average_pool_grad(const OpCall& call, std::vector<Tensor>& out) {
  backend::cpu::avg_pool_backward(avg_grad_geom(call.attr<PoolAttrs>(), call.inputs[0]), call.inputs[0], out[0]);
}

void max_pool_grad(GradCtx& g);
void average_pool_grad(GradCtx& g);
void average_pool_grad_grad(GradCtx& g);

const OpDef kMaxPool{.name = "max_pool", .infer = infer_pool, .run = run_max_pool, .grad = max_pool_grad};
// No gradient rule: second derivatives through max pooling are not provided.
const OpDef kMaxPoolGrad{.name = "max_pool_grad", .infer = infer_max_pool_grad, .run = run_max_pool_grad};
const OpDef kAveragePool{
    .name = "average_pool", .infer = infer_pool, .run = run_average_pool, .grad = average_pool_grad};
const OpDef kAveragePoolGrad{.name = "average_pool_grad",
                             .infer = infer_average_pool_grad,
                             .run = run_average_pool_grad,
                             .grad = average_pool_grad_grad};
KERAS_REGISTER_OP(kMaxPool)
KERAS_REGISTER_OP(kMaxPoolGrad)
KERAS_REGISTER_OP(kAveragePool)
KERAS_REGISTER_OP(kAveragePoolGrad)

void max_pool_grad(GradCtx& g) { g.set(0, apply1(kMaxPoolGrad, {g.x(), g.dy()}, make_attrs(g.attr<PoolAttrs>()))); }

void average_pool_grad(GradCtx& g) {
  PoolAttrs a = g.attr<PoolAttrs>();
  a.size = spatial_of(g.x().shape());
  for (int64_t v : a.size)
    if (v < 0) throw ValueError("average_pool: the gradient needs known spatial dims");
  g.set(0, apply1(kAveragePoolGrad, {g.dy()}, make_attrs(std::move(a))));
}

// average_pool_grad is linear in dy, with average_pool as its adjoint.
void average_pool_grad_grad(GradCtx& g) {
  PoolAttrs a = g.attr<PoolAttrs>();
  a.size.clear();
  g.set(0, apply1(kAveragePool, {g.dy()}, make_attrs(std::move(a))));
}

// ---- argument handling for the public functions ----------------------------------------------------

int parse_padding(const char* op, const std::string& padding) {
  const std::string p = keras::detail::ascii_lower(padding);
  if (p == "valid") return kValid;
  if (p == "same") return kSame;
  throw ValueError(std::string(op) + ": padding must be \"valid\" or \"same\", got \"" + padding + "\"");
}

bool parse_channels_first(const char* op, const std::string& data_format) {
  if (data_format == "channels_last") return false;
  if (data_format == "channels_first") return true;
  throw ValueError(std::string(op) + ": data_format must be \"channels_last\" or \"channels_first\", got \"" +
                   data_format + "\"");
}

// An int-or-tuple argument as one value per spatial dim; `positive` checks > 0.
std::vector<int64_t> expand(const char* op, const char* name, const ops::IntTuple& v, int nsp, bool positive,
                            const Shape& inputs) {
  std::vector<int64_t> out = v.scalar() ? std::vector<int64_t>(static_cast<size_t>(nsp), v.values()[0]) : v.values();
  if (static_cast<int>(out.size()) != nsp)
    throw ValueError(std::string(op) + ": " + name + " " + list_str(out) + " must be an int or have one value per " +
                     "spatial dim (" + std::to_string(nsp) + " for inputs of shape " + inputs.str() + ")");
  for (int64_t x : out)
    if (positive ? x <= 0 : x < 0)
      throw ValueError(std::string(op) + ": " + name + " must be " + (positive ? "positive" : "non-negative") +
                       ", got " + list_str(out));
  return out;
}

void check_rank(const char* op, const char* what, const Tensor& t) {
  if (!t.defined()) throw ValueError(std::string(op) + ": " + what + " is an undefined tensor");
  if (t.ndim() < 3 || t.ndim() > 5)
    throw ValueError(std::string(op) + ": " + what + " must have rank 3, 4 or 5 (1 to 3 spatial dims), got shape " +
                     t.shape().str());
}

void check_kernel_rank(const char* op, const Tensor& inputs, const Tensor& kernel) {
  if (!kernel.defined()) throw ValueError(std::string(op) + ": kernel is an undefined tensor");
  if (kernel.ndim() != inputs.ndim())
    throw ValueError(std::string(op) + ": the kernel must have the inputs' rank (" + std::to_string(inputs.ndim()) +
                     "), got inputs shape " + inputs.shape().str() + " and kernel shape " + kernel.shape().str());
}

// The dtype a call computes in: float32 or float64 (half types in float32).
DType compute_dtype(const char* op, const Tensor& a, const Tensor* b) {
  DType d = a.dtype();
  if (b) d = result_type(d, b->dtype());
  if (!is_floating(a.dtype()) || (b && !is_floating(b->dtype())))
    throw TypeError(std::string(op) + " expects floating inputs, got " + std::string(dtype_name(a.dtype())) +
                    (b ? " and " + std::string(dtype_name(b->dtype())) : std::string()));
  return is_half(d) ? DType::float32 : d;
}

Tensor as(const Tensor& t, DType d) { return t.dtype() == d ? t : ops::cast(t, d); }

std::vector<int64_t> to_last(int rank) {  // (N, C, s...) -> (N, s..., C)
  std::vector<int64_t> p{0};
  for (int i = 2; i < rank; ++i) p.push_back(i);
  p.push_back(1);
  return p;
}
std::vector<int64_t> to_first(int rank) {  // (N, s..., C) -> (N, C, s...)
  std::vector<int64_t> p{0, rank - 1};
  for (int i = 1; i < rank - 1; ++i) p.push_back(i);
  return p;
}

int64_t channels(const Tensor& x, bool first) { return x.shape()[first ? 1 : x.ndim() - 1]; }

// Runs a channels_last primitive on x, transposing around it for channels_first,
// and casts the result back to the caller's dtype.
template <class F>
Tensor channels_last_call(const Tensor& x, bool first, DType compute, DType result, F&& f) {
  Tensor xl = as(x, compute);
  if (first) xl = ops::transpose(xl, to_last(x.ndim()));
  Tensor y = f(xl);
  if (first) y = ops::transpose(y, to_first(x.ndim()));
  return as(y, result);
}

Tensor pool(const OpDef& op, const Tensor& inputs, const ops::IntTuple& pool_size,
            const std::optional<ops::IntTuple>& strides, const std::string& padding, const std::string& data_format) {
  const char* name = op.name;
  check_rank(name, "inputs", inputs);
  const int nsp = inputs.ndim() - 2;
  PoolAttrs a;
  a.pool = expand(name, "pool_size", pool_size, nsp, true, inputs.shape());
  a.strides = strides ? expand(name, "strides", *strides, nsp, true, inputs.shape()) : a.pool;
  a.same = parse_padding(name, padding) == kSame;
  const bool first = parse_channels_first(name, data_format);
  const DType d = compute_dtype(name, inputs, nullptr);
  // Shape errors name the caller's layout: check before transposing.
  const Shape& s = inputs.shape();
  std::vector<int64_t> in(s.begin() + (first ? 2 : 1), s.begin() + (first ? s.rank() : s.rank() - 1));
  if (!a.same)
    for (int i = 0; i < nsp; ++i)
      if (in[i] >= 0 && in[i] < a.pool[i])
        throw ValueError(std::string(name) + ": the pool size " + list_str(a.pool) +
                         " is larger than the input's spatial dims " + list_str(in) + " (inputs shape " + s.str() +
                         ", padding \"valid\"): computed output size would be zero or negative");
  return channels_last_call(inputs, first, d, inputs.dtype(),
                            [&](const Tensor& x) { return apply1(op, {x}, make_attrs(std::move(a))); });
}

}  // namespace
}  // namespace detail

namespace ops {

using detail::apply1;

Tensor conv(const Tensor& inputs, const Tensor& kernel, IntTuple strides, const std::string& padding,
            const std::string& data_format, IntTuple dilation_rate) {
  using namespace detail;
  check_rank("conv", "inputs", inputs);
  check_kernel_rank("conv", inputs, kernel);
  const int nsp = inputs.ndim() - 2;
  ConvAttrs a;
  a.strides = expand("conv", "strides", strides, nsp, true, inputs.shape());
  a.dilation = expand("conv", "dilation_rate", dilation_rate, nsp, true, inputs.shape());
  a.padding = parse_padding("conv", padding);
  const bool first = parse_channels_first("conv", data_format);
  const DType d = compute_dtype("conv", inputs, &kernel);
  const int64_t C = channels(inputs, first), Cg = kernel.shape()[nsp];
  if (C >= 0 && (Cg <= 0 || C % Cg != 0))
    throw ValueError("conv: the input channels (" + std::to_string(C) + ") must be a multiple of the kernel's " +
                     "in_channels (" + std::to_string(Cg) + "); inputs shape " + inputs.shape().str() +
                     ", kernel shape " + kernel.shape().str() + ", data_format \"" + data_format + "\"");
  const Tensor w = as(kernel, d);
  return channels_last_call(inputs, first, d, result_type(inputs.dtype(), kernel.dtype()), [&](const Tensor& x) {
    return apply1(kConv, {x, w}, make_attrs(std::move(a)));
  });
}

Tensor depthwise_conv(const Tensor& inputs, const Tensor& kernel, IntTuple strides, const std::string& padding,
                      const std::string& data_format, IntTuple dilation_rate) {
  using namespace detail;
  check_rank("depthwise_conv", "inputs", inputs);
  check_kernel_rank("depthwise_conv", inputs, kernel);
  const bool first = parse_channels_first("depthwise_conv", data_format);
  const int nsp = inputs.ndim() - 2;
  // Checked here too, so that errors name this op rather than conv.
  expand("depthwise_conv", "strides", strides, nsp, true, inputs.shape());
  expand("depthwise_conv", "dilation_rate", dilation_rate, nsp, true, inputs.shape());
  parse_padding("depthwise_conv", padding);
  const Shape& k = kernel.shape();
  const int64_t C = channels(inputs, first);
  if (C >= 0 && k[nsp] != C)
    throw ValueError("depthwise_conv: the kernel's in_channels (" + std::to_string(k[nsp]) +
                     ") must equal the input channels (" + std::to_string(C) + "); inputs shape " +
                     inputs.shape().str() + ", kernel shape " + k.str() + ", data_format \"" + data_format + "\"");
  // (k..., C, M) -> (k..., 1, C M): a grouped convolution with C groups whose
  // output channel c M + m reads kernel[..., c, m].
  Shape grouped(std::span<const int64_t>(k.begin(), static_cast<size_t>(nsp)));
  grouped.push_back(1);
  grouped.push_back(k[nsp] * k[nsp + 1]);
  return conv(inputs, reshape(kernel, grouped), std::move(strides), padding, data_format, std::move(dilation_rate));
}

Tensor separable_conv(const Tensor& inputs, const Tensor& depthwise_kernel, const Tensor& pointwise_kernel,
                      IntTuple strides, const std::string& padding, const std::string& data_format,
                      IntTuple dilation_rate) {
  Tensor y =
      depthwise_conv(inputs, depthwise_kernel, std::move(strides), padding, data_format, std::move(dilation_rate));
  const int nsp = inputs.ndim() - 2;
  if (!pointwise_kernel.defined() || pointwise_kernel.ndim() != inputs.ndim())
    throw ValueError("separable_conv: the pointwise kernel must have the inputs' rank (" +
                     std::to_string(inputs.ndim()) + "), got shape " +
                     (pointwise_kernel.defined() ? pointwise_kernel.shape().str() : std::string("undefined")));
  for (int i = 0; i < nsp; ++i)
    if (pointwise_kernel.shape()[i] != 1)
      throw ValueError("separable_conv: the pointwise kernel's spatial dims must be 1, got shape " +
                       pointwise_kernel.shape().str());
  const int64_t mid = depthwise_kernel.shape()[nsp] * depthwise_kernel.shape()[nsp + 1];
  if (pointwise_kernel.shape()[nsp] != mid)
    throw ValueError("separable_conv: the pointwise kernel's in_channels (" +
                     std::to_string(pointwise_kernel.shape()[nsp]) + ") must equal in_channels * depth_multiplier (" +
                     std::to_string(mid) + "); pointwise kernel shape " + pointwise_kernel.shape().str() +
                     ", depthwise kernel shape " + depthwise_kernel.shape().str());
  return conv(y, pointwise_kernel, 1, "valid", data_format, 1);
}

Tensor conv_transpose(const Tensor& inputs, const Tensor& kernel, IntTuple strides, const std::string& padding,
                      std::optional<IntTuple> output_padding, const std::string& data_format, IntTuple dilation_rate) {
  using namespace detail;
  check_rank("conv_transpose", "inputs", inputs);
  check_kernel_rank("conv_transpose", inputs, kernel);
  const int nsp = inputs.ndim() - 2;
  const Shape& k = kernel.shape();
  ConvAttrs a;
  a.strides = expand("conv_transpose", "strides", strides, nsp, true, inputs.shape());
  a.dilation = expand("conv_transpose", "dilation_rate", dilation_rate, nsp, true, inputs.shape());
  const int mode = parse_padding("conv_transpose", padding);
  a.output_padding = output_padding
                         ? expand("conv_transpose", "output_padding", *output_padding, nsp, false, inputs.shape())
                         : std::vector<int64_t>(static_cast<size_t>(nsp), -1);
  for (int i = 0; i < nsp; ++i)
    if (a.output_padding[i] >= a.strides[i])
      throw ValueError("conv_transpose: output_padding " + list_str(a.output_padding) +
                       " must be lower than the strides " + list_str(a.strides));
  const bool first = parse_channels_first("conv_transpose", data_format);
  const DType d = compute_dtype("conv_transpose", inputs, &kernel);
  const int64_t C = channels(inputs, first);
  if (C >= 0 && k[nsp + 1] != C)
    throw ValueError("conv_transpose: the kernel's in_channels (last dim, " + std::to_string(k[nsp + 1]) +
                     ") must equal the input channels (" + std::to_string(C) + "); inputs shape " +
                     inputs.shape().str() + ", kernel shape " + k.str() + ", data_format \"" + data_format + "\"");
  // The forward convolution this transposes has pads dk - 1 - left on the
  // left and dk - 1 - right (at least 0) on the right, where left / right
  // are the pads the JAX backend puts around the stride-dilated input.
  a.padding = kExplicit;
  for (int i = 0; i < nsp; ++i) {
    const int64_t dk = dilated(k[i], a.dilation[i]), s = a.strides[i], op_i = a.output_padding[i];
    int64_t left, right;
    if (mode == kValid) {
      left = dk - 1, right = dk - 1 + (op_i < 0 ? std::max(dk, s) - dk : op_i);
    } else {
      const int64_t len = op_i < 0 ? s + dk - 2 : dk + dk % 2 - 2 + op_i;
      left = std::min(len / 2 + len % 2, dk - 1), right = len - left;
    }
    a.pad_l.push_back(dk - 1 - left);
    a.pad_r.push_back(std::max<int64_t>(dk - 1 - right, 0));
  }
  a.keras_padding = mode;
  const Tensor w = as(kernel, d);
  return channels_last_call(inputs, first, d, result_type(inputs.dtype(), kernel.dtype()), [&](const Tensor& x) {
    return apply1(kConvTranspose, {x, w}, make_attrs(std::move(a)));
  });
}

Tensor max_pool(const Tensor& inputs, IntTuple pool_size, std::optional<IntTuple> strides, const std::string& padding,
                const std::string& data_format) {
  return detail::pool(detail::kMaxPool, inputs, pool_size, strides, padding, data_format);
}

Tensor average_pool(const Tensor& inputs, IntTuple pool_size, std::optional<IntTuple> strides,
                    const std::string& padding, const std::string& data_format) {
  return detail::pool(detail::kAveragePool, inputs, pool_size, strides, padding, data_format);
}

}  // namespace ops
}  // namespace keras
