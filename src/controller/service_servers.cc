// The service's calls about servers: boot, show, list, delete; and what a host's agent
// carries out of them (assignments, a watch of them, its word on each).
#include <algorithm>

#include "controller/service_calls.h"
#include "core/extra_specs.h"

namespace pcipass {

Result<std::map<std::string, std::vector<Service::PortBinding>>> Service::port_bindings_locked() {
  std::map<std::string, std::vector<PortBinding>> out;
  auto ports = tenants_.ports();
  if (!ports) return std::move(ports).error();
  std::map<std::string, std::optional<uint16_t>> vlans;  // by network
  for (const auto& p : *ports) {
    if (p.server.empty() || !p.request) continue;
    if (!vlans.count(p.network)) {
      auto n = tenants_.network(p.network);
      if (!n) return std::move(n).error();
      vlans[p.network] = n->segment;
    }
    out[p.server].push_back({p.name, *p.request, p.mac, vlans[p.network]});
  }
  return out;
}

Status Service::resolve_nics_locked(const Principal& who, const NewServer& request, Admission& admission,
                                    std::vector<PortBinding>& bindings, std::vector<std::string>& made) {
  const AliasTable& aliases = controller_->config().aliases;
  const bool member = who.role == Role::Member;
  for (size_t i = 0; i < request.nics.size(); ++i) {
    const NewNic& nic = request.nics[i];
    const std::string at = "nics[" + std::to_string(i) + "]";
    PortRecord port;
    if (nic.port) {
      auto p = tenants_.port(*nic.port);
      if (!p && p.error().code() != ErrorCode::NotFound) return std::move(p).error();
      if (!p || (member && p->project != who.project)) return std::move(Error(ErrorCode::NotFound, "no port " + quote(*nic.port)).within(at + ".port-id"));
      if (!p->server.empty())
        return std::move(Error(ErrorCode::Conflict, "port " + quote(p->name) + " is bound to server " + quote(p->server)).within(at + ".port-id"));
      for (const auto& b : bindings)
        if (b.name == p->name) return std::move(invalid("port " + quote(p->name) + " is named twice").within(at + ".port-id"));
      port = std::move(*p);
    } else {
      // A port of its own on the network, named after the server and the NIC.
      NewPort np{request.name + "-nic" + std::to_string(i), *nic.network, std::nullopt, nic.vnic_type, std::nullopt};
      if (np.name.size() > 255)
        return std::move(invalid("the port made for it, " + quote(np.name) + ", would be over 255 characters: give the server a shorter name")
                             .within(at + ".net-id"));
      auto vnic = parse_vnic_type(np.vnic_type);
      if (!vnic)
        return std::move(invalid("vnic type " + quote(np.vnic_type) + " is not direct (a VF) or direct-physical (a PF)").within(at + ".vnic-type"));
      auto net = tenants_.network(np.network);
      if (!net && net.error().code() != ErrorCode::NotFound) return std::move(net).error();
      if (!net || (member && net->project != who.project && !net->shared))
        return std::move(Error(ErrorCode::NotFound, "no network " + quote(np.network)).within(at + ".net-id"));
      auto random = secrets_.new_secret();
      if (!random) return std::move(random).error();
      port = {np.name, member ? who.project : net->project, np.network, *vnic, port_mac(secrets_.digest(*random))};
      if (auto st = tenants_.create_port(port); !st) return std::move(std::move(st).error().within(at));
      made.push_back(port.name);
    }
    auto net = tenants_.network(port.network);
    if (!net) return std::move(net).error();
    const bool pf = port.vnic_type == VnicType::DirectPhysical;
    auto index = aliases.index_of(port_alias_name(pf, net->physical_network));
    if (!index)
      return Error(ErrorCode::NoValidHost, "No valid host was found for " + quote(request.name) + ": port " + quote(port.name) + " is on network " +
                                               quote(net->name) + ", physical network " + quote(net->physical_network) +
                                               ", which no device_spec entry tags (physical_network), so no host offers it");
    PciRequest r;
    r.alias_index = *index;
    r.alias_name = "port " + port.name + " (" + to_string(port.vnic_type) + " on " + net->physical_network + ")";
    r.count = 1;
    admission.port_requests.push_back(std::move(r));
    admission.ports.push_back(port.name);
    bindings.push_back({port.name, 0, port.mac, net->segment});
  }
  return ok_status();
}

Result<ServerView> Service::server_view_locked(const std::string& id, const std::string& flavor,
                                               const std::vector<std::pair<std::string, std::string>>& booted_with,
                                               const GuestNames& guest, uint64_t disk_gb, const std::vector<PortBinding>& ports) {
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
  out.state.status = controller_->server_status(id).value_or(ServerStatus::Placed);
  const bool host_binds = controller_->manages_devices(h.name());
  for (const auto& [cell, use] : rec->cell_use) out.numa_cells.push_back(h.cells()[cell].id);
  // A server booted before pcipass checked these may hold a bad value: shown, not used.
  auto settings = parse_pcipass_settings(booted_with);
  if (settings) {
    out.vlan = settings->vlan;
    out.base_domain = settings->base_domain;
  } else {
    out.notes.push_back("booted with an unusable extra spec, left out of the XML: " + settings.error().describe());
  }
  if (!guest.base_domain.empty()) out.base_domain = guest.base_domain;
  if (!guest.image.empty()) out.image = guest.image;
  if (!guest.key_name.empty()) out.key_name = guest.key_name;
  out.disk_gb = disk_gb;
  if (out.vlan)
    out.notes.push_back("pcipass:vlan is deprecated: give the server a port on a VLAN network instead (pcipass network create "
                        "--provider-network-type vlan; server create --nic port-id=PORT)");
  if (auto p = controller_->server_problems().find(id); p != controller_->server_problems().end())
    for (const auto& line : p->second) out.notes.push_back("its holding breaks a rule: " + line);
  std::map<DeviceIndex, const PortBinding*> port_of;
  for (const auto& b : ports)
    if (b.request < rec->requested.size())
      for (DeviceIndex d : rec->requested[b.request]) port_of[d] = &b;
  std::vector<DeviceIndex> ordered = rec->devices;
  std::sort(ordered.begin(), ordered.end());
  bool vlan_used = false;
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
    sd.managed = !host_binds;
    if (dev.pool) {
      const DeviceClass& dc = fleet.classes().get(h.pools()[*dev.pool].class_id);
      if (dev.type == DeviceType::Vf)
        sd.network_interface = std::any_of(dc.tags.begin(), dc.tags.end(), [](const Tag& t) { return t.key == "physical_network"; });
      // Nova's `managed` tag: "yes" leaves binding to libvirt, "no" to the operator (or agent).
      for (const Tag& t : dc.tags)
        if (t.key == "managed" && t.value && (*t.value == "true" || *t.value == "false")) sd.managed = *t.value == "true";
    }
    if (auto p = port_of.find(d); p != port_of.end()) {
      // A port's device: its MAC; a VF takes its network's VLAN, a PF's is the switch's.
      sd.port = p->second->name;
      sd.mac = p->second->mac;
      if (dev.type == DeviceType::Vf) {
        sd.network_interface = true;
        sd.vlan = p->second->vlan;
      } else if (p->second->vlan) {
        out.notes.push_back("port " + p->second->name + " is PF " + dev.address.to_string() + ", handed over whole: its VLAN " +
                            std::to_string(*p->second->vlan) + " is not set on the host; the PF's switch port must be an access port on VLAN " +
                            std::to_string(*p->second->vlan));
      }
    } else if (sd.network_interface) {
      // A locally administered unicast MAC, the same every time for this server and device.
      const std::string h6 = secrets_.digest(id + "/" + dev.address.to_string());
      sd.mac = "52:54:00:" + h6.substr(0, 2) + ":" + h6.substr(2, 2) + ":" + h6.substr(4, 2);
      vlan_used = vlan_used || out.vlan.has_value();
    }
    out.devices.push_back(std::move(sd));
  }
  if (out.vlan && !vlan_used)
    out.notes.push_back("pcipass:vlan " + std::to_string(*out.vlan) + " applies to no device of this server: only a NIC VF on a physical "
                        "network takes a VLAN (a PF's or another device's VLAN is its switch port's)");
  return out;
}

