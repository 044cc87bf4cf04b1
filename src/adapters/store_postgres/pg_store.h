#pragma once
// Store on PostgreSQL (libpq): several controllers sharing one fleet. Every method is
// one transaction at READ COMMITTED; a claim or a guarded report is decided by a
// conditional UPDATE of the host's generation row (the row lock orders racing
// controllers, the loser sees the new generation and gets Conflict), and the
// allocations primary key refuses a double allocation. Migrations take an advisory
// lock, so controllers starting together migrate once. Not thread-safe: one
// connection per instance.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ports/store.h"

struct pg_conn;

namespace pcipass {

struct PgSession;

class PgStore final : public Store {
 public:
  // `conninfo`: a libpq connection string or postgresql:// URI.
  static Result<std::unique_ptr<PgStore>> open(const std::string& conninfo);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  Status migrate() override;
  bool batches_writes() const override { return true; }
  Status begin_batch() override;
  Status commit_batch() override;
  void abort_batch() override;
  // Two connections take turns: while one commits a sealed batch, the next batch runs
  // on the other (opened on first use).
  bool overlaps_commits() const override { return true; }
  Status seal_batch() override;
  Status await_sealed() override;
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
  // Pipelined (libpq pipeline mode): sent at once, answered at the next settle().
  Result<uint64_t> claim_deferred(const InstanceRecordRow& instance, uint64_t expected_generation) override;
  Status release_deferred(const std::string& instance_id) override;
  Result<std::vector<InstanceRecordRow>> instances() override;
  Result<std::vector<InstanceRecordRow>> instances_on(const std::string& host) override;
  Status create_token(const TokenRecord& token) override;
  Result<TokenRecord> token_by_secret_sha256(const std::string& sha256_hex) override;
  Result<std::vector<TokenRecord>> tokens() override;
  Status delete_token(const std::string& name) override;

  static int latest_version();
  // Migrates only up to `version` (tests of upgrades from an older schema); the
  // functions are applied with the latest version only.
  Status migrate_to(int version);

 private:
  PgStore(std::string conninfo, std::unique_ptr<PgSession> session);
  Result<std::vector<HostRecord>> load_hosts(const std::string* only);
  Result<std::vector<InstanceRecordRow>> load_instances(const std::string* host);
  Result<std::vector<TokenRecord>> load_tokens(const std::string* sha256);
  Status write_flavor(const FlavorRecord& flavor, bool create);
  // Every method but the deferred writes starts here: outside a batch it reconnects a
  // lost connection; inside one it settles the pipeline and fails (busy) if the batch
  // was refused.
  Status enter();
  Status send_deferred(const char* sql, const std::vector<std::optional<std::string>>& params);
  static constexpr int kMaxUnread = 64;
  std::string conninfo_;
  std::unique_ptr<PgSession> session_;  // the connection every method uses
  std::unique_ptr<PgSession> sealed_;   // the other one: idle, or committing a sealed batch
  int64_t turn_key_ = 0;                // advisory lock that orders this store's batches
  std::optional<Status> sealed_outcome_;  // a batch committed at once (no second connection)
};

}  // namespace pcipass
