// SqliteStore's projects, networks and ports (see tenant_store.h for the contract).
// Writes are transactions (savepoints inside a batch) whose checks name what is wrong;
// the schema's keys and unique indexes hold the same rules for any other writer.
#include <sqlite3.h>

#include "adapters/store_sqlite/sqlite_stmt.h"
#include "adapters/store_sqlite/sqlite_store.h"

namespace pcipass {

using sqlite::sql_error;
using sqlite::Stmt;
using sqlite::Transaction;

Result<bool> SqliteStore::row_exists(const char* sql, const std::string& key) {
  Stmt q(db_, cache_, sql);
  PCIPASS_SQL_OK(q, "lookup");
  q.bind(1, key);
  const int rc = q.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_error(db_, "lookup " + key);
  return rc == SQLITE_ROW;
}

// ---- projects ------------------------------------------------------------------------------

Status SqliteStore::create_project(const ProjectRecord& p) {
  Stmt ins(db_, cache_, "INSERT INTO projects (name, description) VALUES (?, ?)");
  PCIPASS_SQL_OK(ins, "create project");
  ins.bind(1, p.name).bind(2, p.description);
  if (ins.step() != SQLITE_DONE) {
    if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) return Error(ErrorCode::AlreadyExists, "project " + quote(p.name) + " already exists");
    return sql_error(db_, "create project " + p.name);
  }
  return ok_status();
}

Result<std::vector<ProjectRecord>> SqliteStore::load_projects(const std::string* only) {
  Stmt q(db_, cache_, only ? "SELECT name, description FROM projects WHERE name = ?" : "SELECT name, description FROM projects ORDER BY name");
  PCIPASS_SQL_OK(q, "projects");
  if (only) q.bind(1, *only);
  std::vector<ProjectRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back({q.text(0), q.text(1)});
  if (rc != SQLITE_DONE) return sql_error(db_, "projects");
  return out;
}

Result<std::vector<ProjectRecord>> SqliteStore::projects() { return load_projects(nullptr); }

Result<ProjectRecord> SqliteStore::project(const std::string& name) {
  auto found = load_projects(&name);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no project " + quote(name));
  return std::move(found->front());
}

Status SqliteStore::delete_project(const std::string& name) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "delete project: begin");
  auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", name);
  if (!there) return std::move(there).error();
  if (!*there) return Error(ErrorCode::NotFound, "no project " + quote(name));
  struct Use {
    const char* sql;
    const char* what;
  };
  for (const Use& use : {Use{"SELECT 1 FROM instances WHERE project = ?", "servers"}, Use{"SELECT 1 FROM networks WHERE project = ?", "networks"}, Use{"SELECT 1 FROM ports WHERE project = ?", "ports"},
                         Use{"SELECT 1 FROM tokens WHERE project = ?", "tokens"}}) {
    auto used = row_exists(use.sql, name);
    if (!used) return std::move(used).error();
    if (*used) return Error(ErrorCode::Conflict, "project " + quote(name) + " still has " + use.what + "; delete them first");
  }
  Stmt del(db_, cache_, "DELETE FROM projects WHERE name = ?");
  PCIPASS_SQL_OK(del, "delete project");
  del.bind(1, name);
  if (del.step() != SQLITE_DONE) return sql_error(db_, "delete project " + name);
  return tx.commit();
}

Status SqliteStore::set_quota(const std::string& project, const std::string& resource, std::optional<uint64_t> limit) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "set quota: begin");
  auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", project);
  if (!there) return std::move(there).error();
  if (!*there) return std::move(Error(ErrorCode::NotFound, "no project " + quote(project)).within("project"));
  if (limit) {
    Stmt up(db_, cache_, "INSERT INTO quotas (project, resource, quota) VALUES (?, ?, ?) ON CONFLICT (project, resource) DO UPDATE SET quota = excluded.quota");
    PCIPASS_SQL_OK(up, "set quota");
    up.bind(1, project).bind(2, resource).bind(3, static_cast<int64_t>(*limit));
    if (up.step() != SQLITE_DONE) return sql_error(db_, "set quota " + resource + " of " + project);
  } else {
    Stmt del(db_, cache_, "DELETE FROM quotas WHERE project = ? AND resource = ?");
    PCIPASS_SQL_OK(del, "set quota");
    del.bind(1, project).bind(2, resource);
    if (del.step() != SQLITE_DONE) return sql_error(db_, "unset quota " + resource + " of " + project);
  }
  return tx.commit();
}

