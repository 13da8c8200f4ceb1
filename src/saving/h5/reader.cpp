// HDF5 reader for Keras weight files (see h5.hpp for the supported subset).
//
// Hardening rules followed throughout:
// - every read goes through Cursor, which checks each byte against the end of the structure it
//   belongs to, and every structure's extent is checked against the file size first;
// - addresses are 64-bit; base + address and every size computation is overflow-checked;
// - object headers, continuation chunks, B-tree nodes and symbol table nodes are visited at most
//   once per walk (cycles are errors), and all parsing work charges a budget proportional to the
//   file size, so no input can make the parser loop or allocate without bound;
// - parsed objects, group listings and global heap collections are cached, so repeated queries
//   do not consume the budget again.
#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "keras/error.hpp"
#include "saving/h5/h5.hpp"

namespace keras::h5 {

namespace {

constexpr uint64_t kUndef = std::numeric_limits<uint64_t>::max();
constexpr size_t kMaxRank = 32;
constexpr int kMaxTypeDepth = 8;
constexpr size_t kMaxMessagesPerObject = 65536;
constexpr size_t kMaxChunksPerObject = 4096;
constexpr uint64_t kLinkCost = 96;  // charged per group member: about the memory one costs

// Object header message types.
enum : uint16_t {
  kMsgNil = 0x0000,
  kMsgDataspace = 0x0001,
  kMsgLinkInfo = 0x0002,
  kMsgDatatype = 0x0003,
  kMsgFillOld = 0x0004,
  kMsgFill = 0x0005,
  kMsgLink = 0x0006,
  kMsgExternal = 0x0007,
  kMsgLayout = 0x0008,
  kMsgFilters = 0x000B,
  kMsgAttribute = 0x000C,
  kMsgContinuation = 0x0010,
  kMsgSymbolTable = 0x0011,
  kMsgAttributeInfo = 0x0015,
};

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  if (s.size() == 1) r += ",";
  return r + ")";
}

struct Link {
  enum Type { hard, soft, external, user } type = hard;
  uint64_t addr = kUndef;
  std::string target;  // soft link value
};
using Links = std::map<std::string, Link>;

struct DataType {
  uint8_t cls = 0;
  uint8_t version = 1;
  uint32_t size = 0;
  bool big_endian = false;
  bool is_signed = false;
  bool vax = false;
  uint16_t bit_offset = 0, precision = 0;
  uint8_t sign_loc = 0, exp_loc = 0, exp_size = 0, mant_loc = 0, mant_size = 0, norm = 0;
  uint32_t bias = 0;
  uint8_t pad = 0, cset = 0;       // strings
  bool vlen_string = false;        // class 9
  std::vector<std::string> names;  // enum member names
  std::vector<uint64_t> values;    // enum member values (as unsigned)
  std::shared_ptr<DataType> base;  // enum / vlen base type
};

struct Space {
  bool null = false;
  std::vector<uint64_t> dims;  // empty = scalar
};

struct Msg {
  uint16_t type;
  uint8_t flags;
  uint64_t pos;  // absolute position of the message data
  uint64_t size;
};

struct Object {
  uint64_t addr = 0;
  Kind kind = Kind::other;
  std::vector<Msg> msgs;
  const Msg* find(uint16_t type) const {
    for (const auto& m : msgs)
      if (m.type == type) return &m;
    return nullptr;
  }
};

struct Collection {
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> objects;  // index -> (data position, size)
};

struct Attribute {
  std::string name;
  DataType type;
  Space space;
  uint64_t data_pos = 0, data_size = 0;
};

struct Layout {
  uint64_t addr = kUndef;  // absolute position of the raw data
  uint64_t stored = 0;     // bytes available there
};

}  // namespace

struct File::Impl {
  std::string bytes;
  std::string name;
  uint8_t so = 8, sl = 8;  // sizes of offsets and lengths
  uint64_t base = 0;
  uint64_t root = 0;
  std::mutex mu;
  std::map<uint64_t, std::shared_ptr<const Object>> objects;
  std::map<uint64_t, std::shared_ptr<const Links>> groups;
  std::map<uint64_t, std::shared_ptr<const Collection>> collections;
  uint64_t budget = 0;

  uint64_t size() const { return bytes.size(); }
  const uint8_t* at(uint64_t pos) const { return reinterpret_cast<const uint8_t*>(bytes.data()) + pos; }

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw Error(name + ": " + where + ": " + what);
  }
  [[noreturn]] void refuse(const std::string& where, const std::string& what) const {
    throw ValueError(name + ": " + where + ": " + what);
  }
  void charge(uint64_t cost, const std::string& where) {
    if (cost > budget) fail(where, "the file's structure needs more work than its size justifies (corrupt or hostile)");
    budget -= cost;
  }
  // Checks that [pos, pos + len) lies inside the file.
  void check_range(uint64_t pos, uint64_t len, const std::string& where, const char* what) const {
    if (pos == kUndef) fail(where, std::string(what) + " has an undefined address");
    if (pos > size() || len > size() - pos)
      fail(where, std::string(what) + " at " + hex(pos) + " (" + std::to_string(len) +
                      " bytes) lies outside the file (" + std::to_string(size()) + " bytes)");
  }
  bool has_signature(uint64_t pos, const char* sig) const {
    return pos <= size() && size() - pos >= 4 && std::memcmp(at(pos), sig, 4) == 0;
  }

  std::shared_ptr<const Object> object(uint64_t addr, const std::string& where);
  std::shared_ptr<const Links> links(const Object& obj, const std::string& where);
  std::shared_ptr<const Collection> collection(uint64_t addr, const std::string& where);
  void btree(uint64_t addr, int expect_level, uint64_t heap_data, uint64_t heap_size, std::set<uint64_t>& visited,
             Links& out, uint64_t& name_bytes, const std::string& where);
  std::vector<Attribute> attributes(const Object& obj, const std::string& where, const std::string* only);
  std::string vlen_string(uint64_t pos, const DataType& t, const std::string& where);
  std::vector<std::string> attribute_strings(const Attribute& a, const std::string& where);
  Layout layout(const Object& obj, uint64_t nbytes, const std::string& where);
  void dataset(const Object& obj, const std::string& where, DataType& type, Space& space, DType& dtype);
  std::optional<uint64_t> resolve(const std::string& path, std::string& norm);
};

