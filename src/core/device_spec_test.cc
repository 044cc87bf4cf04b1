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

TEST(DeviceSpecRegex, RejectsInvalidRegexAndListsAndIgnoresUnknownFieldsLikeNova) {
  auto star = spec_error(R"({"address": {"bus": "*"}})");
  EXPECT_EQ(star.where(), "address.bus");
  EXPECT_NE(star.message().find("invalid regular expression"), std::string::npos);
  std::vector<std::string> w;
  auto typo = spec(R"({"address": {"buss": "41", "slot": "00"}})", &w);
  ASSERT_EQ(w.size(), 2u);  // the ignored field, and the unanchored slot
  EXPECT_NE(w[0].find("address field \"buss\" is not one of domain, bus, slot, function: ignored"), std::string::npos) << w[0];
  EXPECT_TRUE(admits(typo, "0000:42:00.0"));  // any bus, as in Nova
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
  // Nova 26 takes any value; pcipass keeps it as it is and warns.
  std::vector<std::string> w;
  auto odd = spec(R"({"managed": "invalid", "remote_managed": "maybe", "trusted": 2})", &w);
  EXPECT_EQ(odd.tag("managed"), std::optional<std::string>("invalid"));
  EXPECT_EQ(odd.tag("trusted"), std::optional<std::string>("2"));
  EXPECT_FALSE(odd.never_matches());  // bool_from_string("maybe") is false
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("not boolean-like"), std::string::npos) << w[0];
}

TEST(DeviceSpecTags, FreeFormTagsNullAndNumbers) {
  auto s = spec(R"({"physical_network": null, "rack": 7, "zone": "a"})");
  ASSERT_EQ(s.pool_tags().size(), 3u);
  EXPECT_EQ(s.pool_tags()[0].key, "physical_network");  // sorted by key
  EXPECT_FALSE(s.pool_tags()[0].value.has_value());
  EXPECT_EQ(s.tag("rack"), std::optional<std::string>("7"));
  std::vector<std::string> w;
  auto nested = spec(R"({"rack": {"row": 1}, "zones": ["a", "b"]})", &w);
  EXPECT_EQ(nested.tag("rack"), std::optional<std::string>(R"({"row":1})"));
  EXPECT_EQ(nested.tag("zones"), std::optional<std::string>(R"(["a","b"])"));
  EXPECT_EQ(w.size(), 2u);
}

TEST(DeviceSpecTags, TypoOfAKnownKeyWarns) {
  std::vector<std::string> w;
  spec(R"({"physical_netwrok": "physnet1"})", &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("did you mean \"physical_network\""), std::string::npos);
}

TEST(DeviceSpecTags, RemoteManagedNeverMatchesAndOneTimeUseWarns) {
  std::vector<std::string> w;
  auto rm = spec(R"({"vendor_id": "8086", "remote_managed": "true"})", &w);
  EXPECT_TRUE(rm.never_matches());
  EXPECT_FALSE(admits(rm, "0000:41:02.0"));
  ASSERT_FALSE(w.empty());
  w.clear();
  EXPECT_EQ(spec(R"({"one_time_use": "TrUe"})", &w).tag("one_time_use"), std::optional<std::string>("true"));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("Placement"), std::string::npos);
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

// Nova's start-time checks of remote_managed entries (test_devspec.py,
// PciDeviceSpecRemoteManagedTestCase): PF 0000:0a:00.0 is 8086:5057, its VFs 8086:5058.
std::vector<std::string> findings(std::string_view specs_json, bool with_vfs = true) {
  std::vector<std::string> w;
  auto list = DeviceSpecList::parse(J(specs_json), w);
  EXPECT_TRUE(list.ok()) << list.error().describe();
  std::vector<DeviceFacts> devices;
  DeviceFacts pf = device("0000:0a:00.0", "8086", "5057");
  pf.sriov_totalvfs = 8;
  pf.devname = "enp10s0f0";
  devices.push_back(pf);
  if (with_vfs) {
    DeviceFacts vf = device("0000:0a:00.2", "8086", "5058");
    vf.physfn = pf.address;
    devices.push_back(vf);
  }
  devices.push_back(device("0000:3b:00.0", "10de", "2330"));
  return remote_managed_findings(*list, devices);
}

