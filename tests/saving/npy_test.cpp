#include "keras/npy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keras/error.hpp"
#include "keras/tensor.hpp"

namespace {

namespace fs = std::filesystem;
using keras::DType;
using keras::Shape;
using keras::Tensor;

std::string fixture(const std::string& name) { return std::string(KERAS_TEST_FIXTURES) + "/npy/" + name; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory per test, removed afterwards.
class NpyDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("keras_npy_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
                                        std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }
  fs::path dir_;
};

// The message of the E thrown by f, or "" (with a test failure) when none is.
template <class E = keras::ValueError, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no exception thrown";
  return {};
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

// .npy bytes with the given header dict, padded like numpy (64-byte alignment), for hand-built
// inputs. version 2 and 3 use a 4-byte header length.
std::string npy_bytes(const std::string& dict, const std::string& data, int version = 1, size_t align = 64) {
  const size_t len_bytes = version == 1 ? 2 : 4;
  std::string header = dict;
  while ((6 + 2 + len_bytes + header.size() + 1) % align != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

template <class T>
std::string raw(const std::vector<T>& values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), values.data(), s.size());
  return s;
}

template <class T>
std::string raw_big_endian(const std::vector<T>& values) {
  std::string s = raw(values);
  for (size_t i = 0; i < s.size(); i += sizeof(T)) std::reverse(s.begin() + i, s.begin() + i + sizeof(T));
  return s;
}

std::string tensor_bytes(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()),
                     static_cast<size_t>(t.size()) * keras::dtype_size(t.dtype()));
}

Tensor load_bytes(const std::string& bytes) { return keras::npy::load_from_memory(bytes.data(), bytes.size(), "test"); }

// ---- the header numpy 1.24+ writes (FORMATS.md 8.2) --------------------------

