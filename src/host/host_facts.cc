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

HostReport host_report_of(const Discovery& d, const std::vector<CriticalDevice>& critical, const Readiness& readiness) {
  HostReport r;
  if (!d.numa.empty()) r.numa = d.numa;
  for (const auto& dev : d.devices) {
    ReportedDevice rd{dev.facts(), dev.fingerprint};
    for (const auto& c : critical)
      if (c.address == dev.address) rd.facts.host_use = c.why.substr(0, 1024);
    r.devices.push_back(std::move(rd));
  }
  r.platform = platform_of(readiness);
  return r;
}

}  // namespace pcipass
