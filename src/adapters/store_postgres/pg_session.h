#pragma once
// The PostgreSQL adapter's libpq plumbing: query results, errors classified by
// SQLSTATE (never by their text), one session per connection (its prepared statements
// and the state of its batch), statements run prepared, transactions that become
// savepoints inside a batch, and array literals for bulk parameters.
#include <libpq-fe.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace pcipass::pg {

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

// The SQLSTATE of a failed result ("" without one).
std::string sqlstate(const PGresult* r);
// An Error for a failed statement (or connection, with `r` null), its code by SQLSTATE.
Error pg_error(PGconn* c, const PGresult* r, const std::string& what);

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

  // Settles a new connection (the first, or one made again by PQreset): its settings,
  // and no prepared statements yet.
  Status begin();
};
// A new session on `conninfo`, settled (see PgSession::begin).
Result<std::unique_ptr<PgSession>> connect(const std::string& conninfo);

// A lost connection is re-established at the start of the next transaction or read,
// never in the middle of one (that would run the rest outside the transaction).
void revive(PgSession& s);

// The name `sql` is prepared under on this session's connection; `fresh` when it is
// new there, and the caller must prepare it (synchronously or down the pipeline).
const std::string& statement_name(PgSession& s, const char* sql, bool& fresh);
// libpq's view of text parameters (null for SQL NULL); valid while `params` lives.
std::vector<const char*> c_strings(const std::vector<Param>& params);
// Runs one statement with text parameters: each distinct statement is a named prepared
// statement, prepared on first use (again after a reconnect), so PostgreSQL parses and
// plans it once per connection.
Result<PgResult> run(PgSession& s, const char* sql, const std::vector<Param>& params, const std::string& what);

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
std::string text_array(const std::vector<Param>& items);

}  // namespace pcipass::pg
