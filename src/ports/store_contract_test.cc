// The Store contract (see store_contract.h). Adapters instantiate StoreContract.
#include "ports/store_contract.h"

namespace pcipass::contract {

HostRecord sample_host(const std::string& name) {
  HostRecord h;
  h.name = name;
  h.numa = std::vector<NumaCellSpec>{{0, 16, 65536, 0}, {1, 16, 65536, 1}};
  auto add = [&](const char* a, uint16_t vendor, uint16_t product, std::optional<const char*> physfn, uint32_t totalvfs) {
    StoredDevice d;
    d.facts.address = PciAddress::parse(a).value();
    d.facts.vendor_id = PciId(vendor);
    d.facts.product_id = PciId(product);
    d.facts.class_code = 0x020000;
    d.facts.numa_node = 1;
    d.facts.sriov_totalvfs = totalvfs;
    if (physfn) d.facts.physfn = PciAddress::parse(*physfn).value();
    d.facts.iommu_group = 40;
    d.fingerprint = std::string("slot:1.") + a;
    h.devices.push_back(d);
  };
  add("0000:41:00.0", 0x8086, 0x1572, std::nullopt, 8);
  add("0000:41:02.0", 0x8086, 0x154c, "0000:41:00.0", 0);
  add("0000:41:02.1", 0x8086, 0x154c, "0000:41:00.0", 0);
  h.devices[0].facts.devname = "ens1f0";
  h.devices[1].facts.numa_node.reset();
  return h;
}

InstanceRecordRow sample_instance(const std::string& id, const std::string& host, std::vector<std::string> addresses) {
  InstanceRecordRow r;
  r.id = id;
  r.host = host;
  r.flavor = "vf.small";
  r.vcpus = 4;
  r.memory_mb = 4096;
  r.cells = {{1, {4, 4096}}};
  for (const auto& a : addresses) r.devices.push_back({host, PciAddress::parse(a).value(), id, 0});
  return r;
}

namespace {

TEST_P(StoreContract, MigrationsAreNumberedAndIdempotent) {
  auto s = open();
  EXPECT_GE(s->schema_version().value(), 1);
  const int v = s->schema_version().value();
  EXPECT_TRUE(s->migrate().ok());
  EXPECT_EQ(s->schema_version().value(), v);
}

TEST_P(StoreContract, HostsRoundTripAndEveryReportBumpsTheGeneration) {
  auto s = open();
  auto g1 = s->put_host(sample_host("compute-1"));
  ASSERT_TRUE(g1.ok()) << g1.error().describe();
  auto h = s->host("compute-1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->generation, *g1);
  ASSERT_EQ(h->devices.size(), 3u);
  EXPECT_EQ(h->devices[0].facts.devname, "ens1f0");
  EXPECT_EQ(h->devices[0].facts.sriov_totalvfs, 8u);
  EXPECT_EQ(h->devices[1].facts.physfn->to_string(), "0000:41:00.0");
  EXPECT_FALSE(h->devices[1].facts.numa_node.has_value());
  EXPECT_EQ(h->devices[2].fingerprint, "slot:1.0000:41:02.1");
  ASSERT_TRUE(h->numa.has_value());
  EXPECT_EQ((*h->numa)[1].socket, std::optional<uint32_t>(1));
  HostRecord smaller = sample_host("compute-1");
  smaller.devices.pop_back();
  smaller.numa.reset();
  auto g2 = s->put_host(smaller);
  ASSERT_TRUE(g2.ok());
  EXPECT_GT(*g2, *g1);
  h = s->host("compute-1");
  EXPECT_EQ(h->devices.size(), 2u);
  EXPECT_FALSE(h->numa.has_value());
  EXPECT_EQ(s->host("nope").error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(s->put_host(sample_host("compute-0")).ok());
  auto all = s->hosts();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "compute-0");  // by name
}

// What the agent judged about its host (issue 11) is kept as said, and "not said" stays
// distinct from "ready".
TEST_P(StoreContract, HostFactsRoundTrip) {
  auto s = open();
  HostRecord h = sample_host("compute-1");
  ASSERT_TRUE(s->put_host(h).ok());
  auto plain = s->host("compute-1");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->platform.has_value());
  EXPECT_FALSE(plain->devices[0].facts.host_use.has_value());
  h.platform = HostPlatform{false, std::nullopt, true, {"iommu: no IOMMU is active; enable VT-d", "second problem"}};
  h.devices[0].facts.host_use = "carries the default route (ens1f0)";
  h.devices[1].facts.vfio_user = "qemu-system-x86 (pid 4242)";
  h.devices[1].facts.group_viable = false;
  h.devices[0].facts.group_viable = true;
  ASSERT_TRUE(s->put_host(h).ok());
  auto back = s->host("compute-1");
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->platform.has_value());
  EXPECT_EQ(*back->platform, *h.platform);
  EXPECT_EQ(back->devices[0].facts.host_use, h.devices[0].facts.host_use);
  EXPECT_FALSE(back->devices[1].facts.host_use.has_value());
  EXPECT_EQ(back->devices[1].facts.vfio_user, h.devices[1].facts.vfio_user);
  EXPECT_FALSE(back->devices[0].facts.vfio_user.has_value());
  EXPECT_EQ(back->devices[0].facts.group_viable, std::optional<bool>(true));
  EXPECT_EQ(back->devices[1].facts.group_viable, std::optional<bool>(false));
  EXPECT_FALSE(plain->devices[1].facts.group_viable.has_value());
  h.platform = HostPlatform{true, true, true, {}};
  ASSERT_TRUE(s->put_host(h).ok());
  EXPECT_EQ(s->hosts()->front().platform, h.platform);
}

TEST_P(StoreContract, AnAgentThatManagesDevicesAndADeviceThatNeedsAttentionAreKept) {
  auto s = open();
  HostRecord h = sample_host("compute-1");
  ASSERT_TRUE(s->put_host(h).ok());
  EXPECT_FALSE(s->host("compute-1")->manages_devices);
  EXPECT_FALSE(s->host("compute-1")->devices[0].facts.attention.has_value());
  h.manages_devices = true;
  h.devices[0].facts.attention = "restore: its 2 VFs did not come back within 10 s";
  ASSERT_TRUE(s->put_host(h).ok());
  auto back = s->host("compute-1").value();
  EXPECT_TRUE(back.manages_devices);
  EXPECT_EQ(back.devices[0].facts.attention, h.devices[0].facts.attention);
  EXPECT_FALSE(back.devices[1].facts.attention.has_value());
  EXPECT_TRUE(s->hosts()->front().manages_devices);
}

TEST_P(StoreContract, ALockIsTheOperatorsAndOutlivesReports) {
  auto s = open("lock");
  auto other = open("lock");
  EXPECT_EQ(s->set_host_locked("compute-1", true).error().code(), ErrorCode::NotFound);
  HostRecord h = sample_host("compute-1");
  auto g = s->put_host(h).value();
  EXPECT_FALSE(s->host("compute-1")->locked);
  auto locked = s->set_host_locked("compute-1", true);
  ASSERT_TRUE(locked.ok()) << locked.error().describe();
  EXPECT_EQ(*locked, g + 1);
  EXPECT_TRUE(other->host("compute-1")->locked);
  // A report says nothing of the lock, whatever its record holds.
  h.locked = false;
  EXPECT_EQ(s->put_host(h).value(), g + 2);
  EXPECT_TRUE(s->host("compute-1")->locked);
  EXPECT_TRUE(other->hosts()->front().locked);
  EXPECT_EQ(s->set_host_locked("compute-1", false).value(), g + 3);
  EXPECT_FALSE(other->host("compute-1")->locked);
}

TEST_P(StoreContract, InterfacesAreTheOperatorsAndOutliveReports) {
  auto s = open("interfaces");
  auto other = open("interfaces");
  const HostInterface sriov{PciAddress::parse("0000:41:00.0").value(), InterfaceClass::PciSriov, "group0-data0", 8};
  EXPECT_EQ(s->set_host_interface("compute-1", sriov).error().code(), ErrorCode::NotFound);
  HostRecord h = sample_host("compute-1");
  h.devices[0].facts.link = "up";
  auto g = s->put_host(h).value();
  EXPECT_TRUE(s->host("compute-1")->interfaces.empty());
  EXPECT_EQ(s->host("compute-1")->devices[0].facts.link, std::optional<std::string>("up"));
  EXPECT_FALSE(s->host("compute-1")->devices[1].facts.link.has_value());
  auto set = s->set_host_interface("compute-1", sriov);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(*set, g + 1);
  const HostInterface plain{PciAddress::parse("0000:03:00.0").value(), InterfaceClass::PciPassthrough, "group0-data1", std::nullopt};
  EXPECT_EQ(s->set_host_interface("compute-1", plain).value(), g + 2);
  EXPECT_EQ(other->host("compute-1")->interfaces, (std::vector<HostInterface>{plain, sriov}));  // by address
  // A report says nothing of interfaces, whatever its record holds.
  h.interfaces.clear();
  EXPECT_EQ(s->put_host(h).value(), g + 3);
  EXPECT_EQ(other->hosts()->front().interfaces.size(), 2u);
  // Set again: replaced, not added.
  const HostInterface back{sriov.address, InterfaceClass::None, "", 0};
  EXPECT_EQ(s->set_host_interface("compute-1", back).value(), g + 4);
  EXPECT_EQ(other->host("compute-1")->interfaces, (std::vector<HostInterface>{plain, back}));
}

TEST_P(StoreContract, AServersStateIsClaimedSetAndBumpsItsHost) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  auto row = sample_instance("vm1", "compute-1", {"0000:41:02.0"});
  row.state.status = ServerStatus::Building;
  row.base_domain = "web-q35";
  row.image = "debian-12 (généric)";
  row.key_name = "ops-key";
  row.disk_gb = 80;
  ASSERT_TRUE(s->claim(row, g).ok());
  EXPECT_EQ(s->instance("vm1")->state.status, ServerStatus::Building);
  EXPECT_EQ(s->instance("vm1")->base_domain, "web-q35");
  EXPECT_EQ(s->instance("vm1")->image, "debian-12 (généric)");
  EXPECT_EQ(s->instance("vm1")->key_name, "ops-key");
  EXPECT_EQ(s->instances_on("compute-1")->at(0).disk_gb, 80u);
  ASSERT_TRUE(s->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1"}), g + 1).ok());
  EXPECT_EQ(s->instance("vm2")->state.status, ServerStatus::Placed);
  const ServerState failed{ServerStatus::Error, "prepare 0000:41:02.0: bind to vfio-pci", "write driver_override: Permission denied"};
  auto moved = s->set_server_state("vm1", failed);
  ASSERT_TRUE(moved.ok()) << moved.error().describe();
  EXPECT_EQ(*moved, g + 3);
  EXPECT_EQ(s->host("compute-1")->generation, g + 3);
  EXPECT_EQ(s->instance("vm1")->state, failed);
  EXPECT_EQ(s->instances_on("compute-1")->at(0).state, failed);
  EXPECT_EQ(s->instances()->at(1).state.status, ServerStatus::Placed);
  EXPECT_EQ(s->instances()->at(1).base_domain, "");
  EXPECT_EQ(s->instances()->at(1).image, "");
  EXPECT_EQ(s->instances()->at(1).disk_gb, 0u);
  EXPECT_EQ(s->set_server_state("nobody", failed).error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->host("compute-1")->generation, g + 3);  // nothing moved
}

TEST_P(StoreContract, AStateSetInABatchCommitsWithIt) {
  auto s = open("state-batch");
  auto other = open("state-batch");
  auto g = s->put_host(sample_host("compute-1")).value();
  auto batch = s->begin_batch().value();
  auto row = sample_instance("vm1", "compute-1", {"0000:41:02.0"});
  row.state.status = ServerStatus::Building;
  row.base_domain = "web-q35";
  row.key_name = "ops-key";
  ASSERT_TRUE(batch->claim(row, g).ok());
  auto moved = s->set_server_state("vm1", {ServerStatus::Active, "", ""});
  ASSERT_TRUE(moved.ok()) << moved.error().describe();
  EXPECT_EQ(*moved, g + 2);
  ASSERT_TRUE(batch->commit().ok());
  EXPECT_EQ(other->instance("vm1")->state.status, ServerStatus::Active);
  EXPECT_EQ(other->instance("vm1")->base_domain, "web-q35");
  EXPECT_EQ(other->instance("vm1")->key_name, "ops-key");
  EXPECT_EQ(other->host("compute-1")->generation, g + 2);
}

TEST_P(StoreContract, Flavors) {
  auto s = open();
  FlavorRecord f{"vf.small", 4, 4096, {{"pci_passthrough:alias", "vf:1"}, {"hw:numa_nodes", "1"}}};
  ASSERT_TRUE(s->create_flavor(f).ok());
  EXPECT_EQ(s->create_flavor(f).error().code(), ErrorCode::AlreadyExists);
  auto back = s->flavor("vf.small");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->extra_specs, f.extra_specs);  // order kept
  EXPECT_EQ(back->disk_gb, 0u);
  f.extra_specs = {{"pci_passthrough:alias", "vf:2"}};
  f.vcpus = 8;
  f.disk_gb = 40;
  ASSERT_TRUE(s->update_flavor(f).ok());
  EXPECT_EQ(s->flavor("vf.small")->vcpus, 8u);
  EXPECT_EQ(s->flavor("vf.small")->disk_gb, 40u);
  EXPECT_EQ(s->flavors()->at(0).disk_gb, 40u);
  EXPECT_EQ(s->flavor("vf.small")->extra_specs.size(), 1u);
  EXPECT_EQ(s->update_flavor({"nope", 1, 1, {}}).error().code(), ErrorCode::NotFound);
  FlavorRecord twice{"dup", 1, 1, {{"a", "1"}, {"a", "2"}}};
  EXPECT_EQ(s->create_flavor(twice).error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s->flavor("dup").error().code(), ErrorCode::NotFound);  // nothing half-written
}

