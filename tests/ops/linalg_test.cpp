// Linear algebra (matmul, dot, outer, transpose, einsum): hand-worked values,
// NumPy fixtures (tests/fixtures/linalg.npz, made by gen_linalg_fixtures.py),
// every kernel path (oneDNN, the blocked loop, transposed and strided
// operands, broadcast batches, each dtype) against a brute-force reference,
// determinism, thread safety, errors, symbolic shapes and gradient cases.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/matmul.hpp"
#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "keras/npy.hpp"

namespace keras::testing {
namespace {

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = npy::load_npz(fixture("linalg.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw NotFoundError("linalg.npz has no array " + key);
  return it->second;
}

Tensor f64(const Tensor& t) { return ops::cast(t, DType::float64); }

// Brute-force op(a) · op(b) in double for equal-rank operands whose batch
// dims broadcast; op transposes the last two dims when its flag is set.
Tensor reference(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const int r = a.ndim();
  const Shape& as = a.shape();
  const Shape& bs = b.shape();
  const int64_t m = ta ? as[r - 1] : as[r - 2], k = ta ? as[r - 2] : as[r - 1];
  const int64_t n = tb ? bs[r - 2] : bs[r - 1];
  Shape out;
  for (int i = 0; i < r - 2; ++i) out.push_back(std::max(as[i], bs[i]));
  out.push_back(m);
  out.push_back(n);
  const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  std::vector<double> cv(static_cast<size_t>(out.numel()));
  int64_t batches = 1;
  for (int i = 0; i < r - 2; ++i) batches *= out[i];
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t rem = bi, oa = 0, ob = 0, sa = as[r - 2] * as[r - 1], sb = bs[r - 2] * bs[r - 1];
    for (int d = r - 3; d >= 0; --d) {
      const int64_t idx = rem % out[d];
      rem /= out[d];
      oa += (as[d] == 1 ? 0 : idx) * sa;
      ob += (bs[d] == 1 ? 0 : idx) * sb;
      sa *= as[d];
      sb *= bs[d];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double x = av[static_cast<size_t>(oa + (ta ? p * m + i : i * k + p))];
          const double y = bv[static_cast<size_t>(ob + (tb ? j * k + p : p * n + j))];
          acc += x * y;
        }
        cv[static_cast<size_t>((bi * m + i) * n + j)] = acc;
      }
  }
  return Tensor(cv, out);
}

// Runs the kernel directly (the primitive's transpose flags are not public).
Tensor kernel(const Tensor& a, const Tensor& b, bool ta, bool tb, DType dt) {
  const int r = a.ndim();
  Shape out;
  for (int i = 0; i < r - 2; ++i) out.push_back(std::max(a.shape()[i], b.shape()[i]));
  out.push_back(ta ? a.shape()[r - 1] : a.shape()[r - 2]);
  out.push_back(tb ? b.shape()[r - 2] : b.shape()[r - 1]);
  Tensor c = Tensor::empty(out, dt);
  backend::cpu::matmul(a, b, ta, tb, c);
  return c;
}

// ---- hand-worked values ------------------------------------------------------------------------

TEST(Matmul, TwoByTwo) {
  // [[1, 2], [3, 4]] · [[5, 6], [7, 8]]:
  //   row 0: 1*5 + 2*7 = 19, 1*6 + 2*8 = 22
  //   row 1: 3*5 + 4*7 = 43, 3*6 + 4*8 = 50
  Tensor y = ops::matmul(Tensor({{1, 2}, {3, 4}}), Tensor({{5, 6}, {7, 8}}));
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
}

TEST(Matmul, TwoByThreeTimesThreeByTwo) {
  // [[1, 2, 3], [4, 5, 6]] · [[7, 8], [9, 10], [11, 12]]:
  //   1*7 + 2*9 + 3*11 = 58    1*8 + 2*10 + 3*12 = 64
  //   4*7 + 5*9 + 6*11 = 139   4*8 + 5*10 + 6*12 = 154
  Tensor y = ops::matmul(Tensor({{1, 2, 3}, {4, 5, 6}}), Tensor({{7, 8}, {9, 10}, {11, 12}}));
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{58, 64, 139, 154}));
}

