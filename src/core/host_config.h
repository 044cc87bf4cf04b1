#pragma once
// Declarative host state for `pcipass apply` (format pcipass-host/1): VF counts per
// PF and the devices to pass through, by full address or by vendor:product, in the
// spirit of OpenNebula one-deploy's node role. Errors name the JSON path.
#include <optional>
#include <string>
#include <vector>

#include "core/config_value.h"
#include "core/pci_address.h"
#include "core/pci_id.h"

namespace pcipass {

inline constexpr std::string_view kHostConfigFormat = "pcipass-host/1";

struct SriovWanted {
  PciAddress pf;
  uint32_t vfs = 0;
  bool autoprobe = true;
};

struct PassthroughWanted {
  std::optional<PciAddress> address;  // exactly one of address / ids
  std::optional<std::pair<PciId, PciId>> ids;
  std::string describe() const;
};

struct HostConfig {
  std::vector<SriovWanted> sriov;
  std::vector<PassthroughWanted> passthrough;
  std::vector<PciAddress> fixed;  // PFs whose mode pcipass never changes (see DeviceSpec::fixed)
  bool persist = true;     // pcipass's id-keyed udev rules
  bool driverctl = false;  // with persist: driverctl's address-only files too
  bool force = false;
  std::string vfio_group = "kvm";
  std::string vfio_mode = "0660";
};

Result<HostConfig> parse_host_config(const ConfigValue& root);

}  // namespace pcipass
