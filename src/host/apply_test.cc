// pcipass apply on the FakeKernel: phases, idempotence, drift, rollback across phases.
#include "host/apply.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "core/test_support.h"
#include "adapters/sysfs/testing/fake_kernel.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

struct Host {
  Host() : scratch(fs::temp_directory_path() / ("pcipass-apply-" + std::to_string(::getpid()))),
           kernel(fs::path(PCIPASS_TESTDATA) / "sysfs/sriov-nic", scratch), reader(scratch.string()) {}
  ~Host() { fs::remove_all(scratch); }
  fs::path scratch;
  testing::FakeKernel kernel;
  PosixSysfsReader reader;
};

HostConfig config(std::string_view json) {
  auto c = parse_host_config(testing::J(json));
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().describe());
  return c.ok() ? *c : HostConfig{};
}

// 41:00.1 gets 2 VFs without autoprobe; every X710 VF (154c) goes to vfio-pci, which
// includes VFs that exist only after phase 1.
constexpr std::string_view kConfig = R"({"format": "pcipass-host/1",
  "sriov": [{"pf": "0000:41:00.1", "vfs": 2, "autoprobe": false}],
  "passthrough": [{"vendor_id": "8086", "product_id": "154c"}]})";

TEST(Apply, CreatesVfsThenBindsEverythingMatchingAndIsIdempotent) {
  Host h;
  HostConfig c = config(kConfig);
  EXPECT_FALSE(find_drift(c, h.reader, discover(h.reader)).empty());
  ApplyOutcome out = apply(c, h.reader, h.kernel);
  ASSERT_FALSE(out.failure.has_value()) << out.failure->describe();
  Discovery d = discover(h.reader);
  size_t on_vfio = 0;
  for (const auto& dev : d.devices)
    if (dev.product_id == PciId(0x154c)) {
      EXPECT_EQ(dev.driver, std::optional<std::string>("vfio-pci")) << dev.address.to_string();
      ++on_vfio;
    }
  EXPECT_EQ(on_vfio, 6u);  // 4 VFs of 41:00.0 + 2 new ones of 41:00.1
  EXPECT_TRUE(h.reader.exists("etc/udev/rules.d/71-pcipass-sriov.rules"));
  EXPECT_TRUE(binding_at(parse_bind_rules(h.reader.read(std::string(kBindRules)).value()).bindings,
                         PciAddress::parse("0000:41:02.0").value()));
  EXPECT_FALSE(h.reader.exists("etc/driverctl.d/pci-0000:41:02.0"));
  auto drift = find_drift(c, h.reader, d);
  EXPECT_TRUE(drift.empty()) << drift.front();
  EXPECT_TRUE(plan_apply_sriov(c, h.reader, d)->steps.empty());
  EXPECT_TRUE(plan_apply_bind(c, h.reader, d)->steps.empty());
}

TEST(Apply, DriftNamesEachDifference) {
  Host h;
  HostConfig c = config(kConfig);
  ASSERT_FALSE(apply(c, h.reader, h.kernel).failure.has_value());
  // Someone unbinds a VF by hand, and another device is set to vfio-pci outside the config.
  ASSERT_TRUE(h.kernel.write_attribute("sys/bus/pci/drivers/vfio-pci/unbind", "0000:41:02.1").ok());
  ASSERT_TRUE(h.kernel.write_file("etc/driverctl.d/pci-0000:41:00.0", "vfio-pci\n").ok());
  auto drift = find_drift(c, h.reader, discover(h.reader));
  ASSERT_EQ(drift.size(), 2u);
  EXPECT_EQ(drift[0], "0000:41:02.1 is bound to no driver, the config wants vfio-pci");
  EXPECT_EQ(drift[1], "0000:41:00.0 is set to vfio-pci (persisted) but not in the config");
}

