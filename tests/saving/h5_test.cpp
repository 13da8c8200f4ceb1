// Tests of the HDF5 reader/writer in src/saving/h5 (FORMATS.md section 2).
//
// Fixtures under tests/fixtures/h5 are written by h5py (make_h5_fixtures.py); the values are a
// function of the element index (`fill` below mirrors `values` in that script). Files written by
// our writer are checked with h5py and Python Keras by check_cpp_h5.py: run this test with
// KERAS_H5_EXPORT_DIR=<dir> to get them, then `.venv/bin/python tests/fixtures/h5/check_cpp_h5.py <dir>`.
#include "saving/h5/h5.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "keras/error.hpp"

namespace {

namespace fs = std::filesystem;
using keras::DType;
using keras::h5::File;
using keras::h5::Kind;
using keras::h5::Writer;
using Shape = std::vector<int64_t>;
using Bytes = std::vector<uint8_t>;

const std::vector<DType> kAllDtypes = {DType::float32, DType::float64, DType::int32,   DType::int64,
                                       DType::uint8,   DType::bool_,   DType::float16, DType::bfloat16};
const std::vector<std::pair<std::string, Shape>> kShapes = {
    {"r0", {}}, {"r1", {5}}, {"r2", {2, 3}}, {"r3", {2, 1, 3}}, {"r4", {2, 3, 1, 2}}, {"empty", {2, 0, 3}}};

std::string fixture(const std::string& name) { return std::string(KERAS_TEST_FIXTURES) + "/h5/" + name; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

// Element i of a fixture dataset, as bytes of `d` (mirrors make_h5_fixtures.py `values`).
Bytes fill(DType d, int64_t n, double offset = 0) {
  Bytes out(static_cast<size_t>(n) * keras::dtype_size(d));
  for (int64_t i = 0; i < n; ++i) {
    uint8_t* p = out.data() + i * keras::dtype_size(d);
    const float f32 = static_cast<float>(i * 0.25 - 1 + offset);
    switch (d) {
      case DType::float32:
        std::memcpy(p, &f32, 4);
        break;
      case DType::float64: {
        const double v = i * 0.125 - 2 + offset;
        std::memcpy(p, &v, 8);
        break;
      }
      case DType::float16: {
        const uint16_t h = keras::detail::float_to_f16(static_cast<float>(i * 0.5));
        std::memcpy(p, &h, 2);
        break;
      }
      case DType::bfloat16: {
        const uint16_t h = keras::detail::float_to_bf16(f32);
        std::memcpy(p, &h, 2);
        break;
      }
      case DType::int32: {
        const int32_t v = static_cast<int32_t>(i * 3 - 7);
        std::memcpy(p, &v, 4);
        break;
      }
      case DType::int64: {
        const int64_t v = i * 10'000'000'000LL - 5;
        std::memcpy(p, &v, 8);
        break;
      }
      case DType::uint8:
        *p = static_cast<uint8_t>(i * 41 % 256);
        break;
      case DType::bool_:
        *p = i % 3 == 0 ? 1 : 0;
        break;
    }
  }
  return out;
}

Bytes read_all(const File& f, const std::string& path, DType d, const Shape& s) {
  Bytes out(static_cast<size_t>(numel(s)) * keras::dtype_size(d) + 1, 0xAB);
  f.read_dataset(path, d, s, out.data());
  EXPECT_EQ(out.back(), 0xAB) << "read_dataset wrote past the end for " << path;
  out.pop_back();
  return out;
}

std::vector<float> floats(const Bytes& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

template <class E = keras::Error>
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return {};
}

#define EXPECT_ERROR_HAS(E, stmt, text)                                       \
  do {                                                                        \
    const std::string msg_ = error_of<E>([&] { stmt; });                      \
    EXPECT_NE(msg_.find(text), std::string::npos) << "message was: " << msg_; \
  } while (0)

uint64_t get_u64(const std::string& s, size_t pos) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s[pos + i])) << (8 * i);
  return v;
}
void put_u64(std::string& s, size_t pos, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[pos + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
std::vector<size_t> find_all(const std::string& s, const std::string& needle) {
  std::vector<size_t> r;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) r.push_back(p);
  return r;
}

// The tree Keras 3 writes for Sequential([Dense(4), Dense(2)]) on 3 inputs after one Adam step
// (FORMATS.md 2.2). check_cpp_h5.py verifies the same tree (and loads it into Keras).
Writer keras_like_tree() {
  Writer w;
  int slot = 0;
  std::vector<std::pair<Shape, int>> slots;
  for (const auto& [layer, shapes] :
       std::vector<std::pair<std::string, std::vector<Shape>>>{{"dense", {{3, 4}, {4}}}, {"dense_1", {{4, 2}, {2}}}}) {
    const std::string vars = "layers/" + layer + "/vars";
    w.create_group(vars);
    w.set_string_attribute(vars, "name", layer);
    for (size_t k = 0; k < shapes.size(); ++k) {
      const Bytes b = fill(DType::float32, numel(shapes[k]));
      w.create_dataset(vars + "/" + std::to_string(k), DType::float32, shapes[k], b.data());
    }
  }
  w.create_group("optimizer/vars");
  w.set_string_attribute("optimizer/vars", "name", "adam");
  const int64_t iteration = 1;
  const float lr = 0.001f;
  w.create_dataset("optimizer/vars/0", DType::int64, {}, &iteration);
  w.create_dataset("optimizer/vars/1", DType::float32, {}, &lr);
  slot = 2;
  for (const Shape& s : std::vector<Shape>{{3, 4}, {4}, {4, 2}, {2}}) {
    for (int mv = 0; mv < 2; ++mv) {  // m then v, interleaved per variable
      const Bytes b = fill(DType::float32, numel(s), slot);
      w.create_dataset("optimizer/vars/" + std::to_string(slot), DType::float32, s, b.data());
      ++slot;
    }
  }
  w.create_group("vars");
  w.set_string_attribute("vars", "name", "sequential");
  return w;
}

Writer all_dtypes_tree() {
  Writer w;
  for (DType d : kAllDtypes) {
    for (const auto& [key, shape] : kShapes) {
      const Bytes b = fill(d, numel(shape));
      w.create_dataset(std::string(keras::dtype_name(d)) + "/" + key, d, shape, b.empty() ? nullptr : b.data());
    }
  }
  w.set_string_attribute("", "title", "all dtypes \xc3\xa9");
  w.set_string_attribute("float32/r2", "note", "attribute on a dataset");
  w.set_string_attribute("int64", "empty", "");
  return w;
}

Writer big_group_tree(int n, const std::string& group) {
  Writer w;
  w.create_group(group);
  for (int i = 0; i < n; ++i) {
    const int32_t v = i;
    w.create_dataset(group + "/" + std::to_string(i), DType::int32, {}, &v);
  }
  return w;
}

// Walks everything like the fuzz harness, catching keras::Error per call; any other exception
// fails the test. Returns the number of objects visited.
size_t walk(const File& f, size_t file_size) {
  size_t visited = 0;
  std::function<void(const std::string&, int)> visit = [&](const std::string& path, int depth) {
    if (depth > 16 || ++visited > 300) return;
    Kind k = Kind::none;
    try {
      k = f.kind(path);
      for (const auto& a : f.attribute_names(path)) {
        try {
          (void)f.string_attribute(path, a);
        } catch (const keras::Error&) {
        }
        try {
          (void)f.string_list_attribute(path, a);
        } catch (const keras::Error&) {
        }
      }
    } catch (const keras::Error&) {
    }
    if (k == Kind::group) {
      std::vector<std::string> names;
      try {
        names = f.children(path);
      } catch (const keras::Error&) {
      }
      for (const auto& n : names) visit(path + "/" + n, depth + 1);
    } else if (k == Kind::dataset) {
      try {
        const auto info = f.dataset_info(path);
        const uint64_t bytes = static_cast<uint64_t>(numel(info.shape)) * keras::dtype_size(info.dtype);
        EXPECT_LE(bytes, file_size) << "dataset_info accepted a dataset larger than the file";
        Bytes out(bytes);
        f.read_dataset(path, info.dtype, info.shape, out.data());
      } catch (const keras::Error&) {
      }
    }
  };
  visit("", 0);
  return visited;
}

// ------------------------------------------------------------------ writer -> reader round trips

TEST(H5RoundTrip, EveryDtypeAndRank) {
  const File f = File::from_bytes(all_dtypes_tree().bytes(), "mem.h5");
  EXPECT_EQ(f.children(""),
            (std::vector<std::string>{"bfloat16", "bool", "float16", "float32", "float64", "int32", "int64", "uint8"}));
  for (DType d : kAllDtypes) {
    for (const auto& [key, shape] : kShapes) {
      const std::string path = std::string(keras::dtype_name(d)) + "/" + key;
      SCOPED_TRACE(path);
      ASSERT_EQ(f.kind(path), Kind::dataset);
      const auto info = f.dataset_info(path);
      EXPECT_EQ(info.dtype, d);
      EXPECT_EQ(info.shape, shape);
      EXPECT_EQ(read_all(f, path, d, shape), fill(d, numel(shape)));
    }
  }
  EXPECT_EQ(f.string_attribute("", "title"), "all dtypes \xc3\xa9");
  EXPECT_EQ(f.string_attribute("float32/r2", "note"), "attribute on a dataset");
  EXPECT_EQ(f.string_attribute("int64", "empty"), "");
  EXPECT_EQ(f.string_attribute("bfloat16/r1", "dtype"), "bfloat16");
  EXPECT_EQ(f.string_attribute("int64", "missing"), std::nullopt);
  // Spot-check actual numbers, not only agreement with `fill`.
  const auto f32 = floats(read_all(f, "float32/r2", DType::float32, {2, 3}));
  EXPECT_EQ(f32, (std::vector<float>{-1.0f, -0.75f, -0.5f, -0.25f, 0.0f, 0.25f}));
  const Bytes b = read_all(f, "bool/r1", DType::bool_, {5});
  EXPECT_EQ(b, (Bytes{1, 0, 0, 1, 0}));
}

TEST(H5RoundTrip, NestedGroupsAndAttributes) {
  Writer w;
  w.create_group("/a/b/c/");
  w.create_group("a/b");  // idempotent
  w.create_group("a/empty");
  w.set_string_attribute("a/b", "name", "first");
  w.set_string_attribute("a/b", "name", "replaced");
  w.set_string_attribute("a/b", "other", std::string(5000, 'x'));
  w.set_string_attribute("/", "root", "r");
  const double x = 2.5;
  w.create_dataset("a/b/c/x", DType::float64, {}, &x);
  w.create_dataset("top", DType::float64, {1}, &x);
  const File f = File::from_bytes(w.bytes(), "nested.h5");
  EXPECT_EQ(f.kind(""), Kind::group);
  EXPECT_EQ(f.kind("/"), Kind::group);
  EXPECT_EQ(f.kind("a/b/c"), Kind::group);
  EXPECT_EQ(f.kind("/a/b/c/x"), Kind::dataset);
  EXPECT_EQ(f.kind("a/b/c/y"), Kind::none);
  EXPECT_EQ(f.kind("a/b/c/x/deeper"), Kind::none);
  EXPECT_EQ(f.kind("nope/deeper"), Kind::none);
  EXPECT_EQ(f.children(""), (std::vector<std::string>{"a", "top"}));
  EXPECT_EQ(f.children("a"), (std::vector<std::string>{"b", "empty"}));
  EXPECT_TRUE(f.children("a/empty").empty());
  EXPECT_EQ(f.string_attribute("a/b", "name"), "replaced");
  EXPECT_EQ(f.string_attribute("a/b", "other"), std::string(5000, 'x'));
  EXPECT_EQ(f.attribute_names("a/b"), (std::vector<std::string>{"name", "other"}));
  EXPECT_EQ(f.string_attribute("", "root"), "r");
  EXPECT_EQ(f.string_list_attribute("", "root"), std::vector<std::string>{"r"});
  double y = 0;
  f.read_dataset("a/b/c/x", DType::float64, {}, &y);
  EXPECT_EQ(y, 2.5);
  EXPECT_THROW(f.children("a/b/c/x"), keras::ValueError);
  EXPECT_THROW(f.children("zzz"), keras::NotFoundError);
  EXPECT_THROW(f.string_attribute("zzz", "name"), keras::NotFoundError);
  EXPECT_THROW(f.string_list_attribute("a/b", "missing"), keras::NotFoundError);
  EXPECT_THROW(f.dataset_info("a/b"), keras::ValueError);
  EXPECT_THROW(f.dataset_info("a/b/zzz"), keras::NotFoundError);
}

void check_big_group(int n) {
  const File f = File::from_bytes(big_group_tree(n, "g/big").bytes(), "big.h5");
  const auto names = f.children("g/big");
  ASSERT_EQ(names.size(), static_cast<size_t>(n));
  std::vector<std::string> expected;
  for (int i = 0; i < n; ++i) expected.push_back(std::to_string(i));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
  for (int i = 0; i < n; i += (n > 1000 ? 97 : 1)) {
    int32_t v = -1;
    f.read_dataset("g/big/" + std::to_string(i), DType::int32, {}, &v);
    ASSERT_EQ(v, i);
  }
}

TEST(H5RoundTrip, GroupWith300Children) { check_big_group(300); }
TEST(H5RoundTrip, GroupNeedingThreeBtreeLevels) { check_big_group(9000); }  // > 8 * 32 * 32 names
TEST(H5RoundTrip, GroupSizesAroundNodeBoundaries) {
  for (int n : {0, 1, 7, 8, 9, 255, 256, 257}) check_big_group(n);
}

TEST(H5Writer, RejectsInvalidRequests) {
  Writer w;
  const float v = 1;
  w.create_dataset("d", DType::float32, {}, &v);
  EXPECT_THROW(w.create_dataset("d", DType::float32, {}, &v), keras::ValueError);  // exists
  EXPECT_THROW(w.create_group("d"), keras::ValueError);                            // a dataset
  EXPECT_THROW(w.create_group("d/sub"), keras::ValueError);
  EXPECT_THROW(w.create_dataset("d/sub", DType::float32, {}, &v), keras::ValueError);
  EXPECT_THROW(w.create_dataset("", DType::float32, {}, &v), keras::ValueError);
  EXPECT_THROW(w.create_group("a//b"), keras::ValueError);
  EXPECT_THROW(w.create_group("a/./b"), keras::ValueError);
  EXPECT_THROW(w.create_group(std::string("a\0b", 3)), keras::ValueError);
  EXPECT_THROW(w.create_dataset("n", DType::float32, {-1}, &v), keras::ValueError);
  EXPECT_THROW(w.create_dataset("n", DType::float32, {2}, nullptr), keras::ValueError);
  EXPECT_THROW(w.create_dataset("n", DType::float32, {int64_t{1} << 40, int64_t{1} << 40}, &v), keras::ValueError);
  EXPECT_THROW(w.create_dataset("n", DType::float32, Shape(33, 1), &v), keras::ValueError);
  EXPECT_THROW(w.set_string_attribute("missing", "a", "b"), keras::NotFoundError);
  EXPECT_THROW(w.set_string_attribute("d", "", "b"), keras::ValueError);
  EXPECT_THROW(w.set_string_attribute("d", "a", std::string("x\0y", 3)), keras::ValueError);
  w.create_dataset("empty", DType::int64, {0, 4}, nullptr);  // null data is fine for 0 elements
  const File f = File::from_bytes(w.bytes(), "w.h5");
  EXPECT_EQ(f.dataset_info("empty").shape, (Shape{0, 4}));
  EXPECT_EQ(f.children(""), (std::vector<std::string>{"d", "empty"}));
}

TEST(H5Writer, SaveWritesAReadableFileAtomically) {
  const fs::path dir = fs::temp_directory_path() / ("h5_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "model.weights.h5").string();
  keras_like_tree().save(path);
  keras_like_tree().save(path);  // overwrite in place
  const File f = File::open(path);
  EXPECT_EQ(f.string_attribute("layers/dense/vars", "name"), "dense");
  EXPECT_EQ(read_file(path), keras_like_tree().bytes());
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1u) << "temporary files left behind";
  fs::remove_all(dir);
}

TEST(H5Writer, KerasLikeTreeMatchesGoldenFile) {
  // The golden file was checked with h5py and Keras (check_cpp_h5.py). A change in the writer's
  // output must be re-checked the same way before updating it.
  const std::string bytes = keras_like_tree().bytes();
  if (const char* dir = std::getenv("KERAS_H5_EXPORT_DIR")) {
    auto save = [&](const std::string& name, const std::string& b) {
      std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << b;
    };
    save("cpp_keras_like.weights.h5", bytes);
    save("cpp_dtypes.h5", all_dtypes_tree().bytes());
    save("cpp_big_group.h5", big_group_tree(300, "big").bytes());
    save("cpp_huge_group.h5", big_group_tree(9000, "huge").bytes());
  }
  EXPECT_TRUE(bytes == read_file(fixture("cpp_keras_like.weights.h5")))
      << "writer output differs from tests/fixtures/h5/cpp_keras_like.weights.h5; export it with "
         "KERAS_H5_EXPORT_DIR and verify with check_cpp_h5.py before replacing the golden file";
  const File f = File::from_bytes(bytes, "golden");
  EXPECT_EQ(f.children(""), (std::vector<std::string>{"layers", "optimizer", "vars"}));
  EXPECT_EQ(f.children("optimizer/vars"), (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(floats(read_all(f, "optimizer/vars/9", DType::float32, {2})), (std::vector<float>{8.0f, 8.25f}));
}

// ------------------------------------------------------------------ h5py-written fixtures

TEST(H5Reader, H5pyDtypeFixtures) {
  for (const auto& [file, dtypes] : std::vector<std::pair<std::string, std::vector<DType>>>{
           {"dtypes_float.h5", {DType::float32, DType::float64, DType::float16}},
           {"dtypes_int.h5", {DType::int32, DType::int64, DType::uint8, DType::bool_}}}) {
    const File f = File::open(fixture(file));
    EXPECT_EQ(f.children("").size(), dtypes.size());
    for (DType d : dtypes) {
      const std::string group(keras::dtype_name(d));
      EXPECT_EQ(f.children(group), (std::vector<std::string>{"empty", "r0", "r1", "r2", "r3", "r4"}));
      for (const auto& [key, shape] : kShapes) {
        const std::string path = group + "/" + key;
        SCOPED_TRACE(file + ":" + path);
        const auto info = f.dataset_info(path);
        EXPECT_EQ(info.dtype, d);
        EXPECT_EQ(info.shape, shape);
        EXPECT_EQ(read_all(f, path, d, shape), fill(d, numel(shape)));
      }
    }
  }
  const File f = File::open(fixture("dtypes_int.h5"));
  int64_t v[5];
  f.read_dataset("int64/r1", DType::int64, {5}, v);
  EXPECT_EQ(v[4], 39'999'999'995LL);
  uint8_t u[5];
  f.read_dataset("uint8/r1", DType::uint8, {5}, u);
  EXPECT_EQ(u[4], 164);
}

TEST(H5Reader, H5pyKerasLikeFixture) {
  const File f = File::open(fixture("keras_like.weights.h5"));
  EXPECT_EQ(f.children(""), (std::vector<std::string>{"layers", "optimizer", "vars"}));
  EXPECT_EQ(f.children("layers"), (std::vector<std::string>{"dense", "dense_1", "dropout"}));
  EXPECT_EQ(f.string_attribute("layers/dense_1/vars", "name"), "dense_1");
  EXPECT_EQ(f.string_attribute("vars", "name"), "sequential");
  EXPECT_TRUE(f.children("vars").empty());
  EXPECT_TRUE(f.children("layers/dropout/vars").empty());
  EXPECT_EQ(f.attribute_names(""), std::vector<std::string>{});
  EXPECT_EQ(floats(read_all(f, "layers/dense/vars/0", DType::float32, {3, 4})), floats(fill(DType::float32, 12)));
  EXPECT_EQ(floats(read_all(f, "layers/dense_1/vars/1", DType::float32, {2})), (std::vector<float>{-1.0f, -0.75f}));
  int64_t it = 0;
  f.read_dataset("optimizer/vars/0", DType::int64, {}, &it);
  EXPECT_EQ(it, 1);
  float lr = 0;
  f.read_dataset("optimizer/vars/1", DType::float32, {}, &lr);
  EXPECT_EQ(lr, 0.001f);
}

TEST(H5Reader, H5pyLegacyKeras2Fixture) {
  const File f = File::open(fixture("legacy_keras2.h5"));
  EXPECT_EQ(f.string_attribute("", "keras_version"), "2.15.0");
  EXPECT_EQ(f.string_attribute("", "backend"), "tensorflow");
  EXPECT_EQ(f.string_attribute("", "model_config"), R"({"class_name": "Sequential", "config": {"name": "seq"}})");
  EXPECT_EQ(f.string_attribute("model_weights", "backend"), "tensorflow");  // fixed-length bytes
  EXPECT_EQ(f.string_list_attribute("model_weights", "layer_names"),
            (std::vector<std::string>{"dense", "dropout", "dense_1"}));
  EXPECT_EQ(f.string_list_attribute("model_weights/dense", "weight_names"),
            (std::vector<std::string>{"dense/kernel:0", "dense/bias:0"}));
  EXPECT_TRUE(f.string_list_attribute("model_weights/dropout", "weight_names").empty());  // float64 (0,)
  EXPECT_EQ(f.string_list_attribute("model_weights", "vlen_names"), (std::vector<std::string>{"alpha", "", "gamma"}));
  EXPECT_EQ(f.string_list_attribute("model_weights", "space_padded"), (std::vector<std::string>{"ab  ", "c   "}));
  EXPECT_THROW(f.string_attribute("model_weights", "layer_names"), keras::TypeError);  // three strings
  EXPECT_EQ(floats(read_all(f, "model_weights/dense_1/dense_1/kernel:0", DType::float32, {4, 2})),
            floats(fill(DType::float32, 8)));
  EXPECT_EQ(f.kind("model_weights/dense/dense/bias:0"), Kind::dataset);
}

TEST(H5Reader, H5pyLatestFormat) {
  const File f = File::open(fixture("latest.h5"));  // superblock v3, OHDR headers, link messages
  EXPECT_EQ(f.children(""), (std::vector<std::string>{"dense_group", "empty", "flags", "layers", "scalar"}));
  EXPECT_EQ(f.string_attribute("", "title"), "latest format");
  EXPECT_EQ(f.string_attribute("layers/dense/vars", "name"), "dense");
  EXPECT_EQ(floats(read_all(f, "layers/dense/vars/0", DType::float32, {3, 4})), floats(fill(DType::float32, 12)));
  EXPECT_EQ(read_all(f, "flags", DType::bool_, {4}), (Bytes{1, 0, 0, 1}));
  int64_t s = 0;
  f.read_dataset("scalar", DType::int64, {}, &s);
  EXPECT_EQ(s, -3);
  EXPECT_TRUE(f.children("empty").empty());
  EXPECT_EQ(f.kind("dense_group"), Kind::group);
  EXPECT_ERROR_HAS(keras::ValueError, f.children("dense_group"), "dense link storage");
  EXPECT_ERROR_HAS(keras::ValueError, f.kind("dense_group/0"), "latest.h5: /dense_group: group uses dense link");
}

TEST(H5Reader, H5pyFeatureFixture) {
  const File f = File::open(fixture("features.h5"));
  EXPECT_EQ(floats(read_all(f, "contiguous", DType::float32, {2, 3})), floats(fill(DType::float32, 6)));
  EXPECT_EQ(floats(read_all(f, "big_endian", DType::float32, {2, 3})), floats(fill(DType::float32, 6)));
  EXPECT_EQ(read_all(f, "big_endian_i64", DType::int64, {3}), fill(DType::int64, 3));
  EXPECT_EQ(read_all(f, "compact_layout", DType::int32, {2, 2}), fill(DType::int32, 4));
  EXPECT_EQ(read_all(f, "uint8", DType::uint8, {4}), fill(DType::uint8, 4));
  EXPECT_EQ(read_all(f, "links/hard", DType::float32, {2, 3}), fill(DType::float32, 6));
  const Bytes bf = read_all(f, "bf16", DType::bfloat16, {3});
  EXPECT_EQ(bf, (Bytes{0x80, 0x3F, 0x00, 0x40, 0x40, 0xC0}));
  EXPECT_EQ(f.kind("named_type"), Kind::other);

  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("chunked"), "features.h5: /chunked: dataset uses chunked storage");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("gzip"), "/gzip: dataset uses filters");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("external_storage"), "external storage");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("virtual"), "/virtual: virtual datasets are refused");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("int16"), "unsupported datatype: 16-bit signed integer");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("compound"), "compound datatypes are not supported");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("strings"), "unsupported datatype: fixed-length string");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("opaque2"), "dtype=\"bfloat16\"");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("unwritten"), "no stored data");
  EXPECT_ERROR_HAS(keras::ValueError, f.dataset_info("uses_named_type"), "shared (committed) datatypes");
  EXPECT_ERROR_HAS(keras::ValueError, f.kind("soft"), "features.h5: /soft: is a soft link (to '/contiguous')");
  EXPECT_ERROR_HAS(keras::ValueError, f.kind("links/soft"), "/links/soft: is a soft link");
  EXPECT_ERROR_HAS(keras::ValueError, f.kind("links/external_link"), "/links/external_link: is an external link");
  EXPECT_ERROR_HAS(keras::ValueError, f.kind("soft/x"), "soft link");
  // Refused objects still list as children (callers decide what to do with them).
  const auto names = f.children("links");
  EXPECT_EQ(names, (std::vector<std::string>{"external_link", "hard", "soft"}));
}

