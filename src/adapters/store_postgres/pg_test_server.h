#pragma once
// Tests only: databases on the throwaway PostgreSQL server that ctest starts
// (tests/pg/pg-server.sh; its connection string arrives in PCIPASS_TEST_PG).
#include <string>

namespace pcipass::testing {

// The connection string of a fresh, empty database called `name` (dropped and
// created again). Fails the current test when no server was started.
std::string fresh_pg_database(const std::string& name);
// A connection string for the existing database `name`.
std::string pg_database(const std::string& name);

}  // namespace pcipass::testing
