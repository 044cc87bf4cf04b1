// The agent's prepare and restore on the FakeKernel (the sriov-nic fixture: PF
// 41:00.0 on i40e with 4 VFs, VF 41:02.3 on vfio-pci; PF 41:00.1 without VFs), and
// the journal's codec.
#include "host/placement.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/sysfs/testing/fake_kernel.h"
#include "core/bind_plan.h"
#include "host/binding.h"
#include "host/host_critical.h"
#include "host/plan_executor.h"
#include "host/testing/fixture_vf_network.h"

namespace pcipass {
namespace {
using testing::FixtureVfNetwork;
namespace fs = std::filesystem;

PciAddress at(const char* a) { return PciAddress::parse(a).value(); }

struct Host {
  Host() : scratch(fs::temp_directory_path() / ("pcipass-placement-" + std::to_string(::getpid()))),
           kernel(fs::path(PCIPASS_TESTDATA) / "sysfs/sriov-nic", scratch), reader(scratch.string()) {}
  ~Host() { fs::remove_all(scratch); }
  std::vector<PreparedDevice> record(std::vector<AssignedDevice> devices) {
    auto r = record_devices(discover(reader), reader, devices);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r ? *r : std::vector<PreparedDevice>{};
  }
  std::optional<std::string> driver(const char* a) { return kernel.driver_of(a); }
  size_t vfs_of(const char* pf) {
    size_t n = 0;
    for (const auto& d : discover(reader).devices) n += d.physfn == at(pf) ? 1 : 0;
    return n;
  }
  // VF 41:02.3 back to iavf, so PF 41:00.0's VFs are all on host drivers.
  void free_vf3() {
    ASSERT_TRUE(kernel.write_attribute("sys/bus/pci/drivers/vfio-pci/unbind", "0000:41:02.3").ok());
    ASSERT_TRUE(kernel.write_attribute("sys/bus/pci/drivers/iavf/bind", "0000:41:02.3").ok());
    ASSERT_EQ(driver("0000:41:02.3"), std::optional<std::string>("iavf"));
  }
  std::optional<std::string> override_of(const char* a) {
    for (const auto& d : discover(reader).devices)
      if (d.address == at(a)) return d.driver_override;
    return "(absent)";
  }
  fs::path scratch;
  testing::FakeKernel kernel;
  PosixSysfsReader reader;
};

TEST(Placement, AVfGoesToVfioPciAndBackToItsDriver) {
  Host h;
  auto rec = h.record({{at("0000:41:02.0"), DeviceType::Vf, false}});
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].driver, std::optional<std::string>("iavf"));
  EXPECT_EQ(rec[0].iommu_group, std::optional<uint32_t>(50));
  auto failure = prepare_devices(h.reader, h.kernel, rec);
  ASSERT_FALSE(failure) << failure->step << ": " << failure->message;
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("vfio-pci"));
  EXPECT_TRUE(h.reader.exists("dev/vfio/50"));
  auto problems = restore_devices(h.reader, h.kernel, rec);
  EXPECT_TRUE(problems.empty()) << problems.begin()->second;
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("iavf"));
  EXPECT_FALSE(h.reader.exists("dev/vfio/50"));
  // Again (a restarted agent finishing it): nothing to do, nothing wrong.
  EXPECT_TRUE(restore_devices(h.reader, h.kernel, rec).empty());
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("iavf"));
}

TEST(Placement, APfLosesItsVfsForTheGuestAndGetsThemBackAfter) {
  Host h;
  h.free_vf3();
  auto rec = h.record({{at("0000:41:00.0"), DeviceType::Pf, false}});
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].numvfs, 4u);
  auto failure = prepare_devices(h.reader, h.kernel, rec);
  ASSERT_FALSE(failure) << failure->step << ": " << failure->message;
  EXPECT_EQ(h.vfs_of("0000:41:00.0"), 0u);
  EXPECT_EQ(h.driver("0000:41:00.0"), std::optional<std::string>("vfio-pci"));
  EXPECT_TRUE(h.reader.exists("dev/vfio/41"));
  int pauses = 0;
  auto problems = restore_devices(h.reader, h.kernel, rec, RestoreOptions{[&] { ++pauses; }, 10});
  EXPECT_TRUE(problems.empty()) << problems.begin()->second;
  EXPECT_EQ(h.driver("0000:41:00.0"), std::optional<std::string>("i40e"));
  EXPECT_EQ(h.vfs_of("0000:41:00.0"), 4u);
}

TEST(Placement, APfWhoseVfIsInUseIsRefusedAndLeftAsItWas) {
  Host h;  // VF 41:02.3 is on vfio-pci
  auto rec = h.record({{at("0000:41:00.0"), DeviceType::Pf, false}});
  auto failure = prepare_devices(h.reader, h.kernel, rec);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->step, "prepare 0000:41:00.0: remove its VFs");
  EXPECT_NE(failure->message.find("VF 0000:41:02.3 is bound to vfio-pci"), std::string::npos) << failure->message;
  EXPECT_EQ(h.vfs_of("0000:41:00.0"), 4u);
  EXPECT_EQ(h.driver("0000:41:00.0"), std::optional<std::string>("i40e"));
}

