#include "core/pci_address.h"
#include "core/pci_id.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace pcipass {
namespace {

TEST(PciAddress, ParsesFullAddressAndPrintsCanonically) {
  auto a = PciAddress::parse("0000:0A:1f.7");
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->domain(), 0u);
  EXPECT_EQ(a->bus(), 0x0au);
  EXPECT_EQ(a->slot(), 0x1fu);
  EXPECT_EQ(a->function(), 7u);
  EXPECT_EQ(a->to_string(), "0000:0a:1f.7");
}

TEST(PciAddress, RejectsShortAndMalformedForms) {
  for (const char* bad : {"41:02.0", "0000:41:02", "0000:41.02.0", "00000:41:02.0", "0000:4g:02.0", "", "0000:41:02.0 "}) {
    auto a = PciAddress::parse(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.error().message().find("DDDD:BB:SS.F"), std::string::npos) << a.error().message();
  }
}

TEST(PciAddress, RejectsSlotAndFunctionOutOfRange) {
  auto slot = PciAddress::parse("0000:41:20.0");
  ASSERT_FALSE(slot.ok());
  EXPECT_NE(slot.error().message().find("slot above 1f"), std::string::npos);
  auto fn = PciAddress::parse("0000:41:02.8");
  ASSERT_FALSE(fn.ok());
  EXPECT_NE(fn.error().message().find("function above 7"), std::string::npos);
  EXPECT_FALSE(PciAddress::from_fields(0x10000, 0, 0, 0).ok());
}

TEST(PciAddress, OrdersByDomainBusSlotFunctionAndHashes) {
  auto a = PciAddress::parse("0000:41:02.1").value();
  auto b = PciAddress::parse("0000:41:0a.0").value();
  auto c = PciAddress::parse("0001:00:00.0").value();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  std::unordered_set<PciAddress> set{a, b, c, a};
  EXPECT_EQ(set.size(), 3u);
}

TEST(PciId, ParsesFourHexDigitsAndPrintsLowerCase) {
  EXPECT_EQ(PciId::parse("10DE").value().to_string(), "10de");
  EXPECT_EQ(PciId::parse("8086").value(), PciId(0x8086));
  for (const char* bad : {"808", "80861", "0x86", "g111", ""}) {
    auto id = PciId::parse(bad);
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_NE(id.error().message().find("expected 4 hex digits"), std::string::npos);
  }
  EXPECT_LT(PciId(0x10de), PciId(0x8086));
}

}  // namespace
}  // namespace pcipass