namespace {
// Admins act on every server; members only on their project's (another's is "not
// there", as Nova says of a server it does not show).
bool sees(const Principal& who, const std::string& project) { return who.role != Role::Member || project == who.project; }

// "0000:41:02.0,0000:41:02.1"
std::string device_list(const ServerView& v) {
  std::string out;
  for (const auto& d : v.devices) out += (out.empty() ? "" : ",") + d.address.to_string();
  return out;
}

GuestNames guest_of(const InstanceRecordRow& row) { return {row.base_domain, row.image, row.key_name}; }

// An image's name or id (Glance's names and UUIDs) and a key pair's name (Nova's rule),
// beside letters and digits.
constexpr std::string_view kImageChars = " -_.:/@+";
constexpr std::string_view kKeyNameChars = " -_.@";
Status check_guest_name(const std::string& value, const char* field, std::string_view also) {
  if (value.empty() || value.size() > 255) return std::move(invalid(std::string(field) + " must be 1 to 255 characters").within(field));
  for (char c : value)
    if (!std::isalnum(static_cast<unsigned char>(c)) && also.find(c) == std::string_view::npos)
      return std::move(invalid(std::string(field) + " may hold only letters, digits and \"" + std::string(also) + "\", got " + quote(value))
                           .within(field));
  return ok_status();
}
}  // namespace