TEST(NpyFormat, Float32MatrixHeaderIsNumpys) {
  const std::string b = keras::npy::save_to_memory(Tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}));
  ASSERT_EQ(b.size(), 152u);
  const unsigned char preamble[10] = {0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00};
  EXPECT_EQ(0, std::memcmp(b.data(), preamble, 10));
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(b.substr(10, dict.size()), dict);
  EXPECT_EQ(b.substr(10 + dict.size(), 127 - 10 - dict.size()), std::string(127 - 10 - dict.size(), ' '));
  EXPECT_EQ(b[127], '\n');
  EXPECT_EQ(b.substr(128), raw(std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(NpyFormat, ScalarEmptyAndUint8FileSizes) {
  const std::string f64 = keras::npy::save_to_memory(Tensor::scalar(2.5));
  EXPECT_EQ(f64.size(), 136u);
  EXPECT_EQ(f64.substr(10, 55), "{'descr': '<f8', 'fortran_order': False, 'shape': (), }");

  const std::string i64 = keras::npy::save_to_memory(Tensor::empty(Shape{0}, keras::int64));
  EXPECT_EQ(i64.size(), 128u);
  EXPECT_EQ(i64.substr(10, 57), "{'descr': '<i8', 'fortran_order': False, 'shape': (0,), }");

  const std::string u1 = keras::npy::save_to_memory(Tensor(std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(u1.size(), 132u);
  EXPECT_EQ(u1.substr(10, 57), "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }");
  EXPECT_EQ(u1.substr(128), std::string("\x01\x02\x03\x04"));
}

TEST(NpyFormat, DataAlwaysStartsOn64ByteBoundary) {
  for (const Shape& s : {Shape{}, Shape{0}, Shape{123456789, 0}, Shape{0, 1, 2, 3, 4, 5, 6, 7},
                         Shape{0, 999999999, 999999999, 1, 1, 1, 1, 1}}) {
    const std::string b = keras::npy::save_to_memory(Tensor::empty(s, keras::float32));
    const size_t header_len = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    EXPECT_EQ((10 + header_len) % 64, 0u) << s;
    EXPECT_EQ(b[10 + header_len - 1], '\n') << s;
    EXPECT_EQ(keras::npy::load_from_memory(b.data(), b.size()).shape(), s);
  }
}

// ---- interop with files numpy wrote (tests/fixtures/gen_npy_fixtures.py) ------

TEST(NpyFixtures, LoadsNumpyFilesAndWritesThemBackByteForByte) {
  struct Case {
    const char* file;
    DType dtype;
    Shape shape;
  };
  for (const Case& c :
       {Case{"f32_2x3.npy", keras::float32, Shape{2, 3}}, Case{"f64_scalar.npy", keras::float64, Shape{}},
        Case{"i64_empty.npy", keras::int64, Shape{0}}, Case{"u1_4.npy", keras::uint8, Shape{4}},
        Case{"bool_3.npy", keras::bool_, Shape{3}}, Case{"f16_2.npy", keras::float16, Shape{2}}}) {
    SCOPED_TRACE(c.file);
    const Tensor t = keras::npy::load(fixture(c.file));
    EXPECT_EQ(t.dtype(), c.dtype);
    EXPECT_EQ(t.shape(), c.shape);
    EXPECT_EQ(keras::npy::save_to_memory(t), read_bytes(fixture(c.file)));
  }
  EXPECT_EQ(keras::npy::load(fixture("f32_2x3.npy")).to_vector<float>(),
            (std::vector<float>{0, .5f, 1, 1.5f, 2, 2.5f}));
  EXPECT_EQ(keras::npy::load(fixture("f64_scalar.npy")).item<double>(), 3.25);
  EXPECT_EQ(keras::npy::load(fixture("u1_4.npy")).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 128, 255}));
  EXPECT_EQ(keras::npy::load(fixture("bool_3.npy")).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  // float16 1.5 = 0x3e00, -65504 = 0xfbff.
  EXPECT_EQ(tensor_bytes(keras::npy::load(fixture("f16_2.npy"))), raw(std::vector<uint16_t>{0x3e00, 0xfbff}));
}

TEST(NpyFixtures, FortranOrderIsTransposedToCOrder) {
  const Tensor t = keras::npy::load(fixture("fortran_f8_2x2.npy"));
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{1, 2, 3, 4}));
}

TEST(NpyFixtures, BigEndianIsByteSwapped) {
  const Tensor t = keras::npy::load(fixture("big_endian_f4_3.npy"));
  EXPECT_EQ(t.dtype(), keras::float32);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1.f, -2.5f, 1e10f}));
}

void expect_numpy_arrays(const std::map<std::string, Tensor>& m) {
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m.at("a").shape(), (Shape{2, 3}));
  EXPECT_EQ(m.at("a").to_vector<float>(), (std::vector<float>{0, .5f, 1, 1.5f, 2, 2.5f}));
  EXPECT_EQ(m.at("b").to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(m.at("c").shape(), (Shape{2, 2}));
  EXPECT_EQ(m.at("c").to_vector<bool>(), (std::vector<bool>{true, false, false, true}));
}

TEST(NpyFixtures, NumpyNpzStoredAndCompressed) {
  expect_numpy_arrays(keras::npy::load_npz(fixture("arrays.npz")));
  expect_numpy_arrays(keras::npy::load_npz(fixture("arrays_compressed.npz")));
}

// ---- round trips ----------------------------------------------------------------

// A tensor of the given dtype whose bytes are a fixed pattern valid for the dtype.
Tensor patterned(DType dtype, const Shape& shape) {
  const size_t n = static_cast<size_t>(shape.numel()), w = keras::dtype_size(dtype);
  std::vector<unsigned char> bytes(n * w);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
  if (dtype == keras::bool_)
    for (size_t i = 0; i < n; ++i) bytes[i] = i % 3 == 0;
  return Tensor::from_bytes(bytes.data(), dtype, shape);
}

