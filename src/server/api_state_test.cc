// Issue 10's findings over real HTTP on both stores: a report that contradicts what is
// held is taken as the truth about the host, the contradiction is recorded (server
// show, device list, host, health) and the host takes no new placements until it is
// consistent again; a restart always starts, and rebuilds the same.
#include "server/api_test_support.h"

namespace pcipass::server {
namespace {
using namespace testing_api;

using ApiStateTest = ApiTest;

// A report changes a held VF's product id, so that no device_spec admits it any more.
TEST_P(ApiStateTest, AReportThatContradictsAHeldDeviceIsTakenAndBlocksTheHostUntilItIsConsistent) {
  auto s = start(db());
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    seed(c);
  }
  Client c(s->port());
  ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  const std::string held = c.call("GET", "/v1/servers/vm1").body["devices"][0]["address"];
  Json changed = nic_host(2);
  for (auto& d : changed["devices"])
    if (d["address"] == held) d["product_id"] = "10fb";
  auto r = c.call("PUT", "/v1/hosts/compute-1", changed);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(s->store().host("compute-1")->devices.size(), 3u);

  auto check_recorded = [&](Client& cl) {
    auto shown = cl.call("GET", "/v1/servers/vm1");
    ASSERT_EQ(shown.status, 200) << shown.body.dump();  // show and list agree
    EXPECT_TRUE(mentions(shown.body["notes"], "not admitted by device_spec")) << shown.body.dump();
    EXPECT_EQ(cl.call("GET", "/v1/servers").body["servers"].size(), 1u);
    auto health = cl.call("GET", "/v1/health");
    ASSERT_EQ(health.status, 200);
    EXPECT_EQ(health.body["status"], "degraded");
    ASSERT_EQ(health.body["blocked_hosts"].size(), 1u);
    EXPECT_EQ(health.body["blocked_hosts"][0]["host"], "compute-1");
    EXPECT_EQ(health.body["servers"][0]["id"], "vm1");
    auto host = cl.call("GET", "/v1/hosts/compute-1");
    EXPECT_FALSE(host.body["blocked"].is_null());
    EXPECT_EQ(host.body["free"], 0);
    auto mine = cl.call("GET", "/v1/devices?owner=vm1");
    ASSERT_EQ(mine.body["devices"].size(), 1u);
    EXPECT_TRUE(mentions(mine.body["devices"][0]["problems"], "held by vm1")) << mine.body.dump();
    // Nothing new is placed there, and the reason says why.
    auto vm2 = cl.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}});
    ASSERT_EQ(vm2.status, 409) << vm2.body.dump();
    EXPECT_EQ(vm2.body["error"]["hosts"][0]["reason"].get<std::string>().rfind("blocked: ", 0), 0u) << vm2.body.dump();
    EXPECT_EQ(cl.call("GET", "/v1/capacity").body["fleet"]["vf"]["free"], 0);
  };
  check_recorded(c);
  // A restart starts, and rebuilds the same.
  s.reset();
  s = start(db(), false);
  ASSERT_TRUE(s);
  Client again(s->port());
  check_recorded(again);
  // The host reports as before: consistent again, it takes placements.
  ASSERT_EQ(again.call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 200);
  EXPECT_EQ(again.call("GET", "/v1/health").body["status"], "ok");
  EXPECT_TRUE(again.call("GET", "/v1/hosts/compute-1").body["blocked"].is_null());
  EXPECT_FALSE(mentions(again.call("GET", "/v1/servers/vm1").body["notes"], "breaks a rule"));
  EXPECT_EQ(again.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}}).status, 201);
}