TEST_P(StoreContract, AFlavorsRevisionCountsItsUpdatesAndGuardsClaims) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  FlavorRecord f{"vf.small", 4, 4096, {{"pci_passthrough:alias", "vf:1"}}};
  ASSERT_TRUE(s->create_flavor(f).ok());
  EXPECT_EQ(s->flavor("vf.small")->revision, 1u);
  ASSERT_TRUE(s->update_flavor(f).ok());
  EXPECT_EQ(s->flavor("vf.small")->revision, 2u);
  EXPECT_EQ(s->flavors()->at(0).revision, 2u);

  auto planned_on_old = sample_instance("vm1", "compute-1", {"0000:41:02.0"});
  planned_on_old.flavor_revision = 1;
  auto refused = s->claim(planned_on_old, g);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::FlavorChanged);
  EXPECT_NE(refused.error().message().find("vf.small"), std::string::npos) << refused.error().message();
  EXPECT_NE(refused.error().message().find("revision 2"), std::string::npos) << refused.error().message();
  EXPECT_TRUE(s->instances()->empty());                 // nothing written
  EXPECT_EQ(s->host("compute-1")->generation, g);       // not even the generation

  auto gone = sample_instance("vm1", "compute-1", {"0000:41:02.0"});
  gone.flavor = "deleted-meanwhile";
  gone.flavor_revision = 1;
  auto refused_gone = s->claim(gone, g);
  ASSERT_FALSE(refused_gone.ok());
  EXPECT_EQ(refused_gone.error().code(), ErrorCode::FlavorChanged) << refused_gone.error().message();

  auto current = sample_instance("vm1", "compute-1", {"0000:41:02.0"});
  current.flavor_revision = 2;
  auto ok = s->claim(current, g);
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(*ok, g + 1);
}

