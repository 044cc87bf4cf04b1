#pragma once
// How the host-changing commands (bind, unbind, sriov, apply) show a plan and report
// its execution, with one mapping to exit statuses.
#include <string>

#include "core/bind_plan.h"
#include "host/plan_executor.h"

namespace pcipass::app {

// Prints notes and numbered steps ("would run" for a dry run); returns the steps printed.
size_t print_plan(const BindPlan& plan, bool dry_run, size_t first_number = 1, bool header = true);
// Prints the outcome of a run; returns 0 done, 1 failed and rolled back, 3 rollback incomplete.
int report_outcome(const char* verb, const std::optional<Error>& failure, bool rolled_back,
                   const std::vector<std::string>& rollback_errors);

}  // namespace pcipass::app
