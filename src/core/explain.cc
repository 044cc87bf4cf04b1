// One short, specific reason why a host cannot take an instance. Runs only on the
// failure path, so it may walk the host's devices.
#include <algorithm>
#include <map>
#include <optional>
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
                  const std::vector<size_t>& cells, bool with_blocker) {
  Supply s;
  for (const Pool& pool : host.pools()) {
    if (!matrix.get(req.alias_index, pool.class_id)) continue;
    s.matching += static_cast<uint32_t>(pool.members.size());
    s.free += pool.free;
    if (numa_allows(host, req.policy, cells, pool.numa_node)) s.allowed += pool.free;
    if (with_blocker && s.blocker.empty() && pool.free < pool.members.size())
      for (DeviceIndex m : pool.members)
        if (!host.available(m)) {
          s.blocker = host.unavailable_reason(m);
          break;
        }
  }
  return s;
}

std::string request_text(const PciRequest& r) { return r.alias_name + ":" + std::to_string(r.count); }

// The first request that cannot be met on its own (its words in `detail` when given),
// or nothing if each can.
std::optional<Refusal> single_request_shortfall(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                                                const AliasTable& aliases, const std::vector<size_t>& cells, std::string* detail) {
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
  for (uint32_t i = 0; i < shape.pci.size(); ++i) {
    const PciRequest& r = shape.pci[i];
    Supply s = supply_for(host, r, matrix, cells, detail != nullptr);
    const Alias& alias = aliases.aliases()[r.alias_index];
    if (s.matching == 0) {
      if (detail)
        *detail = "no device for alias " + r.alias_name +
                  (alias.unusable ? " (the alias is unusable: " + *alias.unusable + ")" : "") + withheld(alias);
      return Refusal{RefusalKind::NoDevice, i};
    }
    if (s.free < r.count) {
      if (detail) {
        *detail = "alias " + r.alias_name + ": " + std::to_string(s.free) + " of " + std::to_string(r.count) + " free (" +
                  std::to_string(s.matching) + " on host)";
        if (!s.blocker.empty()) *detail += "; " + s.blocker;
        *detail += withheld(alias);
      }
      return Refusal{RefusalKind::TooFewFree, i};
    }
    if (s.allowed < r.count) {
      if (!detail) return Refusal{RefusalKind::NumaPolicy, i};
      // Where the free devices the policy rules out are, e.g. "2 free on node 0".
      std::map<std::string, uint32_t> elsewhere;
      for (const Pool& pool : host.pools())
        if (pool.free > 0 && matrix.get(r.alias_index, pool.class_id) && !numa_allows(host, r.policy, cells, pool.numa_node))
          elsewhere[pool.numa_node ? "node " + std::to_string(*pool.numa_node) : "no NUMA node"] += pool.free;
      std::string where;
      for (const auto& [node, n] : elsewhere) where += (where.empty() ? "; " : ", ") + std::to_string(n) + " free on " + node;
      *detail = "alias " + r.alias_name + ": " + std::to_string(s.allowed) + " of " + std::to_string(r.count) +
                " free on NUMA node " + cells_text(host, cells) + " (policy " + to_string(r.policy) + where + ")";
      return Refusal{RefusalKind::NumaPolicy, i};
    }
  }
  return std::nullopt;
}

std::string together_text(const InstanceShape& shape) {
  std::string names;
  for (const auto& r : shape.pci) names += (names.empty() ? "" : ", ") + request_text(r);
  return names;
}

}  // namespace

