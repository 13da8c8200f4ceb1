#include "callbacks/event_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "core/atomic_file.hpp"
#include "core/crc32c.hpp"
#include "keras/error.hpp"

namespace keras::callbacks::internal {
namespace {

// ---- protobuf wire format (proto3) ----

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Field numbers (FORMATS.md 3.3).
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5, kEventSessionLog = 7;
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1, kValueSimpleValue = 2, kValueTensor = 8, kValueMetadata = 9;
constexpr uint32_t kMetaPluginData = 1, kMetaDataClass = 4;
constexpr uint32_t kPluginName = 1, kPluginContent = 2;
constexpr uint32_t kTensorDtype = 1, kTensorShape = 2, kTensorContent = 4, kTensorFloatVal = 5, kTensorDoubleVal = 6,
                   kTensorIntVal = 7, kTensorStringVal = 8, kTensorInt64Val = 10;
constexpr uint32_t kShapeDim = 2, kShapeUnknownRank = 3, kDimSize = 1;
constexpr uint32_t kSessionLogStatus = 1;

constexpr uint64_t kDtFloat = 1, kDtDouble = 2, kDtInt32 = 3, kDtString = 7, kDtInt64 = 9;
constexpr uint64_t kDataClassScalar = 1;
constexpr uint64_t kSessionStart = 1;
constexpr const char* kFileVersion = "brain.Event:2";
constexpr const char* kScalarsPlugin = "scalars";

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_le(std::string& out, uint64_t v, int nbytes) {
  for (int i = 0; i < nbytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_key(std::string& out, uint32_t field, WireType wt) { put_varint(out, (uint64_t{field} << 3) | wt); }

// Scalar fields are omitted at their proto3 default (zero bits), as protobuf serializers do.
void put_varint_field(std::string& out, uint32_t field, uint64_t v) {
  if (v == 0) return;
  put_key(out, field, kVarint);
  put_varint(out, v);
}

void put_double_field(std::string& out, uint32_t field, double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (bits == 0) return;
  put_key(out, field, kFixed64);
  put_le(out, bits, 8);
}

void put_float_field(std::string& out, uint32_t field, float v) {
  const uint32_t bits = std::bit_cast<uint32_t>(v);
  if (bits == 0) return;
  put_key(out, field, kFixed32);
  put_le(out, bits, 4);
}

// Always written: submessages that are set (even when empty) and elements of repeated fields.
void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
  put_key(out, field, kLen);
  put_varint(out, bytes.size());
  out.append(bytes);
}

// Singular string/bytes fields: omitted when empty.
void put_string_field(std::string& out, uint32_t field, std::string_view s) {
  if (!s.empty()) put_bytes(out, field, s);
}

std::string event_header(double wall_time, int64_t step) {
  std::string ev;
  put_double_field(ev, kEventWallTime, wall_time);
  put_varint_field(ev, kEventStep, static_cast<uint64_t>(step));
  return ev;
}

std::string plugin_metadata(std::string_view plugin_name, std::string_view content, uint64_t data_class) {
  std::string plugin_data;
  put_string_field(plugin_data, kPluginName, plugin_name);
  put_string_field(plugin_data, kPluginContent, content);
  std::string meta;
  put_bytes(meta, kMetaPluginData, plugin_data);
  put_varint_field(meta, kMetaDataClass, data_class);
  return meta;
}

std::string summary_event(double wall_time, int64_t step, const std::string& value) {
  std::string summary;
  put_bytes(summary, kSummaryValue, value);
  std::string ev = event_header(wall_time, step);
  put_bytes(ev, kEventSummary, summary);
  return ev;
}

uint64_t load_le(const unsigned char* p, int nbytes) {
  uint64_t v = 0;
  for (int i = nbytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---- decoding ----

// Thrown for malformed input; read_event_file adds the file name and record offset.
struct Malformed {
  std::string what;
};

class PbReader {
 public:
  explicit PbReader(std::string_view bytes)
      : p_(reinterpret_cast<const unsigned char*>(bytes.data())), end_(p_ + bytes.size()) {}
  bool done() const { return p_ == end_; }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) throw Malformed{"truncated varint"};
      const unsigned char b = *p_++;
      if (shift == 63 && b > 1) throw Malformed{"varint overflows 64 bits"};
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) return v;
    }
    throw Malformed{"varint longer than 10 bytes"};
  }

