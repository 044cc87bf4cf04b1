#include "adapters/store_memory/memory_store.h"

#include "adapters/immediate_batch.h"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <set>

#include "core/config_value.h"

namespace pcipass {
namespace {

// As long as SQLite's busy timeout: then a waiting write gives up as Busy.
constexpr auto kWriterWait = std::chrono::seconds(10);

Status unique_keys(const std::vector<std::pair<std::string, std::string>>& specs) {
  std::set<std::string> seen;
  for (const auto& [k, v] : specs)
    if (!seen.insert(k).second) return invalid("extra spec " + quote(k) + " is given twice");
  return ok_status();
}

// A project's quotas and what its servers use, by resource.
std::map<std::string, QuotaUse> usage_of(const MemoryState& st, const std::string& project) {
  std::map<std::string, QuotaUse> out;
  if (auto q = st.quotas.find(project); q != st.quotas.end())
    for (const auto& [resource, limit] : q->second) out[resource] = {resource, limit, 0};
  for (const auto& [id, row] : st.instances)
    if (row.project == project)
      for (const auto& [resource, amount] : row.usage) {
        out[resource].resource = resource;
        out[resource].used += amount;
      }
  for (const auto& [name, port] : st.ports)
    if (port.project == project) {
      const std::string resource = std::string("ports:") + to_string(port.vnic_type);
      out[resource].resource = resource;
      ++out[resource].used;
    }
  return out;
}

// As the SQL stores read them: a row's devices by host and address.
InstanceRecordRow as_read(InstanceRecordRow row) {
  row.ports.clear();  // claims only (state_store.h)
  row.usage.clear();
  std::sort(row.devices.begin(), row.devices.end(),
            [](const AllocationRecord& a, const AllocationRecord& b) { return std::tie(a.host, a.address) < std::tie(b.host, b.address); });
  return row;
}

}  // namespace

void MemoryDatabase::set_unavailable(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
}

MemoryStore::~MemoryStore() { (void)end_batch(false); }

template <class F>
auto MemoryStore::with_state(bool write, F&& f) -> decltype(f(std::declval<MemoryState&>())) {
  using R = decltype(f(std::declval<MemoryState&>()));
  std::unique_lock lock(db_->mu_);
  if (db_->down_) return R(Error(ErrorCode::Unavailable, "the in-memory database is unavailable"));
  if (batch_) {
    lock.unlock();  // the open batch's copy is this handle's alone
    return f(*batch_);
  }
  if (write && !db_->writer_free_.wait_for(lock, kWriterWait, [&] { return !db_->writer_busy_; }))
    return R(Error(ErrorCode::Busy, "another handle's batch holds the database"));
  return f(db_->state_);
}

Status MemoryStore::migrate() {
  return with_state(false, [](MemoryState&) { return ok_status(); });
}

Result<int> MemoryStore::schema_version() {
  return with_state(false, [](MemoryState&) -> Result<int> { return 1; });
}

Result<std::unique_ptr<WriteBatch>> MemoryStore::begin_batch() {
  if (batch_) return Error(ErrorCode::Internal, "a batch is already open");
  std::unique_lock lock(db_->mu_);
  if (db_->down_) return Error(ErrorCode::Unavailable, "the in-memory database is unavailable");
  if (!db_->writer_free_.wait_for(lock, kWriterWait, [&] { return !db_->writer_busy_; }))
    return Error(ErrorCode::Busy, "another handle's batch holds the database");
  db_->writer_busy_ = true;
  batch_ = db_->state_;
  return std::unique_ptr<WriteBatch>(new ImmediateBatch<MemoryStore>(*this));
}

Status MemoryStore::end_batch(bool commit) {
  if (!batch_) return ok_status();
  Status out = ok_status();
  {
    std::lock_guard lock(db_->mu_);
    if (commit && db_->down_) out = Error(ErrorCode::Unavailable, "the in-memory database is unavailable; the batch is lost");
    else if (commit) db_->state_ = std::move(*batch_);
    db_->writer_busy_ = false;
  }
  db_->writer_free_.notify_all();
  batch_.reset();
  return out;
}

Result<uint64_t> MemoryStore::report_host(const HostRecord& h, const std::vector<AddressMove>& moves,
                                          std::optional<uint64_t> expected_generation) {
  return with_state(true, [&](MemoryState& st) -> Result<uint64_t> {
    auto it = st.hosts.find(h.name);
    const uint64_t now = it == st.hosts.end() ? 0 : it->second.generation;
    if (expected_generation && now != *expected_generation)
      return Error(ErrorCode::HostMoved, "host " + h.name + " changed since it was read (generation " + std::to_string(now) +
                                             ", expected " + std::to_string(*expected_generation) + ")");
    std::set<PciAddress> addresses;
    for (const auto& d : h.devices)
      if (!addresses.insert(d.facts.address).second) return invalid("host " + h.name + " reports one address twice");
    // Allocations follow their devices; every move at once, so swaps never collide.
    std::map<PciAddress, PciAddress> to;
    for (const auto& m : moves) to[m.from] = m.to;
    std::map<std::pair<std::string, PciAddress>, std::string> holders;
    for (const auto& [key, holder] : st.holders) {
      auto moved = key.first == h.name ? to.find(key.second) : to.end();
      auto target = moved == to.end() ? key : std::make_pair(key.first, moved->second);
      if (!holders.emplace(target, holder).second)
        return Error(ErrorCode::Conflict, "two allocations of host " + h.name + " would move onto " + target.second.to_string());
    }
    st.holders = std::move(holders);
    for (auto& [id, in] : st.instances)
      for (auto& a : in.devices)
        if (auto moved = a.host == h.name ? to.find(a.address) : to.end(); moved != to.end()) a.address = moved->second;
    HostRecord rec = h;
    rec.generation = now + 1;
    rec.locked = it != st.hosts.end() && it->second.locked;  // an operator's, not the report's
    rec.interfaces = it != st.hosts.end() ? it->second.interfaces : std::vector<HostInterface>{};
    st.hosts[h.name] = std::move(rec);
    return now + 1;
  });
}

Result<std::vector<HostRecord>> MemoryStore::hosts() {
  return with_state(false, [](MemoryState& st) -> Result<std::vector<HostRecord>> {
    std::vector<HostRecord> out;
    for (const auto& [name, h] : st.hosts) out.push_back(h);
    return out;
  });
}

Result<HostRecord> MemoryStore::host(const std::string& name) {
  return with_state(false, [&](MemoryState& st) -> Result<HostRecord> {
    auto it = st.hosts.find(name);
    if (it == st.hosts.end()) return Error(ErrorCode::NotFound, "no host " + quote(name));
    return it->second;
  });
}

Result<std::vector<std::pair<std::string, uint64_t>>> MemoryStore::host_generations() {
  return with_state(false, [](MemoryState& st) -> Result<std::vector<std::pair<std::string, uint64_t>>> {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& [name, h] : st.hosts) out.emplace_back(name, h.generation);
    return out;
  });
}

