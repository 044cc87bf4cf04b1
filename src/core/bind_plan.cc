#include "core/bind_plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace pcipass {

std::string FsAction::describe() const {
  switch (kind) {
    case Kind::WriteAttribute: return "write " + (value == "\n" ? std::string("\"\\n\"") : "\"" + value + "\"") + " to " + path;
    case Kind::WriteFile: return "write " + path;
    case Kind::RemoveFile: return "remove " + path;
    case Kind::ExpectDriver: return "check that " + path + " is bound to " + (value.empty() ? "no driver" : value);
    case Kind::ExpectAttribute: return "check that " + path + " reads " + value;
  }
  return path;
}

std::string vfio_udev_rule(const BindOptions& o) {
  return "# Written by pcipass: VFIO group devices for the VM manager.\nSUBSYSTEM==\"vfio\", GROUP=\"" + o.vfio_group +
         "\", MODE=\"" + o.vfio_mode + "\"\n";
}

std::string driverctl_path(PciAddress a) { return "etc/driverctl.d/pci-" + a.to_string(); }

namespace {

using Kind = FsAction::Kind;
const std::string kDevices = "sys/bus/pci/devices/";
const std::string kDrivers = "sys/bus/pci/drivers/";
const std::string kProbe = "sys/bus/pci/drivers_probe";

FsAction attr(std::string path, std::string value) { return {Kind::WriteAttribute, std::move(path), std::move(value)}; }
FsAction expect(PciAddress a, std::string driver) { return {Kind::ExpectDriver, a.to_string(), std::move(driver)}; }

const DeviceState* lookup(const std::vector<DeviceState>& state, PciAddress a) {
  for (const auto& s : state)
    if (s.address == a) return &s;
  return nullptr;
}

// Persisting a driverctl override, with an undo that puts back what was there.
PlanStep persist_step(const DeviceState& d, const std::string& driver) {
  PlanStep s;
  s.description = "persist " + driver + " for " + d.address.to_string() + " (driverctl-compatible " + driverctl_path(d.address) + ")";
  s.apply.push_back({Kind::WriteFile, driverctl_path(d.address), driver + "\n"});
  if (d.persisted) s.undo.push_back({Kind::WriteFile, driverctl_path(d.address), *d.persisted});
  else s.undo.push_back({Kind::RemoveFile, driverctl_path(d.address), ""});
  return s;
}

// Expands to whole IOMMU groups and checks each member may go along.
Result<std::vector<const DeviceState*>> expand(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                                              const BindOptions& o) {
  std::vector<const DeviceState*> out;
  std::set<PciAddress> asked(requested.begin(), requested.end());
  std::set<PciAddress> seen;
  for (PciAddress a : requested) {
    const DeviceState* d = lookup(state, a);
    if (!d) return Error(ErrorCode::NotFound, a.to_string() + ": no such PCI device on this host");
    if (d->bridge) return invalid(a.to_string() + ": is a PCI bridge; bridges are never passed through");
    if (d->host_critical && !o.force)
      return Error(ErrorCode::Conflict, a.to_string() + ": refused, the host depends on it (" + *d->host_critical +
                                            "); use --force if you are sure");
    // Leaving its driver removes a PF's VFs (as `sriov` changing the count does).
    if (d->driver != o.driver && !o.force)
      for (const auto& [vf, driver] : d->vfs)
        if (driver == std::optional<std::string>("vfio-pci")) {
          std::string holder = " and may be in use by a VM";
          for (const auto& [open_vf, who] : d->vfs_open)
            if (open_vf == vf) holder = " and " + who + " holds it open";
          return Error(ErrorCode::Conflict, a.to_string() + ": refused, its VF " + vf.to_string() + " is bound to vfio-pci" + holder +
                                                ", and binding the PF removes its VFs; unbind the VF or use --force");
        }
    for (PciAddress m : d->group) {
      const DeviceState* member = lookup(state, m);
      if (!member) return Error(ErrorCode::Internal, m.to_string() + ": group member missing from the host state");
      if (member->bridge || !seen.insert(m).second) continue;
      if (m != a && !asked.count(m)) {
        if (!o.force)
          return Error(ErrorCode::Conflict,
                       a.to_string() + ": refused, IOMMU group " + "shares it with " + m.to_string() +
                           (member->driver ? " (driver " + *member->driver + ")" : "") +
                           ", which is not in the request; VFIO needs the whole group: name it too, or use --force");
        if (member->host_critical)
          return Error(ErrorCode::Conflict, a.to_string() + ": refused even with --force: its IOMMU group member " +
                                                m.to_string() + " " + *member->host_critical);
      }
      if (member->host_critical && !o.force)
        return Error(ErrorCode::Conflict, m.to_string() + ": refused, the host depends on it (" + *member->host_critical +
                                              "); use --force if you are sure");
      out.push_back(member);
    }
    if (d->group.empty() && seen.insert(a).second) out.push_back(d);
  }
  return out;
}

PersistedBinding binding_of(const DeviceState& d, const BindOptions& o) {
  return PersistedBinding{d.address, o.driver, d.vendor_id, d.device_id, d.subsystem_vendor_id, d.subsystem_device_id, o.driverctl,
                          d.fingerprint};
}

}  // namespace