TEST(Matmul, VectorOperandsLoseTheirAddedDim) {
  const Tensor m({{1, 2}, {3, 4}});
  // [[1, 2], [3, 4]] · [1, 1] = [1 + 2, 3 + 4] = [3, 7]
  Tensor mv = ops::matmul(m, Tensor({1, 1}));
  EXPECT_EQ(mv.shape(), (Shape{2}));
  EXPECT_EQ(mv.to_vector<float>(), (std::vector<float>{3, 7}));
  // [1, 1] · [[1, 2], [3, 4]] = [1 + 3, 2 + 4] = [4, 6]
  Tensor vm = ops::matmul(Tensor({1, 1}), m);
  EXPECT_EQ(vm.shape(), (Shape{2}));
  EXPECT_EQ(vm.to_vector<float>(), (std::vector<float>{4, 6}));
  // [1, 2, 3] · [4, 5, 6] = 4 + 10 + 18 = 32, a 0-d result
  Tensor vv = ops::matmul(Tensor({1, 2, 3}), Tensor({4, 5, 6}));
  EXPECT_EQ(vv.shape(), (Shape{}));
  EXPECT_EQ(vv.item<float>(), 32.f);
}

TEST(Matmul, BatchBroadcastsAgainstAMatrix) {
  // a = [I, 2I] (2, 2, 2), b = [[1, 2], [3, 4]]: the batch is [b, 2b].
  Tensor a(std::vector<float>{1, 0, 0, 1, 2, 0, 0, 2}, Shape{2, 2, 2});
  Tensor y = ops::matmul(a, Tensor({{1, 2}, {3, 4}}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 2, 4, 6, 8}));
  // The matrix on the left: [[1, 2], [3, 4]] · I = itself; · 2I = twice it.
  Tensor z = ops::matmul(Tensor({{1, 2}, {3, 4}}), a);
  EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 2, 4, 6, 8}));
}

TEST(Matmul, BroadcastBothBatchDims) {
  // a (2, 1, 1, 1) = [[[[1]]], [[[2]]]], b (1, 3, 1, 1) = [10, 20, 30]:
  // out[i, j] = a[i] * b[j].
  Tensor a(std::vector<float>{1, 2}, Shape{2, 1, 1, 1});
  Tensor b(std::vector<float>{10, 20, 30}, Shape{1, 3, 1, 1});
  Tensor y = ops::matmul(a, b);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{10, 20, 30, 20, 40, 60}));
}

TEST(Matmul, IntegerDtypes) {
  Tensor a(std::vector<int32_t>{1, 2, 3, 4}, Shape{2, 2});
  Tensor b(std::vector<int32_t>{5, 6, 7, 8}, Shape{2, 2});
  Tensor y = ops::matmul(a, b);
  EXPECT_EQ(y.dtype(), DType::int32);
  EXPECT_EQ(y.to_vector<int32_t>(), (std::vector<int32_t>{19, 22, 43, 50}));
  Tensor y64 = ops::matmul(ops::cast(a, DType::int64), ops::cast(b, DType::int64));
  EXPECT_EQ(y64.dtype(), DType::int64);
  EXPECT_EQ(y64.to_vector<int64_t>(), (std::vector<int64_t>{19, 22, 43, 50}));
  // uint8 wraps as NumPy's does: 200 * 2 + 100 * 1 = 500 = 244 (mod 256).
  Tensor u =
      ops::matmul(Tensor(std::vector<uint8_t>{200, 100}, Shape{1, 2}), Tensor(std::vector<uint8_t>{2, 1}, Shape{2, 1}));
  EXPECT_EQ(u.dtype(), DType::uint8);
  EXPECT_EQ(u.to_vector<uint8_t>(), (std::vector<uint8_t>{244}));
  // int32 wraps too: 65536 * 65536 = 2^32 = 0 (mod 2^32), + 1 * 1 = 1.
  Tensor w = ops::matmul(Tensor(std::vector<int32_t>{65536, 1}, Shape{1, 2}),
                         Tensor(std::vector<int32_t>{65536, 1}, Shape{2, 1}));
  EXPECT_EQ(w.to_vector<int32_t>(), (std::vector<int32_t>{1}));
}

