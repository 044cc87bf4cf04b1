// bind/unbind plans executed against the FakeKernel on copies of the fixture trees.
#include "host/binding.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "core/hex.h"
#include "host/plan_executor.h"
#include "adapters/sysfs/testing/fake_kernel.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

struct Host {
  explicit Host(const char* fixture)
      : scratch(fs::temp_directory_path() / ("pcipass-bind-" + std::to_string(::getpid()) + "-" + fixture)),
        kernel(fs::path(PCIPASS_TESTDATA) / "sysfs" / fixture, scratch),
        reader(scratch.string()) {}
  ~Host() { fs::remove_all(scratch); }

  std::vector<DeviceState> state() const {
    Discovery d = discover(reader);
    return read_device_states(reader, d, find_host_critical(reader, d));
  }
  Result<BindPlan> bind(std::vector<std::string> addresses, BindOptions o = {}) const {
    return plan_bind(parse(addresses), state(), o, reader.exists("sys/bus/pci/drivers/" + o.driver), read_persistence_files(reader));
  }
  Result<BindPlan> unbind(std::vector<std::string> addresses, UnbindOptions o = {}) const {
    return plan_unbind(parse(addresses), state(), o, read_persistence_files(reader));
  }
  static std::vector<PciAddress> parse(const std::vector<std::string>& a) {
    std::vector<PciAddress> out;
    for (const auto& s : a) out.push_back(PciAddress::parse(s).value());
    return out;
  }
  Execution run(const BindPlan& plan) { return execute(plan, kernel, reader); }
  std::string override_of(const std::string& a) const {
    return std::string(trim(reader.read("sys/bus/pci/devices/" + a + "/driver_override").value_or(std::string("?"))));
  }
  bool exists(const std::string& p) const { return reader.exists(p); }
  void write(const std::string& p, const std::string& content) { ASSERT_TRUE(kernel.write_file(p, content).ok()); }

  fs::path scratch;
  testing::FakeKernel kernel;
  PosixSysfsReader reader;
};

TEST(Binding, BindsAVfToVfioPciByDriverOverride) {
  Host h("sriov-nic");
  auto plan = h.bind({"0000:41:02.0"});
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 3u);
  EXPECT_EQ(plan->steps[0].description, "set driver_override of 0000:41:02.0 to vfio-pci");
  EXPECT_EQ(plan->steps[1].description, "unbind 0000:41:02.0 from iavf");
  EXPECT_EQ(plan->steps[2].description, "bind 0000:41:02.0 to vfio-pci");
  auto ex = h.run(*plan);
  ASSERT_TRUE(ex.ok()) << ex.failure->describe();
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.0"), std::optional<std::string>("vfio-pci"));
  EXPECT_EQ(h.override_of("0000:41:02.0"), "vfio-pci");
  EXPECT_TRUE(h.exists("dev/vfio/50"));
  for (const auto& w : h.kernel.writes) EXPECT_EQ(w.find("new_id"), std::string::npos) << w;
  // Idempotent: nothing left to do.
  auto again = h.bind({"0000:41:02.0"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->steps.empty());
  ASSERT_EQ(again->notes.size(), 1u);
  EXPECT_EQ(again->notes[0], "0000:41:02.0 is already bound to vfio-pci");
}

// Binding a PF takes it from its driver, which removes its VFs: refused while one is on
// vfio-pci (as `sriov` refuses a count change then), and said when it goes ahead.
TEST(Binding, APfWhoseVfIsOnVfioPciIsRefusedUnlessForced) {
  Host h("sriov-nic");
  auto refused = h.bind({"0000:41:00.0"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::Conflict);
  EXPECT_NE(refused.error().message().find("its VF 0000:41:02.3 is bound to vfio-pci"), std::string::npos)
      << refused.error().describe();
  BindOptions force;
  force.force = true;
  auto forced = h.bind({"0000:41:00.0"}, force);
  ASSERT_TRUE(forced.ok()) << forced.error().describe();
  bool said = false;
  for (const auto& n : forced->notes) said = said || n.find("0000:41:00.0 leaves its driver: its") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Binding, UnbindRestoreGivesTheDeviceBackToItsDriver) {
  Host h("sriov-nic");
  ASSERT_TRUE(h.run(*h.bind({"0000:41:02.1"})).ok());
  auto plan = h.unbind({"0000:41:02.1"}, {.restore = true});
  ASSERT_TRUE(plan.ok());
  auto ex = h.run(*plan);
  ASSERT_TRUE(ex.ok()) << ex.failure->describe();
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.1"), std::optional<std::string>("iavf"));
  EXPECT_EQ(h.override_of("0000:41:02.1"), "(null)");
  EXPECT_FALSE(h.exists("dev/vfio/51"));
  // Without --restore the device is left without a driver.
  ASSERT_TRUE(h.run(*h.bind({"0000:41:02.1"})).ok());
  ASSERT_TRUE(h.run(*h.unbind({"0000:41:02.1"})).ok());
  EXPECT_FALSE(h.kernel.driver_of("0000:41:02.1").has_value());
}

TEST(Binding, FailureMidwayRollsEverythingBack) {
  Host h("sriov-nic");
  h.kernel.fail("sys/bus/pci/devices/0000:41:02.1/driver_override", ErrorCode::PermissionDenied);
  auto plan = h.bind({"0000:41:02.0", "0000:41:02.1"});
  ASSERT_TRUE(plan.ok());
  auto ex = h.run(*plan);
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.failure->describe().find("step 4 (set driver_override of 0000:41:02.1 to vfio-pci)"), std::string::npos)
      << ex.failure->describe();
  EXPECT_TRUE(ex.rolled_back);
  EXPECT_TRUE(ex.rollback_errors.empty());
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.0"), std::optional<std::string>("iavf"));  // the first VF is back
  EXPECT_EQ(h.override_of("0000:41:02.0"), "(null)");
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.1"), std::optional<std::string>("iavf"));
  EXPECT_FALSE(h.exists("dev/vfio/50"));
}

