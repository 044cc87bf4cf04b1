#include "adapters/store_sqlite/sqlite_store.h"

#include "core/host_report.h"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "adapters/embedded_sql.h"
#include "adapters/immediate_batch.h"
#include "adapters/store_sqlite/sqlite_stmt.h"

namespace pcipass {

using sqlite::sql_error;
using sqlite::Stmt;
using sqlite::Transaction;

// migrations/NNNN_*.sql, embedded at build time.
extern const EmbeddedSql kSqliteMigrations[];
extern const size_t kSqliteMigrations_count;

int SqliteStore::latest_version() { return static_cast<int>(kSqliteMigrations_count); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Error e(ErrorCode::Unavailable, "cannot open SQLite database " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));
  sqlite3_busy_timeout(db, 10000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"})
    if (auto st = store->exec(pragma); !st) return std::move(std::move(st).error().within(path));
  return store;
}

Result<std::unique_ptr<WriteBatch>> SqliteStore::begin_batch() {
  if (batch_) return Error(ErrorCode::Internal, "a batch is already open");
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return std::move(st).error();
  batch_ = true;
  return std::unique_ptr<WriteBatch>(new ImmediateBatch<SqliteStore>(*this));
}

Status SqliteStore::end_batch(bool commit) {
  if (!batch_) return ok_status();
  batch_ = false;
  if (!commit) {
    (void)exec("ROLLBACK");
    return ok_status();
  }
  auto st = exec("COMMIT");
  if (!st) (void)exec("ROLLBACK");
  return st;
}

Status SqliteStore::set_auto_checkpoint(bool on) { return exec(on ? "PRAGMA wal_autocheckpoint=1000" : "PRAGMA wal_autocheckpoint=0"); }

Status SqliteStore::checkpoint() {
  int log = 0, done = 0;
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK) return sql_error(db_, "checkpoint " + path_);
  return ok_status();
}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteStore::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e = sql_error(db_, "SQL");
    sqlite3_free(msg);
    return e;
  }
  return ok_status();
}

