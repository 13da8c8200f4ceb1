// libFuzzer target for the HDF5 reader (src/saving/h5). Build with
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     src/saving/h5/*.cpp src/core/atomic_file.cpp src/core/dtype.cpp fuzz/h5_fuzz.cpp -o h5_fuzz
// and run with -max_len=65536 -rss_limit_mb=2048 -timeout=5; seeds: fuzz/corpus/h5_fuzz/ (copies of
// tests/fixtures/h5/*.h5 and files from our writer).
//
// Any input must either parse or raise a keras::Error, for every query: a crash, leak, hang,
// sanitizer report or huge allocation is a bug. Everything that reads back is also rewritten with
// the writer and read again, which must give the same tree and bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "keras/error.hpp"
#include "saving/h5/h5.hpp"

namespace {

using keras::h5::File;
using keras::h5::Kind;

struct Dataset {
  std::string path;
  keras::DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

struct Attr {
  std::string path, name, value;
};

constexpr int kMaxDepth = 16;
constexpr size_t kMaxVisits = 256;

void walk(const File& f, size_t file_size, std::vector<std::string>& groups, std::vector<Dataset>& datasets,
          std::vector<Attr>& attrs) {
  size_t visits = 0;
  std::function<void(const std::string&, int)> visit = [&](const std::string& path, int depth) {
    if (depth > kMaxDepth || ++visits > kMaxVisits) return;
    Kind kind = Kind::none;
    try {
      kind = f.kind(path);
    } catch (const keras::Error&) {
      return;
    }
    std::vector<std::string> names;
    try {
      names = f.attribute_names(path);
    } catch (const keras::Error&) {
    }
    for (const auto& n : names) {
      try {
        if (auto v = f.string_attribute(path, n)) attrs.push_back({path, n, *v});
      } catch (const keras::Error&) {
      }
      try {
        (void)f.string_list_attribute(path, n);
      } catch (const keras::Error&) {
      }
    }
    if (kind == Kind::group) {
      groups.push_back(path);
      std::vector<std::string> children;
      try {
        children = f.children(path);
      } catch (const keras::Error&) {
      }
      for (const auto& c : children) visit(path + "/" + c, depth + 1);
    } else if (kind == Kind::dataset) {
      try {
        auto info = f.dataset_info(path);
        uint64_t n = keras::dtype_size(info.dtype);
        for (int64_t d : info.shape) n *= static_cast<uint64_t>(d);
        // The reader promises that a dataset it accepts is stored inside the file.
        if (n > file_size) std::abort();
        std::string bytes(n, '\0');
        f.read_dataset(path, info.dtype, info.shape, bytes.data());
        datasets.push_back({path, info.dtype, std::move(info.shape), std::move(bytes)});
      } catch (const keras::Error&) {
      }
    }
  };
  visit("", 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> groups;
  std::vector<Dataset> datasets;
  std::vector<Attr> attrs;
  try {
    const File f = File::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.h5");
    walk(f, size, groups, datasets, attrs);
  } catch (const keras::Error&) {
    return 0;  // a clean rejection
  }

  // Rewrite what was read and read it back. The writer may refuse names the reader accepted
  // (".." for instance) or duplicate paths reached through several hard links: skip those.
  keras::h5::Writer w;
  std::vector<Dataset> written;
  for (const auto& g : groups) {
    try {
      w.create_group(g);
    } catch (const keras::Error&) {
    }
  }
  for (const auto& d : datasets) {
    try {
      w.create_dataset(d.path, d.dtype, d.shape, d.bytes.data());
      written.push_back(d);
    } catch (const keras::Error&) {
    }
  }
  std::vector<Attr> written_attrs;
  for (const auto& a : attrs) {
    try {
      w.set_string_attribute(a.path, a.name, a.value);
      written_attrs.push_back(a);
    } catch (const keras::Error&) {
    }
  }
  const File back = File::from_bytes(w.bytes(), "fuzz round trip");
  for (const auto& d : written) {
    std::string bytes(d.bytes.size(), '\0');
    back.read_dataset(d.path, d.dtype, d.shape, bytes.data());
    if (bytes != d.bytes) std::abort();
  }
  for (const auto& a : written_attrs) {
    // A later attribute of the same name (through another hard link) may have replaced it.
    const auto v = back.string_attribute(a.path, a.name);
    if (!v) std::abort();
  }
  return 0;
}
