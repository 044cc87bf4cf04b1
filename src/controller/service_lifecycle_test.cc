// A server's lifecycle through the service, on a real SQLite file: building on a host
// whose agent manages devices, active or error by the agent's word, deleting until it
// restores them; placed (and freed at once) elsewhere; the watch of a host's
// assignments; and a service opened again on the store finding it all as it was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "adapters/crypto/openssl_secrets.h"
#include "adapters/store_sqlite/sqlite_store.h"
#include "controller/service.h"
#include "core/test_support.h"

namespace pcipass {
namespace {

namespace fs = std::filesystem;
using testing::J;

class Config final : public ConfigSource {
 public:
  std::string name() const override { return "test.conf"; }
  Result<PciConfigFile> load() override {
    std::vector<std::string> w;
    PciConfigFile out;
    out.device_spec = DeviceSpecList::parse(J(R"([{"vendor_id": "8086", "product_id": "154c", "physical_network": "physnet1"},
                                                   {"vendor_id": "8086", "product_id": "1572", "managed": "yes"}])"), w).value();
    out.aliases = AliasTable::parse(J(R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
                                         {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}])"), w).value();
    return out;
  }
};

class StillClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return {}; }
};

HostRecord nic_host(const std::string& name, bool manages) {
  HostRecord h;
  h.name = name;
  h.manages_devices = manages;
  auto add = [&](const std::string& a, uint16_t product, std::optional<std::string> pf, uint32_t total) {
    StoredDevice d;
    d.facts.address = PciAddress::parse(a).value();
    d.facts.vendor_id = PciId(0x8086);
    d.facts.product_id = PciId(product);
    d.facts.sriov_totalvfs = total;
    if (pf) d.facts.physfn = PciAddress::parse(*pf).value();
    d.fingerprint = name + a;
    h.devices.push_back(d);
  };
  add("0000:41:00.0", 0x1572, std::nullopt, 2);
  add("0000:41:02.0", 0x154c, "0000:41:00.0", 0);
  add("0000:41:02.1", 0x154c, "0000:41:00.0", 0);
  return h;
}

const Principal kAdmin{"admin", Role::Admin, ""};
const Principal kAgent1{"agent-1", Role::Agent, "compute-1"};
const Principal kAgent2{"agent-2", Role::Agent, "compute-2"};

struct Fixture {
  Fixture()
      : file(fs::temp_directory_path() / ("pcipass-lifecycle-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")) {
    fs::remove(file);
    open();
    EXPECT_TRUE(service->report_host(kAgent1, nic_host("compute-1", true)).ok());
    EXPECT_TRUE(service->report_host(kAgent2, nic_host("compute-2", false)).ok());
    EXPECT_TRUE(service->create_flavor(kAdmin, {"vf", 2, 2048, {{"pci_passthrough:alias", "vf:1"}}, 0}).ok());
    EXPECT_TRUE(service->create_flavor(kAdmin, {"pf", 2, 2048, {{"pci_passthrough:alias", "pf:1"}}, 0}).ok());
  }
  ~Fixture() {
    service.reset();
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  }
  // (Re)opens the service on the file, as a restarted controller does.
  void open() {
    service.reset();
    store = SqliteStore::open(file.string()).value();
    ASSERT_TRUE(store->migrate().ok());
    service = Service::open(*store, &config, secrets, clock).value();
  }
  ServerStatus status(const std::string& id) { return service->show_server(kAdmin, id).value().state.status; }
  size_t free_vfs(const std::string& host) {
    const Capacity c = service->capacity(kAdmin, host).value();
    for (const auto& h : c.hosts)
      for (const auto& a : h.aliases)
        if (a.alias == "vf") return a.free;
    return 0;
  }
  fs::path file;
  Config config;
  OpenSslSecrets secrets;
  StillClock clock;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Service> service;
};

TEST(ServerLifecycle, ABootOnAManagingHostBuildsAndTheAgentsWordMakesItActive) {
  Fixture f;
  auto& s = *f.service;
  auto vm = s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")});
  ASSERT_TRUE(vm.ok()) << vm.error().describe();
  EXPECT_EQ(vm->state.status, ServerStatus::Building);
  ASSERT_EQ(vm->devices.size(), 1u);
  EXPECT_FALSE(vm->devices[0].managed);  // the agent binds it: managed='no'
  auto a = s.host_assignments(kAgent1, "compute-1").value();
  EXPECT_TRUE(a.manages_devices);
  ASSERT_EQ(a.servers.size(), 1u);
  EXPECT_EQ(a.servers[0].id, "vm1");
  EXPECT_EQ(a.servers[0].state.status, ServerStatus::Building);
  auto done = s.server_outcome(kAgent1, {"vm1", AgentOutcome::Active, "", ""});
  ASSERT_TRUE(done.ok()) << done.error().describe();
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->state.status, ServerStatus::Active);
  EXPECT_EQ(f.status("vm1"), ServerStatus::Active);
  EXPECT_EQ(s.list_servers(kAdmin, std::nullopt).value().at(0).state.status, ServerStatus::Active);
  // Said again after a lost answer: the same.
  EXPECT_TRUE(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Active, "", ""}).ok());
  // A restarted controller finds it active.
  f.open();
  EXPECT_EQ(f.status("vm1"), ServerStatus::Active);
}

