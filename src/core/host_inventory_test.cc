#include "core/host_inventory.h"

#include <gtest/gtest.h>

#include "core/host_fit.h"
#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

struct Built {
  ClassRegistry classes;
  Result<HostInventory> host = invalid("unbuilt");
};

std::unique_ptr<Built> build(std::string_view devices_json, std::string_view spec_json = R"([{"vendor_id": "*"}])",
                             std::string_view numa_json = R"([{"id": 0, "cpus": 8, "memory_mb": 8192}, {"id": 1, "cpus": 8, "memory_mb": 8192}])") {
  auto b = std::make_unique<Built>();
  std::string scenario = std::string(R"({"format": "pcipass-scenario/1", "device_spec": )") + std::string(spec_json) +
                         R"(, "hosts": [{"name": "h", "numa": )" + std::string(numa_json) + R"(, "devices": )" +
                         std::string(devices_json) + "}]}";
  auto s = parse_scenario(J(scenario));
  if (!s) { b->host = s.error(); return b; }
  b->host = HostInventory::build("h", s->hosts[0].numa, s->hosts[0].devices, s->device_spec, b->classes);
  return b;
}

constexpr std::string_view kNic = R"([
  {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
  {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
  {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
  {"address": "0000:17:00.0", "vendor_id": "10de", "product_id": "2230", "class_code": "030000", "numa_node": 1, "iommu_group": 17},
  {"address": "0000:17:00.1", "vendor_id": "10de", "product_id": "1aef", "class_code": "040300", "numa_node": 1, "iommu_group": 17},
  {"address": "0000:16:00.0", "vendor_id": "8086", "product_id": "2030", "class_code": "060400", "numa_node": 1, "iommu_group": 17}])";

DeviceIndex at(const HostInventory& h, std::string_view a) { return *h.find(PciAddress::parse(a).value()); }

uint32_t pool_free_sum(const HostInventory& h) {
  uint32_t n = 0;
  for (const auto& p : h.pools()) n += p.free;
  return n;
}

TEST(HostInventory, TypesComeFromSysfsFacts) {
  auto b = build(kNic);
  ASSERT_TRUE(b->host.ok()) << b->host.error().describe();
  const auto& h = *b->host;
  EXPECT_EQ(h.devices()[at(h, "0000:41:00.0")].type, DeviceType::Pf);
  EXPECT_EQ(h.devices()[at(h, "0000:41:02.1")].type, DeviceType::Vf);
  EXPECT_EQ(h.devices()[at(h, "0000:17:00.0")].type, DeviceType::Pci);
  EXPECT_EQ(h.vfs_of(at(h, "0000:41:00.0")).size(), 2u);
  // The bridge is never admitted; the GPU and its audio function form one group.
  EXPECT_FALSE(h.devices()[at(h, "0000:16:00.0")].pool.has_value());
  ASSERT_EQ(h.groups().size(), 1u);
  EXPECT_EQ(h.groups()[0].endpoints.size(), 2u);
  EXPECT_EQ(h.free_devices(), 5u);
  EXPECT_EQ(h.free_devices_on_cell(1), 2u);
}

TEST(HostInventory, VfClaimBlocksPfAndFreeingRestoresIt) {
  auto b = build(kNic);
  auto& h = b->host.value();
  const DeviceIndex pf = at(h, "0000:41:00.0"), vf0 = at(h, "0000:41:02.0"), vf1 = at(h, "0000:41:02.1");
  std::vector<PoolDelta> deltas;
  ASSERT_TRUE(h.claim(std::vector<DeviceIndex>{vf0}, 1, deltas).ok());
  EXPECT_FALSE(h.available(pf));
  EXPECT_NE(h.unavailable_reason(pf).find("has 1 VF(s) in use"), std::string::npos);
  EXPECT_TRUE(h.available(vf1));
  EXPECT_EQ(h.free_devices(), 3u);
  EXPECT_EQ(pool_free_sum(h), h.free_devices());
  ASSERT_TRUE(h.claim(std::vector<DeviceIndex>{vf1}, 2, deltas).ok());
  ASSERT_TRUE(h.release(std::vector<DeviceIndex>{vf0}, 1, deltas).ok());
  EXPECT_FALSE(h.available(pf));  // a sibling VF is still in use
  ASSERT_TRUE(h.release(std::vector<DeviceIndex>{vf1}, 2, deltas).ok());
  EXPECT_TRUE(h.available(pf));
  EXPECT_EQ(h.free_devices(), 5u);
}

TEST(HostInventory, PfClaimBlocksAllVfsAndFreeingRestoresThem) {
  auto b = build(kNic);
  auto& h = b->host.value();
  const DeviceIndex pf = at(h, "0000:41:00.0");
  std::vector<PoolDelta> deltas;
  ASSERT_TRUE(h.claim(std::vector<DeviceIndex>{pf}, 7, deltas).ok());
  for (DeviceIndex v : h.vfs_of(pf)) {
    EXPECT_FALSE(h.available(v));
    EXPECT_NE(h.unavailable_reason(v).find("its PF is in use"), std::string::npos);
  }
  EXPECT_EQ(h.free_devices(), 2u);
  int32_t net = 0;
  for (const auto& d : deltas) net += d.delta;
  EXPECT_EQ(net, -3);
  ASSERT_TRUE(h.release(std::vector<DeviceIndex>{pf}, 7, deltas).ok());
  for (DeviceIndex v : h.vfs_of(pf)) EXPECT_TRUE(h.available(v));
}

TEST(HostInventory, PfAndItsVfCannotBeClaimedTogether) {
  auto b = build(kNic);
  auto& h = b->host.value();
  std::vector<PoolDelta> deltas;
  auto both = h.claim(std::vector<DeviceIndex>{at(h, "0000:41:00.0"), at(h, "0000:41:02.0")}, 1, deltas);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message().find("cannot be claimed together"), std::string::npos);
  EXPECT_EQ(h.free_devices(), 5u);  // nothing changed
  EXPECT_TRUE(deltas.empty());
}