TEST(Matmul, BoolIsLogical) {
  // [[T, F], [F, F]] · [[F, T], [T, F]] = [[T & F | F & T, T & T | F & F], [F, F]] = [[F, T], [F, F]]
  const bool av[] = {true, false, false, false}, bv[] = {false, true, true, false};
  Tensor a = Tensor::from_bytes(av, DType::bool_, Shape{2, 2});
  Tensor b = Tensor::from_bytes(bv, DType::bool_, Shape{2, 2});
  Tensor y = ops::matmul(a, b);
  EXPECT_EQ(y.dtype(), DType::bool_);
  EXPECT_EQ(y.to_vector<bool>(), (std::vector<bool>{false, true, false, false}));
}

TEST(Matmul, DtypePromotion) {
  Tensor i = ops::cast(Tensor({{1, 2}, {3, 4}}), DType::int32);
  Tensor f = Tensor({{1, 0}, {0, 1}});
  Tensor y = ops::matmul(i, f);
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(ops::matmul(f, ops::cast(f, DType::float64)).dtype(), DType::float64);
  // Half types are multiplied in float32 and keep their dtype.
  Tensor h = ops::matmul(ops::cast(i, DType::float16), ops::cast(f, DType::float16));
  EXPECT_EQ(h.dtype(), DType::float16);
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(ops::matmul(ops::cast(i, DType::bfloat16), f).dtype(), DType::float32);
}

TEST(Matmul, EmptyDims) {
  // k = 0: an empty sum, all zeros.
  Tensor y = ops::matmul(ops::ones({2, 0}), ops::ones({0, 3}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(6, 0.f));
  EXPECT_EQ(ops::matmul(ops::ones({0, 4}), ops::ones({4, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(ops::matmul(ops::ones({5, 0, 4}), ops::ones({4, 3})).shape(), (Shape{5, 0, 3}));
}

TEST(Dot, NumpyRulesByHand) {
  // Scalars multiply: 2 * [[1, 2]] = [[2, 4]].
  Tensor s = ops::dot(Tensor::scalar(2.f), Tensor({{1, 2}}));
  EXPECT_EQ(s.shape(), (Shape{1, 2}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{2, 4}));
  // 1-D · 1-D is the inner product: 1*4 + 2*5 + 3*6 = 32.
  EXPECT_EQ(ops::dot(Tensor({1, 2, 3}), Tensor({4, 5, 6})).item<float>(), 32.f);
  // N-D · 1-D sums over a's last axis: [[1, 2], [3, 4]] · [1, 10] = [21, 43].
  EXPECT_EQ(ops::dot(Tensor({{1, 2}, {3, 4}}), Tensor({1, 10})).to_vector<float>(), (std::vector<float>{21, 43}));
  // N-D · M-D: a (1, 2) = [[1, 2]], b (2, 2, 1) = [[[1], [1]], [[2], [3]]]:
  //   out[0, j, 0] = 1 * b[j, 0, 0] + 2 * b[j, 1, 0] -> j=0: 1 + 2 = 3, j=1: 2 + 6 = 8
  Tensor b(std::vector<float>{1, 1, 2, 3}, Shape{2, 2, 1});
  Tensor y = ops::dot(Tensor({{1, 2}}), b);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 8}));
}

TEST(Outer, ByHand) {
  // [1, 2] ⊗ [3, 4, 5] = [[3, 4, 5], [6, 8, 10]]
  Tensor y = ops::outer(Tensor({1, 2}), Tensor({3, 4, 5}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 4, 5, 6, 8, 10}));
  // Inputs are flattened, as numpy.outer does.
  EXPECT_EQ(ops::outer(Tensor({{1, 2}, {3, 4}}), Tensor({1})).shape(), (Shape{4, 1}));
}

TEST(Transpose, IsAViewWithPermutedStrides) {
  Tensor x({{1, 2, 3}, {4, 5, 6}});
  Tensor t = ops::transpose(x);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.strides()[0], 1);
  EXPECT_EQ(t.strides()[1], 3);
  EXPECT_EQ(t.raw_data(), x.raw_data());  // shares the storage: no copy
  EXPECT_NE(t.id(), x.id());
  // Transposing back gives a contiguous view of the same data.
  Tensor tt = ops::transpose(t);
  EXPECT_TRUE(tt.is_contiguous());
  EXPECT_EQ(tt.to_vector<float>(), x.to_vector<float>());
}

