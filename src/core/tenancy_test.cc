#include "core/tenancy.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

TEST(TenancyTest, TypeNamesRoundTripAndOthersAreRefused) {
  for (NetworkType t : {NetworkType::Vlan, NetworkType::Flat}) EXPECT_EQ(parse_network_type(to_string(t)), t);
  for (VnicType t : {VnicType::Direct, VnicType::DirectPhysical}) EXPECT_EQ(parse_vnic_type(to_string(t)), t);
  EXPECT_EQ(std::string(to_string(VnicType::DirectPhysical)), "direct-physical");
  EXPECT_FALSE(parse_network_type("vxlan"));
  EXPECT_FALSE(parse_network_type("VLAN"));
  EXPECT_FALSE(parse_vnic_type("normal"));
  EXPECT_FALSE(parse_vnic_type(""));
}

TEST(TenancyTest, AVlanNetworkNeedsAnIdInRangeAndAFlatOneNone) {
  EXPECT_TRUE(check_segment(NetworkType::Vlan, 1));
  EXPECT_TRUE(check_segment(NetworkType::Vlan, 4094));
  EXPECT_TRUE(check_segment(NetworkType::Flat, std::nullopt));
  for (auto bad : {std::optional<uint64_t>(0), std::optional<uint64_t>(4095), std::optional<uint64_t>(1u << 20), std::optional<uint64_t>()}) {
    auto st = check_segment(NetworkType::Vlan, bad);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(st.error().where(), "provider:segmentation_id");
  }
  auto flat = check_segment(NetworkType::Flat, 10);
  ASSERT_FALSE(flat);
  EXPECT_EQ(flat.error().message(), "a flat network has no segmentation id");
  EXPECT_EQ(check_segment(NetworkType::Vlan, 4095).error().message(), "VLAN id 4095 is out of range: it must be 1 to 4094");
}

TEST(TenancyTest, MacsAreStoredInOneFormAndOnlyUnicastOnesAreTaken) {
  EXPECT_EQ(normalize_mac("FA-16-3E-0A-bC-ff").value(), "fa:16:3e:0a:bc:ff");
  EXPECT_EQ(normalize_mac("52:54:00:12:34:56").value(), "52:54:00:12:34:56");
  for (const char* bad : {"", "52:54:00:12:34", "52:54:00:12:34:567", "52:54-00:12:34:56", "52:54:00:12:34:5g", "5254.0012.3456"}) {
    auto m = normalize_mac(bad);
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code(), ErrorCode::InvalidArgument);
  }
  EXPECT_EQ(normalize_mac("01:00:5e:00:00:01").error().message(), "MAC address \"01:00:5e:00:00:01\" is a multicast address; a port needs a unicast one");
  EXPECT_FALSE(normalize_mac("ff:ff:ff:ff:ff:ff"));
  EXPECT_FALSE(normalize_mac("00:00:00:00:00:00"));
}

TEST(TenancyTest, AQuotaRefusalNamesTheQuotaItsLimitItsUseAndTheAsk) {
  const Error e = over_quota("project1", "devices:gpu", 2, 2, 1);
  EXPECT_EQ(e.code(), ErrorCode::OverQuota);
  EXPECT_EQ(e.message(), "quota devices:gpu of project \"project1\" is 2: 2 in use, and this server asks for 1 more");
}

TEST(TenancyTest, AServerCountsItselfItsCpusItsMemoryAndItsDevicesPerAlias) {
  InstanceShape shape;
  shape.vcpus = 4;
  shape.memory_mb = 8192;
  shape.pci = {{0, "gpu", 2, NumaPolicy::Legacy}, {1, "vf", 1, NumaPolicy::Legacy}, {0, "gpu", 1, NumaPolicy::Legacy}};
  const std::vector<std::pair<std::string, uint64_t>> want{{"servers", 1}, {"vcpus", 4}, {"memory_mb", 8192}, {"devices:gpu", 3}, {"devices:vf", 1}};
  EXPECT_EQ(quota_usage(shape), want);
}

TEST(TenancyTest, AdmissionRefusesTheFirstQuotaThatWouldBeExceeded) {
  const std::vector<std::pair<std::string, uint64_t>> usage{{"servers", 1}, {"devices:gpu", 2}};
  EXPECT_TRUE(admit("p", {{"devices:gpu", 2, 0}, {"servers", 10, 9}}, usage));
  EXPECT_TRUE(admit("p", {{"devices:gpu", std::nullopt, 100}}, usage));
  EXPECT_TRUE(admit("p", {{"devices:vf", 0, 5}}, usage));  // a quota the server asks nothing of
  auto over = admit("p", {{"devices:gpu", 3, 2}, {"servers", 1, 1}}, usage);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::OverQuota);
  EXPECT_EQ(over.error().message(), "quota devices:gpu of project \"p\" is 3: 2 in use, and this server asks for 2 more");
}

TEST(TenancyTest, AGeneratedMacHasOpenStacksPrefixAndIsAValidPortMac) {
  EXPECT_EQ(port_mac("0a1B2c99"), "fa:16:3e:0a:1b:2c");
  EXPECT_TRUE(normalize_mac(port_mac("ffffff")));
  EXPECT_EQ(port_mac("ab"), "fa:16:3e:ab:00:00");
}

}  // namespace
}  // namespace pcipass
