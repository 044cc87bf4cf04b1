#include "core/fleet.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::make_fleet;

constexpr std::string_view kFleet = R"({
  "format": "pcipass-scenario/1",
  "device_spec": [{"vendor_id": "8086"}, {"vendor_id": "10de"}],
  "alias": [
    {"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
    {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"},
    {"name": "gpu", "vendor_id": "10de", "product_id": "2330", "device_type": "type-PCI", "numa_policy": "required"}],
  "hosts": [
    {"name": "b-nic", "numa": [{"id": 0, "cpus": 8, "memory_mb": 8192}, {"id": 1, "cpus": 8, "memory_mb": 8192}],
     "devices": [
      {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
      {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
      {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"}]},
    {"name": "a-nic", "numa": [{"id": 0, "cpus": 8, "memory_mb": 8192}, {"id": 1, "cpus": 8, "memory_mb": 8192}],
     "devices": [
      {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
      {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
      {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"}]},
    {"name": "c-gpu", "numa": [{"id": 0, "cpus": 8, "memory_mb": 8192}, {"id": 1, "cpus": 8, "memory_mb": 8192}],
     "devices": [
      {"address": "0000:98:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": 1}]},
    {"name": "d-empty", "numa": [{"id": 0, "cpus": 8, "memory_mb": 8192}]}]})";

TEST(Fleet, ReplacingAHostEvictsItsInstancesAndReindexesIt) {
  auto t = make_fleet(kFleet);
  auto vf = t.shape(R"({"pci_passthrough:alias": "vf:1"})");
  auto plan = t.fleet->schedule(vf, t.fleet->find_host("a-nic"), Weigher::Pack);
  ASSERT_TRUE(plan && t.fleet->claim("one", vf, *plan).ok());
  const InstanceRecord* one = t.fleet->instance("one");
  const auto owner = t.fleet->host(one->host).devices()[one->devices[0]].owner;
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(t.fleet->instance_at(*owner), one);
  // a-nic comes back with one VF only.
  std::vector<DeviceFacts> facts{testing::device("0000:41:00.0", "8086", "1572"), testing::device("0000:41:02.0", "8086", "154c")};
  facts[0].sriov_totalvfs = 4;
  facts[1].physfn = facts[0].address;
  auto inv = HostInventory::build("a-nic", std::nullopt, facts, t.scenario.device_spec, t.fleet->classes());
  ASSERT_TRUE(inv.ok()) << inv.error().describe();
  auto evicted = t.fleet->replace_host(std::move(*inv));
  ASSERT_TRUE(evicted.ok()) << evicted.error().describe();
  EXPECT_EQ(*evicted, std::vector<std::string>{"one"});
  EXPECT_EQ(t.fleet->instance("one"), nullptr);
  EXPECT_EQ(t.fleet->instance_at(*owner), nullptr);
  EXPECT_TRUE(t.fleet->check_invariants().empty());
  // Both VFs of b-nic plus a-nic's one: three VF boots fit, a fourth does not.
  for (const char* id : {"x", "y", "z"}) {
    auto p = t.fleet->schedule(vf, std::nullopt, Weigher::Pack);
    ASSERT_TRUE(p.has_value()) << id;
    ASSERT_TRUE(t.fleet->claim(id, vf, *p).ok());
  }
  EXPECT_FALSE(t.fleet->schedule(vf, std::nullopt, Weigher::Pack).has_value());
  EXPECT_TRUE(t.fleet->check_invariants().empty());
  // A new name is added.
  auto fresh = HostInventory::build("e-new", std::nullopt, facts, t.scenario.device_spec, t.fleet->classes());
  ASSERT_TRUE(t.fleet->replace_host(std::move(*fresh)).ok());
  EXPECT_TRUE(t.fleet->find_host("e-new").has_value());
  EXPECT_TRUE(t.fleet->schedule(vf, std::nullopt, Weigher::Pack).has_value());
}

TEST(Fleet, ALockedHostTakesNothingNewForcedOrNot) {
  auto t = make_fleet(kFleet);
  auto vf = t.shape(R"({"pci_passthrough:alias": "vf:1"})");
  std::vector<DeviceFacts> facts{testing::device("0000:41:00.0", "8086", "1572"), testing::device("0000:41:02.0", "8086", "154c"),
                                 testing::device("0000:41:02.1", "8086", "154c")};
  facts[0].sriov_totalvfs = 4;
  facts[1].physfn = facts[2].physfn = facts[0].address;
  auto inv = HostInventory::build("a-nic", std::nullopt, facts, t.scenario.device_spec, t.fleet->classes());
  ASSERT_TRUE(inv.ok()) << inv.error().describe();
  inv->set_locked(true);
  ASSERT_TRUE(t.fleet->replace_host(std::move(*inv)).ok());
  const HostIndex a = *t.fleet->find_host("a-nic");
  EXPECT_FALSE(t.fleet->schedule(vf, a, Weigher::Pack).has_value());
  auto elsewhere = t.fleet->schedule(vf, std::nullopt, Weigher::Pack);
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_EQ(t.fleet->host(elsewhere->host).name(), "b-nic");
  auto why = t.fleet->explain(vf, a);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0].reason, "locked: host a-nic is locked by its operator (pcipass host unlock a-nic)");
  const auto fits = t.fleet->query(vf);
  EXPECT_EQ(std::count(fits.begin(), fits.end(), a), 0);
  EXPECT_EQ(fits.size(), 1u);
  EXPECT_TRUE(t.fleet->check_invariants().empty());
}

TEST(Fleet, HostsAddedOneByOneInAnyOrderKeepNameOrderAndIndexes) {
  auto t = make_fleet(kFleet);
  // Names arrive out of order, many into the same gap (forcing re-ranking now and then).
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("m-" + std::to_string((i * 7919) % 300));
  for (int i = 0; i < 40; ++i) names.push_back("a-nic-" + std::string(static_cast<size_t>(i + 1), 'z'));
  for (const auto& n : names) {
    std::vector<DeviceFacts> facts{testing::device("0000:98:00.0", "10de", "2330")};
    facts[0].numa_node = 0;
    auto inv = HostInventory::build(n, std::nullopt, facts, t.scenario.device_spec, t.fleet->classes());
    ASSERT_TRUE(inv.ok());
    ASSERT_TRUE(t.fleet->add_host(std::move(*inv)).ok());
  }
  EXPECT_TRUE(t.fleet->check_invariants().empty());
  // The name weigher walks names in order: "a-nic" has no GPU, "a-nic-z" is next.
  auto plan = t.fleet->schedule(t.shape(R"({"pci_passthrough:alias": "gpu:1"})"), std::nullopt, Weigher::Name);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(t.fleet->host(plan->host).name(), "a-nic-z");
  auto why = t.fleet->explain(t.shape(R"({"pci_passthrough:alias": "gpu:1"})"), std::nullopt);
  ASSERT_EQ(why.size(), t.fleet->host_count());
  EXPECT_TRUE(std::is_sorted(why.begin(), why.end(), [](const Rejection& a, const Rejection& b) { return a.host < b.host; }));
}

TEST(Fleet, NameWeigherTakesTheFirstFeasibleHostByName) {
  auto t = make_fleet(kFleet);
  auto plan = t.fleet->schedule(t.shape(R"({"pci_passthrough:alias": "vf:1"})"), std::nullopt, Weigher::Name);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(t.fleet->host(plan->host).name(), "a-nic");
}

TEST(Fleet, PackWeigherFillsThePartlyUsedHostFirst) {
  auto t = make_fleet(kFleet);
  auto s = t.shape(R"({"pci_passthrough:alias": "vf:1"})");
  auto forced = t.fleet->find_host("b-nic");
  auto first = t.fleet->schedule(s, forced, Weigher::Pack);
  ASSERT_TRUE(first && t.fleet->claim("one", s, *first).ok());
  auto second = t.fleet->schedule(s, std::nullopt, Weigher::Pack);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(t.fleet->host(second->host).name(), "b-nic");  // a-nic keeps its whole PF
}

TEST(Fleet, InstancesWithoutDevicesAvoidDeviceHosts) {
  auto t = make_fleet(kFleet);
  auto plan = t.fleet->schedule(t.shape("{}"), std::nullopt, Weigher::Pack);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(t.fleet->host(plan->host).name(), "d-empty");
}

TEST(Fleet, ForcedHostIsTheOnlyCandidateAndStillRespectsNumaCapacity) {
  auto t = make_fleet(kFleet);
  auto forced = t.fleet->find_host("c-gpu");
  auto s = t.shape(R"({"hw:numa_nodes": "1"})", 8, 1024);
  ASSERT_TRUE(t.fleet->claim("n1", s, *t.fleet->schedule(s, forced, Weigher::Name)).ok());
  ASSERT_TRUE(t.fleet->claim("n2", s, *t.fleet->schedule(s, forced, Weigher::Name)).ok());
  // Nova lets a forced boot oversubscribe a full cell (nova-observed 12); pcipass does not.
  EXPECT_FALSE(t.fleet->schedule(s, forced, Weigher::Name).has_value());
  auto why = t.fleet->explain(s, forced);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0].host, "c-gpu");
  EXPECT_NE(why[0].reason.find("vCPUs: 16 of 16 in use, 8 requested"), std::string::npos) << why[0].reason;
  EXPECT_TRUE(t.fleet->check_invariants().empty());
}

// Fills NUMA cell 1 of c-gpu, the GPU's cell, with a plain NUMA instance, and returns a
// NUMA instance wanting that GPU.
InstanceShape fill_gpu_cell(testing::TestFleet& t) {
  auto filler = t.shape(R"({"hw:numa_nodes": "1"})", 8, 1024);
  BootPlan on_cell_1{*t.fleet->find_host("c-gpu"), HostFit{{}, {1}, 0}};
  EXPECT_TRUE(t.fleet->claim("fill", filler, on_cell_1).ok());
  return t.shape(R"({"pci_passthrough:alias": "gpu:1", "hw:numa_nodes": "1"})", 8, 1024);
}

TEST(Fleet, ExplainsEveryRejectedHost) {
  auto t = make_fleet(kFleet);
  auto s = fill_gpu_cell(t);
  EXPECT_FALSE(t.fleet->schedule(s, std::nullopt, Weigher::Pack).has_value());
  auto reasons = t.fleet->explain(s, std::nullopt);
  ASSERT_EQ(reasons.size(), 4u);
  std::map<std::string, std::string> by_host;
  for (const auto& r : reasons) by_host[r.host] = r.reason;
  EXPECT_EQ(by_host["a-nic"], "no device for alias gpu");
  EXPECT_EQ(by_host["d-empty"], "no device for alias gpu");
  EXPECT_EQ(by_host["c-gpu"], "alias gpu: 0 of 1 free on NUMA node 0 (policy required; 1 free on node 1)");
}

TEST(Fleet, GroupsRefusedHostsByTheirFirstReasonInGeneralWords) {
  auto t = make_fleet(kFleet);
  auto s = fill_gpu_cell(t);
  auto why = t.fleet->explain_grouped(s, std::nullopt, 1);
  ASSERT_EQ(why.size(), 2u);
  EXPECT_EQ(why[0].reason, "no device for alias gpu");
  EXPECT_EQ(why[0].hosts, 3u);
  EXPECT_EQ(why[0].sample, std::vector<std::string>{"a-nic"});  // the first by name, `sample` of them
  EXPECT_EQ(why[1].reason, "alias gpu: none free on the server's NUMA node (policy required)");
  EXPECT_EQ(why[1].hosts, 1u);
  EXPECT_EQ(why[1].sample, std::vector<std::string>{"c-gpu"});
  // Hosts it fits on are not refused: a VF fits on both NIC hosts; a forced host that fits says nothing.
  auto vf = t.shape(R"({"pci_passthrough:alias": "vf:1"})");
  auto vf_why = t.fleet->explain_grouped(vf, std::nullopt);
  ASSERT_EQ(vf_why.size(), 1u);
  EXPECT_EQ(vf_why[0].hosts, 2u);
  EXPECT_EQ(vf_why[0].sample, (std::vector<std::string>{"c-gpu", "d-empty"}));
  EXPECT_TRUE(t.fleet->explain_grouped(vf, t.fleet->find_host("a-nic")).empty());
  auto cpu = t.fleet->explain_grouped(t.shape("{}", 17, 0), t.fleet->find_host("b-nic"));
  ASSERT_EQ(cpu.size(), 1u);
  EXPECT_EQ(cpu[0].reason, "vCPUs: not enough free");
  // A locked host says so, whatever it lacks.
  const HostScenario& hs = t.scenario.hosts[0];
  auto inv = HostInventory::build(hs.name, hs.numa, hs.devices, t.scenario.device_spec, t.fleet->classes());
  ASSERT_TRUE(inv.ok());
  inv->set_locked(true);
  ASSERT_TRUE(t.fleet->replace_host(std::move(*inv)).ok());
  auto locked = t.fleet->explain_grouped(vf, t.fleet->find_host("b-nic"));
  ASSERT_EQ(locked.size(), 1u);
  EXPECT_EQ(locked[0].reason, "locked by its operator");
}

TEST(Fleet, HostsComeInNamePagesAfterAMarker) {
  auto t = make_fleet(kFleet);
  auto names = [&](const std::vector<HostIndex>& page) {
    std::vector<std::string> out;
    for (HostIndex h : page) out.push_back(t.fleet->host(h).name());
    return out;
  };
  EXPECT_EQ(names(t.fleet->hosts_after("", 2)), (std::vector<std::string>{"a-nic", "b-nic"}));
  EXPECT_EQ(names(t.fleet->hosts_after("b-nic", 2)), (std::vector<std::string>{"c-gpu", "d-empty"}));
  EXPECT_EQ(names(t.fleet->hosts_after("bz", 10)), (std::vector<std::string>{"c-gpu", "d-empty"}));  // a marker need not be a host
  EXPECT_TRUE(t.fleet->hosts_after("d-empty", 10).empty());
  auto gpu = t.shape(R"({"pci_passthrough:alias": "gpu:1"})");
  EXPECT_EQ(t.fleet->explain_one(gpu, *t.fleet->find_host("a-nic")), "no device for alias gpu");
}

TEST(Fleet, AShapeLeftBehindByALongLogIsBuiltAgain) {
  auto t = make_fleet(kFleet);
  auto vf = t.shape(R"({"pci_passthrough:alias": "vf:1"})");
  auto big = t.shape("{}", 16, 0);  // fits only on a host with no vCPU in use
  const auto all = t.fleet->query(big);
  ASSERT_EQ(all.size(), 3u);  // d-empty has 8 vCPUs in one cell only
  // Far more changes than the log keeps, while `big` is not asked about; the last one
  // leaves a VF held on one host.
  for (int i = 0; i < 3000; ++i) {
    auto plan = t.fleet->schedule(vf, std::nullopt, Weigher::Pack);
    ASSERT_TRUE(plan.has_value());
    ASSERT_TRUE(t.fleet->claim("v", vf, *plan).ok());
    if (i + 1 < 3000) ASSERT_TRUE(t.fleet->free("v").ok());
  }
  EXPECT_EQ(t.fleet->query(big), t.fleet->query_from_scratch(big));
  EXPECT_EQ(t.fleet->query(big).size(), 2u);
}

TEST(Fleet, ExplainsPfBlockedByVfsAndRequestsThatCompete) {
  auto t = make_fleet(kFleet);
  auto vf = t.shape(R"({"pci_passthrough:alias": "vf:1"})");
  ASSERT_TRUE(t.fleet->claim("v", vf, *t.fleet->schedule(vf, t.fleet->find_host("a-nic"), Weigher::Name)).ok());
  auto pf = t.shape(R"({"pci_passthrough:alias": "pf:1"})");
  auto reasons = t.fleet->explain(pf, t.fleet->find_host("a-nic"));
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].reason, "alias pf: 0 of 1 free (1 on host); PF 0000:41:00.0 has 1 VF(s) in use");
  auto both = t.shape(R"({"pci_passthrough:alias": "pf:1, vf:1"})");
  auto r2 = t.fleet->explain(both, t.fleet->find_host("b-nic"));
  EXPECT_NE(r2[0].reason.find("cannot be met together"), std::string::npos) << r2[0].reason;
  auto cpu = t.fleet->explain(t.shape("{}", 17, 0), t.fleet->find_host("b-nic"));
  EXPECT_EQ(cpu[0].reason, "vCPUs: 0 of 16 in use, 17 requested");
  auto numa = t.fleet->explain(t.shape(R"({"hw:numa_nodes": "1"})", 9, 0), t.fleet->find_host("b-nic"));
  EXPECT_NE(numa[0].reason.find("NUMA: no cell with room for 9 vCPUs"), std::string::npos) << numa[0].reason;
}

TEST(Fleet, ClaimAndFreeKeepEverythingConsistent) {
  auto t = make_fleet(kFleet);
  auto s = t.shape(R"({"pci_passthrough:alias": "vf:2"})", 2, 1024);
  auto plan = t.fleet->schedule(s, std::nullopt, Weigher::Name);
  ASSERT_TRUE(plan.has_value());
  auto rec = t.fleet->claim("vm", s, *plan);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ((*rec)->devices.size(), 2u);
  EXPECT_FALSE(t.fleet->claim("vm", s, *plan).ok());  // same id twice
  auto stale = t.fleet->claim("vm2", s, *plan);       // same devices again
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ErrorCode::DeviceHeld);
  EXPECT_TRUE(t.fleet->check_invariants().empty());
  EXPECT_EQ(t.fleet->host(plan->host).used_vcpus(), 2u);  // the failed claim released its CPUs
  ASSERT_TRUE(t.fleet->free("vm").ok());
  EXPECT_EQ(t.fleet->free("vm").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(t.fleet->host(plan->host).used_vcpus(), 0u);
  EXPECT_TRUE(t.fleet->check_invariants().empty());
}

TEST(Fleet, FleetWithoutAnyAdmittedDeviceAnswersEveryQuery) {
  // Found by the scenario fuzzer: no class registered left the alias matrix without rows.
  auto t = make_fleet(R"({"format": "pcipass-scenario/1",
    "alias": [{"name": "a", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
              {"name": "b", "vendor_id": "10de", "product_id": "2330", "device_type": "type-PCI"}],
    "hosts": [{"name": "h", "devices": [{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572"}]}]})");
  auto s = t.shape(R"({"pci_passthrough:alias": "a:1, b:1"})");
  EXPECT_TRUE(t.fleet->query(s).empty());
  EXPECT_FALSE(t.fleet->schedule(s, std::nullopt, Weigher::Pack).has_value());
  auto why = t.fleet->explain(s, std::nullopt);
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0].reason, "no device for alias a");
  EXPECT_TRUE(t.fleet->check_invariants().empty());
}

TEST(Fleet, QueryListsEveryFeasibleHostByName) {
  auto t = make_fleet(kFleet);
  auto names = [&](const InstanceShape& s) {
    std::vector<std::string> out;
    for (HostIndex h : t.fleet->query(s)) out.push_back(t.fleet->host(h).name());
    return out;
  };
  EXPECT_EQ(names(t.shape(R"({"pci_passthrough:alias": "vf:2"})")), (std::vector<std::string>{"a-nic", "b-nic"}));
  EXPECT_EQ(names(t.shape(R"({"pci_passthrough:alias": "pf:1, vf:1"})")), std::vector<std::string>{});
  EXPECT_EQ(names(t.shape("{}", 8, 8192)), (std::vector<std::string>{"a-nic", "b-nic", "c-gpu", "d-empty"}));
}

}  // namespace
}  // namespace pcipass
