#pragma once
// Crash-safe file writes: `path` holds either its old contents or the complete new ones, even if
// the process dies midway. Data goes to a temporary file beside `path` (same filesystem), which
// is fsynced and renamed over `path`; the directory is then fsynced (best effort).
#include <cstddef>
#include <string>
#include <string_view>

namespace keras::core {

/// A unique temporary name beside `path`: `<path>.tmp<pid>.<n>`.
std::string temp_path_for(const std::string& path);

/// fsyncs the directory holding `path` so that a rename into it is durable (best effort).
void fsync_dir_of(const std::string& path);

/// Throws keras::Error "<path>: <action>: <strerror(err)>".
[[noreturn]] void fail_errno(const std::string& path, const std::string& action, int err);

/// Writes through a temporary file; nothing appears at `path` until commit() succeeds. The
/// destructor of an uncommitted file removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  /// fsync, close, rename over the path, fsync the directory.
  void commit();
  const std::string& temp_path() const { return tmp_; }

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Writes `bytes` to `path` atomically (AtomicFile, then commit).
void write_file_atomic(const std::string& path, std::string_view bytes);

/// The whole file's bytes. `what` names the kind of file in messages ("HDF5 file"):
/// NotFoundError "<path>: no such <what>", Error for a directory or a read failure.
std::string read_file(const std::string& path, const std::string& what);

}  // namespace keras::core