Result<int> SqliteStore::schema_version() {
  Stmt has(db_, cache_, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'");
  PCIPASS_SQL_OK(has, "schema version");
  if (has.step() != SQLITE_ROW) return 0;
  Stmt v(db_, cache_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  PCIPASS_SQL_OK(v, "schema version");
  if (v.step() != SQLITE_ROW) return sql_error(db_, "schema version");
  return static_cast<int>(v.integer(0));
}

Status SqliteStore::migrate() { return migrate_to(latest_version()); }

Status SqliteStore::migrate_to(int target) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "migrate: begin");
  if (auto st = exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"); !st)
    return st;
  auto current = schema_version();
  if (!current) return std::move(current).error();
  if (*current > latest_version())
    return Error(ErrorCode::Conflict, "database " + path_ + " has schema version " + std::to_string(*current) +
                                          ", newer than this pcipass knows (" + std::to_string(latest_version()) + "); upgrade pcipass");
  for (int v = *current + 1; v <= std::min(target, latest_version()); ++v) {
    if (auto st = exec(kSqliteMigrations[v - 1].text); !st) return std::move(std::move(st).error().within(std::string("migration ") + kSqliteMigrations[v - 1].file));
    Stmt mark(db_, cache_, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, datetime('now'))");
    PCIPASS_SQL_OK(mark, "migrate");
    mark.bind(1, int64_t{v});
    if (mark.step() != SQLITE_DONE) return sql_error(db_, "migration " + std::to_string(v));
  }
  return tx.commit();
}

Result<uint64_t> SqliteStore::report_host(const HostRecord& h, const std::vector<AddressMove>& moves,
                                          std::optional<uint64_t> expected_generation) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "put host: begin");
  if (expected_generation) {
    Stmt cur(db_, cache_, "SELECT generation FROM hosts WHERE name = ?");
    PCIPASS_SQL_OK(cur, "put host");
    cur.bind(1, h.name);
    const uint64_t now = cur.step() == SQLITE_ROW ? static_cast<uint64_t>(cur.integer(0)) : 0;
    if (now != *expected_generation)
      return Error(ErrorCode::HostMoved, "host " + h.name + " changed since it was read (generation " + std::to_string(now) +
                                            ", expected " + std::to_string(*expected_generation) + ")");
  }
  Stmt up(db_, cache_, "INSERT INTO hosts (name, generation, has_numa, has_platform, platform_iommu, "
               "platform_interrupt_remapping, platform_vfio, platform_problems, platform_warnings, manages_devices) "
               "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?) "
               "ON CONFLICT(name) DO UPDATE SET generation = generation + 1, has_numa = excluded.has_numa, "
               "has_platform = excluded.has_platform, platform_iommu = excluded.platform_iommu, "
               "platform_interrupt_remapping = excluded.platform_interrupt_remapping, platform_vfio = excluded.platform_vfio, "
               "platform_problems = excluded.platform_problems, platform_warnings = excluded.platform_warnings, "
               "manages_devices = excluded.manages_devices");
  PCIPASS_SQL_OK(up, "put host");
  up.bind(1, h.name).bind(2, int64_t{h.numa ? 1 : 0}).bind(3, int64_t{h.platform ? 1 : 0});
  if (h.platform) {
    up.bind(4, h.platform->iommu).bind(5, h.platform->interrupt_remapping).bind(6, h.platform->vfio);
    up.bind(7, platform_problems_text(h.platform->problems)).bind(8, platform_problems_text(h.platform->warnings));
  } else {
    up.bind_null(4).bind_null(5).bind_null(6).bind(7, std::string()).bind(8, std::string());
  }
  up.bind(9, int64_t{h.manages_devices ? 1 : 0});
  if (up.step() != SQLITE_DONE) return sql_error(db_, "put host " + h.name);
  // Two passes (old -> "moving:new" -> new) so that swapped addresses never collide on the unique key.
  Stmt park(db_, cache_, "UPDATE allocations SET address = 'moving:' || ? WHERE host = ? AND address = ?");
  Stmt land(db_, cache_, "UPDATE allocations SET address = ? WHERE host = ? AND address = 'moving:' || ?");
  PCIPASS_SQL_OK(park, "put host");
  PCIPASS_SQL_OK(land, "put host");
  for (Stmt* pass : {&park, &land})
    for (const auto& m : moves) {
      pass->bind(1, m.to.to_string()).bind(2, h.name).bind(3, (pass == &park ? m.from : m.to).to_string());
      if (pass->step() != SQLITE_DONE) return sql_error(db_, "put host " + h.name + ": move " + m.from.to_string());
      pass->reset();
    }
  for (const char* sql : {"DELETE FROM host_numa WHERE host = ?", "DELETE FROM devices WHERE host = ?"}) {
    Stmt del(db_, cache_, sql);
    PCIPASS_SQL_OK(del, "put host");
    del.bind(1, h.name);
    if (del.step() != SQLITE_DONE) return sql_error(db_, "put host " + h.name);
  }
  if (h.numa) {
    Stmt cell(db_, cache_, "INSERT INTO host_numa (host, id, cpus, memory_mb, socket) VALUES (?, ?, ?, ?, ?)");
    PCIPASS_SQL_OK(cell, "put host");
    for (const auto& c : *h.numa) {
      cell.bind(1, h.name).bind(2, int64_t{c.id}).bind(3, int64_t{c.cpus}).bind(4, static_cast<int64_t>(c.memory_mb)).bind(5, c.socket);
      if (cell.step() != SQLITE_DONE) return sql_error(db_, "put host " + h.name + ": NUMA cell " + std::to_string(c.id));
      cell.reset();
    }
  }
  Stmt dev(db_, cache_, "INSERT INTO devices (host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, "
                "devname, iommu_group, fingerprint, vanished, host_use, vfio_user, group_viable, attention, link) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  PCIPASS_SQL_OK(dev, "put host");
  for (const auto& d : h.devices) {
    const auto& f = d.facts;
    dev.bind(1, h.name).bind(2, f.address.to_string()).bind(3, f.vendor_id.to_string()).bind(4, f.product_id.to_string());
    dev.bind(5, f.class_code).bind(6, f.numa_node).bind(7, int64_t{f.sriov_totalvfs});
    if (f.physfn) dev.bind(8, f.physfn->to_string());
    else dev.bind_null(8);
    dev.bind(9, f.devname).bind(10, f.iommu_group).bind(11, d.fingerprint).bind(12, int64_t{d.vanished ? 1 : 0});
    if (f.host_use) dev.bind(13, *f.host_use);
    else dev.bind_null(13);
    if (f.vfio_user) dev.bind(14, *f.vfio_user);
    else dev.bind_null(14);
    dev.bind(15, f.group_viable);
    if (f.attention) dev.bind(16, *f.attention);
    else dev.bind_null(16);
    if (f.link) dev.bind(17, *f.link);
    else dev.bind_null(17);
    if (dev.step() != SQLITE_DONE) {
      if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) return invalid("host " + h.name + " reports one address twice");
      return sql_error(db_, "put host " + h.name + ": device " + f.address.to_string());
    }
    dev.reset();
  }
  Stmt gen(db_, cache_, "SELECT generation FROM hosts WHERE name = ?");
  PCIPASS_SQL_OK(gen, "put host");
  gen.bind(1, h.name);
  if (gen.step() != SQLITE_ROW) return sql_error(db_, "put host " + h.name);
  const auto generation = static_cast<uint64_t>(gen.integer(0));
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<std::vector<HostRecord>> SqliteStore::load_hosts(const std::string* only) {
  std::vector<HostRecord> out;
  std::map<std::string, size_t> index;
#define PCIPASS_HOST_COLUMNS \
  "SELECT name, generation, has_numa, has_platform, platform_iommu, platform_interrupt_remapping, platform_vfio, " \
  "platform_problems, platform_warnings, manages_devices, locked FROM hosts "
  Stmt hs(db_, cache_, only ? PCIPASS_HOST_COLUMNS "WHERE name = ?" : PCIPASS_HOST_COLUMNS "ORDER BY name");
#undef PCIPASS_HOST_COLUMNS
  PCIPASS_SQL_OK(hs, "hosts");
  if (only) hs.bind(1, *only);
  while (hs.step() == SQLITE_ROW) {
    HostRecord h;
    h.name = hs.text(0);
    h.generation = static_cast<uint64_t>(hs.integer(1));
    if (hs.integer(2)) h.numa = std::vector<NumaCellSpec>{};
    if (hs.integer(3)) {
      auto flag = [&](int c) { return hs.null(c) ? std::nullopt : std::optional<bool>(hs.integer(c) != 0); };
      h.platform = HostPlatform{flag(4), flag(5), flag(6), platform_problems_from_text(hs.text(7)),
                                platform_problems_from_text(hs.text(8))};
    }
    h.manages_devices = hs.integer(9) != 0;
    h.locked = hs.integer(10) != 0;
    index[h.name] = out.size();
    out.push_back(std::move(h));
  }
  Stmt cells(db_, cache_, only ? "SELECT host, id, cpus, memory_mb, socket FROM host_numa WHERE host = ? ORDER BY host, id"
                                : "SELECT host, id, cpus, memory_mb, socket FROM host_numa ORDER BY host, id");
  PCIPASS_SQL_OK(cells, "hosts");
  if (only) cells.bind(1, *only);
  while (cells.step() == SQLITE_ROW) {
    auto it = index.find(cells.text(0));
    if (it == index.end() || !out[it->second].numa) continue;
    out[it->second].numa->push_back({static_cast<uint32_t>(cells.integer(1)), static_cast<uint32_t>(cells.integer(2)),
                                     static_cast<uint64_t>(cells.integer(3)), cells.optional<uint32_t>(4)});
  }
  Stmt devs(db_, cache_, only ? "SELECT host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, devname, "
                               "iommu_group, fingerprint, vanished, host_use, vfio_user, group_viable, attention, link FROM devices WHERE host = ? "
                               "ORDER BY host, address"
                             : "SELECT host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, devname, "
                               "iommu_group, fingerprint, vanished, host_use, vfio_user, group_viable, attention, link FROM devices ORDER BY host, address");
  PCIPASS_SQL_OK(devs, "hosts");
  if (only) devs.bind(1, *only);
  while (devs.step() == SQLITE_ROW) {
    auto it = index.find(devs.text(0));
    if (it == index.end()) continue;
    auto address = PciAddress::parse(devs.text(1));
    auto vendor = PciId::parse(devs.text(2));
    auto product = PciId::parse(devs.text(3));
    if (!address || !vendor || !product)
      return Error(ErrorCode::Internal, "corrupt device row " + devs.text(0) + "/" + devs.text(1) + " in " + path_);
    StoredDevice d;
    d.facts.address = *address;
    d.facts.vendor_id = *vendor;
    d.facts.product_id = *product;
    d.facts.class_code = devs.optional<uint32_t>(4);
    d.facts.numa_node = devs.optional<uint32_t>(5);
    d.facts.sriov_totalvfs = static_cast<uint32_t>(devs.integer(6));
    if (!devs.null(7))
      if (auto pf = PciAddress::parse(devs.text(7))) d.facts.physfn = *pf;
    d.facts.devname = devs.text(8);
    d.facts.iommu_group = devs.optional<uint32_t>(9);
    d.fingerprint = devs.text(10);
    d.vanished = devs.integer(11) != 0;
    if (!devs.null(12)) d.facts.host_use = devs.text(12);
    if (!devs.null(13)) d.facts.vfio_user = devs.text(13);
    if (!devs.null(14)) d.facts.group_viable = devs.integer(14) != 0;
    if (!devs.null(15)) d.facts.attention = devs.text(15);
    if (!devs.null(16)) d.facts.link = devs.text(16);
    out[it->second].devices.push_back(std::move(d));
  }
  Stmt ifs(db_, cache_, only ? "SELECT host, address, class, datanetwork, vfs FROM host_interfaces WHERE host = ? ORDER BY host, address"
                              : "SELECT host, address, class, datanetwork, vfs FROM host_interfaces ORDER BY host, address");
  PCIPASS_SQL_OK(ifs, "hosts");
  if (only) ifs.bind(1, *only);
  while (ifs.step() == SQLITE_ROW) {
    auto it = index.find(ifs.text(0));
    if (it == index.end()) continue;
    auto address = PciAddress::parse(ifs.text(1));
    auto cls = parse_interface_class(ifs.text(2));
    if (!address || !cls) return Error(ErrorCode::Internal, "corrupt interface row " + ifs.text(0) + "/" + ifs.text(1) + " in " + path_);
    out[it->second].interfaces.push_back({*address, *cls, ifs.text(3), ifs.optional<uint32_t>(4)});
  }
  return out;
}

