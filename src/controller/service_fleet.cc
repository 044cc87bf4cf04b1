// The service's calls about hosts and devices: agent reports, views of the fleet,
// explanations and capacity.
#include <algorithm>

#include "controller/service_calls.h"

namespace pcipass {

const char* to_string(DeviceStatus status) {
  switch (status) {
    case DeviceStatus::Available: return "available";
    case DeviceStatus::Allocated: return "allocated";
    case DeviceStatus::Unavailable: return "unavailable";
    case DeviceStatus::NotAllowListed: return "not-allow-listed";
    case DeviceStatus::Bridge: return "bridge";
    case DeviceStatus::Vanished: return "vanished";
    case DeviceStatus::NeedsAttention: return "needs-attention";
  }
  return "unavailable";
}

std::optional<DeviceStatus> parse_device_status(std::string_view text) {
  for (auto s : {DeviceStatus::Available, DeviceStatus::Allocated, DeviceStatus::Unavailable, DeviceStatus::NotAllowListed,
                 DeviceStatus::Bridge, DeviceStatus::Vanished, DeviceStatus::NeedsAttention})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

namespace {

HostSummary summary_of(const HostInventory& h) {
  HostSummary s;
  s.name = h.name();
  s.devices = h.present_devices();
  for (const auto& d : h.devices()) s.allow_listed += d.pool.has_value() ? 1 : 0;
  s.free = h.free_devices();
  s.vcpus_used = h.used_vcpus();
  s.memory_mb_used = h.used_memory_mb();
  if (h.total_vcpus()) s.vcpus = *h.total_vcpus();
  if (h.total_memory_mb()) s.memory_mb = *h.total_memory_mb();
  s.locked = h.locked();
  if (!h.blocked().empty()) s.blocked = h.blocked();
  if (!h.open_for_placements()) s.free = 0;  // nothing is handed out there
  return s;
}

// A held device gone from its host's reports, as the device views show it.
DeviceView vanished_view(const std::string& host, const VanishedDevice& gone) {
  DeviceView v;
  v.host = host;
  v.status = DeviceStatus::Vanished;
  if (!gone.owner.empty()) v.owner = gone.owner;
  v.last_seen = gone.device;
  v.address = gone.device.facts.address;
  return v;
}

std::vector<HostIndex> hosts_by_name(const Fleet& f) { return f.hosts_after("", f.host_count()); }

}  // namespace

DeviceStatus Service::device_status_locked(uint32_t hi, uint32_t di) const {
  const Fleet& f = controller_->fleet();
  const HostInventory& h = f.host(hi);
  const Device& d = h.devices()[di];
  const bool owned = d.owner && f.instance_at(*d.owner);
  // A restore that failed: never silently available, whoever held it.
  if (h.needs_attention(di) && !owned) return DeviceStatus::NeedsAttention;
  DeviceStatus s = !d.pool ? DeviceStatus::NotAllowListed : owned ? DeviceStatus::Allocated : h.available(di) ? DeviceStatus::Available
                                                                                                             : DeviceStatus::Unavailable;
  if (d.bridge) s = DeviceStatus::Bridge;
  // Admitted by device_spec but withheld by what its host said: unavailable, saying why.
  if (!d.pool && !h.withheld_reason(di).empty()) s = owned ? DeviceStatus::Allocated : DeviceStatus::Unavailable;
  if (s == DeviceStatus::Available && !h.open_for_placements()) s = DeviceStatus::Unavailable;
  return s;
}

DeviceView Service::device_view_locked(uint32_t hi, uint32_t di, bool detail) const {
  const Fleet& f = controller_->fleet();
  const HostInventory& h = f.host(hi);
  const Device& d = h.devices()[di];
  DeviceView v;
  v.host = h.name();
  v.address = d.address;
  v.vendor_id = d.vendor_id;
  v.product_id = d.product_id;
  v.type = d.type;
  v.numa_node = d.numa_node;
  const InstanceRecord* owner = d.owner ? f.instance_at(*d.owner) : nullptr;
  v.status = device_status_locked(hi, di);
  const bool host_closed = !h.open_for_placements();
  if (owner) v.owner = owner->id;
  if (auto p = controller_->device_problems().find({h.name(), d.address}); p != controller_->device_problems().end())
    v.problems = p->second;
  if (v.status == DeviceStatus::Unavailable)
    v.reason = !host_closed || !h.available(di) ? h.unavailable_reason(di)
               : h.locked()                     ? "host " + h.name() + " is locked"
                                                : "host blocked: " + h.blocked();
  // A restore that failed: never silently available, whoever held it.
  if (v.status == DeviceStatus::NeedsAttention) v.reason = h.unavailable_reason(di);
  if (d.parent) v.physfn = h.devices()[*d.parent].address;
  v.fixed = h.fixed(di);
  std::optional<DeviceView::Detail> more;
  if (detail) more.emplace();
  if (d.pool) {
    const DeviceClass& dc = f.classes().get(h.pools()[*d.pool].class_id);
    for (const auto& a : f.aliases().aliases())
      if (!a.for_ports && a.admits(dc.vendor_id, dc.product_id, dc.type, dc.live_migratable, dc.tags)) v.aliases.push_back(a.name);
    if (more)
      for (const auto& t : dc.tags) more->tags.emplace_back(t.key, t.value);
  }
  if (!more) return v;
  for (DeviceIndex vf : h.vfs_of(di)) more->vfs.push_back(h.devices()[vf].address);
  if (d.type == DeviceType::Pf) {
    more->sriov_numvfs = h.enabled_vfs(di);
    more->vfs_in_use = d.vfs_in_use;
  }
  if (d.group) {
    const IommuGroup& g = h.groups()[*d.group];
    IommuGroupView group{g.number, {}, g.assignable};
    for (DeviceIndex m : g.endpoints) group.endpoints.push_back(h.devices()[m].address);
    more->iommu_group = std::move(group);
  }
  v.detail = std::move(more);
  return v;
}

namespace {
std::string joined_notes(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes) out += (out.empty() ? "" : "; ") + n;
  return out;
}
}  // namespace

Result<ReportResult> Service::report_host(const Principal& who, HostRecord report) {
  if (auto st = check_name(report.name, "host"); !st) return std::move(st).error();
  if (who.role != Role::Admin && who.role != Role::Agent)
    return Error(ErrorCode::PermissionDenied, std::string(to_string(who.role)) + "s cannot report inventory");
  if (who.role == Role::Agent && who.host != report.name)
    return Error(ErrorCode::PermissionDenied,
                 "token " + who.name + " may report only for host " + quote(who.host) + ", not " + quote(report.name));
  auto done = write<ReportResult>([&](WriteBatch*) -> Result<ReportResult> {
    const bool existed = controller_->fleet().find_host(report.name).has_value();
    auto out = controller_->report_host(report);
    if (!out) return std::move(out).error();
    commits_->touched_locked(report.name);
    last_report_[report.name] = clock_.now();
    return ReportResult{report.name, out->generation, !existed, std::move(out->notes)};
  });
  if (done && (done->created || !done->notes.empty()))
    note(LogLevel::Info, done->created ? "host.registered" : "host.changed",
         {{"host", done->host},
          {"generation", static_cast<int64_t>(done->generation)},
          {"devices", static_cast<int64_t>(report.devices.size())},
          {"notes", joined_notes(done->notes)},
          {"caller", who.name}});
  return done;
}

Result<std::vector<HostSummary>> Service::list_hosts(const Principal& who) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<std::vector<HostSummary>>([&]() -> Result<std::vector<HostSummary>> {
    const Fleet& f = controller_->fleet();
    std::vector<HostSummary> out;
    for (HostIndex i : hosts_by_name(f)) out.push_back(summary_of(f.host(i)));
    return out;
  });
}

