// The agent carrying out placements against a real controller (SQLite, the REST API on
// loopback, HttpControllerLink) on the FakeKernel's sriov-nic host: a PF handed over and
// given back with its VFs, a VF then placed, a refused bind leaving the host as it was,
// and an agent killed in the middle of a prepare.
#include "host/placement_agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/api_client/controller_link_http.h"
#include "adapters/crypto/openssl_secrets.h"
#include "adapters/json/nova_conf.h"
#include "adapters/libvirt/libvirt_hypervisor.h"
#include "adapters/libvirt_xml/domain_merge.h"
#include "adapters/store_sqlite/sqlite_store.h"
#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/sysfs/testing/fake_kernel.h"
#include "adapters/system/system_clock.h"
#include "controller/service.h"
#include "server/http_api.h"
#include "server/http_server.h"
#include "host/testing/fixture_vf_network.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kConfig = R"([pci]
device_spec = {"vendor_id": "8086", "product_id": "1572"}
device_spec = {"vendor_id": "8086", "product_id": "154c"}
alias = {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}
alias = {"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}
)";

PciAddress at(const char* a) { return PciAddress::parse(a).value(); }

// A controller on a scratch SQLite file, serving on a loopback port, with an agent token.
struct Controller {
  Controller(const fs::path& dir) : config_file((dir / "nova.conf").string()), config(config_file) {
    std::ofstream(config_file) << kConfig;
    store = SqliteStore::open((dir / "pcipass.db").string()).value();
    EXPECT_TRUE(store->migrate().ok());
    EXPECT_TRUE(store->create_token({"admin", secrets.digest("admin-secret"), "admin", ""}).ok());
    EXPECT_TRUE(store->create_token({"agent", secrets.digest("agent-secret"), "agent", "compute-1"}).ok());
    service = Service::open(*store, &config, secrets, clock).value();
    api = std::make_unique<server::HttpApi>(*service, server::HttpOptions{});
    http = server::HttpServer::start({}, [a = api.get()](const server::HttpRequest& r) { return a->handle(r); }, api->error_bodies()).value();
    EXPECT_TRUE(service->create_flavor(admin, {"pf", 2, 1024, {{"pci_passthrough:alias", "pf:1"}}, 0}).ok());
    EXPECT_TRUE(service->create_flavor(admin, {"vf", 2, 1024, {{"pci_passthrough:alias", "vf:1"}}, 0}).ok());
  }
  ~Controller() { http->stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http->port()); }
  ServerState state(const std::string& id) {
    auto s = service->show_server(admin, id);
    return s ? s->state : ServerState{ServerStatus::Placed, "gone", ""};
  }
  std::string config_file;
  NovaConfFile config;
  OpenSslSecrets secrets;
  SystemClock clock;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Service> service;
  std::unique_ptr<server::HttpApi> api;
  std::unique_ptr<server::HttpServer> http;
  const Principal admin{"admin", Role::Admin, ""};
};

