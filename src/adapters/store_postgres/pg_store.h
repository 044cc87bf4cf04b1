#pragma once
// Store on PostgreSQL (libpq): several controllers sharing one fleet. Every method is
// one transaction at READ COMMITTED; a claim or a guarded report is decided under the
// host row's lock (the loser sees the new generation: HostMoved), and the allocations
// primary key refuses a double allocation. Migrations take an advisory lock, so
// controllers starting together migrate once. Not thread-safe, but for a sealed
// batch's commit(), which may run on another thread: one handle holds two
// connections that take turns (a batch commits on one while the next runs on the
// other).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ports/store.h"

namespace pcipass {

namespace pg {
struct PgSession;
}
class PgBatch;

class PgStore final : public Store {
 public:
  // `conninfo`: a libpq connection string or postgresql:// URI.
  static Result<std::unique_ptr<PgStore>> open(const std::string& conninfo);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  Status migrate() override;
  Result<int> schema_version() override;
  Result<uint64_t> report_host(const HostRecord& host, const std::vector<AddressMove>& moves,
                               std::optional<uint64_t> expected_generation) override;
  Result<std::vector<HostRecord>> hosts() override;
  Result<HostRecord> host(const std::string& name) override;
  Result<std::vector<std::pair<std::string, uint64_t>>> host_generations() override;
  Result<std::optional<uint64_t>> others_commit_marker() override { return std::optional<uint64_t>(); }
  Status create_flavor(const FlavorRecord& flavor) override;
  Status update_flavor(const FlavorRecord& flavor) override;
  Result<std::vector<FlavorRecord>> flavors() override;
  Result<FlavorRecord> flavor(const std::string& name) override;
  Result<uint64_t> claim(const InstanceRecordRow& instance, uint64_t expected_generation) override;
  Status release(const std::string& instance_id) override;
  Result<uint64_t> set_server_state(const std::string& instance_id, const ServerState& state) override;
  Result<uint64_t> set_host_locked(const std::string& host, bool locked) override;
  Result<uint64_t> set_host_interface(const std::string& host, const HostInterface& iface) override;
  Result<std::vector<InstanceRecordRow>> instances() override;
  Result<std::vector<InstanceRecordRow>> instances_on(const std::string& host) override;
  Result<InstanceRecordRow> instance(const std::string& id) override;
  // A batch in libpq pipeline mode whose claims and releases are deferred; sealing it
  // sends its COMMIT and turns the handle to its other connection (opened on first use;
  // without one, a sealed batch commits at once).
  Result<std::unique_ptr<WriteBatch>> begin_batch() override;
  Status create_token(const TokenRecord& token) override;
  Result<TokenRecord> token_by_secret_sha256(const std::string& sha256_hex) override;
  Result<std::vector<TokenRecord>> tokens() override;
  Status delete_token(const std::string& name) override;
  Status create_project(const ProjectRecord& project) override;
  Result<std::vector<ProjectRecord>> projects() override;
  Result<ProjectRecord> project(const std::string& name) override;
  Status delete_project(const std::string& name) override;
  Status set_quota(const std::string& project, const std::string& resource, std::optional<uint64_t> limit) override;
  Result<std::vector<QuotaUse>> quotas(const std::string& project) override;
  Status create_network(const NetworkRecord& network) override;
  Result<std::vector<NetworkRecord>> networks() override;
  Result<NetworkRecord> network(const std::string& name) override;
  Status delete_network(const std::string& name) override;
  Status create_port(const PortRecord& port) override;
  Result<std::vector<PortRecord>> ports() override;
  Result<PortRecord> port(const std::string& name) override;
  Status delete_port(const std::string& name) override;

  static int latest_version();
  // Migrates only up to `version` (tests of upgrades from an older schema); the
  // functions are applied with the latest version only.
  Status migrate_to(int version);

 private:
  friend class PgBatch;
  PgStore(std::string conninfo, std::unique_ptr<pg::PgSession> session);
  Status write_flavor(const FlavorRecord& flavor, bool create);
  // Every method but a batch's own claims and releases starts here: outside a batch
  // it reconnects a lost connection; inside one it settles the pipeline and fails
  // (Busy) if the batch was refused.
  Status enter();
  // PgBatch::seal: sends the batch's COMMIT and swaps the two connections.
  Status seal(PgBatch& batch);
  std::string conninfo_;
  std::unique_ptr<pg::PgSession> session_;  // the connection every method uses
  std::unique_ptr<pg::PgSession> sealed_;   // the other one: idle, or committing a sealed batch
  int64_t turn_key_ = 0;                    // advisory lock that orders this store's batches
};

}  // namespace pcipass
