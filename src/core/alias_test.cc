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
  EXPECT_EQ(a->specs[0].product_id.to_string(), "37c9");
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
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "capability_type": "pci"}])", "[0].capability_type", "never matches"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "numa_policy": "derp"}])", "[0].numa_policy", "required, legacy"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "live_migratable": "invalid"}])", "[0].live_migratable", "boolean"},
      {R"([{"name": "a", "vendor_id": "8086", "product_id": "1572", "foo": "bar"}])", "[0].foo", "unknown key in alias"},
      {R"([{"name": "a", "vendor_id": "8086"}])", "[0]", "does not have vendor_id and product_id"},
      {R"([{"vendor_id": "8086", "product_id": "1572"}])", "[0]", "has no name"},
      {R"([{"name": "", "vendor_id": "8086", "product_id": "1572"}])", "[0].name", "1 to 256"},
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

}  // namespace
}  // namespace pcipass