namespace {

using Impl = File::Impl;

// A bounded little-endian reader over [pos, end) of the file.
class Cursor {
 public:
  Cursor(const Impl& f, uint64_t pos, uint64_t len, const std::string& where, const char* what)
      : f_(f), pos_(pos), end_(pos), where_(where), what_(what) {
    f.check_range(pos, len, where, what);
    end_ = pos + len;
  }
  uint64_t pos() const { return pos_; }
  uint64_t end() const { return end_; }
  uint64_t remaining() const { return end_ - pos_; }
  void need(uint64_t n) const {
    if (n > end_ - pos_) f_.fail(where_, std::string("truncated or corrupt ") + what_);
  }
  uint64_t uint(int n) {
    need(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(f_.at(pos_)[i]) << (8 * i);
    pos_ += static_cast<uint64_t>(n);
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(uint(1)); }
  uint16_t u16() { return static_cast<uint16_t>(uint(2)); }
  uint32_t u32() { return static_cast<uint32_t>(uint(4)); }
  uint64_t u64() { return uint(8); }
  uint64_t length() { return uint(f_.sl); }
  // An address, translated to an absolute file position; kUndef stays kUndef.
  uint64_t address() {
    const int n = f_.so;
    const uint64_t v = uint(n);
    const uint64_t undef = n == 8 ? kUndef : ((uint64_t{1} << (8 * n)) - 1);
    if (v == undef) return kUndef;
    if (v > kUndef - 1 - f_.base) f_.fail(where_, std::string("address overflow in ") + what_);
    return f_.base + v;
  }
  void skip(uint64_t n) {
    need(n);
    pos_ += n;
  }
  std::string bytes(uint64_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(f_.at(pos_)), static_cast<size_t>(n));
    pos_ += n;
    return s;
  }

 private:
  const Impl& f_;
  uint64_t pos_, end_;
  const std::string& where_;
  const char* what_;
};

uint64_t pad8(uint64_t n) { return n + ((8 - n % 8) % 8); }

std::string join_path(const std::vector<std::string>& parts, size_t n) {
  if (n == 0) return "/";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "/" + parts[i];
  return s;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string p = path.substr(i, j - i);
    if (!p.empty() && p != ".") parts.push_back(std::move(p));
    i = j + 1;
  }
  return parts;
}

DataType parse_datatype(const Impl& f, Cursor& c, const std::string& where, int depth) {
  if (depth > kMaxTypeDepth) f.fail(where, "datatype nested too deeply");
  DataType t;
  const uint8_t b0 = c.u8();
  t.cls = b0 & 0x0f;
  t.version = b0 >> 4;
  const uint8_t bits0 = c.u8(), bits1 = c.u8();
  c.u8();
  t.size = c.u32();
  if (t.version < 1 || t.version > 5)
    f.refuse(where, "datatype message version " + std::to_string(t.version) + " is not supported");
  if (t.size == 0) f.fail(where, "datatype of size 0");
  switch (t.cls) {
    case 0:  // fixed point
      t.big_endian = bits0 & 1;
      t.is_signed = bits0 & 8;
      t.bit_offset = c.u16();
      t.precision = c.u16();
      break;
    case 1:  // floating point
      t.big_endian = bits0 & 1;
      t.vax = bits0 & 0x40;
      t.norm = (bits0 >> 4) & 3;
      t.sign_loc = bits1;
      t.bit_offset = c.u16();
      t.precision = c.u16();
      t.exp_loc = c.u8();
      t.exp_size = c.u8();
      t.mant_loc = c.u8();
      t.mant_size = c.u8();
      t.bias = c.u32();
      break;
    case 3:  // string
      t.pad = bits0 & 0x0f;
      t.cset = bits0 >> 4;
      break;
    case 5:  // opaque: a NUL-padded ASCII tag
      c.skip(bits0);
      break;
    case 8: {  // enumeration
      const uint32_t n = static_cast<uint32_t>(bits0) | (static_cast<uint32_t>(bits1) << 8);
      t.base = std::make_shared<DataType>(parse_datatype(f, c, where, depth + 1));
      if (t.base->cls != 0 || t.base->size > 8) f.refuse(where, "enumeration with a non-integer base type");
      if (n > c.remaining()) f.fail(where, "truncated or corrupt enumeration datatype");
      for (uint32_t i = 0; i < n; ++i) {
        const uint64_t start = c.pos();
        std::string name;
        while (true) {
          const uint8_t ch = c.u8();
          if (ch == 0) break;
          name.push_back(static_cast<char>(ch));
        }
        if (t.version < 3) c.skip(pad8(c.pos() - start) - (c.pos() - start));
        t.names.push_back(std::move(name));
      }
      for (uint32_t i = 0; i < n; ++i) t.values.push_back(c.uint(static_cast<int>(t.base->size)));
      break;
    }
    case 9:  // variable length
      t.vlen_string = (bits0 & 0x0f) == 1;
      t.pad = bits0 >> 4;
      t.cset = bits1 & 0x0f;
      t.base = std::make_shared<DataType>(parse_datatype(f, c, where, depth + 1));
      break;
    case 2:
      f.refuse(where, "time datatypes are not supported");
    case 4:
      f.refuse(where, "bitfield datatypes are not supported");
    case 6:
      f.refuse(where, "compound datatypes are not supported");
    case 7:
      f.refuse(where, "reference datatypes are not supported");
    case 10:
      f.refuse(where, "array datatypes are not supported");
    default:
      f.refuse(where, "datatype class " + std::to_string(t.cls) + " is not supported");
  }
  return t;
}