Status MemoryStore::create_flavor(const FlavorRecord& f) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (st.flavors.count(f.name)) return Error(ErrorCode::AlreadyExists, "flavor " + quote(f.name) + " already exists");
    if (auto ok = unique_keys(f.extra_specs); !ok) return ok;
    FlavorRecord rec = f;
    rec.revision = 1;
    st.flavors[f.name] = std::move(rec);
    return ok_status();
  });
}

Status MemoryStore::update_flavor(const FlavorRecord& f) {
  return with_state(true, [&](MemoryState& st) -> Status {
    auto it = st.flavors.find(f.name);
    if (it == st.flavors.end()) return Error(ErrorCode::NotFound, "no flavor " + quote(f.name));
    if (auto ok = unique_keys(f.extra_specs); !ok) return ok;
    const uint64_t revision = it->second.revision + 1;
    it->second = f;
    it->second.revision = revision;
    return ok_status();
  });
}

Result<std::vector<FlavorRecord>> MemoryStore::flavors() {
  return with_state(false, [](MemoryState& st) -> Result<std::vector<FlavorRecord>> {
    std::vector<FlavorRecord> out;
    for (const auto& [name, f] : st.flavors) out.push_back(f);
    return out;
  });
}

Result<FlavorRecord> MemoryStore::flavor(const std::string& name) {
  return with_state(false, [&](MemoryState& st) -> Result<FlavorRecord> {
    auto it = st.flavors.find(name);
    if (it == st.flavors.end()) return Error(ErrorCode::NotFound, "no flavor " + quote(name));
    return it->second;
  });
}