PlanStep bind_rules_step(std::string description, const std::vector<PersistedBinding>& bindings,
                         const std::optional<std::string>& current) {
  PlanStep s;
  s.description = std::move(description);
  if (bindings.empty()) s.apply.push_back({Kind::RemoveFile, std::string(kBindRules), ""});
  else s.apply.push_back({Kind::WriteFile, std::string(kBindRules), render_bind_rules(bindings)});
  if (current) s.undo.push_back({Kind::WriteFile, std::string(kBindRules), *current});
  else s.undo.push_back({Kind::RemoveFile, std::string(kBindRules), ""});
  return s;
}

Result<BindPlan> plan_bind(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                           const BindOptions& o, bool driver_loaded, const PersistenceFiles& files) {
  const std::optional<std::string>& current_udev_rule = files.vfio_rule;
  if (requested.empty()) return invalid("no device given");
  const BindRules rules = parse_bind_rules(files.bind_rules.value_or(""));
  if (o.persist && !rules.problems.empty())
    return Error(ErrorCode::Conflict, "refused: " + rules.problems.front() + "; fix or remove the record first (persisting rewrites the file)");
  std::vector<PersistedBinding> bindings = rules.bindings;
  std::vector<std::string> newly_persisted, forgotten;
  BindPlan plan;
  for (PciAddress gone : o.forget) {
    if (binding_at(bindings, gone)) {
      bindings = without_binding(std::move(bindings), gone);
      forgotten.push_back(gone.to_string());
    }
    for (const auto& [a, content] : files.driverctl)
      if (a == gone) {
        PlanStep forget;
        forget.description = "remove driverctl's override " + driverctl_path(a) + " (the device is no longer there)";
        forget.apply.push_back({Kind::RemoveFile, driverctl_path(a), ""});
        forget.undo.push_back({Kind::WriteFile, driverctl_path(a), content});
        plan.steps.push_back(std::move(forget));
      }
  }
  if (!driver_loaded)
    return Error(ErrorCode::Unavailable, "driver " + o.driver + " is not loaded (no sys/bus/pci/drivers/" + o.driver +
                                             "): modprobe " + o.driver + " first");
  auto devices = expand(requested, state, o);
  if (!devices) return std::move(devices).error();
  for (const DeviceState* d : *devices) {
    const std::string a = d->address.to_string();
    const std::string base = kDevices + a + "/";
    const bool bound = d->driver == o.driver;
    const bool overridden = d->driver_override == o.driver;
    if (!(bound && overridden)) {
      // 1. driver_override, so only the wanted driver may claim the device (never new_id).
      PlanStep override_step;
      override_step.description = "set driver_override of " + a + " to " + o.driver;
      override_step.apply.push_back(attr(base + "driver_override", o.driver));
      override_step.undo.push_back(attr(base + "driver_override", d->driver_override ? *d->driver_override : "\n"));
      if (d->driver && !bound) override_step.undo.push_back(attr(kProbe, a));  // the host driver binds back
      plan.steps.push_back(std::move(override_step));
      if (!bound && !d->vfs.empty())
        plan.notes.push_back(a + " leaves its driver: its " + std::to_string(d->vfs.size()) + " VF(s) will be removed");
      // 2. release it from its current driver.
      if (d->driver && !bound) {
        PlanStep unbind;
        unbind.description = "unbind " + a + " from " + *d->driver;
        unbind.apply.push_back(attr(kDrivers + *d->driver + "/unbind", a));
        plan.steps.push_back(std::move(unbind));
      }
      // 3. probe: the kernel binds the override driver, which must then hold it.
      if (!bound) {
        PlanStep probe;
        probe.description = "bind " + a + " to " + o.driver;
        probe.apply.push_back(attr(kProbe, a));
        probe.apply.push_back(expect(d->address, o.driver));
        probe.undo.push_back(attr(kDrivers + o.driver + "/unbind", a));
        plan.steps.push_back(std::move(probe));
      }
    } else {
      plan.notes.push_back(a + " is already bound to " + o.driver);
    }
    if (o.persist) {
      const PersistedBinding b = binding_of(*d, o);
      const PersistedBinding* now = binding_at(bindings, d->address);
      if (!now || !(*now == b)) {
        bindings = with_binding(std::move(bindings), b);
        newly_persisted.push_back(a);
      }
    }
    if (o.persist && o.driverctl && d->persisted != o.driver + "\n") plan.steps.push_back(persist_step(*d, o.driver));
  }
  if (!newly_persisted.empty() || !forgotten.empty()) {
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
      return out;
    };
    std::string what = newly_persisted.empty() ? "" : "persist " + o.driver + " for " + join(newly_persisted);
    if (!forgotten.empty()) what += (what.empty() ? "forget " : ", forget ") + join(forgotten);
    plan.steps.push_back(bind_rules_step(what + " (" + std::string(kBindRules) + ": at boot, only while each address holds the same device)",
                                         bindings, files.bind_rules));
  }
  if (o.persist && o.driver == "vfio-pci" && current_udev_rule != vfio_udev_rule(o)) {
    PlanStep rule;
    rule.description = "give /dev/vfio/N to group " + o.vfio_group + ", mode " + o.vfio_mode + " (" + std::string(kVfioUdevRule) + ")";
    rule.apply.push_back({Kind::WriteFile, std::string(kVfioUdevRule), vfio_udev_rule(o)});
    if (current_udev_rule) rule.undo.push_back({Kind::WriteFile, std::string(kVfioUdevRule), *current_udev_rule});
    else rule.undo.push_back({Kind::RemoveFile, std::string(kVfioUdevRule), ""});
    plan.steps.push_back(std::move(rule));
  }
  return plan;
}

