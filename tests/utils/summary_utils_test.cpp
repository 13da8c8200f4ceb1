// Mirrors keras/src/utils/summary_utils_test.py
//
// Expected texts: the two goldens of shared/FORMATS.md 6.1, and tables made by
// Keras 3's print_summary table code run through rich 13.3.5 (plain capture).
#include "utils/summary_utils.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "keras/error.hpp"

namespace keras::detail {
namespace {

// Code points in a UTF-8 string (every box character is one terminal cell).
int cells(const std::string& s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t from = 0;
  for (size_t nl = s.find('\n'); nl != std::string::npos; nl = s.find('\n', from)) {
    out.push_back(s.substr(from, nl - from));
    from = nl + 1;
  }
  if (from < s.size()) out.push_back(s.substr(from));
  return out;
}

// The widths between the bars of the top border "┏━━┳━━┓".
std::vector<int> rendered_widths(const std::string& summary) {
  const std::string top = lines_of(summary).at(1);
  const std::string bar = "┳";
  std::vector<int> widths;
  const std::string inner = top.substr(std::string("┏").size(), top.size() - 2 * std::string("┏").size());
  size_t from = 0;
  for (size_t at = inner.find(bar); at != std::string::npos; at = inner.find(bar, from)) {
    widths.push_back(cells(inner.substr(from, at - from)));
    from = at + bar.size();
  }
  widths.push_back(cells(inner.substr(from)));
  return widths;
}

SummaryRow row(std::string name, std::string class_name, std::string shape, std::string params,
               std::vector<std::string> connected_to = {}, std::string trainable = "-") {
  return {std::move(name),   std::move(class_name),   std::move(shape),
          std::move(params), std::move(connected_to), std::move(trainable)};
}

// Sets or unsets an environment variable for one scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(SummaryUtilsFormat, ParamCountUsesThousandsSeparators) {
  EXPECT_EQ(format_param_count(0), "0");
  EXPECT_EQ(format_param_count(7), "7");
  EXPECT_EQ(format_param_count(999), "999");
  EXPECT_EQ(format_param_count(1000), "1,000");
  EXPECT_EQ(format_param_count(18496), "18,496");
  EXPECT_EQ(format_param_count(225034), "225,034");
  EXPECT_EQ(format_param_count(1234567), "1,234,567");
  EXPECT_EQ(format_param_count(-1234), "-1,234");
  EXPECT_EQ(format_param_count(-999), "-999");
  EXPECT_EQ(format_param_count(std::numeric_limits<int64_t>::max()), "9,223,372,036,854,775,807");
  EXPECT_EQ(format_param_count(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
}

TEST(SummaryUtilsFormat, BytesUse1024BasedUnitsWithTwoDecimals) {
  EXPECT_EQ(format_bytes(0), "0.00 B");
  EXPECT_EQ(format_bytes(44), "44.00 B");
  EXPECT_EQ(format_bytes(1023), "1023.00 B");
  EXPECT_EQ(format_bytes(1024), "1.00 KB");
  EXPECT_EQ(format_bytes(1126), "1.10 KB");
  EXPECT_EQ(format_bytes(5126), "5.01 KB");
  EXPECT_EQ(format_bytes(900136), "879.04 KB");  // 225,034 float32
  EXPECT_EQ(format_bytes(407080), "397.54 KB");  // 101,770 float32
  EXPECT_EQ(format_bytes(814168), "795.09 KB");  // 203,542 float32
  EXPECT_EQ(format_bytes(1221248), "1.16 MB");   // 305,312 float32
  // Keras tests size / 1024 < 1 before rounding: one byte short of 1 MB.
  EXPECT_EQ(format_bytes(1048575), "1024.00 KB");
  EXPECT_EQ(format_bytes(1048576), "1.00 MB");
  EXPECT_EQ(format_bytes(int64_t{3} << 30), "3.00 GB");
  EXPECT_EQ(format_bytes(int64_t{5} << 40), "5.00 TB");
  EXPECT_EQ(format_bytes(int64_t{1} << 50), "1.00 PB");
  // Past the last unit Keras divides once more and still says PB.
  EXPECT_EQ(format_bytes(int64_t{1} << 60), "1.00 PB");
  EXPECT_EQ(format_bytes(std::numeric_limits<int64_t>::max()), "8.00 PB");
}

struct WidthCase {
  bool sequential_like;
  bool show_trainable;
  int line_length;
  std::vector<int> widths;
};

void expect_widths(const std::vector<WidthCase>& cases) {
  for (const WidthCase& c : cases) {
    SCOPED_TRACE("line_length " + std::to_string(c.line_length));
    EXPECT_EQ(summary_column_widths(c.sequential_like, c.show_trainable, c.line_length), c.widths);
    const std::string text = render_summary("m", {}, {}, c.sequential_like, c.show_trainable, c.line_length);
    EXPECT_EQ(rendered_widths(text), c.widths);
    for (const std::string& line : lines_of(text)) {
      if (line.rfind("Model:", 0) != 0 && line.rfind(" ", 0) != 0) {
        EXPECT_EQ(cells(line), c.line_length) << line;
      }
    }
  }
}

// FORMATS.md 6.1 width table, 3 columns.
TEST(SummaryUtilsWidths, ThreeColumnsMatchFormatsTable) {
  expect_widths({
      {true, false, 88, {38, 29, 17}},
      {true, false, 76, {33, 24, 15}},
      {true, false, 80, {35, 26, 15}},
      {true, false, 84, {36, 28, 16}},
      {true, false, 70, {30, 23, 13}},
      {true, false, 60, {26, 19, 11}},
  });
}

// FORMATS.md 6.1 width table, 4 columns.
TEST(SummaryUtilsWidths, FourColumnsMatchFormatsTable) {
  expect_widths({
      {false, false, 108, {31, 27, 17, 28}},
      {false, false, 76, {21, 19, 12, 19}},
      {false, false, 88, {25, 22, 14, 22}},
      {false, false, 100, {29, 25, 16, 25}},
      {false, false, 104, {30, 26, 16, 27}},
  });
}

// show_trainable: positions * 0.9 plus a last column (values from rich 13.3.5).
TEST(SummaryUtilsWidths, TrainableColumn) {
  expect_widths({
      {true, true, 100, {39, 31, 16, 9}},
      {true, true, 88, {34, 27, 14, 8}},
      {true, true, 76, {29, 23, 12, 7}},
      {true, true, 60, {23, 18, 9, 5}},
      {false, true, 120, {31, 27, 18, 27, 11}},
      {false, true, 108, {28, 24, 16, 24, 10}},
      {false, true, 88, {22, 20, 13, 19, 8}},
      {false, true, 76, {19, 17, 11, 16, 7}},
  });
}

TEST(SummaryUtilsWidths, NarrowTablesDownToKerasLimit) {
  expect_widths({
      {true, false, 16, {6, 3, 3}},
      {true, false, 19, {7, 5, 3}},
      {false, false, 19, {4, 4, 2, 4}},
      {false, false, 30, {8, 6, 4, 7}},
      {true, true, 31, {11, 9, 3, 3}},
      {false, true, 31, {7, 6, 4, 5, 3}},
  });
  // Keras refuses a column narrower than 4 before rich sees it.
  for (auto [seq, trainable, length] : {std::tuple{true, false, 15},
                                        {false, false, 18},
                                        {true, true, 30},
                                        {false, true, 30},
                                        {true, false, 0},
                                        {true, false, -5}}) {
    EXPECT_THROW(summary_column_widths(seq, trainable, length), ValueError) << length;
    EXPECT_THROW(render_summary("m", {}, {}, seq, trainable, length), ValueError) << length;
  }
  try {
    summary_column_widths(true, false, 10);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "Insufficient console width to print summary.");
  }
}

// FORMATS.md 6.1: CNN W3, not compiled, captured (76 wide).
TEST(SummaryUtilsRender, GoldenCnn76) {
  const std::vector<SummaryRow> rows = {
      row("conv2d", "Conv2D", "(None, 26, 26, 32)", "320"),
      row("max_pooling2d", "MaxPooling2D", "(None, 13, 13, 32)", "0"),
      row("conv2d_1", "Conv2D", "(None, 11, 11, 64)", "18,496"),
      row("max_pooling2d_1", "MaxPooling2D", "(None, 5, 5, 64)", "0"),
      row("flatten", "Flatten", "(None, 1600)", "0"),
      row("dense", "Dense", "(None, 128)", "204,928"),
      row("dense_1", "Dense", "(None, 10)", "1,290"),
  };
  const SummaryTotals totals{.total_count = 225034,
                             .total_bytes = 900136,
                             .trainable_count = 225034,
                             .trainable_bytes = 900136,
                             .non_trainable_count = 0,
                             .non_trainable_bytes = 0};
  const std::string expected = R"(Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 1600)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 128)            │       204,928 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │         1,290 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 225,034 (879.04 KB)
 Trainable params: 225,034 (879.04 KB)
 Non-trainable params: 0 (0.00 B)
)";
  EXPECT_EQ(render_summary("sequential", rows, totals, true, false, 76), expected);
}

// FORMATS.md 6.1: MLP 784-128-10 after compile + fit with Adam (88 wide).
TEST(SummaryUtilsRender, GoldenMlp88WithOptimizer) {
  const std::vector<SummaryRow> rows = {
      row("dense", "Dense", "(None, 128)", "100,480"),
      row("dense_1", "Dense", "(None, 10)", "1,290"),
  };
  const SummaryTotals totals{.total_count = 305312,
                             .total_bytes = 1221248,
                             .trainable_count = 101770,
                             .trainable_bytes = 407080,
                             .non_trainable_count = 0,
                             .non_trainable_bytes = 0,
                             .optimizer = std::pair<int64_t, int64_t>{203542, 814168}};
  const std::string expected = R"(Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ dense (Dense)                        │ (None, 128)                 │         100,480 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 305,312 (1.16 MB)
 Trainable params: 101,770 (397.54 KB)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 203,542 (795.09 KB)
)";
  EXPECT_EQ(render_summary("sequential", rows, totals, true, false, 88), expected);
}

