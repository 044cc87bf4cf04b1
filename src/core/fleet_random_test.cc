// Randomized: random fleets and random op sequences, with the invariant checker after
// every op, and every scheduling answer checked against a forced attempt on each host.
#include <gtest/gtest.h>

#include <random>

#include "core/fleet.h"
#include "core/test_support.h"

namespace pcipass {
namespace {

std::string random_fleet(std::mt19937& rng, int hosts) {
  std::string out = R"({"format": "pcipass-scenario/1",
    "device_spec": [{"vendor_id": "8086"}, {"vendor_id": "10de"}],
    "alias": [
      {"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF", "numa_policy": "preferred"},
      {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"},
      {"name": "gpu", "vendor_id": "10de", "product_id": "2330", "device_type": "type-PCI", "numa_policy": "required"},
      {"name": "audio", "vendor_id": "10de", "product_id": "1aef", "device_type": "type-PCI"}],
    "hosts": [)";
  for (int h = 0; h < hosts; ++h) {
    out += (h ? "," : "") + std::string(R"({"name": "host-)") + std::to_string(h) +
           R"(", "numa": [{"id": 0, "cpus": 16, "memory_mb": 32768, "socket": 0}, {"id": 1, "cpus": 16, "memory_mb": 32768, "socket": 1}], "devices": [)";
    std::string devs;
    auto add = [&](const std::string& d) { devs += (devs.empty() ? "" : ",") + d; };
    int pfs = static_cast<int>(rng() % 3);
    for (int p = 0; p < pfs; ++p) {
      std::string pf = "0000:4" + std::to_string(p) + ":00.0", node = std::to_string(rng() % 2);
      add(R"({"address": ")" + pf + R"(", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 8, "numa_node": )" + node + "}");
      int vfs = static_cast<int>(rng() % 5);
      for (int v = 0; v < vfs; ++v)
        add(R"({"address": "0000:4)" + std::to_string(p) + ":02." + std::to_string(v) +
            R"(", "vendor_id": "8086", "product_id": "154c", "physfn": ")" + pf + R"(", "numa_node": )" + node + "}");
    }
    int gpus = static_cast<int>(rng() % 3);
    for (int g = 0; g < gpus; ++g) {
      std::string node = rng() % 3 == 0 ? "null" : std::to_string(rng() % 2), group = std::to_string(100 + g);
      add(R"({"address": "0000:1)" + std::to_string(g) + R"(:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": )" +
          node + R"(, "iommu_group": )" + group + "}");
      if (rng() % 2)
        add(R"({"address": "0000:1)" + std::to_string(g) + R"(:00.1", "vendor_id": "10de", "product_id": "1aef", "numa_node": )" +
            node + R"(, "iommu_group": )" + group + "}");
    }
    out += devs + "]}";
  }
  return out + "]}";
}

TEST(FleetRandom, InvariantsHoldAfterEveryOp) {
  std::mt19937 rng(2026);
  const char* flavors[] = {
      "{}", R"({"pci_passthrough:alias": "vf:1"})", R"({"pci_passthrough:alias": "vf:3"})",
      R"({"pci_passthrough:alias": "pf:1"})", R"({"pci_passthrough:alias": "pf:1, vf:2"})",
      R"({"pci_passthrough:alias": "gpu:1", "hw:numa_nodes": "1"})", R"({"pci_passthrough:alias": "gpu:1, audio:1"})",
      R"({"pci_passthrough:alias": "vf:2", "hw:numa_nodes": "2"})", R"({"hw:numa_nodes": "1"})",
      R"({"pci_passthrough:alias": "gpu:2", "hw:pci_numa_affinity_policy": "socket", "hw:numa_nodes": "1"})"};
  size_t boots_ok = 0, boots_failed = 0;
  for (int round = 0; round < 20; ++round) {
    auto t = testing::make_fleet(random_fleet(rng, 1 + static_cast<int>(rng() % 6)));
    std::vector<std::string> live;
    for (int op = 0; op < 150; ++op) {
      if (!live.empty() && rng() % 3 == 0) {
        size_t k = rng() % live.size();
        ASSERT_TRUE(t.fleet->free(live[k]).ok());
        live.erase(live.begin() + static_cast<long>(k));
      } else {
        auto s = t.shape(flavors[rng() % 10], 2 + 2 * static_cast<uint32_t>(rng() % 4), 1024 * (1 + rng() % 8));
        Weigher w = rng() % 2 ? Weigher::Pack : Weigher::Name;
        auto plan = t.fleet->schedule(s, std::nullopt, w);
        auto feasible = t.fleet->query(s);
        if (!plan) {
          ++boots_failed;
          EXPECT_TRUE(feasible.empty()) << "schedule found nothing but query lists a host";
          EXPECT_EQ(t.fleet->explain(s, std::nullopt).size(), t.fleet->host_count());
        } else {
          ++boots_ok;
          EXPECT_NE(std::find(feasible.begin(), feasible.end(), plan->host), feasible.end());
          std::string id = "vm-" + std::to_string(round) + "-" + std::to_string(op);
          auto rec = t.fleet->claim(id, s, *plan);
          ASSERT_TRUE(rec.ok()) << rec.error().describe();
          live.push_back(id);
        }
      }
      auto problems = t.fleet->check_invariants();
      ASSERT_TRUE(problems.empty()) << "round " << round << " op " << op << ": " << problems.front();
    }
    for (const auto& id : live) ASSERT_TRUE(t.fleet->free(id).ok());
    ASSERT_TRUE(t.fleet->check_invariants().empty());
    for (HostIndex h = 0; h < t.fleet->host_count(); ++h) {
      EXPECT_EQ(t.fleet->host(h).used_vcpus(), 0u);
      for (const auto& d : t.fleet->host(h).devices()) EXPECT_FALSE(d.owner.has_value());
    }
  }
  EXPECT_GT(boots_ok, 500u);
  EXPECT_GT(boots_failed, 50u);
}

}  // namespace
}  // namespace pcipass
