#include "core/extra_specs.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

AliasTable aliases() {
  std::vector<std::string> w;
  return AliasTable::parse(J(R"([
    {"name": "QuickAssist", "vendor_id": "8086", "product_id": "37c9", "device_type": "type-VF", "numa_policy": "required"},
    {"name": "IntelNIC", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
    {"name": " Cirrus Logic ", "vendor_id": "1013", "product_id": "00b8", "device_type": "type-PCI", "numa_policy": "preferred"}])"), w).value();
}

Result<InstanceShape> flavor(ExtraSpecs extra, uint32_t vcpus = 4, uint64_t mem = 4096) {
  std::vector<std::string> ignored;
  return parse_flavor(vcpus, mem, extra, aliases(), ignored);
}

TEST(ExtraSpecs, AliasListToleratesSpacesAndKeepsRepeatsSeparate) {
  auto s = flavor({{"pci_passthrough:alias", "QuickAssist : 3, IntelNIC: 1, IntelNIC:2"}});
  ASSERT_TRUE(s.ok()) << s.error().describe();
  ASSERT_EQ(s->pci.size(), 3u);
  EXPECT_EQ(s->pci[0].alias_name, "QuickAssist");
  EXPECT_EQ(s->pci[0].count, 3u);
  EXPECT_EQ(s->pci[2].count, 2u);
  EXPECT_EQ(s->total_devices(), 6u);
  auto named = flavor({{"pci_passthrough:alias", " Cirrus Logic :1"}});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->pci[0].alias_name, "Cirrus Logic");
}

TEST(ExtraSpecs, MalformedAliasListsAreRejectedWithTheItem) {
  struct Case { const char* value; const char* message; };
  for (const Case& c : {Case{"a:1:2", "exactly one ':'"}, Case{"IntelNIC", "expected \"alias:count\""},
                        Case{"IntelNIC:0", "at least 1"}, Case{"IntelNIC:x", "whole number"},
                        Case{"IntelNIC:1,", "expected \"alias:count\""}, Case{":1", "alias name is empty"}}) {
    auto s = flavor({{"pci_passthrough:alias", c.value}});
    ASSERT_FALSE(s.ok()) << c.value;
    EXPECT_EQ(s.error().where(), "pci_passthrough:alias");
    EXPECT_NE(s.error().message().find(c.message), std::string::npos) << c.value << ": " << s.error().message();
  }
  auto undefined = flavor({{"pci_passthrough:alias", "nope:1"}});
  ASSERT_FALSE(undefined.ok());
  EXPECT_EQ(undefined.error().message(), "PCI alias nope is not defined (PciRequestAliasNotDefined)");
}

TEST(ExtraSpecs, AFlavorCannotNameTheAliasOfAPortsRequest) {
  std::vector<std::string> w, ignored;
  auto specs = DeviceSpecList::parse(J(R"([{"vendor_id": "8086", "physical_network": "physnet1"}])"), w).value();
  AliasTable table;
  table.add_port_aliases(specs);
  auto s = parse_flavor(1, 512, {{"pci_passthrough:alias", "port direct on physnet1:1"}}, table, ignored);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "PCI alias port direct on physnet1 is not defined (PciRequestAliasNotDefined)");
}

TEST(ExtraSpecs, PolicyPrecedenceFlavorThenAliasThenLegacy) {
  auto plain = flavor({{"pci_passthrough:alias", "QuickAssist:1, IntelNIC:1"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->pci[0].policy, NumaPolicy::Required);
  EXPECT_EQ(plain->pci[1].policy, NumaPolicy::Legacy);
  auto overridden = flavor({{"pci_passthrough:alias", "QuickAssist:1, IntelNIC:1"}, {"hw:pci_numa_affinity_policy", "socket"}});
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->pci[0].policy, NumaPolicy::Socket);
  EXPECT_EQ(overridden->pci[1].policy, NumaPolicy::Socket);
  auto bad = flavor({{"hw:pci_numa_affinity_policy", "strict"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where(), "hw:pci_numa_affinity_policy");
}

TEST(ExtraSpecs, NoNumaTopologyWithoutNumaNodes) {
  auto s = flavor({{"pci_passthrough:alias", "IntelNIC:1"}});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->numa.has_value());
}

TEST(ExtraSpecs, NumaNodesSplitEvenly) {
  auto s = flavor({{"hw:numa_nodes", "2"}}, 8, 8192);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->numa.has_value());
  ASSERT_EQ(s->numa->size(), 2u);
  EXPECT_EQ((*s->numa)[1].vcpus, 4u);
  EXPECT_EQ((*s->numa)[1].memory_mb, 4096u);
  auto odd = flavor({{"hw:numa_nodes", "2"}}, 3, 8192);
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message().find("split evenly"), std::string::npos);
  auto zero = flavor({{"hw:numa_nodes", "0"}});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().where(), "hw:numa_nodes");
}

