// Alias parsing: the behaviours of Nova's test_request.py that apply.
#include "core/alias.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

Result<AliasTable> parse(std::string_view json, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  auto t = AliasTable::parse(J(json), w);
  if (warnings) *warnings = w;
  return t;
}

TEST(Alias, ParsesAValidAlias) {
  auto t = parse(R"([{"name": " QuickAssist ", "vendor_id": "8086", "product_id": "37C9", "device_type": "type-VF",
                      "numa_policy": "required", "live_migratable": "yes"}])");
  ASSERT_TRUE(t.ok()) << t.error().describe();
  const Alias* a = t->find("QuickAssist");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->device_type, DeviceType::Vf);
  EXPECT_EQ(a->numa_policy, NumaPolicy::Required);
  ASSERT_EQ(a->specs.size(), 1u);
  EXPECT_EQ(a->specs[0].product_id, PciId(0x37c9));
  EXPECT_EQ(a->specs[0].product_id->to_string(), "37c9");
  EXPECT_EQ(a->specs[0].live_migratable, std::optional<bool>(true));
}

TEST(Alias, EveryPolicyIsAccepted) {
  for (const char* p : {"required", "legacy", "preferred", "socket"}) {
    auto t = parse(std::string(R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "numa_policy": ")") + p + "\"}]");
    EXPECT_TRUE(t.ok()) << p;
  }
}

TEST(Alias, InvalidDefinitionsNameTheKey) {
  struct Case { const char* json; const char* where; const char* message; };
  const Case cases[] = {
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "device_type": "N"}])", "[0].device_type", "type-PCI, type-PF, type-VF"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "device_type": "vdpa"}])", "[0].device_type", "type-PCI"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "g111"}])", "[0].product_id", "exactly 4 hex digits"},
      {R"([{"name": "a", "vendor_id": "0xg111", "product_id": "1572"}])", "[0].vendor_id", "exactly 4 hex digits"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "capability_type": "usb"}])", "[0].capability_type", "\"pci\""},
      {R"([{"name": "a", "vendor_id": "8086\n\n", "product_id": "1572"}])", "[0].vendor_id", "exactly 4 hex digits"},
      {R"([{"name": "a", "vendor_id": "\n8086", "product_id": "1572"}])", "[0].vendor_id", "exactly 4 hex digits"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "numa_policy": "derp"}])", "[0].numa_policy", "required, legacy"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "live_migratable": "invalid"}])", "[0].live_migratable", "boolean"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "foo": "bar"}])", "[0].foo", "unknown key in alias"},
      {R"([{"vendor_id": "8086", "product_id": "1572"}])", "[0]", "has no name"},
      {R"([{"name": "", "vendor_id": "8086", "product_id": "1572"}])", "[0].name", "1 to 256"},
      // Nova checks the length before it strips: 256 letters and a space are too long.
      {R"([{"name": " aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "vendor_id": "8086", "product_id": "1572"}])", "[0].name", "1 to 256"},
  };
  for (const auto& c : cases) {
    auto t = parse(c.json);
    ASSERT_FALSE(t.ok()) << c.json;
    EXPECT_EQ(t.error().where(), c.where) << c.json;
    EXPECT_NE(t.error().message().find(c.message), std::string::npos) << c.json << " -> " << t.error().message();
  }
}

TEST(Alias, SameNameEntriesAreAlternatives) {
  auto t = parse(R"([{"name": "nic", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
                     {"name": "nic", "vendor_id": "15b3", "product_id": "1018", "device_type": "type-VF"}])");
  ASSERT_TRUE(t.ok());
  const Alias* a = t->find("nic");
  ASSERT_EQ(a->specs.size(), 2u);
  EXPECT_TRUE(a->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, std::nullopt));
  EXPECT_TRUE(a->admits(PciId(0x15b3), PciId(0x1018), DeviceType::Vf, std::nullopt));
  EXPECT_FALSE(a->admits(PciId(0x15b3), PciId(0x1018), DeviceType::Pci, std::nullopt));
}

TEST(Alias, SameNameEntriesMustAgree) {
  auto type = parse(R"([{"name": "nic", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
                        {"name": "nic", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}])");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().where(), "[1]");
  EXPECT_NE(type.error().message().find("Device type mismatch for alias 'nic'"), std::string::npos);
  auto policy = parse(R"([{"name": "nic", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF", "numa_policy": "required"},
                          {"name": "nic", "vendor_id": "15b3", "product_id": "1018", "device_type": "type-VF"}])");
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.error().message().find("NUMA policy mismatch for alias 'nic'"), std::string::npos);
  // Nova gives an alias without numa_policy the legacy one, so the two agree.
  auto legacy = parse(R"([{"name": "nic", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF", "numa_policy": "legacy"},
                          {"name": "nic", "vendor_id": "15b3", "product_id": "1018", "device_type": "type-VF"}])");
  ASSERT_TRUE(legacy.ok()) << legacy.error().describe();
  EXPECT_EQ(legacy->find("nic")->specs.size(), 2u);
  auto untyped = parse(R"([{"name": "nic", "vendor_id": "8086", "product_id": "154c"},
                           {"name": "nic", "vendor_id": "15b3", "product_id": "1018"}])");
  ASSERT_FALSE(untyped.ok());
  EXPECT_NE(untyped.error().message().find("every definition must set device_type"), std::string::npos);
}

