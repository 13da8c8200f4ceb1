#pragma once
// expect_error<E>(f, needle): f must throw an E whose message contains needle.
#include <gtest/gtest.h>

#include <string>

template <class E, class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing: " << needle;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}
