#pragma once
// The VfNetwork port over rtnetlink, with libnl-route-3 (Debian's libnl-route-3-dev):
// RTM_GETLINK with the VF list, RTM_SETLINK with one VF's IFLA_VF_MAC and IFLA_VF_VLAN.
#include <memory>

#include "ports/vf_network.h"

namespace pcipass {

class NetlinkVfNetwork final : public VfNetwork {
 public:
  // Unavailable when no netlink socket can be had.
  static Result<std::unique_ptr<NetlinkVfNetwork>> open();
  ~NetlinkVfNetwork() override;
  NetlinkVfNetwork(const NetlinkVfNetwork&) = delete;
  NetlinkVfNetwork& operator=(const NetlinkVfNetwork&) = delete;
  Result<std::vector<VfNetSettings>> vfs(const std::string& pf) override;
  Status set(const std::string& pf, uint32_t vf, const VfNetSettings& settings) override;

 private:
  struct Impl;
  explicit NetlinkVfNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pcipass