Result<BindPlan> plan_unbind(const std::vector<PciAddress>& requested, const std::vector<DeviceState>& state,
                             const UnbindOptions& o, const PersistenceFiles& files) {
  if (requested.empty()) return invalid("no device given");
  BindPlan plan;
  const BindRules rules = parse_bind_rules(files.bind_rules.value_or(""));
  std::vector<PersistedBinding> bindings = rules.bindings;
  std::string forgotten;
  for (PciAddress a : requested)
    if (binding_at(bindings, a)) {
      if (!rules.problems.empty())
        return Error(ErrorCode::Conflict, "refused: " + rules.problems.front() + "; fix or remove the record first (forgetting " +
                                              a.to_string() + " rewrites the file)");
      bindings = without_binding(std::move(bindings), a);
      forgotten += (forgotten.empty() ? "" : ", ") + a.to_string();
    }
  // The persistent overrides go first, so a failure there leaves the devices untouched.
  if (!forgotten.empty())
    plan.steps.push_back(bind_rules_step("forget the persisted binding of " + forgotten + " (" + std::string(kBindRules) + ")",
                                         bindings, files.bind_rules));
  std::set<PciAddress> seen;
  if (o.persisted_only) {  // the device at the address, if any, is left as it is
    for (PciAddress a : requested) {
      if (!seen.insert(a).second) continue;
      bool found = binding_at(rules.bindings, a) != nullptr;
      for (const auto& [at, content] : files.driverctl)
        if (at == a) {
          found = true;
          PlanStep forget;
          forget.description = "remove driverctl's persistent override " + driverctl_path(a);
          forget.apply.push_back({Kind::RemoveFile, driverctl_path(a), ""});
          forget.undo.push_back({Kind::WriteFile, driverctl_path(a), content});
          plan.steps.push_back(std::move(forget));
        }
      if (!found) plan.notes.push_back(a.to_string() + " has no persisted override");
    }
    return plan;
  }
  for (PciAddress a : requested) {
    const DeviceState* d = lookup(state, a);
    if (!d) return Error(ErrorCode::NotFound, a.to_string() + ": no such PCI device on this host (--persisted-only forgets what is "
                                                              "persisted for an address without touching any device)");
    if (!seen.insert(a).second) continue;
    const std::string s = a.to_string();
    const std::string base = kDevices + s + "/";
    // The persistent override goes first, so a failure there leaves the device untouched.
    if (d->persisted) {
      PlanStep forget;
      forget.description = "remove the persistent override " + driverctl_path(a);
      forget.apply.push_back({Kind::RemoveFile, driverctl_path(a), ""});
      forget.undo.push_back({Kind::WriteFile, driverctl_path(a), *d->persisted});
      plan.steps.push_back(std::move(forget));
    }
    // Undo of the override and unbind steps: put the override back, then re-probe, so
    // the same driver claims the device again (an explicit bind would not match vfio-pci
    // without its override).
    if (d->driver_override) {
      PlanStep clear;
      clear.description = "clear driver_override of " + s;
      clear.apply.push_back(attr(base + "driver_override", "\n"));
      clear.undo.push_back(attr(base + "driver_override", *d->driver_override));
      if (d->driver) clear.undo.push_back(attr(kProbe, s));
      plan.steps.push_back(std::move(clear));
    }
    if (d->driver) {
      PlanStep release;
      release.description = "unbind " + s + " from " + *d->driver;
      release.apply.push_back(attr(kDrivers + *d->driver + "/unbind", s));
      if (!d->driver_override) release.undo.push_back(attr(kProbe, s));
      plan.steps.push_back(std::move(release));
    }
    if (o.restore) {
      PlanStep probe;
      probe.description = "give " + s + " back to its host driver (drivers_probe)";
      probe.apply.push_back(attr(kProbe, s));
      plan.steps.push_back(std::move(probe));
    }
    if (!d->driver && !d->driver_override && !d->persisted && !binding_at(rules.bindings, a) && !o.restore)
      plan.notes.push_back(s + " has no driver and no override");
  }
  return plan;
}

}  // namespace pcipass
