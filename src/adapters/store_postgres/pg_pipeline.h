#pragma once
// A write batch on one PostgreSQL session, in libpq pipeline mode: its opening
// statements, the deferred claims and releases sent without waiting, and its commit,
// whose answers are read only when the batch settles. Any failed answer rolls the
// whole batch back; why is kept in the session's `refusal` (Busy where serving the
// batch's requests again may work).
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/store_postgres/pg_session.h"

namespace pcipass::pg {

// The SQLSTATE of a refusal raised by the *_strict functions (raise_exception).
inline constexpr const char* kRefusedState = "P0001";

// Opens a batch on `s`: BEGIN, the store's turn lock and the batch's lock timeout, sent
// down the pipeline and not waited for (a failure shows when the batch settles).
Status open_batch(PgSession& s, int64_t turn_key);
// Before any statement on `s`: outside a batch, revives a lost connection; inside
// one, settles the pipeline and fails (the batch's refusal) if it was rolled back.
Status enter(PgSession& s);
// Sends one prepared statement down the pipeline without waiting for its answer.
Status send_deferred(PgSession& s, const char* sql, const std::vector<Param>& params);
// Reads the answers of the next `n` statements sent down the pipeline.
void consume(PgSession& s, int n);
// Reads every answer, leaves pipeline mode, and rolls the batch back on a failure.
void settle(PgSession& s);
// Sends the batch's COMMIT without waiting; finish_commit() waits for it, and the
// batch is over either way.
void send_commit(PgSession& s);
Status finish_commit(PgSession& s);
// Rolls the open batch back and ends it.
void abort_batch(PgSession& s);

}  // namespace pcipass::pg