TEST(HostInventory, IommuGroupIsClaimedAndFreedWhole) {
  auto b = build(kNic);
  auto& h = b->host.value();
  const DeviceIndex gpu = at(h, "0000:17:00.0"), audio = at(h, "0000:17:00.1");
  std::vector<PoolDelta> deltas;
  auto taken = h.claim(std::vector<DeviceIndex>{gpu}, 3, deltas);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, (std::vector<DeviceIndex>{gpu, audio}));
  EXPECT_EQ(h.devices()[audio].owner, std::optional<InstanceSlot>(3));
  ASSERT_TRUE(h.release(*taken, 3, deltas).ok());
  EXPECT_TRUE(h.available(audio));
}

TEST(HostInventory, GroupWithAnUnadmittedEndpointIsNotAssignable) {
  auto b = build(kNic, R"([{"vendor_id": "10de", "product_id": "2230"}])");
  auto& h = b->host.value();
  const DeviceIndex gpu = at(h, "0000:17:00.0");
  EXPECT_FALSE(h.available(gpu));
  EXPECT_NE(h.unavailable_reason(gpu).find("0000:17:00.1, which device_spec does not admit"), std::string::npos);
  std::vector<PoolDelta> deltas;
  EXPECT_FALSE(h.claim(std::vector<DeviceIndex>{gpu}, 1, deltas).ok());
}

TEST(HostInventory, ClaimIsAllOrNothing) {
  auto b = build(kNic);
  auto& h = b->host.value();
  std::vector<PoolDelta> deltas;
  ASSERT_TRUE(h.claim(std::vector<DeviceIndex>{at(h, "0000:41:02.0")}, 1, deltas).ok());
  const uint32_t before = h.free_devices();
  auto mixed = h.claim(std::vector<DeviceIndex>{at(h, "0000:17:00.0"), at(h, "0000:41:02.0")}, 2, deltas);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(h.free_devices(), before);
  EXPECT_FALSE(h.devices()[at(h, "0000:17:00.0")].owner.has_value());
  EXPECT_FALSE(h.release(std::vector<DeviceIndex>{at(h, "0000:41:02.0")}, 9, deltas).ok());  // wrong owner
}

