// Every class of bad scenario input: the error names the JSON path and the reason.
#include "core/scenario.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

std::string with(std::string_view hosts, std::string_view ops = "[]", std::string_view alias = "[]",
                 std::string_view device_spec = R"([{"vendor_id": "8086"}])") {
  return std::string(R"({"format": "pcipass-scenario/1", "device_spec": )") + std::string(device_spec) +
         R"(, "alias": )" + std::string(alias) + R"(, "hosts": )" + std::string(hosts) + R"(, "ops": )" + std::string(ops) + "}";
}

constexpr std::string_view kHost = R"([{"name": "h1", "devices": [{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572"}]}])";
constexpr std::string_view kAlias = R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}])";

struct Case {
  std::string json;
  std::string where;
  std::string message;
};

TEST(Scenario, BadInputNamesPathAndReason) {
  const std::vector<Case> cases = {
      {R"([1])", "", "a scenario must be a JSON object"},
      {R"({"hosts": []})", "format", "missing"},
      {R"({"format": "pcipass-scenario/2", "hosts": []})", "format", "unsupported format"},
      {R"({"format": "pcipass-scenario/1", "hosts": [], "flavors": []})", "flavors", "unknown top-level key"},
      {R"({"format": "pcipass-scenario/1"})", "hosts", "missing"},
      {with(R"([{"devices": []}])"), "hosts[0]", "missing host name"},
      {with(R"([{"name": "a"}, {"name": "a"}])"), "hosts[1].name", "duplicate host name"},
      {with(R"([{"name": "a", "cpus": 4}])"), "hosts[0].cpus", "unknown key in a host"},
      {with(R"([{"name": "a", "numa": [{"id": 0, "cpus": 4}]}])"), "hosts[0].numa[0]", "missing memory_mb"},
      {with(R"([{"name": "a", "numa": [{"id": 0, "cpus": -1, "memory_mb": 1}]}])"), "hosts[0].numa[0].cpus", "from 0 to"},
      {with(R"([{"name": "a", "numa": [{"id": 0, "cpus": 1, "memory_mb": 1, "socket": "x"}]}])"), "hosts[0].numa[0].socket", "expected an integer"},
      {with(R"([{"name": "a", "devices": [{"address": "41:02.0", "vendor_id": "8086", "product_id": "154c"}]}])"),
       "hosts[0].devices[0].address", "required full DDDD:BB:SS.F PCI address"},
      {with(R"([{"name": "a", "devices": [{"address": "0000:41:02.0", "vendor_id": "808", "product_id": "154c"}]}])"),
       "hosts[0].devices[0].vendor_id", "expected 4 hex digits"},
      {with(R"([{"name": "a", "devices": [{"address": "0000:41:02.0", "vendor_id": "8086"}]}])"), "hosts[0].devices[0]", "missing product_id"},
      {with(R"([{"name": "a", "devices": [{"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "class_code": "02"}]}])"),
       "hosts[0].devices[0].class_code", "6 hex digits"},
      {with(R"([{"name": "a", "devices": [{"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": "0"}]}])"),
       "hosts[0].devices[0].numa_node", "expected an integer"},
      {with(R"([{"name": "a", "devices": [{"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:02.0"}]}])"),
       "hosts[0].devices[0].physfn", "its own physfn"},
      {with(R"([{"name": "a", "devices": [{"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "drvier": "vfio-pci"}]}])"),
       "hosts[0].devices[0].drvier", "unknown key in a device"},
      {with(R"([{"name": "a", "device_spec": [{"vendor_id": "xyz"}]}])"), "hosts[0].device_spec[0].vendor_id", "does not parse as a hex number"},
      {with(kHost, "[]", "[]", R"([{"vendor_id": "80861"}])"), "device_spec[0].vendor_id", "greater than the maximum allowable value (FFFF)"},
      {with(kHost, "[]", R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "device_type": "type-X"}])"), "alias[0].device_type", "type-PCI"},
      {with(kHost, R"([{"op": "resize", "id": "x"}])"), "ops[0].op", "unknown op \"resize\""},
      {with(kHost, R"([{"id": "x"}])"), "ops[0].op", "missing \"op\""},
      {with(kHost, R"([{"op": "boot"}])"), "ops[0].id", "missing instance id"},
      {with(kHost, R"([{"op": "boot", "id": "x", "vcpus": 0}])"), "ops[0].vcpus", "from 1 to"},
      {with(kHost, R"([{"op": "boot", "id": "x", "memory_mb": "1G"}])"), "ops[0].memory_mb", "expected an integer"},
      {with(kHost, R"([{"op": "boot", "id": "x", "flavor": "m1"}])"), "ops[0].flavor", "unknown key in a boot op"},
      {with(kHost, R"([{"op": "boot", "id": "x", "host": "nope"}])"), "ops[0].host", "no host named \"nope\""},
      {with(kHost, R"([{"op": "boot", "id": "x", "expect": "maybe"}])"), "ops[0].expect", "expected \"ok\", \"NoValidHost\" or a host name"},
      {with(kHost, R"([{"op": "delete", "id": "x", "expect": "gone"}])"), "ops[0].expect", "expected \"ok\" or \"NotFound\""},
      {with(kHost, R"([{"op": "query", "expect": "h1"}])"), "ops[0].expect", "expects a list of host names"},
      {with(kHost, R"([{"op": "query", "expect": ["h9"]}])"), "ops[0].expect[0]", "no host named"},
      {with(kHost, R"([{"op": "query", "id": "x"}])"), "ops[0].id", "unknown key in a query op"},
      {with(kHost, R"([{"op": "boot", "id": "x", "extra_specs": {"pci_passthrough:alias": "nope:1"}}])", kAlias),
       "ops[0].extra_specs.pci_passthrough:alias", "PCI alias nope is not defined"},
      {with(kHost, R"([{"op": "boot", "id": "x", "extra_specs": {"pci_passthrough:alias": "vf:1:2"}}])", kAlias),
       "ops[0].extra_specs.pci_passthrough:alias", "exactly one ':'"},
      {with(kHost, R"([{"op": "boot", "id": "x", "extra_specs": {"hw:numa_nodes": true}}])"), "ops[0].extra_specs.hw:numa_nodes", "values are strings"},
      {with(kHost, R"([{"op": "boot", "id": "x", "extra_specs": []}])"), "ops[0].extra_specs", "expected an object"},
      {with(kHost, R"([{"op": "boot", "id": "x"}, {"op": "query"}, {"op": "boot", "id": "x"}])"), "ops[2].id",
       "instance \"x\" is still alive: ops[0] booted it and no delete came since"},
      {with(kHost, R"([{"op": "boot", "id": "x"}, {"op": "delete", "id": "x"}, {"op": "boot", "id": "x"}, {"op": "boot", "id": "x"}])"),
       "ops[3].id", "ops[2] booted it"},
  };
  for (const auto& c : cases) {
    auto s = parse_scenario(J(c.json));
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.error().where(), c.where) << c.json << "\n -> " << s.error().describe();
    EXPECT_NE(s.error().message().find(c.message), std::string::npos) << c.json << "\n -> " << s.error().describe();
  }
}

