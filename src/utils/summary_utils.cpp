// Mirrors keras/src/utils/summary_utils.py
//
// print_summary() hands rich.table.Table(*columns, width=line_length,
// show_lines=True) columns of fixed widths and prints it through a captured,
// colourless rich console. The pieces of rich (13.x) it relies on, redone here:
//   - widths: Table._calculate_column_widths with fixed-width columns, where only
//     the "last resort" ratio_reduce and the re-measure that clamps to it act;
//   - cells: Padding (one space each side) around Text.wrap (rich/_wrap.py
//     divide_line without folding, then rstrip_end, justify and the "ellipsis"
//     truncation of Text.truncate), cropped/padded to the cell (Segment.set_shape);
//   - borders: box.HEAVY_HEAD, a row rule between body rows.
#include "utils/summary_utils.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "keras/error.hpp"

namespace keras::detail {
namespace {

// ---------------------------------------------------------------------------
// Text as code points, lossless: bytes that are not valid UTF-8 are carried as
// U+DC80..U+DCFF (Python's "surrogateescape") and written back unchanged.

constexpr char32_t kEscapeBase = 0xDC00;
constexpr char32_t kEllipsis = 0x2026;  // "…"

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = 0;
    char32_t cp = 0;
    char32_t min_cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
      min_cp = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
      min_cp = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
      min_cp = 0x10000;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (ok && (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.push_back(cp);
      i += len;
    } else {
      out.push_back(kEscapeBase + b0);
      i += 1;
    }
  }
  return out;
}

void encode_to(std::string& out, std::u32string_view s) {
  for (char32_t cp : s) {
    if (cp >= kEscapeBase + 0x80 && cp <= kEscapeBase + 0xFF) {
      out.push_back(static_cast<char>(cp - kEscapeBase));
    } else if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
}

// Python's str.isspace() / regex \s for str patterns.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t trailing_spaces(const std::u32string& s) {
  size_t n = 0;
  while (n < s.size() && is_space(s[s.size() - 1 - n])) ++n;
  return n;
}

void rstrip(std::u32string& s) { s.resize(s.size() - trailing_spaces(s)); }

// ---------------------------------------------------------------------------
// rich/_wrap.py divide_line(text, width, fold=False): where each new line
// starts. Words are \s*\S+\s* runs; a word that does not fit starts a new line,
// and one longer than the width gets a line of its own (cut later by truncate).
std::vector<size_t> divide_line(const std::u32string& text, int width) {
  std::vector<size_t> divides;
  const auto w = static_cast<int64_t>(width);
  int64_t line_position = 0;
  size_t pos = 0;
  while (true) {
    size_t i = pos;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;  // no \S left: no more words
    while (i < text.size() && !is_space(text[i])) ++i;
    const size_t stripped_end = i;
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t start = pos;
    const auto word_length = static_cast<int64_t>(stripped_end - start);
    const auto full_length = static_cast<int64_t>(i - start);
    if (line_position + word_length > w) {
      if (word_length > w) {
        if (start) divides.push_back(start);
        line_position = full_length;
      } else if (line_position && start) {
        divides.push_back(start);
        line_position = full_length;
      }
    } else {
      line_position += full_length;
    }
    pos = i;
  }
  return divides;
}

enum class Justify { Left, Center, Right };

// Text.truncate(width, overflow="ellipsis"): a line too long keeps width - 1
// cells and gains "…". (Only called with width >= 1.)
void truncate_ellipsis(std::u32string& line, int width) {
  if (static_cast<int64_t>(line.size()) > width) {
    line.resize(static_cast<size_t>(width - 1));
    line.push_back(kEllipsis);
  }
}

// Text.wrap + Lines.justify for one cell's content `width` cells wide: the
// lines, each exactly `width` code points (cropped or padded as
// Segment.split_and_crop_lines does).
std::vector<std::u32string> wrap_cell(const std::u32string& text, int width, Justify justify) {
  std::vector<std::u32string> out;
  if (width < 1) return out;  // Console.render draws nothing without room
  size_t para_start = 0;
  while (true) {
    const size_t nl = text.find(U'\n', para_start);
    const std::u32string para =
        text.substr(para_start, nl == std::u32string::npos ? std::u32string::npos : nl - para_start);
    std::vector<size_t> cuts = divide_line(para, width);
    cuts.push_back(para.size());
    size_t from = 0;
    for (size_t cut : cuts) {
      std::u32string line = para.substr(from, cut - from);
      from = cut;
      // Text.rstrip_end(width): drop trailing whitespace beyond the width.
      if (static_cast<int64_t>(line.size()) > width) {
        const size_t excess = line.size() - static_cast<size_t>(width);
        line.resize(line.size() - std::min(trailing_spaces(line), excess));
      }
      switch (justify) {
        case Justify::Left:
          truncate_ellipsis(line, width);
          break;
        case Justify::Center: {
          rstrip(line);
          truncate_ellipsis(line, width);
          const int room = width - static_cast<int>(line.size());
          line.insert(0, static_cast<size_t>(room / 2), U' ');  // room >= 0: floor == truncation
          break;
        }
        case Justify::Right:
          rstrip(line);
          truncate_ellipsis(line, width);
          line.insert(0, static_cast<size_t>(width) - line.size(), U' ');
          break;
      }
      line.resize(static_cast<size_t>(width), U' ');  // crop or pad to the cell
      out.push_back(std::move(line));
    }
    if (nl == std::u32string::npos) break;
    para_start = nl + 1;
  }
  return out;
}

// Python's round() on a float: nearest, ties to even.
int64_t round_half_even(double x) {
  const double f = std::floor(x);
  const double diff = x - f;
  auto r = static_cast<int64_t>(f);
  if (diff > 0.5 || (diff == 0.5 && (r % 2 != 0))) ++r;
  return r;
}

// rich/_ratio.py ratio_reduce(total, ratios, maximums, values).
std::vector<int64_t> ratio_reduce(int64_t total, std::vector<int64_t> ratios, const std::vector<int64_t>& maximums,
                                  const std::vector<int64_t>& values) {
  for (size_t i = 0; i < ratios.size(); ++i)
    if (maximums[i] == 0) ratios[i] = 0;
  int64_t total_ratio = 0;
  for (int64_t r : ratios) total_ratio += r;
  if (total_ratio == 0) return values;
  int64_t total_remaining = total;
  std::vector<int64_t> result;
  for (size_t i = 0; i < values.size(); ++i) {
    if (ratios[i] && total_ratio > 0) {
      const int64_t distributed = std::min(
          maximums[i],
          round_half_even(static_cast<double>(ratios[i] * total_remaining) / static_cast<double>(total_ratio)));
      result.push_back(values[i] - distributed);
      total_remaining -= distributed;
      total_ratio -= ratios[i];
    } else {
      result.push_back(values[i]);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// box.HEAVY_HEAD
struct BoxRow {
  std::string_view left, horizontal, divider, right;
};
constexpr BoxRow kTop{"┏", "━", "┳", "┓"};
constexpr BoxRow kHeadRule{"┡", "━", "╇", "┩"};
constexpr BoxRow kRowRule{"├", "─", "┼", "┤"};
constexpr BoxRow kBottom{"└", "─", "┴", "┘"};
constexpr std::string_view kHeadVertical = "┃";
constexpr std::string_view kBodyVertical = "│";

void append_rule(std::string& out, const BoxRow& box, const std::vector<int>& widths) {
  out += box.left;
  for (size_t i = 0; i < widths.size(); ++i) {
    if (i) out += box.divider;
    for (int k = 0; k < widths[i]; ++k) out += box.horizontal;
  }
  out += box.right;
  out += '\n';
}

// One table row: every cell padded by one space each side, wrapped, and the
// row as tall as its tallest cell. Body cells sit at the top of the row; rich
// puts header cells at the bottom.
void append_row(std::string& out, const std::vector<std::string>& cells, const std::vector<int>& widths,
                const std::vector<Justify>& justify, std::string_view vertical, bool align_bottom) {
  std::vector<std::vector<std::u32string>> lines(cells.size());
  size_t height = 1;
  for (size_t i = 0; i < cells.size(); ++i) {
    const int inner = std::max(0, widths[i] - 2);
    for (std::u32string& l : wrap_cell(decode(cells[i]), inner, justify[i])) {
      std::u32string padded = U" " + l + U" ";
      padded.resize(static_cast<size_t>(std::max(0, widths[i])), U' ');
      lines[i].push_back(std::move(padded));
    }
    height = std::max(height, lines[i].size());
  }
  for (size_t row = 0; row < height; ++row) {
    out += vertical;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += vertical;
      const size_t blank = align_bottom ? height - lines[i].size() : 0;
      if (row >= blank && row - blank < lines[i].size()) {
        encode_to(out, lines[i][row - blank]);
      } else {
        out.append(static_cast<size_t>(std::max(0, widths[i])), ' ');
      }
    }
    out += vertical;
    out += '\n';
  }
}

std::string totals_line(std::string_view label, int64_t count, int64_t bytes) {
  std::string line = " ";
  line += label;
  line += " params: ";
  line += format_param_count(count);
  line += " (";
  line += format_bytes(bytes);
  line += ")\n";
  return line;
}

// Python int(): surrounding whitespace, an optional sign, digits with single
// underscores between them. nullopt when it does not parse.
std::optional<int64_t> parse_python_int(std::string_view s) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  bool prev_digit = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (!prev_digit || i + 1 == s.size()) return std::nullopt;
      prev_digit = false;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    value = value > (INT64_MAX - 9) / 10 ? INT64_MAX : value * 10 + (c - '0');  // saturate
    prev_digit = true;
  }
  return negative ? -value : value;
}

}  // namespace

