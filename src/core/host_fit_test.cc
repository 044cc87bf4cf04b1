// Per-host fitting: NUMA policies, joint PCI matching, and a brute-force cross-check
// proving the matcher rejects a host only when no valid assignment exists.
#include "core/host_fit.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

constexpr std::string_view kAliases = R"([
  {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"},
  {"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
  {"name": "vfany", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
  {"name": "vfany", "vendor_id": "8086", "product_id": "1889", "device_type": "type-VF"},
  {"name": "gpu", "vendor_id": "10de", "product_id": "2330", "device_type": "type-PCI"},
  {"name": "loose", "vendor_id": "8086", "product_id": "154c"}])";

struct Host {
  AliasTable aliases;
  ClassRegistry classes;
  std::optional<HostInventory> host;
  AliasClassMatrix matrix;
};

std::unique_ptr<Host> make_host(std::string_view devices_json, std::string_view numa_json =
    R"([{"id": 0, "cpus": 16, "memory_mb": 16384, "socket": 0}, {"id": 1, "cpus": 16, "memory_mb": 16384, "socket": 0}])",
                                std::string_view unready = {}) {
  auto h = std::make_unique<Host>();
  std::vector<std::string> w;
  h->aliases = AliasTable::parse(J(kAliases), w).value();
  auto s = parse_scenario(J(std::string(R"({"format": "pcipass-scenario/1", "device_spec": [{"vendor_id": "*"}], "hosts": [{"name": "h", "numa": )") +
                            std::string(numa_json) + R"(, "devices": )" + std::string(devices_json) + "}]}"));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
  h->host = HostInventory::build("h", s->hosts[0].numa, s->hosts[0].devices, s->device_spec, h->classes, {}, unready).value();
  h->matrix.admits.assign(h->aliases.aliases().size(), std::vector<uint8_t>(h->classes.size(), 0));
  for (size_t a = 0; a < h->aliases.aliases().size(); ++a)
    for (uint32_t c = 0; c < h->classes.size(); ++c) {
      const auto& dc = h->classes.get(c);
      h->matrix.admits[a][c] = h->aliases.aliases()[a].admits(dc.vendor_id, dc.product_id, dc.type, dc.live_migratable);
    }
  return h;
}

InstanceShape shape(const Host& h, std::string_view alias_list, std::optional<std::string> numa_nodes = std::nullopt,
                    std::optional<std::string> policy = std::nullopt, uint32_t vcpus = 2) {
  ExtraSpecs extra{{"pci_passthrough:alias", std::string(alias_list)}};
  if (numa_nodes) extra.emplace_back("hw:numa_nodes", *numa_nodes);
  if (policy) extra.emplace_back("hw:pci_numa_affinity_policy", *policy);
  std::vector<std::string> ignored;
  return parse_flavor(vcpus, 1024, extra, h.aliases, ignored).value();
}

std::string addr(const Host& h, DeviceIndex d) { return h.host->devices()[d].address.to_string(); }

constexpr std::string_view kOneNic = R"([
  {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
  {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
  {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"}])";

TEST(HostFit, PfAndItsOwnVfNeverGoTogether) {
  // Nova's scheduler passes pf:1, vf:1 here and the compute claim then fails
  // (reference/nova-observed.md 7); pcipass rejects the host up front.
  auto h = make_host(kOneNic);
  EXPECT_FALSE(fit_host(*h->host, shape(*h, "pf:1, vf:1"), h->matrix, Weigher::Pack).has_value());
  EXPECT_TRUE(fit_host(*h->host, shape(*h, "pf:1"), h->matrix, Weigher::Pack).has_value());
  EXPECT_TRUE(fit_host(*h->host, shape(*h, "vf:2"), h->matrix, Weigher::Pack).has_value());
}

TEST(HostFit, PfOfOneFamilyAndVfOfAnother) {
  auto h = make_host(R"([
    {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:41:00.1", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
    {"address": "0000:41:0a.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.1"}])");
  auto fit = fit_host(*h->host, shape(*h, "pf:1, vf:1"), h->matrix, Weigher::Pack);
  ASSERT_TRUE(fit.has_value());
  const auto& devs = h->host->devices();
  DeviceIndex pf = fit->devices[0][0], vf = fit->devices[1][0];
  EXPECT_EQ(devs[pf].type, DeviceType::Pf);
  ASSERT_TRUE(devs[vf].parent.has_value());
  EXPECT_NE(*devs[vf].parent, pf);
}

TEST(HostFit, SolvesRequestsTogetherWhereGreedyFirstFitFails) {
  // vfany may use either VF; vf only the 154c one. First-fit gives vfany the 154c VF
  // (its first pool) and then fails vf; the joint solution swaps them.
  auto h = make_host(R"([
    {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
    {"address": "0000:5e:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:5e:02.0", "vendor_id": "8086", "product_id": "1889", "numa_node": 0, "physfn": "0000:5e:00.0"}])");
  auto fit = fit_host(*h->host, shape(*h, "vfany:1, vf:1"), h->matrix, Weigher::Name);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(addr(*h, fit->devices[0][0]), "0000:5e:02.0");
  EXPECT_EQ(addr(*h, fit->devices[1][0]), "0000:41:02.0");
}

TEST(HostFit, PacksVfsOntoAPfAlreadyInUse) {
  auto h = make_host(R"([
    {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
    {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
    {"address": "0000:5e:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:5e:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:5e:00.0"},
    {"address": "0000:5e:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:5e:00.0"}])");
  std::vector<PoolDelta> deltas;
  ASSERT_TRUE(h->host->claim(std::vector<DeviceIndex>{*h->host->find(PciAddress::parse("0000:5e:02.0").value())}, 1, deltas).ok());
  auto fit = fit_host(*h->host, shape(*h, "vf:1"), h->matrix, Weigher::Pack);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(addr(*h, fit->devices[0][0]), "0000:5e:02.1");  // keeps PF 41:00.0 whole
}

TEST(HostFit, NumaPolicyTableFromNova) {
  // Devices: node 0, node 1, no node. Guest on cell 0 (reference/nova-pci.md 3.5).
  auto h = make_host(R"([
    {"address": "0000:17:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": 0},
    {"address": "0000:98:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": 1},
    {"address": "0000:3b:00.0", "vendor_id": "10de", "product_id": "2330"}])");
  const HostInventory& host = *h->host;
  const std::vector<size_t> cell0{0};
  auto count = [&](const char* policy, uint32_t n) {
    auto s = shape(*h, "gpu:" + std::to_string(n), "1", policy);
    return fit_pci(host, s, h->matrix, cell0, true).has_value();
  };
  EXPECT_TRUE(count("required", 1));
  EXPECT_FALSE(count("required", 2));
  EXPECT_TRUE(count("legacy", 2));   // node 0 plus the device without NUMA info
  EXPECT_FALSE(count("legacy", 3));
  EXPECT_TRUE(count("preferred", 3));
  EXPECT_TRUE(count("socket", 2));   // both cells on socket 0; the no-node device never counts
  EXPECT_FALSE(count("socket", 3));
  EXPECT_TRUE(numa_allows(host, NumaPolicy::Legacy, {}, std::nullopt));  // no NUMA topology: anything
}

TEST(HostFit, SocketPolicyFailsWithoutSocketInformation) {
  auto h = make_host(R"([{"address": "0000:98:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": 1}])",
                     R"([{"id": 0, "cpus": 16, "memory_mb": 16384}, {"id": 1, "cpus": 16, "memory_mb": 16384}])");
  EXPECT_FALSE(numa_allows(*h->host, NumaPolicy::Socket, {0}, 1));
  EXPECT_TRUE(numa_allows(*h->host, NumaPolicy::Socket, {1}, 1));
}

TEST(HostFit, PackWeigherPutsTheInstanceOnTheDevicesCell) {
  auto h = make_host(R"([{"address": "0000:98:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": 1}])");
  auto fit = fit_host(*h->host, shape(*h, "gpu:1", "1", "preferred"), h->matrix, Weigher::Pack);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->cells, std::vector<size_t>{1});
}

TEST(HostFit, MultiCellInstancesUseDistinctHostCells) {
  auto h = make_host(R"([{"address": "0000:98:00.0", "vendor_id": "10de", "product_id": "2330", "numa_node": 1}])");
  auto fit = fit_host(*h->host, shape(*h, "gpu:1", "2", "required", 8), h->matrix, Weigher::Name);
  ASSERT_TRUE(fit.has_value());
  ASSERT_EQ(fit->cells.size(), 2u);
  EXPECT_NE(fit->cells[0], fit->cells[1]);
  EXPECT_FALSE(fit_host(*h->host, shape(*h, "gpu:1", "2", "required", 34), h->matrix, Weigher::Name).has_value());
}

std::string many_families(int pfs, int vfs_each) {
  std::string out = "[";
  for (int p = 0; p < pfs; ++p) {
    char pf[16];
    std::snprintf(pf, sizeof pf, "0000:%02x:00.0", 0x20 + p);
    out += std::string(p ? "," : "") + R"({"address": ")" + pf + R"(", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 8})";
    for (int v = 0; v < vfs_each; ++v) {
      char vf[16];
      std::snprintf(vf, sizeof vf, "0000:%02x:02.%d", 0x20 + p, v);
      out += std::string(R"(,{"address": ")") + vf + R"(", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": ")" + pf + R"("})";
    }
  }
  return out + "]";
}

TEST(HostFit, ManyInterchangeableFamiliesAreSolvedExactly) {
  // 20 PF families of 2 VFs: pf:10 + vf:20 needs exactly 10 PFs whole and the other
  // 10 families' VFs; one more of either is impossible.
  auto h = make_host(many_families(20, 2));
  auto fit = fit_host(*h->host, shape(*h, "pf:10, vf:20"), h->matrix, Weigher::Pack);
  ASSERT_TRUE(fit.has_value());
  std::vector<DeviceIndex> all;
  for (const auto& r : fit->devices) all.insert(all.end(), r.begin(), r.end());
  std::vector<PoolDelta> deltas;
  EXPECT_TRUE(h->host->claim(all, 1, deltas).ok());
  auto fresh = make_host(many_families(20, 2));
  EXPECT_FALSE(fit_host(*fresh->host, shape(*fresh, "pf:11, vf:20"), fresh->matrix, Weigher::Pack).has_value());
  EXPECT_FALSE(fit_host(*fresh->host, shape(*fresh, "pf:10, vf:21"), fresh->matrix, Weigher::Pack).has_value());
}

TEST(HostFit, LargeNumaSearchesStayBounded) {
  // 16 host cells, an 8-cell instance that fits nowhere (each cell has 1 vCPU, the
  // instance needs 2 per cell): the search must give up, not explore 16!/8! placements.
  std::string numa = "[";
  for (int c = 0; c < 16; ++c)
    numa += std::string(c ? "," : "") + R"({"id": )" + std::to_string(c) + R"(, "cpus": )" + (c < 7 ? "2" : "1") +
            R"(, "memory_mb": 4096, "socket": 0})";
  numa += "]";
  auto h = make_host("[]", numa);
  std::vector<std::string> ignored;
  auto s = parse_flavor(16, 1024, {{"hw:numa_nodes", "8"}}, h->aliases, ignored).value();
  EXPECT_FALSE(fit_host(*h->host, s, h->matrix, Weigher::Pack).has_value());
  EXPECT_FALSE(fit_host(*h->host, s, h->matrix, Weigher::Name).has_value());
}

// ---------------------------------------------------------------- brute force

bool brute_force(const Host& h, const InstanceShape& s, const std::vector<size_t>& cells, size_t r, uint32_t left,
                 DeviceIndex from, std::vector<DeviceIndex>& chosen) {
  if (r == s.pci.size()) return true;
  if (left == 0) return brute_force(h, s, cells, r + 1, r + 1 < s.pci.size() ? s.pci[r + 1].count : 0, 0, chosen);
  const auto& devs = h.host->devices();
  for (DeviceIndex d = from; d < devs.size(); ++d) {
    if (!h.host->available(d) || !devs[d].pool) continue;
    if (!h.matrix.get(s.pci[r].alias_index, h.host->pools()[*devs[d].pool].class_id)) continue;
    if (!numa_allows(*h.host, s.pci[r].policy, cells, devs[d].numa_node)) continue;
    bool clash = false;
    for (DeviceIndex c : chosen)
      clash = clash || c == d || devs[c].parent == d || devs[d].parent == c;
    if (clash) continue;
    chosen.push_back(d);
    bool ok = brute_force(h, s, cells, r, left - 1, d + 1, chosen);
    chosen.pop_back();
    if (ok) return true;
  }
  return false;
}

std::string random_devices(std::mt19937& rng) {
  std::string out = "[";
  auto numa = [&] {
    int n = static_cast<int>(rng() % 3);
    return n == 2 ? std::string("null") : std::to_string(n);
  };
  auto add = [&](const std::string& d) { out += (out.size() > 1 ? "," : "") + d; };
  int pfs = static_cast<int>(rng() % 3);
  for (int p = 0; p < pfs; ++p) {
    std::string pf = "0000:4" + std::to_string(p) + ":00.0";
    std::string node = numa();
    add(R"({"address": ")" + pf + R"(", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 8, "numa_node": )" + node + "}");
    int vfs = static_cast<int>(rng() % 4);
    for (int v = 0; v < vfs; ++v)
      add(R"({"address": "0000:4)" + std::to_string(p) + ":02." + std::to_string(v) + R"(", "vendor_id": "8086", "product_id": ")" +
          (rng() % 2 ? "154c" : "1889") + R"(", "physfn": ")" + pf + R"(", "numa_node": )" + node +
          (rng() % 8 == 0 ? R"(, "host_use": "its network interface is up on the host")" : "") +
          (rng() % 10 == 0 ? R"x(, "vfio_user": "qemu-system-x86 (pid 7)")x" : "") + "}");
  }
  int pcis = static_cast<int>(rng() % 3);
  for (int i = 0; i < pcis; ++i)
    add(R"({"address": "0000:1)" + std::to_string(i) + R"(:00.0", "vendor_id": ")" + (rng() % 2 ? "10de" : "8086") +
        R"(", "product_id": ")" + (rng() % 2 ? "2330" : "154c") + R"(", "numa_node": )" + numa() +
        (rng() % 8 == 0 ? R"(, "host_use": "holds the root filesystem")" : "") + "}");
  return out + "]";
}

