#include "adapters/sysfs/posix_sysfs_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pcipass {
namespace {

Error errno_error(int err, const std::string& path, const char* what) {
  ErrorCode code = err == ENOENT || err == ENOTDIR || err == ENODEV ? ErrorCode::NotFound
                   : err == EACCES || err == EPERM               ? ErrorCode::PermissionDenied
                                                                  : ErrorCode::Io;
  return Error(code, std::string("cannot ") + what + " " + path + ": " + std::strerror(err));
}

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
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(errno, p, "read");
  std::string out;
  char buf[4096];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return errno_error(err, p, "read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    // A short read is the end: sysfs attributes arrive in one read, regular files are
    // only short at EOF. Saves the second read(2) per attribute.
    if (static_cast<size_t>(n) < sizeof buf) break;
  }
  ::close(fd);
  return out;
}

Result<std::string> PosixSysfsReader::read_link(std::string_view path) const {
  const std::string p = full(path);
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
  if (n < 0) return errno_error(errno, p, "read link");
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::vector<std::string>> PosixSysfsReader::list(std::string_view dir) const {
  const std::string p = full(dir);
  DIR* d = ::opendir(p.c_str());
  if (!d) return errno_error(errno, p, "list");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool PosixSysfsReader::exists(std::string_view path) const {
  struct stat st;
  return ::lstat(full(path).c_str(), &st) == 0;
}

}  // namespace pcipass
