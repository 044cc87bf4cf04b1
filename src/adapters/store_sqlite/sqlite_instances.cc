// SqliteStore's instances: claims (guarded by the host's generation), releases, their
// lifecycle state, and the reads of them (see state_store.h for the contract).
#include <sqlite3.h>

#include <map>

#include "adapters/store_sqlite/sqlite_stmt.h"
#include "adapters/store_sqlite/sqlite_store.h"

namespace pcipass {

using sqlite::sql_error;
using sqlite::Stmt;
using sqlite::Transaction;

Result<uint64_t> SqliteStore::claim(const InstanceRecordRow& in, uint64_t expected_generation) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "claim: begin");
  if (in.flavor_revision != 0) {
    Stmt rev(db_, cache_, "SELECT revision FROM flavors WHERE name = ?");
    PCIPASS_SQL_OK(rev, "claim");
    rev.bind(1, in.flavor);
    const int step = rev.step();
    if (step != SQLITE_ROW && step != SQLITE_DONE) return sql_error(db_, "claim " + in.id);
    if (step == SQLITE_DONE) return Error(ErrorCode::FlavorChanged, "flavor " + quote(in.flavor) + " is gone");
    if (static_cast<uint64_t>(rev.integer(0)) != in.flavor_revision)
      return Error(ErrorCode::FlavorChanged, "flavor " + quote(in.flavor) + " is at revision " +
                                            std::to_string(rev.integer(0)) + ", the plan used " + std::to_string(in.flavor_revision));
  }
  if (!in.project.empty())
    if (auto st = check_quotas(in); !st) return std::move(st).error();
  Stmt bump(db_, cache_, "UPDATE hosts SET generation = generation + 1 WHERE name = ? AND generation = ?");
  PCIPASS_SQL_OK(bump, "claim");
  bump.bind(1, in.host).bind(2, static_cast<int64_t>(expected_generation));
  if (bump.step() != SQLITE_DONE) return sql_error(db_, "claim on " + in.host);
  if (sqlite3_changes(db_) == 0) {
    auto h = host(in.host);
    if (!h) return std::move(h).error();
    return Error(ErrorCode::HostMoved, "host " + in.host + " changed since the plan (generation " + std::to_string(h->generation) +
                                          ", planned on " + std::to_string(expected_generation) + "); plan again");
  }
  Stmt inst(db_, cache_, "INSERT INTO instances (id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, project, "
                 "image, key_name, disk_gb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?)");
  PCIPASS_SQL_OK(inst, "claim");
  inst.bind(1, in.id).bind(2, in.host).bind(3, in.flavor).bind(4, int64_t{in.vcpus}).bind(5, static_cast<int64_t>(in.memory_mb));
  inst.bind(6, std::string(to_string(in.state.status))).bind(7, in.state.step).bind(8, in.state.message).bind(9, in.base_domain);
  inst.bind(10, in.project).bind(11, in.image).bind(12, in.key_name).bind(13, static_cast<int64_t>(in.disk_gb));
  if (inst.step() != SQLITE_DONE) {
    if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) return Error(ErrorCode::AlreadyExists, "server " + quote(in.id) + " already exists");
    return sql_error(db_, "claim " + in.id);
  }
  Stmt spec(db_, cache_, "INSERT INTO instance_extra_specs (instance, position, key, value) VALUES (?, ?, ?, ?)");
  PCIPASS_SQL_OK(spec, "claim");
  for (size_t i = 0; i < in.extra_specs.size(); ++i) {
    spec.bind(1, in.id).bind(2, static_cast<int64_t>(i)).bind(3, in.extra_specs[i].first).bind(4, in.extra_specs[i].second);
    if (spec.step() != SQLITE_DONE) return sql_error(db_, "claim " + in.id);
    spec.reset();
  }
  Stmt cell(db_, cache_, "INSERT INTO instance_cells (instance, position, cell, vcpus, memory_mb) VALUES (?, ?, ?, ?, ?)");
  PCIPASS_SQL_OK(cell, "claim");
  for (size_t i = 0; i < in.cells.size(); ++i) {
    cell.bind(1, in.id).bind(2, static_cast<int64_t>(i)).bind(3, int64_t{in.cells[i].first});
    cell.bind(4, int64_t{in.cells[i].second.first}).bind(5, static_cast<int64_t>(in.cells[i].second.second));
    if (cell.step() != SQLITE_DONE) return sql_error(db_, "claim " + in.id);
    cell.reset();
  }
  Stmt alloc(db_, cache_, "INSERT INTO allocations (host, address, instance, request) VALUES (?, ?, ?, ?)");
  PCIPASS_SQL_OK(alloc, "claim");
  for (const auto& a : in.devices) {
    if (a.host != in.host) return Error(ErrorCode::InvalidArgument, "device " + a.address.to_string() + " is not on " + in.host);
    alloc.bind(1, in.host).bind(2, a.address.to_string()).bind(3, in.id).bind(4, int64_t{a.request});
    if (alloc.step() != SQLITE_DONE) {
      if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) {
        alloc.reset();
        Stmt who(db_, cache_, "SELECT instance FROM allocations WHERE host = ? AND address = ?");
        PCIPASS_SQL_OK(who, "claim");
        who.bind(1, in.host).bind(2, a.address.to_string());
        const std::string holder = who.step() == SQLITE_ROW ? who.text(0) : std::string("another request of this server");
        return Error(ErrorCode::DeviceHeld, in.host + " " + a.address.to_string() + " is already held by " + holder);
      }
      return sql_error(db_, "claim " + in.id);
    }
    alloc.reset();
  }
  if (!in.ports.empty())
    if (auto st = bind_ports(in); !st) return std::move(st).error();
  if (!in.usage.empty())
    if (auto st = record_usage(in); !st) return std::move(st).error();
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return expected_generation + 1;
}

