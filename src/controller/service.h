#pragma once
// The service: one typed call per API operation (docs/api.md), each taking who calls
// and a typed request and returning a typed result or a refusal (an Error whose code
// says what the caller may do). It owns the controller's mutable state (the Controller
// and its fleet, the configuration, the token cache) behind one lock, and group
// commit: a write answers only once it is durable, and a read that saw an unsettled
// write waits for it too. Nothing here knows HTTP; it is tested without a socket.
//
// Refusals every call may give: Unauthenticated (from authenticate), PermissionDenied
// (the role may not), InvalidArgument (a bad name or field, the context naming it),
// NotFound, Unavailable (the store failed: nothing of the request was kept), Busy
// (contention that did not clear: try again). Writes that race with other controllers
// are planned again here, and batches the store rolled back are served again, so
// callers never see HostMoved, FlavorChanged or DeviceHeld unless they persist.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/controller.h"
#include "controller/group_commit.h"
#include "controller/principal.h"
#include "controller/service_types.h"
#include "ports/clock.h"
#include "controller/service_metrics.h"
#include "ports/config_source.h"
#include "ports/log.h"
#include "ports/secrets.h"
#include "ports/store.h"

namespace pcipass {

struct ServiceOptions {
  std::chrono::milliseconds token_cache_ttl{5000};
  // Called before serving a request again after a lost race or a busy store (attempt
  // 1, 2, ...); unset: at once.
  std::function<void(int attempt)> retry_pause;
  // Where the service says what it changed (one event per state change: a server
  // created, its status, deleted; a host registered, changed, locked; a flavor, token,
  // project, network, port or quota written; the configuration reloaded), what it
  // warns of (configuration warnings, at start and on reload; what the fleet's rules
  // find) and what went wrong outside any request (a lost batch). Unset: nothing.
  Log* log = nullptr;
};

class Service {
 public:
  // Loads the configuration (if a source is given) and the fleet from the store,
  // which the caller has migrated. The ports must outlive the service.
  static Result<std::unique_ptr<Service>> open(Store& store, ConfigSource* config, Secrets& secrets, Clock& clock,
                                               ServiceOptions options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The caller of a bearer secret; Unauthenticated when it is unknown.
  Result<Principal> authenticate(const std::string& secret);

  size_t host_count();

  // Hosts and devices.
  Result<ReportResult> report_host(const Principal& who, HostRecord report);
  Result<std::vector<HostSummary>> list_hosts(const Principal& who);
  Result<HostDetail> show_host(const Principal& who, const std::string& name);
  // Admins: a locked host takes no new placements (No valid host says so) and keeps its
  // servers; locking a locked host (or unlocking an unlocked one) changes nothing.
  Result<HostSummary> lock_host(const Principal& who, const std::string& name, bool locked);
  // A host's interfaces; setting one (admins) needs the host locked (Conflict otherwise)
  // and none of its devices held, and is checked against what the host reports
  // (interface_for); its agent carries out the VF count while the host stays locked.
  Result<std::vector<HostInterfaceView>> list_host_interfaces(const Principal& who, const std::string& host);
  Result<HostInterfaceView> set_host_interface(const Principal& who, const std::string& host, const InterfaceRequest& request);
  Result<std::vector<DeviceView>> list_devices(const Principal& who, const DeviceFilter& filter);
  Result<DeviceView> show_device(const Principal& who, const std::string& host, PciAddress address);

  // Configuration.
  Result<std::vector<Alias>> list_aliases(const Principal& who);
  Result<ConfigSummary> show_config(const Principal& who);
  Result<ConfigSummary> reload_config(const Principal& who);
  // SIGHUP's reload: the same, for the operator of the process.
  Result<ConfigSummary> reload_config();

  // Flavors: every write is checked as the scheduler will read it.
  Result<FlavorRecord> create_flavor(const Principal& who, FlavorRecord flavor);
  Result<std::vector<FlavorRecord>> list_flavors(const Principal& who);
  Result<FlavorRecord> show_flavor(const Principal& who, const std::string& name);
  Result<FlavorRecord> update_flavor(const Principal& who, const FlavorUpdate& update);

  // Servers.
  Result<ServerView> create_server(const Principal& who, const NewServer& request);
  Result<std::vector<ServerSummary>> list_servers(const Principal& who, const std::optional<std::string>& host);
  Result<ServerView> show_server(const Principal& who, const std::string& id);
  // Frees its devices at once, or (its host's agent prepared them) marks it deleting
  // until the agent says they are restored; `force` frees them without the host.
  Result<DeleteResult> delete_server(const Principal& who, const std::string& id, bool force = false);

  // A host's agent: what it carries out, and its word on each server. An agent may act
  // only for its own host.
  Result<HostAssignments> host_assignments(const Principal& who, const std::string& host);
  // nullopt: the server is gone (Restored released it).
  Result<std::optional<ServerView>> server_outcome(const Principal& who, const ServerOutcome& outcome);
  // A long poll's wake-up: `wake` is called once (from whichever thread moves the
  // host, possibly under the service's lock: it must only hand over) when the host's
  // generation is no longer `after`; nullopt, without calling it, when it is not now.
  // The id is for unwatch (a watch that timed out).
  std::optional<uint64_t> watch_host(const std::string& host, uint64_t after, std::function<void()> wake);
  void unwatch(uint64_t id);

  // Why a flavor fits where it does, and what is free.
  Result<Explanation> explain(const Principal& who, const std::string& flavor, const Controller::ExplainQuery& query);
  Result<Capacity> capacity(const Principal& who, const std::optional<std::string>& host);

  // Projects (admins create and delete them; a member sees its own), networks (admins
  // create them, in a project or shared; a member sees its project's and the shared
  // ones), ports (a member makes them in its project, on a network it sees) and quotas
  // (admins set them; a member sees its project's). Another project's is NotFound to
  // a member, as if it were not there.
  Result<ProjectRecord> create_project(const Principal& who, const ProjectRecord& project);
  Result<std::vector<ProjectRecord>> list_projects(const Principal& who);
  Result<ProjectRecord> show_project(const Principal& who, const std::string& name);
  Status delete_project(const Principal& who, const std::string& name);
  Result<NetworkRecord> create_network(const Principal& who, const NewNetwork& request);
  Result<std::vector<NetworkRecord>> list_networks(const Principal& who);
  Result<NetworkRecord> show_network(const Principal& who, const std::string& name);
  Status delete_network(const Principal& who, const std::string& name);
  Result<PortRecord> create_port(const Principal& who, const NewPort& request);
  Result<std::vector<PortRecord>> list_ports(const Principal& who);
  Result<PortRecord> show_port(const Principal& who, const std::string& name);
  Status delete_port(const Principal& who, const std::string& name);
  Result<ProjectQuotas> show_quotas(const Principal& who, const std::string& project);
  Result<ProjectQuotas> set_quotas(const Principal& who, const QuotaUpdate& update);

  // Tokens.
  Result<IssuedToken> create_token(const Principal& who, const NewToken& request);
  Result<std::vector<TokenInfo>> list_tokens(const Principal& who);
  Status delete_token(const Principal& who, const std::string& name);

  // What the store holds that breaks a rule, and what it blocks.
  Result<Health> health(const Principal& who);
  // What /metrics shows: the fleet's devices by host, alias and status, servers by
  // status, each host's last report age, and the counters. Fleet viewers only.
  Result<MetricsSnapshot> metrics(const Principal& who);

  // Takes in what other controllers changed (see Controller::refresh).
  Result<size_t> refresh();

 private:
  // An event to options_.log, if any.
  void note(LogLevel level, std::string_view event, const std::vector<LogField>& fields);
  Service(Store& store, ConfigSource* config, Secrets& secrets, Clock& clock, ServiceOptions options);
  // Runs `step` under the lock, inside the open batch, and waits until it is durable;
  // serves it again after a lost batch (without deferring) or a busy store.
  template <class T, class Step>
  Result<T> write(Step&& step);
  // Runs `step` under the lock; waits for the open batch if there is one.
  template <class T, class Step>
  Result<T> read(Step&& step);
  Status reload_config_locked();
  // A boot decision for the counters: its outcome and how long it took.
  void count_boot(const Result<ServerPlacement>& placed, double seconds);
  ConfigSummary config_summary_locked() const;
  // A port a server holds, as its view shows it: the request that it is, its MAC and
  // its network's VLAN.
  struct PortBinding {
    std::string name;
    uint32_t request = 0;
    std::string mac;
    std::optional<uint16_t> vlan;
  };
  // The ports each server holds (by server id), from the store.
  Result<std::map<std::string, std::vector<PortBinding>>> port_bindings_locked();
  // `guest`: what its create request named (a base domain "": the flavor's, if any);
  // `disk_gb`: its flavor's root disk as booted.
  Result<ServerView> server_view_locked(const std::string& id, const std::string& flavor,
                                        const std::vector<std::pair<std::string, std::string>>& booted_with,
                                        const GuestNames& guest, uint64_t disk_gb, const std::vector<PortBinding>& ports = {});
  // A new server's NICs: each an existing port of the caller's or one made on a network
  // it sees (`made` lists those, for undoing), and the request it adds.
  Status resolve_nics_locked(const Principal& who, const NewServer& request, Admission& admission, std::vector<PortBinding>& bindings,
                             std::vector<std::string>& made);
  DeviceView device_view_locked(uint32_t host, uint32_t device, bool detail) const;
  // What device_view_locked says of its status, without the words.
  DeviceStatus device_status_locked(uint32_t host, uint32_t device) const;
  // The interfaces of a host as the store holds it (`stored`) and the fleet schedules it.
  Result<std::vector<HostInterfaceView>> interface_views_locked(const HostRecord& stored);

  StateStore& state_;
  TokenStore& tokens_;
  TenantStore& tenants_;
  ConfigSource* config_source_;
  Secrets& secrets_;
  Clock& clock_;
  ServiceOptions options_;
  std::mutex mu_;  // guards everything below, and every use of state_, tokens_ and tenants_
  std::unique_ptr<Controller> controller_;
  std::vector<std::string> config_warnings_;
  struct CachedToken {
    Principal who;
    std::chrono::steady_clock::time_point until;
  };
  // By the secret as presented (hashing every request's secret cost more than the
  // rest of authentication); held only for token_cache_ttl.
  std::unordered_map<std::string, CachedToken> token_cache_;
  std::unique_ptr<GroupCommit> commits_;
  ServiceCounters counters_;  // updated without the lock
  // When each host's last report was taken (by clock_), since this service started.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_report_;
  struct Watch {
    uint64_t id;
    std::function<void()> wake;
  };
  std::unordered_map<std::string, std::vector<Watch>> watches_;  // by host
  std::unordered_map<uint64_t, std::string> watch_hosts_;        // by watch id
  uint64_t next_watch_ = 0;
  void host_changed_locked(const std::string& host);
};

}  // namespace pcipass