TEST_F(NpyDir, RoundTripsEveryDtypeAndShape) {
  for (DType dtype :
       {keras::float32, keras::float64, keras::int32, keras::int64, keras::uint8, keras::bool_, keras::float16}) {
    for (const Shape& shape :
         {Shape{}, Shape{0}, Shape{5}, Shape{2, 3}, Shape{3, 0, 2}, Shape{1, 1, 1, 1, 1, 1, 1, 2}}) {
      SCOPED_TRACE(std::string(keras::dtype_name(dtype)) + " " + shape.str());
      const Tensor x = patterned(dtype, shape);
      keras::npy::save(path("x.npy"), x);
      const Tensor y = keras::npy::load(path("x.npy"));
      EXPECT_EQ(y.dtype(), dtype);
      EXPECT_EQ(y.shape(), shape);
      EXPECT_EQ(tensor_bytes(y), tensor_bytes(x));
      const std::string mem = keras::npy::save_to_memory(x);
      EXPECT_EQ(mem, read_bytes(path("x.npy")));
      EXPECT_EQ(tensor_bytes(load_bytes(mem)), tensor_bytes(x));
    }
  }
}

TEST(NpyRoundTrip, Bfloat16IsSavedAsFloat32) {
  const std::vector<uint16_t> bits = {0x3f80, 0xc0a0, 0x0000, 0x7f80};  // 1, -5, 0, inf
  const Tensor x = Tensor::from_bytes(bits.data(), keras::bfloat16, Shape{2, 2});
  const std::string b = keras::npy::save_to_memory(x);
  EXPECT_EQ(b.substr(10, 15), "{'descr': '<f4'");
  const Tensor y = load_bytes(b);
  EXPECT_EQ(y.dtype(), keras::float32);
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1.f, -5.f, 0.f, std::numeric_limits<float>::infinity()}));
}

TEST(NpyRoundTrip, NonContiguousViewIsWrittenInCOrder) {
  // The transpose of a (2, 3) tensor as a strided view of the same storage.
  const Tensor base({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  auto impl = std::make_shared<keras::detail::TensorImpl>(*base.impl());
  impl->shape = Shape{3, 2};
  impl->strides[0] = 1;
  impl->strides[1] = 3;
  const Tensor view(impl);
  ASSERT_FALSE(view.is_contiguous());
  const Tensor y = load_bytes(keras::npy::save_to_memory(view));
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(NpyRoundTrip, UndefinedTensorIsRefused) {
  EXPECT_CONTAINS(error_of([] { keras::npy::save_to_memory(Tensor()); }), "undefined");
}

// ---- hand-built headers the reader must accept ------------------------------------

TEST(NpyLoad, FortranOrderInt32ByHand) {
  // C-order [[1, 2, 3], [4, 5, 6]] stored column by column.
  const Tensor t = load_bytes(npy_bytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
                                        raw(std::vector<int32_t>{1, 4, 2, 5, 3, 6})));
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
}

TEST(NpyLoad, FortranOrderRank3BigEndianByHand) {
  // Element (i, j, k) of shape (2, 3, 2) sits at i + 2j + 6k in Fortran order; value 100i+10j+k.
  std::vector<int64_t> fortran(12);
  std::vector<int64_t> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) {
        fortran[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
        expected.push_back(100 * i + 10 * j + k);
      }
  const Tensor t =
      load_bytes(npy_bytes("{'descr': '>i8', 'fortran_order': True, 'shape': (2, 3, 2), }", raw_big_endian(fortran)));
  EXPECT_EQ(t.to_vector<int64_t>(), expected);
}

TEST(NpyLoad, BigEndianEveryWidth) {
  EXPECT_EQ(load_bytes(npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
                                 raw_big_endian(std::vector<double>{0.1, -3})))
                .to_vector<double>(),
            (std::vector<double>{0.1, -3}));
  EXPECT_EQ(load_bytes(npy_bytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }",
                                 raw_big_endian(std::vector<int32_t>{7, -70000})))
                .to_vector<int32_t>(),
            (std::vector<int32_t>{7, -70000}));
  const Tensor h = load_bytes(npy_bytes("{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }",
                                        raw_big_endian(std::vector<uint16_t>{0x3e00})));
  EXPECT_EQ(h.dtype(), keras::float16);
  EXPECT_EQ(tensor_bytes(h), raw(std::vector<uint16_t>{0x3e00}));
  // One-byte types ignore the byte order character.
  EXPECT_EQ(load_bytes(npy_bytes("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", "\x05")).item<uint8_t>(),
            5);
}

