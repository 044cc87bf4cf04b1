// The TenantStore part of the Store contract (see store_contract.h): projects,
// networks and ports, on every adapter.
#include "ports/store_contract.h"

namespace pcipass::contract {
namespace {

NetworkRecord vlan_net(const std::string& name, const std::string& project, uint16_t vlan, const std::string& physnet = "group0-data0") {
  return {name, project, false, NetworkType::Vlan, physnet, vlan};
}

PortRecord port_on(const std::string& name, const std::string& network, const std::string& mac, const std::string& project = "") {
  return {name, project, network, VnicType::Direct, mac};
}

TEST_P(StoreContract, TenantProjectsRoundTripAndGoOnlyWhenUnused) {
  auto s = open();
  ASSERT_TRUE(s->create_project({"project1", "the first tenant"}).ok());
  ASSERT_TRUE(s->create_project({"alpha", ""}).ok());
  EXPECT_EQ(s->create_project({"project1", "again"}).error().code(), ErrorCode::AlreadyExists);
  auto all = s->projects().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "alpha");
  EXPECT_EQ(all[1].description, "the first tenant");
  EXPECT_EQ(s->project("project1")->description, "the first tenant");
  EXPECT_EQ(s->project("nope").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->delete_project("nope").error().code(), ErrorCode::NotFound);

  ASSERT_TRUE(s->create_token({"member-1", std::string(64, 'a'), "member", "", "project1"}).ok());
  EXPECT_EQ(s->token_by_secret_sha256(std::string(64, 'a'))->project, "project1");
  auto no_project = s->create_token({"member-2", std::string(64, 'b'), "member", "", "nope"});
  ASSERT_FALSE(no_project);
  EXPECT_EQ(no_project.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(no_project.error().where(), "project");
  EXPECT_EQ(s->tokens()->size(), 1u);
  auto held = s->delete_project("project1");
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code(), ErrorCode::Conflict);
  EXPECT_EQ(held.error().message(), "project \"project1\" still has tokens; delete them first");
  ASSERT_TRUE(s->delete_token("member-1").ok());

  ASSERT_TRUE(s->create_network(vlan_net("net0", "project1", 10)).ok());
  EXPECT_EQ(s->delete_project("project1").error().code(), ErrorCode::Conflict);
  ASSERT_TRUE(s->create_network(vlan_net("ops", "", 11)).ok());
  ASSERT_TRUE(s->create_port(port_on("p1", "ops", "fa:16:3e:00:00:01", "project1")).ok());
  ASSERT_TRUE(s->delete_network("net0").ok());
  EXPECT_EQ(s->delete_project("project1").error().message(), "project \"project1\" still has ports; delete them first");
  ASSERT_TRUE(s->delete_port("p1").ok());
  ASSERT_TRUE(s->delete_project("project1").ok());
  EXPECT_EQ(s->project("project1").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->projects()->size(), 1u);
}

TEST_P(StoreContract, TenantNetworksHoldOneVlanPerPhysicalNetwork) {
  auto s = open();
  ASSERT_TRUE(s->create_project({"project1", ""}).ok());
  NetworkRecord shared = vlan_net("net0", "project1", 10);
  shared.shared = true;
  ASSERT_TRUE(s->create_network(shared).ok());
  EXPECT_EQ(s->create_network(vlan_net("net0", "", 20)).error().code(), ErrorCode::AlreadyExists);
  auto clash = s->create_network(vlan_net("net1", "", 10));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), ErrorCode::Conflict);
  EXPECT_EQ(clash.error().message(), "physical network \"group0-data0\" already has VLAN 10: network \"net0\"");
  ASSERT_TRUE(s->create_network(vlan_net("net1", "", 10, "group0-data1")).ok());  // another physical network
  ASSERT_TRUE(s->create_network({"flat0", "", false, NetworkType::Flat, "group0-data0", std::nullopt}).ok());
  auto flat_again = s->create_network({"flat1", "", false, NetworkType::Flat, "group0-data0", std::nullopt});
  ASSERT_FALSE(flat_again);
  EXPECT_EQ(flat_again.error().message(), "physical network \"group0-data0\" already has its untagged (flat) network: network \"flat0\"");
  auto no_project = s->create_network(vlan_net("net2", "nope", 12));
  ASSERT_FALSE(no_project);
  EXPECT_EQ(no_project.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(no_project.error().where(), "project");

  auto all = s->networks().value();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "flat0");
  EXPECT_EQ(all[0].type, NetworkType::Flat);
  EXPECT_FALSE(all[0].segment);
  EXPECT_EQ(all[0].project, "");
  auto net0 = s->network("net0").value();
  EXPECT_EQ(net0.project, "project1");
  EXPECT_TRUE(net0.shared);
  EXPECT_EQ(net0.type, NetworkType::Vlan);
  EXPECT_EQ(net0.physical_network, "group0-data0");
  EXPECT_EQ(net0.segment, std::optional<uint16_t>(10));
  EXPECT_EQ(s->network("nope").error().code(), ErrorCode::NotFound);

  ASSERT_TRUE(s->create_port(port_on("p1", "net0", "fa:16:3e:00:00:01")).ok());
  auto in_use = s->delete_network("net0");
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().code(), ErrorCode::Conflict);
  EXPECT_EQ(in_use.error().message(), "network \"net0\" still has ports (\"p1\"); delete them first");
  ASSERT_TRUE(s->delete_port("p1").ok());
  ASSERT_TRUE(s->delete_network("net0").ok());
  EXPECT_EQ(s->delete_network("net0").error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(s->create_network(vlan_net("net3", "", 10)).ok());  // VLAN 10 is free again
}