TEST(Scenario, AnIdIsBootedAgainOnlyAfterItsDelete) {
  auto s = parse_scenario(J(with(kHost, R"([{"op": "boot", "id": "x"}, {"op": "delete", "id": "x"}, {"op": "boot", "id": "x"},
                                           {"op": "delete", "id": "never-booted"}])")));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->ops.size(), 4u);
}

TEST(Scenario, ParsesDefaultsAndWarnings) {
  auto s = parse_scenario(J(with(kHost, R"([{"op": "query", "extra_specs": {"quota:cpu": "1"}}, {"op": "delete", "id": "x", "expect": "NotFound"}])",
                                 R"([{"name": "any", "vendor_id": "8086", "product_id": "154c"}])", R"([{"physical_netwrok": "p"}])")));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  ASSERT_EQ(s->ops.size(), 2u);
  EXPECT_EQ(s->ops[0].shape.vcpus, kDefaultVcpus);
  EXPECT_EQ(s->ops[0].shape.memory_mb, kDefaultMemoryMb);
  EXPECT_EQ(s->ops[1].expect_result, std::optional<std::string>("NotFound"));
  ASSERT_EQ(s->warnings.size(), 3u);
  EXPECT_EQ(s->warnings[0].rfind("device_spec[0]: ", 0), 0u) << s->warnings[0];
  EXPECT_EQ(s->warnings[1].rfind("alias: ", 0), 0u) << s->warnings[1];
  EXPECT_EQ(s->warnings[2].rfind("ops[0].extra_specs.quota:cpu", 0), 0u) << s->warnings[2];
}

TEST(Scenario, NullNumaNodeAndMinusOneMeanNoAffinity) {
  auto s = parse_scenario(J(with(R"([{"name": "a", "devices": [
      {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": null},
      {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": -1}]}])")));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->hosts[0].devices[0].numa_node.has_value());
  EXPECT_FALSE(s->hosts[0].devices[1].numa_node.has_value());
}

}  // namespace
}  // namespace pcipass