Result<uint64_t> MemoryStore::claim(const InstanceRecordRow& in, uint64_t expected_generation) {
  return with_state(true, [&](MemoryState& st) -> Result<uint64_t> {
    if (in.flavor_revision != 0) {
      auto f = st.flavors.find(in.flavor);
      if (f == st.flavors.end()) return Error(ErrorCode::FlavorChanged, "flavor " + quote(in.flavor) + " is gone");
      if (f->second.revision != in.flavor_revision)
        return Error(ErrorCode::FlavorChanged, "flavor " + quote(in.flavor) + " is at revision " + std::to_string(f->second.revision) +
                                                   ", the plan used " + std::to_string(in.flavor_revision));
    }
    auto h = st.hosts.find(in.host);
    if (h == st.hosts.end()) return Error(ErrorCode::NotFound, "no host " + quote(in.host));
    if (h->second.generation != expected_generation)
      return Error(ErrorCode::HostMoved, "host " + in.host + " changed since the plan (generation " + std::to_string(h->second.generation) +
                                             ", planned on " + std::to_string(expected_generation) + "); plan again");
    if (st.instances.count(in.id)) return Error(ErrorCode::AlreadyExists, "server " + quote(in.id) + " already exists");
    if (!in.project.empty()) {
      if (!st.projects.count(in.project)) return std::move(Error(ErrorCode::NotFound, "no project " + quote(in.project)).within("project"));
      for (const auto& [resource, use] : usage_of(st, in.project))
        for (const auto& [r, asked] : in.usage)
          if (r == resource && use.limit && asked > 0 && use.used + asked > *use.limit)
            return over_quota(in.project, resource, *use.limit, use.used, asked);
    }
    for (const auto& [port, request] : in.ports) {
      auto p = st.ports.find(port);
      if (p == st.ports.end()) return std::move(Error(ErrorCode::NotFound, "no port " + quote(port)).within("ports"));
      if (!p->second.server.empty())
        return std::move(Error(ErrorCode::Conflict, "port " + quote(port) + " is bound to server " + quote(p->second.server)).within("ports"));
    }
    std::set<PciAddress> named;
    for (const auto& a : in.devices) {
      if (a.host != in.host) return invalid("device " + a.address.to_string() + " is not on " + in.host);
      if (auto held = st.holders.find({in.host, a.address}); held != st.holders.end())
        return Error(ErrorCode::DeviceHeld, in.host + " " + a.address.to_string() + " is already held by " + held->second);
      if (!named.insert(a.address).second)
        return Error(ErrorCode::DeviceHeld, in.host + " " + a.address.to_string() + " is already held by another request of this server");
    }
    InstanceRecordRow row = in;
    row.flavor_revision = 0;
    for (auto& a : row.devices) a.instance = in.id;
    for (const auto& a : row.devices) st.holders[{in.host, a.address}] = in.id;
    for (const auto& [port, request] : in.ports) {
      st.ports[port].server = in.id;
      st.ports[port].request = request;
    }
    row.ports.clear();
    st.instances[in.id] = std::move(row);
    h->second.generation = expected_generation + 1;
    return expected_generation + 1;
  });
}