TEST(Placement, ABindTheKernelRefusesMidwayLeavesTheHostAsItWas) {
  Host h;
  h.free_vf3();
  auto rec = h.record({{at("0000:41:00.0"), DeviceType::Pf, false}});
  // The VFs go, the PF leaves i40e, then the kernel refuses the probe that would bind vfio-pci.
  h.kernel.fail("sys/bus/pci/drivers_probe", ErrorCode::Io, 1);
  auto failure = prepare_devices(h.reader, h.kernel, rec);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->step, "prepare 0000:41:00.0: bind to vfio-pci");
  EXPECT_NE(failure->message.find("injected failure"), std::string::npos) << failure->message;
  EXPECT_TRUE(failure->rollback_errors.empty()) << failure->rollback_errors.front();
  EXPECT_EQ(h.driver("0000:41:00.0"), std::optional<std::string>("i40e"));
  EXPECT_EQ(h.vfs_of("0000:41:00.0"), 4u);
  EXPECT_FALSE(h.reader.exists("dev/vfio/41"));
}

TEST(Placement, ADeviceLibvirtBindsIsLeftAlone) {
  Host h;
  auto rec = h.record({{at("0000:41:02.0"), DeviceType::Vf, true}});
  EXPECT_FALSE(prepare_devices(h.reader, h.kernel, rec));
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("iavf"));
  EXPECT_TRUE(restore_devices(h.reader, h.kernel, rec).empty());
}

TEST(Placement, AVfOnVfioPciAlreadyStaysThere) {
  Host h;
  fs::create_directories(h.scratch / "dev/vfio");
  std::ofstream(h.scratch / "dev/vfio/53") << "";  // a host's udev made it when it was bound
  auto rec = h.record({{at("0000:41:02.3"), DeviceType::Vf, false}});
  auto failure = prepare_devices(h.reader, h.kernel, rec);
  EXPECT_FALSE(failure) << failure->step << ": " << failure->message;
  EXPECT_EQ(h.override_of("0000:41:02.3"), std::optional<std::string>("vfio-pci"));  // held by vfio-pci only now
  EXPECT_TRUE(restore_devices(h.reader, h.kernel, rec).empty());
  EXPECT_EQ(h.driver("0000:41:02.3"), std::optional<std::string>("vfio-pci"));
  EXPECT_EQ(h.override_of("0000:41:02.3"), rec[0].driver_override);
}

TEST(Placement, VfsThatCannotBeRecreatedAreSaidPerDevice) {
  Host h;
  h.free_vf3();
  auto rec = h.record({{at("0000:41:00.0"), DeviceType::Pf, false}});
  ASSERT_FALSE(prepare_devices(h.reader, h.kernel, rec));
  h.kernel.fail("sys/bus/pci/devices/0000:41:00.0/sriov_numvfs", ErrorCode::Io, 5);
  auto problems = restore_devices(h.reader, h.kernel, rec, RestoreOptions{nullptr, 2});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems.begin()->first, at("0000:41:00.0"));
  EXPECT_NE(problems.begin()->second.find("restore its 4 VFs"), std::string::npos) << problems.begin()->second;
  EXPECT_EQ(h.driver("0000:41:00.0"), std::optional<std::string>("i40e"));  // the PF itself is back
}

TEST(Placement, TheVfioNodeMustBelongToTheConfiguredGroup) {
  Host h;
  auto rec = h.record({{at("0000:41:02.0"), DeviceType::Vf, false}});
  PrepareOptions o;
  o.vfio_group = "pcipass-no-such-group";
  auto failure = prepare_devices(h.reader, h.kernel, rec, o);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->step, "prepare 0000:41:02.0: /dev/vfio/50");
  EXPECT_NE(failure->message.find("not to group pcipass-no-such-group with read and write"), std::string::npos) << failure->message;
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("iavf"));  // rolled back
  // The group the node has (as a udev rule would give it): prepared.
  std::ofstream(h.scratch / "probe") << "";
  o.vfio_group = h.reader.owner("probe").value().group;
  failure = prepare_devices(h.reader, h.kernel, rec, o);
  EXPECT_FALSE(failure) << failure->step << ": " << failure->message;
}