TEST(H5Reader, H5pyLinksAndAttributes) {
  const File f = File::open(fixture("links_attrs.h5"));
  EXPECT_EQ(f.string_attribute("", "root_attr"), "on the root");
  EXPECT_EQ(f.string_attribute("with_attrs", "s"), "fixed");
  EXPECT_EQ(f.string_attribute("with_attrs", "u"), "unicode \xc3\xa9\xe4\xb8\xad");
  EXPECT_EQ(f.attribute_names("with_attrs"), (std::vector<std::string>{"n", "s", "u"}));
  EXPECT_ERROR_HAS(keras::TypeError, f.string_attribute("with_attrs", "n"),
                   "32-bit signed integer attribute, not a string");
  EXPECT_EQ(f.kind("a/b/alias"), Kind::group);  // a second hard link is fine
  EXPECT_EQ(f.children("a/b/alias"), std::vector<std::string>{"up"});
  EXPECT_ERROR_HAS(keras::Error, f.kind("a/b/c/up"), "links_attrs.h5: /a/b/c/up: link cycle");
  EXPECT_ERROR_HAS(keras::Error, f.children("a/b/c/up/b"), "link cycle");
  EXPECT_GT(walk(f, read_file(fixture("links_attrs.h5")).size()), 5u);
}

TEST(H5Reader, H5pyUserBlock) {
  const File f = File::open(fixture("userblock.h5"));  // superblock at 512, base address 512
  EXPECT_EQ(f.string_attribute("", "name"), "with user block");
  EXPECT_EQ(read_all(f, "x", DType::int32, {3}), fill(DType::int32, 3));
}

