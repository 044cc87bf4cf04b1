// The controller core on real SQLite files: boots, deletes, restarts, and two
// controllers sharing one database.
#include "controller/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/store_sqlite/sqlite_store.h"
#include "core/test_support.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

PciConfig config() {
  std::vector<std::string> w;
  return {DeviceSpecList::parse(testing::J(R"([{"vendor_id": "8086"}])"), w).value(),
          AliasTable::parse(testing::J(R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
                                          {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}])"), w).value()};
}

HostRecord host(const std::string& name) {
  HostRecord h;
  h.name = name;
  h.numa = std::vector<NumaCellSpec>{{0, 16, 32768, 0}};
  auto add = [&](const char* a, uint16_t product, std::optional<const char*> pf, uint32_t total) {
    StoredDevice d;
    d.facts.address = PciAddress::parse(a).value();
    d.facts.vendor_id = PciId(0x8086);
    d.facts.product_id = PciId(product);
    d.facts.numa_node = 0;
    d.facts.sriov_totalvfs = total;
    if (pf) d.facts.physfn = PciAddress::parse(*pf).value();
    d.fingerprint = a;
    h.devices.push_back(d);
  };
  add("0000:41:00.0", 0x1572, std::nullopt, 4);
  add("0000:41:02.0", 0x154c, "0000:41:00.0", 0);
  add("0000:41:02.1", 0x154c, "0000:41:00.0", 0);
  return h;
}

struct Db {
  Db() : file(fs::temp_directory_path() / ("pcipass-controller-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")) {
    fs::remove(file);
  }
  ~Db() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  }
  std::unique_ptr<SqliteStore> open() {
    auto s = SqliteStore::open(file.string()).value();
    EXPECT_TRUE(s->migrate().ok());
    return s;
  }
  fs::path file;
};

void seed(Store& s) {
  ASSERT_TRUE(s.put_host(host("compute-1")).ok());
  ASSERT_TRUE(s.create_flavor({"vf.small", 2, 2048, {{"pci_passthrough:alias", "vf:1"}}}).ok());
  ASSERT_TRUE(s.create_flavor({"pf.big", 4, 4096, {{"pci_passthrough:alias", "pf:1"}}}).ok());
}

TEST(Controller, BootsUntilNoValidHostThenDeleteFrees) {
  Db db;
  auto store = db.open();
  seed(*store);
  auto c = Controller::open(*store, config()).value();
  auto vm1 = c->create_server("vm1", "vf.small", std::nullopt);
  ASSERT_TRUE(vm1.ok()) << vm1.error().describe();
  EXPECT_EQ(vm1->host, "compute-1");
  ASSERT_EQ(vm1->devices.size(), 1u);
  ASSERT_TRUE(c->create_server("vm2", "vf.small", std::nullopt).ok());
  auto vm3 = c->create_server("vm3", "vf.small", std::nullopt);
  ASSERT_FALSE(vm3.ok());
  EXPECT_EQ(vm3.error().code(), ErrorCode::NoValidHost);
  const auto& why = vm3.error().rejections();
  ASSERT_EQ(why.size(), 1u);
  EXPECT_NE(why[0].reason.find("alias vf: 0 of 1 free"), std::string::npos) << why[0].reason;
  // The VFs block the PF, in the store-backed fleet as in simulate.
  EXPECT_FALSE(c->create_server("big", "pf.big", std::nullopt).ok());
  ASSERT_TRUE(c->delete_server("vm1").ok());
  ASSERT_TRUE(c->delete_server("vm2").ok());
  ASSERT_TRUE(c->create_server("big", "pf.big", std::nullopt).ok());
  EXPECT_EQ(store->instances()->size(), 1u);
  EXPECT_TRUE(c->fleet().check_invariants().empty());
}

TEST(Controller, ARestartRebuildsTheFleetFromTheStore) {
  Db db;
  {
    auto store = db.open();
    seed(*store);
    auto c = Controller::open(*store, config()).value();
    ASSERT_TRUE(c->create_server("vm1", "vf.small", std::nullopt).ok());
  }
  auto store = db.open();
  auto c = Controller::open(*store, config()).value();
  ASSERT_NE(c->fleet().instance("vm1"), nullptr);
  EXPECT_TRUE(c->fleet().check_invariants().empty());
  EXPECT_FALSE(c->create_server("big", "pf.big", std::nullopt).ok());  // vm1's VF still blocks the PF
  ASSERT_TRUE(c->create_server("vm2", "vf.small", std::nullopt).ok());
  EXPECT_NE(store->instances()->at(0).devices.at(0).address, store->instances()->at(1).devices.at(0).address);
}

