#pragma once
// Tests only: a VfNetwork for fixture trees (see the block below).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "host/discovery.h"
#include "ports/sysfs_reader.h"
#include "ports/vf_network.h"

namespace pcipass::testing {

// What `ip link set PF vf N mac M vlan V` does, for the fixture's PFs: settings kept
// per VF (a VF made anew starts with none), the VF index checked, an unknown interface
// NotFound, and a MAC the "kernel" refuses.
class FixtureVfNetwork final : public VfNetwork {
 public:
  explicit FixtureVfNetwork(const SysfsReader& sysfs) : sysfs_(sysfs) {}
  Result<std::vector<VfNetSettings>> vfs(const std::string& pf) override {
    auto list = virtfns(pf);
    if (!list) return std::move(list).error();
    std::vector<VfNetSettings> out;
    for (PciAddress vf : *list) out.push_back(settings_[vf]);
    return out;
  }
  Status set(const std::string& pf, uint32_t vf, const VfNetSettings& s) override {
    auto list = virtfns(pf);
    if (!list) return std::move(list).error();
    if (vf >= list->size()) return invalid(pf + " has no VF " + std::to_string(vf) + " (EINVAL)");
    if (s.mac == refused_mac) return invalid(pf + " vf " + std::to_string(vf) + ": the PF refused MAC " + s.mac + " (EPERM)");
    settings_[(*list)[vf]] = s;
    return ok_status();
  }
  std::string refused_mac;

 private:
  Result<std::vector<PciAddress>> virtfns(const std::string& pf) {
    for (const auto& d : discover(sysfs_).devices)
      if (std::find(d.netdevs.begin(), d.netdevs.end(), pf) != d.netdevs.end()) return d.virtfns;
    return Error(ErrorCode::NotFound, "network interface " + pf + ": no such device");
  }
  const SysfsReader& sysfs_;
  std::map<PciAddress, VfNetSettings> settings_;
};

}  // namespace pcipass::testing