struct Rig {
  Rig()
      : dir(fs::temp_directory_path() / ("pcipass-agent-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        made(fs::create_directories(dir)),
        kernel(fs::path(PCIPASS_TESTDATA) / "sysfs/sriov-nic", dir / "host"),
        reader((dir / "host").string()),
        controller(dir),
        link(ApiEndpoint{controller.url(), "agent-secret"}, "compute-1") {
    // VF 41:02.3 back on iavf: PF 41:00.0's VFs are all idle.
    EXPECT_TRUE(kernel.write_attribute("sys/bus/pci/drivers/vfio-pci/unbind", "0000:41:02.3").ok());
    EXPECT_TRUE(kernel.write_attribute("sys/bus/pci/drivers/iavf/bind", "0000:41:02.3").ok());
  }
  ~Rig() { fs::remove_all(dir); }
  // An agent as started now, on the journal as saved.
  std::unique_ptr<PlacementAgent> agent(Hypervisor* hypervisor = nullptr, VfNetwork* network = nullptr) {
    PlacementAgentOptions o;
    o.prepare.network = network;
    o.restore.network = network;
    // The operator's base domain, for libvirt's test driver.
    o.domain_of = [](const AssignedServer& s) -> Result<std::string> {
      if (!s.base_domain) return s.domain_xml;
      if (*s.base_domain != "test-vm") return Error(ErrorCode::NotFound, "no base domain " + *s.base_domain);
      return merge_domain("<domain type='test'><name>base</name><memory>1</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
                          "<devices><console type='pty'/></devices></domain>",
                          s.id, s.vcpus, s.memory_mb, s.devices_xml);
    };
    o.restore.vf_polls = 3;
    o.log = [this](const std::string& line) { log.push_back(line); };
    return std::make_unique<PlacementAgent>(reader, kernel, link, hypervisor, saved, [this](const AgentJournal& j) {
      saved = j;
      ++saves;
      return ok_status();
    }, o);
  }
  void round(PlacementAgent& a) {
    auto work = link.assignments(std::nullopt, 0);
    ASSERT_TRUE(work.ok()) << work.error().describe();
    auto st = a.carry_out(*work);
    ASSERT_TRUE(st.ok()) << st.error().describe();
  }
  size_t vfs_of(const char* pf) {
    size_t n = 0;
    for (const auto& d : discover(reader).devices) n += d.physfn == at(pf) ? 1 : 0;
    return n;
  }
  DeviceStatus controller_status(const char* a) {
    auto d = controller.service->show_device(controller.admin, "compute-1", at(a));
    return d ? d->status : DeviceStatus::Vanished;
  }
  fs::path dir;
  bool made;
  testing::FakeKernel kernel;
  PosixSysfsReader reader;
  Controller controller;
  HttpControllerLink link;
  AgentJournal saved;
  int saves = 0;
  std::vector<std::string> log;
};

TEST(PlacementAgent, AVfTakesItsPortsVlanOverTheFlavorsAndAPfServingAPortGetsNothingSet) {
  const Json body = Json::parse(R"({"generation": 7, "servers": [
    {"id": "flavor", "status": "building", "vlan": 100, "devices": [
      {"address": "0000:41:02.0", "type": "type-VF", "mac": "52:54:00:00:00:01"}]},
    {"id": "ports", "status": "building", "vlan": 100, "devices": [
      {"address": "0000:41:02.1", "type": "type-VF", "mac": "fa:16:3e:00:00:0a", "port": "p1", "vlan": 10},
      {"address": "0000:41:02.2", "type": "type-VF", "mac": "fa:16:3e:00:00:0b", "port": "p2"},
      {"address": "0000:41:00.0", "type": "type-PF", "mac": "fa:16:3e:00:00:0c", "port": "p3"}]}]})");
  auto work = parse_host_work(body);
  ASSERT_TRUE(work.ok()) << work.error().describe();
  ASSERT_EQ(work->servers.size(), 2u);
  EXPECT_EQ(work->servers[0].devices[0].vlan, 100);
  const auto& d = work->servers[1].devices;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].mac, std::optional<std::string>("fa:16:3e:00:00:0a"));
  EXPECT_EQ(d[0].vlan, 10);
  EXPECT_EQ(d[1].vlan, 0);  // a port on a flat network: untagged, whatever the flavor says
  EXPECT_FALSE(d[2].mac);   // a PF: its VLAN is its switch port's
  EXPECT_EQ(d[2].vlan, 0);
}