std::string describe(const DataType& t) {
  const std::string bits = std::to_string(static_cast<uint64_t>(t.size) * 8);
  switch (t.cls) {
    case 0:
      return bits + "-bit " + (t.is_signed ? "signed" : "unsigned") + " integer";
    case 1:
      return bits + "-bit float";
    case 3:
      return "fixed-length string";
    case 5:
      return bits + "-bit opaque";
    case 8:
      return "enumeration";
    case 9:
      return t.vlen_string ? "variable-length string" : "variable-length sequence";
    default:
      return "datatype class " + std::to_string(t.cls);
  }
}

Space parse_dataspace(const Impl& f, Cursor& c, const std::string& where) {
  Space s;
  const uint8_t version = c.u8();
  const uint8_t rank = c.u8();
  const uint8_t flags = c.u8();
  if (version == 1) {
    c.skip(5);
  } else if (version == 2) {
    const uint8_t type = c.u8();
    if (type == 2)
      s.null = true;
    else if (type > 2)
      f.fail(where, "unknown dataspace type " + std::to_string(type));
    if (type == 0 && rank != 0) f.fail(where, "scalar dataspace with dimensions");
  } else {
    f.refuse(where, "dataspace message version " + std::to_string(version) + " is not supported");
  }
  if (rank > kMaxRank) f.fail(where, "dataspace rank " + std::to_string(rank) + " exceeds 32");
  if (s.null && rank != 0) f.fail(where, "null dataspace with dimensions");
  for (int i = 0; i < rank; ++i) {
    const uint64_t d = c.length();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) f.fail(where, "dataspace dimension too large");
    s.dims.push_back(d);
  }
  // Maximum dimensions (flags bit 0) are not needed; they follow if present.
  (void)flags;
  return s;
}

// Element count, or an error if it overflows.
uint64_t element_count(const Impl& f, const Space& s, const std::string& where) {
  if (s.null) return 0;
  // A zero dimension makes the product zero even if another one is huge.
  for (uint64_t d : s.dims)
    if (d == 0) return 0;
  uint64_t n = 1;
  for (uint64_t d : s.dims) {
    if (n > std::numeric_limits<uint64_t>::max() / d) f.fail(where, "dataspace element count overflows");
    n *= d;
  }
  return n;
}

uint64_t byte_count(const Impl& f, uint64_t count, uint64_t elem, const std::string& where) {
  if (elem != 0 && count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / elem)
    f.fail(where, "dataset byte size overflows");
  return count * elem;
}

}  // namespace

// ---------------------------------------------------------------- object headers

std::shared_ptr<const Object> Impl::object(uint64_t addr, const std::string& where) {
  if (auto it = objects.find(addr); it != objects.end()) return it->second;
  check_range(addr, 4, where, "object header");
  auto obj = std::make_shared<Object>();
  obj->addr = addr;
  struct Chunk {
    uint64_t pos, len;
  };
  std::vector<Chunk> queue;
  std::set<uint64_t> seen_chunks;
  const bool v2 = has_signature(addr, "OHDR");
  uint64_t declared_messages = 0;
  uint8_t header_flags = 0;
  if (v2) {
    Cursor c(*this, addr, std::min<uint64_t>(size() - addr, 64), where, "object header");
    c.skip(4);
    const uint8_t version = c.u8();
    if (version != 2) refuse(where, "object header version " + std::to_string(version) + " is not supported");
    header_flags = c.u8();
    if (header_flags & 0x20) c.skip(16);  // access, modification, change, birth times
    if (header_flags & 0x10) c.skip(4);   // attribute storage phase change values
    const uint64_t len = c.uint(1 << (header_flags & 3));
    if (len > size()) fail(where, "object header chunk larger than the file");
    check_range(c.pos(), len + 4, where, "object header chunk");  // + checksum
    queue.push_back({c.pos(), len});
  } else {
    Cursor c(*this, addr, 16, where, "object header");
    const uint8_t version = c.u8();
    if (version != 1)
      refuse(where, "object header version " + std::to_string(version) + " at " + hex(addr) +
                        " is not supported (or the address does not point at an object header)");
    c.u8();
    declared_messages = c.u16();
    c.u32();  // reference count
    const uint64_t len = c.u32();
    check_range(addr + 16, len, where, "object header");
    queue.push_back({addr + 16, len});
  }
  for (size_t qi = 0; qi < queue.size(); ++qi) {
    const Chunk ch = queue[qi];
    if (!seen_chunks.insert(ch.pos).second) fail(where, "object header continuation chain loops");
    if (seen_chunks.size() > kMaxChunksPerObject) fail(where, "too many object header continuation chunks");
    charge(ch.len + 64, where);
    Cursor c(*this, ch.pos, ch.len, where, "object header messages");
    const uint64_t hdr = v2 ? ((header_flags & 0x04) ? 6 : 4) : 8;
    while (c.remaining() >= hdr) {
      Msg m;
      if (v2) {
        m.type = c.u8();
        m.size = c.u16();
        m.flags = c.u8();
        if (header_flags & 0x04) c.u16();  // creation order
      } else {
        m.type = c.u16();
        m.size = c.u16();
        m.flags = c.u8();
        c.skip(3);
      }
      m.pos = c.pos();
      c.skip(m.size);
      if (obj->msgs.size() >= kMaxMessagesPerObject) fail(where, "too many object header messages");
      charge(sizeof(Msg), where);
      if (m.type == kMsgContinuation) {
        Cursor cc(*this, m.pos, m.size, where, "continuation message");
        const uint64_t pos = cc.address();
        const uint64_t len = cc.length();
        check_range(pos, len, where, "object header continuation chunk");
        if (v2) {
          if (len < 8 || !has_signature(pos, "OCHK"))
            fail(where, "object header continuation chunk lacks its OCHK signature");
          queue.push_back({pos + 4, len - 8});
        } else {
          queue.push_back({pos, len});
        }
      } else if (m.type != kMsgNil) {
        obj->msgs.push_back(m);
      }
      // The v1 prefix counts all messages; holding more than that means the header is corrupt.
      if (!v2 && obj->msgs.size() > declared_messages)
        fail(where, "object header holds more messages than it declares");
    }
  }
  // Classify.
  bool is_dataset = false, is_group = false;
  for (const auto& m : obj->msgs) {
    if ((m.flags & 0x80) && m.type > 0x0018)
      refuse(where, "object header message type " + hex(m.type) + " is not understood");
    if (m.type == kMsgLayout) is_dataset = true;
    if (m.type == kMsgSymbolTable || m.type == kMsgLinkInfo || m.type == kMsgLink) is_group = true;
  }
  if (is_dataset && is_group) fail(where, "object header has both group and dataset messages");
  obj->kind = is_dataset ? Kind::dataset : is_group ? Kind::group : Kind::other;
  objects.emplace(addr, obj);
  return obj;
}

