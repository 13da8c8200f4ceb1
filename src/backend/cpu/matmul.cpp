#include "backend/cpu/matmul.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "backend/cpu/onednn.hpp"
#include "keras/config.hpp"

namespace keras::backend::cpu {
namespace {

// ---- the blocked loop (float64, integers, bool, small float32) ------------------

// Register tile of the micro-kernel: kMr rows of C by two 32-byte vectors
// (16 floats or 8 doubles) stay in registers for a whole k block: 8 AVX2
// registers of accumulators, 2 for the B row, 1 for an A broadcast.
constexpr int64_t kMr = 4;
constexpr int kVecBytes = 32;
// Cache blocks: a task owns a kMc x kNc block of one batch's C and walks k
// in steps of kKc, reading a kKc x kNc panel of B (256 KiB of doubles, an
// L2-sized piece) per step.
constexpr int64_t kMc = 64;
constexpr int64_t kKc = 128;
constexpr int64_t kNc = 256;
// Below this many multiply-adds an OpenMP region costs more than it saves.
constexpr int64_t kParallelMin = int64_t{1} << 16;
// float32 products with fewer multiply-adds than this take the loop: oneDNN
// spends about a microsecond per call on argument binding and dispatch,
// which is about what the loop needs for a 32 x 32 x 32 product (measured:
// the loop 1.7 us on one thread, oneDNN 1.9 us on one and 2.9 us on two).
constexpr int64_t kSmallGemm = int64_t{32} * 32 * 32;

// One multiply-add in the element type. Integers wrap (computed unsigned, so
// overflow is defined) as NumPy's integer matmul does; bool is logical.
template <class T>
inline T mac(T c, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return c + a * b;
  } else if constexpr (std::is_same_v<T, bool>) {
    return c || (a && b);
  } else {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(c) + static_cast<U>(a) * static_cast<U>(b));
  }
}

// Columns of C per register tile.
template <class T>
constexpr int64_t tile_cols() {
  if constexpr (std::is_floating_point_v<T>)
    return 2 * kVecBytes / static_cast<int64_t>(sizeof(T));
  else
    return 16;
}

// C[0:kMr, 0:tile_cols] += A[0:kMr, 0:kb] · B[0:kb, 0:tile_cols], summing
// over p in increasing order. Floating types use GCC / Clang vector types:
// the compiler's own vectorization of this loop left the accumulators in
// memory and ran at scalar speed.
template <class T>
inline void full_tile(const T* a, int64_t ars, int64_t acs, const T* b, int64_t ldb, T* c, int64_t ldc, int64_t kb) {
  if constexpr (std::is_floating_point_v<T>) {
    using V [[gnu::vector_size(kVecBytes)]] = T;
    constexpr int64_t L = kVecBytes / static_cast<int64_t>(sizeof(T));
    // Vectors pass by reference: by value they would change the ABI of these
    // lambdas with the target's vector width (-Wpsabi).
    auto load = [](V& v, const T* p) { std::memcpy(&v, p, sizeof v); };
    auto store = [](T* p, const V& v) { std::memcpy(p, &v, sizeof v); };
    V c00, c01, c10, c11, c20, c21, c30, c31, b0, b1;
    load(c00, c), load(c01, c + L);
    load(c10, c + ldc), load(c11, c + ldc + L);
    load(c20, c + 2 * ldc), load(c21, c + 2 * ldc + L);
    load(c30, c + 3 * ldc), load(c31, c + 3 * ldc + L);
    for (int64_t p = 0; p < kb; ++p) {
      load(b0, b + p * ldb), load(b1, b + p * ldb + L);
      const T* ap = a + p * acs;
      const T a0 = ap[0], a1 = ap[ars], a2 = ap[2 * ars], a3 = ap[3 * ars];
      c00 += b0 * a0, c01 += b1 * a0;
      c10 += b0 * a1, c11 += b1 * a1;
      c20 += b0 * a2, c21 += b1 * a2;
      c30 += b0 * a3, c31 += b1 * a3;
    }
    store(c, c00), store(c + L, c01);
    store(c + ldc, c10), store(c + ldc + L, c11);
    store(c + 2 * ldc, c20), store(c + 2 * ldc + L, c21);
    store(c + 3 * ldc, c30), store(c + 3 * ldc + L, c31);
  } else {
    constexpr int64_t N = tile_cols<T>();
    T acc[kMr][N];
    for (int64_t r = 0; r < kMr; ++r)
      for (int64_t j = 0; j < N; ++j) acc[r][j] = c[r * ldc + j];
    for (int64_t p = 0; p < kb; ++p)
      for (int64_t r = 0; r < kMr; ++r) {
        const T av = a[r * ars + p * acs];
        for (int64_t j = 0; j < N; ++j) acc[r][j] = mac(acc[r][j], av, b[p * ldb + j]);
      }
    for (int64_t r = 0; r < kMr; ++r)
      for (int64_t j = 0; j < N; ++j) c[r * ldc + j] = acc[r][j];
  }
}