TEST(Alias, WithoutDeviceTypeMatchesPciAndVfButNeverPf) {
  std::vector<std::string> w;
  auto t = parse(R"([{"name": "any", "vendor_id": "8086", "product_id": "1572"}])", &w);
  ASSERT_TRUE(t.ok());
  const Alias* a = t->find("any");
  EXPECT_TRUE(a->admits(PciId(0x8086), PciId(0x1572), DeviceType::Pci, std::nullopt));
  EXPECT_TRUE(a->admits(PciId(0x8086), PciId(0x1572), DeviceType::Vf, std::nullopt));
  EXPECT_FALSE(a->admits(PciId(0x8086), PciId(0x1572), DeviceType::Pf, std::nullopt));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("never a PF"), std::string::npos);
}

TEST(Alias, LiveMigratableNeedsAnExplicitTag) {
  auto t = parse(R"([{"name": "lm", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF", "live_migratable": "yes"},
                     {"name": "nolm", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF", "live_migratable": "no"},
                     {"name": "any", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}])");
  ASSERT_TRUE(t.ok());
  const std::optional<std::string> yes = "true", no = "false", unset;
  EXPECT_TRUE(t->find("lm")->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, yes));
  EXPECT_FALSE(t->find("lm")->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, unset));
  EXPECT_TRUE(t->find("nolm")->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, no));
  EXPECT_FALSE(t->find("nolm")->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, unset));
  EXPECT_TRUE(t->find("any")->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, unset));
}

// Every alias of Nova's test_request.py has capability_type "pci": Nova 26 accepts it and,
// as it matches every key of a request against the pool, such an alternative matches
// only devices whose device_spec entry has that tag.
TEST(Alias, CapabilityTypeIsAcceptedAndMatchedAsATag) {
  std::vector<std::string> w;
  auto t = parse(R"([{"name": "QuickAssist", "capability_type": "pci", "product_id": "4443", "vendor_id": "8086",
                      "device_type": "type-PCI"}])", &w);
  ASSERT_TRUE(t.ok()) << t.error().describe();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("capability_type"), std::string::npos) << w[0];
  const Alias* a = t->find("QuickAssist");
  EXPECT_FALSE(a->admits(PciId(0x8086), PciId(0x4443), DeviceType::Pci, std::nullopt));
  EXPECT_TRUE(a->admits(PciId(0x8086), PciId(0x4443), DeviceType::Pci, std::nullopt, {{"capability_type", "PCI"}}));
  EXPECT_FALSE(a->admits(PciId(0x8086), PciId(0x4443), DeviceType::Pci, std::nullopt, {{"capability_type", "usb"}}));
}

// Zed accepts an alias without vendor_id or product_id; it matches any of them.
TEST(Alias, AMissingIdMatchesAny) {
  std::vector<std::string> w;
  auto t = parse(R"([{"name": "any-vf", "device_type": "type-VF"}, {"name": "intel", "vendor_id": "8086", "device_type": "type-PCI"}])", &w);
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_EQ(w.size(), 3u);  // two ids for any-vf, one for intel
  EXPECT_TRUE(t->find("any-vf")->admits(PciId(0x15b3), PciId(0x1018), DeviceType::Vf, std::nullopt));
  EXPECT_FALSE(t->find("any-vf")->admits(PciId(0x15b3), PciId(0x1018), DeviceType::Pci, std::nullopt));
  EXPECT_TRUE(t->find("intel")->admits(PciId(0x8086), PciId(0x0001), DeviceType::Pci, std::nullopt));
  EXPECT_FALSE(t->find("intel")->admits(PciId(0x10de), PciId(0x0001), DeviceType::Pci, std::nullopt));
}

// Nova's id pattern lets "8086\n" through; the id then equals no device's.
TEST(Alias, AnIdEndingInANewlineMatchesNothing) {
  auto t = parse(R"([{"name": "nl", "vendor_id": "8086\n", "product_id": "1572", "device_type": "type-PCI"}])");
  ASSERT_TRUE(t.ok()) << t.error().describe();
  const Alias* a = t->find("nl");
  ASSERT_TRUE(a->specs[0].never.has_value());
  EXPECT_FALSE(a->admits(PciId(0x8086), PciId(0x1572), DeviceType::Pci, std::nullopt));
}

