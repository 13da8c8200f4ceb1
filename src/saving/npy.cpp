// Mirrors numpy/lib/format.py (read_array, write_array) and the .npz side of
// numpy/lib/npyio.py (savez, savez_compressed, NpzFile).
#include "keras/npy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/convert.hpp"
#include "keras/error.hpp"
#include "saving/zip.hpp"

namespace keras::npy {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
// numpy's default max_header_size: a bigger header is refused before it is parsed, so a hostile
// file cannot make the parser (literal_eval in numpy) chew on megabytes of text.
constexpr uint64_t kMaxHeaderLen = 10000;
constexpr size_t kArrayAlign = 64;
// numpy >= 1.24 leaves room for the growth axis to reach this many digits, so that appending to
// a file can rewrite the header in place; we pad identically to produce byte-identical files.
constexpr size_t kGrowthAxisMaxDigits = 21;
// A member declaring more than this and more than kZipBombRatio times its compressed size is
// refused before anything is allocated for it.
constexpr uint64_t kZipBombBytes = uint64_t{4} << 30;
constexpr uint64_t kZipBombRatio = 100;

constexpr bool kLittleEndianHost = std::endian::native == std::endian::little;

[[noreturn]] void fail(const std::string& what, const std::string& msg) { throw ValueError(what + ": " + msg); }

using core::AtomicFile;
using core::fail_errno;
using core::fsync_dir_of;
using core::temp_path_for;

// ---- header ---------------------------------------------------------------

struct Header {
  DType dtype = DType::float32;
  size_t itemsize = 0;
  bool byteswap = false;
  bool fortran_order = false;
  Shape shape;
  int64_t numel = 0;
  uint64_t data_offset = 0;
  uint64_t data_bytes = 0;
};

constexpr std::string_view kSupported =
    "supported dtypes are float16, float32, float64, int32, int64, uint8 and bool "
    "(descr '<f2', '<f4', '<f8', '<i4', '<i8', '|u1', '|b1'; '>' big-endian is accepted too)";

// numpy's name for a type code, so that the rejection of e.g. '<i2' says "int16".
std::string_view numpy_type_name(std::string_view code) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"i1", "int8"},        {"i2", "int16"},       {"u2", "uint16"},      {"u4", "uint32"},
      {"u8", "uint64"},      {"f16", "float128"},   {"f12", "float96"},    {"c8", "complex64"},
      {"c16", "complex128"}, {"c32", "complex256"}, {"c24", "complex192"},
  };
  for (const auto& [c, n] : kNames)
    if (c == code) return n;
  if (!code.empty()) {
    switch (code[0]) {
      case 'U':
        return "str";
      case 'S':
      case 'a':
        return "bytes";
      case 'V':
        return "void (raw bytes)";
      case 'M':
        return "datetime64";
      case 'm':
        return "timedelta64";
    }
  }
  return {};
}

// Fills dtype, itemsize and byteswap from a descr string such as '<f4'.
void parse_descr(const std::string& descr, Header& h, const std::string& what) {
  std::string_view s = descr;
  char order = '=';
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
    order = s[0];
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == 'O')
    fail(what, "descr '" + descr + "' is an object array; object arrays hold Python pickles and are not supported");
  struct Known {
    std::string_view code;
    DType dtype;
  };
  static constexpr Known kKnown[] = {
      {"f2", DType::float16}, {"f4", DType::float32}, {"f8", DType::float64}, {"i4", DType::int32},
      {"i8", DType::int64},   {"u1", DType::uint8},   {"b1", DType::bool_},
  };
  for (const auto& k : kKnown) {
    if (k.code != s) continue;
    h.dtype = k.dtype;
    h.itemsize = dtype_size(k.dtype);
    if (h.itemsize > 1 && order == '|')
      fail(what, "descr '" + descr + "' is invalid: a multi-byte type needs byte order '<' or '>', not '|'");
    const bool file_little = order == '<' || (order != '>' && kLittleEndianHost);
    h.byteswap = h.itemsize > 1 && file_little != kLittleEndianHost;
    return;
  }
  std::string_view name = numpy_type_name(s);
  std::string msg = "unsupported dtype '" + descr + "'";
  if (!name.empty()) msg += " (numpy " + std::string(name) + ")";
  fail(what, msg + "; " + std::string(kSupported));
}

