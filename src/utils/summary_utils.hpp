// Mirrors keras/src/utils/summary_utils.py
#pragma once
// The text of model.summary(): Keras 3 builds a rich.table.Table with fixed
// column widths (from `positions` and the line length) and prints it through a
// plain (captured) rich console. This file reproduces that rendering byte for
// byte from rows the model code has already formatted; it knows nothing about
// layers. See shared/FORMATS.md section 6.1.
//
// Text is measured in Unicode code points (one terminal cell each); rich would
// count East Asian wide characters as two cells.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keras::detail {

/// One layer's row, every field already formatted by the caller.
struct SummaryRow {
  std::string name;                         // "dense"
  std::string class_name;                   // "Dense"  -> cell "dense (Dense)"
  std::string output_shape;                 // "(None, 128)"; "?" when unknown
  std::string params;                       // "100,480", "0 (unbuilt)"
  std::vector<std::string> connected_to{};  // 4-column layout only, joined with ", "; empty -> "-"
  std::string trainable{};                  // "Y" / "N" / "-" (show_trainable only)
};

/// The counts and byte sizes printed under the table. `optimizer` is set once
/// the optimizer is built (count, bytes); `total_*` are printed as given (Keras'
/// total includes the optimizer's variables).
struct SummaryTotals {
  int64_t total_count = 0;
  int64_t total_bytes = 0;
  int64_t trainable_count = 0;
  int64_t trainable_bytes = 0;
  int64_t non_trainable_count = 0;
  int64_t non_trainable_bytes = 0;
  std::optional<std::pair<int64_t, int64_t>> optimizer{};
};

/// Python's f"{n:,}": "225,034", "-1,000", "0".
std::string format_param_count(int64_t n);

/// readable_memory_size(): 1024-based units B KB MB GB TB PB, two decimals
/// ("879.04 KB", "0.00 B"). Like Keras, a size of 1024 PB or more is divided
/// once more and still labelled PB.
std::string format_bytes(int64_t bytes);

/// shutil.get_terminal_size().columns: $COLUMNS when it parses as an integer
/// > 0, else the width of the terminal on stdout (TIOCGWINSZ), else 80.
int terminal_columns();

/// The line length print_summary uses: `requested` when set and non-zero
/// (Python's `line_length or default`), else min(default, terminal_columns() - 4)
/// with default 88 (sequential-like) or 108, plus 12 with show_trainable.
int summary_line_length(bool sequential_like, std::optional<int> requested, bool show_trainable = false);

/// The rendered width of each column (the text between two vertical bars,
/// padding included) for a table `line_length` wide: Keras' widths from
/// `positions`, then rich's reduction to fit. Throws keras::ValueError
/// "Insufficient console width to print summary." when a Keras column width
/// falls under 4, as print_summary does.
std::vector<int> summary_column_widths(bool sequential_like, bool show_trainable, int line_length);

/// The whole summary: `Model: "<name>"`, the table, then the totals lines
/// (` Total params: ...`, ...; ` Optimizer params: ...` when set). Every line
/// ends with "\n". Plain text, no colours. Cells that do not fit wrap at spaces
/// as rich does; a word longer than its cell is cut with "…" (rich's default
/// "ellipsis" overflow). Throws as summary_column_widths.
std::string render_summary(const std::string& model_name, const std::vector<SummaryRow>& rows,
                           const SummaryTotals& totals, bool sequential_like, bool show_trainable, int line_length);

}  // namespace keras::detail