TEST_P(StoreContract, ClaimAndRelease) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  auto g2 = s->claim(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g);
  ASSERT_TRUE(g2.ok()) << g2.error().describe();
  EXPECT_EQ(*g2, g + 1);
  auto list = s->instances();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].cells.size(), 1u);
  EXPECT_EQ((*list)[0].devices.at(0).address.to_string(), "0000:41:02.0");
  ASSERT_TRUE(s->release("vm1").ok());
  EXPECT_TRUE(s->instances()->empty());
  EXPECT_EQ(s->host("compute-1")->generation, g + 2);
  EXPECT_EQ(s->release("vm1").error().code(), ErrorCode::NotFound);
}

TEST_P(StoreContract, AnInstanceKeepsWhatItWasBootedWith) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  auto row = sample_instance("vm1", "compute-1", {"0000:41:02.0"});
  row.extra_specs = {{"pci_passthrough:alias", "vf:1"}, {"pcipass:vlan", "100"}, {"a \"quoted\" key, {x}", "v\\1"}};
  ASSERT_TRUE(s->claim(row, g).ok());
  ASSERT_TRUE(s->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1"}), g + 1).ok());
  for (const auto& rows : {s->instances().value(), s->instances_on("compute-1").value()}) {
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].extra_specs, row.extra_specs);
    EXPECT_TRUE(rows[1].extra_specs.empty());
  }
}

