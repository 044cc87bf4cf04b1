#pragma once
// The host-report wire format, and the one codec (one set of rules) for everything
// that reads or writes it: an agent's report (PUT /v1/hosts/NAME), a scenario's hosts,
// the devices `pcipass discover --json` prints, `host import`, and the devices the
// server shows. Field names are the scenario format's (../shared/scenario-format.md):
//   {"numa": [{"id", "cpus", "memory_mb", "socket"}] | null,
//    "devices": [{"address", "vendor_id", "product_id", "class_code", "numa_node",
//                 "sriov_totalvfs", "physfn", "devname", "iommu_group", "fingerprint",
//                 "host_use", "vfio_user", "group_viable", "attention"}],
//    "platform": {"iommu", "interrupt_remapping", "vfio": bool|null, "problems": [text], "warnings": [text]} | null,
//    "manages_devices": bool}
// Every device field but address, vendor_id and product_id may be absent or null.
// What discovery adds beside them (kDiscoveryFields: the driver, names, netdevs, ...)
// is accepted and ignored, so discover's output can be reported or pasted into a
// scenario. Errors name the field by its path, relative to the value parsed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_value.h"
#include "core/device.h"
#include "core/host_inventory.h"

namespace pcipass {

// A device as its host reports it: the facts the scheduler uses, and the fingerprint
// that keeps its identity when its address changes.
struct ReportedDevice {
  DeviceFacts facts;
  std::string fingerprint;
};

struct HostReport {
  std::optional<std::vector<NumaCellSpec>> numa;  // nullopt: the host shows no NUMA nodes
  std::vector<ReportedDevice> devices;
  std::optional<HostPlatform> platform;           // nullopt: not said (an older agent)
  // Its agent carries out placements (`agent --manage-devices`): servers placed there
  // are built by it. Absent: false.
  bool manages_devices = false;
};

// The device fields discovery prints that a report does not carry.
extern const std::initializer_list<std::string_view> kDiscoveryFields;

Result<ReportedDevice> parse_reported_device(const ConfigValue& device);
Result<std::vector<NumaCellSpec>> parse_numa_cells(const ConfigValue& cells);
Result<HostPlatform> parse_host_platform(const ConfigValue& platform);
// A platform's problems as one text, one per line (how the stores keep them; a report
// refuses a problem with a newline), and back.
std::string platform_problems_text(const std::vector<std::string>& problems);
std::vector<std::string> platform_problems_from_text(std::string_view text);
ConfigValue host_platform_value(const std::optional<HostPlatform>& platform);
// {"numa", "devices"}: `devices` is required (a list), `numa` may be null or absent.
Result<HostReport> parse_host_report(const ConfigValue& report);

// Every report field of a device, absent ones as null.
ConfigValue reported_device_value(const ReportedDevice& device);
ConfigValue numa_cells_value(const std::optional<std::vector<NumaCellSpec>>& numa);
ConfigValue host_report_value(const HostReport& report);

}  // namespace pcipass
