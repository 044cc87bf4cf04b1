// A server merged into an operator's base domain, checked by libvirt's own schema
// (virt-xml-validate).
#include "adapters/libvirt_xml/domain_merge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "adapters/libvirt_xml/libvirt_xml.h"

namespace pcipass {
namespace {

constexpr const char* kBase = R"(<domain type='kvm'>
  <name>base</name>
  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>524288</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/base.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <console type='pty'/>
  </devices>
</domain>
)";

bool schema_valid(const std::string& xml) {
  const auto file = std::filesystem::temp_directory_path() / ("pcipass-merge-" + std::to_string(::getpid()) + ".xml");
  std::ofstream(file) << xml;
  const int rc = std::system(("virt-xml-validate " + file.string() + " domain >/dev/null 2>&1").c_str());
  std::filesystem::remove(file);
  return rc == 0;
}

TEST(DomainMerge, TheServerTakesTheBasesDisksAndConsoleAndBringsItsDevices) {
  PassthroughDevice pf;
  pf.address = PciAddress::parse("0000:41:00.0").value();
  pf.managed = false;
  auto devices = devices_xml({pf});
  ASSERT_TRUE(devices.ok());
  auto merged = merge_domain(kBase, "vm1", 4, 2048, *devices);
  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  const std::string& x = *merged;
  EXPECT_NE(x.find("<name>vm1</name>"), std::string::npos) << x;
  EXPECT_EQ(x.find("<uuid>"), std::string::npos) << x;
  EXPECT_EQ(x.find("currentMemory"), std::string::npos) << x;
  EXPECT_NE(x.find("<memory unit=\"MiB\">2048</memory>"), std::string::npos) << x;
  EXPECT_NE(x.find(">4</vcpu>"), std::string::npos) << x;
  EXPECT_EQ(x.find("current="), std::string::npos) << x;
  EXPECT_NE(x.find("base.qcow2"), std::string::npos) << x;
  EXPECT_NE(x.find("<console type=\"pty\"/>"), std::string::npos) << x;
  EXPECT_NE(x.find("managed=\"no\""), std::string::npos) << x;
  EXPECT_NE(x.find("bus=\"0x41\""), std::string::npos) << x;
  ASSERT_EQ(std::system("command -v virt-xml-validate >/dev/null 2>&1"), 0) << "scripts/setup.sh installs libvirt-clients";
  EXPECT_TRUE(schema_valid(x)) << x;
}

TEST(DomainMerge, TheServersMetadataReplacesItsOwnNamespaceAndKeepsOthers) {
  const std::string base = std::string(kBase).replace(std::string(kBase).find("  <memory"), 0,
      "  <metadata>\n    <app:owner xmlns:app='https://example.org/app'>team-a</app:owner>\n"
      "    <pcipass:server xmlns:pcipass='" + std::string(kMetadataNamespace) + "'><pcipass:image>stale</pcipass:image></pcipass:server>\n"
      "  </metadata>\n");
  const std::string about = metadata_xml({"gpu", 40, "debian-12", "ops"});
  auto merged = merge_domain(base, "vm1", 2, 1024, "", about);
  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  const std::string& x = *merged;
  EXPECT_NE(x.find("team-a"), std::string::npos) << x;
  EXPECT_EQ(x.find("stale"), std::string::npos) << x;
  EXPECT_NE(x.find("<pcipass:image>debian-12</pcipass:image>"), std::string::npos) << x;
  EXPECT_NE(x.find("disk_gb=\"40\""), std::string::npos) << x;
  EXPECT_TRUE(schema_valid(x)) << x;
  // A base without <metadata> gets one, after its name.
  auto fresh = merge_domain(kBase, "vm2", 2, 1024, "", about);
  ASSERT_TRUE(fresh.ok()) << fresh.error().describe();
  EXPECT_LT(fresh->find("<name>vm2</name>"), fresh->find("<metadata>")) << *fresh;
  EXPECT_LT(fresh->find("<metadata>"), fresh->find("<memory")) << *fresh;
  EXPECT_NE(fresh->find("<pcipass:key_name>ops</pcipass:key_name>"), std::string::npos) << *fresh;
  EXPECT_TRUE(schema_valid(*fresh)) << *fresh;
}

TEST(DomainMerge, ABaseWithoutDevicesGetsThem) {
  auto merged = merge_domain("<domain type='kvm'><os><type>hvm</type></os></domain>", "vm2", 1, 512,
                             "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' "
                             "slot='0x00' function='0x0'/></source></hostdev>");
  ASSERT_TRUE(merged.ok()) << merged.error().describe();
  EXPECT_NE(merged->find("<devices>"), std::string::npos) << *merged;
  EXPECT_NE(merged->find("<name>vm2</name>"), std::string::npos);
}

TEST(DomainMerge, ABadBaseIsRefusedSayingWhy) {
  auto broken = merge_domain("<domain type='kvm'><name>x</domain>", "vm", 1, 512, "");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(broken.error().message().find("not well-formed"), std::string::npos) << broken.error().message();
  EXPECT_NE(broken.error().message().find("line 1"), std::string::npos) << broken.error().message();
  auto other = merge_domain("<network><name>x</name></network>", "vm", 1, 512, "");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message().find("must be <domain>"), std::string::npos);
  // An entity is not expanded from outside.
  auto entity = merge_domain("<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain type='kvm'><name>&e;</name></domain>",
                             "vm", 1, 512, "");
  ASSERT_TRUE(entity.ok()) << entity.error().describe();
  EXPECT_EQ(entity->find("root:"), std::string::npos) << *entity;
}

}  // namespace
}  // namespace pcipass