Status MemoryStore::release(const std::string& id) {
  return with_state(true, [&](MemoryState& st) -> Status {
    auto it = st.instances.find(id);
    if (it == st.instances.end()) return Error(ErrorCode::NotFound, "no server " + quote(id));
    auto h = st.hosts.find(it->second.host);
    for (auto& [name, port] : st.ports)
      if (port.server == id) {
        port.server.clear();
        port.request.reset();
      }
    for (const auto& a : it->second.devices) {
      st.holders.erase({a.host, a.address});
      if (h != st.hosts.end())
        std::erase_if(h->second.devices, [&](const StoredDevice& d) { return d.vanished && d.facts.address == a.address; });
    }
    if (h != st.hosts.end()) ++h->second.generation;
    st.instances.erase(it);
    return ok_status();
  });
}

Result<uint64_t> MemoryStore::set_host_locked(const std::string& host, bool locked) {
  Result<uint64_t> out = uint64_t{0};
  auto st = with_state(true, [&](MemoryState& m) -> Status {
    auto h = m.hosts.find(host);
    if (h == m.hosts.end()) return Error(ErrorCode::NotFound, "no host " + quote(host));
    h->second.locked = locked;
    out = ++h->second.generation;
    return ok_status();
  });
  if (!st) return std::move(st).error();
  return out;
}

Result<uint64_t> MemoryStore::set_host_interface(const std::string& host, const HostInterface& iface) {
  Result<uint64_t> out = uint64_t{0};
  auto st = with_state(true, [&](MemoryState& m) -> Status {
    auto h = m.hosts.find(host);
    if (h == m.hosts.end()) return Error(ErrorCode::NotFound, "no host " + quote(host));
    auto& list = h->second.interfaces;
    auto at = std::find_if(list.begin(), list.end(), [&](const HostInterface& i) { return i.address == iface.address; });
    if (at != list.end()) *at = iface;
    else list.insert(std::upper_bound(list.begin(), list.end(), iface, [](const auto& a, const auto& b) { return a.address < b.address; }), iface);
    out = ++h->second.generation;
    return ok_status();
  });
  if (!st) return std::move(st).error();
  return out;
}

Result<uint64_t> MemoryStore::set_server_state(const std::string& id, const ServerState& state) {
  Result<uint64_t> out = uint64_t{0};
  auto st = with_state(true, [&](MemoryState& m) -> Status {
    auto it = m.instances.find(id);
    if (it == m.instances.end()) return Error(ErrorCode::NotFound, "no server " + quote(id));
    auto h = m.hosts.find(it->second.host);
    if (h == m.hosts.end()) return Error(ErrorCode::NotFound, "no host " + quote(it->second.host));
    it->second.state = state;
    out = ++h->second.generation;
    return ok_status();
  });
  if (!st) return std::move(st).error();
  return out;
}

Result<std::vector<InstanceRecordRow>> MemoryStore::instances() {
  return with_state(false, [](MemoryState& st) -> Result<std::vector<InstanceRecordRow>> {
    std::vector<InstanceRecordRow> out;
    for (const auto& [id, in] : st.instances) out.push_back(as_read(in));
    return out;
  });
}

Result<std::vector<InstanceRecordRow>> MemoryStore::instances_on(const std::string& host) {
  return with_state(false, [&](MemoryState& st) -> Result<std::vector<InstanceRecordRow>> {
    std::vector<InstanceRecordRow> out;
    for (const auto& [id, in] : st.instances)
      if (in.host == host) out.push_back(as_read(in));
    return out;
  });
}

Result<InstanceRecordRow> MemoryStore::instance(const std::string& id) {
  return with_state(false, [&](MemoryState& st) -> Result<InstanceRecordRow> {
    auto it = st.instances.find(id);
    if (it == st.instances.end()) return Error(ErrorCode::NotFound, "no server " + quote(id));
    return as_read(it->second);
  });
}

