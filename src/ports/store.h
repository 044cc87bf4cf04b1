#pragma once
// Port: the controller's durable state. One contract (store_contract_test) holds for
// every adapter: SQLite (embedded default) and, next, PostgreSQL (several controllers
// sharing a fleet).
//  - Hosts carry a generation, bumped by every change to them (inventory, claim,
//    release); a claim names the generation it was planned on and fails with
//    HostMoved if another controller changed the host since, so the caller re-plans.
//  - Refusals are typed (ErrorCode): AlreadyExists, NotFound, HostMoved, FlavorChanged,
//    DeviceHeld; Busy for contention (try again); Unavailable when the database itself
//    is unreachable or failing.
//  - A device is held by at most one instance: the store's unique key on
//    (host, address) makes a double allocation impossible even if a caller is wrong.
//  - Every method is one transaction: it happens entirely or not at all.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/host_inventory.h"

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

// An API credential. Only the SHA-256 of the secret is stored.
struct TokenRecord {
  std::string name;
  std::string secret_sha256;  // lowercase hex
  std::string role;           // admin | agent | reader
  std::string host;           // agents: the one host they may report for
};

struct HostRecord {
  std::string name;
  uint64_t generation = 0;                       // set by the store
  std::optional<std::vector<NumaCellSpec>> numa;  // nullopt: one unlimited cell
  std::vector<StoredDevice> devices;
};

struct FlavorRecord {
  std::string name;
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::vector<std::pair<std::string, std::string>> extra_specs;
  uint64_t revision = 0;  // set by the store: 1 when created, one more on every update
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
};

class Store {
 public:
  virtual ~Store() = default;
  // Brings the schema to the newest version this build knows (numbered migrations);
  // refuses a database from a newer pcipass.
  virtual Status migrate() = 0;

  // Group commit: between begin_batch() and commit_batch() every method runs as a
  // savepoint inside one outer transaction, so one commit (one fsync on PostgreSQL,
  // one WAL append on SQLite) covers many requests. A method that fails rolls back
  // its own savepoint only. Nothing in a batch is durable, or visible to other
  // connections, before commit_batch() succeeds; abort_batch() drops it all.
  // Whether a server should batch its writes. Where a batch could wait on another
  // controller's open batch (PostgreSQL row locks), the adapter must not wait:
  // such a step fails with Busy, and the caller commits its own batch and tries again.
  virtual bool batches_writes() const = 0;
  virtual Status begin_batch() = 0;
  virtual Status commit_batch() = 0;
  virtual void abort_batch() = 0;
  // Overlapped commits (where overlaps_commits()): seal_batch() ends the open batch and
  // sends its commit without waiting, and the store is at once ready for the next
  // batch; await_sealed() waits for that commit and answers as commit_batch() would.
  // One batch is sealed at a time. await_sealed() may run on another thread, while
  // the other methods serve the next batch. A read in the next batch does not see the
  // sealed batch until it is committed; a write there waits for it (row locks).
  virtual bool overlaps_commits() const { return false; }
  virtual Status seal_batch() { return Error(ErrorCode::Internal, "this store does not overlap commits"); }
  virtual Status await_sealed() { return Error(ErrorCode::Internal, "this store does not overlap commits"); }
  virtual Result<int> schema_version() = 0;

  // Creates or replaces a host's inventory and moves allocations as `moves` says, in
  // one transaction; returns the new generation. With `expected_generation` (0: the
  // host must not exist yet) it fails with HostMoved if the host moved meanwhile.
  virtual Result<uint64_t> report_host(const HostRecord& host, const std::vector<AddressMove>& moves,
                                       std::optional<uint64_t> expected_generation) = 0;
  Result<uint64_t> put_host(const HostRecord& host) { return report_host(host, {}, std::nullopt); }
  virtual Result<std::vector<HostRecord>> hosts() = 0;
  virtual Result<HostRecord> host(const std::string& name) = 0;
  // Every host's current generation, by name: a cheap freshness check.
  virtual Result<std::vector<std::pair<std::string, uint64_t>>> host_generations() = 0;
  // A value that changes whenever another connection commits to the database, if the
  // store can tell cheaply (SQLite's data_version); nullopt: it cannot, so poll.
  virtual Result<std::optional<uint64_t>> others_commit_marker() = 0;

  // create: AlreadyExists if the name exists.
  virtual Status create_flavor(const FlavorRecord& flavor) = 0;
  virtual Status update_flavor(const FlavorRecord& flavor) = 0;  // NotFound if absent
  virtual Result<std::vector<FlavorRecord>> flavors() = 0;
  virtual Result<FlavorRecord> flavor(const std::string& name) = 0;

  // Records an instance and its devices on a host whose generation is still
  // `expected_generation`; returns the new generation. HostMoved when the generation
  // moved, DeviceHeld when a device is already held, AlreadyExists when the instance id
  // exists; nothing is written then. With `instance.flavor_revision` set, also
  // FlavorChanged when that flavor has another revision now or is gone.
  virtual Result<uint64_t> claim(const InstanceRecordRow& instance, uint64_t expected_generation) = 0;
  // Removes an instance and frees its devices (dropping those flagged vanished);
  // NotFound if there is no such instance.
  virtual Status release(const std::string& instance_id) = 0;
  // Deferred writes: inside a batch, a store may send these without waiting for the
  // answer, so the database works while the caller goes on. They answer as if they
  // succeeded (a claim: expected_generation + 1). If one was in fact refused, the
  // whole batch is rolled back: commit_batch(), and every later method of that batch,
  // fail with Busy; the caller
  // then rebuilds what it planned on and tries again without deferring. By default
  // (and outside a batch) they are claim() and release().
  virtual Result<uint64_t> claim_deferred(const InstanceRecordRow& instance, uint64_t expected_generation) {
    return claim(instance, expected_generation);
  }
  virtual Status release_deferred(const std::string& instance_id) { return release(instance_id); }
  virtual Result<std::vector<InstanceRecordRow>> instances() = 0;
  virtual Result<std::vector<InstanceRecordRow>> instances_on(const std::string& host) = 0;

  // AlreadyExists if the name or the secret exists.
  virtual Status create_token(const TokenRecord& token) = 0;
  virtual Result<TokenRecord> token_by_secret_sha256(const std::string& sha256_hex) = 0;  // NotFound
  virtual Result<std::vector<TokenRecord>> tokens() = 0;
  virtual Status delete_token(const std::string& name) = 0;  // NotFound
};

}  // namespace pcipass
