#include "saving/zip.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <limits>
#include <map>

#include "core/atomic_file.hpp"
#include "keras/error.hpp"

namespace keras::saving::zip {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

std::string error_text(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string text = zip_error_strerror(&err);
  zip_error_fini(&err);
  return text;
}

}  // namespace

void write_atomic(const std::string& path, const std::vector<Member>& members) {
  if (members.empty()) {
    // libzip writes no file at all for an empty archive; Python writes the bare end-of-directory record.
    static constexpr char kEmptyZip[22] = {'P', 'K', 5, 6};
    core::write_file_atomic(path, std::string_view(kEmptyZip, sizeof(kEmptyZip)));
    return;
  }
  // libzip itself writes through a temporary file renamed onto the path it was given; it is given
  // our own temporary path so that the result is also fsynced before it replaces `path`.
  const std::string tmp = core::temp_path_for(path);
  struct Unlinker {
    const std::string& tmp;
    bool armed = true;
    ~Unlinker() {
      if (armed) ::unlink(tmp.c_str());
    }
  } unlinker{tmp};

  int code = 0;
  ZipPtr archive(zip_open(tmp.c_str(), ZIP_CREATE | ZIP_EXCL, &code));
  if (!archive) throw Error(path + ": cannot create: " + error_text(code));
  auto fail = [&](const std::string& action) {
    throw Error(path + ": " + action + ": " + zip_strerror(archive.get()));
  };
  std::vector<std::vector<zip_buffer_fragment_t>> keep(members.size());
  for (size_t k = 0; k < members.size(); ++k) {
    const Member& m = members[k];
    for (const auto& [data, size] : m.fragments)
      if (size > 0) keep[k].push_back({static_cast<zip_uint8_t*>(const_cast<void*>(data)), size});
    // The buffers stay alive until zip_close, so libzip need not copy them.
    zip_source_t* source = zip_source_buffer_fragment(archive.get(), keep[k].data(), keep[k].size(), 0);
    if (!source) fail("cannot add '" + m.name + "'");
    const zip_int64_t index = zip_file_add(archive.get(), m.name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      fail("cannot add '" + m.name + "'");
    }
    const auto idx = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive.get(), idx, m.compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) != 0)
      fail("cannot set the compression of '" + m.name + "'");
    if (m.epoch_date) {
      constexpr zip_uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;
      if (zip_file_set_dostime(archive.get(), idx, 0, kDosDate1980, 0) != 0)
        fail("cannot set the date of '" + m.name + "'");
    }
  }
  if (zip_close(archive.get()) != 0) fail("cannot write the archive");
  archive.release();  // zip_close freed it

  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) core::fail_errno(path, "cannot reopen the temporary file", errno);
  const int sync_rc = ::fsync(fd);
  const int sync_err = errno;
  ::close(fd);
  if (sync_rc != 0) core::fail_errno(path, "fsync failed", sync_err);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    core::fail_errno(path, "cannot rename the temporary file over it", errno);
  unlinker.armed = false;
  core::fsync_dir_of(path);
}

struct Reader::Impl {
  std::string bytes;
  zip_t* archive = nullptr;
  std::map<std::string, zip_uint64_t> index;
  ~Impl() {
    if (archive) zip_discard(archive);
  }
};

Reader::Reader(std::string bytes, std::string display_name)
    : impl_(std::make_unique<Impl>()), display_(std::move(display_name)) {
  impl_->bytes = std::move(bytes);
  if (impl_->bytes.size() < 22) throw ValueError(display_ + ": too short to be a ZIP archive (truncated?)");
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(impl_->bytes.data(), impl_->bytes.size(), 0, &err);
  if (!src) {
    zip_error_fini(&err);
    throw Error(display_ + ": cannot read the archive");
  }
  impl_->archive = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!impl_->archive) {
    zip_source_free(src);
    const std::string text = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw ValueError(display_ + ": not a valid ZIP archive (a truncated or damaged file?): " + text);
  }
  zip_error_fini(&err);
  const zip_int64_t count = zip_get_num_entries(impl_->archive, 0);
  if (count < 0 || static_cast<uint64_t>(count) > impl_->bytes.size() / 22)
    throw ValueError(display_ + ": the ZIP directory is damaged");
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(impl_->archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    if (!name) throw ValueError(display_ + ": the ZIP directory is damaged: " + zip_strerror(impl_->archive));
    if (impl_->index.count(name)) throw ValueError(display_ + ": the archive holds two members named '" + name + "'");
    impl_->index[name] = static_cast<zip_uint64_t>(i);
    names_.emplace_back(name);
  }
}

Reader::~Reader() = default;

bool Reader::contains(const std::string& name) const { return impl_->index.count(name) > 0; }

std::string Reader::read(const std::string& name, uint64_t max_bytes) const {
  auto it = impl_->index.find(name);
  if (it == impl_->index.end()) throw NotFoundError(display_ + ": the archive has no member '" + name + "'");
  const std::string what = display_ + ": member '" + name + "'";
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(impl_->archive, it->second, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    throw ValueError(what + ": the ZIP directory gives no size");
  if (st.size > kBombBytes && (!(st.valid & ZIP_STAT_COMP_SIZE) || st.size / kBombRatio > st.comp_size))
    throw ValueError(what + ": uncompressed size " + std::to_string(st.size) +
                     " bytes is more than 4 GiB and more than 100x its compressed size (a zip bomb?)");
  // Deflate cannot expand data more than about 1032x; a stored member is as long as its data.
  if ((st.valid & ZIP_STAT_COMP_SIZE) && st.size > 65536 && st.size / 1100 > st.comp_size)
    throw ValueError(what + ": declares " + std::to_string(st.size) + " bytes from " + std::to_string(st.comp_size) +
                     " compressed ones, more than compression can produce (damaged or hostile archive)");
  if (st.size > max_bytes)
    throw ValueError(what + ": " + std::to_string(st.size) + " bytes, more than the " + std::to_string(max_bytes) +
                     " this member may hold");
  if ((st.valid & ZIP_STAT_COMP_SIZE) && st.comp_size > impl_->bytes.size())
    throw ValueError(what + ": its compressed size is larger than the file (truncated?)");
  zip_file_t* f = zip_fopen_index(impl_->archive, it->second, 0);
  if (!f) throw ValueError(what + ": cannot open: " + zip_strerror(impl_->archive));
  std::string out(static_cast<size_t>(st.size), '\0');
  uint64_t done = 0;
  while (done < st.size) {
    const zip_int64_t r = zip_fread(f, out.data() + done, st.size - done);
    if (r < 0) {
      const std::string text = zip_file_strerror(f);
      zip_fclose(f);
      throw ValueError(what + ": cannot read (damaged data?): " + text);
    }
    if (r == 0) break;
    done += static_cast<uint64_t>(r);
  }
  // Reading one byte more detects data longer than the directory says; libzip checks the CRC at the end.
  char extra = 0;
  const zip_int64_t more = zip_fread(f, &extra, 1);
  zip_fclose(f);
  if (done != st.size || more != 0)
    throw ValueError(what + ": the data does not match the size in the ZIP directory (damaged archive)");
  return out;
}

}  // namespace keras::saving::zip
