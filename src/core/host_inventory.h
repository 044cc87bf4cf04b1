#pragma once
// HostInventory: one compute host's allow-listed devices and NUMA cells, with the
// rules that decide which devices can be handed out right now:
//  - PF/VF exclusion: a PF is usable only while none of its VFs is in use, and a VF
//    only while its PF is not in use (Nova's PF-passthrough rule); freeing restores.
//  - the IOMMU group is the unit of allocation: a device whose group holds other
//    non-bridge endpoints is usable only if all of them are allow-listed and free,
//    and they are claimed by the same instance and freed with it (VFIO hands out
//    whole groups, so splitting one between owners or with the host is unsafe).
//  - a device that vanished from its host's reports while held is still listed
//    ("gone"): never admitted, never available, but owned by its holder, so its PF,
//    its VFs and its group companions stay blocked as if it were present.
// Free counts are kept per pool and updated incrementally on claim and release, so
// feasibility checks never walk every device.
//
// What the store holds is always taken back, rules or not (a forced restore), because
// a report about the hardware is the truth about the host; a host whose held state
// breaks a rule that way is blocked: it takes no new placements until it is rebuilt
// consistent (see Fleet::block_host).
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/device_spec.h"
#include "core/opt_index.h"

namespace pcipass {

// A kind of device fleet-wide: ids, type and the tags of the spec that admitted it.
struct DeviceClass {
  PciId vendor_id;
  PciId product_id;
  DeviceType type = DeviceType::Pci;
  std::vector<Tag> tags;
  std::optional<std::string> live_migratable;
  bool operator==(const DeviceClass&) const = default;
};

class ClassRegistry {
 public:
  uint32_t intern(const DeviceClass& c);
  const DeviceClass& get(uint32_t id) const { return classes_[id]; }
  size_t size() const { return classes_.size(); }

 private:
  std::vector<DeviceClass> classes_;
  std::map<std::string, uint32_t> by_key_;
};

struct NumaCellSpec {
  uint32_t id = 0;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  std::optional<uint32_t> socket;
};

struct NumaCell {
  uint32_t id = 0;
  std::optional<uint32_t> cpus;       // nullopt: unlimited (host without NUMA data)
  std::optional<uint64_t> memory_mb;  // nullopt: unlimited
  std::optional<uint32_t> socket;
  uint32_t used_cpus = 0;
  uint64_t used_memory_mb = 0;
  bool fits(uint32_t vcpus, uint64_t mb) const {
    return (!cpus || used_cpus + vcpus <= *cpus) && (!memory_mb || used_memory_mb + mb <= *memory_mb);
  }
};

using DeviceIndex = uint32_t;
using InstanceSlot = uint32_t;

// How a claim treats the rules: a new boot (Fresh) takes only available devices; a
// Restore takes back what the store holds, gone devices included; Force takes every
// requested device nobody else holds, whatever the rules, and names what it broke.
enum class ClaimMode { Fresh, Restore, Force };

// Scheduler state of one device; kept small (see bench: bytes per device).
struct Device {
  PciAddress address;
  PciId vendor_id;
  PciId product_id;
  std::optional<uint16_t> numa_node;
  DeviceType type = DeviceType::Pci;
  bool bridge : 1 = false;
  bool gone : 1 = false;  // vanished from the host's reports while held (see above)
  uint16_t vfs_in_use = 0;                 // PFs: VFs currently owned
  OptIndex parent;  // VFs: their PF
  OptIndex group;   // index into groups() if the group has several endpoints
  OptIndex pool;    // set iff a device_spec admits the device
  OptIndex owner;   // the instance slot holding it
};

struct Pool {
  uint32_t class_id = 0;
  std::optional<uint16_t> numa_node;
  std::optional<DeviceIndex> pf;  // VF pools are per PF
  uint32_t free = 0;
  std::vector<DeviceIndex> members;
};

struct IommuGroup {
  uint32_t number = 0;
  std::vector<DeviceIndex> endpoints;  // non-bridge members
  bool assignable = false;             // every endpoint is allow-listed
};

struct PoolDelta {
  uint32_t pool;
  int32_t delta;
};

class HostInventory {
 public:
  // `gone`, if not empty, says per device (same order) whether it vanished while
  // held: such a device takes no device_spec, and the checks that concern the host as
  // reported now (NUMA cells, devnames, VF counts) pass over it.
  // Host truth from its agent: a device whose facts say the host depends on it
  // (host_use) or that a process holds open (vfio_user), a PF one of whose VFs is either,
  // and every device when `unready` says why the host cannot do passthrough at all, is
  // withheld: admitted by no pool, so never offered, and its IOMMU group companions are
  // not either (see withheld_reason). pcipass_release_host_use releases host_use only.
  static Result<HostInventory> build(std::string name, const std::optional<std::vector<NumaCellSpec>>& numa,
                                     const std::vector<DeviceFacts>& devices, const DeviceSpecList& specs,
                                     ClassRegistry& classes, const std::vector<bool>& gone = {},
                                     std::string_view unready = {});

  const std::string& name() const { return name_; }
  const std::vector<Device>& devices() const { return devices_; }
  const std::vector<Pool>& pools() const { return pools_; }
  const std::vector<IommuGroup>& groups() const { return groups_; }
  const std::vector<NumaCell>& cells() const { return cells_; }
  bool has_numa_data() const { return has_numa_data_; }
  std::optional<size_t> cell_index(uint32_t numa_id) const;
  std::optional<DeviceIndex> find(PciAddress address) const;

