#pragma once
// Port: the controller's durable state: hosts (with a generation), their devices,
// flavors (with a revision), instances and their allocations. One contract
// (store_contract_test) holds for every adapter: SQLite (the embedded default),
// PostgreSQL (several controllers sharing a fleet) and memory (tests).
//  - Hosts carry a generation, bumped by every change to them (inventory, claim,
//    release); a claim names the generation it was planned on and fails with
//    HostMoved if another controller changed the host since, so the caller re-plans.
//  - A device is held by at most one instance: the store's unique key on
//    (host, address) makes a double allocation impossible even if a caller is wrong.
//  - Every method is one transaction: it happens entirely or not at all (inside an
//    open WriteBatch, one step of it: see below).
//  - Refusals are typed (ErrorCode): AlreadyExists, NotFound, HostMoved, FlavorChanged,
//    DeviceHeld; Busy for contention (try again); Unavailable when the database itself
//    is unreachable or failing.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/host_interface.h"
#include "core/host_inventory.h"
#include "core/server_status.h"

namespace pcipass {

struct StoredDevice {
  DeviceFacts facts;
  std::string fingerprint;
  // Gone from the host's last report while allocated: kept so the allocation stays
  // on record (never silently freed); dropped when its holder is released.
  bool vanished = false;
};

// A device that reappeared at another address (same fingerprint): its allocation follows.
struct AddressMove {
  PciAddress from;
  PciAddress to;
};

struct HostRecord {
  std::string name;
  uint64_t generation = 0;                       // set by the store
  std::optional<std::vector<NumaCellSpec>> numa;  // nullopt: one unlimited cell
  std::vector<StoredDevice> devices;
  std::optional<HostPlatform> platform;           // nullopt: its agent did not say
  bool manages_devices = false;                   // its agent carries out placements
  // Locked by an operator (set_host_locked; a report leaves it as it is): it takes no
  // new placements and keeps its servers.
  bool locked = false;
  // Its interfaces' classes as its operator set them (set_host_interface; a report leaves
  // them as they are), by address.
  std::vector<HostInterface> interfaces;
};

struct FlavorRecord {
  std::string name;
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::vector<std::pair<std::string, std::string>> extra_specs;
  uint64_t revision = 0;  // set by the store: 1 when created, one more on every update
  uint64_t disk_gb = 0;   // its root disk (Nova's flavor --disk; 0: none): passed to its servers' domains
};

struct AllocationRecord {
  std::string host;
  PciAddress address;
  std::string instance;
  uint32_t request = 0;  // index of the PCI request it serves (companions: the request that took them)
};

struct InstanceRecordRow {
  std::string id;
  std::string host;
  std::string flavor;  // may be empty (direct shape)
  // A claim's guard: the flavor revision the plan was made from (0: not checked).
  uint64_t flavor_revision = 0;
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::vector<std::pair<uint32_t, std::pair<uint32_t, uint64_t>>> cells;  // host cell id -> (vCPUs, MB)
  std::vector<AllocationRecord> devices;
  // What it was booted with: the flavor's extra specs then, in order (never updated).
  std::vector<std::pair<std::string, std::string>> extra_specs;
  // Where it is in its lifecycle (a claim stores placed or building).
  ServerState state;
  // The base domain its create request named (empty: none; the flavor's may apply).
  std::string base_domain;
  // What its create request named for its guest ("": none) and the root disk its flavor
  // gave it: kept as booted, passed to its domain.
  std::string image;
  std::string key_name;
  uint64_t disk_gb = 0;
  // Its project ("": the operators'). A claim in a project is refused (OverQuota) when
  // `usage` would take any of the project's quotas past its limit.
  std::string project;
  // Claims only (not read back: TenantStore::ports() and quotas() show them). The ports
  // it binds, each with the index of the device request that serves it: a port bound
  // already (or gone) refuses the claim (Conflict, within "ports"). What it counts
  // against its project's quotas: resource -> amount (tenant_store.h).
  std::vector<std::pair<std::string, uint32_t>> ports;
  std::vector<std::pair<std::string, uint64_t>> usage;
};

// A write batch (group commit). While one is open on a StateStore handle, every write
// on that handle (the batch's claims and releases, and the handle's own writes) joins
// it as one step, undone alone when it fails; reads on the handle see its writes;
// nothing of it is durable, or visible to other handles, before commit() succeeds.
// One commit (one fsync) serves every step.
//
// claim() and release() here may be deferred (deferred() says whether this batch
// does so): answered at once as if they succeeded (a claim: expected_generation + 1)
// while the database decides later. If the database refuses one, the whole batch is
// rolled back: commit(), and every later step on the handle, fail with Busy, and the
// caller rebuilds what it planned on and serves its requests again.
//
// seal() ends the batch: no step joins it any more, its commit is on its way, and the
// handle may open the next batch at once (which sees this batch's writes only once
// they are committed; a write there that needs its rows waits for it). commit() waits
// for the end, sealing first if needed; it may run on another thread than the one
// serving the next batch. A handle has at most one batch open and one sealed. A batch
// dropped before commit() rolls back when open, and is waited for when sealed. A
// batch must not outlive its store.
class WriteBatch {
 public:
  virtual ~WriteBatch() = default;
  virtual bool deferred() const = 0;
  virtual Result<uint64_t> claim(const InstanceRecordRow& instance, uint64_t expected_generation) = 0;
  virtual Status release(const std::string& instance_id) = 0;
  virtual Status seal() = 0;
  virtual Status commit() = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Brings the schema to the newest version this build knows (numbered migrations);
  // refuses (Conflict) a database from a newer pcipass.
  virtual Status migrate() = 0;
  virtual Result<int> schema_version() = 0;