TEST(Binding, ADriverThatDoesNotBindIsDetectedAndRolledBack) {
  Host h("sriov-nic");
  h.kernel.fail("sys/bus/pci/drivers_probe", ErrorCode::Io);  // the bind does not happen
  auto ex = h.run(*h.bind({"0000:41:02.2"}));
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.failure->describe().find("bind 0000:41:02.2 to vfio-pci"), std::string::npos);
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.2"), std::optional<std::string>("iavf"));
  EXPECT_EQ(h.override_of("0000:41:02.2"), "(null)");
}

TEST(Binding, RollbackFailuresAreReported) {
  Host h("sriov-nic");
  // Step 2 (unbind from iavf) fails; then undoing step 1 cannot write driver_override.
  h.kernel.fail("sys/bus/pci/drivers/iavf/unbind", ErrorCode::Conflict);
  h.kernel.fail("sys/bus/pci/devices/0000:41:02.0/driver_override", ErrorCode::PermissionDenied, 0, 1);
  auto ex = h.run(*h.bind({"0000:41:02.0"}));
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.failure->describe().find("step 2 (unbind 0000:41:02.0 from iavf)"), std::string::npos);
  EXPECT_FALSE(ex.rolled_back);
  ASSERT_EQ(ex.rollback_errors.size(), 1u);
  EXPECT_NE(ex.rollback_errors[0].find("injected failure writing sys/bus/pci/devices/0000:41:02.0/driver_override"),
            std::string::npos);
}

TEST(Binding, RefusesWhenTheDriverIsNotLoaded) {
  Host h("no-iommu");
  auto plan = h.bind({"0000:00:03.0"});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(), "driver vfio-pci is not loaded (no sys/bus/pci/drivers/vfio-pci): modprobe vfio-pci first");
}

TEST(Binding, PersistWritesAnIdKeyedRuleAndUnbindRemovesIt) {
  Host h("sriov-nic");
  BindOptions o;
  o.persist = true;
  o.vfio_group = "libvirt-qemu";
  auto ex = h.run(*h.bind({"0000:41:02.0"}, o));
  ASSERT_TRUE(ex.ok()) << ex.failure->describe();
  EXPECT_FALSE(h.exists("etc/driverctl.d/pci-0000:41:02.0"));  // address-only: only on request
  const std::string rules = h.reader.read(std::string(kBindRules)).value();
  EXPECT_NE(rules.find("# pcipass-bind address=0000:41:02.0 driver=vfio-pci ids=8086:154c subsystem=8086:0000 driverctl=no "
                       "fingerprint=vf:vpd:8086:1572:SN1234567.0#0\n"),
            std::string::npos) << rules;
  EXPECT_NE(rules.find("KERNEL==\"0000:41:02.0\", ATTR{vendor}==\"0x8086\", ATTR{device}==\"0x154c\", "
                       "ATTR{subsystem_vendor}==\"0x8086\", ATTR{subsystem_device}==\"0x0000\", ATTR{driver_override}=\"vfio-pci\""),
            std::string::npos) << rules;
  EXPECT_EQ(h.reader.read(std::string(kVfioUdevRule)).value(),
            "# Written by pcipass: VFIO group devices for the VM manager.\nSUBSYSTEM==\"vfio\", GROUP=\"libvirt-qemu\", MODE=\"0660\"\n");
  // A second bind with --persist changes nothing; a second device joins the same file.
  auto again = h.bind({"0000:41:02.0"}, o);
  EXPECT_TRUE(again->steps.empty());
  ASSERT_TRUE(h.run(*h.bind({"0000:41:02.1"}, o)).ok());
  EXPECT_EQ(parse_bind_rules(h.reader.read(std::string(kBindRules)).value()).bindings.size(), 2u);
  ASSERT_TRUE(h.run(*h.unbind({"0000:41:02.0"}, {.restore = true})).ok());
  auto left = parse_bind_rules(h.reader.read(std::string(kBindRules)).value());
  ASSERT_EQ(left.bindings.size(), 1u);
  EXPECT_EQ(left.bindings[0].address.to_string(), "0000:41:02.1");
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.0"), std::optional<std::string>("iavf"));
  ASSERT_TRUE(h.run(*h.unbind({"0000:41:02.1"}, {.restore = true})).ok());
  EXPECT_FALSE(h.exists(std::string(kBindRules)));  // the last one removes the file
}