// Parses the header text: a Python dict literal with exactly the keys 'descr', 'fortran_order'
// and 'shape', in any order, as ast.literal_eval would accept it.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  void parse(Header& h) {
    skip_space();
    expect('{', "the header must be a Python dict starting with '{'");
    bool have_descr = false, have_fortran = false, have_shape = false;
    for (;;) {
      skip_space();
      if (consume('}')) break;
      const std::string key = parse_string("a quoted key");
      skip_space();
      expect(':', "expected ':' after key '" + key + "'");
      skip_space();
      if (key == "descr") {
        once(have_descr, key);
        if (peek() == '[' || peek() == '{')
          fail(what_, "structured dtypes (a descr that is a list or dict) are not supported");
        parse_descr(parse_string("a quoted descr such as '<f4'"), h, what_);
      } else if (key == "fortran_order") {
        once(have_fortran, key);
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        once(have_shape, key);
        h.shape = parse_shape();
      } else {
        fail(what_, "unexpected key '" + key + "' in the header (expected 'descr', 'fortran_order' and 'shape')");
      }
      skip_space();
      if (consume(',')) continue;
      expect('}', "expected ',' or '}' after the value of '" + key + "'");
      break;
    }
    skip_space();
    if (pos_ != s_.size()) fail(what_, "unexpected text after the header dict");
    if (!have_descr) fail(what_, "the header has no 'descr' key");
    if (!have_fortran) fail(what_, "the header has no 'fortran_order' key");
    if (!have_shape) fail(what_, "the header has no 'shape' key");
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c || pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const std::string& msg) {
    if (!consume(c)) fail(what_, msg + where());
  }
  // Writers pad with spaces and end with '\n'; very old ones also padded with other blanks.
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r' ||
                                s_[pos_] == '\f' || s_[pos_] == '\v'))
      ++pos_;
  }
  std::string where() const { return " (at byte " + std::to_string(pos_) + " of the header)"; }
  void once(bool& seen, const std::string& key) {
    if (seen) fail(what_, "the header repeats the key '" + key + "'");
    seen = true;
  }

  std::string parse_string(const char* expected) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(what_, std::string("expected ") + expected + where());
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= s_.size() || s_[pos_] == '\n') fail(what_, "unterminated string in the header");
      char c = s_[pos_++];
      if (c == quote) return out;
      if (c == '\\') {
        if (pos_ >= s_.size()) fail(what_, "unterminated string in the header");
        c = s_[pos_++];
      }
      out += c;
    }
  }

  bool parse_bool() {
    for (std::string_view word : {"True", "False"}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return word == "True";
      }
    }
    fail(what_, "'fortran_order' must be True or False" + where());
  }

  // A Python tuple of non-negative ints: "()", "(4,)", "(2, 3)", "(2, 3,)". Python 2 wrote
  // longs as "3L", which numpy still reads.
  Shape parse_shape() {
    expect('(', "'shape' must be a tuple such as (2, 3)");
    Shape shape;
    bool trailing_comma = false;
    for (;;) {
      skip_space();
      if (consume(')')) break;
      if (shape.rank() == Shape::kMaxRank)
        fail(what_,
             "'shape' has more than " + std::to_string(Shape::kMaxRank) + " dimensions, keras.cpp's maximum rank");
      shape.push_back(parse_dim());
      skip_space();
      trailing_comma = consume(',');
      if (trailing_comma) continue;
      expect(')', "expected ',' or ')' in 'shape'");
      break;
    }
    // "(4)" is the int 4 in Python, not a tuple; numpy rejects it too.
    if (shape.rank() == 1 && !trailing_comma) fail(what_, "'shape' (" + std::to_string(shape[0]) + ") is not a tuple");
    return shape;
  }

  int64_t parse_dim() {
    if (peek() == '-') fail(what_, "'shape' has a negative dimension" + where());
    if (peek() < '0' || peek() > '9') fail(what_, "'shape' must hold integers" + where());
    int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const int digit = peek() - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) fail(what_, "a dimension in 'shape' is too large");
      v = v * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L' || peek() == 'l') ++pos_;
    return v;
  }

  std::string_view s_;
  size_t pos_ = 0;
  const std::string& what_;
};

// Element count and byte count, refusing shapes whose size (or whose strides, which multiply
// the non-zero dimensions) does not fit in int64.
void compute_sizes(Header& h, const std::string& what) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t span = 1;  // product of max(dim, 1)
  bool empty = false;
  for (int64_t d : h.shape) {
    if (d == 0) empty = true;
    const int64_t m = std::max<int64_t>(d, 1);
    if (span > kMax / m) fail(what, "'shape' " + h.shape.str() + " has too many elements");
    span *= m;
  }
  h.numel = empty ? 0 : span;
  if (h.numel > kMax / static_cast<int64_t>(h.itemsize))
    fail(what, "'shape' " + h.shape.str() + " has too many elements");
  h.data_bytes = static_cast<uint64_t>(h.numel) * h.itemsize;
}