  // Reads a field key; returns false at the end of the message.
  bool next(uint32_t& field, uint32_t& wire_type) {
    if (done()) return false;
    const uint64_t key = varint();
    wire_type = static_cast<uint32_t>(key & 7);
    const uint64_t f = key >> 3;
    if (f == 0 || f > 0x1FFFFFFF) throw Malformed{"invalid field number " + std::to_string(f)};
    field = static_cast<uint32_t>(f);
    return true;
  }

  uint64_t fixed(int nbytes) {
    if (end_ - p_ < nbytes) throw Malformed{"truncated fixed-width field"};
    const uint64_t v = load_le(p_, nbytes);
    p_ += nbytes;
    return v;
  }

  std::string_view bytes() {
    const uint64_t n = varint();
    if (n > static_cast<uint64_t>(end_ - p_)) throw Malformed{"length-delimited field runs past its message"};
    std::string_view s(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return s;
  }

  void skip(uint32_t wire_type) {
    switch (wire_type) {
      case kVarint:
        varint();
        break;
      case kFixed64:
        fixed(8);
        break;
      case kLen:
        bytes();
        break;
      case kFixed32:
        fixed(4);
        break;
      default:
        throw Malformed{"unsupported wire type " + std::to_string(wire_type)};
    }
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

void expect_wire(uint32_t field, uint32_t got, uint32_t want, const char* message) {
  if (got != want)
    throw Malformed{std::string(message) + " field " + std::to_string(field) + " has wire type " + std::to_string(got) +
                    ", expected " + std::to_string(want)};
}

// Reads a repeated numeric field, packed (kLen) or not; `unpacked_wire` is the element wire type.
template <class F>
void read_repeated(PbReader& r, uint32_t field, uint32_t wt, uint32_t unpacked_wire, F&& read_one) {
  if (wt == kLen) {
    PbReader packed(r.bytes());
    while (!packed.done()) read_one(packed);
  } else {
    expect_wire(field, wt, unpacked_wire, "TensorProto");
    read_one(r);
  }
}

struct ParsedTensor {
  uint64_t dtype = 0;
  bool unknown_rank = false;
  int64_t numel = 1;
  size_t rank = 0;
  std::string_view content;
  bool has_content = false;
  std::vector<double> numbers;  // float_val/double_val/int_val/int64_val, widened
  std::vector<std::string_view> strings;
};

ParsedTensor parse_tensor(std::string_view bytes) {
  ParsedTensor t;
  PbReader r(bytes);
  uint32_t f, wt;
  while (r.next(f, wt)) {
    switch (f) {
      case kTensorDtype:
        expect_wire(f, wt, kVarint, "TensorProto");
        t.dtype = r.varint();
        break;
      case kTensorShape: {
        expect_wire(f, wt, kLen, "TensorProto");
        PbReader s(r.bytes());
        uint32_t sf, swt;
        while (s.next(sf, swt)) {
          if (sf == kShapeDim) {
            expect_wire(sf, swt, kLen, "TensorShapeProto");
            PbReader d(s.bytes());
            int64_t size = 0;
            uint32_t df, dwt;
            while (d.next(df, dwt)) {
              if (df == kDimSize) {
                expect_wire(df, dwt, kVarint, "TensorShapeProto.Dim");
                size = static_cast<int64_t>(d.varint());
              } else {
                d.skip(dwt);
              }
            }
            ++t.rank;
            int64_t product;
            if (size < 0 || t.numel < 0 || __builtin_mul_overflow(t.numel, size, &product)) product = -1;
            t.numel = product;  // -1: unknown or too large
          } else if (sf == kShapeUnknownRank) {
            expect_wire(sf, swt, kVarint, "TensorShapeProto");
            t.unknown_rank = s.varint() != 0;
          } else {
            s.skip(swt);
          }
        }
        break;
      }
      case kTensorContent:
        expect_wire(f, wt, kLen, "TensorProto");
        t.content = r.bytes();
        t.has_content = true;
        break;
      case kTensorFloatVal:
        read_repeated(r, f, wt, kFixed32, [&](PbReader& x) {
          t.numbers.push_back(std::bit_cast<float>(static_cast<uint32_t>(x.fixed(4))));
        });
        break;
      case kTensorDoubleVal:
        read_repeated(r, f, wt, kFixed64, [&](PbReader& x) { t.numbers.push_back(std::bit_cast<double>(x.fixed(8))); });
        break;
      case kTensorIntVal:
        read_repeated(r, f, wt, kVarint, [&](PbReader& x) {
          t.numbers.push_back(static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(x.varint()))));
        });
        break;
      case kTensorInt64Val:
        read_repeated(r, f, wt, kVarint,
                      [&](PbReader& x) { t.numbers.push_back(static_cast<double>(static_cast<int64_t>(x.varint()))); });
        break;
      case kTensorStringVal:
        expect_wire(f, wt, kLen, "TensorProto");
        t.strings.push_back(r.bytes());
        break;
      default:
        r.skip(wt);
    }
  }
  return t;
}

// The value of a size-1 numeric tensor, as TensorBoard's scalars plugin reads it.
double numeric_scalar(const ParsedTensor& t) {
  if (t.unknown_rank || t.numel != 1)
    throw Malformed{"a \"scalars\" tensor must have exactly one element (rank " + std::to_string(t.rank) + ", " +
                    std::to_string(t.numel) + " elements)"};
  size_t width;
  switch (t.dtype) {
    case kDtFloat:
    case kDtInt32:
      width = 4;
      break;
    case kDtDouble:
    case kDtInt64:
      width = 8;
      break;
    default:
      throw Malformed{"a \"scalars\" tensor has dtype " + std::to_string(t.dtype) +
                      "; only DT_FLOAT, DT_DOUBLE, DT_INT32 and DT_INT64 are read"};
  }
  if (t.has_content) {
    if (t.content.size() != width)
      throw Malformed{"tensor_content has " + std::to_string(t.content.size()) + " bytes, expected " +
                      std::to_string(width)};
    const uint64_t bits = load_le(reinterpret_cast<const unsigned char*>(t.content.data()), static_cast<int>(width));
    switch (t.dtype) {
      case kDtFloat:
        return std::bit_cast<float>(static_cast<uint32_t>(bits));
      case kDtInt32:
        return static_cast<int32_t>(static_cast<uint32_t>(bits));
      case kDtDouble:
        return std::bit_cast<double>(bits);
      default:
        return static_cast<double>(static_cast<int64_t>(bits));
    }
  }
  // Typed *_val fields; none means zero (proto3 default).
  return t.numbers.empty() ? 0.0 : t.numbers.front();
}

struct ParsedMetadata {
  std::string_view plugin_name, plugin_content;
  uint64_t data_class = 0;
};

ParsedMetadata parse_metadata(std::string_view bytes) {
  ParsedMetadata m;
  PbReader r(bytes);
  uint32_t f, wt;
  while (r.next(f, wt)) {
    if (f == kMetaPluginData) {
      expect_wire(f, wt, kLen, "SummaryMetadata");
      PbReader p(r.bytes());
      uint32_t pf, pwt;
      while (p.next(pf, pwt)) {
        if (pf == kPluginName || pf == kPluginContent) {
          expect_wire(pf, pwt, kLen, "SummaryMetadata.PluginData");
          (pf == kPluginName ? m.plugin_name : m.plugin_content) = p.bytes();
        } else {
          p.skip(pwt);
        }
      }
    } else if (f == kMetaDataClass) {
      expect_wire(f, wt, kVarint, "SummaryMetadata");
      m.data_class = r.varint();
    } else {
      r.skip(wt);
    }
  }
  return m;
}

struct EventContext {
  double wall_time = 0;
  int64_t step = 0;
};

// Plugin name per tag, remembered from the first value of a tag that carries metadata (writers
// other than TF2 may send the metadata with the first value only).
using TagPlugins = std::unordered_map<std::string, std::string>;

void parse_summary_value(std::string_view bytes, const EventContext& ev, TagPlugins& plugins, ReadResult& out) {
  PbReader r(bytes);
  std::string tag;
  std::optional<float> simple;
  std::optional<std::string_view> tensor, metadata;
  uint32_t f, wt;
  while (r.next(f, wt)) {
    switch (f) {
      case kValueTag:
        expect_wire(f, wt, kLen, "Summary.Value");
        tag = std::string(r.bytes());
        break;
      case kValueSimpleValue:
        expect_wire(f, wt, kFixed32, "Summary.Value");
        simple = std::bit_cast<float>(static_cast<uint32_t>(r.fixed(4)));
        break;
      case kValueTensor:
        expect_wire(f, wt, kLen, "Summary.Value");
        tensor = r.bytes();
        break;
      case kValueMetadata:
        expect_wire(f, wt, kLen, "Summary.Value");
        metadata = r.bytes();
        break;
      default:
        r.skip(wt);
    }
  }
  ParsedMetadata meta;
  if (metadata) {
    meta = parse_metadata(*metadata);
    if (!meta.plugin_name.empty()) plugins.emplace(tag, std::string(meta.plugin_name));
  }
  std::string plugin(meta.plugin_name);
  if (plugin.empty()) {
    const auto it = plugins.find(tag);
    if (it != plugins.end()) plugin = it->second;
  }
  if (simple) {
    out.scalars.push_back({ev.wall_time, ev.step, tag, static_cast<double>(*simple)});
    return;
  }
  if (!tensor) return;  // image, histogram, audio: not decoded
  const ParsedTensor t = parse_tensor(*tensor);
  if (plugin == kScalarsPlugin) {
    try {
      out.scalars.push_back({ev.wall_time, ev.step, tag, numeric_scalar(t)});
    } catch (Malformed& m) {
      m.what = "tag \"" + tag + "\": " + m.what;
      throw;
    }
  } else if (t.dtype == kDtString && !t.unknown_rank && t.numel == 1) {
    out.texts.push_back({ev.wall_time, ev.step, tag, t.strings.empty() ? std::string() : std::string(t.strings.front()),
                         plugin, std::string(meta.plugin_content)});
  }
}

void parse_event(std::string_view bytes, TagPlugins& plugins, ReadResult& out) {
  PbReader r(bytes);
  EventContext ev;
  std::optional<std::string_view> file_version;
  std::vector<std::string_view> summaries;
  std::optional<uint64_t> session_status;
  uint32_t f, wt;
  while (r.next(f, wt)) {
    switch (f) {
      case kEventWallTime:
        expect_wire(f, wt, kFixed64, "Event");
        ev.wall_time = std::bit_cast<double>(r.fixed(8));
        break;
      case kEventStep:
        expect_wire(f, wt, kVarint, "Event");
        ev.step = static_cast<int64_t>(r.varint());
        break;
      case kEventFileVersion:
        expect_wire(f, wt, kLen, "Event");
        file_version = r.bytes();
        break;
      case kEventSummary:
        expect_wire(f, wt, kLen, "Event");
        summaries.push_back(r.bytes());
        break;
      case kEventSessionLog: {
        expect_wire(f, wt, kLen, "Event");
        PbReader s(r.bytes());
        uint64_t status = 0;
        uint32_t sf, swt;
        while (s.next(sf, swt)) {
          if (sf == kSessionLogStatus) {
            expect_wire(sf, swt, kVarint, "SessionLog");
            status = s.varint();
          } else {
            s.skip(swt);
          }
        }
        session_status = status;
        break;
      }
      default:
        r.skip(wt);
    }
  }
  // Fields are collected first because wall_time/step may legally follow the payload.
  if (file_version && out.file_version.empty()) out.file_version = std::string(*file_version);
  if (session_status && *session_status == kSessionStart) out.session_start_steps.push_back(ev.step);
  for (std::string_view summary : summaries) {
    PbReader s(summary);
    uint32_t sf, swt;
    while (s.next(sf, swt)) {
      if (sf == kSummaryValue) {
        expect_wire(sf, swt, kLen, "Summary");
        parse_summary_value(s.bytes(), ev, plugins, out);
      } else {
        s.skip(swt);
      }
    }
  }
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

[[noreturn]] void fail_errno(const std::string& path, const std::string& what, int err, const std::string& hint) {
  throw Error(path + ": " + what + ": " + std::strerror(err) + hint);
}

std::string hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string h(buf);
  std::replace(h.begin(), h.end(), '/', '_');
  return h;
}

}  // namespace

double wall_time_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string encode_record(std::string_view event_bytes) {
  std::string out;
  out.reserve(event_bytes.size() + 16);
  put_le(out, event_bytes.size(), 8);
  put_le(out, core::masked_crc32c(out.data(), 8), 4);
  out.append(event_bytes);
  put_le(out, core::masked_crc32c(event_bytes), 4);
  return out;
}

std::string encode_file_version_event(double wall_time) {
  std::string ev = event_header(wall_time, 0);
  put_bytes(ev, kEventFileVersion, kFileVersion);
  return ev;
}

std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value) {
  std::string tensor;
  put_varint_field(tensor, kTensorDtype, kDtFloat);
  put_bytes(tensor, kTensorShape, "");  // a scalar: the shape message is set but empty
  std::string content;
  put_le(content, std::bit_cast<uint32_t>(value), 4);
  put_bytes(tensor, kTensorContent, content);

  std::string v;
  put_string_field(v, kValueTag, tag);
  put_bytes(v, kValueTensor, tensor);
  put_bytes(v, kValueMetadata, plugin_metadata(kScalarsPlugin, "", kDataClassScalar));
  return summary_event(wall_time, step, v);
}

