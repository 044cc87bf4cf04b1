// Device spec parsing and matching: the behaviours of Nova's test_devspec.py and
// test_whitelist.py that apply (reference/nova-pci.md section 9).
#include "core/device_spec.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::device;
using testing::J;

DeviceSpec spec(std::string_view json, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  auto s = DeviceSpec::parse(J(json), w);
  EXPECT_TRUE(s.ok()) << json << ": " << (s.ok() ? "" : s.error().describe());
  if (warnings) *warnings = w;
  return std::move(s).value();
}

Error spec_error(std::string_view json) {
  std::vector<std::string> w;
  auto s = DeviceSpec::parse(J(json), w);
  EXPECT_FALSE(s.ok()) << json;
  return s.ok() ? invalid("parsed") : s.error();
}

bool admits(const DeviceSpec& s, std::string_view address, std::string_view vendor = "8086",
            std::string_view product = "154c", std::optional<std::string_view> physfn = std::nullopt) {
  DeviceFacts d = device(address, vendor, product);
  if (physfn) d.physfn = PciAddress::parse(*physfn).value();
  return s.matches(d, std::nullopt);
}

TEST(DeviceSpecGlob, RightAlignsFields) {
  auto s = spec(R"({"address": "0a:00.1"})");
  EXPECT_TRUE(admits(s, "0000:0a:00.1"));
  EXPECT_TRUE(admits(s, "0001:0a:00.1"));
  EXPECT_FALSE(admits(s, "0000:0a:00.2"));
  EXPECT_FALSE(admits(s, "0000:0b:00.1"));
}

TEST(DeviceSpecGlob, LoneNumberIsASlotAndWarns) {
  std::vector<std::string> w;
  auto s = spec(R"({"address": "1"})", &w);
  EXPECT_TRUE(admits(s, "0000:41:01.3"));
  EXPECT_FALSE(admits(s, "0000:01:00.0"));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("read as slot 1"), std::string::npos);
}

TEST(DeviceSpecGlob, EmptyAndStarFieldsMatchEverything) {
  for (const char* a : {".", ":", "*:*:*.*", ":0a:00.", "*: *: *.6"}) {
    auto s = spec(std::string(R"({"address": ")") + a + "\"}");
    (void)s;
  }
  EXPECT_TRUE(admits(spec(R"({"address": "."})"), "0003:ff:1f.7"));
  auto partial = spec(R"({"address": ":0a:00."})");
  EXPECT_TRUE(admits(partial, "0005:0a:00.3"));
  EXPECT_FALSE(admits(partial, "0005:0a:01.3"));
  auto spaced = spec(R"({"address": "*: *: *.6"})");
  EXPECT_TRUE(admits(spaced, "0000:01:02.6"));
  EXPECT_FALSE(admits(spaced, "0000:01:02.5"));
  EXPECT_TRUE(admits(spec(R"({"address": ".5"})"), "0000:41:00.5"));
}

TEST(DeviceSpecGlob, RejectsFourFieldsPartialGlobsAndBadCharacters) {
  EXPECT_NE(spec_error(R"({"address": "0000:0000:0a:00.5"})").message().find("incorrect format"), std::string::npos);
  auto partial = spec_error(R"({"address": "0a*:00.0"})");
  EXPECT_EQ(partial.message(), "property bus ('0a*') does not parse as a hex number");
  EXPECT_EQ(partial.where(), "address");
  EXPECT_EQ(spec_error(R"({"address": "0000:0a:00.12:6"})").message(), "property func ('12:6') does not parse as a hex number");
}

TEST(DeviceSpecGlob, RejectsFieldsAboveTheirMaximum) {
  EXPECT_EQ(spec_error(R"({"address": "0000:0a:00.8"})").message(),
            "property func (8) is greater than the maximum allowable value (7).");
  EXPECT_EQ(spec_error(R"({"address": "10000:0a:00.1"})").message(),
            "property domain (10000) is greater than the maximum allowable value (FFFF).");
  EXPECT_EQ(spec_error(R"({"address": "0000:100:00.1"})").message(),
            "property bus (100) is greater than the maximum allowable value (FF).");
  EXPECT_EQ(spec_error(R"({"address": "0000:0a:20.1"})").message(),
            "property slot (20) is greater than the maximum allowable value (1F).");
}