TEST(H5Reader, MismatchedDtypeOrShapeLeavesOutputUntouched) {
  const File f = File::open(fixture("keras_like.weights.h5"));
  std::vector<float> out(12, 42.0f);
  EXPECT_ERROR_HAS(keras::ValueError, f.read_dataset("layers/dense/vars/0", DType::float32, {4, 3}, out.data()),
                   "keras_like.weights.h5: /layers/dense/vars/0: dataset has shape (3, 4), expected (4, 3)");
  EXPECT_ERROR_HAS(keras::ValueError, f.read_dataset("layers/dense/vars/1", DType::float32, {}, out.data()),
                   "dataset has shape (4,), expected ()");
  EXPECT_ERROR_HAS(keras::ValueError, f.read_dataset("layers/dense/vars/0", DType::float64, {3, 4}, out.data()),
                   "dataset has dtype float32, expected float64");
  EXPECT_ERROR_HAS(keras::ValueError, f.read_dataset("optimizer/vars/0", DType::int32, {}, out.data()),
                   "dataset has dtype int64, expected int32");
  EXPECT_EQ(out, std::vector<float>(12, 42.0f));
  EXPECT_ERROR_HAS(keras::NotFoundError, f.read_dataset("layers/dense/vars/7", DType::float32, {}, out.data()),
                   "/layers/dense/vars/7: no such dataset");
}

