#include "utils/python_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "keras/error.hpp"

namespace keras::utils::detail {
namespace {

// Shortest round-trip digits of |value| (no dot) and the decimal exponent of the first digit.
void shortest_digits(double value, std::string& digits, int& exponent) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), std::fabs(value), std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));  // d[.ddd]e±XX
  const size_t e = s.find('e');
  digits.clear();
  for (char c : s.substr(0, e))
    if (c != '.') digits.push_back(c);
  exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
}

std::string with_sign(double value, std::string body) { return std::signbit(value) ? "-" + body : body; }

struct Spec {
  char fill = ' ';
  char align = 0;  // '<', '>', '^', '=' or 0 (default)
  char sign = '-';
  bool alternate = false;
  bool zero = false;
  int width = 0;
  int precision = -1;
  char type = 0;
};

Spec parse_spec(const std::string& spec, const std::string& field) {
  Spec s;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) {
    s.fill = spec[0];
    s.align = spec[1];
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    s.align = spec[0];
    i = 1;
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) s.sign = spec[i++];
  if (i < spec.size() && spec[i] == '#') {
    s.alternate = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '0') {
    s.zero = true;
    ++i;
  }
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
    s.width = s.width * 10 + (spec[i++] - '0');
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (i >= spec.size() || !std::isdigit(static_cast<unsigned char>(spec[i])))
      throw ValueError("Format specifier missing precision in '{" + field + ":" + spec + "}'");
    s.precision = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
      s.precision = s.precision * 10 + (spec[i++] - '0');
  }
  if (i < spec.size()) s.type = spec[i++];
  if (i != spec.size()) throw ValueError("Invalid format specifier '" + spec + "' for field '" + field + "'");
  return s;
}

std::string printf_double(const char* conv, int precision, bool alternate, double v) {
  char fmt[16];
  std::snprintf(fmt, sizeof(fmt), "%%%s.%d%s", alternate ? "#" : "", precision, conv);
  char buf[512];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// The body of a float (no sign) for a spec type.
std::string float_body(double v, const Spec& s, const std::string& field) {
  const double a = std::fabs(v);
  if (std::isnan(v)) return s.type && std::isupper(static_cast<unsigned char>(s.type)) ? "NAN" : "nan";
  if (std::isinf(v)) return s.type && std::isupper(static_cast<unsigned char>(s.type)) ? "INF" : "inf";
  switch (s.type) {
    case 'f':
    case 'F':
      return printf_double("f", s.precision < 0 ? 6 : s.precision, s.alternate, a);
    case 'e':
    case 'E':
      return printf_double(s.type == 'e' ? "e" : "E", s.precision < 0 ? 6 : s.precision, s.alternate, a);
    case 'g':
    case 'G':
      return printf_double(s.type == 'g' ? "g" : "G", s.precision < 0 ? 6 : std::max(s.precision, 1), s.alternate, a);
    case '%':
      return printf_double("f", s.precision < 0 ? 6 : s.precision, s.alternate, a * 100) + "%";
    case 0: {
      if (s.precision < 0) return python_float_repr(a);
      // Like 'g', but fixed notation keeps at least one digit after the point.
      std::string r = printf_double("g", std::max(s.precision, 1), s.alternate, a);
      if (r.find_first_of(".e") == std::string::npos) r += ".0";
      return r;
    }
    default:
      throw ValueError("Unknown format code '" + std::string(1, s.type) + "' for object of type 'float' (field '" +
                       field + "')");
  }
}

std::string apply(const FormatValue& value, const Spec& s, const std::string& field) {
  std::string body;
  bool negative = false;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    if (s.type == 0 || s.type == 'd' || s.type == 'n') {
      if (s.precision >= 0)
        throw ValueError("Precision not allowed in integer format specifier (field '" + field + "')");
      negative = *i < 0;
      body = std::to_string(*i);
      if (negative) body.erase(0, 1);
    } else {
      const double d = static_cast<double>(*i);
      negative = std::signbit(d);
      body = float_body(d, s, field);
    }
  } else {
    const double d = std::get<double>(value);
    if (s.type == 'd' || s.type == 'n')
      throw ValueError("Unknown format code '" + std::string(1, s.type) + "' for object of type 'float' (field '" +
                       field + "')");
    negative = std::signbit(d) && !std::isnan(d);
    body = float_body(d, s, field);
  }
  std::string sign = negative ? "-" : (s.sign == '+' ? "+" : (s.sign == ' ' ? " " : ""));
  const size_t len = sign.size() + body.size();
  if (static_cast<size_t>(s.width) <= len) return sign + body;
  const size_t pad = static_cast<size_t>(s.width) - len;
  char align = s.align;
  char fill = s.fill;
  if (!align) {
    if (s.zero) {
      align = '=';
      fill = '0';
    } else {
      align = '>';  // numbers align right
    }
  }
  switch (align) {
    case '<':
      return sign + body + std::string(pad, fill);
    case '^':
      return std::string(pad / 2, fill) + sign + body + std::string(pad - pad / 2, fill);
    case '=':
      return sign + std::string(pad, fill) + body;
    default:
      return std::string(pad, fill) + sign + body;
  }
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  std::string digits;
  int exp = 0;
  shortest_digits(value, digits, exp);
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
      out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    char e[16];
    std::snprintf(e, sizeof(e), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += e;
  }
  return with_sign(value, out);
}

std::string python_format(const std::string& tmpl, const std::map<std::string, FormatValue>& values,
                          std::string* missing_field) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      throw ValueError("Single '}' encountered in format string \"" + tmpl + "\"");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    const size_t close = tmpl.find('}', i);
    if (close == std::string::npos) throw ValueError("Single '{' encountered in format string \"" + tmpl + "\"");
    const std::string inner = tmpl.substr(i + 1, close - i - 1);
    const size_t colon = inner.find(':');
    const std::string field = inner.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : inner.substr(colon + 1);
    if (field.empty()) throw ValueError("Format string \"" + tmpl + "\" has an unnamed field; name every field");
    auto it = values.find(field);
    if (it == values.end()) {
      if (missing_field) *missing_field = field;
      throw ValueError("'" + field + "'");
    }
    out += apply(it->second, parse_spec(spec, field), field);
    i = close;
  }
  return out;
}

}  // namespace keras::utils::detail
