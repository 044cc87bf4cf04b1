#include "host/readiness.h"

#include <gtest/gtest.h>

#include <map>

#include "adapters/sysfs/posix_sysfs_reader.h"

namespace pcipass {
namespace {

std::string fixture(const char* name) { return std::string(PCIPASS_TESTDATA) + "/sysfs/" + name; }

struct Checked {
  Discovery discovery;
  std::vector<CriticalDevice> critical;
  Readiness readiness;
  const CheckItem& item(std::string_view name) const {
    for (const auto& i : readiness.items)
      if (i.name == name) return i;
    ADD_FAILURE() << "no item " << name;
    static CheckItem none;
    return none;
  }
};

Checked check(const char* name) {
  PosixSysfsReader sysfs(fixture(name));
  Checked c;
  c.discovery = discover(sysfs);
  c.critical = find_host_critical(sysfs, c.discovery);
  c.readiness = check_readiness(sysfs, c.discovery, c.critical);
  return c;
}

TEST(Readiness, ReadyHost) {
  auto c = check("sriov-nic");
  EXPECT_TRUE(c.readiness.ready());
  EXPECT_EQ(c.item("cpu-virtualization").detail, "Intel VT-x (vmx) available");
  EXPECT_EQ(c.item("iommu").status, CheckStatus::Ok);
  EXPECT_NE(c.item("iommu").detail.find("1 unit(s)"), std::string::npos);
  EXPECT_NE(c.item("iommu").detail.find("ACPI DMAR table present"), std::string::npos);
  EXPECT_EQ(c.item("kernel-cmdline").status, CheckStatus::Ok);
  EXPECT_EQ(c.item("interrupt-remapping").status, CheckStatus::Ok);
  EXPECT_EQ(c.item("vfio-modules").status, CheckStatus::Ok);
  EXPECT_EQ(c.item("group 53").detail, "0000:41:02.3: assignable");
}

TEST(Readiness, HostWithoutIommuSaysSoPlainlyWithFixes) {
  auto c = check("no-iommu");
  EXPECT_FALSE(c.readiness.ready());
  const auto& iommu = c.item("iommu");
  EXPECT_EQ(iommu.status, CheckStatus::Fail);
  EXPECT_NE(iommu.detail.find("no IOMMU is active on this machine"), std::string::npos);
  EXPECT_NE(iommu.fix.find("intel_iommu=on iommu=pt"), std::string::npos);
  EXPECT_NE(iommu.detail.find("no DMAR/IVRS ACPI table"), std::string::npos);
  EXPECT_NE(iommu.fix.find("no DMAR/IVRS table means it is off"), std::string::npos);
  EXPECT_EQ(c.item("kernel-cmdline").status, CheckStatus::Warn);
  EXPECT_EQ(c.item("interrupt-remapping").status, CheckStatus::Warn);
  EXPECT_NE(c.item("interrupt-remapping").fix.find("allow_unsafe_interrupts"), std::string::npos);
  EXPECT_EQ(c.item("vfio-modules").status, CheckStatus::Fail);
  EXPECT_EQ(c.item("vfio-modules").detail, "not loaded: vfio_pci, vfio_iommu_type1");  // vfio is built in
  EXPECT_NE(c.item("vfio-modules").fix.find("modprobe vfio-pci"), std::string::npos);
}

TEST(Readiness, AmdHostGetsAmdAdvice) {
  auto c = check("behind-bridge");
  EXPECT_EQ(c.item("cpu-virtualization").detail, "AMD-V (svm) available");
  EXPECT_NE(c.item("iommu").detail.find("ACPI IVRS table present"), std::string::npos);
  EXPECT_EQ(c.item("group 12").detail, "0000:06:00.0: assignable");  // the bridge in the group does not count
}

TEST(Readiness, HostCriticalDevicesAreFound) {
  auto c = check("shared-critical-group");
  ASSERT_EQ(c.critical.size(), 2u);
  EXPECT_EQ(c.critical[0].address.to_string(), "0000:02:00.0");
  EXPECT_EQ(c.critical[0].why, "carries the default route (eno1)");
  EXPECT_EQ(c.critical[1].address.to_string(), "0000:04:00.0");
  EXPECT_EQ(c.critical[1].why, "holds the root filesystem (/dev/nvme0n1p2)");
  const auto& g = c.item("group 20");
  EXPECT_EQ(g.status, CheckStatus::Warn);
  EXPECT_NE(g.detail.find("0000:02:00.0, 0000:03:00.0: not assignable while the host uses it: 0000:02:00.0 carries the default route (eno1)"),
            std::string::npos) << g.detail;
  EXPECT_NE(g.fix.find("ACS"), std::string::npos);
  EXPECT_EQ(c.item("group 21").status, CheckStatus::Warn);
  EXPECT_TRUE(c.readiness.ready());  // the platform is ready; only those groups are not assignable
}

// Each way a host uses a device that an operator forgets, found and said in words.
TEST(Readiness, EveryWayTheHostUsesADeviceIsFound) {
  auto c = check("host-uses");
  std::map<std::string, std::string> why;
  for (const auto& d : c.critical) why[d.address.to_string()] = d.why;
  const std::map<std::string, std::string> want = {
      {"0000:01:00.0", "carries the default route (bond0 over eth0); is a member of bond bond0 on the host (eth0)"},
      {"0000:01:00.1", "carries the default route (bond0 over eth1); is a member of bond bond0 on the host (eth1)"},
      {"0000:02:00.0", "is a port of bridge br0 on the host (ens2)"},
      {"0000:03:00.0", "is an Open vSwitch port on the host (ens3)"},
      {"0000:04:00.0", "is addressed on the host (IPv6 2001:db8::4 on ens4)"},
      {"0000:05:00.0", "is addressed on the host (IPv4 route 192.168.16.0/24 on ens5)"},
      {"0000:06:00.0", "holds the root filesystem (/dev/nvme0n1p1); holds the mounted filesystem /var/lib/libvirt/images (/dev/nvme0n1p2)"},
      {"0000:07:00.0", "holds active swap (/dev/nvme1n1p1)"},
  };
  EXPECT_EQ(why, want);  // 0000:09:00.0 is up with only a link-local address: free
  EXPECT_EQ(c.item("group 16").status, CheckStatus::Ok);
  EXPECT_EQ(c.item("group 15").status, CheckStatus::Warn);
}

TEST(Readiness, BootVgaIsHostCritical) {
  auto c = check("gpu-audio-group");
  ASSERT_EQ(c.critical.size(), 1u);
  EXPECT_EQ(c.critical[0].why, "is the boot VGA device");
  EXPECT_EQ(c.item("group 17").status, CheckStatus::Warn);
}

TEST(HostCritical, PciDeviceInPath) {
  EXPECT_EQ(pci_device_in_path("../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0")->to_string(), "0000:00:03.0");
  EXPECT_EQ(pci_device_in_path("../../devices/pci0000:00/0000:00:1d.0/0000:04:00.0/nvme/nvme0")->to_string(), "0000:04:00.0");
  EXPECT_FALSE(pci_device_in_path("../../devices/virtual/net/lo").has_value());
}

}  // namespace
}  // namespace pcipass
