// Mirrors keras/src/utils/progbar.py
//
// keras::utils::Progbar against the exact bytes Keras 3.15.1 writes. Every
// expected string below was worked out from shared/FORMATS.md 6.2 and then
// checked by running Keras' own keras/src/utils/progbar.py (the copy in
// /work/main/.venv, keras 3.15.1) once, by hand, with `time.time` replaced by
// the same fake clock and Progbar(..., stateless_metrics=set()) as
// ProgbarLogger builds it; the strings are pasted here literally. The clock
// starts at 1000 s and moves in steps exact in binary, so no rounding in the
// test depends on the platform.
#include "keras/utils/progbar.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>

namespace {

using keras::utils::Progbar;
using keras::utils::ProgbarOptions;

class ProgbarTest : public ::testing::Test {
 protected:
  // A bar writing to out_ and reading the fake clock now_ (which is 1000 s at construction).
  Progbar make(ProgbarOptions options) {
    now_ = 1000.0;
    options.out = &out_;
    options.clock = [this] { return now_; };
    return Progbar(std::move(options));
  }

  // Moves the clock to `t`, runs bar.update and returns exactly what it wrote.
  std::string update_at(Progbar& bar, double t, int64_t current, const Progbar::Values& values = {},
                        std::optional<bool> finalize = std::nullopt) {
    now_ = t;
    out_.str("");
    bar.update(current, values, finalize);
    return out_.str();
  }

  std::string add_at(Progbar& bar, double t, int64_t n, const Progbar::Values& values = {}) {
    now_ = t;
    out_.str("");
    bar.add(n, values);
    return out_.str();
  }

