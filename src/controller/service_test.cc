// The service without a socket, on the in-memory store: who may call what, typed
// refusals, flavors, servers as booted, tokens, capacity, and what happens when the
// store refuses or loses a batch.
#include "controller/service.h"

#include <gtest/gtest.h>

#include "adapters/crypto/openssl_secrets.h"
#include "adapters/store_memory/memory_store.h"
#include "core/test_support.h"

namespace pcipass {
namespace {

using testing::J;

class FixedConfig final : public ConfigSource {
 public:
  std::string name() const override { return "test.conf"; }
  Result<PciConfigFile> load() override {
    if (broken) return std::move(invalid("test.conf:2 [pci] alias: broken on purpose").within("test.conf:2 [pci] alias"));
    std::vector<std::string> w;
    PciConfigFile out;
    out.device_spec = DeviceSpecList::parse(J(R"([{"vendor_id": "8086", "product_id": "154c", "physical_network": "physnet1"},
                                                   {"vendor_id": "8086", "product_id": "1572"}])"), w).value();
    out.aliases = AliasTable::parse(J(R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
                                         {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}])"), w).value();
    return out;
  }
  bool broken = false;
};

class ManualClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return t; }
  std::chrono::steady_clock::time_point t{};
};

// A store whose next batch commits fail as told (the rest is the memory store): a
// batch the database refused (Busy) or could not commit (Unavailable), which a real
// database gives only under races and outages.
class FlakyBatches final : public Store {
 public:
  explicit FlakyBatches(std::shared_ptr<MemoryDatabase> db) : inner_(std::move(db)) {}
  std::vector<ErrorCode> fail_next;  // one entry per batch to fail, in order

  Status migrate() override { return inner_.migrate(); }
  Result<int> schema_version() override { return inner_.schema_version(); }
  Result<uint64_t> report_host(const HostRecord& h, const std::vector<AddressMove>& m, std::optional<uint64_t> g) override {
    return inner_.report_host(h, m, g);
  }
  Result<std::vector<HostRecord>> hosts() override { return inner_.hosts(); }
  Result<HostRecord> host(const std::string& n) override { return inner_.host(n); }
  Result<std::vector<std::pair<std::string, uint64_t>>> host_generations() override { return inner_.host_generations(); }
  Result<std::optional<uint64_t>> others_commit_marker() override { return inner_.others_commit_marker(); }
  Status create_flavor(const FlavorRecord& f) override { return inner_.create_flavor(f); }
  Status update_flavor(const FlavorRecord& f) override { return inner_.update_flavor(f); }
  Result<std::vector<FlavorRecord>> flavors() override { return inner_.flavors(); }
  Result<FlavorRecord> flavor(const std::string& n) override { return inner_.flavor(n); }
  Result<uint64_t> claim(const InstanceRecordRow& i, uint64_t g) override { return inner_.claim(i, g); }
  Status release(const std::string& id) override { return inner_.release(id); }
  Result<uint64_t> set_server_state(const std::string& id, const ServerState& s) override { return inner_.set_server_state(id, s); }
  Result<uint64_t> set_host_locked(const std::string& h, bool l) override { return inner_.set_host_locked(h, l); }
  Result<uint64_t> set_host_interface(const std::string& h, const HostInterface& i) override { return inner_.set_host_interface(h, i); }
  Result<std::vector<InstanceRecordRow>> instances() override { return inner_.instances(); }
  Result<std::vector<InstanceRecordRow>> instances_on(const std::string& h) override { return inner_.instances_on(h); }
  Result<InstanceRecordRow> instance(const std::string& id) override { return inner_.instance(id); }
  Status create_token(const TokenRecord& t) override { return inner_.create_token(t); }
  Result<TokenRecord> token_by_secret_sha256(const std::string& s) override { return inner_.token_by_secret_sha256(s); }
  Result<std::vector<TokenRecord>> tokens() override { return inner_.tokens(); }
  Status delete_token(const std::string& n) override { return inner_.delete_token(n); }
  Status create_project(const ProjectRecord& p) override { return inner_.create_project(p); }
  Result<std::vector<ProjectRecord>> projects() override { return inner_.projects(); }
  Result<ProjectRecord> project(const std::string& n) override { return inner_.project(n); }
  Status delete_project(const std::string& n) override { return inner_.delete_project(n); }
  Status set_quota(const std::string& p, const std::string& r, std::optional<uint64_t> l) override { return inner_.set_quota(p, r, l); }
  Result<std::vector<QuotaUse>> quotas(const std::string& p) override { return inner_.quotas(p); }
  Status create_network(const NetworkRecord& n) override { return inner_.create_network(n); }
  Result<std::vector<NetworkRecord>> networks() override { return inner_.networks(); }
  Result<NetworkRecord> network(const std::string& n) override { return inner_.network(n); }
  Status delete_network(const std::string& n) override { return inner_.delete_network(n); }
  Status create_port(const PortRecord& p) override { return inner_.create_port(p); }
  Result<std::vector<PortRecord>> ports() override { return inner_.ports(); }
  Result<PortRecord> port(const std::string& n) override { return inner_.port(n); }
  Status delete_port(const std::string& n) override { return inner_.delete_port(n); }
  Result<std::unique_ptr<WriteBatch>> begin_batch() override {
    auto b = inner_.begin_batch();
    if (!b) return b;
    std::optional<ErrorCode> fail;
    if (!fail_next.empty()) {
      fail = fail_next.front();
      fail_next.erase(fail_next.begin());
    }
    return std::unique_ptr<WriteBatch>(new Batch(std::move(*b), fail, inner_));
  }

