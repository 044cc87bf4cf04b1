#pragma once
// Rows of the PostgreSQL schema to and from the store's records: the reads (all at
// once, or filtered by host, name, id or secret), and a claim's parameters for the
// claim functions (migrations/functions.sql).
#include <string>
#include <vector>

#include "adapters/store_postgres/pg_session.h"
#include "ports/store.h"

namespace pcipass::pg {

// Every host, or only `only`; in name order.
Result<std::vector<HostRecord>> load_hosts(PgSession& s, const std::string* only);
// Every instance, those on `host`, or the one with `id`; in id order.
Result<std::vector<InstanceRecordRow>> load_instances(PgSession& s, const std::string* host, const std::string* id = nullptr);
// Every token, or the one with this secret hash.
Result<std::vector<TokenRecord>> load_tokens(PgSession& s, const std::string* sha256);

// The parameters $1 .. $21 of pcipass_claim and pcipass_claim_strict, and their
// argument list with its casts.
Result<std::vector<Param>> claim_params(const InstanceRecordRow& instance, uint64_t expected_generation);
extern const char* const kClaimArgs;

}  // namespace pcipass::pg