TEST(DeviceSpecRegex, MatchesCharacterClassesAsPrefixLikeNova) {
  std::vector<std::string> w;
  auto s = spec(R"({"address": {"bus": "8[2-3]", "function": "[1-7]"}})", &w);
  EXPECT_TRUE(admits(s, "0000:82:00.1"));
  EXPECT_TRUE(admits(s, "0000:83:10.7"));
  EXPECT_FALSE(admits(s, "0000:84:00.1"));
  EXPECT_FALSE(admits(s, "0000:82:00.0"));
  auto prefix = spec(R"({"address": {"bus": "4"}})", &w);
  EXPECT_TRUE(admits(prefix, "0000:41:00.0"));  // re.match is a prefix match
  EXPECT_FALSE(admits(prefix, "0000:14:00.0"));
  EXPECT_TRUE(std::any_of(w.begin(), w.end(), [](const std::string& x) { return x.find("prefix") != std::string::npos; }));
  auto anchored = spec(R"({"address": {"bus": "4$"}})");
  EXPECT_FALSE(admits(anchored, "0000:41:00.0"));
}

TEST(DeviceSpecRegex, RejectsInvalidRegexUnknownFieldsAndLists) {
  auto star = spec_error(R"({"address": {"bus": "*"}})");
  EXPECT_EQ(star.where(), "address.bus");
  EXPECT_NE(star.message().find("invalid regular expression"), std::string::npos);
  EXPECT_NE(spec_error(R"({"address": {"buss": "41"}})").message().find("unknown address field"), std::string::npos);
  EXPECT_NE(spec_error(R"({"address": ["0000:41:00.0"]})").message().find("must be a string (glob) or an object"),
            std::string::npos);
}

TEST(DeviceSpecPf, ExactAddressOfPfAdmitsItsVfsButWildcardsDoNot) {
  auto exact = spec(R"({"address": "0000:41:00.0"})");
  EXPECT_TRUE(admits(exact, "0000:41:00.0", "8086", "1572"));
  EXPECT_TRUE(admits(exact, "0000:41:02.3", "8086", "154c", "0000:41:00.0"));
  EXPECT_FALSE(admits(exact, "0000:41:02.3", "8086", "154c", "0000:41:00.1"));
  auto regex_exact = spec(R"({"address": {"domain": "0000", "bus": "41", "slot": "00", "function": "0"}})");
  EXPECT_TRUE(admits(regex_exact, "0000:41:02.3", "8086", "154c", "0000:41:00.0"));
  auto glob = spec(R"({"address": "0000:41:00.*"})");
  EXPECT_FALSE(admits(glob, "0000:41:02.3", "8086", "154c", "0000:41:00.0"));
  auto only_vfs = spec(R"({"address": "0000:41:00.0", "product_id": "154c"})");
  EXPECT_FALSE(admits(only_vfs, "0000:41:00.0", "8086", "1572"));
  EXPECT_TRUE(admits(only_vfs, "0000:41:02.3", "8086", "154c", "0000:41:00.0"));
}

TEST(DeviceSpecDevname, ResolvesThroughTheHostAndCoversVfsOfAPf) {
  auto s = spec(R"({"devname": "ens1f0"})");
  DeviceFacts pf = device("0000:41:00.0", "8086", "1572");
  DeviceFacts vf = device("0000:41:02.0", "8086", "154c");
  vf.physfn = pf.address;
  DeviceSpec::DevnameTarget as_pf{pf.address, true};
  EXPECT_TRUE(s.matches(pf, as_pf));
  EXPECT_TRUE(s.matches(vf, as_pf));
  EXPECT_FALSE(s.matches(vf, DeviceSpec::DevnameTarget{pf.address, false}));
  EXPECT_FALSE(s.matches(pf, std::nullopt));  // netdev not on this host: matches nothing
  EXPECT_TRUE(admits(spec(R"({"devname": ""})"), "0000:01:00.0"));  // blank devname is a wildcard
  EXPECT_EQ(spec_error(R"({"devname": "ens1f0", "address": "0000:41:00.0"})").message(),
            "can specify devname or address, but not both");
}

TEST(DeviceSpecIds, ParseLikeNova) {
  EXPECT_TRUE(admits(spec(R"({"vendor_id": "0x8086"})"), "0000:01:00.0"));
  EXPECT_TRUE(admits(spec(R"({"vendor_id": " 8086 ", "product_id": "154C"})"), "0000:01:00.0"));
  EXPECT_FALSE(admits(spec(R"({"vendor_id": "10de"})"), "0000:01:00.0"));
  EXPECT_TRUE(admits(spec(R"({"vendor_id": "*", "product_id": "*"})"), "0000:01:00.0", "1234", "5678"));
  auto big = spec_error(R"({"vendor_id": "80861"})");
  EXPECT_EQ(big.where(), "vendor_id");
  EXPECT_EQ(big.message(), "property vendor_id (80861) is greater than the maximum allowable value (FFFF).");
  EXPECT_EQ(spec_error(R"({"product_id": "g111"})").message(), "property product_id ('g111') does not parse as a hex number");
  EXPECT_NE(spec_error(R"({"vendor_id": 8086})").message().find("expected a string"), std::string::npos);
}