TEST(HostInventory, FirstMatchingSpecGivesTheTagsAndSplitsPools) {
  auto b = build(kNic, R"([{"address": "0000:41:02.0", "physical_network": "physnet1"}, {"vendor_id": "8086"}])");
  auto& h = b->host.value();
  auto p0 = h.devices()[at(h, "0000:41:02.0")].pool;
  auto p1 = h.devices()[at(h, "0000:41:02.1")].pool;
  ASSERT_TRUE(p0 && p1);
  EXPECT_NE(*p0, *p1);
  EXPECT_EQ(b->classes.get(h.pools()[*p0].class_id).tags.size(), 1u);
  EXPECT_TRUE(b->classes.get(h.pools()[*p1].class_id).tags.empty());
}

TEST(HostInventory, BadInventoriesNameTheDeviceAndField) {
  struct Case { const char* devices; const char* where; const char* message; };
  const Case cases[] = {
      {R"([{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572"},
           {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572"}])", "devices[1].address", "duplicate device address"},
      {R"([{"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0"}])",
       "devices[0].physfn", "not a device of this host"},
      {R"([{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572"},
           {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0"}])",
       "devices[1].physfn", "is not a PF"},
      {R"([{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "sriov_totalvfs": 1},
           {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0"},
           {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "physfn": "0000:41:00.0"}])",
       "devices[2].physfn", "more VFs listed than its sriov_totalvfs"},
      {R"([{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "devname": "eth0"},
           {"address": "0000:41:00.1", "vendor_id": "8086", "product_id": "1572", "devname": "eth0"}])", "devices[1].devname",
       "also used by devices[0]"},
  };
  for (const auto& c : cases) {
    auto b = build(c.devices);
    ASSERT_FALSE(b->host.ok()) << c.devices;
    EXPECT_EQ(b->host.error().where(), c.where);
    EXPECT_NE(b->host.error().message().find(c.message), std::string::npos) << b->host.error().message();
  }
}

// Firmware reports NUMA nodes without CPUs (memory-only or accelerator nodes): a device on
// one is taken, as Nova takes it, and is local to none of the host's cells.
TEST(HostInventory, ADeviceOnANodeWithoutCpusIsTakenAndLocalToNoCell) {
  auto b = build(R"([{"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 3}])");
  ASSERT_TRUE(b->host.ok()) << b->host.error().describe();
  const HostInventory& h = *b->host;
  EXPECT_TRUE(h.available(0));
  EXPECT_EQ(h.free_devices_on_cell(0) + h.free_devices_on_cell(1), 0u);
  EXPECT_FALSE(numa_allows(h, NumaPolicy::Required, {0}, h.devices()[0].numa_node));
  EXPECT_FALSE(numa_allows(h, NumaPolicy::Legacy, {0}, h.devices()[0].numa_node));
  EXPECT_TRUE(numa_allows(h, NumaPolicy::Preferred, {0}, h.devices()[0].numa_node));
  EXPECT_TRUE(numa_allows(h, NumaPolicy::Required, {}, h.devices()[0].numa_node));  // no NUMA topology asked for
}