std::string encode_simple_value_event(double wall_time, int64_t step, const std::string& tag, float value) {
  std::string v;
  put_string_field(v, kValueTag, tag);
  put_float_field(v, kValueSimpleValue, value);
  return summary_event(wall_time, step, v);
}

std::string encode_text_tensor_event(double wall_time, int64_t step, const std::string& tag, const std::string& value,
                                     const std::string& plugin_name, const std::string& plugin_content) {
  std::string tensor;
  put_varint_field(tensor, kTensorDtype, kDtString);
  put_bytes(tensor, kTensorShape, "");
  put_bytes(tensor, kTensorStringVal, value);  // a repeated element: written even when empty

  std::string v;
  put_string_field(v, kValueTag, tag);
  put_bytes(v, kValueTensor, tensor);
  if (!plugin_name.empty() || !plugin_content.empty())
    put_bytes(v, kValueMetadata, plugin_metadata(plugin_name, plugin_content, 0));
  return summary_event(wall_time, step, v);
}

std::string encode_session_start_event(double wall_time, int64_t step) {
  std::string log;
  put_varint_field(log, kSessionLogStatus, kSessionStart);
  std::string ev = event_header(wall_time, step);
  put_bytes(ev, kEventSessionLog, log);
  return ev;
}

// ---- EventFileWriter ----