// As full_tile for floating types, one vector wide: the 8..15 float (4..7
// double) columns left at the right edge of a block.
template <class T>
inline void half_tile(const T* a, int64_t ars, int64_t acs, const T* b, int64_t ldb, T* c, int64_t ldc, int64_t kb) {
  using V [[gnu::vector_size(kVecBytes)]] = T;
  auto load = [](V& v, const T* p) { std::memcpy(&v, p, sizeof v); };
  auto store = [](T* p, const V& v) { std::memcpy(p, &v, sizeof v); };
  V c0, c1, c2, c3, bv;
  load(c0, c), load(c1, c + ldc), load(c2, c + 2 * ldc), load(c3, c + 3 * ldc);
  for (int64_t p = 0; p < kb; ++p) {
    load(bv, b + p * ldb);
    const T* ap = a + p * acs;
    c0 += bv * ap[0], c1 += bv * ap[ars], c2 += bv * ap[2 * ars], c3 += bv * ap[3 * ars];
  }
  store(c, c0), store(c + ldc, c1), store(c + 2 * ldc, c2), store(c + 3 * ldc, c3);
}

// The ragged edges of a block, one output element at a time, in the same
// p order as full_tile.
template <class T>
inline void edge_tile(const T* a, int64_t ars, int64_t acs, const T* b, int64_t ldb, T* c, int64_t ldc, int64_t kb,
                      int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) {
      T acc = c[r * ldc + j];
      for (int64_t p = 0; p < kb; ++p) acc = mac(acc, a[r * ars + p * acs], b[p * ldb + j]);
      c[r * ldc + j] = acc;
    }
}

