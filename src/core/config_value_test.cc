#include "core/config_value.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

TEST(ConfigValue, KeepsKeyOrderAndPrintsCompactJson) {
  auto v = J(R"({"b": 1, "a": [true, null, "x\"y"], "c": 2.5})");
  EXPECT_EQ(v.to_json(), R"({"b":1,"a":[true,null,"x\"y"],"c":2.5})");
  ASSERT_NE(v.find("a"), nullptr);
  EXPECT_EQ(v.find("zzz"), nullptr);
}

TEST(ConfigValue, TypedReadsNameWhatWasExpected) {
  auto s = read_string(J("3"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "expected a string, got an integer");
  auto i = read_integer(J("\"4\""), 0, 10);
  ASSERT_FALSE(i.ok());
  EXPECT_NE(i.error().message().find("expected an integer, got a string \"4\""), std::string::npos);
  auto range = read_integer(J("11"), 0, 10);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().message().find("from 0 to 10, got 11"), std::string::npos);
  EXPECT_EQ(read_integer(J("4.0"), 0, 10).value(), 4);
}

TEST(ConfigValue, UnknownKeysAreNamed) {
  auto st = reject_unknown_keys(J(R"({"id": 1, "cpu": 2})"), {"id", "cpus"}, "a NUMA cell");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().where(), "cpu");
  EXPECT_NE(st.error().message().find("allowed: id, cpus"), std::string::npos);
}

TEST(Error, WherePrintsJsonPaths) {
  Error e = invalid("bad");
  e.within("address").within("[12]").within("devices").within("[3]").within("hosts");
  EXPECT_EQ(e.describe(), "hosts[3].devices[12].address: bad");
}

}  // namespace
}  // namespace pcipass
