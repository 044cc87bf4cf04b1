#pragma once
// Device facts as a host reports them (sysfs or a scenario), before allow-listing.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  // Its netdev's operstate ("up", "down", "lowerlayerdown", ...) as its agent read it;
  // nullopt: no netdev, or the agent did not say.
  std::optional<std::string> link;
  std::optional<uint32_t> iommu_group; // nullopt: alone in its group
  // Why the host itself depends on it ("carries the default route (eno1)"), as its agent
  // judged; nullopt: it does not, or the agent did not say (an older agent).
  std::optional<std::string> host_use;
  // Who holds its VFIO group or device file open ("qemu-system-x86 (pid 4242)"), as its
  // agent saw: the device is in use by a VM, pcipass's or not. nullopt: nobody, or the
  // agent did not say.
  std::optional<std::string> vfio_user;
  // Whether its IOMMU group can be given to a guest at all, as its agent's `check` judged
  // (false: a member is one the host depends on). nullopt: no group, or not said.
  std::optional<bool> group_viable;
  // Why it needs an operator before it is handed out again ("restore: VFs did not come
  // back"), as its agent recorded when a restore failed; nullopt: it does not.
  std::optional<std::string> attention;

  DeviceType type() const {
    if (physfn) return DeviceType::Vf;
    if (sriov_totalvfs > 0) return DeviceType::Pf;
    return DeviceType::Pci;
  }
  // PCI base class 0x06 (bridge): bridges never count as group companions.
  bool is_bridge() const { return class_code && ((*class_code >> 16) & 0xff) == 0x06; }
};

// Whether a host can do passthrough at all, as its agent's `check` judged it. Each
// problem is what is wrong and how to fix it; none: ready. An older agent sends nothing
// (nullopt), and such a host is taken as ready, as before.
struct HostPlatform {
  std::optional<bool> iommu;                // an IOMMU is active
  std::optional<bool> interrupt_remapping;  // remapped (IR-) interrupts seen
  std::optional<bool> vfio;                 // vfio, vfio_pci and vfio_iommu_type1 available
  std::vector<std::string> problems;
  // What `check` warns of that does not stop passthrough (no interrupt remapping, a
  // persisted override that no longer fits its address): shown, never withheld for.
  std::vector<std::string> warnings;
  bool operator==(const HostPlatform&) const = default;
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