Result<std::vector<QuotaUse>> SqliteStore::quotas(const std::string& project) {
  auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", project);
  if (!there) return std::move(there).error();
  if (!*there) return Error(ErrorCode::NotFound, "no project " + quote(project));
  Stmt q(db_, cache_, "SELECT r.resource, (SELECT quota FROM quotas WHERE project = ?1 AND resource = r.resource), "
                      "COALESCE((SELECT SUM(u.amount) FROM instance_usage u JOIN instances i ON i.id = u.instance "
                      "WHERE i.project = ?1 AND u.resource = r.resource), 0) + "
                      "(SELECT COUNT(*) FROM ports WHERE project = ?1 AND 'ports:' || vnic_type = r.resource) FROM ("
                      "SELECT resource FROM quotas WHERE project = ?1 UNION "
                      "SELECT u.resource FROM instance_usage u JOIN instances i ON i.id = u.instance WHERE i.project = ?1 UNION "
                      "SELECT 'ports:' || vnic_type FROM ports WHERE project = ?1) r ORDER BY r.resource");
  PCIPASS_SQL_OK(q, "quotas");
  q.bind(1, project);
  std::vector<QuotaUse> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back({q.text(0), q.optional<uint64_t>(1), static_cast<uint64_t>(q.integer(2))});
  if (rc != SQLITE_DONE) return sql_error(db_, "quotas of " + project);
  return out;
}

// ---- networks ------------------------------------------------------------------------------

Status SqliteStore::create_network(const NetworkRecord& n) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "create network: begin");
  auto taken = row_exists("SELECT 1 FROM networks WHERE name = ?", n.name);
  if (!taken) return std::move(taken).error();
  if (*taken) return Error(ErrorCode::AlreadyExists, "network " + quote(n.name) + " already exists");
  if (!n.project.empty()) {
    auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", n.project);
    if (!there) return std::move(there).error();
    if (!*there) return std::move(Error(ErrorCode::NotFound, "no project " + quote(n.project)).within("project"));
  }
  Stmt clash(db_, cache_, "SELECT name FROM networks WHERE physical_network = ? AND type = ? AND segment IS ?");
  PCIPASS_SQL_OK(clash, "create network");
  clash.bind(1, n.physical_network).bind(2, std::string(to_string(n.type))).bind(3, n.segment);
  if (const int rc = clash.step(); rc == SQLITE_ROW) {
    const std::string what = n.segment ? "VLAN " + std::to_string(*n.segment) : std::string("its untagged (flat) network");
    return Error(ErrorCode::Conflict, "physical network " + quote(n.physical_network) + " already has " + what + ": network " +
                                          quote(clash.text(0)));
  } else if (rc != SQLITE_DONE) {
    return sql_error(db_, "create network " + n.name);
  }
  Stmt ins(db_, cache_, "INSERT INTO networks (name, project, shared, type, physical_network, segment) VALUES (?, NULLIF(?, ''), ?, ?, ?, ?)");
  PCIPASS_SQL_OK(ins, "create network");
  ins.bind(1, n.name).bind(2, n.project).bind(3, int64_t{n.shared}).bind(4, std::string(to_string(n.type)));
  ins.bind(5, n.physical_network).bind(6, n.segment);
  if (ins.step() != SQLITE_DONE) return sql_error(db_, "create network " + n.name);
  return tx.commit();
}

Result<std::vector<NetworkRecord>> SqliteStore::load_networks(const std::string* only) {
  Stmt q(db_, cache_, only ? "SELECT name, COALESCE(project, ''), shared, type, physical_network, segment FROM networks WHERE name = ?"
                           : "SELECT name, COALESCE(project, ''), shared, type, physical_network, segment FROM networks ORDER BY name");
  PCIPASS_SQL_OK(q, "networks");
  if (only) q.bind(1, *only);
  std::vector<NetworkRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto type = parse_network_type(q.text(3));
    if (!type) return Error(ErrorCode::Internal, "network " + q.text(0) + " has unknown type " + quote(q.text(3)));
    out.push_back({q.text(0), q.text(1), q.integer(2) != 0, *type, q.text(4), q.optional<uint16_t>(5)});
  }
  if (rc != SQLITE_DONE) return sql_error(db_, "networks");
  return out;
}

Result<std::vector<NetworkRecord>> SqliteStore::networks() { return load_networks(nullptr); }

Result<NetworkRecord> SqliteStore::network(const std::string& name) {
  auto found = load_networks(&name);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no network " + quote(name));
  return std::move(found->front());
}

Status SqliteStore::delete_network(const std::string& name) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "delete network: begin");
  auto there = row_exists("SELECT 1 FROM networks WHERE name = ?", name);
  if (!there) return std::move(there).error();
  if (!*there) return Error(ErrorCode::NotFound, "no network " + quote(name));
  Stmt used(db_, cache_, "SELECT name FROM ports WHERE network = ? ORDER BY name LIMIT 1");
  PCIPASS_SQL_OK(used, "delete network");
  used.bind(1, name);
  if (const int rc = used.step(); rc == SQLITE_ROW)
    return Error(ErrorCode::Conflict, "network " + quote(name) + " still has ports (" + quote(used.text(0)) + "); delete them first");
  else if (rc != SQLITE_DONE)
    return sql_error(db_, "delete network " + name);
  Stmt del(db_, cache_, "DELETE FROM networks WHERE name = ?");
  PCIPASS_SQL_OK(del, "delete network");
  del.bind(1, name);
  if (del.step() != SQLITE_DONE) return sql_error(db_, "delete network " + name);
  return tx.commit();
}

// ---- ports ---------------------------------------------------------------------------------

