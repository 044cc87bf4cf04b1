#pragma once
// A boot from request to claim, the one way both `pcipass simulate` and the controller
// take. plan_boot() decides where and on what (it changes nothing) and says all the
// boot will hold: every device with the PCI request it serves (IOMMU-group companions
// with the request that takes them) and the host NUMA cells with their share, so that
// a store can record the claim before the fleet takes it. record_boot() then claims
// that plan in the fleet, all or nothing.
#include <optional>
#include <string>
#include <vector>

#include "core/fleet.h"

namespace pcipass {

struct PlannedDevice {
  PciAddress address;
  uint32_t request = 0;  // index of the PCI request it serves
};

struct PlannedCell {
  uint32_t cell_id = 0;  // the host's NUMA cell id
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
};

struct PlannedBoot {
  BootPlan plan;
  std::string host;
  std::vector<PlannedDevice> devices;  // in request order, companions after what took them
  std::vector<PlannedCell> cells;      // one per instance NUMA cell
};

// AlreadyExists when the fleet holds `id`; NoValidHost when nothing fits (without the
// per-host reasons: Fleet::explain gives them, when the caller wants to spend that).
Result<PlannedBoot> plan_boot(const Fleet& fleet, const std::string& id, const InstanceShape& shape,
                              std::optional<HostIndex> forced, Weigher weigher);
// Claims the plan for `id`; an error (the fleet changed since the plan) claims nothing.
Result<const InstanceRecord*> record_boot(Fleet& fleet, const std::string& id, const InstanceShape& shape, const PlannedBoot& planned);

}  // namespace pcipass
