#pragma once
// Group commit over one StateStore handle. Writes run inside the open WriteBatch (one
// is opened when none is), and each caller waits, outside the owner's lock, until its
// batch is durable. A committer thread seals the open batch as soon as someone waits
// on it and commits it while the next batch fills, so under load one commit serves
// many requests and idle latency stays one commit.
//
// Locking: the owner (the service) holds one mutex around every use of the store and
// the fleet; the methods named *_locked are called with it held; wait() without it.
// The committer takes it to seal a batch and to settle it.
//
// A batch ends one of three ways: Committed; Refused (the store rolled it back because
// a deferred write was refused: nothing of it was kept, and serving its requests again,
// without deferring, works); or Failed (the store could not commit: nothing kept). On
// Refused and Failed the owner is told (under the lock) so the fleet follows the store:
// on_refused gets every host the lost writes touched; on_failed, nothing (rebuild all).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "ports/state_store.h"

namespace pcipass {

class GroupCommit {
 public:
  enum class Fate { Committed, Refused, Failed };
  struct Hooks {
    std::function<void(const std::set<std::string>& hosts)> on_refused;
    std::function<void()> on_failed;
    // Each sealed batch once it has ended: the writes it carried, how long its commit
    // took (by `now`) and its fate. Both set, or neither.
    std::function<std::chrono::steady_clock::time_point()> now;
    std::function<void(size_t writes, std::chrono::nanoseconds took, Fate fate)> on_settled;
  };

  GroupCommit(StateStore& store, std::mutex& owner_lock, Hooks hooks);
  ~GroupCommit();  // stops the committer; an open batch is dropped (rolled back)
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  struct Slot {
    WriteBatch* batch = nullptr;  // null: the store opened none; the write runs as its own transaction
    uint64_t ticket = 0;          // what to wait on (0: nothing)
  };
  // The open batch for a write, opened if there is none.
  Slot join_locked();
  // The ticket of the open batch (0: none): a read of state it changed waits on it.
  uint64_t open_ticket_locked() const { return open_ ? open_id_ : 0; }
  // The open batch changed this host (its generation): rebuilt if the batch is lost.
  void touched_locked(const std::string& host) { open_hosts_.insert(host); }
  // Hosts whose writes are in the sealed batch, committing now: the store does not
  // show them to this handle yet, so a refresh must leave them alone.
  const std::set<std::string>& sealed_hosts_locked() const { return sealed_hosts_; }

  // Waits until the batch of `ticket` has ended.
  Fate wait(uint64_t ticket);

 private:
  void run();
  // Under the owner's lock: the store refused or failed a batch; tells the owner.
  Fate settle_failure_locked(const Error& e, const std::set<std::string>& hosts);

  StateStore& store_;
  std::mutex& owner_;
  Hooks hooks_;
  // Guarded by the owner's lock:
  std::unique_ptr<WriteBatch> open_;
  uint64_t open_id_ = 0;
  size_t open_writes_ = 0;  // joins of the open batch
  uint64_t last_id_ = 0;
  std::set<std::string> open_hosts_, sealed_hosts_;
  // Guarded by mu_:
  std::mutex mu_;
  std::condition_variable work_, done_;
  uint64_t requested_ = 0;  // newest ticket someone waits on
  uint64_t finished_ = 0;   // every ticket up to this one has ended
  std::set<uint64_t> failed_, refused_;
  bool stopping_ = false;
  std::thread committer_;
};

}  // namespace pcipass
