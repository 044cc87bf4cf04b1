#include "host/binding.h"

#include <algorithm>
#include <map>

#include "host/host_facts.h"

namespace pcipass {

PersistenceFiles read_persistence_files(const SysfsReader& sysfs) {
  PersistenceFiles f;
  if (auto r = sysfs.read(std::string(kVfioUdevRule))) f.vfio_rule = *r;
  if (auto r = sysfs.read(std::string(kBindRules), 1 << 20)) f.bind_rules = *r;
  if (auto files = sysfs.list("etc/driverctl.d"))
    for (const auto& name : *files)
      if (name.rfind("pci-", 0) == 0)
        if (auto a = PciAddress::parse(std::string_view(name).substr(4)))
          if (auto content = sysfs.read("etc/driverctl.d/" + name)) f.driverctl.emplace_back(*a, *content);
  return f;
}

std::vector<DeviceState> read_device_states(const SysfsReader& sysfs, const Discovery& discovery,
                                            const std::vector<CriticalDevice>& critical) {
  std::map<PciAddress, std::string> why;
  for (const auto& c : critical) why[c.address] = c.why;
  const auto open = vfio_users(sysfs, discovery);
  std::vector<DeviceState> out;
  for (const auto& d : discovery.devices) {
    DeviceState s;
    s.address = d.address;
    s.driver = d.driver;
    s.driver_override = d.driver_override;
    s.bridge = d.is_bridge();
    if (auto it = why.find(d.address); it != why.end()) s.host_critical = it->second;
    s.group = d.iommu_group_members;
    s.vendor_id = d.vendor_id;
    s.device_id = d.product_id;
    s.subsystem_vendor_id = d.subsystem_vendor_id;
    s.subsystem_device_id = d.subsystem_device_id;
    s.fingerprint = d.fingerprint;
    if (auto p = sysfs.read(driverctl_path(d.address))) s.persisted = *p;
    for (PciAddress vf : d.virtfns) {
      auto it = std::find_if(discovery.devices.begin(), discovery.devices.end(), [&](const DiscoveredDevice& x) { return x.address == vf; });
      s.vfs.emplace_back(vf, it == discovery.devices.end() ? std::nullopt : it->driver);
      if (auto who = open.find(vf); who != open.end()) s.vfs_open.emplace_back(vf, who->second);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<PfState> read_pf_state(const SysfsReader& sysfs, const Discovery& discovery, PciAddress pf) {
  std::map<PciAddress, const DiscoveredDevice*> by_address;
  for (const auto& d : discovery.devices) by_address[d.address] = &d;
  auto it = by_address.find(pf);
  if (it == by_address.end()) return Error(ErrorCode::NotFound, pf.to_string() + ": no such PCI device on this host");
  const DiscoveredDevice& d = *it->second;
  PfState s;
  s.address = pf;
  s.driver = d.driver;
  s.totalvfs = d.sriov_totalvfs.value_or(0);
  s.numvfs = d.sriov_numvfs.value_or(0);
  if (auto a = sysfs.read("sys/bus/pci/devices/" + pf.to_string() + "/sriov_drivers_autoprobe"))
    s.autoprobe = a->find('0') == std::string::npos;
  for (const auto& vf : d.virtfns) {
    auto v = by_address.find(vf);
    s.vfs.emplace_back(vf, v == by_address.end() ? std::nullopt : v->second->driver);
  }
  return s;
}

}  // namespace pcipass
