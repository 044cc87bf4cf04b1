#include "controller/controller.h"

#include <algorithm>

#include "controller/reconcile.h"
#include "core/boot.h"
#include "core/extra_specs.h"
#include "core/tenancy.h"

namespace pcipass {

namespace {
constexpr int kMaxAttempts = 32;
}

Result<std::unique_ptr<Controller>> Controller::open(StateStore& store, PciConfig config) {
  std::unique_ptr<Controller> c(new Controller(store, std::move(config)));
  if (auto st = c->reload(); !st) return std::move(st).error();
  return c;
}

std::vector<DeviceSpec> Controller::interface_specs(const HostRecord& h) {
  std::vector<DeviceSpec> out;
  for (const auto& i : h.interfaces) out.push_back(DeviceSpec::for_interface(i));
  return out;
}

bool Controller::add_interface_aliases(const HostRecord& h) {
  if (h.interfaces.empty()) return false;
  const size_t before = config_.aliases.aliases().size();
  config_.aliases.add_port_aliases(DeviceSpecList().after(interface_specs(h)));
  return config_.aliases.aliases().size() != before;
}

Result<HostInventory> Controller::build_inventory(const HostRecord& h, Fleet& fleet) {
  // Vanished devices stay listed, gone: their holder keeps them and their relatives stay blocked.
  std::vector<DeviceFacts> facts;
  std::vector<bool> gone;
  facts.reserve(h.devices.size());
  for (const auto& d : h.devices) {
    facts.push_back(d.facts);
    gone.push_back(d.vanished);
  }
  // What the agent said the host cannot do (each problem names its fix).
  std::string unready;
  if (h.platform)
    for (const auto& p : h.platform->problems) unready += (unready.empty() ? "" : "; ") + p;
  // Its interfaces' entries come first: what its operator set for it wins over device_spec.
  std::optional<DeviceSpecList> local;
  if (!h.interfaces.empty()) local = config_.device_spec.after(interface_specs(h));
  auto inv = HostInventory::build(h.name, h.numa, facts, local ? *local : config_.device_spec, fleet.classes(), gone, unready);
  if (!inv) return std::move(std::move(inv).error().within("host " + h.name));
  inv->set_locked(h.locked);
  return inv;
}

void Controller::note_vanished(const HostRecord& h, std::map<std::string, std::vector<VanishedDevice>>& vanished) {
  vanished.erase(h.name);
  for (const auto& d : h.devices)
    if (d.vanished) vanished[h.name].push_back({d, ""});
}

namespace {
// What a rebuild found in the store that breaks a rule, by host and by server.
void add_problem(std::vector<std::string>& list, std::string line) {
  if (std::find(list.begin(), list.end(), line) == list.end()) list.push_back(std::move(line));
}
}  // namespace

Status Controller::apply_instance(Fleet& fleet, const InstanceRecordRow& in, std::map<std::string, std::vector<VanishedDevice>>& vanished,
                                  Problems& problems) {
  status_[in.id] = in.state.status;
  auto hi = fleet.find_host(in.host);
  if (!hi) {
    add_problem(problems.servers[in.id], "it is on host " + in.host + ", which the store does not hold");
    return ok_status();
  }
  const HostInventory& host = fleet.host(*hi);
  std::vector<std::string> issues;
  InstanceShape shape;
  shape.vcpus = in.vcpus;
  shape.memory_mb = in.memory_mb;
  BootPlan plan;
  plan.host = *hi;
  uint32_t requests = 0;
  for (const auto& a : in.devices) requests = std::max(requests, a.request + 1);
  plan.fit.devices.resize(requests);
  shape.pci.resize(requests);
  for (const auto& a : in.devices) {
    auto d = host.find(a.address);
    if (!d) {
      issues.push_back("it holds " + a.address.to_string() + ", which " + in.host + " does not list");
      continue;
    }
    if (host.devices()[*d].gone)  // vanished: still held, flagged in the store
      if (auto it = vanished.find(in.host); it != vanished.end())
        for (auto& v : it->second)
          if (v.device.facts.address == a.address) v.owner = in.id;
    plan.fit.devices[a.request].push_back(*d);
  }
  if (!in.cells.empty()) {
    shape.numa = std::vector<InstanceCell>{};
    for (const auto& [cell_id, use] : in.cells) {
      auto idx = host.cell_index(cell_id);
      if (!idx) {
        issues.push_back("it uses NUMA cell " + std::to_string(cell_id) + ", which " + in.host + " no longer reports");
        continue;
      }
      plan.fit.cells.push_back(*idx);
      shape.numa->push_back({use.first, use.second});
    }
  }
  if (issues.empty() && fleet.claim(in.id, shape, plan, ClaimMode::Restore)) return ok_status();
  // The store holds it: take it back whatever the rules, and say what it breaks.
  for (const auto& request : plan.fit.devices)
    for (DeviceIndex d : request)
      if (!host.restorable(d))
        add_problem(problems.devices[{in.host, host.devices()[d].address}], "held by " + in.id + ": " + host.unavailable_reason(d));
  std::vector<std::string> broken;
  auto forced = fleet.claim(in.id, shape, plan, ClaimMode::Force, &broken);
  if (!forced) return std::move(std::move(forced).error().within("restoring server " + in.id));
  issues.insert(issues.end(), broken.begin(), broken.end());
  for (auto& line : issues) {
    add_problem(problems.hosts[in.host], "server " + in.id + ": " + line);
    add_problem(problems.servers[in.id], std::move(line));
  }
  return ok_status();
}

Result<HostInventory> Controller::inventory_or_empty(const HostRecord& h, Fleet& fleet, Problems& problems) {
  auto inv = build_inventory(h, fleet);
  if (inv) return inv;
  // Unreadable (an older pcipass, an edit by hand): the host is kept, empty and blocked.
  add_problem(problems.hosts[h.name], "its stored inventory cannot be used: " + inv.error().describe());
  auto empty = HostInventory::build(h.name, std::nullopt, {}, config_.device_spec, fleet.classes());
  if (!empty) return std::move(empty).error();
  return empty;
}

void Controller::set_log(std::function<void(const std::string&)> log) {
  log_ = std::move(log);
  if (log_) settle_problems({host_problems_, server_problems_, device_problems_}, {}, {});
}

void Controller::settle_problems(const Problems& found, const std::set<std::string>& hosts_checked,
                                 const std::set<std::string>& servers_checked) {
  for (const auto& h : hosts_checked) {
    host_problems_.erase(h);
    std::erase_if(device_problems_, [&](const auto& kv) { return kv.first.first == h; });
  }
  for (const auto& id : servers_checked) server_problems_.erase(id);
  for (const auto& [device, lines] : found.devices) device_problems_[device] = lines;
  for (const auto& [host, lines] : found.hosts) {
    host_problems_[host] = lines;
    if (auto hi = fleet_->find_host(host)) fleet_->block_host(*hi, lines.front() + (lines.size() > 1 ? " (and more)" : ""));
    for (const auto& line : lines)
      if (log_ && !quiet_ && logged_.insert(host + ": " + line).second) log_("host " + host + " takes no new placements: " + line);
  }
  for (const auto& [id, lines] : found.servers) {
    server_problems_[id] = lines;
    for (const auto& line : lines)
      if (log_ && !quiet_ && logged_.insert(id + ": " + line).second) log_("server " + id + ": " + line);
  }
  if (!log_ || quiet_) return;
  // What the configuration gets wrong about a host's devices: said once, blocks nothing.
  auto say_findings = [&](const HostInventory& h) {
    for (const auto& line : h.config_findings())
      if (logged_.insert(h.name() + ": " + line).second) log_("host " + h.name() + ": " + line);
  };
  if (hosts_checked.empty()) {
    for (HostIndex i = 0; i < fleet_->host_count(); ++i) say_findings(fleet_->host(i));
  } else {
    for (const auto& name : hosts_checked)
      if (auto hi = fleet_->find_host(name)) say_findings(fleet_->host(*hi));
  }
}

Status Controller::reload() {
  auto hosts = store_.hosts();
  if (!hosts) return std::move(hosts).error();
  auto instances = store_.instances();
  if (!instances) return std::move(instances).error();
  for (const auto& h : *hosts) add_interface_aliases(h);
  auto fleet = std::make_unique<Fleet>(config_.aliases);
  std::vector<HostInventory> built;
  std::map<std::string, uint64_t> generation;
  std::map<std::string, std::vector<VanishedDevice>> vanished;
  Problems found;
  std::set<std::string> managing;
  for (const auto& h : *hosts) {
    auto inv = inventory_or_empty(h, *fleet, found);
    if (!inv) return std::move(inv).error();
    note_vanished(h, vanished);
    built.push_back(std::move(*inv));
    generation[h.name] = h.generation;
    if (h.manages_devices) managing.insert(h.name);
  }
  if (auto added = fleet->add_hosts(std::move(built)); !added) return std::move(added).error();
  status_.clear();
  for (const auto& in : *instances)
    if (auto st = apply_instance(*fleet, in, vanished, found); !st) return st;
  fleet_ = std::move(fleet);
  managing_ = std::move(managing);
  std::swap(generation_, generation);
  if (on_change_)
    for (const auto& [name, g] : generation_)
      if (auto was = generation.find(name); was == generation.end() || was->second != g) on_change_(name);
  vanished_ = std::move(vanished);
  host_problems_.clear();
  server_problems_.clear();
  device_problems_.clear();
  settle_problems(found, {}, {});
  return ok_status();
}

Status Controller::rebuild_host(const std::string& name) {
  auto h = store_.host(name);
  if (!h) return std::move(h).error();
  auto on = store_.instances_on(name);
  if (!on) return std::move(on).error();
  if (add_interface_aliases(*h)) return reload();  // a data network new to the fleet: its port aliases
  Problems found;
  auto inv = inventory_or_empty(*h, *fleet_, found);
  if (!inv) return std::move(inv).error();
  auto evicted = fleet_->replace_host(std::move(*inv));
  if (!evicted) return std::move(evicted).error();
  note_vanished(*h, vanished_);
  note_host(*h);
  std::set<std::string> servers;
  for (const auto& id : *evicted) status_.erase(id);
  for (const auto& in : *on) {
    servers.insert(in.id);
    if (auto st = apply_instance(*fleet_, in, vanished_, found); !st) return st;
  }
  for (const auto& id : *evicted) servers.insert(id);
  settle_problems(found, {name}, servers);
  set_generation(name, h->generation);
  return ok_status();
}

Result<size_t> Controller::refresh(const std::set<std::string>& unsettled) {
  // Nobody else committed since the last look: nothing can have moved.
  auto marker = store_.others_commit_marker();
  if (!marker) return std::move(marker).error();
  if (*marker && marker_ == *marker) return size_t{0};
  auto gens = store_.host_generations();
  if (!gens) return std::move(gens).error();
  marker_ = *marker;
  std::vector<std::string> moved;
  for (const auto& [name, g] : *gens) {
    if (unsettled.count(name)) continue;  // its commit is on its way; the store shows it soon
    auto it = generation_.find(name);
    if (it == generation_.end() || it->second != g) moved.push_back(name);
  }
  // Many hosts moved (or some left): one full rebuild is cheaper and simpler.
  if (moved.size() > 64 && moved.size() * 4 > gens->size()) {
    if (auto st = reload(); !st) return std::move(st).error();
    return moved.size();
  }
  for (const auto& name : moved)
    if (auto st = rebuild_host(name); !st) {
      // The fleet may be half-updated: rebuild it whole.
      if (auto full = reload(); !full) return std::move(full).error();
      return moved.size();
    }
  return moved.size();
}

Status Controller::set_config(PciConfig config) {
  // Tried on a fleet of its own: taken only if the store's servers fit it as they fit
  // the running one (no problem it would add), else nothing changes.
  PciConfig old = std::move(config_);
  auto old_fleet = std::move(fleet_);
  auto old_generation = generation_;
  auto old_vanished = vanished_;
  auto old_hosts = host_problems_, old_servers = server_problems_;
  auto old_devices = device_problems_;
  config_ = std::move(config);
  config_.aliases.add_port_aliases(config_.device_spec);
  quiet_ = true;
  auto st = reload();
  quiet_ = false;
  std::string added;
  if (st)
    for (const auto& [host, lines] : host_problems_)
      for (const auto& line : lines) {
        auto was = old_hosts.find(host);
        if (added.empty() && (was == old_hosts.end() || std::find(was->second.begin(), was->second.end(), line) == was->second.end()))
          added = host + ": " + line;
      }
  if (!st || !added.empty()) {
    config_ = std::move(old);
    fleet_ = std::move(old_fleet);
    generation_ = std::move(old_generation);
    vanished_ = std::move(old_vanished);
    host_problems_ = std::move(old_hosts);
    server_problems_ = std::move(old_servers);
    device_problems_ = std::move(old_devices);
    if (!st) return st;  // the store's trouble, not the configuration's
    return Error(ErrorCode::Conflict, "the new configuration does not fit what the store holds, so it was not taken: " + added);
  }
  flavors_.clear();
  settle_problems({host_problems_, server_problems_, device_problems_}, {}, {});  // said now that it is taken
  return ok_status();
}

Result<ReportOutcome> Controller::report_host(HostRecord report) {
  if (report.name.empty()) return invalid("a host needs a name");
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto stored = store_.host(report.name);
    if (!stored && stored.error().code() != ErrorCode::NotFound) return std::move(stored).error();
    HostRecord current = stored ? std::move(*stored) : HostRecord{};
    auto on = store_.instances_on(report.name);
    if (!on) return std::move(on).error();
    std::vector<AllocationRecord> held;
    for (const auto& in : *on) held.insert(held.end(), in.devices.begin(), in.devices.end());
    auto plan = reconcile(current, held, report);
    if (!plan) return std::move(plan).error();
    // Refuse, before writing, an inventory the scheduler cannot take.
    if (auto inv = build_inventory(plan->record, *fleet_); !inv) return std::move(inv).error();
    auto written = store_.report_host(plan->record, plan->moves, current.generation);
    if (!written) {
      if (written.error().code() != ErrorCode::HostMoved) return std::move(written).error();
      ++conflicts_;
      continue;
    }
    if (auto st = rebuild_host(report.name); !st) {
      if (auto full = reload(); !full) return std::move(full).error();
    }
    return ReportOutcome{*written, std::move(plan->notes)};
  }
  return Error(ErrorCode::Busy, "host " + report.name + " kept changing while its report was reconciled; report again");
}

