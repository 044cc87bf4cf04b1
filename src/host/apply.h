#pragma once
// `pcipass apply`: bring a host to a HostConfig in two phases (VF counts, then binding,
// because binding by vendor:product must see the VFs the first phase creates), and
// report drift between the host and the config.
#include <string>
#include <vector>

#include "core/host_config.h"
#include "host/binding.h"
#include "host/plan_executor.h"

namespace pcipass {

// Phase 1: every PF's VF count.
Result<BindPlan> plan_apply_sriov(const HostConfig& config, const SysfsReader& sysfs, const Discovery& discovery);
// Phase 2: every device the config names, with its IOMMU group, to vfio-pci.
Result<BindPlan> plan_apply_bind(const HostConfig& config, const SysfsReader& sysfs, const Discovery& discovery);
// Non-bridge devices matching the passthrough entries.
std::vector<PciAddress> matched_devices(const HostConfig& config, const Discovery& discovery);

struct ApplyOutcome {
  BindPlan sriov, bind;
  std::optional<Error> failure;
  bool rolled_back = true;
  std::vector<std::string> rollback_errors;
};
// The declared passthrough devices the host does not have, one line each
// ("passthrough[1]: no 8086:154c device on this host").
std::vector<std::string> missing_passthrough(const HostConfig& config, const Discovery& discovery);
// Runs both phases; a failure in either undoes everything done. A declared device still
// missing once the VFs are made is a failure (NotFound).
// `progress` (if set) hears of the scans and of each step.
ApplyOutcome apply(const HostConfig& config, const SysfsReader& sysfs, SysfsWriter& writer, const Progress* progress = nullptr);

// Differences between the host and the config, one line each (empty: in line).
std::vector<std::string> find_drift(const HostConfig& config, const SysfsReader& sysfs, const Discovery& discovery);

}  // namespace pcipass