 private:
  class Batch final : public WriteBatch {
   public:
    Batch(std::unique_ptr<WriteBatch> inner, std::optional<ErrorCode> fail, MemoryStore& store)
        : inner_(std::move(inner)), fail_(fail), store_(store) {}
    bool deferred() const override { return inner_->deferred(); }
    Result<uint64_t> claim(const InstanceRecordRow& i, uint64_t g) override { return inner_->claim(i, g); }
    Status release(const std::string& id) override { return inner_->release(id); }
    Status seal() override {
      if (fail_) {
        (void)store_.end_batch(false);  // nothing of it is kept
        return ok_status();
      }
      return inner_->seal();
    }
    Status commit() override {
      if (fail_) return Error(*fail_, "this batch was made to fail");
      return inner_->commit();
    }

   private:
    std::unique_ptr<WriteBatch> inner_;
    std::optional<ErrorCode> fail_;
    MemoryStore& store_;
  };
  MemoryStore inner_;
};

HostRecord nic_host(const std::string& name, int vfs) {
  HostRecord h;
  h.name = name;
  h.numa = std::vector<NumaCellSpec>{{0, 32, 65536, 0}};
  auto add = [&](const std::string& a, uint16_t product, std::optional<std::string> pf, uint32_t total) {
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
  add("0000:41:00.0", 0x1572, std::nullopt, static_cast<uint32_t>(vfs));
  for (int i = 0; i < vfs; ++i) add("0000:41:02." + std::to_string(i), 0x154c, "0000:41:00.0", 0);
  return h;
}

const Principal kAdmin{"admin", Role::Admin, ""};
const Principal kReader{"ops", Role::Reader, ""};
const Principal kAgent{"agent-1", Role::Agent, "compute-1"};

struct Fixture {
  Fixture() : db(std::make_shared<MemoryDatabase>()), store(db) {
    service = Service::open(store, &config, secrets, clock).value();
    EXPECT_TRUE(service->report_host(kAdmin, nic_host("compute-1", 2)).ok());
    EXPECT_TRUE(service->create_flavor(kAdmin, {"vf.small", 2, 2048, {{"pci_passthrough:alias", "vf:1"}, {"pcipass:vlan", "100"}}, 0}).ok());
  }
  std::shared_ptr<MemoryDatabase> db;
  FlakyBatches store;
  FixedConfig config;
  OpenSslSecrets secrets;
  ManualClock clock;
  std::unique_ptr<Service> service;
};

// A Log that keeps what it is told.
class RecordingLog final : public Log {
 public:
  void write(LogLevel level, std::string_view event, const std::vector<LogField>& fields) override {
    std::string line = std::string(event);
    for (const auto& f : fields) {
      line += " " + std::string(f.key) + "=";
      std::visit([&](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) line += v;
        else line += std::to_string(v);
      }, f.value);
    }
    lines.push_back({level, line});
  }
  bool has(const std::string& start) const {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.second.rfind(start, 0) == 0; });
  }
  std::vector<std::pair<LogLevel, std::string>> lines;
};

