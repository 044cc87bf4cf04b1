#include "core/boot.h"

#include <gtest/gtest.h>

#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::make_fleet;

// A GPU whose audio function shares its IOMMU group, and a NIC on NUMA cell 1.
constexpr std::string_view kFleet = R"({
  "format": "pcipass-scenario/1",
  "device_spec": [{"vendor_id": "10de"}, {"vendor_id": "8086"}],
  "alias": [{"name": "gpu", "vendor_id": "10de", "product_id": "2230", "device_type": "type-PCI"},
            {"name": "nic", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PCI", "numa_policy": "required"}],
  "hosts": [{"name": "h1", "numa": [{"id": 0, "cpus": 8, "memory_mb": 8192}, {"id": 1, "cpus": 8, "memory_mb": 8192}],
     "devices": [
      {"address": "0000:17:00.0", "vendor_id": "10de", "product_id": "2230", "numa_node": 0, "iommu_group": 5},
      {"address": "0000:17:00.1", "vendor_id": "10de", "product_id": "1aef", "numa_node": 0, "iommu_group": 5},
      {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 1, "iommu_group": 7}]}]})";

TEST(Boot, APlanNamesEveryDeviceItWillHoldAndClaimsNothingUntilRecorded) {
  auto t = make_fleet(kFleet);
  auto shape = t.shape(R"({"pci_passthrough:alias": "nic:1, gpu:1"})", 2, 1024);
  auto planned = plan_boot(*t.fleet, "vm1", shape, std::nullopt, Weigher::Pack);
  ASSERT_TRUE(planned.ok()) << planned.error().describe();
  EXPECT_EQ(planned->host, "h1");
  ASSERT_EQ(planned->devices.size(), 3u);  // the GPU's audio function goes with it, on its request
  std::map<std::string, uint32_t> request;
  for (const auto& d : planned->devices) request[d.address.to_string()] = d.request;
  EXPECT_EQ(request["0000:41:00.0"], 0u);
  EXPECT_EQ(request["0000:17:00.0"], 1u);
  EXPECT_EQ(request["0000:17:00.1"], 1u);
  EXPECT_TRUE(planned->cells.empty());       // no NUMA topology asked for
  EXPECT_EQ(t.fleet->instance_count(), 0u);  // planning claims nothing
  auto pinned = plan_boot(*t.fleet, "vm0", t.shape(R"({"pci_passthrough:alias": "nic:1", "hw:numa_nodes": "1"})", 2, 1024),
                          std::nullopt, Weigher::Pack);
  ASSERT_TRUE(pinned.ok()) << pinned.error().describe();
  ASSERT_EQ(pinned->cells.size(), 1u);
  EXPECT_EQ(pinned->cells[0].cell_id, 1u);  // the NIC's cell, policy required
  EXPECT_EQ(pinned->cells[0].vcpus, 2u);
  EXPECT_EQ(pinned->cells[0].memory_mb, 1024u);
  auto rec = record_boot(*t.fleet, "vm1", shape, *planned);
  ASSERT_TRUE(rec.ok()) << rec.error().describe();
  EXPECT_EQ((*rec)->devices.size(), 3u);
  EXPECT_TRUE(t.fleet->check_invariants().empty());
  // The same id again, and a fleet with nothing left.
  EXPECT_EQ(plan_boot(*t.fleet, "vm1", shape, std::nullopt, Weigher::Pack).error().code(), ErrorCode::AlreadyExists);
  auto none = plan_boot(*t.fleet, "vm2", shape, std::nullopt, Weigher::Pack);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ErrorCode::NoValidHost);
  // A plan the fleet moved past claims nothing.
  ASSERT_TRUE(t.fleet->free("vm1").ok());
  auto stale = plan_boot(*t.fleet, "vm3", shape, std::nullopt, Weigher::Pack).value();
  ASSERT_TRUE(record_boot(*t.fleet, "vm4", shape, stale).ok());
  auto refused = record_boot(*t.fleet, "vm3", shape, stale);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::DeviceHeld);
  EXPECT_EQ(t.fleet->instance("vm3"), nullptr);
  EXPECT_TRUE(t.fleet->check_invariants().empty());
}

}  // namespace
}  // namespace pcipass