TEST_P(StoreContract, TenantPortsHoldOneMacPerNetwork) {
  auto s = open();
  ASSERT_TRUE(s->create_project({"project1", ""}).ok());
  ASSERT_TRUE(s->create_network(vlan_net("net0", "project1", 10)).ok());
  ASSERT_TRUE(s->create_network(vlan_net("net1", "", 11)).ok());
  PortRecord pf = port_on("p2", "net0", "fa:16:3e:00:00:02", "project1");
  pf.vnic_type = VnicType::DirectPhysical;
  ASSERT_TRUE(s->create_port(pf).ok());
  ASSERT_TRUE(s->create_port(port_on("p1", "net0", "fa:16:3e:00:00:01", "project1")).ok());
  EXPECT_EQ(s->create_port(port_on("p1", "net1", "fa:16:3e:00:00:09")).error().code(), ErrorCode::AlreadyExists);
  auto mac = s->create_port(port_on("p3", "net0", "fa:16:3e:00:00:01"));
  ASSERT_FALSE(mac);
  EXPECT_EQ(mac.error().code(), ErrorCode::Conflict);
  EXPECT_EQ(mac.error().where(), "mac_address");
  EXPECT_EQ(mac.error().message(), "MAC fa:16:3e:00:00:01 is port \"p1\"'s on network \"net0\"");
  ASSERT_TRUE(s->create_port(port_on("p3", "net1", "fa:16:3e:00:00:01")).ok());  // another network
  auto no_net = s->create_port(port_on("p4", "nope", "fa:16:3e:00:00:04"));
  ASSERT_FALSE(no_net);
  EXPECT_EQ(no_net.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(no_net.error().where(), "network");
  EXPECT_EQ(s->create_port(port_on("p4", "net1", "fa:16:3e:00:00:04", "nope")).error().where(), "project");

  auto all = s->ports().value();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "p1");
  EXPECT_EQ(all[2].project, "");
  auto p2 = s->port("p2").value();
  EXPECT_EQ(p2.vnic_type, VnicType::DirectPhysical);
  EXPECT_EQ(p2.network, "net0");
  EXPECT_EQ(p2.project, "project1");
  EXPECT_EQ(p2.mac, "fa:16:3e:00:00:02");
  EXPECT_EQ(s->port("nope").error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(s->delete_port("p2").ok());
  EXPECT_EQ(s->delete_port("p2").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->ports()->size(), 2u);
}

TEST_P(StoreContract, TenantWritesInABatchAreSeenOnlyOnceItCommits) {
  auto s = open("tenant-batch");
  auto other = open("tenant-batch");
  {
    auto batch = s->begin_batch().value();
    ASSERT_TRUE(s->create_project({"gone", ""}).ok());
    ASSERT_TRUE(s->create_network(vlan_net("gone-net", "gone", 30)).ok());
    EXPECT_EQ(s->network("gone-net")->project, "gone");
  }  // dropped: rolled back
  EXPECT_EQ(other->project("gone").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->networks()->size(), 0u);
  auto batch = s->begin_batch().value();
  ASSERT_TRUE(s->create_project({"kept", ""}).ok());
  ASSERT_TRUE(s->create_network(vlan_net("kept-net", "kept", 30)).ok());
  ASSERT_TRUE(s->create_port(port_on("kept-port", "kept-net", "fa:16:3e:00:00:30", "kept")).ok());
  EXPECT_EQ(s->create_network(vlan_net("again", "", 30)).error().code(), ErrorCode::Conflict);  // a refused step alone
  ASSERT_TRUE(batch->commit().ok());
  EXPECT_EQ(other->network("kept-net")->segment, std::optional<uint16_t>(30));
  EXPECT_EQ(other->port("kept-port")->project, "kept");
  EXPECT_EQ(other->create_network(vlan_net("again", "", 30)).error().code(), ErrorCode::Conflict);
}

}  // namespace
}  // namespace pcipass::contract