// ---------------------------------------------------------------- groups

void Impl::btree(uint64_t addr, int expect_level, uint64_t heap_data, uint64_t heap_size, std::set<uint64_t>& visited,
                 Links& out, uint64_t& name_bytes, const std::string& where) {
  if (!visited.insert(addr).second) fail(where, "group B-tree visits node " + hex(addr) + " twice (cycle)");
  if (!has_signature(addr, "TREE")) fail(where, "group B-tree node at " + hex(addr) + " lacks its TREE signature");
  Cursor c(*this, addr, size() - addr, where, "group B-tree node");
  c.skip(4);
  const uint8_t type = c.u8();
  const uint8_t level = c.u8();
  const uint16_t entries = c.u16();
  if (type != 0) fail(where, "group B-tree node has type " + std::to_string(type) + " (expected 0)");
  if (expect_level >= 0 && level != expect_level) fail(where, "group B-tree levels are inconsistent");
  c.address();  // left sibling
  c.address();  // right sibling
  charge(24 + static_cast<uint64_t>(entries) * 16, where);
  c.length();  // key 0
  std::vector<uint64_t> children;
  for (uint16_t i = 0; i < entries; ++i) {
    children.push_back(c.address());
    c.length();
  }
  for (uint64_t child : children) {
    if (level > 0) {
      btree(child, level - 1, heap_data, heap_size, visited, out, name_bytes, where);
      continue;
    }
    if (!visited.insert(child).second) fail(where, "group symbol table node " + hex(child) + " is referenced twice");
    if (!has_signature(child, "SNOD"))
      fail(where, "group symbol table node at " + hex(child) + " lacks its SNOD signature");
    Cursor s(*this, child, size() - child, where, "symbol table node");
    s.skip(4);
    const uint8_t version = s.u8();
    if (version != 1) fail(where, "symbol table node version " + std::to_string(version) + " is not supported");
    s.u8();
    const uint16_t n = s.u16();
    charge(8 + static_cast<uint64_t>(n) * 40, where);
    for (uint16_t i = 0; i < n; ++i) {
      const uint64_t name_off = s.length();
      const uint64_t header = s.address();
      const uint32_t cache = s.u32();
      s.u32();
      const uint64_t scratch = s.pos();
      s.skip(16);
      auto heap_string = [&](uint64_t off, const char* what) {
        if (off >= heap_size)
          fail(where, std::string(what) + " offset " + std::to_string(off) + " is outside the local heap");
        const void* z = std::memchr(at(heap_data + off), 0, static_cast<size_t>(heap_size - off));
        if (z == nullptr) fail(where, std::string(what) + " in the local heap is not NUL-terminated");
        const uint64_t len = static_cast<uint64_t>(static_cast<const uint8_t*>(z) - at(heap_data + off));
        name_bytes += len + 1;
        if (name_bytes > heap_size) fail(where, "symbol table names overlap in the local heap (corrupt)");
        charge(len + 1, where);
        return std::string(reinterpret_cast<const char*>(at(heap_data + off)), static_cast<size_t>(len));
      };
      charge(kLinkCost, where);
      std::string name = heap_string(name_off, "link name");
      Link link;
      if (cache == 2) {
        link.type = Link::soft;
        Cursor sc(*this, scratch, 4, where, "symbol table entry");
        link.target = heap_string(sc.u32(), "soft link value");
      } else {
        link.addr = header;
      }
      if (name.empty() || name.find('/') != std::string::npos || name == ".")
        fail(where, "invalid link name '" + name + "' in group");
      if (!out.emplace(std::move(name), std::move(link)).second) fail(where, "duplicate link name in group");
    }
  }
}