TEST(H5Reader, MissingFileAndNonHdf5Input) {
  EXPECT_ERROR_HAS(keras::NotFoundError, File::open("/nonexistent/dir/w.weights.h5"), "/nonexistent/dir/w.weights.h5");
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes("PK\x03\x04 not hdf5", "x.keras"), "x.keras: not an HDF5 file");
  EXPECT_ERROR_HAS(keras::Error, File::open(fixture("")), "is a directory");
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes("", "empty.h5"), "empty.h5: not an HDF5 file");
  std::string sb = keras_like_tree().bytes();
  sb[8] = 4;  // superblock version
  EXPECT_ERROR_HAS(keras::ValueError, File::from_bytes(sb, "v4.h5"), "superblock version 4 is not supported");
}

// ------------------------------------------------------------------ hostile input

// Small files holding every structure the reader walks (the loops below parse once per byte).
// The larger fixtures are in the fuzz corpus.
std::vector<std::pair<std::string, std::string>> hostile_inputs() {
  Writer w;  // the same tree as small.h5
  w.create_group("layers/dense/vars");
  w.set_string_attribute("layers/dense/vars", "name", "dense");
  const Bytes f32 = fill(DType::float32, 6), b = fill(DType::bool_, 3);
  w.create_dataset("layers/dense/vars/0", DType::float32, {2, 3}, f32.data());
  w.create_dataset("layers/dense/vars/1", DType::bool_, {3}, b.data());
  const int64_t it = 7;
  w.create_dataset("it", DType::int64, {}, &it);
  w.set_string_attribute("", "names", "dense");
  return {{"ours", w.bytes()},
          {"h5py", read_file(fixture("small.h5"))},
          {"h5py latest", read_file(fixture("small_latest.h5"))}};
}

