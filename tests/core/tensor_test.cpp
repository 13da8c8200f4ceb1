#include <gtest/gtest.h>

#include <sstream>

#include "core/half.hpp"
#include "keras/keras.hpp"

namespace keras {
namespace {

std::string str(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

TEST(Shape, PrintsLikeAPythonTuple) {
  EXPECT_EQ(Shape({32, 10}).str(), "(32, 10)");
  EXPECT_EQ(Shape({4}).str(), "(4,)");
  EXPECT_EQ(Shape{}.str(), "()");
  EXPECT_EQ(Shape({-1, 784}).str(), "(None, 784)");
  EXPECT_EQ(Shape({2, 3, 4}).numel(), 24);
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ(Shape({-1, 3}).numel(), -1);
}

TEST(Shape, RejectsTooManyDimsAndBadIndex) {
  try {
    Shape s{1, 1, 1, 1, 1, 1, 1, 1, 1};
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 8 dimensions, got 9"), std::string::npos);
  }
  EXPECT_THROW(Shape({2, 3}).at(2), IndexError);
  EXPECT_EQ(Shape({2, 3}).at(-1), 3);
}

TEST(DType, NamesAndPromotion) {
  EXPECT_EQ(dtype_name(DType::bool_), "bool");
  EXPECT_EQ(dtype_from_name("bfloat16"), DType::bfloat16);
  try {
    dtype_from_name("float128");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Invalid dtype: 'float128'. Valid dtypes are: float32, float64"),
              std::string::npos);
  }
  EXPECT_EQ(result_type(DType::int32, DType::float32), DType::float32);
  EXPECT_EQ(result_type(DType::uint8, DType::int32), DType::int32);
  EXPECT_EQ(result_type(DType::int64, DType::float16), DType::float16);
  EXPECT_EQ(result_type(DType::float16, DType::bfloat16), DType::float32);
  EXPECT_EQ(result_type(DType::bool_, DType::uint8), DType::uint8);
  EXPECT_EQ(result_type(DType::float32, DType::float64), DType::float64);
  EXPECT_EQ(dtype_size(DType::bfloat16), 2u);
}

TEST(Tensor, CreationItemAndToVector) {
  Tensor a({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_EQ(a.shape(), Shape({2, 3}));
  EXPECT_EQ(a.dtype(), DType::float32);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(a.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  Tensor b(std::vector<int32_t>{7, -8}, Shape{2, 1});
  EXPECT_EQ(b.dtype(), DType::int32);
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{7, -8}));
  EXPECT_EQ(Tensor::scalar(2.5).item<double>(), 2.5);
  EXPECT_EQ(Tensor::scalar(2.9, DType::int32).item<int32_t>(), 2);  // truncation, as astype
  EXPECT_TRUE(Tensor::scalar(3.0, DType::bool_).item<bool>());
  try {
    a.item<float>();
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("exactly one element, got shape (2, 3)"), std::string::npos);
  }
  EXPECT_THROW(Tensor(std::vector<float>{1, 2, 3}, Shape{2, 2}), ValueError);
  EXPECT_THROW(a.data<double>(), TypeError);
  EXPECT_THROW(Tensor().raw_data(), ValueError);
}

TEST(Tensor, BuffersAre64ByteAlignedAndReused) {
  const void* first;
  {
    Tensor t = Tensor::empty({1000}, DType::float32);
    first = t.raw_data();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  }
  Tensor again = Tensor::empty({1000}, DType::float32);  // same bucket: the freed block comes back
  EXPECT_EQ(again.raw_data(), first);
  EXPECT_GT(config::memory_stats().bytes_in_use, 0u);
}

TEST(Tensor, HalfConversionsRoundToNearestEven) {
  // float16: 1.0 = 0x3c00, 65504 = 0x7bff (max), 2^-24 = 0x0001 (smallest subnormal).
  EXPECT_EQ(detail::float_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(detail::float_to_f16(65504.f), 0x7bff);
  EXPECT_EQ(detail::float_to_f16(1e6f), 0x7c00);
  EXPECT_EQ(detail::float_to_f16(5.9604645e-8f), 0x0001);
  EXPECT_EQ(detail::float_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(detail::f16_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(detail::f16_to_float(0x0001), 5.9604645e-8f);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0).
  EXPECT_EQ(detail::float_to_f16(1.0f + 1.0f / 2048), 0x3c00);
  // bfloat16 keeps float32's exponent: 1.0 = 0x3f80, pi -> 0x4049.
  EXPECT_EQ(detail::float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(detail::float_to_bf16(3.14159265f), 0x4049);
  EXPECT_EQ(detail::bf16_to_float(0x4049), 3.140625f);
}

TEST(Tensor, PrintsLikeNumPy) {
  EXPECT_EQ(str(Tensor({{1.f, 2.f}, {3.f, 4.f}})), "[[1. 2.]\n [3. 4.]]");
  EXPECT_EQ(str(Tensor({0.5f, 1.25f})), "[0.5  1.25]");
  EXPECT_EQ(str(Tensor(std::vector<int32_t>{1, -20, 300})), "[  1 -20 300]");
  EXPECT_EQ(str(Tensor::scalar(2.5)), "2.5");
  // Shortest round-trip digits at the tensor's own precision, at most 8
  // fractional digits (NumPy prints these exact strings).
  EXPECT_EQ(str(Tensor({1.9999998f, 1.f / 3})), "[1.9999998  0.33333334]");
  EXPECT_EQ(str(Tensor(std::vector<double>{1.0 / 3, 0.1 + 0.2})), "[0.33333333 0.3       ]");
  // Scientific notation when magnitudes span more than 1000x, as NumPy does.
  EXPECT_EQ(str(Tensor({1.f, 2000.f})), "[1.e+00 2.e+03]");
  EXPECT_EQ(str(Tensor({1.5f, 2000.f})), "[1.5e+00 2.0e+03]");
  EXPECT_EQ(str(Tensor({1e-5f, 1.f})), "[1.e-05 1.e+00]");
  EXPECT_EQ(str(Tensor(std::vector<double>{123456., 1.5})), "[1.23456e+05 1.50000e+00]");
  bool flags[2] = {true, false};
  EXPECT_EQ(str(Tensor::from_bytes(flags, DType::bool_, {2})), "[ True False]");
  std::vector<int64_t> big(2000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<int64_t>(i);
  EXPECT_EQ(str(Tensor(big)), "[   0    1    2 ... 1997 1998 1999]");
  EXPECT_EQ(str(Tensor()), "<undefined Tensor>");
}

}  // namespace
}  // namespace keras