Result<std::vector<HostRecord>> SqliteStore::hosts() { return load_hosts(nullptr); }

Result<HostRecord> SqliteStore::host(const std::string& name) {
  auto all = load_hosts(&name);
  if (!all) return std::move(all).error();
  if (all->empty()) return Error(ErrorCode::NotFound, "no host " + quote(name));
  return std::move(all->front());
}

Result<uint64_t> SqliteStore::set_host_interface(const std::string& host, const HostInterface& iface) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "set interface: begin");
  Stmt up(db_, cache_, "UPDATE hosts SET generation = generation + 1 WHERE name = ? RETURNING generation");
  PCIPASS_SQL_OK(up, "set interface");
  up.bind(1, host);
  const int rc = up.step();
  if (rc == SQLITE_DONE) return Error(ErrorCode::NotFound, "no host " + quote(host));
  if (rc != SQLITE_ROW) return sql_error(db_, "set interface on " + host);
  const auto generation = static_cast<uint64_t>(up.integer(0));
  if (up.step() != SQLITE_DONE) return sql_error(db_, "set interface on " + host);
  Stmt put(db_, cache_, "INSERT INTO host_interfaces (host, address, class, datanetwork, vfs) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(host, address) DO UPDATE SET class = excluded.class, datanetwork = excluded.datanetwork, vfs = excluded.vfs");
  PCIPASS_SQL_OK(put, "set interface");
  put.bind(1, host).bind(2, iface.address.to_string()).bind(3, std::string(interface_class_name(iface.cls))).bind(4, iface.datanetwork);
  put.bind(5, iface.vfs);
  if (put.step() != SQLITE_DONE) return sql_error(db_, "set interface " + iface.address.to_string() + " on " + host);
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<uint64_t> SqliteStore::set_host_locked(const std::string& host, bool locked) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "lock host: begin");
  Stmt up(db_, cache_, "UPDATE hosts SET locked = ?, generation = generation + 1 WHERE name = ? RETURNING generation");
  PCIPASS_SQL_OK(up, "lock host");
  up.bind(1, int64_t{locked ? 1 : 0}).bind(2, host);
  const int rc = up.step();
  if (rc == SQLITE_DONE) return Error(ErrorCode::NotFound, "no host " + quote(host));
  if (rc != SQLITE_ROW) return sql_error(db_, "lock host " + host);
  const auto generation = static_cast<uint64_t>(up.integer(0));
  if (up.step() != SQLITE_DONE) return sql_error(db_, "lock host " + host);
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<std::vector<std::pair<std::string, uint64_t>>> SqliteStore::host_generations() {
  std::vector<std::pair<std::string, uint64_t>> out;
  Stmt q(db_, cache_, "SELECT name, generation FROM hosts ORDER BY name");
  PCIPASS_SQL_OK(q, "host generations");
  while (q.step() == SQLITE_ROW) out.emplace_back(q.text(0), static_cast<uint64_t>(q.integer(1)));
  return out;
}

