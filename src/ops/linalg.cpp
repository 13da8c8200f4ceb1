// Mirrors keras/src/ops/numpy.py: matmul, dot, outer, transpose, einsum.
//
// Primitives: matmul (operands of equal rank >= 2, batch dims broadcast,
// with transpose_a / transpose_b attributes so that gradients and einsum read
// transposed operands in place) and transpose (a view). The public matmul,
// dot, outer and einsum are composites over them and the shape ops, so they
// differentiate and trace with no rules of their own.
//
// Dtypes follow Keras 3: operands are promoted with keras::result_type;
// float16 and bfloat16 are multiplied in float32 and the result cast back
// (DESIGN.md: half types are storage types); integers wrap as in NumPy.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "ops/op_def.hpp"

namespace keras {
namespace detail {
namespace {

void require_defined(const Tensor& x, const char* op, const char* which) {
  if (!x.defined()) throw ValueError(std::string(op) + ": " + which + " is an undefined tensor");
}

bool is_half(DType d) { return d == DType::float16 || d == DType::bfloat16; }

// A list printed as a Python tuple: "(1, 0)", "(2,)".
std::string dims_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// ---- matmul (primitive) -------------------------------------------------------------

struct MatmulAttrs {
  bool transpose_a = false;
  bool transpose_b = false;
  bool operator==(const MatmulAttrs&) const = default;
};

// "matmul: incompatible shapes (2, 3) and (4, 5): the last dim of a (3) must
// equal the second-to-last dim of b (4)". `a_dim` / `b_dim` name the
// contracted dims as the caller sees them.
[[noreturn]] void throw_contraction(const char* op, const Shape& a, const Shape& b, const char* a_dim, int64_t ka,
                                    const char* b_dim, int64_t kb) {
  throw ValueError(std::string(op) + ": incompatible shapes " + a.str() + " and " + b.str() + ": the " + a_dim +
                   " of a (" + std::to_string(ka) + ") must equal the " + b_dim + " of b (" + std::to_string(kb) + ")");
}

// The broadcast of two batch shapes, or a ValueError naming both operands.
Shape broadcast_batch(const char* op, const Shape& a, const Shape& b, int a_batch, int b_batch) {
  Shape ba(std::span<const int64_t>(a.begin(), static_cast<size_t>(a_batch)));
  Shape bb(std::span<const int64_t>(b.begin(), static_cast<size_t>(b_batch)));
  const int r = std::max(a_batch, b_batch);
  Shape out;
  for (int i = 0; i < r; ++i) {
    const int ia = a_batch - r + i, ib = b_batch - r + i;
    const int64_t da = ia >= 0 ? ba[ia] : 1, db = ib >= 0 ? bb[ib] : 1;
    if (da == db || db == 1)
      out.push_back(da);
    else if (da == 1)
      out.push_back(db);
    else if (da < 0)
      out.push_back(db);  // unknown (None) against a known size
    else if (db < 0)
      out.push_back(da);
    else
      throw ValueError(std::string(op) + ": incompatible shapes " + a.str() + " and " + b.str() + ": the batch dims " +
                       ba.str() + " and " + bb.str() + " cannot be broadcast together");
  }
  return out;
}

void infer_matmul(const OpCall& call, std::vector<TensorSpec>& out) {
  const auto& at = call.attr<MatmulAttrs>();
  const Shape& a = call.inputs[0].shape();
  const Shape& b = call.inputs[1].shape();
  const int r = a.rank();
  if (r < 2 || b.rank() != r)
    throw ValueError("matmul: the matmul primitive needs operands of equal rank >= 2, got shapes " + a.str() + " and " +
                     b.str() + "; keras::ops::matmul accepts any ranks");
  const DType dt = call.inputs[0].dtype();
  if (call.inputs[1].dtype() != dt || is_half(dt))
    throw TypeError("matmul: the matmul primitive needs operands of one dtype other than float16 / bfloat16, got " +
                    std::string(dtype_name(dt)) + " and " + std::string(dtype_name(call.inputs[1].dtype())) +
                    "; keras::ops::matmul promotes them");
  const int64_t m = at.transpose_a ? a[r - 1] : a[r - 2];
  const int64_t ka = at.transpose_a ? a[r - 2] : a[r - 1];
  const int64_t kb = at.transpose_b ? b[r - 1] : b[r - 2];
  const int64_t n = at.transpose_b ? b[r - 2] : b[r - 1];
  if (ka >= 0 && kb >= 0 && ka != kb)
    throw_contraction("matmul", a, b, at.transpose_a ? "second-to-last dim (transpose_a)" : "last dim", ka,
                      at.transpose_b ? "last dim (transpose_b)" : "second-to-last dim", kb);
  Shape s = broadcast_batch("matmul", a, b, r - 2, r - 2);
  s.push_back(m);
  s.push_back(n);
  out.push_back({s, dt});
}

void run_matmul(const OpCall& call, std::vector<Tensor>& out) {
  const auto& at = call.attr<MatmulAttrs>();
  backend::cpu::matmul(call.inputs[0], call.inputs[1], at.transpose_a, at.transpose_b, out[0]);
}

void matmul_grad(GradCtx& g);

// contiguous_inputs = false: the kernel reads strided views (a transposed
// operand is a stride in oneDNN's memory descriptor, not a copy).
const OpDef kMatmul{
    .name = "matmul", .infer = infer_matmul, .run = run_matmul, .grad = matmul_grad, .contiguous_inputs = false};
KERAS_REGISTER_OP(kMatmul)

Tensor mm(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  return apply1(kMatmul, {a, b}, make_attrs(MatmulAttrs{transpose_a, transpose_b}));
}

// Y = op(A) · op(B). With no transposes dA = dY · B^T and dB = A^T · dY; the
// other three cases follow from (XY)^T = Y^T X^T, and every product is again
// a matmul with transpose flags, so no transpose is ever materialised. A
// broadcast batch dim of an input gets the sum over that dim (set(..., true)).
void matmul_grad(GradCtx& g) {
  const auto& at = g.attr<MatmulAttrs>();
  const Tensor& a = g.x(0);
  const Tensor& b = g.x(1);
  const Tensor dy = g.dy();
  const bool ta = at.transpose_a, tb = at.transpose_b;
  if (g.needs(0)) {
    Tensor da = !ta ? mm(dy, b, false, !tb)  // A (m, k): dY · op(B)^T
                    : mm(b, dy, tb, true);   // A (k, m): op(B) · dY^T
    g.set(0, da, /*reduce_to_input=*/true);
  }
  if (g.needs(1)) {
    Tensor db = !tb ? mm(a, dy, !ta, false)  // B (k, n): op(A)^T · dY
                    : mm(dy, a, true, ta);   // B (n, k): dY^T · op(A)
    g.set(1, db, /*reduce_to_input=*/true);
  }
}

// ---- transpose (primitive, a view) -------------------------------------------------

struct TransposeAttrs {
  std::vector<int> perm;  // output axis i is input axis perm[i]
  bool operator==(const TransposeAttrs&) const = default;
};

void infer_transpose(const OpCall& call, std::vector<TensorSpec>& out) {
  const auto& perm = call.attr<TransposeAttrs>().perm;
  const Tensor& x = call.inputs[0];
  if (static_cast<int>(perm.size()) != x.ndim())
    throw ValueError("transpose: " + std::to_string(perm.size()) + " axes given for a tensor of shape " +
                     x.shape().str());
  Shape s;
  for (int p : perm) s.push_back(x.shape()[p]);
  out.push_back({s, x.dtype()});
}

// The output shares x's storage: shape and strides are permuted, nothing is
// copied. Kernels that need contiguous data get a copy from the dispatcher.
void run_transpose(const OpCall& call, std::vector<Tensor>& out) {
  const auto& perm = call.attr<TransposeAttrs>().perm;
  const TensorImpl& x = *call.inputs[0].impl();
  auto impl = std::make_shared<TensorImpl>();
  for (size_t i = 0; i < perm.size(); ++i) {
    impl->shape.push_back(x.shape[perm[i]]);
    impl->strides[i] = x.strides[perm[i]];
  }
  impl->offset = x.offset;
  impl->dtype = x.dtype;
  impl->device = x.device;
  impl->storage = x.storage;
  out.push_back(Tensor(std::move(impl)));
}

void transpose_grad(GradCtx& g) {
  const auto& perm = g.attr<TransposeAttrs>().perm;
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  g.set(0, ops::transpose(g.dy(), inverse));
}

const OpDef kTranspose{.name = "transpose",
                       .infer = infer_transpose,
                       .run = run_transpose,
                       .grad = transpose_grad,
                       .contiguous_inputs = false,
                       .makes_outputs = true};
KERAS_REGISTER_OP(kTranspose)

// ---- helpers for the composites ---------------------------------------------------

// x's dtype for the arithmetic: half types run in float32.
Tensor to_compute(const Tensor& x, DType dt) {
  const DType c = is_half(dt) ? DType::float32 : dt;
  return x.dtype() == c ? x : ops::cast(x, c);
}

Tensor from_compute(const Tensor& y, DType dt) { return y.dtype() == dt ? y : ops::cast(y, dt); }

// Product of dims, -1 if any is unknown.
int64_t prod_dims(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    p *= d;
  }
  return p;
}

Shape prepend_ones(const Shape& s, int count) {
  Shape out;
  for (int i = 0; i < count; ++i) out.push_back(1);
  for (int64_t d : s) out.push_back(d);
  return out;
}

// ---- einsum ------------------------------------------------------------------------

struct EinsumSpec {
  std::string a, b, out;
};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

EinsumSpec parse_einsum(const std::string& subscripts, const Tensor& a, const Tensor& b) {
  std::string s;
  for (char c : subscripts)
    if (c != ' ') s += c;
  const std::string quoted = "\"" + subscripts + "\"";
  if (s.find('.') != std::string::npos)
    throw ValueError("einsum: ellipsis ('...') is not supported, got " + quoted + "; name every axis");
  EinsumSpec spec;
  std::string lhs = s;
  const auto arrow = s.find("->");
  const bool explicit_out = arrow != std::string::npos;
  if (explicit_out) {
    lhs = s.substr(0, arrow);
    spec.out = s.substr(arrow + 2);
  }
  const auto comma = lhs.find(',');
  if (comma == std::string::npos || lhs.find(',', comma + 1) != std::string::npos)
    throw ValueError("einsum: expected subscripts for exactly two operands (\"ij,jk->ik\"), got " + quoted);
  spec.a = lhs.substr(0, comma);
  spec.b = lhs.substr(comma + 1);
  for (const std::string* part : {&spec.a, &spec.b, &spec.out}) {
    for (size_t i = 0; i < part->size(); ++i) {
      const char c = (*part)[i];
      if (!is_letter(c))
        throw ValueError(std::string("einsum: invalid character '") + c + "' in " + quoted +
                         "; subscripts are letters, ',' and '->'");
      if (part->find(c, i + 1) != std::string::npos) {
        if (part == &spec.out)
          throw ValueError(std::string("einsum: output subscript '") + c + "' appears more than once in " + quoted);
        throw ValueError(std::string("einsum: repeated subscript '") + c + "' within one operand in " + quoted +
                         " (diagonals) is not supported");
      }
    }
  }
  auto check_rank = [&](const std::string& sub, const Tensor& t, const char* name) {
    if (static_cast<int>(sub.size()) != t.ndim())
      throw ValueError("einsum: subscripts '" + sub + "' name " + std::to_string(sub.size()) + " axes but " + name +
                       " has shape " + t.shape().str() + " in " + quoted);
  };
  check_rank(spec.a, a, "a");
  check_rank(spec.b, b, "b");
  if (explicit_out) {
    for (char c : spec.out)
      if (spec.a.find(c) == std::string::npos && spec.b.find(c) == std::string::npos)
        throw ValueError(std::string("einsum: output subscript '") + c + "' does not appear in the inputs of " +
                         quoted);
  } else {
    // NumPy's implicit output: the letters that appear once, in ASCII order.
    std::string all = spec.a + spec.b;
    for (char c : all)
      if (std::count(all.begin(), all.end(), c) == 1) spec.out += c;
    std::sort(spec.out.begin(), spec.out.end());
  }
  return spec;
}

bool has(const std::string& s, char c) { return s.find(c) != std::string::npos; }

// Permutation taking `sub` to the letters of `order` (every letter of `order`
// is in `sub`).
std::vector<int64_t> perm_to(const std::string& sub, const std::string& order) {
  std::vector<int64_t> p;
  for (char c : order) p.push_back(static_cast<int64_t>(sub.find(c)));
  return p;
}

bool is_identity(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& p) { return is_identity(p) ? x : ops::transpose(x, p); }

// Sums x over the axes whose letters are not in `keep`, dropping those
// letters from `sub`.
Tensor sum_unshared(const Tensor& x, std::string& sub, const std::string& keep) {
  std::vector<int64_t> axes;
  std::string kept;
  for (size_t i = 0; i < sub.size(); ++i) {
    if (has(keep, sub[i]))
      kept += sub[i];
    else
      axes.push_back(static_cast<int64_t>(i));
  }
  sub = kept;
  return axes.empty() ? x : ops::sum(x, Axes(axes));
}

}  // namespace
}  // namespace detail

