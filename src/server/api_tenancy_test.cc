// Issue 13 over real HTTP on both stores: host lock, and (as they land) projects,
// networks, ports and quotas.
#include "server/api_test_support.h"

namespace pcipass::server {
namespace {
using namespace testing_api;

using ApiTenancyTest = ApiTest;

TEST_P(ApiTenancyTest, ALockedHostTakesNoNewServersKeepsItsOwnAndStaysLockedAcrossARestart) {
  {
    auto s = start(db());
    ASSERT_TRUE(s);
    Client c(s->port());
    seed(c);
    ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
    EXPECT_EQ(Client(s->port(), kReader).call("POST", "/v1/hosts/compute-1/lock").status, 403);
    EXPECT_EQ(Client(s->port(), kAgent).call("POST", "/v1/hosts/compute-1/lock").status, 403);
    EXPECT_EQ(c.call("POST", "/v1/hosts/nope/lock").status, 404);
    EXPECT_EQ(c.call("GET", "/v1/hosts/compute-1/lock").status, 405);
    auto locked = c.call("POST", "/v1/hosts/compute-1/lock");
    ASSERT_EQ(locked.status, 200) << locked.body.dump();
    EXPECT_EQ(locked.body["locked"], true);
    EXPECT_EQ(locked.body["free"], 0);
    auto refused = c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}, {"host", "compute-1"}});
    ASSERT_EQ(refused.status, 409) << refused.body.dump();
    EXPECT_EQ(refused.body["error"]["code"], "NoValidHost");
    EXPECT_EQ(refused.body["error"]["hosts"][0]["reason"], "locked: host compute-1 is locked by its operator (pcipass host unlock compute-1)");
    EXPECT_EQ(c.call("GET", "/v1/servers/vm1").status, 200);
    // Its agent reports: still locked.
    ASSERT_EQ(Client(s->port(), kAgent).call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 200);
    EXPECT_EQ(c.call("GET", "/v1/hosts").body["hosts"][0]["locked"], true);
  }
  auto s = start(db(), false);
  ASSERT_TRUE(s);
  Client c(s->port());
  EXPECT_EQ(c.call("GET", "/v1/hosts/compute-1").body["locked"], true);
  EXPECT_EQ(c.call("GET", "/v1/explain?flavor=vf.small").body["fits_on"], 0);
  auto unlocked = c.call("POST", "/v1/hosts/compute-1/unlock");
  ASSERT_EQ(unlocked.status, 200);
  EXPECT_EQ(unlocked.body["locked"], false);
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}}).status, 201);
}

// A member token made through the API; its secret.
std::string member_token(Client& admin, const std::string& name, const std::string& project) {
  auto t = admin.call("POST", "/v1/tokens", Json{{"name", name}, {"role", "member"}, {"project_id", project}});
  EXPECT_EQ(t.status, 201) << t.body.dump();
  EXPECT_EQ(t.body["project_id"], project);
  return t.body["token"].is_string() ? t.body["token"].get<std::string>() : std::string();
}