TEST(Apply, AFailedBindPhaseUndoesTheVfPhase) {
  Host h;
  HostConfig c = config(kConfig);
  // Binding the first new VF (created by phase 1) fails.
  h.kernel.fail("sys/bus/pci/devices/0000:41:12.0/driver_override", ErrorCode::PermissionDenied, 0);
  ApplyOutcome out = apply(c, h.reader, h.kernel);
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_TRUE(out.rolled_back) << (out.rollback_errors.empty() ? "" : out.rollback_errors.front());
  Discovery d = discover(h.reader);
  for (const auto& dev : d.devices) {
    if (dev.address.to_string() == "0000:41:00.1") {
      EXPECT_EQ(dev.sriov_numvfs, std::optional<uint32_t>(0));
    }
    if (dev.address.to_string() == "0000:41:02.0") {
      EXPECT_EQ(dev.driver, std::optional<std::string>("iavf"));
    }
  }
  EXPECT_FALSE(h.reader.exists("etc/udev/rules.d/71-pcipass-sriov.rules"));
}

// A declared device that is still not there once the VFs are made: nothing stays done.
TEST(Apply, ADeclaredDeviceStillMissingAfterTheVfPhaseFailsAndUndoesIt) {
  Host h;
  HostConfig c = config(R"({"format": "pcipass-host/1", "sriov": [{"pf": "0000:41:00.1", "vfs": 2, "autoprobe": false}],
                            "passthrough": [{"vendor_id": "8086", "product_id": "154c"}, {"vendor_id": "15b3", "product_id": "1018"}]})");
  ApplyOutcome out = apply(c, h.reader, h.kernel);
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_EQ(out.failure->code(), ErrorCode::NotFound);
  EXPECT_NE(out.failure->message().find("passthrough[1]: no 15b3:1018 device on this host"), std::string::npos) << out.failure->describe();
  EXPECT_TRUE(out.rolled_back);
  for (const auto& dev : discover(h.reader).devices) {
    if (dev.address.to_string() == "0000:41:00.1") {
      EXPECT_EQ(dev.sriov_numvfs, std::optional<uint32_t>(0));
    }
    if (dev.address.to_string() == "0000:41:02.0") {
      EXPECT_EQ(dev.driver, std::optional<std::string>("iavf"));
    }
  }
}

TEST(HostConfig, BadInputNamesThePath) {
  struct Case { const char* json; const char* where; const char* message; };
  const Case cases[] = {
      {R"({"format": "pcipass-host/1", "passthrough": [{"address": "41:00.0"}]})", "passthrough[0].address",
       "short addresses are ambiguous"},
      {R"({"format": "pcipass-host/1", "passthrough": [{"vendor_id": "8086"}]})", "passthrough[0]", "both vendor_id and product_id"},
      {R"({"format": "pcipass-host/1", "passthrough": [{"address": "0000:41:00.0", "vendor_id": "8086"}]})", "passthrough[0]", "not both"},
      {R"({"format": "pcipass-host/1", "passthrough": [{"vendor_id": "80861", "product_id": "154c"}]})", "passthrough[0].vendor_id", "4 hex digits"},
      {R"({"format": "pcipass-host/1", "sriov": [{"pf": "0000:41:00.0", "vfs": -1}]})", "sriov[0].vfs", "from 0 to 65535"},
      {R"({"format": "pcipass-host/1", "sriov": [{"pf": "0000:41:00.0", "vfs": 2}, {"pf": "0000:41:00.0", "vfs": 4}]})", "sriov[1].pf", "listed twice"},
      {R"({"format": "pcipass-host/1", "vfio": {"mode": "660"}})", "vfio.mode", "octal mode"},
      {R"({"format": "pcipass-host/2"})", "format", "pcipass-host/1"},
      {R"({"format": "pcipass-host/1", "devices": []})", "devices", "unknown key in a host config"},
  };
  for (const auto& c : cases) {
    auto r = parse_host_config(testing::J(c.json));
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().where(), c.where) << c.json;
    EXPECT_NE(r.error().message().find(c.message), std::string::npos) << r.error().describe();
  }
}

}  // namespace
}  // namespace pcipass
