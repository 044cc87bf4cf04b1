#include "adapters/json/config_value_json.h"

#include <gtest/gtest.h>

#include <sstream>

#include "adapters/json/scenario_json.h"
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
  OpResult grouped = fail;
  grouped.reasons.clear();
  grouped.mismatch.reset();
  grouped.why = {{"vCPUs: not enough free", 2, {"a", "b"}}, {"no device for alias a1", 1, {"c"}}};
  EXPECT_EQ(op_result_json(grouped, ReasonsMode::Grouped),
            R"({"op":"boot","id":"vm2","result":"NoValidHost","why":[{"reason":"vCPUs: not enough free","hosts":2,"sample":["a","b"]},)"
            R"({"reason":"no device for alias a1","hosts":1,"sample":["c"]}]})");
  EXPECT_EQ(op_result_json(grouped, ReasonsMode::None), R"({"op":"boot","id":"vm2","result":"NoValidHost"})");
  // Names are escaped as JSON wants, and the line parses back to what it says.
  OpResult odd;
  odd.kind = OpKind::Delete;
  odd.id = "a\"b\\c\n\x01\u00e9";
  odd.outcome = Outcome::NotFound;
  const std::string line = op_result_json(odd);
  EXPECT_EQ(line, "{\"op\":\"delete\",\"id\":\"a\\\"b\\\\c\\n\\u0001\u00e9\",\"result\":\"NotFound\"}");
  auto back = parse_json(line);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->find("id")->as_string(), odd.id);
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

namespace pcipass {
namespace {

std::function<std::unique_ptr<std::istream>()> text_source(std::string text) {
  return [text = std::move(text)] { return std::make_unique<std::istringstream>(text); };
}

TEST(JsonStreaming, ElementsOfStreamedListsGoToTheHookAndAreNotKept) {
  JsonStreamHooks hooks;
  hooks.streamed = {"hosts"};
  std::vector<std::string> seen;
  size_t members_at_start = 0;
  hooks.array_starts = [&](const std::string& key, const ConfigValue& so_far) {
    seen.push_back("start " + key);
    members_at_start = so_far.members().size();
    return ok_status();
  };
  hooks.element = [&](const std::string& key, size_t index, ConfigValue v) {
    seen.push_back(key + "[" + std::to_string(index) + "]=" + v.find("name")->as_string());
    return ok_status();
  };
  auto root = parse_json_streaming(text_source(R"({"a": 1, "hosts": [{"name": "x"}, {"name": "y"}], "ops": [1, 2]})"), hooks);
  ASSERT_TRUE(root.ok()) << root.error().describe();
  EXPECT_EQ(seen, (std::vector<std::string>{"start hosts", "hosts[0]=x", "hosts[1]=y"}));
  EXPECT_EQ(members_at_start, 1u);
  EXPECT_TRUE(root->find("hosts")->items().empty());
  EXPECT_EQ(root->find("ops")->items().size(), 2u);  // not streamed: kept
  // A hook's error ends the parse as it is; a duplicate key inside an element names its place.
  hooks.element = [&](const std::string&, size_t index, ConfigValue) {
    return index == 1 ? Status(std::move(invalid("bad host").within("hosts[1]"))) : ok_status();
  };
  auto failed = parse_json_streaming(text_source(R"({"hosts": [{"name": "x"}, {"name": "y"}]})"), hooks);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().where(), "hosts[1]");
  auto dup = parse_json_streaming(text_source(R"({"hosts": [{}, {"name": "x", "name": "y"}]})"), hooks);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().where(), "hosts[1].name");
  auto syntax = parse_json_streaming(text_source("{\"hosts\": [\n{}, {]}"), hooks);
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message().find("invalid JSON at line 2, column 6"), std::string::npos) << syntax.error().describe();
}

constexpr std::string_view kHeader = R"("format": "pcipass-scenario/1",
  "device_spec": [{"vendor_id": "8086", "product_id": "154c"}],
  "alias": [{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}])";