// A report that removes, then shrinks, the NUMA cell a server uses.
TEST_P(ApiStateTest, AReportThatRemovesOrShrinksANumaCellInUseIsTaken) {
  auto s = start(db());
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    seed(c);
    ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "pinned"}, {"vcpus", 8}, {"memory_mb", 4096},
                                                {"extra_specs", {{"pci_passthrough:alias", "vf:1"}, {"hw:numa_nodes", "1"}}}})
                  .status,
              201);
  }
  Client c(s->port());
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "pinned"}});
  ASSERT_EQ(vm.status, 201) << vm.body.dump();
  ASSERT_EQ(vm.body["numa_cells"], Json::array({0}));
  // Cell 0 is gone from the report (its devices keep numa_node 0, a node without CPUs now).
  Json one_cell = nic_host(2);
  one_cell["numa"] = Json::array({{{"id", 1}, {"cpus", 32}, {"memory_mb", 65536}}});
  auto r = c.call("PUT", "/v1/hosts/compute-1", one_cell);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto shown = c.call("GET", "/v1/servers/vm1");
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  EXPECT_TRUE(mentions(shown.body["notes"], "NUMA cell 0, which compute-1 no longer reports")) << shown.body.dump();
  s.reset();
  s = start(db(), false);
  ASSERT_TRUE(s);
  Client again(s->port());
  EXPECT_EQ(again.call("GET", "/v1/servers/vm1").status, 200);
  // Cell 0 comes back smaller than what the server holds on it.
  Json small = nic_host(2);
  small["numa"][0]["cpus"] = 4;
  ASSERT_EQ(again.call("PUT", "/v1/hosts/compute-1", small).status, 200);
  auto health = again.call("GET", "/v1/health");
  EXPECT_EQ(health.body["status"], "degraded");
  EXPECT_TRUE(mentions(health.body["blocked_hosts"][0]["problems"], "more is held on NUMA cell 0 than it has")) << health.body.dump();
  // As large as before: nothing left to say.
  ASSERT_EQ(again.call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 200);
  EXPECT_EQ(again.call("GET", "/v1/health").body["status"], "ok");
}

// A configuration the held servers do not fit: the live reload refuses it and keeps the
// running one; a start on it starts, blocks the host and says why.
TEST_P(ApiStateTest, AConfigurationTheHeldServersDoNotFitIsRefusedLiveAndDoesNotStopAStart) {
  auto s = start(db());
  ASSERT_TRUE(s);
  {
    Client c(s->port());
    seed(c);
    ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  }
  std::string text = kConfig;
  const std::string vf_spec = "device_spec = {\"vendor_id\": \"8086\", \"product_id\": \"154c\", \"physical_network\": \"physnet1\"}\n";
  text.erase(text.find(vf_spec), vf_spec.size());
  std::ofstream(config_) << text;
  Client c(s->port());
  auto reload = c.call("POST", "/v1/config/reload");
  EXPECT_EQ(reload.status, 409) << reload.body.dump();
  EXPECT_EQ(reload.body["error"]["code"], "Conflict");
  EXPECT_EQ(c.call("GET", "/v1/config").body["device_spec_entries"], 3);  // the running one stays
  EXPECT_EQ(c.call("GET", "/v1/health").body["status"], "ok");
  s.reset();
  s = start(db(), false);
  ASSERT_TRUE(s);  // the start is not stopped by it
  Client again(s->port());
  EXPECT_EQ(again.call("GET", "/v1/config").body["device_spec_entries"], 2);
  auto health = again.call("GET", "/v1/health");
  EXPECT_EQ(health.body["status"], "degraded");
  EXPECT_TRUE(mentions(health.body["servers"][0]["problems"], "not admitted by device_spec")) << health.body.dump();
  EXPECT_EQ(again.call("GET", "/v1/servers/vm1").status, 200);
  ASSERT_EQ(again.call("DELETE", "/v1/servers/vm1").status, 204);  // once it is gone, the host is fine
  EXPECT_EQ(again.call("GET", "/v1/health").body["status"], "ok");
}

// A malformed report is refused whole: nothing of it is written.
TEST_P(ApiStateTest, AMalformedReportIsRefusedAndWritesNothing) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  const auto before = s->store().host("compute-1").value();
  Json twice = nic_host(2);
  twice["devices"][1]["devname"] = "ens1f0";  // the PF's own name
  twice["devices"][0]["product_id"] = "1583";
  auto r = c.call("PUT", "/v1/hosts/compute-1", twice);
  EXPECT_EQ(r.status, 400) << r.body.dump();
  const auto after = s->store().host("compute-1").value();
  EXPECT_EQ(after.generation, before.generation);
  EXPECT_EQ(after.devices[0].facts.product_id, before.devices[0].facts.product_id);
}

INSTANTIATE_TEST_SUITE_P(Stores, ApiStateTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace
}  // namespace pcipass::server
