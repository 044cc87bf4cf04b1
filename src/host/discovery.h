#pragma once
// Host discovery: every PCI device the kernel shows in sysfs, with the facts the
// scheduler and the binding code need, read through the SysfsReader port.
// A scan never fails as a whole: a device that cannot be read, or vanishes while it
// is being read, is reported in `skipped`; unreadable optional attributes in `notes`.
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/host_inventory.h"
#include "core/sysfs_parse.h"
#include "core/progress.h"
#include "ports/sysfs_reader.h"

namespace pcipass {

struct DiscoveredDevice {
  PciAddress address;
  PciId vendor_id, product_id, subsystem_vendor_id, subsystem_device_id;
  uint32_t class_code = 0;
  std::optional<uint32_t> revision;
  std::optional<std::string> vendor_name, product_name, subsystem_name;  // from pci.ids
  std::optional<std::string> driver;
  std::optional<std::string> driver_override;
  std::optional<std::string> persisted_override;  // pcipass's bind rule for it (ids match), else driverctl's file
  std::optional<uint32_t> numa_node;
  std::optional<uint32_t> iommu_group;
  std::vector<PciAddress> iommu_group_members;  // including this device
  std::optional<uint32_t> sriov_totalvfs, sriov_numvfs;
  std::optional<PciAddress> physfn;
  std::vector<PciAddress> virtfns;  // by VF index
  std::vector<std::string> netdevs;
  std::optional<std::string> link;  // the first netdev's operstate
  std::optional<std::string> mac;   // of the first netdev
  std::optional<std::string> vpd_serial;
  std::vector<std::string> reset_methods;
  std::string sysfs_path;           // under sys/devices, e.g. pci0000:40/0000:40:01.0/0000:41:00.0
  // Stable identity across address changes: "vpd:...", "slot:...", "acpi:...",
  // "vf:<PF fingerprint>#<index>", or "path:<parent path>/<slot.fn>:<vendor>:<device>".
  std::string fingerprint;
  bool has_acpi_index = false;  // sysfs offers acpi_index (read only for the fingerprint)

  bool is_bridge() const { return ((class_code >> 16) & 0xff) == 0x06; }
  // The scheduler's view of the device (the scenario format's fields).
  DeviceFacts facts() const;
};

struct SkippedEntry {
  std::string what;    // an address or sysfs path
  std::string reason;
};

struct Discovery {
  std::vector<DiscoveredDevice> devices;  // by address
  std::vector<NumaCellSpec> numa;         // empty if the kernel shows no NUMA nodes
  std::vector<SkippedEntry> skipped;      // devices not reported, and why
  std::vector<SkippedEntry> notes;        // attributes that could not be read
};

// Scans sys/bus/pci/devices. `names`, if given, supplies vendor and device names.
// `progress` (if set) hears of each device read ("scanning devices", done, total).
Discovery discover(const SysfsReader& sysfs, const std::string* pci_ids_text = nullptr, const Progress* progress = nullptr);

}  // namespace pcipass
