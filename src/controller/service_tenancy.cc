// The service's calls about projects, networks, ports and quotas: who may see and do
// what (service.h), and the checks of a request before the store keeps its rules.
#include "controller/service_calls.h"
#include "core/tenancy.h"

namespace pcipass {
namespace {

bool member_of_another(const Principal& who, const std::string& project) { return who.role == Role::Member && project != who.project; }

bool sees_network(const Principal& who, const NetworkRecord& n) { return !member_of_another(who, n.project) || n.shared; }

// A quota's resource: servers, vcpus, memory_mb, devices:ALIAS (a configured alias),
// ports:direct or ports:direct-physical.
Status check_resource(const std::string& resource, const AliasTable& aliases) {
  if (resource == "servers" || resource == "vcpus" || resource == "memory_mb") return ok_status();
  if (resource.rfind("ports:", 0) == 0) {
    if (parse_vnic_type(resource.substr(6))) return ok_status();
    return std::move(invalid("quota " + quote(resource) + ": a port quota is ports:direct or ports:direct-physical").within(resource));
  }
  if (resource.rfind("devices:", 0) == 0) {
    const std::string alias = resource.substr(8);
    for (const Alias& a : aliases.aliases())
      if (a.name == alias && !a.for_ports) return ok_status();
    return std::move(invalid("quota " + quote(resource) + ": no alias " + quote(alias) + " is configured ([pci] alias)").within(resource));
  }
  return std::move(invalid("quota " + quote(resource) + " is not one pcipass counts: servers, vcpus, memory_mb, devices:ALIAS, "
                           "ports:direct, ports:direct-physical")
                       .within(resource));
}

}  // namespace

// ---- projects ------------------------------------------------------------------------------

Result<ProjectRecord> Service::create_project(const Principal& who, const ProjectRecord& project) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  if (auto st = check_name(project.name, "name"); !st) return std::move(st).error();
  if (project.description.size() > 1024) return std::move(invalid("a description is at most 1024 characters").within("description"));
  auto done = write<ProjectRecord>([&](WriteBatch*) -> Result<ProjectRecord> {
    if (auto st = tenants_.create_project(project); !st) return std::move(st).error();
    return project;
  });
  if (done) note(LogLevel::Info, "project.created", {{"project", done->name}, {"caller", who.name}});
  return done;
}

Result<std::vector<ProjectRecord>> Service::list_projects(const Principal& who) {
  return read<std::vector<ProjectRecord>>([&]() -> Result<std::vector<ProjectRecord>> {
    auto all = tenants_.projects();
    if (!all) return std::move(all).error();
    std::erase_if(*all, [&](const ProjectRecord& p) { return member_of_another(who, p.name); });
    return all;
  });
}

Result<ProjectRecord> Service::show_project(const Principal& who, const std::string& name) {
  if (member_of_another(who, name)) return Error(ErrorCode::NotFound, "no project " + quote(name));
  return read<ProjectRecord>([&] { return tenants_.project(name); });
}

Status Service::delete_project(const Principal& who, const std::string& name) {
  if (auto st = require_admin(who); !st) return st;
  auto done = write<Unit>([&](WriteBatch*) -> Status { return tenants_.delete_project(name); });
  if (done) note(LogLevel::Info, "project.deleted", {{"project", name}, {"caller", who.name}});
  return done;
}

// ---- networks ------------------------------------------------------------------------------

Result<NetworkRecord> Service::create_network(const Principal& who, const NewNetwork& request) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  if (auto st = check_name(request.name, "name"); !st) return std::move(st).error();
  if (request.project)
    if (auto st = check_name(*request.project, "project"); !st) return std::move(st).error();
  auto type = parse_network_type(request.type);
  if (!type) return std::move(invalid("network type " + quote(request.type) + " is not vlan or flat").within("provider:network_type"));
  if (auto st = check_name(request.physical_network, "provider:physical_network"); !st) return std::move(st).error();
  if (auto st = check_segment(*type, request.segment); !st) return std::move(st).error();
  NetworkRecord n{request.name, request.project.value_or(""), request.shared, *type, request.physical_network,
                  request.segment ? std::optional<uint16_t>(static_cast<uint16_t>(*request.segment)) : std::nullopt};
  auto done = write<NetworkRecord>([&](WriteBatch*) -> Result<NetworkRecord> {
    if (auto st = tenants_.create_network(n); !st) return std::move(st).error();
    return n;
  });
  if (done) note(LogLevel::Info, "network.created", {{"network", done->name}, {"caller", who.name}});
  return done;
}

Result<std::vector<NetworkRecord>> Service::list_networks(const Principal& who) {
  return read<std::vector<NetworkRecord>>([&]() -> Result<std::vector<NetworkRecord>> {
    auto all = tenants_.networks();
    if (!all) return std::move(all).error();
    std::erase_if(*all, [&](const NetworkRecord& n) { return !sees_network(who, n); });
    return all;
  });
}

Result<NetworkRecord> Service::show_network(const Principal& who, const std::string& name) {
  return read<NetworkRecord>([&]() -> Result<NetworkRecord> {
    auto n = tenants_.network(name);
    if (n && !sees_network(who, *n)) return Error(ErrorCode::NotFound, "no network " + quote(name));
    return n;
  });
}

