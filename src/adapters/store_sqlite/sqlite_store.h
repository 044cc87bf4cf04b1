#pragma once
// Store on an SQLite file (WAL, foreign keys on, busy timeout): the embedded default.
// Several processes may open the same file; write transactions are BEGIN IMMEDIATE, so
// two controllers serialize on the database and the host generation decides races.
#include <memory>
#include <string>
#include <unordered_map>

#include "ports/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pcipass {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database file; call migrate() before use.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status migrate() override;
  Result<int> schema_version() override;
  Result<uint64_t> report_host(const HostRecord& host, const std::vector<AddressMove>& moves,
                               std::optional<uint64_t> expected_generation) override;
  Result<std::vector<HostRecord>> hosts() override;
  Result<HostRecord> host(const std::string& name) override;
  Result<std::vector<std::pair<std::string, uint64_t>>> host_generations() override;
  Result<std::optional<uint64_t>> others_commit_marker() override;
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
  // BEGIN IMMEDIATE; its steps are savepoints; sealing it commits at once.
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

  // Ends the open batch: COMMIT (rolled back if that fails) or ROLLBACK. For the batch.
  Status end_batch(bool commit);

  // WAL checkpoints (which fsync) run inside whichever commit crosses the threshold;
  // a server that checkpoints from its own thread turns that off on the request path.
  Status set_auto_checkpoint(bool on);
  // Copies committed WAL frames into the database without blocking writers.
  Status checkpoint();

  // The numbered migrations this build knows, in order (exposed for tests).
  static int latest_version();
  // Migrates only up to `version` (tests of upgrades from an older schema).
  Status migrate_to(int version);

 private:
  explicit SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status exec(const char* sql);
  Status write_flavor(const FlavorRecord& flavor, bool create);
  Result<std::vector<HostRecord>> load_hosts(const std::string* only);
  Result<std::vector<InstanceRecordRow>> load_instances(const std::string* host, const std::string* id = nullptr);
  Result<std::vector<TokenRecord>> load_tokens(const std::string* sha256);
  Result<std::vector<ProjectRecord>> load_projects(const std::string* only);
  Result<std::vector<NetworkRecord>> load_networks(const std::string* only);
  Result<std::vector<PortRecord>> load_ports(const std::string* only);
  // A claim's steps: its project's quotas (inside the claim's transaction) and its ports.
  Status check_quotas(const InstanceRecordRow& instance);
  Status bind_ports(const InstanceRecordRow& instance);
  Status record_usage(const InstanceRecordRow& instance);
  // Whether `sql` (one '?' bound to `key`) returns a row.
  Result<bool> row_exists(const char* sql, const std::string& key);
  sqlite3* db_;
  std::string path_;
  std::unordered_map<const void*, sqlite3_stmt*> cache_;  // prepared statements, by SQL literal
  bool batch_ = false;
};

}  // namespace pcipass
