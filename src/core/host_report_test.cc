// The host-report codec's new host facts (issue 11): the platform and host_use round-trip,
// an older agent's report without them reads as "not said", and bad values name their path.
#include "core/host_report.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

constexpr std::string_view kDevice = R"({"address": "0000:02:00.0", "vendor_id": "8086", "product_id": "1533")";

TEST(HostReport, PlatformAndHostUseRoundTrip) {
  auto r = parse_host_report(J(std::string(R"({"devices": [)") + std::string(kDevice) +
                               R"x(, "host_use": "carries the default route (eno1)", "vfio_user": "qemu-system-x86 (pid 7)", "group_viable": false}],
      "platform": {"iommu": false, "interrupt_remapping": null, "vfio": true, "problems": ["iommu: none; fix: boot with intel_iommu=on"]}})x"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(r->platform.has_value());
  EXPECT_EQ(r->platform->iommu, std::optional<bool>(false));
  EXPECT_FALSE(r->platform->interrupt_remapping.has_value());
  EXPECT_EQ(r->platform->problems.size(), 1u);
  EXPECT_EQ(r->devices[0].facts.host_use, std::optional<std::string>("carries the default route (eno1)"));
  auto again = parse_host_report(host_report_value(*r));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->platform, r->platform);
  EXPECT_EQ(again->devices[0].facts.host_use, r->devices[0].facts.host_use);
  EXPECT_EQ(r->devices[0].facts.vfio_user, std::optional<std::string>("qemu-system-x86 (pid 7)"));
  EXPECT_EQ(again->devices[0].facts.vfio_user, r->devices[0].facts.vfio_user);
  EXPECT_EQ(r->devices[0].facts.group_viable, std::optional<bool>(false));
  EXPECT_EQ(again->devices[0].facts.group_viable, r->devices[0].facts.group_viable);
}

TEST(HostReport, AnOlderAgentsReportSaysNothing) {
  auto r = parse_host_report(J(std::string(R"({"devices": [)") + std::string(kDevice) + "}]}"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->platform.has_value());
  EXPECT_FALSE(r->devices[0].facts.host_use.has_value());
  auto null = parse_host_report(J(std::string(R"({"platform": null, "devices": [)") + std::string(kDevice) + R"(, "host_use": null}]})"));
  ASSERT_TRUE(null.ok());
  EXPECT_FALSE(null->platform.has_value());
}

TEST(HostReport, BadHostFactsNameTheirPath) {
  struct Case { std::string json; const char* where; };
  const std::string dev = std::string(R"({"devices": [)") + std::string(kDevice);
  const Case cases[] = {
      {dev + R"(}], "platform": {"iommu": "yes"}})", "platform.iommu"},
      {dev + R"(}], "platform": {"problems": "x"}})", "platform.problems"},
      {dev + R"(}], "platform": {"problems": ["a\nb"]}})", "platform.problems[0]"},
      {dev + R"(}], "platform": {"iommus": true}})", "platform.iommus"},
      {dev + R"(}], "platform": 1})", "platform"},
      {dev + R"(, "host_use": ""}]})", "devices[0].host_use"},
      {dev + R"(, "host_use": 5}]})", "devices[0].host_use"},
      {dev + R"(, "vfio_user": ""}]})", "devices[0].vfio_user"},
      {dev + R"(, "vfio_user": []}]})", "devices[0].vfio_user"},
      {dev + R"(, "group_viable": "no"}]})", "devices[0].group_viable"},
  };
  for (const auto& c : cases) {
    auto r = parse_host_report(J(c.json));
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().where(), c.where) << c.json << " -> " << r.error().describe();
  }
}

}  // namespace
}  // namespace pcipass
