// The controller against a real store, at random (issue 10's rule for state): agent
// reports in which devices vanish, come back changed, move, and change ids or type,
// NUMA cells appear, vanish and shrink; config reloads admitting less and more; boots
// and deletes. After every step the live fleet equals a fresh controller started on the
// store (a restart succeeds and rebuilds the same), and the fleet's invariants hold.
// Run on SQLite, in memory and on PostgreSQL.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <filesystem>
#include <random>
#include <sstream>

#include "adapters/store_memory/memory_store.h"
#include "adapters/store_postgres/pg_store.h"
#include "adapters/store_postgres/pg_test_server.h"
#include "adapters/store_sqlite/sqlite_store.h"
#include "controller/controller.h"
#include "core/test_support.h"

namespace pcipass {
namespace {
namespace fs = std::filesystem;

// Admits the NIC's VFs (or not) and its PFs; the GPU always.
PciConfig config(bool admit_vfs) {
  std::vector<std::string> w;
  std::string specs = admit_vfs ? R"([{"vendor_id": "8086", "product_id": "154c"}, {"vendor_id": "8086", "product_id": "1572"}, {"vendor_id": "10de"}])"
                                : R"([{"vendor_id": "8086", "product_id": "1572"}, {"vendor_id": "10de"}])";
  return {DeviceSpecList::parse(testing::J(specs), w).value(),
          AliasTable::parse(testing::J(R"([{"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"},
                                          {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"},
                                          {"name": "gpu", "vendor_id": "10de", "product_id": "2230", "device_type": "type-PCI"}])"), w)
              .value()};
}

// The hardware of one host as the test imagines it; a report is what an agent sees of it.
struct Hardware {
  std::string name;
  std::vector<NumaCellSpec> cells{{0, 16, 32768, 0}, {1, 16, 32768, 1}};
  std::vector<StoredDevice> devices;  // present now
  std::vector<StoredDevice> away;     // vanished from reports, may come back
};

StoredDevice device(const std::string& address, uint16_t product, std::optional<std::string> pf, uint32_t total, uint32_t numa,
                    const std::string& print, std::optional<uint32_t> group = std::nullopt) {
  StoredDevice d;
  d.facts.address = PciAddress::parse(address).value();
  d.facts.vendor_id = PciId(product == 0x2230 || product == 0x1aef ? 0x10de : 0x8086);
  d.facts.product_id = PciId(product);
  d.facts.numa_node = numa;
  d.facts.sriov_totalvfs = total;
  if (pf) d.facts.physfn = PciAddress::parse(*pf).value();
  d.facts.iommu_group = group;
  d.fingerprint = print;
  return d;
}

Hardware hardware(const std::string& name) {
  Hardware h;
  h.name = name;
  h.devices.push_back(device("0000:41:00.0", 0x1572, std::nullopt, 4, 0, name + "-pf0"));
  for (int i = 0; i < 4; ++i)
    h.devices.push_back(device("0000:41:02." + std::to_string(i), 0x154c, "0000:41:00.0", 0, 0, name + "-vf" + std::to_string(i)));
  h.devices.push_back(device("0000:17:00.0", 0x2230, std::nullopt, 0, 1, name + "-gpu", 17));
  h.devices.push_back(device("0000:17:00.1", 0x1aef, std::nullopt, 0, 1, name + "-gpu-audio", 17));
  return h;
}

HostRecord report_of(const Hardware& h) {
  HostRecord r;
  r.name = h.name;
  r.numa = h.cells;
  r.devices = h.devices;
  return r;
}

// One random change to the hardware.
void change(Hardware& h, std::mt19937& rng, std::string& what) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  switch (rng() % 7) {
    case 0:  // a device vanishes (a PF with its VFs)
      if (h.devices.size() > 1) {
        const PciAddress gone = h.devices[pick(h.devices.size())].facts.address;
        what = "vanish " + gone.to_string();
        for (size_t i = h.devices.size(); i-- > 0;)
          if (h.devices[i].facts.address == gone || h.devices[i].facts.physfn == gone) {
            h.away.push_back(h.devices[i]);
            h.devices.erase(h.devices.begin() + static_cast<long>(i));
          }
      }
      break;
    case 1: {  // one comes back (a VF only beside its PF), maybe elsewhere (same fingerprint), maybe changed
      std::vector<size_t> can;
      for (size_t i = 0; i < h.away.size(); ++i) {
        const auto& pf = h.away[i].facts.physfn;
        if (!pf || std::any_of(h.devices.begin(), h.devices.end(), [&](const StoredDevice& o) { return o.facts.address == *pf; }))
          can.push_back(i);
      }
      if (!can.empty()) {
        const size_t i = can[pick(can.size())];
        StoredDevice d = h.away[i];
        h.away.erase(h.away.begin() + static_cast<long>(i));
        if (rng() % 3 == 0 && !d.facts.physfn && d.facts.sriov_totalvfs == 0) {
          const std::string moved = "0000:5" + std::to_string(rng() % 10) + ":00.0";
          const bool taken = std::any_of(h.devices.begin(), h.devices.end(), [&](const StoredDevice& o) { return o.facts.address.to_string() == moved; });
          if (!taken) d.facts.address = PciAddress::parse(moved).value();
        }
        if (rng() % 4 == 0) d.facts.product_id = PciId(d.facts.product_id.value() == 0x154c ? 0x10ed : d.facts.product_id.value());
        what = "return " + d.facts.address.to_string();
        h.devices.push_back(d);
      }
      break;
    }
    case 2: {  // ids change in place
      if (h.devices.empty()) break;
      const size_t i = pick(h.devices.size());
      auto& d = h.devices[i];
      d.facts.product_id = PciId(d.facts.product_id.value() == 0x154c ? 0x10ed : d.facts.product_id.value() == 0x10ed ? 0x154c : d.facts.product_id.value());
      what = "ids of " + d.facts.address.to_string();
      break;
    }
    case 3:  // a NUMA cell shrinks or grows
      if (!h.cells.empty()) {
        auto& c = h.cells[pick(h.cells.size())];
        c.cpus = rng() % 2 ? 2 : 16;
        what = "cell " + std::to_string(c.id) + " to " + std::to_string(c.cpus) + " cpus";
      }
      break;
    case 4:  // a NUMA cell vanishes, or one appears
      if (h.cells.size() == 2) {
        what = "cell " + std::to_string(h.cells.back().id) + " vanishes";
        h.cells.pop_back();
      } else {
        h.cells.push_back({static_cast<uint32_t>(h.cells.size()), 16, 32768, static_cast<uint32_t>(h.cells.size())});
        what = "a cell appears";
      }
      break;
    default:
      what = "nothing changed";
      break;
  }
}

// Everything the fleet says about itself, by name (slots and indexes aside).
std::string dump(const Controller& c) {
  std::ostringstream out;
  const Fleet& f = c.fleet();
  std::vector<std::string> names;
  for (HostIndex i = 0; i < f.host_count(); ++i) names.push_back(f.host(i).name());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const HostInventory& h = f.host(*f.find_host(name));
    out << "host " << name << " blocked=[" << h.blocked() << "] vcpus=" << h.used_vcpus() << " free=" << h.free_devices() << "\n";
    for (const auto& cell : h.cells()) out << "  cell " << cell.id << " used " << cell.used_cpus << "/" << cell.used_memory_mb << "\n";
    for (const auto& d : h.devices()) {
      const InstanceRecord* owner = d.owner ? f.instance_at(*d.owner) : nullptr;
      out << "  " << d.address.to_string() << (d.gone ? " gone" : "") << " pool=" << (d.pool ? 1 : 0)
          << " owner=" << (owner ? owner->id : "-") << "\n";
    }
  }
  for (const auto& [host, lines] : c.host_problems())
    for (const auto& l : lines) out << "problem " << host << ": " << l << "\n";
  for (const auto& [id, lines] : c.server_problems())
    for (const auto& l : lines) out << "server " << id << ": " << l << "\n";
  for (const auto& [host, list] : c.vanished())
    for (const auto& v : list) out << "vanished " << host << " " << v.device.facts.address.to_string() << " held by " << v.owner << "\n";
  return out.str();
}

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<Store>()> open;  // a new handle on the test's database
};
void PrintTo(const StoreKind& k, std::ostream* os) { *os << k.name; }