TEST_P(StoreContract, AStaleGenerationLosesAndWritesNothing) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  ASSERT_TRUE(s->claim(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g).ok());
  auto stale = s->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1"}), g);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ErrorCode::HostMoved);
  EXPECT_NE(stale.error().message().find("changed since the plan"), std::string::npos);
  EXPECT_EQ(s->instances()->size(), 1u);
  EXPECT_EQ(s->claim(sample_instance("vm3", "nowhere", {}), 1).error().code(), ErrorCode::NotFound);
  auto gens = s->host_generations();
  ASSERT_EQ(gens->size(), 1u);
  EXPECT_EQ((*gens)[0], std::make_pair(std::string("compute-1"), g + 1));
}

TEST_P(StoreContract, TheDatabaseRefusesADoubleAllocation) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  g = s->claim(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g).value();
  // Even with the current generation (a caller that planned wrongly), a held device is refused.
  auto twice = s->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1", "0000:41:02.0"}), g);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), ErrorCode::DeviceHeld);
  EXPECT_NE(twice.error().message().find("0000:41:02.0 is already held by vm1"), std::string::npos) << twice.error().message();
  EXPECT_EQ(s->instances()->size(), 1u);          // vm2 is not there at all
  EXPECT_EQ(s->host("compute-1")->generation, g);  // and the host did not move
  EXPECT_EQ(s->claim(sample_instance("vm1", "compute-1", {}), g).error().code(), ErrorCode::AlreadyExists);  // same id
}

