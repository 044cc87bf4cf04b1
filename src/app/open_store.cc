#include "app/open_store.h"

#include "adapters/store_postgres/pg_store.h"
#include "adapters/store_sqlite/sqlite_store.h"

namespace pcipass::app {

Result<std::unique_ptr<Store>> open_store(const std::string& db) {
  std::unique_ptr<Store> store;
  const bool pg = db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0 || db.find('=') != std::string::npos;
  if (pg) {
    auto s = PgStore::open(db);
    if (!s) return std::move(s).error();
    store = std::move(*s);
  } else {
    std::string path = db.rfind("sqlite:", 0) == 0 ? db.substr(7) : db;
    if (path.empty()) return invalid("--db sqlite: needs a file path");
    auto s = SqliteStore::open(path);
    if (!s) return std::move(s).error();
    store = std::move(*s);
  }
  if (auto st = store->migrate(); !st) return std::move(std::move(st).error().within("--db"));
  return store;
}

}  // namespace pcipass::app
