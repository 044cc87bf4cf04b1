#pragma once
// The service's typed results as the JSON of the REST API (docs/api.md): one view per
// result, used wherever that result is answered. A server's view carries its libvirt
// XML, made here from what it was booted with.
#include <vector>

#include "controller/service.h"
#include "server/http_status.h"

namespace pcipass::server {

Json version_json(size_t hosts);
Json report_json(const ReportResult& r);
Json summary_json(const HostSummary& host);
Json hosts_json(const std::vector<HostSummary>& hosts);
Json host_json(const HostDetail& host);
Json device_json(const DeviceView& device);
Json devices_json(const std::vector<DeviceView>& devices);
Json aliases_json(const std::vector<Alias>& aliases);
Json config_json(const ConfigSummary& config);
Json flavor_json(const FlavorRecord& flavor);
Json flavors_json(const std::vector<FlavorRecord>& flavors);
Result<Json> server_json(const ServerView& server);
Json servers_json(const std::vector<ServerSummary>& servers);
Result<Json> assignments_json(const HostAssignments& a);
Json explanation_json(const Explanation& e);
// [{"reason", "hosts", "sample"}, ...]: a NoValidHost's or an explanation's groups.
Json refusal_groups_json(const std::vector<RefusalGroup>& groups);
// {"fleet": {ALIAS: {"free", "total"}}, "hosts": [{"host", "aliases": {...}}]}, as JSON text.
std::string capacity_json(const Capacity& c);
Json health_json(const Health& h);
Json issued_token_json(const IssuedToken& t);
Json tokens_json(const std::vector<TokenInfo>& tokens);
// Projects, networks and ports in Neutron's words (project_id, provider:*, binding:vnic_type,
// mac_address); a project's quotas with what it uses.
Json project_json(const ProjectRecord& project);
Json projects_json(const std::vector<ProjectRecord>& projects);
Json network_json(const NetworkRecord& network);
Json networks_json(const std::vector<NetworkRecord>& networks);
Json port_json(const PortRecord& port);
Json ports_json(const std::vector<PortRecord>& ports);
Json quotas_json(const ProjectQuotas& quotas);
Json interface_json(const HostInterfaceView& iface);
Json interfaces_json(const std::vector<HostInterfaceView>& interfaces);

}  // namespace pcipass::server
