#pragma once
// Flavor extra specs -> what an instance asks of a host: vCPUs, memory, an optional
// NUMA topology, and its PCI requests (one per "alias:count" item, as in Nova).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/alias.h"

namespace pcipass {

struct PciRequest {
  size_t alias_index = 0;  // into AliasTable::aliases()
  std::string alias_name;
  uint32_t count = 0;
  NumaPolicy policy = NumaPolicy::Legacy;  // flavor policy, else alias policy, else legacy
};

struct InstanceCell {
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
};

struct InstanceShape {
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::vector<PciRequest> pci;
  // Set when the flavor gives the instance a NUMA topology (hw:numa_nodes and friends);
  // only then do NUMA policies apply.
  std::optional<std::vector<InstanceCell>> numa;

  uint32_t total_devices() const;
};

using ExtraSpecs = std::vector<std::pair<std::string, std::string>>;

// Validates and interprets extra specs. Errors name the offending key.
// Keys in namespaces pcipass does not model (e.g. quota:) are reported in `ignored`.
Result<InstanceShape> parse_flavor(uint32_t vcpus, uint64_t memory_mb, const ExtraSpecs& extra_specs,
                                   const AliasTable& aliases, std::vector<std::string>& ignored);

// The pcipass: extra specs, which do not affect scheduling but how a server's devices
// are presented to it (its libvirt XML).
struct PcipassSettings {
  std::optional<uint16_t> vlan;  // pcipass:vlan, 1..4094: the VLAN tag of its NIC VFs
  // pcipass:base_domain: the operator's base domain (disk, network, console) its host's
  // agent merges the server into (`agent --libvirt --base-domains DIR`: DIR/NAME.xml).
  std::optional<std::string> base_domain;
};
// Errors name the key; a pcipass: key that pcipass does not know is an error too.
// parse_flavor validates them as well, so a stored flavor always parses here.
Result<PcipassSettings> parse_pcipass_settings(const ExtraSpecs& extra_specs);
// A base domain's name (pcipass:base_domain, or a server create request's base_domain):
// 1 to 64 of letters, digits, '-', '_' and '.', not starting with '.'.
bool valid_base_domain(std::string_view name);

// "0-3,^2,5" -> {0,1,3,5}; Nova's cpu set syntax.
Result<std::vector<uint32_t>> parse_cpu_set(std::string_view text);

}  // namespace pcipass
