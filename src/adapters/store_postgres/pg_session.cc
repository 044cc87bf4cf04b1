#include "adapters/store_postgres/pg_session.h"

namespace pcipass::pg {

namespace {

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

}  // namespace

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

// Settles a new connection (the first, or one made again by PQreset), outside any
// transaction: its settings, and no prepared statements yet. Generic plans: every
// statement here looks rows up by key, so planning each call anew only costs.
Status PgSession::begin() {
  names.clear();
  backend_pid = 0;
  PgResult r(PQexec(c, "SET client_min_messages = warning; SET plan_cache_mode = force_generic_plan"));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return pg_error(c, r.get(), "connect");
  backend_pid = PQbackendPID(c);
  return ok_status();
}

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

void revive(PgSession& s) {
  if (PQstatus(s.c) != CONNECTION_BAD) return;
  PQreset(s.c);
  if (PQstatus(s.c) == CONNECTION_OK) (void)s.begin();  // a failure shows in the next statement
}

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

}  // namespace pcipass::pg
