#pragma once
// A host's inventory on the wire (agent -> server, server -> clients):
//   {"numa": [{"id", "cpus", "memory_mb", "socket"}] | null,
//    "devices": [{"address", "vendor_id", "product_id", "class_code", "numa_node",
//                 "sriov_totalvfs", "physfn", "devname", "iommu_group", "fingerprint"}]}
// Device fields use the scenario format's names, so `discover --json` output reads alike.
#include "ports/store.h"
#include "server/json_body.h"

namespace pcipass::server {

Json inventory_json(const HostRecord& host);
Json device_facts_json(const StoredDevice& d);
// Strict: unknown fields and bad values are errors naming their path.
Result<HostRecord> parse_inventory(const Json& body, const std::string& host_name);

}  // namespace pcipass::server