TEST(Placement, AnUnknownDeviceIsNotRecorded) {
  Host h;
  auto r = record_devices(discover(h.reader), h.reader, {{at("0000:99:00.0"), DeviceType::Pci, false}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::NotFound);
}

TEST(Placement, ANicVfGetsItsMacAndVlanOnItsPfAndGivesThemBack) {
  Host h;
  FixtureVfNetwork net(h.reader);
  const VfNetSettings before{"02:00:00:00:00:01", 0};
  ASSERT_TRUE(net.set("ens1f0", 0, before).ok());
  AssignedDevice vf{at("0000:41:02.0"), DeviceType::Vf, false};
  vf.mac = "52:54:00:aa:bb:cc";
  vf.vlan = 100;
  auto rec = record_devices(discover(h.reader), h.reader, {vf}, &net);
  ASSERT_TRUE(rec.ok()) << rec.error().describe();
  EXPECT_EQ(rec->at(0).pf_netdev, std::optional<std::string>("ens1f0"));
  EXPECT_EQ(rec->at(0).vf_index, std::optional<uint32_t>(0));
  EXPECT_EQ(rec->at(0).vf_before, std::optional<VfNetSettings>(before));
  PrepareOptions po;
  po.network = &net;
  auto failure = prepare_devices(h.reader, h.kernel, *rec, po);
  ASSERT_FALSE(failure) << failure->step << ": " << failure->message;
  EXPECT_EQ(net.vfs("ens1f0")->at(0), (VfNetSettings{"52:54:00:aa:bb:cc", 100}));
  RestoreOptions ro;
  ro.network = &net;
  EXPECT_TRUE(restore_devices(h.reader, h.kernel, *rec, ro).empty());
  EXPECT_EQ(net.vfs("ens1f0")->at(0), before);
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("iavf"));
  // Refused by the PF: the step says so and the VF is back on iavf.
  net.refused_mac = "52:54:00:aa:bb:cc";
  failure = prepare_devices(h.reader, h.kernel, *rec, po);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->step, "prepare 0000:41:02.0: set MAC 52:54:00:aa:bb:cc VLAN 100 on ens1f0");
  EXPECT_NE(failure->message.find("refused MAC"), std::string::npos) << failure->message;
  EXPECT_EQ(h.driver("0000:41:02.0"), std::optional<std::string>("iavf"));
  EXPECT_EQ(net.vfs("ens1f0")->at(0), before);
  // Without netlink, a VF that needs a MAC cannot be prepared.
  failure = prepare_devices(h.reader, h.kernel, *rec, PrepareOptions{});
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("no netlink"), std::string::npos) << failure->message;
}

TEST(Placement, APfsVfSettingsComeBackWithItsVfs) {
  Host h;
  h.free_vf3();
  FixtureVfNetwork net(h.reader);
  ASSERT_TRUE(net.set("ens1f0", 1, {"52:54:00:00:00:11", 7}).ok());
  auto rec = record_devices(discover(h.reader), h.reader, {{at("0000:41:00.0"), DeviceType::Pf, false}}, &net);
  ASSERT_TRUE(rec.ok()) << rec.error().describe();
  ASSERT_EQ(rec->at(0).vf_settings.size(), 4u);
  ASSERT_FALSE(prepare_devices(h.reader, h.kernel, *rec));
  RestoreOptions ro;
  ro.network = &net;
  auto problems = restore_devices(h.reader, h.kernel, *rec, ro);
  EXPECT_TRUE(problems.empty()) << problems.begin()->second;
  auto now = net.vfs("ens1f0").value();  // the VFs are new ones: their settings were put back
  ASSERT_EQ(now.size(), 4u);
  EXPECT_EQ(now[1], (VfNetSettings{"52:54:00:00:00:11", 7}));
  EXPECT_EQ(now[0], VfNetSettings{});
}

TEST(AgentJournal, RoundTripsAndNamesWhatIsWrong) {
  AgentJournal j;
  j.servers.push_back({"vm1", JournalPhase::Prepared,
                       {{at("0000:41:00.0"), DeviceType::Pf, false, "i40e", std::nullopt, 41, 4, true},
                        {at("0000:41:02.3"), DeviceType::Vf, true, "vfio-pci", "vfio-pci", std::nullopt, 0, true}}});
  j.servers.push_back({"vm2", JournalPhase::Restoring, {}});
  PreparedDevice nic{at("0000:41:02.1"), DeviceType::Vf, false, "iavf", std::nullopt, 51, 0, true};
  nic.pf_netdev = "ens1f0";
  nic.vf_index = 1;
  nic.vf_before = VfNetSettings{};
  nic.vf_wanted = VfNetSettings{"52:54:00:aa:bb:cc", 100};
  j.servers[1].devices.push_back(nic);
  j.servers[0].devices[0].vf_settings = {VfNetSettings{}, VfNetSettings{"52:54:00:00:00:11", 7}};
  j.attention[at("0000:41:00.1")] = "restore: its 2 VFs did not appear";
  auto back = parse_journal(journal_value(j));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, j);
  EXPECT_EQ(back->find("vm2")->phase, JournalPhase::Restoring);
  back->erase("vm2");
  EXPECT_EQ(back->find("vm2"), nullptr);
  ConfigValue v = journal_value(j);
  auto bad = [&](const std::string& path, auto mutate) {
    ConfigValue copy = journal_value(j);
    mutate(copy);
    auto r = parse_journal(copy);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().where(), path) << r.error().describe();
  };
  bad("version", [](ConfigValue& c) { c = ConfigValue::object({{"version", ConfigValue::integer(2)}}); });
  (void)v;
}

}  // namespace
}  // namespace pcipass
