#pragma once
// The controller's single owner of mutable state: the in-memory Fleet, rebuilt from
// the Store, and the host generations it planned on. The Store is the source of
// truth: a boot is written there first (guarded by the host's generation), then
// recorded in the Fleet; when another controller moved a host, the Fleet is reloaded
// and the boot planned again.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/alias.h"
#include "core/device_spec.h"
#include "core/fleet.h"
#include "core/server_status.h"
#include "ports/state_store.h"

namespace pcipass {

struct PciConfig {
  DeviceSpecList device_spec;
  AliasTable aliases;
};

// A server of a project: what it counts against the project's quotas (core/tenancy.h
// quota_usage) is checked by `check` before it is scheduled, and again by the claim.
struct Admission {
  std::string project;
  std::function<Status(const std::vector<std::pair<std::string, uint64_t>>& usage)> check;
  // Its ports' requests, solved with the flavor's (their indexes follow the flavor's),
  // and the ports the claim binds to them, in the same order.
  std::vector<PciRequest> port_requests;
  std::vector<std::string> ports;
};

// What a create request named for the guest beyond its flavor ("": none): kept with the
// server as booted and passed to its domain.
struct GuestNames {
  std::string base_domain;  // the operator's base domain its agent merges it into (else the flavor's, if any)
  std::string image;
  std::string key_name;
};

struct ServerPlacement {
  std::string id;
  std::string host;
  std::vector<PciAddress> devices;   // everything held, by address
  std::vector<uint32_t> numa_cells;  // host cell ids
  std::string flavor;
  std::vector<std::pair<std::string, std::string>> flavor_extra_specs;  // as booted
  uint64_t disk_gb = 0;                                                  // the flavor's root disk, as booted
  size_t requests = 0;  // its PCI requests: the flavor's, then its ports' 
};

struct HostVerdict {
  std::string host;
  bool fits = false;
  std::string reason;  // why not, when it does not fit
};

// An allocated device gone from its host's reports (see reconcile.h).
struct VanishedDevice {
  StoredDevice device;
  std::string owner;  // the instance still holding it
};

struct ReportOutcome {
  uint64_t generation = 0;
  std::vector<std::string> notes;  // flagged and moved devices
};

class Controller {
 public:
  // Loads the fleet from the store.
  static Result<std::unique_ptr<Controller>> open(StateStore& store, PciConfig config);

  // Rebuilds the fleet from the store (hosts, then every instance's devices and cells).
  // It never fails on what the store holds: an instance is taken back whatever the
  // rules (a forced restore), and a host whose held state breaks a rule is blocked,
  // with the problem recorded (host_problems(), server_problems()). Only the store's
  // own failures make it fail.
  Status reload();
  // Brings the fleet in line with the store, rebuilding only the hosts whose
  // generation moved (another controller booted, deleted or took a report); returns
  // how many hosts were rebuilt. `unsettled`: hosts whose writes are in a batch that is
  // committing now, which the store does not show yet: left alone.
  Result<size_t> refresh(const std::set<std::string>& unsettled = {});
  // Rebuilds these hosts from the store (what a lost batch touched), then refreshes;
  // the whole fleet if that fails. Flavors are read again.
  Status rebuild_hosts(const std::set<std::string>& hosts);
  // Replaces the device_spec and aliases; the fleet is rebuilt under the new ones.
  // On error nothing changes: Conflict when the stored servers would break a rule
  // under it that they do not break now (a held device it no longer admits), else
  // the store's error.
  Status set_config(PciConfig config);
  const PciConfig& config() const { return config_; }

  // An agent's report: reconciled with the stored host (see reconcile.h), written
  // guarded by the host's generation (re-read and retried on a race), then the host
  // is rebuilt in the fleet.
  Result<ReportOutcome> report_host(HostRecord report);

  // The flavor's request, as the scheduler sees it, read from the store now.
  // `record`, if given, receives the flavor as stored.
  Result<InstanceShape> shape_of(const std::string& flavor, FlavorRecord* record = nullptr);
  // Boots plan from a cached copy of their flavor; each claim names the revision it
  // used and the store refuses a stale one, so a flavor changed by another controller
  // is re-read then. Changes made through this controller call this.
  void forget_flavor(const std::string& name) { flavors_.erase(name); }
  // Where the flavor fits now and why not: how many hosts it fits on, the others grouped
  // by their first reason, and with `per_host` a page of verdicts in name order (up to
  // `limit` hosts after `marker`; `next` is the marker of the next page). With `host`,
  // only that host.
  struct ExplainQuery {
    std::optional<std::string> host;
    bool per_host = false;
    std::string marker;
    size_t limit = 1000;
  };
  struct Verdicts {
    size_t fits_on = 0;
    size_t refused = 0;
    std::vector<RefusalGroup> why;
    std::vector<HostVerdict> hosts;
    std::optional<std::string> next;
  };
  Result<Verdicts> explain(const std::string& flavor, const ExplainQuery& query);