  // Creates or replaces a host's inventory and moves allocations as `moves` says, in
  // one transaction; returns the new generation. With `expected_generation` (0: the
  // host must not exist yet) it fails with HostMoved if the host moved meanwhile.
  virtual Result<uint64_t> report_host(const HostRecord& host, const std::vector<AddressMove>& moves,
                                       std::optional<uint64_t> expected_generation) = 0;
  Result<uint64_t> put_host(const HostRecord& host) { return report_host(host, {}, std::nullopt); }
  virtual Result<std::vector<HostRecord>> hosts() = 0;
  virtual Result<HostRecord> host(const std::string& name) = 0;  // NotFound
  // Every host's current generation, by name: a cheap freshness check.
  virtual Result<std::vector<std::pair<std::string, uint64_t>>> host_generations() = 0;
  // Locks or unlocks a host and bumps its generation; returns the new one. NotFound.
  virtual Result<uint64_t> set_host_locked(const std::string& host, bool locked) = 0;
  // Creates or replaces one interface of a host (by its address) and bumps the host's
  // generation; returns the new one. NotFound.
  virtual Result<uint64_t> set_host_interface(const std::string& host, const HostInterface& iface) = 0;
  // A value that changes whenever another handle commits to the database, if the
  // store can tell cheaply (SQLite's data_version); nullopt: it cannot, so poll.
  virtual Result<std::optional<uint64_t>> others_commit_marker() = 0;

  virtual Status create_flavor(const FlavorRecord& flavor) = 0;  // AlreadyExists
  virtual Status update_flavor(const FlavorRecord& flavor) = 0;  // NotFound
  virtual Result<std::vector<FlavorRecord>> flavors() = 0;
  virtual Result<FlavorRecord> flavor(const std::string& name) = 0;  // NotFound

  // Records an instance and its devices on a host whose generation is still
  // `expected_generation`; returns the new generation. HostMoved when the generation
  // moved, DeviceHeld when a device is already held, AlreadyExists when the instance id
  // exists, NotFound when the host is gone; nothing is written then. With
  // `instance.flavor_revision` set, also FlavorChanged when that flavor has another
  // revision now or is gone.
  virtual Result<uint64_t> claim(const InstanceRecordRow& instance, uint64_t expected_generation) = 0;
  // Removes an instance and frees its devices (dropping those flagged vanished);
  // NotFound if there is no such instance.
  virtual Status release(const std::string& instance_id) = 0;
  // Sets an instance's lifecycle state and bumps its host's generation (so whoever
  // watches the host sees it); returns the new generation. NotFound.
  virtual Result<uint64_t> set_server_state(const std::string& instance_id, const ServerState& state) = 0;
  virtual Result<std::vector<InstanceRecordRow>> instances() = 0;
  virtual Result<std::vector<InstanceRecordRow>> instances_on(const std::string& host) = 0;
  virtual Result<InstanceRecordRow> instance(const std::string& id) = 0;  // NotFound

  // Opens a write batch on this handle (see WriteBatch).
  virtual Result<std::unique_ptr<WriteBatch>> begin_batch() = 0;
};

}  // namespace pcipass
