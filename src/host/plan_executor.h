#pragma once
// Runs a BindPlan step by step. If a step fails, the steps done so far are undone in
// reverse order (and the failed step's own undo, best effort, if it got partway),
// so the host ends as it began; what could not be undone is reported.
#include <optional>
#include <string>
#include <vector>

#include "core/bind_plan.h"
#include "ports/sysfs_reader.h"
#include "core/progress.h"
#include "ports/sysfs_writer.h"

namespace pcipass {

struct Execution {
  size_t steps_done = 0;
  std::optional<Error> failure;               // the step that failed, with context
  bool rolled_back = false;
  std::vector<std::string> rollback_errors;   // undo actions that failed
  std::vector<std::string> log;               // one line per action, in order
  bool ok() const { return !failure; }
};

// `progress` (if set) hears of each step begun (`stage`, step, steps).
Execution execute(const BindPlan& plan, SysfsWriter& writer, const SysfsReader& reader, const Progress* progress = nullptr,
                  std::string_view stage = "carrying out the plan");

// Undoes a plan that ran to completion (every step, in reverse); returns what failed.
std::vector<std::string> undo_all(const BindPlan& plan, SysfsWriter& writer, const SysfsReader& reader);

}  // namespace pcipass
