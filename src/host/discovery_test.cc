// Discovery over the fixture sysfs trees (testdata/sysfs), read through the real
// POSIX adapter, plus a reader that fails like the kernel can mid-scan.
#include "host/discovery.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "adapters/sysfs/posix_sysfs_reader.h"

#ifndef PCIPASS_TESTDATA
#error "PCIPASS_TESTDATA must name the testdata directory"
#endif

namespace pcipass {
namespace {

std::string fixture(const char* name) { return std::string(PCIPASS_TESTDATA) + "/sysfs/" + name; }

const DiscoveredDevice& find(const Discovery& d, std::string_view address) {
  for (const auto& dev : d.devices)
    if (dev.address.to_string() == address) return dev;
  ADD_FAILURE() << "no device " << address;
  static DiscoveredDevice none;
  return none;
}

TEST(Discovery, SriovNicPfAndVfs) {
  PosixSysfsReader sysfs(fixture("sriov-nic"));
  Discovery d = discover(sysfs);
  EXPECT_TRUE(d.skipped.empty());
  ASSERT_EQ(d.devices.size(), 7u);
  const auto& pf = find(d, "0000:41:00.0");
  EXPECT_EQ(pf.vendor_id, PciId(0x8086));
  EXPECT_EQ(pf.product_id, PciId(0x1572));
  EXPECT_EQ(pf.class_code, 0x020000u);
  EXPECT_EQ(pf.driver, std::optional<std::string>("i40e"));
  EXPECT_EQ(pf.sriov_totalvfs, std::optional<uint32_t>(64));
  EXPECT_EQ(pf.sriov_numvfs, std::optional<uint32_t>(4));
  ASSERT_EQ(pf.virtfns.size(), 4u);
  EXPECT_EQ(pf.virtfns[3].to_string(), "0000:41:02.3");
  EXPECT_EQ(pf.netdevs, std::vector<std::string>{"ens1f0"});
  EXPECT_EQ(pf.mac, std::optional<std::string>("3c:fd:fe:a0:00:01"));
  EXPECT_EQ(pf.vpd_serial, std::optional<std::string>("SN1234567"));
  EXPECT_EQ(pf.fingerprint, "vpd:8086:1572:SN1234567.0");
  EXPECT_EQ(pf.facts().type(), DeviceType::Pf);
  EXPECT_EQ(pf.facts().devname, "ens1f0");
  const auto& vf = find(d, "0000:41:02.3");
  EXPECT_EQ(vf.physfn->to_string(), "0000:41:00.0");
  EXPECT_EQ(vf.driver, std::optional<std::string>("vfio-pci"));
  EXPECT_EQ(vf.fingerprint, "vf:vpd:8086:1572:SN1234567.0#3");
  EXPECT_EQ(vf.facts().type(), DeviceType::Vf);
  EXPECT_EQ(vf.reset_methods, std::vector<std::string>{"flr"});
  EXPECT_EQ(find(d, "0000:41:00.1").fingerprint, "vpd:8086:1572:SN1234567.1");
  ASSERT_EQ(d.numa.size(), 1u);
  EXPECT_EQ(d.numa[0].cpus, 8u);
  EXPECT_EQ(d.numa[0].memory_mb, 32768u);
}

TEST(Discovery, GpuAndItsAudioFunctionShareAGroup) {
  PosixSysfsReader sysfs(fixture("gpu-audio-group"));
  Discovery d = discover(sysfs);
  const auto& gpu = find(d, "0000:17:00.0");
  EXPECT_EQ(gpu.iommu_group, std::optional<uint32_t>(17));
  ASSERT_EQ(gpu.iommu_group_members.size(), 2u);
  EXPECT_EQ(gpu.iommu_group_members[1].to_string(), "0000:17:00.1");
  EXPECT_EQ(gpu.fingerprint, "slot:3.0");
  EXPECT_EQ(find(d, "0000:17:00.1").fingerprint, "slot:3.1");
  EXPECT_EQ(gpu.subsystem_device_id, PciId(0x1459));
  EXPECT_EQ(gpu.reset_methods, std::vector<std::string>{"bus"});
  EXPECT_TRUE(find(d, "0000:00:01.0").is_bridge());
}

TEST(Discovery, DeviceBehindABridge) {
  PosixSysfsReader sysfs(fixture("behind-bridge"));
  Discovery d = discover(sysfs);
  const auto& dev = find(d, "0000:06:00.0");
  EXPECT_EQ(dev.sysfs_path, "pci0000:00/0000:00:1c.0/0000:05:00.0/0000:06:00.0");
  EXPECT_EQ(dev.iommu_group_members.size(), 2u);  // the bridge and the device
  EXPECT_EQ(dev.fingerprint, "acpi:7");
  EXPECT_FALSE(dev.numa_node.has_value());
  const auto& bridge = find(d, "0000:05:00.0");
  EXPECT_TRUE(bridge.is_bridge());
  EXPECT_FALSE(bridge.driver.has_value());
  EXPECT_EQ(bridge.fingerprint, "path:pci0000:00/0000:00:1c.0/00.0:1b21:1080");
}

TEST(Discovery, TwoSocketHost) {
  PosixSysfsReader sysfs(fixture("two-socket"));
  Discovery d = discover(sysfs);
  ASSERT_EQ(d.numa.size(), 2u);
  EXPECT_EQ(d.numa[1].id, 1u);
  EXPECT_EQ(d.numa[1].cpus, 16u);
  EXPECT_EQ(d.numa[1].memory_mb, 65536u);
  EXPECT_EQ(d.numa[1].socket, std::optional<uint32_t>(1));
  EXPECT_EQ(find(d, "0000:98:00.0").numa_node, std::optional<uint32_t>(1));
  EXPECT_FALSE(find(d, "0000:3d:01.1").driver.has_value());
}

TEST(Discovery, SharedGroupWithAHostNic) {
  PosixSysfsReader sysfs(fixture("shared-critical-group"));
  Discovery d = discover(sysfs);
  const auto& nic = find(d, "0000:03:00.0");
  ASSERT_EQ(nic.iommu_group_members.size(), 3u);  // root port, eno1's NIC, this NIC
  EXPECT_EQ(nic.netdevs, std::vector<std::string>{"eno2"});
}

TEST(Discovery, NamesFromPciIds) {
  PosixSysfsReader sysfs(fixture("sriov-nic"));
  const std::string ids = "8086  Intel Corporation\n\t1572  Ethernet Controller X710 for 10GbE SFP+\n"
                          "\t\t8086 0000  Ethernet Converged Network Adapter X710\n";
  Discovery d = discover(sysfs, &ids);
  EXPECT_EQ(find(d, "0000:41:00.0").product_name, std::optional<std::string>("Ethernet Controller X710 for 10GbE SFP+"));
  EXPECT_EQ(find(d, "0000:41:00.0").subsystem_name, std::optional<std::string>("Ethernet Converged Network Adapter X710"));
  EXPECT_FALSE(find(d, "0000:41:02.0").product_name.has_value());
}

// A reader over a fixture that fails chosen paths the way the kernel can.
class FaultyReader final : public SysfsReader {
 public:
  explicit FaultyReader(std::string root) : real_(std::move(root)) {}
  std::map<std::string, ErrorCode> fail;  // path prefix -> error for every access under it
  Result<std::string> read(std::string_view path, size_t max) const override {
    if (auto e = injected(path)) return *e;
    return real_.read(path, max);
  }
  Result<std::string> read_link(std::string_view path) const override {
    if (auto e = injected(path)) return *e;
    return real_.read_link(path);
  }
  Result<std::vector<std::string>> list(std::string_view dir) const override {
    if (auto e = injected(dir)) return *e;
    return real_.list(dir);
  }
  bool exists(std::string_view path) const override { return !injected(path) && real_.exists(path); }