// A device that vanished while held stays listed, gone: only its holder takes it back
// (a restore), and while it is held its PF, its VFs and its group companions stay blocked.
TEST(HostInventory, AGoneDeviceIsNeverHandedOutAndItsRelativesStayBlocked) {
  auto s = parse_scenario(J(std::string(R"({"format": "pcipass-scenario/1", "device_spec": [{"vendor_id": "*"}],
      "hosts": [{"name": "h", "devices": )") + std::string(kNic) + "}]}"));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  auto facts = s->hosts[0].devices;
  facts[1].numa_node = 7;  // as last reported; the host shows no such cell now
  ClassRegistry classes;
  std::vector<bool> gone(facts.size(), false);
  gone[1] = true;  // VF 41:02.0
  gone[4] = true;  // the GPU's audio function
  auto built = HostInventory::build("h", std::vector<NumaCellSpec>{{0, 8, 8192, 0}, {1, 8, 8192, 1}}, facts, s->device_spec, classes, gone);
  ASSERT_TRUE(built.ok()) << built.error().describe();
  HostInventory& h = *built;
  const DeviceIndex pf = at(h, "0000:41:00.0"), vf = at(h, "0000:41:02.0"), gpu = at(h, "0000:17:00.0"), audio = at(h, "0000:17:00.1");
  EXPECT_TRUE(h.devices()[vf].gone);
  EXPECT_EQ(h.present_devices(), 4u);
  EXPECT_FALSE(h.available(vf));
  EXPECT_FALSE(h.devices()[vf].pool.has_value());
  EXPECT_NE(h.unavailable_reason(vf).find("vanished"), std::string::npos);
  std::vector<PoolDelta> deltas;
  EXPECT_FALSE(h.claim(std::vector<DeviceIndex>{vf}, 1, deltas).ok());  // not by a new boot
  // Its holder takes it back: the PF is blocked, as if the VF were there.
  ASSERT_TRUE(h.claim(std::vector<DeviceIndex>{vf}, 1, deltas, ClaimMode::Restore).ok());
  EXPECT_FALSE(h.available(pf));
  EXPECT_NE(h.unavailable_reason(pf).find("1 VF(s) in use"), std::string::npos);
  // A group with a gone member: its present companion goes with it to its holder, and to
  // nobody else.
  EXPECT_FALSE(h.available(gpu));
  ASSERT_TRUE(h.claim(std::vector<DeviceIndex>{gpu}, 2, deltas, ClaimMode::Restore).ok());
  EXPECT_EQ(h.devices()[audio].owner, OptIndex(2));
  EXPECT_EQ(pool_free_sum(h), h.free_devices());
  // Released, the PF is free again.
  ASSERT_TRUE(h.release(std::vector<DeviceIndex>{vf}, 1, deltas).ok());
  EXPECT_TRUE(h.available(pf));
}

// A VF some process holds open through VFIO (a VM, pcipass's or not) is withheld, and so
// is its PF; unlike host_use, no device_spec key releases it.
TEST(HostInventory, AnOpenVfAndItsPfAreWithheldWhateverTheSpecSays) {
  const std::string devices = R"x([
    {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0",
     "vfio_user": "qemu-system-x86 (pid 4242)"},
    {"address": "0000:41:02.1", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"}])x";
  for (const char* spec : {R"([{"vendor_id": "*"}])", R"([{"vendor_id": "*", "pcipass_release_host_use": true}])"}) {
    auto b = build(devices, spec);
    ASSERT_TRUE(b->host.ok()) << b->host.error().describe();
    const auto& h = *b->host;
    EXPECT_FALSE(h.available(at(h, "0000:41:02.0")));
    EXPECT_FALSE(h.available(at(h, "0000:41:00.0")));
    EXPECT_TRUE(h.available(at(h, "0000:41:02.1")));
    EXPECT_EQ(h.unavailable_reason(at(h, "0000:41:02.0")),
              "0000:41:02.0: it is in use on the host: its VFIO device is open by qemu-system-x86 (pid 4242)");
    EXPECT_EQ(h.unavailable_reason(at(h, "0000:41:00.0")),
              "0000:41:00.0: its VF 0000:41:02.0 is in use on the host: its VFIO device is open by qemu-system-x86 (pid 4242) "
              "(handing the PF out would remove it)");
  }
}

// The agent's group_viable = false withholds a device whose group member the report does
// not explain; where the member is reported with host_use, its reason is the one given.
TEST(HostInventory, AnUnviableGroupIsWithheldOnTheAgentsWord) {
  auto lone = build(R"([
    {"address": "0000:03:00.0", "vendor_id": "8086", "product_id": "1533", "numa_node": 0, "iommu_group": 20, "group_viable": false},
    {"address": "0000:05:00.0", "vendor_id": "8086", "product_id": "1533", "numa_node": 0, "iommu_group": 21, "group_viable": true}])");
  ASSERT_TRUE(lone->host.ok()) << lone->host.error().describe();
  EXPECT_EQ(lone->host->unavailable_reason(at(*lone->host, "0000:03:00.0")),
            "0000:03:00.0: its agent judged IOMMU group 20 not viable: a member of it is one the host depends on");
  EXPECT_TRUE(lone->host->available(at(*lone->host, "0000:05:00.0")));
  auto both = build(R"x([
    {"address": "0000:02:00.0", "vendor_id": "8086", "product_id": "1533", "numa_node": 0, "iommu_group": 20, "group_viable": false,
     "host_use": "carries the default route (eno1)"},
    {"address": "0000:03:00.0", "vendor_id": "8086", "product_id": "1533", "numa_node": 0, "iommu_group": 20, "group_viable": false}])x");
  ASSERT_TRUE(both->host.ok());
  EXPECT_EQ(both->host->unavailable_reason(at(*both->host, "0000:03:00.0")),
            "0000:03:00.0: IOMMU group 20 also holds 0000:02:00.0: the host depends on it: carries the default route (eno1)");
}