TEST(ServerLifecycle, ABootElsewhereIsPlacedAndItsDeleteFreesAtOnce) {
  Fixture f;
  auto& s = *f.service;
  auto vm = s.create_server(kAdmin, {"vm1", "vf", std::string("compute-2")});
  ASSERT_TRUE(vm.ok());
  EXPECT_EQ(vm->state.status, ServerStatus::Placed);
  EXPECT_TRUE(vm->devices[0].managed);  // libvirt binds it
  EXPECT_EQ(s.server_outcome(kAgent2, {"vm1", AgentOutcome::Active, "", ""}).error().code(), ErrorCode::Conflict);
  auto gone = s.delete_server(kAdmin, "vm1");
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->released);
  EXPECT_EQ(s.show_server(kAdmin, "vm1").error().code(), ErrorCode::NotFound);
}

TEST(ServerLifecycle, ADeleteWaitsForTheAgentToRestoreAndOnlyThenFreesTheDevices) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  ASSERT_TRUE(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Active, "", ""}).ok());
  EXPECT_EQ(f.free_vfs("compute-1"), 1u);
  auto del = s.delete_server(kAdmin, "vm1");
  ASSERT_TRUE(del.ok());
  EXPECT_FALSE(del->released);
  EXPECT_EQ(f.status("vm1"), ServerStatus::Deleting);
  EXPECT_EQ(f.free_vfs("compute-1"), 1u);  // still held
  EXPECT_FALSE(s.delete_server(kAdmin, "vm1")->released);  // again: still deleting
  // The agent may not start it any more: it must restore.
  auto late = s.server_outcome(kAgent1, {"vm1", AgentOutcome::Active, "", ""});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), ErrorCode::Conflict);
  f.open();  // the controller restarts mid-delete
  EXPECT_EQ(f.status("vm1"), ServerStatus::Deleting);
  auto restored = f.service->server_outcome(kAgent1, {"vm1", AgentOutcome::Restored, "", ""});
  ASSERT_TRUE(restored.ok()) << restored.error().describe();
  EXPECT_FALSE(restored->has_value());
  EXPECT_EQ(f.service->show_server(kAdmin, "vm1").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(f.free_vfs("compute-1"), 2u);
  // Said again: the server is gone.
  EXPECT_EQ(f.service->server_outcome(kAgent1, {"vm1", AgentOutcome::Restored, "", ""}).error().code(), ErrorCode::NotFound);
}

TEST(ServerLifecycle, DeleteWhileBuildingWaitsForTheAgentToUndoThePrepare) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  ASSERT_FALSE(s.delete_server(kAdmin, "vm1")->released);
  EXPECT_EQ(f.status("vm1"), ServerStatus::Deleting);
  EXPECT_EQ(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Failed, "prepare", "late"}).error().code(), ErrorCode::Conflict);
  ASSERT_TRUE(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Restored, "", ""}).ok());
  EXPECT_EQ(f.free_vfs("compute-1"), 2u);
}

TEST(ServerLifecycle, AFailedStepLeavesTheServerInErrorWithTheStepAndItsDeleteIsImmediate) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  EXPECT_EQ(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Failed, "", ""}).error().code(), ErrorCode::InvalidArgument);
  auto failed = s.server_outcome(kAgent1, {"vm1", AgentOutcome::Failed, "prepare 0000:41:02.0: bind to vfio-pci",
                                           "write driver_override: Permission denied"});
  ASSERT_TRUE(failed.ok());
  f.open();
  auto shown = f.service->show_server(kAdmin, "vm1").value();
  EXPECT_EQ(shown.state.status, ServerStatus::Error);
  EXPECT_EQ(shown.state.step, "prepare 0000:41:02.0: bind to vfio-pci");
  EXPECT_EQ(shown.state.message, "write driver_override: Permission denied");
  EXPECT_EQ(f.free_vfs("compute-1"), 1u);  // held until deleted
  // Its agent rolled the host back before saying so: nothing to wait for.
  EXPECT_TRUE(f.service->delete_server(kAdmin, "vm1")->released);
  EXPECT_EQ(f.free_vfs("compute-1"), 2u);
}

