#include "host/binding.h"

#include <map>

namespace pcipass {

std::vector<DeviceState> read_device_states(const SysfsReader& sysfs, const Discovery& discovery,
                                            const std::vector<CriticalDevice>& critical) {
  std::map<PciAddress, std::string> why;
  for (const auto& c : critical) why[c.address] = c.why;
  std::vector<DeviceState> out;
  for (const auto& d : discovery.devices) {
    DeviceState s;
    s.address = d.address;
    s.driver = d.driver;
    s.driver_override = d.driver_override;
    s.bridge = d.is_bridge();
    if (auto it = why.find(d.address); it != why.end()) s.host_critical = it->second;
    s.group = d.iommu_group_members;
    if (auto p = sysfs.read(driverctl_path(d.address))) s.persisted = *p;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pcipass
