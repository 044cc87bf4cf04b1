#include "controller/controller.h"

#include <algorithm>

#include "core/extra_specs.h"

namespace pcipass {

namespace {
constexpr int kMaxAttempts = 8;
}

Result<std::unique_ptr<Controller>> Controller::open(Store& store, PciConfig config) {
  std::unique_ptr<Controller> c(new Controller(store, std::move(config)));
  if (auto st = c->reload(); !st) return std::move(st).error();
  return c;
}

Status Controller::reload() {
  auto hosts = store_.hosts();
  if (!hosts) return std::move(hosts).error();
  auto instances = store_.instances();
  if (!instances) return std::move(instances).error();
  auto fleet = std::make_unique<Fleet>(config_.aliases);
  std::vector<HostInventory> built;
  std::map<std::string, uint64_t> generation;
  for (const auto& h : *hosts) {
    std::vector<DeviceFacts> facts;
    for (const auto& d : h.devices) facts.push_back(d.facts);
    auto inv = HostInventory::build(h.name, h.numa, facts, config_.device_spec, fleet->classes());
    if (!inv) return std::move(std::move(inv).error().within("host " + h.name));
    built.push_back(std::move(*inv));
    generation[h.name] = h.generation;
  }
  if (auto added = fleet->add_hosts(std::move(built)); !added) return std::move(added).error();
  // Re-apply what the store says each instance holds.
  for (const auto& in : *instances) {
    auto hi = fleet->find_host(in.host);
    if (!hi) return Error(ErrorCode::Internal, "instance " + in.id + " is on unknown host " + in.host);
    const HostInventory& host = fleet->host(*hi);
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
      if (!d) continue;  // vanished from the inventory: still held in the store (flagged by the agent work)
      plan.fit.devices[a.request].push_back(*d);
    }
    if (!in.cells.empty()) {
      shape.numa = std::vector<InstanceCell>{};
      for (const auto& [cell_id, use] : in.cells) {
        auto idx = host.cell_index(cell_id);
        if (!idx) return Error(ErrorCode::Internal, "instance " + in.id + " uses unknown NUMA cell " + std::to_string(cell_id));
        plan.fit.cells.push_back(*idx);
        shape.numa->push_back({use.first, use.second});
      }
    }
    if (auto claimed = fleet->claim(in.id, shape, plan); !claimed)
      return std::move(std::move(claimed).error().within("reloading instance " + in.id));
  }
  fleet_ = std::move(fleet);
  generation_ = std::move(generation);
  return ok_status();
}

Result<ServerPlacement> Controller::create_server(const std::string& id, const std::string& flavor_name,
                                                  const std::optional<std::string>& forced, BootFailure* failure) {
  if (id.empty()) return invalid("a server needs an id");
  auto flavor = store_.flavor(flavor_name);
  if (!flavor) return std::move(flavor).error();
  std::vector<std::string> ignored;
  auto shape = parse_flavor(flavor->vcpus, flavor->memory_mb, flavor->extra_specs, config_.aliases, ignored);
  if (!shape) return std::move(std::move(shape).error().within("flavor " + flavor_name));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::optional<HostIndex> host_index;
    if (forced) {
      host_index = fleet_->find_host(*forced);
      if (!host_index) return Error(ErrorCode::NotFound, "no host " + quote(*forced));
    }
    auto plan = fleet_->schedule(*shape, host_index, Weigher::Pack);
    if (!plan) {
      // Before saying no, make sure the fleet is current: another controller may have freed devices.
      auto old = stale();
      if (!old) return std::move(old).error();
      if (*old) {
        ++conflicts_;
        if (auto st = reload(); !st) return std::move(st).error();
        continue;
      }
      if (failure) failure->reasons = fleet_->explain(*shape, host_index);
      return Error(ErrorCode::Unavailable, "No valid host was found for " + quote(id));
    }
    const HostInventory& host = fleet_->host(plan->host);
    InstanceRecordRow row;
    row.id = id;
    row.host = host.name();
    row.flavor = flavor_name;
    row.vcpus = shape->vcpus;
    row.memory_mb = shape->memory_mb;
    for (size_t i = 0; i < plan->fit.cells.size(); ++i)
      row.cells.push_back({host.cells()[plan->fit.cells[i]].id, {(*shape->numa)[i].vcpus, (*shape->numa)[i].memory_mb}});
    std::vector<DeviceIndex> recorded;
    for (size_t r = 0; r < plan->fit.devices.size(); ++r)
      for (DeviceIndex d : plan->fit.devices[r])
        for (DeviceIndex m : host.claim_unit(d))  // IOMMU-group companions go on record with the request
          if (std::find(recorded.begin(), recorded.end(), m) == recorded.end()) {
            recorded.push_back(m);
            row.devices.push_back({host.name(), host.devices()[m].address, id, static_cast<uint32_t>(r)});
          }
    auto written = store_.claim(row, generation_[host.name()]);
    if (!written) {
      if (written.error().code() != ErrorCode::Conflict || written.error().message().find("already exists") != std::string::npos)
        return std::move(written).error();
      ++conflicts_;  // another controller moved the host: take its view and plan again
      if (auto st = reload(); !st) return std::move(st).error();
      continue;
    }
    auto claimed = fleet_->claim(id, *shape, *plan);
    if (!claimed) {
      // The store has the claim; the fleet disagrees, so rebuild it from the store.
      if (auto st = reload(); !st) return std::move(st).error();
    } else {
      generation_[host.name()] = *written;
    }
    ServerPlacement out;
    out.id = id;
    out.host = row.host;
    for (const auto& a : row.devices) out.devices.push_back(a.address);
    std::sort(out.devices.begin(), out.devices.end());
    for (const auto& c : row.cells) out.numa_cells.push_back(c.first);
    return out;
  }
  return Error(ErrorCode::Unavailable, "gave up on " + quote(id) + " after " + std::to_string(kMaxAttempts) +
                                           " attempts: other controllers keep changing the hosts it fits on");
}

Result<bool> Controller::stale() {
  auto gens = store_.host_generations();
  if (!gens) return std::move(gens).error();
  if (gens->size() != generation_.size()) return true;
  for (const auto& [name, g] : *gens) {
    auto it = generation_.find(name);
    if (it == generation_.end() || it->second != g) return true;
  }
  return false;
}

Status Controller::delete_server(const std::string& id) {
  if (auto st = store_.release(id); !st) return st;
  const InstanceRecord* rec = fleet_->instance(id);
  if (!rec) return reload();  // the fleet did not know it (another controller booted it)
  const std::string host = fleet_->host(rec->host).name();
  if (auto st = fleet_->free(id); !st) return reload();
  ++generation_[host];
  return ok_status();
}

}  // namespace pcipass