TEST(DeviceSpecTags, BooleanLikeTagsAreCanonicalStrings) {
  auto a = spec(R"({"managed": "YES", "trusted": true, "live_migratable": "0"})");
  EXPECT_EQ(a.tag("managed"), std::optional<std::string>("true"));
  EXPECT_EQ(a.tag("trusted"), std::optional<std::string>("true"));
  EXPECT_EQ(a.tag("live_migratable"), std::optional<std::string>("false"));
  auto b = spec(R"({"trusted": "true"})");
  EXPECT_EQ(a.tag("trusted"), b.tag("trusted"));  // JSON true and "true" are the same tag
  auto bad = spec_error(R"({"managed": "invalid"})");
  EXPECT_EQ(bad.where(), "managed");
  EXPECT_NE(bad.message().find("Cannot parse tag 'managed': Unrecognized value \"invalid\", acceptable values are: '0', '1'"),
            std::string::npos);
}

TEST(DeviceSpecTags, FreeFormTagsNullAndNumbers) {
  auto s = spec(R"({"physical_network": null, "rack": 7, "zone": "a"})");
  ASSERT_EQ(s.pool_tags().size(), 3u);
  EXPECT_EQ(s.pool_tags()[0].key, "physical_network");  // sorted by key
  EXPECT_FALSE(s.pool_tags()[0].value.has_value());
  EXPECT_EQ(s.tag("rack"), std::optional<std::string>("7"));
  EXPECT_NE(spec_error(R"({"rack": {"row": 1}})").message().find("a tag value must be a string"), std::string::npos);
}

TEST(DeviceSpecTags, TypoOfAKnownKeyWarns) {
  std::vector<std::string> w;
  spec(R"({"physical_netwrok": "physnet1"})", &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("did you mean \"physical_network\""), std::string::npos);
}

TEST(DeviceSpecTags, RemoteManagedNeverMatchesAndOneTimeUseNeedsPlacement) {
  std::vector<std::string> w;
  auto rm = spec(R"({"vendor_id": "8086", "remote_managed": "true"})", &w);
  EXPECT_TRUE(rm.never_matches());
  EXPECT_FALSE(admits(rm, "0000:41:02.0"));
  ASSERT_FALSE(w.empty());
  EXPECT_NE(spec_error(R"({"one_time_use": "TrUe"})").message().find("requires [pci] report_in_placement"), std::string::npos);
  EXPECT_EQ(spec(R"({"one_time_use": "no"})").tag("one_time_use"), std::optional<std::string>("false"));
}

TEST(DeviceSpecPlacement, ResourceClassAndTraitsNormaliseLikeNova) {
  EXPECT_EQ(normalize_resource_class("pgpu"), "PGPU");
  EXPECT_EQ(normalize_resource_class("foobar"), "CUSTOM_FOOBAR");
  EXPECT_EQ(normalize_resource_class("custom-foo"), "CUSTOM_CUSTOM_FOO");
  EXPECT_EQ(normalize_resource_class("a###b"), "CUSTOM_A_B");
  auto s = spec(R"({"traits": "a!@b,a###b, HW_GPU_API_VULKAN", "resource_class": "foo"})");
  EXPECT_EQ(s.tag("traits"), std::optional<std::string>("CUSTOM_A_B,CUSTOM_A_B,HW_GPU_API_VULKAN"));
  EXPECT_EQ(s.tag("resource_class"), std::optional<std::string>("CUSTOM_FOO"));
  EXPECT_TRUE(s.pool_tags().empty());  // placement-only keys do not split pools
}

TEST(DeviceSpecList, ParsesEntriesAndNamesTheFailingOne) {
  std::vector<std::string> w;
  auto ok = DeviceSpecList::parse(J(R"([{"vendor_id": "8086"}, {"address": "0000:41:00.0"}])"), w);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->specs().size(), 2u);
  auto empty = DeviceSpecList::parse(J("[]"), w);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto bad = DeviceSpecList::parse(J(R"([{"vendor_id": "8086"}, 3])"), w);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where(), "[1]");
  EXPECT_NE(bad.error().message().find("must be an object"), std::string::npos);
  EXPECT_FALSE(DeviceSpecList::parse(J(R"({"vendor_id": "8086"})"), w).ok());
}

}  // namespace
}  // namespace pcipass
