// A host's interfaces through the service (on the memory store): set only by admins on
// a locked host, checked against what the host reports, and seen by scheduling as the
// physical network of the PF or its VFs on that host (StarlingX's interface classes).
#include <gtest/gtest.h>

#include "adapters/crypto/openssl_secrets.h"
#include "adapters/store_memory/memory_store.h"
#include "controller/service.h"
#include "core/test_support.h"

namespace pcipass {
namespace {
using testing::J;

// No device_spec entry tags group0-data0: only the host's interfaces offer it.
class Config final : public ConfigSource {
 public:
  std::string name() const override { return "test.conf"; }
  Result<PciConfigFile> load() override {
    std::vector<std::string> w;
    PciConfigFile out;
    out.device_spec = DeviceSpecList::parse(J(R"([{"vendor_id": "8086", "product_id": "1533"}])"), w).value();
    out.aliases = AliasTable::parse(J(R"([{"name": "nic", "vendor_id": "8086", "product_id": "1533", "device_type": "type-PCI"}])"), w).value();
    return out;
  }
};

class StillClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return {}; }
};

// An SR-IOV NIC (enp65s0f0, 8 VFs at most, 2 now), a NIC without SR-IOV (eno2) and
// the NIC the host's default route goes through (eno1).
HostRecord starlingx_host(const std::string& name) {
  HostRecord h;
  h.name = name;
  auto add = [&](const std::string& a, uint16_t product, std::optional<std::string> pf, uint32_t total, std::string dev) -> DeviceFacts& {
    StoredDevice d;
    d.facts.address = PciAddress::parse(a).value();
    d.facts.vendor_id = PciId(0x8086);
    d.facts.product_id = PciId(product);
    d.facts.sriov_totalvfs = total;
    d.facts.devname = dev;
    if (!dev.empty()) d.facts.link = "up";
    if (pf) d.facts.physfn = PciAddress::parse(*pf).value();
    d.fingerprint = name + a;
    h.devices.push_back(d);
    return h.devices.back().facts;
  };
  add("0000:02:00.0", 0x1533, std::nullopt, 0, "eno1").host_use = "carries the default route (eno1)";
  add("0000:03:00.0", 0x1533, std::nullopt, 0, "eno2").link = "down";
  add("0000:41:00.0", 0x1572, std::nullopt, 8, "enp65s0f0");
  add("0000:41:02.0", 0x154c, "0000:41:00.0", 0, "");
  add("0000:41:02.1", 0x154c, "0000:41:00.0", 0, "");
  return h;
}

const Principal kAdmin{"admin", Role::Admin, ""};
const Principal kReader{"ops", Role::Reader, ""};
const Principal kAgent{"agent-1", Role::Agent, "compute-1"};
const Principal kAlice{"alice", Role::Member, "", "project1"};

struct Fixture {
  Fixture() : db(std::make_shared<MemoryDatabase>()), store(db) {
    service = Service::open(store, &config, secrets, clock).value();
    EXPECT_TRUE(service->report_host(kAgent, starlingx_host("compute-1")).ok());
    EXPECT_TRUE(service->create_flavor(kAdmin, {"small", 2, 2048, {}, 0}).ok());
    EXPECT_TRUE(service->create_project(kAdmin, {"project1", ""}).ok());
  }
  std::shared_ptr<MemoryDatabase> db;
  MemoryStore store;
  Config config;
  OpenSslSecrets secrets;
  StillClock clock;
  std::unique_ptr<Service> service;
};

// Every host's reason of a No valid host, on one line.
std::string reasons(const Error& e) {
  std::string out = e.message();
  for (const auto& r : e.rejections()) out += "; " + r.reason;
  return out;
}

template <class T>
ErrorCode code_of(const Result<T>& r) { return r ? ErrorCode::Internal : r.error().code(); }

InterfaceRequest sriov(std::string name, uint32_t vfs, std::string net = "group0-data0") {
  return {std::move(name), InterfaceClass::PciSriov, std::move(net), vfs};
}

TEST(ServiceInterfaces, AreListedWithWhatTheHostReports) {
  Fixture f;
  auto list = f.service->list_host_interfaces(kReader, "compute-1");
  ASSERT_TRUE(list.ok()) << list.error().describe();
  ASSERT_EQ(list->size(), 3u);  // VFs are not interfaces of their own
  EXPECT_EQ((*list)[0].name, "eno1");
  EXPECT_EQ((*list)[1].link, std::optional<std::string>("down"));
  EXPECT_EQ((*list)[1].sriov_totalvfs, 0u);
  const HostInterfaceView& pf = (*list)[2];
  EXPECT_EQ(pf.name, "enp65s0f0");
  EXPECT_EQ(pf.sriov_totalvfs, 8u);
  EXPECT_EQ(pf.vfs, 2u);
  EXPECT_FALSE(pf.set.has_value());
  EXPECT_TRUE(pf.physical_networks.empty());
  EXPECT_EQ(code_of(f.service->list_host_interfaces(kAlice, "compute-1")), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(f.service->list_host_interfaces(kReader, "compute-9")), ErrorCode::NotFound);
}