TEST(Transpose, ExplicitAxes) {
  // x[i, j, k] = 100 i + 10 j + k, shape (2, 3, 4); y = x.transpose(1, 0, 2).
  std::vector<float> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(static_cast<float>(100 * i + 10 * j + k));
  Tensor x(v, Shape{2, 3, 4});
  Tensor y = ops::transpose(x, std::vector<int64_t>{1, -3, 2});
  EXPECT_EQ(y.shape(), (Shape{3, 2, 4}));
  auto yv = y.to_vector<float>();
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k) EXPECT_EQ(yv[static_cast<size_t>((j * 2 + i) * 4 + k)], 100 * i + 10 * j + k);
  // Identity permutations (and rank 0 / 1) return the input itself.
  EXPECT_EQ(ops::transpose(x, std::vector<int64_t>{0, 1, 2}).id(), x.id());
  Tensor v1({1, 2, 3});
  EXPECT_EQ(ops::transpose(v1).to_vector<float>(), v1.to_vector<float>());
  // A view of a view composes the strides.
  Tensor z = ops::transpose(y, std::vector<int64_t>{2, 0, 1});  // (4, 3, 2): z[k, j, i] = x[i, j, k]
  EXPECT_EQ(z.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(z.to_vector<float>()[static_cast<size_t>((3 * 3 + 2) * 2 + 1)], 100 + 20 + 3);
}