TEST(Alias, ANameOfSpacesIsAcceptedAndUnusable) {
  std::vector<std::string> w;
  auto t = parse(R"([{"name": "   ", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PCI"}])", &w);
  ASSERT_TRUE(t.ok()) << t.error().describe();
  ASSERT_EQ(t->aliases().size(), 1u);
  EXPECT_TRUE(t->aliases()[0].unusable.has_value());
  EXPECT_NE(w[0].find("no flavor"), std::string::npos) << w[0];
}

DeviceSpecList specs(std::string_view json) {
  std::vector<std::string> w;
  auto l = DeviceSpecList::parse(J(json), w);
  EXPECT_TRUE(l.ok()) << l.error().describe();
  return l.ok() ? std::move(*l) : DeviceSpecList{};
}

TEST(Alias, AliasesNoDeviceCanServeAreMarkedUnusable) {
  auto t = parse(R"([{"name": "cap", "capability_type": "pci", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PCI"},
                     {"name": "lm", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF", "live_migratable": "yes"},
                     {"name": "nl", "vendor_id": "8086\n", "product_id": "1572", "device_type": "type-PCI"},
                     {"name": "nl", "vendor_id": "8086", "product_id": "1573", "device_type": "type-PCI"},
                     {"name": "plain", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PCI"}])");
  ASSERT_TRUE(t.ok()) << t.error().describe();
  std::vector<std::string> w;
  AliasTable untagged = *t;
  untagged.mark_unusable(specs(R"([{"vendor_id": "8086"}])"), w);
  EXPECT_TRUE(untagged.find("cap")->unusable.has_value());
  EXPECT_NE(untagged.find("cap")->unusable->find("capability_type"), std::string::npos);
  EXPECT_TRUE(untagged.find("lm")->unusable.has_value());
  EXPECT_FALSE(untagged.find("nl")->unusable.has_value());  // its second alternative can match
  EXPECT_FALSE(untagged.find("plain")->unusable.has_value());
  EXPECT_EQ(w.size(), 2u);
  // Tags that an entry able to admit a device carries make them usable; a
  // remote_managed entry admits nothing, so its tags do not count.
  w.clear();
  AliasTable tagged = *t;
  tagged.mark_unusable(specs(R"([{"vendor_id": "8086", "capability_type": "pci"}, {"vendor_id": "8086", "remote_managed": "true", "live_migratable": "yes"}])"), w);
  EXPECT_FALSE(tagged.find("cap")->unusable.has_value());
  EXPECT_TRUE(tagged.find("lm")->unusable.has_value());
  // With nothing allow-listed no alias is singled out.
  w.clear();
  AliasTable empty = *t;
  empty.mark_unusable(DeviceSpecList{}, w);
  EXPECT_TRUE(w.empty());
  EXPECT_FALSE(empty.find("cap")->unusable.has_value());
}

TEST(PortAliases, EachTaggedPhysicalNetworkGetsAVfAndAPfRequestThatOnlyItsDevicesServe) {
  std::vector<std::string> w;
  auto specs = DeviceSpecList::parse(J(R"([{"vendor_id": "8086", "product_id": "154c", "physical_network": "group0-data0"},
                                           {"vendor_id": "8086", "product_id": "1572", "physical_network": "group0-data0"},
                                           {"vendor_id": "15b3", "physical_network": "group0-data1"},
                                           {"vendor_id": "10de"}])"), w).value();
  auto table = AliasTable::parse(J(R"([{"name": "gpu", "vendor_id": "10de", "device_type": "type-PCI"}])"), w).value();
  table.add_port_aliases(specs);
  table.add_port_aliases(specs);  // once per name
  ASSERT_EQ(table.aliases().size(), 5u);
  const Alias* vf = table.find(port_alias_name(false, "group0-data0"));
  const Alias* pf = table.find(port_alias_name(true, "group0-data0"));
  ASSERT_TRUE(vf && pf);
  EXPECT_EQ(vf->name, "port direct on group0-data0");
  EXPECT_TRUE(vf->for_ports);
  EXPECT_FALSE(table.find("gpu")->for_ports);
  const std::vector<Tag> data0{{"physical_network", std::string("group0-data0")}}, data1{{"physical_network", std::string("group0-data1")}};
  EXPECT_TRUE(vf->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, std::nullopt, data0));
  EXPECT_FALSE(vf->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, std::nullopt, data1));  // another network
  EXPECT_FALSE(vf->admits(PciId(0x8086), PciId(0x154c), DeviceType::Vf, std::nullopt, {}));     // untagged
  EXPECT_FALSE(vf->admits(PciId(0x8086), PciId(0x1572), DeviceType::Pf, std::nullopt, data0));  // a PF is not a VF
  EXPECT_TRUE(pf->admits(PciId(0x8086), PciId(0x1572), DeviceType::Pf, std::nullopt, data0));
  EXPECT_TRUE(table.find(port_alias_name(true, "group0-data1")));
}

}  // namespace
}  // namespace pcipass
