// libFuzzer target for the CSV reader (keras::data::make_csv_dataset). Run with scripts/run-fuzzers;
// seeds: fuzz/corpus/csv_fuzz/.
//
// The input is written to a temporary file, read with a header row, shuffled and batched, and every
// batch is pulled. Any input must either load or raise a keras::Error; a crash, leak, hang or huge
// allocation is a bug. Every batch must be float32 (rows, n_features) with rows in [1, 4].
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "keras/data/csv.hpp"
#include "keras/error.hpp"

namespace {

const std::string& temp_path() {
  static const std::string path = [] {
    std::atexit([] { std::remove(temp_path().c_str()); });
    return "/tmp/keras_csv_fuzz_" + std::to_string(getpid()) + ".csv";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = temp_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  // The first byte picks the options, so the fuzzer reaches the label, ignore_errors and delimiter paths.
  const uint8_t flags = size > 0 ? data[0] : 0;
  keras::data::CsvOptions options;
  options.label_name = (flags & 1) ? "y" : "";
  options.field_delim = (flags & 2) ? ';' : ',';
  options.ignore_errors = (flags & 4) != 0;
  options.shuffle_seed = 1;
  try {
    const keras::data::Dataset ds = keras::data::make_csv_dataset(path, 4, options);
    for (const keras::data::Element& e : ds) {
      const keras::Tensor& x = e.at(0);
      if (x.dtype() != keras::DType::float32 || x.ndim() != 2 || x.shape()[0] < 1 || x.shape()[0] > 4) std::abort();
      if (options.label_name.empty() != (e.size() == 1)) std::abort();
      if (e.size() == 2 && (e[1].ndim() != 1 || e[1].shape()[0] != x.shape()[0])) std::abort();
    }
  } catch (const keras::Error&) {
    // a clean rejection
  }
  return 0;
}
