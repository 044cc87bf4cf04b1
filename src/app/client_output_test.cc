// The client's output formats, as the openstack client has them.
#include "app/client_output.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

namespace pcipass::app {
namespace {

const Json kServers = Json::parse(R"([
  {"id": "vm1", "status": "active", "host": "compute-1", "devices": ["0000:41:02.0", "0000:41:02.1"], "project_id": null},
  {"id": "vm2", "status": "placed", "host": "compute-2", "devices": [], "project_id": "blue"}
])");
const std::vector<std::string> kColumns = {"id", "status", "host", "devices"};

std::string render(OutputFormat f, std::vector<std::string> columns, const std::function<void(Output&)>& use) {
  std::ostringstream text;
  Output out(f, std::move(columns), text);
  use(out);
  return text.str();
}

TEST(ClientOutput, ATableShowsEachDeviceOnItsOwnLine) {
  const std::string t = render(OutputFormat::Table, {}, [](Output& o) { o.objects(kServers, kColumns); });
  EXPECT_EQ(t,
            "id   status  host       devices\n"
            "---  ------  ---------  ------------\n"
            "vm1  active  compute-1  0000:41:02.0\n"
            "                        0000:41:02.1\n"
            "vm2  placed  compute-2  -\n");
}

TEST(ClientOutput, ColumnsPickAnyFieldInTheirOrderAndAnUnknownOneIsSaid) {
  EXPECT_EQ(render(OutputFormat::Value, {"project_id", "id"}, [](Output& o) { o.objects(kServers, kColumns); }), "- vm1\nblue vm2\n");
  std::ostringstream text;
  Output out(OutputFormat::Table, {"id", "colour"}, text);
  out.objects(kServers, kColumns);
  ASSERT_TRUE(out.problem());
  EXPECT_NE(out.problem()->find("-c colour: no such column"), std::string::npos) << *out.problem();
  EXPECT_NE(out.problem()->find("id, status, host, devices, project_id"), std::string::npos) << *out.problem();
  EXPECT_EQ(text.str(), "");
}

TEST(ClientOutput, JsonAndYamlCarryTheSameRowsAsData) {
  const Json j = Json::parse(render(OutputFormat::Json, {"id", "devices"}, [](Output& o) { o.objects(kServers, kColumns); }));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], Json::parse(R"({"id": "vm1", "devices": ["0000:41:02.0", "0000:41:02.1"]})"));
  EXPECT_EQ(j[1]["devices"], Json::array());
  const YAML::Node y = YAML::Load(render(OutputFormat::Yaml, {}, [](Output& o) { o.objects(kServers, kColumns); }));
  ASSERT_TRUE(y.IsSequence());
  EXPECT_EQ(y[0]["devices"][1].as<std::string>(), "0000:41:02.1");
  EXPECT_EQ(y[1]["host"].as<std::string>(), "compute-2");
  EXPECT_FALSE(y[0]["project_id"]);  // not a column unless -c names it
}

TEST(ClientOutput, OneObjectIsFieldsAndItsWordsAreForPeopleOnly) {
  const Json server = {{"id", "vm1"}, {"extra", {{"a", "1"}, {"b", "2"}}}, {"libvirt_xml", "<hostdev/>\n"}, {"image", nullptr}};
  auto fields = [&](Output& o) {
    o.fields(server, {"libvirt_xml"});
    o.text("\n<hostdev/>\n");
  };
  EXPECT_EQ(render(OutputFormat::Table, {}, fields),
            "Field  Value\n"
            "-----  -----\n"
            "id     vm1\n"
            "extra  a=1\n"
            "       b=2\n"
            "image  -\n"
            "\n<hostdev/>\n");
  EXPECT_EQ(render(OutputFormat::Value, {"id"}, fields), "vm1\n");
  EXPECT_EQ(render(OutputFormat::Table, {"id"}, fields), "Field  Value\n-----  -----\nid     vm1\n");  // -c: those only
  const Json j = Json::parse(render(OutputFormat::Json, {}, fields));
  EXPECT_EQ(j, Json::parse(R"({"id": "vm1", "extra": {"a": "1", "b": "2"}, "image": null})"));
  const YAML::Node y = YAML::Load(render(OutputFormat::Yaml, {"extra"}, fields));
  EXPECT_EQ(y["extra"]["b"].as<std::string>(), "2");
  EXPECT_FALSE(y["id"]);
}

TEST(ClientOutput, ALongReasonIsCutInATableOnlyAndMultiLineTextStaysWholeInYaml) {
  const std::string reason(150, 'r');
  const Json hosts = Json::array({{{"host", "h1"}, {"reason", reason}}});
  const std::string t = render(OutputFormat::Table, {}, [&](Output& o) { o.objects(hosts, {"host", "reason"}); });
  EXPECT_NE(t.find(std::string(96, 'r') + " ..."), std::string::npos) << t;
  EXPECT_NE(render(OutputFormat::Value, {}, [&](Output& o) { o.objects(hosts, {"host", "reason"}); }).find(reason), std::string::npos);
  EXPECT_NE(render(OutputFormat::Table, {}, [&](Output& o) { o.fields(hosts[0]); }).find(reason), std::string::npos);
  const std::string xml = "<domain>\n  <name>vm1</name>\n</domain>\n";
  const YAML::Node y = YAML::Load(render(OutputFormat::Yaml, {}, [&](Output& o) { o.fields({{"xml", xml}}); }));
  EXPECT_EQ(y["xml"].as<std::string>(), xml);
  EXPECT_EQ(parse_output_format("yaml"), OutputFormat::Yaml);
  EXPECT_FALSE(parse_output_format("csv"));
}

}  // namespace
}  // namespace pcipass::app