EventFileWriter::EventFileWriter(const std::string& log_dir, int max_queue, double flush_secs)
    : max_queue_(max_queue), flush_secs_(flush_secs), last_flush_(std::chrono::steady_clock::now()) {
  if (log_dir.empty()) throw ValueError("TensorBoard log_dir is empty; pass a directory such as \"logs\"");
  if (max_queue < 1) throw ValueError("EventFileWriter: max_queue must be >= 1, got " + std::to_string(max_queue));
  const std::string hint = "; pass a writable log_dir (or fix the directory's permissions)";
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) throw Error(log_dir + ": cannot create the TensorBoard log directory: " + ec.message() + hint);
  if (!std::filesystem::is_directory(log_dir, ec))
    throw Error(log_dir + ": the TensorBoard log directory exists but is not a directory" + hint);

  static std::atomic<uint64_t> counter{0};
  static const std::string host = hostname();
  const double now = wall_time_now();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%010lld", static_cast<long long>(now));
  const std::string dir = log_dir.back() == '/' ? log_dir : log_dir + "/";
  for (int attempt = 0;; ++attempt) {
    path_ = dir + "events.out.tfevents." + stamp + "." + host + "." + std::to_string(::getpid()) + "." +
            std::to_string(counter.fetch_add(1)) + ".v2";
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    if (fd_ >= 0) break;
    const int err = errno;
    if ((err == EEXIST && attempt < 1000) || err == EINTR) continue;  // another process with our pid and host
    fail_errno(path_, "cannot create the TensorBoard event file", err, hint);
  }
  pending_ = encode_record(encode_file_version_event(now));
  pending_events_ = 1;
  try {
    flush_locked();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

EventFileWriter::~EventFileWriter() {
  try {
    close();
  } catch (...) {  // a destructor must not throw; close() explicitly to see write errors
  }
}

void EventFileWriter::add_scalar(const std::string& tag, double value, int64_t step, double wall_time) {
  add_event(encode_scalar_event(wall_time, step, tag, static_cast<float>(value)));
}

void EventFileWriter::add_text_tensor(const std::string& tag, const std::string& value, int64_t step,
                                      const std::string& plugin_name, const std::string& plugin_content,
                                      double wall_time) {
  add_event(encode_text_tensor_event(wall_time, step, tag, value, plugin_name, plugin_content));
}

void EventFileWriter::add_session_start(int64_t step, double wall_time) {
  add_event(encode_session_start_event(wall_time, step));
}

void EventFileWriter::add_event(std::string_view event_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) throw RuntimeError(path_ + ": the event file writer is closed; create a new EventFileWriter");
  pending_ += encode_record(event_bytes);
  ++pending_events_;
  const std::chrono::duration<double> since = std::chrono::steady_clock::now() - last_flush_;
  if (pending_events_ >= max_queue_ || since.count() >= flush_secs_) flush_locked();
}

