#include "adapters/store_postgres/pg_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <unordered_map>

#include "adapters/embedded_sql.h"

namespace pcipass {

// migrations/NNNN_*.sql and migrations/functions.sql, embedded at build time.
extern const EmbeddedSql kPgMigrations[];
extern const size_t kPgMigrations_count;
extern const char* const kPgFunctions;

namespace {

// The SQLSTATE of a refusal raised by the *_strict functions (RAISE EXCEPTION's default).
constexpr const char* kRefusedState = "P0001";
constexpr int64_t kMigrationLock = 0x70636970617373;  // "pcipass"

using Param = std::optional<std::string>;

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult() { PQclear(r_); }
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  int64_t integer(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
  bool boolean(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
  template <class T>
  std::optional<T> optional(int row, int col) const {
    if (null(row, col)) return std::nullopt;
    return static_cast<T>(integer(row, col));
  }
  const PGresult* get() const { return r_; }
  int64_t affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }

 private:
  PGresult* r_;
};

// What a failed statement means to pcipass, by its SQLSTATE (never by its text):
// contention is Busy (try again), a broken constraint is Conflict (the caller says
// which), trouble with the database itself (connection, permissions, resources,
// shutdown) is Unavailable, and anything else is a pcipass bug.
ErrorCode classify(PGconn* c, const std::string& state) {
  if (state == "55P03" || state == "40001" || state == "40P01") return ErrorCode::Busy;
  if (state.rfind("23", 0) == 0) return ErrorCode::Conflict;
  if (PQstatus(c) != CONNECTION_OK || state.empty()) return ErrorCode::Unavailable;
  for (const char* cls : {"08", "28", "53", "57", "58", "XX"})
    if (state.rfind(cls, 0) == 0) return ErrorCode::Unavailable;
  if (state == "42501") return ErrorCode::Unavailable;  // the database role lacks a privilege
  return ErrorCode::Internal;
}

std::string sqlstate(const PGresult* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

Error pg_error(PGconn* c, const PGresult* r, const std::string& what) {
  const std::string s = sqlstate(r);
  if (s == "55P03") return Error(ErrorCode::Busy, what + ": a row is locked by another controller");
  const ErrorCode code = classify(c, s);
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return Error(code, what + ": " + msg);
}

}  // namespace

// One connection and what rides on it: its prepared statements and its open batch.
struct PgSession {
  explicit PgSession(PGconn* conn) : c(conn) {}
  ~PgSession() { PQfinish(c); }
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  PGconn* c;
  int backend_pid = 0;                                   // the backend the names below were prepared on
  std::unordered_map<std::string, std::string> names;  // SQL text -> prepared statement name
  uint64_t prepared_count = 0;                          // names are never reused on one connection
  bool batch = false;                                   // a batch transaction is open
  bool pipelined = false;                               // in libpq pipeline mode, `unread` answers pending
  int unread = 0;
  int opening = 0;               // answers of the batch's opening statements not read yet
  std::optional<Error> failure;  // the first failed answer read so far
  std::optional<Error> refusal;  // why the open batch was rolled back

