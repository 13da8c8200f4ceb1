#pragma once
// While a model file is loaded, the variables its config declares may take no more bytes than the
// file's weights hold: a hostile config (Dense(units=10**9) beside a small weights file) is
// refused before anything that large is allocated.
#include <cstdint>
#include <optional>
#include <string>

#include "keras/dtype.hpp"
#include "keras/shape.hpp"

namespace keras::detail {

/// Sets the budget of this thread for its lifetime (budgets do not nest: the inner one wins).
class VariableBudget {
 public:
  VariableBudget(uint64_t bytes, std::string source);
  ~VariableBudget();
  VariableBudget(const VariableBudget&) = delete;
  VariableBudget& operator=(const VariableBudget&) = delete;

 private:
  std::optional<std::pair<uint64_t, std::string>> saved_;
};

/// Takes a variable's bytes from the budget, if one is set; keras::ValueError naming `who` when
/// the variable does not fit (or its size overflows).
void charge_variable(const Shape& shape, DType dtype, const std::string& who);

}  // namespace keras::detail
