#include "host/host_facts.h"

namespace pcipass {

HostPlatform platform_of(const Readiness& readiness) {
  HostPlatform p;
  for (const auto& item : readiness.items) {
    const bool ok = item.status != CheckStatus::Fail;
    if (item.name == "iommu") p.iommu = ok;
    else if (item.name == "interrupt-remapping") p.interrupt_remapping = item.status == CheckStatus::Ok;
    else if (item.name == "vfio-modules") p.vfio = ok;
    if (ok || item.name.rfind("group", 0) == 0) continue;  // a group's trouble is per device, not the host's
    std::string line = item.name + ": " + item.detail + (item.fix.empty() ? "" : "; fix: " + item.fix);
    for (auto& c : line)
      if (c == '\n') c = ' ';
    if (line.size() > 1024) line.resize(1024);
    p.problems.push_back(std::move(line));
  }
  return p;
}

namespace {
// A VF the host itself uses: on a host driver, with a network interface that is up.
std::optional<std::string> vf_host_use(const SysfsReader& sysfs, const DiscoveredDevice& dev) {
  if (!dev.physfn || !dev.driver || *dev.driver == "vfio-pci") return std::nullopt;
  for (const auto& n : dev.netdevs) {
    auto state = sysfs.read("sys/class/net/" + n + "/operstate");
    if (!state) continue;
    std::string s = *state;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    if (s == "up") return "its network interface " + n + " is up on the host (driver " + *dev.driver + ")";
  }
  return std::nullopt;
}
}  // namespace

HostReport host_report_of(const SysfsReader& sysfs, const Discovery& d, const std::vector<CriticalDevice>& critical,
                          const Readiness& readiness) {
  HostReport r;
  if (!d.numa.empty()) r.numa = d.numa;
  for (const auto& dev : d.devices) {
    ReportedDevice rd{dev.facts(), dev.fingerprint};
    for (const auto& c : critical)
      if (c.address == dev.address) rd.facts.host_use = c.why.substr(0, 1024);
    if (!rd.facts.host_use)
      if (auto used = vf_host_use(sysfs, dev)) rd.facts.host_use = used->substr(0, 1024);
    r.devices.push_back(std::move(rd));
  }
  r.platform = platform_of(readiness);
  return r;
}

}  // namespace pcipass
