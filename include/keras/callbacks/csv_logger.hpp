#pragma once
/// keras::callbacks::CSVLogger: writes one row per epoch (epoch, then every log key in sorted
/// order) to a CSV file, as Keras' CSVLogger does (Python csv "excel" dialect: "\r\n" line ends,
/// numbers as Python prints them, "NA" for a missing value).
///
/// Example:
///   keras::callbacks::CSVLogger csv("training.log");   // or ("training.log", ";", /*append=*/true)
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  ~CSVLogger() override;
  CSVLogger(const CSVLogger&) = delete;
  CSVLogger& operator=(const CSVLogger&) = delete;
  CSVLogger(CSVLogger&& other) noexcept;
  CSVLogger& operator=(CSVLogger&&) = delete;

  /// Opens the file (keras::Error naming it when it cannot be written).
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  void close();
  std::string filename_;
  std::string sep_;
  bool append_;
  bool write_header_ = true;
  std::FILE* file_ = nullptr;
  std::optional<std::vector<std::string>> keys_;
};

}  // namespace keras::callbacks