  // Schedules and claims. Refusals: NoValidHost (with one reason per host),
  // AlreadyExists, NotFound (within "flavor" or "host"), InvalidArgument for a flavor
  // the scheduler cannot read, Busy when other controllers kept winning the races.
  // With `defer_into` (an open batch whose writes are deferred, see WriteBatch) the
  // claim goes there and the fleet changes before the store has answered; the caller
  // then rebuilds the host if the batch is lost.
  Result<ServerPlacement> create_server(const std::string& id, const std::string& flavor,
                                        const std::optional<std::string>& host, WriteBatch* defer_into = nullptr,
                                        const GuestNames& guest = {}, const Admission* admission = nullptr);
  // Frees a server's devices; NotFound if there is none. `defer_into` as above.
  Status delete_server(const std::string& id, WriteBatch* defer_into = nullptr);
  // Sets a server's lifecycle state (core/server_status.h) in the store; NotFound.
  Status set_server_state(const std::string& id, const ServerState& state);
  // Locks or unlocks a host (HostInventory::locked) in the store, then here; NotFound.
  Status set_host_locked(const std::string& host, bool locked);
  // Records a host interface's class (HostInterface) and rebuilds the host under it: its
  // entry comes ahead of device_spec for that host, and a data network new to the fleet
  // gets its port aliases.
  Status set_host_interface(const std::string& host, const HostInterface& iface);
  // A server's status as the fleet last took it from the store (nullopt: unknown here).
  std::optional<ServerStatus> server_status(const std::string& id) const;
  // Every server's status, by id.
  const std::map<std::string, ServerStatus>& server_statuses() const { return status_; }
  // Whether the host's agent carries out placements (its last report said so).
  bool manages_devices(const std::string& host) const { return managing_.count(host) > 0; }
  // The host's generation as this controller last saw it (0: unknown): what an
  // agent's watch of its host's assignments waits to see move.
  uint64_t generation(const std::string& host) const;
  // Called (under the owner's lock) whenever a host's generation moves here: a boot,
  // a delete, a status, a report, or another controller's change taken in.
  void set_on_host_change(std::function<void(const std::string& host)> hook) { on_change_ = std::move(hook); }

  // Called before each re-plan after a lost race (attempt 1, 2, ...): a server waits
  // there a little, with jitter, so two controllers packing onto one host stop
  // colliding. Unset: re-plan at once.
  void set_retry_pause(std::function<void(int attempt)> pause) { pause_ = std::move(pause); }

  const Fleet& fleet() const { return *fleet_; }
  // Vanished allocated devices, by host.
  const std::map<std::string, std::vector<VanishedDevice>>& vanished() const { return vanished_; }
  // What the store holds that breaks a rule, found by the last rebuild of each host:
  // per blocked host (it takes no new placements), and per server.
  const std::map<std::string, std::vector<std::string>>& host_problems() const { return host_problems_; }
  const std::map<std::string, std::vector<std::string>>& server_problems() const { return server_problems_; }
  // Per device (host, address): why its holding breaks a rule.
  const std::map<std::pair<std::string, PciAddress>, std::vector<std::string>>& device_problems() const { return device_problems_; }
  // Where a new problem is said, once (the server's log); what is known already is said now.
  void set_log(std::function<void(const std::string&)> log);
  size_t conflicts_retried() const { return conflicts_; }

 private:
  Controller(StateStore& store, PciConfig config) : store_(store), config_(std::move(config)) {
    config_.aliases.add_port_aliases(config_.device_spec);
  }
  struct Problems {
    std::map<std::string, std::vector<std::string>> hosts, servers;
    std::map<std::pair<std::string, PciAddress>, std::vector<std::string>> devices;
  };
  Result<HostInventory> build_inventory(const HostRecord& host, Fleet& fleet);
  // The NoValidHost refusal of `id`: the refused hosts grouped by reason, and the first
  // few of them in specific words.
  Error no_valid_host(const std::string& id, const std::string& flavor, const InstanceShape& shape, std::optional<HostIndex> forced) const;
  static std::vector<DeviceSpec> interface_specs(const HostRecord& host);
  // Adds the port aliases of the data networks of the host's interfaces; true if any was new.
  bool add_interface_aliases(const HostRecord& host);
  // The host's inventory, or, when its stored record cannot be used, an empty one
  // with the problem recorded.
  Result<HostInventory> inventory_or_empty(const HostRecord& host, Fleet& fleet, Problems& problems);
  // Takes the instance back into the fleet, forcing it and recording what it breaks
  // when the rules do not allow it as it is held.
  Status apply_instance(Fleet& fleet, const InstanceRecordRow& row, std::map<std::string, std::vector<VanishedDevice>>& vanished,
                        Problems& problems);
  // Replaces the problems of the hosts and servers just rebuilt by what was found, and
  // blocks the hosts that have any.
  void settle_problems(const Problems& found, const std::set<std::string>& hosts, const std::set<std::string>& servers);
  static void note_vanished(const HostRecord& host, std::map<std::string, std::vector<VanishedDevice>>& vanished);
  Status rebuild_host(const std::string& name);
  struct CachedFlavor {
    FlavorRecord record;
    InstanceShape shape;
  };
  Result<const CachedFlavor*> cached_flavor(const std::string& name);
  StateStore& store_;
  PciConfig config_;
  std::unique_ptr<Fleet> fleet_;
  std::map<std::string, uint64_t> generation_;
  std::map<std::string, std::vector<VanishedDevice>> vanished_;
  std::map<std::string, std::vector<std::string>> host_problems_, server_problems_;
  std::map<std::pair<std::string, PciAddress>, std::vector<std::string>> device_problems_;
  std::function<void(const std::string&)> log_;
  std::set<std::string> logged_;  // problems already said
  bool quiet_ = false;            // a configuration on trial says nothing
  std::map<std::string, CachedFlavor> flavors_;  // parsed under config_: cleared when it changes
  size_t conflicts_ = 0;
  std::optional<uint64_t> marker_;  // the store's others-commit marker at the last refresh
  std::function<void(int)> pause_;
  std::set<std::string> managing_;                      // hosts whose agent manages devices
  std::map<std::string, ServerStatus> status_;          // by server id
  std::function<void(const std::string&)> on_change_;
  void set_generation(const std::string& host, uint64_t generation);
  void note_host(const HostRecord& host);
};

}  // namespace pcipass
