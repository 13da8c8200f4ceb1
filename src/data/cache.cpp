// Dataset::cache (tf.data's cache_dataset_ops.cc): the first complete pass is
// recorded, in memory or in a file, and later passes replay it without
// evaluating the input. A pass that stops early (destroyed, or ended by an
// exception) records nothing, as in tf.data.
//
// The file cache is written to `<filename>.tmp.<pid>.<n>` and renamed to
// `filename` once the pass completes, so a file named `filename` is always
// complete, and concurrent writers never see each other's partial files.
// Format (little-endian, as the host writes it):
//   "KERASDSC" uint32 version=1
//   per element: uint8 1, uint32 num_components, per component:
//     uint8 len, dtype name (len bytes), uint8 rank, int64 dims[rank], raw C-order data
//   at the end: uint8 0, uint64 number of elements
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>

#include "data/dataset_impl.hpp"
#include "data/tensor_util.hpp"

namespace keras::data::detail {
namespace {

constexpr char kMagic[8] = {'K', 'E', 'R', 'A', 'S', 'D', 'S', 'C'};
constexpr uint32_t kVersion = 1;

// ---- memory ---------------------------------------------------------------------------

class MemoryCacheNode final : public DatasetNode {
 public:
  struct State {
    std::mutex mu;
    std::shared_ptr<const std::vector<Element>> elements;  // set by the first complete pass
  };

  explicit MemoryCacheNode(NodePtr input) : input_(std::move(input)) {}

  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      It(NodePtr input, std::shared_ptr<State> state) : input_node_(std::move(input)), state_(std::move(state)) {}
      std::optional<Element> next() override {
        if (!started_) {
          started_ = true;
          {
            std::lock_guard<std::mutex> lock(state_->mu);
            cached_ = state_->elements;
          }
          if (!cached_) input_ = input_node_->make_iterator();
        }
        if (cached_) {
          if (i_ >= cached_->size()) return std::nullopt;
          return (*cached_)[i_++];
        }
        if (!input_) return std::nullopt;
        std::optional<Element> e = input_->next();
        if (e) {
          pending_.push_back(*e);
          return e;
        }
        input_.reset();
        std::lock_guard<std::mutex> lock(state_->mu);
        if (!state_->elements) state_->elements = std::make_shared<const std::vector<Element>>(std::move(pending_));
        pending_.clear();
        return std::nullopt;
      }

     private:
      NodePtr input_node_;
      std::shared_ptr<State> state_;
      bool started_ = false;
      std::shared_ptr<const std::vector<Element>> cached_;
      size_t i_ = 0;
      IteratorPtr input_;
      std::vector<Element> pending_;
    };
    return std::make_unique<It>(input_, state_);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// ---- file -------------------------------------------------------------------------------

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string in_quotes(const std::string& path) { return "'" + path + "'"; }

class CacheWriter {
 public:
  explicit CacheWriter(std::string filename) : filename_(std::move(filename)) {
    static std::atomic<uint64_t> counter{0};
    tmp_ = filename_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    file_.reset(std::fopen(tmp_.c_str(), "wb"));
    if (!file_)
      throw RuntimeError("cache: cannot create " + in_quotes(tmp_) + ": " + std::strerror(errno) +
                         "; check that the cache file's directory exists and is writable");
    write(kMagic, sizeof(kMagic));
    write_pod(kVersion);
  }
  ~CacheWriter() {
    if (file_) {  // not committed: drop the partial file
      file_.reset();
      std::remove(tmp_.c_str());
    }
  }

  void add(const Element& e) {
    check_element(e, "cache");
    write_pod(uint8_t{1});
    write_pod(static_cast<uint32_t>(e.size()));
    for (const Tensor& t : e) {
      const std::string_view name = dtype_name(t.dtype());
      write_pod(static_cast<uint8_t>(name.size()));
      write(name.data(), name.size());
      write_pod(static_cast<uint8_t>(t.ndim()));
      for (int64_t d : t.shape()) write_pod(d);
      const Tensor c = t.contiguous();
      write(c.raw_data(), static_cast<size_t>(c.size()) * dtype_size(c.dtype()));
    }
    ++count_;
  }

  // Writes the end record and renames the file into place.
  void commit() {
    write_pod(uint8_t{0});
    write_pod(count_);
    if (std::fflush(file_.get()) != 0 || ::fsync(::fileno(file_.get())) != 0) fail();
    if (std::fclose(file_.release()) != 0) fail();
    std::error_code ec;
    std::filesystem::rename(tmp_, filename_, ec);
    if (ec) {
      std::remove(tmp_.c_str());
      throw RuntimeError("cache: cannot rename " + in_quotes(tmp_) + " to " + in_quotes(filename_) + ": " +
                         ec.message());
    }
  }