TEST(Service, EveryStateChangeIsLoggedOnceWithItsCallerAndAReadIsNot) {
  auto db = std::make_shared<MemoryDatabase>();
  FlakyBatches store(db);
  FixedConfig config;
  OpenSslSecrets secrets;
  ManualClock clock;
  RecordingLog log;
  ServiceOptions options;
  options.log = &log;
  auto s = Service::open(store, &config, secrets, clock, options).value();
  ASSERT_TRUE(s->report_host(kAdmin, nic_host("compute-1", 2)).ok());
  EXPECT_TRUE(log.has("host.registered host=compute-1 generation=")) << log.lines.back().second;
  const size_t after_register = log.lines.size();
  ASSERT_TRUE(s->report_host(kAgent, nic_host("compute-1", 2)).ok());  // the same again: nothing changed
  EXPECT_EQ(log.lines.size(), after_register);
  ASSERT_TRUE(s->create_flavor(kAdmin, {"vf.small", 2, 2048, {{"pci_passthrough:alias", "vf:1"}}, 0}).ok());
  EXPECT_TRUE(log.has("flavor.created flavor=vf.small caller=admin"));
  ASSERT_TRUE(s->create_server(kAdmin, {"vm1", "vf.small", {}}).ok());
  EXPECT_TRUE(log.has("server.created server=vm1 host=compute-1 flavor=vf.small status=placed devices=0000:41:02.0 caller=admin"))
      << log.lines.back().second;
  const size_t before_reads = log.lines.size();
  ASSERT_TRUE(s->show_server(kReader, "vm1").ok());
  ASSERT_TRUE(s->list_hosts(kReader).ok());
  EXPECT_FALSE(s->create_server(kReader, {"vm2", "vf.small", {}}).ok());  // refused: nothing changed
  EXPECT_EQ(log.lines.size(), before_reads);
  ASSERT_TRUE(s->lock_host(kAdmin, "compute-1", true).ok());
  EXPECT_TRUE(log.has("host.locked host=compute-1 caller=admin"));
  ASSERT_TRUE(s->delete_server(kAdmin, "vm1").ok());
  EXPECT_TRUE(log.has("server.deleted server=vm1"));
  ASSERT_TRUE(s->create_token(kAdmin, {"ops", "reader", std::nullopt}).ok());
  EXPECT_TRUE(log.has("token.created token=ops role=reader caller=admin"));
  for (const auto& [level, line] : log.lines) EXPECT_EQ(line.find("pcipass_"), std::string::npos) << "a secret in: " << line;
  ASSERT_TRUE(s->reload_config(kAdmin).ok());
  EXPECT_TRUE(log.has("config.reloaded warnings=0"));
}

