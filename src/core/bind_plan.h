#pragma once
// BindPlan: what `pcipass bind/unbind` will do, as data. Each step has its own undo,
// arranged so that undoing the steps done so far, in reverse, is correct for the
// kernel (e.g. undoing the driver_override step restores the override and then
// re-probes, so the host driver binds back). Building a plan is pure: it takes a
// snapshot of the devices' state and refuses unsafe requests with reasons.
#include <optional>
#include <string>
#include <vector>

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
  // A PF's VFs and their drivers: they disappear when the PF leaves its driver.
  std::vector<std::pair<PciAddress, std::optional<std::string>>> vfs;
};

struct BindOptions {
  std::string driver = "vfio-pci";
  bool persist = false;   // driverctl-compatible /etc/driverctl.d file + udev rule for /dev/vfio
  bool force = false;     // allow host-critical devices, partial groups and PFs whose VFs are in use
  std::string vfio_group = "kvm";
  std::string vfio_mode = "0660";
};

struct UnbindOptions {
  bool restore = false;  // re-probe so the host driver binds again
};

inline constexpr std::string_view kVfioUdevRule = "etc/udev/rules.d/70-pcipass-vfio.rules";
std::string vfio_udev_rule(const BindOptions& options);
std::string driverctl_path(PciAddress address);  // etc/driverctl.d/pci-0000:41:00.0

// `requested` are the devices named on the command line; `state` must hold them and
// every member of their IOMMU groups. `driver_loaded`: the target driver is registered
// (sys/bus/pci/drivers/NAME exists). `current_udev_rule` is the rule file's content.
Result<BindPlan> plan_bind(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                           const BindOptions& options, bool driver_loaded, const std::optional<std::string>& current_udev_rule);
Result<BindPlan> plan_unbind(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                             const UnbindOptions& options);

}  // namespace pcipass