  // Whether the device can be handed out now (allow-listed, free, relatives and
  // group free). O(1).
  bool available(DeviceIndex i) const;
  // Why it cannot (for explanations); empty if available.
  std::string unavailable_reason(DeviceIndex i) const;
  // The VFs of a PF (empty for others).
  std::span<const DeviceIndex> vfs_of(DeviceIndex pf) const;
  // A PF's VFs as its host reports them now (vanished ones left out).
  uint32_t enabled_vfs(DeviceIndex pf) const;
  // The devices that claiming `i` takes: its group's endpoints, or itself.
  std::vector<DeviceIndex> claim_unit(DeviceIndex i) const;

  // Claims the devices and their group companions for `owner`, all or nothing (but
  // Force, which skips a device another instance holds). Returns every device taken
  // (requested ones first, then companions); with Force, `broken` gets one line per
  // rule the claim breaks.
  Result<std::vector<DeviceIndex>> claim(std::span<const DeviceIndex> requested, InstanceSlot owner,
                                         std::vector<PoolDelta>& deltas, ClaimMode mode = ClaimMode::Fresh,
                                         std::vector<std::string>* broken = nullptr);
  // Devices listed and present (not gone).
  size_t present_devices() const;
  // Whether a restore may take the device: free, and either gone or claimable by the
  // usual rules but for group companions that are gone (and free).
  bool restorable(DeviceIndex i) const;
  // Frees devices previously returned by claim for `owner`.
  Status release(std::span<const DeviceIndex> devices, InstanceSlot owner, std::vector<PoolDelta>& deltas);

  // Compute capacity. Totals are the sum of the cells (unlimited without NUMA data).
  std::optional<uint32_t> total_vcpus() const { return total_vcpus_; }
  std::optional<uint64_t> total_memory_mb() const { return total_memory_mb_; }
  uint32_t used_vcpus() const { return used_vcpus_; }
  uint64_t used_memory_mb() const { return used_memory_mb_; }
  bool totals_fit(uint32_t vcpus, uint64_t memory_mb) const {
    return (!total_vcpus_ || used_vcpus_ + vcpus <= *total_vcpus_) &&
           (!total_memory_mb_ || used_memory_mb_ + memory_mb <= *total_memory_mb_);
  }
  // Reserves CPUs and memory; `cell_use` is empty for instances without NUMA topology.
  // `force`: even beyond the host's or a cell's capacity (a forced restore).
  Status reserve(uint32_t vcpus, uint64_t memory_mb, std::span<const std::pair<size_t, std::pair<uint32_t, uint64_t>>> cell_use,
                 bool force = false);
  void unreserve(uint32_t vcpus, uint64_t memory_mb, std::span<const std::pair<size_t, std::pair<uint32_t, uint64_t>>> cell_use);

  // Free allow-listed devices per NUMA cell (all classes), for cell ordering.
  uint32_t free_devices_on_cell(uint32_t numa_id) const;
  uint32_t free_devices() const { return free_total_; }
  size_t memory_bytes() const;

  // Locked by its operator: it takes no new placements (never picked, forced or not,
  // and explanations say so) and keeps what it holds.
  bool locked() const { return locked_; }
  void set_locked(bool locked) { locked_ = locked; }
  // Neither locked nor blocked: it may take new placements (else it hands nothing out).
  bool open_for_placements() const { return !locked_ && blocked_.empty(); }
  // Why the host takes no new placements (empty: it does); set by Fleet::block_host.
  const std::string& blocked() const { return blocked_; }
  // What the configuration does on this host that its operator must hear of: what Nova
  // would refuse to start on (see remote_managed_findings; nothing it affects is handed
  // out anyway, so the host keeps taking placements), and devices released although the
  // host depends on them (pcipass_release_host_use). Logged once each.
  const std::vector<std::string>& config_findings() const { return config_findings_; }
  // Why a device a device_spec admits is withheld by what the host said (empty: it is
  // not); and why the whole host cannot do passthrough (empty: it can, or did not say).
  std::string withheld_reason(DeviceIndex i) const;
  const std::string& unready() const { return unready_; }
  // Admitted by a device_spec entry with pcipass_fixed: its mode is never changed.
  bool fixed(DeviceIndex i) const { return std::binary_search(fixed_.begin(), fixed_.end(), i); }
  // Its agent says it needs attention (a restore failed): withheld from new placements,
  // while the server it was restored from, until released, keeps it.
  bool needs_attention(DeviceIndex i) const { return std::binary_search(attention_.begin(), attention_.end(), i); }

 private:
  void apply_availability_change(std::span<const DeviceIndex> affected, std::vector<bool>& before,
                                 std::vector<PoolDelta>& deltas);
  std::vector<DeviceIndex> affected_by(std::span<const DeviceIndex> changed) const;

  friend class Fleet;
  std::string name_;
  std::string blocked_;
  bool locked_ = false;
  std::vector<std::string> config_findings_;
  std::string unready_;
  std::vector<std::pair<DeviceIndex, std::string>> withheld_;  // by index
  std::vector<DeviceIndex> fixed_;                             // sorted
  std::vector<DeviceIndex> attention_;                         // sorted
  std::vector<Device> devices_;  // sorted by address
  std::vector<Pool> pools_;
  std::vector<IommuGroup> groups_;
  std::vector<NumaCell> cells_;
  bool has_numa_data_ = false;
  // PF -> VFs, as (pf, offset, count) into vf_list_.
  struct PfChildren { DeviceIndex pf; uint32_t offset; uint32_t count; uint32_t enabled; };  // by pf
  std::vector<PfChildren> pf_children_;
  std::vector<DeviceIndex> vf_list_;
  std::optional<uint32_t> total_vcpus_;
  std::optional<uint64_t> total_memory_mb_;
  uint32_t used_vcpus_ = 0;
  uint64_t used_memory_mb_ = 0;
  uint32_t free_total_ = 0;
};

}  // namespace pcipass
