// Randomized: random fleets and random op sequences, with the invariant checker after
// every op, and every scheduling answer checked against a forced attempt on each host.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
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

// The flavors of both tests: VFs, PFs, both together, GPUs with companions, NUMA policies.
constexpr const char* kFlavors[] = {
    "{}", R"({"pci_passthrough:alias": "vf:1"})", R"({"pci_passthrough:alias": "vf:3"})",
    R"({"pci_passthrough:alias": "pf:1"})", R"({"pci_passthrough:alias": "pf:1, vf:2"})",
    R"({"pci_passthrough:alias": "gpu:1", "hw:numa_nodes": "1"})", R"({"pci_passthrough:alias": "gpu:1, audio:1"})",
    R"({"pci_passthrough:alias": "vf:2", "hw:numa_nodes": "2"})", R"({"hw:numa_nodes": "1"})",
    R"({"pci_passthrough:alias": "gpu:2", "hw:pci_numa_affinity_policy": "socket", "hw:numa_nodes": "1"})"};

TEST(FleetRandom, InvariantsHoldAfterEveryOp) {
  std::mt19937 rng(2026);
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
        auto s = t.shape(kFlavors[rng() % 10], 2 + 2 * static_cast<uint32_t>(rng() % 4), 1024 * (1 + rng() % 8));
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

// The host a from-scratch scheduler would pick: the first fitting host in the weigher's
// order (free devices of the first request's alias, or free devices without requests,
// then name; name alone for the name weigher).
std::optional<HostIndex> reference_pick(const Fleet& fleet, const InstanceShape& shape, Weigher weigher) {
  auto key = [&](HostIndex h) -> uint32_t {
    if (weigher == Weigher::Name) return 0;
    const HostInventory& host = fleet.host(h);
    if (shape.pci.empty()) return host.free_devices();
    const Alias& alias = fleet.aliases().aliases()[shape.pci.front().alias_index];
    uint32_t free = 0;
    for (const Pool& pool : host.pools()) {
      const DeviceClass& dc = fleet.classes().get(pool.class_id);
      if (alias.admits(dc.vendor_id, dc.product_id, dc.type, dc.live_migratable, dc.tags)) free += pool.free;
    }
    return free;
  };
  std::optional<HostIndex> best;
  for (HostIndex h : fleet.query_from_scratch(shape))  // name order: the first of equal keys wins
    if (!best || key(h) < key(*best)) best = h;
  return best;
}

// Every change a fleet sees (claims, frees, reports, blocks, new hosts, locks), with
// more shapes than it keeps: after every op, each shape's set of hosts, its count, and
// the host a boot would take equal a from-scratch evaluation.
TEST(FleetRandom, FeasibleSetsEqualAFromScratchEvaluationAfterEveryOp) {
  std::mt19937 rng(14);
  size_t checks = 0, boots_ok = 0, boots_failed = 0;
  for (int round = 0; round < 12; ++round) {
    auto t = testing::make_fleet(random_fleet(rng, 4 + static_cast<int>(rng() % 12)));
    std::vector<InstanceShape> shapes;
    for (const char* f : kFlavors)
      for (uint32_t v = 2; v <= 16; v += 2) shapes.push_back(t.shape(f, v, 2048 * v));  // 80 shapes: more than kept
    ASSERT_GT(shapes.size(), Fleet::kMaxShapes);
    std::vector<std::string> live;
    int added = 0;
    for (int op = 0; op < 200; ++op) {
      const uint64_t x = rng() % 100;
      const HostIndex some = static_cast<HostIndex>(rng() % t.fleet->host_count());
      if (x < 50) {
        const InstanceShape& s = shapes[rng() % shapes.size()];
        const Weigher w = rng() % 4 == 0 ? Weigher::Name : Weigher::Pack;
        std::optional<HostIndex> forced;
        if (rng() % 10 == 0) forced = some;
        auto plan = t.fleet->schedule(s, forced, w);
        if (!forced) {
          auto want = reference_pick(*t.fleet, s, w);
          ASSERT_EQ(plan.has_value(), want.has_value()) << "round " << round << " op " << op;
          if (plan) ASSERT_EQ(plan->host, *want) << "round " << round << " op " << op;
        }
        if (plan) {
          const std::string id = "vm-" + std::to_string(round) + "-" + std::to_string(op);
          ASSERT_TRUE(t.fleet->claim(id, s, *plan).ok());
          live.push_back(id);
          ++boots_ok;
        } else {
          ++boots_failed;
        }
      } else if (x < 80) {
        if (live.empty()) continue;
        const size_t k = rng() % live.size();
        ASSERT_TRUE(t.fleet->free(live[k]).ok());
        live.erase(live.begin() + static_cast<long>(k));
      } else if (x < 88) {
        // A report: the host built again from what it reports, now and then locked; its instances are evicted.
        const HostScenario& hs = t.scenario.hosts[some];
        auto inv = HostInventory::build(hs.name, hs.numa, hs.devices, t.scenario.device_spec, t.fleet->classes());
        ASSERT_TRUE(inv.ok());
        inv->set_locked(rng() % 3 == 0);
        auto evicted = t.fleet->replace_host(std::move(*inv));
        ASSERT_TRUE(evicted.ok());
        for (const auto& id : *evicted) std::erase(live, id);
      } else if (x < 94) {
        t.fleet->block_host(some, "held devices break a rule");
      } else if (added < 3) {
        // A new host, in the middle of the name order.
        HostScenario hs = t.scenario.hosts[some];
        hs.name = "host-" + std::to_string(some) + "-new-" + std::to_string(added++);
        auto inv = HostInventory::build(hs.name, hs.numa, hs.devices, t.scenario.device_spec, t.fleet->classes());
        ASSERT_TRUE(inv.ok());
        ASSERT_TRUE(t.fleet->add_host(std::move(*inv)).ok());
        t.scenario.hosts.push_back(hs);
      }
      // A few shapes after every op, every shape now and then.
      const bool all = op % 25 == 0;
      for (size_t i = 0; i < (all ? shapes.size() : 6); ++i) {
        const InstanceShape& s = shapes[all ? i : rng() % shapes.size()];
        const auto want = t.fleet->query_from_scratch(s);
        // Asked one host at a time first (right after a new host, too), then all at once.
        for (HostIndex h = 0; h < t.fleet->host_count(); ++h)
          ASSERT_EQ(t.fleet->fits_now(s, h), std::find(want.begin(), want.end(), h) != want.end());
        ASSERT_EQ(t.fleet->query(s), want) << "round " << round << " op " << op << " shape " << i;
        ASSERT_EQ(t.fleet->count_fitting(s), want.size());
        ++checks;
      }
      ASSERT_LE(t.fleet->cached_shapes(), Fleet::kMaxShapes);
    }
  }
  EXPECT_GT(checks, 10000u);
  EXPECT_GT(boots_ok, 300u);
  EXPECT_GT(boots_failed, 100u);
}

}  // namespace
}  // namespace pcipass