void parse_and_walk(const std::string& bytes) {
  try {
    const File f = File::from_bytes(bytes, "hostile.h5");
    walk(f, bytes.size());
  } catch (const keras::Error&) {
  }
}

TEST(H5Hostile, TruncatedAtEveryOffset) {
  for (const auto& [label, bytes] : hostile_inputs()) {
    SCOPED_TRACE(label);
    for (size_t n = 0; n < bytes.size(); ++n) parse_and_walk(bytes.substr(0, n));
    // The complete file still walks.
    const File f = File::from_bytes(bytes, label);
    EXPECT_EQ(walk(f, bytes.size()), 7u);
  }
}

TEST(H5Hostile, EveryByteFlipped) {
  for (const auto& [label, bytes] : hostile_inputs()) {
    SCOPED_TRACE(label);
    std::string b = bytes;
    for (size_t i = 0; i < b.size(); ++i) {
      b[i] = static_cast<char>(b[i] ^ 0xFF);
      parse_and_walk(b);
      b[i] = bytes[i];
    }
  }
}

TEST(H5Hostile, LyingShapeIsRefusedBeforeAllocation) {
  Writer w;
  const Bytes data = fill(DType::float32, 15);
  w.create_dataset("x", DType::float32, {3, 5}, data.data());
  const std::string good = w.bytes();
  // Dataspace message v1: version 1, rank 2, max dims present, then dims 3, 5 and max dims 3, 5.
  std::string pattern("\x01\x02\x01\x00\x00\x00\x00\x00", 8);
  const auto hits = find_all(good, pattern);
  ASSERT_EQ(hits.size(), 1u);
  const size_t dims = hits[0] + 8;
  ASSERT_EQ(get_u64(good, dims), 3u);

  std::string huge = good;
  put_u64(huge, dims, uint64_t{1} << 40);
  const File f = File::from_bytes(huge, "bomb.h5");
  EXPECT_ERROR_HAS(keras::Error, f.dataset_info("x"),
                   "bomb.h5: /x: dataset stores 60 bytes but its shape and type need");
  // Asking for exactly the declared shape must fail before writing to `out` (null here).
  EXPECT_THROW(f.read_dataset("x", DType::float32, {int64_t{1} << 40, 5}, nullptr), keras::Error);

  std::string overflow = good;
  put_u64(overflow, dims, uint64_t{1} << 62);
  put_u64(overflow, dims + 8, uint64_t{1} << 62);
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes(overflow, "o.h5").dataset_info("x"), "overflows");

  // Shape and layout size agree, but the data would lie past the end of the file.
  std::string past_end = good;
  put_u64(past_end, dims, 3000);
  const auto layout = find_all(past_end, std::string("\x08\x00\x18\x00\x00\x00\x00\x00\x03\x01", 10));
  ASSERT_EQ(layout.size(), 1u);
  put_u64(past_end, layout[0] + 18, 3000 * 5 * 4);
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes(past_end, "p.h5").dataset_info("x"), "p.h5: /x: dataset data at");
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes(past_end, "p.h5").dataset_info("x"), "lies outside the file");
}

