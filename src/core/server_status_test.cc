#include "core/server_status.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

using S = ServerStatus;

TEST(ServerStatusTest, NamesRoundTrip) {
  for (S s : {S::Placed, S::Building, S::Active, S::Error, S::Deleting}) EXPECT_EQ(parse_server_status(to_string(s)), s);
  EXPECT_FALSE(parse_server_status("ACTIVE"));
  EXPECT_FALSE(parse_server_status(""));
  for (AgentOutcome o : {AgentOutcome::Active, AgentOutcome::Failed, AgentOutcome::Restored})
    EXPECT_EQ(parse_agent_outcome(to_string(o)), o);
  EXPECT_FALSE(parse_agent_outcome("deleted"));
}

TEST(ServerStatusTest, NewServersBuildOnlyWhereTheAgentManagesDevices) {
  EXPECT_EQ(initial_status(true), S::Building);
  EXPECT_EQ(initial_status(false), S::Placed);
}

TEST(ServerStatusTest, AgentOutcomesMoveOnlyFromWhereTheyApply) {
  EXPECT_EQ(*apply_outcome(S::Building, AgentOutcome::Active), S::Active);
  EXPECT_EQ(*apply_outcome(S::Active, AgentOutcome::Active), S::Active);  // said again after a lost answer
  EXPECT_EQ(*apply_outcome(S::Building, AgentOutcome::Failed), S::Error);
  EXPECT_EQ(*apply_outcome(S::Active, AgentOutcome::Failed), S::Error);
  EXPECT_EQ(*apply_outcome(S::Deleting, AgentOutcome::Restored), std::nullopt);
  // A server deleted while building: the agent must restore, not start it.
  auto late = apply_outcome(S::Deleting, AgentOutcome::Active);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::Conflict);
  EXPECT_NE(late.error().message().find("deleting"), std::string::npos);
  EXPECT_NE(late.error().message().find("restore"), std::string::npos);
  EXPECT_EQ(apply_outcome(S::Deleting, AgentOutcome::Failed).error().code(), ErrorCode::Conflict);
  EXPECT_EQ(apply_outcome(S::Active, AgentOutcome::Restored).error().code(), ErrorCode::Conflict);
  EXPECT_EQ(apply_outcome(S::Placed, AgentOutcome::Active).error().code(), ErrorCode::Conflict);
  EXPECT_EQ(apply_outcome(S::Error, AgentOutcome::Active).error().code(), ErrorCode::Conflict);
}

TEST(ServerStatusTest, DeleteWaitsForTheAgentOnlyWhereItPreparedSomething) {
  EXPECT_EQ(delete_action(S::Building, true, false), DeleteAction::MarkDeleting);
  EXPECT_EQ(delete_action(S::Active, true, false), DeleteAction::MarkDeleting);
  EXPECT_EQ(delete_action(S::Deleting, true, false), DeleteAction::Nothing);
  EXPECT_EQ(delete_action(S::Error, true, false), DeleteAction::ReleaseNow);
  EXPECT_EQ(delete_action(S::Placed, true, false), DeleteAction::ReleaseNow);
  // Its agent stopped managing devices, or the operator forces it.
  EXPECT_EQ(delete_action(S::Active, false, false), DeleteAction::ReleaseNow);
  EXPECT_EQ(delete_action(S::Deleting, true, true), DeleteAction::ReleaseNow);
}

TEST(ServerStatusTest, OnlyBuildingAndDeletingAreUnsettled) {
  EXPECT_FALSE(settled(S::Building));
  EXPECT_FALSE(settled(S::Deleting));
  EXPECT_TRUE(settled(S::Active));
  EXPECT_TRUE(settled(S::Error));
  EXPECT_TRUE(settled(S::Placed));
}

}  // namespace
}  // namespace pcipass