Result<HostSummary> Service::lock_host(const Principal& who, const std::string& name, bool locked) {
  if (auto st = require_admin(who); !st) return std::move(st).error();
  auto done = write<HostSummary>([&](WriteBatch*) -> Result<HostSummary> {
    auto hi = controller_->fleet().find_host(name);
    if (!hi) return Error(ErrorCode::NotFound, "no host " + quote(name));
    if (controller_->fleet().host(*hi).locked() != locked) {
      if (auto st = controller_->set_host_locked(name, locked); !st) return std::move(st).error();
      commits_->touched_locked(name);
      hi = controller_->fleet().find_host(name);
      if (!hi) return Error(ErrorCode::NotFound, "no host " + quote(name));
    }
    return summary_of(controller_->fleet().host(*hi));
  });
  if (done) note(LogLevel::Info, locked ? "host.locked" : "host.unlocked", {{"host", name}, {"caller", who.name}});
  return done;
}

Result<HostDetail> Service::show_host(const Principal& who, const std::string& name) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<HostDetail>([&]() -> Result<HostDetail> {
    auto stored = state_.host(name);
    if (!stored) return std::move(stored).error();
    auto hi = controller_->fleet().find_host(name);
    if (!hi) return Error(ErrorCode::NotFound, "no host " + quote(name));
    const HostInventory& h = controller_->fleet().host(*hi);
    HostDetail out;
    out.summary = summary_of(h);
    out.generation = stored->generation;
    if (auto p = controller_->host_problems().find(name); p != controller_->host_problems().end()) out.problems = p->second;
    out.config_findings = h.config_findings();
    out.platform = stored->platform;
    if (h.has_numa_data()) {
      out.numa.emplace();
      for (const auto& c : h.cells())
        out.numa->push_back({c.id, c.cpus, c.memory_mb, c.used_cpus, c.used_memory_mb, h.free_devices_on_cell(c.id)});
    }
    for (uint32_t d = 0; d < h.devices().size(); ++d)
      if (!h.devices()[d].gone) out.devices.push_back(device_view_locked(*hi, d, false));
    if (auto v = controller_->vanished().find(name); v != controller_->vanished().end())
      for (const auto& gone : v->second) out.devices.push_back(vanished_view(name, gone));
    return out;
  });
}