void Service::count_boot(const Result<ServerPlacement>& placed, double seconds) {
  if (placed) return counters_.boot_placed.observe(seconds);
  if (placed.error().code() != ErrorCode::NoValidHost) return counters_.boot_refused.observe(seconds);
  counters_.boot_no_valid_host.observe(seconds);
  counters_.no_valid_host.fetch_add(1, std::memory_order_relaxed);
  std::array<bool, kRefusalKindCount> seen{};  // each kind once a decision, however many requests it refused
  for (const auto& g : placed.error().refusal_groups())
    for (size_t k = 0; k < kRefusalKindCount; ++k)
      if (!seen[k] && g.kind == kind_name(kRefusalKinds[k])) {
        seen[k] = true;
        counters_.no_valid_host_reasons[k].fetch_add(1, std::memory_order_relaxed);
      }
}

Result<ServerView> Service::create_server(const Principal& who, const NewServer& request) {
  if (who.role != Role::Member)
    if (auto st = require_admin(who); !st) return std::move(st).error();
  if (who.role == Role::Member && request.host)
    return std::move(Error(ErrorCode::PermissionDenied, "only an admin may place a server on a host of its choice").within("host"));
  if (auto st = check_name(request.name, "name"); !st) return std::move(st).error();
  if (request.base_domain && !valid_base_domain(*request.base_domain))
    return std::move(invalid("must name a base domain: 1 to 64 of letters, digits, '-', '_' and '.'").within("base_domain"));
  if (request.image)
    if (auto st = check_guest_name(*request.image, "image", kImageChars); !st) return std::move(st).error();
  if (request.key_name)
    if (auto st = check_guest_name(*request.key_name, "key_name", kKeyNameChars); !st) return std::move(st).error();
  const GuestNames guest{request.base_domain.value_or(""), request.image.value_or(""), request.key_name.value_or("")};
  auto done = write<ServerView>([&](WriteBatch* batch) -> Result<ServerView> {
    Admission admission;
    if (who.role == Role::Member) {
      admission.project = who.project;
      admission.check = [&](const std::vector<std::pair<std::string, uint64_t>>& usage) -> Status {
        auto quotas = tenants_.quotas(who.project);
        if (!quotas) return std::move(quotas).error();
        return admit(who.project, *quotas, usage);
      };
    }
    std::vector<PortBinding> bindings;
    std::vector<std::string> made;
    // The ports made for it go again if it does not boot.
    auto undo = [&] {
      for (const auto& name : made) (void)tenants_.delete_port(name);
    };
    if (auto st = resolve_nics_locked(who, request, admission, bindings, made); !st) {
      undo();
      return std::move(st).error();
    }
    const auto began = clock_.now();
    auto placed = controller_->create_server(request.name, request.flavor, request.host, batch, guest, &admission);
    count_boot(placed, std::chrono::duration<double>(clock_.now() - began).count());
    if (!placed) {
      undo();
      return std::move(placed).error();
    }
    commits_->touched_locked(placed->host);
    const uint32_t first_port_request = static_cast<uint32_t>(placed->requests - bindings.size());
    for (size_t i = 0; i < bindings.size(); ++i) bindings[i].request = first_port_request + static_cast<uint32_t>(i);
    auto view = server_view_locked(request.name, placed->flavor, placed->flavor_extra_specs, guest, placed->disk_gb, bindings);
    if (view) view->project = admission.project;
    return view;
  });
  if (done)
    note(LogLevel::Info, "server.created",
         {{"server", done->id},
          {"host", done->host},
          {"flavor", done->flavor.value_or("")},
          {"status", std::string(to_string(done->state.status))},
          {"devices", device_list(*done)},
          {"caller", who.name}});
  return done;
}

