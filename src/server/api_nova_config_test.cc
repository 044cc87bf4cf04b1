// Nova 26 compatibility of the configuration, over real HTTP: every [pci] line Nova 26
// accepts lets the server start; what Nova accepts but can never use is reported (config
// show, the alias list, explanations), and Nova's start-time checks of remote_managed
// entries are reported per host without blocking it.
#include "server/api_test_support.h"

namespace pcipass::server {
namespace {
using namespace testing_api;

using ApiNovaConfigTest = ApiTest;

// Lines Nova 26.2.2 takes (its own unit tests' aliases carry capability_type "pci"):
// an alias without ids, capability_type, a key given twice, a list-valued tag, a
// trusted value that is not boolean-like, one_time_use, legacy next to an unset policy.
constexpr const char* kNova26Lines = R"(
device_spec = {"vendor_id": "8086", "product_id": "154c", "zones": ["a", "b"], "trusted": "maybe"}
device_spec = {"vendor_id": "10de", "one_time_use": "true"}
device_spec = {"devname": "ens9f9", "remote_managed": "true"}
device_spec = {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "remote_managed": "true"}
alias = {"name": "QuickAssist", "capability_type": "pci", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}
alias = {"name": "anyvf", "device_type": "type-VF", "numa_policy": "legacy"}
alias = {"name": "anyvf", "device_type": "type-VF", "vendor_id": "15b3", "vendor_id": "8086"}
)";

TEST_P(ApiNovaConfigTest, EveryLineNova26AcceptsStartsTheServerAndWhatCannotWorkIsReported) {
  std::ofstream(config_) << "[pci]\n" << kNova26Lines;
  auto s = start(db());
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 201);

  auto config = c.call("GET", "/v1/config");
  ASSERT_EQ(config.status, 200) << config.body.dump();
  const Json& warnings = config.body["warnings"];
  EXPECT_TRUE(mentions(warnings, "alias \"QuickAssist\" is unusable")) << warnings.dump();
  EXPECT_TRUE(mentions(warnings, "key \"vendor_id\" is given more than once")) << warnings.dump();
  EXPECT_TRUE(mentions(warnings, "has no product_id")) << warnings.dump();
  EXPECT_TRUE(mentions(warnings, "not boolean-like")) << warnings.dump();
  EXPECT_TRUE(mentions(warnings, "one_time_use")) << warnings.dump();

  auto aliases = c.call("GET", "/v1/aliases").body["aliases"];
  ASSERT_EQ(aliases.size(), 2u) << aliases.dump();
  for (const auto& a : aliases) {
    if (a["name"] == "QuickAssist") {
      EXPECT_FALSE(a["usable"].get<bool>());
      EXPECT_NE(a["unusable_reason"].get<std::string>().find("capability_type"), std::string::npos);
    } else {
      EXPECT_TRUE(a["usable"].get<bool>()) << a.dump();
      ASSERT_EQ(a["specs"].size(), 2u);
      EXPECT_EQ(a["specs"][0]["vendor_id"], "*");
      EXPECT_EQ(a["specs"][1]["vendor_id"], "8086");  // the last of the repeated key
    }
  }

  // Nova's start-time checks: named per host, and the host still takes placements.
  auto host = c.call("GET", "/v1/hosts/compute-1");
  ASSERT_EQ(host.status, 200);
  const Json& findings = host.body["config_findings"];
  ASSERT_EQ(findings.size(), 2u) << findings.dump();
  EXPECT_TRUE(mentions(findings, "device_spec[2]: remote_managed entry names devname \"ens9f9\", which is not on this host"));
  EXPECT_TRUE(mentions(findings, "device_spec[3]: remote_managed entry names PF 0000:41:00.0"));
  EXPECT_TRUE(host.body["problems"].empty());

  // The alias without ids takes the VFs; the unusable one says why no host fits.
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "any"}, {"vcpus", 1}, {"memory_mb", 512},
                                              {"extra_specs", {{"pci_passthrough:alias", "anyvf:2"}}}}).status, 201);
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "qat"}, {"vcpus", 1}, {"memory_mb", 512},
                                              {"extra_specs", {{"pci_passthrough:alias", "QuickAssist:1"}}}}).status, 201);
  EXPECT_EQ(c.call("POST", "/v1/servers", Json{{"name", "vm1"}, {"flavor", "any"}}).status, 201);
  auto qat = c.call("POST", "/v1/servers", Json{{"name", "vm2"}, {"flavor", "qat"}});
  EXPECT_EQ(qat.body["error"]["code"], "NoValidHost") << qat.body.dump();
  EXPECT_NE(qat.body["error"]["hosts"][0]["reason"].get<std::string>().find("the alias is unusable"), std::string::npos)
      << qat.body.dump();

  // The same on a restart, and a reload to a configuration without them clears the findings.
  s.reset();
  s = start(db(), false);
  ASSERT_TRUE(s);
  Client again(s->port());
  EXPECT_EQ(again.call("GET", "/v1/hosts/compute-1").body["config_findings"].size(), 2u);
  std::ofstream(config_) << kConfig;
  ASSERT_EQ(again.call("POST", "/v1/config/reload").status, 200);
  EXPECT_TRUE(again.call("GET", "/v1/hosts/compute-1").body["config_findings"].empty());
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Stores, ApiNovaConfigTest, ::testing::Values(Backend{"sqlite", open_sqlite}, Backend{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace pcipass::server