  double now_ = 1000.0;
  std::ostringstream out_;
};

// The golden final line of FORMATS.md 6.2, preceded by "\r" (nothing drawn
// before, so no "\b") and followed by "\n". 2.625 s for 1875 steps: 1.4 ms/step.
TEST_F(ProgbarTest, GoldenFinalLineFromFormats) {
  Progbar bar = make({.target = 1875});
  EXPECT_EQ(update_at(bar, 1002.625, 1875,
                      {{"accuracy", 0.8213}, {"loss", 0.5062}, {"val_accuracy", 0.84}, {"val_loss", 0.44}}),
            "\r\x1b[1m1875/1875\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m3s\x1b[0m 1ms/step"
            " - accuracy: 0.8213 - loss: 0.5062 - val_accuracy: 0.8400 - val_loss: 0.4400\n");
}

// Step 1 after 0.5 s: 500 ms/step, ETA 0.5 * 1874 = 937 s = 15:37, k = 0 so no
// green part. Step 375 half a second later: the first step is left out,
// 0.5 / 374 = 1.34 ms/step, ETA 2.005 s = 2s, k = 4. The new line is 76
// columns against 81, so it erases with 5 spaces; no "\n" before the end.
TEST_F(ProgbarTest, MidEpochLineWithEtaExcludesFirstStep) {
  Progbar bar = make({.target = 1875});
  EXPECT_EQ(update_at(bar, 1000.5, 1, {{"accuracy", 0.5}, {"loss", 1.5}}),
            "\r\x1b[1m   1/1875\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m15:37\x1b[0m 500ms/step"
            " - accuracy: 0.5000 - loss: 1.5000");
  EXPECT_EQ(update_at(bar, 1001.0, 375, {{"accuracy", 0.7123}, {"loss", 0.8123}}),
            std::string(81, '\b') +
                "\r\x1b[1m 375/1875\x1b[0m \x1b[32m━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m2s\x1b[0m 1ms/step"
                " - accuracy: 0.7123 - loss: 0.8123     ");
}

// ETA above a minute: %d:%02d; at most a minute: %ds (truncated, 0.25 s -> 0s).
// Step 1 is never reported, so time per step is elapsed / current throughout:
// 2 s / 5 = 400 ms/step, ETA 0.4 * 464 = 185.6 s = 3:05; 10 s / 40 = 250 ms/step,
// ETA 107.25 s = 1:47; 10.5 s / 468 = 22 ms/step, ETA 0.0224 s = 0s.
TEST_F(ProgbarTest, EtaMinutesAndSecondsForms) {
  Progbar bar = make({.target = 469});
  EXPECT_EQ(update_at(bar, 1002.0, 5, {{"loss", 2.3}}),
            "\r\x1b[1m  5/469\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m3:05\x1b[0m 400ms/step - loss: 2.3000");
  EXPECT_EQ(
      update_at(bar, 1010.0, 40, {{"loss", 1.2e-4}}),
      std::string(59, '\b') +
          "\r\x1b[1m 40/469\x1b[0m \x1b[32m━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m1:47\x1b[0m 250ms/step"
          " - loss: 1.2000e-04");
  EXPECT_EQ(update_at(bar, 1010.5, 468, {{"loss", 0.1}}),
            std::string(63, '\b') +
                "\r\x1b[1m468/469\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m━\x1b[0m \x1b[1m0s\x1b[0m 22ms/step"
                " - loss: 0.1000       ");
}

// ETA above an hour: %d:%02d:%02d. 2 s/step, ETA 2 * 9999 = 19998 s = 5:33:18,
// then 2 * 9994 = 19988 s = 5:33:08 (same width: no padding).
TEST_F(ProgbarTest, EtaHoursForm) {
  Progbar bar = make({.target = 10000});
  EXPECT_EQ(
      update_at(bar, 1002.0, 1, {{"loss", 2.3}}),
      "\r\x1b[1m    1/10000\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m5:33:18\x1b[0m 2s/step - loss: 2.3000");
  EXPECT_EQ(update_at(bar, 1012.0, 6, {{"loss", 2.25}}),
            std::string(63, '\b') +
                "\r\x1b[1m    6/10000\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m5:33:08\x1b[0m 2s/step"
                " - loss: 2.2500");
}

// The final update shows the elapsed time with {:.0f}, which rounds half to even.
TEST_F(ProgbarTest, ElapsedRoundsHalfToEven) {
  Progbar a = make({.target = 4});
  EXPECT_EQ(update_at(a, 1002.5, 4),
            "\r\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m2s\x1b[0m 625ms/step\n");
  Progbar b = make({.target = 4});
  EXPECT_EQ(update_at(b, 1003.5, 4),
            "\r\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m4s\x1b[0m 875ms/step\n");
}

// Time per unit: s when >= 1 or exactly 0, ms when >= 1e-3, else us; each {:.0f}.
TEST_F(ProgbarTest, TimePerUnitSecondsMillisecondsMicroseconds) {
  Progbar s = make({.target = 2});  // 5 s / 2 = 2.5 s/step -> "2s" (half to even)
  EXPECT_EQ(update_at(s, 1005.0, 2),
            "\r\x1b[1m2/2\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m5s\x1b[0m 2s/step\n");
  Progbar zero = make({.target = 2});  // no time passed: exactly 0 -> "0s"
  EXPECT_EQ(update_at(zero, 1000.0, 2),
            "\r\x1b[1m2/2\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 0s/step\n");
  Progbar us = make({.target = 10000});  // 1 s / 10000 = 100 us/step
  EXPECT_EQ(
      update_at(us, 1001.0, 10000),
      "\r\x1b[1m10000/10000\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 100us/step\n");
  Progbar sample = make({.target = 8, .unit_name = "sample"});  // 1 s / 8 = 125 ms/sample
  EXPECT_EQ(update_at(sample, 1001.0, 8),
            "\r\x1b[1m8/8\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 125ms/sample\n");
}

// Microseconds mid-epoch, after step 1 is left out: 0.5 s / 1000 = 500 us; the
// ETA 0.0005 * 98999 = 49.4995 s = 49s. Before, 0.5 * 99999 = 49999.5 s = 13:53:19.
TEST_F(ProgbarTest, MicrosecondsPerStepMidEpoch) {
  Progbar bar = make({.target = 100000});
  EXPECT_EQ(update_at(bar, 1000.5, 1),
            "\r\x1b[1m     1/100000\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m13:53:19\x1b[0m 500ms/step");
  EXPECT_EQ(update_at(bar, 1001.0, 1001),
            std::string(54, '\b') +
                "\r\x1b[1m  1001/100000\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m49s\x1b[0m 500us/step     ");
}

// Throttling: steps 1 -> 2 -> 3 -> 10 at +0, +31.25 ms, +62.5 ms, +78.125 ms.
// Step 2 is within 0.05 s of the last draw and prints nothing (its time still
// counts: step 1's time is kept). Step 3 draws; 0.0625 / 2 = 31 ms/step.
// Step 10 is final and draws though within the interval.
TEST_F(ProgbarTest, UpdatesWithinIntervalPrintNothingExceptTheFinalOne) {
  Progbar bar = make({.target = 10});
  EXPECT_EQ(update_at(bar, 1001.0, 1),
            "\r\x1b[1m 1/10\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m9s\x1b[0m 1s/step");
  EXPECT_EQ(update_at(bar, 1001.03125, 2), "");
  EXPECT_EQ(update_at(bar, 1001.0625, 3),
            std::string(37, '\b') +
                "\r\x1b[1m 3/10\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m 31ms/step");
  EXPECT_EQ(
      update_at(bar, 1001.078125, 10),
      std::string(39, '\b') +
          "\r\x1b[1m10/10\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 9ms/step \n");
}

// Another throttled run: 62.5 ms/step rounds half to even to 62ms; 1000.3134765625
// is within the interval of the draw at 1000.3125.
TEST_F(ProgbarTest, ThrottledUpdateThenFinalWithPadding) {
  Progbar bar = make({.target = 100});
  EXPECT_EQ(update_at(bar, 1000.25, 1),
            "\r\x1b[1m  1/100\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m24s\x1b[0m 250ms/step");
  EXPECT_EQ(update_at(bar, 1000.3125, 2),
            std::string(43, '\b') +
                "\r\x1b[1m  2/100\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m6s\x1b[0m 62ms/step  ");
  EXPECT_EQ(update_at(bar, 1000.3134765625, 3), "");
  EXPECT_EQ(
      update_at(bar, 1001.0, 100),
      std::string(41, '\b') +
          "\r\x1b[1m100/100\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 8ms/step \n");
}

// A shorter line is padded with spaces to the previous width; a longer one is not.
// Widths: 60, then 61 (ETA 2:43:20 is longer), then 56 (+ 5 spaces).
TEST_F(ProgbarTest, ShorterLineIsPaddedWithSpaces) {
  Progbar bar = make({.target = 100});
  EXPECT_EQ(
      update_at(bar, 1000.5, 1, {{"loss", 123.25}}),
      "\r\x1b[1m  1/100\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m49s\x1b[0m 500ms/step - loss: 123.2500");
  EXPECT_EQ(
      update_at(bar, 1100.5, 2, {{"loss", 0.5}}),
      std::string(60, '\b') +
          "\r\x1b[1m  2/100\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m2:43:20\x1b[0m 100s/step - loss: 0.5000");
  // No values passed: the last value of "loss" stays on the line.
  EXPECT_EQ(update_at(bar, 1101.5, 100),
            std::string(61, '\b') +
                "\r\x1b[1m100/100\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m102s\x1b[0m 1s/step"
                " - loss: 0.5000     \n");
}

// {:.4f} when |v| > 1e-3, else {:.4e} (two-digit exponent, as Python). 1e-3 itself is e.
TEST_F(ProgbarTest, ValuesUseFixedOrExponentNotation) {
  Progbar bar = make({.target = 10});
  EXPECT_EQ(update_at(bar, 1001.0, 1, {{"a", 1.2e-4}, {"b", -5e-4}, {"c", -0.5}, {"d", 1e-3}, {"e", 0.0}}),
            "\r\x1b[1m 1/10\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m9s\x1b[0m 1s/step"
            " - a: 1.2000e-04 - b: -5.0000e-04 - c: -0.5000 - d: 1.0000e-03 - e: 0.0000e+00");
}

// verbose=2: nothing until finalized, then one plain line. Names keep their
// first-seen order (loss came first), and `v > 1e-3` without abs prints -0.5 as
// -5.0000e-01. 0.125 s / 312 steps = 401 us/step.
TEST_F(ProgbarTest, Verbose2PrintsOnePlainLineWhenFinalized) {
  Progbar bar = make({.target = 313, .verbose = 2});
  EXPECT_EQ(update_at(bar, 1000.125, 1, {{"loss", 0.5}}), "");
  EXPECT_EQ(update_at(bar, 1000.25, 312, {{"loss", 0.5}}), "");
  EXPECT_EQ(update_at(bar, 1000.25, 313, {{"accuracy", 0.9761}, {"loss", 0.0759}, {"val_loss", -0.5}}),
            "313/313 - 0s - 401us/step - loss: 0.0759 - accuracy: 0.9761 - val_loss: -5.0000e-01\n");
}

// Unknown target: "%7d/Unknown", elapsed time instead of an ETA, no bar, and
// never final unless asked.
TEST_F(ProgbarTest, UnknownTarget) {
  Progbar bar = make({});
  EXPECT_EQ(bar.target(), std::nullopt);
  EXPECT_EQ(update_at(bar, 1001.0, 1, {{"loss", 0.5}}), "\r      1/Unknown \x1b[1m1s\x1b[0m 1s/step - loss: 0.5000");
  EXPECT_EQ(update_at(bar, 1003.0, 3, {{"loss", 0.25}}),
            std::string(41, '\b') + "\r      3/Unknown \x1b[1m3s\x1b[0m 1s/step - loss: 0.2500");
  EXPECT_EQ(update_at(bar, 1004.0, 4, {{"loss", 0.125}}, true),
            std::string(41, '\b') + "\r      4/Unknown \x1b[1m4s\x1b[0m 1s/step - loss: 0.1250\n");
}

// What ProgbarLogger does at the end of an epoch of unknown length: set the
// target to the steps seen, then a final update. Step 1 twice: the plain
// estimate (2 s / 1) is used.
TEST_F(ProgbarTest, UnknownTargetSetAtEpochEnd) {
  Progbar bar = make({});
  EXPECT_EQ(update_at(bar, 1001.0, 1, {{"loss", 0.5}}, false),
            "\r      1/Unknown \x1b[1m1s\x1b[0m 1s/step - loss: 0.5000");
  bar.set_target(1);
  EXPECT_EQ(bar.target(), 1);
  EXPECT_EQ(update_at(bar, 1002.0, 1, {{"loss", 0.5}}, true),
            std::string(41, '\b') +
                "\r\x1b[1m1/1\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m2s\x1b[0m 2s/step"
                " - loss: 0.5000\n");
}

// verbose=2 prints nothing while the target is unknown, even when finalized.
TEST_F(ProgbarTest, Verbose2UnknownTargetPrintsOnlyOnceTargetIsSet) {
  Progbar bar = make({.verbose = 2});
  EXPECT_EQ(update_at(bar, 1001.0, 2), "");
  EXPECT_EQ(update_at(bar, 1002.0, 2, {}, true), "");
  bar.set_target(3);
  EXPECT_EQ(update_at(bar, 1003.0, 3, {{"loss", 0.5}}, true), "3/3 - 3s - 1s/step - loss: 0.5000\n");
}

// A target of 0 is drawn as unknown, and current >= 0 makes every update final.
TEST_F(ProgbarTest, ZeroTargetIsShownAsUnknown) {
  Progbar bar = make({.target = 0});
  EXPECT_EQ(update_at(bar, 1001.0, 0), "\r      0/Unknown \x1b[1m1s\x1b[0m 0s/step\n");
}

// add(n) counts from the steps seen so far: 1, 3, 4. Step 4: (1003 - 1001) / 3.
TEST_F(ProgbarTest, AddCountsFromStepsSeen) {
  Progbar bar = make({.target = 4});
  EXPECT_EQ(
      add_at(bar, 1001.0, 1, {{"loss", 1.0}}),
      "\r\x1b[1m1/4\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m \x1b[1m3s\x1b[0m 1s/step - loss: 1.0000");
  EXPECT_EQ(add_at(bar, 1002.0, 2),
            std::string(50, '\b') +
                "\r\x1b[1m3/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━\x1b[0m\x1b[37m━━━━━\x1b[0m \x1b[1m0s\x1b[0m 500ms/step"
                " - loss: 1.0000");
  EXPECT_EQ(add_at(bar, 1003.0, 1),
            std::string(53, '\b') +
                "\r\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m3s\x1b[0m 667ms/step"
                " - loss: 1.0000\n");
}

// Other widths, and counts past either end of the bar, as Keras draws them.
TEST_F(ProgbarTest, WidthAndOutOfRangeCounts) {
  Progbar narrow = make({.target = 8, .width = 10});  // k = int(10 * 3 / 8) = 3
  EXPECT_EQ(update_at(narrow, 1001.0, 3, {}, false),
            "\r\x1b[1m3/8\x1b[0m \x1b[32m━━━\x1b[0m\x1b[37m━━━━━━━\x1b[0m \x1b[1m1s\x1b[0m 333ms/step");
  Progbar over = make({.target = 4});  // k = 30; ETA -0.33 s truncates to 0s
  EXPECT_EQ(
      update_at(over, 1001.0, 6, {}, false),
      "\r\x1b[1m6/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 167ms/step");
  Progbar negative = make({.target = 4});  // k = -5: 25 white; -1 s/step is below 1e-3
  EXPECT_EQ(update_at(negative, 1001.0, -1),
            "\r\x1b[1m-1/4\x1b[0m \x1b[37m━━━━━━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m-5s\x1b[0m -1000000us/step");
}

TEST_F(ProgbarTest, VerboseZeroIsSilent) {
  Progbar bar = make({.target = 8, .verbose = 0});
  EXPECT_EQ(update_at(bar, 1001.0, 3), "");
  EXPECT_EQ(update_at(bar, 1002.0, 8, {{"loss", 0.5}}), "");
}

// Without `out` and `clock`: std::cout and the steady clock.
TEST(ProgbarDefaultsTest, WritesToCoutWithSteadyClock) {
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  {
    Progbar bar({.target = 1});
    bar.update(1);
  }
  std::cout.rdbuf(saved);
  std::string s = captured.str();
  const std::string head = "\r\x1b[1m1/1\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m";
  ASSERT_GE(s.size(), head.size());
  EXPECT_EQ(s.substr(0, head.size()), head);
  EXPECT_EQ(s.back(), '\n');
  EXPECT_NE(s.find("/step\n"), std::string::npos);
}

}  // namespace