Result<std::optional<uint64_t>> SqliteStore::others_commit_marker() {
  Stmt q(db_, cache_, "PRAGMA data_version");
  PCIPASS_SQL_OK(q, "data version");
  if (q.step() != SQLITE_ROW) return sql_error(db_, "data version");
  return std::optional<uint64_t>(static_cast<uint64_t>(q.integer(0)));
}

Status SqliteStore::write_flavor(const FlavorRecord& f, bool create) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "flavor: begin");
  if (create) {
    Stmt ins(db_, cache_, "INSERT INTO flavors (name, vcpus, memory_mb, disk_gb) VALUES (?, ?, ?, ?)");
    PCIPASS_SQL_OK(ins, "create flavor");
    ins.bind(1, f.name).bind(2, int64_t{f.vcpus}).bind(3, static_cast<int64_t>(f.memory_mb)).bind(4, static_cast<int64_t>(f.disk_gb));
    if (ins.step() != SQLITE_DONE) {
      if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) return Error(ErrorCode::AlreadyExists, "flavor " + quote(f.name) + " already exists");
      return sql_error(db_, "create flavor " + f.name);
    }
  } else {
    Stmt up(db_, cache_, "UPDATE flavors SET vcpus = ?, memory_mb = ?, disk_gb = ?, revision = revision + 1 WHERE name = ?");
    PCIPASS_SQL_OK(up, "update flavor");
    up.bind(1, int64_t{f.vcpus}).bind(2, static_cast<int64_t>(f.memory_mb)).bind(3, static_cast<int64_t>(f.disk_gb)).bind(4, f.name);
    if (up.step() != SQLITE_DONE) return sql_error(db_, "update flavor " + f.name);
    if (sqlite3_changes(db_) == 0) return Error(ErrorCode::NotFound, "no flavor " + quote(f.name));
    Stmt del(db_, cache_, "DELETE FROM flavor_extra_specs WHERE flavor = ?");
    PCIPASS_SQL_OK(del, "update flavor");
    del.bind(1, f.name);
    if (del.step() != SQLITE_DONE) return sql_error(db_, "update flavor " + f.name);
  }
  Stmt spec(db_, cache_, "INSERT INTO flavor_extra_specs (flavor, position, key, value) VALUES (?, ?, ?, ?)");
  PCIPASS_SQL_OK(spec, "flavor");
  for (size_t i = 0; i < f.extra_specs.size(); ++i) {
    spec.bind(1, f.name).bind(2, static_cast<int64_t>(i)).bind(3, f.extra_specs[i].first).bind(4, f.extra_specs[i].second);
    if (spec.step() != SQLITE_DONE) {
      if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT)
        return Error(ErrorCode::InvalidArgument, "extra spec " + quote(f.extra_specs[i].first) + " is given twice");
      return sql_error(db_, "flavor " + f.name);
    }
    spec.reset();
  }
  return tx.commit();
}

