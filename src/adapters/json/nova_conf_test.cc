#include "adapters/json/nova_conf.h"

#include <gtest/gtest.h>

namespace pcipass {
namespace {

TEST(NovaConf, ReadsDeviceSpecAndAliasLinesAsNovaDoes) {
  auto c = parse_nova_pci_config(R"([DEFAULT]
my_ip = 10.0.0.1
[pci]
device_spec = { "vendor_id": "8086", "product_id": "154c", "physical_network": "physnet1" }
device_spec = [{"vendor_id": "10de"}, {"address": "0000:3b:00.0"}]
alias = { "vendor_id":"8086", "product_id":"154c", "device_type":"type-VF", "name":"a1" }
alias = { "vendor_id":"10de", "product_id":"2330", "name":"gpu", "device_type":"type-PCI", "numa_policy": "required" }
[libvirt]
virt_type = kvm
)", "nova.conf");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->device_spec.specs().size(), 3u);
  EXPECT_EQ(c->aliases.aliases().size(), 2u);
  EXPECT_TRUE(c->warnings.empty()) << c->warnings.at(0);
}

TEST(NovaConf, DeprecatedNamesWorkWithAWarning) {
  auto c = parse_nova_pci_config("[DEFAULT]\npci_alias = {\"name\": \"x\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"device_type\": \"type-VF\"}\n[pci]\npassthrough_whitelist = {\"vendor_id\": \"8086\"}\n", "n.conf");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  ASSERT_EQ(c->warnings.size(), 2u);
  EXPECT_EQ(c->warnings[0], "n.conf:2: [DEFAULT] pci_alias is deprecated; use [pci] alias");
}

TEST(NovaConf, ErrorsNameFileLineAndField) {
  auto bad_json = parse_nova_pci_config("[pci]\n\ndevice_spec = {\"vendor_id\": \"8086\",}\n", "p.conf");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.error().context().at(0), "p.conf:3 [pci] device_spec");
  auto bad_field = parse_nova_pci_config("[pci]\ndevice_spec = {\"vendor_id\": \"8086\"}\ndevice_spec = {\"vendor_id\": \"zz\"}\n", "p.conf");
  ASSERT_FALSE(bad_field.ok());
  EXPECT_EQ(bad_field.error().where(), "p.conf:3 [pci] device_spec.vendor_id") << bad_field.error().describe();
  auto bad_alias = parse_nova_pci_config("[pci]\nalias = {\"name\": \"a\", \"device_type\": \"type-XX\"}\n", "p.conf");
  ASSERT_FALSE(bad_alias.ok());
  EXPECT_EQ(bad_alias.error().context().at(0), "p.conf:2 [pci] alias");
  EXPECT_FALSE(parse_nova_pci_config("[pci]\nalias = [1]\n", "p.conf").ok());
  EXPECT_EQ(load_nova_pci_config("/nonexistent/x.conf").error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace pcipass
