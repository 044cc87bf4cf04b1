#include "core/fleet.h"

#include <algorithm>

namespace pcipass {

void Fleet::register_new_classes() {
  const size_t n = classes_.size();
  // One row per alias even before any class exists, so lookups never go out of range.
  matrix_.admits.resize(aliases_.aliases().size());
  if (class_aliases_.size() == n) return;
  for (size_t a = 0; a < aliases_.aliases().size(); ++a) matrix_.admits[a].resize(n, 0);
  for (size_t c = class_aliases_.size(); c < n; ++c) {
    const DeviceClass& dc = classes_.get(static_cast<uint32_t>(c));
    std::vector<uint32_t> admitted_by;
    for (size_t a = 0; a < aliases_.aliases().size(); ++a) {
      // Devices tagged remote_managed=true never reach pools (see DeviceSpec::never_matches).
      bool ok = aliases_.aliases()[a].admits(dc.vendor_id, dc.product_id, dc.type, dc.live_migratable, dc.tags);
      matrix_.admits[a][c] = ok ? 1 : 0;
      if (ok) admitted_by.push_back(static_cast<uint32_t>(a));
    }
    class_aliases_.push_back(std::move(admitted_by));
  }
}

Result<HostIndex> Fleet::add_host(HostInventory host) {
  std::vector<HostInventory> one;
  one.push_back(std::move(host));
  auto added = add_hosts(std::move(one));
  if (!added) return std::move(added).error();
  return added->front();
}

Result<std::vector<HostIndex>> Fleet::add_hosts(std::vector<HostInventory> hosts) {
  std::set<std::string_view> seen;
  for (const auto& h : hosts)
    if (by_name_.count(h.name()) || !seen.insert(h.name()).second)
      return Error(ErrorCode::AlreadyExists, "duplicate host name " + quote(h.name()));
  register_new_classes();
  positions_stale_ = true;
  ++layout_;
  std::vector<HostIndex> added;
  for (auto& host : hosts) {
    const HostIndex h = static_cast<HostIndex>(hosts_.size());
    by_name_.emplace(host.name(), h);
    hosts_.push_back(std::move(host));
    alias_free_.resize(alias_free_.size() + aliases_.aliases().size(), 0);
    for (const auto& pool : hosts_[h].pools())
      for (uint32_t a : class_aliases_[pool.class_id]) free_of(h, a) += pool.free;
    added.push_back(h);
  }
  return added;
}

void Fleet::apply_deltas(HostIndex h, const std::vector<PoolDelta>& deltas) {
  for (const auto& d : deltas)
    for (uint32_t a : class_aliases_[hosts_[h].pools()[d.pool].class_id]) {
      uint32_t& count = free_of(h, a);
      count = static_cast<uint32_t>(static_cast<int64_t>(count) + d.delta);
    }
}

std::optional<HostIndex> Fleet::find_host(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

const InstanceRecord* Fleet::instance(std::string_view id) const {
  auto it = instances_.find(std::string(id));
  return it == instances_.end() ? nullptr : &it->second;
}

bool Fleet::quick_reject(HostIndex h, const InstanceShape& shape) const {
  if (!hosts_[h].open_for_placements()) return true;
  if (!hosts_[h].totals_fit(shape.vcpus, shape.memory_mb)) return true;
  for (size_t i = 0; i < shape.pci.size(); ++i) {
    uint32_t need = 0;
    for (const auto& r : shape.pci)
      if (r.alias_index == shape.pci[i].alias_index) need += r.count;
    if (free_of(h, shape.pci[i].alias_index) < need) return true;
  }
  return false;
}

// Free counters decide feasibility exactly when there is no NUMA topology and the
// requests cannot compete: distinct aliases admitting disjoint classes, and no PF
// request beside a VF request (a PF and its VFs exclude each other).
bool Fleet::counters_are_exact(const InstanceShape& shape) const { return !shape.numa && requests_independent(shape); }

bool Fleet::requests_independent(const InstanceShape& shape) const {
  if (shape.pci.size() <= 1) return true;
  bool any_pf = false, any_vf = false;
  for (size_t i = 0; i < shape.pci.size(); ++i) {
    const Alias& a = aliases_.aliases()[shape.pci[i].alias_index];
    if (a.device_type == DeviceType::Pf) any_pf = true;
    if (a.device_type != DeviceType::Pf && a.device_type != DeviceType::Pci) any_vf = true;
    for (size_t j = i + 1; j < shape.pci.size(); ++j) {
      const auto& x = matrix_.admits[shape.pci[i].alias_index];
      const auto& y = matrix_.admits[shape.pci[j].alias_index];
      for (size_t c = 0; c < x.size(); ++c)
        if (x[c] && y[c]) return false;
    }
  }
  return !(any_pf && any_vf);
}

std::vector<Rejection> Fleet::explain(const InstanceShape& shape, std::optional<HostIndex> forced) const {
  std::vector<Rejection> out;
  auto one = [&](HostIndex h) {
    std::string words;
    explain_host(hosts_[h], shape, matrix_, aliases_, &words);
    out.push_back({hosts_[h].name(), std::move(words)});
  };
  if (forced) one(*forced);
  else
    for (const auto& [name, h] : by_name_) one(h);
  return out;
}

Result<const InstanceRecord*> Fleet::claim(const std::string& id, const InstanceShape& shape, const BootPlan& plan, ClaimMode mode,
                                           std::vector<std::string>* broken) {
  if (instances_.count(id)) return Error(ErrorCode::AlreadyExists, "server " + quote(id) + " already exists");
  if (plan.host >= hosts_.size()) return Error(ErrorCode::NotFound, "no such host");
  if (plan.fit.devices.size() != shape.pci.size()) return Error(ErrorCode::Internal, "plan does not match the requests");
  HostInventory& host = hosts_[plan.host];
  InstanceRecord rec;
  rec.id = id;
  rec.host = plan.host;
  rec.vcpus = shape.vcpus;
  rec.memory_mb = shape.memory_mb;
  rec.requested = plan.fit.devices;
  if (shape.numa) {
    if (plan.fit.cells.size() != shape.numa->size()) return Error(ErrorCode::Internal, "plan does not match the NUMA topology");
    for (size_t i = 0; i < shape.numa->size(); ++i)
      rec.cell_use.push_back({plan.fit.cells[i], {(*shape.numa)[i].vcpus, (*shape.numa)[i].memory_mb}});
  }
  const bool force = mode == ClaimMode::Force;
  if (force && broken) {
    if (!host.totals_fit(shape.vcpus, shape.memory_mb)) broken->push_back("more vCPUs or memory are held than " + host.name() + " has");
    for (const auto& [cell, use] : rec.cell_use)
      if (cell < host.cells().size() && !host.cells()[cell].fits(use.first, use.second))
        broken->push_back("more is held on NUMA cell " + std::to_string(host.cells()[cell].id) + " than it has");
  }
  auto reserved = host.reserve(shape.vcpus, shape.memory_mb, rec.cell_use, force);
  if (!reserved) return std::move(reserved).error();
  InstanceSlot slot;
  if (!free_slots_.empty()) { slot = free_slots_.back(); free_slots_.pop_back(); }
  else slot = next_slot_++;
  std::vector<DeviceIndex> wanted;
  for (const auto& r : plan.fit.devices) wanted.insert(wanted.end(), r.begin(), r.end());
  std::vector<PoolDelta> deltas;
  auto taken = host.claim(wanted, slot, deltas, mode, broken);
  if (!taken) {
    host.unreserve(shape.vcpus, shape.memory_mb, rec.cell_use);
    free_slots_.push_back(slot);
    return std::move(taken).error();
  }
  rec.slot = slot;
  rec.devices = std::move(*taken);
  apply_deltas(plan.host, deltas);
  log_change(plan.host, kTookMore);
  auto [it, inserted] = instances_.emplace(id, std::move(rec));
  if (by_slot_.size() <= slot) by_slot_.resize(slot + 1, nullptr);
  by_slot_[slot] = &it->second;
  return &it->second;
}

Status Fleet::free(const std::string& id) {
  auto it = instances_.find(id);
  if (it == instances_.end()) return Error(ErrorCode::NotFound, "no server " + quote(id));
  InstanceRecord& rec = it->second;
  HostInventory& host = hosts_[rec.host];
  std::vector<PoolDelta> deltas;
  auto released = host.release(rec.devices, rec.slot, deltas);
  if (!released) return released;
  host.unreserve(rec.vcpus, rec.memory_mb, rec.cell_use);
  apply_deltas(rec.host, deltas);
  log_change(rec.host, kGaveBack);
  free_slots_.push_back(rec.slot);
  by_slot_[rec.slot] = nullptr;
  instances_.erase(it);
  return ok_status();
}

Result<std::vector<std::string>> Fleet::replace_host(HostInventory host) {
  auto found = find_host(host.name());
  if (!found) {
    auto added = add_host(std::move(host));
    if (!added) return std::move(added).error();
    return std::vector<std::string>{};
  }
  const HostIndex h = *found;
  std::vector<std::string> evicted;
  for (const auto& [id, rec] : instances_)
    if (rec.host == h) evicted.push_back(id);
  std::sort(evicted.begin(), evicted.end());
  for (const auto& id : evicted)
    if (auto st = free(id); !st) return std::move(st).error();
  register_new_classes();
  hosts_[h] = std::move(host);
  for (size_t a = 0; a < aliases_.aliases().size(); ++a) free_of(h, a) = 0;
  for (const auto& pool : hosts_[h].pools())
    for (uint32_t a : class_aliases_[pool.class_id]) free_of(h, a) += pool.free;
  log_change(h, kChangedAnyway);
  return evicted;
}

std::vector<std::string> Fleet::check_invariants() const {
  std::vector<std::string> problems;
  std::vector<std::vector<const InstanceRecord*>> by_host(hosts_.size());
  for (const auto& [id, rec] : instances_) by_host[rec.host].push_back(&rec);
  for (HostIndex h = 0; h < hosts_.size(); ++h) {
    const HostInventory& host = hosts_[h];
    const auto& devs = host.devices();
    const std::string at = host.name() + ": ";
    const std::string& blocked = host.blocked();
    // Ownership matches the instance records exactly; no device in two instances.
    std::vector<OptIndex> expected(devs.size());
    uint32_t vcpus = 0;
    uint64_t mem = 0;
    std::vector<std::pair<uint32_t, uint64_t>> cell_used(host.cells().size());
    for (const InstanceRecord* rec : by_host[h]) {
      vcpus += rec->vcpus;
      mem += rec->memory_mb;
      for (const auto& [cell, use] : rec->cell_use) {
        cell_used[cell].first += use.first;
        cell_used[cell].second += use.second;
      }
      for (DeviceIndex d : rec->devices) {
        if (expected[d]) problems.push_back(at + devs[d].address.to_string() + " is held by two servers");
        expected[d] = rec->slot;
      }
    }
    for (DeviceIndex d = 0; d < devs.size(); ++d)
      if (devs[d].owner != expected[d]) problems.push_back(at + devs[d].address.to_string() + " owner differs from the servers' records");
    if (host.used_vcpus() != vcpus || host.used_memory_mb() != mem) problems.push_back(at + "CPU/memory usage differs from its servers'");
    for (size_t c = 0; c < host.cells().size(); ++c) {
      const NumaCell& cell = host.cells()[c];
      if (cell.used_cpus != cell_used[c].first || cell.used_memory_mb != cell_used[c].second)
        problems.push_back(at + "NUMA cell " + std::to_string(cell.id) + " usage differs from its servers'");
      if (!cell.fits(0, 0) && blocked.empty()) problems.push_back(at + "NUMA cell " + std::to_string(cell.id) + " is over capacity");
    }
    if (!host.totals_fit(0, 0) && blocked.empty()) problems.push_back(at + "over CPU or memory capacity");
    // PF/VF exclusion and VF-in-use counters.
    for (DeviceIndex d = 0; d < devs.size(); ++d) {
      if (devs[d].type != DeviceType::Pf) continue;
      uint16_t in_use = 0;
      for (DeviceIndex v : host.vfs_of(d))
        if (devs[v].owner) ++in_use;
      if (in_use != devs[d].vfs_in_use) problems.push_back(at + "PF " + devs[d].address.to_string() + " VF-in-use counter is wrong");
      if (in_use > 0 && devs[d].owner && blocked.empty())
        problems.push_back(at + "PF " + devs[d].address.to_string() + " and one of its VFs are both in use");
    }
    // Whole IOMMU groups per owner.
    for (const auto& g : host.groups()) {
      const OptIndex owner = devs[g.endpoints.front()].owner;
      for (DeviceIndex m : g.endpoints)
        if (devs[m].owner != owner && blocked.empty())
          problems.push_back(at + "IOMMU group " + std::to_string(g.number) + " is split between owners");
    }
    // Counters equal a recount.
    uint32_t total = 0;
    std::vector<uint32_t> per_alias(aliases_.aliases().size(), 0);
    for (uint32_t p = 0; p < host.pools().size(); ++p) {
      const Pool& pool = host.pools()[p];
      uint32_t n = 0;
      for (DeviceIndex m : pool.members) n += host.available(m) ? 1 : 0;
      if (n != pool.free) problems.push_back(at + "pool " + std::to_string(p) + " free counter " + std::to_string(pool.free) +
                                             " != recount " + std::to_string(n));
      total += n;
      for (uint32_t a : class_aliases_[pool.class_id]) per_alias[a] += n;
    }
    if (total != host.free_devices()) problems.push_back(at + "free device total differs from recount");
    for (size_t a = 0; a < per_alias.size(); ++a) {
      if (per_alias[a] != free_of(h, a)) problems.push_back(at + "alias " + aliases_.aliases()[a].name + " counter is stale");
    }
  }
  return problems;
}

size_t Fleet::memory_bytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& h : hosts_) bytes += h.memory_bytes();
  bytes += (hosts_.capacity() - hosts_.size()) * sizeof(HostInventory);
  bytes += alias_free_.capacity() * sizeof(uint32_t);
  constexpr size_t kSetNode = 40;  // libstdc++ red-black node (32 bytes) with an 8-byte key
  for (const auto& [key, set] : shapes_)
    bytes += 64 + key.capacity() + set.fits.capacity() * sizeof(uint64_t) + set.weight.capacity() * sizeof(uint32_t) +
             set.order.size() * kSetNode;
  bytes += (by_pos_.capacity() + pos_.capacity()) * sizeof(uint32_t) + log_.capacity() * sizeof(Change) +
           seen_.capacity() * sizeof(uint64_t) + effect_.capacity();
  bytes += by_name_.size() * (64 + 32);
  return bytes;
}

size_t Fleet::device_count() const {
  size_t n = 0;
  for (const auto& h : hosts_) n += h.devices().size();
  return n;
}

}  // namespace pcipass
