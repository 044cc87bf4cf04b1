#pragma once
// `pcipass agent --manage-devices`: carries out on its host what the controller placed
// there, level by level (each round compares what the controller assigns with its own
// journal, so a lost answer or a restart is only a round done again):
//  - a server building: its devices recorded in the journal (phase preparing), then
//    prepared (placement.h), then, with a Hypervisor, its domain started; the journal
//    says prepared; the host's report goes (the PF's VFs gone); the server is active.
//    A failure is rolled back first, then the server is said to be in error with the
//    step and the host's words.
//  - a server deleting, or gone (a forced delete) while the journal holds it: its domain
//    stopped, its devices restored (phase restoring), what could not be restored kept as
//    needing attention; the report goes (the VFs back), and only then the server is
//    restored, so the controller never offers a VF before it is reported.
//  - while the host is locked, its interfaces' VF counts as its operator set them; the
//    host's report goes after a change.
//  - after a restart, recover(): a prepare found half done is undone (the server is still
//    building: it is prepared again), a restore is finished.
#include <functional>
#include <string>

#include "host/agent_journal.h"
#include "host/placement.h"
#include "core/progress.h"
#include "ports/controller_link.h"
#include "ports/hypervisor.h"
#include "ports/sysfs_reader.h"
#include "ports/sysfs_writer.h"

namespace pcipass {

struct PlacementAgentOptions {
  // The domain to start for a server (with a Hypervisor): its own, or merged into the
  // operator's base domain it names. Unset: its own.
  std::function<Result<std::string>(const AssignedServer&)> domain_of;
  PrepareOptions prepare;
  RestoreOptions restore;
  std::function<void(const std::string&)> log;  // one line per step and outcome
  Progress scan_progress;                        // hears of each report's scan (unset: nothing)
};

class PlacementAgent {
 public:
  // `save` makes the journal durable (before every step); `hypervisor` may be null.
  PlacementAgent(const SysfsReader& sysfs, SysfsWriter& writer, ControllerLink& link, Hypervisor* hypervisor, AgentJournal journal,
                 std::function<Status(const AgentJournal&)> save, PlacementAgentOptions options);

  Status recover();
  // One round. The error, if any, is what did not reach the controller (tried again next round).
  Status carry_out(const HostWork& work);
  // The host's report as the agent sends it: it manages devices, what needs attention,
  // and its own servers' devices not taken for someone else's open VFIO devices.
  HostReport report() const;
  const AgentJournal& journal() const { return journal_; }

 private:
  Status save();
  Status prepare(const AssignedServer& server);
  Status restore(const std::string& server, bool tell);
  // While the host is locked: each interface's VF count as its operator set it (through
  // 0, persisted), unless a server of the journal holds the PF or one of its VFs.
  Status set_vf_counts(const HostWork& work);
  void say(const std::string& line) const;

  const SysfsReader& sysfs_;
  SysfsWriter& writer_;
  ControllerLink& link_;
  Hypervisor* hypervisor_;
  AgentJournal journal_;
  std::function<Status(const AgentJournal&)> save_;
  PlacementAgentOptions options_;
};

}  // namespace pcipass
