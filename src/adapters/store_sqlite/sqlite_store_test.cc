// The Store contract on real SQLite files, plus SQLite-specific behaviour.
#include "adapters/store_sqlite/sqlite_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "ports/store_contract.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

fs::path dir() {
  static fs::path d = [] {
    fs::path p = fs::temp_directory_path() / ("pcipass-sqlite-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return d;
}

// Each test gets fresh files: the name carries the test's name.
std::unique_ptr<Store> open_sqlite(const std::string& db) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string file = std::string(info->name()) + "-" + db + ".db";
  for (auto& c : file)
    if (c == '/') c = '_';
  auto s = SqliteStore::open((dir() / file).string());
  return s ? std::move(*s) : nullptr;
}

using contract::StoreContract;
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(contract::StoreFactory{"sqlite", open_sqlite}),
                         [](const ::testing::TestParamInfo<contract::StoreFactory>& p) { return p.param.name; });

TEST(SqliteStore, RefusesADatabaseFromANewerPcipass) {
  const auto file = (dir() / "newer.db").string();
  {
    auto s = SqliteStore::open(file).value();
    ASSERT_TRUE(s->migrate().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  const std::string bump = "INSERT INTO schema_migrations VALUES (" + std::to_string(SqliteStore::latest_version() + 1) + ", 'later')";
  ASSERT_EQ(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = SqliteStore::open(file).value();
  auto st = s->migrate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("newer than this pcipass knows"), std::string::npos) << st.error().message();
}

TEST(SqliteStore, TheCommitMarkerMovesOnlyForOtherConnectionsCommits) {
  const auto file = (dir() / "marker.db").string();
  auto a = SqliteStore::open(file).value();
  ASSERT_TRUE(a->migrate().ok());
  auto b = SqliteStore::open(file).value();
  const auto m0 = a->others_commit_marker().value();
  ASSERT_TRUE(m0.has_value());
  ASSERT_TRUE(a->put_host(contract::sample_host("own")).ok());
  EXPECT_EQ(a->others_commit_marker().value(), m0);  // its own commit
  ASSERT_TRUE(b->put_host(contract::sample_host("other")).ok());
  EXPECT_NE(a->others_commit_marker().value(), m0);  // another connection's
}

// A database made by the previous release (schema 3) keeps its servers, and each gets
// what it was booted with: its flavor's extra specs as they are at the upgrade.
TEST(SqliteStore, AnUpgradeRecordsWhatExistingServersWereBootedWith) {
  const std::string file = (dir() / "upgrade-3.db").string();
  {
    auto s = SqliteStore::open(file).value();
    ASSERT_TRUE(s->migrate_to(3).ok());
    ASSERT_EQ(s->schema_version().value(), 3);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    const char* rows = "INSERT INTO hosts VALUES ('compute-1', 1, 0);"
                       "INSERT INTO flavors (name, vcpus, memory_mb) VALUES ('vf.small', 1, 512);"
                       "INSERT INTO flavor_extra_specs VALUES ('vf.small', 0, 'pci_passthrough:alias', 'vf:1'), ('vf.small', 1, 'pcipass:vlan', '100');"
                       "INSERT INTO instances VALUES ('vm1', 'compute-1', 'vf.small', 1, 512);"
                       "INSERT INTO instances VALUES ('vm2', 'compute-1', '', 1, 512);";
    ASSERT_EQ(sqlite3_exec(db, rows, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto s = SqliteStore::open(file).value();
  ASSERT_TRUE(s->migrate().ok());
  EXPECT_EQ(s->schema_version().value(), SqliteStore::latest_version());
  auto rows = s->instances().value();
  ASSERT_EQ(rows.size(), 2u);
  using Specs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(rows[0].extra_specs, (Specs{{"pci_passthrough:alias", "vf:1"}, {"pcipass:vlan", "100"}}));
  EXPECT_TRUE(rows[1].extra_specs.empty());
}

TEST(SqliteStore, UnopenableFileIsAClearError) {
  auto s = SqliteStore::open("/nonexistent-dir/x.db");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("cannot open SQLite database /nonexistent-dir/x.db"), std::string::npos);
}

}  // namespace
}  // namespace pcipass