Status MemoryStore::create_token(const TokenRecord& t) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (!t.project.empty() && !st.projects.count(t.project))
      return std::move(Error(ErrorCode::NotFound, "no project " + quote(t.project)).within("project"));
    if (st.tokens.count(t.name)) return Error(ErrorCode::AlreadyExists, "token " + quote(t.name) + " already exists");
    for (const auto& [name, other] : st.tokens)
      if (other.secret_sha256 == t.secret_sha256) return Error(ErrorCode::AlreadyExists, "token " + quote(t.name) + " already exists");
    st.tokens[t.name] = t;
    return ok_status();
  });
}

Result<TokenRecord> MemoryStore::token_by_secret_sha256(const std::string& sha256_hex) {
  return with_state(false, [&](MemoryState& st) -> Result<TokenRecord> {
    for (const auto& [name, t] : st.tokens)
      if (t.secret_sha256 == sha256_hex) return t;
    return Error(ErrorCode::NotFound, "no such token");
  });
}

Result<std::vector<TokenRecord>> MemoryStore::tokens() {
  return with_state(false, [](MemoryState& st) -> Result<std::vector<TokenRecord>> {
    std::vector<TokenRecord> out;
    for (const auto& [name, t] : st.tokens) out.push_back(t);
    return out;
  });
}

Status MemoryStore::delete_token(const std::string& name) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (!st.tokens.erase(name)) return Error(ErrorCode::NotFound, "no token " + quote(name));
    return ok_status();
  });
}

// ---- projects, networks, ports ---------------------------------------------------------

namespace {
template <class Record>
Result<std::vector<Record>> all_of(const std::map<std::string, Record>& rows) {
  std::vector<Record> out;
  for (const auto& [name, r] : rows) out.push_back(r);
  return out;
}

template <class Record>
Result<Record> one_of(const std::map<std::string, Record>& rows, const std::string& name, const char* what) {
  auto it = rows.find(name);
  if (it == rows.end()) return Error(ErrorCode::NotFound, std::string("no ") + what + " " + quote(name));
  return it->second;
}
}  // namespace

Status MemoryStore::create_project(const ProjectRecord& p) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (!st.projects.emplace(p.name, p).second) return Error(ErrorCode::AlreadyExists, "project " + quote(p.name) + " already exists");
    return ok_status();
  });
}

Result<std::vector<ProjectRecord>> MemoryStore::projects() {
  return with_state(false, [](MemoryState& st) { return all_of(st.projects); });
}

Result<ProjectRecord> MemoryStore::project(const std::string& name) {
  return with_state(false, [&](MemoryState& st) { return one_of(st.projects, name, "project"); });
}

Status MemoryStore::delete_project(const std::string& name) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (!st.projects.count(name)) return Error(ErrorCode::NotFound, "no project " + quote(name));
    auto in_use = [&](const char* what) { return Error(ErrorCode::Conflict, "project " + quote(name) + " still has " + what + "; delete them first"); };
    for (const auto& [n, row] : st.instances)
      if (row.project == name) return in_use("servers");
    for (const auto& [n, net] : st.networks)
      if (net.project == name) return in_use("networks");
    for (const auto& [n, port] : st.ports)
      if (port.project == name) return in_use("ports");
    for (const auto& [n, t] : st.tokens)
      if (t.project == name) return in_use("tokens");
    st.projects.erase(name);
    st.quotas.erase(name);
    return ok_status();
  });
}

Status MemoryStore::set_quota(const std::string& project, const std::string& resource, std::optional<uint64_t> limit) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (!st.projects.count(project)) return std::move(Error(ErrorCode::NotFound, "no project " + quote(project)).within("project"));
    if (limit) st.quotas[project][resource] = *limit;
    else if (auto q = st.quotas.find(project); q != st.quotas.end()) q->second.erase(resource);
    return ok_status();
  });
}

