#include "adapters/sysfs/posix_sysfs_writer.h"

#include "adapters/sysfs/posix_errors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pcipass {

Error errno_to_error(int err, const std::string& path, const char* what) {
  ErrorCode code = ErrorCode::Io;
  if (err == ENOENT || err == ENODEV || err == ENOTDIR || err == ENXIO) code = ErrorCode::NotFound;
  else if (err == EBUSY || err == EEXIST) code = ErrorCode::Conflict;
  else if (err == EACCES || err == EPERM || err == EROFS) code = ErrorCode::PermissionDenied;
  else if (err == EINVAL || err == ERANGE) code = ErrorCode::InvalidArgument;
  return Error(code, std::string("cannot ") + what + " " + path + ": " + std::strerror(err));
}

PosixSysfsWriter::PosixSysfsWriter(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = "/";
  if (root_.back() != '/') root_ += '/';
}

std::string PosixSysfsWriter::full(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return root_ + std::string(path);
}

Status PosixSysfsWriter::write_attribute(std::string_view path, std::string_view value) {
  const std::string p = full(path);
  int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_to_error(errno, p, "write");
  ssize_t n;
  do n = ::write(fd, value.data(), value.size());
  while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) return errno_to_error(err, p, "write");
  if (static_cast<size_t>(n) != value.size()) return Error(ErrorCode::Io, "short write to " + p);
  return ok_status();
}

static Status make_parents(const std::string& p) {
  for (size_t pos = p.find('/', 1); pos != std::string::npos; pos = p.find('/', pos + 1)) {
    std::string dir = p.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno_to_error(errno, dir, "create directory");
  }
  return ok_status();
}

Status PosixSysfsWriter::write_file(std::string_view path, std::string_view content) {
  const std::string p = full(path);
  if (auto st = make_parents(p); !st) return st;
  const std::string tmp = p + ".pcipass-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_to_error(errno, tmp, "create");
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return errno_to_error(err, tmp, "write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_to_error(err, tmp, "write");
  }
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_to_error(err, p, "replace");
  }
  // The rename itself survives a crash only once its directory is on disk (the agent's
  // journal relies on it).
  const std::string dir = p.substr(0, p.find_last_of('/') + 1);
  if (int d = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    const int synced = ::fsync(d);
    const int err = errno;
    ::close(d);
    if (synced != 0) return errno_to_error(err, dir, "sync");
  }
  return ok_status();
}

Status PosixSysfsWriter::remove_file(std::string_view path) {
  const std::string p = full(path);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return errno_to_error(errno, p, "remove");
  return ok_status();
}

}  // namespace pcipass
