// The netlink adapter against this machine's kernel, read-only: an interface without
// VFs lists none, one that does not exist is NotFound. (Setting a VF's MAC and VLAN
// needs a NIC with VFs: placement_test exercises the agent's use of it.)
#include "adapters/netlink/netlink_vf_network.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

TEST(NetlinkVfNetwork, ReadsTheKernelsVfListAndNamesAMissingInterface) {
  auto net = NetlinkVfNetwork::open();
  ASSERT_TRUE(net.ok()) << net.error().describe();
  auto lo = (*net)->vfs("lo");
  ASSERT_TRUE(lo.ok()) << lo.error().describe();
  EXPECT_TRUE(lo->empty());
  auto missing = (*net)->vfs("pcipass-none0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound) << missing.error().describe();
  EXPECT_NE(missing.error().message().find("pcipass-none0"), std::string::npos);
  auto bad_mac = (*net)->set("pcipass-none0", 0, VfNetSettings{"not-a-mac", 0});
  ASSERT_FALSE(bad_mac.ok());
}

}  // namespace
}  // namespace pcipass