namespace ops {

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  detail::require_defined(a_in, "matmul", "a");
  detail::require_defined(b_in, "matmul", "b");
  const Shape& as = a_in.shape();
  const Shape& bs = b_in.shape();
  if (as.rank() == 0 || bs.rank() == 0)
    throw ValueError("matmul: operands must have at least 1 dimension, got shapes " + as.str() + " and " + bs.str() +
                     "; use keras::ops::multiply for scalars");
  const bool a_vec = as.rank() == 1, b_vec = bs.rank() == 1;
  const int64_t ka = as.back(), kb = b_vec ? bs[0] : bs[bs.rank() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    detail::throw_contraction("matmul", as, bs, a_vec ? "length" : "last dim", ka,
                              b_vec ? "length" : "second-to-last dim", kb);
  detail::broadcast_batch("matmul", as, bs, std::max(as.rank() - 2, 0), std::max(bs.rank() - 2, 0));

  const DType dt = result_type(a_in.dtype(), b_in.dtype());
  Tensor a = detail::to_compute(a_in, dt), b = detail::to_compute(b_in, dt);
  if (a_vec) a = ops::reshape(a, Shape{1, as[0]});
  if (b_vec) b = ops::reshape(b, Shape{bs[0], 1});

  Tensor y;
  // (batch..., m, k) · (k, n): fold the batch into m. One GEMM replaces a
  // batch of small ones, and the weight gradient becomes a single product
  // instead of a batched one summed afterwards (the Dense layer's case).
  if (b.ndim() == 2 && a.ndim() > 2 && a.shape().is_fully_defined() && (a.is_symbolic() || a.is_contiguous())) {
    const int64_t rows = detail::prod_dims(std::vector<int64_t>(a.shape().begin(), a.shape().end() - 1));
    y = detail::mm(ops::reshape(a, Shape{rows, ka}), b, false, false);
    y = ops::reshape(y, a.shape().with_back(b.shape()[1]));
  } else {
    if (a.ndim() < b.ndim()) a = ops::reshape(a, detail::prepend_ones(a.shape(), b.ndim() - a.ndim()));
    if (b.ndim() < a.ndim()) b = ops::reshape(b, detail::prepend_ones(b.shape(), a.ndim() - b.ndim()));
    y = detail::mm(a, b, false, false);
  }
  if (a_vec && b_vec)
    y = ops::reshape(y, Shape{});
  else if (a_vec)
    y = ops::squeeze(y, Axes(-2));
  else if (b_vec)
    y = ops::squeeze(y, Axes(-1));
  return detail::from_compute(y, dt);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  detail::require_defined(a, "dot", "a");
  detail::require_defined(b, "dot", "b");
  if (a.ndim() == 0 || b.ndim() == 0) return ops::multiply(a, b);
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const int64_t ka = as.back(), kb = bs.rank() == 1 ? bs[0] : bs[bs.rank() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    detail::throw_contraction("dot", as, bs, as.rank() == 1 ? "length" : "last dim", ka,
                              bs.rank() == 1 ? "length" : "second-to-last dim", kb);
  // Where NumPy's dot and matmul agree (b of rank <= 2, or a vector a), matmul.
  if (b.ndim() <= 2 || a.ndim() == 1) return ops::matmul(a, b);
  // a (i..., k) · b (j..., k, n) -> (i..., j..., n): broadcast the rows of a
  // against every matrix of b, then move the rows in front of b's batch.
  const DType dt = result_type(a.dtype(), b.dtype());
  const int64_t rows = detail::prod_dims(std::vector<int64_t>(as.begin(), as.end() - 1));
  Tensor a2 = ops::reshape(detail::to_compute(a, dt), Shape{1, rows, ka});
  Tensor bc = detail::to_compute(b, dt);
  const int nb = b.ndim() - 2;
  a2 = ops::reshape(a2, detail::prepend_ones(a2.shape(), nb - 1));
  Tensor y = detail::mm(a2, bc, false, false);  // (j..., rows, n)
  std::vector<int64_t> perm{nb};
  for (int i = 0; i < nb; ++i) perm.push_back(i);
  perm.push_back(nb + 1);
  Shape out(std::span<const int64_t>(as.begin(), as.end() - 1));
  for (int i = 0; i < nb; ++i) out.push_back(bs[i]);
  out.push_back(bs.back());
  return detail::from_compute(ops::reshape(ops::transpose(y, perm), out), dt);
}

// Keras: x1[:, None] * x2[None, :] of the flattened operands. A multiply, not
// a k = 1 GEMM: it broadcasts, promotes and differentiates like any multiply.
Tensor outer(const Tensor& a, const Tensor& b) {
  detail::require_defined(a, "outer", "a");
  detail::require_defined(b, "outer", "b");
  return ops::multiply(ops::reshape(a, Shape{a.shape().numel(), 1}), ops::reshape(b, Shape{1, b.shape().numel()}));
}

Tensor transpose(const Tensor& x, std::optional<std::vector<int64_t>> axes) {
  detail::require_defined(x, "transpose", "x");
  const int r = x.ndim();
  std::vector<int> perm(static_cast<size_t>(r));
  if (!axes) {
    for (int i = 0; i < r; ++i) perm[static_cast<size_t>(i)] = r - 1 - i;
  } else {
    const auto bad = [&] {
      return ValueError("transpose: axes " + detail::dims_str(*axes) + " are not a permutation of the " +
                        std::to_string(r) + " axes of a tensor of shape " + x.shape().str());
    };
    if (static_cast<int>(axes->size()) != r) throw bad();
    std::vector<bool> seen(static_cast<size_t>(r), false);
    for (int i = 0; i < r; ++i) {
      const int64_t ax = (*axes)[static_cast<size_t>(i)];
      if (ax < -r || ax >= r) throw bad();
      const int n = normalize_axis(ax, r, "transpose");
      if (seen[static_cast<size_t>(n)]) throw bad();
      seen[static_cast<size_t>(n)] = true;
      perm[static_cast<size_t>(i)] = n;
    }
  }
  bool identity = true;
  for (int i = 0; i < r; ++i) identity = identity && perm[static_cast<size_t>(i)] == i;
  if (identity) return x;
  return detail::apply1(detail::kTranspose, {x}, detail::make_attrs(detail::TransposeAttrs{perm}));
}

// Two-operand einsum as one batched matmul. Letters are classified as
//   batch (in a, b and the output), contracted (in a and b only),
//   free in a / free in b (in that operand and the output),
//   summed (in one operand only, not in the output: reduced up front),
// then a is laid out as (batch, free_a, contracted) and b as (batch,
// contracted, free_b), each reshaped to 3-D. When an operand's axes already
// lie in the transposed order (bhkd in "bhqd,bhkd->bhqk") the matmul's
// transpose flag reads it in place instead of permuting it.
Tensor einsum(const std::string& subscripts, const Tensor& a_in, const Tensor& b_in) {
  using detail::has;
  detail::require_defined(a_in, "einsum", "a");
  detail::require_defined(b_in, "einsum", "b");
  detail::EinsumSpec spec = detail::parse_einsum(subscripts, a_in, b_in);
  std::vector<int64_t> size(128, -2);  // by letter; -2: not seen
  auto note_sizes = [&](const std::string& sub, const Tensor& t, const char* name) {
    for (size_t i = 0; i < sub.size(); ++i) {
      const int64_t d = t.shape()[static_cast<int>(i)];
      int64_t& s = size[static_cast<size_t>(sub[i])];
      if (s >= 0 && d >= 0 && s != d)
        throw ValueError(std::string("einsum: subscript '") + sub[i] + "' has size " + std::to_string(s) +
                         " in a but " + std::to_string(d) + " in " + name + " in \"" + subscripts + "\"");
      if (s < 0) s = d;
    }
  };
  note_sizes(spec.a, a_in, "a");
  note_sizes(spec.b, b_in, "b");

  const DType dt = result_type(a_in.dtype(), b_in.dtype());
  std::string sa = spec.a, sb = spec.b;
  Tensor a = detail::sum_unshared(detail::to_compute(a_in, dt), sa, sb + spec.out);
  Tensor b = detail::sum_unshared(detail::to_compute(b_in, dt), sb, sa + spec.out);

  std::string batch, contr, free_a, free_b;
  for (char c : sa) {
    if (has(sb, c))
      (has(spec.out, c) ? batch : contr) += c;
    else
      free_a += c;
  }
  for (char c : sb)
    if (!has(sa, c)) free_b += c;
  auto dims_of = [&](const std::string& letters) {
    std::vector<int64_t> d;
    for (char c : letters) d.push_back(size[static_cast<size_t>(c)]);
    return d;
  };
  const int64_t B = detail::prod_dims(dims_of(batch)), M = detail::prod_dims(dims_of(free_a));
  const int64_t K = detail::prod_dims(dims_of(contr)), N = detail::prod_dims(dims_of(free_b));

  Tensor y;  // laid out as batch + free_a + free_b
  if (free_a.empty() && free_b.empty()) {
    // Batched dot products ("ij,ij->i", "i,i->"): a multiply and a sum beat a
    // batch of 1 x 1 GEMMs.
    Tensor a2 = ops::reshape(detail::permute(a, detail::perm_to(sa, batch + contr)), Shape{B, K});
    Tensor b2 = ops::reshape(detail::permute(b, detail::perm_to(sb, batch + contr)), Shape{B, K});
    y = ops::sum(ops::multiply(a2, b2), Axes(-1));
  } else {
    const auto pa = detail::perm_to(sa, batch + free_a + contr), pa_t = detail::perm_to(sa, batch + contr + free_a);
    const bool ta = !detail::is_identity(pa) && detail::is_identity(pa_t);
    const auto pb = detail::perm_to(sb, batch + contr + free_b), pb_t = detail::perm_to(sb, batch + free_b + contr);
    const bool tb = !detail::is_identity(pb) && detail::is_identity(pb_t);
    Tensor a3 = ops::reshape(detail::permute(a, ta ? pa_t : pa), ta ? Shape{B, K, M} : Shape{B, M, K});
    Tensor b3 = ops::reshape(detail::permute(b, tb ? pb_t : pb), tb ? Shape{B, N, K} : Shape{B, K, N});
    y = detail::mm(a3, b3, ta, tb);
  }
  const std::string have = batch + free_a + free_b;
  y = ops::reshape(y, Shape(dims_of(have)));
  return detail::from_compute(detail::permute(y, detail::perm_to(have, spec.out)), dt);
}

}  // namespace ops
}  // namespace keras