TEST_P(ApiTenancyTest, ProjectsNetworksAndPortsInNeutronsWordsAndEachProjectSeesOnlyItsOwn) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  EXPECT_EQ(Client(s->port(), kReader).call("POST", "/v1/projects", Json{{"name", "project1"}}).status, 403);
  auto p1 = c.call("POST", "/v1/projects", Json{{"name", "project1"}, {"description", "first tenant"}});
  ASSERT_EQ(p1.status, 201) << p1.body.dump();
  EXPECT_EQ(p1.body["description"], "first tenant");
  ASSERT_EQ(c.call("POST", "/v1/projects", Json{{"name", "project2"}}).status, 201);
  EXPECT_EQ(c.call("POST", "/v1/projects", Json{{"name", "project2"}}).status, 409);
  EXPECT_EQ(c.call("POST", "/v1/projects", Json{{"name", "p3"}, {"owner", "x"}}).body["error"]["field"], "owner");
  Client alice(s->port(), member_token(c, "alice", "project1"));
  Client bob(s->port(), member_token(c, "bob", "project2"));
  EXPECT_EQ(c.call("POST", "/v1/tokens", Json{{"name", "m"}, {"role", "member"}}).body["error"]["field"], "project");
  EXPECT_EQ(c.call("POST", "/v1/tokens", Json{{"name", "m"}, {"role", "member"}, {"project_id", "nope"}}).status, 404);

  // A network: admins only; VLAN ids checked; one per VLAN of a physical network.
  const Json net0{{"name", "net0"}, {"project_id", "project1"}, {"provider:network_type", "vlan"},
                  {"provider:physical_network", "group0-data0"}, {"provider:segmentation_id", 10}};
  EXPECT_EQ(alice.call("POST", "/v1/networks", net0).status, 403);
  auto made = c.call("POST", "/v1/networks", net0);
  ASSERT_EQ(made.status, 201) << made.body.dump();
  EXPECT_EQ(made.body["provider:segmentation_id"], 10);
  EXPECT_EQ(made.body["shared"], false);
  Json clash = net0;
  clash["name"] = "net1";
  auto refused = c.call("POST", "/v1/networks", clash);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.body["error"]["code"], "Conflict");
  clash["provider:segmentation_id"] = 4095;
  auto range = c.call("POST", "/v1/networks", clash);
  EXPECT_EQ(range.status, 400);
  EXPECT_EQ(range.body["error"]["field"], "provider:segmentation_id");
  clash["shared"] = "yes";
  EXPECT_EQ(c.call("POST", "/v1/networks", clash).body["error"]["field"], "shared");

  EXPECT_EQ(alice.call("GET", "/v1/networks").body["networks"].size(), 1u);
  EXPECT_EQ(bob.call("GET", "/v1/networks").body["networks"].size(), 0u);
  EXPECT_EQ(bob.call("GET", "/v1/networks/net0").status, 404);
  EXPECT_EQ(bob.call("GET", "/v1/projects").body["projects"].size(), 1u);
  EXPECT_EQ(bob.call("GET", "/v1/projects/project1").status, 404);

  // Ports: a member's in its project, on networks it sees.
  auto port = alice.call("POST", "/v1/ports", Json{{"name", "p1"}, {"network_id", "net0"}, {"binding:vnic_type", "direct"}});
  ASSERT_EQ(port.status, 201) << port.body.dump();
  EXPECT_EQ(port.body["project_id"], "project1");
  EXPECT_EQ(port.body["server"], nullptr);
  EXPECT_EQ(port.body["mac_address"].get<std::string>().substr(0, 9), "fa:16:3e:");
  auto pf = alice.call("POST", "/v1/ports", Json{{"name", "p2"}, {"network_id", "net0"}, {"binding:vnic_type", "direct-physical"},
                                                 {"mac_address", "52:54:00:00:00:02"}});
  ASSERT_EQ(pf.status, 201) << pf.body.dump();
  EXPECT_EQ(pf.body["binding:vnic_type"], "direct-physical");
  auto hidden = bob.call("POST", "/v1/ports", Json{{"name", "p3"}, {"network_id", "net0"}});
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body["error"]["field"], "network");
  EXPECT_EQ(alice.call("POST", "/v1/ports", Json{{"name", "p3"}, {"network_id", "net0"}, {"binding:vnic_type", "macvtap"}}).body["error"]["field"],
            "binding:vnic_type");
  EXPECT_EQ(alice.call("POST", "/v1/ports", Json{{"name", "p3"}, {"network_id", "net0"}, {"mac_address", "52:54:00:00:00:02"}}).status, 409);
  EXPECT_EQ(bob.call("GET", "/v1/ports").body["ports"].size(), 0u);
  EXPECT_EQ(bob.call("GET", "/v1/ports/p1").status, 404);
  EXPECT_EQ(bob.call("DELETE", "/v1/ports/p1").status, 404);
  EXPECT_EQ(alice.call("GET", "/v1/ports").body["ports"].size(), 2u);

  // Shared, Bob sees it and may use it.
  Json shared{{"name", "shared0"}, {"shared", true}, {"provider:network_type", "flat"}, {"provider:physical_network", "group0-data1"}};
  ASSERT_EQ(c.call("POST", "/v1/networks", shared).status, 201);
  EXPECT_EQ(bob.call("GET", "/v1/networks").body["networks"][0]["name"], "shared0");
  EXPECT_EQ(bob.call("POST", "/v1/ports", Json{{"name", "b1"}, {"network_id", "shared0"}}).status, 201);

  // Nothing of the fleet's own for members; flavors they may read.
  for (const char* path : {"/v1/hosts", "/v1/hosts/compute-1", "/v1/devices", "/v1/aliases", "/v1/config", "/v1/capacity",
                           "/v1/explain?flavor=vf.small", "/v1/health", "/v1/tokens"})
    EXPECT_EQ(alice.call("GET", path).status, 403) << path;
  EXPECT_EQ(alice.call("GET", "/v1/flavors").status, 200);

  // In use: refused; the operators' deletes in order.
  EXPECT_EQ(c.call("DELETE", "/v1/networks/net0").status, 409);
  EXPECT_EQ(c.call("DELETE", "/v1/projects/project1").status, 409);
  EXPECT_EQ(alice.call("DELETE", "/v1/ports/p1").status, 204);
  EXPECT_EQ(alice.call("DELETE", "/v1/ports/p2").status, 204);
  EXPECT_EQ(c.call("DELETE", "/v1/networks/net0").status, 204);
  EXPECT_EQ(c.call("DELETE", "/v1/tokens/alice").status, 204);
  EXPECT_EQ(c.call("DELETE", "/v1/projects/project1").status, 204);
  EXPECT_EQ(c.call("GET", "/v1/projects/project1").status, 404);
}

