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

namespace pcipass {

struct NovaPciConfig {
  DeviceSpecList device_spec;
  AliasTable aliases;
  std::vector<std::string> warnings;  // "FILE:LINE: ..."
};

// `source` names the text in errors (usually the path).
Result<NovaPciConfig> parse_nova_pci_config(std::string_view text, const std::string& source);
Result<NovaPciConfig> load_nova_pci_config(const std::string& path);

}  // namespace pcipass