TEST(PlacementAgent, APfIsHandedOverAndGivenBackWithItsVfsThenAVfIsPlaced) {
  Rig r;
  auto agent = r.agent();
  ASSERT_TRUE(r.link.report(agent->report()).ok());
  auto& s = *r.controller.service;
  // The idle PF goes first; the second PF request takes the one with VFs.
  ASSERT_EQ(s.create_server(r.controller.admin, {"pf-idle", "pf", std::nullopt})->devices.at(0).address, at("0000:41:00.1"));
  auto pf = s.create_server(r.controller.admin, {"pf-vfs", "pf", std::nullopt});
  ASSERT_TRUE(pf.ok()) << pf.error().describe();
  ASSERT_EQ(pf->devices.at(0).address, at("0000:41:00.0"));
  EXPECT_EQ(pf->state.status, ServerStatus::Building);
  r.round(*agent);
  EXPECT_EQ(r.controller.state("pf-vfs").status, ServerStatus::Active) << r.controller.state("pf-vfs").message;
  // What the agent did, as it said it.
  EXPECT_NE(r.controller.state("pf-vfs").message.find("remove the 4 VFs of 0000:41:00.0"), std::string::npos)
      << r.controller.state("pf-vfs").message;
  EXPECT_NE(r.controller.state("pf-vfs").message.find("bind 0000:41:00.0 to vfio-pci"), std::string::npos);
  EXPECT_EQ(r.controller.state("pf-idle").status, ServerStatus::Active);
  EXPECT_EQ(r.kernel.driver_of("0000:41:00.0"), std::optional<std::string>("vfio-pci"));
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 0u);
  EXPECT_TRUE(r.reader.exists("dev/vfio/41"));
  auto vf0 = s.show_device(r.controller.admin, "compute-1", at("0000:41:02.0"));  // reported gone
  EXPECT_FALSE(vf0.ok()) << to_string(vf0->status) << " " << vf0->reason;
  ASSERT_EQ(r.saved.servers.size(), 2u);
  EXPECT_EQ(r.saved.find("pf-vfs")->devices.at(0).numvfs, 4u);
  // Delete: deleting until the agent has given the PF back with its 4 VFs.
  ASSERT_FALSE(s.delete_server(r.controller.admin, "pf-vfs")->released);
  r.round(*agent);
  EXPECT_EQ(s.show_server(r.controller.admin, "pf-vfs").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(r.kernel.driver_of("0000:41:00.0"), std::optional<std::string>("i40e"));
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 4u);
  for (const auto& d : discover(r.reader).devices)  // as the kernel made them again, and reported
    if (d.physfn == at("0000:41:00.0")) EXPECT_EQ(r.controller_status(d.address.to_string().c_str()), DeviceStatus::Available);
  EXPECT_EQ(r.saved.find("pf-vfs"), nullptr);
  // A VF flavor now boots on one of them.
  auto vf = s.create_server(r.controller.admin, {"vm-vf", "vf", std::nullopt});
  ASSERT_TRUE(vf.ok()) << vf.error().describe();
  r.round(*agent);
  EXPECT_EQ(r.controller.state("vm-vf").status, ServerStatus::Active);
  EXPECT_EQ(r.kernel.driver_of(vf->devices.at(0).address.to_string()), std::optional<std::string>("vfio-pci"));
}

TEST(PlacementAgent, AnInterfacesVfCountIsCarriedOutOnlyWhileItsHostIsLocked) {
  Rig r;
  auto agent = r.agent();
  ASSERT_TRUE(r.link.report(agent->report()).ok());
  auto& s = *r.controller.service;
  const Principal& admin = r.controller.admin;
  const InterfaceRequest eight{"0000:41:00.0", InterfaceClass::PciSriov, "group0-data0", 8};
  EXPECT_EQ(s.set_host_interface(admin, "compute-1", eight).error().code(), ErrorCode::Conflict);  // not locked
  ASSERT_TRUE(s.lock_host(admin, "compute-1", true).ok());
  auto set = s.set_host_interface(admin, "compute-1", eight);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->vfs, 4u);  // as reported before the agent acts
  r.round(*agent);
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 8u);
  EXPECT_NE(r.reader.read("etc/udev/rules.d/71-pcipass-sriov.rules").value_or("").find("0000:41:00.0"), std::string::npos);
  // Reported: the controller lists the 8 VFs, on group0-data0.
  auto listed = s.list_host_interfaces(admin, "compute-1").value();
  auto pf = std::find_if(listed.begin(), listed.end(), [](const HostInterfaceView& v) { return v.address == at("0000:41:00.0"); });
  ASSERT_NE(pf, listed.end());
  EXPECT_EQ(pf->vfs, 8u);
  EXPECT_EQ(pf->physical_networks, std::vector<std::string>{"group0-data0"});
  bool said = false;
  for (const auto& line : r.log) said = said || line.find("interface 0000:41:00.0: 4 -> 8 VFs") != std::string::npos;
  EXPECT_TRUE(said);

  // Set on a locked host, then unlocked before its agent looked: nothing happens while unlocked.
  ASSERT_TRUE(s.set_host_interface(admin, "compute-1", {"0000:41:00.0", InterfaceClass::PciSriov, "group0-data0", 2}).ok());
  ASSERT_TRUE(s.lock_host(admin, "compute-1", false).ok());
  r.round(*agent);
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 8u);
  ASSERT_TRUE(s.lock_host(admin, "compute-1", true).ok());
  r.round(*agent);
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 2u);
  r.round(*agent);  // nothing left to do: no change, no failure
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 2u);
}

