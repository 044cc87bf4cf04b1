// PgStore's projects, networks and ports (see tenant_store.h for the contract). Each
// write is one transaction whose checks name what is wrong; the rows it depends on are
// locked (FOR SHARE) until it commits, and the schema's keys and unique indexes refuse
// what another controller wrote in the meantime.
#include "adapters/store_postgres/pg_session.h"
#include "adapters/store_postgres/pg_store.h"
#include "core/config_value.h"

namespace pcipass {

using namespace pg;

namespace {

// An insert the schema refused although the checks before it passed: another
// controller wrote a clashing row in between.
Error raced(Error e, const std::string& what) {
  if (e.code() != ErrorCode::Conflict) return e;
  return Error(ErrorCode::Conflict, what + " clashes with a row another controller wrote at the same moment; look again and retry");
}

// NotFound (within `field`) unless `sql` ($1 = key) returns a row.
Status must_exist(PgSession& s, const char* sql, const std::string& key, const char* noun, const char* field, const std::string& what) {
  auto r = run(s, sql, {key}, what);
  if (!r) return std::move(r).error();
  if (r->rows() == 0) return std::move(Error(ErrorCode::NotFound, std::string("no ") + noun + " " + quote(key)).within(field));
  return ok_status();
}

}  // namespace

// ---- projects ------------------------------------------------------------------------------

Status PgStore::create_project(const ProjectRecord& p) {
  if (auto st = enter(); !st) return st;
  Transaction tx(*session_, session_->batch);
  auto r = run(*session_, "INSERT INTO projects (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", {p.name, p.description},
               "create project " + p.name);
  if (!r) return std::move(r).error();
  if (r->affected() == 0) return Error(ErrorCode::AlreadyExists, "project " + quote(p.name) + " already exists");
  return tx.commit();
}

Result<std::vector<ProjectRecord>> PgStore::projects() {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, description FROM projects ORDER BY name", {}, "projects");
  if (!q) return std::move(q).error();
  std::vector<ProjectRecord> out;
  for (int i = 0; i < q->rows(); ++i) out.push_back({q->text(i, 0), q->text(i, 1)});
  return out;
}

Result<ProjectRecord> PgStore::project(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, description FROM projects WHERE name = $1", {name}, "project " + name);
  if (!q) return std::move(q).error();
  if (q->rows() == 0) return Error(ErrorCode::NotFound, "no project " + quote(name));
  return ProjectRecord{q->text(0, 0), q->text(0, 1)};
}

Status PgStore::delete_project(const std::string& name) {
  if (auto st = enter(); !st) return st;
  const std::string what = "delete project " + name;
  Transaction tx(*session_, session_->batch);
  auto locked = run(*session_, "SELECT 1 FROM projects WHERE name = $1 FOR UPDATE", {name}, what);
  if (!locked) return std::move(locked).error();
  if (locked->rows() == 0) return Error(ErrorCode::NotFound, "no project " + quote(name));
  auto uses = run(*session_,
                  "SELECT EXISTS (SELECT 1 FROM instances WHERE project = $1), EXISTS (SELECT 1 FROM networks WHERE project = $1), "
                  "EXISTS (SELECT 1 FROM ports WHERE project = $1), EXISTS (SELECT 1 FROM tokens WHERE project = $1)",
                  {name}, what);
  if (!uses) return std::move(uses).error();
  const char* kinds[] = {"servers", "networks", "ports", "tokens"};
  for (int c = 0; c < 4; ++c)
    if (uses->boolean(0, c)) return Error(ErrorCode::Conflict, "project " + quote(name) + " still has " + kinds[c] + "; delete them first");
  auto del = run(*session_, "DELETE FROM projects WHERE name = $1", {name}, what);
  if (!del) return raced(std::move(del).error(), "deleting project " + quote(name));
  return tx.commit();
}

Status PgStore::set_quota(const std::string& project, const std::string& resource, std::optional<uint64_t> limit) {
  if (auto st = enter(); !st) return st;
  const std::string what = "set quota " + resource + " of " + project;
  Transaction tx(*session_, session_->batch);
  if (auto st = must_exist(*session_, "SELECT 1 FROM projects WHERE name = $1 FOR SHARE", project, "project", "project", what); !st) return st;
  auto r = limit ? run(*session_,
                       "INSERT INTO quotas (project, resource, quota) VALUES ($1, $2, $3::bigint) "
                       "ON CONFLICT (project, resource) DO UPDATE SET quota = excluded.quota",
                       {project, resource, num(*limit)}, what)
                 : run(*session_, "DELETE FROM quotas WHERE project = $1 AND resource = $2", {project, resource}, what);
  if (!r) return std::move(r).error();
  return tx.commit();
}

Result<std::vector<QuotaUse>> PgStore::quotas(const std::string& project) {
  if (auto st = enter(); !st) return std::move(st).error();
  const std::string what = "quotas of " + project;
  if (auto st = must_exist(*session_, "SELECT 1 FROM projects WHERE name = $1", project, "project", "project", what); !st)
    return std::move(st).error();
  auto q = run(*session_,
               "SELECT r.resource, (SELECT quota FROM quotas WHERE project = $1 AND resource = r.resource), "
               "COALESCE((SELECT SUM(u.amount) FROM instance_usage u JOIN instances i ON i.id = u.instance "
               "WHERE i.project = $1 AND u.resource = r.resource), 0) + "
               "(SELECT COUNT(*) FROM ports WHERE project = $1 AND 'ports:' || vnic_type = r.resource) FROM ("
               "SELECT resource FROM quotas WHERE project = $1 UNION "
               "SELECT u.resource FROM instance_usage u JOIN instances i ON i.id = u.instance WHERE i.project = $1 UNION "
               "SELECT 'ports:' || vnic_type FROM ports WHERE project = $1) r ORDER BY r.resource",
               {project}, what);
  if (!q) return std::move(q).error();
  std::vector<QuotaUse> out;
  for (int i = 0; i < q->rows(); ++i) out.push_back({q->text(i, 0), q->optional<uint64_t>(i, 1), static_cast<uint64_t>(q->integer(i, 2))});
  return out;
}

// ---- networks ------------------------------------------------------------------------------

namespace {
Result<std::vector<NetworkRecord>> network_rows(const PgResult& q) {
  std::vector<NetworkRecord> out;
  for (int i = 0; i < q.rows(); ++i) {
    auto type = parse_network_type(q.text(i, 3));
    if (!type) return Error(ErrorCode::Internal, "network " + q.text(i, 0) + " has unknown type " + quote(q.text(i, 3)));
    out.push_back({q.text(i, 0), q.text(i, 1), q.boolean(i, 2), *type, q.text(i, 4), q.optional<uint16_t>(i, 5)});
  }
  return out;
}
}  // namespace

Status PgStore::create_network(const NetworkRecord& n) {
  if (auto st = enter(); !st) return st;
  const std::string what = "create network " + n.name;
  Transaction tx(*session_, session_->batch);
  auto taken = run(*session_, "SELECT 1 FROM networks WHERE name = $1", {n.name}, what);
  if (!taken) return std::move(taken).error();
  if (taken->rows() > 0) return Error(ErrorCode::AlreadyExists, "network " + quote(n.name) + " already exists");
  if (!n.project.empty())
    if (auto st = must_exist(*session_, "SELECT 1 FROM projects WHERE name = $1 FOR SHARE", n.project, "project", "project", what); !st) return st;
  auto clash = run(*session_, "SELECT name FROM networks WHERE physical_network = $1 AND type = $2 AND segment IS NOT DISTINCT FROM $3::integer",
                   {n.physical_network, std::string(to_string(n.type)), num(n.segment)}, what);
  if (!clash) return std::move(clash).error();
  if (clash->rows() > 0) {
    const std::string used = n.segment ? "VLAN " + std::to_string(*n.segment) : std::string("its untagged (flat) network");
    return Error(ErrorCode::Conflict, "physical network " + quote(n.physical_network) + " already has " + used + ": network " +
                                          quote(clash->text(0, 0)));
  }
  auto ins = run(*session_,
                 "INSERT INTO networks (name, project, shared, type, physical_network, segment) "
                 "VALUES ($1, NULLIF($2, ''), $3::boolean, $4, $5, $6::integer)",
                 {n.name, n.project, std::string(n.shared ? "true" : "false"), std::string(to_string(n.type)), n.physical_network, num(n.segment)},
                 what);
  if (!ins) return raced(std::move(ins).error(), "network " + quote(n.name));
  return tx.commit();
}

Result<std::vector<NetworkRecord>> PgStore::networks() {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, COALESCE(project, ''), shared, type, physical_network, segment FROM networks ORDER BY name", {}, "networks");
  if (!q) return std::move(q).error();
  return network_rows(*q);
}

Result<NetworkRecord> PgStore::network(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, COALESCE(project, ''), shared, type, physical_network, segment FROM networks WHERE name = $1", {name},
               "network " + name);
  if (!q) return std::move(q).error();
  auto rows = network_rows(*q);
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return Error(ErrorCode::NotFound, "no network " + quote(name));
  return std::move(rows->front());
}

