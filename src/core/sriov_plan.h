#pragma once
// SR-IOV VF count changes as a plan with undo (see bind_plan.h). The kernel only
// accepts a new non-zero count when the current one is 0, so a change goes through 0.
// Persistence is a udev rule that sets the count when the PF's driver binds at boot.
#include <optional>
#include <string>
#include <vector>

#include "core/bind_plan.h"

namespace pcipass {

struct PfState {
  PciAddress address;
  std::optional<std::string> driver;
  uint32_t totalvfs = 0;
  uint32_t numvfs = 0;
  bool autoprobe = true;
  std::vector<std::pair<PciAddress, std::optional<std::string>>> vfs;  // current VFs and their drivers
};

struct SriovOptions {
  bool persist = false;
  bool autoprobe = true;  // false: VFs appear without a driver (for vfio-pci binding)
  bool force = false;     // allow removing VFs held by vfio-pci
};

inline constexpr std::string_view kSriovUdevRules = "etc/udev/rules.d/71-pcipass-sriov.rules";

// `current_rules` is the rule file's content (empty if absent).
Result<BindPlan> plan_sriov(const PfState& pf, uint32_t count, const SriovOptions& options,
                            const std::optional<std::string>& current_rules);
// The rule file with this PF's line replaced (or removed when count is 0).
std::string sriov_rules_with(const std::string& current, PciAddress pf, uint32_t count, bool autoprobe);

}  // namespace pcipass
