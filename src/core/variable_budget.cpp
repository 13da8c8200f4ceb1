#include "core/variable_budget.hpp"

#include "keras/error.hpp"

namespace keras::detail {
namespace {
thread_local std::optional<std::pair<uint64_t, std::string>> budget;
}

VariableBudget::VariableBudget(uint64_t bytes, std::string source) : saved_(budget) {
  budget = std::make_pair(bytes, std::move(source));
}

VariableBudget::~VariableBudget() { budget = saved_; }

void charge_variable(const Shape& shape, DType dtype, const std::string& who) {
  if (!budget) return;
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) continue;
    if (d != 0 && n > budget->first / static_cast<uint64_t>(d)) {
      n = UINT64_MAX;
      break;
    }
    n *= static_cast<uint64_t>(d);
  }
  if (n > budget->first)
    throw ValueError(who + ": the variable of shape " + shape.str() + " needs more bytes than " + budget->second +
                     " holds; the file's config and weights do not belong together (damaged or hostile file?)");
  budget->first -= n;
}

}  // namespace keras::detail
