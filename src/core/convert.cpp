#include "core/convert.hpp"

#include <cstring>

#include "core/half.hpp"

namespace keras::detail {

namespace {

template <class S, class D>
void conv_loop(const S* s, D* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<D, bool>) {
      d[i] = s[i] != S(0);
    } else {
      d[i] = static_cast<D>(s[i]);
    }
  }
}

// Reads element i of a buffer of dtype `dt` as double (exact for every dtype
// but int64 beyond 2^53, which has its own path below).
template <class D>
void to_typed(const void* src, DType sd, D* dst, int64_t n) {
  switch (sd) {
    case DType::float32:
      conv_loop(static_cast<const float*>(src), dst, n);
      break;
    case DType::float64:
      conv_loop(static_cast<const double*>(src), dst, n);
      break;
    case DType::int32:
      conv_loop(static_cast<const int32_t*>(src), dst, n);
      break;
    case DType::int64:
      conv_loop(static_cast<const int64_t*>(src), dst, n);
      break;
    case DType::uint8:
      conv_loop(static_cast<const uint8_t*>(src), dst, n);
      break;
    case DType::bool_:
      conv_loop(static_cast<const bool*>(src), dst, n);
      break;
    case DType::float16: {
      auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) {
        float f = f16_to_float(s[i]);
        if constexpr (std::is_same_v<D, bool>)
          dst[i] = f != 0.f;
        else
          dst[i] = static_cast<D>(f);
      }
      break;
    }
    case DType::bfloat16: {
      auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) {
        float f = bf16_to_float(s[i]);
        if constexpr (std::is_same_v<D, bool>)
          dst[i] = f != 0.f;
        else
          dst[i] = static_cast<D>(f);
      }
      break;
    }
  }
}

}  // namespace

void convert_elements(const void* src, DType sd, void* dst, DType dd, int64_t n) {
  if (sd == dd) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(sd));
    return;
  }
  switch (dd) {
    case DType::float32:
      to_typed(src, sd, static_cast<float*>(dst), n);
      break;
    case DType::float64:
      to_typed(src, sd, static_cast<double*>(dst), n);
      break;
    case DType::int32:
      to_typed(src, sd, static_cast<int32_t*>(dst), n);
      break;
    case DType::int64:
      to_typed(src, sd, static_cast<int64_t*>(dst), n);
      break;
    case DType::uint8:
      to_typed(src, sd, static_cast<uint8_t*>(dst), n);
      break;
    case DType::bool_:
      to_typed(src, sd, static_cast<bool*>(dst), n);
      break;
    case DType::float16:
    case DType::bfloat16: {
      // Through float32 (float64 sources round twice, as NumPy's astype does not;
      // the difference is below float16's resolution except at exact ties).
      auto* d = static_cast<uint16_t*>(dst);
      constexpr int64_t kChunk = 1024;
      float buf[kChunk];
      for (int64_t i = 0; i < n; i += kChunk) {
        int64_t m = std::min(kChunk, n - i);
        to_typed(static_cast<const char*>(src) + i * static_cast<int64_t>(dtype_size(sd)), sd, buf, m);
        for (int64_t j = 0; j < m; ++j) d[i + j] = dd == DType::float16 ? float_to_f16(buf[j]) : float_to_bf16(buf[j]);
      }
      break;
    }
  }
}

void gather_contiguous(const TensorImpl& src, void* dst) {
  const size_t es = dtype_size(src.dtype);
  const char* base = static_cast<const char*>(src.storage->data);
  char* out = static_cast<char*>(dst);
  if (src.is_contiguous()) {
    std::memcpy(dst, base + src.offset * static_cast<int64_t>(es), static_cast<size_t>(src.shape.numel()) * es);
    return;
  }
  switch (es) {
#define KERAS_GATHER_CASE(BYTES, T)                                                                      \
  case BYTES: {                                                                                          \
    auto* s = reinterpret_cast<const T*>(base);                                                          \
    auto* d = reinterpret_cast<T*>(out);                                                                 \
    for_each_offset(src.shape, src.strides, src.offset, [&](int64_t i, int64_t off) { d[i] = s[off]; }); \
    break;                                                                                               \
  }
    KERAS_GATHER_CASE(1, uint8_t)
    KERAS_GATHER_CASE(2, uint16_t)
    KERAS_GATHER_CASE(4, uint32_t)
    KERAS_GATHER_CASE(8, uint64_t)
#undef KERAS_GATHER_CASE
  }
}

}  // namespace keras::detail
