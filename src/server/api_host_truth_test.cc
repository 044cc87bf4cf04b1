// Issue 11 over real HTTP on both stores: the controller does not spend a host's
// capacity or surprise its operator. Of identical PFs the one without VFs is handed out
// first, and a boot that takes a PF with VFs says they will go.
#include "server/api_test_support.h"

namespace pcipass::server {
namespace {
using namespace testing_api;

using ApiHostTruthTest = ApiTest;

// nic_host(2) plus a second, idle PF of the same kind.
Json two_pf_host() {
  Json h = nic_host(2);
  h["devices"].push_back({{"address", "0000:42:00.0"}, {"vendor_id", "8086"}, {"product_id", "1572"}, {"class_code", "020000"},
                          {"numa_node", 0}, {"sriov_totalvfs", 8}, {"devname", "ens2f0"}, {"fingerprint", "pf1"}});
  return h;
}

bool mentions(const Json& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.is_string() && l.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

TEST_P(ApiHostTruthTest, APfRequestTakesTheIdlePfSoALaterVfRequestStillFits) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", two_pf_host()).status, 200);
  auto pf = c.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}});
  ASSERT_EQ(pf.status, 201) << pf.body.dump();
  EXPECT_EQ(pf.body["devices"][0]["address"], "0000:42:00.0") << pf.body.dump();
  EXPECT_FALSE(pf.body.contains("notes")) << pf.body.dump();
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm1").status, 204);
  // The other PF has VFs enabled: taking it says that they go, in the answer and in show.
  auto second = c.call("POST", "/v1/servers", Json{{"name", "big2"}, {"flavor", "pf.big"}});
  ASSERT_EQ(second.status, 201) << second.body.dump();
  EXPECT_EQ(second.body["devices"][0]["address"], "0000:41:00.0");
  EXPECT_TRUE(mentions(second.body["notes"], "PF 0000:41:00.0 has 2 VF(s) enabled on the host: handing the PF to the guest removes them"))
      << second.body.dump();
  EXPECT_TRUE(mentions(c.call("GET", "/v1/servers/big2").body["notes"], "has 2 VF(s) enabled"));
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, ApiHostTruthTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace pcipass::server
