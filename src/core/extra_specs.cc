#include "core/extra_specs.h"

#include <algorithm>
#include <set>

#include "core/hex.h"

namespace pcipass {
namespace {

Result<uint64_t> parse_decimal(std::string_view text, uint64_t max) {
  std::string_view t = trim(text);
  if (t.empty() || t.size() > 19) return invalid("expected a whole number, got " + quote(text));
  uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return invalid("expected a whole number, got " + quote(text));
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return invalid("value " + std::string(t) + " is above the limit " + std::to_string(max));
  return v;
}

// Nova's API regex: ^[^:]+:\d+(\s*,\s*[^:]+:\d+)*$ (spaces around names tolerated).
Result<std::vector<std::pair<std::string, uint32_t>>> parse_alias_list(std::string_view text) {
  std::vector<std::pair<std::string, uint32_t>> out;
  std::string_view rest = text;
  size_t position = 1;
  for (;;) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    auto colon = item.find(':');
    std::string prefix = "item " + std::to_string(position) + " " + quote(trim(item)) + ": ";
    if (colon == std::string_view::npos)
      return invalid(prefix + "expected \"alias:count\", e.g. \"a1:2, qat-vf:1\"");
    if (item.find(':', colon + 1) != std::string_view::npos)
      return invalid(prefix + "expected exactly one ':' between alias and count");
    std::string name(trim(item.substr(0, colon)));
    if (name.empty()) return invalid(prefix + "alias name is empty");
    auto count = parse_decimal(item.substr(colon + 1), 1024);
    if (!count) return invalid(prefix + "count: " + count.error().message());
    if (*count == 0) return invalid(prefix + "count must be at least 1 (Nova accepts 0 and then still fails hosts without the device)");
    out.emplace_back(name, static_cast<uint32_t>(*count));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    ++position;
  }
  return out;
}

}  // namespace

uint32_t InstanceShape::total_devices() const {
  uint32_t n = 0;
  for (const auto& r : pci) n += r.count;
  return n;
}

