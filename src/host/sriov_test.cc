// SR-IOV VF count changes on the FakeKernel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "core/hex.h"
#include "host/binding.h"
#include "host/plan_executor.h"
#include "adapters/sysfs/testing/fake_kernel.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

struct Host {
  Host() : scratch(fs::temp_directory_path() / ("pcipass-sriov-" + std::to_string(::getpid()))),
           kernel(fs::path(PCIPASS_TESTDATA) / "sysfs/sriov-nic", scratch), reader(scratch.string()) {}
  ~Host() { fs::remove_all(scratch); }
  Result<BindPlan> plan(const char* pf, uint32_t n, SriovOptions o = {}) {
    Discovery d = discover(reader);
    auto state = read_pf_state(reader, d, PciAddress::parse(pf).value());
    if (!state) return state.error();
    std::optional<std::string> rules;
    if (auto r = reader.read(std::string(kSriovUdevRules))) rules = *r;
    return plan_sriov(*state, n, o, rules);
  }
  uint32_t numvfs(const char* pf) {
    Discovery d = discover(reader);
    for (const auto& dev : d.devices)
      if (dev.address.to_string() == pf) return dev.sriov_numvfs.value_or(0);
    return 99;
  }
  std::vector<DiscoveredDevice> vfs_of(const char* pf) {
    std::vector<DiscoveredDevice> out;
    for (const auto& dev : discover(reader).devices)
      if (dev.physfn && dev.physfn->to_string() == pf) out.push_back(dev);
    return out;
  }
  fs::path scratch;
  testing::FakeKernel kernel;
  PosixSysfsReader reader;
};

TEST(Sriov, CreatesVfsOnAPfWithout) {
  Host h;
  auto plan = h.plan("0000:41:00.1", 3);
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 1u);
  auto ex = execute(*plan, h.kernel, h.reader);
  ASSERT_TRUE(ex.ok()) << ex.failure->describe();
  auto vfs = h.vfs_of("0000:41:00.1");
  ASSERT_EQ(vfs.size(), 3u);
  EXPECT_TRUE(vfs[0].iommu_group.has_value());
}

// The fixture's PF 41:00.0 has VF 41:02.3 on vfio-pci, so changes to it need force.
SriovOptions forced() {
  SriovOptions o;
  o.force = true;
  return o;
}

TEST(Sriov, ChangingACountGoesThroughZero) {
  Host h;
  auto plan = h.plan("0000:41:00.0", 8, forced());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[0].description, "remove the 4 VFs of 0000:41:00.0 (the kernel changes counts through 0)");
  EXPECT_EQ(plan->steps[1].description, "create 8 VFs on 0000:41:00.0");
  ASSERT_TRUE(execute(*plan, h.kernel, h.reader).ok());
  EXPECT_EQ(h.numvfs("0000:41:00.0"), 8u);
  EXPECT_EQ(h.vfs_of("0000:41:00.0").size(), 8u);
  EXPECT_TRUE(h.plan("0000:41:00.0", 8, forced())->steps.empty());  // idempotent
}

TEST(Sriov, WritingANewCountDirectlyIsRefusedByTheKernel) {
  Host h;
  auto st = h.kernel.write_attribute("sys/bus/pci/devices/0000:41:00.0/sriov_numvfs", "6");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::Conflict);
}

TEST(Sriov, AutoprobeOffLeavesVfsWithoutADriver) {
  Host h;
  SriovOptions o = forced();
  o.autoprobe = false;
  ASSERT_TRUE(execute(*h.plan("0000:41:00.0", 2, o), h.kernel, h.reader).ok());
  for (const auto& vf : h.vfs_of("0000:41:00.0")) EXPECT_FALSE(vf.driver.has_value()) << vf.address.to_string();
}

TEST(Sriov, FailureRestoresTheOldCount) {
  Host h;
  // The write of 0 succeeds, the write of 6 fails: the undo puts the 4 VFs back.
  h.kernel.fail("sys/bus/pci/devices/0000:41:00.0/sriov_numvfs", ErrorCode::Io, 1, 1);
  auto ex = execute(*h.plan("0000:41:00.0", 6, forced()), h.kernel, h.reader);
  ASSERT_FALSE(ex.ok());
  EXPECT_TRUE(ex.rolled_back);
  EXPECT_EQ(h.numvfs("0000:41:00.0"), 4u);
  EXPECT_EQ(h.vfs_of("0000:41:00.0").size(), 4u);
}

TEST(Sriov, RefusalsNameTheReason) {
  Host h;
  auto vf_in_use = h.plan("0000:41:00.0", 0);  // VF 41:02.3 is bound to vfio-pci
  ASSERT_FALSE(vf_in_use.ok());
  EXPECT_NE(vf_in_use.error().message().find("VF 0000:41:02.3 is bound to vfio-pci"), std::string::npos);
  SriovOptions force;
  force.force = true;
  EXPECT_TRUE(h.plan("0000:41:00.0", 0, force).ok());
  auto too_many = h.plan("0000:41:00.1", 65);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message().find("at most 64"), std::string::npos);
  auto not_pf = h.plan("0000:41:02.0", 1);
  ASSERT_FALSE(not_pf.ok());
  EXPECT_NE(not_pf.error().message().find("not an SR-IOV physical function"), std::string::npos);
  EXPECT_EQ(h.plan("0000:99:00.0", 1).error().code(), ErrorCode::NotFound);
}

TEST(Sriov, PersistWritesAUdevRulePerPf) {
  Host h;
  SriovOptions o;
  o.persist = true;
  ASSERT_TRUE(execute(*h.plan("0000:41:00.1", 2, o), h.kernel, h.reader).ok());
  o.autoprobe = false;
  ASSERT_TRUE(execute(*h.plan("0000:41:00.1", 3, o), h.kernel, h.reader).ok());
  EXPECT_EQ(h.reader.read(std::string(kSriovUdevRules)).value(),
            "# Written by pcipass: SR-IOV VF counts, set when the PF's driver binds.\n"
            "ACTION==\"bind\", SUBSYSTEM==\"pci\", KERNEL==\"0000:41:00.1\", ATTR{sriov_drivers_autoprobe}=\"0\", ATTR{sriov_numvfs}=\"3\"\n");
  o.autoprobe = true;
  ASSERT_TRUE(execute(*h.plan("0000:41:00.1", 0, o), h.kernel, h.reader).ok());
  EXPECT_FALSE(h.reader.exists(std::string(kSriovUdevRules)));
}

TEST(Sriov, RulesOfOtherPfsAreKept) {
  const std::string other = "# Written by pcipass: x\nACTION==\"bind\", SUBSYSTEM==\"pci\", KERNEL==\"0000:5e:00.0\", ATTR{sriov_numvfs}=\"8\"\n";
  auto merged = sriov_rules_with(other, PciAddress::parse("0000:41:00.0").value(), 4, true);
  EXPECT_NE(merged.find("KERNEL==\"0000:5e:00.0\""), std::string::npos);
  EXPECT_NE(merged.find("KERNEL==\"0000:41:00.0\", ATTR{sriov_numvfs}=\"4\""), std::string::npos);
  EXPECT_EQ(merged.find("# Written by pcipass: x"), std::string::npos);  // one header
}

}  // namespace
}  // namespace pcipass