TEST(ServerLifecycle, AnAgentActsOnlyForItsOwnHost) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  EXPECT_EQ(s.server_outcome(kAgent2, {"vm1", AgentOutcome::Active, "", ""}).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.host_assignments(kAgent2, "compute-1").error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.host_assignments(Principal{"ops", Role::Reader, ""}, "compute-1").error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.host_assignments(kAdmin, "compute-9").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s.server_outcome(kAgent1, {"nobody", AgentOutcome::Active, "", ""}).error().code(), ErrorCode::NotFound);
  EXPECT_EQ(f.status("vm1"), ServerStatus::Building);
}

TEST(ServerLifecycle, AForcedDeleteFreesWithoutTheHost) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  EXPECT_TRUE(s.delete_server(kAdmin, "vm1", true)->released);
  EXPECT_EQ(f.free_vfs("compute-1"), 2u);
  EXPECT_TRUE(s.host_assignments(kAgent1, "compute-1")->servers.empty());
}

TEST(ServerLifecycle, AHostThatStopsManagingDevicesHasItsServersFreedAtOnce) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  ASSERT_TRUE(s.report_host(kAgent1, nic_host("compute-1", false)).ok());
  EXPECT_TRUE(s.delete_server(kAdmin, "vm1")->released);
}

TEST(ServerLifecycle, ManagedYesInTheDeviceSpecLeavesBindingToLibvirt) {
  Fixture f;
  auto vm = f.service->create_server(kAdmin, {"vm1", "pf", std::string("compute-1")});
  ASSERT_TRUE(vm.ok()) << vm.error().describe();
  ASSERT_EQ(vm->devices.size(), 1u);
  EXPECT_TRUE(vm->devices[0].managed);
}

TEST(ServerLifecycle, AWatchWakesWhenItsHostMovesAndNotForOthers) {
  Fixture f;
  auto& s = *f.service;
  const uint64_t g = s.host_assignments(kAgent1, "compute-1")->generation;
  EXPECT_FALSE(s.watch_host("compute-1", g - 1, [] {}).has_value());  // moved already
  std::atomic<int> woken{0};
  auto id = s.watch_host("compute-1", g, [&] { ++woken; });
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(s.create_server(kAdmin, {"vm-elsewhere", "vf", std::string("compute-2")}).ok());
  EXPECT_EQ(woken.load(), 0);
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).ok());
  EXPECT_EQ(woken.load(), 1);
  ASSERT_TRUE(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Active, "", ""}).ok());
  EXPECT_EQ(woken.load(), 1);  // once
  s.unwatch(*id);              // after waking: nothing
  const uint64_t now = s.host_assignments(kAgent1, "compute-1")->generation;
  EXPECT_GT(now, g);
  auto later = s.watch_host("compute-1", now, [&] { ++woken; });
  ASSERT_TRUE(later.has_value());
  s.unwatch(*later);  // timed out: never woken
  ASSERT_FALSE(s.delete_server(kAdmin, "vm1")->released);
  EXPECT_EQ(woken.load(), 1);
}

TEST(ServerLifecycle, ADeviceThatNeedsAttentionStaysWithItsServerAndIsNeverOfferedAgain) {
  Fixture f;
  auto& s = *f.service;
  auto vm = s.create_server(kAdmin, {"vm1", "vf", std::string("compute-1")}).value();
  ASSERT_TRUE(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Active, "", ""}).ok());
  ASSERT_FALSE(s.delete_server(kAdmin, "vm1")->released);
  // The restore failed for its VF: the agent says so, then that the server is restored.
  HostRecord report = nic_host("compute-1", true);
  for (auto& d : report.devices)
    if (d.facts.address == vm.devices[0].address) d.facts.attention = "restore: it did not come back to iavf";
  ASSERT_TRUE(s.report_host(kAgent1, report).ok());
  EXPECT_TRUE(s.health(kAdmin)->ok());  // its holder keeps it: nothing breaks
  ASSERT_TRUE(s.server_outcome(kAgent1, {"vm1", AgentOutcome::Restored, "", ""}).ok());
  EXPECT_EQ(f.free_vfs("compute-1"), 1u);
  auto dev = s.show_device(kAdmin, "compute-1", vm.devices[0].address).value();
  EXPECT_EQ(dev.status, DeviceStatus::NeedsAttention);
  EXPECT_EQ(dev.reason, vm.devices[0].address.to_string() + ": it needs attention on the host: restore: it did not come back to iavf");
  auto listed = s.list_devices(kAdmin, DeviceFilter{std::string("compute-1"), {}, {}, DeviceStatus::NeedsAttention}).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].address, vm.devices[0].address);
  ASSERT_TRUE(s.create_server(kAdmin, {"vm2", "vf", std::string("compute-1")}).ok());
  EXPECT_EQ(s.create_server(kAdmin, {"vm3", "vf", std::string("compute-1")}).error().code(), ErrorCode::NoValidHost);
}

}  // namespace
}  // namespace pcipass
