#pragma once
// SysfsWriter over the real filesystem under an injected root (default "/").
#include <string>

#include "ports/sysfs_writer.h"

namespace pcipass {

class PosixSysfsWriter final : public SysfsWriter {
 public:
  explicit PosixSysfsWriter(std::string root = "/");
  Status write_attribute(std::string_view path, std::string_view value) override;
  Status write_file(std::string_view path, std::string_view content) override;
  Status remove_file(std::string_view path) override;

 private:
  std::string full(std::string_view path) const;
  std::string root_;
};

}  // namespace pcipass