Status SqliteStore::create_flavor(const FlavorRecord& f) { return write_flavor(f, true); }
Status SqliteStore::update_flavor(const FlavorRecord& f) { return write_flavor(f, false); }

Result<std::vector<FlavorRecord>> SqliteStore::flavors() {
  std::vector<FlavorRecord> out;
  std::map<std::string, size_t> index;
  Stmt fs(db_, cache_, "SELECT name, vcpus, memory_mb, revision, disk_gb FROM flavors ORDER BY name");
  PCIPASS_SQL_OK(fs, "flavors");
  while (fs.step() == SQLITE_ROW) {
    index[fs.text(0)] = out.size();
    out.push_back({fs.text(0), static_cast<uint32_t>(fs.integer(1)), static_cast<uint64_t>(fs.integer(2)), {},
                   static_cast<uint64_t>(fs.integer(3)), static_cast<uint64_t>(fs.integer(4))});
  }
  Stmt specs(db_, cache_, "SELECT flavor, key, value FROM flavor_extra_specs ORDER BY flavor, position");
  PCIPASS_SQL_OK(specs, "flavors");
  while (specs.step() == SQLITE_ROW)
    if (auto it = index.find(specs.text(0)); it != index.end()) out[it->second].extra_specs.emplace_back(specs.text(1), specs.text(2));
  return out;
}

