#include "core/host_fit.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "core/min_cost_flow.h"

namespace pcipass {
namespace {

// Bounds on work per host, so no input can make a fit run for long.
constexpr uint64_t kMaxChoices = 1 << 14;     // PF-or-VFs combinations tried
constexpr size_t kMaxPlacementNodes = 20000;  // NUMA placement search steps
constexpr size_t kMaxPlacements = 5040;       // complete NUMA placements scored

bool contains(const std::vector<size_t>& v, size_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

bool numa_allows(const HostInventory& host, NumaPolicy policy, const std::vector<size_t>& cells,
                 std::optional<uint16_t> device_numa) {
  if (cells.empty()) return true;  // policies apply only to instances with a NUMA topology
  auto on_instance_cell = [&] {
    if (!device_numa) return false;
    auto idx = host.cell_index(*device_numa);
    return idx && contains(cells, *idx);
  };
  switch (policy) {
    case NumaPolicy::Required: return on_instance_cell();
    case NumaPolicy::Legacy: return !device_numa || on_instance_cell();
    case NumaPolicy::Preferred: return true;
    case NumaPolicy::Socket: {
      if (on_instance_cell()) return true;
      if (!device_numa) return false;
      for (const auto& c : host.cells())
        if (!c.socket) return false;
      auto idx = host.cell_index(*device_numa);
      if (!idx) return false;
      for (size_t c : cells)
        if (host.cells()[c].socket == host.cells()[*idx].socket) return true;
      return false;
    }
  }
  return false;
}

std::optional<HostFit> fit_pci(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                               const std::vector<size_t>& cells, bool first_feasible) {
  HostFit fit;
  fit.devices.resize(shape.pci.size());
  if (shape.pci.empty()) return fit;
  const auto& pools = host.pools();
  const auto& devices = host.devices();

  // Candidate pools and which request may use which.
  std::vector<uint32_t> used_pools;
  std::vector<std::vector<uint8_t>> allowed(shape.pci.size());
  int64_t needed = 0;
  for (size_t r = 0; r < shape.pci.size(); ++r) {
    const PciRequest& req = shape.pci[r];
    needed += req.count;
    int64_t supply = 0;
    for (uint32_t p = 0; p < pools.size(); ++p) {
      if (pools[p].free == 0 || !matrix.get(req.alias_index, pools[p].class_id)) continue;
      if (!numa_allows(host, req.policy, cells, pools[p].numa_node)) continue;
      auto it = std::find(used_pools.begin(), used_pools.end(), p);
      if (it == used_pools.end()) {
        used_pools.push_back(p);
        for (auto& a : allowed) a.push_back(0);
        it = used_pools.end() - 1;
      }
      allowed[r][static_cast<size_t>(it - used_pools.begin())] = 1;
      supply += pools[p].free;
    }
    if (supply < req.count) return std::nullopt;
  }
  const size_t P = used_pools.size();
  auto pool_slot = [&](uint32_t pool) -> std::optional<size_t> {
    auto it = std::find(used_pools.begin(), used_pools.end(), pool);
    if (it == used_pools.end()) return std::nullopt;
    return static_cast<size_t>(it - used_pools.begin());
  };

  // Contested families: an available PF some request may take, whose VFs another
  // (or the same) request may take. Each is used either as a PF or as VFs.
  std::vector<DeviceIndex> contested;
  for (size_t s = 0; s < P; ++s) {
    const Pool& pool = pools[used_pools[s]];
    for (DeviceIndex m : pool.members) {
      if (devices[m].type != DeviceType::Pf || !host.available(m)) continue;
      bool vf_usable = false;
      for (DeviceIndex v : host.vfs_of(m)) {
        if (!devices[v].pool || !host.available(v)) continue;
        if (pool_slot(*devices[v].pool)) { vf_usable = true; break; }
      }
      if (vf_usable) contested.push_back(m);
    }
  }
  // Families with the same PF pool and the same kind and number of usable VFs are
  // interchangeable, so only how many of each kind go as VFs matters: the choices are
  // a product of (group size + 1) rather than 2^families.
  std::vector<std::vector<size_t>> symmetric;  // groups of indexes into `contested`
  {
    std::map<std::vector<uint64_t>, size_t> group_of;
    for (size_t f = 0; f < contested.size(); ++f) {
      std::vector<uint64_t> signature{*devices[contested[f]].pool};
      for (DeviceIndex v : host.vfs_of(contested[f]))
        if (devices[v].pool && host.available(v))
          signature.push_back((uint64_t{pools[*devices[v].pool].class_id} << 20) |
                              (pools[*devices[v].pool].numa_node ? *pools[*devices[v].pool].numa_node : 0xfffff));
      std::sort(signature.begin() + 1, signature.end());
      auto [it, inserted] = group_of.emplace(signature, symmetric.size());
      if (inserted) symmetric.emplace_back();
      symmetric[it->second].push_back(f);
    }
  }
  uint64_t choices = 1;
  for (const auto& g : symmetric) choices = std::min<uint64_t>(choices * (g.size() + 1), kMaxChoices + 1);
  choices = std::min<uint64_t>(choices, kMaxChoices);

  // Per-unit costs: locality first, then packing VFs onto PFs already in use.
  auto unit_cost = [&](size_t r, size_t s) -> int64_t {
    const Pool& pool = pools[used_pools[s]];
    int64_t cost = 0;
    if (!cells.empty() && shape.pci[r].policy != NumaPolicy::Required) {
      if (!pool.numa_node) cost += 100;
      else if (auto idx = host.cell_index(*pool.numa_node); !idx || !contains(cells, *idx)) cost += 200;
    }
    if (pool.pf && devices[*pool.pf].vfs_in_use == 0) cost += 10;
    if (devices[pool.members.front()].type == DeviceType::Pf) cost += 1;
    return cost;
  };

  std::optional<HostFit> best;
  std::vector<std::vector<int64_t>> best_flow;
  std::vector<bool> best_as_vfs;
  std::vector<bool> as_vfs(contested.size(), false);
  for (uint64_t choice = 0; choice < choices; ++choice) {
    // Decode `choice` (mixed radix): in group g, the first k families go as VFs.
    uint64_t rest = choice;
    for (const auto& g : symmetric) {
      const uint64_t k = rest % (g.size() + 1);
      rest /= g.size() + 1;
      for (size_t j = 0; j < g.size(); ++j) as_vfs[g[j]] = j < k;
    }
    // Capacities under this choice: a family used as VFs withholds its PF, and vice versa.
    std::vector<int64_t> cap(P);
    for (size_t s = 0; s < P; ++s) {
      const Pool& pool = pools[used_pools[s]];
      cap[s] = pool.free;
      for (size_t f = 0; f < contested.size(); ++f) {
        if (as_vfs[f] && devices[contested[f]].pool == used_pools[s]) --cap[s];
        if (!as_vfs[f] && pool.pf == contested[f]) cap[s] = 0;
      }
    }
    const int R = static_cast<int>(shape.pci.size());
    const int source = 0, sink = R + static_cast<int>(P) + 1;
    MinCostFlow flow(sink + 1);
    std::vector<std::vector<int>> edge(shape.pci.size(), std::vector<int>(P, -1));
    for (int r = 0; r < R; ++r) {
      flow.add_edge(source, 1 + r, shape.pci[static_cast<size_t>(r)].count, 0);
      for (size_t s = 0; s < P; ++s)
        if (allowed[static_cast<size_t>(r)][s] && cap[s] > 0)
          edge[static_cast<size_t>(r)][s] = flow.add_edge(1 + r, 1 + R + static_cast<int>(s),
                                                          shape.pci[static_cast<size_t>(r)].count, unit_cost(static_cast<size_t>(r), s));
    }
    for (size_t s = 0; s < P; ++s)
      if (cap[s] > 0) flow.add_edge(1 + R + static_cast<int>(s), sink, cap[s], 0);
    auto outcome = flow.solve(source, sink, needed);
    if (outcome.flow < needed) continue;
    if (best && outcome.cost >= best->cost) continue;
    HostFit candidate;
    candidate.cost = outcome.cost;
    candidate.devices.resize(shape.pci.size());
    std::vector<std::vector<int64_t>> amounts(shape.pci.size(), std::vector<int64_t>(P, 0));
    for (size_t r = 0; r < shape.pci.size(); ++r)
      for (size_t s = 0; s < P; ++s)
        if (edge[r][s] >= 0) amounts[r][s] = flow.flow_on(edge[r][s]);
    best = std::move(candidate);
    best_flow = std::move(amounts);
    best_as_vfs = as_vfs;
    if (first_feasible || outcome.cost == 0) break;
  }
  if (!best) return std::nullopt;

  // Concrete devices: lowest addresses first, preferring companions of groups already taken;
  // of PFs, those with fewest VFs enabled first (a PF handed out loses its VFs, so idle
  // PFs go before ones whose VFs a later request could use).
  auto withheld = [&](DeviceIndex d) {
    for (size_t f = 0; f < contested.size(); ++f) {
      if (best_as_vfs[f] && d == contested[f]) return true;
      if (!best_as_vfs[f] && devices[d].parent == contested[f]) return true;
    }
    return false;
  };
  std::vector<DeviceIndex> picked;
  std::vector<uint32_t> touched_groups;
  for (size_t r = 0; r < shape.pci.size(); ++r) {
    for (size_t s = 0; s < P; ++s) {
      int64_t want = best_flow[r][s];
      if (want == 0) continue;
      const Pool& pool = pools[used_pools[s]];
      const std::vector<DeviceIndex>* order = &pool.members;  // by address
      std::vector<DeviceIndex> pfs;
      if (pool.members.size() > 1 && devices[pool.members.front()].type == DeviceType::Pf) {
        pfs = pool.members;
        std::stable_sort(pfs.begin(), pfs.end(), [&](DeviceIndex a, DeviceIndex b) { return host.enabled_vfs(a) < host.enabled_vfs(b); });
        order = &pfs;
      }
      for (int pass = 0; pass < 2 && want > 0; ++pass) {
        for (DeviceIndex m : *order) {
          if (want == 0) break;
          if (!host.available(m) || withheld(m)) continue;
          if (std::find(picked.begin(), picked.end(), m) != picked.end()) continue;
          bool companion = devices[m].group &&
                           std::find(touched_groups.begin(), touched_groups.end(), *devices[m].group) != touched_groups.end();
          if (pass == 0 && !companion) continue;
          picked.push_back(m);
          if (devices[m].group) touched_groups.push_back(*devices[m].group);
          best->devices[r].push_back(m);
          --want;
        }
      }
      if (want > 0) return std::nullopt;  // counters and members disagree; the invariant checker reports it
    }
  }
  return best;
}

std::vector<size_t> nova_cell_order(const HostInventory& host, const InstanceShape& shape) {
  std::vector<size_t> order(host.cells().size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (!shape.numa || host.cells().size() <= shape.numa->size()) return order;
  const auto& cells = host.cells();
  auto free_mem = [&](size_t c) { return cells[c].memory_mb.value_or(UINT64_MAX) - cells[c].used_memory_mb; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return free_mem(a) > free_mem(b); });
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cells[a].used_cpus < cells[b].used_cpus; });
  if (!shape.pci.empty())
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return host.free_devices_on_cell(cells[a].id) > host.free_devices_on_cell(cells[b].id);
    });
  return order;
}