TEST(Service, EachCallChecksWhoMayMakeIt) {
  Fixture f;
  auto& s = *f.service;
  EXPECT_EQ(s.create_server(kReader, {"vm", "vf.small", {}}).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.create_server(kAgent, {"vm", "vf.small", {}}).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.report_host(kReader, nic_host("compute-1", 2)).error().code(), ErrorCode::PermissionDenied);
  auto other = s.report_host(kAgent, nic_host("compute-2", 2));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code(), ErrorCode::PermissionDenied);
  EXPECT_NE(other.error().message().find("may report only for host \"compute-1\""), std::string::npos) << other.error().message();
  EXPECT_EQ(f.store.host("compute-2").error().code(), ErrorCode::NotFound);  // nothing written
  EXPECT_TRUE(s.report_host(kAgent, nic_host("compute-1", 2)).ok());
  EXPECT_EQ(s.reload_config(kReader).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.list_tokens(kAgent).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.delete_server(kReader, "x").error().code(), ErrorCode::PermissionDenied);
  EXPECT_TRUE(s.list_hosts(kReader).ok());
  EXPECT_TRUE(s.capacity(kAgent, std::nullopt).ok());
}

TEST(Service, ALockedHostKeepsItsServersTakesNoNewOnesAndStaysLockedAcrossARestart) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.create_server(kAdmin, {"vm1", "vf.small", {}}).ok());
  EXPECT_EQ(s.lock_host(kReader, "compute-1", true).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.lock_host(kAgent, "compute-1", true).error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(s.lock_host(kAdmin, "nope", true).error().code(), ErrorCode::NotFound);
  auto locked = s.lock_host(kAdmin, "compute-1", true);
  ASSERT_TRUE(locked.ok()) << locked.error().describe();
  EXPECT_TRUE(locked->locked);
  EXPECT_EQ(locked->free, 0u);
  const uint64_t g = f.store.host("compute-1")->generation;
  ASSERT_TRUE(s.lock_host(kAdmin, "compute-1", true).ok());  // again: nothing changes
  EXPECT_EQ(f.store.host("compute-1")->generation, g);
  EXPECT_TRUE(s.show_server(kAdmin, "vm1").ok());
  for (const auto& forced : {std::optional<std::string>(), std::optional<std::string>("compute-1")}) {
    auto refused = s.create_server(kAdmin, {"vm2", "vf.small", forced});
    ASSERT_EQ(refused.error().code(), ErrorCode::NoValidHost);
    ASSERT_EQ(refused.error().rejections().size(), 1u);
    EXPECT_EQ(refused.error().rejections()[0].reason.rfind("locked: host compute-1 is locked", 0), 0u)
        << refused.error().rejections()[0].reason;
  }
  // A report leaves the lock as it is; so does a restart on the store.
  ASSERT_TRUE(s.report_host(kAgent, nic_host("compute-1", 2)).ok());
  EXPECT_TRUE(s.list_hosts(kReader)->front().locked);
  f.service.reset();
  f.service = Service::open(f.store, &f.config, f.secrets, f.clock).value();
  auto& again = *f.service;
  EXPECT_TRUE(again.show_host(kReader, "compute-1")->summary.locked);
  EXPECT_EQ(again.capacity(kReader, std::nullopt)->fleet[0].free, 0u);
  auto devices = again.list_devices(kReader, {});
  ASSERT_TRUE(devices.ok());
  size_t said_locked = 0;
  for (const auto& d : *devices) said_locked += d.reason == "host compute-1 is locked" ? 1 : 0;
  EXPECT_EQ(said_locked, 1u);  // the free VF: the PF is unavailable for its VF in use, vm1 holds the other
  EXPECT_TRUE(again.delete_server(kAdmin, "vm1").ok());  // its servers go as usual
  ASSERT_TRUE(again.lock_host(kAdmin, "compute-1", false).ok());
  EXPECT_FALSE(again.list_hosts(kReader)->front().locked);
  EXPECT_TRUE(again.create_server(kAdmin, {"vm2", "vf.small", {}}).ok());
}

