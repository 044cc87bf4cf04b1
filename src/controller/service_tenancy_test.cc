// Projects, networks, ports and quotas through the service (on the memory store): who
// sees and does what, the checks of a request, and members' servers under quotas.
#include <gtest/gtest.h>

#include "adapters/crypto/openssl_secrets.h"
#include "adapters/store_memory/memory_store.h"
#include "controller/service.h"
#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

class Config final : public ConfigSource {
 public:
  std::string name() const override { return "test.conf"; }
  Result<PciConfigFile> load() override {
    std::vector<std::string> w;
    PciConfigFile out;
    out.device_spec = DeviceSpecList::parse(J(R"([{"vendor_id": "8086", "product_id": "154c", "physical_network": "group0-data0"}])"), w).value();
    out.aliases = AliasTable::parse(J(R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}])"), w).value();
    return out;
  }
};

class StillClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return {}; }
};

HostRecord nic_host(const std::string& name, int vfs) {
  HostRecord h;
  h.name = name;
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
  add("0000:41:00.0", 0x1572, std::nullopt, static_cast<uint32_t>(vfs));
  for (int i = 0; i < vfs; ++i) add("0000:41:02." + std::to_string(i), 0x154c, "0000:41:00.0", 0);
  return h;
}

const Principal kAdmin{"admin", Role::Admin, ""};
const Principal kReader{"ops", Role::Reader, ""};
const Principal kAgent{"agent-1", Role::Agent, "compute-1"};
const Principal kAlice{"alice", Role::Member, "", "project1"};
const Principal kBob{"bob", Role::Member, "", "project2"};

struct Fixture {
  Fixture() : db(std::make_shared<MemoryDatabase>()), store(db) {
    service = Service::open(store, &config, secrets, clock).value();
    EXPECT_TRUE(service->report_host(kAgent, nic_host("compute-1", 4)).ok());
    EXPECT_TRUE(service->create_flavor(kAdmin, {"vf", 2, 2048, {{"pci_passthrough:alias", "vf:1"}}, 0}).ok());
    EXPECT_TRUE(service->create_project(kAdmin, {"project1", "first"}).ok());
    EXPECT_TRUE(service->create_project(kAdmin, {"project2", ""}).ok());
  }
  std::shared_ptr<MemoryDatabase> db;
  MemoryStore store;
  Config config;
  OpenSslSecrets secrets;
  StillClock clock;
  std::unique_ptr<Service> service;
};

ErrorCode code_of(const Status& st) { return st ? ErrorCode::Internal : st.error().code(); }
template <class T>
ErrorCode code_of(const Result<T>& r) { return r ? ErrorCode::Internal : r.error().code(); }

TEST(ServiceTenancy, OnlyAdminsMakeProjectsAndNetworksAndMembersSeeOnlyTheirOwn) {
  Fixture f;
  Service& s = *f.service;
  EXPECT_EQ(code_of(s.create_project(kAlice, {"mine", ""})), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.create_project(kReader, {"mine", ""})), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.create_project(kAdmin, {"bad name", ""}).error().where(), "name");
  EXPECT_EQ(s.list_projects(kAdmin)->size(), 2u);
  EXPECT_EQ(s.list_projects(kReader)->size(), 2u);
  auto mine = s.list_projects(kAlice).value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].name, "project1");
  EXPECT_EQ(code_of(s.show_project(kAlice, "project2")), ErrorCode::NotFound);
  EXPECT_EQ(s.show_project(kAlice, "project1")->description, "first");

  NewNetwork net0{"net0", std::string("project1"), false, "vlan", "group0-data0", 10};
  EXPECT_EQ(code_of(s.create_network(kAlice, net0)), ErrorCode::PermissionDenied);
  ASSERT_TRUE(s.create_network(kAdmin, net0).ok());
  EXPECT_EQ(s.create_network(kAdmin, {"net9", std::nullopt, false, "vxlan", "group0-data0", 9}).error().where(), "provider:network_type");
  EXPECT_EQ(s.create_network(kAdmin, {"net9", std::nullopt, false, "vlan", "group0-data0", 4095}).error().where(), "provider:segmentation_id");
  EXPECT_EQ(s.create_network(kAdmin, {"net9", std::nullopt, false, "vlan", "", 9}).error().where(), "provider:physical_network");
  EXPECT_EQ(s.create_network(kAdmin, {"net9", std::string("nope"), false, "vlan", "group0-data0", 9}).error().where(), "project");
  EXPECT_EQ(code_of(s.create_network(kAdmin, {"net9", std::nullopt, false, "vlan", "group0-data0", 10})), ErrorCode::Conflict);
  EXPECT_EQ(s.list_networks(kAlice)->size(), 1u);
  EXPECT_EQ(s.list_networks(kBob)->size(), 0u);
  EXPECT_EQ(code_of(s.show_network(kBob, "net0")), ErrorCode::NotFound);
  ASSERT_TRUE(s.create_network(kAdmin, {"shared0", std::string("project1"), true, "flat", "group0-data1", std::nullopt}).ok());
  auto bobs = s.list_networks(kBob).value();
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_EQ(bobs[0].name, "shared0");
  EXPECT_TRUE(s.show_network(kBob, "shared0").ok());
  EXPECT_EQ(code_of(s.delete_network(kAlice, "net0")), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.delete_project(kAdmin, "project1")), ErrorCode::Conflict);
}