Result<InstanceShape> Controller::shape_of(const std::string& flavor_name, FlavorRecord* record) {
  auto flavor = store_.flavor(flavor_name);
  if (!flavor) return std::move(flavor).error();
  if (record) *record = *flavor;
  std::vector<std::string> ignored;
  auto shape = parse_flavor(flavor->vcpus, flavor->memory_mb, flavor->extra_specs, config_.aliases, ignored);
  if (!shape) return std::move(std::move(shape).error().within("flavor " + flavor_name));
  return shape;
}

Result<const Controller::CachedFlavor*> Controller::cached_flavor(const std::string& name) {
  if (auto it = flavors_.find(name); it != flavors_.end()) return &it->second;
  FlavorRecord record;
  auto shape = shape_of(name, &record);
  if (!shape) return std::move(shape).error();
  return &flavors_.insert_or_assign(name, CachedFlavor{std::move(record), std::move(*shape)}).first->second;
}

Result<Controller::Verdicts> Controller::explain(const std::string& flavor, const ExplainQuery& query) {
  auto shape = shape_of(flavor);
  if (!shape) return std::move(shape).error();
  Verdicts out;
  auto verdict = [&](HostIndex h) {
    const bool fits = fleet_->fits_now(*shape, h);
    out.hosts.push_back({fleet_->host(h).name(), fits, fits ? std::string() : fleet_->explain_one(*shape, h)});
  };
  if (query.host) {
    auto only = fleet_->find_host(*query.host);
    if (!only) return Error(ErrorCode::NotFound, "no host " + quote(*query.host));
    verdict(*only);
    out.fits_on = out.hosts.front().fits ? 1 : 0;
    out.refused = 1 - out.fits_on;
    out.why = fleet_->explain_grouped(*shape, *only);
    return out;
  }
  out.fits_on = fleet_->count_fitting(*shape);
  out.refused = fleet_->host_count() - out.fits_on;
  out.why = fleet_->explain_grouped(*shape, std::nullopt);
  if (query.per_host) {
    auto page = fleet_->hosts_after(query.marker, query.limit + 1);
    if (page.size() > query.limit) {
      page.pop_back();
      out.next = fleet_->host(page.back()).name();
    }
    for (HostIndex h : page) verdict(h);
  }
  return out;
}

