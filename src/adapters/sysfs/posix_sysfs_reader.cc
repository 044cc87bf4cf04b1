#include "adapters/sysfs/posix_sysfs_reader.h"

#include "adapters/sysfs/posix_errors.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace pcipass {

namespace {

Result<std::string> read_fd_file(int dirfd, const std::string& name, const std::string& shown, size_t max_bytes) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_to_error(errno, shown, "read");
  std::string out;
  char buf[4096];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return errno_to_error(err, shown, "read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof buf) break;
  }
  ::close(fd);
  return out;
}

Result<std::vector<std::string>> list_fd(int dirfd, const std::string& name, const std::string& shown) {
  int fd = ::openat(dirfd, name.empty() ? "." : name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_to_error(errno, shown, "list");
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int err = errno;
    ::close(fd);
    return errno_to_error(err, shown, "list");
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// A directory held open: each access resolves one component relative to it.
class FdDirectory final : public SysfsDirectory {
 public:
  FdDirectory(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FdDirectory() override { ::close(fd_); }
  FdDirectory(const FdDirectory&) = delete;
  FdDirectory& operator=(const FdDirectory&) = delete;
  Result<std::string> read(std::string_view name, size_t max_bytes) const override {
    return read_fd_file(fd_, std::string(name), path_ + std::string(name), max_bytes);
  }
  Result<std::string> read_link(std::string_view name) const override {
    char buf[4096];
    const std::string n(name);
    ssize_t len = ::readlinkat(fd_, n.c_str(), buf, sizeof buf - 1);
    if (len < 0) return errno_to_error(errno, path_ + n, "read link");
    return std::string(buf, static_cast<size_t>(len));
  }
  Result<std::vector<std::string>> list(std::string_view name) const override {
    return list_fd(fd_, std::string(name), path_ + std::string(name));
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

PosixSysfsReader::PosixSysfsReader(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = "/";
  if (root_.back() != '/') root_ += '/';
}

std::string PosixSysfsReader::full(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return root_ + std::string(path);
}

Result<std::string> PosixSysfsReader::read(std::string_view path, size_t max_bytes) const {
  const std::string p = full(path);
  return read_fd_file(AT_FDCWD, p, p, max_bytes);
}

Result<std::string> PosixSysfsReader::read_link(std::string_view path) const {
  const std::string p = full(path);
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
  if (n < 0) return errno_to_error(errno, p, "read link");
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::vector<std::string>> PosixSysfsReader::list(std::string_view dir) const {
  const std::string p = full(dir);
  return list_fd(AT_FDCWD, p, p);
}


Result<std::unique_ptr<SysfsDirectory>> PosixSysfsReader::open_directory(std::string_view path) const {
  std::string p = full(path);
  if (p.back() != '/') p += '/';
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_to_error(errno, p, "open");
  return std::unique_ptr<SysfsDirectory>(std::make_unique<FdDirectory>(fd, p));
}

bool PosixSysfsReader::exists(std::string_view path) const {
  struct stat st;
  return ::lstat(full(path).c_str(), &st) == 0;
}

Result<SysfsReader::Owner> PosixSysfsReader::owner(std::string_view path) const {
  struct stat st;
  const std::string p = full(path);
  if (::stat(p.c_str(), &st) != 0) return Error(errno == ENOENT ? ErrorCode::NotFound : ErrorCode::Io, p + ": " + std::strerror(errno));
  Owner o;
  o.mode = st.st_mode & 07777;
  std::vector<char> buf(16384);
  struct group g;
  struct group* found = nullptr;
  if (::getgrgid_r(st.st_gid, &g, buf.data(), buf.size(), &found) == 0 && found) o.group = found->gr_name;
  else o.group = std::to_string(st.st_gid);
  return o;
}

}  // namespace pcipass
