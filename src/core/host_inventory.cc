#include "core/host_inventory.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace pcipass {

uint32_t ClassRegistry::intern(const DeviceClass& c) {
  std::string key = c.vendor_id.to_string() + ":" + c.product_id.to_string() + ":" +
                    std::to_string(static_cast<int>(c.type));
  for (const auto& t : c.tags) key += "|" + t.key + "=" + (t.value ? "s" + *t.value : "n");
  auto [it, inserted] = by_key_.emplace(key, static_cast<uint32_t>(classes_.size()));
  if (inserted) classes_.push_back(c);
  return it->second;
}

namespace {
std::string at_device(size_t i) { return "devices[" + std::to_string(i) + "]"; }
}  // namespace

Result<HostInventory> HostInventory::build(std::string name, const std::optional<std::vector<NumaCellSpec>>& numa,
                                           const std::vector<DeviceFacts>& facts, const DeviceSpecList& specs,
                                           ClassRegistry& classes, const std::vector<bool>& gone, std::string_view unready) {
  const auto is_gone = [&](size_t i) { return i < gone.size() && gone[i]; };
  HostInventory h;
  h.name_ = std::move(name);
  if (numa) {
    if (numa->empty()) return std::move(invalid("a host needs at least one NUMA cell (omit numa for an unlimited one)").within("numa"));
    h.has_numa_data_ = true;
    uint32_t cpus = 0;
    uint64_t mem = 0;
    for (size_t i = 0; i < numa->size(); ++i) {
      const auto& c = (*numa)[i];
      for (size_t j = 0; j < i; ++j)
        if ((*numa)[j].id == c.id)
          return std::move(invalid("duplicate NUMA cell id " + std::to_string(c.id) + " (also numa[" + std::to_string(j) + "])")
                               .within("id").within("[" + std::to_string(i) + "]").within("numa"));
      NumaCell cell;
      cell.id = c.id;
      cell.cpus = c.cpus;
      cell.memory_mb = c.memory_mb;
      cell.socket = c.socket;
      h.cells_.push_back(cell);
      cpus += c.cpus;
      mem += c.memory_mb;
    }
    h.total_vcpus_ = cpus;
    h.total_memory_mb_ = mem;
  } else {
    h.cells_.push_back(NumaCell{});
  }

  // Addresses are unique; relations refer to listed devices.
  std::vector<std::pair<PciAddress, DeviceIndex>> by_address;
  for (size_t i = 0; i < facts.size(); ++i) by_address.emplace_back(facts[i].address, static_cast<DeviceIndex>(i));
  std::sort(by_address.begin(), by_address.end());
  for (size_t i = 1; i < by_address.size(); ++i)
    if (by_address[i].first == by_address[i - 1].first)
      return std::move(invalid("duplicate device address " + by_address[i].first.to_string() + " (also " +
                               at_device(by_address[i - 1].second) + ")")
                           .within("address").within(at_device(by_address[i].second)));
  auto lookup = [&](PciAddress a) -> std::optional<DeviceIndex> {
    auto it = std::lower_bound(by_address.begin(), by_address.end(), std::make_pair(a, DeviceIndex{0}));
    if (it != by_address.end() && it->first == a) return it->second;
    return std::nullopt;
  };

  std::unordered_map<DeviceIndex, uint32_t> vf_counts;
  std::unordered_map<std::string, DeviceIndex> by_devname;
  for (size_t i = 0; i < facts.size(); ++i) {
    const auto& f = facts[i];
    if (is_gone(i)) continue;  // as last reported: checked then
    if (f.physfn) {
      if (f.sriov_totalvfs > 0)
        return std::move(invalid("a VF (it has physfn) cannot also have sriov_totalvfs").within("sriov_totalvfs").within(at_device(i)));
      auto pf = lookup(*f.physfn);
      if (!pf) return std::move(invalid("physfn " + f.physfn->to_string() + " is not a device of this host").within("physfn").within(at_device(i)));
      if (facts[*pf].sriov_totalvfs == 0)
        return std::move(invalid("physfn " + f.physfn->to_string() + " is not a PF (it has no sriov_totalvfs > 0)")
                             .within("physfn").within(at_device(i)));
      if (++vf_counts[*pf] > facts[*pf].sriov_totalvfs)
        return std::move(invalid("PF " + f.physfn->to_string() + " has more VFs listed than its sriov_totalvfs (" +
                                 std::to_string(facts[*pf].sriov_totalvfs) + ")").within("physfn").within(at_device(i)));
    }
    if (f.numa_node && *f.numa_node > 0xfffe)
      return std::move(invalid("numa_node out of range").within("numa_node").within(at_device(i)));
    if (!f.devname.empty()) {
      auto [it, inserted] = by_devname.emplace(f.devname, static_cast<DeviceIndex>(i));
      if (!inserted)
        return std::move(invalid("devname " + quote(f.devname) + " is also used by " + at_device(it->second))
                             .within("devname").within(at_device(i)));
    }
  }

  // IOMMU groups one of whose reported endpoints the host uses: the agent's group_viable
  // = false is then already explained by that member. Without one (the member is not in
  // the report), the agent's word withholds the device.
  std::set<uint32_t> explained_groups;
  for (size_t i = 0; i < facts.size(); ++i)
    if (facts[i].iommu_group && !facts[i].is_bridge() && !is_gone(i) && (facts[i].host_use || facts[i].vfio_user))
      explained_groups.insert(*facts[i].iommu_group);

  // PFs one of whose VFs the host uses (a VF with host_use) or a VM holds open (a VF
  // with vfio_user): withheld themselves.
  std::map<PciAddress, std::pair<PciAddress, std::string>> host_used_vf, open_vf;
  std::map<PciAddress, uint32_t> vfs_enabled;
  for (size_t i = 0; i < facts.size(); ++i) {
    if (!facts[i].physfn || is_gone(i)) continue;
    ++vfs_enabled[*facts[i].physfn];
    if (facts[i].host_use) host_used_vf.emplace(*facts[i].physfn, std::pair{facts[i].address, *facts[i].host_use});
    if (facts[i].vfio_user) open_vf.emplace(*facts[i].physfn, std::pair{facts[i].address, *facts[i].vfio_user});
  }

  // Devices are stored in address order: pool members come out sorted, and lookups
  // by address are a binary search.
  std::vector<DeviceIndex> pos(facts.size());
  for (size_t k = 0; k < by_address.size(); ++k) pos[by_address[k].second] = static_cast<DeviceIndex>(k);
  h.devices_.resize(facts.size());
  std::map<std::tuple<uint32_t, int32_t, int64_t>, uint32_t> pool_of_key;
  for (size_t k = 0; k < by_address.size(); ++k) {
    const size_t i = by_address[k].second;
    const auto& f = facts[i];
    Device& d = h.devices_[k];
    d.address = f.address;
    d.vendor_id = f.vendor_id;
    d.product_id = f.product_id;
    if (f.numa_node) d.numa_node = static_cast<uint16_t>(*f.numa_node);
    d.type = f.type();
    d.bridge = f.is_bridge();
    if (f.physfn)
      if (auto pf = lookup(*f.physfn)) d.parent = pos[*pf];  // a gone VF's PF may be gone for good
    if (is_gone(i)) {
      d.gone = true;
      continue;  // admitted by no device_spec: never handed out again
    }
    // First matching device_spec wins and gives the tags.
    for (const auto& spec : specs.specs()) {
      std::optional<DeviceSpec::DevnameTarget> target;
      if (spec.devname()) {
        auto it = by_devname.find(*spec.devname());
        if (it != by_devname.end()) target = DeviceSpec::DevnameTarget{facts[it->second].address, facts[it->second].sriov_totalvfs > 0};
      }
      if (!spec.matches(f, target)) continue;
      if (d.bridge) break;  // bridges are never handed to guests
      if (auto why = spec.withholds(f)) {  // a host interface's class keeps it
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), std::move(*why));
        break;
      }
      if (spec.fixed()) h.fixed_.push_back(static_cast<DeviceIndex>(k));
      if (!unready.empty()) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "the host cannot do passthrough: " + std::string(unready));
        break;
      }
      if (f.attention) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "it needs attention on the host: " + *f.attention);
        h.attention_.push_back(static_cast<DeviceIndex>(k));
        break;
      }
      // Open by a process: no configuration releases it (the kernel gives a group to one opener).
      if (f.vfio_user) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "it is in use on the host: its VFIO device is open by " + *f.vfio_user);
        break;
      }
      if (auto vf = open_vf.find(f.address); vf != open_vf.end()) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "its VF " + vf->second.first.to_string() +
                                                                   " is in use on the host: its VFIO device is open by " +
                                                                   vf->second.second + " (handing the PF out would remove it)");
        break;
      }
      if (auto n = vfs_enabled.find(f.address); spec.fixed() && d.type == DeviceType::Pf && n != vfs_enabled.end()) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "its mode is fixed (pcipass_fixed in device_spec): it keeps its " +
                                                                   std::to_string(n->second) + " VF(s), so it is never handed out whole");
        break;
      }
      if (auto vf = host_used_vf.find(f.address); vf != host_used_vf.end() && !spec.releases_host_use()) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "its VF " + vf->second.first.to_string() +
                                                                   " is used by the host: " + vf->second.second +
                                                                   " (handing the PF out would remove it)");
        break;
      }
      if (f.host_use && !spec.releases_host_use()) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "the host depends on it: " + *f.host_use);
        break;
      }
      if (f.group_viable == std::optional<bool>(false) && f.iommu_group && !explained_groups.count(*f.iommu_group)) {
        h.withheld_.emplace_back(static_cast<DeviceIndex>(k), "its agent judged IOMMU group " + std::to_string(*f.iommu_group) +
                                                                   " not viable: a member of it is one the host depends on");
        break;
      }
      if (f.host_use)
        h.config_findings_.push_back(f.address.to_string() + " is offered although the host depends on it (" + *f.host_use +
                                     "): released by pcipass_release_host_use in device_spec");
      DeviceClass c{f.vendor_id, f.product_id, d.type, spec.pool_tags(), spec.tag("live_migratable")};
      uint32_t class_id = classes.intern(c);
      auto key = std::make_tuple(class_id, d.numa_node ? static_cast<int32_t>(*d.numa_node) : -1,
                                 d.parent ? static_cast<int64_t>(*d.parent) : int64_t{-1});
      auto [it, inserted] = pool_of_key.emplace(key, static_cast<uint32_t>(h.pools_.size()));
      if (inserted) {
        Pool p;
        p.class_id = class_id;
        p.numa_node = d.numa_node;
        p.pf = d.parent.to_optional();
        h.pools_.push_back(std::move(p));
      }
      d.pool = it->second;
      h.pools_[it->second].members.push_back(static_cast<DeviceIndex>(k));
      break;
    }
  }

  h.unready_ = std::string(unready);
  std::sort(h.withheld_.begin(), h.withheld_.end());
  const bool remote_managed = std::any_of(specs.specs().begin(), specs.specs().end(),
                                          [](const DeviceSpec& s) { return s.never_matches(); });
  if (remote_managed) {
    std::vector<DeviceFacts> present;  // what vanished is not on the host now
    for (size_t i = 0; i < facts.size(); ++i)
      if (!is_gone(i)) present.push_back(facts[i]);
    for (auto& line : remote_managed_findings(specs, present)) h.config_findings_.push_back(std::move(line));
  }

  // PF -> VF lists.
  for (size_t i = 0; i < h.devices_.size(); ++i) {
    if (h.devices_[i].type != DeviceType::Pf) continue;
    PfChildren pc{static_cast<DeviceIndex>(i), static_cast<uint32_t>(h.vf_list_.size()), 0, 0};
    for (size_t j = 0; j < h.devices_.size(); ++j)
      if (h.devices_[j].parent == static_cast<DeviceIndex>(i)) {
        h.vf_list_.push_back(static_cast<DeviceIndex>(j));
        ++pc.count;
        if (!h.devices_[j].gone) ++pc.enabled;
      }
    h.pf_children_.push_back(pc);
  }

  // IOMMU groups with more than one endpoint.
  std::map<uint32_t, std::vector<DeviceIndex>> by_group;
  for (size_t i = 0; i < facts.size(); ++i)
    if (facts[i].iommu_group && !h.devices_[pos[i]].bridge) by_group[*facts[i].iommu_group].push_back(pos[i]);
  for (auto& [number, members] : by_group) {
    if (members.size() < 2) continue;
    IommuGroup g;
    g.number = number;
    g.endpoints = members;
    g.assignable = std::all_of(members.begin(), members.end(), [&](DeviceIndex m) { return h.devices_[m].pool.has_value(); });
    for (DeviceIndex m : members) h.devices_[m].group = static_cast<uint32_t>(h.groups_.size());
    h.groups_.push_back(std::move(g));
  }

  for (DeviceIndex i = 0; i < h.devices_.size(); ++i)
    if (h.available(i)) {
      ++h.pools_[*h.devices_[i].pool].free;
      ++h.free_total_;
    }
  return h;
}

