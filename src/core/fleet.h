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
#include "core/refusal.h"

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

// Incremental feasibility: for each request shape the fleet has been asked about (the
// most recently used kMaxShapes of them), the fleet keeps the set of hosts it fits on
// now, in weigher order. Every change to a host is logged; a shape's set catches up on
// the hosts changed since it was last used, and only those are fitted again (a claim
// cannot make a host fit that did not, nor a free make one stop fitting). A boot then
// takes the first host of the set, a No valid host is known at once, and a query lists
// the set. Const calls update these sets: a Fleet has one owner and is not shared
// between threads, even for reading.
class Fleet;
// The first reason why `host` cannot take the instance, and its specific words in
// `detail` when given (explain.cc).
Refusal explain_host(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                     const AliasTable& aliases, std::string* detail);

class Fleet {
 public:
  static constexpr size_t kMaxShapes = 64;

  explicit Fleet(AliasTable aliases) : aliases_(std::move(aliases)) {}
  Fleet(Fleet&&) = default;
  Fleet& operator=(Fleet&&) = default;

  ClassRegistry& classes() { return classes_; }
  const ClassRegistry& classes() const { return classes_; }
  const AliasTable& aliases() const { return aliases_; }
  // The aliases (indexes into aliases()) that admit devices of class `class_id`.
  const std::vector<uint32_t>& aliases_admitting(uint32_t class_id) const { return class_aliases_[class_id]; }
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
  // The hosts the shape does not fit on (only `forced` when given), grouped by their
  // first reason in general words, most hosts first, with up to `sample` of them each.
  std::vector<RefusalGroup> explain_grouped(const InstanceShape& shape, std::optional<HostIndex> forced, size_t sample = 3) const;
  // Up to `limit` hosts in name order after the name `after` ("": from the first).
  std::vector<HostIndex> hosts_after(std::string_view after, size_t limit) const;
  // Why host `h` cannot take the instance, in specific words.
  std::string explain_one(const InstanceShape& shape, HostIndex h) const;
  // Every host where the boot would succeed now, in name order; claims nothing.
  std::vector<HostIndex> query(const InstanceShape& shape) const;
  // The same hosts' names, from one contiguous copy of the names (a long list stays in
  // cache); valid until a host is added.
  std::vector<std::string_view> query_names(const InstanceShape& shape) const;
  // How many hosts it fits on now.
  size_t count_fitting(const InstanceShape& shape) const;
  // Whether it fits on host `h` now.
  bool fits_now(const InstanceShape& shape, HostIndex h) const;
  // The same verdicts from scratch, fitting every host (the cross-check of the sets).
  std::vector<HostIndex> query_from_scratch(const InstanceShape& shape) const;
  size_t cached_shapes() const { return shapes_.size(); }

  // Claims what the plan names for instance `id`, all or nothing, by `mode` (see
  // ClaimMode). Force also reserves beyond capacity; `broken` gets what it broke.
  Result<const InstanceRecord*> claim(const std::string& id, const InstanceShape& shape, const BootPlan& plan,
                                      ClaimMode mode = ClaimMode::Fresh, std::vector<std::string>* broken = nullptr);
  // The host takes no new placements (its held state breaks a rule); `reason` says
  // why, in explanations. Replacing the host (a rebuild) lifts it.
  void block_host(HostIndex h, std::string reason) {
    hosts_[h].blocked_ = std::move(reason);
    log_change(h, kChangedAnyway);
  }
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
  // What a change to a host can do to the shapes that fit it.
  static constexpr uint8_t kGaveBack = 1;      // a free: a host that fitted still fits
  static constexpr uint8_t kTookMore = 2;      // a claim: a host that did not fit still does not
  static constexpr uint8_t kChangedAnyway = 3;  // anything else (a report, a block)
  struct Change {
    HostIndex host;
    uint8_t effect;
  };
  // One shape's hosts. `fits` and the order keys are by name position (pos_).
  struct ShapeSet {
    InstanceShape shape;
    Weigher weigher = Weigher::Pack;
    bool exact = false;                // free counters decide (counters_are_exact)
    bool exact_per_placement = false;  // with NUMA cells: free counters on the cells a placement allows decide
    std::vector<uint64_t> fits;        // bit per name position
    std::vector<uint32_t> weight;      // per name position: its order key while it fits
    std::set<uint64_t> order;          // weight << 32 | position, of the hosts it fits
    size_t count = 0;
    uint64_t synced = 0;               // changes seen (a sequence number into the log)
    uint64_t layout = 0;               // the name layout it was built on
    uint64_t last_used = 0;
  };
  // The set of `shape`, caught up; ordered for `weigher` when given (else as it is).
  ShapeSet& shape_set(const InstanceShape& shape, std::optional<Weigher> weigher) const;
  void ensure_positions() const;
  void rebuild(ShapeSet& set) const;
  void reorder(ShapeSet& set) const;
  // Calls visit(position) for each host the set fits on, in name order.
  template <class Visit>
  static void for_each_fitting(const ShapeSet& set, Visit&& visit);
  void catch_up(ShapeSet& set) const;
  void refit(ShapeSet& set, HostIndex h, uint8_t effect) const;
  bool fits_host(const ShapeSet& set, HostIndex h) const;
  uint32_t order_weight(const ShapeSet& set, HostIndex h) const;
  void log_change(HostIndex h, uint8_t effect);

