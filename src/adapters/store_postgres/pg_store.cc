#include "adapters/store_postgres/pg_store.h"

#include "core/host_report.h"

#include <algorithm>
#include <random>

#include "adapters/embedded_sql.h"
#include "adapters/store_postgres/pg_pipeline.h"
#include "adapters/store_postgres/pg_rows.h"
#include "adapters/store_postgres/pg_session.h"

namespace pcipass {
namespace {
pg::Param flag_param(const std::optional<bool>& b) { return b ? pg::Param(std::string(*b ? "true" : "false")) : std::nullopt; }
}  // namespace


// migrations/NNNN_*.sql and migrations/functions.sql, embedded at build time.
extern const EmbeddedSql kPgMigrations[];
extern const size_t kPgMigrations_count;
extern const char* const kPgFunctions;

using namespace pg;

namespace {
constexpr int64_t kMigrationLock = 0x70636970617373;  // "pcipass"
}  // namespace

// A batch on one session: claims and releases go down its pipeline (the *_strict
// functions, which raise on any refusal); sealing sends its COMMIT and hands the store
// its other session for the next batch.
class PgBatch final : public WriteBatch {
 public:
  PgBatch(PgStore& store, PgSession& session) : store_(store), session_(&session) {}
  ~PgBatch() override {
    if (!sealed_) abort_batch(*session_);
    else if (!finished_) (void)commit();
  }
  bool deferred() const override { return true; }
  Result<uint64_t> claim(const InstanceRecordRow& in, uint64_t expected_generation) override {
    if (sealed_) return Error(ErrorCode::Internal, "a claim on a sealed batch");
    if (session_->refusal) return *session_->refusal;
    auto params = claim_params(in, expected_generation);
    if (!params) return std::move(params).error();
    static const std::string sql = std::string("SELECT pcipass_claim_strict") + kClaimArgs;
    if (auto st = send_deferred(*session_, sql.c_str(), *params); !st) return std::move(st).error();
    return expected_generation + 1;
  }
  Status release(const std::string& id) override {
    if (sealed_) return Error(ErrorCode::Internal, "a release on a sealed batch");
    if (session_->refusal) return *session_->refusal;
    return send_deferred(*session_, "SELECT pcipass_release_strict($1)", {id});
  }
  Status seal() override {
    if (sealed_) return ok_status();
    sealed_ = true;
    return store_.seal(*this);
  }
  Status commit() override {
    if (finished_) return Error(ErrorCode::Internal, "a batch committed twice");
    if (auto st = seal(); !st) {
      finished_ = true;
      return st;
    }
    finished_ = true;
    if (outcome_) return *outcome_;
    return finish_commit(*session_);
  }

 private:
  friend class PgStore;
  PgStore& store_;
  PgSession* session_;            // the connection it runs on (the store's other one once sealed)
  bool sealed_ = false;
  bool finished_ = false;
  std::optional<Status> outcome_;  // committed as it was sealed (no second connection)
};

Result<std::unique_ptr<WriteBatch>> PgStore::begin_batch() {
  if (auto st = open_batch(*session_, turn_key_); !st) return std::move(st).error();
  return std::unique_ptr<WriteBatch>(new PgBatch(*this, *session_));
}

Status PgStore::seal(PgBatch& batch) {
  if (sealed_ && sealed_->batch) {
    abort_batch(*session_);
    batch.outcome_ = Error(ErrorCode::Internal, "a batch was sealed before the one sealed before it was committed");
    return ok_status();
  }
  if (!sealed_) {
    auto other = connect(conninfo_);
    if (!other) {  // no second connection (yet): commit here and now, without overlap
      send_commit(*session_);
      batch.outcome_ = finish_commit(*session_);
      return ok_status();
    }
    sealed_ = std::move(*other);
  }
  // The next batch may start only once this one holds its turn: else it could take
  // the turn first and wait for this one, which waits for it (to be sealed).
  consume(*session_, session_->opening);
  session_->opening = 0;
  send_commit(*session_);
  std::swap(session_, sealed_);
  return ok_status();
}

Status PgStore::enter() { return pg::enter(*session_); }

int PgStore::latest_version() { return static_cast<int>(kPgMigrations_count); }

PgStore::~PgStore() = default;

Status PgStore::migrate() { return migrate_to(latest_version()); }

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& conninfo) {
  auto session = connect(conninfo);
  if (!session) return std::move(session).error();
  return std::unique_ptr<PgStore>(new PgStore(conninfo, std::move(*session)));
}