std::optional<size_t> HostInventory::cell_index(uint32_t numa_id) const {
  for (size_t i = 0; i < cells_.size(); ++i)
    if (cells_[i].id == numa_id) return i;
  return std::nullopt;
}

std::optional<DeviceIndex> HostInventory::find(PciAddress address) const {
  auto it = std::lower_bound(devices_.begin(), devices_.end(), address,
                             [](const Device& d, PciAddress a) { return d.address < a; });
  if (it != devices_.end() && it->address == address) return static_cast<DeviceIndex>(it - devices_.begin());
  return std::nullopt;
}

uint32_t HostInventory::enabled_vfs(DeviceIndex pf) const {
  auto it = std::lower_bound(pf_children_.begin(), pf_children_.end(), pf, [](const PfChildren& c, DeviceIndex x) { return c.pf < x; });
  return it != pf_children_.end() && it->pf == pf ? it->enabled : 0;
}

std::span<const DeviceIndex> HostInventory::vfs_of(DeviceIndex pf) const {
  auto it = std::lower_bound(pf_children_.begin(), pf_children_.end(), pf, [](const PfChildren& c, DeviceIndex x) { return c.pf < x; });
  if (it != pf_children_.end() && it->pf == pf) return std::span<const DeviceIndex>(vf_list_).subspan(it->offset, it->count);
  return {};
}

