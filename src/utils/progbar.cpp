// Mirrors keras/src/utils/progbar.py
#include "keras/utils/progbar.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <string_view>

namespace keras::utils {
namespace {

// The bar character, U+2501 BOX DRAWINGS HEAVY HORIZONTAL, in UTF-8.
constexpr const char* kBarChar = "\xe2\x94\x81";

// Joins the pieces with appends only (GCC 12 gives a false -Wrestrict for
// `"literal" + std::string&&` at -O3, GCC PR 105329).
std::string concat(std::initializer_list<std::string_view> pieces) {
  size_t size = 0;
  for (std::string_view p : pieces) size += p.size();
  std::string s;
  s.reserve(size);
  for (std::string_view p : pieces) s += p;
  return s;
}

// snprintf of one double; NaN prints as Python prints it ("nan", never "-nan").
std::string format_double(const char* fmt, double v) {
  if (std::isnan(v)) return "nan";
  char small[64];
  int n = std::snprintf(small, sizeof small, fmt, v);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof small) return std::string(small, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), fmt, v);
  big.resize(static_cast<size_t>(n));
  return big;
}

// Python's "%d" % x for a float x: int(x), which truncates toward zero.
std::string percent_d(double x) {
  if (std::isnan(x)) return "nan";
  return format_double("%.0f", std::trunc(x) + 0.0);  // + 0.0 turns -0.0 into 0.0
}

// Python's "%02d" % x for a float x >= 0.
std::string percent_02d(double x) {
  std::string s = percent_d(x);
  if (s.size() < 2) s.insert(0, 2 - s.size(), '0');
  return s;
}

// Python's divmod for floats (Objects/floatobject.c, float_divmod): the
// floor quotient and the remainder with the divisor's sign.
std::pair<double, double> py_divmod(double vx, double wx) {
  double mod = std::fmod(vx, wx);
  double div = (vx - mod) / wx;
  if (mod != 0.0) {
    if ((wx < 0) != (mod < 0)) {
      mod += wx;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, wx);
  }
  double floordiv;
  if (div != 0.0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, vx / wx);
  }
  return {floordiv, mod};
}

// Python's "{:.4f}" if the value is big enough, else "{:.4e}" (two-digit exponent at least, as C's %e).
std::string format_value(double v, bool use_abs) {
  bool fixed = use_abs ? std::fabs(v) > 1e-3 : v > 1e-3;
  return format_double(fixed ? "%.4f" : "%.4e", v);
}

// Python's len() of a UTF-8 string: the number of code points.
int64_t code_points(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string repeat_bar(int64_t n) {
  std::string s;
  if (n <= 0) return s;
  s.reserve(static_cast<size_t>(n) * 3);
  for (int64_t i = 0; i < n; ++i) s += kBarChar;
  return s;
}

// int(math.log10(target)) + 1: the digits of the counter's field.
int num_digits(int64_t target) { return static_cast<int>(std::log10(static_cast<double>(target))) + 1; }

// "%{numdigits}d/%d" % (current, target)
std::string counter(int64_t current, int64_t target) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%*lld/%lld", num_digits(target), static_cast<long long>(current),
                static_cast<long long>(target));
  return buf;
}

// Progbar._format_time
std::string format_time(double time_per_unit, const std::string& unit_name) {
  if (time_per_unit >= 1 || time_per_unit == 0)
    return concat({" ", format_double("%.0f", time_per_unit), "s/", unit_name});
  if (time_per_unit >= 1e-3) return concat({" ", format_double("%.0f", time_per_unit * 1000.0), "ms/", unit_name});
  return concat({" ", format_double("%.0f", time_per_unit * 1000000.0), "us/", unit_name});
}

// The ETA of the running bar: %d:%02d:%02d above an hour, %d:%02d above a minute, else %ds.
std::string format_eta(double eta) {
  if (eta > 3600) {
    double hours = py_divmod(eta, 3600).first;
    double minutes = py_divmod(py_divmod(eta, 3600).second, 60).first;
    double seconds = py_divmod(eta, 60).second;
    return concat({percent_d(hours), ":", percent_02d(minutes), ":", percent_02d(seconds)});
  }
  if (eta > 60) {
    auto [minutes, seconds] = py_divmod(eta, 60);
    return concat({percent_d(minutes), ":", percent_02d(seconds)});
  }
  return percent_d(eta) + "s";
}

}  // namespace