TEST(Service, TokensAuthenticateAndAStoreOutageIsNotARefusedToken) {
  Fixture f;
  auto& s = *f.service;
  auto issued = s.create_token(kAdmin, {"ops", "reader", std::nullopt});
  ASSERT_TRUE(issued.ok()) << issued.error().describe();
  auto who = s.authenticate(issued->secret);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->role, Role::Reader);
  EXPECT_EQ(s.authenticate("pcipass_nope").error().code(), ErrorCode::Unauthenticated);
  // The store goes away: a token it cannot look up is the server's failure, not the caller's.
  f.db->set_unavailable(true);
  auto down = s.authenticate("pcipass_other");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code(), ErrorCode::Unavailable) << down.error().describe();
  EXPECT_TRUE(s.authenticate(issued->secret).ok());  // verified a moment ago: still known for the cache's while
  f.clock.t += std::chrono::seconds(6);
  EXPECT_EQ(s.authenticate(issued->secret).error().code(), ErrorCode::Unavailable);
  EXPECT_EQ(s.list_flavors(kAdmin).error().code(), ErrorCode::Unavailable);
  f.db->set_unavailable(false);
  // Agents name their host, others do not; a deleted token is refused at once.
  auto agent = s.create_token(kAdmin, {"a2", "agent", std::nullopt});
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.error().where(), "host");
  EXPECT_EQ(s.create_token(kAdmin, {"r2", "reader", std::string("compute-1")}).error().where(), "host");
  EXPECT_EQ(s.create_token(kAdmin, {"r3", "root", std::nullopt}).error().where(), "role");
  EXPECT_EQ(s.create_token(kAdmin, {"ops", "reader", std::nullopt}).error().code(), ErrorCode::AlreadyExists);
  ASSERT_TRUE(s.delete_token(kAdmin, "ops").ok());
  EXPECT_EQ(s.authenticate(issued->secret).error().code(), ErrorCode::Unauthenticated);
  EXPECT_EQ(s.delete_token(kAdmin, "ops").code(), ErrorCode::NotFound);
}

TEST(Service, FlavorsAreMergedAndCheckedAsTheSchedulerReadsThem) {
  Fixture f;
  auto& s = *f.service;
  auto bad = s.create_flavor(kAdmin, {"f", 1, 512, {{"pci_passthrough:alias", "nosuch:1"}}, 0});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().where(), "extra_specs.pci_passthrough:alias");
  EXPECT_EQ(s.create_flavor(kAdmin, {"vf.small", 1, 512, {}, 0}).error().code(), ErrorCode::AlreadyExists);
  EXPECT_EQ(s.create_flavor(kAdmin, {"bad name", 1, 512, {}, 0}).error().where(), "name");
  FlavorUpdate u{"vf.small", 4, std::nullopt, {{"pci_passthrough:alias", "vf:2"}}, {"pcipass:vlan"}};
  auto updated = s.update_flavor(kAdmin, u);
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  EXPECT_EQ(updated->vcpus, 4u);
  EXPECT_EQ(updated->memory_mb, 2048u);
  EXPECT_EQ(updated->extra_specs, (std::vector<std::pair<std::string, std::string>>{{"pci_passthrough:alias", "vf:2"}}));
  auto vlan = s.update_flavor(kAdmin, {"vf.small", {}, {}, {{"pcipass:vlan", "4095"}}, {}});
  ASSERT_FALSE(vlan.ok());
  EXPECT_EQ(vlan.error().where(), "extra_specs.pcipass:vlan");
  EXPECT_EQ(s.show_flavor(kReader, "vf.small")->vcpus, 4u);  // the refused update changed nothing
  EXPECT_EQ(s.update_flavor(kAdmin, {"nope", 1, {}, {}, {}}).error().code(), ErrorCode::NotFound);
}

