#pragma once
// --db: "sqlite:PATH" (or a bare path) opens the SQLite file; "postgresql://...",
// "postgres://..." or a libpq "key=value" string opens PostgreSQL. The schema is
// migrated to this build's version.
#include <memory>
#include <string>

#include "ports/store.h"

namespace pcipass::app {

Result<std::unique_ptr<Store>> open_store(const std::string& db);

}  // namespace pcipass::app
