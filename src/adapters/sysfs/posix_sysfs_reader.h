#pragma once
// SysfsReader over the real filesystem under an injected root (default "/").
#include <string>

#include "ports/sysfs_reader.h"

namespace pcipass {

class PosixSysfsReader final : public SysfsReader {
 public:
  explicit PosixSysfsReader(std::string root = "/");
  Result<std::string> read(std::string_view path, size_t max_bytes = 65536) const override;
  Result<std::string> read_link(std::string_view path) const override;
  Result<std::vector<std::string>> list(std::string_view dir) const override;
  bool exists(std::string_view path) const override;
  Result<Owner> owner(std::string_view path) const override;
  Result<std::unique_ptr<SysfsDirectory>> open_directory(std::string_view path) const override;
  const std::string& root() const { return root_; }

 private:
  std::string full(std::string_view path) const;
  std::string root_;
};

}  // namespace pcipass
