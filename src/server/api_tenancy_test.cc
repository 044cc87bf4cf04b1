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

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, ApiTenancyTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace pcipass::server