TEST(DeviceSpecRemoteManaged, ADevnameNotOnTheHostIsFound) {
  auto f = findings(R"([{"devname": "nonexdev0", "physical_network": "hr_net", "remote_managed": "true"}])");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].find("device_spec[0]: remote_managed entry names devname \"nonexdev0\", which is not on this host"), std::string::npos) << f[0];
  EXPECT_NE(f[0].find("PciDeviceRemoteManagedNotPresent"), std::string::npos);
  // Not remote-managed: a missing devname only admits nothing, as in Nova.
  EXPECT_TRUE(findings(R"([{"devname": "nonexdev0"}])").empty());
}

TEST(DeviceSpecRemoteManaged, APfNamedWithIdsThatMatchThePfIsFound) {
  for (const char* json : {R"([{"vendor_id": "8086", "address": "0000:0a:00.0", "product_id": "5057", "remote_managed": "true"}])",
                           R"([{"vendor_id": "*", "address": "0000:0a:00.0", "product_id": "*", "remote_managed": "true"}])",
                           R"([{"vendor_id": "8086", "address": "0000:0a:00.0", "product_id": "*", "remote_managed": "true"}])",
                           R"([{"devname": "enp10s0f0", "remote_managed": "true"}])"}) {
    auto f = findings(json);
    ASSERT_EQ(f.size(), 1u) << json;
    EXPECT_NE(f[0].find("PciDeviceInvalidPFRemoteManaged"), std::string::npos) << f[0];
    EXPECT_NE(f[0].find("(5058)"), std::string::npos) << f[0];  // says which id to give
  }
}

TEST(DeviceSpecRemoteManaged, VfIdsOfTheNamedPfPass) {
  EXPECT_TRUE(findings(R"([{"vendor_id": "8086", "address": "0000:0a:00.0", "product_id": "5058", "remote_managed": "true"}])").empty());
  EXPECT_TRUE(findings(R"([{"vendor_id": "*", "address": "0000:0a:00.0", "product_id": "5058", "remote_managed": "true"}])").empty());
  EXPECT_TRUE(findings(R"([{"devname": "enp10s0f0", "product_id": "5058", "remote_managed": "true"}])").empty());
  // An address that is no PF (a VF, a plain device, or not on the host) is not checked.
  EXPECT_TRUE(findings(R"([{"address": "0000:0a:00.2", "remote_managed": "true"}])").empty());
  EXPECT_TRUE(findings(R"([{"address": "0000:3b:00.0", "remote_managed": "true"}])").empty());
  EXPECT_TRUE(findings(R"([{"address": "0000:0a:00.*", "remote_managed": "true"}])").empty());
}

TEST(DeviceSpecRemoteManaged, VfIdsThatCannotBelongToTheNamedPfAreFound) {
  for (const char* json : {R"([{"vendor_id": "8080", "address": "0000:0a:00.0", "product_id": "5050", "remote_managed": "true"}])",
                           R"([{"vendor_id": "8086", "address": "0000:0a:00.0", "product_id": "5050", "remote_managed": "true"}])",
                           R"([{"vendor_id": "8080", "address": "0000:0a:00.0", "product_id": "5058", "remote_managed": "true"}])"}) {
    auto f = findings(json);
    ASSERT_EQ(f.size(), 1u) << json;
    EXPECT_NE(f[0].find("do not belong to PF 0000:0a:00.0 (8086:5057)"), std::string::npos) << f[0];
    EXPECT_NE(f[0].find("PciConfigInvalidSpec"), std::string::npos) << f[0];
  }
  // Without VFs listed the VF product id is unknown: a wrong vendor is still found,
  // a product id other than the PF's is not judged.
  EXPECT_EQ(findings(R"([{"vendor_id": "8080", "address": "0000:0a:00.0", "product_id": "5058", "remote_managed": "true"}])", false).size(), 1u);
  EXPECT_TRUE(findings(R"([{"vendor_id": "8086", "address": "0000:0a:00.0", "product_id": "5050", "remote_managed": "true"}])", false).empty());
  EXPECT_EQ(findings(R"([{"vendor_id": "8086", "address": "0000:0a:00.0", "product_id": "5057", "remote_managed": "true"}])", false).size(), 1u);
}

}  // namespace
}  // namespace pcipass