  // Settles a new connection (the first, or one made again by PQreset), outside any
  // transaction: its settings, and no prepared statements yet. Generic plans: every
  // statement here looks rows up by key, so planning each call anew only costs.
  Status begin() {
    names.clear();
    backend_pid = 0;
    PgResult r(PQexec(c, "SET client_min_messages = warning; SET plan_cache_mode = force_generic_plan"));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return pg_error(c, r.get(), "connect");
    backend_pid = PQbackendPID(c);
    return ok_status();
  }
};

namespace {

// A lost connection is re-established at the start of the next transaction or read,
// never in the middle of one (that would run the rest outside the transaction).
void revive(PgSession& s) {
  if (PQstatus(s.c) != CONNECTION_BAD) return;
  PQreset(s.c);
  if (PQstatus(s.c) == CONNECTION_OK) (void)s.begin();  // a failure shows in the next statement
}

// Runs one statement with text parameters on a session: each distinct statement is a
// named prepared statement, prepared on first use (again after a reconnect), so
// PostgreSQL parses and plans it once per connection.
// The name `sql` is prepared under on this session's connection; `fresh` when it is
// new there, and the caller must prepare it (synchronously or down the pipeline).
const std::string& statement_name(PgSession& s, const char* sql, bool& fresh) {
  if (PQbackendPID(s.c) != s.backend_pid) {  // a connection this session did not settle
    s.names.clear();
    s.backend_pid = PQbackendPID(s.c);
  }
  auto [it, added] = s.names.try_emplace(sql);
  if (added) it->second = "pcipass_" + std::to_string(++s.prepared_count);
  fresh = added;
  return it->second;
}

// libpq's view of text parameters (null for SQL NULL); valid while `params` lives.
std::vector<const char*> c_strings(const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

Result<PgResult> run(PgSession& s, const char* sql, const std::vector<Param>& params, const std::string& what) {
  PGconn* c = s.c;
  if (PQstatus(c) == CONNECTION_BAD) return Error(ErrorCode::Unavailable, what + ": the connection to PostgreSQL was lost");
  bool fresh = false;
  const std::string& name = statement_name(s, sql, fresh);
  if (fresh) {
    PgResult prepared(PQprepare(c, name.c_str(), sql, 0, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      Error e = pg_error(c, prepared.get(), what);
      s.names.erase(sql);
      return e;
    }
  }
  const auto values = c_strings(params);
  PGresult* raw = PQexecPrepared(c, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  PgResult r(raw);
  const auto st = PQresultStatus(raw);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(c, raw, what);
  return r;
}

template <class T>
Param num(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}
template <class T>
Param num(T v) {
  return std::to_string(v);
}

// BEGIN ... COMMIT, rolled back unless committed; inside a batch, a savepoint
// released on commit and rolled back to otherwise.
class Transaction {
 public:
  Transaction(PgSession& s, bool in_batch) : c_(s.c), nested_(in_batch) {
    if (!nested_) revive(s);
    PQclear(PQexec(c_, nested_ ? "SAVEPOINT op" : "BEGIN"));  // a failure shows in the first statement
  }
  ~Transaction() { rollback(); }
  void rollback() {
    if (!done_) PQclear(PQexec(c_, nested_ ? "ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op" : "ROLLBACK"));
    done_ = true;
  }
  Status commit() {
    PGresult* raw = PQexec(c_, nested_ ? "RELEASE SAVEPOINT op" : "COMMIT");
    PgResult r(raw);
    done_ = true;
    if (PQresultStatus(raw) != PGRES_COMMAND_OK) return pg_error(c_, raw, "commit");
    return ok_status();
  }

 private:
  PGconn* c_;
  bool nested_;
  bool done_ = false;
};

// A PostgreSQL array literal of text values ({"a","b",NULL}).
std::string text_array(const std::vector<Param>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char ch : *items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

int PgStore::latest_version() { return static_cast<int>(kPgMigrations_count); }

namespace {

Result<std::unique_ptr<PgSession>> connect(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (!c) return Error(ErrorCode::Unavailable, "cannot connect to PostgreSQL: out of memory");
  auto session = std::make_unique<PgSession>(c);
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Error(ErrorCode::Unavailable, "cannot connect to PostgreSQL (" + conninfo + "): " + msg);
  }
  if (auto st = session->begin(); !st) return std::move(st).error();
  return session;
}

}  // namespace

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

PgStore::~PgStore() = default;

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


Status PgStore::migrate() { return migrate_to(latest_version()); }

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

Status PgStore::begin_batch() {
  PgSession& s = *session_;
  if (s.batch) return Error(ErrorCode::Internal, "a batch is already open");
  revive(s);
  if (PQstatus(s.c) != CONNECTION_OK) return pg_error(s.c, nullptr, "begin batch");
  // Sent down the pipeline, not waited for: a failure shows when the batch settles.
  if (PQenterPipelineMode(s.c) != 1) return pg_error(s.c, nullptr, "begin batch");
  s.pipelined = true;
  s.batch = true;
  // This store's batches take turns on its two connections: a batch's statements run
  // only once the batch before it has committed (they queue in PostgreSQL meanwhile),
  // so the two never wait on each other's rows. Then, inside a batch, nothing waits
  // long on another controller's row locks: a wait could close a cycle between two
  // open batches; such a step fails as busy.
  const std::string key = std::to_string(turn_key_);
  const char* values[] = {key.c_str()};
  PQsendQueryParams(s.c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
  PQsendQueryParams(s.c, "SELECT pg_advisory_xact_lock($1::bigint), set_config('lock_timeout', '20ms', true)", 1, nullptr, values,
                    nullptr, nullptr, 0);
  PQsendFlushRequest(s.c);  // their answers come as soon as they ran
  PQflush(s.c);
  s.unread += 2;
  s.opening = 2;
  return ok_status();
}

namespace {

// Reads the answers of the next `n` queries sent down the pipeline (each a result
// then a null); the first failure is kept in s.failure.
void consume(PgSession& s, int n) {
  PGconn* c = s.c;
  for (; n > 0 && s.unread > 0; --n, --s.unread) {
    PGresult* raw = PQgetResult(c);
    if (!raw) {  // the connection is gone
      if (!s.failure) s.failure = pg_error(c, nullptr, "deferred writes");
      s.unread = 0;
      return;
    }
    PgResult r(raw);
    if (PQresultStatus(raw) == PGRES_FATAL_ERROR && !s.failure) {
      const std::string state = sqlstate(raw);
      if (state == kRefusedState || state == "23505") {
        // A stale generation or flavor, a device already held, an instance id taken:
        // the batch is gone, and serving its requests again (without deferring) works.
        std::string message = PQresultErrorMessage(raw);
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        s.failure = Error(ErrorCode::Busy, "a deferred write of this batch was refused (" + message + "); the whole batch was rolled back");
      } else {
        s.failure = pg_error(c, raw, "deferred write");
      }
    }
    while (PGresult* rest = PQgetResult(c)) PQclear(rest);  // up to the null that ends this query
  }
}

// Reads the answers of everything sent down the pipeline and leaves pipeline mode.
// A refused deferred write (or any failed statement) rolls the batch back; why is
// kept in s.refusal, with the busy prefix where serving the batch again may work.
void settle(PgSession& s) {
  if (!s.pipelined) return;
  PGconn* c = s.c;
  if (PQpipelineSync(c) != 1 && !s.failure) s.failure = pg_error(c, nullptr, "deferred writes");
  consume(s, s.unread);
  if (PQstatus(c) == CONNECTION_OK) {
    while (PGresult* raw = PQgetResult(c)) {  // the sync point
      const bool sync = PQresultStatus(raw) == PGRES_PIPELINE_SYNC;
      PQclear(raw);
      if (sync) break;
    }
    PQexitPipelineMode(c);
  }
  s.pipelined = false;
  s.unread = 0;
  s.opening = 0;
  if (s.failure) {
    // The transaction is aborted (or its connection lost): nothing of the batch stays.
    // Statements prepared in it may or may not exist; start the names afresh.
    PQclear(PQexec(c, "ROLLBACK"));
    PQclear(PQexec(c, "DEALLOCATE ALL"));
    s.names.clear();
    s.refusal = std::move(s.failure);
    s.failure.reset();
  }
}

// Sends the batch's COMMIT (after its deferred writes, if any) without waiting.
void send_commit(PgSession& s) {
  if (s.refusal) return;  // already rolled back
  if (!s.pipelined) {
    if (PQenterPipelineMode(s.c) != 1) {  // not idle: nothing of the batch can be trusted
      s.refusal = pg_error(s.c, nullptr, "commit");
      while (PGresult* stray = PQgetResult(s.c)) PQclear(stray);
      PQclear(PQexec(s.c, "ROLLBACK"));
      return;
    }
    s.pipelined = true;
  }
  PQsendQueryParams(s.c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
  ++s.unread;
  PQsendFlushRequest(s.c);  // its answer comes without a sync point
  PQflush(s.c);
}

// Waits for a commit send_commit() sent; the batch is over either way.
Status finish_commit(PgSession& s) {
  settle(s);
  s.batch = false;
  if (s.refusal) {
    Error e = std::move(*s.refusal);
    s.refusal.reset();
    return e;
  }
  return ok_status();
}

}  // namespace

Status PgStore::commit_batch() {
  if (!session_->batch) return ok_status();
  send_commit(*session_);
  return finish_commit(*session_);
}

void PgStore::abort_batch() {
  PgSession& s = *session_;
  if (!s.batch) return;
  settle(s);
  if (!s.refusal) PQclear(PQexec(s.c, "ROLLBACK"));
  s.refusal.reset();
  s.batch = false;
}

Status PgStore::seal_batch() {
  if (sealed_ && sealed_->batch) return Error(ErrorCode::Internal, "the sealed batch was not awaited");
  if (!sealed_) {
    auto other = connect(conninfo_);
    if (!other) {  // no second connection (yet): commit here and now, without overlap
      sealed_outcome_ = commit_batch();
      return ok_status();
    }
    sealed_ = std::move(*other);
  }
  if (session_->batch) {
    // The next batch may start only once this one holds its turn: else it could take
    // the turn first and wait for this one, which waits for it (to be sealed).
    consume(*session_, session_->opening);
    session_->opening = 0;
    send_commit(*session_);
  }
  std::swap(session_, sealed_);
  return ok_status();
}

Status PgStore::await_sealed() {
  if (sealed_outcome_) {
    Status outcome = std::move(*sealed_outcome_);
    sealed_outcome_.reset();
    return outcome;
  }
  if (!sealed_ || !sealed_->batch) return ok_status();
  return finish_commit(*sealed_);
}

Status PgStore::enter() {
  if (!session_->batch) {
    revive(*session_);
    return ok_status();
  }
  settle(*session_);
  if (session_->refusal) return *session_->refusal;
  return ok_status();
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
                "INSERT INTO hosts (name, generation, has_numa) VALUES ($1, 1, $2) "
                "ON CONFLICT (name) DO UPDATE SET generation = hosts.generation + 1, has_numa = excluded.has_numa "
                "RETURNING generation",
                {h.name, std::string(h.numa ? "true" : "false")}, what);
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
    std::vector<std::vector<Param>> cols(12);
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
    }
    std::vector<Param> params{h.name};
    for (size_t i = 0; i < 11; ++i) params.push_back(text_array(cols[i]));
    auto r = run(*session_,
                 "INSERT INTO devices (host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, "
                 "devname, iommu_group, fingerprint, vanished) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], "
                 "$5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::boolean[])",
                 params, what);
    if (!r) {
      if (r.error().code() == ErrorCode::Conflict) return invalid("host " + h.name + " reports one address twice");
      return std::move(r).error();
    }
  }
  if (auto st = tx.commit(); !st) return std::move(st).error();
  return generation;
}

Result<std::vector<HostRecord>> PgStore::load_hosts(const std::string* only) {
  if (auto st = enter(); !st) return std::move(st).error();
  std::vector<HostRecord> out;
  std::map<std::string, size_t> index;
  const std::vector<Param> params = only ? std::vector<Param>{*only} : std::vector<Param>{};
  auto hs = run(*session_, only ? "SELECT name, generation, has_numa FROM hosts WHERE name = $1" : "SELECT name, generation, has_numa FROM hosts ORDER BY name",
                params, "hosts");
  if (!hs) return std::move(hs).error();
  for (int i = 0; i < hs->rows(); ++i) {
    HostRecord h;
    h.name = hs->text(i, 0);
    h.generation = static_cast<uint64_t>(hs->integer(i, 1));
    if (hs->boolean(i, 2)) h.numa = std::vector<NumaCellSpec>{};
    index[h.name] = out.size();
    out.push_back(std::move(h));
  }
  auto cells = run(*session_, only ? "SELECT host, id, cpus, memory_mb, socket FROM host_numa WHERE host = $1 ORDER BY host, id"
                               : "SELECT host, id, cpus, memory_mb, socket FROM host_numa ORDER BY host, id",
                   params, "hosts");
  if (!cells) return std::move(cells).error();
  for (int i = 0; i < cells->rows(); ++i) {
    auto it = index.find(cells->text(i, 0));
    if (it == index.end() || !out[it->second].numa) continue;
    out[it->second].numa->push_back({static_cast<uint32_t>(cells->integer(i, 1)), static_cast<uint32_t>(cells->integer(i, 2)),
                                     static_cast<uint64_t>(cells->integer(i, 3)), cells->optional<uint32_t>(i, 4)});
  }
  auto devs = run(*session_,
                  only ? "SELECT host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, devname, "
                         "iommu_group, fingerprint, vanished FROM devices WHERE host = $1 ORDER BY host, address"
                       : "SELECT host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, devname, "
                         "iommu_group, fingerprint, vanished FROM devices ORDER BY host, address",
                  params, "hosts");
  if (!devs) return std::move(devs).error();
  for (int i = 0; i < devs->rows(); ++i) {
    auto it = index.find(devs->text(i, 0));
    if (it == index.end()) continue;
    auto address = PciAddress::parse(devs->text(i, 1));
    auto vendor = PciId::parse(devs->text(i, 2));
    auto product = PciId::parse(devs->text(i, 3));
    if (!address || !vendor || !product)
      return Error(ErrorCode::Internal, "corrupt device row " + devs->text(i, 0) + "/" + devs->text(i, 1));
    StoredDevice d;
    d.facts.address = *address;
    d.facts.vendor_id = *vendor;
    d.facts.product_id = *product;
    d.facts.class_code = devs->optional<uint32_t>(i, 4);
    d.facts.numa_node = devs->optional<uint32_t>(i, 5);
    d.facts.sriov_totalvfs = static_cast<uint32_t>(devs->integer(i, 6));
    if (!devs->null(i, 7))
      if (auto pf = PciAddress::parse(devs->text(i, 7))) d.facts.physfn = *pf;
    d.facts.devname = devs->text(i, 8);
    d.facts.iommu_group = devs->optional<uint32_t>(i, 9);
    d.fingerprint = devs->text(i, 10);
    d.vanished = devs->boolean(i, 11);
    out[it->second].devices.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<HostRecord>> PgStore::hosts() { return load_hosts(nullptr); }

Result<HostRecord> PgStore::host(const std::string& name) {
  auto all = load_hosts(&name);
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
    auto ins = run(*session_, "INSERT INTO flavors (name, vcpus, memory_mb) VALUES ($1, $2, $3)", {f.name, num(f.vcpus), num(f.memory_mb)},
                   "create flavor " + f.name);
    if (!ins) {
      if (ins.error().code() == ErrorCode::Conflict) return Error(ErrorCode::AlreadyExists, "flavor " + quote(f.name) + " already exists");
      return std::move(ins).error();
    }
  } else {
    auto up = run(*session_, "UPDATE flavors SET vcpus = $1, memory_mb = $2, revision = revision + 1 WHERE name = $3", {num(f.vcpus), num(f.memory_mb), f.name},
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

Status PgStore::create_flavor(const FlavorRecord& f) { return write_flavor(f, true); }
Status PgStore::update_flavor(const FlavorRecord& f) { return write_flavor(f, false); }

Result<std::vector<FlavorRecord>> PgStore::flavors() {
  if (auto st = enter(); !st) return std::move(st).error();
  std::vector<FlavorRecord> out;
  std::map<std::string, size_t> index;
  auto fs = run(*session_, "SELECT name, vcpus, memory_mb, revision FROM flavors ORDER BY name", {}, "flavors");
  if (!fs) return std::move(fs).error();
  for (int i = 0; i < fs->rows(); ++i) {
    index[fs->text(i, 0)] = out.size();
    out.push_back({fs->text(i, 0), static_cast<uint32_t>(fs->integer(i, 1)), static_cast<uint64_t>(fs->integer(i, 2)), {},
                   static_cast<uint64_t>(fs->integer(i, 3))});
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
               "SELECT f.name, f.vcpus, f.memory_mb, s.key, s.value, f.revision FROM flavors f "
               "LEFT JOIN flavor_extra_specs s ON s.flavor = f.name WHERE f.name = $1 ORDER BY s.position",
               {name}, "flavor " + name);
  if (!q) return std::move(q).error();
  if (q->rows() == 0) return Error(ErrorCode::NotFound, "no flavor " + quote(name));
  FlavorRecord f{q->text(0, 0), static_cast<uint32_t>(q->integer(0, 1)), static_cast<uint64_t>(q->integer(0, 2)), {},
                 static_cast<uint64_t>(q->integer(0, 5))};
  for (int i = 0; i < q->rows(); ++i)
    if (!q->null(i, 3)) f.extra_specs.emplace_back(q->text(i, 3), q->text(i, 4));
  return f;
}

namespace {

// The parameters of pcipass_claim($1 .. $14) for a claim.
Result<std::vector<Param>> claim_params(const InstanceRecordRow& in, uint64_t expected_generation) {
  std::vector<Param> cell, vcpus, mem, addr, req, spec_keys, spec_values;
  for (const auto& [k, v] : in.extra_specs) {
    spec_keys.push_back(k);
    spec_values.push_back(v);
  }
  for (const auto& c : in.cells) {
    cell.push_back(num(c.first));
    vcpus.push_back(num(c.second.first));
    mem.push_back(num(c.second.second));
  }
  for (const auto& a : in.devices) {
    if (a.host != in.host) return invalid("device " + a.address.to_string() + " is not on " + in.host);
    addr.push_back(a.address.to_string());
    req.push_back(num(a.request));
  }
  return std::vector<Param>{in.host, num(expected_generation), in.id, in.flavor, num(in.vcpus), num(in.memory_mb), text_array(cell),
                            text_array(vcpus), text_array(mem), text_array(addr), text_array(req), num(in.flavor_revision),
                            text_array(spec_keys), text_array(spec_values)};
}

constexpr const char* kClaimArgs =
    "($1, $2, $3, $4, $5, $6, $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12, $13::text[], $14::text[])";

}  // namespace

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
  if (outcome == "exists") return Error(ErrorCode::AlreadyExists, "instance " + quote(in.id) + " already exists");
  if (outcome == "held") return Error(ErrorCode::DeviceHeld, in.host + " " + r->text(0, 2));
  if (outcome == "twice") return Error(ErrorCode::InvalidArgument, in.host + ": a device is named twice in the claim of " + in.id);
  if (outcome == "busy") return Error(ErrorCode::Busy, "host " + in.host + " is locked by another controller's open transaction");
  return Error(ErrorCode::Internal, "pcipass_claim answered an unknown outcome " + quote(outcome));
}

Status PgStore::send_deferred(const char* sql, const std::vector<Param>& params) {
  PgSession& s = *session_;
  if (!s.pipelined) {
    if (PQenterPipelineMode(s.c) != 1) return pg_error(s.c, nullptr, "pipeline");
    s.pipelined = true;
  }
  bool fresh = false;
  const std::string& name = statement_name(s, sql, fresh);
  if (fresh) {  // a failure shows when the batch settles (and forgets every name)
    PQsendPrepare(s.c, name.c_str(), sql, 0, nullptr);
    ++s.unread;
  }
  const auto values = c_strings(params);
  PQsendQueryPrepared(s.c, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  ++s.unread;
  // Not flushed: libpq sends what piled up when its buffer fills or the batch settles.
  // Answers pile up on the server until read: settle well before its buffers fill.
  if (s.unread >= kMaxUnread) return enter();
  return ok_status();
}

Result<uint64_t> PgStore::claim_deferred(const InstanceRecordRow& in, uint64_t expected_generation) {
  if (!session_->batch) return claim(in, expected_generation);
  if (session_->refusal) return *session_->refusal;
  auto params = claim_params(in, expected_generation);
  if (!params) return std::move(params).error();
  static const std::string sql = std::string("SELECT pcipass_claim_strict") + kClaimArgs;
  if (auto st = send_deferred(sql.c_str(), *params); !st) return std::move(st).error();
  return expected_generation + 1;
}

Status PgStore::release_deferred(const std::string& id) {
  if (!session_->batch) return release(id);
  if (session_->refusal) return *session_->refusal;
  return send_deferred("SELECT pcipass_release_strict($1)", {id});
}

Status PgStore::release(const std::string& id) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto r = run(*session_, "SELECT pcipass_release($1)", {id}, "release " + id);
  if (!r) return std::move(r).error();
  const std::string outcome = r->text(0, 0);
  if (outcome == "ok") return ok_status();
  if (outcome == "missing") return Error(ErrorCode::NotFound, "no instance " + quote(id));
  if (outcome == "busy") return Error(ErrorCode::Busy, "instance " + id + " is locked by another controller's open transaction");
  return Error(ErrorCode::Internal, "pcipass_release answered an unknown outcome " + quote(outcome));
}

Result<std::vector<InstanceRecordRow>> PgStore::instances() { return load_instances(nullptr); }
Result<std::vector<InstanceRecordRow>> PgStore::instances_on(const std::string& host) { return load_instances(&host); }

Result<std::vector<InstanceRecordRow>> PgStore::load_instances(const std::string* host) {
  if (auto st = enter(); !st) return std::move(st).error();
  std::vector<InstanceRecordRow> out;
  std::map<std::string, size_t> index;
  const std::vector<Param> params = host ? std::vector<Param>{*host} : std::vector<Param>{};
  auto is = run(*session_, host ? "SELECT id, host, flavor, vcpus, memory_mb FROM instances WHERE host = $1 ORDER BY id"
                            : "SELECT id, host, flavor, vcpus, memory_mb FROM instances ORDER BY id",
                params, "instances");
  if (!is) return std::move(is).error();
  for (int i = 0; i < is->rows(); ++i) {
    InstanceRecordRow r;
    r.id = is->text(i, 0);
    r.host = is->text(i, 1);
    r.flavor = is->text(i, 2);
    r.vcpus = static_cast<uint32_t>(is->integer(i, 3));
    r.memory_mb = static_cast<uint64_t>(is->integer(i, 4));
    index[r.id] = out.size();
    out.push_back(std::move(r));
  }
  auto cs = run(*session_, host ? "SELECT c.instance, c.cell, c.vcpus, c.memory_mb FROM instance_cells c JOIN instances i ON i.id = c.instance "
                              "WHERE i.host = $1 ORDER BY c.instance, c.position"
                            : "SELECT instance, cell, vcpus, memory_mb FROM instance_cells ORDER BY instance, position",
                params, "instances");
  if (!cs) return std::move(cs).error();
  for (int i = 0; i < cs->rows(); ++i)
    if (auto it = index.find(cs->text(i, 0)); it != index.end())
      out[it->second].cells.push_back(
          {static_cast<uint32_t>(cs->integer(i, 1)), {static_cast<uint32_t>(cs->integer(i, 2)), static_cast<uint64_t>(cs->integer(i, 3))}});
  auto es = run(*session_, host ? "SELECT i.id, t.k, t.v FROM instances i, unnest(i.extra_spec_keys, i.extra_spec_values) WITH ORDINALITY AS t(k, v, ord) "
                              "WHERE i.host = $1 ORDER BY i.id, t.ord"
                            : "SELECT i.id, t.k, t.v FROM instances i, unnest(i.extra_spec_keys, i.extra_spec_values) WITH ORDINALITY AS t(k, v, ord) "
                              "ORDER BY i.id, t.ord",
                params, "instances");
  if (!es) return std::move(es).error();
  for (int i = 0; i < es->rows(); ++i)
    if (auto it = index.find(es->text(i, 0)); it != index.end()) out[it->second].extra_specs.emplace_back(es->text(i, 1), es->text(i, 2));
  auto as = run(*session_, host ? "SELECT host, address, instance, request FROM allocations WHERE host = $1 ORDER BY instance, address"
                            : "SELECT host, address, instance, request FROM allocations ORDER BY instance, host, address",
                params, "instances");
  if (!as) return std::move(as).error();
  for (int i = 0; i < as->rows(); ++i) {
    auto it = index.find(as->text(i, 2));
    auto address = PciAddress::parse(as->text(i, 1));
    if (it == index.end() || !address) continue;
    out[it->second].devices.push_back({as->text(i, 0), *address, as->text(i, 2), static_cast<uint32_t>(as->integer(i, 3))});
  }
  return out;
}

Status PgStore::create_token(const TokenRecord& t) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  auto r = run(*session_, "INSERT INTO tokens (name, secret_sha256, role, host) VALUES ($1, $2, $3, $4)", {t.name, t.secret_sha256, t.role, t.host},
               "create token " + t.name);
  if (!r) {
    if (r.error().code() == ErrorCode::Conflict) return Error(ErrorCode::AlreadyExists, "token " + quote(t.name) + " already exists");
    return std::move(r).error();
  }
  return tx.commit();
}

Result<std::vector<TokenRecord>> PgStore::load_tokens(const std::string* sha256) {
  if (auto st = enter(); !st) return std::move(st).error();
  auto q = sha256 ? run(*session_, "SELECT name, secret_sha256, role, host FROM tokens WHERE secret_sha256 = $1", {*sha256}, "tokens")
                  : run(*session_, "SELECT name, secret_sha256, role, host FROM tokens ORDER BY name", {}, "tokens");
  if (!q) return std::move(q).error();
  std::vector<TokenRecord> out;
  for (int i = 0; i < q->rows(); ++i) out.push_back({q->text(i, 0), q->text(i, 1), q->text(i, 2), q->text(i, 3)});
  return out;
}

Result<TokenRecord> PgStore::token_by_secret_sha256(const std::string& sha256_hex) {
  auto found = load_tokens(&sha256_hex);
  if (!found) return std::move(found).error();
  if (found->empty()) return Error(ErrorCode::NotFound, "no such token");
  return std::move(found->front());
}

Result<std::vector<TokenRecord>> PgStore::tokens() { return load_tokens(nullptr); }

Status PgStore::delete_token(const std::string& name) {
  if (auto st = enter(); !st) return std::move(st).error();
  Transaction tx(*session_, session_->batch);
  auto r = run(*session_, "DELETE FROM tokens WHERE name = $1", {name}, "delete token " + name);
  if (!r) return std::move(r).error();
  if (r->affected() == 0) return Error(ErrorCode::NotFound, "no token " + quote(name));
  return tx.commit();
}

}  // namespace pcipass