TEST(ServiceTenancy, MembersMakePortsInTheirProjectOnNetworksTheySee) {
  Fixture f;
  Service& s = *f.service;
  ASSERT_TRUE(s.create_network(kAdmin, {"net0", std::string("project1"), false, "vlan", "group0-data0", 10}).ok());
  auto p1 = s.create_port(kAlice, {"p1", "net0", std::nullopt, "direct", std::nullopt});
  ASSERT_TRUE(p1.ok()) << p1.error().describe();
  EXPECT_EQ(p1->project, "project1");
  EXPECT_EQ(p1->mac.substr(0, 9), "fa:16:3e:");
  EXPECT_TRUE(normalize_mac(p1->mac).ok());
  auto p2 = s.create_port(kAlice, {"p2", "net0", std::nullopt, "direct-physical", std::string("52-54-00-AA-BB-CC")});
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->mac, "52:54:00:aa:bb:cc");
  EXPECT_EQ(p2->vnic_type, VnicType::DirectPhysical);
  EXPECT_EQ(s.create_port(kAlice, {"p3", "net0", std::nullopt, "normal", std::nullopt}).error().where(), "binding:vnic_type");
  EXPECT_EQ(s.create_port(kAlice, {"p3", "net0", std::nullopt, "direct", std::string("01:00:5e:00:00:01")}).error().where(), "mac_address");
  EXPECT_EQ(s.create_port(kAlice, {"p3", "net0", std::string("project2"), "direct", std::nullopt}).error().where(), "project");
  // Bob's project cannot see net0: it is not there for him.
  auto hidden = s.create_port(kBob, {"p3", "net0", std::nullopt, "direct", std::nullopt});
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(hidden.error().where(), "network");
  EXPECT_EQ(code_of(s.create_port(kReader, {"p3", "net0", std::nullopt, "direct", std::nullopt})), ErrorCode::PermissionDenied);
  // An admin's port is the network's project's unless it names one.
  auto ops = s.create_port(kAdmin, {"p4", "net0", std::nullopt, "direct", std::nullopt});
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->project, "project1");
  EXPECT_EQ(s.list_ports(kAlice)->size(), 3u);
  EXPECT_EQ(s.list_ports(kBob)->size(), 0u);
  EXPECT_EQ(code_of(s.show_port(kBob, "p1")), ErrorCode::NotFound);
  EXPECT_EQ(code_of(s.delete_port(kBob, "p1")), ErrorCode::NotFound);
  ASSERT_TRUE(s.delete_port(kAlice, "p1").ok());
  EXPECT_EQ(code_of(s.show_port(kAdmin, "p1")), ErrorCode::NotFound);
}

