#pragma once
// Parsers for the text (and bytes) the kernel puts in sysfs files. Pure: they take
// the file's content; reading it is the SysfsReader's job.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/pci_id.h"

namespace pcipass {

// "0x8086\n" (vendor, device, class, subsystem ids, revision) -> value <= max.
Result<uint32_t> parse_sysfs_hex(std::string_view text, uint32_t max);
// "64\n" (sriov_totalvfs, sriov_numvfs, acpi_index, physical_package_id).
Result<uint32_t> parse_sysfs_uint(std::string_view text);
// numa_node: "-1\n" means no affinity.
Result<std::optional<uint32_t>> parse_sysfs_numa_node(std::string_view text);
// driver_override: "(null)\n" means none.
std::optional<std::string> parse_driver_override(std::string_view text);
// "Node 0 MemTotal:  131072000 kB" -> MB.
Result<uint64_t> parse_node_meminfo_total_mb(std::string_view text);
// The serial number (SN keyword of the VPD-R section) of PCI VPD bytes, if present
// and well formed; never reads past the data.
std::optional<std::string> parse_vpd_serial(std::string_view bytes);
// Identity fields of a PCI config-space header (the first 64 bytes of sysfs "config").
struct ConfigHeader {
  PciId vendor_id, device_id, subsystem_vendor_id, subsystem_device_id;
  uint32_t class_code = 0;
  uint32_t revision = 0;
};
// nullopt if shorter than 48 bytes or the vendor reads 0xffff (device gone or absent).
std::optional<ConfigHeader> parse_config_header(std::string_view bytes);

// Last path component of a link target: "../../../bus/pci/drivers/i40e" -> "i40e".
std::string_view link_basename(std::string_view target);

// Names from the pci.ids database, keeping only the vendors and devices asked for.
class PciIdsDb {
 public:
  static PciIdsDb parse(std::string_view text, const std::set<std::pair<PciId, PciId>>& wanted);
  std::optional<std::string> vendor_name(PciId vendor) const;
  std::optional<std::string> device_name(PciId vendor, PciId device) const;
  // The subsystem's name under a device ("\t\tSVID SDID  name" lines).
  std::optional<std::string> subsystem_name(PciId vendor, PciId device, PciId subvendor, PciId subdevice) const;

 private:
  std::map<PciId, std::string> vendors_;
  std::map<std::pair<PciId, PciId>, std::string> devices_;
  std::map<std::tuple<PciId, PciId, PciId, PciId>, std::string> subsystems_;
};

}  // namespace pcipass
