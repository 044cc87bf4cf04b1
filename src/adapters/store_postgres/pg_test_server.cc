#include "adapters/store_postgres/pg_test_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>

namespace pcipass::testing {
namespace {

std::string admin_conninfo() {
  const char* c = std::getenv("PCIPASS_TEST_PG");
  if (!c || !*c) {
    ADD_FAILURE() << "PCIPASS_TEST_PG is not set: run the PostgreSQL tests through ctest, which starts a server "
                     "(tests/pg/pg-server.sh)";
    return "";
  }
  return c;
}

void admin(const std::string& sql) {
  PGconn* c = PQconnectdb(admin_conninfo().c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot reach the test PostgreSQL: " << PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
}

}  // namespace

std::string pg_database(const std::string& name) { return admin_conninfo() + " dbname=" + name; }

std::string fresh_pg_database(const std::string& name) {
  admin("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
  admin("CREATE DATABASE \"" + name + "\"");
  return pg_database(name);
}

}  // namespace pcipass::testing