void EventFileWriter::flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) flush_locked();
}

void EventFileWriter::flush_locked() {
  size_t done = 0;
  while (done < pending_.size()) {
    const ssize_t n = ::write(fd_, pending_.data() + done, std::min<size_t>(pending_.size() - done, size_t{1} << 30));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      pending_.erase(0, done);  // keep what was not written so a later flush can retry
      fail_errno(path_, "cannot write the TensorBoard event file", err,
                 "; check the free space and permissions of the log directory");
    }
    done += static_cast<size_t>(n);
  }
  pending_.clear();
  pending_events_ = 0;
  last_flush_ = std::chrono::steady_clock::now();
}

void EventFileWriter::close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return;
  try {
    flush_locked();
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    pending_.clear();
    throw;
  }
  int err = 0;
  const char* what = nullptr;
  if (::fsync(fd_) != 0 && errno != EINVAL) {
    err = errno;
    what = "fsync of the TensorBoard event file failed";
  }
  if (::close(fd_) != 0 && err == 0) {
    err = errno;
    what = "closing the TensorBoard event file failed";
  }
  fd_ = -1;
  if (err != 0) fail_errno(path_, what, err, "; check the free space of the log directory");
}

bool EventFileWriter::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fd_ < 0;
}

// ---- reader ----

