// The Store contract on the in-memory store, plus its own behaviour.
#include "adapters/store_memory/memory_store.h"

#include <map>

#include "ports/store_contract.h"

namespace pcipass {
namespace {

// One database per test and name, shared by every handle opened on it.
std::unique_ptr<Store> open_memory(const std::string& db) {
  static std::map<std::string, std::shared_ptr<MemoryDatabase>> databases;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto& shared = databases[std::string(info->test_suite_name()) + "." + info->name() + "/" + db];
  if (!shared) shared = std::make_shared<MemoryDatabase>();
  return std::make_unique<MemoryStore>(shared);
}

using contract::StoreContract;
INSTANTIATE_TEST_SUITE_P(Memory, StoreContract, ::testing::Values(contract::StoreFactory{"memory", open_memory}),
                         [](const ::testing::TestParamInfo<contract::StoreFactory>& p) { return p.param.name; });

TEST(MemoryStore, ADatabaseThatGoesAwayFailsEveryCallAsUnavailable) {
  auto db = std::make_shared<MemoryDatabase>();
  MemoryStore s(db);
  ASSERT_TRUE(s.put_host(contract::sample_host("compute-1")).ok());
  db->set_unavailable(true);
  EXPECT_EQ(s.hosts().error().code(), ErrorCode::Unavailable);
  EXPECT_EQ(s.token_by_secret_sha256("x").error().code(), ErrorCode::Unavailable);
  EXPECT_EQ(s.begin_batch().error().code(), ErrorCode::Unavailable);
  db->set_unavailable(false);
  auto batch = s.begin_batch().value();
  ASSERT_TRUE(s.put_host(contract::sample_host("compute-2")).ok());
  db->set_unavailable(true);
  EXPECT_EQ(batch->commit().error().code(), ErrorCode::Unavailable);  // nothing of it was kept
  db->set_unavailable(false);
  EXPECT_EQ(s.hosts()->size(), 1u);
}

}  // namespace
}  // namespace pcipass