// A device can be claimed together with its unit if nothing about itself forbids it.
static bool self_claimable(const std::vector<Device>& devices, const Device& d) {
  if (!d.pool || d.owner) return false;
  if (d.type == DeviceType::Pf && d.vfs_in_use > 0) return false;
  if (d.parent && devices[*d.parent].owner) return false;
  return true;
}

bool HostInventory::available(DeviceIndex i) const {
  const Device& d = devices_[i];
  if (!self_claimable(devices_, d)) return false;
  if (!d.group) return true;
  const IommuGroup& g = groups_[*d.group];
  if (!g.assignable) return false;
  for (DeviceIndex m : g.endpoints)
    if (m != i && !self_claimable(devices_, devices_[m])) return false;
  return true;
}

bool HostInventory::restorable(DeviceIndex i) const {
  const Device& d = devices_[i];
  if (d.owner) return false;
  if (d.gone) return true;  // held before it vanished: its holder keeps it
  if ((!d.pool && !needs_attention(i)) || (d.type == DeviceType::Pf && d.vfs_in_use > 0) || (d.parent && devices_[*d.parent].owner)) return false;
  if (d.group)
    for (DeviceIndex m : groups_[*d.group].endpoints) {
      if (m == i) continue;
      const Device& e = devices_[m];
      if (e.gone ? e.owner.has_value() : !self_claimable(devices_, e)) return false;
    }
  return true;
}

