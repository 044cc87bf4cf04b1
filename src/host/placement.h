#pragma once
// What the agent does on its host for a placed server (`agent --manage-devices`),
// with the plan and undo machinery of `bind`, `sriov` and `apply`:
//  - prepare: a PF with VFs loses them (refused while one is in use), then every
//    device the agent binds (not `managed` ones: libvirt does) goes to vfio-pci with
//    its whole IOMMU group, and its /dev/vfio/N must be there. A failure undoes every
//    step done, so the host ends as it began.
//  - restore: each device back to the driver it had (a device that was on vfio-pci
//    stays there), a PF's VF count as it was, waiting for the VFs to appear. What
//    cannot be restored is said per device: it needs attention.
// Both are safe to run again on a host where they are half done (a restarted agent).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host/agent_journal.h"
#include "host/discovery.h"
#include "ports/controller_link.h"
#include "ports/sysfs_reader.h"
#include "ports/sysfs_writer.h"
#include "ports/vf_network.h"

namespace pcipass {

// What each device is now (the record a restore puts back); NotFound naming a device
// the host does not have.
// With `network`, a NIC VF's settings (and a NIC PF's VFs') are recorded too.
Result<std::vector<PreparedDevice>> record_devices(const Discovery& discovery, const SysfsReader& sysfs,
                                                   const std::vector<AssignedDevice>& devices, VfNetwork* network = nullptr);

struct StepFailure {
  std::string step;     // "prepare 0000:41:00.0: remove its VFs"
  std::string message;  // the host's words
  std::vector<std::string> rollback_errors;  // what could not be undone
};

struct PrepareOptions {
  bool check_vfio_nodes = true;  // /dev/vfio/N under the root must exist after binding
  VfNetwork* network = nullptr;  // sets the MAC and VLAN a NIC VF is wanted with (needed then)
  // The group that must own /dev/vfio/N, with read and write, for the VM (kvm,
  // libvirt-qemu); nullopt: only that it is there.
  std::optional<std::string> vfio_group;
};

// nullopt: prepared; `done` (if given) gets each step taken, in order.
std::optional<StepFailure> prepare_devices(const SysfsReader& sysfs, SysfsWriter& writer, const std::vector<PreparedDevice>& record,
                                           const PrepareOptions& options = {}, std::vector<std::string>* done = nullptr);

struct RestoreOptions {
  // Called between looks while VFs appear after a VF count is written; the restore
  // looks `vf_polls` times before it says they did not come.
  std::function<void()> pause;
  int vf_polls = 100;
  VfNetwork* network = nullptr;  // puts back VF settings (a VF's, a PF's VFs')
};

// Per device that could not be put back: why (empty: all restored).
std::map<PciAddress, std::string> restore_devices(const SysfsReader& sysfs, SysfsWriter& writer,
                                                  const std::vector<PreparedDevice>& record, const RestoreOptions& options = {});

}  // namespace pcipass
