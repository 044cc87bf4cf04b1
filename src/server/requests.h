#pragma once
// Request bodies and query strings of the REST API as the service's typed requests.
// Strict: unknown fields are refused, every value is type- and range-checked, and an
// error names the field by its JSON path.
#include <map>
#include <string>

#include "controller/service_types.h"

namespace pcipass::server {

using Query = std::multimap<std::string, std::string>;

Result<HostRecord> host_report(const std::string& body, const std::string& host);
Result<FlavorRecord> new_flavor(const std::string& body);
Result<FlavorUpdate> flavor_update(const std::string& body, const std::string& name);
Result<NewServer> new_server(const std::string& body);
Result<NewToken> new_token(const std::string& body);
Result<ProjectRecord> new_project(const std::string& body);
Result<NewNetwork> new_network(const std::string& body);
Result<NewPort> new_port(const std::string& body);
// PUT /v1/hosts/H/interfaces/NAME: {"class", "datanetwork", "vfs"} (StarlingX's ifclass,
// datanetworks, sriov_numvfs in one body).
Result<InterfaceRequest> interface_request(const std::string& body, const std::string& name);
// {"RESOURCE": LIMIT | null, ...}: null removes the quota (unlimited).
Result<QuotaUpdate> quota_update(const std::string& body, const std::string& project);
// {"outcome": "active" | "error" | "restored", "step", "message"} for server `id`.
Result<ServerOutcome> server_outcome(const std::string& body, const std::string& id);
// A query value as a whole number from 0 to `max` (nullopt: not given).
Result<std::optional<uint64_t>> query_number(const Query& query, const char* key, uint64_t max,
                                             std::initializer_list<const char*> allowed);
// ?force=true|false (absent: false).
Result<bool> query_flag(const Query& query, const char* key, std::initializer_list<const char*> allowed);
Result<DeviceFilter> device_filter(const Query& query);
// The value of `key`, if given (one of `allowed`; any other key is refused).
Result<std::optional<std::string>> query_value(const Query& query, const char* key, std::initializer_list<const char*> allowed);

}  // namespace pcipass::server