 private:
  std::optional<Error> injected(std::string_view path) const {
    for (const auto& [prefix, code] : fail)
      if (path.substr(0, prefix.size()) == prefix) return Error(code, "injected failure at " + std::string(path));
    return std::nullopt;
  }
  PosixSysfsReader real_;
};

TEST(Discovery, SeesDriverctlOverrides) {
  // driverctl's own file (driverctl set-override 0000:41:00.1 vfio-pci) is visible to pcipass.
  namespace fs = std::filesystem;
  fs::path scratch = fs::temp_directory_path() / ("pcipass-driverctl-" + std::to_string(::getpid()));
  fs::remove_all(scratch);
  fs::copy(fixture("sriov-nic"), scratch, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::create_directories(scratch / "etc/driverctl.d");
  std::ofstream(scratch / "etc/driverctl.d/pci-0000:41:00.1") << "vfio-pci\n";
  PosixSysfsReader sysfs(scratch.string());
  Discovery d = discover(sysfs);
  EXPECT_EQ(find(d, "0000:41:00.1").persisted_override, std::optional<std::string>("vfio-pci"));
  EXPECT_FALSE(find(d, "0000:41:00.0").persisted_override.has_value());
  fs::remove_all(scratch);
}

TEST(Discovery, VanishedAndUnreadableDevicesAreSkippedAndTheScanGoesOn) {
  FaultyReader sysfs(fixture("sriov-nic"));
  sysfs.fail["sys/bus/pci/devices/0000:41:02.1/"] = ErrorCode::NotFound;                 // hot-removed mid-scan
  sysfs.fail["sys/bus/pci/devices/0000:41:02.2/vendor"] = ErrorCode::PermissionDenied;   // unreadable
  sysfs.fail["sys/bus/pci/devices/0000:41:00.0/vpd"] = ErrorCode::PermissionDenied;      // root-only VPD
  Discovery d = discover(sysfs);
  EXPECT_EQ(d.devices.size(), 5u);
  ASSERT_EQ(d.skipped.size(), 2u);
  EXPECT_EQ(d.skipped[0].what, "0000:41:02.1");
  EXPECT_EQ(d.skipped[0].reason, "vanished during the scan");
  EXPECT_EQ(d.skipped[1].what, "0000:41:02.2");
  EXPECT_NE(d.skipped[1].reason.find("injected failure at sys/bus/pci/devices/0000:41:02.2/vendor"), std::string::npos);
  const auto& pf = find(d, "0000:41:00.0");
  EXPECT_FALSE(pf.vpd_serial.has_value());
  EXPECT_EQ(pf.fingerprint, "path:pci0000:40/0000:40:01.0/00.0:8086:1572");
  bool noted = false;
  for (const auto& n : d.notes) noted = noted || (n.what == "0000:41:00.0" && n.reason.find("vpd: permission denied") != std::string::npos);
  EXPECT_TRUE(noted);
}

TEST(Discovery, UnreadableDeviceListIsReported) {
  FaultyReader sysfs(fixture("sriov-nic"));
  sysfs.fail["sys/bus/pci/devices/"] = ErrorCode::PermissionDenied;
  Discovery d = discover(sysfs);
  EXPECT_TRUE(d.devices.empty());
  ASSERT_EQ(d.skipped.size(), 1u);
  EXPECT_NE(d.skipped[0].reason.find("injected failure"), std::string::npos);
}

TEST(Discovery, ThirtyTwoBitDomainsAreSkippedWithAReason) {
  PosixSysfsReader sysfs(fixture("behind-bridge"));
  // The fixture has none; a reader listing such a name shows the reason.
  class Extra final : public SysfsReader {
   public:
    explicit Extra(const SysfsReader& r) : r_(r) {}
    Result<std::string> read(std::string_view p, size_t m) const override { return r_.read(p, m); }
    Result<std::string> read_link(std::string_view p) const override { return r_.read_link(p); }
    Result<std::vector<std::string>> list(std::string_view dir) const override {
      auto l = r_.list(dir);
      if (l && dir == "sys/bus/pci/devices/") l->push_back("10000:00:00.0");
      return l;
    }
    bool exists(std::string_view p) const override { return r_.exists(p); }
   private:
    const SysfsReader& r_;
  } extra(sysfs);
  Discovery d = discover(extra);
  ASSERT_EQ(d.skipped.size(), 1u);
  EXPECT_NE(d.skipped[0].reason.find("32-bit PCI domains"), std::string::npos);
}

TEST(PosixSysfsReader, ErrorsNameThePathAndKind) {
  PosixSysfsReader sysfs(fixture("sriov-nic"));
  auto missing = sysfs.read("sys/bus/pci/devices/0000:99:00.0/vendor");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
  EXPECT_NE(missing.error().message().find("0000:99:00.0/vendor"), std::string::npos);
  EXPECT_EQ(sysfs.read_link("sys/bus/pci/devices/0000:41:02.0/physfn").value(), "../0000:41:00.0");
  EXPECT_FALSE(sysfs.exists("nope"));
  EXPECT_EQ(sysfs.read("sys/bus/pci/devices/0000:41:00.0/vendor", 3).value(), "0x8");
}

}  // namespace
}  // namespace pcipass