Result<std::vector<DeviceView>> Service::list_devices(const Principal& who, const DeviceFilter& filter) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<std::vector<DeviceView>>([&]() -> Result<std::vector<DeviceView>> {
    const Fleet& f = controller_->fleet();
    if (filter.alias && !f.aliases().find(*filter.alias)) return std::move(Error(ErrorCode::NotFound, "no alias " + quote(*filter.alias)).within("alias"));
    std::vector<HostIndex> hosts;
    if (filter.host) {
      auto only = f.find_host(*filter.host);
      if (!only) return std::move(Error(ErrorCode::NotFound, "no host " + quote(*filter.host)).within("host"));
      hosts.push_back(*only);
    } else {
      hosts = hosts_by_name(f);
    }
    std::vector<DeviceView> out;
    for (HostIndex hi : hosts) {
      const HostInventory& h = f.host(hi);
      for (uint32_t d = 0; d < h.devices().size(); ++d) {
        const Device& dev = h.devices()[d];
        if (dev.gone) continue;  // listed below, as its host last reported it
        if (filter.owner) {
          const InstanceRecord* o = dev.owner ? f.instance_at(*dev.owner) : nullptr;
          if (!o || o->id != *filter.owner) continue;
        }
        DeviceView v = device_view_locked(hi, d, false);
        if (filter.status && v.status != *filter.status) continue;
        if (filter.alias && std::find(v.aliases.begin(), v.aliases.end(), *filter.alias) == v.aliases.end()) continue;
        out.push_back(std::move(v));
      }
      if (filter.alias) continue;  // a vanished device matches no alias now
      if (auto v = controller_->vanished().find(h.name()); v != controller_->vanished().end())
        for (const auto& gone : v->second) {
          if ((filter.status && *filter.status != DeviceStatus::Vanished) || (filter.owner && gone.owner != *filter.owner)) continue;
          out.push_back(vanished_view(h.name(), gone));
        }
    }
    return out;
  });
}