TEST(NpyLoad, VersionsTwoAndThree) {
  const std::string data = raw(std::vector<float>{1, 2});
  for (int version : {2, 3}) {
    const Tensor t = load_bytes(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, version));
    EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2})) << version;
  }
}

TEST(NpyLoad, DictLiteralVariants) {
  const std::string data = raw(std::vector<float>{1, 2, 3, 4, 5, 6});
  for (const std::string dict : {
           "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",          // any order, no trailing comma
           "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",  // double quotes
           "{ 'descr' : '<f4' ,'fortran_order':False,'shape':( 2 , 3 , ) , }",   // odd spacing, trailing commas
           "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",      // Python 2 longs
       }) {
    SCOPED_TRACE(dict);
    const Tensor t = load_bytes(npy_bytes(dict, data));
    EXPECT_EQ(t.shape(), (Shape{2, 3}));
    EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  }
  // Very old numpy aligned to 16 bytes and wrote no growth padding.
  const std::string old16 = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data, 1, 16);
  ASSERT_EQ((old16.size() - data.size()) % 16, 0u);
  EXPECT_EQ(load_bytes(old16).to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(NpyLoad, BoolBytesAreNormalised) {
  const Tensor t = load_bytes(
      npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\x00\x02\xff", 3)));
  EXPECT_EQ(tensor_bytes(t), std::string("\x00\x01\x01", 3));
}

// ---- malformed input: each is a ValueError saying what is wrong ----------------------

const std::string kF32Dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

std::string load_error(const std::string& bytes) {
  const std::string msg = error_of([&] { load_bytes(bytes); });
  EXPECT_EQ(msg.rfind("test: ", 0), 0u) << "message must start with what: " << msg;
  return msg;
}

TEST(NpyErrors, BadMagic) {
  std::string b = npy_bytes(kF32Dict, raw(std::vector<float>{1, 2}));
  b[1] = 'X';
  EXPECT_CONTAINS(load_error(b), "bad magic");
  EXPECT_CONTAINS(load_error(""), "bad magic");
  EXPECT_CONTAINS(load_error("PK\x03\x04 this is a zip"), "bad magic");
}

TEST(NpyErrors, TruncatedPreambleAndHeader) {
  const std::string b = npy_bytes(kF32Dict, raw(std::vector<float>{1, 2}));
  EXPECT_CONTAINS(load_error(b.substr(0, 7)), "truncated .npy preamble");
  EXPECT_CONTAINS(load_error(b.substr(0, 9)), "truncated header length");
  EXPECT_CONTAINS(load_error(b.substr(0, 40)), "truncated header");
}

TEST(NpyErrors, TruncatedData) {
  const std::string b = npy_bytes(kF32Dict, raw(std::vector<float>{1, 2}));
  const std::string msg = load_error(b.substr(0, b.size() - 1));
  EXPECT_CONTAINS(msg, "truncated data");
  EXPECT_CONTAINS(msg, "needs 8 bytes but only 7");
}

TEST(NpyErrors, LyingShapeIsRefusedBeforeAllocating) {
  // 10^12 float32 elements (4 TB) claimed, 8 bytes present.
  const std::string msg = load_error(npy_bytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", raw(std::vector<float>{1, 2})));
  EXPECT_CONTAINS(msg, "needs 4000000000000 bytes but only 8");
  // A product that overflows int64 must not wrap around to something small.
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                       "(4294967296, 4294967296, 0), }",
                                       "")),
                  "too many elements");
  EXPECT_CONTAINS(
      load_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", "")),
      "too many elements");
  EXPECT_CONTAINS(
      load_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", "")),
      "too large");
}

