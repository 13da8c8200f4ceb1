// keras::data::load_csv / make_csv_dataset against hand-written files,
// keras::utils::split_dataset against Keras' size rules and messages, and
// keras::datasets::parse_idx on hand-made bytes.
#include "keras/data/csv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "keras/datasets.hpp"
#include "keras/error.hpp"
#include "keras/utils/dataset_utils.hpp"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
using keras::ValueError;
using keras::data::CsvOptions;
using keras::data::Dataset;
using keras::data::Element;

// A temporary file holding `text`, removed with the object.
class TempCsv {
 public:
  explicit TempCsv(const std::string& text) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("keras_csv_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".csv"))
                .string();
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempCsv() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<Element> collect(const Dataset& ds) {
  std::vector<Element> out;
  for (const Element& e : ds) out.push_back(e);
  return out;
}

// Runs f and returns the message of the keras::ValueError it throws ("" if none).
template <class F>
std::string value_error(F f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "";
}

const char* kTable = "a,b,y\n1,2,0\n3,4.5,1\n-5,6e1,0\n7,+8,1\n";

// ---- load_csv ----------------------------------------------------------------------------------

TEST(CsvLoad, ParsesEveryColumnAsFloat32) {
  TempCsv f(kTable);
  const std::vector<Tensor> t = keras::data::load_csv(f.path());
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].dtype(), DType::float32);
  EXPECT_EQ(t[0].shape(), (Shape{4, 3}));
  EXPECT_EQ(t[0].to_vector<float>(), (std::vector<float>{1, 2, 0, 3, 4.5f, 1, -5, 60, 0, 7, 8, 1}));
}

TEST(CsvLoad, SplitsTheLabel) {
  TempCsv f(kTable);
  const std::vector<Tensor> t = keras::data::load_csv(f.path(), {.label_name = "a"});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].shape(), (Shape{4, 2}));
  EXPECT_EQ(t[0].to_vector<float>(), (std::vector<float>{2, 0, 4.5f, 1, 60, 0, 8, 1}));
  EXPECT_EQ(t[1].shape(), (Shape{4}));
  EXPECT_EQ(t[1].to_vector<float>(), (std::vector<float>{1, 3, -5, 7}));
}

TEST(CsvLoad, SelectsColumnsInFileOrderAndSkipsTheOthersUnparsed) {
  TempCsv f("id,x,name,y\n10,1.5,foo,1\n11,2.5,bar,0\n");
  const std::vector<Tensor> t =
      keras::data::load_csv(f.path(), {.label_name = "y", .select_columns = {"y", "id", "x"}});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].to_vector<float>(), (std::vector<float>{10, 1.5f, 11, 2.5f}));
  EXPECT_EQ(t[1].to_vector<float>(), (std::vector<float>{1, 0}));
}

TEST(CsvLoad, DelimiterQuotesBlanksCrLfAndNoHeader) {
  TempCsv f("1; \"2\" ;3\r\n\r\n  \n4;5;6\r\n");
  const std::vector<Tensor> t =
      keras::data::load_csv(f.path(), {.label_name = "2", .field_delim = ';', .header = false});
  EXPECT_EQ(t[0].to_vector<float>(), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(t[1].to_vector<float>(), (std::vector<float>{3, 6}));
  TempCsv g("\"p\",q\n1,2\n");
  EXPECT_EQ(keras::data::load_csv(g.path(), {.label_name = "p"})[1].to_vector<float>(), (std::vector<float>{1}));
}

TEST(CsvLoad, ColumnNamesOverrideTheHeader) {
  TempCsv f("a,b\n1,2\n");
  const auto t = keras::data::load_csv(f.path(), {.column_names = {"u", "v"}, .label_name = "v"});
  EXPECT_EQ(t[1].to_vector<float>(), (std::vector<float>{2}));
  EXPECT_NE(value_error([&] { keras::data::load_csv(f.path(), {.column_names = {"u"}}); }).find("column_names has 1"),
            std::string::npos);
}

TEST(CsvLoad, InfNanAndIgnoresTheGlobalLocale) {
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = old ? old : "C";
  std::setlocale(LC_NUMERIC, "de_DE.UTF-8");  // may not exist; the parse must not care either way
  TempCsv f("a,b\ninf,nan\n-0.25,1e-3\n");
  const auto v = keras::data::load_csv(f.path())[0].to_vector<float>();
  std::setlocale(LC_NUMERIC, saved.c_str());
  ASSERT_EQ(v.size(), 4u);
  EXPECT_TRUE(std::isinf(v[0]) && v[0] > 0);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], -0.25f);
  EXPECT_EQ(v[3], 1e-3f);
}

