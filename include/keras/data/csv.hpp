#pragma once
/// keras::data::make_csv_dataset and load_csv: numeric CSV files as tensors or as a batched Dataset
/// (the analogue of tf.data.experimental.make_csv_dataset, for numeric columns).
///
/// Example:
///   // train.csv:  age,height,weight,label
///   //             31,1.80,75.5,1
///   auto ds = keras::data::make_csv_dataset("train.csv", 32, {.label_name = "label", .shuffle_seed = 42});
///   for (const keras::data::Element& batch : ds) {  // batch[0]: (32, 3) float32, batch[1]: (32,) float32
///     train_step(batch[0], batch[1]);
///   }
///
/// The file is read and parsed when the dataset is made, so a bad file fails there, with the line
/// and column. Fields are parsed with std::from_chars (the C locale whatever the global locale is):
/// decimal or scientific notation, an optional leading '+', "inf" and "nan"; spaces and tabs around
/// a field are ignored. A field wholly enclosed in double quotes loses them (quoted fields cannot hold
/// the delimiter or a newline). Blank lines are skipped; lines end with "\n" or "\r\n".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/data/dataset.hpp"
#include "keras/tensor.hpp"

namespace keras::data {

/// Options of make_csv_dataset and load_csv, in the order of tf.data.experimental.make_csv_dataset.
/// Example: `{.select_columns = {"x1", "x2", "y"}, .label_name = "y", .shuffle = false}`.
struct CsvOptions {
  /// Names of the columns, in file order; empty takes them from the header line. Needed names when
  /// header is false, else the columns are named "0", "1", ... Default empty.
  std::vector<std::string> column_names{};
  /// The column returned as the label (a second component, shape (batch,)); empty gives features only.
  /// Default empty.
  std::string label_name{};
  /// The columns to read (features and label), by name; empty reads every column. Columns not read
  /// are not parsed, so they may hold text. Default empty.
  std::vector<std::string> select_columns{};
  /// The field separator. Default ','.
  char field_delim = ',';
  /// Whether the first line holds the column names (and is not data). Default true.
  bool header = true;
  /// Passes over the data: -1 repeats forever (tf's None). Default 1, so that a loop over the dataset
  /// ends (tf's default is None).
  int64_t num_epochs = 1;
  /// Whether to shuffle the rows. Default true.
  bool shuffle = true;
  /// Rows in the shuffle buffer. Default 10000.
  int64_t shuffle_buffer_size = 10000;
  /// The shuffle seed; none draws one from the global generator (keras::utils::set_random_seed). Default none.
  std::optional<uint64_t> shuffle_seed{};
  /// Whether to skip malformed rows (a wrong number of fields, a field that is not a number) instead of
  /// raising keras::ValueError. Default false.
  bool ignore_errors = false;
};

/// Reads the numeric columns of a CSV file: {features (rows, n_features) float32, label (rows,) float32}
/// when options.label_name is set, else {features}. Feature columns keep their file order. Only the
/// column options (column_names, label_name, select_columns, field_delim, header, ignore_errors) apply.
/// Throws keras::NotFoundError for a missing file and keras::ValueError, naming the line and column,
/// for a malformed one (no rows, ragged rows, non-numeric fields, unknown column names).
/// Example: `auto xy = keras::data::load_csv("iris.csv", {.label_name = "species"});`
std::vector<Tensor> load_csv(const std::string& path, const CsvOptions& options = {});

/// The rows of a numeric CSV file as a Dataset of batches: elements (features (batch, n_features),
/// label (batch,)) with a label_name, else (features), all float32. Rows are shuffled (with a buffer of
/// shuffle_buffer_size), repeated num_epochs times and batched; as in tf, the last smaller batch is kept
/// unless num_epochs is -1 (forever). Errors as load_csv, raised here.
/// Example: `auto ds = keras::data::make_csv_dataset("data.csv", 64, {.label_name = "y"});`
Dataset make_csv_dataset(const std::string& path, int64_t batch_size, const CsvOptions& options = {});

}  // namespace keras::data