TEST(PlacementAgent, APortsVfGetsThePortsMacAndItsNetworksVlanOnTheHostAndGivesThemBack) {
  Rig r;
  testing::FixtureVfNetwork net(r.reader);
  auto agent = r.agent(nullptr, &net);
  ASSERT_TRUE(r.link.report(agent->report()).ok());
  auto& s = *r.controller.service;
  const Principal& admin = r.controller.admin;
  // ens1f0 serves group0-data0 (its 4 VFs as they are); net0 is VLAN 10 there.
  ASSERT_TRUE(s.lock_host(admin, "compute-1", true).ok());
  ASSERT_TRUE(s.set_host_interface(admin, "compute-1", {"ens1f0", InterfaceClass::PciSriov, "group0-data0", 4}).ok());
  ASSERT_TRUE(s.lock_host(admin, "compute-1", false).ok());
  ASSERT_TRUE(s.create_network(admin, {"net0", std::nullopt, false, "vlan", "group0-data0", 10}).ok());
  ASSERT_TRUE(s.create_port(admin, {"p1", "net0", std::nullopt, "direct", std::string("52:54:00:0a:00:01")}).ok());
  ASSERT_TRUE(s.create_flavor(admin, {"plain", 1, 512, {}, 0}).ok());
  auto vm = s.create_server(admin, {"vm-port", "plain", std::nullopt, std::nullopt, {{std::string("p1"), {}, "direct"}}});
  ASSERT_TRUE(vm.ok()) << vm.error().describe();
  ASSERT_EQ(vm->devices.size(), 1u);
  const PciAddress vf = vm->devices[0].address;
  auto vfs = discover(r.reader).devices;
  std::vector<PciAddress> order;
  for (const auto& d : vfs)
    if (d.address == at("0000:41:00.0")) order = d.virtfns;
  const auto index = static_cast<size_t>(std::find(order.begin(), order.end(), vf) - order.begin());
  ASSERT_LT(index, order.size());
  r.round(*agent);
  EXPECT_EQ(r.controller.state("vm-port").status, ServerStatus::Active) << r.controller.state("vm-port").message;
  EXPECT_EQ(net.vfs("ens1f0")->at(index), (VfNetSettings{"52:54:00:0a:00:01", 10}));
  EXPECT_EQ(r.kernel.driver_of(vf.to_string()), std::optional<std::string>("vfio-pci"));
  // Deleted: the VF's settings as they were, and the VF back on its driver.
  ASSERT_FALSE(s.delete_server(admin, "vm-port")->released);
  r.round(*agent);
  EXPECT_EQ(s.show_server(admin, "vm-port").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(net.vfs("ens1f0")->at(index), VfNetSettings{});
  EXPECT_EQ(r.kernel.driver_of(vf.to_string()), std::optional<std::string>("iavf"));
}

TEST(PlacementAgent, ABindTheKernelRefusesLeavesTheServerInErrorAndTheHostAsItWas) {
  Rig r;
  auto agent = r.agent();
  ASSERT_TRUE(r.link.report(agent->report()).ok());
  auto& s = *r.controller.service;
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-idle", "pf", std::nullopt}).ok());
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-vfs", "pf", std::nullopt}).ok());
  ASSERT_TRUE(s.delete_server(r.controller.admin, "pf-idle", true)->released);  // only the PF with VFs is building
  r.kernel.fail("sys/bus/pci/drivers_probe", ErrorCode::Io, 1);
  r.round(*agent);
  const ServerState st = r.controller.state("pf-vfs");
  EXPECT_EQ(st.status, ServerStatus::Error);
  EXPECT_EQ(st.step, "prepare 0000:41:00.0: bind to vfio-pci");
  EXPECT_NE(st.message.find("injected failure"), std::string::npos) << st.message;
  EXPECT_EQ(r.kernel.driver_of("0000:41:00.0"), std::optional<std::string>("i40e"));
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 4u);
  EXPECT_TRUE(r.saved.servers.empty());
  EXPECT_TRUE(r.saved.attention.empty());
  EXPECT_TRUE(s.health(r.controller.admin)->ok());
  // Nothing leaked: deleting it frees the PF, which a new boot can take.
  ASSERT_TRUE(s.delete_server(r.controller.admin, "pf-vfs")->released);
  ASSERT_TRUE(s.create_server(r.controller.admin, {"again", "pf", std::nullopt}).ok());
}

