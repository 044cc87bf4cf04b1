// The Store contract on a real PostgreSQL server, plus PostgreSQL-specific behaviour.
#include "adapters/store_postgres/pg_store.h"

#include <libpq-fe.h>

#include <atomic>
#include <future>
#include <cctype>
#include <set>
#include <thread>

#include "adapters/store_postgres/pg_test_server.h"
#include "ports/store_contract.h"

namespace pcipass {
namespace {

// One database per test and name; the first open of a name makes it afresh.
std::unique_ptr<Store> open_pg(const std::string& db) {
  static std::set<std::string> made;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "t_" + std::string(info->name()) + "_" + db;
  for (auto& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  name = name.substr(0, 63);
  const std::string conninfo = made.insert(name).second ? testing::fresh_pg_database(name) : testing::pg_database(name);
  auto s = PgStore::open(conninfo);
  if (!s) ADD_FAILURE() << s.error().describe();
  return s ? std::move(*s) : nullptr;
}

using contract::StoreContract;
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::Values(contract::StoreFactory{"postgres", open_pg}),
                         [](const ::testing::TestParamInfo<contract::StoreFactory>& p) { return p.param.name; });

TEST(PgStore, ControllersStartingTogetherMigrateOnce) {
  const std::string conninfo = testing::fresh_pg_database("t_migrate_once");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto s = PgStore::open(conninfo);
      if (!s || !(*s)->migrate().ok()) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto s = PgStore::open(conninfo).value();
  EXPECT_EQ(s->schema_version().value(), PgStore::latest_version());
}

// Claims of one project on different hosts share no host row: only the project's row
// lock keeps them from each reading the use before the other's claim and both fitting.
TEST(PgStore, ConcurrentClaimsOfOneProjectOnManyHostsStayWithinItsQuota) {
  const std::string conninfo = testing::fresh_pg_database("t_quota_race");
  constexpr int kClaims = 12, kQuota = 3;
  {
    auto s = PgStore::open(conninfo).value();
    ASSERT_TRUE(s->migrate().ok());
    ASSERT_TRUE(s->create_project({"project1", ""}).ok());
    ASSERT_TRUE(s->set_quota("project1", "servers", kQuota).ok());
    for (int i = 0; i < kClaims; ++i) ASSERT_TRUE(s->put_host(contract::sample_host("h" + std::to_string(i))).ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<PgStore>> handles;
    for (int i = 0; i < kClaims; ++i) handles.push_back(PgStore::open(conninfo).value());
    std::atomic<int> ready{0}, admitted{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kClaims; ++i)
      threads.emplace_back([&, i] {
        const std::string host = "h" + std::to_string(i);
        const uint64_t g = handles[i]->host(host)->generation;
        auto row = contract::sample_instance("r" + std::to_string(round) + "-" + std::to_string(i), host, {});
        row.project = "project1";
        row.usage = {{"servers", 1}};
        ++ready;
        while (ready.load() < kClaims) std::this_thread::yield();
        auto r = handles[i]->claim(row, g);
        if (r) ++admitted;
        else if (r.error().code() == ErrorCode::OverQuota) ++refused;
        else ++other;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(admitted.load(), round == 0 ? kQuota : 0) << "round " << round;
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(handles[0]->quotas("project1")->front().used, static_cast<uint64_t>(kQuota));
  }
}

TEST(PgStore, RefusesADatabaseFromANewerPcipass) {
  const std::string conninfo = testing::fresh_pg_database("t_newer");
  auto s = PgStore::open(conninfo).value();
  ASSERT_TRUE(s->migrate().ok());
  PGconn* c = PQconnectdb(conninfo.c_str());
  const std::string bump = "INSERT INTO schema_migrations VALUES (" + std::to_string(PgStore::latest_version() + 1) + ", now())";
  PQclear(PQexec(c, bump.c_str()));
  PQfinish(c);
  auto st = s->migrate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("newer than this pcipass knows"), std::string::npos) << st.error().message();
}

TEST(PgStore, AnUnreachableServerIsAClearError) {
  auto s = PgStore::open("host=/nonexistent-dir port=5432 dbname=x connect_timeout=2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::Unavailable);
  EXPECT_NE(s.error().message().find("cannot connect to PostgreSQL"), std::string::npos) << s.error().message();
}

TEST(PgStore, ReconnectsAfterTheServerDroppedTheConnection) {
  const std::string conninfo = testing::fresh_pg_database("t_reconnect");
  auto s = PgStore::open(conninfo).value();
  ASSERT_TRUE(s->migrate().ok());
  ASSERT_TRUE(s->put_host(contract::sample_host("compute-1")).ok());
  PGconn* c = PQconnectdb(testing::pg_database("postgres").c_str());
  PQclear(PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 't_reconnect' AND pid <> pg_backend_pid()"));
  PQfinish(c);
  auto first = s->hosts();  // may fail: the drop is noticed here
  auto again = s->hosts();
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->size(), 1u);
  if (!first.ok()) {
    EXPECT_EQ(first.error().code(), ErrorCode::Unavailable);
  }
}

void exec_as_admin(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << sql << ": " << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
}

// A database made by the previous release (schema 4) keeps its servers, and each gets
// what it was booted with: its flavor's extra specs as they are at the upgrade.
TEST(PgStore, AnUpgradeRecordsWhatExistingServersWereBootedWith) {
  const std::string conninfo = testing::fresh_pg_database("t_upgrade_4");
  {
    auto s = PgStore::open(conninfo).value();
    ASSERT_TRUE(s->migrate_to(4).ok());
    ASSERT_EQ(s->schema_version().value(), 4);
  }
  exec_as_admin(conninfo,
                "INSERT INTO hosts VALUES ('compute-1', 1, false);"
                "INSERT INTO flavors (name, vcpus, memory_mb) VALUES ('vf.small', 1, 512);"
                "INSERT INTO flavor_extra_specs VALUES ('vf.small', 0, 'pci_passthrough:alias', 'vf:1'), ('vf.small', 1, 'pcipass:vlan', '100');"
                "INSERT INTO instances VALUES ('vm1', 'compute-1', 'vf.small', 1, 512), ('vm2', 'compute-1', '', 1, 512)");
  auto s = PgStore::open(conninfo).value();
  ASSERT_TRUE(s->migrate().ok());
  EXPECT_EQ(s->schema_version().value(), PgStore::latest_version());
  auto rows = s->instances().value();
  ASSERT_EQ(rows.size(), 2u);
  using Specs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(rows[0].extra_specs, (Specs{{"pci_passthrough:alias", "vf:1"}, {"pcipass:vlan", "100"}}));
  EXPECT_TRUE(rows[1].extra_specs.empty());
  // The upgraded store claims and releases through the new functions.
  auto row = contract::sample_instance("vm3", "compute-1", {});
  row.extra_specs = {{"pcipass:vlan", "7"}};
  ASSERT_TRUE(s->claim(row, 1).ok());
  EXPECT_EQ(s->instances().value().at(2).extra_specs, (Specs{{"pcipass:vlan", "7"}}));
  ASSERT_TRUE(s->release("vm3").ok());
}

TEST(PgStore, ASealedBatchCommitsWhileTheNextRunsAndTheyKeepTheirOrder) {
  const std::string conninfo = testing::fresh_pg_database("t_sealed_overlap");
  auto s = PgStore::open(conninfo).value();
  auto other = PgStore::open(conninfo).value();
  ASSERT_TRUE(s->migrate().ok());
  const uint64_t g = s->put_host(contract::sample_host("compute-1")).value();

  auto b1 = s->begin_batch().value();
  ASSERT_TRUE(b1->deferred());
  ASSERT_TRUE(b1->claim(contract::sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g).ok());
  ASSERT_TRUE(b1->seal().ok());
  // The next batch, on the other connection, is planned on the sealed one's write.
  auto b2 = s->begin_batch().value();
  ASSERT_TRUE(b2->claim(contract::sample_instance("vm2", "compute-1", {"0000:41:02.1"}), g + 1).ok());
  auto first = std::async(std::launch::async, [&] { return b1->commit(); }).get();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(other->instances()->size(), 1u);  // the sealed one alone is durable
  ASSERT_TRUE(b2->seal().ok());
  auto second = b2->commit();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(other->instances()->size(), 2u);
  EXPECT_EQ(other->host("compute-1")->generation, g + 2);

  // A refused sealed batch keeps nothing; the store goes on.
  auto b3 = s->begin_batch().value();
  ASSERT_TRUE(b3->claim(contract::sample_instance("vm3", "compute-1", {"0000:41:00.0"}), g).ok());  // stale
  ASSERT_TRUE(b3->seal().ok());
  auto refused = b3->commit();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::Busy) << refused.error().message();
  EXPECT_EQ(other->instances()->size(), 2u);
  ASSERT_TRUE(s->release("vm1").ok());
  EXPECT_EQ(other->instances()->size(), 1u);
}

TEST(PgStore, WithoutASecondConnectionASealedBatchCommitsAtOnce) {
  const std::string conninfo = testing::fresh_pg_database("t_one_connection");
  exec_as_admin(conninfo,
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pcipass_one_conn') THEN "
                "CREATE ROLE pcipass_one_conn LOGIN CONNECTION LIMIT 1; END IF; END $$");
  exec_as_admin(conninfo, "GRANT ALL ON SCHEMA public TO pcipass_one_conn");
  auto s = PgStore::open(conninfo + " user=pcipass_one_conn").value();
  ASSERT_TRUE(s->migrate().ok());
  const uint64_t g = s->put_host(contract::sample_host("compute-1")).value();
  auto batch = s->begin_batch().value();
  ASSERT_TRUE(batch->claim(contract::sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g).ok());
  ASSERT_TRUE(batch->seal().ok());  // the second connection is refused: it commits here
  auto done = batch->commit();
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(s->instances()->size(), 1u);
  EXPECT_EQ(s->host("compute-1")->generation, g + 1);
}

}  // namespace
}  // namespace pcipass