Refusal explain_host(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                     const AliasTable& aliases, std::string* detail) {
  auto say = [&](RefusalKind kind, auto&& words) {
    if (detail) *detail = words();
    return Refusal{kind, 0};
  };
  if (host.locked())
    return say(RefusalKind::Locked, [&] {
      return "locked: host " + host.name() + " is locked by its operator (pcipass host unlock " + host.name() + ")";
    });
  if (!host.blocked().empty()) return say(RefusalKind::Blocked, [&] { return "blocked: " + host.blocked(); });
  if (!shape.pci.empty() && !host.unready().empty())
    return say(RefusalKind::Unready, [&] { return "host " + host.name() + " cannot do passthrough: " + host.unready(); });
  if (host.total_vcpus() && host.used_vcpus() + shape.vcpus > *host.total_vcpus())
    return say(RefusalKind::Vcpus, [&] {
      return "vCPUs: " + std::to_string(host.used_vcpus()) + " of " + std::to_string(*host.total_vcpus()) + " in use, " +
             std::to_string(shape.vcpus) + " requested";
    });
  if (host.total_memory_mb() && host.used_memory_mb() + shape.memory_mb > *host.total_memory_mb())
    return say(RefusalKind::Memory, [&] {
      return "memory: " + std::to_string(host.used_memory_mb()) + " of " + std::to_string(*host.total_memory_mb()) +
             " MB in use, " + std::to_string(shape.memory_mb) + " MB requested";
    });
  if (!shape.numa) {
    if (auto single = single_request_shortfall(host, shape, matrix, aliases, {}, detail)) return *single;
    return say(RefusalKind::Together, [&] {
      return "aliases " + together_text(shape) + " cannot be met together: they compete for the same devices, or for a "
             "PF and its VFs";
    });
  }
  const auto& inst = *shape.numa;
  if (inst.size() > host.cells().size())
    return say(RefusalKind::NumaCellCount, [&] {
      return "the server needs " + std::to_string(inst.size()) + " NUMA cells, the host has " +
             std::to_string(host.cells().size());
    });
  // Cell placements that fit CPUs and memory, in Nova's order; report on the first.
  std::vector<std::vector<size_t>> placements;
  // Without words, the first placement and whether there is another decide the refusal.
  const size_t enough = detail ? 64 : 2;
  for_each_cell_placement(host, inst, nova_cell_order(host, shape), false, 20000, [&](const std::vector<size_t>& cells) {
    placements.push_back(cells);
    return placements.size() < enough;
  });
  if (placements.empty())
    return say(RefusalKind::NumaRoom, [&] {
      std::string free_text;
      for (const auto& c : host.cells()) {
        free_text += (free_text.empty() ? "" : ", ") + std::to_string(c.id) + ": ";
        free_text += c.cpus ? std::to_string(*c.cpus - c.used_cpus) + " vCPUs" : std::string("any vCPUs");
        free_text += c.memory_mb ? "/" + std::to_string(*c.memory_mb - c.used_memory_mb) + " MB" : std::string("/any MB");
      }
      return "NUMA: no " + std::string(inst.size() == 1 ? "cell" : std::to_string(inst.size()) + " cells") +
             " with room for " + std::to_string(inst.front().vcpus) + " vCPUs and " + std::to_string(inst.front().memory_mb) +
             " MB" + (inst.size() == 1 ? "" : " each") + " (free: " + free_text + ")";
    });
  if (auto single = single_request_shortfall(host, shape, matrix, aliases, {}, detail)) return *single;
  if (placements.size() == 1)
    if (auto only = single_request_shortfall(host, shape, matrix, aliases, placements.front(), detail)) return *only;
  if (auto first = single_request_shortfall(host, shape, matrix, aliases, placements.front(), detail)) {
    if (detail && placements.size() > 1) *detail += " (and on every other NUMA placement with room)";
    return *first;
  }
  return say(RefusalKind::Together,
             [&] { return "aliases " + together_text(shape) + " cannot be met together on any NUMA placement with room"; });
}

const char* kind_name(RefusalKind kind) {
  switch (kind) {
    case RefusalKind::Locked: return "locked";
    case RefusalKind::Blocked: return "blocked";
    case RefusalKind::Unready: return "unready";
    case RefusalKind::Vcpus: return "vcpus";
    case RefusalKind::Memory: return "memory";
    case RefusalKind::NoDevice: return "no_device";
    case RefusalKind::TooFewFree: return "too_few_free";
    case RefusalKind::NumaPolicy: return "numa_policy";
    case RefusalKind::NumaCellCount: return "numa_cell_count";
    case RefusalKind::NumaRoom: return "numa_room";
    case RefusalKind::Together: return "together";
  }
  return "together";
}

std::string describe(const Refusal& refusal, const InstanceShape& shape) {
  const PciRequest* r = refusal.request < shape.pci.size() ? &shape.pci[refusal.request] : nullptr;
  const std::string alias = r ? r->alias_name : std::string("?");
  auto too_few = [](const PciRequest* req) {
    return !req || req->count <= 1 ? std::string("none") : "fewer than " + std::to_string(req->count);
  };
  switch (refusal.kind) {
    case RefusalKind::Locked: return "locked by its operator";
    case RefusalKind::Blocked: return "blocked: what it holds breaks a rule";
    case RefusalKind::Unready: return "cannot do passthrough";
    case RefusalKind::Vcpus: return "vCPUs: not enough free";
    case RefusalKind::Memory: return "memory: not enough free";
    case RefusalKind::NoDevice: return "no device for alias " + alias;
    case RefusalKind::TooFewFree: return "alias " + alias + ": " + too_few(r) + " free";
    case RefusalKind::NumaPolicy:
      return "alias " + alias + ": " + too_few(r) + " free on the server's NUMA node (policy " +
             to_string(r ? r->policy : NumaPolicy::Legacy) + ")";
    case RefusalKind::NumaCellCount: return "fewer NUMA cells than the server has";
    case RefusalKind::NumaRoom: return "NUMA: no cell with room for the server's vCPUs and memory";
    case RefusalKind::Together: return "aliases " + together_text(shape) + " cannot be met together";
  }
  return "refused";
}

}  // namespace pcipass
