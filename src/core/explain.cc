// One short, specific reason why a host cannot take an instance. Runs only on the
// failure path, so it may walk the host's devices.
#include <algorithm>
#include <map>
#include <string>

#include "core/fleet.h"

namespace pcipass {
namespace {

std::string cells_text(const HostInventory& host, const std::vector<size_t>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "+" : "") + std::to_string(host.cells()[cells[i]].id);
  return out;
}

struct Supply {
  uint32_t matching = 0;   // allow-listed devices the alias admits
  uint32_t free = 0;       // of those, usable now
  uint32_t allowed = 0;    // of those, usable now and allowed by the NUMA policy
  std::string blocker;     // why one of them is not free
};

Supply supply_for(const HostInventory& host, const PciRequest& req, const AliasClassMatrix& matrix,
                  const std::vector<size_t>& cells) {
  Supply s;
  for (const Pool& pool : host.pools()) {
    if (!matrix.get(req.alias_index, pool.class_id)) continue;
    s.matching += static_cast<uint32_t>(pool.members.size());
    s.free += pool.free;
    if (numa_allows(host, req.policy, cells, pool.numa_node)) s.allowed += pool.free;
    if (s.blocker.empty() && pool.free < pool.members.size())
      for (DeviceIndex m : pool.members)
        if (!host.available(m)) {
          s.blocker = host.unavailable_reason(m);
          break;
        }
  }
  return s;
}

std::string request_text(const PciRequest& r) { return r.alias_name + ":" + std::to_string(r.count); }

// The first request that cannot be met on its own, or "" if each can.
std::string single_request_shortfall(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                                     const AliasTable& aliases, const std::vector<size_t>& cells) {
  // The devices of this kind the host withholds, and why (the first one).
  auto withheld = [&](const Alias& alias) {
    size_t n = 0;
    std::string first;
    for (DeviceIndex d = 0; d < host.devices().size(); ++d) {
      const Device& dev = host.devices()[d];
      if (dev.pool || !alias.admits(dev.vendor_id, dev.product_id, dev.type, std::nullopt)) continue;
      auto why = host.withheld_reason(d);
      if (why.empty()) continue;
      if (n++ == 0) first = dev.address.to_string() + ": " + why;
    }
    return n == 0 ? std::string() : "; " + std::to_string(n) + " withheld (" + first + (n > 1 ? ", ..." : "") + ")";
  };
  for (const PciRequest& r : shape.pci) {
    Supply s = supply_for(host, r, matrix, cells);
    const Alias& alias = aliases.aliases()[r.alias_index];
    if (s.matching == 0)
      return "no device for alias " + r.alias_name + (alias.unusable ? " (the alias is unusable: " + *alias.unusable + ")" : "") +
             withheld(alias);
    if (s.free < r.count) {
      std::string text = "alias " + r.alias_name + ": " + std::to_string(s.free) + " of " + std::to_string(r.count) +
                         " free (" + std::to_string(s.matching) + " on host)";
      if (!s.blocker.empty()) text += "; " + s.blocker;
      return text + withheld(alias);
    }
    if (s.allowed < r.count) {
      // Where the free devices the policy rules out are, e.g. "2 free on node 0".
      std::map<std::string, uint32_t> elsewhere;
      for (const Pool& pool : host.pools())
        if (pool.free > 0 && matrix.get(r.alias_index, pool.class_id) && !numa_allows(host, r.policy, cells, pool.numa_node))
          elsewhere[pool.numa_node ? "node " + std::to_string(*pool.numa_node) : "no NUMA node"] += pool.free;
      std::string where;
      for (const auto& [node, n] : elsewhere) where += (where.empty() ? "; " : ", ") + std::to_string(n) + " free on " + node;
      return "alias " + r.alias_name + ": " + std::to_string(s.allowed) + " of " + std::to_string(r.count) +
             " free on NUMA node " + cells_text(host, cells) + " (policy " + to_string(r.policy) + where + ")";
    }
  }
  return {};
}

std::string together_text(const InstanceShape& shape) {
  std::string names;
  for (const auto& r : shape.pci) names += (names.empty() ? "" : ", ") + request_text(r);
  return names;
}

}  // namespace

std::string explain_host(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                         const AliasTable& aliases) {
  if (host.locked()) return "locked: host " + host.name() + " is locked by its operator (pcipass host unlock " + host.name() + ")";
  if (!host.blocked().empty()) return "blocked: " + host.blocked();
  if (!shape.pci.empty() && !host.unready().empty()) return "host " + host.name() + " cannot do passthrough: " + host.unready();
  if (host.total_vcpus() && host.used_vcpus() + shape.vcpus > *host.total_vcpus())
    return "vCPUs: " + std::to_string(host.used_vcpus()) + " of " + std::to_string(*host.total_vcpus()) + " in use, " +
           std::to_string(shape.vcpus) + " requested";
  if (host.total_memory_mb() && host.used_memory_mb() + shape.memory_mb > *host.total_memory_mb())
    return "memory: " + std::to_string(host.used_memory_mb()) + " of " + std::to_string(*host.total_memory_mb()) +
           " MB in use, " + std::to_string(shape.memory_mb) + " MB requested";
  if (!shape.numa) {
    std::string single = single_request_shortfall(host, shape, matrix, aliases, {});
    if (!single.empty()) return single;
    return "aliases " + together_text(shape) + " cannot be met together: they compete for the same devices, or for a "
           "PF and its VFs";
  }
  const auto& inst = *shape.numa;
  if (inst.size() > host.cells().size())
    return "the instance needs " + std::to_string(inst.size()) + " NUMA cells, the host has " +
           std::to_string(host.cells().size());
  // Cell placements that fit CPUs and memory, in Nova's order; report on the first.
  std::vector<std::vector<size_t>> placements;
  for_each_cell_placement(host, inst, nova_cell_order(host, shape), false, 20000, [&](const std::vector<size_t>& cells) {
    placements.push_back(cells);
    return placements.size() < 64;
  });
  if (placements.empty()) {
    std::string free_text;
    for (const auto& c : host.cells()) {
      free_text += (free_text.empty() ? "" : ", ") + std::to_string(c.id) + ": ";
      free_text += c.cpus ? std::to_string(*c.cpus - c.used_cpus) + " vCPUs" : std::string("any vCPUs");
      free_text += c.memory_mb ? "/" + std::to_string(*c.memory_mb - c.used_memory_mb) + " MB" : std::string("/any MB");
    }
    return "NUMA: no " + std::string(inst.size() == 1 ? "cell" : std::to_string(inst.size()) + " cells") +
           " with room for " + std::to_string(inst.front().vcpus) + " vCPUs and " + std::to_string(inst.front().memory_mb) +
           " MB" + (inst.size() == 1 ? "" : " each") + " (free: " + free_text + ")";
  }
  std::string single = single_request_shortfall(host, shape, matrix, aliases, {});
  if (!single.empty()) return single;
  for (const auto& cells : placements) {
    std::string s = single_request_shortfall(host, shape, matrix, aliases, cells);
    if (!s.empty() && placements.size() == 1) return s;
  }
  std::string first = single_request_shortfall(host, shape, matrix, aliases, placements.front());
  if (!first.empty())
    return first + (placements.size() > 1 ? " (and on every other NUMA placement with room)" : "");
  return "aliases " + together_text(shape) + " cannot be met together on any NUMA placement with room";
}

}  // namespace pcipass