TEST(PlacementAgent, AnAgentKilledMidPrepareUndoesItOnRestartAndPreparesAgain) {
  Rig r;
  {
    auto agent = r.agent();
    ASSERT_TRUE(r.link.report(agent->report()).ok());
  }
  auto& s = *r.controller.service;
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-idle", "pf", std::nullopt}).ok());
  ASSERT_TRUE(s.delete_server(r.controller.admin, "pf-idle", true)->released);
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-idle2", "pf", std::nullopt}).ok());  // takes 41:00.1 again
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-vfs", "pf", std::nullopt}).ok());
  ASSERT_TRUE(s.delete_server(r.controller.admin, "pf-idle2", true)->released);
  // The agent got as far as removing the VFs and unbinding the PF, then died: the
  // journal says preparing (what a killed agent leaves), the host is half done.
  {
    const Discovery d = discover(r.reader);
    auto rec = record_devices(d, r.reader, {{at("0000:41:00.0"), DeviceType::Pf, false}}).value();
    r.saved.servers.push_back({"pf-vfs", JournalPhase::Preparing, rec});
    ASSERT_TRUE(r.kernel.write_attribute("sys/bus/pci/devices/0000:41:00.0/sriov_numvfs", "0").ok());
    ASSERT_TRUE(r.kernel.write_attribute("sys/bus/pci/drivers/i40e/unbind", "0000:41:00.0").ok());
  }
  auto restarted = r.agent();
  ASSERT_TRUE(restarted->recover().ok());
  EXPECT_EQ(r.kernel.driver_of("0000:41:00.0"), std::optional<std::string>("i40e"));  // undone
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 4u);
  EXPECT_TRUE(r.saved.servers.empty());
  r.round(*restarted);  // still building: prepared now
  EXPECT_EQ(r.controller.state("pf-vfs").status, ServerStatus::Active);
  EXPECT_EQ(r.kernel.driver_of("0000:41:00.0"), std::optional<std::string>("vfio-pci"));
  // Killed mid-restore: finished on restart, then said.
  ASSERT_FALSE(s.delete_server(r.controller.admin, "pf-vfs")->released);
  r.saved.find("pf-vfs")->phase = JournalPhase::Restoring;
  ASSERT_TRUE(r.kernel.write_attribute("sys/bus/pci/drivers/vfio-pci/unbind", "0000:41:00.0").ok());
  auto again = r.agent();
  ASSERT_TRUE(again->recover().ok());
  EXPECT_EQ(r.kernel.driver_of("0000:41:00.0"), std::optional<std::string>("i40e"));
  EXPECT_EQ(r.vfs_of("0000:41:00.0"), 4u);
  r.round(*again);
  EXPECT_EQ(s.show_server(r.controller.admin, "pf-vfs").error().code(), ErrorCode::NotFound);
  EXPECT_TRUE(r.saved.servers.empty());
}

