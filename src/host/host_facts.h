#pragma once
// What an agent tells the controller about its host besides the devices (issue 11):
// whether the host can do passthrough at all, as `pcipass check` judges it, and which
// devices the host itself depends on and why. The controller withholds what this says
// the host cannot safely give.
#include <map>
#include <string>

#include "core/host_report.h"
#include "host/discovery.h"
#include "host/host_critical.h"
#include "host/readiness.h"

namespace pcipass {

// The platform as `check` judged it: each failing platform item becomes a problem
// ("iommu: <what was found>; fix: <how>"), and IOMMU, interrupt remapping and vfio
// are set from their items.
HostPlatform platform_of(const Readiness& readiness);

// Who holds each vfio-pci device open, by address ("qemu-system-x86 (pid 4242)"): a
// process with its VFIO group (/dev/vfio/G, noiommu-G) or device file
// (/dev/vfio/devices/vfioN) among its open files in proc/PID/fd. A process whose files
// cannot be read (another user's, when not root) is passed over.
std::map<PciAddress, std::string> vfio_users(const SysfsReader& sysfs, const Discovery& discovery);

// The report of a host: its devices (each with host_use when the host depends on it:
// a host-critical device, or a VF on a host driver whose network interface is up; and
// vfio_user when a process holds it open; group_viable for an endpoint in an IOMMU
// group: false when a member is one the host depends on), its NUMA cells and platform.
HostReport host_report_of(const SysfsReader& sysfs, const Discovery& discovery, const std::vector<CriticalDevice>& critical,
                          const Readiness& readiness);

}  // namespace pcipass