TEST_P(StoreContract, DataSurvivesReopening) {
  {
    auto s = open("reopen");
    auto g = s->put_host(sample_host("compute-1")).value();
    ASSERT_TRUE(s->claim(sample_instance("vm1", "compute-1", {"0000:41:00.0"}), g).ok());
  }
  auto again = open("reopen");
  EXPECT_EQ(again->instances()->size(), 1u);
  EXPECT_EQ(again->host("compute-1")->devices.size(), 3u);
}

TEST_P(StoreContract, TwoControllersRacingForOneHostOneWins) {
  auto a = open("shared");
  auto b = open("shared");
  auto g = a->put_host(sample_host("compute-1")).value();
  // Both planned on generation g, for different devices.
  auto first = a->claim(sample_instance("vm-a", "compute-1", {"0000:41:02.0"}), g);
  auto second = b->claim(sample_instance("vm-b", "compute-1", {"0000:41:02.1"}), g);
  EXPECT_TRUE(first.ok());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::HostMoved);
  // The loser re-plans on the fresh generation and succeeds.
  auto fresh = b->host("compute-1")->generation;
  EXPECT_TRUE(b->claim(sample_instance("vm-b", "compute-1", {"0000:41:02.1"}), fresh).ok());
  EXPECT_EQ(a->instances()->size(), 2u);
}

TEST_P(StoreContract, AReportCanBeGuardedByTheGenerationItWasReconciledOn) {
  auto s = open();
  EXPECT_EQ(s->report_host(sample_host("compute-1"), {}, 5).error().code(), ErrorCode::HostMoved);  // not there yet
  auto g = s->report_host(sample_host("compute-1"), {}, 0);
  ASSERT_TRUE(g.ok()) << g.error().describe();
  auto again = s->report_host(sample_host("compute-1"), {}, *g - 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::HostMoved);
  EXPECT_EQ(s->host("compute-1")->generation, *g);  // nothing written
  EXPECT_TRUE(s->report_host(sample_host("compute-1"), {}, *g).ok());
}

TEST_P(StoreContract, AllocationsFollowAddressMovesEvenWhenAddressesSwap) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  g = s->claim(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g).value();
  g = s->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1"}), g).value();
  const auto a0 = PciAddress::parse("0000:41:02.0").value(), a1 = PciAddress::parse("0000:41:02.1").value();
  auto moved = s->report_host(sample_host("compute-1"), {{a0, a1}, {a1, a0}}, g);
  ASSERT_TRUE(moved.ok()) << moved.error().describe();
  auto list = s->instances_on("compute-1").value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "vm1");
  EXPECT_EQ(list[0].devices.at(0).address, a1);
  EXPECT_EQ(list[1].devices.at(0).address, a0);
  EXPECT_TRUE(s->instances_on("elsewhere")->empty());
}