// Symbol table node entries of a file from our writer: (entry position, header address).
std::vector<std::pair<size_t, uint64_t>> snod_entries(const std::string& b) {
  std::vector<std::pair<size_t, uint64_t>> r;
  for (size_t p : find_all(b, "SNOD")) {
    const size_t n = static_cast<uint8_t>(b[p + 6]) | (static_cast<uint8_t>(b[p + 7]) << 8);
    for (size_t i = 0; i < n; ++i) r.emplace_back(p + 8 + 40 * i, get_u64(b, p + 8 + 40 * i + 8));
  }
  return r;
}

TEST(H5Hostile, SelfReferencingGroupTerminates) {
  Writer w;
  w.create_group("g/h");
  std::string b = w.bytes();
  // Post-order layout: g's symbol table node (holding "h") comes first, the root's (holding "g") last.
  const auto entries = snod_entries(b);
  ASSERT_EQ(entries.size(), 2u);
  const uint64_t g_header = entries[1].second;
  put_u64(b, entries[0].first + 8, g_header);  // g/h is now g itself
  put_u64(b, entries[0].first + 16, 0);        // cache type 0 (no cached B-tree/heap)
  const File f = File::from_bytes(b, "loop.h5");
  EXPECT_EQ(f.kind("g"), Kind::group);
  EXPECT_EQ(f.children("g"), std::vector<std::string>{"h"});
  EXPECT_ERROR_HAS(keras::Error, f.kind("g/h"), "loop.h5: /g/h: link cycle");
  EXPECT_ERROR_HAS(keras::Error, f.children("g/h/h/h"), "link cycle");
  EXPECT_LT(walk(f, b.size()), 10u);
  // The root pointing at itself.
  std::string r = w.bytes();
  const auto re = snod_entries(r);
  put_u64(r, re[1].first + 8, get_u64(r, 64));  // root entry's object header address (superblock)
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes(r, "r.h5").kind("g"), "link cycle");
}

