#include "controller/group_commit.h"

#include <optional>

namespace pcipass {

namespace {
// How many ended batches keep their fate for late waiters.
constexpr uint64_t kFatesKept = 4096;
}  // namespace

GroupCommit::GroupCommit(StateStore& store, std::mutex& owner_lock, Hooks hooks)
    : store_(store), owner_(owner_lock), hooks_(std::move(hooks)) {
  committer_ = std::thread([this] { run(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard c(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  done_.notify_all();
  if (committer_.joinable()) committer_.join();
  std::lock_guard lock(owner_);
  open_.reset();
}

GroupCommit::Slot GroupCommit::join_locked() {
  if (!open_) {
    auto batch = store_.begin_batch();
    if (!batch) return {};  // the store cannot batch now: each write is its own transaction
    open_ = std::move(*batch);
    open_id_ = ++last_id_;
    open_writes_ = 0;
  }
  ++open_writes_;
  return {open_.get(), open_id_};
}

GroupCommit::Fate GroupCommit::settle_failure_locked(const Error& e, const std::set<std::string>& hosts) {
  if (e.code() == ErrorCode::Busy) {
    if (hooks_.on_refused) hooks_.on_refused(hosts);
    return Fate::Refused;
  }
  if (hooks_.on_failed) hooks_.on_failed();
  return Fate::Failed;
}

void GroupCommit::run() {
  for (;;) {
    {
      std::unique_lock c(mu_);
      work_.wait(c, [&] { return stopping_ || requested_ > finished_; });
      if (stopping_) return;
    }
    std::unique_ptr<WriteBatch> sealed;
    uint64_t id = 0;
    Fate fate = Fate::Committed;
    std::optional<uint64_t> dropped;  // the next batch, lost with the one it was planned on
    size_t writes = 0;
    const bool timed = hooks_.now && hooks_.on_settled;
    std::chrono::steady_clock::time_point began;
    {
      std::lock_guard lock(owner_);
      id = last_id_;
      if (open_) {
        id = open_id_;
        writes = open_writes_;
        if (timed) began = hooks_.now();
        sealed = std::move(open_);
        sealed_hosts_ = std::move(open_hosts_);
        open_hosts_.clear();
        if (auto st = sealed->seal(); !st) {
          fate = settle_failure_locked(st.error(), sealed_hosts_);
          sealed_hosts_.clear();
          sealed.reset();
        }
      }
    }
    if (sealed) {
      auto st = sealed->commit();  // outside the lock: the next batch is served meanwhile
      std::lock_guard lock(owner_);
      if (!st) {
        std::set<std::string> lost = sealed_hosts_;
        if (open_) {  // planned on what was just lost: it goes too, and is served again
          lost.merge(open_hosts_);
          open_.reset();
          open_hosts_.clear();
          dropped = open_id_;
        }
        fate = settle_failure_locked(st.error(), lost);
      }
      sealed_hosts_.clear();
      sealed.reset();
    }
    if (timed && writes > 0) hooks_.on_settled(writes, hooks_.now() - began, fate);
    {
      std::lock_guard c(mu_);
      finished_ = dropped.value_or(id);
      if (fate == Fate::Failed) failed_.insert(id);
      if (fate == Fate::Refused) refused_.insert(id);
      if (dropped) refused_.insert(*dropped);
      while (!failed_.empty() && *failed_.begin() + kFatesKept < finished_) failed_.erase(failed_.begin());
      while (!refused_.empty() && *refused_.begin() + kFatesKept < finished_) refused_.erase(refused_.begin());
    }
    done_.notify_all();
  }
}

GroupCommit::Fate GroupCommit::wait(uint64_t ticket) {
  std::unique_lock c(mu_);
  if (requested_ < ticket) requested_ = ticket;
  work_.notify_one();
  done_.wait(c, [&] { return finished_ >= ticket || stopping_; });
  if (finished_ < ticket || failed_.count(ticket)) return Fate::Failed;
  return refused_.count(ticket) ? Fate::Refused : Fate::Committed;
}

}  // namespace pcipass