// 4 columns at 108: "Connected to" joins with ", " and wraps after the comma
// (the FORMATS.md 6.1 excerpt); inputs show "-".
TEST(SummaryUtilsRender, FunctionalWrapsConnectedTo) {
  const std::vector<SummaryRow> rows = {
      row("input_a", "InputLayer", "(None, 5)", "0"),
      row("input_b", "InputLayer", "(None, 5)", "0"),
      row("concatenate", "Concatenate", "(None, 10)", "0", {"input_a[0][0]", "input_b[0][0]"}),
      row("dense", "Dense", "(None, 1)", "11", {"concatenate[0][0]"}, "Y"),
  };
  const SummaryTotals totals{.total_count = 11,
                             .total_bytes = 44,
                             .trainable_count = 11,
                             .trainable_bytes = 44,
                             .non_trainable_count = 0,
                             .non_trainable_bytes = 0};
  const std::string expected = R"(Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ input_a (InputLayer)          │ (None, 5)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ input_b (InputLayer)          │ (None, 5)                 │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ concatenate (Concatenate)     │ (None, 10)                │               0 │ input_a[0][0],             │
│                               │                           │                 │ input_b[0][0]              │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ dense (Dense)                 │ (None, 1)                 │              11 │ concatenate[0][0]          │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 11 (44.00 B)
 Trainable params: 11 (44.00 B)
 Non-trainable params: 0 (0.00 B)
)";
  EXPECT_EQ(render_summary("functional", rows, totals, false, false, 108), expected);
}

