#pragma once
// Reads what the bind planner needs from the host: each device's driver, override,
// IOMMU group, host-critical role and persisted driverctl override.
#include <vector>

#include "core/bind_plan.h"
#include "core/sriov_plan.h"
#include "host/discovery.h"
#include "host/host_critical.h"

namespace pcipass {

// The SR-IOV state of a PF; NotFound if there is no such device.
Result<PfState> read_pf_state(const SysfsReader& sysfs, const Discovery& discovery, PciAddress pf);

// The persistence files under the reader's root, as they are now.
PersistenceFiles read_persistence_files(const SysfsReader& sysfs);

std::vector<DeviceState> read_device_states(const SysfsReader& sysfs, const Discovery& discovery,
                                            const std::vector<CriticalDevice>& critical);

}  // namespace pcipass