std::optional<HostFit> fit_host(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                                Weigher weigher) {
  if (!host.totals_fit(shape.vcpus, shape.memory_mb)) return std::nullopt;
  if (!shape.numa) return fit_pci(host, shape, matrix, {}, weigher == Weigher::Name);

  const auto& inst = *shape.numa;
  const auto& cells = host.cells();
  if (inst.size() > cells.size()) return std::nullopt;
  const std::vector<size_t> order = nova_cell_order(host, shape);

  // Permutations of host cells (Nova's itertools.permutations order over `order`).
  std::optional<HostFit> best;
  size_t evaluated = 0;
  auto cell_cost = [&](const std::vector<size_t>& pick) {
    int64_t cost = 0;
    for (size_t i = 0; i < pick.size(); ++i) {
      const NumaCell& c = cells[pick[i]];
      // Best fit: prefer the cells left with the fewest free CPUs, keeping whole cells free.
      if (c.cpus) cost += static_cast<int64_t>(*c.cpus - c.used_cpus - inst[i].vcpus);
      // Instances without devices stay off cells whose devices others may need.
      if (shape.pci.empty()) cost += 1000 * static_cast<int64_t>(host.free_devices_on_cell(c.id));
    }
    return cost;
  };
  for_each_cell_placement(host, inst, order, weigher == Weigher::Pack, kMaxPlacementNodes,
                          [&](const std::vector<size_t>& chosen) {
                            if (++evaluated > kMaxPlacements) return false;
                            auto pci = fit_pci(host, shape, matrix, chosen, weigher == Weigher::Name);
                            if (!pci) return true;
                            pci->cells = chosen;
                            pci->cost = pci->cost * 1'000'000 + (weigher == Weigher::Pack ? cell_cost(chosen) : 0);
                            if (!best || pci->cost < best->cost) best = std::move(pci);
                            return weigher == Weigher::Pack;  // name: the first feasible placement wins
                          });
  return best;
}

void for_each_cell_placement(const HostInventory& host, const std::vector<InstanceCell>& inst,
                             const std::vector<size_t>& order, bool skip_symmetric, size_t max_steps,
                             const std::function<bool(const std::vector<size_t>&)>& visit) {
  const auto& cells = host.cells();
  std::vector<size_t> chosen;
  std::vector<bool> used(order.size(), false);
  size_t steps = 0;
  bool done = false;
  auto recurse = [&](auto&& self, size_t depth) -> void {
    if (done || ++steps > max_steps) { done = true; return; }
    if (depth == inst.size()) {
      done = !visit(chosen);
      return;
    }
    for (size_t k = 0; k < order.size() && !done; ++k) {
      if (used[k] || !cells[order[k]].fits(inst[depth].vcpus, inst[depth].memory_mb)) continue;
      if (skip_symmetric && depth > 0 && inst[depth].vcpus == inst[depth - 1].vcpus &&
          inst[depth].memory_mb == inst[depth - 1].memory_mb && order[k] < chosen.back())
        continue;
      used[k] = true;
      chosen.push_back(order[k]);
      self(self, depth + 1);
      chosen.pop_back();
      used[k] = false;
    }
  };
  recurse(recurse, 0);
}

}  // namespace pcipass
