#include "core/sysfs_parse.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

TEST(SysfsParse, HexAttributes) {
  EXPECT_EQ(parse_sysfs_hex("0x8086\n", 0xffff).value(), 0x8086u);
  EXPECT_EQ(parse_sysfs_hex("0x020000\n", 0xffffff).value(), 0x020000u);
  EXPECT_FALSE(parse_sysfs_hex("0x18086\n", 0xffff).ok());
  auto bad = parse_sysfs_hex("garbage", 0xffff);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("expected a hex value like 0x8086, got \"garbage\""), std::string::npos);
}

TEST(SysfsParse, NumbersNumaAndDriverOverride) {
  EXPECT_EQ(parse_sysfs_uint("64\n").value(), 64u);
  EXPECT_FALSE(parse_sysfs_uint("-3").ok());
  EXPECT_FALSE(parse_sysfs_numa_node("-1\n").value().has_value());
  EXPECT_EQ(parse_sysfs_numa_node("1\n").value(), std::optional<uint32_t>(1));
  EXPECT_FALSE(parse_sysfs_numa_node("x").ok());
  EXPECT_FALSE(parse_driver_override("(null)\n").has_value());
  EXPECT_EQ(parse_driver_override("vfio-pci\n"), std::optional<std::string>("vfio-pci"));
  EXPECT_EQ(parse_node_meminfo_total_mb("Node 0 MemTotal:       67108864 kB\nNode 0 MemFree: 1 kB\n").value(), 65536u);
  EXPECT_FALSE(parse_node_meminfo_total_mb("Node 0 MemFree: 1 kB").ok());
  EXPECT_EQ(link_basename("../../../bus/pci/drivers/i40e"), "i40e");
  EXPECT_EQ(link_basename("../../../kernel/iommu_groups/17/"), "17");
}

std::string vpd(std::string_view keywords) {
  std::string out;
  out += '\x82';
  out += '\x04';
  out += '\x00';
  out += "NAME";
  out += '\x90';
  out += static_cast<char>(keywords.size());
  out += '\x00';
  out += keywords;
  out += '\x78';
  return out;
}

TEST(SysfsParse, VpdSerialNumber) {
  const std::string pn = std::string("PN") + '\x03' + "ABC";
  const std::string sn = std::string("SN") + '\x06' + "XY1234";
  EXPECT_EQ(parse_vpd_serial(vpd(pn + sn)), std::optional<std::string>("XY1234"));
  EXPECT_FALSE(parse_vpd_serial(vpd(pn)).has_value());  // no SN keyword
  // Truncated: the SN length runs past the section, so nothing is read past the data.
  std::string cut = vpd(std::string("SN\x20" "XY", 5));
  EXPECT_FALSE(parse_vpd_serial(cut).has_value());
  EXPECT_FALSE(parse_vpd_serial(std::string("\x90\xff\xff", 3)).has_value());
  EXPECT_FALSE(parse_vpd_serial("").has_value());
  EXPECT_FALSE(parse_vpd_serial(vpd(std::string("SN\x02\x01\x02", 5))).has_value());  // not printable
}

TEST(SysfsParse, ConfigHeader) {
  std::string cfg(64, '\0');
  auto put16 = [&](size_t i, uint16_t v) { cfg[i] = static_cast<char>(v & 0xff); cfg[i + 1] = static_cast<char>(v >> 8); };
  put16(0, 0x8086);
  put16(2, 0x1572);
  cfg[8] = 2;
  cfg[9] = 0x00; cfg[10] = 0x00; cfg[11] = 0x02;
  put16(0x2c, 0x8086);
  put16(0x2e, 0x0004);
  auto h = parse_config_header(cfg);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->vendor_id, PciId(0x8086));
  EXPECT_EQ(h->device_id, PciId(0x1572));
  EXPECT_EQ(h->class_code, 0x020000u);
  EXPECT_EQ(h->revision, 2u);
  EXPECT_EQ(h->subsystem_device_id, PciId(0x0004));
  cfg[0x0e] = 1;  // a bridge header: no subsystem ids at 0x2c
  EXPECT_EQ(parse_config_header(cfg)->subsystem_vendor_id, PciId(0));
  EXPECT_FALSE(parse_config_header(cfg.substr(0, 40)).has_value());
  put16(0, 0xffff);  // device gone
  EXPECT_FALSE(parse_config_header(cfg).has_value());
}

TEST(SysfsParse, PciIdsKeepsOnlyWhatIsAsked) {
  const std::string ids =
      "# comment\n8086  Intel Corporation\n\t1572  Ethernet Controller X710 for 10GbE SFP+\n"
      "\t\t8086 0000  Ethernet Converged Network Adapter X710\n\t154c  Ethernet Virtual Function 700 Series\n"
      "10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\nC 02  Network controller\n\t00  Ethernet\n";
  auto db = PciIdsDb::parse(ids, {{PciId(0x8086), PciId(0x1572)}, {PciId(0x10de), PciId(0x9999)}});
  EXPECT_EQ(db.vendor_name(PciId(0x8086)), std::optional<std::string>("Intel Corporation"));
  EXPECT_EQ(db.device_name(PciId(0x8086), PciId(0x1572)), std::optional<std::string>("Ethernet Controller X710 for 10GbE SFP+"));
  EXPECT_FALSE(db.device_name(PciId(0x8086), PciId(0x154c)).has_value());  // not asked for
  EXPECT_EQ(db.vendor_name(PciId(0x10de)), std::optional<std::string>("NVIDIA Corporation"));
  EXPECT_FALSE(db.device_name(PciId(0x10de), PciId(0x9999)).has_value());
  EXPECT_FALSE(db.vendor_name(PciId(0x1234)).has_value());
  EXPECT_EQ(db.subsystem_name(PciId(0x8086), PciId(0x1572), PciId(0x8086), PciId(0x0000)),
            std::optional<std::string>("Ethernet Converged Network Adapter X710"));
  EXPECT_FALSE(db.subsystem_name(PciId(0x8086), PciId(0x1572), PciId(0x8086), PciId(0x0001)).has_value());
}

}  // namespace
}  // namespace pcipass