size_t HostInventory::present_devices() const {
  size_t n = 0;
  for (const auto& d : devices_) n += d.gone ? 0 : 1;
  return n;
}

std::string HostInventory::withheld_reason(DeviceIndex i) const {
  auto it = std::lower_bound(withheld_.begin(), withheld_.end(), i, [](const auto& w, DeviceIndex x) { return w.first < x; });
  return it != withheld_.end() && it->first == i ? it->second : std::string();
}

std::string HostInventory::unavailable_reason(DeviceIndex i) const {
  const Device& d = devices_[i];
  const std::string a = d.address.to_string();
  if (d.gone) return a + " vanished from the host's reports while held";
  if (auto why = withheld_reason(i); !why.empty()) return a + ": " + why;
  if (!d.pool) return a + " is not admitted by device_spec";
  if (d.owner) return a + " is in use";
  if (d.type == DeviceType::Pf && d.vfs_in_use > 0) return "PF " + a + " has " + std::to_string(d.vfs_in_use) + " VF(s) in use";
  if (d.parent && devices_[*d.parent].owner) return "VF " + a + ": its PF is in use";
  if (d.group) {
    const IommuGroup& g = groups_[*d.group];
    for (DeviceIndex m : g.endpoints) {
      if (m == i) continue;
      if (!devices_[m].pool) {
        if (auto why = withheld_reason(m); !why.empty())
          return a + ": IOMMU group " + std::to_string(g.number) + " also holds " + devices_[m].address.to_string() + ": " + why;
        return a + ": IOMMU group " + std::to_string(g.number) + " also holds " + devices_[m].address.to_string() +
               ", which device_spec does not admit";
      }
      if (!self_claimable(devices_, devices_[m]))
        return a + ": IOMMU group " + std::to_string(g.number) + " companion " + devices_[m].address.to_string() + " is busy";
    }
  }
  return {};
}

