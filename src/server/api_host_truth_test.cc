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

// The platform the agent reports: a host that cannot do passthrough takes no PCI
// placement (a server without devices still goes there), an older agent's report
// without it is taken as before, and a later ready report lifts it.
TEST_P(ApiHostTruthTest, AHostWithoutAnActiveIommuTakesNoPassthroughPlacement) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);  // an older agent's report: no platform
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "plain"}, {"vcpus", 1}, {"memory_mb", 512}}).status, 201);
  Json unready = nic_host(2);
  unready["platform"] = {{"iommu", false}, {"interrupt_remapping", nullptr}, {"vfio", true},
                         {"problems", {"iommu: no IOMMU is active; fix: enable VT-d in firmware and boot with intel_iommu=on"}}};
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", unready).status, 200);
  auto vm = c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}});
  EXPECT_EQ(vm.body["error"]["code"], "NoValidHost") << vm.body.dump();
  EXPECT_NE(vm.body["error"]["hosts"][0]["reason"].get<std::string>().find(
                "host compute-1 cannot do passthrough: iommu: no IOMMU is active; fix: enable VT-d"),
            std::string::npos)
      << vm.body.dump();
  auto devices = c.call("GET", "/v1/devices?host=compute-1&status=unavailable").body["devices"];
  EXPECT_EQ(devices.size(), 3u) << devices.dump();
  EXPECT_NE(devices[0]["reason"].get<std::string>().find("the host cannot do passthrough"), std::string::npos) << devices.dump();
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "nopci"}, {"flavor", "plain"}}).status, 201);
  // Shown on the host, and gone once the agent says the host is ready.
  EXPECT_EQ(c.call("GET", "/v1/hosts/compute-1").body["platform"]["iommu"], false);
  Json ready = nic_host(2);
  ready["platform"] = {{"iommu", true}, {"interrupt_remapping", true}, {"vfio", true}, {"problems", Json::array()}};
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", ready).status, 200);
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  // A restart rebuilds the same from the store.
  s.reset();
  s = start(db(), false);
  ASSERT_TRUE(s);
  Client again(s->port());
  EXPECT_EQ(again.call("GET", "/v1/hosts/compute-1").body["platform"]["iommu"], true);
  ASSERT_EQ(again.call("PUT", "/v1/hosts/compute-1", unready).status, 200);  // a held VF on an unready host: taken, host blocked
  EXPECT_FALSE(again.call("GET", "/v1/hosts/compute-1").body["problems"].empty());
}

// A device the host depends on is withheld, and so is its IOMMU group companion.
TEST_P(ApiHostTruthTest, ADeviceTheHostDependsOnIsWithheldWithItsGroup) {
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  seed(c);
  Json h = nic_host(2);
  h["devices"][0]["host_use"] = "carries the default route (ens1f0)";
  h["devices"][0]["iommu_group"] = 40;
  h["devices"].push_back({{"address", "0000:41:00.1"}, {"vendor_id", "8086"}, {"product_id", "1572"}, {"numa_node", 0},
                          {"sriov_totalvfs", 8}, {"iommu_group", 40}, {"fingerprint", "pf1"}});
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", h).status, 200);
  auto pf = c.call("GET", "/v1/hosts/compute-1/devices/0000:41:00.0");
  EXPECT_EQ(pf.body["status"], "unavailable") << pf.body.dump();
  EXPECT_NE(pf.body["reason"].get<std::string>().find("the host depends on it: carries the default route (ens1f0)"), std::string::npos);
  auto companion = c.call("GET", "/v1/hosts/compute-1/devices/0000:41:00.1");
  EXPECT_EQ(companion.body["status"], "unavailable") << companion.body.dump();
  EXPECT_NE(companion.body["reason"].get<std::string>().find("also holds 0000:41:00.0: the host depends on it"), std::string::npos)
      << companion.body.dump();
  auto boot = c.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}});
  EXPECT_EQ(boot.body["error"]["code"], "NoValidHost") << boot.body.dump();
  EXPECT_NE(boot.body["error"]["hosts"][0]["reason"].get<std::string>().find("withheld (0000:41:00.0: the host depends on it"),
            std::string::npos)
      << boot.body.dump();
  // The VFs of the withheld PF are not its group: they are still offered.
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "vf.small"}}).status, 201);
  EXPECT_EQ(c.call("DELETE", "/v1/servers/vm1").status, 204);
  // Released deliberately by the operator: offered, and said on the host (and in the log).
  std::ofstream(config_) << "[pci]\ndevice_spec = {\"address\": \"0000:41:00.0\", \"pcipass_release_host_use\": true}\n"
                         << std::string(kConfig).substr(6);
  auto reload = c.call("POST", "/v1/config/reload");
  ASSERT_EQ(reload.status, 200) << reload.body.dump();
  EXPECT_TRUE(mentions(c.call("GET", "/v1/config").body["warnings"], "pcipass_release_host_use"));
  EXPECT_TRUE(mentions(c.call("GET", "/v1/hosts/compute-1").body["config_findings"],
                       "0000:41:00.0 is offered although the host depends on it (carries the default route (ens1f0))"));
  auto released = c.call("POST", "/v1/servers", Json{{"name", "big"}, {"flavor", "pf.big"}});
  ASSERT_EQ(released.status, 201) << released.body.dump();
  EXPECT_EQ(released.body["devices"].size(), 2u);  // with its IOMMU group companion
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, ApiHostTruthTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace pcipass::server