namespace pcipass::contract {
namespace {

InstanceRecordRow in_project(InstanceRecordRow row, const std::string& project, std::vector<std::pair<std::string, uint64_t>> usage) {
  row.project = project;
  row.usage = std::move(usage);
  return row;
}

TEST_P(StoreContract, TenantClaimsCountAgainstQuotasAndBindPorts) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  ASSERT_TRUE(s->create_project({"project1", ""}).ok());
  ASSERT_TRUE(s->create_network(vlan_net("net0", "project1", 10)).ok());
  ASSERT_TRUE(s->create_port(port_on("p1", "net0", "fa:16:3e:00:00:01", "project1")).ok());
  ASSERT_TRUE(s->set_quota("project1", "servers", 2).ok());
  ASSERT_TRUE(s->set_quota("project1", "devices:vf", 1).ok());
  EXPECT_EQ(s->set_quota("nope", "servers", 1).error().where(), "project");

  auto vm1 = in_project(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), "project1", {{"servers", 1}, {"devices:vf", 1}});
  vm1.ports = {{"p1", 0}};
  auto claimed = s->claim(vm1, g);
  ASSERT_TRUE(claimed.ok()) << claimed.error().describe();
  g = *claimed;
  EXPECT_EQ(s->instance("vm1")->project, "project1");
  EXPECT_TRUE(s->instance("vm1")->ports.empty());  // claims only
  auto p1 = s->port("p1").value();
  EXPECT_EQ(p1.server, "vm1");
  EXPECT_EQ(p1.request, std::optional<uint32_t>(0));
  auto bound = s->delete_port("p1");
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error().code(), ErrorCode::Conflict);
  EXPECT_EQ(bound.error().message(), "port \"p1\" is bound to server \"vm1\"; delete the server first");
  EXPECT_EQ(s->delete_project("project1").error().message(), "project \"project1\" still has servers; delete them first");

  auto q = s->quotas("project1").value();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].resource, "devices:vf");
  EXPECT_EQ(q[0].limit, std::optional<uint64_t>(1));
  EXPECT_EQ(q[0].used, 1u);
  EXPECT_EQ(q[1].resource, "ports:direct");  // p1: a project's ports count, bound or not
  EXPECT_EQ(q[1].used, 1u);
  EXPECT_EQ(q[2].resource, "servers");
  EXPECT_EQ(q[2].used, 1u);
  EXPECT_EQ(s->quotas("nope").error().code(), ErrorCode::NotFound);

  // Over a quota: refused whole, naming the quota; nothing of it is kept.
  auto vm2 = in_project(sample_instance("vm2", "compute-1", {"0000:41:02.1"}), "project1", {{"servers", 1}, {"devices:vf", 1}});
  auto over = s->claim(vm2, g);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::OverQuota);
  EXPECT_EQ(over.error().message(), "quota devices:vf of project \"project1\" is 1: 1 in use, and this server asks for 1 more");
  EXPECT_EQ(s->instance("vm2").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->host("compute-1")->generation, g);
  // A port bound already, or one that is not there: refused, within "ports".
  ASSERT_TRUE(s->set_quota("project1", "devices:vf", std::nullopt).ok());
  vm2.ports = {{"p1", 0}};
  auto taken = s->claim(vm2, g);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code(), ErrorCode::Conflict);
  EXPECT_EQ(taken.error().where(), "ports");
  EXPECT_EQ(taken.error().message(), "port \"p1\" is bound to server \"vm1\"");
  vm2.ports = {{"ghost", 0}};
  auto ghost = s->claim(vm2, g);
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(ghost.error().where(), "ports");
  vm2.ports.clear();
  auto nowhere = s->claim(in_project(vm2, "nope", {}), g);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(nowhere.error().where(), "project");
  // Within the quotas now (devices unlimited, servers 2 of 2).
  auto ok2 = s->claim(vm2, g);
  ASSERT_TRUE(ok2.ok()) << ok2.error().describe();
  g = *ok2;
  auto vm3 = in_project(sample_instance("vm3", "compute-1", {}), "project1", {{"servers", 1}});
  EXPECT_EQ(s->claim(vm3, g).error().code(), ErrorCode::OverQuota);
  // The operators' own servers count against no quota.
  auto ops = sample_instance("ops", "compute-1", {});
  ops.usage = {{"servers", 1}};
  auto opsg = s->claim(ops, g);
  ASSERT_TRUE(opsg.ok()) << opsg.error().describe();
  g = *opsg;
  EXPECT_EQ(s->instance("ops")->project, "");

  // A release frees the port and the quota's use.
  ASSERT_TRUE(s->release("vm1").ok());
  EXPECT_EQ(s->port("p1")->server, "");
  EXPECT_FALSE(s->port("p1")->request);
  auto after = s->quotas("project1").value();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].resource, "devices:vf");
  EXPECT_FALSE(after[0].limit);
  EXPECT_EQ(after[0].used, 1u);  // vm2's
  EXPECT_EQ(after[2].used, 1u);
  g = s->host("compute-1")->generation;
  EXPECT_TRUE(s->claim(vm3, g).ok());
  ASSERT_TRUE(s->delete_port("p1").ok());
}

