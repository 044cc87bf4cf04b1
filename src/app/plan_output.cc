#include "app/plan_output.h"

#include <cstdio>

#include "app/commands.h"

namespace pcipass::app {

size_t print_plan(const BindPlan& plan, bool dry_run, size_t first_number, bool header) {
  for (const auto& n : plan.notes) std::printf("%s\n", n.c_str());
  if (header && !plan.steps.empty())
    std::printf("%s %zu step%s:\n", dry_run ? "would run" : "running", plan.steps.size(), plan.steps.size() == 1 ? "" : "s");
  for (size_t i = 0; i < plan.steps.size(); ++i) std::printf("  %zu. %s\n", first_number + i, plan.steps[i].description.c_str());
  return plan.steps.size();
}

int report_outcome(const char* verb, const std::optional<Error>& failure, bool rolled_back,
                   const std::vector<std::string>& rollback_errors) {
  if (!failure) {
    std::printf("%s: done\n", verb);
    return kExitOk;
  }
  std::fprintf(stderr, "pcipass %s: %s\n", verb, failure->describe().c_str());
  if (rolled_back) {
    std::fprintf(stderr, "pcipass %s: rolled back what was done; the host is as it was\n", verb);
    return kExitMismatch;
  }
  for (const auto& e : rollback_errors) std::fprintf(stderr, "pcipass %s: could not undo: %s\n", verb, e.c_str());
  std::fprintf(stderr, "pcipass %s: the host needs attention: see the steps above\n", verb);
  return kExitInternal;
}

}  // namespace pcipass::app