TEST_P(StoreContract, AVanishedDeviceStaysHeldUntilItsHolderIsReleased) {
  auto s = open();
  auto g = s->put_host(sample_host("compute-1")).value();
  g = s->claim(sample_instance("vm1", "compute-1", {"0000:41:02.1"}), g).value();
  HostRecord report = sample_host("compute-1");
  report.devices[2].vanished = true;
  ASSERT_TRUE(s->report_host(report, {}, g).ok());
  auto h = s->host("compute-1").value();
  ASSERT_EQ(h.devices.size(), 3u);
  EXPECT_TRUE(h.devices[2].vanished);
  EXPECT_FALSE(h.devices[1].vanished);
  ASSERT_TRUE(s->release("vm1").ok());
  h = s->host("compute-1").value();
  ASSERT_EQ(h.devices.size(), 2u);  // gone with its holder
  EXPECT_EQ(h.devices[1].facts.address.to_string(), "0000:41:02.0");
}

TEST_P(StoreContract, ABatchCommitsTogetherAndAFailedStepUndoesOnlyItself) {
  auto s = open("batch");
  auto other = open("batch");
  auto batch = s->begin_batch();
  ASSERT_TRUE(batch.ok()) << batch.error().describe();
  auto g = s->put_host(sample_host("compute-1"));
  ASSERT_TRUE(g.ok()) << g.error().describe();
  auto g2 = s->claim(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), *g);
  ASSERT_TRUE(g2.ok()) << g2.error().describe();
  // A losing step inside the batch: refused, and only it is undone.
  EXPECT_EQ(s->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1", "0000:41:02.0"}), *g2).error().code(), ErrorCode::DeviceHeld);
  EXPECT_EQ(s->release("nope").error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(s->create_token({"t1", "aa", "reader", ""}).ok());
  EXPECT_EQ(s->create_token({"t1", "bb", "reader", ""}).error().code(), ErrorCode::AlreadyExists);
  EXPECT_EQ(s->delete_token("nope").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->instances()->size(), 1u);  // the batch sees its own writes
  ASSERT_TRUE((*batch)->commit().ok());
  EXPECT_EQ(other->instances()->size(), 1u);
  EXPECT_EQ(other->host("compute-1")->generation, *g2);
  EXPECT_EQ(other->tokens()->size(), 1u);
  // A batch dropped before its commit leaves nothing.
  auto dropped = s->begin_batch();
  ASSERT_TRUE(dropped.ok());
  ASSERT_TRUE(s->release("vm1").ok());
  ASSERT_TRUE(s->put_host(sample_host("compute-2")).ok());
  dropped->reset();
  EXPECT_EQ(s->instances()->size(), 1u);
  EXPECT_EQ(s->hosts()->size(), 1u);
  EXPECT_EQ(other->hosts()->size(), 1u);
}

// What group commit does: seal a batch, open the next, then commit and drop the first.
TEST_P(StoreContract, ASealedBatchDroppedAfterTheNextOpenedLeavesTheNextAlone) {
  auto s = open("next");
  auto other = open("next");
  auto first = s->begin_batch().value();
  ASSERT_TRUE(s->put_host(sample_host("compute-1")).ok());
  ASSERT_TRUE(first->seal().ok());
  auto second = s->begin_batch();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  ASSERT_TRUE(s->put_host(sample_host("compute-2")).ok());
  ASSERT_TRUE(first->commit().ok());
  first.reset();
  EXPECT_EQ(other->hosts()->size(), 1u);
  ASSERT_TRUE((*second)->commit().ok());
  second->reset();
  EXPECT_EQ(other->hosts()->size(), 2u);
  // And one more after them, on the same handle.
  auto third = s->begin_batch().value();
  ASSERT_TRUE(s->put_host(sample_host("compute-3")).ok());
  ASSERT_TRUE(third->commit().ok());
  EXPECT_EQ(other->hosts()->size(), 3u);
}

TEST_P(StoreContract, DeferredWritesInABatchCommitTogether) {
  auto s = open("deferred");
  auto other = open("deferred");
  auto g = s->put_host(sample_host("compute-1")).value();
  ASSERT_TRUE(s->claim(sample_instance("old", "compute-1", {"0000:41:02.1"}), g).ok());
  auto batch = s->begin_batch().value();
  // Chained on one host: each planned on the generation the one before it leaves.
  auto g1 = batch->claim(sample_instance("vm1", "compute-1", {"0000:41:02.0"}), g + 1);
  ASSERT_TRUE(g1.ok()) << g1.error().describe();
  EXPECT_EQ(*g1, g + 2);
  ASSERT_TRUE(batch->release("old").ok());
  auto g2 = batch->claim(sample_instance("vm2", "compute-1", {"0000:41:02.1"}), g + 3);
  ASSERT_TRUE(g2.ok()) << g2.error().describe();
  EXPECT_EQ(s->instances()->size(), 2u);  // a read inside the batch sees them
  ASSERT_TRUE(batch->commit().ok());
  auto rows = other->instances().value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "vm1");
  EXPECT_EQ(rows[1].devices.at(0).address.to_string(), "0000:41:02.1");
  EXPECT_EQ(other->host("compute-1")->generation, g + 4);
}