TEST_P(ApiTenancyTest, AMembersBootOverItsQuotaIs403OverQuotaAndItsServersAreItsOwn) {
  {
    auto s = start(db());
    ASSERT_TRUE(s);
    Client c(s->port());
    seed(c);
    ASSERT_EQ(c.call("POST", "/v1/projects", Json{{"name", "project1"}}).status, 201);
    ASSERT_EQ(c.call("POST", "/v1/projects", Json{{"name", "project2"}}).status, 201);
    Client alice(s->port(), member_token(c, "alice", "project1"));
    Client bob(s->port(), member_token(c, "bob", "project2"));
    EXPECT_EQ(alice.call("PUT", "/v1/projects/project1/quotas", Json{{"servers", 1}}).status, 403);
    EXPECT_EQ(c.call("PUT", "/v1/projects/project1/quotas", Json{{"devices:nope", 1}}).body["error"]["field"], "devices:nope");
    EXPECT_EQ(c.call("PUT", "/v1/projects/project1/quotas", Json{{"servers", -1}}).body["error"]["field"], "servers");
    auto q = c.call("PUT", "/v1/projects/project1/quotas", Json{{"servers", 1}, {"devices:vf", 4}});
    ASSERT_EQ(q.status, 200) << q.body.dump();
    EXPECT_EQ(q.body["quotas"].size(), 2u);

    auto booted = alice.call("POST", "/v1/servers", Json{{"name", "a1"}, {"flavor", "vf.small"}});
    ASSERT_EQ(booted.status, 201) << booted.body.dump();
    EXPECT_EQ(booted.body["project_id"], "project1");
    auto over = alice.call("POST", "/v1/servers", Json{{"name", "a2"}, {"flavor", "vf.small"}});
    ASSERT_EQ(over.status, 403) << over.body.dump();
    EXPECT_EQ(over.body["error"]["code"], "OverQuota");
    EXPECT_EQ(over.body["error"]["message"], "quota servers of project \"project1\" is 1: 1 in use, and this server asks for 1 more");
    EXPECT_EQ(alice.call("POST", "/v1/servers", Json{{"name", "a2"}, {"flavor", "vf.small"}, {"host", "compute-1"}}).status, 403);
    ASSERT_EQ(bob.call("POST", "/v1/servers", Json{{"name", "b1"}, {"flavor", "vf.small"}}).status, 201);
    EXPECT_EQ(alice.call("GET", "/v1/servers").body["servers"].size(), 1u);
    EXPECT_EQ(c.call("GET", "/v1/servers").body["servers"].size(), 2u);
    EXPECT_EQ(alice.call("GET", "/v1/servers/b1").status, 404);
    EXPECT_EQ(alice.call("DELETE", "/v1/servers/b1").status, 404);
    auto used = alice.call("GET", "/v1/projects/project1/quotas");
    ASSERT_EQ(used.status, 200);
    EXPECT_EQ(used.body["quotas"][0]["resource"], "devices:vf");
    EXPECT_EQ(used.body["quotas"][0]["used"], 1);
    EXPECT_EQ(used.body["quotas"][0]["limit"], 4);
    EXPECT_EQ(bob.call("GET", "/v1/projects/project1/quotas").status, 404);
  }
  // After a restart: the project's servers, quotas and use are as they were.
  auto s = start(db(), false);
  ASSERT_TRUE(s);
  Client c(s->port());
  EXPECT_EQ(c.call("GET", "/v1/servers/a1").body["project_id"], "project1");
  EXPECT_EQ(c.call("GET", "/v1/projects/project1/quotas").body["quotas"][0]["used"], 1);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/a1").status, 204);
  auto q = c.call("PUT", "/v1/projects/project1/quotas", Json{{"servers", nullptr}});
  ASSERT_EQ(q.status, 200) << q.body.dump();
  for (const auto& line : q.body["quotas"]) EXPECT_NE(line["resource"], "servers");
}