Status Service::delete_network(const Principal& who, const std::string& name) {
  if (auto st = require_admin(who); !st) return st;
  auto done = write<Unit>([&](WriteBatch*) -> Status { return tenants_.delete_network(name); });
  if (done) note(LogLevel::Info, "network.deleted", {{"network", name}, {"caller", who.name}});
  return done;
}

// ---- ports ---------------------------------------------------------------------------------

Result<PortRecord> Service::create_port(const Principal& who, const NewPort& request) {
  if (who.role != Role::Member)
    if (auto st = require_admin(who); !st) return std::move(st).error();
  if (who.role == Role::Member && request.project && *request.project != who.project)
    return std::move(Error(ErrorCode::PermissionDenied, "a member makes ports in its own project (" + quote(who.project) + ") only").within("project"));
  if (auto st = check_name(request.name, "name"); !st) return std::move(st).error();
  if (auto st = check_name(request.network, "network"); !st) return std::move(st).error();
  if (request.project)
    if (auto st = check_name(*request.project, "project"); !st) return std::move(st).error();
  auto vnic = parse_vnic_type(request.vnic_type);
  if (!vnic)
    return std::move(invalid("vnic type " + quote(request.vnic_type) + " is not direct (a VF) or direct-physical (a PF)").within("binding:vnic_type"));
  std::string mac;
  if (request.mac) {
    auto m = normalize_mac(*request.mac);
    if (!m) return std::move(std::move(m).error().within("mac_address"));
    mac = *m;
  } else {
    auto random = secrets_.new_secret();
    if (!random) return std::move(random).error();
    mac = port_mac(secrets_.digest(*random));
  }
  auto done = write<PortRecord>([&](WriteBatch*) -> Result<PortRecord> {
    auto net = tenants_.network(request.network);
    if (!net && net.error().code() != ErrorCode::NotFound) return std::move(net).error();
    if (!net || !sees_network(who, *net)) return std::move(Error(ErrorCode::NotFound, "no network " + quote(request.network)).within("network"));
    // A port is its project's: the member's, the one an admin named, else the network's.
    const std::string project = who.role == Role::Member ? who.project : request.project.value_or(net->project);
    PortRecord p{request.name, project, request.network, *vnic, mac};
    if (auto st = tenants_.create_port(p); !st) return std::move(st).error();
    return p;
  });
  if (done) note(LogLevel::Info, "port.created", {{"port", done->name}, {"caller", who.name}});
  return done;
}

Result<std::vector<PortRecord>> Service::list_ports(const Principal& who) {
  return read<std::vector<PortRecord>>([&]() -> Result<std::vector<PortRecord>> {
    auto all = tenants_.ports();
    if (!all) return std::move(all).error();
    std::erase_if(*all, [&](const PortRecord& p) { return member_of_another(who, p.project); });
    return all;
  });
}

Result<PortRecord> Service::show_port(const Principal& who, const std::string& name) {
  return read<PortRecord>([&]() -> Result<PortRecord> {
    auto p = tenants_.port(name);
    if (p && member_of_another(who, p->project)) return Error(ErrorCode::NotFound, "no port " + quote(name));
    return p;
  });
}

Status Service::delete_port(const Principal& who, const std::string& name) {
  if (who.role != Role::Member)
    if (auto st = require_admin(who); !st) return st;
  auto done = write<Unit>([&](WriteBatch*) -> Status {
    if (who.role == Role::Member) {
      auto p = tenants_.port(name);
      if (!p) return std::move(p).error();
      if (member_of_another(who, p->project)) return Error(ErrorCode::NotFound, "no port " + quote(name));
    }
    return tenants_.delete_port(name);
  });
  if (done) note(LogLevel::Info, "port.deleted", {{"port", name}, {"caller", who.name}});
  return done;
}

// ---- quotas --------------------------------------------------------------------------------

Result<ProjectQuotas> Service::show_quotas(const Principal& who, const std::string& project) {
  if (member_of_another(who, project)) return Error(ErrorCode::NotFound, "no project " + quote(project));
  return read<ProjectQuotas>([&]() -> Result<ProjectQuotas> {
    auto q = tenants_.quotas(project);
    if (!q) return std::move(q).error();
    return ProjectQuotas{project, std::move(*q)};
  });
}

Result<ProjectQuotas> Service::set_quotas(const Principal& who, const QuotaUpdate& update) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  if (auto st = check_name(update.project, "project"); !st) return std::move(st).error();
  if (update.set.empty()) return invalid("a quota update sets at least one quota");
  auto done = write<ProjectQuotas>([&](WriteBatch*) -> Result<ProjectQuotas> {
    for (const auto& [resource, limit] : update.set)
      if (auto st = check_resource(resource, controller_->config().aliases); !st) return std::move(st).error();
    for (const auto& [resource, limit] : update.set)
      if (auto st = tenants_.set_quota(update.project, resource, limit); !st) return std::move(st).error();
    auto q = tenants_.quotas(update.project);
    if (!q) return std::move(q).error();
    return ProjectQuotas{update.project, std::move(*q)};
  });
  if (done) note(LogLevel::Info, "quota.set", {{"project", update.project}, {"caller", who.name}});
  return done;
}

}  // namespace pcipass
