#include "adapters/json/nova_conf.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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

namespace pcipass {
namespace {

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pcipass-conf-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(ConfigFiles, OnlyARegularFileOfBoundedSizeIsRead) {
  const std::string good = "[pci]\nalias = {\"name\": \"x\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"device_type\": \"type-VF\"}\n";
  std::ofstream(path("nova.conf")) << good;
  auto read = load_nova_pci_config(path("nova.conf"));
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(read->aliases.aliases().size(), 1u);
  std::filesystem::create_symlink(path("nova.conf"), path("link.conf"));  // an operator's symlink is fine
  EXPECT_TRUE(load_nova_pci_config(path("link.conf")).ok());

  auto refused = [](const std::string& p, const char* why) {
    auto r = load_nova_pci_config(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.error().code(), ErrorCode::InvalidArgument) << r.error().describe();
    EXPECT_NE(r.error().message().find(why), std::string::npos) << r.error().describe();
  };
  refused(dir_.string(), "is a directory");
  refused("/dev/zero", "is a device");
  std::filesystem::create_symlink("/dev/zero", path("zero.conf"));
  refused(path("zero.conf"), "is a device");
  ASSERT_EQ(::mkfifo(path("fifo.conf").c_str(), 0600), 0);
  refused(path("fifo.conf"), "is a FIFO");  // and it does not wait for a writer
  std::ofstream(path("huge.conf")) << std::string(kMaxConfigBytes + 1, '#');
  refused(path("huge.conf"), "larger than");
  std::ofstream(path("exact.conf")) << std::string(kMaxConfigBytes, '#');
  EXPECT_TRUE(load_nova_pci_config(path("exact.conf")).ok());
  EXPECT_EQ(load_nova_pci_config(path("missing.conf")).error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace pcipass