// 5 columns at 76: cells wrap at spaces, a word longer than its cell ends in
// "…" (rich's default overflow), the header is bottom-aligned ("Trai…"), the
// Param # column is right-aligned on every line and Trainable centred.
TEST(SummaryUtilsRender, NarrowFunctionalWithTrainable) {
  const std::vector<SummaryRow> rows = {
      row("input_layer", "InputLayer", "(None, 28, 28, 1)", "0"),
      row("a_very_long_layer_name_for_a_test", "Conv2D", "(None, 26, 26, 32)", "320", {"input_layer[0][0]"}, "Y"),
      row("frozen", "Dense", "(None, 26, 26, 10)", "330", {"a_very_long_layer_name_for_a_test[0][0]"}, "N"),
      row("add", "Add", "[(None, 10), (None, 20)]", "0 (unbuilt)",
          {"frozen[0][0]", "a_very_long_layer_name_for_a_test[0][0]", "input_layer[0][0]"}),
  };
  const SummaryTotals totals{.total_count = 650,
                             .total_bytes = 2600,
                             .trainable_count = 320,
                             .trainable_bytes = 1280,
                             .non_trainable_count = 330,
                             .non_trainable_bytes = 1320};
  const std::string expected = R"(Model: "func_2"
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)      ┃ Output Shape    ┃   Param # ┃ Connected to   ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━┩
│ input_layer       │ (None, 28, 28,  │         0 │ -              │   -   │
│ (InputLayer)      │ 1)              │           │                │       │
├───────────────────┼─────────────────┼───────────┼────────────────┼───────┤
│ a_very_long_laye… │ (None, 26, 26,  │       320 │ input_layer[0… │   Y   │
│ (Conv2D)          │ 32)             │           │                │       │
├───────────────────┼─────────────────┼───────────┼────────────────┼───────┤
│ frozen (Dense)    │ (None, 26, 26,  │       330 │ a_very_long_l… │   N   │
│                   │ 10)             │           │                │       │
├───────────────────┼─────────────────┼───────────┼────────────────┼───────┤
│ add (Add)         │ [(None, 10),    │         0 │ frozen[0][0],  │   -   │
│                   │ (None, 20)]     │ (unbuilt) │ a_very_long_l… │       │
│                   │                 │           │ input_layer[0… │       │
└───────────────────┴─────────────────┴───────────┴────────────────┴───────┘
 Total params: 650 (2.54 KB)
 Trainable params: 320 (1.25 KB)
 Non-trainable params: 330 (1.29 KB)
)";
  EXPECT_EQ(render_summary("func_2", rows, totals, false, true, 76), expected);
}