Status PgStore::delete_network(const std::string& name) {
  if (auto st = enter(); !st) return st;
  const std::string what = "delete network " + name;
  Transaction tx(*session_, session_->batch);
  auto locked = run(*session_, "SELECT 1 FROM networks WHERE name = $1 FOR UPDATE", {name}, what);
  if (!locked) return std::move(locked).error();
  if (locked->rows() == 0) return Error(ErrorCode::NotFound, "no network " + quote(name));
  auto used = run(*session_, "SELECT name FROM ports WHERE network = $1 ORDER BY name LIMIT 1", {name}, what);
  if (!used) return std::move(used).error();
  if (used->rows() > 0)
    return Error(ErrorCode::Conflict, "network " + quote(name) + " still has ports (" + quote(used->text(0, 0)) + "); delete them first");
  auto del = run(*session_, "DELETE FROM networks WHERE name = $1", {name}, what);
  if (!del) return raced(std::move(del).error(), "deleting network " + quote(name));
  return tx.commit();
}

// ---- ports ---------------------------------------------------------------------------------

namespace {
Result<std::vector<PortRecord>> port_rows(const PgResult& q) {
  std::vector<PortRecord> out;
  for (int i = 0; i < q.rows(); ++i) {
    auto vnic = parse_vnic_type(q.text(i, 3));
    if (!vnic) return Error(ErrorCode::Internal, "port " + q.text(i, 0) + " has unknown vnic type " + quote(q.text(i, 3)));
    PortRecord r{q.text(i, 0), q.text(i, 1), q.text(i, 2), *vnic, q.text(i, 4), q.text(i, 5)};
    if (!r.server.empty()) r.request = q.optional<uint32_t>(i, 6);
    out.push_back(std::move(r));
  }
  return out;
}
}  // namespace