Result<FlavorRecord> SqliteStore::flavor(const std::string& name) {
  Stmt fs(db_, cache_, "SELECT name, vcpus, memory_mb, revision, disk_gb FROM flavors WHERE name = ?");
  PCIPASS_SQL_OK(fs, "flavor");
  fs.bind(1, name);
  if (fs.step() != SQLITE_ROW) return Error(ErrorCode::NotFound, "no flavor " + quote(name));
  FlavorRecord f{fs.text(0), static_cast<uint32_t>(fs.integer(1)), static_cast<uint64_t>(fs.integer(2)), {},
                 static_cast<uint64_t>(fs.integer(3)), static_cast<uint64_t>(fs.integer(4))};
  Stmt specs(db_, cache_, "SELECT key, value FROM flavor_extra_specs WHERE flavor = ? ORDER BY position");
  PCIPASS_SQL_OK(specs, "flavor");
  specs.bind(1, name);
  while (specs.step() == SQLITE_ROW) f.extra_specs.emplace_back(specs.text(0), specs.text(1));
  return f;
}


Status SqliteStore::create_token(const TokenRecord& t) {
  Transaction tx(db_, cache_, batch_);
  if (!tx.began()) return sql_error(db_, "create token: begin");
  if (!t.project.empty()) {
    auto there = row_exists("SELECT 1 FROM projects WHERE name = ?", t.project);
    if (!there) return std::move(there).error();
    if (!*there) return std::move(Error(ErrorCode::NotFound, "no project " + quote(t.project)).within("project"));
  }
  Stmt ins(db_, cache_, "INSERT INTO tokens (name, secret_sha256, role, host, project, created_at) VALUES (?, ?, ?, ?, NULLIF(?, ''), datetime('now'))");
  PCIPASS_SQL_OK(ins, "create token");
  ins.bind(1, t.name).bind(2, t.secret_sha256).bind(3, t.role).bind(4, t.host).bind(5, t.project);
  if (ins.step() != SQLITE_DONE) {
    if (sqlite3_errcode(db_) == SQLITE_CONSTRAINT) return Error(ErrorCode::AlreadyExists, "token " + quote(t.name) + " already exists");
    return sql_error(db_, "create token " + t.name);
  }
  return tx.commit();
}

Result<std::vector<TokenRecord>> SqliteStore::load_tokens(const std::string* sha256) {
  std::vector<TokenRecord> out;
  Stmt q(db_, cache_, sha256 ? "SELECT name, secret_sha256, role, host, COALESCE(project, '') FROM tokens WHERE secret_sha256 = ?"
                     : "SELECT name, secret_sha256, role, host, COALESCE(project, '') FROM tokens ORDER BY name");
  PCIPASS_SQL_OK(q, "tokens");
  if (sha256) q.bind(1, *sha256);
  while (q.step() == SQLITE_ROW) out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4)});
  return out;
}

Result<TokenRecord> SqliteStore::token_by_secret_sha256(const std::string& sha256_hex) {
  auto found = load_tokens(&sha256_hex);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no such token");
  return std::move(found->front());
}

Result<std::vector<TokenRecord>> SqliteStore::tokens() { return load_tokens(nullptr); }

Status SqliteStore::delete_token(const std::string& name) {
  Stmt del(db_, cache_, "DELETE FROM tokens WHERE name = ?");
  PCIPASS_SQL_OK(del, "delete token");
  del.bind(1, name);
  if (del.step() != SQLITE_DONE) return sql_error(db_, "delete token " + name);
  if (sqlite3_changes(db_) == 0) return Error(ErrorCode::NotFound, "no token " + quote(name));
  return ok_status();
}

}  // namespace pcipass
