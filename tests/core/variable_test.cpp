#include <gtest/gtest.h>

#include "keras/keras.hpp"

namespace keras {
namespace {

TEST(Variable, NameDefaultsAndAssignOps) {
  Variable v(Tensor({1.f, 2.f}));
  EXPECT_EQ(v.name(), "variable");
  EXPECT_TRUE(v.trainable());
  v.assign_add(Tensor({0.5f, 0.5f}));
  EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>{1.5f, 2.5f}));
  v.assign_sub(Tensor({1.f, 1.f}));
  EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>{0.5f, 1.5f}));
  v.assign(Tensor(std::vector<double>{7, 8}));  // converted to the variable's dtype
  EXPECT_EQ(v.dtype(), DType::float32);
  EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>{7, 8}));
}

TEST(Variable, DtypeOptionCasts) {
  Variable v(Tensor({1.5f}), {.dtype = DType::float64, .name = "d"});
  EXPECT_EQ(v.dtype(), DType::float64);
  EXPECT_EQ(v.value().item<double>(), 1.5);
}

TEST(Variable, AssignShapeMismatchNamesBothShapes) {
  Variable v(Tensor({1.f, 2.f}), {.name = "kernel"});
  try {
    v.assign(Tensor({1.f, 2.f, 3.f}));
    FAIL();
  } catch (const ValueError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("variable.shape=(2,), Received: value.shape=(3,)"), std::string::npos) << m;
    EXPECT_NE(m.find("'kernel'"), std::string::npos) << m;
  }
}

TEST(Variable, ReadsTakenBeforeAssignKeepTheirValues) {
  Variable v(Tensor({1.f, 2.f}));
  Tensor before = v.value();
  v.assign(Tensor({5.f, 6.f}));
  EXPECT_EQ(before.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>{5, 6}));
}

TEST(Variable, AssignWritesInPlaceWhenNoReadIsHeld) {
  Variable v(Tensor({1.f, 2.f}));
  const void* p = v.value().raw_data();
  v.assign(Tensor({3.f, 4.f}));
  EXPECT_EQ(v.value().raw_data(), p);
}

TEST(Variable, UndefinedVariableThrows) {
  Variable v;
  EXPECT_FALSE(v.defined());
  EXPECT_THROW(v.value(), ValueError);
}

}  // namespace
}  // namespace keras

#include "autodiff/tape_impl.hpp"

namespace keras {
namespace {

TEST(Variable, WritableValueCopiesOnWriteWhenAReadIsHeld) {
  Variable v(Tensor({1.f, 2.f}));
  Tensor held = v.value();
  Tensor w = detail::writable_value(v);
  w.mutable_data<float>()[0] = 9.f;  // an in-place update, as a fused optimizer kernel does
  EXPECT_EQ(held.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>{9, 2}));
  held = Tensor();
  const void* before = v.value().raw_data();
  detail::writable_value(v).mutable_data<float>()[1] = 5.f;  // no read held: same buffer
  EXPECT_EQ(v.value().raw_data(), before);
  EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>{9, 5}));
}

}  // namespace
}  // namespace keras