std::string format_param_count(int64_t n) {
  const bool negative = n < 0;
  uint64_t magnitude = negative ? uint64_t{0} - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (negative) out.insert(out.begin(), '-');
  return out;
}

std::string format_bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  auto size = static_cast<double>(bytes);
  char buf[64];
  for (const char* unit : kUnits) {
    if (size / 1024 < 1) {
      std::snprintf(buf, sizeof buf, "%.2f %s", size, unit);
      return buf;
    }
    size /= 1024;
  }
  std::snprintf(buf, sizeof buf, "%.2f %s", size, "PB");
  return buf;
}

int terminal_columns() {
  if (const char* env = std::getenv("COLUMNS")) {
    if (auto columns = parse_python_int(env); columns && *columns > 0)
      return static_cast<int>(std::min<int64_t>(*columns, INT_MAX));
  }
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

int summary_line_length(bool sequential_like, std::optional<int> requested, bool show_trainable) {
  if (requested && *requested != 0) return *requested;
  const int default_length = (sequential_like ? 88 : 108) + (show_trainable ? 12 : 0);
  return std::min(default_length, terminal_columns() - 4);
}

std::vector<int> summary_column_widths(bool sequential_like, bool show_trainable, int line_length) {
  // Keras: widths from `positions`.
  std::vector<double> positions =
      sequential_like ? std::vector<double>{0.45, 0.80, 1.0} : std::vector<double>{0.3, 0.56, 0.74, 1.0};
  if (show_trainable) {
    for (double& p : positions) p *= 0.90;
    positions.push_back(1.0);
  }
  std::vector<int64_t> keras_widths;
  int64_t current = 0;
  for (double pos : positions) {
    const int64_t width = static_cast<int64_t>(pos * line_length) - current;  // int() truncates
    if (width < 4) throw ValueError("Insufficient console width to print summary.");
    keras_widths.push_back(width);
    current += width;
  }

  // rich: each fixed column measures width + padding (2), clamped to the room
  // left once the n + 1 vertical bars are drawn.
  const auto n = static_cast<int64_t>(keras_widths.size());
  const int64_t max_width = std::max<int64_t>(0, line_length - (n + 1));
  std::vector<int64_t> measured;
  for (int64_t w : keras_widths) measured.push_back(std::min(w + 2, max_width));
  std::vector<int64_t> widths;
  for (int64_t m : measured) widths.push_back(max_width < 1 || m == 0 ? 1 : m);
  int64_t table_width = 0;
  for (int64_t w : widths) table_width += w;
  if (table_width > max_width) {
    // No column is wrapable (all have a width), so only the "last resort"
    // even reduction applies, followed by a re-measure clamped to the result.
    widths = ratio_reduce(table_width - max_width, std::vector<int64_t>(widths.size(), 1), widths, widths);
    for (size_t i = 0; i < widths.size(); ++i) widths[i] = widths[i] < 1 ? 0 : std::min(keras_widths[i] + 2, widths[i]);
  }
  return {widths.begin(), widths.end()};
}

std::string render_summary(const std::string& model_name, const std::vector<SummaryRow>& rows,
                           const SummaryTotals& totals, bool sequential_like, bool show_trainable, int line_length) {
  const std::vector<int> widths = summary_column_widths(sequential_like, show_trainable, line_length);

  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  std::vector<Justify> justify = {Justify::Left, Justify::Left, Justify::Right};
  if (!sequential_like) {
    header.emplace_back("Connected to");
    justify.push_back(Justify::Left);
  }
  if (show_trainable) {
    header.emplace_back("Trainable");
    justify.push_back(Justify::Center);
  }

  std::string out = "Model: \"";
  out += model_name;
  out += "\"\n";
  append_rule(out, kTop, widths);
  append_row(out, header, widths, justify, kHeadVertical, /*align_bottom=*/true);
  append_rule(out, kHeadRule, widths);
  for (size_t r = 0; r < rows.size(); ++r) {
    const SummaryRow& row = rows[r];
    std::vector<std::string> cells = {row.name + " (" + row.class_name + ")", row.output_shape, row.params};
    if (!sequential_like) {
      std::string connections;
      for (const std::string& c : row.connected_to) connections += (connections.empty() ? "" : ", ") + c;
      cells.push_back(connections.empty() ? "-" : connections);
    }
    if (show_trainable) cells.push_back(row.trainable);
    if (r) append_rule(out, kRowRule, widths);
    append_row(out, cells, widths, justify, kBodyVertical, /*align_bottom=*/false);
  }
  append_rule(out, kBottom, widths);

  out += totals_line("Total", totals.total_count, totals.total_bytes);
  out += totals_line("Trainable", totals.trainable_count, totals.trainable_bytes);
  out += totals_line("Non-trainable", totals.non_trainable_count, totals.non_trainable_bytes);
  if (totals.optimizer) out += totals_line("Optimizer", totals.optimizer->first, totals.optimizer->second);
  return out;
}

}  // namespace keras::detail
