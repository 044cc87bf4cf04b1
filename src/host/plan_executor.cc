#include "host/plan_executor.h"

#include "core/sysfs_parse.h"

namespace pcipass {
namespace {

Status run(const FsAction& a, SysfsWriter& writer, const SysfsReader& reader) {
  switch (a.kind) {
    case FsAction::Kind::WriteAttribute: return writer.write_attribute(a.path, a.value);
    case FsAction::Kind::WriteFile: return writer.write_file(a.path, a.value);
    case FsAction::Kind::RemoveFile: return writer.remove_file(a.path);
    case FsAction::Kind::ExpectDriver: {
      auto link = reader.read_link("sys/bus/pci/devices/" + a.path + "/driver");
      std::string found = link ? std::string(link_basename(*link)) : std::string();
      if (found == a.value) return ok_status();
      return Error(ErrorCode::Unavailable, a.path + " is bound to " + (found.empty() ? "no driver" : found) +
                                               ", expected " + (a.value.empty() ? "none" : a.value));
    }
    case FsAction::Kind::ExpectAttribute: {
      auto text = reader.read(a.path);
      if (!text) return std::move(text).error();
      std::string_view t = *text;
      while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
      if (t == a.value) return ok_status();
      return Error(ErrorCode::Unavailable, a.path + " reads " + std::string(t) + ", expected " + a.value);
    }
  }
  return Error(ErrorCode::Internal, "unknown action");
}

}  // namespace

Execution execute(const BindPlan& plan, SysfsWriter& writer, const SysfsReader& reader, const Progress* progress, std::string_view stage) {
  Execution ex;
  size_t partial_actions = 0;
  for (; ex.steps_done < plan.steps.size(); ++ex.steps_done) {
    const PlanStep& step = plan.steps[ex.steps_done];
    if (progress && *progress) (*progress)(stage, ex.steps_done, plan.steps.size());
    partial_actions = 0;
    for (const FsAction& a : step.apply) {
      auto st = run(a, writer, reader);
      ex.log.push_back((st ? "done: " : "FAILED: ") + a.describe());
      if (!st) {
        Error e = std::move(st).error();
        e.within("step " + std::to_string(ex.steps_done + 1) + " (" + step.description + ")");
        ex.failure = std::move(e);
        break;
      }
      ++partial_actions;
    }
    if (ex.failure) break;
  }
  if (!ex.failure) return ex;
  auto undo = [&](const PlanStep& step, bool best_effort) {
    for (const FsAction& a : step.undo) {
      auto st = run(a, writer, reader);
      ex.log.push_back((st ? "undone: " : "UNDO FAILED: ") + a.describe());
      if (!st && !best_effort) ex.rollback_errors.push_back(st.error().describe());
    }
  };
  if (partial_actions > 0) undo(plan.steps[ex.steps_done], true);
  for (size_t i = ex.steps_done; i-- > 0;) undo(plan.steps[i], false);
  ex.rolled_back = ex.rollback_errors.empty();
  return ex;
}

std::vector<std::string> undo_all(const BindPlan& plan, SysfsWriter& writer, const SysfsReader& reader) {
  std::vector<std::string> errors;
  for (size_t i = plan.steps.size(); i-- > 0;)
    for (const FsAction& a : plan.steps[i].undo)
      if (auto st = run(a, writer, reader); !st) errors.push_back(st.error().describe());
  return errors;
}

}  // namespace pcipass
