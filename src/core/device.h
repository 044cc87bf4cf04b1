#pragma once
// Device facts as a host reports them (sysfs or a scenario), before allow-listing.
#include <cstdint>
#include <optional>
#include <string>

#include "core/pci_address.h"
#include "core/pci_id.h"

namespace pcipass {

// Type from sysfs facts: physfn -> VF, sriov_totalvfs > 0 -> PF, else plain PCI.
enum class DeviceType : uint8_t { Pci, Pf, Vf };

// Nova's names: "type-PCI", "type-PF", "type-VF".
const char* nova_type_name(DeviceType type);

struct DeviceFacts {
  PciAddress address;
  PciId vendor_id;
  PciId product_id;
  std::optional<uint32_t> class_code;  // 24-bit class/subclass/prog-if
  std::optional<uint32_t> numa_node;   // nullopt: no NUMA affinity reported
  uint32_t sriov_totalvfs = 0;
  std::optional<PciAddress> physfn;
  std::string devname;                 // netdev name, may be empty
  std::optional<uint32_t> iommu_group; // nullopt: alone in its group

  DeviceType type() const {
    if (physfn) return DeviceType::Vf;
    if (sriov_totalvfs > 0) return DeviceType::Pf;
    return DeviceType::Pci;
  }
  // PCI base class 0x06 (bridge): bridges never count as group companions.
  bool is_bridge() const { return class_code && ((*class_code >> 16) & 0xff) == 0x06; }
};

inline const char* nova_type_name(DeviceType type) {
  switch (type) {
    case DeviceType::Pci: return "type-PCI";
    case DeviceType::Pf: return "type-PF";
    case DeviceType::Vf: return "type-VF";
  }
  return "type-PCI";
}

}  // namespace pcipass