Status SqliteStore::record_usage(const InstanceRecordRow& in) {
  Stmt use(db_, cache_, "INSERT INTO instance_usage (instance, resource, amount) VALUES (?, ?, ?)");
  PCIPASS_SQL_OK(use, "claim");
  for (const auto& [resource, amount] : in.usage) {
    use.bind(1, in.id).bind(2, resource).bind(3, static_cast<int64_t>(amount));
    if (use.step() != SQLITE_DONE) return sql_error(db_, "claim " + in.id + ": usage " + resource);
    use.reset();
  }
  return ok_status();
}

Status SqliteStore::check_quotas(const InstanceRecordRow& in) {
  auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", in.project);
  if (!there) return std::move(there).error();
  if (!*there) return std::move(Error(ErrorCode::NotFound, "no project " + quote(in.project)).within("project"));
  if (in.usage.empty()) return ok_status();
  Stmt q(db_, cache_, "SELECT q.resource, q.quota, COALESCE((SELECT SUM(u.amount) FROM instance_usage u JOIN instances i ON i.id = u.instance "
                      "WHERE i.project = q.project AND u.resource = q.resource), 0) FROM quotas q WHERE q.project = ? ORDER BY q.resource");
  PCIPASS_SQL_OK(q, "claim");
  q.bind(1, in.project);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    const std::string resource = q.text(0);
    for (const auto& [r, asked] : in.usage)
      if (r == resource && asked > 0 && static_cast<uint64_t>(q.integer(2)) + asked > static_cast<uint64_t>(q.integer(1)))
        return over_quota(in.project, resource, static_cast<uint64_t>(q.integer(1)), static_cast<uint64_t>(q.integer(2)), asked);
  }
  if (rc != SQLITE_DONE) return sql_error(db_, "claim " + in.id + ": quotas");
  return ok_status();
}

