#pragma once
// Port: read-only access to a sysfs-shaped tree. Paths are relative to the reader's
// root ("sys/bus/pci/devices/0000:41:00.0/vendor"), so tests and tools can point it
// at a fixture tree; the real adapter defaults to "/".
// Errors: NotFound (absent), PermissionDenied, Io; messages name the path.
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pcipass {

class SysfsReader {
 public:
  virtual ~SysfsReader() = default;
  // The whole file (sysfs attributes are small; at most max_bytes are read).
  virtual Result<std::string> read(std::string_view path, size_t max_bytes = 65536) const = 0;
  // The target of a symbolic link, as stored.
  virtual Result<std::string> read_link(std::string_view path) const = 0;
  // Entry names of a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> list(std::string_view dir) const = 0;
  virtual bool exists(std::string_view path) const = 0;
};

}  // namespace pcipass