TEST(Binding, DriverctlCompatibilityWritesItsFileToo) {
  Host h("sriov-nic");
  BindOptions o;
  o.persist = true;
  o.driverctl = true;
  ASSERT_TRUE(h.run(*h.bind({"0000:41:02.0"}, o)).ok());
  EXPECT_EQ(h.reader.read("etc/driverctl.d/pci-0000:41:02.0").value(), "vfio-pci\n");
  EXPECT_TRUE(parse_bind_rules(h.reader.read(std::string(kBindRules)).value()).bindings.at(0).driverctl);
  ASSERT_TRUE(h.run(*h.unbind({"0000:41:02.0"}, {.restore = true})).ok());
  EXPECT_FALSE(h.exists("etc/driverctl.d/pci-0000:41:02.0"));
  EXPECT_FALSE(h.exists(std::string(kBindRules)));
}

TEST(Binding, AnUnreadableRecordIsRefusedRatherThanLost) {
  Host h("sriov-nic");
  h.write(std::string(kBindRules), "# pcipass-bind address=0000:41:02.7 driver=vfio-pci ids=8086\n");
  BindOptions o;
  o.persist = true;
  auto plan = h.bind({"0000:41:02.0"}, o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code(), ErrorCode::Conflict);
  EXPECT_NE(plan.error().message().find("69-pcipass-bind.rules line 1: ids: expected VVVV:DDDD"), std::string::npos)
      << plan.error().message();
  EXPECT_TRUE(h.bind({"0000:41:02.0"}).ok());  // without --persist the file is not touched
}

TEST(Binding, PersistenceFailureUndoesTheBind) {
  Host h("sriov-nic");
  h.kernel.fail(std::string(kVfioUdevRule), ErrorCode::PermissionDenied);
  BindOptions o;
  o.persist = true;
  auto ex = h.run(*h.bind({"0000:41:02.0"}, o));
  ASSERT_FALSE(ex.ok());
  EXPECT_TRUE(ex.rolled_back);
  EXPECT_FALSE(h.exists(std::string(kBindRules)));
  EXPECT_EQ(h.kernel.driver_of("0000:41:02.0"), std::optional<std::string>("iavf"));
}

TEST(Binding, IommuGroupIsTheUnit) {
  Host h("gpu-audio-group");
  auto alone = h.bind({"0000:17:00.1"});
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.error().message().find("shares it with 0000:17:00.0 (driver nvidia), which is not in the request"),
            std::string::npos) << alone.error().message();
  // The GPU is the boot VGA: refused unless forced.
  auto both = h.bind({"0000:17:00.0", "0000:17:00.1"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message().find("the host depends on it (is the boot VGA device)"), std::string::npos);
  BindOptions force;
  force.force = true;
  auto forced = h.bind({"0000:17:00.0", "0000:17:00.1"}, force);
  ASSERT_TRUE(forced.ok());
  ASSERT_TRUE(h.run(*forced).ok());
  EXPECT_EQ(h.kernel.driver_of("0000:17:00.0"), std::optional<std::string>("vfio-pci"));
  EXPECT_EQ(h.kernel.driver_of("0000:17:00.1"), std::optional<std::string>("vfio-pci"));
  EXPECT_TRUE(h.exists("dev/vfio/17"));
}

TEST(Binding, GroupSharedWithTheHostsNicIsRefusedEvenWithForce) {
  Host h("shared-critical-group");
  auto plain = h.bind({"0000:03:00.0"});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code(), ErrorCode::Conflict);
  BindOptions force;
  force.force = true;
  auto forced = h.bind({"0000:03:00.0"}, force);
  ASSERT_FALSE(forced.ok());
  EXPECT_NE(forced.error().message().find("refused even with --force: its IOMMU group member 0000:02:00.0 carries the default route (eno1)"),
            std::string::npos) << forced.error().message();
  auto root = h.bind({"0000:04:00.0"});
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.error().message().find("holds the root filesystem"), std::string::npos);
}

TEST(Binding, BridgesInAGroupAreExceptedButNeverBound) {
  Host h("behind-bridge");
  auto plan = h.bind({"0000:06:00.0"});
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  for (const auto& s : plan->steps) EXPECT_EQ(s.description.find("0000:05:00.0"), std::string::npos);
  ASSERT_TRUE(h.run(*plan).ok());
  auto bridge = h.bind({"0000:05:00.0"});
  ASSERT_FALSE(bridge.ok());
  EXPECT_NE(bridge.error().message().find("is a PCI bridge"), std::string::npos);
  auto missing = h.bind({"0000:09:00.0"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace pcipass
