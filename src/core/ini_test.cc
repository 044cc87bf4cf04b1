#include "core/ini.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

TEST(Ini, ReadsNovaConfPciLinesUnchanged) {
  auto e = parse_ini(R"(# nova.conf
[DEFAULT]
debug = true

[pci]
device_spec = { "vendor_id": "8086", "product_id": "154c", "physical_network": "physnet1" }
device_spec = {"address": {"domain": ".*", "bus": "8[0-9]"}, "vendor_id": "10de"}
alias = {
    "name": "a1",
    "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"
  }
; comment
alias: '{"name": "gpu", "vendor_id": "10de"}'
)");
  ASSERT_TRUE(e.ok()) << e.error().describe();
  ASSERT_EQ(e->size(), 5u);
  EXPECT_EQ((*e)[0].section, "DEFAULT");
  EXPECT_EQ((*e)[1].key, "device_spec");
  EXPECT_EQ((*e)[1].section, "pci");
  EXPECT_EQ((*e)[1].line, 6u);
  EXPECT_EQ((*e)[1].value, R"({ "vendor_id": "8086", "product_id": "154c", "physical_network": "physnet1" })");
  EXPECT_EQ((*e)[3].value, "{\n\"name\": \"a1\",\n\"vendor_id\": \"8086\", \"product_id\": \"154c\", \"device_type\": \"type-VF\"\n}");
  EXPECT_EQ((*e)[3].line, 8u);
  EXPECT_EQ((*e)[4].value, R"({"name": "gpu", "vendor_id": "10de"})");
}

TEST(Ini, ErrorsNameTheLine) {
  auto e = parse_ini("[pci]\nalias = {}\n\n  stray\n");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().where(), "line 4");
  EXPECT_EQ(parse_ini("[pci\n").error().where(), "line 1");
  EXPECT_EQ(parse_ini("[pci]\njust words\n").error().where(), "line 2");
  EXPECT_EQ(parse_ini("[pci]\n= 3\n").error().where(), "line 2");
  EXPECT_TRUE(parse_ini("").ok());
}

}  // namespace
}  // namespace pcipass