Result<std::vector<ServerSummary>> Service::list_servers(const Principal& who, const std::optional<std::string>& host) {
  if (host)
    if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<std::vector<ServerSummary>>([&]() -> Result<std::vector<ServerSummary>> {
    auto rows = host ? state_.instances_on(*host) : state_.instances();
    if (!rows) return std::move(rows).error();
    std::vector<ServerSummary> out;
    for (const auto& r : *rows) {
      if (!sees(who, r.project)) continue;
      ServerSummary s{r.id, r.host, r.flavor, {}, r.state, r.project};
      for (const auto& a : r.devices) s.devices.push_back(a.address);
      out.push_back(std::move(s));
    }
    return out;
  });
}

Result<ServerView> Service::show_server(const Principal& who, const std::string& id) {
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
    if (!sees(who, row->project)) return Error(ErrorCode::NotFound, "no server " + quote(id));
    auto bound = port_bindings_locked();
    if (!bound) return std::move(bound).error();
    auto view = server_view_locked(id, row->flavor, row->extra_specs, guest_of(*row), row->disk_gb, (*bound)[id]);
    if (view) {
      view->state = row->state;
      view->project = row->project;
    }
    return view;
  });
}

Result<DeleteResult> Service::delete_server(const Principal& who, const std::string& id, bool force) {
  if (who.role != Role::Member)
    if (auto st = require_admin(who); !st) return std::move(st).error();
  if (who.role == Role::Member && force)
    return std::move(Error(ErrorCode::PermissionDenied, "only an admin may free a server's devices without its host").within("force"));
  auto done = write<DeleteResult>([&](WriteBatch* batch) -> Result<DeleteResult> {
    if (who.role == Role::Member) {
      auto row = state_.instance(id);
      if (!row && row.error().code() != ErrorCode::NotFound) return std::move(row).error();
      if (!row || !sees(who, row->project)) return Error(ErrorCode::NotFound, "no server " + quote(id));
    }
    const InstanceRecord* rec = controller_->fleet().instance(id);
    const std::string host = rec ? controller_->fleet().host(rec->host).name() : "";
    const auto status = controller_->server_status(id);
    const bool managed = !host.empty() && controller_->manages_devices(host);
    switch (status ? delete_action(*status, managed, force) : DeleteAction::ReleaseNow) {
      case DeleteAction::Nothing:
        return DeleteResult{false, ServerStatus::Deleting};
      case DeleteAction::MarkDeleting:
        // Its devices stay held until its host's agent has put them back.
        if (auto st = controller_->set_server_state(id, {ServerStatus::Deleting, "", ""}); !st) return std::move(st).error();
        commits_->touched_locked(host);
        return DeleteResult{false, ServerStatus::Deleting};
      case DeleteAction::ReleaseNow:
        break;
    }
    if (auto st = controller_->delete_server(id, batch); !st) return std::move(st).error();
    if (!host.empty()) commits_->touched_locked(host);
    return DeleteResult{};
  });
  if (done)
    note(LogLevel::Info, done->released ? "server.deleted" : "server.deleting",
         {{"server", id}, {"force", static_cast<int64_t>(force)}, {"caller", who.name}});
  return done;
}

namespace {
Status require_host_agent(const Principal& who, const std::string& host) {
  if (who.role == Role::Admin) return ok_status();
  if (who.role == Role::Agent && who.host == host) return ok_status();
  if (who.role == Role::Agent)
    return Error(ErrorCode::PermissionDenied, "token " + who.name + " may act only for host " + quote(who.host) + ", not " + quote(host));
  return Error(ErrorCode::PermissionDenied, "only the host's agent or an admin may do this; " + who.name + " is " + to_string(who.role));
}
}  // namespace