constexpr std::string_view kHosts = R"("hosts": [
  {"name": "b", "devices": [{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 2},
                            {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0"}]},
  {"name": "a", "device_spec": ["{\"vendor_id\": \"8086\"}"],
   "devices": [{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 2},
               {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0"}]}])";
constexpr std::string_view kOps = R"("ops": [
  {"op": "boot", "id": "v1", "extra_specs": {"pci_passthrough:alias": "vf:1"}},
  {"op": "boot", "id": "v2", "extra_specs": {"pci_passthrough:alias": "vf:1"}, "host": "b"},
  {"op": "boot", "id": "v3", "extra_specs": {"pci_passthrough:alias": "vf:1"}},
  {"op": "query", "extra_specs": {"pci_passthrough:alias": "vf:1"}},
  {"op": "delete", "id": "v1"}])";

std::vector<std::string> replay(const std::string& doc, size_t* hosts = nullptr) {
  auto loaded = load_simulation(text_source(doc), SimulationOptions{});
  EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
  if (!loaded) return {};
  if (hosts) *hosts = loaded->hosts;
  std::vector<std::string> lines;
  for (const Op& op : loaded->ops) lines.push_back(op_result_json(loaded->simulation->run(op).value()));
  return lines;
}

TEST(ScenarioStreaming, AnyMemberOrderGivesWhatTheWholeDocumentGives) {
  const std::string in_order = "{" + std::string(kHeader) + "," + std::string(kHosts) + "," + std::string(kOps) + "}";
  auto whole = load_scenario_text(in_order);
  ASSERT_TRUE(whole.ok()) << whole.error().describe();
  auto sim = Simulation::build(*whole, SimulationOptions{});
  ASSERT_TRUE(sim.ok());
  std::vector<std::string> want;
  for (const Op& op : whole->ops) want.push_back(op_result_json(sim->run(op).value()));
  ASSERT_EQ(want.size(), 5u);
  EXPECT_NE(want[0].find("\"host\":\"a\""), std::string::npos) << want[0];  // a's own device_spec offers its PF's VF too
  size_t hosts = 0;
  EXPECT_EQ(replay(in_order, &hosts), want);
  EXPECT_EQ(hosts, 2u);
  EXPECT_EQ(replay("{" + std::string(kOps) + "," + std::string(kHosts) + "," + std::string(kHeader) + "}"), want);
  EXPECT_EQ(replay("{" + std::string(kHosts) + "," + std::string(kHeader) + "," + std::string(kOps) + "}"), want);
}

TEST(ScenarioStreaming, ErrorsAreThoseOfTheWholeDocument) {
  auto error_of = [](const std::string& doc) {
    auto loaded = load_simulation(text_source(doc), SimulationOptions{});
    EXPECT_FALSE(loaded.ok());
    return loaded ? std::string() : loaded.error().describe();
  };
  auto whole_error = [](const std::string& doc) {
    auto s = load_scenario_text(doc);
    if (!s) return s.error().describe();
    auto sim = Simulation::build(*s, SimulationOptions{});
    return sim ? std::string() : sim.error().describe();
  };
  const std::vector<std::string> docs = {
      "{" + std::string(kHeader) + R"(, "hosts": [{"name": "a"}, {"name": "a"}]})",
      "{" + std::string(kHeader) + R"(, "hosts": [{"name": "a"}], "ops": [{"op": "boot", "id": "x"}, {"op": "boot", "id": "x"}]})",
      "{" + std::string(kHeader) + R"(, "hosts": [{"name": "a"}], "extra": 1})",
      R"({"format": "pcipass-scenario/2", "hosts": [{"name": "a"}]})",
      "{" + std::string(kHeader) + ",\n" + R"("hosts": [{"name": "a",}]})",
      R"({"format": "pcipass-scenario/1", "ops": []})",
  };
  for (const auto& doc : docs) {
    const std::string want = whole_error(doc);
    ASSERT_FALSE(want.empty()) << doc;
    EXPECT_EQ(error_of(doc), want) << doc;
  }
}

}  // namespace
}  // namespace pcipass
