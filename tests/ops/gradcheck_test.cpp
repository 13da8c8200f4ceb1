// GRAD-1 / GRAD-2: every case of the op table, float64 central differences,
// and the coverage rule: each differentiable op in the registry has a case.
#include <set>

#include "harness/check_op.hpp"
#include "ops/op_def.hpp"

namespace keras::testing {
namespace {

class GradCheck : public ::testing::TestWithParam<size_t> {};

TEST_P(GradCheck, MatchesFiniteDifferences) {
  const GradCase& c = grad_cases()[GetParam()];
  SCOPED_TRACE(c.name + " (" + c.op + ")");
  EXPECT_TRUE(check_gradients(c.fn, c.make_inputs(), c.options));
  if (c.second_order) {
    EXPECT_TRUE(check_second_order(c.fn, c.make_inputs(), c.options));
  }
}

INSTANTIATE_TEST_SUITE_P(OpTable, GradCheck, ::testing::Range<size_t>(0, grad_cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return grad_cases()[info.param].name; });

TEST(GradCoverage, EveryDifferentiableOpHasACase) {
  std::set<std::string> covered;
  for (const auto& c : grad_cases()) covered.insert(c.op);
  std::vector<std::string> missing;
  for (const auto* op : detail::op_registry())
    if (op->grad && !covered.count(op->name)) missing.push_back(op->name);
  std::string list;
  for (const auto& m : missing) list += m + " ";
  EXPECT_TRUE(missing.empty()) << "differentiable ops with no gradient case: " << list;
  EXPECT_GT(detail::op_registry().size(), 0u);
}

}  // namespace
}  // namespace keras::testing
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GradCheck);