template <class T>
void loop_matmul(int rank, const MatmulOperand& a, const MatmulOperand& b, const int64_t* c_dims, T* c) {
  constexpr int64_t kNr = tile_cols<T>();
  const int nbatch = rank - 2;
  const int64_t m = c_dims[rank - 2], n = c_dims[rank - 1], k = a.dims[rank - 1];
  const int64_t ars = a.strides[rank - 2], acs = a.strides[rank - 1];
  const int64_t brs = b.strides[rank - 2], bcs = b.strides[rank - 1];
  int64_t batches = 1;
  for (int d = 0; d < nbatch; ++d) batches *= c_dims[d];
  // A task computes one kMc x kNc block of one batch's C over the whole k
  // range, so every output element is summed by one task in one order.
  const int64_t mblocks = (m + kMc - 1) / kMc, nblocks = (n + kNc - 1) / kNc;
  const int64_t tasks = batches * mblocks * nblocks;
  const T* A = static_cast<const T*>(a.data);
  const T* B = static_cast<const T*>(b.data);
  // B is read in place when its rows are contiguous; otherwise (a transposed
  // or column-strided B) each task packs its panels, which costs 1 / kMc of
  // the panel's multiply-adds.
  const bool pack = bcs != 1;

  auto run_task = [&](int64_t t) {
    // A plain array, not std::vector: std::vector<bool> packs bits.
    static thread_local std::unique_ptr<T[]> panel;
    const int64_t bi = t / (mblocks * nblocks);
    const int64_t i0 = (t / nblocks % mblocks) * kMc, i1 = std::min(m, i0 + kMc);
    const int64_t j0 = (t % nblocks) * kNc, nb = std::min(kNc, n - j0);
    int64_t oa = 0, ob = 0;  // this batch's matrices; a broadcast dim does not move
    int64_t rem = bi;
    for (int d = nbatch - 1; d >= 0; --d) {
      const int64_t idx = rem % c_dims[d];
      rem /= c_dims[d];
      if (a.dims[d] != 1) oa += idx * a.strides[d];
      if (b.dims[d] != 1) ob += idx * b.strides[d];
    }
    const T* Ab = A + oa;
    const T* Bb = B + ob;
    T* Cb = c + (bi * m + i0) * n + j0;
    for (int64_t i = 0; i < i1 - i0; ++i) std::fill(Cb + i * n, Cb + i * n + nb, T{});
    for (int64_t p0 = 0; p0 < k; p0 += kKc) {
      const int64_t kb = std::min(kKc, k - p0);
      const T* bp = Bb + p0 * brs + j0;
      int64_t ldb = brs;
      if (pack) {
        if (!panel) panel.reset(new T[kKc * kNc]);
        for (int64_t p = 0; p < kb; ++p)
          for (int64_t j = 0; j < nb; ++j) panel[p * nb + j] = Bb[(p0 + p) * brs + (j0 + j) * bcs];
        bp = panel.get();
        ldb = nb;
      }
      for (int64_t i = i0; i < i1; i += kMr) {
        const int64_t rows = std::min(kMr, i1 - i);
        const T* ap = Ab + i * ars + p0 * acs;
        T* cp = Cb + (i - i0) * n;
        int64_t j = 0;
        if (rows == kMr) {
          for (; j + kNr <= nb; j += kNr) full_tile<T>(ap, ars, acs, bp + j, ldb, cp + j, n, kb);
          if constexpr (std::is_floating_point_v<T>)
            if (j + kNr / 2 <= nb) {
              half_tile<T>(ap, ars, acs, bp + j, ldb, cp + j, n, kb);
              j += kNr / 2;
            }
        }
        if (j < nb) edge_tile<T>(ap, ars, acs, bp + j, ldb, cp + j, n, kb, rows, nb - j);
      }
    }
  };

  if (batches * m * n * k >= kParallelMin && tasks > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) run_task(t);
  } else {
    for (int64_t t = 0; t < tasks; ++t) run_task(t);
  }
}

// ---- oneDNN (float32) -------------------------------------------------------------

struct PrimKey {
  DType dtype = DType::float32;
  int rank = 0;
  int64_t a_dims[Shape::kMaxRank] = {}, a_strides[Shape::kMaxRank] = {};
  int64_t b_dims[Shape::kMaxRank] = {}, b_strides[Shape::kMaxRank] = {};
  int64_t c_dims[Shape::kMaxRank] = {};
  bool operator==(const PrimKey&) const = default;
};

struct PrimKeyHash {
  size_t operator()(const PrimKey& k) const {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
    mix(static_cast<uint64_t>(k.dtype));
    mix(static_cast<uint64_t>(k.rank));
    for (int i = 0; i < k.rank; ++i) {
      mix(static_cast<uint64_t>(k.a_dims[i]));
      mix(static_cast<uint64_t>(k.a_strides[i]));
      mix(static_cast<uint64_t>(k.b_dims[i]));
      mix(static_cast<uint64_t>(k.b_strides[i]));
      mix(static_cast<uint64_t>(k.c_dims[i]));
    }
    return static_cast<size_t>(h);
  }
};

// A created primitive. `ok` is false when oneDNN declined the layout; the
// caller then uses the loop (the refusal is cached so it is asked once).
struct Prim {
  bool ok = false;
  dnnl::matmul prim;
  dnnl::memory::desc a_md, b_md, c_md, scratch_md;
};

// A bound primitive on one thread: memory objects over the user's pointers,
// re-pointed with set_data_handle on each call. Creating three dnnl::memory
// objects per call would cost about 2 us, more than a small GEMM.
struct Bound {
  std::shared_ptr<const Prim> prim;
  dnnl::memory a, b, c, scratch;
};

// Caches hold at most this many primitives; past it they are dropped and
// rebuilt on demand (shared_ptr keeps a primitive alive while a thread's
// binding still refers to it).
constexpr size_t kMaxCached = 4096;
constexpr size_t kMaxBoundPerThread = 256;

std::mutex cache_mutex;
std::unordered_map<PrimKey, std::shared_ptr<const Prim>, PrimKeyHash> cache;