TEST(Controller, TwoControllersOnOneDatabaseNeverShareADevice) {
  Db db;
  auto store_a = db.open();
  seed(*store_a);
  auto store_b = db.open();
  auto a = Controller::open(*store_a, config()).value();
  auto b = Controller::open(*store_b, config()).value();  // loaded before a's boot: stale
  auto vm_a = a->create_server("vm-a", "vf.small", std::nullopt);
  ASSERT_TRUE(vm_a.ok());
  // b plans on its stale view (the same VF), loses on the host generation, reloads, re-plans.
  auto vm_b = b->create_server("vm-b", "vf.small", std::nullopt);
  ASSERT_TRUE(vm_b.ok()) << vm_b.error().describe();
  EXPECT_EQ(b->conflicts_retried(), 1u);
  EXPECT_NE(vm_a->devices, vm_b->devices);
  // Now the host is full for both.
  EXPECT_FALSE(a->create_server("vm-c", "vf.small", std::nullopt).ok());
  EXPECT_FALSE(b->create_server("vm-d", "vf.small", std::nullopt).ok());
  EXPECT_EQ(store_a->instances()->size(), 2u);
  ASSERT_TRUE(a->reload().ok());
  EXPECT_TRUE(a->fleet().check_invariants().empty());
  EXPECT_TRUE(b->fleet().check_invariants().empty());
  // A delete by one controller is seen by the other through the store: b notices the
  // host moved before it would answer NoValidHost, reloads and boots.
  ASSERT_TRUE(a->delete_server("vm-b").ok());
  const size_t before = b->conflicts_retried();
  EXPECT_TRUE(b->create_server("vm-e", "vf.small", std::nullopt).ok());
  EXPECT_EQ(b->conflicts_retried(), before + 1);
}

TEST(Controller, ReportsAreReconciledAndTheFleetFollows) {
  Db db;
  auto store = db.open();
  seed(*store);
  auto c = Controller::open(*store, config()).value();
  auto vm = c->create_server("vm1", "vf.small", std::nullopt).value();
  const std::string held = vm.devices.at(0).to_string();
  const std::string other = held == "0000:41:02.0" ? "0000:41:02.1" : "0000:41:02.0";
  // The held VF vanishes, the free one too.
  HostRecord report = host("compute-1");
  report.devices.resize(1);
  auto out = c->report_host(report);
  ASSERT_TRUE(out.ok()) << out.error().describe();
  ASSERT_EQ(out->notes.size(), 1u);
  auto stored = store->host("compute-1").value();
  ASSERT_EQ(stored.devices.size(), 2u);
  EXPECT_EQ(stored.devices[1].facts.address.to_string(), held);
  EXPECT_TRUE(stored.devices[1].vanished);
  EXPECT_EQ(store->instances()->at(0).devices.at(0).address.to_string(), held);  // never silently freed
  ASSERT_EQ(c->vanished().at("compute-1").size(), 1u);
  EXPECT_EQ(c->vanished().at("compute-1")[0].owner, "vm1");
  EXPECT_FALSE(c->create_server("vm2", "vf.small", std::nullopt).ok());  // the free VF is gone
  EXPECT_TRUE(c->fleet().check_invariants().empty());
  // The held VF comes back at a new address with its fingerprint: the allocation follows.
  report = host("compute-1");
  report.devices[1].facts.address = PciAddress::parse("0000:41:03.0").value();
  report.devices[1].fingerprint = held;  // the fixture's fingerprint is the old address
  report.devices[2].fingerprint = other;
  report.devices[2].facts.address = PciAddress::parse(other).value();
  out = c->report_host(report);
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(store->instances()->at(0).devices.at(0).address.to_string(), "0000:41:03.0");
  auto vm2 = c->create_server("vm2", "vf.small", std::nullopt);
  ASSERT_TRUE(vm2.ok()) << vm2.error().describe();
  EXPECT_EQ(vm2->devices.at(0).to_string(), other);
  ASSERT_TRUE(c->delete_server("vm1").ok());
  EXPECT_TRUE(c->fleet().check_invariants().empty());
  // A report with a duplicate address is refused and changes nothing.
  HostRecord bad = host("compute-1");
  bad.devices.push_back(bad.devices[0]);
  const auto gen = store->host("compute-1")->generation;
  EXPECT_EQ(c->report_host(bad).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(store->host("compute-1")->generation, gen);
}

TEST(Controller, RefreshRebuildsOnlyTheHostsAnotherControllerMoved) {
  Db db;
  auto store_a = db.open();
  seed(*store_a);
  ASSERT_TRUE(store_a->put_host(host("compute-2")).ok());
  auto store_b = db.open();
  auto a = Controller::open(*store_a, config()).value();
  auto b = Controller::open(*store_b, config()).value();
  ASSERT_TRUE(a->create_server("vm1", "vf.small", std::string("compute-2")).ok());
  auto moved = b->refresh();
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 1u);
  ASSERT_NE(b->fleet().instance("vm1"), nullptr);
  EXPECT_EQ(b->refresh().value(), 0u);
  ASSERT_TRUE(a->delete_server("vm1").ok());
  EXPECT_EQ(b->refresh().value(), 1u);
  EXPECT_EQ(b->fleet().instance("vm1"), nullptr);
  EXPECT_TRUE(b->fleet().check_invariants().empty());
}