  void register_new_classes();
  void apply_deltas(HostIndex h, const std::vector<PoolDelta>& deltas);
  bool quick_reject(HostIndex h, const InstanceShape& shape) const;
  bool counters_are_exact(const InstanceShape& shape) const;
  // Whether the requests, apart from NUMA, cannot compete (as counters_are_exact).
  bool requests_independent(const InstanceShape& shape) const;
  // With the instance's cells on host cells `cells`: does each request find enough free
  // devices that its NUMA policy allows there?
  bool supplies_suffice(HostIndex h, const InstanceShape& shape, const std::vector<size_t>& cells) const;

  AliasTable aliases_;
  ClassRegistry classes_;
  AliasClassMatrix matrix_;
  std::vector<std::vector<uint32_t>> class_aliases_;  // class -> aliases admitting it
  std::vector<HostInventory> hosts_;
  std::map<std::string, HostIndex, std::less<>> by_name_;
  // Free admitted devices per host and alias, at h * aliases + a: one block, so that a
  // fitting pass reads each host's counters without another pointer to follow.
  std::vector<uint32_t> alias_free_;
  uint32_t& free_of(HostIndex h, size_t a) { return alias_free_[h * aliases_.aliases().size() + a]; }
  uint32_t free_of(HostIndex h, size_t a) const { return alias_free_[h * aliases_.aliases().size() + a]; }
  std::unordered_map<std::string, InstanceRecord> instances_;
  std::vector<const InstanceRecord*> by_slot_;  // node pointers are stable
  std::vector<InstanceSlot> free_slots_;
  InstanceSlot next_slot_ = 0;

  // Incremental feasibility (fleet_feasibility.cc).
  mutable std::vector<HostIndex> by_pos_;  // hosts in name order
  mutable std::vector<uint32_t> pos_;      // host -> its place in by_pos_
  mutable std::string names_;              // every host's name, in name order, end to end
  mutable std::vector<uint32_t> name_end_;  // by position: where its name ends in names_
  mutable bool positions_stale_ = true;    // a host was added since they were laid out
  uint64_t layout_ = 1;                    // bumped whenever positions change
  std::vector<Change> log_;                // changes log_base_ .. log_base_ + log_.size()
  uint64_t log_base_ = 0;
  mutable std::unordered_map<std::string, ShapeSet> shapes_;
  mutable uint64_t uses_ = 0;
  mutable std::vector<uint64_t> seen_;  // per host: the catch-up pass that last met it
  mutable std::vector<uint8_t> effect_;  // per host: what the changes met in that pass did
  mutable uint64_t pass_ = 0;
  mutable std::vector<HostIndex> met_;  // the hosts a catch-up pass met
  mutable std::vector<size_t> cells_scratch_;
  mutable std::string key_;            // the shape key being looked up
};

}  // namespace pcipass
