#pragma once
// Port: read-only access to a sysfs-shaped tree. Paths are relative to the reader's
// root ("sys/bus/pci/devices/0000:41:00.0/vendor"), so tests and tools can point it
// at a fixture tree; the real adapter defaults to "/".
// Errors: NotFound (absent), PermissionDenied, Io; messages name the path.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pcipass {

// Access relative to one directory (a device's), so each read walks one path component.
class SysfsDirectory {
 public:
  virtual ~SysfsDirectory() = default;
  virtual Result<std::string> read(std::string_view name, size_t max_bytes = 65536) const = 0;
  virtual Result<std::string> read_link(std::string_view name) const = 0;
  // Entries of the directory itself ("") or of a subdirectory, sorted.
  virtual Result<std::vector<std::string>> list(std::string_view name = "") const = 0;
};

class SysfsReader {
 public:
  virtual ~SysfsReader() = default;
  // A handle on a directory. The default forwards to the methods below with a path
  // prefix; adapters may do better (the POSIX one holds a directory descriptor).
  virtual Result<std::unique_ptr<SysfsDirectory>> open_directory(std::string_view path) const;
  // The whole file (sysfs attributes are small; at most max_bytes are read).
  virtual Result<std::string> read(std::string_view path, size_t max_bytes = 65536) const = 0;
  // The target of a symbolic link, as stored.
  virtual Result<std::string> read_link(std::string_view path) const = 0;
  // Entry names of a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> list(std::string_view dir) const = 0;
  virtual bool exists(std::string_view path) const = 0;
  // Who owns a file (a device node: /dev/vfio/N): its group's name (its number when it
  // has none) and its permission bits. The default: NotFound (a reader of a tree
  // without owners).
  struct Owner {
    std::string group;
    uint32_t mode = 0;  // st_mode & 07777
  };
  virtual Result<Owner> owner(std::string_view path) const;
};

// The default SysfsDirectory: path-prefixed calls on a reader.
class PrefixedSysfsDirectory final : public SysfsDirectory {
 public:
  PrefixedSysfsDirectory(const SysfsReader& reader, std::string prefix) : reader_(reader), prefix_(std::move(prefix)) {}
  Result<std::string> read(std::string_view name, size_t max_bytes) const override {
    return reader_.read(prefix_ + std::string(name), max_bytes);
  }
  Result<std::string> read_link(std::string_view name) const override { return reader_.read_link(prefix_ + std::string(name)); }
  Result<std::vector<std::string>> list(std::string_view name) const override { return reader_.list(prefix_ + std::string(name)); }

 private:
  const SysfsReader& reader_;
  std::string prefix_;
};

inline Result<SysfsReader::Owner> SysfsReader::owner(std::string_view path) const {
  return Error(ErrorCode::NotFound, std::string(path) + ": this reader knows no owners");
}

inline Result<std::unique_ptr<SysfsDirectory>> SysfsReader::open_directory(std::string_view path) const {
  std::string prefix(path);
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  auto listing = list(prefix);
  if (!listing) return std::move(listing).error();
  return std::unique_ptr<SysfsDirectory>(std::make_unique<PrefixedSysfsDirectory>(*this, std::move(prefix)));
}

}  // namespace pcipass
