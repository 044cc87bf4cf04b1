#include "adapters/json/config_value_json.h"

#include <gtest/gtest.h>

#include "adapters/json/simulation_output.h"

namespace pcipass {
namespace {

TEST(ParseJson, ConvertsEveryKindAndKeepsKeyOrder) {
  auto v = parse_json(R"({"z": 1, "a": [true, null, 2.5, "s", 18446744073709551615]})");
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(v->members()[0].first, "z");
  EXPECT_TRUE(v->find("z")->is_integer());
  const auto& a = v->find("a")->items();
  EXPECT_TRUE(a[0].is_bool());
  EXPECT_TRUE(a[1].is_null());
  EXPECT_EQ(a[2].kind(), ConfigValue::Kind::Real);
  EXPECT_EQ(a[3].as_string(), "s");
  EXPECT_EQ(a[4].kind(), ConfigValue::Kind::Real);  // beyond int64: kept as a number, rejected where integers are needed
}

TEST(ParseJson, SyntaxErrorsGiveLineAndColumn) {
  auto v = parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("line 3, column 8"), std::string::npos) << v.error().message();
  EXPECT_FALSE(parse_json("").ok());
  EXPECT_FALSE(parse_json("{} trailing").ok());
}

TEST(ParseJson, NumbersBeyondDoubleAreAnErrorNotACrash) {
  // Found by the scenario fuzzer: nlohmann throws out_of_range, not parse_error, here.
  auto v = parse_json(R"({"cpus": 1e999})");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("number overflow parsing '1e999'"), std::string::npos) << v.error().message();
}

TEST(ParseJson, DuplicateKeysAreRejected) {
  auto v = parse_json(R"({"hosts": [], "hosts": []})");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message(), "duplicate key \"hosts\" in a JSON object");
  EXPECT_EQ(v.error().where(), "hosts");
  // The path names the duplicated key wherever it is.
  auto nested = parse_json(R"({"devices": [{"a": 1}, {"x": {"k": 1, "b": 2, "k": 3}}]})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().where(), "devices[1].x.k");
  auto in_array = parse_json(R"([[], [{"z": 1, "z": 1}]])");
  ASSERT_FALSE(in_array.ok());
  EXPECT_EQ(in_array.error().where(), "[1][0].z");
}

TEST(ExpandDeviceSpecStrings, ParsesStringEntriesAndNamesBadOnes) {
  auto v = parse_json(R"({"device_spec": ["{\"vendor_id\": \"8086\"}", {"vendor_id": "10de"}],
                          "hosts": [{"name": "a", "device_spec": ["{\"address\": \"0000:41:00.0\"}"]}]})");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(expand_device_spec_strings(*v).ok());
  EXPECT_EQ(v->find("device_spec")->items()[0].find("vendor_id")->as_string(), "8086");
  EXPECT_TRUE(v->find("hosts")->items()[0].find("device_spec")->items()[0].is_object());
  auto bad = parse_json(R"({"device_spec": ["{\"vendor_id\": }"]})");
  auto st = expand_device_spec_strings(*bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().where(), "device_spec[0]");
  auto list = parse_json(R"({"hosts": [{"name": "a", "device_spec": ["[1]"]}]})");
  auto st2 = expand_device_spec_strings(*list);
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.error().where(), "hosts[0].device_spec[0]");
  EXPECT_NE(st2.error().message().find("must hold one JSON object"), std::string::npos);
}

TEST(SimulationOutput, LinesFollowTheScenarioContract) {
  OpResult boot;
  boot.kind = OpKind::Boot;
  boot.id = "vm1";
  boot.host = "compute-3";
  boot.devices = {"0000:41:02.0"};
  boot.numa_cells = {0};
  EXPECT_EQ(op_result_json(boot),
            R"({"op":"boot","id":"vm1","result":"ok","host":"compute-3","devices":["0000:41:02.0"],"numa_cells":[0]})");
  OpResult fail;
  fail.kind = OpKind::Boot;
  fail.id = "vm2";
  fail.outcome = Outcome::NoValidHost;
  fail.reasons = {{"compute-0", "no device for alias a1"}};
  fail.mismatch = "expected ok";
  EXPECT_EQ(op_result_json(fail),
            R"({"op":"boot","id":"vm2","result":"NoValidHost","reasons":{"compute-0":"no device for alias a1"},"mismatch":"expected ok"})");
  OpResult query;
  query.kind = OpKind::Query;
  query.hosts = {"a", "b"};
  EXPECT_EQ(op_result_json(query), R"({"op":"query","hosts":["a","b"]})");
}

TEST(SimulationOutput, HumanReasonsAreGroupedLargestFirst) {
  std::vector<Rejection> r = {{"c0", "no device for alias gpu"}, {"c1", "no device for alias gpu"},
                              {"c2", "alias qat-vf: 1 of 2 free on NUMA node 0 (policy required)"},
                              {"c3", "no device for alias gpu"}};
  EXPECT_EQ(grouped_reasons(r, "  "),
            "  3 hosts: no device for alias gpu (c0, c1, c3)\n"
            "  1 host: alias qat-vf: 1 of 2 free on NUMA node 0 (policy required) (c2)\n");
}

}  // namespace
}  // namespace pcipass
