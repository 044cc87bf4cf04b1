// The controller on PostgreSQL, where boots and deletes inside a batch are deferred
// (pipelined): a batch refused at commit must leave the fleet as the store is.
#include <gtest/gtest.h>

#include <set>

#include "adapters/store_postgres/pg_store.h"
#include "adapters/store_postgres/pg_test_server.h"
#include "controller/controller.h"
#include "core/test_support.h"

namespace pcipass {
namespace {

PciConfig vf_config() {
  std::vector<std::string> w;
  return {DeviceSpecList::parse(testing::J(R"([{"vendor_id": "8086"}])"), w).value(),
          AliasTable::parse(testing::J(R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}])"), w)
              .value()};
}

HostRecord two_vf_host() {
  HostRecord h;
  h.name = "compute-1";
  auto add = [&](const char* a, uint16_t product, std::optional<const char*> pf, uint32_t total) {
    StoredDevice d;
    d.facts.address = PciAddress::parse(a).value();
    d.facts.vendor_id = PciId(0x8086);
    d.facts.product_id = PciId(product);
    d.facts.sriov_totalvfs = total;
    if (pf) d.facts.physfn = PciAddress::parse(*pf).value();
    d.fingerprint = a;
    h.devices.push_back(d);
  };
  add("0000:41:00.0", 0x1572, std::nullopt, 2);
  add("0000:41:02.0", 0x154c, "0000:41:00.0", 0);
  add("0000:41:02.1", 0x154c, "0000:41:00.0", 0);
  return h;
}

std::set<std::string> held_in(const Fleet& fleet) {
  std::set<std::string> out;
  for (const auto& id : {"vm-other", "vm1", "vm2"})
    if (const InstanceRecord* rec = fleet.instance(id))
      for (DeviceIndex d : rec->devices) out.insert(fleet.host(rec->host).devices()[d].address.to_string() + "=" + id);
  return out;
}

TEST(ControllerOnPostgres, ARefusedDeferredBatchIsRebuiltFromTheStoreAndServedAgain) {
  const std::string db = pcipass::testing::fresh_pg_database("t_controller_refused_batch");
  auto mine = PgStore::open(db).value();
  auto theirs = PgStore::open(db).value();
  ASSERT_TRUE(mine->migrate().ok());
  const uint64_t g = mine->put_host(two_vf_host()).value();
  ASSERT_TRUE(mine->create_flavor({"vf1", 1, 512, {{"pci_passthrough:alias", "vf:1"}}}).ok());
  auto c = Controller::open(*mine, vf_config()).value();

  // Another controller boots first: it holds 41:02.0 and moved the host's generation,
  // unknown to this controller's fleet.
  InstanceRecordRow other;
  other.id = "vm-other";
  other.host = "compute-1";
  other.vcpus = 1;
  other.memory_mb = 512;
  other.devices.push_back({"compute-1", PciAddress::parse("0000:41:02.0").value(), "vm-other", 0});
  ASSERT_TRUE(theirs->claim(other, g).ok());

  // This controller boots inside a batch, deferred: planned on the old generation.
  auto batch = mine->begin_batch().value();
  ASSERT_TRUE(batch->deferred());
  auto presumed = c->create_server("vm1", "vf1", std::nullopt, batch.get());
  ASSERT_TRUE(presumed.ok()) << presumed.error().describe();  // answered before the store did
  auto committed = batch->commit();
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.error().code(), ErrorCode::Busy) << committed.error().message();
  ASSERT_TRUE(c->rebuild_hosts({"compute-1"}).ok());
  EXPECT_EQ(held_in(c->fleet()), (std::set<std::string>{"0000:41:02.0=vm-other"}));  // the store's view, vm1 gone

  // Served again, not deferred: it lands on the VF that is really free.
  auto second = mine->begin_batch().value();
  auto again = c->create_server("vm1", "vf1", std::nullopt);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_TRUE(second->commit().ok());
  ASSERT_EQ(again->devices.size(), 1u);
  EXPECT_EQ(again->devices[0].to_string(), "0000:41:02.1");
  EXPECT_EQ(theirs->instances()->size(), 2u);

  // A deferred delete that the store refuses (the other controller deleted it first)
  // comes back too.
  ASSERT_TRUE(theirs->release("vm1").ok());
  auto third = mine->begin_batch().value();
  ASSERT_TRUE(c->delete_server("vm1", third.get()).ok());
  EXPECT_FALSE(third->commit().ok());
  ASSERT_TRUE(c->rebuild_hosts({"compute-1"}).ok());
  EXPECT_EQ(held_in(c->fleet()), (std::set<std::string>{"0000:41:02.0=vm-other"}));
  EXPECT_EQ(c->delete_server("vm1").error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace pcipass
