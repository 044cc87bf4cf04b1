#pragma once
// The SQLite adapter's plumbing: errors by result code, prepared statements cached per
// connection, and transactions that become savepoints inside a batch.
#include <sqlite3.h>

#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.h"

namespace pcipass::sqlite {

inline Error sql_error(sqlite3* db, const std::string& what) {
  const int code = sqlite3_errcode(db);
  // A locked database is contention (try again); anything else about the database
  // itself (no file, no permission, read-only, corrupt, full) makes the store unusable.
  ErrorCode c = code == SQLITE_BUSY || code == SQLITE_LOCKED ? ErrorCode::Busy
                : code == SQLITE_CONSTRAINT                   ? ErrorCode::Conflict
                                                              : ErrorCode::Unavailable;
  return Error(c, what + ": " + sqlite3_errmsg(db));
}

// A prepared statement with typed binds and reads. Statements are prepared once per
// connection and kept in the store's cache (keyed by the SQL literal's address);
// leaving scope resets one for its next use.
class Stmt {
 public:
  Stmt(sqlite3* db, std::unordered_map<const void*, sqlite3_stmt*>& cache, const char* sql) : db_(db) {
    if (auto it = cache.find(sql); it != cache.end()) {
      s_ = it->second;
      ok_ = true;
      return;
    }
    ok_ = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) == SQLITE_OK;
    if (ok_) cache.emplace(sql, s_);
  }
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool prepared() const { return ok_; }
  Stmt& bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT); return *this; }
  Stmt& bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    if (v) bind(i, static_cast<int64_t>(*v));
    else sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& bind_null(int i) { sqlite3_bind_null(s_, i); return *this; }
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step() { return sqlite3_step(s_); }
  void reset() { sqlite3_reset(s_); sqlite3_clear_bindings(s_); }
  std::string text(int c) const {
    const unsigned char* t = sqlite3_column_text(s_, c);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  template <class T>
  std::optional<T> optional(int c) const {
    if (null(c)) return std::nullopt;
    return static_cast<T>(integer(c));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed; inside a batch, a
// savepoint released on commit and rolled back to otherwise. The statements are
// prepared once (a batch runs thousands of these).
class Transaction {
 public:
  Transaction(sqlite3* db, std::unordered_map<const void*, sqlite3_stmt*>& cache, bool in_batch)
      : db_(db), cache_(cache), nested_(in_batch) {
    began_ = run(nested_ ? "SAVEPOINT op" : "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (!began_ || done_) return;
    if (nested_) {
      run("ROLLBACK TO op");
      run("RELEASE op");
    } else {
      run("ROLLBACK");
    }
  }
  bool began() const { return began_; }
  Status commit() {
    if (!run(nested_ ? "RELEASE op" : "COMMIT")) return sql_error(db_, "commit");
    done_ = true;
    return ok_status();
  }

 private:
  bool run(const char* sql) {
    Stmt st(db_, cache_, sql);
    if (!st.prepared()) return false;
    const int rc = st.step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
  }
  sqlite3* db_;
  std::unordered_map<const void*, sqlite3_stmt*>& cache_;
  bool nested_;
  bool began_ = false;
  bool done_ = false;
};

#define PCIPASS_SQL_OK(stmt, what) \
  if (!(stmt).prepared()) return sql_error(db_, what)

}  // namespace pcipass::sqlite