TEST(NpyErrors, HeaderLongerThanTheCap) {
  const std::string big = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + std::string(20000, ' ');
  EXPECT_CONTAINS(load_error(npy_bytes(big, raw(std::vector<float>{1, 2}), 2)), "more than the 10000-byte limit");
}

TEST(NpyErrors, UnsupportedVersion) {
  std::string b = npy_bytes(kF32Dict, raw(std::vector<float>{1, 2}));
  b[6] = 4;
  EXPECT_CONTAINS(load_error(b), "unsupported .npy format version 4.0");
}

TEST(NpyErrors, UnsupportedDtypesAreNamed) {
  const std::string i2 = load_error(npy_bytes("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }", "ab"));
  EXPECT_CONTAINS(i2, "unsupported dtype '<i2' (numpy int16)");
  EXPECT_CONTAINS(i2, "supported dtypes are float16, float32, float64, int32, int64, uint8 and bool");
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }", "a")),
                  "unsupported dtype '|i1' (numpy int8)");
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", "ab")),
                  "(numpy uint16)");
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", "")),
                  "(numpy complex128)");
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", "")),
                  "(numpy str)");
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", "abcd")),
                  "needs byte order");
}

TEST(NpyErrors, ObjectAndStructuredDtypesAreRefused) {
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "\x80\x02")),
                  "object arrays hold Python pickles");
  EXPECT_CONTAINS(load_error(npy_bytes("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, "
                                       "'shape': (1,), }",
                                       "12345678")),
                  "structured dtypes");
}

TEST(NpyErrors, MalformedDicts) {
  struct Case {
    std::string dict, expected;
  };
  for (const Case& c : {
           Case{"['descr', '<f4']", "must be a Python dict"},
           Case{"{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"},
           Case{"{'fortran_order': False, 'shape': (1,)}", "no 'descr' key"},
           Case{"{'descr': '<f4', 'shape': (1,)}", "no 'fortran_order' key"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"},
           Case{"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "repeats the key 'descr'"},
           Case{"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", "must be True or False"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "must be a tuple"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (1)}", "is not a tuple"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "negative dimension"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}", "expected ',' or ')'"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': ('a',)}", "must hold integers"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", "more than 8 dimensions"},
           Case{"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '<f4, '"},
           Case{"{'descr': '<f4", "unterminated string"},
           Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", "unexpected text after"},
           Case{"{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", "expected ',' or '}'"},
           Case{"{descr: '<f4'}", "expected a quoted key"},
       }) {
    SCOPED_TRACE(c.dict);
    EXPECT_CONTAINS(load_error(npy_bytes(c.dict, "abcd")), c.expected);
  }
}

TEST_F(NpyDir, FileErrorsNameThePath) {
  EXPECT_CONTAINS(error_of<keras::NotFoundError>([&] { keras::npy::load(path("missing.npy")); }),
                  path("missing.npy") + ": no such file");
  write_bytes(path("bad.npy"), "not numpy at all");
  const std::string msg = error_of([&] { keras::npy::load(path("bad.npy")); });
  EXPECT_EQ(msg.rfind(path("bad.npy") + ": ", 0), 0u) << msg;
  EXPECT_CONTAINS(msg, "bad magic");
}

// ---- atomic writes -----------------------------------------------------------------

TEST_F(NpyDir, SaveReplacesAtomicallyAndLeavesNoTemporaryFile) {
  keras::npy::save(path("x.npy"), Tensor({1.f, 2.f}));
  keras::npy::save(path("x.npy"), Tensor({3.f, 4.f, 5.f}));
  EXPECT_EQ(keras::npy::load(path("x.npy")).to_vector<float>(), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(listing(), std::vector<std::string>{"x.npy"});
}

TEST_F(NpyDir, SaveIntoMissingDirectoryNamesPathAndReason) {
  const std::string target = path("no/such/dir/x.npy");
  const std::string msg = error_of<keras::Error>([&] { keras::npy::save(target, Tensor({1.f})); });
  EXPECT_EQ(msg.rfind(target + ": ", 0), 0u) << msg;
  EXPECT_CONTAINS(msg, "No such file or directory");
  EXPECT_TRUE(listing().empty());
}

// ---- .npz ----------------------------------------------------------------------------

uint16_t first_member_method(const std::string& zip) {
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04"));
  return static_cast<uint16_t>(static_cast<unsigned char>(zip[8]) | (static_cast<unsigned char>(zip[9]) << 8));
}

TEST_F(NpyDir, NpzRoundTripStoredAndCompressed) {
  const std::map<std::string, Tensor> arrays = {
      {"weights", Tensor(std::vector<float>(64 * 64, 0.f), Shape{64, 64})},
      {"ids", Tensor(std::vector<int64_t>{1, 2, 3})},
      {"mask", Tensor::scalar(true)},
      {"nothing", Tensor::empty(Shape{0, 3}, keras::float16)},
  };
  for (bool compressed : {false, true}) {
    SCOPED_TRACE(compressed);
    const std::string p = path(compressed ? "c.npz" : "s.npz");
    keras::npy::save_npz(p, arrays, compressed);
    EXPECT_EQ(first_member_method(read_bytes(p)), compressed ? 8 : 0);
    const auto back = keras::npy::load_npz(p);
    ASSERT_EQ(back.size(), arrays.size());
    for (const auto& [name, x] : arrays) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(back.count(name));
      EXPECT_EQ(back.at(name).dtype(), x.dtype());
      EXPECT_EQ(back.at(name).shape(), x.shape());
      EXPECT_EQ(tensor_bytes(back.at(name)), tensor_bytes(x));
    }
  }
  EXPECT_LT(fs::file_size(path("c.npz")), fs::file_size(path("s.npz")) / 4);
  std::vector<std::string> names = listing();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"c.npz", "s.npz"}));
}

