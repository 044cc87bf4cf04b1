// pcipass's bind rules: records read back as written, rules keyed by ids, and a record
// pcipass cannot read named by its line rather than dropped.
#include "core/bind_persistence.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

PersistedBinding sample(const char* address, const char* fingerprint = "vpd:8086:1572:SN 12 34.0") {
  return PersistedBinding{PciAddress::parse(address).value(), "vfio-pci", PciId(0x8086), PciId(0x1572), PciId(0x8086), PciId(0x0001),
                          false, fingerprint};
}

TEST(BindRules, WhatIsWrittenIsReadBack) {
  std::vector<PersistedBinding> in{sample("0000:42:00.0"), sample("0000:41:00.0", "")};
  in[0].driverctl = true;
  const std::string text = render_bind_rules(in);
  auto back = parse_bind_rules(text);
  EXPECT_TRUE(back.problems.empty());
  ASSERT_EQ(back.bindings.size(), 2u);
  EXPECT_EQ(back.bindings[0], in[1]);  // in address order
  EXPECT_EQ(back.bindings[1], in[0]);  // a fingerprint with spaces survives
  EXPECT_EQ(render_bind_rules(back.bindings), text);
}

TEST(BindRules, TheRuleMatchesTheIdsAsWellAsTheAddress) {
  EXPECT_EQ(bind_rule(sample("0000:41:00.0")),
            "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:41:00.0\", ATTR{vendor}==\"0x8086\", ATTR{device}==\"0x1572\", "
            "ATTR{subsystem_vendor}==\"0x8086\", ATTR{subsystem_device}==\"0x0001\", ATTR{driver_override}=\"vfio-pci\", "
            "RUN+=\"/bin/sh -c 'echo %k > /sys/bus/pci/devices/%k/driver/unbind 2>/dev/null; echo %k > /sys/bus/pci/drivers_probe'\"\n");
}

TEST(BindRules, AddingAndRemovingKeepOnePerAddress) {
  auto list = with_binding({sample("0000:41:00.0")}, sample("0000:41:00.0", "other"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].fingerprint, "other");
  EXPECT_TRUE(without_binding(list, PciAddress::parse("0000:41:00.0").value()).empty());
  EXPECT_EQ(binding_at(list, PciAddress::parse("0000:41:00.1").value()), nullptr);
}

TEST(BindRules, RecordsNotUnderstoodAreNamedByLine) {
  const char* text =
      "# a comment\n"
      "# pcipass-bind address=0000:41:00.0 driver=vfio-pci ids=8086:1572 subsystem=8086:0001 later_key=x\n"
      "# pcipass-bind address=0000:41:00.1 driver=vfio pci ids=8086:1572 subsystem=8086:0001\n"
      "# pcipass-bind address=0000:41:00.2 driver=vfio-pci ids=8086:1572\n"
      "# pcipass-bind address=41:00.3 driver=vfio-pci ids=8086:1572 subsystem=8086:0001\n"
      "# pcipass-bind address=0000:41:00.4 driver=vfio-pci ids=8086:1572 subsystem=8086:0001 driverctl=maybe\n"
      "ACTION==\"add\", SUBSYSTEM==\"pci\"\n";
  auto r = parse_bind_rules(text);
  ASSERT_EQ(r.bindings.size(), 1u);  // an unknown key is passed over
  EXPECT_EQ(r.bindings[0].address.to_string(), "0000:41:00.0");
  ASSERT_EQ(r.problems.size(), 4u);
  EXPECT_EQ(r.problems[0], "etc/udev/rules.d/69-pcipass-bind.rules line 3: expected key=value, got \"pci\"");
  EXPECT_EQ(r.problems[1], "etc/udev/rules.d/69-pcipass-bind.rules line 4: a record needs address, driver, ids and subsystem");
  EXPECT_NE(r.problems[2].find("line 5: address: "), std::string::npos) << r.problems[2];
  EXPECT_EQ(r.problems[3], "etc/udev/rules.d/69-pcipass-bind.rules line 6: driverctl: expected yes or no");
}

}  // namespace
}  // namespace pcipass