Result<HostAssignments> Service::host_assignments(const Principal& who, const std::string& host) {
  if (auto st = check_name(host, "host"); !st) return std::move(st).error();
  if (auto st = require_host_agent(who, host); !st) return std::move(st).error();
  return read<HostAssignments>([&]() -> Result<HostAssignments> {
    if (!controller_->fleet().find_host(host)) return Error(ErrorCode::NotFound, "no host " + quote(host));
    auto rows = state_.instances_on(host);
    if (!rows) return std::move(rows).error();
    HostAssignments out;
    out.host = host;
    out.generation = controller_->generation(host);
    out.manages_devices = controller_->manages_devices(host);
    auto stored = state_.host(host);
    if (!stored) return std::move(stored).error();
    out.locked = stored->locked;
    out.interfaces = stored->interfaces;
    auto bound = port_bindings_locked();
    if (!bound) return std::move(bound).error();
    for (const auto& row : *rows) {
      if (!controller_->fleet().instance(row.id)) continue;  // booted by another controller, not taken in yet
      auto view = server_view_locked(row.id, row.flavor, row.extra_specs, guest_of(row), row.disk_gb, (*bound)[row.id]);
      if (!view) return std::move(view).error();
      view->state = row.state;
      out.servers.push_back(std::move(*view));
    }
    return out;
  });
}

Result<std::optional<ServerView>> Service::server_outcome(const Principal& who, const ServerOutcome& outcome) {
  if (auto st = check_name(outcome.id, "id"); !st) return std::move(st).error();
  if (outcome.outcome == AgentOutcome::Failed && (outcome.step.empty() || outcome.message.empty()))
    return invalid("an error names the step that failed and what the host said (step, message)");
  auto done = write<std::optional<ServerView>>([&](WriteBatch* batch) -> Result<std::optional<ServerView>> {
    const InstanceRecord* rec = controller_->fleet().instance(outcome.id);
    if (!rec) {
      if (auto moved = controller_->refresh(commits_->sealed_hosts_locked()); !moved) return std::move(moved).error();
      rec = controller_->fleet().instance(outcome.id);
    }
    if (!rec) return Error(ErrorCode::NotFound, "no server " + quote(outcome.id));
    const std::string host = controller_->fleet().host(rec->host).name();
    if (auto st = require_host_agent(who, host); !st) return std::move(st).error();
    auto row = state_.instance(outcome.id);
    if (!row) return std::move(row).error();
    auto next = apply_outcome(row->state.status, outcome.outcome);
    if (!next) return std::move(next).error();
    if (!*next) {  // restored: its devices are free now
      if (auto st = controller_->delete_server(outcome.id, batch); !st) return std::move(st).error();
      commits_->touched_locked(host);
      return std::optional<ServerView>();
    }
    // Active: what the agent did (its steps); error: the step that failed and why.
    ServerState state{**next, outcome.step.substr(0, 1024), outcome.message.substr(0, 4096)};
    if (state.status == row->state.status && state.step.empty() && state.message.empty()) state = row->state;  // said again
    if (state != row->state) {
      if (auto st = controller_->set_server_state(outcome.id, state); !st) return std::move(st).error();
      commits_->touched_locked(host);
    }
    auto bound = port_bindings_locked();
    if (!bound) return std::move(bound).error();
    auto view = server_view_locked(outcome.id, row->flavor, row->extra_specs, guest_of(*row), row->disk_gb, (*bound)[outcome.id]);
    if (!view) return std::move(view).error();
    view->state = state;
    return std::optional<ServerView>(std::move(*view));
  });
  if (done)
    note(LogLevel::Info, *done ? "server.status" : "server.deleted",
         {{"server", outcome.id},
          {"status", *done ? std::string(to_string((*done)->state.status)) : std::string("gone")},
          {"step", outcome.step},
          {"message", outcome.message},
          {"caller", who.name}});
  return done;
}

std::optional<uint64_t> Service::watch_host(const std::string& host, uint64_t after, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (controller_->generation(host) != after) return std::nullopt;
  const uint64_t id = ++next_watch_;
  watches_[host].push_back({id, std::move(wake)});
  watch_hosts_.emplace(id, host);
  return id;
}

void Service::unwatch(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = watch_hosts_.find(id);
  if (it == watch_hosts_.end()) return;  // woken already
  auto w = watches_.find(it->second);
  if (w != watches_.end()) {
    std::erase_if(w->second, [&](const Watch& x) { return x.id == id; });
    if (w->second.empty()) watches_.erase(w);
  }
  watch_hosts_.erase(it);
}

void Service::host_changed_locked(const std::string& host) {
  auto it = watches_.find(host);
  if (it == watches_.end()) return;
  std::vector<Watch> woken = std::move(it->second);
  watches_.erase(it);
  for (auto& w : woken) {
    watch_hosts_.erase(w.id);
    w.wake();
  }
}

}  // namespace pcipass