Result<std::vector<QuotaUse>> MemoryStore::quotas(const std::string& project) {
  return with_state(false, [&](MemoryState& st) -> Result<std::vector<QuotaUse>> {
    if (!st.projects.count(project)) return Error(ErrorCode::NotFound, "no project " + quote(project));
    std::vector<QuotaUse> out;
    for (auto& [resource, use] : usage_of(st, project)) out.push_back(use);
    return out;
  });
}

Status MemoryStore::create_network(const NetworkRecord& n) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (st.networks.count(n.name)) return Error(ErrorCode::AlreadyExists, "network " + quote(n.name) + " already exists");
    if (!n.project.empty() && !st.projects.count(n.project))
      return std::move(Error(ErrorCode::NotFound, "no project " + quote(n.project)).within("project"));
    for (const auto& [name, other] : st.networks)
      if (other.physical_network == n.physical_network && other.type == n.type && other.segment == n.segment) {
        const std::string what = n.segment ? "VLAN " + std::to_string(*n.segment) : std::string("its untagged (flat) network");
        return Error(ErrorCode::Conflict, "physical network " + quote(n.physical_network) + " already has " + what + ": network " + quote(name));
      }
    st.networks[n.name] = n;
    return ok_status();
  });
}

Result<std::vector<NetworkRecord>> MemoryStore::networks() {
  return with_state(false, [](MemoryState& st) { return all_of(st.networks); });
}

Result<NetworkRecord> MemoryStore::network(const std::string& name) {
  return with_state(false, [&](MemoryState& st) { return one_of(st.networks, name, "network"); });
}

Status MemoryStore::delete_network(const std::string& name) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (!st.networks.count(name)) return Error(ErrorCode::NotFound, "no network " + quote(name));
    for (const auto& [n, port] : st.ports)
      if (port.network == name) return Error(ErrorCode::Conflict, "network " + quote(name) + " still has ports (" + quote(n) + "); delete them first");
    st.networks.erase(name);
    return ok_status();
  });
}

Status MemoryStore::create_port(const PortRecord& p) {
  return with_state(true, [&](MemoryState& st) -> Status {
    if (st.ports.count(p.name)) return Error(ErrorCode::AlreadyExists, "port " + quote(p.name) + " already exists");
    if (!p.project.empty() && !st.projects.count(p.project))
      return std::move(Error(ErrorCode::NotFound, "no project " + quote(p.project)).within("project"));
    if (!p.project.empty()) {
      const std::string resource = std::string("ports:") + to_string(p.vnic_type);
      auto use = usage_of(st, p.project);
      if (auto it = use.find(resource); it != use.end() && it->second.limit && it->second.used + 1 > *it->second.limit)
        return over_quota(p.project, resource, *it->second.limit, it->second.used, 1);
    }
    if (!st.networks.count(p.network)) return std::move(Error(ErrorCode::NotFound, "no network " + quote(p.network)).within("network"));
    for (const auto& [name, other] : st.ports)
      if (other.network == p.network && other.mac == p.mac)
        return std::move(Error(ErrorCode::Conflict, "MAC " + p.mac + " is port " + quote(name) + "'s on network " + quote(p.network))
                             .within("mac_address"));
    st.ports[p.name] = p;
    return ok_status();
  });
}

Result<std::vector<PortRecord>> MemoryStore::ports() {
  return with_state(false, [](MemoryState& st) { return all_of(st.ports); });
}

Result<PortRecord> MemoryStore::port(const std::string& name) {
  return with_state(false, [&](MemoryState& st) { return one_of(st.ports, name, "port"); });
}

Status MemoryStore::delete_port(const std::string& name) {
  return with_state(true, [&](MemoryState& st) -> Status {
    auto it = st.ports.find(name);
    if (it == st.ports.end()) return Error(ErrorCode::NotFound, "no port " + quote(name));
    if (!it->second.server.empty())
      return Error(ErrorCode::Conflict, "port " + quote(name) + " is bound to server " + quote(it->second.server) + "; delete the server first");
    st.ports.erase(it);
    return ok_status();
  });
}

}  // namespace pcipass
