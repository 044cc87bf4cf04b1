#pragma once
// Fleet: every host, the instances placed on them, and the indexes that let a boot
// decision touch only hosts that could fit it. One owner mutates it (simulate runs
// it single-threaded; the controller will own it behind its command loop).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/alias.h"
#include "core/host_fit.h"
#include "core/host_inventory.h"

namespace pcipass {

using HostIndex = uint32_t;

struct BootPlan {
  HostIndex host = 0;
  HostFit fit;
};

struct InstanceRecord {
  std::string id;
  HostIndex host = 0;
  InstanceSlot slot = 0;
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::vector<std::vector<DeviceIndex>> requested;  // per PCI request
  std::vector<DeviceIndex> devices;                 // everything held, companions included
  std::vector<std::pair<size_t, std::pair<uint32_t, uint64_t>>> cell_use;  // host cell index -> (vCPUs, MB)
};

class Fleet {
 public:
  explicit Fleet(AliasTable aliases) : aliases_(std::move(aliases)) {}

  ClassRegistry& classes() { return classes_; }
  const ClassRegistry& classes() const { return classes_; }
  const AliasTable& aliases() const { return aliases_; }
  // Adds a host built against classes(); its name must be new.
  Result<HostIndex> add_host(HostInventory host);
  // Adds several hosts at once (indexes are rebuilt once); all or nothing on name clashes.
  Result<std::vector<HostIndex>> add_hosts(std::vector<HostInventory> hosts);

  // Swaps in a new inventory for an existing host (a report); adds it if new. The
  // instances on it are freed first and their ids returned, so the caller can claim
  // them again against the new inventory.
  Result<std::vector<std::string>> replace_host(HostInventory host);

  size_t host_count() const { return hosts_.size(); }
  const HostInventory& host(HostIndex i) const { return hosts_[i]; }
  std::optional<HostIndex> find_host(std::string_view name) const;
  const InstanceRecord* instance(std::string_view id) const;
  // The instance holding a device (Device::owner), or null.
  const InstanceRecord* instance_at(InstanceSlot slot) const { return slot < by_slot_.size() ? by_slot_[slot] : nullptr; }
  size_t instance_count() const { return instances_.size(); }

  // Picks a host and devices, changing nothing. `forced` restricts to one host.
  std::optional<BootPlan> schedule(const InstanceShape& shape, std::optional<HostIndex> forced, Weigher weigher) const;
  // One short reason per rejected host (only `forced` when given), in host-name order.
  std::vector<Rejection> explain(const InstanceShape& shape, std::optional<HostIndex> forced) const;
  // Every host where the boot would succeed now, in name order; claims nothing.
  std::vector<HostIndex> query(const InstanceShape& shape) const;

  // Claims what the plan names for instance `id`, all or nothing, by `mode` (see
  // ClaimMode). Force also reserves beyond capacity; `broken` gets what it broke.
  Result<const InstanceRecord*> claim(const std::string& id, const InstanceShape& shape, const BootPlan& plan,
                                      ClaimMode mode = ClaimMode::Fresh, std::vector<std::string>* broken = nullptr);
  // The host takes no new placements (its held state breaks a rule); `reason` says
  // why, in explanations. Replacing the host (a rebuild) lifts it.
  void block_host(HostIndex h, std::string reason) { hosts_[h].blocked_ = std::move(reason); }
  // Frees everything the instance holds; NotFound if it holds nothing.
  Status free(const std::string& id);

  // No device in two instances, PF/VF exclusion, counters equal a recount, whole
  // IOMMU groups per owner, CPU/memory usage equals the instances'. Empty if all hold.
  // On a blocked host, the rules a forced restore may break (exclusion, whole groups,
  // capacity) are its known problems, not checked here; the bookkeeping is.
  std::vector<std::string> check_invariants() const;

  // Bytes of scheduler state (hosts, pools, devices, indexes), for the benchmark.
  size_t memory_bytes() const;
  size_t device_count() const;

 private:
  void register_new_classes();
  void apply_deltas(HostIndex h, const std::vector<PoolDelta>& deltas);
  void index_host(HostIndex h);
  bool quick_reject(HostIndex h, const InstanceShape& shape) const;
  bool counters_are_exact(const InstanceShape& shape) const;

  AliasTable aliases_;
  ClassRegistry classes_;
  AliasClassMatrix matrix_;
  std::vector<std::vector<uint32_t>> class_aliases_;  // class -> aliases admitting it
  std::vector<HostInventory> hosts_;
  std::vector<uint32_t> rank_;               // host -> rank: increases with the name, with gaps
  std::map<std::string, HostIndex, std::less<>> by_name_;
  std::vector<std::vector<uint32_t>> alias_free_;  // host -> alias -> free admitted devices
  // Index entries order by free count, then rank (name order); they carry the host.
  struct IndexEntry {
    uint32_t free;
    uint32_t rank;
    HostIndex host;
    auto operator<=>(const IndexEntry&) const = default;
  };
  std::vector<std::set<IndexEntry>> by_alias_free_;  // alias -> hosts by free admitted devices
  std::set<IndexEntry> by_total_free_;               // hosts by free devices
  std::unordered_map<std::string, InstanceRecord> instances_;
  std::vector<const InstanceRecord*> by_slot_;  // node pointers are stable
  std::vector<InstanceSlot> free_slots_;
  InstanceSlot next_slot_ = 0;
};

}  // namespace pcipass
