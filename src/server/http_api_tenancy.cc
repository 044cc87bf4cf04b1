// The API's projects, quotas, networks and ports (docs/api.md), in Neutron's field names,
// and a host's interfaces and their data networks (StarlingX's).
#include "server/api_replies.h"
#include "server/http_api.h"
#include "server/requests.h"
#include "server/views.h"

namespace pcipass::server {

Reply HttpApi::create_project(const Call& call, const Principal& who) {
  auto p = new_project(call.http.body);
  if (!p) return error_reply(p.error());
  return answer(service_.create_project(who, *p), project_json, 201);
}

Reply HttpApi::list_projects(const Call&, const Principal& who) { return answer(service_.list_projects(who), projects_json); }

Reply HttpApi::show_project(const Call& call, const Principal& who) {
  return answer(service_.show_project(who, call.params[0]), project_json);
}

Reply HttpApi::delete_project(const Call& call, const Principal& who) { return no_content(service_.delete_project(who, call.params[0])); }

Reply HttpApi::show_quotas(const Call& call, const Principal& who) { return answer(service_.show_quotas(who, call.params[0]), quotas_json); }

Reply HttpApi::set_quotas(const Call& call, const Principal& who) {
  auto update = quota_update(call.http.body, call.params[0]);
  if (!update) return error_reply(update.error());
  return answer(service_.set_quotas(who, *update), quotas_json);
}

Reply HttpApi::create_network(const Call& call, const Principal& who) {
  auto n = new_network(call.http.body);
  if (!n) return error_reply(n.error());
  return answer(service_.create_network(who, *n), network_json, 201);
}

Reply HttpApi::list_networks(const Call&, const Principal& who) { return answer(service_.list_networks(who), networks_json); }

Reply HttpApi::show_network(const Call& call, const Principal& who) {
  return answer(service_.show_network(who, call.params[0]), network_json);
}

Reply HttpApi::delete_network(const Call& call, const Principal& who) { return no_content(service_.delete_network(who, call.params[0])); }

Reply HttpApi::create_port(const Call& call, const Principal& who) {
  auto p = new_port(call.http.body);
  if (!p) return error_reply(p.error());
  return answer(service_.create_port(who, *p), port_json, 201);
}

Reply HttpApi::list_ports(const Call&, const Principal& who) { return answer(service_.list_ports(who), ports_json); }

Reply HttpApi::show_port(const Call& call, const Principal& who) { return answer(service_.show_port(who, call.params[0]), port_json); }

Reply HttpApi::delete_port(const Call& call, const Principal& who) { return no_content(service_.delete_port(who, call.params[0])); }

Reply HttpApi::list_host_interfaces(const Call& call, const Principal& who) {
  return answer(service_.list_host_interfaces(who, call.params[0]), interfaces_json);
}

Reply HttpApi::set_host_interface(const Call& call, const Principal& who) {
  auto r = interface_request(call.http.body, call.params[1]);
  if (!r) return error_reply(r.error());
  return answer(service_.set_host_interface(who, call.params[0], *r), interface_json);
}

}  // namespace pcipass::server