class ControllerAtRandom : public ::testing::TestWithParam<StoreKind> {};

TEST_P(ControllerAtRandom, TheLiveFleetIsAlwaysWhatAFreshStartBuildsAndAStartAlwaysSucceeds) {
  const int steps = GetParam().name == "postgres" ? 150 : 400;
  // What the walk went through: each must happen, or the test proves little.
  std::map<std::string, int> seen;
  for (unsigned seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    auto store = GetParam().open();
    ASSERT_TRUE(store && store->migrate().ok());
    bool admit = true;
    auto c = Controller::open(*store, config(admit)).value();
    std::vector<Hardware> hosts{hardware("h" + std::to_string(seed) + "a"), hardware("h" + std::to_string(seed) + "b")};
    for (const auto& h : hosts) ASSERT_TRUE(c->report_host(report_of(h)).ok());
    for (const auto& [name, vcpus, specs] : std::vector<std::tuple<std::string, uint32_t, std::string>>{
             {"vf", 2, "vf:1"}, {"vf2", 4, "vf:2"}, {"pf", 4, "pf:1"}, {"gpu", 4, "gpu:1"}})
      if (!store->flavor(name)) {
        ASSERT_TRUE(store->create_flavor({name, vcpus, 2048, {{"pci_passthrough:alias", specs}, {"hw:numa_nodes", "1"}}}).ok());
      }
    std::vector<std::string> live;
    int next = 0;
    for (int step = 0; step < steps; ++step) {
      std::string what;
      switch (rng() % 6) {
        case 0:
        case 1: {
          Hardware& h = hosts[rng() % hosts.size()];
          change(h, rng, what);
          auto r = c->report_host(report_of(h));
          ASSERT_TRUE(r.ok() || r.error().code() == ErrorCode::InvalidArgument) << what << ": " << r.error().describe();
          ++seen[r ? "report taken" : "report refused as malformed"];
          what = "report " + h.name + " (" + what + ")";
          break;
        }
        case 2: {
          admit = !admit;
          auto r = c->set_config(config(admit));
          ASSERT_TRUE(r.ok() || r.error().code() == ErrorCode::Conflict) << r.error().describe();
          if (!r) admit = !admit;
          ++seen[r ? "reload taken" : "reload refused"];
          what = std::string("reload ") + (admit ? "admitting" : "refusing") + " VFs" + (r ? "" : " (refused)");
          break;
        }
        case 3:
        case 4: {
          const char* flavors[] = {"vf", "vf2", "pf", "gpu"};
          const std::string id = "s" + std::to_string(seed) + "-" + std::to_string(next++);
          auto r = c->create_server(id, flavors[rng() % 4], std::nullopt);
          ASSERT_TRUE(r.ok() || r.error().code() == ErrorCode::NoValidHost) << r.error().describe();
          if (r) live.push_back(id);
          ++seen[r ? "boot" : "no valid host"];
          what = "boot " + id + (r ? " on " + r->host : " (no valid host)");
          break;
        }
        default:
          if (!live.empty()) {
            const size_t k = rng() % live.size();
            ASSERT_TRUE(c->delete_server(live[k]).ok()) << live[k];
            what = "delete " + live[k];
            live.erase(live.begin() + static_cast<long>(k));
          }
          break;
      }
      for (HostIndex i = 0; i < c->fleet().host_count(); ++i) {
        const HostInventory& h = c->fleet().host(i);
        if (!h.blocked().empty()) ++seen["a host blocked"];
        for (const auto& d : h.devices())
          if (d.gone && d.owner) ++seen["a gone device held"];
      }
      const auto problems = c->fleet().check_invariants();
      ASSERT_TRUE(problems.empty()) << "seed " << seed << " step " << step << " (" << what << "): " << problems.front();
      auto other = GetParam().open();
      ASSERT_TRUE(other);
      auto fresh = Controller::open(*other, c->config());
      ASSERT_TRUE(fresh.ok()) << "seed " << seed << " step " << step << " (" << what << "): a start failed: " << fresh.error().describe();
      ASSERT_EQ(dump(**fresh), dump(*c)) << "seed " << seed << " step " << step << " (" << what << ")";
    }
  }
  for (const char* state : {"report taken", "reload taken", "reload refused", "boot", "no valid host", "a host blocked", "a gone device held"})
    EXPECT_GT(seen[state], 0) << state;
  for (const auto& [state, n] : seen) std::printf("  %-28s %d\n", state.c_str(), n);
}

fs::path scratch() {
  static fs::path d = [] {
    fs::path p = fs::temp_directory_path() / ("pcipass-random-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return d;
}

INSTANTIATE_TEST_SUITE_P(
    Stores, ControllerAtRandom,
    ::testing::Values(
        StoreKind{"sqlite",
                  [] { return std::unique_ptr<Store>(SqliteStore::open((scratch() / "random.db").string()).value()); }},
        StoreKind{"memory",
                  [] {
                    static auto db = std::make_shared<MemoryDatabase>();
                    return std::unique_ptr<Store>(std::make_unique<MemoryStore>(db));
                  }},
        StoreKind{"postgres",
                  [] {
                    static const std::string conninfo = testing::fresh_pg_database("t_controller_at_random");
                    auto s = PgStore::open(conninfo);
                    return s ? std::unique_ptr<Store>(std::move(*s)) : nullptr;
                  }}),
    [](const ::testing::TestParamInfo<StoreKind>& p) { return p.param.name; });

}  // namespace
}  // namespace pcipass
