// keras::data::load_csv and make_csv_dataset: numeric CSV files, parsed eagerly
// (the numeric subset of tf.data.experimental.make_csv_dataset).
#include "keras/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>

#include "core/atomic_file.hpp"
#include "keras/error.hpp"

namespace keras::data {
namespace {

// A field for an error message: quoted, and cut short if long.
std::string shown(std::string_view field) {
  constexpr size_t kMax = 40;
  std::string out(1, '\'');
  out.append(field.substr(0, kMax));
  if (field.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

// Drops spaces and tabs around a field, except the delimiter itself.
std::string_view trim(std::string_view s, char delim) {
  auto blank = [delim](char c) { return (c == ' ' || c == '\t') && c != delim; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// A field wholly enclosed in double quotes without them ("" inside stands for one quote).
std::string unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  std::string out;
  s = s.substr(1, s.size() - 2);
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '"' && i + 1 < s.size() && s[i + 1] == '"') ++i;
  }
  return out;
}

void split_fields(std::string_view line, char delim, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    const size_t pos = line.find(delim, start);
    if (pos == std::string_view::npos) {
      out.push_back(trim(line.substr(start), delim));
      return;
    }
    out.push_back(trim(line.substr(start, pos - start), delim));
    start = pos + 1;
  }
}

bool is_blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t') return false;
  return true;
}

// Parses a whole field as a float32; returns an error description, empty on success.
std::string parse_float(std::string_view field, float& value) {
  std::string storage;
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    storage = unquote(field);
    field = storage;
  }
  if (field.empty()) return "empty field";
  std::string_view digits = field;
  if (digits.front() == '+') {  // from_chars takes '-' but not '+'
    digits.remove_prefix(1);
    if (digits.empty() || digits.front() == '+' || digits.front() == '-')
      return "cannot parse " + shown(field) + " as a number";
  }
  double d = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
  if (ec == std::errc::result_out_of_range) return shown(field) + " is out of the float32 range";
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return "cannot parse " + shown(field) + " as a number";
  if (std::isfinite(d) && (d > std::numeric_limits<float>::max() || d < -std::numeric_limits<float>::max()))
    return shown(field) + " is out of the float32 range";
  value = static_cast<float>(d);
  return {};
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

}  // namespace