TEST_P(StoreContract, TenantPortsCountAgainstTheirProjectsPortQuota) {
  auto s = open();
  ASSERT_TRUE(s->create_project({"project1", ""}).ok());
  ASSERT_TRUE(s->create_network(vlan_net("net0", "", 10)).ok());
  ASSERT_TRUE(s->set_quota("project1", "ports:direct", 1).ok());
  ASSERT_TRUE(s->create_port(port_on("p1", "net0", "fa:16:3e:00:00:01", "project1")).ok());
  auto over = s->create_port(port_on("p2", "net0", "fa:16:3e:00:00:02", "project1"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::OverQuota);
  EXPECT_EQ(over.error().message(), "quota ports:direct of project \"project1\" is 1: 1 in use, and this server asks for 1 more");
  PortRecord pf = port_on("p3", "net0", "fa:16:3e:00:00:03", "project1");
  pf.vnic_type = VnicType::DirectPhysical;
  ASSERT_TRUE(s->create_port(pf).ok());                                          // another quota
  ASSERT_TRUE(s->create_port(port_on("p4", "net0", "fa:16:3e:00:00:04")).ok());  // the operators'
  auto q = s->quotas("project1").value();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].resource, "ports:direct");
  EXPECT_EQ(q[0].used, 1u);
  EXPECT_EQ(q[1].resource, "ports:direct-physical");
  EXPECT_FALSE(q[1].limit);
  EXPECT_EQ(q[1].used, 1u);
  ASSERT_TRUE(s->delete_port("p1").ok());
  EXPECT_TRUE(s->create_port(port_on("p2", "net0", "fa:16:3e:00:00:02", "project1")).ok());
}

TEST_P(StoreContract, TenantClaimsInABatchHoldTheQuota) {
  auto s = open("quota-batch");
  auto other = open("quota-batch");
  auto g = s->put_host(sample_host("compute-1")).value();
  ASSERT_TRUE(s->create_project({"project1", ""}).ok());
  ASSERT_TRUE(s->set_quota("project1", "servers", 1).ok());
  auto batch = s->begin_batch().value();
  ASSERT_TRUE(batch->claim(in_project(sample_instance("vm1", "compute-1", {}), "project1", {{"servers", 1}}), g).ok());
  auto second = batch->claim(in_project(sample_instance("vm2", "compute-1", {}), "project1", {{"servers", 1}}), g + 1);
  if (batch->deferred()) {
    // Deferred claims are answered at once and checked at commit: the batch is refused whole.
    EXPECT_TRUE(second.ok());
    EXPECT_FALSE(batch->commit().ok());
    EXPECT_EQ(other->instances()->size(), 0u);
  } else {
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code(), ErrorCode::OverQuota);
    ASSERT_TRUE(batch->commit().ok());
    EXPECT_EQ(other->instances()->size(), 1u);
  }
}

}  // namespace
}  // namespace pcipass::contract