TEST_F(NpyDir, NpzMembersAreNumpyFiles) {
  // A stored member's bytes are exactly what save_to_memory gives.
  const Tensor x({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  keras::npy::save_npz(path("a.npz"), {{"x", x}});
  EXPECT_NE(read_bytes(path("a.npz")).find(keras::npy::save_to_memory(x)), std::string::npos);
}

TEST_F(NpyDir, EmptyNpz) {
  keras::npy::save_npz(path("e.npz"), {});
  EXPECT_EQ(fs::file_size(path("e.npz")), 22u);
  EXPECT_TRUE(keras::npy::load_npz(path("e.npz")).empty());
}

TEST_F(NpyDir, NpzErrors) {
  EXPECT_CONTAINS(error_of<keras::NotFoundError>([&] { keras::npy::load_npz(path("missing.npz")); }),
                  path("missing.npz") + ": no such file");
  write_bytes(path("junk.npz"), "this is not a zip archive, just some text long enough");
  const std::string junk = error_of([&] { keras::npy::load_npz(path("junk.npz")); });
  EXPECT_EQ(junk.rfind(path("junk.npz") + ": ", 0), 0u) << junk;
  EXPECT_CONTAINS(junk, "not a valid .npz");

  // A stored member whose descr is changed in place to an unsupported one.
  keras::npy::save_npz(path("bad.npz"), {{"x", Tensor({1.f, 2.f})}});
  std::string bytes = read_bytes(path("bad.npz"));
  const size_t at = bytes.find("'<f4'");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 5, "'<i2'");
  write_bytes(path("bad.npz"), bytes);
  const std::string member = error_of([&] { keras::npy::load_npz(path("bad.npz")); });
  EXPECT_EQ(member.rfind(path("bad.npz") + ": member 'x.npy': ", 0), 0u) << member;
  EXPECT_CONTAINS(member, "int16");
}

TEST_F(NpyDir, SaveNpzIntoMissingDirectory) {
  const std::string target = path("nope/a.npz");
  const std::string msg = error_of<keras::Error>([&] { keras::npy::save_npz(target, {{"x", Tensor({1.f})}}); });
  EXPECT_EQ(msg.rfind(target + ": ", 0), 0u) << msg;
  EXPECT_TRUE(listing().empty());
}

}  // namespace