Result<std::vector<uint32_t>> parse_cpu_set(std::string_view text) {
  std::set<uint32_t> include, exclude;
  std::string_view rest = text;
  for (;;) {
    auto comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    bool negate = !item.empty() && item.front() == '^';
    if (negate) item.remove_prefix(1);
    if (item.empty()) return invalid("empty item in CPU set " + quote(text));
    auto dash = item.find('-');
    auto lo = parse_decimal(item.substr(0, dash), 4095);
    if (!lo) return invalid("bad CPU number in " + quote(text));
    uint64_t hi = *lo;
    if (dash != std::string_view::npos) {
      auto h = parse_decimal(item.substr(dash + 1), 4095);
      if (!h || *h < *lo) return invalid("bad CPU range " + quote(item) + " in " + quote(text));
      hi = *h;
      if (negate) return invalid("a range cannot be excluded in " + quote(text));
    }
    for (uint64_t c = *lo; c <= hi; ++c) (negate ? exclude : include).insert(static_cast<uint32_t>(c));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::vector<uint32_t> out;
  for (auto c : include)
    if (!exclude.count(c)) out.push_back(c);
  if (out.empty()) return invalid("CPU set " + quote(text) + " is empty");
  return out;
}

bool valid_base_domain(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name[0] != '.' && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Result<PcipassSettings> parse_pcipass_settings(const ExtraSpecs& extra_specs) {
  PcipassSettings out;
  for (const auto& [key, value] : extra_specs) {
    if (key.rfind("pcipass:", 0) != 0) continue;
    if (key == "pcipass:vlan") {
      auto tag = parse_decimal(value, 4094);
      if (!tag || *tag == 0) return std::move(invalid("must be a VLAN id from 1 to 4094, got " + quote(value)).within(key));
      out.vlan = static_cast<uint16_t>(*tag);
    } else if (key == "pcipass:base_domain") {
      if (!valid_base_domain(value)) return std::move(invalid("must name a base domain: 1 to 64 of letters, digits, '-', '_' and '.', got " + quote(value)).within(key));
      out.base_domain = value;
    } else {
      return std::move(invalid("unknown pcipass extra spec; pcipass understands pcipass:vlan and pcipass:base_domain").within(key));
    }
  }
  return out;
}

Result<InstanceShape> parse_flavor(uint32_t vcpus, uint64_t memory_mb, const ExtraSpecs& extra_specs,
                                   const AliasTable& aliases, std::vector<std::string>& ignored) {
  InstanceShape shape;
  shape.vcpus = vcpus;
  shape.memory_mb = memory_mb;
  std::optional<NumaPolicy> flavor_policy;
  std::optional<uint64_t> numa_nodes;
  std::vector<std::pair<std::string, std::string>> numa_cpus, numa_mem;
  const std::pair<std::string, std::string>* alias_spec = nullptr;

  for (const auto& kv : extra_specs) {
    const std::string& key = kv.first;
    const std::string& value = kv.second;
    auto at_key = [&](Error e) { return std::move(e.within(key)); };
    if (key == "pci_passthrough:alias") {
      alias_spec = &kv;
    } else if (key == "hw:pci_numa_affinity_policy") {
      flavor_policy = parse_numa_policy(value);
      if (!flavor_policy) return at_key(invalid("must be one of required, legacy, preferred, socket, got " + quote(value)));
    } else if (key == "hw:numa_nodes") {
      auto n = parse_decimal(value, 64);
      if (!n || *n == 0) return at_key(invalid("must be a whole number from 1 to 64, got " + quote(value)));
      numa_nodes = *n;
    } else if (key.rfind("hw:numa_cpus.", 0) == 0) {
      numa_cpus.push_back(kv);
    } else if (key.rfind("hw:numa_mem.", 0) == 0) {
      numa_mem.push_back(kv);
    } else if (key.rfind("pcipass:", 0) == 0) {
      // validated by parse_pcipass_settings below
    } else if (key.rfind("hw:", 0) == 0 || key.rfind("pci_passthrough:", 0) == 0) {
      return at_key(invalid("unsupported extra spec; pcipass understands pci_passthrough:alias, "
                            "hw:pci_numa_affinity_policy, hw:numa_nodes, hw:numa_cpus.N and hw:numa_mem.N"));
    } else {
      ignored.push_back(key);
    }
  }

  if (auto settings = parse_pcipass_settings(extra_specs); !settings) return std::move(settings).error();

  if (alias_spec) {
    auto items = parse_alias_list(alias_spec->second);
    if (!items) return std::move(std::move(items).error().within(alias_spec->first));
    for (const auto& [name, count] : *items) {
      auto index = aliases.index_of(name);
      if (index && aliases.aliases()[*index].for_ports) index.reset();  // a port's, not the operator's
      if (!index)
        return std::move(invalid("PCI alias " + name + " is not defined (PciRequestAliasNotDefined)").within(alias_spec->first));
      const Alias& alias = aliases.aliases()[*index];
      PciRequest r;
      r.alias_index = *index;
      r.alias_name = name;
      r.count = count;
      r.policy = flavor_policy ? *flavor_policy : alias.numa_policy.value_or(NumaPolicy::Legacy);
      shape.pci.push_back(std::move(r));
    }
  }

  if (!numa_nodes) {
    if (!numa_cpus.empty() || !numa_mem.empty())
      return std::move(invalid("needs hw:numa_nodes (Nova silently ignores it without)").within(
          !numa_cpus.empty() ? numa_cpus.front().first : numa_mem.front().first));
    return shape;
  }
  const uint64_t nodes = *numa_nodes;
  if (vcpus < nodes)
    return std::move(invalid("the flavor has " + std::to_string(vcpus) + " vCPUs, fewer than its " +
                             std::to_string(nodes) + " NUMA nodes").within("hw:numa_nodes"));
  std::vector<InstanceCell> cells(nodes);
  if (numa_cpus.empty() && numa_mem.empty()) {
    if (vcpus % nodes != 0 || memory_mb % nodes != 0)
      return std::move(invalid("vCPUs (" + std::to_string(vcpus) + ") and memory (" + std::to_string(memory_mb) +
                               " MB) must split evenly over " + std::to_string(nodes) +
                               " NUMA nodes, or give hw:numa_cpus.N and hw:numa_mem.N").within("hw:numa_nodes"));
    for (auto& c : cells) {
      c.vcpus = static_cast<uint32_t>(vcpus / nodes);
      c.memory_mb = memory_mb / nodes;
    }
    shape.numa = std::move(cells);
    return shape;
  }
  if (numa_cpus.empty() || numa_mem.empty())
    return std::move(invalid("hw:numa_cpus.N and hw:numa_mem.N must be given together").within(
        numa_cpus.empty() ? numa_mem.front().first : numa_cpus.front().first));
  std::vector<bool> cpu_seen(vcpus, false), cpus_given(nodes, false), mem_given(nodes, false);
  uint64_t mem_sum = 0;
  for (const auto& [key, value] : numa_cpus) {
    auto cell = parse_decimal(std::string_view(key).substr(13), 63);
    if (!cell || *cell >= nodes)
      return std::move(invalid("cell number must be below hw:numa_nodes (" + std::to_string(nodes) + ")").within(key));
    auto set = parse_cpu_set(value);
    if (!set) return std::move(std::move(set).error().within(key));
    for (auto c : *set) {
      if (c >= vcpus) return std::move(invalid("vCPU " + std::to_string(c) + " does not exist (the flavor has " +
                                               std::to_string(vcpus) + ")").within(key));
      if (cpu_seen[c]) return std::move(invalid("vCPU " + std::to_string(c) + " is in two NUMA cells").within(key));
      cpu_seen[c] = true;
    }
    cells[*cell].vcpus = static_cast<uint32_t>(set->size());
    cpus_given[*cell] = true;
  }
  for (const auto& [key, value] : numa_mem) {
    auto cell = parse_decimal(std::string_view(key).substr(12), 63);
    if (!cell || *cell >= nodes)
      return std::move(invalid("cell number must be below hw:numa_nodes (" + std::to_string(nodes) + ")").within(key));
    auto mb = parse_decimal(value, uint64_t{1} << 40);
    if (!mb) return std::move(std::move(mb).error().within(key));
    cells[*cell].memory_mb = *mb;
    mem_given[*cell] = true;
    mem_sum += *mb;
  }
  for (uint64_t i = 0; i < nodes; ++i) {
    if (!cpus_given[i]) return std::move(invalid("missing for cell " + std::to_string(i)).within("hw:numa_cpus." + std::to_string(i)));
    if (!mem_given[i]) return std::move(invalid("missing for cell " + std::to_string(i)).within("hw:numa_mem." + std::to_string(i)));
  }
  if (std::find(cpu_seen.begin(), cpu_seen.end(), false) != cpu_seen.end())
    return std::move(invalid("hw:numa_cpus.N must cover every vCPU 0-" + std::to_string(vcpus - 1)).within("hw:numa_cpus.0"));
  if (mem_sum != memory_mb)
    return std::move(invalid("hw:numa_mem.N add up to " + std::to_string(mem_sum) + " MB, not the flavor's " +
                             std::to_string(memory_mb) + " MB").within("hw:numa_mem.0"));
  shape.numa = std::move(cells);
  return shape;
}

}  // namespace pcipass