TEST(H5Hostile, ContinuationLoopTerminates) {
  Writer w;
  w.set_string_attribute("", "name", "root");
  std::string b = w.bytes();
  const uint64_t root = get_u64(b, 64);
  // Root header: prefix (16 bytes), symbol table message (8 + 16), attribute message. Turn the
  // attribute into a continuation message pointing back at the first chunk.
  const size_t msg = root + 16 + 24;
  ASSERT_EQ(b[msg], '\x0c');
  b[msg] = '\x10';
  put_u64(b, msg + 8, root + 16);
  put_u64(b, msg + 16, get_u64(b, root + 8) & 0xffffffff);
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes(b, "cont.h5").kind(""),
                   "cont.h5: /: object header continuation chain loops");
  // Pointing at itself (the chunk holding the continuation message).
  put_u64(b, msg + 8, msg);
  put_u64(b, msg + 16, 24);
  EXPECT_THROW(File::from_bytes(b, "cont.h5").kind(""), keras::Error);
}

TEST(H5Hostile, BtreeCycleTerminates) {
  std::string b = big_group_tree(300, "big").bytes();
  // The group's root B-tree node is the only one of level 1.
  size_t root_node = std::string::npos;
  for (size_t p : find_all(b, "TREE"))
    if (b[p + 5] == 1) root_node = p;
  ASSERT_NE(root_node, std::string::npos);
  put_u64(b, root_node + 32, root_node);  // first child: itself
  const File f = File::from_bytes(b, "btree.h5");
  EXPECT_ERROR_HAS(keras::Error, f.children("big"), "btree.h5: /big: group B-tree");
  EXPECT_THROW(f.kind("big/0"), keras::Error);
}