TEST_P(StoreContract, ARefusedDeferredWriteKeepsNothingOfItsBatch) {
  auto s = open("refused");
  auto other = open("refused");
  auto g = s->put_host(sample_host("compute-1")).value();
  ASSERT_TRUE(s->put_host(sample_host("compute-2")).ok());
  auto batch = s->begin_batch().value();
  ASSERT_TRUE(batch->claim(sample_instance("vm1", "compute-2", {"0000:41:02.0"}), 1).ok());
  ASSERT_TRUE(s->put_host(sample_host("compute-3")).ok());
  auto stale = batch->claim(sample_instance("vm2", "compute-1", {"0000:41:02.0"}), g + 7);
  auto after = s->hosts();
  auto committed = batch->commit();
  EXPECT_EQ(stale.ok(), batch->deferred());  // deferred: answered as if it succeeded
  if (!stale.ok()) {
    // A store that did not defer refuses at once; the rest of the batch stands.
    EXPECT_EQ(stale.error().code(), ErrorCode::HostMoved);
    EXPECT_TRUE(after.ok());
    ASSERT_TRUE(committed.ok()) << committed.error().describe();
    EXPECT_EQ(other->instances()->size(), 1u);
  } else {
    // A store that deferred it rolls the whole batch back; every later step, and the
    // commit, says busy.
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code(), ErrorCode::Busy) << after.error().message();
    ASSERT_FALSE(committed.ok());
    EXPECT_EQ(committed.error().code(), ErrorCode::Busy) << committed.error().message();
    EXPECT_TRUE(other->instances()->empty());
    EXPECT_EQ(other->hosts()->size(), 2u);  // compute-3 was in the batch too
  }
  // The store goes on: a new batch, deferred again, commits.
  auto again = s->begin_batch().value();
  const auto now = s->host("compute-1")->generation;
  ASSERT_TRUE(again->claim(sample_instance("vm3", "compute-1", {"0000:41:02.1"}), now).ok());
  ASSERT_TRUE(again->commit().ok());
  EXPECT_EQ(other->host("compute-1")->generation, now + 1);
  // A deferred release of what does not exist is refused as well.
  auto last = s->begin_batch().value();
  auto missing = last->release("nope");
  auto commit2 = last->commit();
  EXPECT_TRUE(!missing.ok() || !commit2.ok());
  EXPECT_EQ(other->host("compute-1")->generation, now + 1);
}

TEST_P(StoreContract, TokensAreFoundByTheirHashOnly) {
  auto s = open();
  const std::string hash(64, 'a');
  ASSERT_TRUE(s->create_token({"agent-1", hash, "agent", "compute-1"}).ok());
  EXPECT_EQ(s->create_token({"agent-1", std::string(64, 'b'), "agent", "x"}).error().code(), ErrorCode::AlreadyExists);
  EXPECT_EQ(s->create_token({"other", hash, "reader", ""}).error().code(), ErrorCode::AlreadyExists);
  auto t = s->token_by_secret_sha256(hash);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name, "agent-1");
  EXPECT_EQ(t->role, "agent");
  EXPECT_EQ(t->host, "compute-1");
  EXPECT_EQ(s->token_by_secret_sha256(std::string(64, 'c')).error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->tokens()->size(), 1u);
  ASSERT_TRUE(s->delete_token("agent-1").ok());
  EXPECT_EQ(s->delete_token("agent-1").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s->token_by_secret_sha256(hash).error().code(), ErrorCode::NotFound);
}

}  // namespace
}  // namespace pcipass::contract
