#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "keras/error.hpp"

namespace keras::core {

void fail_errno(const std::string& path, const std::string& action, int err) {
  throw Error(path + ": " + action + ": " + std::strerror(err));
}

std::string temp_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp" + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
}

void fsync_dir_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // durability of the rename is best effort; the data itself is synced
  ::fsync(fd);
  ::close(fd);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  for (int attempt = 0; fd_ < 0; ++attempt) {
    tmp_ = temp_path_for(path_);
    // 0666 and the umask give the permissions a plain fopen would.
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && !(errno == EEXIST && attempt < 100) && errno != EINTR) fail_errno(path_, "cannot create", errno);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t r = ::write(fd_, p, std::min<size_t>(n, size_t{1} << 30));
    if (r < 0) {
      if (errno == EINTR) continue;
      fail_errno(path_, "write failed", errno);
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail_errno(path_, "fsync failed", errno);
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) fail_errno(path_, "close failed", errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail_errno(path_, "cannot rename the temporary file over it", errno);
  committed_ = true;
  fsync_dir_of(path_);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw NotFoundError(path + ": no such " + what);
  if (std::filesystem::is_directory(status)) throw Error(path + ": is a directory, not a " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NotFoundError(path + ": cannot open the " + what + ": " + std::strerror(errno));
  std::string bytes;
  if (std::filesystem::is_regular_file(status)) {
    const auto n = std::filesystem::file_size(path, ec);
    if (ec) throw Error(path + ": cannot determine the file size");
    bytes.resize(static_cast<size_t>(n));
    in.read(bytes.data(), static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in.gcount()) != n) throw Error(path + ": read error (file changed while reading?)");
  } else {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(path + ": read error");
  }
  return bytes;
}

}  // namespace keras::core
