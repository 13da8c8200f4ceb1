#pragma once
// A small HDF5 reader and writer for the subset of the format that Keras weight files use
// (FORMATS.md section 2): `.weights.h5` files of Keras 3 and legacy Keras 2 `.h5` files.
//
// Writer: superblock version 0, old-style groups (symbol table message, v1 B-tree of type 0,
// symbol table nodes, local heap), v1 object headers, contiguous datasets without filters,
// variable-length UTF-8 string attributes in a global heap collection. This is what h5py writes
// with its default ("earliest") format.
//
// Reader: superblock versions 0-3, v1 and v2 object headers, old-style groups and new-style
// compact groups (link messages), contiguous and compact datasets, string attributes (fixed or
// variable length). Everything else (chunked or virtual layouts, filters, external storage,
// soft/external links, dense link or attribute storage, shared messages) is refused with a
// keras::Error. The reader treats the file as hostile: every offset and length is checked against
// the file size, structures are visited at most once per walk, and the total parsing work is
// bounded by a multiple of the file size.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/dtype.hpp"

namespace keras::h5 {

/// Builds an HDF5 file in memory. Paths are '/'-separated ("layers/dense/vars"); a leading '/'
/// is optional and "" (or "/") is the root group. Names may not be empty, ".", or contain NUL.
class Writer {
 public:
  Writer();
  ~Writer();
  Writer(Writer&&) noexcept;
  Writer& operator=(Writer&&) noexcept;

  /// Creates the group and its missing parents. Idempotent; throws ValueError if the path (or a
  /// parent) is a dataset.
  void create_group(const std::string& path);
  /// Sets a variable-length UTF-8 string attribute with a scalar dataspace (what h5py writes for
  /// `obj.attrs[name] = "value"`). Replaces an existing attribute of that name. The object must
  /// exist. The value may not contain NUL bytes.
  void set_string_attribute(const std::string& object_path, const std::string& name, const std::string& value);
  /// Creates a contiguous dataset (parents are created as needed) holding a copy of `data`
  /// (host-order elements of `dtype`, C order, product(shape) of them; may be null when the
  /// product is 0). shape {} gives a scalar dataspace. Stored little-endian; bool_ as the HDF5
  /// enum h5py uses for numpy bool (int8, FALSE=0, TRUE=1); bfloat16 as a 2-byte opaque type with
  /// the attribute dtype="bfloat16" (as Keras writes it). Throws ValueError if the path exists.
  void create_dataset(const std::string& path, DType dtype, const std::vector<int64_t>& shape, const void* data);

  /// The complete file.
  std::string bytes() const;
  /// Writes bytes() to `path` atomically (temporary file, fsync, rename).
  void save(const std::string& path) const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;
};

enum class Kind {
  none,  ///< nothing at that path
  group,
  dataset,
  other,  ///< an object that is neither (for example a committed datatype)
};

struct DatasetInfo {
  DType dtype;
  std::vector<int64_t> shape;  ///< {} for a scalar dataspace
};

/// A read-only view of an HDF5 file held in memory. Every problem is reported as a keras::Error
/// whose message starts with "<file name>: <object path>: ". Methods are safe to call from
/// several threads (an internal cache is guarded by a mutex).
class File {
 public:
  /// Reads the whole file; NotFoundError naming the path if it cannot be opened.
  static File open(const std::string& path);
  /// Parses `bytes`; `display_name` is used in error messages.
  static File from_bytes(std::string bytes, std::string display_name);

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  /// What `path` names. Follows hard links only: a soft or external link anywhere on the path is
  /// an error, as is a path that visits the same group twice (a link cycle).
  Kind kind(const std::string& path) const;
  /// Link names in the group, sorted bytewise. NotFoundError if the path does not exist,
  /// ValueError if it is not a group.
  std::vector<std::string> children(const std::string& group_path) const;
  /// The attribute as a string if it exists (nullopt otherwise). It must hold one fixed- or
  /// variable-length string; anything else is a TypeError. NotFoundError if the object is missing.
  std::optional<std::string> string_attribute(const std::string& object_path, const std::string& name) const;
  /// A string array attribute (as legacy Keras 2 stores layer_names / weight_names): fixed- or
  /// variable-length strings, any rank (flattened in C order). An attribute with no elements
  /// gives {} whatever its type. NotFoundError if the object or the attribute is missing.
  std::vector<std::string> string_list_attribute(const std::string& object_path, const std::string& name) const;
  /// Names of the attributes of an object (sorted).
  std::vector<std::string> attribute_names(const std::string& object_path) const;
  /// dtype and shape of a dataset, after checking that its data can be read (supported layout,
  /// no filters, no external storage, declared size inside the file). No data is read.
  DatasetInfo dataset_info(const std::string& path) const;
  /// Copies the dataset into `out` (host order, C order). Throws, before touching `out`, if the
  /// dtype or the shape differ from the expected ones.
  void read_dataset(const std::string& path, DType expected, const std::vector<int64_t>& expected_shape,
                    void* out) const;

  const std::string& display_name() const;

  struct Impl;

 private:
  explicit File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keras::h5
