// What the agent says of its host beside the devices: who holds a vfio-pci device open,
// read from a copy of the sriov-nic fixture with processes' open files laid out as
// proc/PID/fd shows them.
#include "host/host_facts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "adapters/sysfs/posix_sysfs_reader.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

struct Tree {
  Tree() : root(fs::temp_directory_path() / ("pcipass-facts-" + std::to_string(::getpid()))) {
    fs::remove_all(root);
    fs::copy(fs::path(PCIPASS_TESTDATA) / "sysfs" / "sriov-nic", root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  ~Tree() { fs::remove_all(root); }
  void process(int pid, const std::string& comm, const std::vector<std::string>& open_files) {
    const fs::path p = root / "proc" / std::to_string(pid);
    fs::create_directories(p / "fd");
    std::ofstream(p / "comm") << comm << "\n";
    int fd = 3;
    for (const auto& f : open_files) fs::create_symlink(f, p / "fd" / std::to_string(fd++));
  }
  fs::path root;
};

std::map<std::string, std::string> users_of(const Tree& t) {
  PosixSysfsReader sysfs(t.root.string());
  std::map<std::string, std::string> out;
  for (const auto& [a, who] : vfio_users(sysfs, discover(sysfs))) out[a.to_string()] = who;
  return out;
}

TEST(HostFacts, NobodyHoldsAVfioDeviceOpen) {
  Tree t;
  t.process(100, "bash", {"/dev/pts/0", "/dev/null"});
  EXPECT_TRUE(users_of(t).empty());
}

// 0000:41:02.3 is the fixture's VF on vfio-pci, alone in IOMMU group 53.
TEST(HostFacts, AProcessHoldingTheVfioGroupIsNamed) {
  Tree t;
  t.process(100, "bash", {"/dev/null"});
  t.process(4242, "qemu-system-x86", {"/dev/null", "/dev/vfio/vfio", "/dev/vfio/53"});
  t.process(4243, "qemu-system-x86", {"/dev/vfio/51"});  // the group of a VF on iavf: not a VFIO device
  EXPECT_EQ(users_of(t), (std::map<std::string, std::string>{{"0000:41:02.3", "qemu-system-x86 (pid 4242)"}}));
  PosixSysfsReader sysfs(t.root.string());
  const Discovery d = discover(sysfs);
  const HostReport r = host_report_of(sysfs, d, {}, Readiness{});
  for (const auto& dev : r.devices)
    EXPECT_EQ(dev.facts.vfio_user.has_value(), dev.facts.address.to_string() == "0000:41:02.3") << dev.facts.address.to_string();
}

TEST(HostFacts, AProcessHoldingTheVfioDeviceFileIsNamed) {
  Tree t;
  fs::create_directories(t.root / "sys/bus/pci/devices/0000:41:02.3/vfio-dev/vfio0");
  t.process(77, "cloud-hypervisor", {"/dev/iommu", "/dev/vfio/devices/vfio0"});
  EXPECT_EQ(users_of(t), (std::map<std::string, std::string>{{"0000:41:02.3", "cloud-hypervisor (pid 77)"}}));
}

}  // namespace
}  // namespace pcipass