// ---- reading --------------------------------------------------------------

// Where .npy bytes come from: memory, a file or a zip member, whose total size is known up front
// so that the header's claims can be checked before allocating.
class Source {
 public:
  virtual ~Source() = default;
  // Reads up to n bytes; fewer only at the end of the data.
  virtual size_t read(void* dst, size_t n) = 0;
  virtual uint64_t total() const = 0;
};

class MemorySource : public Source {
 public:
  MemorySource(const void* data, size_t size) : data_(static_cast<const unsigned char*>(data)), size_(size) {}
  size_t read(void* dst, size_t n) override {
    n = std::min(n, size_ - pos_);
    if (n > 0) std::memcpy(dst, data_ + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t total() const override { return size_; }

 private:
  const unsigned char* data_;
  size_t size_;
  size_t pos_ = 0;
};

class FileSource : public Source {
 public:
  explicit FileSource(const std::string& path) : path_(path) {
    do {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) {
      if (errno == ENOENT) throw NotFoundError(path + ": no such file");
      fail_errno(path, "cannot open", errno);
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      ::close(fd_);
      fail_errno(path, "cannot stat", err);
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd_);
      fail_errno(path, "cannot read", EISDIR);
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  size_t read(void* dst, size_t n) override {
    size_t done = 0;
    while (done < n) {
      // Linux transfers at most ~2 GiB per call.
      const size_t chunk = std::min<size_t>(n - done, size_t{1} << 30);
      const ssize_t r = ::read(fd_, static_cast<char*>(dst) + done, chunk);
      if (r < 0) {
        if (errno == EINTR) continue;
        fail_errno(path_, "read failed", errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }
  uint64_t total() const override { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

class ZipMemberSource : public Source {
 public:
  ZipMemberSource(zip_t* archive, zip_uint64_t index, uint64_t size, const std::string& what)
      : size_(size), what_(what) {
    file_ = zip_fopen_index(archive, index, 0);
    if (!file_) fail(what, std::string("cannot open the member: ") + zip_strerror(archive));
  }
  ~ZipMemberSource() override { zip_fclose(file_); }
  ZipMemberSource(const ZipMemberSource&) = delete;
  ZipMemberSource& operator=(const ZipMemberSource&) = delete;

  size_t read(void* dst, size_t n) override {
    size_t done = 0;
    while (done < n) {
      const zip_int64_t r = zip_fread(file_, static_cast<char*>(dst) + done, n - done);
      if (r < 0) fail(what_, std::string("cannot read the member: ") + zip_file_strerror(file_));
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }
  uint64_t total() const override { return size_; }

 private:
  zip_file_t* file_ = nullptr;
  uint64_t size_;
  const std::string& what_;
};

Header read_header(Source& src, const std::string& what) {
  // Magic (6), version (2) and a header length of 2 (v1) or 4 (v2, v3) bytes.
  unsigned char pre[12] = {};
  const size_t got = src.read(pre, 8);
  if (std::memcmp(pre, kMagic.data(), std::min(got, kMagic.size())) != 0 || (got == 0 && src.total() == 0))
    fail(what, "not a .npy file (bad magic: it must start with \\x93NUMPY)");
  if (got < 8) fail(what, "truncated .npy preamble (" + std::to_string(got) + " bytes)");
  const int major = pre[6], minor = pre[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    fail(what, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (supported: 1.0, 2.0, 3.0)");
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (src.read(pre + 8, len_bytes) < len_bytes) fail(what, "truncated header length");
  uint64_t header_len = pre[8] | (uint64_t{pre[9]} << 8);
  if (len_bytes == 4) header_len |= (uint64_t{pre[10]} << 16) | (uint64_t{pre[11]} << 24);
  if (header_len > kMaxHeaderLen)
    fail(what, "header is " + std::to_string(header_len) + " bytes, more than the " + std::to_string(kMaxHeaderLen) +
                   "-byte limit (numpy's max_header_size)");
  std::string text(static_cast<size_t>(header_len), '\0');
  if (src.read(text.data(), text.size()) < text.size())
    fail(what, "truncated header (" + std::to_string(header_len) + " bytes declared)");

  Header h;
  HeaderParser(text, what).parse(h);
  compute_sizes(h, what);
  h.data_offset = 8 + len_bytes + header_len;
  const uint64_t present = src.total() > h.data_offset ? src.total() - h.data_offset : 0;
  if (h.data_bytes > present)
    fail(what, "truncated data: shape " + h.shape.str() + " of " + std::string(dtype_name(h.dtype)) + " needs " +
                   std::to_string(h.data_bytes) + " bytes but only " + std::to_string(present) + " follow the header");
  return h;
}

void byteswap_in_place(unsigned char* p, size_t itemsize, int64_t n) {
  for (int64_t i = 0; i < n; ++i, p += itemsize) std::reverse(p, p + itemsize);
}

// Reads the array data into a new C-ordered tensor in keras' (native) representation.
Tensor read_data(Source& src, const Header& h, const std::string& what) {
  Tensor t = Tensor::empty(h.shape, h.dtype);
  if (h.numel == 0) return t;
  auto* dst = static_cast<unsigned char*>(t.raw_mutable_data());
  const size_t nbytes = static_cast<size_t>(h.data_bytes);
  // Rank < 2 Fortran data is already in C order.
  if (h.fortran_order && h.shape.rank() >= 2) {
    std::vector<unsigned char> tmp(nbytes);
    if (src.read(tmp.data(), nbytes) < nbytes) fail(what, "truncated data");
    int64_t strides[Shape::kMaxRank];
    int64_t s = 1;
    for (int i = 0; i < h.shape.rank(); ++i) {
      strides[i] = s;
      s *= h.shape[i];
    }
    const size_t w = h.itemsize;
    detail::for_each_offset(h.shape, strides, 0, [&](int64_t i, int64_t off) {
      std::memcpy(dst + static_cast<size_t>(i) * w, tmp.data() + static_cast<size_t>(off) * w, w);
    });
  } else if (src.read(dst, nbytes) < nbytes) {
    fail(what, "truncated data");
  }
  if (h.byteswap) byteswap_in_place(dst, h.itemsize, h.numel);
  // A bool byte other than 0 or 1 is undefined behaviour once read as a C++ bool.
  if (h.dtype == DType::bool_)
    for (size_t i = 0; i < nbytes; ++i) dst[i] = dst[i] != 0;
  return t;
}

Tensor load_source(Source& src, const std::string& what) {
  const Header h = read_header(src, what);
  return read_data(src, h, what);
}

// ---- writing --------------------------------------------------------------

// A tensor ready to be written: the header bytes and the C-ordered data they describe.
struct Encoded {
  std::string header;
  Tensor keep;                   // the contiguous data, unless converted
  std::vector<float> converted;  // bfloat16 input widened to float32
  size_t nbytes = 0;
  const void* data() const { return keep.defined() ? keep.raw_data() : converted.data(); }
};

std::string descr_for(DType d) {
  const char order = kLittleEndianHost ? '<' : '>';
  switch (d) {
    case DType::float32:
      return std::string(1, order) + "f4";
    case DType::float64:
      return std::string(1, order) + "f8";
    case DType::float16:
      return std::string(1, order) + "f2";
    case DType::int32:
      return std::string(1, order) + "i4";
    case DType::int64:
      return std::string(1, order) + "i8";
    case DType::uint8:
      return "|u1";
    case DType::bool_:
      return "|b1";
    case DType::bfloat16:
      break;
  }
  return std::string(1, order) + "f4";
}

// Byte-identical to numpy's _write_array_header for version 1.0 (the header of a rank <= 8 array
// is far below the 65535 bytes that would need version 2.0).
std::string make_header(DType stored, const Shape& shape) {
  std::string dict = "{'descr': '" + descr_for(stored) + "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < shape.rank(); ++i) {
    if (i > 0) dict += ", ";
    dict += std::to_string(shape[i]);
  }
  dict += shape.rank() == 1 ? ",), }" : "), }";
  if (shape.rank() > 0) dict.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  const size_t hlen = dict.size() + 1;  // + '\n'
  // numpy adds a whole ARRAY_ALIGN of padding when already aligned; copied for identical bytes.
  const size_t padlen = kArrayAlign - ((8 + 2 + hlen) % kArrayAlign);
  const size_t total_len = hlen + padlen;
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(total_len & 0xff);
  out += static_cast<char>((total_len >> 8) & 0xff);
  out += dict;
  out.append(padlen, ' ');
  out += '\n';
  return out;
}

Encoded encode(const Tensor& x, const std::string& what) {
  if (!x.defined()) fail(what, "cannot save an undefined tensor");
  if (x.is_symbolic()) fail(what, "cannot save a symbolic tensor (it has no data until the graph is evaluated)");
  Encoded e;
  e.keep = x.contiguous();
  const size_t n = static_cast<size_t>(x.size());
  if (x.dtype() == DType::bfloat16) {
    // numpy has no bfloat16: it is widened to float32, which holds every bfloat16 exactly, so
    // numpy can read the file and loading it back gives the same values (as float32).
    e.converted.resize(n);
    if (n > 0)
      detail::convert_elements(e.keep.raw_data(), DType::bfloat16, e.converted.data(), DType::float32,
                               static_cast<int64_t>(n));
    e.header = make_header(DType::float32, x.shape());
    e.nbytes = n * sizeof(float);
    e.keep = Tensor();
  } else {
    e.header = make_header(x.dtype(), x.shape());
    e.nbytes = n * dtype_size(x.dtype());
  }
  return e;
}

// ---- zip ------------------------------------------------------------------

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

std::string zip_error_text(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string text = zip_error_strerror(&err);
  zip_error_fini(&err);
  return text;
}

bool is_zip_bomb(const zip_stat_t& st) {
  if (st.size <= kZipBombBytes) return false;
  if (!(st.valid & ZIP_STAT_COMP_SIZE)) return true;
  return st.comp_size <= std::numeric_limits<uint64_t>::max() / kZipBombRatio && st.size > kZipBombRatio * st.comp_size;
}

}  // namespace

Tensor load_from_memory(const void* data, size_t size, const std::string& what) {
  MemorySource src(data, size);
  return load_source(src, what);
}

Tensor load(const std::string& path) {
  FileSource src(path);
  return load_source(src, path);
}

std::string save_to_memory(const Tensor& x) {
  const Encoded e = encode(x, "<memory>");
  std::string out = e.header;
  out.append(static_cast<const char*>(e.data()), e.nbytes);
  return out;
}

void save(const std::string& path, const Tensor& x) {
  const Encoded e = encode(x, path);
  AtomicFile f(path);
  f.write(e.header.data(), e.header.size());
  f.write(e.data(), e.nbytes);
  f.commit();
}

std::map<std::string, Tensor> load_npz(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw NotFoundError(path + ": no such file");
    fail_errno(path, "cannot open", errno);
  }
  if (st.st_size == 0) fail(path, "empty file, not a .npz (ZIP) archive");
  int code = 0;
  ZipPtr archive(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!archive) {
    if (code == ZIP_ER_NOENT) throw NotFoundError(path + ": no such file");
    if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_SEEK || code == ZIP_ER_MEMORY)
      throw Error(path + ": cannot open: " + zip_error_text(code));
    fail(path, "not a valid .npz (ZIP) archive: " + zip_error_text(code));
  }
  std::map<std::string, Tensor> out;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_stat_index(archive.get(), index, 0, &zs) != 0)
      fail(path, std::string("cannot read the ZIP directory: ") + zip_strerror(archive.get()));
    if (!(zs.valid & ZIP_STAT_NAME)) continue;
    const std::string name = zs.name;
    constexpr std::string_view kSuffix = ".npy";
    if (name.size() < kSuffix.size() || name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
      continue;
    const std::string what = path + ": member '" + name + "'";
    if (!(zs.valid & ZIP_STAT_SIZE)) fail(what, "the ZIP directory gives no uncompressed size");
    if (is_zip_bomb(zs))
      fail(what, "uncompressed size " + std::to_string(zs.size) + " bytes is more than 4 GiB and more than " +
                     std::to_string(kZipBombRatio) + "x its compressed size (a zip bomb?)");
    std::string key = name.substr(0, name.size() - kSuffix.size());
    if (out.count(key)) fail(what, "the archive holds two members named '" + name + "'");
    ZipMemberSource src(archive.get(), index, zs.size, what);
    out.emplace(std::move(key), load_source(src, what));
  }
  return out;
}

void save_npz(const std::string& path, const std::map<std::string, Tensor>& arrays, bool compressed) {
  std::vector<Encoded> encoded;
  encoded.reserve(arrays.size());
  for (const auto& [name, x] : arrays) encoded.push_back(encode(x, path + ": array '" + name + "'"));

  // The buffers stay alive in `encoded` until the archive is written. numpy (through Python's
  // zipfile) dates every member 1980-01-01 00:00; doing the same makes the archive depend only on
  // its contents.
  std::vector<saving::zip::Member> members;
  size_t k = 0;
  for (const auto& [name, x] : arrays) {
    const Encoded& e = encoded[k++];
    members.push_back({.name = name + ".npy",
                       .fragments = {{e.header.data(), e.header.size()}, {e.data(), e.nbytes}},
                       .compress = compressed,
                       .epoch_date = true});
  }
  saving::zip::write_atomic(path, members);
}

}  // namespace keras::npy