TEST(H5Hostile, SharedSymbolTableNodesAreCaught) {
  // Two B-tree children pointing at the same symbol table node would list every name twice.
  std::string b = big_group_tree(20, "g").bytes();
  const auto trees = find_all(b, "TREE");
  size_t node = std::string::npos;
  for (size_t p : trees)
    if (b[p + 6] == 3) node = p;  // the level-0 node of "g" has 3 children (8 + 8 + 4 names)
  ASSERT_NE(node, std::string::npos);
  put_u64(b, node + 48, get_u64(b, node + 32));
  EXPECT_ERROR_HAS(keras::Error, File::from_bytes(b, "dup.h5").children("g"), "referenced twice");
}

}  // namespace

TEST(H5Hostile, SharedStructuresExhaustTheWorkBudget) {
  // 400 groups whose symbol table messages all point at the B-tree and heap of one 300-member
  // group: each group is a distinct object, so its listing is parsed again. The total work is
  // bounded by a multiple of the file size, after which the reader refuses the file.
  Writer w = big_group_tree(300, "big");
  for (int i = 0; i < 400; ++i) w.create_group("s/" + std::to_string(i));
  std::string b = w.bytes();
  const uint64_t root = get_u64(b, 64);
  const auto snods = find_all(b, "SNOD");
  const size_t root_snod = snods.back();  // post-order: the root's node comes last
  const uint64_t big_btree = get_u64(b, root_snod + 8 + 24), big_heap = get_u64(b, root_snod + 8 + 32);
  const uint64_t s_header = get_u64(b, root_snod + 8 + 40 + 8);
  size_t patched = 0;
  for (size_t p : find_all(b, std::string("\x11\x00\x10\x00\x00\x00\x00\x00", 8))) {
    if (p == root + 16 || p == s_header + 16 || get_u64(b, p + 8) == big_btree) continue;
    put_u64(b, p + 8, big_btree);
    put_u64(b, p + 16, big_heap);
    ++patched;
  }
  ASSERT_EQ(patched, 400u);
  const File f = File::from_bytes(b, "shared.h5");
  size_t listed = 0, refused = 0;
  for (int i = 0; i < 400; ++i) {
    try {
      EXPECT_EQ(f.children("s/" + std::to_string(i)).size(), 300u);
      ++listed;
    } catch (const keras::Error& e) {
      EXPECT_NE(std::string(e.what()).find("more work than its size justifies"), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(listed, 0u);
  EXPECT_GT(refused, 0u);
}