TEST(Transpose, ViewAsMatmulOperand) {
  // a^T with a = [[1, 3], [2, 4]] is [[1, 2], [3, 4]]; · [[5, 6], [7, 8]] = [[19, 22], [43, 50]].
  Tensor at = ops::transpose(Tensor({{1, 3}, {2, 4}}));
  Tensor y = ops::matmul(at, Tensor({{5, 6}, {7, 8}}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
}

TEST(Einsum, ByHand) {
  const Tensor a({{1, 2}, {3, 4}}), b({{5, 6}, {7, 8}});
  EXPECT_EQ(ops::einsum("ij,jk->ik", a, b).to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
  // a · b^T: [[1*5 + 2*6, 1*7 + 2*8], [3*5 + 4*6, 3*7 + 4*8]] = [[17, 23], [39, 53]]
  EXPECT_EQ(ops::einsum("ij,kj->ik", a, b).to_vector<float>(), (std::vector<float>{17, 23, 39, 53}));
  // Row-wise dot products: [1*5 + 2*6, 3*7 + 4*8] = [17, 53]
  EXPECT_EQ(ops::einsum("ij,ij->i", a, b).to_vector<float>(), (std::vector<float>{17, 53}));
  // Full contraction: 5 + 12 + 21 + 32 = 70
  Tensor s = ops::einsum("ij,ij->", a, b);
  EXPECT_EQ(s.shape(), (Shape{}));
  EXPECT_EQ(s.item<float>(), 70.f);
  // (a · b)^T via the output order: [[19, 43], [22, 50]]
  EXPECT_EQ(ops::einsum("ij,jk->ki", a, b).to_vector<float>(), (std::vector<float>{19, 43, 22, 50}));
  // Spaces are ignored.
  EXPECT_EQ(ops::einsum(" i j , j k -> i k ", a, b).to_vector<float>(), (std::vector<float>{19, 22, 43, 50}));
}

// ---- NumPy fixtures ----------------------------------------------------------------------------

void expect_fixture(const std::string& name, const Tensor& y, double rtol = 1e-5, double atol = 1e-5) {
  SCOPED_TRACE(name);
  const Tensor want = fx(name);
  EXPECT_EQ(y.shape(), want.shape());
  if (is_floating(want.dtype())) {
    EXPECT_TRUE(all_close(f64(y), want, rtol, atol));
  } else {
    EXPECT_EQ(ops::cast(y, DType::int64).to_vector<int64_t>(), ops::cast(want, DType::int64).to_vector<int64_t>());
  }
}

TEST(Matmul, MatchesNumpy) {
  for (const std::string name : {"matmul_2d", "matmul_big", "matmul_batched", "matmul_bcast", "matmul_bcast_rank",
                                 "matmul_bcast_big", "matmul_vec_mat", "matmul_mat_vec", "matmul_vec_batch",
                                 "matmul_batch_vec", "matmul_vec_vec", "matmul_f64", "matmul_i32"}) {
    const Tensor a = fx(name + "_a"), b = fx(name + "_b");
    Tensor y = ops::matmul(a, b);
    EXPECT_EQ(y.dtype(), a.dtype()) << name;
    expect_fixture(name, y, a.dtype() == DType::float64 ? 1e-12 : 1e-5);
  }
}

TEST(Dot, MatchesNumpy) {
  for (const std::string name :
       {"dot_vec_vec", "dot_mat_mat", "dot_nd_vec", "dot_vec_nd", "dot_nd_md", "dot_nd_4d", "dot_scalar"})
    expect_fixture(name, ops::dot(fx(name + "_a"), fx(name + "_b")));
}

TEST(Outer, MatchesNumpy) {
  for (const std::string name : {"outer_vec", "outer_mat"})
    expect_fixture(name, ops::outer(fx(name + "_a"), fx(name + "_b")));
}

TEST(Einsum, MatchesNumpy) {
  // The same subscripts, in the same order, as EINSUM in gen_linalg_fixtures.py.
  const std::vector<std::string> subs = {
      "ij,jk->ik",       "bij,bjk->bik", "i,i->",     "ij,ij->i",  "bhqd,bhkd->bhqk",
      "bhqk,bhkd->bhqd", "ij,kj->ik",    "ji,jk->ik", "ij,jk->ki", "i,j->ij",
      "bi,bj->bij",      "ijk,jl->ilk",  "ij,jk",     "abc,cd->",  "ij,k->ik",
  };
  for (size_t i = 0; i < subs.size(); ++i) {
    const std::string name = "einsum_" + std::to_string(i);
    SCOPED_TRACE(subs[i]);
    expect_fixture(name, ops::einsum(subs[i], fx(name + "_a"), fx(name + "_b")));
  }
}

// ---- every kernel path against the brute-force reference -----------------------------------

struct KernelCase {
  Shape a, b;  // as stored (before the transpose flags)
  bool ta, tb;
};

TEST(MatmulKernel, AllPathsMatchReference) {
  const std::vector<KernelCase> cases = {
      {{3, 4}, {4, 5}, false, false},
      {{4, 3}, {4, 5}, true, false},
      {{3, 4}, {5, 4}, false, true},
      {{4, 3}, {5, 4}, true, true},
      // past the oneDNN threshold, every transpose combination
      {{70, 90}, {90, 40}, false, false},
      {{90, 70}, {90, 40}, true, false},
      {{70, 90}, {40, 90}, false, true},
      {{90, 70}, {40, 90}, true, true},
      // past the loop's cache blocks (k > 128, n > 256, m > 64), with a packed B
      {{70, 300}, {270, 300}, false, true},
      {{2, 1, 33, 65}, {1, 3, 65, 17}, false, false},
      {{2, 1, 65, 33}, {1, 3, 17, 65}, true, true},
      {{1, 7, 1}, {5, 1, 9}, false, false},  // outer products over broadcast batches
      {{4, 1, 9}, {4, 9, 1}, false, false},  // batched dot products
  };
  for (const auto& c : cases) {
    for (DType dt : {DType::float32, DType::float64, DType::int32, DType::int64}) {
      SCOPED_TRACE(c.a.str() + " x " + c.b.str() + " ta=" + std::to_string(c.ta) + " tb=" + std::to_string(c.tb) + " " +
                   std::string(dtype_name(dt)));
      // Small integers keep float32 sums exact enough and integer sums in range.
      Tensor a = ops::cast(ops::round(uniform(c.a, -4, 4, 3)), dt);
      Tensor b = ops::cast(ops::round(uniform(c.b, -4, 4, 5)), dt);
      Tensor y = kernel(a, b, c.ta, c.tb, dt);
      EXPECT_TRUE(all_close(f64(y), reference(a, b, c.ta, c.tb), 0, 0));
    }
  }
}

TEST(MatmulKernel, StridedViewsAreReadInPlaceOrCopied) {
  // (0, 2, 1) transposes each matrix (read in place through strides); (1, 0, 2)
  // makes the batch stride smaller than a matrix (also in place); a view whose
  // matrix has no unit stride is copied first.
  for (DType dt : {DType::float32, DType::float64}) {
    for (const Shape& inner : {Shape{6, 40, 50}, Shape{3, 4, 5}}) {
      Tensor base = ops::cast(uniform(inner, -1, 1, 11), dt);
      Tensor other = ops::cast(uniform(Shape{inner[0], inner[1], 30}, -1, 1, 12), dt);
      Tensor t021 = ops::transpose(base, std::vector<int64_t>{0, 2, 1});  // (B, 50, 40)
      EXPECT_TRUE(all_close(f64(ops::matmul(t021, other)), reference(base, other, true, false), 1e-5, 1e-5));
      Tensor base2 = ops::cast(uniform(Shape{inner[1], inner[0], inner[2]}, -1, 1, 13), dt);
      Tensor t102 = ops::transpose(base2, std::vector<int64_t>{1, 0, 2});  // (B, rows, 50)
      Tensor rhs = ops::cast(uniform(Shape{inner[0], inner[2], 7}, -1, 1, 14), dt);
      EXPECT_TRUE(all_close(f64(ops::matmul(t102, rhs)), reference(t102.contiguous(), rhs, false, false), 1e-5, 1e-5));
      Tensor t201 = ops::transpose(base, std::vector<int64_t>{2, 0, 1});  // matrix dims (B, 40): no unit stride
      Tensor rhs2 = ops::cast(uniform(Shape{inner[2], inner[1], 3}, -1, 1, 15), dt);
      EXPECT_TRUE(
          all_close(f64(ops::matmul(t201, rhs2)), reference(t201.contiguous(), rhs2, false, false), 1e-5, 1e-5));
    }
  }
}

TEST(MatmulKernel, Float32PrimitivesAreCached) {
  Tensor a = uniform({64, 96}, -1, 1, 1, DType::float32), b = uniform({96, 80}, -1, 1, 2, DType::float32);
  ops::matmul(a, b);
  const size_t before = backend::cpu::matmul_cache_size();
  for (int i = 0; i < 5; ++i) ops::matmul(a, b);
  EXPECT_EQ(backend::cpu::matmul_cache_size(), before);
  ops::matmul(uniform({64, 97}, -1, 1, 1, DType::float32), uniform({97, 80}, -1, 1, 2, DType::float32));
  EXPECT_EQ(backend::cpu::matmul_cache_size(), before + 1);
}

TEST(MatmulKernel, ConcurrentCallsShareThePrimitiveCache) {
  // One primitive run from several threads at once (user-managed scratchpad).
  Tensor a = uniform({128, 160}, -1, 1, 21, DType::float32), b = uniform({160, 96}, -1, 1, 22, DType::float32);
  const Tensor want = reference(a, b, false, false);
  std::vector<Tensor> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) got[static_cast<size_t>(t)] = ops::matmul(a, b);
    });
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_TRUE(all_close(f64(g), want, 1e-5, 1e-5));
}

