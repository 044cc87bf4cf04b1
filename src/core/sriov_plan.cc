#include "core/sriov_plan.h"

namespace pcipass {

std::string sriov_rules_with(const std::string& current, PciAddress pf, uint32_t count, bool autoprobe) {
  const std::string key = "KERNEL==\"" + pf.to_string() + "\"";
  std::string out;
  size_t pos = 0;
  while (pos < current.size()) {
    size_t end = current.find('\n', pos);
    if (end == std::string::npos) end = current.size();
    std::string line = current.substr(pos, end - pos);
    pos = end + 1;
    if (line.find(key) != std::string::npos || line.rfind("# Written by pcipass", 0) == 0) continue;
    if (!line.empty()) out += line + "\n";
  }
  if (count > 0)
    out += "ACTION==\"bind\", SUBSYSTEM==\"pci\", " + key + ", " +
           (autoprobe ? std::string() : std::string("ATTR{sriov_drivers_autoprobe}=\"0\", ")) + "ATTR{sriov_numvfs}=\"" +
           std::to_string(count) + "\"\n";
  return out.empty() ? out : "# Written by pcipass: SR-IOV VF counts, set when the PF's driver binds.\n" + out;
}

Result<BindPlan> plan_sriov(const PfState& pf, uint32_t count, const SriovOptions& o,
                            const std::optional<std::string>& current_rules) {
  const std::string a = pf.address.to_string();
  const std::string base = "sys/bus/pci/devices/" + a + "/";
  if (pf.totalvfs == 0) return invalid(a + ": not an SR-IOV physical function (no sriov_totalvfs)");
  if (count > pf.totalvfs)
    return invalid(a + ": " + std::to_string(count) + " VFs requested, the device supports at most " + std::to_string(pf.totalvfs));
  if (!pf.driver) return Error(ErrorCode::Unavailable, a + ": the PF has no driver, and only its driver can create VFs");
  BindPlan plan;
  const bool change = count != pf.numvfs || (count > 0 && pf.autoprobe != o.autoprobe);
  if (change && pf.numvfs > 0) {
    for (const auto& [vf, driver] : pf.vfs)
      if (driver == std::optional<std::string>("vfio-pci") && !o.force)
        return Error(ErrorCode::Conflict, a + ": refused, VF " + vf.to_string() +
                                              " is bound to vfio-pci and may be in use by a VM; unbind it or use --force");
  }
  if (change) {
    if (pf.numvfs > 0) {
      PlanStep zero;
      zero.description = "remove the " + std::to_string(pf.numvfs) + " VFs of " + a + " (the kernel changes counts through 0)";
      zero.apply.push_back({FsAction::Kind::WriteAttribute, base + "sriov_numvfs", "0"});
      zero.undo.push_back({FsAction::Kind::WriteAttribute, base + "sriov_numvfs", std::to_string(pf.numvfs)});
      plan.steps.push_back(std::move(zero));
    }
    if (count > 0) {
      if (pf.autoprobe != o.autoprobe) {
        PlanStep probe;
        probe.description = std::string(o.autoprobe ? "enable" : "disable") + " driver autoprobe of new VFs of " + a;
        probe.apply.push_back({FsAction::Kind::WriteAttribute, base + "sriov_drivers_autoprobe", o.autoprobe ? "1" : "0"});
        probe.undo.push_back({FsAction::Kind::WriteAttribute, base + "sriov_drivers_autoprobe", pf.autoprobe ? "1" : "0"});
        plan.steps.push_back(std::move(probe));
      }
      PlanStep create;
      create.description = "create " + std::to_string(count) + " VFs on " + a;
      create.apply.push_back({FsAction::Kind::WriteAttribute, base + "sriov_numvfs", std::to_string(count)});
      create.apply.push_back({FsAction::Kind::ExpectAttribute, base + "sriov_numvfs", std::to_string(count)});
      create.undo.push_back({FsAction::Kind::WriteAttribute, base + "sriov_numvfs", "0"});
      plan.steps.push_back(std::move(create));
    }
  } else {
    plan.notes.push_back(a + " already has " + std::to_string(count) + " VFs");
  }
  if (o.persist) {
    const std::string now = current_rules.value_or("");
    const std::string wanted = sriov_rules_with(now, pf.address, count, o.autoprobe);
    if (wanted != now) {
      PlanStep persist;
      persist.description = "persist " + std::to_string(count) + " VFs for " + a + " (" + std::string(kSriovUdevRules) + ")";
      if (wanted.empty()) persist.apply.push_back({FsAction::Kind::RemoveFile, std::string(kSriovUdevRules), ""});
      else persist.apply.push_back({FsAction::Kind::WriteFile, std::string(kSriovUdevRules), wanted});
      if (current_rules) persist.undo.push_back({FsAction::Kind::WriteFile, std::string(kSriovUdevRules), *current_rules});
      else persist.undo.push_back({FsAction::Kind::RemoveFile, std::string(kSriovUdevRules), ""});
      plan.steps.push_back(std::move(persist));
    }
  }
  return plan;
}

}  // namespace pcipass
