#include "app/open_store.h"

#include "adapters/store_postgres/pg_store.h"
#include "adapters/store_sqlite/sqlite_store.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace pcipass::app {
namespace {
bool is_postgres(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0 || db.find('=') != std::string::npos;
}
std::string sqlite_path(const std::string& db) { return db.rfind("sqlite:", 0) == 0 ? db.substr(7) : db; }
}  // namespace

struct Checkpointer::State {
  std::unique_ptr<SqliteStore> store;
  std::mutex m;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;
};

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(const std::string& db, Store& requests, unsigned every_ms) {
  std::unique_ptr<Checkpointer> c(new Checkpointer());
  if (is_postgres(db)) return c;
  auto own = SqliteStore::open(sqlite_path(db));
  if (!own) return std::move(own).error();
  if (auto st = static_cast<SqliteStore&>(requests).set_auto_checkpoint(false); !st) return std::move(st).error();
  c->state_ = std::make_unique<State>();
  c->state_->store = std::move(*own);
  State* s = c->state_.get();
  s->thread = std::thread([s, every_ms] {
    std::unique_lock lock(s->m);
    while (!s->stop) {
      s->wake.wait_for(lock, std::chrono::milliseconds(every_ms));
      (void)s->store->checkpoint();  // a busy database is checkpointed next time
    }
  });
  return c;
}

Checkpointer::~Checkpointer() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->m);
    state_->stop = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
}

Result<std::unique_ptr<Store>> open_store(const std::string& db) {
  std::unique_ptr<Store> store;
  if (is_postgres(db)) {
    auto s = PgStore::open(db);
    if (!s) return std::move(s).error();
    store = std::move(*s);
  } else {
    std::string path = sqlite_path(db);
    if (path.empty()) return invalid("--db sqlite: needs a file path");
    auto s = SqliteStore::open(path);
    if (!s) return std::move(s).error();
    store = std::move(*s);
  }
  if (auto st = store->migrate(); !st) return std::move(std::move(st).error().within("--db"));
  return store;
}

}  // namespace pcipass::app
