// The service's calls about servers: boot, show, list, delete.
#include <algorithm>

#include "controller/service_calls.h"
#include "core/extra_specs.h"

namespace pcipass {

Result<ServerView> Service::server_view_locked(const std::string& id, const std::string& flavor,
                                               const std::vector<std::pair<std::string, std::string>>& booted_with) {
  const Fleet& fleet = controller_->fleet();
  const InstanceRecord* rec = fleet.instance(id);
  if (!rec) return Error(ErrorCode::NotFound, "no server " + quote(id));
  const HostInventory& h = fleet.host(rec->host);
  ServerView out;
  out.id = id;
  out.host = h.name();
  if (!flavor.empty()) out.flavor = flavor;
  out.vcpus = rec->vcpus;
  out.memory_mb = rec->memory_mb;
  for (const auto& [cell, use] : rec->cell_use) out.numa_cells.push_back(h.cells()[cell].id);
  // A server booted before pcipass checked these may hold a bad value: shown, not used.
  auto settings = parse_pcipass_settings(booted_with);
  if (settings) out.vlan = settings->vlan;
  else out.notes.push_back("booted with an unusable extra spec, left out of the XML: " + settings.error().describe());
  if (auto p = controller_->server_problems().find(id); p != controller_->server_problems().end())
    for (const auto& line : p->second) out.notes.push_back("its holding breaks a rule: " + line);
  std::vector<DeviceIndex> ordered = rec->devices;
  std::sort(ordered.begin(), ordered.end());
  for (DeviceIndex d : ordered) {
    const Device& dev = h.devices()[d];
    ServerDevice sd;
    sd.address = dev.address;
    sd.type = dev.type;
    if (dev.gone) {  // held, but gone from the host's reports: listed, flagged, left out of the XML
      sd.vanished = true;
      out.devices.push_back(std::move(sd));
      continue;
    }
    sd.numa_node = dev.numa_node;
    if (dev.type == DeviceType::Pf) {
      const uint32_t enabled = h.enabled_vfs(d);
      if (enabled > 0)
        out.notes.push_back("PF " + dev.address.to_string() + " has " + std::to_string(enabled) +
                            " VF(s) enabled on the host: handing the PF to the guest removes them");
    }
    if (dev.pool && dev.type == DeviceType::Vf) {
      const DeviceClass& dc = fleet.classes().get(h.pools()[*dev.pool].class_id);
      sd.network_interface = std::any_of(dc.tags.begin(), dc.tags.end(), [](const Tag& t) { return t.key == "physical_network"; });
    }
    if (sd.network_interface) {
      // A locally administered unicast MAC, the same every time for this server and device.
      const std::string h6 = secrets_.digest(id + "/" + dev.address.to_string());
      sd.mac = "52:54:00:" + h6.substr(0, 2) + ":" + h6.substr(2, 2) + ":" + h6.substr(4, 2);
    }
    out.devices.push_back(std::move(sd));
  }
  return out;
}

Result<ServerView> Service::create_server(const Principal& who, const NewServer& request) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  if (auto st = check_name(request.name, "name"); !st) return std::move(st).error();
  return write<ServerView>([&](WriteBatch* batch) -> Result<ServerView> {
    auto placed = controller_->create_server(request.name, request.flavor, request.host, batch);
    if (!placed) return std::move(placed).error();
    commits_->touched_locked(placed->host);
    return server_view_locked(request.name, placed->flavor, placed->flavor_extra_specs);
  });
}

Result<std::vector<ServerSummary>> Service::list_servers(const Principal&, const std::optional<std::string>& host) {
  return read<std::vector<ServerSummary>>([&]() -> Result<std::vector<ServerSummary>> {
    auto rows = host ? state_.instances_on(*host) : state_.instances();
    if (!rows) return std::move(rows).error();
    std::vector<ServerSummary> out;
    for (const auto& r : *rows) {
      ServerSummary s{r.id, r.host, r.flavor, {}};
      for (const auto& a : r.devices) s.devices.push_back(a.address);
      out.push_back(std::move(s));
    }
    return out;
  });
}

Result<ServerView> Service::show_server(const Principal&, const std::string& id) {
  return read<ServerView>([&]() -> Result<ServerView> {
    if (!controller_->fleet().instance(id))  // booted by another controller?
      if (auto moved = controller_->refresh(commits_->sealed_hosts_locked()); !moved) return std::move(moved).error();
    if (!controller_->fleet().instance(id)) return Error(ErrorCode::NotFound, "no server " + quote(id));
    // What it was booted with, as stored: never the flavor as it is now.
    auto row = state_.instance(id);
    if (!row && row.error().code() == ErrorCode::NotFound &&
        commits_->sealed_hosts_locked().count(controller_->fleet().host(controller_->fleet().instance(id)->host).name()))
      return Error(ErrorCode::Busy, "server " + quote(id) + " is being committed");  // read again in a moment
    if (!row) return std::move(row).error();
    return server_view_locked(id, row->flavor, row->extra_specs);
  });
}

Status Service::delete_server(const Principal& who, const std::string& id) {
  if (auto st = require_admin(who); !st) return st;
  return write<Unit>([&](WriteBatch* batch) -> Status {
    const InstanceRecord* rec = controller_->fleet().instance(id);
    const std::string host = rec ? controller_->fleet().host(rec->host).name() : "";
    if (auto st = controller_->delete_server(id, batch); !st) return st;
    if (!host.empty()) commits_->touched_locked(host);
    return ok_status();
  });
}

}  // namespace pcipass