std::vector<DeviceIndex> HostInventory::claim_unit(DeviceIndex i) const {
  if (!devices_[i].group) return {i};
  std::vector<DeviceIndex> unit{i};
  for (DeviceIndex m : groups_[*devices_[i].group].endpoints)
    if (m != i) unit.push_back(m);
  return unit;
}

std::vector<DeviceIndex> HostInventory::affected_by(std::span<const DeviceIndex> changed) const {
  std::vector<DeviceIndex> out(changed.begin(), changed.end());
  for (DeviceIndex i : changed) {
    if (devices_[i].parent) out.push_back(*devices_[i].parent);
    for (DeviceIndex v : vfs_of(i)) out.push_back(v);
  }
  const size_t direct = out.size();
  for (size_t k = 0; k < direct; ++k)
    if (devices_[out[k]].group)
      for (DeviceIndex m : groups_[*devices_[out[k]].group].endpoints) out.push_back(m);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void HostInventory::apply_availability_change(std::span<const DeviceIndex> affected, std::vector<bool>& before,
                                              std::vector<PoolDelta>& deltas) {
  for (size_t k = 0; k < affected.size(); ++k) {
    const Device& d = devices_[affected[k]];
    if (!d.pool) continue;
    bool now = available(affected[k]);
    if (now == before[k]) continue;
    int32_t delta = now ? 1 : -1;
    pools_[*d.pool].free = static_cast<uint32_t>(static_cast<int64_t>(pools_[*d.pool].free) + delta);
    free_total_ = static_cast<uint32_t>(static_cast<int64_t>(free_total_) + delta);
    auto it = std::find_if(deltas.begin(), deltas.end(), [&](const PoolDelta& p) { return p.pool == *d.pool; });
    if (it == deltas.end()) deltas.push_back({*d.pool, delta});
    else it->delta += delta;
  }
}

Result<std::vector<DeviceIndex>> HostInventory::claim(std::span<const DeviceIndex> requested, InstanceSlot owner,
                                                      std::vector<PoolDelta>& deltas, ClaimMode mode,
                                                      std::vector<std::string>* broken) {
  const bool force = mode == ClaimMode::Force;
  auto note = [&](std::string why) {
    if (broken) broken->push_back(std::move(why));
  };
  std::vector<DeviceIndex> taken;
  for (DeviceIndex r : requested) {
    if (r >= devices_.size()) return Error(ErrorCode::Internal, "device index out of range");
    if (std::find(taken.begin(), taken.end(), r) != taken.end()) {
      if (force) continue;
      return Error(ErrorCode::Conflict, devices_[r].address.to_string() + " requested twice");
    }
    const bool ok = mode == ClaimMode::Fresh ? available(r) : restorable(r);
    if (!ok) {
      if (!force) return Error(ErrorCode::DeviceHeld, unavailable_reason(r));
      if (devices_[r].owner) {  // never two holders: the other keeps it
        note(devices_[r].address.to_string() + " is held by another server too; left to it");
        continue;
      }
      note(unavailable_reason(r));
    }
    taken.push_back(r);
  }
  const size_t requested_count = taken.size();
  for (size_t k = 0; k < requested_count; ++k)
    for (DeviceIndex m : claim_unit(taken[k]))
      if (std::find(taken.begin(), taken.end(), m) == taken.end() && !devices_[m].owner) taken.push_back(m);
  // A PF and one of its VFs cannot go together, even to one instance.
  for (DeviceIndex t : taken)
    if (devices_[t].parent && std::find(taken.begin(), taken.end(), *devices_[t].parent) != taken.end()) {
      std::string why = "VF " + devices_[t].address.to_string() + " and its PF " + devices_[*devices_[t].parent].address.to_string() +
                        (force ? " are both held" : " cannot be claimed together");
      if (!force) return Error(ErrorCode::Conflict, std::move(why));
      note(std::move(why));
    }
  auto affected = affected_by(taken);
  std::vector<bool> before(affected.size());
  for (size_t k = 0; k < affected.size(); ++k) before[k] = devices_[affected[k]].pool && available(affected[k]);
  for (DeviceIndex t : taken) {
    devices_[t].owner = owner;
    if (devices_[t].parent) ++devices_[*devices_[t].parent].vfs_in_use;
  }
  apply_availability_change(affected, before, deltas);
  return taken;
}

Status HostInventory::release(std::span<const DeviceIndex> devices, InstanceSlot owner, std::vector<PoolDelta>& deltas) {
  for (DeviceIndex t : devices)
    if (t >= devices_.size() || devices_[t].owner != owner)
      return Error(ErrorCode::Conflict, "device is not held by this server");
  auto affected = affected_by(devices);
  std::vector<bool> before(affected.size());
  for (size_t k = 0; k < affected.size(); ++k) before[k] = devices_[affected[k]].pool && available(affected[k]);
  for (DeviceIndex t : devices) {
    devices_[t].owner.reset();
    if (devices_[t].parent) --devices_[*devices_[t].parent].vfs_in_use;
  }
  apply_availability_change(affected, before, deltas);
  return ok_status();
}

Status HostInventory::reserve(uint32_t vcpus, uint64_t memory_mb,
                              std::span<const std::pair<size_t, std::pair<uint32_t, uint64_t>>> cell_use, bool force) {
  if (!force && !totals_fit(vcpus, memory_mb)) return Error(ErrorCode::Conflict, "not enough vCPUs or memory left on " + name_);
  for (const auto& [cell, use] : cell_use) {
    if (cell >= cells_.size()) return Error(ErrorCode::Internal, "cell index out of range");
    uint32_t cpus = use.first;
    uint64_t mem = use.second;
    // Several instance cells may not share a host cell (Nova maps them 1:1), so each fits alone.
    if (!force && !cells_[cell].fits(cpus, mem))
      return Error(ErrorCode::Conflict, "NUMA cell " + std::to_string(cells_[cell].id) + " is full");
  }
  used_vcpus_ += vcpus;
  used_memory_mb_ += memory_mb;
  for (const auto& [cell, use] : cell_use) {
    cells_[cell].used_cpus += use.first;
    cells_[cell].used_memory_mb += use.second;
  }
  return ok_status();
}

void HostInventory::unreserve(uint32_t vcpus, uint64_t memory_mb,
                              std::span<const std::pair<size_t, std::pair<uint32_t, uint64_t>>> cell_use) {
  used_vcpus_ -= vcpus;
  used_memory_mb_ -= memory_mb;
  for (const auto& [cell, use] : cell_use) {
    cells_[cell].used_cpus -= use.first;
    cells_[cell].used_memory_mb -= use.second;
  }
}

uint32_t HostInventory::free_devices_on_cell(uint32_t numa_id) const {
  uint32_t n = 0;
  for (const auto& p : pools_)
    if (p.numa_node && *p.numa_node == numa_id) n += p.free;
  return n;
}

size_t HostInventory::memory_bytes() const {
  size_t bytes = sizeof(*this) + name_.capacity() + devices_.capacity() * sizeof(Device) +
                 pools_.capacity() * sizeof(Pool) + groups_.capacity() * sizeof(IommuGroup) +
                 cells_.capacity() * sizeof(NumaCell) + pf_children_.capacity() * sizeof(PfChildren) +
                 vf_list_.capacity() * sizeof(DeviceIndex);
  for (const auto& p : pools_) bytes += p.members.capacity() * sizeof(DeviceIndex);
  for (const auto& g : groups_) bytes += g.endpoints.capacity() * sizeof(DeviceIndex);
  return bytes;
}

}  // namespace pcipass
