#pragma once
// Python's text forms of numbers, where keras.cpp must print what Keras prints: repr(float)
// (CSVLogger rows) and str.format templates ("ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5").
#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace keras::utils::detail {

/// repr() of a Python float: the shortest digits that read back to `value`, in fixed notation
/// for decimal exponents -4..15 ("0.5", "1.0", "0.0001") and scientific otherwise ("1e-05",
/// "1e+16"); "nan", "inf", "-inf".
std::string python_float_repr(double value);

/// A value a format template can name: an integer (epoch, batch) or a float (a log value).
using FormatValue = std::variant<int64_t, double>;

/// Python's str.format(**values) for templates of named fields with optional format specs
/// ([[fill]align][sign][#][0][width][.precision][type], types d f F e E g G % and none; "{{" and
/// "}}" are literal braces). Throws keras::ValueError naming the field when it is not in
/// `values` (`missing_field` is set to its name first, when given) or when a spec does not suit
/// its value.
std::string python_format(const std::string& tmpl, const std::map<std::string, FormatValue>& values,
                          std::string* missing_field = nullptr);

}  // namespace keras::utils::detail
