#pragma once
// What an agent tells the controller about its host besides the devices (issue 11):
// whether the host can do passthrough at all, as `pcipass check` judges it, and which
// devices the host itself depends on and why. The controller withholds what this says
// the host cannot safely give.
#include "core/host_report.h"
#include "host/discovery.h"
#include "host/host_critical.h"
#include "host/readiness.h"

namespace pcipass {

// The platform as `check` judged it: each failing platform item becomes a problem
// ("iommu: <what was found>; fix: <how>"), and IOMMU, interrupt remapping and vfio
// are set from their items.
HostPlatform platform_of(const Readiness& readiness);

// The report of a host: its devices (each with host_use when the host depends on it:
// a host-critical device, or a VF on a host driver whose network interface is up), its
// NUMA cells and its platform.
HostReport host_report_of(const SysfsReader& sysfs, const Discovery& discovery, const std::vector<CriticalDevice>& critical,
                          const Readiness& readiness);

}  // namespace pcipass