TEST(MatmulKernel, LoopIsDeterministicAcrossThreadCounts) {
  // float64 runs on the blocked loop, whose sums over k run in a fixed order.
  Tensor a = uniform({3, 130, 300}), b = uniform({3, 300, 270});
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = ops::matmul(a, b).to_vector<double>();
  omp_set_num_threads(2);
  const auto two = ops::matmul(a, b).to_vector<double>();
  omp_set_num_threads(saved);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(double)), 0);
  // float32 through oneDNN: the same at a fixed thread count.
  Tensor af = ops::cast(a, DType::float32), bf = ops::cast(b, DType::float32);
  EXPECT_EQ(ops::matmul(af, bf).to_vector<float>(), ops::matmul(af, bf).to_vector<float>());
}

// ---- errors ------------------------------------------------------------------------------------

TEST(LinalgErrors, Matmul) {
  expect_error<ValueError>(
      [] {
        ops::matmul(ops::ones({2, 3}), ops::ones({4, 5}));
      },
      "matmul: incompatible shapes (2, 3) and (4, 5): the last dim of a (3) must equal the "
      "second-to-last dim of b (4)");
  expect_error<ValueError>([] { ops::matmul(ops::ones({3}), ops::ones({4})); },
                           "matmul: incompatible shapes (3,) and (4,): the length of a (3) must equal the length of "
                           "b (4)");
  expect_error<ValueError>(
      [] {
        ops::matmul(ops::ones({2, 3}), ops::ones({4}));
      },
      "the last dim of a (3) must equal the length of b (4)");
  expect_error<ValueError>(
      [] {
        ops::matmul(ops::ones({2, 3, 4}), ops::ones({5, 4, 2}));
      },
      "matmul: incompatible shapes (2, 3, 4) and (5, 4, 2): the batch dims (2,) and (5,) cannot "
      "be broadcast together");
  expect_error<ValueError>(
      [] {
        ops::matmul(Tensor::scalar(1.f), ops::ones({2, 2}));
      },
      "matmul: operands must have at least 1 dimension, got shapes () and (2, 2)");
  expect_error<ValueError>([] { ops::matmul(Tensor(), ops::ones({2, 2})); }, "matmul: a is an undefined tensor");
}