TEST(ExtraSpecs, ManualNumaCellsMustCoverEverything) {
  auto s = flavor({{"hw:numa_nodes", "2"}, {"hw:numa_cpus.0", "0"}, {"hw:numa_cpus.1", "1-3"},
                   {"hw:numa_mem.0", "1024"}, {"hw:numa_mem.1", "3072"}});
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ((*s->numa)[0].vcpus, 1u);
  EXPECT_EQ((*s->numa)[1].vcpus, 3u);
  EXPECT_EQ((*s->numa)[1].memory_mb, 3072u);
  auto sum = flavor({{"hw:numa_nodes", "2"}, {"hw:numa_cpus.0", "0"}, {"hw:numa_cpus.1", "1-3"},
                     {"hw:numa_mem.0", "1024"}, {"hw:numa_mem.1", "1024"}});
  ASSERT_FALSE(sum.ok());
  EXPECT_NE(sum.error().message().find("add up to 2048 MB"), std::string::npos);
  auto overlap = flavor({{"hw:numa_nodes", "2"}, {"hw:numa_cpus.0", "0-1"}, {"hw:numa_cpus.1", "1-3"},
                         {"hw:numa_mem.0", "1024"}, {"hw:numa_mem.1", "3072"}});
  ASSERT_FALSE(overlap.ok());
  EXPECT_NE(overlap.error().message().find("in two NUMA cells"), std::string::npos);
  auto missing = flavor({{"hw:numa_nodes", "2"}, {"hw:numa_cpus.0", "0-3"}, {"hw:numa_mem.0", "4096"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().where(), "hw:numa_cpus.1");
  auto orphan = flavor({{"hw:numa_cpus.0", "0-3"}});
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.error().message().find("needs hw:numa_nodes"), std::string::npos);
  auto range = flavor({{"hw:numa_nodes", "1"}, {"hw:numa_cpus.1", "0-3"}, {"hw:numa_mem.1", "4096"}});
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.error().where(), "hw:numa_cpus.1");
}

TEST(ExtraSpecs, UnknownHwKeysAreErrorsOtherNamespacesAreIgnored) {
  auto hw = flavor({{"hw:cpu_polcy", "dedicated"}});
  ASSERT_FALSE(hw.ok());
  EXPECT_EQ(hw.error().where(), "hw:cpu_polcy");
  std::vector<std::string> ignored;
  auto other = parse_flavor(1, 512, {{"quota:cpu_shares", "100"}}, aliases(), ignored);
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(ignored.size(), 1u);
  EXPECT_EQ(ignored[0], "quota:cpu_shares");
}

TEST(ExtraSpecs, PcipassKeysAreValidatedWhereverAFlavorIsRead) {
  auto good = parse_pcipass_settings({{"pcipass:vlan", " 100 "}, {"quota:cpu_shares", "1"}});
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_EQ(good->vlan, std::optional<uint16_t>(100));
  EXPECT_FALSE(parse_pcipass_settings({}).value().vlan.has_value());
  for (const char* bad : {"abc", "0", "4095", "-1", "", "12x", "99999999999999999999"}) {
    auto refused = flavor({{"pcipass:vlan", bad}});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(refused.error().where(), "pcipass:vlan") << bad;
    EXPECT_NE(refused.error().message().find("1 to 4094"), std::string::npos) << refused.error().message();
  }
  EXPECT_TRUE(flavor({{"pcipass:vlan", "4094"}}).ok());
  auto unknown = flavor({{"pcipass:vlna", "100"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().where(), "pcipass:vlna");
  EXPECT_EQ(parse_pcipass_settings({{"pcipass:base_domain", "web-1.q35"}})->base_domain, std::optional<std::string>("web-1.q35"));
  for (const char* bad : {"", "../etc/passwd", ".hidden", "a b", "x/y"}) {
    auto refused = flavor({{"pcipass:base_domain", bad}});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().where(), "pcipass:base_domain") << bad;
  }
}

TEST(CpuSet, ParsesRangesAndExclusions) {
  EXPECT_EQ(parse_cpu_set("0-3,^2,5").value(), (std::vector<uint32_t>{0, 1, 3, 5}));
  EXPECT_FALSE(parse_cpu_set("3-1").ok());
  EXPECT_FALSE(parse_cpu_set("^0").ok());
  EXPECT_FALSE(parse_cpu_set("a").ok());
}

}  // namespace
}  // namespace pcipass
