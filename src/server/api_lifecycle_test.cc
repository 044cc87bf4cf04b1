// Issue 12 over real HTTP on both stores: a server's status, the agent's watch of its
// host's assignments (a long poll that holds no loop), its word on each server, and
// deletes that wait for the host.
#include <chrono>

#include "server/api_test_support.h"

namespace pcipass::server {
namespace {
using namespace testing_api;

using ApiLifecycleTest = ApiTest;

Json managing_host() {
  Json h = nic_host(2);
  h["manages_devices"] = true;
  return h;
}

TEST_P(ApiLifecycleTest, AServerOnAManagingHostBuildsThenTheAgentMakesItActiveOrDeletesIt) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  Client agent(s->port(), kAgent);
  seed(c);
  ASSERT_EQ(agent.call("PUT", "/v1/hosts/compute-1", managing_host()).status, 200);
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}});
  ASSERT_EQ(vm.status, 201) << vm.body.dump();
  EXPECT_EQ(vm.body["status"], "building");
  EXPECT_EQ(vm.body["devices"][0]["managed"], false);
  EXPECT_NE(vm.body["libvirt_xml"].get<std::string>().find("managed='no'"), std::string::npos) << vm.body.dump();
  EXPECT_EQ(vm.body["vlan"], 100);
  auto a = agent.call("GET", "/v1/hosts/compute-1/assignments");
  ASSERT_EQ(a.status, 200) << a.body.dump();
  EXPECT_EQ(a.body["manages_devices"], true);
  ASSERT_EQ(a.body["servers"].size(), 1u);
  EXPECT_EQ(a.body["servers"][0]["id"], "vm1");
  EXPECT_EQ(a.body["servers"][0]["status"], "building");
  auto bad = agent.call("POST", "/v1/servers/vm1/outcome", Json{{"outcome", "finished"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["field"], "outcome") << bad.body.dump();
  EXPECT_EQ(agent.call("POST", "/v1/servers/vm1/outcome", Json{{"outcome", "error"}, {"step", "prepare"}}).body["error"]["field"], "message");
  EXPECT_EQ(agent.call("POST", "/v1/servers/vm1/outcome", Json{{"outcome", "active"}, {"extra", 1}}).status, 400);
  auto active = agent.call("POST", "/v1/servers/vm1/outcome", Json{{"outcome", "active"}});
  ASSERT_EQ(active.status, 200) << active.body.dump();
  EXPECT_EQ(active.body["status"], "active");
  EXPECT_EQ(c.call("GET", "/v1/servers").body["servers"][0]["status"], "active");
  auto del = c.call("DELETE", "/v1/servers/vm1");
  ASSERT_EQ(del.status, 202) << del.body.dump();
  EXPECT_EQ(del.body["status"], "deleting");
  EXPECT_EQ(c.call("GET", "/v1/servers/vm1").body["status"], "deleting");
  auto late = agent.call("POST", "/v1/servers/vm1/outcome", Json{{"outcome", "active"}});
  EXPECT_EQ(late.status, 409) << late.body.dump();
  EXPECT_EQ(agent.call("POST", "/v1/servers/vm1/outcome", Json{{"outcome", "restored"}}).status, 204);
  EXPECT_EQ(c.call("GET", "/v1/servers/vm1").status, 404);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm1?force=maybe").body["error"]["field"], "force");
  // The create request may name the operator's base domain.
  auto named = c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "vf.small"}, {"base_domain", "web-q35"}});
  ASSERT_EQ(named.status, 201) << named.body.dump();
  EXPECT_EQ(named.body["base_domain"], "web-q35");
  EXPECT_EQ(c.call("GET", "/v1/servers/vm2").body["base_domain"], "web-q35");
  auto escape = c.call("POST", "/v1/servers", Json{{"name", "vm3"}, {"flavor", "vf.small"}, {"base_domain", "../etc"}});
  EXPECT_EQ(escape.status, 400);
  EXPECT_EQ(escape.body["error"]["field"], "base_domain") << escape.body.dump();
}