// Issue 11: of two identical PFs, the one without VFs enabled is handed out, so a later
// VF request still fits (taking the other first would remove its VFs).
TEST(HostFit, APfWithoutVfsGoesBeforeOneWithVfs) {
  auto h = make_host(R"([
    {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 8, "numa_node": 0},
    {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0", "numa_node": 0},
    {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0", "numa_node": 0},
    {"address": "0000:41:02.2", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0", "numa_node": 0},
    {"address": "0000:41:02.3", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0", "numa_node": 0},
    {"address": "0000:42:00.0", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 8, "numa_node": 0}])");
  auto pf = fit_pci(*h->host, shape(*h, "pf:1"), h->matrix, {}, false);
  ASSERT_TRUE(pf.has_value());
  ASSERT_EQ(pf->devices[0].size(), 1u);
  EXPECT_EQ(addr(*h, pf->devices[0][0]), "0000:42:00.0");
  std::vector<PoolDelta> deltas;
  ASSERT_TRUE(h->host->claim(pf->devices[0], 1, deltas).ok());
  auto vf = fit_pci(*h->host, shape(*h, "vf:1"), h->matrix, {}, false);
  ASSERT_TRUE(vf.has_value());
  EXPECT_EQ(addr(*h, vf->devices[0][0]), "0000:41:02.0");
}

TEST(HostFit, MatchesBruteForceOnRandomSmallHosts) {
  std::mt19937 rng(12345);
  const char* names[] = {"pf", "vf", "vfany", "gpu", "loose"};
  const char* policies[] = {"required", "legacy", "preferred", "socket"};
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 6000; ++trial) {
    // Every so often the host cannot do passthrough at all (its agent's check failed).
    const bool unready = trial % 12 == 11;
    auto h = make_host(random_devices(rng),
                       R"([{"id": 0, "cpus": 16, "memory_mb": 16384, "socket": 0}, {"id": 1, "cpus": 16, "memory_mb": 16384, "socket": 0}])",
                       unready ? "iommu: no IOMMU is active" : "");
    // Occupy a few devices first so relatives and counters are in play.
    std::vector<PoolDelta> deltas;
    for (DeviceIndex d = 0; d < h->host->devices().size(); ++d)
      if (rng() % 4 == 0 && h->host->available(d)) (void)h->host->claim(std::vector<DeviceIndex>{d}, 99, deltas);
    std::string list;
    int requests = 1 + static_cast<int>(rng() % 3);
    for (int r = 0; r < requests; ++r)
      list += (r ? ", " : "") + std::string(names[rng() % 5]) + ":" + std::to_string(1 + rng() % 2);
    bool numa = rng() % 2;
    auto s = shape(*h, list, numa ? std::optional<std::string>("1") : std::nullopt,
                   numa ? std::optional<std::string>(policies[rng() % 4]) : std::nullopt);
    std::vector<size_t> cells;
    if (numa) cells.push_back(rng() % 2);
    std::vector<DeviceIndex> chosen;
    bool expected = brute_force(*h, s, cells, 0, s.pci[0].count, 0, chosen);
    auto fit = fit_pci(*h->host, s, h->matrix, cells, trial % 2 == 0);
    ASSERT_EQ(fit.has_value(), expected) << "trial " << trial << " " << list;
    if (unready) ASSERT_FALSE(fit.has_value()) << "trial " << trial << ": placed on a host that cannot do passthrough";
    if (fit) {
      ++feasible;
      // The answer itself is valid: distinct, admitted, policy-allowed, no PF with its VF.
      std::vector<DeviceIndex> all;
      for (size_t r = 0; r < s.pci.size(); ++r) {
        ASSERT_EQ(fit->devices[r].size(), s.pci[r].count);
        for (DeviceIndex d : fit->devices[r]) {
          const auto& dev = h->host->devices()[d];
          ASSERT_TRUE(h->host->available(d));
          // Host truth: nothing the host depends on or a VM holds, and no PF one of whose
          // VFs is either (the random hosts withhold a VF for nothing else).
          ASSERT_TRUE(h->host->withheld_reason(d).empty()) << "trial " << trial;
          for (DeviceIndex vf : h->host->vfs_of(d))
            ASSERT_TRUE(h->host->withheld_reason(vf).empty()) << "trial " << trial << ": took the PF of a used VF";
          ASSERT_TRUE(h->matrix.get(s.pci[r].alias_index, h->host->pools()[*dev.pool].class_id));
          ASSERT_TRUE(numa_allows(*h->host, s.pci[r].policy, cells, dev.numa_node));
          all.push_back(d);
        }
      }
      // PF choice keeps capacity: no PF of the same pool with fewer VFs enabled could
      // have been taken instead (free, not chosen, none of its VFs chosen).
      auto enabled = [&](DeviceIndex pf) { return h->host->vfs_of(pf).size(); };
      for (DeviceIndex d : all) {
        const auto& dev = h->host->devices()[d];
        if (dev.type != DeviceType::Pf) continue;
        for (DeviceIndex e : h->host->pools()[*dev.pool].members) {
          if (e == d || !h->host->available(e) || std::find(all.begin(), all.end(), e) != all.end()) continue;
          if (std::any_of(all.begin(), all.end(), [&](DeviceIndex x) { return h->host->devices()[x].parent == e; })) continue;
          ASSERT_GE(enabled(e), enabled(d)) << "trial " << trial << " " << list << ": took " << addr(*h, d) << " over " << addr(*h, e);
        }
      }
      std::vector<PoolDelta> ignore;
      ASSERT_TRUE(h->host->claim(all, 100, ignore).ok()) << "trial " << trial << " " << list;
    } else {
      ++infeasible;
    }
  }
  EXPECT_GT(feasible, 300);
  EXPECT_GT(infeasible, 300);
}

}  // namespace
}  // namespace pcipass
