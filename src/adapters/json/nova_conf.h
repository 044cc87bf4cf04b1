#pragma once
// The controller's PCI configuration from an INI file in nova.conf's syntax: the
// [pci] device_spec and alias lines (and their deprecated spellings, [pci]
// passthrough_whitelist, [DEFAULT] pci_passthrough_whitelist and pci_alias), each a
// JSON value exactly as Nova reads it. Other sections and keys are ignored, so a whole
// nova.conf may be given. Errors name the file, the line and the JSON path.
#include <string>
#include <vector>

#include "core/alias.h"
#include "core/device_spec.h"
#include "ports/config_source.h"

namespace pcipass {

using NovaPciConfig = PciConfigFile;  // warnings read "FILE:LINE: ..."

// `source` names the text in errors (usually the path).
Result<NovaPciConfig> parse_nova_pci_config(std::string_view text, const std::string& source);
Result<NovaPciConfig> load_nova_pci_config(const std::string& path);

// A configuration file is a regular file of at most kMaxConfigBytes (symbolic links to
// one are fine): a directory, a device such as /dev/zero, a FIFO, a socket or a larger
// file is refused (InvalidArgument) before anything is read, so a wrong path can
// neither empty the configuration nor hang the server. NotFound when it is not there.
inline constexpr size_t kMaxConfigBytes = size_t{1} << 20;
Result<std::string> read_config_file(const std::string& path);

// The ConfigSource of `pcipass server --config PATH`.
class NovaConfFile final : public ConfigSource {
 public:
  explicit NovaConfFile(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return path_; }
  Result<PciConfigFile> load() override { return load_nova_pci_config(path_); }

 private:
  std::string path_;
};

}  // namespace pcipass