TEST(SummaryUtilsRender, SequentialTrainableAndUnbuilt) {
  const std::vector<SummaryRow> rows = {
      row("dense", "Dense", "(None, 4)", "20", {}, "Y"),
      row("dense_1", "Dense", "?", "0 (unbuilt)", {}, "-"),
  };
  const SummaryTotals totals{.total_count = 20,
                             .total_bytes = 80,
                             .trainable_count = 20,
                             .trainable_bytes = 80,
                             .non_trainable_count = 0,
                             .non_trainable_bytes = 0};
  const std::string expected = R"(Model: "seq_t"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)                          ┃ Output Shape                  ┃        Param # ┃ Traina… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ dense (Dense)                         │ (None, 4)                     │             20 │    Y    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│ dense_1 (Dense)                       │ ?                             │    0 (unbuilt) │    -    │
└───────────────────────────────────────┴───────────────────────────────┴────────────────┴─────────┘
 Total params: 20 (80.00 B)
 Trainable params: 20 (80.00 B)
 Non-trainable params: 0 (0.00 B)
)";
  EXPECT_EQ(render_summary("seq_t", rows, totals, true, true, 100), expected);
}

TEST(SummaryUtilsRender, EmptyModel) {
  const std::string expected = R"(Model: "empty"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
)";
  EXPECT_EQ(render_summary("empty", {}, {}, true, false, 76), expected);
}

TEST(SummaryUtilsLineLength, ColumnsEnvironmentVariable) {
  {
    ScopedEnv columns("COLUMNS", "200");
    EXPECT_EQ(terminal_columns(), 200);
    EXPECT_EQ(summary_line_length(true, std::nullopt), 88);
    EXPECT_EQ(summary_line_length(false, std::nullopt), 108);
    EXPECT_EQ(summary_line_length(true, std::nullopt, true), 100);
    EXPECT_EQ(summary_line_length(false, std::nullopt, true), 120);
  }
  {
    ScopedEnv columns("COLUMNS", "80");
    EXPECT_EQ(summary_line_length(true, std::nullopt), 76);
    EXPECT_EQ(summary_line_length(false, std::nullopt), 76);
    EXPECT_EQ(summary_line_length(true, std::nullopt, true), 76);
  }
  {
    ScopedEnv columns("COLUMNS", "92");
    EXPECT_EQ(summary_line_length(true, std::nullopt), 88);
    EXPECT_EQ(summary_line_length(false, std::nullopt), 88);
  }
  {
    ScopedEnv columns("COLUMNS", " 1_00\n");  // Python int() accepts this
    EXPECT_EQ(terminal_columns(), 100);
    EXPECT_EQ(summary_line_length(true, std::nullopt), 88);
    EXPECT_EQ(summary_line_length(false, std::nullopt), 96);
  }
  {
    ScopedEnv columns("COLUMNS", "200");
    // An explicit length wins; 0 means "not given", as `line_length or default`.
    EXPECT_EQ(summary_line_length(true, 60), 60);
    EXPECT_EQ(summary_line_length(false, 150), 150);
    EXPECT_EQ(summary_line_length(true, 0), 88);
  }
  // Without a usable COLUMNS: the terminal on stdout, else 80. Invalid or
  // non-positive values fall back exactly like an unset variable.
  int fallback = 0;
  {
    ScopedEnv columns("COLUMNS", nullptr);
    fallback = terminal_columns();
    EXPECT_GT(fallback, 0);
    if (!isatty(1)) {
      EXPECT_EQ(fallback, 80);
    }
    EXPECT_EQ(summary_line_length(true, std::nullopt), std::min(88, fallback - 4));
  }
  for (const char* bad : {"", "abc", "0", "-5", "12x", "1__0", "_1"}) {
    ScopedEnv columns("COLUMNS", bad);
    EXPECT_EQ(terminal_columns(), fallback) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace keras::detail