TEST(CsvLoad, IgnoreErrorsSkipsBadRows) {
  TempCsv f("a,b\n1,2\n3\nx,4\n5,6,7\n8,9\n");
  const auto t = keras::data::load_csv(f.path(), {.ignore_errors = true});
  EXPECT_EQ(t[0].to_vector<float>(), (std::vector<float>{1, 2, 8, 9}));
}

// ---- bad input ---------------------------------------------------------------------------------------

TEST(CsvErrors, MissingFileIsNotFoundNamingThePath) {
  const std::string path = "/nonexistent/keras_csv_missing.csv";
  try {
    keras::data::make_csv_dataset(path, 2);
    FAIL() << "no error";
  } catch (const keras::NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST(CsvErrors, EmptyAndHeaderOnly) {
  TempCsv empty(""), blank("\n \n"), header("a,b\n");
  EXPECT_NE(value_error([&] { keras::data::load_csv(empty.path()); }).find("is empty"), std::string::npos);
  EXPECT_NE(value_error([&] { keras::data::load_csv(blank.path()); }).find("is empty"), std::string::npos);
  EXPECT_NE(value_error([&] { keras::data::load_csv(header.path()); }).find("no data rows"), std::string::npos);
  TempCsv bad("a,b\nx,y\n");
  EXPECT_NE(value_error([&] { keras::data::load_csv(bad.path(), {.ignore_errors = true}); }).find("no data rows"),
            std::string::npos);
}

TEST(CsvErrors, RaggedRowNamesTheLine) {
  TempCsv f("a,b\n1,2\n\n3,4,5\n");
  const std::string msg = value_error([&] { keras::data::load_csv(f.path()); });
  EXPECT_NE(msg.find("line 4 has 3 fields but there are 2 columns (a, b)"), std::string::npos) << msg;
}

TEST(CsvErrors, NonNumericFieldNamesLineAndColumn) {
  for (const char* field : {"abc", "1.5x", "", "++1", "+-1", "0x10", "1e999", " 1 2"}) {
    TempCsv f(std::string("a,b\n1,2\n3,") + field + "\n");
    const std::string msg = value_error([&] { keras::data::load_csv(f.path()); });
    EXPECT_NE(msg.find("line 3, column 'b'"), std::string::npos) << field << ": " << msg;
  }
}

TEST(CsvErrors, UnknownColumnsListTheAvailableOnes) {
  TempCsv f(kTable);
  std::string msg = value_error([&] { keras::data::load_csv(f.path(), {.label_name = "z"}); });
  EXPECT_NE(msg.find("label_name 'z' is not a column; available columns: a, b, y"), std::string::npos) << msg;
  msg = value_error([&] { keras::data::load_csv(f.path(), {.select_columns = {"a", "q"}}); });
  EXPECT_NE(msg.find("select_columns entry 'q' is not a column; available columns: a, b, y"), std::string::npos) << msg;
  msg = value_error([&] { keras::data::load_csv(f.path(), {.label_name = "y", .select_columns = {"a"}}); });
  EXPECT_NE(msg.find("not among select_columns"), std::string::npos) << msg;
  msg = value_error([&] { keras::data::load_csv(f.path(), {.label_name = "y", .select_columns = {"y"}}); });
  EXPECT_NE(msg.find("no feature columns"), std::string::npos) << msg;
  TempCsv dup("a,a\n1,2\n");
  EXPECT_NE(value_error([&] { keras::data::load_csv(dup.path()); }).find("appears twice"), std::string::npos);
}

TEST(CsvErrors, BadDatasetArguments) {
  TempCsv f(kTable);
  EXPECT_NE(value_error([&] { keras::data::make_csv_dataset(f.path(), 0); }).find("batch_size"), std::string::npos);
  EXPECT_NE(value_error([&] { keras::data::make_csv_dataset(f.path(), 1, {.num_epochs = -2}); }).find("num_epochs"),
            std::string::npos);
}

// ---- make_csv_dataset -----------------------------------------------------------------------------------

TEST(CsvDataset, BatchesFeaturesAndLabelInOrderWithoutShuffle) {
  TempCsv f(kTable);
  const auto got = collect(keras::data::make_csv_dataset(f.path(), 3, {.label_name = "y", .shuffle = false}));
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got[0].size(), 2u);
  EXPECT_EQ(got[0][0].shape(), (Shape{3, 2}));
  EXPECT_EQ(got[0][0].to_vector<float>(), (std::vector<float>{1, 2, 3, 4.5f, -5, 60}));
  EXPECT_EQ(got[0][1].to_vector<float>(), (std::vector<float>{0, 1, 0}));
  EXPECT_EQ(got[1][0].shape(), (Shape{1, 2}));
  EXPECT_EQ(got[1][1].to_vector<float>(), (std::vector<float>{1}));
}

TEST(CsvDataset, FeaturesOnlyAndEpochs) {
  TempCsv f(kTable);
  const Dataset ds = keras::data::make_csv_dataset(f.path(), 4, {.num_epochs = 2, .shuffle = false});
  const auto got = collect(ds);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), 1u);
  EXPECT_EQ(got[0][0].to_vector<float>(), got[1][0].to_vector<float>());
  // Forever: the last partial batch is dropped, as in tf.
  const Dataset forever = keras::data::make_csv_dataset(f.path(), 3, {.num_epochs = -1, .shuffle = false});
  EXPECT_EQ(forever.cardinality(), keras::data::kInfiniteCardinality);
  auto it = forever.make_iterator();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(it.next()->at(0).shape(), (Shape{3, 3}));
}

