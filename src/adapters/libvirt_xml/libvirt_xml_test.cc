#include "adapters/libvirt_xml/libvirt_xml.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pcipass {
namespace {

PciAddress addr(const char* a) { return PciAddress::parse(a).value(); }
PassthroughDevice dev(const char* a) {
  PassthroughDevice d;
  d.address = addr(a);
  return d;
}

TEST(LibvirtXml, HostdevForAWholeDevice) {
  auto x = device_xml(dev("0000:17:00.0"), 2);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(*x,
            "  <hostdev mode='subsystem' type='pci' managed='yes'>\n"
            "    <source>\n"
            "      <address domain='0x0000' bus='0x17' slot='0x00' function='0x0'/>\n"
            "    </source>\n"
            "  </hostdev>\n");
  PassthroughDevice unmanaged = dev("0000:3d:01.7");
  unmanaged.managed = false;
  EXPECT_NE(device_xml(unmanaged)->find("managed='no'"), std::string::npos);
  EXPECT_NE(device_xml(unmanaged)->find("slot='0x01' function='0x7'"), std::string::npos);
}

TEST(LibvirtXml, InterfaceForANicVfWithMacAndVlan) {
  PassthroughDevice vf = dev("0000:41:02.3");
  vf.network_interface = true;
  vf.mac = "52:54:00:ab:cd:ef";
  vf.vlan = 100;
  auto x = device_xml(vf, 0);
  ASSERT_TRUE(x.ok()) << x.error().describe();
  EXPECT_EQ(*x,
            "<interface type='hostdev' managed='yes'>\n"
            "  <mac address='52:54:00:ab:cd:ef'/>\n"
            "  <source>\n"
            "    <address type='pci' domain='0x0000' bus='0x41' slot='0x02' function='0x3'/>\n"
            "  </source>\n"
            "  <vlan>\n"
            "    <tag id='100'/>\n"
            "  </vlan>\n"
            "</interface>\n");
}

TEST(LibvirtXml, BadValuesNameTheField) {
  PassthroughDevice vf = dev("0000:41:02.3");
  vf.network_interface = true;
  for (const char* bad : {"52:54:00:AB:CD:EF", "01:00:5e:00:00:01", "52:54:00:ab:cd", "52-54-00-ab-cd-ef", "52:54:00:ab:cd:e'"}) {
    vf.mac = bad;
    auto x = devices_xml({vf});
    ASSERT_FALSE(x.ok()) << bad;
    EXPECT_EQ(x.error().where(), "devices[0].mac");
  }
  vf.mac.reset();
  vf.vlan = 4095;
  EXPECT_EQ(devices_xml({vf}).error().where(), "devices[0].vlan");
  PassthroughDevice gpu = dev("0000:17:00.0");
  gpu.vlan = 5;
  EXPECT_NE(devices_xml({gpu}).error().message().find("needs a network interface"), std::string::npos);
  EXPECT_EQ(domain_xml("vm'1", 1, 512, {}).error().where(), "name");
  EXPECT_EQ(domain_xml("vm1", 0, 512, {}).error().where(), "vcpus");
}

// libvirt's own schema check, as the controller's output will be checked.
TEST(LibvirtXml, DomainsValidateWithVirtXmlValidate) {
  ASSERT_EQ(std::system("command -v virt-xml-validate >/dev/null 2>&1 && command -v xmllint >/dev/null 2>&1"), 0)
      << "virt-xml-validate or the xmllint it runs is missing: scripts/setup.sh installs libvirt-clients and libxml2-utils";
  PassthroughDevice gpu = dev("0000:17:00.0"), audio = dev("0000:17:00.1"), vf = dev("0000:41:02.3"), plain_vf = dev("0000:3d:01.0");
  audio.managed = false;
  vf.network_interface = true;
  vf.mac = "52:54:00:00:00:01";
  vf.vlan = 42;
  plain_vf.network_interface = true;
  const std::vector<std::vector<PassthroughDevice>> cases = {{}, {gpu, audio}, {vf}, {gpu, vf, plain_vf}};
  const auto dir = std::filesystem::temp_directory_path();
  const DomainMetadata about{"gpu.large", 80, "debian-12 & co <x>", "ops-key"};
  for (size_t i = 0; i < cases.size(); ++i) {
    auto xml = domain_xml("pcipass-test-" + std::to_string(i), 4, 4096, cases[i], i % 2 ? about : DomainMetadata{});
    ASSERT_TRUE(xml.ok()) << xml.error().describe();
    const auto file = dir / ("pcipass-domain-" + std::to_string(::getpid()) + "-" + std::to_string(i) + ".xml");
    std::ofstream(file) << *xml;
    const std::string cmd = "virt-xml-validate " + file.string() + " domain >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "virt-xml-validate rejects:\n" << *xml;
    std::filesystem::remove(file);
  }
  // And it does reject a broken document, so the check above can fail.
  const auto broken = dir / ("pcipass-domain-" + std::to_string(::getpid()) + "-broken.xml");
  std::ofstream(broken) << "<domain type='kvm'><devices><hostdev mode='subsystem' type='pci'/></devices></domain>\n";
  EXPECT_NE(std::system(("virt-xml-validate " + broken.string() + " domain >/dev/null 2>&1").c_str()), 0);
  std::filesystem::remove(broken);
}

}  // namespace
}  // namespace pcipass

namespace pcipass {
namespace {

TEST(LibvirtXml, MetadataNamesTheFlavorImageAndKeyEscaped) {
  EXPECT_EQ(metadata_xml({}), "");
  const std::string x = metadata_xml({"gpu.large", 80, "debian-12 & <co>", "o'ps"}, 2);
  EXPECT_EQ(x, std::string("  <pcipass:server xmlns:pcipass='") + kMetadataNamespace + "'>\n"
               "    <pcipass:flavor name='gpu.large' disk_gb='80'/>\n"
               "    <pcipass:image>debian-12 &amp; &lt;co&gt;</pcipass:image>\n"
               "    <pcipass:key_name>o&apos;ps</pcipass:key_name>\n"
               "  </pcipass:server>\n");
  auto domain = domain_xml("vm1", 1, 512, {}, {"small", 0, "", ""});
  ASSERT_TRUE(domain.ok());
  EXPECT_NE(domain->find("<metadata>\n    <pcipass:server"), std::string::npos) << *domain;
  EXPECT_NE(domain->find("<pcipass:flavor name='small'/>"), std::string::npos) << *domain;
  EXPECT_EQ(domain->find("pcipass:image"), std::string::npos) << *domain;
  EXPECT_EQ(domain_xml("vm1", 1, 512, {})->find("<metadata>"), std::string::npos);
}

}  // namespace
}  // namespace pcipass
