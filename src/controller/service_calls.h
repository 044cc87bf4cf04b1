#pragma once
// For the service's own files: the rules every call applies, and how a call runs
// (under the lock; a write inside the open batch and waiting for its commit).
#include <optional>
#include <string>

#include "controller/service.h"

namespace pcipass {

// How often a request is served again after a lost batch or a busy store.
inline constexpr int kMaxServes = 50;

// PermissionDenied unless `who` is an admin.
Status require_admin(const Principal& who);
// PermissionDenied for members: the fleet's own views are not a project's.
Status require_fleet_view(const Principal& who);
// Host names, server ids, flavor and token names appear in URL path segments: 1 to 255
// of letters, digits, '-', '_' and '.'; InvalidArgument within `what` otherwise.
Status check_name(const std::string& name, const char* what);

template <class T, class Step>
Result<T> Service::write(Step&& step) {
  bool may_defer = true;
  for (int attempt = 1;; ++attempt) {
    uint64_t ticket = 0;
    std::optional<Result<T>> r;
    {
      std::lock_guard lock(mu_);
      const auto slot = commits_->join_locked();
      ticket = slot.ticket;
      r.emplace(step(slot.batch && may_defer && slot.batch->deferred() ? slot.batch : nullptr));
    }
    switch (ticket ? commits_->wait(ticket) : GroupCommit::Fate::Committed) {
      case GroupCommit::Fate::Failed:
        return Error(ErrorCode::Unavailable, "the store could not commit this request's batch; nothing of it was kept; retry");
      case GroupCommit::Fate::Refused:
        // Nothing of it was kept; served again without deferring, it meets the store's answer at once.
        may_defer = false;
        if (attempt >= kMaxServes) return Error(ErrorCode::Busy, "the store kept refusing this request's batch; nothing of it was kept; retry");
        continue;
      case GroupCommit::Fate::Committed:
        break;
    }
    // A row locked by another controller's open batch: this batch is committed now
    // (releasing what it held), so trying again can get through.
    if (r->code() == ErrorCode::Busy && attempt < kMaxServes) {
      if (options_.retry_pause) options_.retry_pause(attempt);
      continue;
    }
    return std::move(*r);
  }
}

template <class T, class Step>
Result<T> Service::read(Step&& step) {
  for (int attempt = 1;; ++attempt) {
    uint64_t ticket = 0;
    std::optional<Result<T>> r;
    {
      std::lock_guard lock(mu_);
      ticket = commits_->open_ticket_locked();
      r.emplace(step());
    }
    // What it saw may include writes of the open batch: answer once they are durable.
    const auto fate = ticket ? commits_->wait(ticket) : GroupCommit::Fate::Committed;
    if (fate == GroupCommit::Fate::Failed)
      return Error(ErrorCode::Unavailable, "the store could not commit the writes this answer saw; retry");
    const bool again = fate == GroupCommit::Fate::Refused || r->code() == ErrorCode::Busy;
    if (again && attempt < kMaxServes) {
      if (fate != GroupCommit::Fate::Refused && options_.retry_pause) options_.retry_pause(attempt);
      continue;
    }
    return std::move(*r);
  }
}

}  // namespace pcipass
