#include "controller/reconcile.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

StoredDevice dev(const char* address, const char* print) {
  StoredDevice d;
  d.facts.address = PciAddress::parse(address).value();
  d.facts.vendor_id = PciId(0x8086);
  d.facts.product_id = PciId(0x154c);
  d.fingerprint = print;
  return d;
}

HostRecord host(std::vector<StoredDevice> devices) {
  HostRecord h;
  h.name = "compute-1";
  h.devices = std::move(devices);
  return h;
}

AllocationRecord held(const char* address) { return {"compute-1", PciAddress::parse(address).value(), "vm1", 0}; }

TEST(Reconcile, NewDevicesComeAndFreeVanishedOnesGo) {
  auto r = reconcile(host({dev("0000:41:02.0", "a"), dev("0000:41:02.1", "b")}), {},
                     host({dev("0000:41:02.0", "a"), dev("0000:41:02.2", "c")}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->record.devices.size(), 2u);
  EXPECT_EQ(r->record.devices[1].facts.address.to_string(), "0000:41:02.2");
  EXPECT_TRUE(r->moves.empty());
  EXPECT_TRUE(r->notes.empty());
}

TEST(Reconcile, AnAllocatedDeviceThatVanishedIsKeptAndFlagged) {
  auto r = reconcile(host({dev("0000:41:02.0", "a"), dev("0000:41:02.1", "b")}), {held("0000:41:02.1")},
                     host({dev("0000:41:02.0", "a")}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->record.devices.size(), 2u);
  EXPECT_TRUE(r->record.devices[1].vanished);
  EXPECT_EQ(r->record.devices[1].fingerprint, "b");
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("0000:41:02.1 vanished while allocated"), std::string::npos);
}

TEST(Reconcile, AnAllocationFollowsItsFingerprintToANewAddress) {
  auto r = reconcile(host({dev("0000:41:02.0", "a"), dev("0000:41:02.1", "b")}), {held("0000:41:02.1")},
                     host({dev("0000:41:02.0", "a"), dev("0000:42:02.1", "b")}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->moves.size(), 1u);
  EXPECT_EQ(r->moves[0].from.to_string(), "0000:41:02.1");
  EXPECT_EQ(r->moves[0].to.to_string(), "0000:42:02.1");
  EXPECT_EQ(r->record.devices.size(), 2u);  // nothing flagged
  for (const auto& d : r->record.devices) EXPECT_FALSE(d.vanished);
}

TEST(Reconcile, SwappedAddressesSwapTheirAllocations) {
  auto r = reconcile(host({dev("0000:41:02.0", "a"), dev("0000:41:02.1", "b")}), {held("0000:41:02.0"), held("0000:41:02.1")},
                     host({dev("0000:41:02.0", "b"), dev("0000:41:02.1", "a")}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->moves.size(), 2u);
}

TEST(Reconcile, AMoveOntoADeviceSomeoneElseHoldsIsRefused) {
  // b moved onto 02.0, which is held, while 02.0's own device (a) stays.
  auto r = reconcile(host({dev("0000:41:02.0", "a"), dev("0000:41:02.1", "b")}), {held("0000:41:02.0"), held("0000:41:02.1")},
                     host({dev("0000:41:02.0", "a"), dev("0000:41:02.2", "b")}));
  ASSERT_TRUE(r.ok());  // 02.2 is free: fine
  EXPECT_EQ(r->moves.size(), 1u);
}

TEST(Reconcile, AMoveOntoAnAddressAnotherServerKeepsIsNotFollowedAndTheReportIsTaken) {
  // b's fingerprint now shows at 02.0, which a's holder keeps: b's allocation stays at
  // 02.1, flagged vanished, and nothing is refused.
  auto r = reconcile(host({dev("0000:41:02.0", "a"), dev("0000:41:02.1", "b")}), {held("0000:41:02.0"), held("0000:41:02.1")},
                     host({dev("0000:41:02.0", "b")}));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r->moves.empty());
  ASSERT_EQ(r->record.devices.size(), 2u);
  EXPECT_EQ(r->record.devices[1].facts.address.to_string(), "0000:41:02.1");
  EXPECT_TRUE(r->record.devices[1].vanished);
  bool said = false;
  for (const auto& n : r->notes) said = said || n.find("which another server holds") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Reconcile, ADuplicateAddressIsAnErrorAndADuplicateFingerprintFollowsNothing) {
  auto twice = reconcile(host({}), {}, host({dev("0000:41:02.0", "a"), dev("0000:41:02.0", "b")}));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().where(), "devices[1]");
  // The held device left 41:02.1; two devices now claim its fingerprint: it is not followed.
  auto print = reconcile(host({dev("0000:41:02.1", "a")}), {held("0000:41:02.1")},
                         host({dev("0000:41:03.0", "a"), dev("0000:41:03.1", "a")}));
  ASSERT_TRUE(print.ok());
  EXPECT_TRUE(print->moves.empty());
  ASSERT_EQ(print->notes.size(), 2u);
  EXPECT_NE(print->notes[0].find("reported for several devices"), std::string::npos);
  EXPECT_TRUE(print->record.devices.front().vanished);  // 41:02.1 sorts first
}

}  // namespace
}  // namespace pcipass
