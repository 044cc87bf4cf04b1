#include "host/host_facts.h"

#include <algorithm>
#include <map>

#include "core/hex.h"

namespace pcipass {

HostPlatform platform_of(const Readiness& readiness) {
  HostPlatform p;
  for (const auto& item : readiness.items) {
    const bool ok = item.status != CheckStatus::Fail;
    if (item.name == "iommu") p.iommu = ok;
    else if (item.name == "interrupt-remapping") p.interrupt_remapping = item.status == CheckStatus::Ok;
    else if (item.name == "vfio-modules") p.vfio = ok;
    if (item.status == CheckStatus::Ok || item.name.rfind("group", 0) == 0) continue;  // a group's trouble is per device
    std::string line = item.name + ": " + item.detail + (item.fix.empty() ? "" : "; fix: " + item.fix);
    for (auto& c : line)
      if (c == '\n') c = ' ';
    if (line.size() > 1024) line.resize(1024);
    (ok ? p.warnings : p.problems).push_back(std::move(line));
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
    if (trim(*state) == "up") return "its network interface " + n + " is up on the host (driver " + *dev.driver + ")";
  }
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::map<PciAddress, std::string> vfio_users(const SysfsReader& sysfs, const Discovery& d) {
  std::map<std::string, std::vector<PciAddress>> files;  // /dev path -> devices it opens
  for (const auto& dev : d.devices) {
    if (dev.driver != std::optional<std::string>("vfio-pci")) continue;
    if (dev.iommu_group) {
      files["/dev/vfio/" + std::to_string(*dev.iommu_group)].push_back(dev.address);
      files["/dev/vfio/noiommu-" + std::to_string(*dev.iommu_group)].push_back(dev.address);
    }
    if (auto cdevs = sysfs.list("sys/bus/pci/devices/" + dev.address.to_string() + "/vfio-dev"))
      for (const auto& c : *cdevs) files["/dev/vfio/devices/" + c].push_back(dev.address);
  }
  std::map<PciAddress, std::string> users;
  if (files.empty()) return users;
  auto pids = sysfs.list("proc");
  if (!pids) return users;
  for (const auto& pid : *pids) {
    if (!all_digits(pid)) continue;
    auto fds = sysfs.list("proc/" + pid + "/fd");  // another user's process, or gone: unknown, as before
    if (!fds) continue;
    for (const auto& fd : *fds) {
      auto target = sysfs.read_link("proc/" + pid + "/fd/" + fd);
      if (!target) continue;
      auto it = files.find(*target);
      if (it == files.end()) continue;
      std::string comm(trim(sysfs.read("proc/" + pid + "/comm", 64).value_or("?")));
      for (auto& c : comm)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      for (PciAddress a : it->second) users.emplace(a, (comm.empty() ? "?" : comm) + " (pid " + pid + ")");
    }
  }
  return users;
}

HostReport host_report_of(const SysfsReader& sysfs, const Discovery& d, const std::vector<CriticalDevice>& critical,
                          const Readiness& readiness) {
  HostReport r;
  if (!d.numa.empty()) r.numa = d.numa;
  const auto open = vfio_users(sysfs, d);
  // A group is viable unless one of its endpoints (bridges aside) is one the host depends on.
  std::map<uint32_t, bool> viable;
  for (const auto& dev : d.devices)
    if (dev.iommu_group && !dev.is_bridge()) {
      auto [it, _] = viable.emplace(*dev.iommu_group, true);
      for (const auto& c : critical)
        if (c.address == dev.address) it->second = false;
    }
  for (const auto& dev : d.devices) {
    ReportedDevice rd{dev.facts(), dev.fingerprint};
    for (const auto& c : critical)
      if (c.address == dev.address) rd.facts.host_use = c.why.substr(0, 1024);
    if (!rd.facts.host_use)
      if (auto used = vf_host_use(sysfs, dev)) rd.facts.host_use = used->substr(0, 1024);
    if (auto user = open.find(dev.address); user != open.end()) rd.facts.vfio_user = user->second.substr(0, 1024);
    if (dev.iommu_group && !dev.is_bridge()) rd.facts.group_viable = viable[*dev.iommu_group];
    r.devices.push_back(std::move(rd));
  }
  r.platform = platform_of(readiness);
  return r;
}

}  // namespace pcipass