 private:
  void write(const void* data, size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, file_.get()) != n) fail();
  }
  template <class T>
  void write_pod(T v) {
    write(&v, sizeof(v));
  }
  [[noreturn]] void fail() {
    const std::string why = std::strerror(errno);
    file_.reset();
    std::remove(tmp_.c_str());
    throw RuntimeError("cache: cannot write " + in_quotes(tmp_) + ": " + why);
  }

  std::string filename_, tmp_;
  File file_;
  uint64_t count_ = 0;
};

class CacheReader {
 public:
  explicit CacheReader(std::string filename) : filename_(std::move(filename)) {
    file_.reset(std::fopen(filename_.c_str(), "rb"));
    if (!file_) throw RuntimeError("cache: cannot open " + in_quotes(filename_) + ": " + std::strerror(errno));
    char magic[sizeof(kMagic)];
    read(magic, sizeof(magic));
    if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) corrupt("it is not a keras.cpp dataset cache");
    if (read_pod<uint32_t>() != kVersion) corrupt("it has an unknown format version");
  }

  std::optional<Element> next() {
    if (done_) return std::nullopt;
    const auto tag = read_pod<uint8_t>();
    if (tag == 0) {
      if (read_pod<uint64_t>() != count_) corrupt("its element count does not match its contents");
      done_ = true;
      file_.reset();
      return std::nullopt;
    }
    if (tag != 1) corrupt("it has a bad record tag");
    const auto n = read_pod<uint32_t>();
    Element e;
    e.reserve(n);
    for (uint32_t c = 0; c < n; ++c) {
      std::string name(read_pod<uint8_t>(), '\0');
      read(name.data(), name.size());
      DType dtype{};
      try {
        dtype = dtype_from_name(name);
      } catch (const Error&) {
        corrupt("it names an unknown dtype");
      }
      const auto rank = read_pod<uint8_t>();
      if (rank > Shape::kMaxRank) corrupt("it has a tensor of rank above 8");
      Shape shape;
      for (int a = 0; a < rank; ++a) {
        const auto d = read_pod<int64_t>();
        if (d < 0) corrupt("it has a negative dimension");
        shape.push_back(d);
      }
      Tensor t = Tensor::empty(shape, dtype);
      read(t.raw_mutable_data(), static_cast<size_t>(t.size()) * dtype_size(dtype));
      e.push_back(std::move(t));
    }
    ++count_;
    return e;
  }

 private:
  void read(void* data, size_t n) {
    if (n > 0 && std::fread(data, 1, n, file_.get()) != n) corrupt("it is truncated");
  }
  template <class T>
  T read_pod() {
    T v{};
    read(&v, sizeof(v));
    return v;
  }
  [[noreturn]] void corrupt(const std::string& why) const {
    throw ValueError("cache: cannot read " + in_quotes(filename_) + ": " + why +
                     "; delete the file to rebuild the cache from the input");
  }

  std::string filename_;
  File file_;
  uint64_t count_ = 0;
  bool done_ = false;
};

class FileCacheNode final : public DatasetNode {
 public:
  FileCacheNode(NodePtr input, std::string filename) : input_(std::move(input)), filename_(std::move(filename)) {}

  IteratorPtr make_iterator() const override {
    class It final : public IteratorImpl {
     public:
      explicit It(std::shared_ptr<const FileCacheNode> node) : node_(std::move(node)) {}
      std::optional<Element> next() override {
        if (!started_) {
          started_ = true;
          std::error_code ec;
          if (std::filesystem::exists(node_->filename_, ec)) {
            reader_.emplace(node_->filename_);
          } else {
            writer_.emplace(node_->filename_);
            input_ = node_->input_->make_iterator();
          }
        }
        if (reader_) return reader_->next();
        if (!input_) return std::nullopt;
        std::optional<Element> e = input_->next();
        if (e) {
          writer_->add(*e);
          return e;
        }
        input_.reset();
        writer_->commit();
        writer_.reset();
        return std::nullopt;
      }

     private:
      std::shared_ptr<const FileCacheNode> node_;
      bool started_ = false;
      std::optional<CacheReader> reader_;
      std::optional<CacheWriter> writer_;
      IteratorPtr input_;
    };
    return std::make_unique<It>(self<FileCacheNode>());
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  std::string filename_;
};

}  // namespace

NodePtr make_cache_node(NodePtr input, std::string filename) {
  if (filename.empty()) return std::make_shared<MemoryCacheNode>(std::move(input));
  return std::make_shared<FileCacheNode>(std::move(input), std::move(filename));
}

}  // namespace keras::data::detail