Result<DeviceView> Service::show_device(const Principal& who, const std::string& host, PciAddress address) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<DeviceView>([&]() -> Result<DeviceView> {
    const Fleet& f = controller_->fleet();
    auto hi = f.find_host(host);
    if (!hi) return Error(ErrorCode::NotFound, "no host " + quote(host));
    auto di = f.host(*hi).find(address);
    if (!di || f.host(*hi).devices()[*di].gone) {
      if (auto v = controller_->vanished().find(host); v != controller_->vanished().end())
        for (const auto& gone : v->second)
          if (gone.device.facts.address == address) return vanished_view(host, gone);
      return Error(ErrorCode::NotFound, "no device " + address.to_string() + " on " + host);
    }
    DeviceView v = device_view_locked(*hi, *di, true);
    auto stored = state_.host(host);
    if (!stored) return std::move(stored).error();
    for (const auto& d : stored->devices)
      if (d.facts.address == address) v.detail->reported = d;
    return v;
  });
}

Result<Explanation> Service::explain(const Principal& who, const std::string& flavor, const Controller::ExplainQuery& query) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<Explanation>([&]() -> Result<Explanation> {
    auto verdicts = controller_->explain(flavor, query);
    if (!verdicts) return std::move(verdicts).error();
    Explanation out;
    out.flavor = flavor;
    out.fits_on = verdicts->fits_on;
    out.refused = verdicts->refused;
    out.why = std::move(verdicts->why);
    out.hosts = std::move(verdicts->hosts);
    out.next = std::move(verdicts->next);
    return out;
  });
}

Result<Capacity> Service::capacity(const Principal& who, const std::optional<std::string>& host_filter) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<Capacity>([&]() -> Result<Capacity> {
    const Fleet& f = controller_->fleet();
    const auto& aliases = f.aliases().aliases();
    Capacity out;
    for (const auto& a : aliases) out.fleet.push_back({a.name, 0, 0});
    std::vector<AliasCapacity> per(aliases.size());
    for (HostIndex hi : hosts_by_name(f)) {
      const HostInventory& h = f.host(hi);
      std::fill(per.begin(), per.end(), AliasCapacity{});
      for (const auto& pool : h.pools())
        for (uint32_t a : f.aliases_admitting(pool.class_id)) {
          per[a].free += pool.free;
          per[a].total += pool.members.size();
        }
      if (!h.open_for_placements())
        for (auto& a : per) a.free = 0;  // a locked or blocked host hands nothing out
      const bool shown = !host_filter || *host_filter == h.name();
      HostCapacity here;
      if (shown) here.host = h.name();
      for (size_t a = 0; a < aliases.size(); ++a) {
        out.fleet[a].free += per[a].free;
        out.fleet[a].total += per[a].total;
        // The operator's aliases only: those made for ports are pcipass's own.
        if (shown && per[a].total && !aliases[a].for_ports) here.aliases.push_back({aliases[a].name, per[a].free, per[a].total});
      }
      if (shown) out.hosts.push_back(std::move(here));
    }
    if (host_filter && out.hosts.empty()) return std::move(Error(ErrorCode::NotFound, "no host " + quote(*host_filter)).within("host"));
    std::erase_if(out.fleet, [&](const AliasCapacity& c) { const Alias* a = f.aliases().find(c.alias); return a && a->for_ports; });
    return out;
  });
}

