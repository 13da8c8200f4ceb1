#pragma once
// ZIP archives for .keras and .npz files, through libzip: an atomic writer and a reader of an
// archive held in memory that treats it as hostile (sizes checked before anything is read).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace keras::saving::zip {

/// One member to write: its bytes as fragments that stay alive until write_atomic returns.
struct Member {
  std::string name;
  std::vector<std::pair<const void*, size_t>> fragments;
  bool compress = false;
  /// Date the member 1980-01-01 00:00 (Python's zipfile default for streamed members); false: now.
  bool epoch_date = true;
};

/// Writes the archive to a temporary file beside `path`, fsyncs it and renames it over `path`.
void write_atomic(const std::string& path, const std::vector<Member>& members);

/// A member over 4 GiB that expands more than 100x its compressed size is refused as a zip bomb
/// (the rule Keras applies to .keras members).
constexpr uint64_t kBombBytes = uint64_t{4} << 30;
constexpr uint64_t kBombRatio = 100;

/// A read-only archive parsed from memory.
class Reader {
 public:
  /// Parses the central directory; keras::ValueError naming `display_name` for anything that is
  /// not a readable ZIP archive.
  Reader(std::string bytes, std::string display_name);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// Member names in archive order.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  /// The member's bytes. Refuses a member larger than `max_bytes` (before reading it), a zip
  /// bomb, and a member whose data does not match its directory entry (CRC, size).
  std::string read(const std::string& name, uint64_t max_bytes) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
  std::string display_;
};

}  // namespace keras::saving::zip
