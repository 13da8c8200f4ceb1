// HDF5 writer: the layout h5py produces with its default settings (see h5.hpp).
//
// File layout, in order: superblock (version 0, 96 bytes), global heap collection(s) holding the
// string attribute values, then every object in post-order (children before their parent group):
//   dataset: v1 object header (dataspace, datatype, fill value, layout, attributes) + raw data;
//   group:   local heap (names), symbol table nodes (SNOD, up to 2*leaf K entries each), v1 B-tree
//            nodes (type 0, up to 2*internal K children each, as many levels as needed), v1 object
//            header (symbol table message + attributes).
// All structures start on 8-byte boundaries. Addresses are absolute (base address 0).
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

#include "core/atomic_file.hpp"
#include "keras/error.hpp"
#include "saving/h5/h5.hpp"

namespace keras::h5 {

struct Writer::Node {
  bool is_group = true;
  std::map<std::string, std::unique_ptr<Node>> children;   // bytewise order = HDF5 name order
  std::vector<std::pair<std::string, std::string>> attrs;  // in creation order
  DType dtype = DType::float32;
  std::vector<int64_t> shape;
  std::string data;  // little-endian element bytes
};

namespace {

constexpr uint64_t kUndef = std::numeric_limits<uint64_t>::max();
constexpr uint16_t kLeafK = 4;       // symbol table node holds up to 2*kLeafK entries
constexpr uint16_t kInternalK = 16;  // B-tree node holds up to 2*kInternalK children
constexpr size_t kSnodCapacity = 2 * kLeafK;
constexpr size_t kBtreeCapacity = 2 * kInternalK;
constexpr size_t kEntrySize = 40;  // symbol table entry with 8-byte offsets and lengths
constexpr size_t kSnodSize = 8 + kSnodCapacity * kEntrySize;
constexpr size_t kBtreeSize = 24 + (kBtreeCapacity + 1) * 8 + kBtreeCapacity * 8;
constexpr size_t kSuperblockSize = 96;
constexpr size_t kMinCollection = 4096;  // HDF5 readers expect global heap collections >= 4 KiB
constexpr size_t kMaxRank = 32;

using Node = Writer::Node;

size_t pad8(size_t n) { return (n + 7) & ~size_t{7}; }

class Buf {
 public:
  std::string s;
  size_t size() const { return s.size(); }
  void u8(uint8_t v) { s.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void bytes(std::string_view b) { s.append(b); }
  void zeros(size_t n) { s.append(n, '\0'); }
  void align8() { s.append(pad8(s.size()) - s.size(), '\0'); }
  void put_u64_at(size_t pos, uint64_t v) {
    for (int i = 0; i < 8; ++i) s[pos + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
};

std::vector<std::string> split_path(const std::string& path, const char* what) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part.empty()) {
      // A leading or trailing '/' is fine; "a//b" is not.
      if (i != 0 && j != path.size()) throw ValueError(std::string(what) + " '" + path + "': empty path component");
    } else {
      if (part == "." || part == "..")
        throw ValueError(std::string(what) + " '" + path + "': '" + part + "' is not a valid name");
      if (part.find('\0') != std::string::npos)
        throw ValueError(std::string(what) + " '" + path + "': names may not contain NUL");
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  return parts;
}

// ---- datatype messages (encodings as h5py writes them) ----

std::string datatype_message(DType d) {
  Buf b;
  auto fixed = [&](uint32_t size, bool is_signed) {
    b.u8(0x10);  // class 0 (fixed point), version 1
    b.u8(is_signed ? 0x08 : 0x00);
    b.u8(0);
    b.u8(0);
    b.u32(size);
    b.u16(0);                                // bit offset
    b.u16(static_cast<uint16_t>(size * 8));  // precision
  };
  auto floating = [&](uint32_t size, uint8_t sign, uint8_t exp_loc, uint8_t exp_size, uint8_t mant_size,
                      uint32_t bias) {
    b.u8(0x11);  // class 1 (floating point), version 1
    b.u8(0x20);  // little-endian, no padding, implied leading mantissa bit
    b.u8(sign);
    b.u8(0);
    b.u32(size);
    b.u16(0);
    b.u16(static_cast<uint16_t>(size * 8));
    b.u8(exp_loc);
    b.u8(exp_size);
    b.u8(0);  // mantissa location
    b.u8(mant_size);
    b.u32(bias);
  };
  switch (d) {
    case DType::float32:
      floating(4, 31, 23, 8, 23, 127);
      break;
    case DType::float64:
      floating(8, 63, 52, 11, 52, 1023);
      break;
    case DType::float16:
      floating(2, 15, 10, 5, 10, 15);
      break;
    case DType::int32:
      fixed(4, true);
      break;
    case DType::int64:
      fixed(8, true);
      break;
    case DType::uint8:
      fixed(1, false);
      break;
    case DType::bool_:
      b.u8(0x18);  // class 8 (enumeration), version 1
      b.u16(2);    // two members
      b.u8(0);
      b.u32(1);
      fixed(1, true);  // base type: int8
      b.bytes(std::string_view("FALSE\0\0\0", 8));
      b.bytes(std::string_view("TRUE\0\0\0\0", 8));
      b.u8(0);
      b.u8(1);
      break;
    case DType::bfloat16:
      b.u8(0x15);  // class 5 (opaque), version 1, empty tag
      b.u8(0);
      b.u8(0);
      b.u8(0);
      b.u32(2);
      break;
  }
  return b.s;
}

// Variable-length UTF-8 string, null-terminated padding; base type uint8.
std::string vlen_string_datatype() {
  Buf b;
  b.u8(0x19);  // class 9 (variable length), version 1
  b.u8(0x01);  // type: string, padding: null terminate
  b.u8(0x01);  // character set: UTF-8
  b.u8(0);
  b.u32(16);  // length (4) + global heap id (8 + 4)
  b.u8(0x10);
  b.u8(0);
  b.u8(0);
  b.u8(0);
  b.u32(1);
  b.u16(0);
  b.u16(8);
  return b.s;
}

struct HeapId {
  uint64_t collection = 0;
  uint32_t index = 0;
};

struct Message {
  uint16_t type;
  uint8_t flags;
  std::string data;
};

void append_object_header(Buf& out, const std::vector<Message>& msgs) {
  size_t total = 0;
  for (const auto& m : msgs) total += 8 + pad8(m.data.size());
  if (msgs.size() > 0xffff) throw ValueError("HDF5 writer: too many attributes on one object");
  out.u8(1);  // version
  out.u8(0);
  out.u16(static_cast<uint16_t>(msgs.size()));
  out.u32(1);  // reference count
  out.u32(static_cast<uint32_t>(total));
  out.u32(0);  // pad the prefix to 16 bytes
  for (const auto& m : msgs) {
    const size_t n = pad8(m.data.size());
    if (n > 0xffff) throw ValueError("HDF5 writer: object header message too large");
    out.u16(m.type);
    out.u16(static_cast<uint16_t>(n));
    out.u8(m.flags);
    out.zeros(3);
    out.bytes(m.data);
    out.zeros(n - m.data.size());
  }
}

Message attribute_message(const std::string& name, const HeapId& id, uint32_t length) {
  static const std::string dt = vlen_string_datatype();
  Buf b;
  b.u8(1);  // version 1: name, datatype and dataspace each padded to 8 bytes
  b.u8(0);
  b.u16(static_cast<uint16_t>(name.size() + 1));
  b.u16(static_cast<uint16_t>(dt.size()));
  b.u16(8);
  b.bytes(name);
  b.u8(0);
  b.align8();
  b.bytes(dt);
  b.align8();
  b.u8(1);  // dataspace version 1, rank 0 = scalar
  b.zeros(7);
  b.u32(length);
  b.u64(id.collection);
  b.u32(id.index);
  return {0x000C, 0, std::move(b.s)};
}

class Emitter {
 public:
  explicit Emitter(const Node& root) : root_(root) {}

  std::string run() {
    out_.zeros(kSuperblockSize);
    collect_strings(root_);
    write_collections();
    const Addr root = emit(root_);
    // Superblock version 0.
    Buf sb;
    sb.bytes(std::string_view("\x89HDF\r\n\x1a\n", 8));
    sb.u8(0);  // superblock version
    sb.u8(0);  // free-space storage version
    sb.u8(0);  // root group symbol table entry version
    sb.u8(0);
    sb.u8(0);  // shared header message format version
    sb.u8(8);  // size of offsets
    sb.u8(8);  // size of lengths
    sb.u8(0);
    sb.u16(kLeafK);
    sb.u16(kInternalK);
    sb.u32(0);            // file consistency flags
    sb.u64(0);            // base address
    sb.u64(kUndef);       // free-space info
    sb.u64(out_.size());  // end of file address
    sb.u64(kUndef);       // driver information block
    // Root group symbol table entry, with the B-tree and heap cached in the scratch pad.
    sb.u64(0);
    sb.u64(root.header);
    sb.u32(1);
    sb.u32(0);
    sb.u64(root.btree);
    sb.u64(root.heap);
    std::memcpy(out_.s.data(), sb.s.data(), sb.s.size());
    return std::move(out_.s);
  }

 private:
  struct Addr {
    uint64_t header = 0, btree = kUndef, heap = kUndef;
  };

  void collect_strings(const Node& n) {
    for (const auto& [name, value] : n.attrs) strings_.push_back(&value);
    for (const auto& [name, child] : n.children) collect_strings(*child);
  }

  // All attribute values go into global heap collections, in the order collect_strings() saw
  // them; emit() consumes the heap ids in the same order.
  void write_collections() {
    size_t i = 0;
    while (i < strings_.size()) {
      size_t j = i, needed = 16;  // collection header
      while (j < strings_.size() && j - i < 0xffff) {
        needed += 16 + pad8(strings_[j]->size());
        ++j;
      }
      const size_t size = std::max(kMinCollection, needed + 16);  // room for the free-space object
      const uint64_t addr = out_.size();
      out_.bytes("GCOL");
      out_.u8(1);
      out_.zeros(3);
      out_.u64(size);
      for (size_t k = i; k < j; ++k) {
        const uint32_t index = static_cast<uint32_t>(k - i + 1);
        out_.u16(static_cast<uint16_t>(index));
        out_.u16(0);  // reference count
        out_.u32(0);
        out_.u64(strings_[k]->size());
        out_.bytes(*strings_[k]);
        out_.align8();
        ids_.push_back({addr, index});
      }
      // Object 0 describes the free space up to the end of the collection.
      out_.u16(0);
      out_.u16(0);
      out_.u32(0);
      out_.u64(size - needed);
      out_.zeros(size - needed - 16);
      i = j;
    }
  }

  std::vector<Message> attribute_messages(const Node& n) {
    std::vector<Message> msgs;
    for (const auto& [name, value] : n.attrs) {
      msgs.push_back(attribute_message(name, ids_[next_id_], static_cast<uint32_t>(value.size())));
      ++next_id_;
    }
    return msgs;
  }

  Addr emit(const Node& n) { return n.is_group ? emit_group(n) : emit_dataset(n); }

  Addr emit_dataset(const Node& n) {
    // The attribute ids of a node are consumed before those of its children (pre-order), and a
    // dataset has no children.
    std::vector<Message> msgs;
    Buf space;
    space.u8(1);  // dataspace version 1
    space.u8(static_cast<uint8_t>(n.shape.size()));
    space.u8(n.shape.empty() ? 0 : 1);  // maximum dimensions present (equal to the dimensions)
    space.zeros(5);
    for (int64_t d : n.shape) space.u64(static_cast<uint64_t>(d));
    for (int64_t d : n.shape) space.u64(static_cast<uint64_t>(d));
    msgs.push_back({0x0001, 0, space.s});
    msgs.push_back({0x0003, 1, datatype_message(n.dtype)});
    // Fill value version 2: allocation time late, write time if-set, defined, default (size 0).
    msgs.push_back({0x0005, 1, std::string("\x02\x02\x02\x01\x00\x00\x00\x00", 8)});
    const size_t layout_index = msgs.size();
    msgs.push_back({0x0008, 0, {}});
    for (auto& m : attribute_messages(n)) msgs.push_back(std::move(m));

    // The header size does not depend on the layout address, so compute it with a placeholder.
    const auto layout = [&](uint64_t addr) {
      Buf l;
      l.u8(3);  // layout version 3
      l.u8(1);  // contiguous
      l.u64(addr);
      l.u64(n.data.size());
      return l.s;
    };
    msgs[layout_index].data = layout(0);
    size_t header = 16;
    for (const auto& m : msgs) header += 8 + pad8(m.data.size());
    const uint64_t addr = out_.size();
    const uint64_t data_addr = n.data.empty() ? kUndef : addr + header;
    msgs[layout_index].data = layout(data_addr);
    append_object_header(out_, msgs);
    out_.bytes(n.data);
    out_.align8();
    return {addr, kUndef, kUndef};
  }

  Addr emit_group(const Node& n) {
    std::vector<Message> msgs = attribute_messages(n);  // before the children: pre-order ids
    std::vector<std::pair<const std::string*, Addr>> entries;
    for (const auto& [name, child] : n.children) entries.emplace_back(&name, emit(*child));

    // Local heap: offset 0 holds the empty string, then each name, NUL-terminated, 8-aligned.
    Buf data;
    data.zeros(8);
    std::vector<uint64_t> name_offset;
    for (const auto& e : entries) {
      name_offset.push_back(data.size());
      data.bytes(*e.first);
      data.u8(0);
      data.align8();
    }
    const uint64_t heap = out_.size();
    out_.bytes("HEAP");
    out_.u8(0);
    out_.zeros(3);
    out_.u64(data.size());
    out_.u64(1);  // no free block
    out_.u64(heap + 32);
    out_.bytes(data.s);

    // Symbol table nodes.
    struct Child {
      uint64_t addr, left_key, right_key;
    };
    std::vector<Child> level;
    for (size_t i = 0; i < entries.size(); i += kSnodCapacity) {
      const size_t end = std::min(entries.size(), i + kSnodCapacity);
      const uint64_t addr = out_.size();
      const size_t start = out_.size();
      out_.bytes("SNOD");
      out_.u8(1);
      out_.u8(0);
      out_.u16(static_cast<uint16_t>(end - i));
      for (size_t k = i; k < end; ++k) {
        const Addr& a = entries[k].second;
        const bool group = a.btree != kUndef;
        out_.u64(name_offset[k]);
        out_.u64(a.header);
        out_.u32(group ? 1 : 0);  // cache type 1: the group's B-tree and heap are in the scratch pad
        out_.u32(0);
        out_.u64(group ? a.btree : 0);
        out_.u64(group ? a.heap : 0);
      }
      out_.zeros(start + kSnodSize - out_.size());
      level.push_back({addr, i == 0 ? 0 : name_offset[i - 1], name_offset[end - 1]});
    }

    // B-tree: level 0 nodes point at symbol table nodes, higher levels at B-tree nodes. The key
    // left of child i is the right key of child i-1 (the heap offset of its last name); the first
    // key is the empty string (offset 0).
    uint8_t depth = 0;
    uint64_t root = 0;
    if (level.empty()) {
      root = write_btree_node(0, 0, {}, kUndef, kUndef);
    } else {
      while (true) {
        const size_t nodes = (level.size() + kBtreeCapacity - 1) / kBtreeCapacity;
        const uint64_t first = out_.size();
        std::vector<Child> up;
        for (size_t k = 0; k < nodes; ++k) {
          const size_t b = k * kBtreeCapacity, e = std::min(level.size(), b + kBtreeCapacity);
          const uint64_t left = k == 0 ? kUndef : first + (k - 1) * kBtreeSize;
          const uint64_t right = k + 1 == nodes ? kUndef : first + (k + 1) * kBtreeSize;
          std::vector<std::pair<uint64_t, uint64_t>> children;  // (child address, right key)
          for (size_t c = b; c < e; ++c) children.emplace_back(level[c].addr, level[c].right_key);
          const uint64_t addr = write_btree_node(depth, level[b].left_key, children, left, right);
          up.push_back({addr, level[b].left_key, level[e - 1].right_key});
        }
        if (up.size() == 1) {
          root = up[0].addr;
          break;
        }
        level = std::move(up);
        ++depth;
      }
    }

    Buf stab;
    stab.u64(root);
    stab.u64(heap);
    msgs.insert(msgs.begin(), Message{0x0011, 0, stab.s});
    const uint64_t addr = out_.size();
    append_object_header(out_, msgs);
    return {addr, root, heap};
  }

  uint64_t write_btree_node(uint8_t node_level, uint64_t first_key,
                            const std::vector<std::pair<uint64_t, uint64_t>>& children, uint64_t left, uint64_t right) {
    const uint64_t addr = out_.size();
    out_.bytes("TREE");
    out_.u8(0);  // group node
    out_.u8(node_level);
    out_.u16(static_cast<uint16_t>(children.size()));
    out_.u64(left);
    out_.u64(right);
    out_.u64(first_key);
    for (const auto& [child, key] : children) {
      out_.u64(child);
      out_.u64(key);
    }
    out_.zeros(addr + kBtreeSize - out_.size());
    return addr;
  }

  const Node& root_;
  Buf out_;
  std::vector<const std::string*> strings_;
  std::vector<HeapId> ids_;
  size_t next_id_ = 0;
};

void to_little_endian(std::string& bytes, size_t elem) {
  if constexpr (std::endian::native == std::endian::little) {
    (void)bytes;
    (void)elem;
  } else {
    for (size_t i = 0; i + elem <= bytes.size(); i += elem) std::reverse(bytes.begin() + i, bytes.begin() + i + elem);
  }
}

}  // namespace

Writer::Writer() : root_(std::make_unique<Node>()) {}
Writer::~Writer() = default;
Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&&) noexcept = default;

namespace {
Node* make_groups(Node* node, const std::vector<std::string>& parts, size_t count, const std::string& path) {
  for (size_t i = 0; i < count; ++i) {
    auto& slot = node->children[parts[i]];
    if (!slot) slot = std::make_unique<Node>();
    if (!slot->is_group) throw ValueError("HDF5 writer: '" + path + "': '" + parts[i] + "' is a dataset, not a group");
    node = slot.get();
  }
  return node;
}
}  // namespace

void Writer::create_group(const std::string& path) {
  const auto parts = split_path(path, "HDF5 writer: group");
  make_groups(root_.get(), parts, parts.size(), path);
}

void Writer::set_string_attribute(const std::string& object_path, const std::string& name, const std::string& value) {
  const auto parts = split_path(object_path, "HDF5 writer: object");
  if (name.empty() || name.find('\0') != std::string::npos || name.size() > 16384)
    throw ValueError("HDF5 writer: '" + object_path + "': invalid attribute name '" + name + "'");
  if (value.find('\0') != std::string::npos)
    throw ValueError("HDF5 writer: '" + object_path + "': attribute '" + name + "' may not contain NUL bytes");
  if (value.size() > std::numeric_limits<uint32_t>::max())
    throw ValueError("HDF5 writer: '" + object_path + "': attribute '" + name + "' is too long");
  Node* node = root_.get();
  for (const auto& p : parts) {
    auto it = node->children.find(p);
    if (it == node->children.end()) throw NotFoundError("HDF5 writer: '" + object_path + "': no such object");
    node = it->second.get();
  }
  for (auto& [n, v] : node->attrs)
    if (n == name) {
      v = value;
      return;
    }
  node->attrs.emplace_back(name, value);
}

void Writer::create_dataset(const std::string& path, DType dtype, const std::vector<int64_t>& shape, const void* data) {
  const auto parts = split_path(path, "HDF5 writer: dataset");
  if (parts.empty()) throw ValueError("HDF5 writer: a dataset cannot be the root group");
  if (shape.size() > kMaxRank) throw ValueError("HDF5 writer: '" + path + "': rank above 32");
  uint64_t count = 1;
  const size_t elem = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) throw ValueError("HDF5 writer: '" + path + "': negative dimension");
    if (d != 0 && count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / elem / static_cast<uint64_t>(d))
      throw ValueError("HDF5 writer: '" + path + "': dataset too large");
    count *= static_cast<uint64_t>(d);
  }
  if (count > 0 && data == nullptr) throw ValueError("HDF5 writer: '" + path + "': null data");
  Node* parent = make_groups(root_.get(), parts, parts.size() - 1, path);
  if (parent->children.count(parts.back()))
    throw ValueError("HDF5 writer: '" + path + "': an object of that name already exists");
  auto node = std::make_unique<Node>();
  node->is_group = false;
  node->dtype = dtype;
  node->shape = shape;
  if (count > 0) node->data.assign(static_cast<const char*>(data), count * elem);
  if (dtype == DType::bool_) {
    for (char& c : node->data) c = c != 0 ? 1 : 0;
  } else {
    to_little_endian(node->data, elem);
  }
  if (dtype == DType::bfloat16) node->attrs.emplace_back("dtype", "bfloat16");
  parent->children.emplace(parts.back(), std::move(node));
}

std::string Writer::bytes() const { return Emitter(*root_).run(); }

void Writer::save(const std::string& path) const { core::write_file_atomic(path, bytes()); }

}  // namespace keras::h5