std::vector<Tensor> load_csv(const std::string& path, const CsvOptions& options) {
  const std::string text = core::read_file(path, "CSV file");
  const char delim = options.field_delim;
  if (delim == '\n' || delim == '\r' || delim == '"')
    throw ValueError("load_csv: field_delim cannot be a newline or a double quote");

  // Lines, with their 1-based numbers, blank ones skipped.
  size_t pos = 0;
  int64_t line_no = 0;
  auto next_line = [&](std::string_view& line) {
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      line = std::string_view(text).substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!is_blank(line)) return true;
    }
    return false;
  };

  std::vector<std::string_view> fields;
  std::string_view line;
  bool have_line = next_line(line);
  if (!have_line) throw ValueError(path + ": the CSV file is empty");

  std::vector<std::string> names = options.column_names;
  if (options.header) {
    split_fields(line, delim, fields);
    if (names.empty()) {
      for (std::string_view f : fields) names.push_back(unquote(f));
    } else if (names.size() != fields.size()) {
      throw ValueError(path + ": column_names has " + std::to_string(names.size()) + " names but the header (line " +
                       std::to_string(line_no) + ") has " + std::to_string(fields.size()) + " columns");
    }
    have_line = next_line(line);
  } else if (names.empty()) {
    split_fields(line, delim, fields);
    for (size_t i = 0; i < fields.size(); ++i) names.push_back(std::to_string(i));
  }
  const size_t ncol = names.size();
  for (size_t i = 0; i < ncol; ++i)
    for (size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        throw ValueError(path + ": column name " + shown(names[i]) + " appears twice (columns " + std::to_string(j) +
                         " and " + std::to_string(i) + ")");

  auto find_column = [&](const std::string& name, const char* what) {
    for (size_t i = 0; i < ncol; ++i)
      if (names[i] == name) return i;
    throw ValueError(path + ": " + what + " " + shown(name) + " is not a column; available columns: " + join(names));
  };

  // The columns read: selected ones in file order, the label apart.
  std::vector<bool> selected(ncol, options.select_columns.empty());
  for (const std::string& s : options.select_columns) {
    const size_t i = find_column(s, "select_columns entry");
    if (selected[i]) throw ValueError(path + ": select_columns names " + shown(s) + " twice");
    selected[i] = true;
  }
  std::optional<size_t> label;
  if (!options.label_name.empty()) {
    label = find_column(options.label_name, "label_name");
    if (!selected[*label])
      throw ValueError(path + ": label_name " + shown(options.label_name) +
                       " is not among select_columns; add it there: " + join(options.select_columns));
  }
  std::vector<size_t> feature_cols;
  for (size_t i = 0; i < ncol; ++i)
    if (selected[i] && (!label || i != *label)) feature_cols.push_back(i);
  if (feature_cols.empty())
    throw ValueError(path + ": no feature columns are left (columns: " + join(names) + ", label_name " +
                     shown(options.label_name) + ")");

  std::vector<float> features, labels;
  std::vector<float> row(feature_cols.size());
  int64_t rows = 0;
  for (; have_line; have_line = next_line(line)) {
    split_fields(line, delim, fields);
    if (fields.size() != ncol) {
      if (options.ignore_errors) continue;
      throw ValueError(path + ": line " + std::to_string(line_no) + " has " + std::to_string(fields.size()) +
                       " fields but there are " + std::to_string(ncol) + " columns (" + join(names) + ")");
    }
    auto parse = [&](size_t col, float& v) {
      const std::string err = parse_float(fields[col], v);
      if (err.empty()) return true;
      if (options.ignore_errors) return false;
      throw ValueError(path + ": line " + std::to_string(line_no) + ", column " + shown(names[col]) + ": " + err);
    };
    bool ok = true;
    for (size_t k = 0; k < feature_cols.size() && ok; ++k) ok = parse(feature_cols[k], row[k]);
    float y = 0;
    if (ok && label) ok = parse(*label, y);
    if (!ok) continue;
    features.insert(features.end(), row.begin(), row.end());
    if (label) labels.push_back(y);
    ++rows;
  }
  if (rows == 0)
    throw ValueError(path + ": the CSV file has no data rows" + (options.ignore_errors ? " that parse" : ""));

  std::vector<Tensor> out;
  out.push_back(
      Tensor::from_bytes(features.data(), DType::float32, Shape{rows, static_cast<int64_t>(feature_cols.size())}));
  if (label) out.push_back(Tensor::from_bytes(labels.data(), DType::float32, Shape{rows}));
  return out;
}

Dataset make_csv_dataset(const std::string& path, int64_t batch_size, const CsvOptions& options) {
  if (batch_size <= 0)
    throw ValueError("make_csv_dataset: batch_size must be positive, got " + std::to_string(batch_size));
  if (options.num_epochs < -1)
    throw ValueError("make_csv_dataset: num_epochs must be -1 (forever) or at least 0, got " +
                     std::to_string(options.num_epochs));
  if (options.shuffle && options.shuffle_buffer_size <= 0)
    throw ValueError("make_csv_dataset: shuffle_buffer_size must be positive, got " +
                     std::to_string(options.shuffle_buffer_size));
  Dataset ds = Dataset::from_tensor_slices(load_csv(path, options));
  if (options.shuffle) ds = ds.shuffle(options.shuffle_buffer_size, options.shuffle_seed);
  if (options.num_epochs != 1) ds = ds.repeat(options.num_epochs);
  return ds.batch(batch_size, /*drop_remainder=*/options.num_epochs == -1);
}

}  // namespace keras::data
