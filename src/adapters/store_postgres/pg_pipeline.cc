#include "adapters/store_postgres/pg_pipeline.h"

namespace pcipass::pg {
namespace {
// Answers pile up on the server until read: settle well before its buffers fill.
constexpr int kMaxUnread = 64;
}  // namespace

Status open_batch(PgSession& s, int64_t turn_key) {
  if (s.batch) return Error(ErrorCode::Internal, "a batch is already open");
  revive(s);
  if (PQstatus(s.c) != CONNECTION_OK) return pg_error(s.c, nullptr, "begin batch");
  if (PQenterPipelineMode(s.c) != 1) return pg_error(s.c, nullptr, "begin batch");
  s.pipelined = true;
  s.batch = true;
  // This store's batches take turns on its two connections: a batch's statements run
  // only once the batch before it has committed (they queue in PostgreSQL meanwhile),
  // so the two never wait on each other's rows. Then, inside a batch, nothing waits
  // long on another controller's row locks: a wait could close a cycle between two
  // open batches; such a step fails as busy.
  const std::string key = std::to_string(turn_key);
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

Status enter(PgSession& s) {
  if (!s.batch) {
    revive(s);
    return ok_status();
  }
  settle(s);
  if (s.refusal) return *s.refusal;
  return ok_status();
}

Status send_deferred(PgSession& s, const char* sql, const std::vector<Param>& params) {
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
  if (s.unread >= kMaxUnread) return enter(s);
  return ok_status();
}

// Each statement's answer is a result then a null; the first failure is kept in
// s.failure.
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

void abort_batch(PgSession& s) {
  if (!s.batch) return;
  settle(s);
  if (!s.refusal) PQclear(PQexec(s.c, "ROLLBACK"));
  s.refusal.reset();
  s.batch = false;
}

}  // namespace pcipass::pg