TEST(LinalgErrors, DotOuterTranspose) {
  expect_error<ValueError>(
      [] {
        ops::dot(ops::ones({2, 3, 4}), ops::ones({5, 3, 6}));
      },
      "dot: incompatible shapes (2, 3, 4) and (5, 3, 6): the last dim of a (4) must equal the "
      "second-to-last dim of b (3)");
  expect_error<ValueError>(
      [] {
        ops::transpose(ops::ones({2, 3}), std::vector<int64_t>{0, 0});
      },
      "transpose: axes (0, 0) are not a permutation of the 2 axes of a tensor of shape (2, 3)");
  expect_error<ValueError>(
      [] {
        ops::transpose(ops::ones({2, 3}), std::vector<int64_t>{0});
      },
      "transpose: axes (0,) are not a permutation");
  expect_error<ValueError>(
      [] {
        ops::transpose(ops::ones({2, 3}), std::vector<int64_t>{0, 2});
      },
      "are not a permutation");
}

TEST(LinalgErrors, Einsum) {
  const Tensor a = ops::ones({2, 3}), b = ops::ones({3, 4});
  expect_error<ValueError>([&] { ops::einsum("ij,jk,kl->il", a, b); }, "einsum: expected subscripts for exactly two");
  expect_error<ValueError>([&] { ops::einsum("ij->ji", a, b); }, "exactly two operands");
  expect_error<ValueError>([&] { ops::einsum("...j,jk->...k", a, b); }, "einsum: ellipsis ('...') is not supported");
  expect_error<ValueError>(
      [&] {
        ops::einsum("ii,jk->ik", ops::ones({3, 3}), b);
      },
      "einsum: repeated subscript 'i' within one operand");
  expect_error<ValueError>([&] { ops::einsum("ij,jk->iik", a, b); },
                           "einsum: output subscript 'i' appears more than once");
  expect_error<ValueError>([&] { ops::einsum("ij,jk->iz", a, b); },
                           "einsum: output subscript 'z' does not appear in the inputs");
  expect_error<ValueError>([&] { ops::einsum("ijk,jk->i", a, b); },
                           "einsum: subscripts 'ijk' name 3 axes but a has shape (2, 3)");
  expect_error<ValueError>([&] { ops::einsum("ij,kj->ik", a, b); }, "einsum: subscript 'j' has size 3 in a but 4 in b");
  expect_error<ValueError>([&] { ops::einsum("i1,jk->ik", a, b); }, "einsum: invalid character '1'");
}

// ---- symbolic shapes ---------------------------------------------------------------------------

TEST(LinalgSymbolic, ShapesWithUnknownBatch) {
  Tensor x = graph::placeholder({-1, 784});
  Tensor w = ops::ones({784, 256});
  Tensor y = ops::matmul(x, w);
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.shape(), (Shape{-1, 256}));
  Tensor x3 = graph::placeholder({-1, 4, 8});
  EXPECT_EQ(ops::matmul(x3, ops::ones({8, 2})).shape(), (Shape{-1, 4, 2}));
  EXPECT_EQ(ops::transpose(x3).shape(), (Shape{8, 4, -1}));
  EXPECT_EQ(ops::einsum("bij,bkj->bik", x3, x3).shape(), (Shape{-1, 4, 4}));
  expect_error<ValueError>(
      [&] {
        ops::matmul(x3, ops::ones({7, 2}));
      },
      "matmul: incompatible shapes (None, 4, 8) and (7, 2)");
  // And the graph computes what eager mode does.
  Tensor batch = uniform({3, 784}, -1, 1, 9, DType::float32);
  Tensor got = graph::evaluate({y}, {{x, batch}})[0];
  EXPECT_TRUE(all_close(f64(got), f64(ops::matmul(batch, w)), 1e-6, 1e-6));
}

// ---- gradients (float64 central differences, tests/harness) ------------------------------------

inputs two(const Tensor& a, const Tensor& b) { return inputs{a, b}; }
const GradCheckOptions kDefault{};