std::shared_ptr<const Prim> create_prim(const PrimKey& key) {
  using dnnl::memory;
  auto prim = std::make_shared<Prim>();
  const int r = key.rank;
  auto md = [r](const int64_t* dims, const int64_t* strides) {
    return memory::desc(memory::dims(dims, dims + r), memory::data_type::f32, memory::dims(strides, strides + r));
  };
  int64_t c_strides[Shape::kMaxRank];
  int64_t s = 1;
  for (int i = r - 1; i >= 0; --i) {
    c_strides[i] = s;
    s *= key.c_dims[i];
  }
  try {
    prim->a_md = md(key.a_dims, key.a_strides);
    prim->b_md = md(key.b_dims, key.b_strides);
    prim->c_md = md(key.c_dims, c_strides);
    // User-managed scratchpad: with the library's default, a primitive may
    // only run on the thread that created it, and this cache is shared.
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(prim->a_md, prim->b_md, prim->c_md), attr, engine());
    prim->scratch_md = pd.scratchpad_desc();
    prim->prim = dnnl::matmul(pd);
    prim->ok = true;
  } catch (const dnnl::error&) {
    prim->ok = false;
  }
  return prim;
}

std::shared_ptr<const Prim> lookup(const PrimKey& key) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxCached) cache.clear();
  auto prim = create_prim(key);
  cache.emplace(key, prim);
  return prim;
}

// Runs a float32 product on oneDNN; false if oneDNN declined the layout.
bool dnnl_matmul(int rank, const MatmulOperand& a, const MatmulOperand& b, const int64_t* c_dims, void* c) {
  PrimKey key;
  key.rank = rank;
  for (int i = 0; i < rank; ++i) {
    key.a_dims[i] = a.dims[i];
    key.a_strides[i] = a.strides[i];
    key.b_dims[i] = b.dims[i];
    key.b_strides[i] = b.strides[i];
    key.c_dims[i] = c_dims[i];
  }
  // The last primitive this thread used is checked before the shared cache:
  // a training step repeats the same few shapes, and this skips the lock.
  static thread_local PrimKey last_key;
  static thread_local std::shared_ptr<const Prim> last;
  std::shared_ptr<const Prim> prim;
  if (last && last_key == key) {
    prim = last;
  } else {
    prim = lookup(key);
    last_key = key;
    last = prim;
  }
  if (!prim->ok) return false;

  static thread_local std::unordered_map<const Prim*, Bound> bound;
  static thread_local std::vector<char> scratch_buf;
  auto it = bound.find(prim.get());
  if (it == bound.end()) {
    if (bound.size() >= kMaxBoundPerThread) bound.clear();
    const auto& eng = engine();
    Bound nb{prim, dnnl::memory(prim->a_md, eng, nullptr), dnnl::memory(prim->b_md, eng, nullptr),
             dnnl::memory(prim->c_md, eng, nullptr), dnnl::memory(prim->scratch_md, eng, nullptr)};
    it = bound.emplace(prim.get(), std::move(nb)).first;
  }
  Bound& bd = it->second;
  const size_t scratch_bytes = prim->scratch_md.get_size();
  if (scratch_buf.size() < scratch_bytes) scratch_buf.resize(scratch_bytes);
  // oneDNN only reads src and weights; its API takes non-const handles.
  bd.a.set_data_handle(const_cast<void*>(a.data));
  bd.b.set_data_handle(const_cast<void*>(b.data));
  bd.c.set_data_handle(c);
  bd.scratch.set_data_handle(scratch_bytes ? scratch_buf.data() : nullptr);
  // The C API takes a plain argument array; the C++ execute() builds an
  // std::unordered_map on every call.
  const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, bd.a.get()},
                                  {DNNL_ARG_WEIGHTS, bd.b.get()},
                                  {DNNL_ARG_DST, bd.c.get()},
                                  {DNNL_ARG_SCRATCHPAD, bd.scratch.get()}};
  dnnl::error::wrap_c_api(dnnl_primitive_execute(prim->prim.get(), stream().get(), 4, args),
                          "matmul: oneDNN execution failed");
  stream().wait();
  return true;
}

template <class F>
void visit_dtype(DType d, F&& f) {
  switch (d) {
    case DType::float32:
      return f(float{});
    case DType::float64:
      return f(double{});
    case DType::int32:
      return f(int32_t{});
    case DType::int64:
      return f(int64_t{});
    case DType::uint8:
      return f(uint8_t{});
    case DType::bool_:
      return f(bool{});
    default:
      break;
  }
  throw TypeError("matmul kernel: unsupported dtype " + std::string(dtype_name(d)) +
                  " (float16 and bfloat16 are computed in float32 by the op)");
}