PgStore::PgStore(std::string conninfo, std::unique_ptr<PgSession> session)
    : conninfo_(std::move(conninfo)), session_(std::move(session)) {
  std::random_device random;
  turn_key_ = static_cast<int64_t>((uint64_t{random()} << 31) ^ random());
}

namespace {
Result<int> current_version(PgSession& session) {
  auto has = run(session, "SELECT to_regclass('schema_migrations') IS NOT NULL", {}, "schema version");
  if (!has) return std::move(has).error();
  if (!has->boolean(0, 0)) return 0;
  auto v = run(session, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}, "schema version");
  if (!v) return std::move(v).error();
  return static_cast<int>(v->integer(0, 0));
}
}  // namespace

Result<int> PgStore::schema_version() {
  if (auto st = enter(); !st) return std::move(st).error();
  return current_version(*session_);
}

Status PgStore::migrate_to(int target) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  if (auto r = run(*session_, "SELECT pg_advisory_xact_lock($1)", {num(kMigrationLock)}, "migrate"); !r) return std::move(r).error();
  if (auto r = run(*session_, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
                   {}, "migrate");
      !r)
    return std::move(r).error();
  auto current = current_version(*session_);
  if (!current) return std::move(current).error();
  if (*current > latest_version())
    return Error(ErrorCode::Conflict, "database has schema version " + std::to_string(*current) + ", newer than this pcipass knows (" +
                                          std::to_string(latest_version()) + "); upgrade pcipass");
  auto exec_script = [&](const char* sql, const std::string& what) -> Status {
    PGresult* raw = PQexec(session_->c, sql);
    PgResult r(raw);
    const auto st = PQresultStatus(raw);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(session_->c, raw, what);
    return ok_status();
  };
  for (int v = *current + 1; v <= std::min(target, latest_version()); ++v) {
    if (auto st = exec_script(kPgMigrations[v - 1].text, std::string("migration ") + kPgMigrations[v - 1].file); !st) return st;
    if (auto m = run(*session_, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", {num(v)}, "migrate"); !m)
      return std::move(m).error();
  }
  if (target >= latest_version())
    if (auto st = exec_script(kPgFunctions, "migrations/functions.sql"); !st) return st;
  return tx.commit();
}

Result<uint64_t> PgStore::report_host(const HostRecord& h, const std::vector<AddressMove>& moves,
                                      std::optional<uint64_t> expected_generation) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  const std::string what = "put host " + h.name;
  if (expected_generation) {
    auto cur = run(*session_, "SELECT generation FROM hosts WHERE name = $1 FOR UPDATE", {h.name}, what);
    if (!cur) return std::move(cur).error();
    const uint64_t now = cur->rows() ? static_cast<uint64_t>(cur->integer(0, 0)) : 0;
    if (now != *expected_generation)
      return Error(ErrorCode::HostMoved, "host " + h.name + " changed since it was read (generation " + std::to_string(now) +
                                            ", expected " + std::to_string(*expected_generation) + ")");
  }
  auto up = run(*session_,
                "INSERT INTO hosts (name, generation, has_numa, has_platform, platform_iommu, platform_interrupt_remapping, "
                "platform_vfio, platform_problems, platform_warnings, manages_devices) VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9) "
                "ON CONFLICT (name) DO UPDATE SET generation = hosts.generation + 1, has_numa = excluded.has_numa, "
                "has_platform = excluded.has_platform, platform_iommu = excluded.platform_iommu, "
                "platform_interrupt_remapping = excluded.platform_interrupt_remapping, platform_vfio = excluded.platform_vfio, "
                "platform_problems = excluded.platform_problems, platform_warnings = excluded.platform_warnings, "
                "manages_devices = excluded.manages_devices RETURNING generation",
                {h.name, std::string(h.numa ? "true" : "false"), std::string(h.platform ? "true" : "false"),
                 flag_param(h.platform ? h.platform->iommu : std::nullopt),
                 flag_param(h.platform ? h.platform->interrupt_remapping : std::nullopt),
                 flag_param(h.platform ? h.platform->vfio : std::nullopt),
                 h.platform ? platform_problems_text(h.platform->problems) : std::string(),
                 h.platform ? platform_problems_text(h.platform->warnings) : std::string(),
                 std::string(h.manages_devices ? "true" : "false")},
                what);
  if (!up) {
    if (up.error().code() == ErrorCode::Conflict)
      return Error(ErrorCode::HostMoved, "host " + h.name + " was created concurrently; read it and report again");
    return std::move(up).error();
  }
  const auto generation = static_cast<uint64_t>(up->integer(0, 0));
  // Two passes (old -> "moving:new" -> new) so that swapped addresses never collide on the primary key.
  for (const auto& m : moves)
    if (auto r = run(*session_, "UPDATE allocations SET address = 'moving:' || $1 WHERE host = $2 AND address = $3",
                     {m.to.to_string(), h.name, m.from.to_string()}, what);
        !r)
      return std::move(r).error();
  for (const auto& m : moves)
    if (auto r = run(*session_, "UPDATE allocations SET address = $1 WHERE host = $2 AND address = 'moving:' || $1",
                     {m.to.to_string(), h.name}, what);
        !r)
      return std::move(r).error();
  for (const char* sql : {"DELETE FROM host_numa WHERE host = $1", "DELETE FROM devices WHERE host = $1"})
    if (auto r = run(*session_, sql, {h.name}, what); !r) return std::move(r).error();
  if (h.numa && !h.numa->empty()) {
    std::vector<Param> id, cpus, mem, socket;
    for (const auto& c : *h.numa) {
      id.push_back(num(c.id));
      cpus.push_back(num(c.cpus));
      mem.push_back(num(c.memory_mb));
      socket.push_back(num(c.socket));
    }
    if (auto r = run(*session_,
                     "INSERT INTO host_numa (host, id, cpus, memory_mb, socket) "
                     "SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])",
                     {h.name, text_array(id), text_array(cpus), text_array(mem), text_array(socket)}, what);
        !r)
      return std::move(r).error();
  }
  if (!h.devices.empty()) {
    std::vector<std::vector<Param>> cols(16);  // one per column but host
    for (const auto& d : h.devices) {
      const auto& f = d.facts;
      cols[0].push_back(f.address.to_string());
      cols[1].push_back(f.vendor_id.to_string());
      cols[2].push_back(f.product_id.to_string());
      cols[3].push_back(num(f.class_code));
      cols[4].push_back(num(f.numa_node));
      cols[5].push_back(num(f.sriov_totalvfs));
      cols[6].push_back(f.physfn ? Param(f.physfn->to_string()) : std::nullopt);
      cols[7].push_back(f.devname);
      cols[8].push_back(num(f.iommu_group));
      cols[9].push_back(d.fingerprint);
      cols[10].push_back(std::string(d.vanished ? "true" : "false"));
      cols[11].push_back(f.host_use ? Param(*f.host_use) : std::nullopt);
      cols[12].push_back(f.vfio_user ? Param(*f.vfio_user) : std::nullopt);
      cols[13].push_back(f.group_viable ? Param(std::string(*f.group_viable ? "true" : "false")) : std::nullopt);
      cols[14].push_back(f.attention ? Param(*f.attention) : std::nullopt);
      cols[15].push_back(f.link ? Param(*f.link) : std::nullopt);
    }
    std::vector<Param> params{h.name};
    for (const auto& col : cols) params.push_back(text_array(col));
    auto r = run(*session_,
                 "INSERT INTO devices (host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, "
                 "devname, iommu_group, fingerprint, vanished, host_use, vfio_user, group_viable, attention, link) "
                 "SELECT $1, * FROM unnest($2::text[], $3::text[], "
                 "$4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::text[], "
                 "$12::boolean[], $13::text[], $14::text[], $15::boolean[], $16::text[], $17::text[])",
                 params, what);
    if (!r) {
      if (r.error().code() == ErrorCode::Conflict) return invalid("host " + h.name + " reports one address twice");
      return std::move(r).error();
    }
  }
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<HostRecord> PgStore::host(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto all = load_hosts(*session_, &name);
  if (!all) return std::move(all).error();
  if (all->empty()) return Error(ErrorCode::NotFound, "no host " + quote(name));
  return std::move(all->front());
}

Result<std::vector<std::pair<std::string, uint64_t>>> PgStore::host_generations() {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = run(*session_, "SELECT name, generation FROM hosts ORDER BY name", {}, "host generations");
  if (!q) return std::move(q).error();
  std::vector<std::pair<std::string, uint64_t>> out;
  out.reserve(static_cast<size_t>(q->rows()));
  for (int i = 0; i < q->rows(); ++i) out.emplace_back(q->text(i, 0), static_cast<uint64_t>(q->integer(i, 1)));
  return out;
}

Status PgStore::write_flavor(const FlavorRecord& f, bool create) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  if (create) {
    auto ins = run(*session_, "INSERT INTO flavors (name, vcpus, memory_mb, disk_gb) VALUES ($1, $2, $3, $4)",
                   {f.name, num(f.vcpus), num(f.memory_mb), num(f.disk_gb)},
                   "create flavor " + f.name);
    if (!ins) {
      if (ins.error().code() == ErrorCode::Conflict) return Error(ErrorCode::AlreadyExists, "flavor " + quote(f.name) + " already exists");
      return std::move(ins).error();
    }
  } else {
    auto up = run(*session_, "UPDATE flavors SET vcpus = $1, memory_mb = $2, disk_gb = $3, revision = revision + 1 WHERE name = $4",
                  {num(f.vcpus), num(f.memory_mb), num(f.disk_gb), f.name},
                  "update flavor " + f.name);
    if (!up) return std::move(up).error();
    if (up->affected() == 0) return Error(ErrorCode::NotFound, "no flavor " + quote(f.name));
    if (auto del = run(*session_, "DELETE FROM flavor_extra_specs WHERE flavor = $1", {f.name}, "update flavor " + f.name); !del)
      return std::move(del).error();
  }
  for (size_t i = 0; i < f.extra_specs.size(); ++i) {
    auto spec = run(*session_, "INSERT INTO flavor_extra_specs (flavor, position, key, value) VALUES ($1, $2, $3, $4)",
                    {f.name, num(i), f.extra_specs[i].first, f.extra_specs[i].second}, "flavor " + f.name);
    if (!spec) {
      if (spec.error().code() == ErrorCode::Conflict)
        return Error(ErrorCode::InvalidArgument, "extra spec " + quote(f.extra_specs[i].first) + " is given twice");
      return std::move(spec).error();
    }
  }
  return tx.commit();
}

