// Symbolic tensors: shape rules run without data, evaluate() matches eager.
#include <gtest/gtest.h>

#include "harness/check_op.hpp"
#include "keras/keras.hpp"

namespace keras {
namespace {

TEST(Graph, SymbolicOpsInferShapesWithUnknownBatch) {
  Tensor x = graph::placeholder({-1, 3}, DType::float32, "x");
  EXPECT_TRUE(x.is_symbolic());
  Tensor b({1.f, 2.f, 3.f});
  Tensor y = ops::multiply(ops::add(x, b), x);
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.shape(), Shape({-1, 3}));
  EXPECT_EQ(graph::producer_name(y), "multiply");
  EXPECT_THROW(y.raw_data(), ValueError);
}

TEST(Graph, SymbolicShapeErrorsAreRaisedAtConstruction) {
  Tensor x = graph::placeholder({-1, 3});
  EXPECT_THROW(ops::add(x, Tensor({1.f, 2.f})), ValueError);
}

TEST(Graph, EvaluateMatchesEager) {
  Tensor x = graph::placeholder({-1, 2}, DType::float32, "x");
  Tensor w({{1.f, 2.f}, {3.f, 4.f}});
  Tensor y = ops::add(ops::multiply(x, x), w);
  Tensor value({{1.f, -1.f}, {2.f, 0.5f}});
  auto out = graph::evaluate({y}, {{x, value}});
  EXPECT_TRUE(testing::all_close(out[0], ops::add(ops::multiply(value, value), w), 0, 0));
  // Shared subexpressions are computed once and reused.
  auto two = graph::evaluate({y, ops::add(y, y)}, {{x, value}});
  EXPECT_TRUE(testing::all_close(two[1], ops::multiply(two[0], Tensor::scalar(2.f)), 0, 0));
}

TEST(Graph, EvaluateChecksFeeds) {
  Tensor x = graph::placeholder({-1, 2}, DType::float32, "x");
  Tensor y = ops::add(x, x);
  try {
    graph::evaluate({y}, {});
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("placeholder 'x' (None, 2) is needed but was not fed"), std::string::npos)
        << e.what();
  }
  try {
    graph::evaluate({y}, {{x, Tensor({1.f, 2.f, 3.f})}});
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("expects shape (None, 2), got (3,)"), std::string::npos) << e.what();
  }
}

TEST(Graph, TapeRecordsSymbolicOpsSoGradientsAreGraphs) {
  // d/dx sum(x * x) = 2x, built as a graph, then evaluated.
  Tensor x = graph::placeholder({3}, DType::float32, "x");
  GradientTape tape;
  tape.watch(x);
  Tensor loss = ops::sum(ops::multiply(x, x));
  Tensor g = tape.gradient(loss, x);
  ASSERT_TRUE(g.defined());
  EXPECT_TRUE(g.is_symbolic());
  auto out = graph::evaluate({g}, {{x, Tensor({1.f, -2.f, 0.5f})}});
  EXPECT_EQ(out[0].to_vector<float>(), (std::vector<float>{2.f, -4.f, 1.f}));
}

}  // namespace
}  // namespace keras