Status SqliteStore::create_port(const PortRecord& p) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "create port: begin");
  auto taken = row_exists("SELECT 1 FROM ports WHERE name = ?", p.name);
  if (!taken) return std::move(taken).error();
  if (*taken) return Error(ErrorCode::AlreadyExists, "port " + quote(p.name) + " already exists");
  if (!p.project.empty()) {
    auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", p.project);
    if (!there) return std::move(there).error();
    if (!*there) return std::move(Error(ErrorCode::NotFound, "no project " + quote(p.project)).within("project"));
  }
  if (!p.project.empty()) {
    const std::string resource = std::string("ports:") + to_string(p.vnic_type);
    Stmt q(db_, cache_, "SELECT quota, (SELECT COUNT(*) FROM ports WHERE project = ?1 AND vnic_type = ?3) FROM quotas "
                        "WHERE project = ?1 AND resource = ?2");
    PCIPASS_SQL_OK(q, "create port");
    q.bind(1, p.project).bind(2, resource).bind(3, std::string(to_string(p.vnic_type)));
    if (const int rc = q.step(); rc == SQLITE_ROW) {
      if (q.integer(1) + 1 > q.integer(0))
        return over_quota(p.project, resource, static_cast<uint64_t>(q.integer(0)), static_cast<uint64_t>(q.integer(1)), 1);
    } else if (rc != SQLITE_DONE) {
      return sql_error(db_, "create port " + p.name);
    }
  }
  auto net = row_exists("SELECT 1 FROM networks WHERE name = ?", p.network);
  if (!net) return std::move(net).error();
  if (!*net) return std::move(Error(ErrorCode::NotFound, "no network " + quote(p.network)).within("network"));
  Stmt clash(db_, cache_, "SELECT name FROM ports WHERE network = ? AND mac = ?");
  PCIPASS_SQL_OK(clash, "create port");
  clash.bind(1, p.network).bind(2, p.mac);
  if (const int rc = clash.step(); rc == SQLITE_ROW)
    return std::move(Error(ErrorCode::Conflict, "MAC " + p.mac + " is port " + quote(clash.text(0)) + "'s on network " + quote(p.network))
                         .within("mac_address"));
  else if (rc != SQLITE_DONE)
    return sql_error(db_, "create port " + p.name);
  Stmt ins(db_, cache_, "INSERT INTO ports (name, project, network, vnic_type, mac) VALUES (?, NULLIF(?, ''), ?, ?, ?)");
  PCIPASS_SQL_OK(ins, "create port");
  ins.bind(1, p.name).bind(2, p.project).bind(3, p.network).bind(4, std::string(to_string(p.vnic_type))).bind(5, p.mac);
  if (ins.step() != SQLITE_DONE) return sql_error(db_, "create port " + p.name);
  return tx.commit();
}

Result<std::vector<PortRecord>> SqliteStore::load_ports(const std::string* only) {
  Stmt q(db_, cache_, only ? "SELECT name, COALESCE(project, ''), network, vnic_type, mac, COALESCE(server, ''), request FROM ports WHERE name = ?"
                           : "SELECT name, COALESCE(project, ''), network, vnic_type, mac, COALESCE(server, ''), request FROM ports ORDER BY name");
  PCIPASS_SQL_OK(q, "ports");
  if (only) q.bind(1, *only);
  std::vector<PortRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto vnic = parse_vnic_type(q.text(3));
    if (!vnic) return Error(ErrorCode::Internal, "port " + q.text(0) + " has unknown vnic type " + quote(q.text(3)));
    PortRecord r{q.text(0), q.text(1), q.text(2), *vnic, q.text(4), q.text(5)};
    if (!r.server.empty()) r.request = q.optional<uint32_t>(6);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sql_error(db_, "ports");
  return out;
}

Result<std::vector<PortRecord>> SqliteStore::ports() { return load_ports(nullptr); }

Result<PortRecord> SqliteStore::port(const std::string& name) {
  auto found = load_ports(&name);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no port " + quote(name));
  return std::move(found->front());
}

Status SqliteStore::delete_port(const std::string& name) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "delete port: begin");
  Stmt holder(db_, cache_, "SELECT COALESCE(server, '') FROM ports WHERE name = ?");
  PCIPASS_SQL_OK(holder, "delete port");
  holder.bind(1, name);
  if (const int rc = holder.step(); rc == SQLITE_DONE) return Error(ErrorCode::NotFound, "no port " + quote(name));
  else if (rc != SQLITE_ROW) return sql_error(db_, "delete port " + name);
  if (!holder.text(0).empty())
    return Error(ErrorCode::Conflict, "port " + quote(name) + " is bound to server " + quote(holder.text(0)) + "; delete the server first");
  Stmt del(db_, cache_, "DELETE FROM ports WHERE name = ?");
  PCIPASS_SQL_OK(del, "delete port");
  del.bind(1, name);
  if (del.step() != SQLITE_DONE) return sql_error(db_, "delete port " + name);
  return tx.commit();
}

}  // namespace pcipass