Progbar::Progbar(ProgbarOptions options)
    : options_(std::move(options)),
      out_(options_.out != nullptr ? options_.out : &std::cout),
      // Keras starts at 0 against time.time(), so its first update always draws.
      last_update_(-std::numeric_limits<double>::infinity()) {
  start_ = now();
}

double Progbar::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Progbar._estimate_step_duration: the first step is left out once a later one has run.
double Progbar::estimate_step_duration(int64_t current, double now) {
  if (current == 0) return 0.0;
  double time_per_unit;
  if (time_after_first_step_.has_value() && current > 1) {
    time_per_unit = (now - *time_after_first_step_) / static_cast<double>(current - 1);
  } else {
    time_per_unit = (now - start_) / static_cast<double>(current);
  }
  if (current == 1) time_after_first_step_ = now;
  return time_per_unit;
}

std::string Progbar::format_values(bool use_abs) const {
  std::string info;
  for (const auto& [name, value] : values_) info += concat({" - ", name, ": ", format_value(value, use_abs)});
  return info;
}

void Progbar::update(int64_t current, const Values& values, std::optional<bool> finalize_arg) {
  const std::optional<int64_t>& target = options_.target;
  bool finalize = finalize_arg.has_value() ? *finalize_arg : (target.has_value() && current >= *target);

  for (const auto& kv : values) {
    auto it = std::find_if(values_.begin(), values_.end(), [&](const auto& seen) { return seen.first == kv.first; });
    if (it == values_.end()) {
      values_.push_back(kv);
    } else {
      it->second = kv.second;
    }
  }
  seen_so_far_ = current;

  double t = now();
  double time_per_unit = estimate_step_duration(current, t);
  bool known = target.has_value() && *target > 0;

  if (options_.verbose == 1) {
    if (t - last_update_ < options_.interval && !finalize) return;

    // "posix" in sys.modules is always true on Linux, so Keras always redraws in place.
    std::string message(static_cast<size_t>(prev_total_width_), '\b');
    message += '\r';

    int64_t special_char_len = 0;  // bytes of escape codes, which take no room on screen
    std::string bar;
    if (known) {
      bar = concat({"\x1b[1m", counter(current, *target), "\x1b[0m "});
      special_char_len += 8;
      double prog = static_cast<double>(current) / static_cast<double>(*target);
      auto prog_width = static_cast<int64_t>(options_.width * prog);
      if (prog_width > 0) {
        bar += concat({"\x1b[32m", repeat_bar(prog_width), "\x1b[0m"});
        special_char_len += 9;
      }
      bar += concat({"\x1b[37m", repeat_bar(options_.width - prog_width), "\x1b[0m"});
      special_char_len += 9;
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%7lld/Unknown", static_cast<long long>(current));
      bar = buf;
    }
    message += bar;

    std::string info;
    if (known && !finalize) {
      double eta = time_per_unit * static_cast<double>(*target - current);
      info = concat({" \x1b[1m", format_eta(eta), "\x1b[0m"});
    } else {
      info = concat({" \x1b[1m", format_double("%.0f", t - start_), "s\x1b[0m"});
    }
    special_char_len += 8;
    info += format_time(time_per_unit, options_.unit_name);
    info += format_values(/*use_abs=*/true);
    message += info;

    int64_t total_width = code_points(bar) + code_points(info) - special_char_len;
    if (prev_total_width_ > total_width) message.append(static_cast<size_t>(prev_total_width_ - total_width), ' ');
    if (finalize) message += '\n';

    *out_ << message;
    out_->flush();
    prev_total_width_ = total_width;
  } else if (options_.verbose == 2) {
    if (finalize && known) {
      std::string info = concat({counter(current, *target), " - ", format_double("%.0f", t - start_), "s"});
      info += concat({" -", format_time(time_per_unit, options_.unit_name)});
      info += format_values(/*use_abs=*/false);  // Keras' quirk: `avg > 1e-3` without abs
      info += '\n';
      *out_ << info;
      out_->flush();
    }
  }
  last_update_ = t;
}

void Progbar::add(int64_t n, const Values& values) { update(seen_so_far_ + n, values); }

}  // namespace keras::utils