std::shared_ptr<const Links> Impl::links(const Object& obj, const std::string& where) {
  if (auto it = groups.find(obj.addr); it != groups.end()) return it->second;
  auto out = std::make_shared<Links>();
  if (const Msg* stab = obj.find(kMsgSymbolTable)) {
    if (obj.find(kMsgLink) || obj.find(kMsgLinkInfo)) fail(where, "group has both old- and new-style link storage");
    Cursor c(*this, stab->pos, stab->size, where, "symbol table message");
    const uint64_t tree = c.address();
    const uint64_t heap = c.address();
    if (!has_signature(heap, "HEAP")) fail(where, "local heap at " + hex(heap) + " lacks its HEAP signature");
    Cursor h(*this, heap, size() - heap, where, "local heap");
    h.skip(4);
    const uint8_t version = h.u8();
    if (version != 0) fail(where, "local heap version " + std::to_string(version) + " is not supported");
    h.skip(3);
    const uint64_t data_size = h.length();
    h.length();  // free list
    const uint64_t data = h.address();
    check_range(data, data_size, where, "local heap data");
    std::set<uint64_t> visited;
    uint64_t name_bytes = 0;
    btree(tree, -1, data, data_size, visited, *out, name_bytes, where);
  } else {
    if (const Msg* info = obj.find(kMsgLinkInfo)) {
      Cursor c(*this, info->pos, info->size, where, "link info message");
      const uint8_t version = c.u8();
      if (version != 0) refuse(where, "link info message version " + std::to_string(version) + " is not supported");
      const uint8_t flags = c.u8();
      if (flags & 1) c.u64();  // maximum creation index
      const uint64_t heap = c.address();
      if (heap != kUndef)
        refuse(where,
               "group uses dense link storage (fractal heap), which is not supported; only groups with "
               "compact or symbol-table link storage can be read");
    }
    for (const auto& m : obj.msgs) {
      if (m.type != kMsgLink) continue;
      charge(m.size + kLinkCost, where);
      Cursor c(*this, m.pos, m.size, where, "link message");
      const uint8_t version = c.u8();
      if (version != 1) refuse(where, "link message version " + std::to_string(version) + " is not supported");
      const uint8_t flags = c.u8();
      uint8_t type = 0;
      if (flags & 0x08) type = c.u8();
      if (flags & 0x04) c.u64();  // creation order
      if (flags & 0x10) c.u8();   // character set
      const uint64_t len = c.uint(1 << (flags & 3));
      std::string name = c.bytes(len);
      Link link;
      if (type == 0) {
        link.addr = c.address();
      } else if (type == 1) {
        link.type = Link::soft;
        link.target = c.bytes(c.u16());
      } else if (type == 64) {
        link.type = Link::external;
      } else {
        link.type = Link::user;
      }
      if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos || name == ".")
        fail(where, "invalid link name in group");
      if (!out->emplace(std::move(name), std::move(link)).second) fail(where, "duplicate link name in group");
    }
  }
  groups.emplace(obj.addr, out);
  return out;
}

std::optional<uint64_t> Impl::resolve(const std::string& path, std::string& norm) {
  const auto parts = split(path);
  norm = join_path(parts, parts.size());
  uint64_t cur = root;
  std::vector<uint64_t> on_path{cur};
  std::string here = "/", there;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto obj = object(cur, here);
    if (obj->kind != Kind::group) return std::nullopt;
    auto ls = links(*obj, here);
    auto it = ls->find(parts[i]);
    if (it == ls->end()) return std::nullopt;
    there = (i == 0 ? "" : here) + "/" + parts[i];
    switch (it->second.type) {
      case Link::soft:
        refuse(there, "is a soft link (to '" + it->second.target + "'); only hard links are followed");
      case Link::external:
        refuse(there, "is an external link (to another file); external links are refused");
      case Link::user:
        refuse(there, "is a user-defined link; only hard links are followed");
      case Link::hard:
        break;
    }
    cur = it->second.addr;
    if (cur == kUndef) fail(there, "hard link with an undefined address");
    if (std::find(on_path.begin(), on_path.end(), cur) != on_path.end())
      fail(there, "link cycle: the path visits the same object twice");
    on_path.push_back(cur);
    here = there;
  }
  return cur;
}

// ---------------------------------------------------------------- attributes

std::vector<Attribute> Impl::attributes(const Object& obj, const std::string& where, const std::string* only) {
  if (const Msg* info = obj.find(kMsgAttributeInfo)) {
    Cursor c(*this, info->pos, info->size, where, "attribute info message");
    const uint8_t version = c.u8();
    if (version != 0) refuse(where, "attribute info message version " + std::to_string(version) + " is not supported");
    const uint8_t flags = c.u8();
    if (flags & 1) c.u16();
    if (c.address() != kUndef)
      refuse(where, "object uses dense attribute storage (fractal heap), which is not supported");
  }
  std::vector<Attribute> out;
  for (const auto& m : obj.msgs) {
    if (m.type != kMsgAttribute) continue;
    if (m.flags & 0x02) refuse(where, "shared attribute messages are not supported");
    Cursor c(*this, m.pos, m.size, where, "attribute message");
    const uint8_t version = c.u8();
    if (version < 1 || version > 3)
      refuse(where, "attribute message version " + std::to_string(version) + " is not supported");
    const uint8_t flags = c.u8();
    const uint16_t name_size = c.u16(), type_size = c.u16(), space_size = c.u16();
    if (version == 3) c.u8();  // name character set
    if (version >= 2 && (flags & 3)) refuse(where, "attributes with shared datatypes or dataspaces are not supported");
    auto padded = [&](uint64_t n) { return version == 1 ? pad8(n) : n; };
    if (name_size == 0) fail(where, "attribute with an empty name field");
    std::string name = c.bytes(name_size);
    c.skip(padded(name_size) - name_size);
    name = name.substr(0, name.find('\0'));
    if (only != nullptr && name != *only) continue;
    Attribute a;
    a.name = std::move(name);
    if (only == nullptr) {  // names only
      out.push_back(std::move(a));
      continue;
    }
    const std::string at_where = where + ": attribute '" + a.name + "'";
    {
      Cursor t(*this, c.pos(), std::min<uint64_t>(type_size, c.remaining()), at_where, "attribute datatype");
      a.type = parse_datatype(*this, t, at_where, 0);
    }
    c.skip(padded(type_size));
    {
      Cursor s(*this, c.pos(), std::min<uint64_t>(space_size, c.remaining()), at_where, "attribute dataspace");
      a.space = parse_dataspace(*this, s, at_where);
    }
    c.skip(padded(space_size));
    const uint64_t count = element_count(*this, a.space, at_where);
    const uint64_t nbytes = byte_count(*this, count, a.type.size, at_where);
    if (nbytes > c.remaining()) fail(at_where, "attribute data extends past its message");
    a.data_pos = c.pos();
    a.data_size = nbytes;
    out.push_back(std::move(a));
    return out;
  }
  return out;
}

