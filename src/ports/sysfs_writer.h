#pragma once
// Port: changes to a sysfs-shaped tree and to persistence files under the same root.
// Attribute writes are single write(2)s the kernel acts on (driver_override, unbind,
// drivers_probe, sriov_numvfs); files (driverctl overrides, udev rules, modprobe.d)
// are replaced atomically. Errors name the path and map errno: NotFound (ENOENT,
// ENODEV), Conflict (EBUSY, EEXIST), PermissionDenied, InvalidArgument (EINVAL), Io.
#include <string_view>

#include "core/error.h"

namespace pcipass {

class SysfsWriter {
 public:
  virtual ~SysfsWriter() = default;
  virtual Status write_attribute(std::string_view path, std::string_view value) = 0;
  // Creates parent directories as needed.
  virtual Status write_file(std::string_view path, std::string_view content) = 0;
  // An absent file is not an error.
  virtual Status remove_file(std::string_view path) = 0;
};

}  // namespace pcipass