Result<std::vector<FlavorRecord>> PgStore::flavors() {
  if (auto st = enter(); !st) return std::move(st).error();
  std::vector<FlavorRecord> out;
  std::map<std::string, size_t> index;
  auto fs = run(*session_, "SELECT name, vcpus, memory_mb, revision, disk_gb FROM flavors ORDER BY name", {}, "flavors");
  if (!fs) return std::move(fs).error();
  for (int i = 0; i < fs->rows(); ++i) {
    index[fs->text(i, 0)] = out.size();
    out.push_back({fs->text(i, 0), static_cast<uint32_t>(fs->integer(i, 1)), static_cast<uint64_t>(fs->integer(i, 2)), {},
                   static_cast<uint64_t>(fs->integer(i, 3)), static_cast<uint64_t>(fs->integer(i, 4))});
  }
  auto specs = run(*session_, "SELECT flavor, key, value FROM flavor_extra_specs ORDER BY flavor, position", {}, "flavors");
  if (!specs) return std::move(specs).error();
  for (int i = 0; i < specs->rows(); ++i)
    if (auto it = index.find(specs->text(i, 0)); it != index.end()) out[it->second].extra_specs.emplace_back(specs->text(i, 1), specs->text(i, 2));
  return out;
}

Result<FlavorRecord> PgStore::flavor(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  // One round trip: the flavor row with its extra specs (if any), in order.
  auto q = run(*session_,
               "SELECT f.name, f.vcpus, f.memory_mb, s.key, s.value, f.revision, f.disk_gb FROM flavors f "
               "LEFT JOIN flavor_extra_specs s ON s.flavor = f.name WHERE f.name = $1 ORDER BY s.position",
               {name}, "flavor " + name);
  if (!q) return std::move(q).error();
  if (q->rows() == 0) return Error(ErrorCode::NotFound, "no flavor " + quote(name));
  FlavorRecord f{q->text(0, 0), static_cast<uint32_t>(q->integer(0, 1)), static_cast<uint64_t>(q->integer(0, 2)), {},
                 static_cast<uint64_t>(q->integer(0, 5)), static_cast<uint64_t>(q->integer(0, 6))};
  for (int i = 0; i < q->rows(); ++i)
    if (!q->null(i, 3)) f.extra_specs.emplace_back(q->text(i, 3), q->text(i, 4));
  return f;
}