// pcipass_fixed: a PF with VFs enabled is never handed out whole (that would change its
// mode); one without VFs is, as it is; the VFs of a fixed PF are offered.
TEST(HostInventory, AFixedPfKeepsItsMode) {
  const char* devices = R"([
    {"address": "0000:41:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4},
    {"address": "0000:41:02.0", "vendor_id": "8086", "product_id": "154c", "numa_node": 0, "physfn": "0000:41:00.0"},
    {"address": "0000:42:00.0", "vendor_id": "8086", "product_id": "1572", "numa_node": 0, "sriov_totalvfs": 4}])";
  auto b = build(devices, R"([{"vendor_id": "8086", "product_id": "1572", "pcipass_fixed": true}, {"vendor_id": "*"}])");
  ASSERT_TRUE(b->host.ok()) << b->host.error().describe();
  const auto& h = *b->host;
  EXPECT_FALSE(h.available(at(h, "0000:41:00.0")));
  EXPECT_EQ(h.unavailable_reason(at(h, "0000:41:00.0")),
            "0000:41:00.0: its mode is fixed (pcipass_fixed in device_spec): it keeps its 1 VF(s), so it is never handed out whole");
  EXPECT_TRUE(h.available(at(h, "0000:42:00.0")));
  EXPECT_TRUE(h.available(at(h, "0000:41:02.0")));
  EXPECT_TRUE(h.fixed(at(h, "0000:41:00.0")));
  EXPECT_TRUE(h.fixed(at(h, "0000:42:00.0")));
  EXPECT_FALSE(h.fixed(at(h, "0000:41:02.0")));  // admitted by the second entry
  auto bad = build(devices, R"([{"vendor_id": "8086", "pcipass_fixed": "sometimes"}])");
  ASSERT_FALSE(bad->host.ok());
  EXPECT_NE(bad->host.error().describe().find("pcipass_fixed"), std::string::npos) << bad->host.error().describe();
}

TEST(HostInventory, CpuAndMemoryReservations) {
  auto b = build("[]");
  auto& h = b->host.value();
  EXPECT_EQ(h.total_vcpus(), std::optional<uint32_t>(16));
  std::vector<std::pair<size_t, std::pair<uint32_t, uint64_t>>> cells{{1, {8, 4096}}};
  ASSERT_TRUE(h.reserve(8, 4096, cells).ok());
  EXPECT_FALSE(h.reserve(1, 0, cells).ok());  // cell 1 has no CPU left
  EXPECT_TRUE(h.totals_fit(8, 0));
  EXPECT_FALSE(h.totals_fit(9, 0));
  h.unreserve(8, 4096, cells);
  EXPECT_EQ(h.used_vcpus(), 0u);
  EXPECT_EQ(h.cells()[1].used_cpus, 0u);
}

TEST(HostInventory, SchedulerStatePerDeviceStaysSmall) {
  static_assert(sizeof(Device) <= 32, "Device grew; the benchmark target is <= 64 bytes of scheduler state per device");
  EXPECT_EQ(sizeof(OptIndex), 4u);
}

}  // namespace
}  // namespace pcipass
