#pragma once
// --db: "sqlite:PATH" (or a bare path) opens the SQLite file; "postgresql://...",
// "postgres://..." or a libpq "key=value" string opens PostgreSQL. The schema is
// migrated to this build's version.
#include <memory>
#include <string>

#include "ports/store.h"

namespace pcipass::app {

Result<std::unique_ptr<Store>> open_store(const std::string& db);

// For SQLite: a second connection that checkpoints the WAL every `every_ms` from its
// own thread (so no request waits for the checkpoint's fsync), with the request
// connection's automatic checkpoints turned off. Nothing for PostgreSQL.
class Checkpointer {
 public:
  static Result<std::unique_ptr<Checkpointer>> start(const std::string& db, Store& requests, unsigned every_ms);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  Checkpointer() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pcipass::app