TEST(CsvDataset, ShuffleIsAPermutationDeterminedByTheSeed) {
  std::string text = "x,y\n";
  for (int i = 0; i < 50; ++i) text += std::to_string(i) + "," + std::to_string(2 * i) + "\n";
  TempCsv f(text);
  auto labels = [&](uint64_t seed) {
    std::vector<float> out;
    for (const Element& e : keras::data::make_csv_dataset(f.path(), 8, {.label_name = "y", .shuffle_seed = seed}))
      for (float v : e[1].to_vector<float>()) out.push_back(v);
    return out;
  };
  const std::vector<float> a = labels(7);
  EXPECT_EQ(a, labels(7));
  EXPECT_NE(a, labels(8));
  std::vector<float> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], float(2 * i));
  // Features stay with their labels.
  for (const Element& e : keras::data::make_csv_dataset(f.path(), 8, {.label_name = "y", .shuffle_seed = 3})) {
    const auto x = e[0].to_vector<float>(), y = e[1].to_vector<float>();
    for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(2 * x[i], y[i]);
  }
}

// ---- split_dataset -----------------------------------------------------------------------------------

std::vector<Tensor> arange_arrays(int64_t n) {
  std::vector<float> x, y;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(float(i));
    x.push_back(float(-i));
    y.push_back(float(10 * i));
  }
  return {Tensor(x, Shape{n, 2}), Tensor(y, Shape{n})};
}

std::vector<float> ys(const Dataset& ds) {
  std::vector<float> out;
  for (const Element& e : ds) out.push_back(e[1].item<float>());
  return out;
}

TEST(SplitDataset, FractionsAndCounts) {
  const auto arrays = arange_arrays(10);
  auto [l, r] = keras::utils::split_dataset(arrays, 0.8);
  EXPECT_EQ(l.cardinality(), 8);
  EXPECT_EQ(r.cardinality(), 2);
  EXPECT_EQ(ys(r), (std::vector<float>{80, 90}));
  const auto e = collect(l)[3];
  EXPECT_EQ(e[0].to_vector<float>(), (std::vector<float>{3, -3}));
  auto [l2, r2] = keras::utils::split_dataset(arrays, std::nullopt, 3);
  EXPECT_EQ(ys(l2), (std::vector<float>{0, 10, 20, 30, 40, 50, 60}));
  EXPECT_EQ(ys(r2), (std::vector<float>{70, 80, 90}));
  // Rows beyond left + right belong to neither side: left is the head, right the tail.
  auto [l3, r3] = keras::utils::split_dataset(arrays, 2, 0.3);
  EXPECT_EQ(ys(l3), (std::vector<float>{0, 10}));
  EXPECT_EQ(ys(r3), (std::vector<float>{70, 80, 90}));
}

TEST(SplitDataset, RoundsHalfToEvenAsPython) {
  const auto arrays = arange_arrays(5);
  EXPECT_EQ(keras::utils::split_dataset(arrays, 0.5).first.cardinality(), 2);  // round(2.5) == 2
  EXPECT_EQ(keras::utils::split_dataset(arrays, 0.7).first.cardinality(), 4);  // round(3.5) == 4
}

TEST(SplitDataset, ShuffleIsASeededPermutation) {
  const auto arrays = arange_arrays(20);
  auto split = [&](uint64_t seed) {
    auto [l, r] = keras::utils::split_dataset(arrays, 0.5, std::nullopt, true, seed);
    std::vector<float> all = ys(l), right = ys(r);
    all.insert(all.end(), right.begin(), right.end());
    return all;
  };
  const auto a = split(1);
  EXPECT_EQ(a, split(1));
  EXPECT_NE(a, split(2));
  std::vector<float> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], float(10 * i));
}