Error Controller::no_valid_host(const std::string& id, const std::string& flavor, const InstanceShape& shape,
                                std::optional<HostIndex> forced) const {
  constexpr size_t kHostsNamed = 10;
  std::vector<Rejection> first;
  if (forced) {
    first.push_back({fleet_->host(*forced).name(), fleet_->explain_one(shape, *forced)});
  } else {
    for (HostIndex h : fleet_->hosts_after("", fleet_->host_count())) {
      if (first.size() == kHostsNamed) break;
      if (!fleet_->fits_now(shape, h)) first.push_back({fleet_->host(h).name(), fleet_->explain_one(shape, h)});
    }
  }
  return std::move(Error(ErrorCode::NoValidHost, "No valid host was found for " + quote(id) + " (flavor " + flavor + ")")
                       .with_groups(fleet_->explain_grouped(shape, forced))
                       .with_rejections(std::move(first)));
}

Result<ServerPlacement> Controller::create_server(const std::string& id, const std::string& flavor_name,
                                                  const std::optional<std::string>& forced, WriteBatch* defer_into,
                                                  const GuestNames& guest, const Admission* admission) {
  if (id.empty()) return invalid("a server needs an id");
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto flavor = cached_flavor(flavor_name);
    if (!flavor) {
      Error e = std::move(flavor).error();
      if (e.code() == ErrorCode::NotFound) e.within("flavor");
      return e;
    }
    const InstanceShape* shape = &(*flavor)->shape;
    InstanceShape with_ports;
    const uint32_t flavor_requests = static_cast<uint32_t>(shape->pci.size());
    if (admission && !admission->port_requests.empty()) {
      with_ports = *shape;
      with_ports.pci.insert(with_ports.pci.end(), admission->port_requests.begin(), admission->port_requests.end());
    }
    std::optional<HostIndex> host_index;
    if (forced) {
      host_index = fleet_->find_host(*forced);
      if (!host_index) return std::move(Error(ErrorCode::NotFound, "no host " + quote(*forced)).within("host"));
    }
    std::vector<std::pair<std::string, uint64_t>> usage;
    if (admission) {
      if (!admission->project.empty()) usage = quota_usage(*shape);  // the flavor's: a project's ports count as ports
      if (admission->check)
        if (auto st = admission->check(usage); !st) return std::move(st).error();
      if (!admission->port_requests.empty()) shape = &with_ports;
    }
    auto planned = plan_boot(*fleet_, id, *shape, host_index, Weigher::Pack);
    if (!planned && planned.error().code() == ErrorCode::NoValidHost) {
      // Before saying no, make sure the fleet is current: another controller may have freed devices.
      auto moved = refresh();
      if (!moved) return std::move(moved).error();
      if (*moved > 0) {
        ++conflicts_;
        continue;
      }
      return no_valid_host(id, flavor_name, *shape, host_index);
    }
    if (!planned) return std::move(planned).error();
    InstanceRecordRow row;
    row.id = id;
    row.host = planned->host;
    row.flavor = flavor_name;
    row.flavor_revision = (*flavor)->record.revision;
    row.extra_specs = (*flavor)->record.extra_specs;
    row.state.status = initial_status(manages_devices(planned->host));
    row.base_domain = guest.base_domain;
    row.image = guest.image;
    row.key_name = guest.key_name;
    row.disk_gb = (*flavor)->record.disk_gb;
    if (admission) {
      row.project = admission->project;
      if (!row.project.empty()) row.usage = usage;
      for (size_t i = 0; i < admission->ports.size(); ++i) row.ports.emplace_back(admission->ports[i], flavor_requests + static_cast<uint32_t>(i));
    }
    row.vcpus = shape->vcpus;
    row.memory_mb = shape->memory_mb;
    for (const auto& c : planned->cells) row.cells.push_back({c.cell_id, {c.vcpus, c.memory_mb}});
    for (const auto& d : planned->devices) row.devices.push_back({row.host, d.address, id, d.request});
    const std::string host_name = planned->host;
    auto written = defer_into ? defer_into->claim(row, generation_[host_name]) : store_.claim(row, generation_[host_name]);
    if (!written) {
      switch (written.error().code()) {
        case ErrorCode::FlavorChanged:  // another controller changed it: read it again
          flavors_.erase(flavor_name);
          ++conflicts_;
          continue;
        case ErrorCode::HostMoved:
        case ErrorCode::DeviceHeld:  // another controller moved the host: take its view and plan again
          ++conflicts_;
          if (pause_) pause_(attempt + 1);
          if (auto st = rebuild_host(row.host); !st) return std::move(st).error();
          if (auto moved = refresh(); !moved) return std::move(moved).error();
          continue;
        default:
          return std::move(written).error();
      }
    }
    auto claimed = record_boot(*fleet_, id, *shape, *planned);
    if (!claimed) {
      // The store has the claim; the fleet disagrees, so rebuild the host from the store.
      if (auto st = rebuild_host(host_name); !st)
        if (auto full = reload(); !full) return std::move(full).error();
    } else {
      status_[id] = row.state.status;
      set_generation(host_name, *written);
    }
    ServerPlacement out;
    out.id = id;
    out.requests = shape->pci.size();
    out.host = row.host;
    for (const auto& a : row.devices) out.devices.push_back(a.address);
    std::sort(out.devices.begin(), out.devices.end());
    for (const auto& c : row.cells) out.numa_cells.push_back(c.first);
    out.flavor = flavor_name;
    out.flavor_extra_specs = (*flavor)->record.extra_specs;
    out.disk_gb = row.disk_gb;
    return out;
  }
  return Error(ErrorCode::Busy, "gave up on " + quote(id) + " after " + std::to_string(kMaxAttempts) +
                                           " attempts: other controllers keep changing the hosts it fits on");
}