TEST(PlacementAgent, ARestoreThatFailsMarksTheDeviceAndItIsNeverOfferedAgain) {
  Rig r;
  auto agent = r.agent();
  ASSERT_TRUE(r.link.report(agent->report()).ok());
  auto& s = *r.controller.service;
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-idle", "pf", std::nullopt}).ok());
  ASSERT_TRUE(s.create_server(r.controller.admin, {"pf-vfs", "pf", std::nullopt}).ok());
  r.round(*agent);
  ASSERT_FALSE(s.delete_server(r.controller.admin, "pf-vfs")->released);
  r.kernel.fail("sys/bus/pci/devices/0000:41:00.0/sriov_numvfs", ErrorCode::Io, 10);
  r.round(*agent);
  EXPECT_EQ(s.show_server(r.controller.admin, "pf-vfs").error().code(), ErrorCode::NotFound);
  auto dev = s.show_device(r.controller.admin, "compute-1", at("0000:41:00.0")).value();
  EXPECT_EQ(dev.status, DeviceStatus::NeedsAttention);
  EXPECT_NE(dev.reason.find("restore its 4 VFs"), std::string::npos) << dev.reason;
  EXPECT_EQ(r.saved.attention.count(at("0000:41:00.0")), 1u);
  ASSERT_TRUE(s.delete_server(r.controller.admin, "pf-idle")->released == false);
  r.round(*agent);
  EXPECT_EQ(s.create_server(r.controller.admin, {"again", "pf", std::string("compute-1")})->devices.at(0).address, at("0000:41:00.1"));
  EXPECT_EQ(s.create_server(r.controller.admin, {"more", "pf", std::string("compute-1")}).error().code(), ErrorCode::NoValidHost);
}

TEST(PlacementAgent, WithLibvirtTheDomainStartsOnceItsDevicesAreReadyAndGoesBeforeTheyAreRestored) {
  Rig r;
  auto hv = LibvirtHypervisor::connect("test:///default");
  ASSERT_TRUE(hv.ok()) << hv.error().describe();
  auto agent = r.agent(hv->get());
  ASSERT_TRUE(r.link.report(agent->report()).ok());
  auto& s = *r.controller.service;
  ASSERT_TRUE(s.create_flavor(r.controller.admin, {"vf-vm", 2, 1024, {{"pci_passthrough:alias", "vf:1"}, {"pcipass:base_domain", "test-vm"}}, 0}).ok());
  auto vm = s.create_server(r.controller.admin, {"vm1", "vf-vm", std::nullopt});
  ASSERT_TRUE(vm.ok()) << vm.error().describe();
  EXPECT_EQ(vm->base_domain, std::optional<std::string>("test-vm"));
  r.round(*agent);
  EXPECT_EQ(r.controller.state("vm1").status, ServerStatus::Active) << r.controller.state("vm1").message;
  EXPECT_EQ((*hv)->state("vm1").value(), DomainState::Running);
  ASSERT_FALSE(s.delete_server(r.controller.admin, "vm1")->released);
  r.round(*agent);
  EXPECT_EQ((*hv)->state("vm1").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(r.kernel.driver_of(vm->devices.at(0).address.to_string()), std::optional<std::string>("iavf"));
  // A domain libvirt refuses (one of that name runs already): the server is in error,
  // with libvirt's words, and its VF is back on iavf.
  ASSERT_TRUE((*hv)->define_and_start("vm2", "<domain type='test'><name>vm2</name><memory>1024</memory><os><type>hvm</type></os></domain>").ok());
  auto clash = s.create_server(r.controller.admin, {"vm2", "vf-vm", std::nullopt});
  ASSERT_TRUE(clash.ok());
  r.round(*agent);
  const ServerState st = r.controller.state("vm2");
  EXPECT_EQ(st.status, ServerStatus::Error);
  EXPECT_EQ(st.step, "start the domain vm2");
  EXPECT_FALSE(st.message.empty());
  EXPECT_EQ(r.kernel.driver_of(clash->devices.at(0).address.to_string()), std::optional<std::string>("iavf"));
  EXPECT_TRUE(r.saved.servers.empty());
  EXPECT_TRUE(r.saved.attention.empty());
  (void)(*hv)->destroy_and_undefine("vm2");
}

}  // namespace
}  // namespace pcipass