TEST_P(ApiTenancyTest, TwoControllersOnOneStoreAdmitNoServerOrPortPastAQuota) {
  auto first = start(db());
  ASSERT_TRUE(first);
  auto second = start(db(), false);
  ASSERT_TRUE(second);
  Client c(first->port());
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", nic_host(8)).status, 201);
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "vf1"}, {"vcpus", 1}, {"memory_mb", 512}, {"extra_specs", {{"pci_passthrough:alias", "vf:1"}}}})
                .status,
            201);
  ASSERT_EQ(c.call("POST", "/v1/networks", Json{{"name", "shared0"}, {"shared", true}, {"provider:network_type", "vlan"},
                                               {"provider:physical_network", "physnet1"}, {"provider:segmentation_id", 10}})
                .status,
            201);
  const std::map<std::string, int> servers_quota{{"project1", 3}, {"project2", 4}}, ports_quota{{"project1", 2}, {"project2", 4}};
  std::map<std::string, std::string> secret;
  for (const auto& [project, quota] : servers_quota) {
    ASSERT_EQ(c.call("POST", "/v1/projects", Json{{"name", project}}).status, 201);
    ASSERT_EQ(c.call("PUT", "/v1/projects/" + project + "/quotas", Json{{"servers", quota}, {"ports:direct", ports_quota.at(project)}}).status, 200);
    secret[project] = member_token(c, "m-" + project, project);
  }
  // Members of both projects boot and make ports through both controllers at once, each
  // asking for more than the quota allows.
  std::atomic<int> unexpected{0};
  std::map<std::string, std::atomic<int>> booted, ported;
  for (const auto& [project, quota] : servers_quota) {
    booted[project] = 0;
    ported[project] = 0;
  }
  std::vector<std::thread> threads;
  for (const auto& [project, quota] : servers_quota)
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, project = project, t] {
        Client member((t % 2 ? second : first)->port(), secret[project]);
        for (int i = 0; i < 3; ++i) {
          const std::string name = project + "-" + std::to_string(t) + "-" + std::to_string(i);
          auto b = member.call("POST", "/v1/servers", Json{{"name", name}, {"flavor", "vf1"}});
          if (b.status == 201) ++booted[project];
          else if (b.status != 403 || b.body["error"]["code"] != "OverQuota") ++unexpected;
          auto p = member.call("POST", "/v1/ports", Json{{"name", name}, {"network_id", "shared0"}});
          if (p.status == 201) ++ported[project];
          else if (p.status != 403 || p.body["error"]["code"] != "OverQuota") ++unexpected;
        }
      });
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  std::set<std::string> held;
  size_t devices = 0;
  const Json servers = c.call("GET", "/v1/servers").body["servers"];
  for (const auto& sv : servers)
    for (const auto& d : sv["devices"]) {
      held.insert(d.get<std::string>());
      ++devices;
    }
  EXPECT_EQ(held.size(), devices);  // no device held twice
  for (const auto& [project, quota] : servers_quota) {
    EXPECT_EQ(booted[project].load(), quota) << project;  // 8 VFs for 7 servers: only the quotas stop them
    EXPECT_EQ(ported[project].load(), ports_quota.at(project)) << project;
    auto q = Client(second->port(), secret[project]).call("GET", "/v1/projects/" + project + "/quotas").body["quotas"];
    for (const auto& line : q) {
      if (line["resource"] == "servers") EXPECT_EQ(line["used"], quota);
      if (line["resource"] == "ports:direct") EXPECT_EQ(line["used"], ports_quota.at(project));
    }
  }
}