TEST(Controller, ANewConfigRebuildsTheFleetAndABadOneChangesNothing) {
  Db db;
  auto store = db.open();
  seed(*store);
  auto c = Controller::open(*store, config()).value();
  PciConfig none = config();
  std::vector<std::string> w;
  none.device_spec = DeviceSpecList::parse(testing::J(R"([{"vendor_id": "15b3"}])"), w).value();
  ASSERT_TRUE(c->set_config(none).ok());
  EXPECT_FALSE(c->create_server("vm1", "vf.small", std::nullopt).ok());
  ASSERT_TRUE(c->set_config(config()).ok());
  EXPECT_TRUE(c->create_server("vm1", "vf.small", std::nullopt).ok());
  Controller::ExplainQuery per_host;
  per_host.per_host = true;
  auto fits = c->explain("vf.small", per_host).value();
  EXPECT_EQ(fits.fits_on, 1u);
  EXPECT_TRUE(fits.why.empty());
  ASSERT_EQ(fits.hosts.size(), 1u);
  EXPECT_TRUE(fits.hosts[0].fits);
  Controller::ExplainQuery one;
  one.host = "compute-1";
  auto blocked = c->explain("pf.big", one).value();
  ASSERT_EQ(blocked.hosts.size(), 1u);
  EXPECT_FALSE(blocked.hosts[0].fits);
  EXPECT_FALSE(blocked.hosts[0].reason.empty());
  ASSERT_EQ(blocked.why.size(), 1u);
  EXPECT_EQ(blocked.why[0].sample, std::vector<std::string>{"compute-1"});
  EXPECT_EQ(blocked.refused, 1u);
}

TEST(Controller, AFlavorChangedByAnotherControllerIsReadAgainBeforeItBoots) {
  Db db;
  auto a_store = db.open();
  seed(*a_store);
  auto b_store = db.open();
  auto a = Controller::open(*a_store, config()).value();
  ASSERT_TRUE(a->create_server("vm1", "vf.small", std::nullopt).ok());  // a caches vf.small (one VF)
  // Controller b's operator makes the flavor ask for the PF instead.
  ASSERT_TRUE(b_store->update_flavor({"vf.small", 2, 2048, {{"pci_passthrough:alias", "pf:1"}}}).ok());
  ASSERT_TRUE(a_store->release("vm1").ok());
  ASSERT_TRUE(a->refresh().ok());
  const size_t before = a->conflicts_retried();
  auto vm2 = a->create_server("vm2", "vf.small", std::nullopt);
  ASSERT_TRUE(vm2.ok()) << vm2.error().describe();
  ASSERT_EQ(vm2->devices.size(), 1u);  // the PF, not a VF
  EXPECT_EQ(vm2->devices[0].to_string(), "0000:41:00.0");
  EXPECT_EQ(a->conflicts_retried(), before + 1);  // the stale revision was refused once
  EXPECT_EQ(vm2->flavor_extra_specs.at(0).second, "pf:1");
}

TEST(Controller, BadRequestsAreClearErrors) {
  Db db;
  auto store = db.open();
  seed(*store);
  auto c = Controller::open(*store, config()).value();
  EXPECT_EQ(c->create_server("x", "nope", std::nullopt).error().code(), ErrorCode::NotFound);
  EXPECT_EQ(c->create_server("x", "vf.small", std::string("compute-9")).error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(c->create_server("x", "vf.small", std::nullopt).ok());
  auto dup = c->create_server("x", "vf.small", std::nullopt);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::AlreadyExists);
  EXPECT_EQ(c->delete_server("never").error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(store->create_flavor({"broken", 1, 512, {{"pci_passthrough:alias", "vf:1:2"}}}).ok());
  auto broken = c->create_server("y", "broken", std::nullopt);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().where(), "flavor broken.pci_passthrough:alias");
  EXPECT_TRUE(c->fleet().check_invariants().empty());
}

}  // namespace
}  // namespace pcipass
