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