std::shared_ptr<const Collection> Impl::collection(uint64_t addr, const std::string& where) {
  if (auto it = collections.find(addr); it != collections.end()) return it->second;
  if (!has_signature(addr, "GCOL")) fail(where, "global heap collection at " + hex(addr) + " lacks its GCOL signature");
  Cursor h(*this, addr, size() - addr, where, "global heap collection");
  h.skip(4);
  const uint8_t version = h.u8();
  if (version != 1) fail(where, "global heap collection version " + std::to_string(version) + " is not supported");
  h.skip(3);
  const uint64_t total = h.length();
  if (total < 16) fail(where, "global heap collection too small");
  check_range(addr, total, where, "global heap collection");
  charge(total, where);
  auto col = std::make_shared<Collection>();
  Cursor c(*this, addr + 16, total - 16, where, "global heap collection");
  const uint64_t obj_header = 8 + sl;
  while (c.remaining() >= obj_header) {
    const uint16_t index = c.u16();
    c.u16();  // reference count
    c.u32();
    const uint64_t n = c.length();
    if (index == 0) break;  // free space: the rest of the collection
    charge(64, where);      // the cached entry
    const uint64_t pos = c.pos();
    c.skip(n);
    c.skip(std::min(c.remaining(), pad8(n) - n));
    if (!col->objects.emplace(index, std::make_pair(pos, n)).second) fail(where, "global heap object index repeated");
  }
  collections.emplace(addr, col);
  return col;
}

std::string Impl::vlen_string(uint64_t pos, const DataType& t, const std::string& where) {
  Cursor c(*this, pos, t.size, where, "variable-length string");
  const uint32_t len = c.u32();
  const uint64_t heap = c.address();
  const uint32_t index = c.u32();
  if (len == 0) return {};
  if (t.base == nullptr || t.base->size != 1)
    refuse(where, "variable-length string with a base type wider than 1 byte");
  auto col = collection(heap, where);
  auto it = col->objects.find(index);
  if (it == col->objects.end()) fail(where, "global heap object " + std::to_string(index) + " not found");
  if (it->second.second < len) fail(where, "global heap object shorter than the string length");
  std::string s(reinterpret_cast<const char*>(at(it->second.first)), len);
  if (auto z = s.find('\0'); z != std::string::npos) s.resize(z);
  return s;
}