ReadResult read_event_file(const std::string& path) {
  const std::string data = core::read_file(path, "event file");

  ReadResult out;
  TagPlugins plugins;
  const auto* base = reinterpret_cast<const unsigned char*>(data.data());
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t remaining = data.size() - pos;
    const std::string where =
        path + ": record " + std::to_string(out.records) + " at byte offset " + std::to_string(pos);
    if (remaining < 12) {  // the length and its CRC are not all there yet
      out.trailing_bytes = remaining;
      break;
    }
    const uint64_t length = load_le(base + pos, 8);
    const uint32_t stored_len_crc = static_cast<uint32_t>(load_le(base + pos + 8, 4));
    const uint32_t len_crc = core::masked_crc32c(base + pos, 8);
    if (stored_len_crc != len_crc)
      throw Error(where + ": length CRC mismatch (stored " + hex32(stored_len_crc) + ", computed " + hex32(len_crc) +
                  "); the file is corrupt");
    if (length > remaining - 12 || remaining - 12 - length < 4) {  // data or its CRC not all written yet
      out.trailing_bytes = remaining;
      break;
    }
    const std::string_view event(data.data() + pos + 12, static_cast<size_t>(length));
    const uint32_t stored_crc = static_cast<uint32_t>(load_le(base + pos + 12 + length, 4));
    const uint32_t crc = core::masked_crc32c(event);
    if (stored_crc != crc)
      throw Error(where + ": data CRC mismatch (stored " + hex32(stored_crc) + ", computed " + hex32(crc) +
                  "); the file is corrupt");
    try {
      parse_event(event, plugins, out);
    } catch (const Malformed& m) {
      throw Error(where + ": malformed Event protobuf: " + m.what);
    }
    ++out.records;
    pos += 16 + static_cast<size_t>(length);
  }
  return out;
}

}  // namespace keras::callbacks::internal