TEST(ServiceTenancy, MembersBootInTheirProjectWithinItsQuotasAndSeeOnlyItsServers) {
  Fixture f;
  Service& s = *f.service;
  EXPECT_EQ(s.set_quotas(kAdmin, {"project1", {{"devices:gpu", 1}}}).error().where(), "devices:gpu");
  EXPECT_EQ(s.set_quotas(kAdmin, {"project1", {{"disks", 1}}}).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(code_of(s.set_quotas(kAlice, {"project1", {{"servers", 9}}})), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.set_quotas(kAdmin, {"nope", {{"servers", 1}}}).error().code(), ErrorCode::NotFound);
  auto set = s.set_quotas(kAdmin, {"project1", {{"devices:vf", 2}, {"servers", 5}}});
  ASSERT_TRUE(set.ok()) << set.error().describe();
  ASSERT_EQ(set->quotas.size(), 2u);

  ASSERT_TRUE(s.create_server(kAlice, {"a1", "vf", std::nullopt, std::nullopt}).ok());
  auto a2 = s.create_server(kAlice, {"a2", "vf", std::nullopt, std::nullopt});
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(a2->project, "project1");
  auto over = s.create_server(kAlice, {"a3", "vf", std::nullopt, std::nullopt});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::OverQuota);
  EXPECT_EQ(over.error().message(), "quota devices:vf of project \"project1\" is 2: 2 in use, and this server asks for 1 more");
  EXPECT_EQ(code_of(s.create_server(kAlice, {"a3", "vf", std::string("compute-1"), std::nullopt})), ErrorCode::PermissionDenied);
  ASSERT_TRUE(s.create_server(kBob, {"b1", "vf", std::nullopt, std::nullopt}).ok());  // no quota for project2
  ASSERT_TRUE(s.create_server(kAdmin, {"ops1", "vf", std::nullopt, std::nullopt}).ok());

  auto alices = s.list_servers(kAlice, std::nullopt).value();
  ASSERT_EQ(alices.size(), 2u);
  EXPECT_EQ(alices[0].project, "project1");
  EXPECT_EQ(s.list_servers(kAdmin, std::nullopt)->size(), 4u);
  EXPECT_EQ(code_of(s.show_server(kAlice, "b1")), ErrorCode::NotFound);
  EXPECT_EQ(s.show_server(kAdmin, "b1")->project, "project2");
  EXPECT_EQ(code_of(s.delete_server(kAlice, "b1")), ErrorCode::NotFound);
  EXPECT_EQ(code_of(s.delete_server(kAlice, "a1", true)), ErrorCode::PermissionDenied);
  auto q = s.show_quotas(kAlice, "project1").value();
  ASSERT_EQ(q.quotas.size(), 4u);  // devices:vf, memory_mb, servers, vcpus: those limited and those used
  EXPECT_EQ(q.quotas[0].used, 2u);
  EXPECT_EQ(q.quotas[1].resource, "memory_mb");
  EXPECT_EQ(q.quotas[1].used, 4096u);
  EXPECT_FALSE(q.quotas[1].limit);
  EXPECT_EQ(code_of(s.show_quotas(kAlice, "project2")), ErrorCode::NotFound);
  ASSERT_TRUE(s.delete_server(kAlice, "a1").ok());
  EXPECT_TRUE(s.create_server(kAlice, {"a3", "vf", std::nullopt, std::nullopt}).ok());

  // The fleet's own views are not a project's.
  EXPECT_EQ(code_of(s.list_hosts(kAlice)), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.show_host(kAlice, "compute-1")), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.list_devices(kAlice, {})), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.capacity(kAlice, std::nullopt)), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.explain(kAlice, "vf", {})), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.health(kAlice)), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.list_aliases(kAlice)), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.list_tokens(kAlice)), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.list_servers(kAlice, std::string("compute-1"))), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.report_host(kAlice, nic_host("compute-1", 4))), ErrorCode::PermissionDenied);
  EXPECT_TRUE(s.list_flavors(kAlice).ok());
}

TEST(ServiceTenancy, AMemberTokenNamesItsProjectAndOnlyMemberTokensDo) {
  Fixture f;
  Service& s = *f.service;
  auto t = s.create_token(kAdmin, {"alice", "member", std::nullopt, std::string("project1")});
  ASSERT_TRUE(t.ok()) << t.error().describe();
  auto who = s.authenticate(t->secret).value();
  EXPECT_EQ(who.role, Role::Member);
  EXPECT_EQ(who.project, "project1");
  EXPECT_EQ(s.create_token(kAdmin, {"m2", "member", std::nullopt, std::nullopt}).error().where(), "project");
  EXPECT_EQ(s.create_token(kAdmin, {"r2", "reader", std::nullopt, std::string("project1")}).error().where(), "project");
  auto none = s.create_token(kAdmin, {"m3", "member", std::nullopt, std::string("nope")});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s.list_tokens(kAdmin)->at(0).project, std::optional<std::string>("project1"));
  EXPECT_EQ(code_of(s.delete_project(kAdmin, "project1")), ErrorCode::Conflict);
}

}  // namespace
}  // namespace pcipass