Result<MetricsSnapshot> Service::metrics(const Principal& who) {
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  MetricsSnapshot out;
  auto fleet_part = read<Unit>([&]() -> Status {
    const Fleet& f = controller_->fleet();
    const auto& aliases = f.aliases().aliases();
    constexpr DeviceStatus kStatuses[] = {DeviceStatus::Available,  DeviceStatus::Allocated, DeviceStatus::Unavailable,
                                          DeviceStatus::NotAllowListed, DeviceStatus::Bridge, DeviceStatus::Vanished,
                                          DeviceStatus::NeedsAttention};
    constexpr size_t kStatusCount = std::size(kStatuses);
    auto status_index = [&](DeviceStatus st) {
      return static_cast<size_t>(std::find(std::begin(kStatuses), std::end(kStatuses), st) - std::begin(kStatuses));
    };
    // By alias name (none first, as "" sorts): the order a reader expects.
    std::vector<size_t> order(aliases.size() + 1);
    for (size_t a = 0; a < order.size(); ++a) order[a] = a;
    const std::string none;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return (x < aliases.size() ? aliases[x].name : none) < (y < aliases.size() ? aliases[y].name : none);
    });
    // Per host: a count per (alias, or none at the end) and status, then only those not 0.
    std::vector<uint64_t> counts((aliases.size() + 1) * kStatusCount);
    const auto now = clock_.now();
    for (HostIndex hi : hosts_by_name(f)) {
      const HostInventory& h = f.host(hi);
      out.hosts.emplace_back(h.name(), h.locked());
      if (auto r = last_report_.find(h.name()); r != last_report_.end())
        out.report_age_s.emplace_back(h.name(), std::chrono::duration<double>(now - r->second).count());
      std::fill(counts.begin(), counts.end(), 0);
      for (uint32_t di = 0; di < h.devices().size(); ++di) {
        const Device& d = h.devices()[di];
        if (d.gone) continue;
        const size_t st = status_index(device_status_locked(hi, di));
        bool counted = false;
        if (d.pool)
          for (uint32_t a : f.aliases_admitting(h.pools()[*d.pool].class_id))
            if (a < aliases.size() && !aliases[a].for_ports) {
              ++counts[a * kStatusCount + st];
              counted = true;
            }
        if (!counted) ++counts[aliases.size() * kStatusCount + st];
      }
      for (size_t a : order)
        for (size_t st = 0; st < kStatusCount; ++st)
          if (uint64_t n = counts[a * kStatusCount + st])
            out.devices.push_back({h.name(), a < aliases.size() ? aliases[a].name : std::string(), to_string(kStatuses[st]), n});
    }
    std::map<std::string, uint64_t> by_status;
    for (auto s : {ServerStatus::Placed, ServerStatus::Building, ServerStatus::Active, ServerStatus::Deleting, ServerStatus::Error})
      by_status[to_string(s)] = 0;
    for (const auto& [id, status] : controller_->server_statuses()) ++by_status[to_string(status)];
    out.servers.assign(by_status.begin(), by_status.end());
    return ok_status();
  });
  if (!fleet_part) return std::move(fleet_part).error();
  const ServiceCounters& c = counters_;
  out.boot_placed = c.boot_placed.snapshot();
  out.boot_no_valid_host = c.boot_no_valid_host.snapshot();
  out.boot_refused = c.boot_refused.snapshot();
  out.no_valid_host = c.no_valid_host.load(std::memory_order_relaxed);
  for (size_t k = 0; k < kRefusalKindCount; ++k)
    out.no_valid_host_reasons.emplace_back(kind_name(kRefusalKinds[k]), c.no_valid_host_reasons[k].load(std::memory_order_relaxed));
  out.commit_seconds = c.commit_seconds.snapshot();
  out.batch_writes = c.batch_writes.snapshot();
  out.batches_refused = c.batches_refused.load(std::memory_order_relaxed);
  out.batches_failed = c.batches_failed.load(std::memory_order_relaxed);
  return out;
}

}  // namespace pcipass