TEST(ServiceInterfaces, ChangeOnlyOnALockedHostByAnAdminAndAreCheckedAgainstTheHost) {
  Fixture f;
  Service& s = *f.service;
  EXPECT_EQ(code_of(s.set_host_interface(kReader, "compute-1", sriov("enp65s0f0", 4))), ErrorCode::PermissionDenied);
  EXPECT_EQ(code_of(s.set_host_interface(kAgent, "compute-1", sriov("enp65s0f0", 4))), ErrorCode::PermissionDenied);
  auto unlocked = s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 4));
  ASSERT_FALSE(unlocked);
  EXPECT_EQ(unlocked.error().code(), ErrorCode::Conflict);
  EXPECT_NE(unlocked.error().message().find("not locked"), std::string::npos) << unlocked.error().message();
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", true).ok());

  auto plain = s.set_host_interface(kAdmin, "compute-1", sriov("eno2", 4));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(plain.error().message().find("no SR-IOV"), std::string::npos) << plain.error().message();
  auto critical = s.set_host_interface(kAdmin, "compute-1", {"eno1", InterfaceClass::PciPassthrough, "group0-data1", std::nullopt});
  ASSERT_FALSE(critical);
  EXPECT_EQ(critical.error().code(), ErrorCode::Conflict);
  EXPECT_NE(critical.error().message().find("host-critical"), std::string::npos) << critical.error().message();
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 9)).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", sriov("0000:41:02.0", 1)).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 0)).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 4, "bad net")).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 4, "")).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", {"enp65s0f0", InterfaceClass::PciPassthrough, "d", 2}).error().code(),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(s.set_host_interface(kAdmin, "compute-1", {"eno2", InterfaceClass::None, "group0-data0", std::nullopt}).error().code(),
            ErrorCode::InvalidArgument);
  auto unknown = s.set_host_interface(kAdmin, "compute-1", sriov("eth9", 1));
  EXPECT_EQ(code_of(unknown), ErrorCode::NotFound);
  EXPECT_EQ(s.host_assignments(kAgent, "compute-1")->interfaces.size(), 0u);  // nothing refused was kept

  const uint64_t g = s.host_assignments(kAgent, "compute-1")->generation;
  auto set = s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 4));
  ASSERT_TRUE(set.ok()) << set.error().describe();
  ASSERT_TRUE(set->set.has_value());
  EXPECT_EQ(set->set->vfs, std::optional<uint32_t>(4));
  EXPECT_EQ(set->physical_networks, std::vector<std::string>{"group0-data0"});  // the VFs it has now, at once
  auto work = s.host_assignments(kAgent, "compute-1").value();
  EXPECT_GT(work.generation, g);  // its agent's watch wakes
  EXPECT_TRUE(work.locked);
  ASSERT_EQ(work.interfaces.size(), 1u);
  EXPECT_EQ(work.interfaces[0].address.to_string(), "0000:41:00.0");
  // The same again changes nothing.
  ASSERT_TRUE(s.set_host_interface(kAdmin, "compute-1", sriov("0000:41:00.0", 4)).ok());
  EXPECT_EQ(s.host_assignments(kAgent, "compute-1")->generation, work.generation);
}