// Whether the GEMM can read t's matrix (its last two dims) in place: one of
// them must have unit stride and the other must step over it without overlap
// (what a BLAS leading dimension allows), and no stride may be negative.
bool readable_in_place(const Tensor& t) {
  const int r = t.ndim();
  auto st = t.strides();
  for (int i = 0; i < r; ++i)
    if (st[static_cast<size_t>(i)] < 0) return false;
  const int64_t R = t.shape()[r - 2], C = t.shape()[r - 1];
  const int64_t sr = st[static_cast<size_t>(r - 2)], sc = st[static_cast<size_t>(r - 1)];
  const bool row_major = (C == 1 || sc == 1) && (R == 1 || sr >= C);
  const bool col_major = (R == 1 || sr == 1) && (C == 1 || sc >= R);
  return row_major || col_major;
}

MatmulOperand describe(const Tensor& t, bool transpose) {
  MatmulOperand o;
  o.data = t.raw_data();
  const int r = t.ndim();
  auto st = t.strides();
  for (int i = 0; i < r; ++i) {
    o.dims[i] = t.shape()[i];
    o.strides[i] = st[static_cast<size_t>(i)];
  }
  if (transpose) {
    std::swap(o.dims[r - 2], o.dims[r - 1]);
    std::swap(o.strides[r - 2], o.strides[r - 1]);
  }
  // A dim of size 1 has an arbitrary stride (reshape and expand_dims leave
  // whatever fits); give it the canonical one so equal layouts share a
  // cached primitive and oneDNN sees a plain row-major or column-major matrix.
  const int64_t rows = o.dims[r - 2], cols = o.dims[r - 1];
  int64_t& sr = o.strides[r - 2];
  int64_t& sc = o.strides[r - 1];
  if (rows == 1 && cols == 1) {
    sr = sc = 1;
  } else if (rows == 1) {
    sr = sc == 1 ? cols : 1;
  } else if (cols == 1) {
    sc = sr == 1 ? rows : 1;
  }
  for (int i = 0; i < r - 2; ++i)
    if (o.dims[i] == 1) o.strides[i] = 0;
  return o;
}

}  // namespace

void matmul(DType dtype, int rank, const MatmulOperand& a, const MatmulOperand& b, const int64_t* c_dims, void* c) {
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) total *= c_dims[i];
  if (total == 0) return;
  const int64_t k = a.dims[rank - 1];
  if (k == 0) {  // an empty sum; oneDNN would pick its reference kernel
    std::memset(c, 0, static_cast<size_t>(total) * dtype_size(dtype));
    return;
  }
  // Deterministic mode: oneDNN's float32 GEMM may split k differently with the
  // thread count (seen for skinny, long-k shapes), so the fixed-order loop runs.
  if (dtype == DType::float32 && total * k >= kSmallGemm && !config::deterministic() &&
      dnnl_matmul(rank, a, b, c_dims, c))
    return;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    loop_matmul<T>(rank, a, b, c_dims, static_cast<T*>(c));
  });
}

void matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, Tensor& out) {
  const int rank = out.ndim();
  if (out.size() == 0) return;  // (TensorImpl::is_contiguous says false for some empty shapes)
  if (a.ndim() != rank || b.ndim() != rank || rank < 2 || a.dtype() != out.dtype() || b.dtype() != out.dtype() ||
      !out.is_contiguous())
    throw RuntimeError("matmul kernel: operands " + a.shape().str() + " and " + b.shape().str() +
                       " do not fit the output " + out.shape().str());
  const Tensor ac = readable_in_place(a) ? a : a.contiguous();
  const Tensor bc = readable_in_place(b) ? b : b.contiguous();
  const MatmulOperand oa = describe(ac, transpose_a), ob = describe(bc, transpose_b);
  matmul(out.dtype(), rank, oa, ob, out.shape().begin(), out.raw_mutable_data());
}

size_t matmul_cache_size() {
  std::lock_guard<std::mutex> lock(cache_mutex);
  return cache.size();
}

}  // namespace keras::backend::cpu