Status SqliteStore::bind_ports(const InstanceRecordRow& in) {
  Stmt bind(db_, cache_, "UPDATE ports SET server = ?, request = ? WHERE name = ? AND server IS NULL");
  PCIPASS_SQL_OK(bind, "claim");
  for (const auto& [port, request] : in.ports) {
    bind.bind(1, in.id).bind(2, int64_t{request}).bind(3, port);
    if (bind.step() != SQLITE_DONE) return sql_error(db_, "claim " + in.id + ": port " + port);
    bind.reset();
    if (sqlite3_changes(db_) == 1) continue;
    Stmt holder(db_, cache_, "SELECT server FROM ports WHERE name = ?");
    PCIPASS_SQL_OK(holder, "claim");
    holder.bind(1, port);
    if (holder.step() != SQLITE_ROW) return std::move(Error(ErrorCode::NotFound, "no port " + quote(port)).within("ports"));
    return std::move(Error(ErrorCode::Conflict, "port " + quote(port) + " is bound to server " + quote(holder.text(0))).within("ports"));
  }
  return ok_status();
}

Status SqliteStore::release(const std::string& id) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "release: begin");
  Stmt find(db_, cache_, "SELECT host FROM instances WHERE id = ?");
  PCIPASS_SQL_OK(find, "release");
  find.bind(1, id);
  if (find.step() != SQLITE_ROW) return Error(ErrorCode::NotFound, "no server " + quote(id));
  const std::string host_name = find.text(0);
  Stmt gone(db_, cache_, "DELETE FROM devices WHERE vanished = 1 AND host = ? AND address IN "
                 "(SELECT address FROM allocations WHERE instance = ? AND host = ?)");
  PCIPASS_SQL_OK(gone, "release");
  gone.bind(1, host_name).bind(2, id).bind(3, host_name);
  if (gone.step() != SQLITE_DONE) return sql_error(db_, "release " + id);
  Stmt del(db_, cache_, "DELETE FROM instances WHERE id = ?");
  PCIPASS_SQL_OK(del, "release");
  del.bind(1, id);
  if (del.step() != SQLITE_DONE) return sql_error(db_, "release " + id);
  Stmt bump(db_, cache_, "UPDATE hosts SET generation = generation + 1 WHERE name = ?");
  PCIPASS_SQL_OK(bump, "release");
  bump.bind(1, host_name);
  if (bump.step() != SQLITE_DONE) return sql_error(db_, "release " + id);
  return tx.commit();
}

Result<uint64_t> SqliteStore::set_server_state(const std::string& id, const ServerState& state) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "server state: begin");
  Stmt up(db_, cache_, "UPDATE instances SET status = ?, status_step = ?, status_message = ? WHERE id = ?");
  PCIPASS_SQL_OK(up, "server state");
  up.bind(1, std::string(to_string(state.status))).bind(2, state.step).bind(3, state.message).bind(4, id);
  if (up.step() != SQLITE_DONE) return sql_error(db_, "server state " + id);
  if (sqlite3_changes(db_) == 0) return Error(ErrorCode::NotFound, "no server " + quote(id));
  Stmt bump(db_, cache_, "UPDATE hosts SET generation = generation + 1 WHERE name = (SELECT host FROM instances WHERE id = ?) "
                  "RETURNING generation");
  PCIPASS_SQL_OK(bump, "server state");
  bump.bind(1, id);
  if (bump.step() != SQLITE_ROW) return sql_error(db_, "server state " + id + ": its host");
  const auto generation = static_cast<uint64_t>(bump.integer(0));
  if (bump.step() != SQLITE_DONE) return sql_error(db_, "server state " + id);
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<std::vector<InstanceRecordRow>> SqliteStore::instances() { return load_instances(nullptr); }
Result<std::vector<InstanceRecordRow>> SqliteStore::instances_on(const std::string& host) { return load_instances(&host); }
Result<InstanceRecordRow> SqliteStore::instance(const std::string& id) {
  auto all = load_instances(nullptr, &id);
  if (!all) return std::move(all).error();
  if (all->empty()) return Error(ErrorCode::NotFound, "no server " + quote(id));
  return std::move(all->front());
}