TEST_P(ApiLifecycleTest, AFailedStepIsShownWithItsStepAndTheHostsWords) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  Client agent(s->port(), kAgent);
  seed(c);
  ASSERT_EQ(agent.call("PUT", "/v1/hosts/compute-1", managing_host()).status, 200);
  ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  auto failed = agent.call("POST", "/v1/servers/vm1/outcome",
                           Json{{"outcome", "error"}, {"step", "prepare 0000:41:02.0: bind to vfio-pci"}, {"message", "No such device"}});
  ASSERT_EQ(failed.status, 200) << failed.body.dump();
  auto shown = c.call("GET", "/v1/servers/vm1").body;
  EXPECT_EQ(shown["status"], "error");
  EXPECT_EQ(shown["error"]["step"], "prepare 0000:41:02.0: bind to vfio-pci");
  EXPECT_EQ(shown["error"]["message"], "No such device");
  EXPECT_EQ(c.call("GET", "/v1/servers").body["servers"][0]["error"]["message"], "No such device");
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm1").status, 204);
}

TEST_P(ApiLifecycleTest, TheWatchIsHeldUntilTheHostMovesAndOtherRequestsAreServedMeanwhile) {
  HttpServerOptions one_loop;
  one_loop.threads = 1;  // a held watch must not hold the loop
  auto s = start(db(), true, 1 << 20, one_loop);
  ASSERT_TRUE(s);
  Client c(s->port());
  Client agent(s->port(), kAgent);
  seed(c);
  ASSERT_EQ(agent.call("PUT", "/v1/hosts/compute-1", managing_host()).status, 200);
  const uint64_t g = agent.call("GET", "/v1/hosts/compute-1/assignments").body["generation"].get<uint64_t>();
  // Moved already: answered at once.
  EXPECT_EQ(agent.call("GET", "/v1/hosts/compute-1/assignments?after=" + std::to_string(g - 1) + "&wait=30").status, 200);
  // Nothing new: held until the wait ends.
  const auto t0 = std::chrono::steady_clock::now();
  auto quiet = agent.call("GET", "/v1/hosts/compute-1/assignments?after=" + std::to_string(g) + "&wait=1");
  EXPECT_EQ(quiet.status, 200);
  EXPECT_EQ(quiet.body["generation"], g);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  // Held while a boot on its host is served on the same (only) loop; then answered with it.
  Answer woken;
  std::thread watcher([&] {
    Client w(s->port(), kAgent);
    woken = w.call("GET", "/v1/hosts/compute-1/assignments?after=" + std::to_string(g) + "&wait=60");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(20));
  ASSERT_EQ(woken.status, 200) << woken.body.dump();
  EXPECT_GT(woken.body["generation"].get<uint64_t>(), g);
  ASSERT_EQ(woken.body["servers"].size(), 1u);
  EXPECT_EQ(woken.body["servers"][0]["status"], "building");
  EXPECT_EQ(agent.call("GET", "/v1/hosts/compute-1/assignments?wait=301").body["error"]["field"], "wait");
  EXPECT_EQ(agent.call("GET", "/v1/hosts/compute-1/assignments?after=x").body["error"]["field"], "after");
  EXPECT_EQ(agent.call("GET", "/v1/hosts/compute-2/assignments").status, 403);
  EXPECT_EQ(Client(s->port(), kReader).call("GET", "/v1/hosts/compute-1/assignments").status, 403);
}

TEST_P(ApiLifecycleTest, AWatchHeldWhenTheServerStopsEndsCleanly) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  Client agent(s->port(), kAgent);
  seed(c);
  const uint64_t g = agent.call("GET", "/v1/hosts/compute-1/assignments").body["generation"].get<uint64_t>();
  std::thread watcher([&, port = s->port()] {
    Client w(port, kAgent);
    (void)w.call("GET", "/v1/hosts/compute-1/assignments?after=" + std::to_string(g) + "&wait=60");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  s->http().stop();
  watcher.join();
  // The watch went with its connection: a change now wakes nobody (nothing to crash on).
  EXPECT_TRUE(s->service().report_host(Principal{"admin", Role::Admin, ""}, [] {
    HostRecord h;
    h.name = "compute-1";
    return h;
  }()).ok());
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, ApiLifecycleTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace pcipass::server