Status Controller::delete_server(const std::string& id, WriteBatch* defer_into) {
  const InstanceRecord* rec = fleet_->instance(id);
  if (!rec) {  // the fleet does not know it (another controller booted it, or nobody did)
    if (auto st = store_.release(id); !st) return st;
    server_problems_.erase(id);
    status_.erase(id);
    auto moved = refresh();
    if (!moved) return std::move(moved).error();
    return ok_status();
  }
  const HostInventory& inventory = fleet_->host(rec->host);
  const std::string host = inventory.name();
  // The store drops the vanished devices it held: rebuild the host to drop them here
  // too; and a blocked host may be consistent without it: look again.
  const bool held_gone = std::any_of(rec->devices.begin(), rec->devices.end(), [&](DeviceIndex d) { return inventory.devices()[d].gone; });
  const bool recheck = held_gone || !inventory.blocked().empty() || server_problems_.count(id);
  if (auto st = defer_into ? defer_into->release(id) : store_.release(id); !st) return st;
  server_problems_.erase(id);
  status_.erase(id);
  if (auto st = fleet_->free(id); !st || recheck) return rebuild_host(host);
  set_generation(host, generation_[host] + 1);
  return ok_status();
}

Status Controller::set_server_state(const std::string& id, const ServerState& state) {
  auto written = store_.set_server_state(id, state);
  if (!written) return std::move(written).error();
  const InstanceRecord* rec = fleet_->instance(id);
  if (!rec) {  // another controller's: take it in
    auto moved = refresh();
    if (!moved) return std::move(moved).error();
    return ok_status();
  }
  status_[id] = state.status;
  const std::string host = fleet_->host(rec->host).name();  // a copy: a rebuild replaces the inventory
  // One more than planned on: this write alone moved it. Else another controller's
  // did too: rebuild from the store.
  if (*written == generation_[host] + 1) set_generation(host, *written);
  else return rebuild_host(host);
  return ok_status();
}