Result<uint64_t> PgStore::claim(const InstanceRecordRow& in, uint64_t expected_generation) {
  if (auto st = enter(); !st) return std::move(st).error();
  const std::string what = "claim " + in.id;
  auto params = claim_params(in, expected_generation);
  if (!params) return std::move(params).error();
  static const std::string sql = std::string("SELECT outcome, gen, detail FROM pcipass_claim") + kClaimArgs;
  auto r = run(*session_, sql.c_str(), *params, what);
  if (!r) return std::move(r).error();
  const std::string outcome = r->text(0, 0);
  if (outcome == "ok") return static_cast<uint64_t>(r->integer(0, 1));
  if (outcome == "nohost") return Error(ErrorCode::NotFound, "no host " + quote(in.host));
  if (outcome == "noflavor") return Error(ErrorCode::FlavorChanged, "flavor " + quote(in.flavor) + " is gone");
  if (outcome == "flavor")
    return Error(ErrorCode::FlavorChanged, "flavor " + quote(in.flavor) + " is at revision " + r->text(0, 1) + ", the plan used " +
                                               std::to_string(in.flavor_revision));
  if (outcome == "stale")
    return Error(ErrorCode::HostMoved, "host " + in.host + " changed since the plan (generation " + r->text(0, 1) + ", planned on " +
                                           std::to_string(expected_generation) + "); plan again");
  if (outcome == "exists") return Error(ErrorCode::AlreadyExists, "server " + quote(in.id) + " already exists");
  if (outcome == "held") return Error(ErrorCode::DeviceHeld, in.host + " " + r->text(0, 2));
  if (outcome == "twice") return Error(ErrorCode::InvalidArgument, in.host + ": a device is named twice in the claim of " + in.id);
  if (outcome == "busy") return Error(ErrorCode::Busy, "host " + in.host + " is locked by another controller's open transaction");
  if (outcome == "noproject") return std::move(Error(ErrorCode::NotFound, "no project " + quote(in.project)).within("project"));
  if (outcome == "quota" || outcome == "port" || outcome == "noport") {
    std::vector<std::string> lines;
    std::string detail = r->text(0, 2);
    for (size_t at = 0;;) {
      const size_t nl = detail.find('\n', at);
      lines.push_back(detail.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
    auto number = [&](size_t i) { return i < lines.size() ? std::strtoull(lines[i].c_str(), nullptr, 10) : 0ull; };
    if (outcome == "quota") return over_quota(in.project, lines[0], number(1), number(2), number(3));
    if (outcome == "noport") return std::move(Error(ErrorCode::NotFound, "no port " + quote(lines[0])).within("ports"));
    return std::move(Error(ErrorCode::Conflict, "port " + quote(lines[0]) + " is bound to server " + quote(lines.size() > 1 ? lines[1] : "")).within("ports"));
  }
  return Error(ErrorCode::Internal, "pcipass_claim answered an unknown outcome " + quote(outcome));
}

Status PgStore::release(const std::string& id) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto r = run(*session_, "SELECT pcipass_release($1)", {id}, "release " + id);
  if (!r) return std::move(r).error();
  const std::string outcome = r->text(0, 0);
  if (outcome == "ok") return ok_status();
  if (outcome == "missing") return Error(ErrorCode::NotFound, "no server " + quote(id));
  if (outcome == "busy") return Error(ErrorCode::Busy, "server " + id + " is locked by another controller's open transaction");
  return Error(ErrorCode::Internal, "pcipass_release answered an unknown outcome " + quote(outcome));
}

Result<uint64_t> PgStore::set_server_state(const std::string& id, const ServerState& state) {
  if (auto st = enter(); !st) return std::move(st).error();
  const std::string what = "server state " + id;
  Transaction tx(*session_, session_->batch);
  auto up = run(*session_, "UPDATE instances SET status = $2, status_step = $3, status_message = $4 WHERE id = $1 RETURNING host",
                {id, std::string(to_string(state.status)), state.step, state.message}, what);
  if (!up) return std::move(up).error();
  if (up->rows() == 0) return Error(ErrorCode::NotFound, "no server " + quote(id));
  auto bump = run(*session_, "UPDATE hosts SET generation = generation + 1 WHERE name = $1 RETURNING generation", {up->text(0, 0)}, what);
  if (!bump) return std::move(bump).error();
  if (bump->rows() == 0) return Error(ErrorCode::NotFound, "no host " + quote(up->text(0, 0)));
  const auto generation = static_cast<uint64_t>(bump->integer(0, 0));
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<uint64_t> PgStore::set_host_interface(const std::string& host, const HostInterface& iface) {
  if (auto st = enter(); !st) return std::move(st).error();
  const std::string what = "set interface " + iface.address.to_string() + " on " + host;
  Transaction tx(*session_, session_->batch);
  auto up = run(*session_, "UPDATE hosts SET generation = generation + 1 WHERE name = $1 RETURNING generation", {host}, what);
  if (!up) return std::move(up).error();
  if (up->rows() == 0) return Error(ErrorCode::NotFound, "no host " + quote(host));
  const auto generation = static_cast<uint64_t>(up->integer(0, 0));
  auto put = run(*session_,
                 "INSERT INTO host_interfaces (host, address, class, datanetwork, vfs) VALUES ($1, $2, $3, $4, $5::bigint) "
                 "ON CONFLICT (host, address) DO UPDATE SET class = excluded.class, datanetwork = excluded.datanetwork, vfs = excluded.vfs",
                 {host, iface.address.to_string(), std::string(interface_class_name(iface.cls)), iface.datanetwork,
                  iface.vfs ? Param(std::to_string(*iface.vfs)) : std::nullopt},
                 what);
  if (!put) return std::move(put).error();
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<uint64_t> PgStore::set_host_locked(const std::string& host, bool locked) {
  if (auto st = enter(); !st) return std::move(st).error();
  const std::string what = "lock host " + host;
  Transaction tx(*session_, session_->batch);
  auto up = run(*session_, "UPDATE hosts SET locked = $2::boolean, generation = generation + 1 WHERE name = $1 RETURNING generation",
                {host, std::string(locked ? "true" : "false")}, what);
  if (!up) return std::move(up).error();
  if (up->rows() == 0) return Error(ErrorCode::NotFound, "no host " + quote(host));
  const auto generation = static_cast<uint64_t>(up->integer(0, 0));
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Status PgStore::create_token(const TokenRecord& t) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  if (!t.project.empty()) {
    // FOR SHARE: the project cannot go until this commits.
    auto p = run(*session_, "SELECT 1 FROM projects WHERE name = $1 FOR SHARE", {t.project}, "create token " + t.name);
    if (!p) return std::move(p).error();
    if (p->rows() == 0) return std::move(Error(ErrorCode::NotFound, "no project " + quote(t.project)).within("project"));
  }
  auto r = run(*session_, "INSERT INTO tokens (name, secret_sha256, role, host, project) VALUES ($1, $2, $3, $4, NULLIF($5, ''))",
               {t.name, t.secret_sha256, t.role, t.host, t.project}, "create token " + t.name);
  if (!r) {
    if (r.error().code() == ErrorCode::Conflict) return Error(ErrorCode::AlreadyExists, "token " + quote(t.name) + " already exists");
    return std::move(r).error();
  }
  return tx.commit();
}

Result<TokenRecord> PgStore::token_by_secret_sha256(const std::string& sha256_hex) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto found = load_tokens(*session_, &sha256_hex);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no such token");
  return std::move(found->front());
}

Status PgStore::delete_token(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  auto r = run(*session_, "DELETE FROM tokens WHERE name = $1", {name}, "delete token " + name);
  if (!r) return std::move(r).error();
  if (r->affected() == 0) return Error(ErrorCode::NotFound, "no token " + quote(name));
  return tx.commit();
}

Result<std::vector<HostRecord>> PgStore::hosts() {
  if (auto st = enter(); !st) return std::move(st).error();
  return load_hosts(*session_, nullptr);
}

Status PgStore::create_flavor(const FlavorRecord& f) { return write_flavor(f, true); }
Status PgStore::update_flavor(const FlavorRecord& f) { return write_flavor(f, false); }

Result<std::vector<InstanceRecordRow>> PgStore::instances() {
  if (auto st = enter(); !st) return std::move(st).error();
  return load_instances(*session_, nullptr);
}

Result<std::vector<InstanceRecordRow>> PgStore::instances_on(const std::string& host) {
  if (auto st = enter(); !st) return std::move(st).error();
  return load_instances(*session_, &host);
}

Result<InstanceRecordRow> PgStore::instance(const std::string& id) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto found = load_instances(*session_, nullptr, &id);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no server " + quote(id));
  return std::move(found->front());
}

Result<std::vector<TokenRecord>> PgStore::tokens() {
  if (auto st = enter(); !st) return std::move(st).error();
  return load_tokens(*session_, nullptr);
}

}  // namespace pcipass
