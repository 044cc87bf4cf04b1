#pragma once
// Port: where the controller's [pci] configuration comes from (nova.conf's
// device_spec and alias lines), read at start and again on every reload.
#include <optional>
#include <string>
#include <vector>

#include "core/alias.h"
#include "core/device_spec.h"
#include "core/error.h"

namespace pcipass {

struct PciConfigFile {
  DeviceSpecList device_spec;
  AliasTable aliases;
  std::vector<std::string> warnings;  // each naming file, line and field
};

class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  // What the operator names the source by (a path), for `config show` and messages.
  virtual std::string name() const = 0;
  // Reads it whole; an error names the file, line and field, and nothing changes.
  virtual Result<PciConfigFile> load() = 0;
};

}  // namespace pcipass