Status Controller::set_host_interface(const std::string& host, const HostInterface& iface) {
  auto written = store_.set_host_interface(host, iface);
  if (!written) return std::move(written).error();
  return rebuild_host(host);
}

Status Controller::set_host_locked(const std::string& host, bool locked) {
  auto written = store_.set_host_locked(host, locked);
  if (!written) return std::move(written).error();
  return rebuild_host(host);
}

std::optional<ServerStatus> Controller::server_status(const std::string& id) const {
  auto it = status_.find(id);
  if (it == status_.end()) return std::nullopt;
  return it->second;
}

uint64_t Controller::generation(const std::string& host) const {
  auto it = generation_.find(host);
  return it == generation_.end() ? 0 : it->second;
}

void Controller::set_generation(const std::string& host, uint64_t generation) {
  uint64_t& g = generation_[host];
  if (g == generation) return;
  g = generation;
  if (on_change_) on_change_(host);
}

void Controller::note_host(const HostRecord& host) {
  if (host.manages_devices) managing_.insert(host.name);
  else managing_.erase(host.name);
}

Status Controller::rebuild_hosts(const std::set<std::string>& hosts) {
  flavors_.clear();
  for (const auto& name : hosts) {
    auto st = fleet_->find_host(name) ? rebuild_host(name) : Status(ok_status());
    if (!st) return reload();
  }
  if (auto moved = refresh(); !moved) return std::move(moved).error();
  return ok_status();
}

}  // namespace pcipass
