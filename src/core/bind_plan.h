#pragma once
// BindPlan: what `pcipass bind/unbind` will do, as data. Each step has its own undo,
// arranged so that undoing the steps done so far, in reverse, is correct for the
// kernel (e.g. undoing the driver_override step restores the override and then
// re-probes, so the host driver binds back). Building a plan is pure: it takes a
// snapshot of the devices' state and refuses unsafe requests with reasons.
#include <optional>
#include <string>
#include <vector>

#include "core/bind_persistence.h"
#include "core/error.h"
#include "core/pci_address.h"

namespace pcipass {

// One filesystem action. Attribute writes go to sysfs; files are persistence
// (driverctl-compatible overrides, udev rules) under the same root.
struct FsAction {
  enum class Kind { WriteAttribute, WriteFile, RemoveFile, ExpectDriver, ExpectAttribute } kind = Kind::WriteAttribute;
  std::string path;
  std::string value;  // attribute value, file content, expected driver ("" = none) or expected attribute text
  std::string describe() const;
};

struct PlanStep {
  std::string description;
  std::vector<FsAction> apply;
  std::vector<FsAction> undo;
};

struct BindPlan {
  std::vector<PlanStep> steps;
  std::vector<std::string> notes;  // e.g. "0000:41:02.3 is already bound to vfio-pci"
};

// What the planner needs to know about a device and its IOMMU group, read from the host.
struct DeviceState {
  PciAddress address;
  std::optional<std::string> driver;           // bound driver
  std::optional<std::string> driver_override;  // current override
  bool bridge = false;
  std::optional<std::string> host_critical;    // why the host depends on it
  std::vector<PciAddress> group;               // IOMMU group members (incl. itself); empty: no IOMMU group
  std::optional<std::string> persisted;        // content of /etc/driverctl.d/pci-ADDR, if any
  PciId vendor_id, device_id, subsystem_vendor_id, subsystem_device_id;
  std::string fingerprint;                     // discovery's
  // A PF's VFs and their drivers: they disappear when the PF leaves its driver.
  std::vector<std::pair<PciAddress, std::optional<std::string>>> vfs;
  std::vector<std::pair<PciAddress, std::string>> vfs_open;  // VFs a process holds open, and who
};

struct BindOptions {
  std::string driver = "vfio-pci";
  bool persist = false;    // pcipass's id-keyed udev rule (kBindRules) + udev rule for /dev/vfio
  bool driverctl = false;  // with persist: driverctl's address-only /etc/driverctl.d file too
  bool force = false;     // allow host-critical devices, partial groups and PFs whose VFs are in use
  std::string vfio_group = "kvm";
  std::string vfio_mode = "0660";
  // With persist: the persisted bindings at these addresses are dropped in the same step
  // (and their driverctl files removed): a re-key moves them to the requested devices.
  std::vector<PciAddress> forget;
};

struct UnbindOptions {
  bool restore = false;  // re-probe so the host driver binds again
  bool persisted_only = false;  // only forget what is persisted for the addresses; no device need be there
};

inline constexpr std::string_view kVfioUdevRule = "etc/udev/rules.d/70-pcipass-vfio.rules";

// The persistence files as they are now (nullopt: absent).
struct PersistenceFiles {
  std::optional<std::string> vfio_rule;   // kVfioUdevRule
  std::optional<std::string> bind_rules;  // kBindRules
  std::vector<std::pair<PciAddress, std::string>> driverctl;  // etc/driverctl.d/pci-ADDR files and their content
};
std::string vfio_udev_rule(const BindOptions& options);
std::string driverctl_path(PciAddress address);  // etc/driverctl.d/pci-0000:41:00.0

// `requested` are the devices named on the command line; `state` must hold them and
// every member of their IOMMU groups. `driver_loaded`: the target driver is registered
// (sys/bus/pci/drivers/NAME exists). A bind rules file with records it cannot read is
// refused with --persist (rewriting it would lose them).
Result<BindPlan> plan_bind(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                           const BindOptions& options, bool driver_loaded, const PersistenceFiles& files);
Result<BindPlan> plan_unbind(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                             const UnbindOptions& options, const PersistenceFiles& files);

// The step that writes the bind rules file for `bindings` (removes it when there are
// none), undone by putting back `current`.
PlanStep bind_rules_step(std::string description, const std::vector<PersistedBinding>& bindings,
                         const std::optional<std::string>& current);

}  // namespace pcipass
