#pragma once
// Projects, networks and ports as Neutron shapes them, reduced to what passthrough
// needs: a network is a VLAN (or flat) segment on a physical network; a port is a NIC
// on it that a server gets as a VF (`direct`) or a whole PF (`direct-physical`).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config_value.h"
#include "core/error.h"
#include "core/extra_specs.h"

namespace pcipass {

enum class NetworkType { Vlan, Flat };
enum class VnicType { Direct, DirectPhysical };

const char* to_string(NetworkType type);  // "vlan" | "flat"
std::optional<NetworkType> parse_network_type(std::string_view text);
const char* to_string(VnicType type);  // "direct" | "direct-physical"
std::optional<VnicType> parse_vnic_type(std::string_view text);

// A VLAN network needs a segmentation id 1-4094 (802.1Q: 0 and 4095 are reserved); a
// flat one takes none. InvalidArgument within "provider:segmentation_id".
Status check_segment(NetworkType type, std::optional<uint64_t> segment);

// A unicast MAC address ("FA-16-3E-01-02-03", "fa:16:3e:01:02:03") in the one form
// pcipass stores and libvirt reads: six lowercase pairs joined by ':'. Refused:
// another shape, a multicast or broadcast address, all zeros.
Result<std::string> normalize_mac(std::string_view text);

// What a server of `shape` counts against its project's quotas, by resource: servers 1,
// vcpus, memory_mb, and devices:ALIAS for each alias it asks for.
std::vector<std::pair<std::string, uint64_t>> quota_usage(const InstanceShape& shape);

// Whether a project whose quotas stand at `quotas` (resource, limit, use) can take
// `usage` more: OverQuota naming the first quota (by resource) it would exceed.
struct QuotaLine {
  std::string resource;
  std::optional<uint64_t> limit;
  uint64_t used = 0;
};
Status admit(const std::string& project, const std::vector<QuotaLine>& quotas, const std::vector<std::pair<std::string, uint64_t>>& usage);

// The refusal (OverQuota) of a claim that would take `project` past its quota of
// `resource`: `used` now, `asked` more, `limit` at most.
Error over_quota(const std::string& project, const std::string& resource, uint64_t limit, uint64_t used, uint64_t asked);

// A port's MAC when none was asked for: OpenStack's prefix fa:16:3e and three random
// bytes, taken from the first six characters of `random_hex` (lowercase hex).
std::string port_mac(std::string_view random_hex);

}  // namespace pcipass