KERAS_GRAD_CASE(matmul_2d, "matmul", ([] {
                  return two(uniform({3, 4}, -1, 1, 1), uniform({4, 5}, -1, 1, 2));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(matmul_batched, "matmul", ([] {
                  return two(uniform({2, 3, 4}, -1, 1, 3), uniform({2, 4, 2}, -1, 1, 4));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }));
KERAS_GRAD_CASE(matmul_broadcast_batch, "matmul", ([] {
                  return two(uniform({2, 1, 3, 4}, -1, 1, 5), uniform({1, 3, 4, 2}, -1, 1, 6));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(matmul_broadcast_rank, "matmul", ([] {
                  return two(uniform({3, 4}, -1, 1, 7), uniform({2, 4, 5}, -1, 1, 8));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }));
KERAS_GRAD_CASE(matmul_fold_nd_2d, "matmul", ([] {
                  return two(uniform({2, 3, 4}, -1, 1, 9), uniform({4, 5}, -1, 1, 10));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }));
KERAS_GRAD_CASE(matmul_vec_mat, "matmul", ([] {
                  return two(uniform({4}, -1, 1, 11), uniform({2, 4, 3}, -1, 1, 12));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }));
KERAS_GRAD_CASE(matmul_mat_vec, "matmul", ([] {
                  return two(uniform({3, 4}, -1, 1, 13), uniform({4}, -1, 1, 14));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }));
KERAS_GRAD_CASE(matmul_noncontiguous, "matmul", ([] {
                  return two(noncontiguous({3, 4}), uniform({4, 2}, -1, 1, 15));
                }),
                ([](const inputs& x) { return ops::matmul(x[0], x[1]); }));
// The transpose flags of the primitive, reached through einsum.
KERAS_GRAD_CASE(matmul_transpose_b, "matmul", ([] {
                  return two(uniform({3, 4}, -1, 1, 16), uniform({5, 4}, -1, 1, 17));
                }),
                ([](const inputs& x) { return ops::einsum("ij,kj->ik", x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(matmul_transpose_a, "matmul", ([] {
                  return two(uniform({4, 3}, -1, 1, 18), uniform({4, 5}, -1, 1, 19));
                }),
                ([](const inputs& x) { return ops::einsum("ji,jk->ik", x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(matmul_transpose_both, "matmul", ([] {
                  return two(uniform({4, 3}, -1, 1, 20), uniform({5, 4}, -1, 1, 21));
                }),
                ([](const inputs& x) { return ops::einsum("ji,kj->ik", x[0], x[1]); }), kDefault, true);
KERAS_GRAD_CASE(einsum_attention, "matmul", ([] {
                  return two(uniform({2, 2, 3, 4}, -1, 1, 22), uniform({2, 2, 5, 4}, -1, 1, 23));
                }),
                ([](const inputs& x) { return ops::einsum("bhqd,bhkd->bhqk", x[0], x[1]); }));
KERAS_GRAD_CASE(einsum_summed_axis, "matmul", ([] {
                  return two(uniform({3, 4, 2}, -1, 1, 24), uniform({4, 5}, -1, 1, 25));
                }),
                ([](const inputs& x) { return ops::einsum("ijk,jl->li", x[0], x[1]); }));
KERAS_GRAD_CASE(dot_nd_md, "matmul", ([] {
                  return two(uniform({2, 3}, -1, 1, 26), uniform({2, 3, 4}, -1, 1, 27));
                }),
                ([](const inputs& x) { return ops::dot(x[0], x[1]); }));
KERAS_GRAD_CASE(outer_flattened, "multiply", ([] {
                  return two(uniform({2, 2}, -1, 1, 28), uniform({3}, -1, 1, 29));
                }),
                ([](const inputs& x) { return ops::outer(x[0], x[1]); }));
KERAS_GRAD_CASE(transpose_2d, "transpose", ([] {
                  return inputs{uniform({3, 4}, -1, 1, 30)};
                }),
                ([](const inputs& x) { return ops::transpose(x[0]); }), kDefault, true);
KERAS_GRAD_CASE(transpose_3d_axes, "transpose", ([] {
                  return inputs{uniform({2, 3, 4}, -1, 1, 31)};
                }),
                ([](const inputs& x) {
                  return ops::transpose(x[0], std::vector<int64_t>{2, 0, 1});
                }));

}  // namespace
}  // namespace keras::testing