std::vector<std::string> Impl::attribute_strings(const Attribute& a, const std::string& where) {
  const uint64_t count = element_count(*this, a.space, where);
  std::vector<std::string> out;
  if (count == 0) return out;
  const DataType& t = a.type;
  if (t.cls == 3) {
    for (uint64_t i = 0; i < count; ++i) {
      std::string s(reinterpret_cast<const char*>(at(a.data_pos + i * t.size)), t.size);
      if (t.pad == 2) {  // space padded
        s.erase(s.find_last_not_of(' ') + 1);
      } else if (auto z = s.find('\0'); z != std::string::npos) {
        s.resize(z);
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  if (t.cls == 9 && t.vlen_string) {
    if (t.size != 8u + so) fail(where, "variable-length string element has size " + std::to_string(t.size));
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; ++i) {
      out.push_back(vlen_string(a.data_pos + i * t.size, t, where));
      total += out.back().size();
      if (total > size()) fail(where, "string data larger than the file (corrupt)");
    }
    return out;
  }
  throw TypeError(name + ": " + where + ": is a " + describe(t) + " attribute, not a string");
}

// ---------------------------------------------------------------- datasets

Layout Impl::layout(const Object& obj, uint64_t nbytes, const std::string& where) {
  if (obj.find(kMsgExternal)) refuse(where, "dataset uses external storage (data in other files); refused");
  if (const Msg* f = obj.find(kMsgFilters)) {
    Cursor c(*this, f->pos, f->size, where, "filter pipeline message");
    c.u8();
    if (c.u8() > 0) refuse(where, "dataset uses filters (compression, checksums); only unfiltered data is supported");
  }
  const Msg* m = obj.find(kMsgLayout);
  if (m->flags & 0x02) refuse(where, "shared layout messages are not supported");
  Cursor c(*this, m->pos, m->size, where, "layout message");
  const uint8_t version = c.u8();
  Layout l;
  uint8_t cls = 0;
  if (version == 1 || version == 2) {
    const uint8_t ndims = c.u8();
    cls = c.u8();
    c.skip(5);
    if (cls == 1)
      l.addr = c.address();
    else if (cls != 0)
      refuse(where, "dataset uses chunked storage, which is not supported");
    c.skip(static_cast<uint64_t>(ndims) * 4);
    if (cls == 0) {
      l.stored = c.u32();
      l.addr = c.pos();
      c.skip(l.stored);
    } else {
      l.stored = nbytes;  // the old layout message does not store the size
    }
  } else if (version == 3 || version == 4) {
    cls = c.u8();
    if (cls == 0) {
      l.stored = c.u16();
      l.addr = c.pos();
      c.skip(l.stored);
    } else if (cls == 1) {
      l.addr = c.address();
      l.stored = c.length();
    } else if (cls == 2) {
      refuse(where, "dataset uses chunked storage, which is not supported (Keras writes contiguous datasets)");
    } else if (cls == 3) {
      refuse(where, "virtual datasets are refused");
    } else {
      fail(where, "unknown layout class " + std::to_string(cls));
    }
  } else {
    refuse(where, "layout message version " + std::to_string(version) + " is not supported");
  }
  if (nbytes == 0) return l;
  if (l.addr == kUndef) refuse(where, "dataset has no stored data (never written)");
  if (l.stored < nbytes)
    fail(where,
         "dataset stores " + std::to_string(l.stored) + " bytes but its shape and type need " + std::to_string(nbytes));
  check_range(l.addr, nbytes, where, "dataset data");
  return l;
}

void Impl::dataset(const Object& obj, const std::string& where, DataType& type, Space& space, DType& dtype) {
  const Msg* sm = obj.find(kMsgDataspace);
  const Msg* tm = obj.find(kMsgDatatype);
  if (sm == nullptr || tm == nullptr) fail(where, "dataset lacks its dataspace or datatype message");
  if ((sm->flags | tm->flags) & 0x02) refuse(where, "shared (committed) datatypes or dataspaces are not supported");
  {
    Cursor c(*this, sm->pos, sm->size, where, "dataspace message");
    space = parse_dataspace(*this, c, where);
  }
  {
    Cursor c(*this, tm->pos, tm->size, where, "datatype message");
    type = parse_datatype(*this, c, where, 0);
  }
  if (space.null) refuse(where, "dataset has a null dataspace (no data)");
  const auto unsupported = [&] { refuse(where, "unsupported datatype: " + describe(type)); };
  switch (type.cls) {
    case 0:
      if (type.bit_offset != 0 || type.precision != type.size * 8) unsupported();
      if (type.is_signed && type.size == 4)
        dtype = DType::int32;
      else if (type.is_signed && type.size == 8)
        dtype = DType::int64;
      else if (!type.is_signed && type.size == 1)
        dtype = DType::uint8;
      else
        unsupported();
      break;
    case 1: {
      if (type.vax || type.norm != 2 || type.bit_offset != 0 || type.precision != type.size * 8 || type.mant_loc != 0 ||
          type.sign_loc != type.size * 8 - 1)
        unsupported();
      const auto is = [&](uint8_t el, uint8_t es, uint8_t ms, uint32_t bias) {
        return type.exp_loc == el && type.exp_size == es && type.mant_size == ms && type.bias == bias;
      };
      if (type.size == 4 && is(23, 8, 23, 127))
        dtype = DType::float32;
      else if (type.size == 8 && is(52, 11, 52, 1023))
        dtype = DType::float64;
      else if (type.size == 2 && is(10, 5, 10, 15))
        dtype = DType::float16;
      else if (type.size == 2 && is(7, 8, 7, 127))
        dtype = DType::bfloat16;
      else
        unsupported();
      break;
    }
    case 8: {
      // numpy bool as h5py stores it: an enum of a 1-byte integer with FALSE=0, TRUE=1.
      if (type.size != 1 || type.names.size() != 2) unsupported();
      for (size_t i = 0; i < 2; ++i) {
        const bool ok =
            (type.names[i] == "FALSE" && type.values[i] == 0) || (type.names[i] == "TRUE" && type.values[i] == 1);
        if (!ok) unsupported();
      }
      if (type.names[0] == type.names[1]) unsupported();
      dtype = DType::bool_;
      break;
    }
    case 5: {
      // Keras stores bfloat16 as a 2-byte opaque type with the attribute dtype="bfloat16".
      std::string key = "dtype";
      auto attrs = attributes(obj, where, &key);
      bool bf16 = false;
      if (type.size == 2 && !attrs.empty()) {
        auto v = attribute_strings(attrs[0], where + ": attribute 'dtype'");
        bf16 = v.size() == 1 && v[0] == "bfloat16";
      }
      if (!bf16) refuse(where, "unsupported datatype: " + describe(type) + " (without dtype=\"bfloat16\" attribute)");
      dtype = DType::bfloat16;
      break;
    }
    default:
      unsupported();
  }
}

// ---------------------------------------------------------------- public API

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

const std::string& File::display_name() const { return impl_->name; }

File File::open(const std::string& path) { return from_bytes(core::read_file(path, "HDF5 file"), path); }

File File::from_bytes(std::string bytes, std::string display_name) {
  auto f = std::make_unique<Impl>();
  f->bytes = std::move(bytes);
  f->name = std::move(display_name);
  const uint64_t n = f->size();
  // Legitimate files need well under 2x their size (each structure is parsed once); what is
  // charged approximates the memory the caches hold, so they stay within a few times the file size.
  f->budget = 8 * n + (uint64_t{1} << 20);
  const std::string where = "superblock";
  // The superblock is at 0 or, after a user block, at 512, 1024, 2048, ...
  uint64_t sb = kUndef;
  for (uint64_t pos = 0; pos + 8 <= n; pos = pos == 0 ? 512 : pos * 2) {
    if (std::memcmp(f->at(pos), "\x89HDF\r\n\x1a\n", 8) == 0) {
      sb = pos;
      break;
    }
  }
  if (sb == kUndef) throw Error(f->name + ": not an HDF5 file (no HDF5 signature found)");
  Cursor c(*f, sb, n - sb, where, "superblock");
  c.skip(8);
  const uint8_t version = c.u8();
  uint64_t base = 0, root = 0;
  // Sizes are read before addresses are decoded, so keep 8 until then.
  if (version == 0 || version == 1) {
    c.skip(4);  // free-space, root entry and shared header versions, reserved
    f->so = c.u8();
    f->sl = c.u8();
  } else if (version == 2 || version == 3) {
    f->so = c.u8();
    f->sl = c.u8();
  } else {
    f->refuse(where, "superblock version " + std::to_string(version) + " is not supported (versions 0 to 3 are)");
  }
  const auto ok_size = [](uint8_t s) { return s == 2 || s == 4 || s == 8; };
  if (!ok_size(f->so) || !ok_size(f->sl))
    f->refuse(where,
              "sizes of offsets/lengths " + std::to_string(f->so) + "/" + std::to_string(f->sl) + " are not supported");
  f->base = 0;
  if (version <= 1) {
    c.u8();
    c.u16();  // group leaf node K
    c.u16();  // group internal node K
    c.u32();  // consistency flags
    if (version == 1) c.skip(4);
    base = c.address();
    c.address();  // free space
    c.address();  // end of file
    c.address();  // driver information
    c.length();   // root entry: link name offset
    root = c.address();
  } else {
    c.u8();  // consistency flags
    base = c.address();
    c.address();  // superblock extension
    c.address();  // end of file
    root = c.address();
    c.u32();  // checksum
  }
  if (base == kUndef || base > n) f->fail(where, "invalid base address");
  // Addresses were decoded with base 0; the root address is relative to the base.
  f->base = base;
  if (root == kUndef) f->fail(where, "root group address is undefined");
  if (root > kUndef - 1 - base) f->fail(where, "root group address overflows");
  f->root = root + base;
  return File(std::move(f));
}

Kind File::kind(const std::string& path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string norm;
  auto addr = impl_->resolve(path, norm);
  if (!addr) return Kind::none;
  return impl_->object(*addr, norm)->kind;
}

std::vector<std::string> File::children(const std::string& group_path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string norm;
  auto addr = impl_->resolve(group_path, norm);
  if (!addr) throw NotFoundError(impl_->name + ": " + norm + ": no such group");
  auto obj = impl_->object(*addr, norm);
  if (obj->kind != Kind::group) throw ValueError(impl_->name + ": " + norm + ": is not a group");
  auto ls = impl_->links(*obj, norm);
  std::vector<std::string> names;
  names.reserve(ls->size());
  for (const auto& [n, l] : *ls) names.push_back(n);
  return names;
}

std::vector<std::string> File::attribute_names(const std::string& object_path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string norm;
  auto addr = impl_->resolve(object_path, norm);
  if (!addr) throw NotFoundError(impl_->name + ": " + norm + ": no such object");
  auto obj = impl_->object(*addr, norm);
  std::vector<std::string> names;
  for (auto& a : impl_->attributes(*obj, norm, nullptr)) names.push_back(std::move(a.name));
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> File::string_attribute(const std::string& object_path, const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string norm;
  auto addr = impl_->resolve(object_path, norm);
  if (!addr) throw NotFoundError(impl_->name + ": " + norm + ": no such object");
  auto obj = impl_->object(*addr, norm);
  auto attrs = impl_->attributes(*obj, norm, &name);
  if (attrs.empty()) return std::nullopt;
  const std::string where = norm + ": attribute '" + name + "'";
  auto values = impl_->attribute_strings(attrs[0], where);
  if (values.size() != 1)
    throw TypeError(impl_->name + ": " + where + ": holds " + std::to_string(values.size()) + " strings, not one");
  return std::move(values[0]);
}

std::vector<std::string> File::string_list_attribute(const std::string& object_path, const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string norm;
  auto addr = impl_->resolve(object_path, norm);
  if (!addr) throw NotFoundError(impl_->name + ": " + norm + ": no such object");
  auto obj = impl_->object(*addr, norm);
  auto attrs = impl_->attributes(*obj, norm, &name);
  if (attrs.empty()) throw NotFoundError(impl_->name + ": " + norm + ": no attribute '" + name + "'");
  return impl_->attribute_strings(attrs[0], norm + ": attribute '" + name + "'");
}

namespace {
struct Found {
  std::shared_ptr<const Object> obj;
  std::string norm;
};
Found find_dataset(Impl& f, const std::string& path) {
  std::string norm;
  auto addr = f.resolve(path, norm);
  if (!addr) throw NotFoundError(f.name + ": " + norm + ": no such dataset");
  auto obj = f.object(*addr, norm);
  if (obj->kind != Kind::dataset) throw ValueError(f.name + ": " + norm + ": is not a dataset");
  return {obj, norm};
}
std::vector<int64_t> to_shape(const Space& s) { return {s.dims.begin(), s.dims.end()}; }
}  // namespace

DatasetInfo File::dataset_info(const std::string& path) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto [obj, norm] = find_dataset(*impl_, path);
  DataType type;
  Space space;
  DType dtype = DType::float32;
  impl_->dataset(*obj, norm, type, space, dtype);
  const uint64_t nbytes = byte_count(*impl_, element_count(*impl_, space, norm), type.size, norm);
  impl_->layout(*obj, nbytes, norm);
  return {dtype, to_shape(space)};
}

void File::read_dataset(const std::string& path, DType expected, const std::vector<int64_t>& expected_shape,
                        void* out) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto [obj, norm] = find_dataset(*impl_, path);
  DataType type;
  Space space;
  DType dtype = DType::float32;
  impl_->dataset(*obj, norm, type, space, dtype);
  if (dtype != expected)
    throw ValueError(impl_->name + ": " + norm + ": dataset has dtype " + std::string(dtype_name(dtype)) +
                     ", expected " + std::string(dtype_name(expected)));
  const auto shape = to_shape(space);
  if (shape != expected_shape)
    throw ValueError(impl_->name + ": " + norm + ": dataset has shape " + shape_str(shape) + ", expected " +
                     shape_str(expected_shape));
  const uint64_t nbytes = byte_count(*impl_, element_count(*impl_, space, norm), type.size, norm);
  const Layout l = impl_->layout(*obj, nbytes, norm);
  if (nbytes == 0) return;
  auto* dst = static_cast<uint8_t*>(out);
  std::memcpy(dst, impl_->at(l.addr), static_cast<size_t>(nbytes));
  if (dtype == DType::bool_) {
    for (uint64_t i = 0; i < nbytes; ++i) dst[i] = dst[i] != 0 ? 1 : 0;
    return;
  }
  const bool swap = type.big_endian != (std::endian::native == std::endian::big);
  if (swap && type.size > 1)
    for (uint64_t i = 0; i < nbytes; i += type.size) std::reverse(dst + i, dst + i + type.size);
}

}  // namespace keras::h5
