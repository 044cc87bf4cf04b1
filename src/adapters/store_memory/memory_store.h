#pragma once
// Store in memory: the same contract as SQLite and PostgreSQL (store_contract_test),
// for fast tests of the service. A MemoryDatabase is what a database file is to
// SQLite: several MemoryStore handles on one database are several controllers sharing
// it. A batch works on a private copy of the database and holds the database's one
// writer slot until it ends (as SQLite's BEGIN IMMEDIATE does), so other handles see
// its writes only once it commits; their plain writes wait for it.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "ports/store.h"

namespace pcipass {

struct MemoryState {
  std::map<std::string, HostRecord> hosts;
  std::map<std::string, FlavorRecord> flavors;
  std::map<std::string, InstanceRecordRow> instances;
  std::map<std::pair<std::string, PciAddress>, std::string> holders;  // (host, address) -> instance
  std::map<std::string, TokenRecord> tokens;
  std::map<std::string, ProjectRecord> projects;
  std::map<std::string, NetworkRecord> networks;
  std::map<std::string, PortRecord> ports;
  std::map<std::string, std::map<std::string, uint64_t>> quotas;  // project -> resource -> limit
};

class MemoryDatabase {
 public:
  // Whether to fail every call from now on (as a database that went away does).
  void set_unavailable(bool down);

 private:
  friend class MemoryStore;
  std::mutex mu_;  // guards everything below
  std::condition_variable writer_free_;
  bool writer_busy_ = false;  // a batch holds the writer slot
  bool down_ = false;
  MemoryState state_;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::shared_ptr<MemoryDatabase> db) : db_(std::move(db)) {}
  ~MemoryStore() override;

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

  // For the batch: ends the open one, keeping its writes or not.
  Status end_batch(bool commit);

 private:
  // Runs `f` on the state this handle sees: its open batch's copy, or the database's
  // (plain writes first wait for any other handle's batch). Each operation checks
  // everything before it changes anything, so a refused one changes nothing.
  template <class F>
  auto with_state(bool write, F&& f) -> decltype(f(std::declval<MemoryState&>()));
  std::shared_ptr<MemoryDatabase> db_;
  std::optional<MemoryState> batch_;  // the open batch's working copy
};

}  // namespace pcipass