TEST(SplitDataset, ErrorsUseKerasMessages) {
  const auto arrays = arange_arrays(10);
  auto msg = [&](std::optional<double> l, std::optional<double> r) {
    return value_error([&] { keras::utils::split_dataset(arrays, l, r); });
  };
  EXPECT_NE(msg(std::nullopt, std::nullopt).find("At least one of the `left_size` or `right_size` must be specified"),
            std::string::npos);
  EXPECT_NE(msg(0, 0).find("Both `left_size` and `right_size` are zero"), std::string::npos);
  EXPECT_NE(msg(10, std::nullopt)
                .find("`left_size` should be either a positive integer smaller than 10, or a float "
                      "within the range `[0, 1]`. Received: left_size=10"),
            std::string::npos);
  EXPECT_NE(msg(-0.5, std::nullopt).find("Received: left_size=-0.5"), std::string::npos);
  EXPECT_NE(msg(2.5, std::nullopt).find("Received: left_size=2.5"), std::string::npos);
  EXPECT_NE(msg(std::nullopt, 0).find("`right_size` should be either a positive integer and smaller than 10"),
            std::string::npos);
  EXPECT_NE(msg(0.6, 0.5).find("The sum of `left_size` and `right_size` is greater than 1"), std::string::npos);
  EXPECT_NE(msg(6, 5).find("should be smaller than the 10. Received: left_size + right_size = 11"), std::string::npos);
  EXPECT_NE(msg(0.01, std::nullopt).find("Resulting left side dataset split will be empty"), std::string::npos);
  EXPECT_NE(value_error([] { keras::utils::split_dataset({}, 0.5); }).find("Received an empty list dataset"),
            std::string::npos);
  const std::vector<Tensor> ragged = {Tensor(std::vector<float>{1, 2, 3}, Shape{3}),
                                      Tensor(std::vector<float>{1, 2}, Shape{2})};
  EXPECT_NE(value_error([&] { keras::utils::split_dataset(ragged, 0.5); }).find("different lengths"),
            std::string::npos);
  const std::vector<Tensor> none = {Tensor::empty(Shape{0, 2})};
  EXPECT_NE(value_error([&] { keras::utils::split_dataset(none, 0.5); }).find("Received an empty dataset"),
            std::string::npos);
}

// ---- parse_idx ------------------------------------------------------------------------------------------

std::vector<uint8_t> idx_bytes(std::vector<uint32_t> dims, size_t data_bytes) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}

TEST(IdxParse, GoodBytes) {
  const auto b = idx_bytes({2, 3}, 6);
  const Tensor t = keras::datasets::parse_idx(b.data(), b.size(), "mem");
  EXPECT_EQ(t.dtype(), DType::uint8);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 7, 14, 21, 28, 35}));
  const auto empty = idx_bytes({0, 5}, 0);
  EXPECT_EQ(keras::datasets::parse_idx(empty.data(), empty.size(), "mem").shape(), (Shape{0, 5}));
}

TEST(IdxParse, BadBytes) {
  auto msg = [](const std::vector<uint8_t>& b) {
    return value_error([&] { keras::datasets::parse_idx(b.data(), b.size(), "mem"); });
  };
  EXPECT_NE(msg({0, 0}).find("mem: truncated IDX header (less than 4 bytes)"), std::string::npos);
  EXPECT_NE(msg({1, 0, 8, 1, 0, 0, 0, 0}).find("not an IDX file"), std::string::npos);
  EXPECT_NE(msg({0, 0, 0x0D, 1, 0, 0, 0, 0}).find("unsupported IDX element type"), std::string::npos);
  EXPECT_NE(msg({0, 0, 8, 0}).find("IDX rank 0 is out of range"), std::string::npos);
  EXPECT_NE(msg({0, 0, 8, 2, 0, 0, 0, 1}).find("truncated IDX header"), std::string::npos);
  auto truncated = idx_bytes({2, 3}, 5);
  EXPECT_NE(msg(truncated).find("declares 6 bytes for shape (2, 3) but the file holds 5"), std::string::npos)
      << msg(truncated);
  // A lying header claiming gigabytes is rejected before any allocation.
  EXPECT_NE(msg(idx_bytes({0xFFFFFFFFu}, 4)).find("implausible size"), std::string::npos);
  EXPECT_NE(msg(idx_bytes({1u << 30, 1u << 10}, 4)).find("but the file holds 4"), std::string::npos);
  // A zero dimension does not excuse huge other ones (their strides would overflow).
  EXPECT_NE(msg(idx_bytes({0, 1u << 31, 1u << 31}, 0)).find("implausible size"), std::string::npos);
}

TEST(IdxParse, ReadIdxSharesTheChecks) {
  const auto good = idx_bytes({2, 2}, 4);
  TempCsv f(std::string(good.begin(), good.end()));
  EXPECT_EQ(keras::datasets::read_idx(f.path()).to_vector<uint8_t>(),
            keras::datasets::parse_idx(good.data(), good.size(), "mem").to_vector<uint8_t>());
  const auto lying = idx_bytes({1u << 20, 16}, 3);
  TempCsv g(std::string(lying.begin(), lying.end()));
  EXPECT_NE(value_error([&] { keras::datasets::read_idx(g.path()); }).find("but the file holds 3"), std::string::npos);
}

}  // namespace