TEST(ServiceInterfaces, ADataNetworkServesPortsAndTheClassDecidesWhatIsHandedOut) {
  Fixture f;
  Service& s = *f.service;
  ASSERT_TRUE(s.create_network(kAdmin, {"net0", std::string("project1"), false, "vlan", "group0-data0", 10}).ok());
  ASSERT_TRUE(s.create_port(kAlice, {"p1", "net0", std::nullopt, "direct", std::nullopt}).ok());
  ASSERT_TRUE(s.create_port(kAlice, {"p2", "net0", std::nullopt, "direct-physical", std::nullopt}).ok());
  // No device_spec entry and no interface offers group0-data0 yet.
  EXPECT_EQ(code_of(s.create_server(kAlice, {"vm0", "small", std::nullopt, std::nullopt, {{std::string("p1"), {}, "direct"}}})),
            ErrorCode::NoValidHost);

  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", true).ok());
  ASSERT_TRUE(s.set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 4)).ok());
  auto locked = s.create_server(kAlice, {"vm1", "small", std::nullopt, std::nullopt, {{std::string("p1"), {}, "direct"}}});
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code(), ErrorCode::NoValidHost);
  EXPECT_NE(reasons(locked.error()).find("locked"), std::string::npos) << reasons(locked.error());
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", false).ok());

  auto vm1 = s.create_server(kAlice, {"vm1", "small", std::nullopt, std::nullopt, {{std::string("p1"), {}, "direct"}}});
  ASSERT_TRUE(vm1.ok()) << vm1.error().describe();
  ASSERT_EQ(vm1->devices.size(), 1u);
  EXPECT_EQ(vm1->devices[0].type, DeviceType::Vf);
  // pci-sriov keeps the PF with the host: a direct-physical port finds no PF.
  auto whole = s.create_server(kAlice, {"vm2", "small", std::nullopt, std::nullopt, {{std::string("p2"), {}, "direct-physical"}}});
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().code(), ErrorCode::NoValidHost);
  EXPECT_NE(reasons(whole.error()).find("p2"), std::string::npos) << reasons(whole.error());

  // Held: the interface does not change under its server.
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", true).ok());
  auto held = s.set_host_interface(kAdmin, "compute-1", {"enp65s0f0", InterfaceClass::PciPassthrough, "group0-data0", std::nullopt});
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code(), ErrorCode::Conflict);
  EXPECT_NE(held.error().message().find("vm1"), std::string::npos) << held.error().message();
  ASSERT_TRUE(s.delete_server(kAlice, "vm1").ok());

  // pci-passthrough: the PF whole, its VFs not.
  auto pt = s.set_host_interface(kAdmin, "compute-1", {"enp65s0f0", InterfaceClass::PciPassthrough, "group0-data0", std::nullopt});
  ASSERT_TRUE(pt.ok()) << pt.error().describe();
  EXPECT_EQ(pt->set->vfs, std::optional<uint32_t>(0));  // its agent removes them
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", false).ok());
  auto vm2 = s.create_server(kAlice, {"vm2", "small", std::nullopt, std::nullopt, {{std::string("p2"), {}, "direct-physical"}}});
  ASSERT_TRUE(vm2.ok()) << vm2.error().describe();
  EXPECT_EQ(vm2->devices[0].address.to_string(), "0000:41:00.0");
  ASSERT_TRUE(s.delete_server(kAlice, "vm2").ok());
  EXPECT_EQ(code_of(s.create_server(kAlice, {"vm3", "small", std::nullopt, std::nullopt, {{std::string("p1"), {}, "direct"}}})),
            ErrorCode::NoValidHost);

  // none: given back to the host, whatever device_spec says (eno2 is admitted by it).
  EXPECT_TRUE(s.create_flavor(kAdmin, {"nic", 2, 2048, {{"pci_passthrough:alias", "nic:1"}}, 0}).ok());
  ASSERT_TRUE(s.create_server(kAdmin, {"vm4", "nic", std::nullopt, std::nullopt}).ok());
  ASSERT_TRUE(s.delete_server(kAdmin, "vm4").ok());
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", true).ok());
  ASSERT_TRUE(s.set_host_interface(kAdmin, "compute-1", {"eno2", InterfaceClass::None, "", std::nullopt}).ok());
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", false).ok());
  auto none = s.create_server(kAdmin, {"vm4", "nic", std::nullopt, std::nullopt});
  ASSERT_FALSE(none);
  EXPECT_NE(reasons(none.error()).find("2 withheld"), std::string::npos) << reasons(none.error());
  auto eno2 = s.show_device(kAdmin, "compute-1", PciAddress::parse("0000:03:00.0").value());
  ASSERT_TRUE(eno2.ok());
  EXPECT_NE(eno2->reason.find("its interface class is none"), std::string::npos) << eno2->reason;
}

TEST(ServiceInterfaces, OutliveARestartOnTheirStore) {
  auto db = std::make_shared<MemoryDatabase>();
  Config config;
  OpenSslSecrets secrets;
  StillClock clock;
  {
    MemoryStore store(db);
    auto s = Service::open(store, &config, secrets, clock).value();
    ASSERT_TRUE(s->report_host(kAgent, starlingx_host("compute-1")).ok());
    ASSERT_TRUE(s->lock_host(kAdmin, "compute-1", true).ok());
    ASSERT_TRUE(s->set_host_interface(kAdmin, "compute-1", sriov("enp65s0f0", 4, "group0-data7")).ok());
  }
  MemoryStore store(db);
  auto s = Service::open(store, &config, secrets, clock).value();
  ASSERT_TRUE(s->lock_host(kAdmin, "compute-1", false).ok());
  ASSERT_TRUE(s->create_network(kAdmin, {"net7", std::nullopt, true, "flat", "group0-data7", std::nullopt}).ok());
  ASSERT_TRUE(s->create_flavor(kAdmin, {"small", 1, 512, {}, 0}).ok());
  auto vm = s->create_server(kAdmin, {"vm1", "small", std::nullopt, std::nullopt, {{std::nullopt, std::string("net7"), "direct"}}});
  ASSERT_TRUE(vm.ok()) << vm.error().describe();
  EXPECT_EQ(vm->devices[0].type, DeviceType::Vf);
}

}  // namespace
}  // namespace pcipass