namespace {
// The instance reads, for every instance, those on a host, or one by id. The SQL texts
// are literals: the statement cache keys on their address.
struct InstanceQueries {
  const char* instances;
  const char* cells;
  const char* specs;
  const char* allocations;
};
constexpr InstanceQueries kAllInstances{
    "SELECT id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, COALESCE(project, ''), image, key_name, disk_gb FROM instances ORDER BY id",
    "SELECT instance, cell, vcpus, memory_mb FROM instance_cells ORDER BY instance, position",
    "SELECT instance, key, value FROM instance_extra_specs ORDER BY instance, position",
    "SELECT host, address, instance, request FROM allocations ORDER BY instance, host, address"};
constexpr InstanceQueries kInstancesOnHost{
    "SELECT id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, COALESCE(project, ''), image, key_name, disk_gb FROM instances WHERE host = ? ORDER BY id",
    "SELECT c.instance, c.cell, c.vcpus, c.memory_mb FROM instance_cells c JOIN instances i ON i.id = c.instance "
    "WHERE i.host = ? ORDER BY c.instance, c.position",
    "SELECT e.instance, e.key, e.value FROM instance_extra_specs e JOIN instances i ON i.id = e.instance "
    "WHERE i.host = ? ORDER BY e.instance, e.position",
    "SELECT host, address, instance, request FROM allocations WHERE host = ? ORDER BY instance, address"};
constexpr InstanceQueries kOneInstance{
    "SELECT id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, COALESCE(project, ''), image, key_name, disk_gb FROM instances WHERE id = ?",
    "SELECT instance, cell, vcpus, memory_mb FROM instance_cells WHERE instance = ? ORDER BY position",
    "SELECT instance, key, value FROM instance_extra_specs WHERE instance = ? ORDER BY position",
    "SELECT host, address, instance, request FROM allocations WHERE instance = ? ORDER BY host, address"};
}  // namespace

Result<std::vector<InstanceRecordRow>> SqliteStore::load_instances(const std::string* host, const std::string* id) {
  const InstanceQueries& q = id ? kOneInstance : host ? kInstancesOnHost : kAllInstances;
  const std::string* key = id ? id : host;
  std::vector<InstanceRecordRow> out;
  std::map<std::string, size_t> index;
  Stmt is(db_, cache_, q.instances);
  PCIPASS_SQL_OK(is, "instances");
  if (key) is.bind(1, *key);
  while (is.step() == SQLITE_ROW) {
    InstanceRecordRow r;
    r.id = is.text(0);
    r.host = is.text(1);
    r.flavor = is.text(2);
    r.vcpus = static_cast<uint32_t>(is.integer(3));
    r.memory_mb = static_cast<uint64_t>(is.integer(4));
    // A status this build does not know (a newer pcipass wrote it): taken as placed.
    r.state.status = parse_server_status(is.text(5)).value_or(ServerStatus::Placed);
    r.state.step = is.text(6);
    r.state.message = is.text(7);
    r.base_domain = is.text(8);
    r.project = is.text(9);
    r.image = is.text(10);
    r.key_name = is.text(11);
    r.disk_gb = static_cast<uint64_t>(is.integer(12));
    index[r.id] = out.size();
    out.push_back(std::move(r));
  }
  Stmt cs(db_, cache_, q.cells);
  PCIPASS_SQL_OK(cs, "instances");
  if (key) cs.bind(1, *key);
  while (cs.step() == SQLITE_ROW)
    if (auto it = index.find(cs.text(0)); it != index.end())
      out[it->second].cells.push_back({static_cast<uint32_t>(cs.integer(1)),
                                       {static_cast<uint32_t>(cs.integer(2)), static_cast<uint64_t>(cs.integer(3))}});
  Stmt es(db_, cache_, q.specs);
  PCIPASS_SQL_OK(es, "instances");
  if (key) es.bind(1, *key);
  while (es.step() == SQLITE_ROW)
    if (auto it = index.find(es.text(0)); it != index.end()) out[it->second].extra_specs.emplace_back(es.text(1), es.text(2));
  Stmt as(db_, cache_, q.allocations);
  PCIPASS_SQL_OK(as, "instances");
  if (key) as.bind(1, *key);
  while (as.step() == SQLITE_ROW) {
    auto it = index.find(as.text(2));
    auto address = PciAddress::parse(as.text(1));
    if (it == index.end() || !address) continue;
    out[it->second].devices.push_back({as.text(0), *address, as.text(2), static_cast<uint32_t>(as.integer(3))});
  }
  return out;
}

}  // namespace pcipass