Status PgStore::create_port(const PortRecord& p) {
  if (auto st = enter(); !st) return st;
  const std::string what = "create port " + p.name;
  Transaction tx(*session_, session_->batch);
  auto taken = run(*session_, "SELECT 1 FROM ports WHERE name = $1", {p.name}, what);
  if (!taken) return std::move(taken).error();
  if (taken->rows() > 0) return Error(ErrorCode::AlreadyExists, "port " + quote(p.name) + " already exists");
  if (!p.project.empty()) {
    // FOR UPDATE: the project's port creations take turns, so its port quota holds.
    if (auto st = must_exist(*session_, "SELECT 1 FROM projects WHERE name = $1 FOR UPDATE", p.project, "project", "project", what); !st) return st;
    const std::string resource = std::string("ports:") + to_string(p.vnic_type);
    auto q = run(*session_,
                 "SELECT quota, (SELECT COUNT(*) FROM ports WHERE project = $1 AND vnic_type = $3) FROM quotas WHERE project = $1 AND resource = $2",
                 {p.project, resource, std::string(to_string(p.vnic_type))}, what);
    if (!q) return std::move(q).error();
    if (q->rows() > 0 && q->integer(0, 1) + 1 > q->integer(0, 0))
      return over_quota(p.project, resource, static_cast<uint64_t>(q->integer(0, 0)), static_cast<uint64_t>(q->integer(0, 1)), 1);
  }
  if (auto st = must_exist(*session_, "SELECT 1 FROM networks WHERE name = $1 FOR SHARE", p.network, "network", "network", what); !st) return st;
  auto clash = run(*session_, "SELECT name FROM ports WHERE network = $1 AND mac = $2", {p.network, p.mac}, what);
  if (!clash) return std::move(clash).error();
  if (clash->rows() > 0)
    return std::move(Error(ErrorCode::Conflict, "MAC " + p.mac + " is port " + quote(clash->text(0, 0)) + "'s on network " + quote(p.network))
                         .within("mac_address"));
  auto ins = run(*session_, "INSERT INTO ports (name, project, network, vnic_type, mac) VALUES ($1, NULLIF($2, ''), $3, $4, $5)",
                 {p.name, p.project, p.network, std::string(to_string(p.vnic_type)), p.mac}, what);
  if (!ins) return raced(std::move(ins).error(), "port " + quote(p.name));
  return tx.commit();
}

Result<std::vector<PortRecord>> PgStore::ports() {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, COALESCE(project, ''), network, vnic_type, mac, COALESCE(server, ''), request FROM ports ORDER BY name", {}, "ports");
  if (!q) return std::move(q).error();
  return port_rows(*q);
}

Result<PortRecord> PgStore::port(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, COALESCE(project, ''), network, vnic_type, mac, COALESCE(server, ''), request FROM ports WHERE name = $1", {name}, "port " + name);
  if (!q) return std::move(q).error();
  auto rows = port_rows(*q);
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return Error(ErrorCode::NotFound, "no port " + quote(name));
  return std::move(rows->front());
}

Status PgStore::delete_port(const std::string& name) {
  if (auto st = enter(); !st) return st;
  const std::string what = "delete port " + name;
  Transaction tx(*session_, session_->batch);
  auto holder = run(*session_, "SELECT COALESCE(server, '') FROM ports WHERE name = $1 FOR UPDATE", {name}, what);
  if (!holder) return std::move(holder).error();
  if (holder->rows() == 0) return Error(ErrorCode::NotFound, "no port " + quote(name));
  if (!holder->text(0, 0).empty())
    return Error(ErrorCode::Conflict, "port " + quote(name) + " is bound to server " + quote(holder->text(0, 0)) + "; delete the server first");
  auto r = run(*session_, "DELETE FROM ports WHERE name = $1", {name}, what);
  if (!r) return std::move(r).error();
  return tx.commit();
}

}  // namespace pcipass