// Whether libvirt's own schema takes a domain's XML.
bool valid_domain(const Json& server, const std::string& tag) {
  const fs::path file = scratch() / (test_name() + "-" + tag + ".xml");
  std::ofstream(file) << server["libvirt_domain_xml"].get<std::string>();
  const std::string cmd = "virt-xml-validate " + file.string() + " domain >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

TEST_P(ApiTenancyTest, AServerGetsItsPortsAsDevicesOnTheirPhysicalNetworkWithTheirMacAndVlan) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", nic_host(4)).status, 200);
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "plain"}, {"vcpus", 2}, {"memory_mb", 2048}}).status, 201);
  ASSERT_EQ(c.call("POST", "/v1/networks", Json{{"name", "net0"}, {"provider:network_type", "vlan"}, {"provider:physical_network", "physnet1"},
                                               {"provider:segmentation_id", 10}})
                .status,
            201);
  ASSERT_EQ(c.call("POST", "/v1/ports", Json{{"name", "p1"}, {"network_id", "net0"}, {"mac_address", "fa:16:3e:00:00:01"}}).status, 201);

  // A VF port: an <interface type='hostdev'> with the port's MAC and the network's VLAN.
  auto vm1 = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "plain"}, {"nics", {{{"port-id", "p1"}}}}});
  ASSERT_EQ(vm1.status, 201) << vm1.body.dump();
  ASSERT_EQ(vm1.body["devices"].size(), 1u);
  EXPECT_EQ(vm1.body["devices"][0]["type"], "type-VF");
  EXPECT_EQ(vm1.body["devices"][0]["port"], "p1");
  EXPECT_EQ(vm1.body["devices"][0]["mac"], "fa:16:3e:00:00:01");
  EXPECT_EQ(vm1.body["devices"][0]["vlan"], 10);
  const std::string xml = vm1.body["libvirt_xml"];
  EXPECT_NE(xml.find("<interface type='hostdev'"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<mac address='fa:16:3e:00:00:01'/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<tag id='10'/>"), std::string::npos) << xml;
  EXPECT_TRUE(valid_domain(vm1.body, "vm1"));
  EXPECT_EQ(c.call("GET", "/v1/ports/p1").body["server"], "vm1");
  EXPECT_EQ(c.call("GET", "/v1/servers/vm1").body["devices"][0]["port"], "p1");  // as stored

  // A port is one server's.
  auto twice = c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "plain"}, {"nics", {{{"port-id", "p1"}}}}});
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(twice.body["error"]["field"], "nics[0].port-id");
  EXPECT_EQ(c.call("DELETE", "/v1/ports/p1").status, 409);
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "plain"}, {"nics", {{{"port-id", "p1"}, {"net-id", "net0"}}}}})
                .body["error"]["field"],
            "nics[0]");
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "plain"}, {"nics", {{{"net-id", "net0"}, {"vnic-type", "macvtap"}}}}})
                .body["error"]["field"],
            "nics[0].vnic-type");

  // net-id: a port made for the server, with the flavor's own VF beside it.
  auto vm3 = c.call("POST", "/v1/servers", Json{{"name", "vm3"}, {"flavor", "vf.small"}, {"nics", {{{"net-id", "net0"}, {"vnic-type", "direct"}}}}});
  ASSERT_EQ(vm3.status, 201) << vm3.body.dump();
  EXPECT_EQ(vm3.body["devices"].size(), 0u + 2);
  EXPECT_EQ(c.call("GET", "/v1/ports/vm3-nic0").body["server"], "vm3");
  EXPECT_TRUE(valid_domain(vm3.body, "vm3"));

  // One VF left for two requests: No valid host names the port; the port made for it goes again.
  auto full = c.call("POST", "/v1/servers", Json{{"name", "vm4"}, {"flavor", "vf.small"}, {"nics", {{{"net-id", "net0"}}}}});
  ASSERT_EQ(full.status, 409) << full.body.dump();
  EXPECT_EQ(full.body["error"]["code"], "NoValidHost");
  EXPECT_NE(full.body["error"]["hosts"][0]["reason"].get<std::string>().find("port vm4-nic0 (direct on physnet1)"), std::string::npos)
      << full.body.dump();
  EXPECT_EQ(c.call("GET", "/v1/ports/vm4-nic0").status, 404);

  // A PF port on a physical network whose PFs no device_spec entry tags: no host has one.
  ASSERT_EQ(c.call("POST", "/v1/ports", Json{{"name", "p2"}, {"network_id", "net0"}, {"binding:vnic_type", "direct-physical"}}).status, 201);
  auto pf = c.call("POST", "/v1/servers", Json{{"name", "vm5"}, {"flavor", "plain"}, {"nics", {{{"port-id", "p2"}}}}});
  ASSERT_EQ(pf.status, 409) << pf.body.dump();
  EXPECT_NE(pf.body["error"]["hosts"][0]["reason"].get<std::string>().find("port p2 (direct-physical on physnet1)"), std::string::npos)
      << pf.body.dump();
  // A network on a physical network no device_spec tags.
  ASSERT_EQ(c.call("POST", "/v1/networks", Json{{"name", "far"}, {"provider:network_type", "flat"}, {"provider:physical_network", "nowhere"}}).status, 201);
  ASSERT_EQ(c.call("POST", "/v1/ports", Json{{"name", "p9"}, {"network_id", "far"}}).status, 201);
  auto nowhere = c.call("POST", "/v1/servers", Json{{"name", "vm6"}, {"flavor", "plain"}, {"nics", {{{"port-id", "p9"}}}}});
  ASSERT_EQ(nowhere.status, 409);
  EXPECT_EQ(nowhere.body["error"]["code"], "NoValidHost");
  EXPECT_NE(nowhere.body["error"]["message"].get<std::string>().find("port \"p9\" is on network \"far\", physical network \"nowhere\""),
            std::string::npos)
      << nowhere.body.dump();

  // The flavor's pcipass:vlan still works, and says it is deprecated.
  EXPECT_TRUE(mentions(vm3.body["notes"], "pcipass:vlan is deprecated"));

  // Deleted, the server gives its ports back.
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm1").status, 204);
  EXPECT_EQ(c.call("GET", "/v1/ports/p1").body["server"], nullptr);
  EXPECT_EQ(c.call("DELETE", "/v1/ports/p1").status, 204);

  // Restarted on its store: vm3's port is still its device's, with its MAC and VLAN.
  const Json before = c.call("GET", "/v1/servers/vm3").body;
  s.reset();
  s = start(db(), false);
  ASSERT_TRUE(s);
  Client again(s->port());
  const Json after = again.call("GET", "/v1/servers/vm3").body;
  EXPECT_EQ(after["devices"], before["devices"]);
  EXPECT_EQ(after["libvirt_xml"], before["libvirt_xml"]);
  bool has_port = false;
  for (const auto& d : after["devices"]) has_port = has_port || (d.contains("port") && d["port"] == "vm3-nic0" && d["vlan"] == 10);
  EXPECT_TRUE(has_port) << after.dump();
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, ApiTenancyTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace pcipass::server