TEST(Service, AServerIsShownAsItWasBootedAndRefusalsAreTyped) {
  Fixture f;
  auto& s = *f.service;
  auto vm1 = s.create_server(kAdmin, {"vm1", "vf.small", std::nullopt});
  ASSERT_TRUE(vm1.ok()) << vm1.error().describe();
  EXPECT_EQ(vm1->host, "compute-1");
  EXPECT_EQ(vm1->vlan, std::optional<uint16_t>(100));
  ASSERT_EQ(vm1->devices.size(), 1u);
  EXPECT_TRUE(vm1->devices[0].network_interface);
  ASSERT_TRUE(vm1->devices[0].mac.has_value());
  ASSERT_TRUE(s.update_flavor(kAdmin, {"vf.small", {}, {}, {{"pcipass:vlan", "200"}}, {}}).ok());
  auto shown = s.show_server(kReader, "vm1");
  ASSERT_TRUE(shown.ok()) << shown.error().describe();
  EXPECT_EQ(shown->vlan, std::optional<uint16_t>(100));
  EXPECT_EQ(shown->devices[0].mac, vm1->devices[0].mac);
  EXPECT_EQ(s.create_server(kAdmin, {"vm1", "vf.small", std::nullopt}).error().code(), ErrorCode::AlreadyExists);
  ASSERT_TRUE(s.create_server(kAdmin, {"vm2", "vf.small", std::nullopt}).ok());
  auto full = s.create_server(kAdmin, {"vm3", "vf.small", std::nullopt});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ErrorCode::NoValidHost);
  ASSERT_EQ(full.error().rejections().size(), 1u);
  EXPECT_EQ(full.error().rejections()[0].host, "compute-1");
  EXPECT_EQ(s.create_server(kAdmin, {"vm4", "nope", std::nullopt}).error().where(), "flavor");
  EXPECT_EQ(s.create_server(kAdmin, {"vm4", "vf.small", std::string("compute-9")}).error().where(), "host");
  auto cap = s.capacity(kReader, std::nullopt).value();
  ASSERT_EQ(cap.fleet.size(), 2u);
  EXPECT_EQ(cap.fleet[0].alias, "vf");
  EXPECT_EQ(cap.fleet[0].free, 0u);
  EXPECT_EQ(cap.fleet[0].total, 2u);
  EXPECT_EQ(s.capacity(kReader, std::string("compute-9")).error().where(), "host");
  ASSERT_TRUE(s.delete_server(kAdmin, "vm1").ok());
  EXPECT_EQ(s.delete_server(kAdmin, "vm1").code(), ErrorCode::NotFound);
  EXPECT_EQ(s.show_server(kReader, "vm1").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s.capacity(kReader, std::nullopt)->fleet[0].free, 1u);
}

TEST(Service, ARefusedBatchIsServedAgainAndALostOneIsUnavailableWithNothingKept) {
  Fixture f;
  auto& s = *f.service;
  f.store.fail_next = {ErrorCode::Busy};  // the database refused the batch: served again
  auto vm1 = s.create_server(kAdmin, {"vm1", "vf.small", std::nullopt});
  ASSERT_TRUE(vm1.ok()) << vm1.error().describe();
  EXPECT_TRUE(f.store.instance("vm1").ok());
  f.store.fail_next = {ErrorCode::Unavailable};  // the commit was lost
  auto vm2 = s.create_server(kAdmin, {"vm2", "vf.small", std::nullopt});
  ASSERT_FALSE(vm2.ok());
  EXPECT_EQ(vm2.error().code(), ErrorCode::Unavailable);
  EXPECT_EQ(f.store.instance("vm2").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(s.show_server(kReader, "vm2").error().code(), ErrorCode::NotFound);  // the fleet follows the store
  EXPECT_EQ(s.capacity(kReader, std::nullopt)->fleet[0].free, 1u);
  ASSERT_TRUE(s.create_server(kAdmin, {"vm2", "vf.small", std::nullopt}).ok());
}

TEST(Service, AReloadThatFailsKeepsTheRunningConfiguration) {
  Fixture f;
  auto& s = *f.service;
  ASSERT_TRUE(s.reload_config(kAdmin).ok());
  f.config.broken = true;
  auto bad = s.reload_config(kAdmin);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(s.list_aliases(kReader)->size(), 2u);
  EXPECT_EQ(s.show_config(kReader)->source, std::optional<std::string>("test.conf"));
}

}  // namespace
}  // namespace pcipass
