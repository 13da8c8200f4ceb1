// repr(float) and str.format as Python prints them; every expected string was printed by Python 3.11.
#include "utils/python_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "harness/expect_error.hpp"
#include "keras/error.hpp"

using keras::utils::detail::python_float_repr;
using keras::utils::detail::python_format;

TEST(PythonFormat, FloatRepr) {
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {1e16, "1e+16"},
      {123456789012345.0, "123456789012345.0"},
      {1.5e15, "1500000000000000.0"},
      {-2.5, "-2.5"},
      {static_cast<double>(0.1f), "0.10000000149011612"},
      {1e22, "1e+22"},
      {5e-324, "5e-324"},
      {0.5, "0.5"},
      {1.0, "1.0"},
      {-0.0, "-0.0"},
      {std::nan(""), "nan"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {-std::numeric_limits<double>::infinity(), "-inf"},
      {9999999999999998.0, "9999999999999998.0"},
      {0.00012345, "0.00012345"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(python_float_repr(v), want);
}

TEST(PythonFormat, Templates) {
  auto f = [](const std::string& t, keras::utils::detail::FormatValue v) { return python_format(t, {{"v", v}}); };
  EXPECT_EQ(python_format("ckpt-{epoch:02d}", {{"epoch", int64_t{3}}}), "ckpt-03");
  EXPECT_EQ(f("{v:.2f}", 0.125), "0.12");
  EXPECT_EQ(f("{v:.4e}", 12345.678), "1.2346e+04");
  EXPECT_EQ(f("[{v:>8.3f}]", 3.14159), "[   3.142]");
  EXPECT_EQ(f("{v:+.1f}", 2.0), "+2.0");
  EXPECT_EQ(f("{v}", 0.5), "0.5");
  EXPECT_EQ(f("{v:.3}", 1.0), "1.0");
  EXPECT_EQ(f("{v:.3}", 1234.5), "1.23e+03");
  EXPECT_EQ(f("{v:%}", 0.25), "25.000000%");
  EXPECT_EQ(f("{v:g}", 1e-5), "1e-05");
  EXPECT_EQ(f("{{x}}", 1.0), "{x}");
  EXPECT_EQ(f("{v:05.1f}", -1.5), "-01.5");
  EXPECT_EQ(f("[{v:<6}]", int64_t{7}), "[7     ]");
  EXPECT_EQ(f("[{v:*^7.2f}]", 1.5), "[*1.50**]");
  EXPECT_EQ(f("{v:.0f}", 2.5), "2");
  EXPECT_EQ(f("{v:e}", 0.0), "0.000000e+00");
  std::string missing;
  expect_error<keras::ValueError>([&] { python_format("{w}", {{"v", 1.0}}, &missing); }, "'w'");
  EXPECT_EQ(missing, "w");
  expect_error<keras::ValueError>([&] { f("{v:d}", 1.5); }, "Unknown format code 'd' for object of type 'float'");
  expect_error<keras::ValueError>([&] { f("{v", 1.5); }, "Single '{'");
  expect_error<keras::ValueError>([&] { f("v}", 1.5); }, "Single '}'");
}
