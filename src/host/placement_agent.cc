#include "host/placement_agent.h"

#include <algorithm>
#include <set>

#include "host/binding.h"
#include "host/discovery.h"
#include "host/host_critical.h"
#include "host/host_facts.h"
#include "host/plan_executor.h"
#include "host/readiness.h"

namespace pcipass {

PlacementAgent::PlacementAgent(const SysfsReader& sysfs, SysfsWriter& writer, ControllerLink& link, Hypervisor* hypervisor,
                               AgentJournal journal, std::function<Status(const AgentJournal&)> save, PlacementAgentOptions options)
    : sysfs_(sysfs),
      writer_(writer),
      link_(link),
      hypervisor_(hypervisor),
      journal_(std::move(journal)),
      save_(std::move(save)),
      options_(std::move(options)) {}

void PlacementAgent::say(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Status PlacementAgent::save() { return save_ ? save_(journal_) : ok_status(); }

HostReport PlacementAgent::report() const {
  const Discovery d = discover(sysfs_, nullptr, options_.scan_progress ? &options_.scan_progress : nullptr);
  const auto critical = find_host_critical(sysfs_, d);
  HostReport r = host_report_of(sysfs_, d, critical, check_readiness(sysfs_, d, critical));
  r.manages_devices = true;
  std::set<PciAddress> ours;
  for (const auto& e : journal_.servers)
    for (const auto& dev : e.devices) ours.insert(dev.address);
  for (auto& rd : r.devices) {
    // Its own servers' VMs hold these open: that is the placement, not someone else's use.
    if (ours.count(rd.facts.address)) rd.facts.vfio_user.reset();
    if (auto it = journal_.attention.find(rd.facts.address); it != journal_.attention.end()) rd.facts.attention = it->second.substr(0, 1024);
  }
  return r;
}

Status PlacementAgent::recover() {
  std::vector<std::string> half_done;
  for (const auto& e : journal_.servers)
    if (e.phase != JournalPhase::Prepared) half_done.push_back(e.server);
  for (const auto& id : half_done) {
    JournalEntry* e = journal_.find(id);
    const bool was_preparing = e->phase == JournalPhase::Preparing;
    say("server " + id + ": found its " + (was_preparing ? "prepare" : "restore") + " half done; " +
        (was_preparing ? "undoing it" : "finishing it"));
    e->phase = JournalPhase::Restoring;
    if (auto st = save(); !st) return st;
    for (auto& [a, why] : restore_devices(sysfs_, writer_, e->devices, options_.restore)) journal_.attention[a] = why;
    if (was_preparing) {
      journal_.erase(id);  // undone: the next round prepares it again if it is still building
      if (auto st = save(); !st) return st;
    }
    // A restore finished: the entry stays until the controller has heard it (carry_out).
  }
  return ok_status();
}

Status PlacementAgent::prepare(const AssignedServer& server) {
  say("server " + server.id + ": preparing " + std::to_string(server.devices.size()) + " device(s)");
  auto fail = [&](const std::string& step, const std::string& message) {
    say("server " + server.id + ": " + step + " failed: " + message);
    if (auto st = link_.report(report()); !st) return st;
    return link_.outcome(server.id, AgentOutcome::Failed, step, message);
  };
  auto record = record_devices(discover(sysfs_), sysfs_, server.devices, options_.prepare.network);
  if (!record) return fail("prepare: record the devices", record.error().describe());
  journal_.servers.push_back({server.id, JournalPhase::Preparing, *record});
  if (auto st = save(); !st) {
    journal_.erase(server.id);
    return fail("prepare: write the journal", st.error().describe());
  }
  std::vector<std::string> done;
  auto failure = prepare_devices(sysfs_, writer_, *record, options_.prepare, &done);
  if (!failure && hypervisor_) {
    auto domain = options_.domain_of ? options_.domain_of(server) : Result<std::string>(server.domain_xml);
    Status started = domain ? hypervisor_->define_and_start(server.id, *domain) : Status(std::move(domain).error());
    if (!started) {
      failure = StepFailure{"start the domain " + server.id, started.error().describe(), {}};
      for (auto& [a, why] : restore_devices(sysfs_, writer_, *record, options_.restore)) journal_.attention[a] = why;
    }
  }
  if (failure) {
    for (const auto& e : failure->rollback_errors) say("server " + server.id + ": rollback: " + e);
    // What the rollback could not put back needs an operator.
    if (!failure->rollback_errors.empty())
      for (const auto& d : *record) journal_.attention[d.address] = "rollback of a failed prepare: " + failure->rollback_errors.front();
    journal_.erase(server.id);
    if (auto st = save(); !st) say("journal: " + st.error().describe());
    return fail(failure->step, failure->message);
  }
  journal_.find(server.id)->phase = JournalPhase::Prepared;
  if (auto st = save(); !st) say("journal: " + st.error().describe());
  if (auto st = link_.report(report()); !st) return st;
  if (hypervisor_) done.push_back("start the domain " + server.id);
  std::string steps;
  for (const auto& d : done) steps += (steps.empty() ? "" : "; ") + d;
  say("server " + server.id + ": active (" + (steps.empty() ? "nothing to change" : steps) + ")");
  return link_.outcome(server.id, AgentOutcome::Active, "prepare", steps.empty() ? "nothing to change on the host" : steps);
}

Status PlacementAgent::restore(const std::string& id, bool tell) {
  JournalEntry* e = journal_.find(id);
  if (e && e->phase != JournalPhase::Restoring) {
    say("server " + id + ": restoring " + std::to_string(e->devices.size()) + " device(s)");
    if (hypervisor_)
      if (auto st = hypervisor_->destroy_and_undefine(id); !st && st.error().code() != ErrorCode::NotFound)
        say("server " + id + ": stopping its domain: " + st.error().describe());
    e->phase = JournalPhase::Restoring;
    if (auto st = save(); !st) return st;
    for (auto& [a, why] : restore_devices(sysfs_, writer_, e->devices, options_.restore)) {
      say("server " + id + ": " + a.to_string() + " needs attention: " + why);
      journal_.attention[a] = why;
    }
    if (auto st = save(); !st) return st;
  }
  // The devices are back (or marked): reported before the server is said restored.
  if (auto st = link_.report(report()); !st) return st;
  if (tell) {
    auto st = link_.outcome(id, AgentOutcome::Restored, "", "");
    if (!st && st.error().code() != ErrorCode::NotFound) return st;
  }
  journal_.erase(id);
  if (auto st = save(); !st) return st;
  say("server " + id + ": restored");
  return ok_status();
}

Status PlacementAgent::carry_out(const HostWork& work) {
  Status first = ok_status();
  auto keep = [&](Status st) {
    if (!st && first) first = std::move(st);
  };
  std::set<std::string> assigned;
  for (const auto& s : work.servers) {
    assigned.insert(s.id);
    const JournalEntry* e = journal_.find(s.id);
    switch (s.status) {
      case ServerStatus::Building:
        if (!e) keep(prepare(s));
        else if (e->phase == JournalPhase::Prepared) keep(link_.outcome(s.id, AgentOutcome::Active, "", ""));  // said again
        else keep(restore(s.id, false));  // half done: undone, prepared in the next round
        break;
      case ServerStatus::Deleting:
        keep(restore(s.id, true));
        break;
      case ServerStatus::Error:
        if (e) keep(restore(s.id, false));  // its devices back before anyone frees them
        break;
      case ServerStatus::Active:
      case ServerStatus::Placed:
        break;
    }
  }
  // Freed without the host (a forced delete): put back what it had.
  std::vector<std::string> orphans;
  for (const auto& e : journal_.servers)
    if (!assigned.count(e.server)) orphans.push_back(e.server);
  for (const auto& id : orphans) keep(restore(id, false));
  keep(set_vf_counts(work));
  return first;
}

Status PlacementAgent::set_vf_counts(const HostWork& work) {
  if (!work.locked) return ok_status();  // changed only while the host takes no new placements
  Status first = ok_status();
  bool changed = false;
  for (const auto& iface : work.interfaces) {
    if (!iface.vfs) continue;
    const std::string pf = iface.address.to_string();
    const Discovery d = discover(sysfs_);
    auto state = read_pf_state(sysfs_, d, iface.address);
    if (!state) {
      say("interface " + pf + ": " + state.error().describe());
      if (first) first = std::move(state).error();
      continue;
    }
    if (state->numvfs == *iface.vfs) continue;
    std::string holder;
    for (const auto& e : journal_.servers)
      for (const auto& dev : e.devices)
        if (dev.address == iface.address || std::any_of(state->vfs.begin(), state->vfs.end(), [&](const auto& vf) { return vf.first == dev.address; }))
          holder = e.server;
    if (!holder.empty()) {
      say("interface " + pf + ": its VF count stays " + std::to_string(state->numvfs) + ": server " + holder + " holds it or a VF of it");
      continue;
    }
    SriovOptions o;
    o.persist = true;  // the count its operator set survives a reboot (a udev rule)
    o.autoprobe = state->autoprobe;
    std::optional<std::string> rules;
    if (auto r = sysfs_.read(std::string(kSriovUdevRules))) rules = *r;
    auto plan = plan_sriov(*state, *iface.vfs, o, rules);
    if (!plan) {
      say("interface " + pf + ": " + plan.error().describe());
      if (first) first = std::move(plan).error();
      continue;
    }
    const Execution ex = execute(*plan, writer_, sysfs_);
    if (!ex.ok()) {
      const std::string why = ex.failure ? ex.failure->describe() : std::string("failed");
      say("interface " + pf + ": setting " + std::to_string(*iface.vfs) + " VFs failed" + (ex.rolled_back ? " (rolled back): " : ": ") + why);
      if (first) first = Error(ErrorCode::Unavailable, "interface " + pf + ": setting " + std::to_string(*iface.vfs) + " VFs: " + why);
      changed = true;
      continue;
    }
    say("interface " + pf + ": " + std::to_string(state->numvfs) + " -> " + std::to_string(*iface.vfs) + " VFs (" +
        interface_class_name(iface.cls) + (iface.datanetwork.empty() ? "" : " on " + iface.datanetwork) + ")");
    changed = true;
  }
  // The VFs as they are now, for the controller to schedule on.
  if (changed)
    if (auto st = link_.report(report()); !st && first) first = std::move(st);
  return first;
}

}  // namespace pcipass
